package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/cabinet/accounts"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

func TestSecurityHeaders(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	w.register(alice)
	for _, path := range []string{"/login", "/register", "/login/ecp", "/operator", "/static/site.css", "/cabinet", "/"} {
		p := b.get(path)
		if got := p.header.Get("Content-Security-Policy"); got != contentSecurityPolicy {
			t.Errorf("%s: CSP %q", path, got)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", path, p.header)
		}
	}
	b.login(alice)
	for _, path := range []string{"/cabinet", "/cabinet/notifications", "/cabinet/apply", "/cabinet/apply/AKT-1", "/cabinet/applications/nope"} {
		p := b.get(path)
		if p.header.Get("Content-Security-Policy") != contentSecurityPolicy || p.header.Get("X-Content-Type-Options") != "nosniff" ||
			p.header.Get("Referrer-Policy") != "same-origin" || p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, p.header)
		}
		if strings.Contains(p.body, "style=") || strings.Contains(p.body, "<script") || strings.Contains(p.body, "<style") {
			t.Errorf("%s: inline style or script would be refused by the CSP", path)
		}
	}
	if p := b.get("/static/site.css"); p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Errorf("site.css: %d %s", p.status, p.header.Get("Content-Type"))
	}
	for _, path := range []string{"/static/", "/static/nope.css", "/static/../web.go"} {
		if p := b.get(path); (p.status != http.StatusNotFound && p.status != http.StatusMovedPermanently) || strings.Contains(p.body, `href="site.css"`) || strings.Contains(p.body, "package web") {
			t.Errorf("%s: %d", path, p.status)
		}
	}
}

func TestRedirectsWithoutSession(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/", "/login"},
		{"GET", "/cabinet", "/login?next=%2Fcabinet"},
		{"GET", "/cabinet/notifications", "/login?next=%2Fcabinet%2Fnotifications"},
		{"GET", "/cabinet/applications/AKT-1-1?lang=kk", "/login?next=%2Fcabinet%2Fapplications%2FAKT-1-1%3Flang%3Dkk"},
		{"GET", "/cabinet/applications/AKT-1-1/result.xml", "/login?next=%2Fcabinet%2Fapplications%2FAKT-1-1%2Fresult.xml"},
		{"GET", "/cabinet/apply/AKT-1", "/login?next=%2Fcabinet%2Fapply%2FAKT-1"},
		{"POST", "/cabinet/applications/AKT-1-1/survey", "/login?next=%2Fcabinet%2Fapplications%2FAKT-1-1"},
		{"POST", "/logout", "/login?next=%2Fcabinet"},
	} {
		var p page
		if tc.method == "GET" {
			p = b.get(tc.path)
		} else {
			p = b.post(tc.path, url.Values{"quality": {"3"}})
		}
		if p.status != http.StatusSeeOther || p.location() != tc.want {
			t.Errorf("%s %s: %d → %q, want %q", tc.method, tc.path, p.status, p.location(), tc.want)
		}
	}
	// A forged cookie is no session either.
	u, _ := url.Parse(w.srv.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: accounts.CookieName, Value: strings.Repeat("A", 43)}})
	if p := b.get("/cabinet"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login?") {
		t.Errorf("forged cookie: %d %s", p.status, p.location())
	}
}

func TestRegisterAndLogin(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	if p := b.get("/register"); p.status != http.StatusOK || !strings.Contains(p.body, `id="register-submit"`) {
		t.Fatalf("register page: %d", p.status)
	}
	form := func(iin, pw, pw2 string) url.Values {
		return url.Values{"iin": {iin}, "password": {pw}, "password2": {pw2}, "phone": {"+7 701 234 56 78"}, "email": {"aigul@example.kz"}}
	}
	for _, tc := range []struct {
		name       string
		form       url.Values
		status     int
		code, text string
	}{
		{"weak password", form(alice, "short", "short"), http.StatusBadRequest, "WEAK_PASSWORD", "от 8 до 128 символов"},
		{"passwords differ", form(alice, password, password+"x"), http.StatusBadRequest, "PASSWORD_MISMATCH", "Пароли не совпадают"},
		{"bad ИИН", form("931002451326", password, password), http.StatusBadRequest, "IIN_INVALID", "контрольной цифрой"},
		{"not in ГБД ФЛ", form(stranger, password, password), http.StatusForbidden, "PERSON_NOT_FOUND", "ГБД ФЛ"},
		{"bad phone", url.Values{"iin": {alice}, "password": {password}, "password2": {password}, "phone": {"12"}}, http.StatusBadRequest, "CONTACT_INVALID", "телефона"},
	} {
		p := b.post("/register", tc.form)
		if p.status != tc.status || p.errorCode() != tc.code || !strings.Contains(p.text(), tc.text) {
			t.Errorf("%s: %d %q\n%s", tc.name, p.status, p.errorCode(), p.body)
		}
		if tc.code != "IIN_INVALID" && !strings.Contains(p.body, `value="`+tc.form.Get("iin")+`"`) {
			t.Errorf("%s: the ИИН is not kept in the form", tc.name)
		}
		if strings.Contains(p.body, tc.form.Get("password")) && tc.form.Get("password") != "" && len(tc.form.Get("password")) > 5 {
			t.Errorf("%s: the password is echoed", tc.name)
		}
	}
	p := b.post("/register", form(alice, password, password))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
		t.Fatalf("register: %d %s\n%s", p.status, p.location(), p.body)
	}
	if p := b.get(p.location()); !strings.Contains(p.text(), "Регистрация завершена") {
		t.Errorf("no flash after registration:\n%s", p.body)
	}
	if p := b.post("/register", form(alice, password, password)); p.status != http.StatusConflict || p.errorCode() != "ALREADY_REGISTERED" {
		t.Errorf("registered twice: %d %s", p.status, p.errorCode())
	}

	// Sign-in: the refusal P2, then success to the page asked for.
	p = b.post("/login", url.Values{"iin": {alice}, "password": {"Wrong2025"}, "next": {"/cabinet/notifications"}})
	if p.status != http.StatusUnauthorized || p.errorCode() != "AUTH_REFUSED" || !strings.Contains(p.text(), "Отказ в авторизации в связи с имеющимися нарушениями в данных услугополучателя") {
		t.Fatalf("wrong password: %d %s\n%s", p.status, p.errorCode(), p.body)
	}
	if !strings.Contains(p.body, `name="next" value="/cabinet/notifications"`) {
		t.Error("next is lost after a refusal")
	}
	p = b.post("/login", url.Values{"iin": {alice}, "password": {password}, "next": {"/cabinet/notifications"}})
	if p.status != http.StatusSeeOther || p.location() != "/cabinet/notifications" {
		t.Fatalf("login: %d %s", p.status, p.location())
	}
	var sessCookie *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == accounts.CookieName {
			sessCookie = c
		}
	}
	if sessCookie == nil || !sessCookie.HttpOnly || sessCookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", sessCookie)
	}
	if p := b.get("/cabinet"); p.status != http.StatusOK || !strings.Contains(p.body, aliceName) || !strings.Contains(p.body, `id="no-applications"`) {
		t.Fatalf("cabinet: %d\n%s", p.status, p.body)
	}
	if p := b.get("/login"); p.status != http.StatusSeeOther || p.location() != "/cabinet" {
		t.Errorf("login page while signed in: %d %s", p.status, p.location())
	}
	if p := b.get("/"); p.location() != "/cabinet" {
		t.Errorf("/ while signed in: %s", p.location())
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"": "/cabinet", "/cabinet/apply": "/cabinet/apply", "//evil.example/x": "/cabinet",
		"https://evil.example/": "/cabinet", "/\\evil.example": "/cabinet", "cabinet": "/cabinet", "/operator?lang=kk": "/operator?lang=kk"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
	w := newWorld(t)
	w.register(alice)
	p := w.browser().post("/login", url.Values{"iin": {alice}, "password": {password}, "next": {"//evil.example/"}})
	if p.location() != "/cabinet" {
		t.Errorf("open redirect: %s", p.location())
	}
}

func TestLockout(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	b := w.browser()
	var p page
	for range 5 {
		p = b.post("/login", url.Values{"iin": {alice}, "password": {"Wrong2025"}})
	}
	if p.status != http.StatusTooManyRequests || p.errorCode() != "ACCOUNT_LOCKED" || p.header.Get("Retry-After") == "" || !strings.Contains(p.text(), "время Астаны") {
		t.Fatalf("locked: %d %s %v\n%s", p.status, p.errorCode(), p.header, p.body)
	}
	p = b.post("/login?lang=kk", url.Values{"iin": {alice}, "password": {password}})
	if p.errorCode() != "ACCOUNT_LOCKED" || !strings.Contains(p.text(), "Астана уақыты") || !strings.Contains(p.text(), "уақытша бұғатталды") {
		t.Errorf("locked, in Kazakh:\n%s", p.body)
	}
}

func TestExpiredSession(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	b := w.browser()
	b.login(alice)
	w.clock.Advance(21 * time.Minute) // past the idle timeout
	p := b.get("/cabinet/apply")
	if p.status != http.StatusSeeOther || p.location() != "/login?expired=1&next=%2Fcabinet%2Fapply" {
		t.Fatalf("expired: %d %s", p.status, p.location())
	}
	lp := b.get(p.location())
	if !strings.Contains(lp.text(), "Сессия истекла") || !strings.Contains(lp.body, `name="next" value="/cabinet/apply"`) {
		t.Errorf("login page after expiry:\n%s", lp.body)
	}
	if p := b.get("/cabinet"); p.location() != "/login?next=%2Fcabinet" {
		t.Errorf("the expired cookie is not cleared: %s", p.location())
	}
}

func TestCSRF(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	c := w.apply(alice, "AKT-1")
	b := w.browser()
	token := b.login(alice)
	for _, tc := range []struct {
		name string
		form url.Values
	}{{"none", url.Values{}}, {"wrong", url.Values{"csrf": {"x" + token}}}} {
		if p := b.post("/cabinet/notifications/read", tc.form); p.status != http.StatusForbidden || p.errorCode() != "CSRF_INVALID" {
			t.Errorf("mark read, %s token: %d %s", tc.name, p.status, p.errorCode())
		}
		if p := b.post("/logout", tc.form); p.status != http.StatusForbidden {
			t.Errorf("logout, %s token: %d", tc.name, p.status)
		}
		if p := b.postMultipart("/cabinet/apply/AKT-1", map[string]string{"csrf": tc.form.Get("csrf"), "neverEmployed": "true"}, nil); p.status != http.StatusForbidden {
			t.Errorf("apply, %s token: %d", tc.name, p.status)
		}
	}
	if n, _ := w.cab.Notifications(context.Background(), alice, true, 0); len(n) != 1 {
		t.Fatalf("a refused post changed something: %d unread", len(n))
	}
	if w.gw.last != nil {
		t.Fatal("a refused post reached the gateway")
	}
	// A cross-site post is refused even with the token (and login has none).
	if p := b.post("/cabinet/notifications/read", url.Values{"csrf": {token}}, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden || p.errorCode() != "CROSS_ORIGIN" {
		t.Errorf("cross-site post: %d %s", p.status, p.errorCode())
	}
	if p := b.post("/login", url.Values{"iin": {alice}, "password": {password}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
		t.Errorf("cross-site login: %d", p.status)
	}
	p := b.post("/cabinet/notifications/read", url.Values{"csrf": {token}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("mark read: %d %s", p.status, p.body)
	}
	if p := b.get("/cabinet/notifications"); !strings.Contains(p.text(), "отмечены как прочитанные") || !strings.Contains(p.body, `data-id="`+c.Number+`#0" data-read="true"`) {
		t.Errorf("notifications after marking:\n%s", p.body)
	}
	if p := b.post("/logout", url.Values{"csrf": {token}}); p.status != http.StatusSeeOther || p.location() != "/login" {
		t.Fatalf("logout: %d %s", p.status, p.location())
	}
	if p := b.get("/cabinet"); p.status != http.StatusSeeOther {
		t.Errorf("still signed in after logout: %d", p.status)
	}
}

func TestKazakh(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	b := w.browser()
	p := b.get("/login?lang=kk")
	if !strings.Contains(p.body, `<html lang="kk">`) || !strings.Contains(p.text(), "Жеке кабинетке кіру") || strings.Contains(p.text(), "Вход в личный кабинет") {
		t.Fatalf("Kazakh login page:\n%s", p.body)
	}
	// Remembered in the cookie.
	p = b.get("/register")
	if !strings.Contains(p.text(), "Порталда тіркелу") || !strings.Contains(p.text(), "ЖСН") {
		t.Errorf("the language is not remembered:\n%s", p.body)
	}
	p = b.post("/login", url.Values{"iin": {alice}, "password": {"Wrong2025"}})
	if p.errorCode() != "AUTH_REFUSED" || !strings.Contains(p.text(), "авторизациядан бас тарту") {
		t.Errorf("Kazakh refusal:\n%s", p.body)
	}
	c := w.decide(w.apply(alice, "AKT-1"))
	b.login(alice)
	p = b.get("/cabinet")
	svc, _ := w.cat.Service("AKT-1")
	for _, want := range []string{"Қызметтерді алу тарихы", svc.NameKZ, c.Status.NameKZ(), "Электрондық үкімет порталы"} {
		if !strings.Contains(p.text(), want) {
			t.Errorf("Kazakh cabinet lacks %q", want)
		}
	}
	p = b.get("/cabinet/applications/" + c.Number)
	for _, want := range []string{"Орындалу барысы", "Қолтаңба жарамды", "Қызмет сапасын бағалау", "қанағаттанамын", "Электрондық мемлекеттік қызметті көрсету үдерісінің сапасына"} {
		if !strings.Contains(p.text(), want) {
			t.Errorf("Kazakh application page lacks %q", want)
		}
	}
	if p := b.get("/cabinet/applications/" + c.Number + "/result"); !strings.Contains(p.text(), "Қолтаңба жарамды") {
		t.Errorf("Kazakh result page:\n%s", p.body)
	}
	p = b.get("/operator?lang=ru")
	if !strings.Contains(p.body, `<html lang="ru">`) || !strings.Contains(p.text(), "Показатели качества и доступности") {
		t.Errorf("back to Russian:\n%s", p.body)
	}
}

func TestApplicationPages(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	open := w.apply(alice, "AKT-1")
	done := w.decide(w.apply(alice, "AKT-1"))
	b := w.browser()
	token := b.login(alice)

	p := b.get("/cabinet")
	for _, want := range []string{`data-number="` + open.Number + `" data-status="received"`, `data-number="` + done.Number + `" data-status="delivered"`,
		`href="/cabinet/applications/` + done.Number + `/result"`, `id="unread-count">4<`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("cabinet lacks %s\n%s", want, p.body)
		}
	}

	svc, _ := w.cat.Service("AKT-1")
	bin := svc.Provider.BIN
	p = b.get("/cabinet/applications/" + done.Number)
	if p.status != http.StatusOK {
		t.Fatalf("application: %d\n%s", p.status, p.body)
	}
	for _, want := range []string{`data-status="submitted" data-within="none"`, `data-status="received" data-within="yes"`,
		`data-status="completed" data-within="yes"`, `data-status="delivered" data-within="yes"`,
		`id="verdict" class="verdict valid" data-valid="true"`, `id="signer-iin">870412300317<`, `id="signer-bin">` + bin + `<`,
		`id="signer-name">СЕРИКОВ АЛМАС<`, `id="signer-issuer">`, `id="signer-serial" class="mono">`, `id="download-xml"`, `id="survey-submit"`, `name="quality" value="3"`, `name="information" value="1"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("application page lacks %s\n%s", want, p.body)
		}
	}
	if p := b.get("/cabinet/applications/" + open.Number); !strings.Contains(p.body, `id="no-result"`) || !strings.Contains(p.body, `id="survey-closed"`) {
		t.Errorf("an open application:\n%s", p.body)
	}

	// The readable result, with the page's own style allowed by its hash.
	p = b.get("/cabinet/applications/" + done.Number + "/result")
	csp := p.header.Get("Content-Security-Policy")
	if p.status != http.StatusOK || !strings.Contains(p.text(), "Подпись действительна") || !strings.Contains(p.text(), "СЕРИКОВ АЛМАС БОЛАТОВИЧ") ||
		!strings.Contains(csp, "'sha256-") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("result page: %d %s\n%s", p.status, csp, p.body)
	}
	for _, h := range styleHashes(p.raw) {
		if !strings.Contains(csp, h) {
			t.Errorf("style %s is not allowed by %s", h, csp)
		}
	}

	// The download is the stored document, byte for byte.
	p = b.get("/cabinet/applications/" + done.Number + "/result.xml")
	if p.status != http.StatusOK || !bytes.Equal(p.raw, done.Result.Document) {
		t.Fatalf("download: %d, %d bytes, want %d", p.status, len(p.raw), len(done.Result.Document))
	}
	if cd := p.header.Get("Content-Disposition"); cd != `attachment; filename="`+done.Number+`.xml"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if _, err := signing.VerifyEnveloped(p.raw, signing.Options{}); err != nil {
		t.Errorf("the download does not verify: %v", err)
	}
	if p := b.get("/cabinet/applications/" + open.Number + "/result.xml"); p.status != http.StatusNotFound || p.errorCode() != "NO_RESULT" {
		t.Errorf("no result yet: %d %s", p.status, p.errorCode())
	}

	// The survey: an incomplete answer, then the answer, then no second one.
	surveyPath := "/cabinet/applications/" + done.Number + "/survey"
	if p := b.post(surveyPath, url.Values{"csrf": {token}, "quality": {"3"}}); p.status != http.StatusBadRequest || p.errorCode() != "SURVEY_INVALID" ||
		!strings.Contains(p.body, `id="lang-kk" href="/cabinet/applications/`+done.Number+`?lang=kk"`) {
		t.Errorf("half a survey: %d %s\n%s", p.status, p.errorCode(), p.body)
	}
	if p := b.post(surveyPath, url.Values{"csrf": {token}, "quality": {"3"}, "information": {"7"}}); p.status != http.StatusBadRequest {
		t.Errorf("answer 7: %d", p.status)
	}
	if p := b.post("/cabinet/applications/"+open.Number+"/survey", url.Values{"csrf": {token}, "quality": {"3"}, "information": {"2"}}); p.status != http.StatusConflict {
		t.Errorf("survey before the result: %d", p.status)
	}
	p = b.post(surveyPath, url.Values{"csrf": {token}, "quality": {"3"}, "information": {"2"}})
	if p.status != http.StatusSeeOther || p.location() != "/cabinet/applications/"+done.Number {
		t.Fatalf("survey: %d %s\n%s", p.status, p.location(), p.body)
	}
	p = b.get(p.location())
	if !strings.Contains(p.text(), "Спасибо, ваша оценка учтена") || !strings.Contains(p.body, `id="survey-answers"`) ||
		!strings.Contains(p.body, `data-answer="3">удовлетворен<`) || !strings.Contains(p.body, `data-answer="2">частично удовлетворен<`) || strings.Contains(p.body, `id="survey-submit"`) {
		t.Errorf("after the survey:\n%s", p.body)
	}
	if p := b.post(surveyPath, url.Values{"csrf": {token}, "quality": {"1"}, "information": {"1"}}); p.status != http.StatusConflict || p.errorCode() != "SURVEY_DONE" {
		t.Errorf("second survey: %d %s", p.status, p.errorCode())
	}

	// The indicators, public.
	p = w.browser().get("/operator")
	if p.status != http.StatusOK || !regexp.MustCompile(`data-service="AKT-1" data-answers="1"`).MatchString(p.body) {
		t.Errorf("operator:\n%s", p.body)
	}
}

func TestOtherPersonsApplication(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	theirs := w.decide(w.apply(bob, "AKT-1"))
	b := w.browser()
	token := b.login(alice)
	for _, path := range []string{"", "/result", "/result.xml"} {
		p := b.get("/cabinet/applications/" + theirs.Number + path)
		if p.status != http.StatusNotFound || p.errorCode() != "APPLICATION_NOT_FOUND" || strings.Contains(p.body, "RT-") {
			t.Errorf("%s: %d %s", path, p.status, p.errorCode())
		}
	}
	if p := b.post("/cabinet/applications/"+theirs.Number+"/survey", url.Values{"csrf": {token}, "quality": {"1"}, "information": {"1"}}); p.status != http.StatusNotFound {
		t.Errorf("survey of another's application: %d", p.status)
	}
	if p := b.get("/cabinet"); strings.Contains(p.body, theirs.Number) {
		t.Error("another's application is listed")
	}
}

func TestApply(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	w.gw.iin = alice
	b := w.browser()
	token := b.login(alice)
	p := b.get("/cabinet/apply")
	if p.status != http.StatusOK || !strings.Contains(p.body, `data-service="AKT-1"`) || !strings.Contains(p.body, `href="/cabinet/apply/AKT-1"`) {
		t.Fatalf("services:\n%s", p.body)
	}
	p = b.get("/cabinet/apply/AKT-1")
	for _, want := range []string{`enctype="multipart/form-data"`, `type="checkbox" id="field-neverEmployed" name="neverEmployed" value="true"`,
		`type="date" id="field-dismissalDate"`, `type="file" id="att-employment-record" name="att-employment-record"`, `for="att-employment-record"`, `id="apply-submit"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("AKT-1 form lacks %s", want)
		}
	}
	if p := b.get("/cabinet/apply/NOPE-1"); p.status != http.StatusNotFound || p.errorCode() != "SERVICE_NOT_ON_PORTAL" {
		t.Errorf("unknown service: %d %s", p.status, p.errorCode())
	}
	// A required attachment missing: refused before anything is signed or sent.
	if p := b.postMultipart("/cabinet/apply/AKT-6", map[string]string{"csrf": token, "childIIN": "160523501234"}, nil); p.status != http.StatusBadRequest || p.errorCode() != "FORM_INCOMPLETE" {
		t.Errorf("AKT-6 without documents: %d %s", p.status, p.errorCode())
	}
	if w.gw.last != nil {
		t.Fatal("an incomplete form reached the gateway")
	}

	// Accepted: to the application's page with the flash.
	scan := "scan of the employment record"
	p = b.postMultipart("/cabinet/apply/AKT-1", map[string]string{"csrf": token, "phone": "+77012345678", "lastEmployer": "ТОО «Ромашка»"},
		map[string][2]string{"att-employment-record": {"record.pdf", scan}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/cabinet/applications/AKT-1-") {
		t.Fatalf("submit: %d %s\n%s", p.status, p.location(), p.body)
	}
	number := strings.TrimPrefix(p.location(), "/cabinet/applications/")
	if !strings.Contains(string(w.gw.last), base64.StdEncoding.EncodeToString([]byte(scan))) || !strings.Contains(html.UnescapeString(string(w.gw.last)), "ТОО «Ромашка»") {
		t.Error("the attachment or the field did not reach the gateway")
	}
	p = b.get(p.location())
	if p.status != http.StatusOK || !strings.Contains(p.text(), "Заявление принято, № "+number) || !strings.Contains(p.body, `id="app-status" class="status status-received"`) {
		t.Fatalf("after submit: %d\n%s", p.status, p.body)
	}
	if p := b.get("/cabinet/applications/" + number); strings.Contains(p.text(), "Заявление принято") {
		t.Error("the flash is shown twice")
	}

	// Refused by the gateway: the form again, filled in, with the gateway's code and message.
	w.gw.fault = &syncchannel.ErrorInfo{Code: "APPLICATION_INVALID", Message: "Заявление не соответствует схеме", Date: time.Now()}
	p = b.postMultipart("/cabinet/apply/AKT-1", map[string]string{"csrf": token, "neverEmployed": "on", "lastEmployer": "ИП Ким"}, nil)
	if p.status < 400 || p.errorCode() == "" || !strings.Contains(p.body, `id="apply-form"`) || !strings.Contains(p.body, `value="ИП Ким"`) ||
		!strings.Contains(p.body, `name="neverEmployed" value="true" checked`) {
		t.Fatalf("refused: %d %s\n%s", p.status, p.errorCode(), p.body)
	}
	if p.errorCode() != "APPLICATION_INVALID" || !strings.Contains(p.text(), "Заявление не соответствует схеме") {
		t.Errorf("the gateway's code and message are not shown: %s\n%s", p.errorCode(), p.body)
	}
}

func TestCertificateLogin(t *testing.T) {
	w := newWorld(t)
	b := w.browser()
	p := b.get("/login/ecp?next=/cabinet/apply")
	m := regexp.MustCompile(`(?s)<textarea id="challenge-xml"[^>]*>(.*?)</textarea>`).FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("challenge page: %d\n%s", p.status, p.body)
	}
	challenge := html.UnescapeString(m[1])
	sign := func(iss *ca.Issued) string {
		out, err := signing.SignEnveloped([]byte(challenge), iss.Key, iss.Certificate, signing.SignOptions{NCALayer: true})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	signKey := testpki.Issue(t, w.ca, ca.IssueRequest{Kind: ca.KindIndividual, Usage: ca.UsageSign, IIN: alice})
	p = b.post("/login/ecp", url.Values{"signed": {sign(signKey)}, "next": {"/cabinet/apply"}})
	if p.status != http.StatusUnauthorized || p.errorCode() != "CERT_NOT_AUTH" || !strings.Contains(p.body, `id="challenge-xml"`) {
		t.Fatalf("a SIGN key: %d %s\n%s", p.status, p.errorCode(), p.body)
	}
	if p := b.post("/login/ecp", url.Values{"signed": {"<authRequest/>"}}); p.status != http.StatusUnauthorized || p.errorCode() != "SIGNATURE_INVALID" {
		t.Errorf("unsigned: %d %s", p.status, p.errorCode())
	}
	auth := testpki.Issue(t, w.ca, ca.IssueRequest{Kind: ca.KindIndividual, Usage: ca.UsageAuth, IIN: alice})
	signed := sign(auth)
	p = b.post("/login/ecp", url.Values{"signed": {signed}, "next": {"/cabinet/apply"}})
	if p.status != http.StatusSeeOther || p.location() != "/cabinet/apply" {
		t.Fatalf("AUTH key: %d %s %s\n%s", p.status, p.location(), p.errorCode(), p.body)
	}
	if p := b.get("/cabinet"); p.status != http.StatusOK || !strings.Contains(p.body, aliceName) {
		t.Errorf("not signed in: %d", p.status)
	}
	if p := w.browser().post("/login/ecp", url.Values{"signed": {signed}}); p.errorCode() != "CHALLENGE_UNKNOWN" {
		t.Errorf("replay: %s", p.errorCode())
	}
}

var keyRE = regexp.MustCompile(`\.Tf? "([a-z0-9.]+)"`)

// Every text the templates and the code ask for is in the table, in both languages.
func TestTranslations(t *testing.T) {
	for k, v := range texts {
		if strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" {
			t.Errorf("%s: %q", k, v)
		}
		if strings.Count(v[0], "%") != strings.Count(v[1], "%") {
			t.Errorf("%s: the verbs differ: %q", k, v)
		}
	}
	used := map[string]bool{}
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"flash.accepted", "flash.surveyed", "flash.read", "flash.registered", "flash.bye", "lock.until", "verdict.ok", "verdict.bad",
		"result.back", "took.s", "took.m", "took.hm", "took.dh", "limit.min", "limit.h", "limit.wd", "limit.cd", "limit.mo"} {
		used[k] = true
	}
	for _, code := range []string{"IIN_INVALID", "PERSON_NOT_FOUND", "ALREADY_REGISTERED", "WEAK_PASSWORD", "CONTACT_INVALID", "AUTH_REFUSED",
		"ACCOUNT_LOCKED", "ACCOUNT_NOT_FOUND", "CERT_LOGIN_DISABLED", "CHALLENGE_UNKNOWN", "CHALLENGE_EXPIRED", "SIGNATURE_INVALID", "CERT_NOT_AUTH",
		"CERT_REFUSED", "SESSION_REQUIRED", "SESSION_EXPIRED", "CSRF_INVALID", "REQUEST_INVALID", "REGISTRY_UNAVAILABLE"} {
		used["err."+code] = true
	}
	for code := range canonical {
		used["err."+code] = true
	}
	for k := range used {
		if _, ok := texts[k]; !ok {
			t.Errorf("no text for %q", k)
		}
	}
	for k := range texts {
		if !used[k] && !strings.HasPrefix(k, "err.") {
			t.Errorf("text %q is not used", k)
		}
	}
	v := &view{Lang: "kk"}
	if got := v.Limit("4wd+45min"); got != "4 жұмыс күні + 45 мин" {
		t.Errorf("limit in Kazakh: %q", got)
	}
	if got := (&view{Lang: "ru"}).Took(26*time.Hour + 5*time.Minute); got != "1 дн 2 ч" {
		t.Errorf("took: %q", got)
	}
}

func TestUploadLimit(t *testing.T) {
	w := newWorld(t)
	w.register(alice)
	w.gw.iin = alice
	b := w.browser()
	token := b.login(alice)
	big := strings.Repeat("x", MaxUpload+1)
	p := b.postMultipart("/cabinet/apply/AKT-1", map[string]string{"csrf": token}, map[string][2]string{"att-employment-record": {"big.pdf", big}})
	if p.status != http.StatusRequestEntityTooLarge || p.errorCode() != "TOO_LARGE" {
		t.Errorf("an upload over 10 MiB: %d %s", p.status, p.errorCode())
	}
	if w.gw.last != nil {
		t.Error("an upload over the limit reached the gateway")
	}
}
