package cabinet

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/internal/jsonhttp"
)

// Auth is how the citizen API learns who asks: Require guards a handler (401 without a valid
// session) and Who returns the session's ИИН.
type Auth struct {
	Require func(http.Handler) http.Handler
	Who     func(*http.Request) (iin string, ok bool)
}

// Routes mounts the citizen API on r; every route needs a session and serves only its ИИН:
//
//	GET  /api/cabinet/applications                              list
//	GET  /api/cabinet/applications/{number}                     one, with its history
//	GET  /api/cabinet/applications/{number}/result              the signed result (XML download)
//	GET  /api/cabinet/applications/{number}/result.html         its readable rendering (?lang=ru|kk)
//	GET  /api/cabinet/applications/{number}/result/verification the signature verdict
//	POST /api/cabinet/applications/{number}/survey              {"quality": 1..3, "information": 1..3}
//	GET  /api/cabinet/notifications?unread=true&limit=N
//	POST /api/cabinet/notifications/read                        {"ids": [...]} (none: all)
//
// A query parameter iin other than the session's is refused (403 FORBIDDEN).
func (s *Service) Routes(r *mux.Router, a Auth) {
	h := func(f func(w http.ResponseWriter, r *http.Request, iin string)) http.Handler {
		return a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			iin, ok := a.Who(r)
			if !ok {
				jsonhttp.Error(w, http.StatusUnauthorized, "SESSION_REQUIRED", "требуется вход в личный кабинет")
				return
			}
			if q := r.URL.Query().Get("iin"); q != "" && q != iin {
				jsonhttp.Error(w, http.StatusForbidden, "FORBIDDEN", "доступ к личному кабинету другого лица запрещён")
				return
			}
			f(w, r, iin)
		}))
	}
	r.Handle("/api/cabinet/applications", h(s.listAPI)).Methods(http.MethodGet)
	r.Handle("/api/cabinet/applications/{number}", h(s.getAPI)).Methods(http.MethodGet)
	r.Handle("/api/cabinet/applications/{number}/result", h(s.resultAPI)).Methods(http.MethodGet)
	r.Handle("/api/cabinet/applications/{number}/result.html", h(s.resultHTMLAPI)).Methods(http.MethodGet)
	r.Handle("/api/cabinet/applications/{number}/result/verification", h(s.verifyAPI)).Methods(http.MethodGet)
	r.Handle("/api/cabinet/applications/{number}/survey", h(s.surveyAPI)).Methods(http.MethodPost)
	r.Handle("/api/cabinet/notifications", h(s.notificationsAPI)).Methods(http.MethodGet)
	r.Handle("/api/cabinet/notifications/read", h(s.readAPI)).Methods(http.MethodPost)
	r.HandleFunc("/api/indicators", s.indicatorsAPI).Methods(http.MethodGet)
	r.HandleFunc("/api/cabinet/openapi.yaml", serveOpenAPI).Methods(http.MethodGet)
}

// AdminRoutes mounts the testers' and ЦОН's API on the token-protected admin router r:
//
//	GET  /cabinet/{iin}/applications[/{number}]   any person's cabinet
//	GET  /cabinet/{iin}/notifications
//	GET  /con/queue?channel=con                   results waiting to be handed over
//	POST /con/queue/{number}/handover             {"applicant_iin", "operator": {"name", "iin"}}
//	GET  /indicators
func (s *Service) AdminRoutes(r *mux.Router) {
	asAdmin := func(f func(w http.ResponseWriter, r *http.Request, iin string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { f(w, r, mux.Vars(r)["iin"]) }
	}
	r.HandleFunc("/cabinet/{iin:[0-9]{12}}/applications", asAdmin(s.listAPI)).Methods(http.MethodGet)
	r.HandleFunc("/cabinet/{iin:[0-9]{12}}/applications/{number}", asAdmin(s.getAPI)).Methods(http.MethodGet)
	r.HandleFunc("/cabinet/{iin:[0-9]{12}}/notifications", asAdmin(s.notificationsAPI)).Methods(http.MethodGet)
	r.HandleFunc("/con/queue", s.queueAPI).Methods(http.MethodGet)
	r.HandleFunc("/con/queue/{number}/handover", s.handoverAPI).Methods(http.MethodPost)
	r.HandleFunc("/indicators", s.indicatorsAPI).Methods(http.MethodGet)
}

// fail maps the package's errors to coded JSON errors.
func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		jsonhttp.Error(w, http.StatusNotFound, "APPLICATION_NOT_FOUND", "заявление не найдено в вашем личном кабинете")
	case errors.Is(err, ErrNoResult):
		jsonhttp.Error(w, http.StatusNotFound, "NO_RESULT", "результат по заявлению ещё не выдан")
	case errors.Is(err, ErrSurveyClosed):
		jsonhttp.Error(w, http.StatusConflict, "SURVEY_CLOSED", "оценка доступна после выдачи результата")
	case errors.Is(err, ErrSurveyDone):
		jsonhttp.Error(w, http.StatusConflict, "SURVEY_DONE", "оценка по этому заявлению уже дана")
	case errors.Is(err, ErrNotQueued):
		jsonhttp.Error(w, http.StatusConflict, "NOT_QUEUED", err.Error())
	case errors.Is(err, ErrInvalid):
		jsonhttp.Error(w, http.StatusBadRequest, "INVALID", err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		jsonhttp.Error(w, http.StatusServiceUnavailable, "UNAVAILABLE", "запрос прерван")
	default:
		jsonhttp.Error(w, http.StatusInternalServerError, "INTERNAL", "внутренняя ошибка")
	}
}

func (s *Service) listAPI(w http.ResponseWriter, r *http.Request, iin string) {
	as, err := s.Applications(r.Context(), iin)
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"iin": iin, "applications": as})
}

func (s *Service) getAPI(w http.ResponseWriter, r *http.Request, iin string) {
	d, err := s.Application(r.Context(), iin, mux.Vars(r)["number"])
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, d)
}

func (s *Service) resultAPI(w http.ResponseWriter, r *http.Request, iin string) {
	res, err := s.Result(r.Context(), iin, mux.Vars(r)["number"])
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+res.Number+`.xml"`)
	_, _ = w.Write(res.XML)
}

func (s *Service) resultHTMLAPI(w http.ResponseWriter, r *http.Request, iin string) {
	number := mux.Vars(r)["number"]
	res, err := s.Result(r.Context(), iin, number)
	if err != nil {
		fail(w, err)
		return
	}
	v := s.VerifyXML(r.Context(), res.XML, iin, number)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := results.RenderHTML(w, res.Document, RenderVerdict(v), Lang(r)); err != nil {
		s.o.Logger.Warn("render result", "err", err)
	}
}

// RenderVerdict turns a verdict into what the result page shows.
func RenderVerdict(v *Verdict) *results.Verdict {
	out := &results.Verdict{Valid: v.Valid, Code: v.Code, Message: v.Message, CheckedAt: v.CheckedAt}
	if v.Signer != nil {
		out.SignerName, out.SignerIIN, out.SignerBIN, out.SignerOrg = v.Signer.Name, v.Signer.IIN, v.Signer.BIN, v.Signer.Organization
	}
	return out
}

// Lang is the page language asked for: "kk" (Kazakh) or "ru" (the default).
func Lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "kk" || l == "kz" {
		return "kk"
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "kk" || c.Value == "kz") {
		return "kk"
	}
	return "ru"
}

func (s *Service) verifyAPI(w http.ResponseWriter, r *http.Request, iin string) {
	v, err := s.Verify(r.Context(), iin, mux.Vars(r)["number"])
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, v)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		jsonhttp.Error(w, http.StatusBadRequest, "INVALID", "тело запроса: "+err.Error())
		return false
	}
	return true
}

func (s *Service) surveyAPI(w http.ResponseWriter, r *http.Request, iin string) {
	var in struct {
		Quality     int `json:"quality"`
		Information int `json:"information"`
	}
	if !decode(w, r, &in) {
		return
	}
	a, err := s.Answer(r.Context(), iin, mux.Vars(r)["number"], in.Quality, in.Information)
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusCreated, a)
}

func (s *Service) notificationsAPI(w http.ResponseWriter, r *http.Request, iin string) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	ns, err := s.Notifications(r.Context(), iin, r.URL.Query().Get("unread") == "true", limit)
	if err != nil {
		fail(w, err)
		return
	}
	unread := 0
	for _, n := range ns {
		if !n.Read {
			unread++
		}
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"notifications": ns, "unread": unread})
}

func (s *Service) readAPI(w http.ResponseWriter, r *http.Request, iin string) {
	var in struct {
		IDs []string `json:"ids"`
	}
	if !decode(w, r, &in) {
		return
	}
	n, err := s.MarkRead(r.Context(), iin, in.IDs)
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, map[string]int{"marked": n})
}

func (s *Service) indicatorsAPI(w http.ResponseWriter, r *http.Request) {
	ins, err := s.Indicators(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"indicators": ins, "questions": Questions, "answers": Answers})
}

func (s *Service) queueAPI(w http.ResponseWriter, r *http.Request) {
	ch := r.URL.Query().Get("channel")
	if ch == "" {
		ch = "con"
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	q, err := s.Queue(r.Context(), ch, limit)
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"channel": ch, "queue": q})
}

func (s *Service) handoverAPI(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ApplicantIIN string   `json:"applicant_iin"`
		Operator     Operator `json:"operator"`
	}
	if !decode(w, r, &in) {
		return
	}
	a, err := s.HandOver(r.Context(), mux.Vars(r)["number"], in.ApplicantIIN, in.Operator)
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, a)
}
