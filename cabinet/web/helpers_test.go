package web

import (
	"bytes"
	"context"
	"crypto/x509"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/adapters/worktime"
	"github.com/shep-kz/shep/cabinet"
	"github.com/shep-kz/shep/cabinet/accounts"
	"github.com/shep-kz/shep/cabinet/portal"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

// Persons of the tests (gbdfl.DemoPersons, АХМЕТОВА left out of the registry).
const (
	alice     = "931002451325" // ИВАНОВА АЙГУЛЬ СЕРИКОВНА
	bob       = "941111350315" // ЖУМАБЕКОВ ЕРЛАН МАРАТОВИЧ
	stranger  = "660427402182" // a valid ИИН of nobody in the registry
	password  = "Secret2025"
	aliceName = "ИВАНОВА АЙГУЛЬ СЕРИКОВНА"
)

// world is a Site over real services on a badger store in a temporary directory, served over
// loopback HTTP, with a fake gateway behind the portal.
type world struct {
	t        *testing.T
	db       *store.DB
	cat      *catalogue.Catalogue
	cases    *cases.Store
	clock    *testpki.Clock // the accounts' clock (session expiry)
	ca       *ca.Authority
	acc      *accounts.Service
	cab      *cabinet.Service
	gw       *fakeGateway
	site     *Site
	srv      *httptest.Server
	official *ca.Issued
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, cat: cat, cases: cases.New(db), clock: testpki.NewClock(time.Now().Truncate(time.Second))}
	w.ca = testpki.NewCA(t, ca.Options{})
	v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{w.ca.Root()}, Intermediates: []*x509.Certificate{w.ca.Issuing()},
		SkipRevocation: true, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	chk, err := signing.NewChecker(signing.CheckerOptions{Validator: v})
	if err != nil {
		t.Fatal(err)
	}
	persons := gbdfl.NewMemory()
	for _, p := range gbdfl.DemoPersons() {
		if p.IIN != stranger {
			persons.Put(p)
		}
	}
	w.acc, err = accounts.New(accounts.Options{DB: db, Persons: persons, Validator: v, ScryptN: 1 << 10, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	real := time.Now()
	clock := worktime.NewClock(worktime.ClockState{RealStart: real, VirtualStart: real, DayLength: worktime.Day}, nil)
	w.cab, err = cabinet.New(cabinet.Options{DB: db, Cases: w.cases, Catalogue: cat, Clock: clock, Calendar: worktime.Kazakhstan(), Checker: chk})
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := cat.Service("AKT-1")
	w.official = testpki.Issue(t, w.ca, ca.IssueRequest{Kind: ca.KindOfficial, IIN: "870412300317", BIN: svc.Provider.BIN,
		Name: "СЕРИКОВ АЛМАС БОЛАТОВИЧ", Organization: svc.Provider.NameRU})
	system := testpki.Issue(t, w.ca, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС ПОРТАЛ"})
	w.gw = &fakeGateway{w: w}
	prt, err := portal.New(portal.Options{Gateway: w.gw, Catalogue: cat, Persons: persons, CA: w.ca, KeysDir: t.TempDir(),
		SenderID: "portal", Password: "portal-password", Key: system.Key, Cert: system.Certificate})
	if err != nil {
		t.Fatal(err)
	}
	w.site, err = New(Options{Accounts: w.acc, Cabinet: w.cab, Portal: prt, Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	r := mux.NewRouter()
	w.site.Routes(r)
	w.srv = httptest.NewServer(r)
	t.Cleanup(w.srv.Close)
	return w
}

// fakeGateway stands for the gateway's pipeline: it registers an application of AKT-1 for the
// applicant and answers with its number, or answers with a fault when fault is set.
type fakeGateway struct {
	w     *world
	mu    sync.Mutex
	fault *syncchannel.ErrorInfo
	iin   string // the applicant the case is registered for
	last  []byte
}

func (g *fakeGateway) Process(ctx context.Context, body []byte, _ string) (int, []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = append([]byte(nil), body...)
	doc := etree.NewDocument()
	env := doc.CreateElement("SOAP-ENV:Envelope")
	env.CreateAttr("xmlns:SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/")
	b := env.CreateElement("SOAP-ENV:Body")
	status := http.StatusOK
	if g.fault != nil {
		f := b.CreateElement("SOAP-ENV:Fault")
		f.CreateElement("faultcode").SetText("SOAP-ENV:Client")
		f.CreateElement("faultstring").SetText(g.fault.Message)
		f.CreateElement("detail").AddChild(g.fault.Element())
		status = http.StatusInternalServerError
	} else {
		c, err := g.w.newCase(g.iin, "AKT-1")
		if err != nil {
			return http.StatusInternalServerError, []byte(err.Error())
		}
		data := etree.NewElement("data")
		data.CreateElement("applicationNumber").SetText(c.Number)
		st := data.CreateElement("status")
		st.CreateAttr("code", string(c.Status))
		st.SetText(c.Status.NameRU())
		resp := &syncchannel.Response{Info: syncchannel.ResponseInfo{MessageID: "00000000-0000-4000-8000-000000000001", ResponseDate: time.Now(),
			Status: syncchannel.Status{Code: "SCSS001", Message: "Message has been processed successfully"}}, Data: data}
		b.AddChild(resp.Element())
	}
	out, _ := doc.WriteToBytes()
	return status, out
}

// apply registers an application of iin for service on the portal channel.
func (w *world) apply(iin, service string) *cases.Case {
	w.t.Helper()
	c, err := w.newCase(iin, service)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) newCase(iin, service string) (*cases.Case, error) {
	svc, _ := w.cat.Service(service)
	ch, _ := svc.Channel("portal")
	l, _ := worktime.ParseLimit(ch.Total)
	now := time.Now()
	c, _, err := w.cases.Create(context.Background(), &cases.Case{ServiceID: service, System: "labour-market", Provider: svc.Provider.ID, Channel: "portal",
		Applicant: cases.Person{IIN: iin, Name: aliceName}, Submitted: now.Add(-20 * time.Second), Received: now,
		Deadline: worktime.Kazakhstan().Deadline(now, l)}, cases.Event{At: now, Real: now, Actor: "labour-market"})
	return c, err
}

// decide issues a signed notification for c and delivers it to the cabinet.
func (w *world) decide(c *cases.Case) *cases.Case {
	w.t.Helper()
	now := time.Now()
	svc, _ := w.cat.Service(c.ServiceID)
	doc := &results.Document{Kind: results.Notification, Number: "RT-" + c.Number, ApplicationNumber: c.Number, ServiceID: c.ServiceID,
		ServiceNameRU: svc.NameRU, Issued: now, Provider: results.Organisation{NameRU: svc.Provider.NameRU, BIN: svc.Provider.BIN},
		Recipient: results.Person{IIN: c.Applicant.IIN, Name: c.Applicant.Name}, Text: "Зарегистрирован(а) в качестве безработного.",
		Official: results.Official{IIN: "870412300317", Name: "СЕРИКОВ АЛМАС БОЛАТОВИЧ", Position: "руководитель отдела"}}
	signed, err := results.Sign(doc, w.official.Key, w.official.Certificate)
	if err != nil {
		w.t.Fatal(err)
	}
	out, err := w.cases.Update(context.Background(), c.Number, func(c *cases.Case) error {
		if err := c.Apply(cases.Event{Action: cases.ActComplete, At: now, Real: now, Actor: "СЕРИКОВ А. Б."}); err != nil {
			return err
		}
		if err := c.Apply(cases.Event{Action: cases.ActDeliver, At: now, Real: now, Actor: "ПЭП: личный кабинет"}); err != nil {
			return err
		}
		c.Result = &cases.Result{Kind: string(doc.Kind), Number: doc.Number, Issued: now, OfficialName: doc.Official.Name, Document: signed}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// register registers iin with password through the Service.
func (w *world) register(iin string) {
	w.t.Helper()
	if _, err := w.acc.Register(context.Background(), accounts.Registration{IIN: iin, Password: password}); err != nil {
		w.t.Fatal(err)
	}
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
type browser struct {
	t   *testing.T
	w   *world
	c   *http.Client
	jar *cookiejar.Jar
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: w.t, w: w, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
	raw    []byte
}

func (p page) location() string { return p.header.Get("Location") }

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: res.StatusCode, header: res.Header, body: string(raw), raw: raw}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.w.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, header ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.w.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// postMultipart posts fields and files (field name → file name and content).
func (b *browser) postMultipart(path string, fields map[string]string, files map[string][2]string) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, f := range files {
		fw, err := mw.CreateFormFile(k, f[0])
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = fw.Write([]byte(f[1]))
	}
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.w.srv.URL+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// login signs iin in with password and returns the session's CSRF token.
func (b *browser) login(iin string) string {
	b.t.Helper()
	p := b.post("/login", url.Values{"iin": {iin}, "password": {password}})
	if p.status != http.StatusSeeOther || p.location() != "/cabinet" {
		b.t.Fatalf("login %s: %d %s\n%s", iin, p.status, p.location(), p.body)
	}
	return b.csrf("/cabinet")
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from the forms of page path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("%s: no CSRF field in\n%s", path, p.body)
	}
	return html.UnescapeString(m[1])
}

// errorCode is the data-code of the page's refusal, "" when there is none.
func (p page) errorCode() string {
	m := regexp.MustCompile(`id="error" role="alert" data-code="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// text is the page's body with entities decoded.
func (p page) text() string { return html.UnescapeString(p.body) }
