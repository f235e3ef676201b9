package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/cabinet"
	"github.com/shep-kz/shep/cabinet/accounts"
)

// Took writes a duration of the timeline in the page's language.
func (v *view) Took(d time.Duration) string { return took(v.Lang, d) }

// Limit writes a regulation's limit ("10wd", "4wd+45min") in the page's language.
func (v *view) Limit(s string) string {
	terms, err := catalogue.ParseLimit(s)
	if err != nil {
		return s
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = fmt.Sprintf(tr(v.Lang, "limit."+t.Unit), t.N)
	}
	return strings.Join(parts, " + ")
}

// Within names whether a step kept its limit: "yes", "no", or "none" when it has none.
func (v *view) Within(b *bool) string {
	switch {
	case b == nil:
		return "none"
	case *b:
		return "yes"
	}
	return "no"
}

// cabinetFail maps the cabinet's errors to the error page.
func (s *Site) cabinetFail(w http.ResponseWriter, r *http.Request, sess *accounts.Session, err error) {
	switch {
	case errors.Is(err, cabinet.ErrNotFound):
		s.fail(w, r, sess, http.StatusNotFound, "APPLICATION_NOT_FOUND")
	case errors.Is(err, cabinet.ErrNoResult):
		s.fail(w, r, sess, http.StatusNotFound, "NO_RESULT")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.fail(w, r, sess, http.StatusServiceUnavailable, "INTERNAL")
	default:
		s.log.ErrorContext(r.Context(), "web: cabinet", "path", r.URL.Path, "err", err)
		s.fail(w, r, sess, http.StatusInternalServerError, "INTERNAL")
	}
}

type homeData struct {
	Apps   []*cabinet.Application
	Unread int
}

// home lists the person's applications.
func (s *Site) home(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	apps, err := s.o.Cabinet.Applications(r.Context(), sess.IIN)
	if err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	ns, err := s.o.Cabinet.Notifications(r.Context(), sess.IIN, true, 0)
	if err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "cabinet", &view{Title: "cabinet.title", Sess: sess, Nav: "cabinet", Unread: len(ns), unreadSet: true,
		Data: homeData{Apps: apps, Unread: len(ns)}})
}

type notificationsData struct {
	List   []cabinet.Notification
	Unread int
}

func (s *Site) notifications(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	ns, err := s.o.Cabinet.Notifications(r.Context(), sess.IIN, false, 200)
	if err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	unread := 0
	for _, n := range ns {
		if !n.Read {
			unread++
		}
	}
	s.render(w, r, http.StatusOK, "notifications", &view{Title: "notifications.title", Sess: sess, Nav: "notifications", Unread: unread, unreadSet: len(ns) < 200,
		Data: notificationsData{List: ns, Unread: unread}})
}

// markRead marks every notification read.
func (s *Site) markRead(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	if _, err := s.o.Cabinet.MarkRead(r.Context(), sess.IIN, nil); err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	setFlash(w, r, "read")
	http.Redirect(w, r, "/cabinet/notifications", http.StatusSeeOther)
}

type option struct {
	Value int
	Text  string
}

type question struct {
	Name, Text string
	Options    []option
}

type answered struct {
	Text, Answer string
	Value        int
}

type applicationData struct {
	D           *cabinet.Detail
	Provider    string
	Verdict     *cabinet.Verdict
	VerdictText string
	Survey      []question
	Answered    []answered
	SurveyError *refusal
}

// pick returns the Kazakh of a pair on a Kazakh page, else the Russian.
func pick(lang string, p [2]string) string {
	if lang == "kk" && p[1] != "" {
		return p[1]
	}
	return p[0]
}

func (s *Site) application(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	s.renderApplication(w, r, sess, http.StatusOK, nil)
}

// renderApplication shows an application: its facts, timeline, result with the signature
// verdict, and the survey (surveyErr: a refusal of the posted survey).
func (s *Site) renderApplication(w http.ResponseWriter, r *http.Request, sess *accounts.Session, status int, surveyErr *refusal) {
	number := mux.Vars(r)["number"]
	d, err := s.o.Cabinet.Application(r.Context(), sess.IIN, number)
	if err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	l := lang(w, r)
	data := applicationData{D: d, Provider: d.Provider, SurveyError: surveyErr}
	if svc, ok := s.o.Catalogue.Service(d.ServiceID); ok {
		data.Provider = pick(l, [2]string{svc.Provider.NameRU, svc.Provider.NameKZ})
	}
	if d.Result != nil {
		v, err := s.o.Cabinet.Verify(r.Context(), sess.IIN, number)
		if err != nil {
			s.cabinetFail(w, r, sess, err)
			return
		}
		data.Verdict = v
		switch {
		case v.Valid:
			data.VerdictText = tr(l, "verdict.ok")
		case l == "kk":
			data.VerdictText = tr(l, "verdict.bad")
		default:
			data.VerdictText = v.Message
		}
	}
	names := [2]string{"quality", "information"}
	for i, q := range cabinet.Questions {
		qq := question{Name: names[i], Text: pick(l, q)}
		for j, a := range cabinet.Answers {
			qq.Options = append(qq.Options, option{Value: j + 1, Text: pick(l, a)})
		}
		data.Survey = append(data.Survey, qq)
	}
	if a := d.Survey; a != nil {
		for i, v := range []int{a.Quality, a.Information} {
			ans := answered{Text: pick(l, cabinet.Questions[i]), Value: v}
			if v >= 1 && v <= len(cabinet.Answers) {
				ans.Answer = pick(l, cabinet.Answers[v-1])
			}
			data.Answered = append(data.Answered, ans)
		}
	}
	s.render(w, r, status, "application", &view{Lang: l, Title: "app.title", Sess: sess, Nav: "cabinet", Data: data})
}

// survey records the two answers of the survey (services.md §6.1).
func (s *Site) survey(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	number := mux.Vars(r)["number"]
	q, err1 := strconv.Atoi(r.PostForm.Get("quality"))
	inf, err2 := strconv.Atoi(r.PostForm.Get("information"))
	if err1 != nil || err2 != nil {
		s.renderApplication(w, r, sess, http.StatusBadRequest, codeRefusal(lang(w, r), "SURVEY_INVALID"))
		return
	}
	_, err := s.o.Cabinet.Answer(r.Context(), sess.IIN, number, q, inf)
	switch {
	case err == nil:
		setFlash(w, r, "surveyed")
		http.Redirect(w, r, "/cabinet/applications/"+number, http.StatusSeeOther)
	case errors.Is(err, cabinet.ErrInvalid):
		s.renderApplication(w, r, sess, http.StatusBadRequest, codeRefusal(lang(w, r), "SURVEY_INVALID"))
	case errors.Is(err, cabinet.ErrSurveyClosed):
		s.renderApplication(w, r, sess, http.StatusConflict, codeRefusal(lang(w, r), "SURVEY_CLOSED"))
	case errors.Is(err, cabinet.ErrSurveyDone):
		s.renderApplication(w, r, sess, http.StatusConflict, codeRefusal(lang(w, r), "SURVEY_DONE"))
	default:
		s.cabinetFail(w, r, sess, err)
	}
}

// result shows the readable result with its signature verdict (results.RenderHTML), with a bar
// to go back and to switch the language. The page's own <style> is allowed by its hash.
func (s *Site) result(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	number := mux.Vars(r)["number"]
	res, err := s.o.Cabinet.Result(r.Context(), sess.IIN, number)
	if err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	l := lang(w, r)
	v := s.o.Cabinet.VerifyXML(r.Context(), res.XML, sess.IIN, number)
	var buf bytes.Buffer
	if err := results.RenderHTML(&buf, res.Document, cabinet.RenderVerdict(v), l); err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	page := buf.Bytes()
	hashes := styleHashes(page)
	bar := s.resultBar(l, number, r.URL.Path, v.Valid)
	page = bytes.Replace(page, []byte("</head>"), []byte(`<link rel="stylesheet" href="/static/result-bar.css">`+"\n</head>"), 1)
	page = bytes.Replace(page, []byte("<body>"), append([]byte("<body>\n"), bar...), 1)
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' "+strings.Join(hashes, " ")+"; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}

var resultBar = template.Must(template.New("bar").Parse(`<nav class="shep-bar" id="result-bar" aria-label="{{.Nav}}" data-valid="{{.Valid}}">` +
	`<a id="back" href="/cabinet/applications/{{.Number}}">← {{.Back}}</a>` +
	`<span class="shep-lang"><a id="lang-ru" lang="ru" href="{{.Path}}?lang=ru">{{.RU}}</a> <a id="lang-kk" lang="kk" href="{{.Path}}?lang=kk">{{.KK}}</a></span>` +
	`<a id="download-xml" href="/cabinet/applications/{{.Number}}/result.xml" download>{{.Download}}</a></nav>` + "\n"))

func (s *Site) resultBar(l, number, path string, valid bool) []byte {
	var b bytes.Buffer
	_ = resultBar.Execute(&b, map[string]any{"Nav": tr(l, "nav.label"), "Number": number, "Path": path, "Valid": valid,
		"Back": tr(l, "result.back"), "RU": tr(l, "lang.ru"), "KK": tr(l, "lang.kk"), "Download": tr(l, "result.download")})
	return b.Bytes()
}

var unsafeFileName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// resultXML is the signed result, byte for byte as stored, as a download named after the
// application.
func (s *Site) resultXML(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	number := mux.Vars(r)["number"]
	res, err := s.o.Cabinet.Result(r.Context(), sess.IIN, number)
	if err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+unsafeFileName.ReplaceAllString(number, "_")+`.xml"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(res.XML)))
	_, _ = w.Write(res.XML)
}
