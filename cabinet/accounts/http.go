package accounts

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/internal/jsonhttp"
)

// CookieName is the session cookie.
const CookieName = "shep_session"

// CSRFHeader carries Session.CSRF on unsafe requests authenticated by the cookie.
const CSRFHeader = "X-CSRF-Token"

const maxJSONBody = 16 << 10

// Routes mounts the JSON API on r (the paths are absolute):
//
//	POST /api/cabinet/register            {iin, password, phone, email} → 201 Account
//	POST /api/cabinet/login               {iin, password} → 200 Session (with token) + cookie
//	GET  /api/cabinet/login/challenge     → 200 Challenge {id, xml, expires}
//	POST /api/cabinet/login/certificate   the signed challenge (application/xml; or JSON {"xml": "…"}) → 200 Session + cookie
//	POST /api/cabinet/logout              → 204, the cookie cleared
//	GET  /api/cabinet/me                  → 200 {account, session} (Require)
//
// Refusals are {"error": {"code", "message"}} (internal/jsonhttp) with the codes of the Err…
// values; ACCOUNT_LOCKED adds Retry-After.
func (s *Service) Routes(r *mux.Router) {
	r.HandleFunc("/api/cabinet/register", s.handleRegister).Methods(http.MethodPost)
	r.HandleFunc("/api/cabinet/login", s.handleLogin).Methods(http.MethodPost)
	r.HandleFunc("/api/cabinet/login/challenge", s.handleChallenge).Methods(http.MethodGet)
	r.HandleFunc("/api/cabinet/login/certificate", s.handleCertificate).Methods(http.MethodPost)
	r.HandleFunc("/api/cabinet/logout", s.handleLogout).Methods(http.MethodPost)
	r.Handle("/api/cabinet/me", s.Require(http.HandlerFunc(s.handleMe))).Methods(http.MethodGet)
}

// WriteError answers err: a refusal with its status and code, anything else as 500
// INTERNAL_ERROR (logged, not shown).
func (s *Service) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		s.log.ErrorContext(r.Context(), "cabinet accounts", "path", r.URL.Path, "err", err)
		jsonhttp.Error(w, http.StatusInternalServerError, "INTERNAL_ERROR", "Внутренняя ошибка, повторите попытку позже")
		return
	}
	switch {
	case e.Code == ErrAccountLocked.Code && !e.Until.IsZero():
		w.Header().Set("Retry-After", strconv.Itoa(max(int(e.Until.Sub(s.o.Now()).Seconds()), 1)))
	case e.Status == http.StatusUnauthorized && (e.Code == ErrSessionRequired.Code || e.Code == ErrSessionExpired.Code):
		w.Header().Set("WWW-Authenticate", `Bearer realm="shep-cabinet"`)
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	jsonhttp.Error(w, status, e.Code, e.Message)
}

func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// decodeJSON reads a JSON object of at most maxJSONBody bytes into v, refusing unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refusal(ErrRequestInvalid, "Неверный формат запроса: ожидается объект JSON")
	}
	if dec.More() {
		return refusal(ErrRequestInvalid, "Неверный формат запроса: после объекта JSON лишние данные")
	}
	return nil
}

func (s *Service) handleRegister(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var in Registration
	if err := decodeJSON(w, r, &in); err != nil {
		s.WriteError(w, r, err)
		return
	}
	acc, err := s.Register(r.Context(), in)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	jsonhttp.Write(w, http.StatusCreated, acc)
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var in struct {
		IIN      string `json:"iin"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.WriteError(w, r, err)
		return
	}
	sess, err := s.Login(r.Context(), in.IIN, in.Password)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.SetCookie(w, r, sess)
	jsonhttp.Write(w, http.StatusOK, sess)
}

func (s *Service) handleChallenge(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	c, err := s.NewChallenge(r.Context())
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, c)
}

func (s *Service) handleCertificate(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	var doc []byte
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var in struct {
			XML string `json:"xml"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			s.WriteError(w, r, err)
			return
		}
		doc = []byte(in.XML)
	} else {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxSignedChallenge))
		if err != nil {
			s.WriteError(w, r, refusal(ErrRequestInvalid, "Подписанный запрос на вход слишком велик или не прочитан"))
			return
		}
		doc = b
	}
	sess, err := s.LoginSigned(r.Context(), doc)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.SetCookie(w, r, sess)
	jsonhttp.Write(w, http.StatusOK, sess)
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	if token, _ := tokenOf(r); token != "" {
		if err := s.Logout(r.Context(), token); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	s.ClearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	sess, _ := SessionFrom(r.Context())
	acc, err := s.Account(r.Context(), sess.IIN)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"account": acc, "session": sess})
}

// tokenOf returns the session token of r: "Authorization: Bearer T" first, else the cookie.
func tokenOf(r *http.Request) (token string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, t, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(t) != "" {
			return strings.TrimSpace(t), false
		}
	}
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// Current returns the session of r (bearer token or cookie), for pages that redirect to the
// sign-in instead of answering 401: ErrSessionRequired or ErrSessionExpired when there is none.
// It does not check CSRF; a page handling a form post must (CheckCSRF).
func (s *Service) Current(r *http.Request) (*Session, error) {
	token, _ := tokenOf(r)
	if token == "" {
		return nil, ErrSessionRequired
	}
	return s.Session(r.Context(), token)
}

// CheckCSRF reports whether r carries sess's CSRF value, in the X-CSRF-Token header or else
// the "csrf" field of a urlencoded form.
func CheckCSRF(r *http.Request, sess *Session) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			got = r.PostFormValue("csrf")
		}
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

type ctxKey struct{}

// Require lets through requests with a live session, which it puts in the request context
// (SessionFrom); others get 401 SESSION_REQUIRED or SESSION_EXPIRED (the cookie then cleared).
// An unsafe request (not GET, HEAD, OPTIONS) authenticated by the cookie must carry the
// session's CSRF value in X-CSRF-Token, else 403 CSRF_INVALID.
func (s *Service) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, fromCookie := tokenOf(r)
		if token == "" {
			s.WriteError(w, r, ErrSessionRequired)
			return
		}
		sess, err := s.Session(r.Context(), token)
		if err != nil {
			if fromCookie && (errors.Is(err, ErrSessionExpired) || errors.Is(err, ErrSessionRequired)) {
				s.ClearCookie(w, r)
			}
			s.WriteError(w, r, err)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if fromCookie && subtle.ConstantTimeCompare([]byte(r.Header.Get(CSRFHeader)), []byte(sess.CSRF)) != 1 {
				s.WriteError(w, r, ErrCSRF)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	})
}

// SessionFrom returns the session Require put in ctx.
func SessionFrom(ctx context.Context) (*Session, bool) {
	sess, ok := ctx.Value(ctxKey{}).(*Session)
	return sess, ok && sess != nil
}

// SetCookie sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure over TLS, kept
// by the browser until the session's absolute end. sess must be a new session (it carries the
// token); otherwise nothing is set.
func (s *Service) SetCookie(w http.ResponseWriter, r *http.Request, sess *Session) {
	if sess == nil || sess.Token == "" {
		return
	}
	end := sess.Created.Add(s.o.MaxLifetime)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: sess.Token, Path: "/",
		Expires: end, MaxAge: max(int(end.Sub(s.o.Now()).Seconds()), 1),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// ClearCookie removes the session cookie.
func (s *Service) ClearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}
