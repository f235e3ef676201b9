package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shep-kz/shep/cabinet/accounts"
)

type loginData struct {
	Next, IIN string
	Expired   bool
}

func (s *Site) loginPage(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	q := r.URL.Query()
	next := safeNext(q.Get("next"))
	if sess != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", &view{Title: "login.title", Nav: "login", Data: loginData{Next: next, Expired: q.Get("expired") == "1"}})
}

// loginPost signs in with ИИН and password (P1/C1); a refusal (P2) is shown on the form.
func (s *Site) loginPost(w http.ResponseWriter, r *http.Request, _ *accounts.Session) {
	iin := strings.TrimSpace(r.PostForm.Get("iin"))
	next := safeNext(r.PostForm.Get("next"))
	sess, err := s.o.Accounts.Login(r.Context(), iin, r.PostForm.Get("password"))
	if err != nil {
		s.authRefused(w, r, err, "login", &view{Title: "login.title", Nav: "login", Data: loginData{Next: next, IIN: iin}})
		return
	}
	s.o.Accounts.SetCookie(w, r, sess)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// authRefused renders page again with the refusal err (status as the accounts give it).
func (s *Site) authRefused(w http.ResponseWriter, r *http.Request, err error, page string, v *view) {
	status := http.StatusInternalServerError
	var e *accounts.Error
	if errors.As(err, &e) {
		status = e.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		if e.Code == accounts.ErrAccountLocked.Code && !e.Until.IsZero() {
			w.Header().Set("Retry-After", strconv.Itoa(max(int(time.Until(e.Until).Seconds()), 1)))
		}
	} else {
		s.log.ErrorContext(r.Context(), "web: accounts", "page", page, "err", err)
	}
	v.Lang = lang(w, r)
	v.Error = accountsRefusal(v.Lang, err)
	s.render(w, r, status, page, v)
}

type ecpData struct {
	Next, XML string
	Expires   time.Time
}

// ecpPage shows a fresh sign-in challenge to be signed with the AUTH key.
func (s *Site) ecpPage(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	next := safeNext(r.URL.Query().Get("next"))
	if sess != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.renderECP(w, r, http.StatusOK, next, nil)
}

func (s *Site) renderECP(w http.ResponseWriter, r *http.Request, status int, next string, refused error) {
	v := &view{Title: "ecp.title", Nav: "login", Lang: lang(w, r)}
	d := ecpData{Next: next}
	c, err := s.o.Accounts.NewChallenge(r.Context())
	switch {
	case err != nil:
		if refused == nil {
			refused = err
			status = http.StatusNotFound
			var e *accounts.Error
			if errors.As(err, &e) && e.Status != 0 {
				status = e.Status
			}
		}
	default:
		d.XML, d.Expires = c.XML, c.Expires
	}
	if refused != nil {
		v.Error = accountsRefusal(v.Lang, refused)
	}
	v.Data = d
	s.render(w, r, status, "login_ecp", v)
}

// ecpPost signs in with the signed challenge.
func (s *Site) ecpPost(w http.ResponseWriter, r *http.Request, _ *accounts.Session) {
	next := safeNext(r.PostForm.Get("next"))
	signed := strings.TrimSpace(r.PostForm.Get("signed"))
	sess, err := s.o.Accounts.LoginSigned(r.Context(), []byte(signed))
	if err != nil {
		status := http.StatusUnauthorized
		var e *accounts.Error
		if errors.As(err, &e) && e.Status != 0 {
			status = e.Status
		} else if !errors.As(err, &e) {
			status = http.StatusInternalServerError
			s.log.ErrorContext(r.Context(), "web: certificate sign-in", "err", err)
		}
		s.renderECP(w, r, status, next, err)
		return
	}
	s.o.Accounts.SetCookie(w, r, sess)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

type registerData struct{ IIN, Phone, Email string }

func (s *Site) registerPage(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	if sess != nil {
		http.Redirect(w, r, "/cabinet", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "register", &view{Title: "register.title", Nav: "register", Data: registerData{}})
}

// registerPost registers a citizen (P0); then they sign in.
func (s *Site) registerPost(w http.ResponseWriter, r *http.Request, _ *accounts.Session) {
	f := r.PostForm
	in := accounts.Registration{IIN: strings.TrimSpace(f.Get("iin")), Password: f.Get("password"), Phone: strings.TrimSpace(f.Get("phone")), Email: strings.TrimSpace(f.Get("email"))}
	v := &view{Title: "register.title", Nav: "register", Data: registerData{IIN: in.IIN, Phone: in.Phone, Email: in.Email}}
	if in.Password != f.Get("password2") {
		v.Lang = lang(w, r)
		v.Error = codeRefusal(v.Lang, "PASSWORD_MISMATCH")
		s.render(w, r, http.StatusBadRequest, "register", v)
		return
	}
	if _, err := s.o.Accounts.Register(r.Context(), in); err != nil {
		s.authRefused(w, r, err, "register", v)
		return
	}
	setFlash(w, r, "registered")
	http.Redirect(w, r, "/login?"+url.Values{"next": {"/cabinet"}}.Encode(), http.StatusSeeOther)
}

// logout ends the session (the form carries the CSRF token, checked by signedIn).
func (s *Site) logout(w http.ResponseWriter, r *http.Request, _ *accounts.Session) {
	if c, err := r.Cookie(accounts.CookieName); err == nil && c.Value != "" {
		if err := s.o.Accounts.Logout(r.Context(), c.Value); err != nil {
			s.log.ErrorContext(r.Context(), "web: logout", "err", err)
		}
	}
	s.o.Accounts.ClearCookie(w, r)
	setFlash(w, r, "bye")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
