// Package web is the server-rendered web site of the личный кабинет: sign-in and registration,
// the person's applications with their timeline, results and survey, the portal's application
// forms and the public quality indicators, in Russian and Kazakh, with no JavaScript required.
//
// Security: every page carries a strict Content-Security-Policy (no inline scripts or styles,
// no framing), nosniff and a same-origin referrer policy; html/template escapes every value.
// Pages under /cabinet need the accounts' session cookie (HttpOnly, SameSite=Strict) and
// redirect to /login without it. Every form posted after sign-in carries the session's CSRF
// token in a hidden field, checked in constant time (403 otherwise). The sign-in and
// registration forms have no session to bind a token to: they rely on the SameSite=Strict
// cookie (a cross-site post never carries a session) and on http.CrossOriginProtection, which
// refuses cross-origin form posts (Sec-Fetch-Site / Origin), so another site cannot sign a
// visitor in to an account of its choosing. The same protection guards every other post too.
package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/cabinet"
	"github.com/shep-kz/shep/cabinet/accounts"
	"github.com/shep-kz/shep/cabinet/portal"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Limits of posted forms.
const (
	MaxForm   = 256 << 10 // a urlencoded form (a signed challenge, percent-encoded, included)
	MaxUpload = 10 << 20  // an application form with its attachments (multipart)
)

// Security headers of every page.
const (
	contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
	flashCookie           = "shep_flash"
	langCookie            = "lang"
)

// Options configure a Site. Accounts, Cabinet, Portal and Catalogue are required.
type Options struct {
	Accounts  *accounts.Service
	Cabinet   *cabinet.Service
	Portal    *portal.Portal
	Catalogue *catalogue.Catalogue
	Logger    *slog.Logger
}

// Site is the web site. It is safe for concurrent use.
type Site struct {
	o      Options
	log    *slog.Logger
	pages  map[string]*template.Template
	static http.Handler
	cop    *http.CrossOriginProtection
}

// pageNames are the templates of the pages, each rendered inside layout.html.
var pageNames = []string{"login", "login_ecp", "register", "cabinet", "notifications", "application", "apply_list", "apply_form", "operator", "error"}

// New checks o and parses the templates.
func New(o Options) (*Site, error) {
	if o.Accounts == nil || o.Cabinet == nil || o.Portal == nil || o.Catalogue == nil {
		return nil, errors.New("web: Accounts, Cabinet, Portal and Catalogue are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	base, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: layout: %w", err)
	}
	s := &Site{o: o, log: o.Logger, pages: map[string]*template.Template{}, cop: http.NewCrossOriginProtection()}
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: page %s: %w", name, err)
		}
		s.pages[name] = t
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	s.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, http.StatusForbidden, "CROSS_ORIGIN")
	}))
	return s, nil
}

// Routes mounts the site on r (absolute paths):
//
//	GET  /                                          → /cabinet or /login
//	GET  /login, POST /login                        ИИН and password
//	GET  /login/ecp, POST /login/ecp                sign-in by a signed challenge (AUTH key)
//	GET  /register, POST /register
//	POST /logout
//	GET  /cabinet                                   applications, unread notifications
//	GET  /cabinet/notifications, POST /cabinet/notifications/read
//	GET  /cabinet/applications/{number}             timeline, result, verdict, survey
//	GET  /cabinet/applications/{number}/result      the readable result
//	GET  /cabinet/applications/{number}/result.xml  the signed result (download)
//	POST /cabinet/applications/{number}/survey
//	GET  /cabinet/apply, GET|POST /cabinet/apply/{service}
//	GET  /operator                                  quality and accessibility indicators (public)
//	GET  /static/…                                  CSS
func (s *Site) Routes(r *mux.Router) {
	get, post := http.MethodGet, http.MethodPost
	r.Handle("/", s.public(s.root)).Methods(get)
	r.Handle("/login", s.public(s.loginPage)).Methods(get)
	r.Handle("/login", s.public(s.loginPost)).Methods(post)
	r.Handle("/login/ecp", s.public(s.ecpPage)).Methods(get)
	r.Handle("/login/ecp", s.public(s.ecpPost)).Methods(post)
	r.Handle("/register", s.public(s.registerPage)).Methods(get)
	r.Handle("/register", s.public(s.registerPost)).Methods(post)
	r.Handle("/logout", s.signedIn(s.logout)).Methods(post)
	r.Handle("/cabinet", s.signedIn(s.home)).Methods(get)
	r.Handle("/cabinet/notifications", s.signedIn(s.notifications)).Methods(get)
	r.Handle("/cabinet/notifications/read", s.signedIn(s.markRead)).Methods(post)
	r.Handle("/cabinet/applications/{number}", s.signedIn(s.application)).Methods(get)
	r.Handle("/cabinet/applications/{number}/result", s.signedIn(s.result)).Methods(get)
	r.Handle("/cabinet/applications/{number}/result.xml", s.signedIn(s.resultXML)).Methods(get)
	r.Handle("/cabinet/applications/{number}/survey", s.signedIn(s.survey)).Methods(post)
	r.Handle("/cabinet/apply", s.signedIn(s.applyList)).Methods(get)
	r.Handle("/cabinet/apply/{service}", s.signedIn(s.applyForm)).Methods(get)
	r.Handle("/cabinet/apply/{service}", s.signedIn(s.applyPost)).Methods(post)
	r.Handle("/operator", s.public(s.operator)).Methods(get)
	r.PathPrefix("/static/").Handler(s.secure(s.serveStatic)).Methods(get, http.MethodHead)
}

// secure sets the security headers and refuses cross-origin posts.
func (s *Site) secure(h http.HandlerFunc) http.Handler {
	return s.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h(w, r)
	}))
}

func (s *Site) serveStatic(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
		s.fail(w, r, nil, http.StatusNotFound, "NOT_FOUND")
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.static.ServeHTTP(w, r)
}

// public serves a page open to everyone; the session, when there is one, shows in the header.
func (s *Site) public(h func(w http.ResponseWriter, r *http.Request, sess *accounts.Session)) http.Handler {
	return s.secure(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		sess, _ := s.o.Accounts.Current(r)
		if r.Method == http.MethodPost && !s.parseForm(w, r, sess) {
			return
		}
		h(w, r, sess)
	})
}

// signedIn serves a page of the cabinet: without a live session it redirects to /login?next=…;
// a post must carry the session's CSRF token.
func (s *Site) signedIn(h func(w http.ResponseWriter, r *http.Request, sess *accounts.Session)) http.Handler {
	return s.secure(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		sess, err := s.o.Accounts.Current(r)
		if err != nil {
			if !errors.Is(err, accounts.ErrSessionRequired) && !errors.Is(err, accounts.ErrSessionExpired) {
				s.fail(w, r, nil, http.StatusInternalServerError, "INTERNAL")
				s.log.ErrorContext(r.Context(), "web: session", "err", err)
				return
			}
			if c, cerr := r.Cookie(accounts.CookieName); cerr == nil && c.Value != "" {
				s.o.Accounts.ClearCookie(w, r)
			}
			q := url.Values{}
			next := r.URL.Path
			if r.Method == http.MethodGet && r.URL.RawQuery != "" {
				next += "?" + r.URL.RawQuery
			}
			if r.Method != http.MethodGet {
				next = formPage(r.URL.Path)
			}
			q.Set("next", next)
			if errors.Is(err, accounts.ErrSessionExpired) {
				q.Set("expired", "1")
			}
			http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			if !s.parseForm(w, r, sess) {
				return
			}
			if !checkCSRF(r, sess) {
				s.fail(w, r, sess, http.StatusForbidden, "CSRF_INVALID")
				return
			}
		}
		h(w, r, sess)
	})
}

// formPage is the page a form posted to path is on.
func formPage(path string) string {
	switch {
	case path == "/logout":
		return "/cabinet"
	case path == "/cabinet/notifications/read":
		return "/cabinet/notifications"
	case strings.HasPrefix(path, "/cabinet/applications/") && strings.HasSuffix(path, "/survey"):
		return strings.TrimSuffix(path, "/survey")
	}
	return path
}

// parseForm reads a posted form: multipart up to MaxUpload, urlencoded up to MaxForm.
func (s *Site) parseForm(w http.ResponseWriter, r *http.Request, sess *accounts.Session) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
		err = r.ParseMultipartForm(MaxUpload)
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, sess, http.StatusRequestEntityTooLarge, "TOO_LARGE")
		} else {
			s.fail(w, r, sess, http.StatusBadRequest, "REQUEST_INVALID")
		}
		return false
	}
	return true
}

// checkCSRF reports whether the posted form carries the session's CSRF token.
func checkCSRF(r *http.Request, sess *accounts.Session) bool {
	got := r.PostForm.Get("csrf")
	return got != "" && sess.CSRF != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// lang is the language of the page: ?lang=ru|kk (remembered in the lang cookie), else the cookie,
// else Russian.
func lang(w http.ResponseWriter, r *http.Request) string {
	l := cabinet.Lang(r)
	if q := r.URL.Query().Get("lang"); q == "ru" || q == "kk" || q == "kz" {
		if q == "ru" {
			l = "ru" // the query wins over the cookie
		}
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	return l
}

// view is what every page template gets.
type view struct {
	Lang   string
	Title  string // translation key
	Path   string // of this page, for the language switch
	Sess   *accounts.Session
	Unread int
	Flash  string
	Error  *refusal
	Nav    string
	Data   any

	unreadSet bool // Unread is already counted
}

// T translates key into the page's language.
func (v *view) T(key string) string { return tr(v.Lang, key) }

// Tf translates key and formats it with args.
func (v *view) Tf(key string, args ...any) string { return fmt.Sprintf(tr(v.Lang, key), args...) }

// Pick returns the Kazakh text on a Kazakh page (the Russian when it is empty), else the Russian.
func (v *view) Pick(ru, kz string) string {
	if v.Lang == "kk" && strings.TrimSpace(kz) != "" {
		return kz
	}
	return ru
}

// Time formats a moment in the time of Astana.
func (v *view) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(astana).Format("02.01.2006 15:04")
}

// LangURL is this page in another language.
func (v *view) LangURL(l string) string { return v.Path + "?lang=" + l }

// astana is the time of Kazakhstan (UTC+5).
var astana = time.FixedZone("UTC+5", 5*60*60)

// render writes page name with status. The unread count shows in the header of a signed-in page.
func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.Lang == "" {
		v.Lang = lang(w, r)
	}
	if v.Path == "" {
		v.Path = r.URL.Path
		if r.Method != http.MethodGet {
			v.Path = formPage(r.URL.Path) // the language switch is a GET of the form's page
		}
	}
	if v.Sess != nil && v.Nav != "" && !v.unreadSet {
		if ns, err := s.o.Cabinet.Notifications(r.Context(), v.Sess.IIN, true, 0); err == nil {
			v.Unread = len(ns)
		}
	}
	if v.Flash == "" {
		v.Flash = s.takeFlash(w, r, v.Lang)
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page with a code of the translation table.
func (s *Site) fail(w http.ResponseWriter, r *http.Request, sess *accounts.Session, status int, code string) {
	l := lang(w, r)
	nav := ""
	if sess != nil {
		nav = "none"
	}
	s.render(w, r, status, "error", &view{Lang: l, Title: "error.title", Sess: sess, Nav: nav, Error: codeRefusal(l, code), Data: status})
}

// Flash messages survive one redirect in a short-lived cookie: a key of the translation table,
// and for "accepted" the application's number.
var flashValue = regexp.MustCompile(`^(accepted|surveyed|read|registered|bye)(:[A-Za-z0-9._-]{1,64})?$`)

func setFlash(w http.ResponseWriter, r *http.Request, value string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: value, Path: "/", MaxAge: 120, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

func (s *Site) takeFlash(w http.ResponseWriter, r *http.Request, l string) string {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	m := flashValue.FindStringSubmatch(c.Value)
	if m == nil {
		return ""
	}
	txt := tr(l, "flash."+m[1])
	if m[2] != "" {
		txt = fmt.Sprintf(txt, m[2][1:])
	}
	return txt
}

// safeNext returns next when it is a local path, else "/cabinet".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/cabinet"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\r\n") {
		return "/cabinet"
	}
	return next
}

func (s *Site) root(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	if sess != nil {
		http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// styleHashes returns the CSP sources allowing the <style> elements of page, by their SHA-256.
func styleHashes(page []byte) []string {
	var out []string
	rest := page
	for {
		i := bytes.Index(rest, []byte("<style>"))
		if i < 0 {
			return out
		}
		rest = rest[i+len("<style>"):]
		j := bytes.Index(rest, []byte("</style>"))
		if j < 0 {
			return out
		}
		sum := sha256.Sum256(rest[:j])
		out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		rest = rest[j:]
	}
}
