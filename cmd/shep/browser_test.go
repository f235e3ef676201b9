package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/webdriver"
	"github.com/shep-kz/shep/signing"
)

// browserWait bounds every wait of the browser test: generous, as it is no timing requirement.
const browserWait = 30 * time.Second

// requireBrowser skips the test without Chromium and chromedriver, unless SHEP_REQUIRE_BROWSER=1
// (CI), where their absence is a failure.
func requireBrowser(t *testing.T) {
	t.Helper()
	for _, p := range []string{webdriver.DefaultChromium, webdriver.DefaultChromedriver} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("SHEP_REQUIRE_BROWSER") == "1" {
				t.Fatalf("%s is missing: apt-get install -y chromium chromium-driver", p)
			}
			t.Skipf("%s is missing (apt-get install -y chromium chromium-driver; SHEP_REQUIRE_BROWSER=1 makes it a failure)", p)
		}
	}
}

// artefactsDir is $SHEP_ARTIFACTS, else <repo>/artifacts/browser.
func artefactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SHEP_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "artifacts", "browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserRun is the state of the browser test: the session, where its screenshots go, and the
// number of the next one.
type browserRun struct {
	t    *testing.T
	ctx  context.Context
	s    *webdriver.Session
	base string
	dir  string
	n    int
}

// shot writes a screenshot of the whole page as NN-name.png.
func (b *browserRun) shot(name string) {
	b.t.Helper()
	b.n++
	png, err := b.s.FullScreenshot(b.ctx)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fail keeps a screenshot and the page's source of a failed step, then fails.
func (b *browserRun) fail(step string, format string, args ...any) {
	b.t.Helper()
	if png, err := b.s.Screenshot(b.ctx); err == nil {
		_ = os.WriteFile(filepath.Join(b.dir, "failed-"+step+".png"), png, 0o644)
	}
	if src, err := b.s.Source(b.ctx); err == nil {
		_ = os.WriteFile(filepath.Join(b.dir, "failed-"+step+".html"), []byte(src), 0o644)
	}
	u, _ := b.s.CurrentURL(b.ctx)
	b.t.Fatalf("%s (at %s): %s", step, u, fmt.Sprintf(format, args...))
}

func (b *browserRun) open(path string) {
	b.t.Helper()
	if err := b.s.Navigate(b.ctx, b.base+path); err != nil {
		b.fail("open", "%s: %v", path, err)
	}
}

// find waits for an element.
func (b *browserRun) find(css string) *webdriver.Element {
	b.t.Helper()
	var el *webdriver.Element
	err := webdriver.Wait(b.ctx, browserWait, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		el, err = b.s.FindElement(ctx, css)
		return err == nil, err
	})
	if err != nil {
		b.fail("find", "%s: %v", css, err)
	}
	return el
}

// waitAttr waits until the element css has attribute attr = want, reloading the page between
// tries when reload is set.
func (b *browserRun) waitAttr(css, attr, want string, reload bool) *webdriver.Element {
	b.t.Helper()
	var el *webdriver.Element
	var got string
	err := webdriver.Wait(b.ctx, browserWait, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		if el, err = b.s.FindElement(ctx, css); err == nil {
			if got, err = el.Attribute(ctx, attr); err == nil && got == want {
				return true, nil
			}
		}
		if reload {
			_ = b.s.Refresh(ctx)
		}
		return false, err
	})
	if err != nil {
		b.fail("wait", "%s[%s] is %q, want %q: %v", css, attr, got, want, err)
	}
	return el
}

func (b *browserRun) typeInto(css, text string) {
	b.t.Helper()
	el := b.find(css)
	if err := el.Clear(b.ctx); err != nil {
		b.fail("clear", "%s: %v", css, err)
	}
	if err := el.SendKeys(b.ctx, text); err != nil {
		b.fail("type", "%s: %v", css, err)
	}
}

func (b *browserRun) click(css string) {
	b.t.Helper()
	if err := b.find(css).Click(b.ctx); err != nil {
		b.fail("click", "%s: %v", css, err)
	}
}

func (b *browserRun) text(css string) string {
	b.t.Helper()
	s, err := b.find(css).Text(b.ctx)
	if err != nil {
		b.fail("text", "%s: %v", css, err)
	}
	return s
}

// waitURL waits until the current URL's path matches re.
func (b *browserRun) waitURL(re string) string {
	b.t.Helper()
	rx := regexp.MustCompile(re)
	var u string
	err := webdriver.Wait(b.ctx, browserWait, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		var err error
		u, err = b.s.CurrentURL(ctx)
		return err == nil && rx.MatchString(strings.TrimPrefix(u, b.base)), err
	})
	if err != nil {
		b.fail("url", "%s, want %s: %v", u, re, err)
	}
	return strings.TrimPrefix(u, b.base)
}

// workingAgeAdult picks a living adult of working age from ГБД ФЛ through the admin API.
func workingAgeAdult(t *testing.T, base, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/registries/gbdfl/persons?limit=500", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		Persons []struct {
			IIN       string `json:"iin"`
			BirthDate string `json:"birth_date"`
			Deceased  bool   `json:"deceased"`
			Test      bool   `json:"test"`
		} `json:"persons"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("ГБД ФЛ: %d %v", res.StatusCode, err)
	}
	now := time.Now()
	for _, p := range page.Persons {
		born, err := time.Parse("2006-01-02", p.BirthDate)
		if err != nil || p.Deceased || p.Test {
			continue
		}
		if age := now.Year() - born.Year(); age >= 25 && age <= 55 {
			return p.IIN
		}
	}
	return "931002451325" // the demo citizen
}

// TestBrowserCabinet is the личный кабинет in a real headless Chromium against `shep serve`:
// registration and sign-in with their refusals, an application for AKT-1 through the portal's
// form, its result (readable, with a valid signature naming the signer), the signed XML downloaded
// and verified by us and by xmlsec1, the survey, and the indicators. A screenshot is kept after
// every step in $SHEP_ARTIFACTS (default artifacts/browser).
func TestBrowserCabinet(t *testing.T) {
	requireBrowser(t)
	xmlsec1, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatal("xmlsec1 not found: apt-get install -y xmlsec1")
	}
	start := time.Now()
	data := t.TempDir()
	base, stop := startServe(t, data, "--system", "labour-market=auto:0s")
	defer func() {
		if code := stop(); code != 0 {
			t.Errorf("serve exit %d", code)
		}
	}()
	tokenBytes, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	iin := workingAgeAdult(t, base, strings.TrimSpace(string(tokenBytes)))
	t.Logf("citizen %s", iin)

	ctx := context.Background()
	downloads := t.TempDir()
	var driverLog bytes.Buffer
	s, err := webdriver.Chrome(ctx, webdriver.Options{DownloadDir: downloads, Width: 1280, Height: 1400, Log: &driverLog})
	if err != nil {
		t.Fatalf("%v\n%s", err, driverLog.String())
	}
	defer func() {
		if err := s.Quit(); err != nil {
			t.Errorf("quit: %v", err)
		}
	}()
	b := &browserRun{t: t, ctx: ctx, s: s, base: base, dir: artefactsDir(t)}
	const pw = "Qazaq2026pass"

	// 1. Registration: a weak password is refused, then the account is created.
	b.open("/register")
	b.typeInto("#iin", iin)
	b.typeInto("#password", "abc12")
	b.typeInto("#password2", "abc12")
	b.typeInto("#phone", "+7 701 555 12 34")
	b.click("#register-submit")
	b.waitAttr("#error", "data-code", "WEAK_PASSWORD", false)
	b.shot("register-weak-password")
	b.typeInto("#iin", iin)
	b.typeInto("#password", pw)
	b.typeInto("#password2", pw)
	b.click("#register-submit")
	b.waitURL(`^/login`)
	if txt := b.text("#flash"); !strings.Contains(txt, "Регистрация завершена") {
		b.fail("registered", "flash %q", txt)
	}
	b.shot("registered")

	// 2. Sign-in: a wrong password is refused (P2), then the cabinet opens.
	b.typeInto("#iin", iin)
	b.typeInto("#password", "Wrong2026pass")
	b.click("#login-submit")
	b.waitAttr("#error", "data-code", "AUTH_REFUSED", false)
	if txt := b.text("#error"); !strings.Contains(txt, "Отказ в авторизации") {
		b.fail("login-refused", "refusal %q", txt)
	}
	b.shot("login-refused")
	b.typeInto("#iin", iin)
	b.typeInto("#password", pw)
	b.click("#login-submit")
	b.waitURL(`^/cabinet$`)
	b.find("#no-applications")
	b.shot("cabinet-empty")
	var session string
	cookies, err := s.Cookies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		if c.Name == "shep_session" {
			session = c.Value
			if !c.HTTPOnly || c.SameSite != "Strict" {
				t.Errorf("session cookie %+v", c)
			}
		}
	}
	if session == "" {
		t.Fatalf("no session cookie in %+v", cookies)
	}

	// 3. AKT-1 through the portal's form: never employed, with a scan attached.
	b.click("#apply-link")
	b.waitURL(`^/cabinet/apply$`)
	b.find(`tr[data-service="AKT-1"]`)
	b.shot("services")
	b.click("#apply-AKT-1")
	b.waitURL(`^/cabinet/apply/AKT-1$`)
	b.click("#field-neverEmployed")
	scan := filepath.Join(t.TempDir(), "trudovaya.txt")
	if err := os.WriteFile(scan, []byte("Трудовая книжка: записей нет."), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.find("#att-employment-record").SendKeys(ctx, scan); err != nil {
		b.fail("attach", "%v", err)
	}
	b.shot("application-form")
	b.click("#apply-submit")
	path := b.waitURL(`^/cabinet/applications/AKT-1-[0-9-]+$`)
	number := strings.TrimPrefix(path, "/cabinet/applications/")
	if txt := b.text("#flash"); !strings.Contains(txt, "Заявление принято, № "+number) {
		b.fail("accepted", "flash %q", txt)
	}
	b.waitAttr("#app-status", "data-status", "delivered", true)
	var steps []string
	rows, err := s.FindElements(ctx, "#history tbody tr")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		st, _ := r.Attribute(ctx, "data-status")
		steps = append(steps, st)
	}
	if strings.Join(steps, ",") != "submitted,received,completed,delivered" {
		b.fail("timeline", "%v", steps)
	}
	b.waitAttr("#verdict", "data-valid", "true", false)
	signer := b.text("#signer-name")
	b.shot("application-delivered")

	// 4. The readable result: the signature is valid and names the signer.
	b.click("#open-result")
	b.waitURL(`/result$`)
	sig := b.find("section.sig.valid")
	if txt, _ := sig.Text(ctx); !strings.Contains(txt, "Подпись действительна") || !strings.Contains(txt, signer) {
		b.fail("result", "signature box %q, signer %q", txt, signer)
	}
	b.shot("result")
	b.click("#lang-kk")
	b.waitURL(`/result\?lang=kk$`)
	if txt, _ := b.find("section.sig.valid").Text(ctx); !strings.Contains(txt, "Қолтаңба жарамды") {
		b.fail("result-kk", "signature box %q", txt)
	}
	b.shot("result-kk")
	b.click("#lang-ru")
	b.click("#back")
	b.waitURL(`^/cabinet/applications/` + number + `$`)

	// 5. The signed XML, downloaded by the browser and verified.
	b.click("#download-xml")
	file := filepath.Join(downloads, number+".xml")
	var doc []byte
	err = webdriver.Wait(ctx, browserWait, 100*time.Millisecond, func(context.Context) (bool, error) {
		entries, _ := os.ReadDir(downloads)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".crdownload") {
				return false, nil
			}
		}
		var err error
		doc, err = os.ReadFile(file)
		return err == nil && len(doc) > 0, nil
	})
	if err != nil {
		entries, _ := os.ReadDir(downloads)
		b.fail("download", "%s: %v (%v)", file, err, entries)
	}
	b.shot("downloaded")
	verifyDownloadedResult(t, data, xmlsec1, file, doc, iin, number)
	req, _ := http.NewRequest(http.MethodGet, base+"/api/cabinet/applications/"+number+"/result", nil)
	req.AddCookie(&http.Cookie{Name: "shep_session", Value: session})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	api, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(api, doc) {
		t.Fatalf("the download (%d bytes) differs from the API's result (%d, %d bytes)", len(doc), res.StatusCode, len(api))
	}

	// 6. The survey, then the indicators.
	b.click("#quality-3")
	b.click("#information-2")
	b.shot("survey")
	b.click("#survey-submit")
	b.find("#survey-answers")
	if txt := b.text("#flash"); !strings.Contains(txt, "оценка учтена") {
		b.fail("surveyed", "flash %q", txt)
	}
	b.shot("survey-answered")
	b.click("#nav-operator")
	b.waitURL(`^/operator$`)
	b.waitAttr(`#indicators tr[data-service="AKT-1"]`, "data-answers", "1", true)
	b.shot("operator")

	// Sign-out: the cabinet asks to sign in again.
	b.click("#logout")
	b.waitURL(`^/login$`)
	b.open("/cabinet")
	b.waitURL(`^/login\?next=%2Fcabinet$`)
	b.shot("signed-out")
	// The other sign-in, in Kazakh: the challenge to sign with the AUTH key.
	b.open("/login/ecp?lang=kk")
	var challenge string
	if err := b.find("#challenge-xml").Property(ctx, "value", &challenge); err != nil || !strings.Contains(challenge, `<authRequest xmlns="urn:shep:auth:1.0">`) {
		b.fail("ecp", "challenge %q: %v", challenge, err)
	}
	if title := b.text("h1"); title != "ЭЦҚ көмегімен кіру" {
		b.fail("ecp-kk", "title %q", title)
	}
	b.shot("login-ecp-kk")
	t.Logf("%d screenshots in %s; the browser part took %s", b.n, b.dir, time.Since(start).Round(time.Millisecond))
}

// verifyDownloadedResult checks the downloaded result as a recipient would: our verifier with
// the chain to the server's test НУЦ, and xmlsec1 against the same anchors; the document is the
// citizen's result of the application.
func verifyDownloadedResult(t *testing.T, data, xmlsec1, file string, doc []byte, iin, number string) {
	t.Helper()
	root := filepath.Join(data, "pki", "root.crt")
	issuing := filepath.Join(data, "pki", "ca.crt")
	anchors, err := certs.ReadCertificates(root)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := certs.ReadCertificates(issuing)
	if err != nil {
		t.Fatal(err)
	}
	v, err := signing.VerifyEnveloped(doc, signing.Options{})
	if err != nil {
		t.Fatalf("the downloaded result does not verify: %v", err)
	}
	val, err := validate.New(validate.Options{Anchors: anchors, Intermediates: inter, SkipRevocation: true})
	if err != nil {
		t.Fatal(err)
	}
	verdict, err := val.Validate(context.Background(), validate.Request{Cert: v.Certificate, Extra: v.Extra, Usage: validate.UsageSign})
	if err != nil {
		t.Fatalf("the signer's certificate does not chain to the server's НУЦ: %v", err)
	}
	if _, err := v.Certificate.Verify(x509.VerifyOptions{Roots: pool(anchors), Intermediates: pool(inter), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("crypto/x509 refuses the chain: %v", err)
	}
	rd, err := results.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Recipient.IIN != iin || rd.ApplicationNumber != number || rd.ServiceID != "AKT-1" || verdict.Identity == nil || rd.Official.IIN != verdict.Identity.IIN {
		t.Errorf("result %s for %s (application %s, %s), signed by %+v", rd.Number, rd.Recipient.IIN, rd.ApplicationNumber, rd.ServiceID, verdict.Identity)
	}
	out, err := exec.Command(xmlsec1, "--verify", "--enabled-reference-uris", "same-doc,empty", "--trusted-pem", root, "--untrusted-pem", issuing,
		"--id-attr:id", results.Namespace+":result", file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("xmlsec1 --verify: %v\n%s", err, out)
	}
}

func pool(cs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}
