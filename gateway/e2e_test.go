package gateway_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/builtin"
	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/trust"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

var ctx = context.Background()

// world is a gateway on loopback with its own test НУЦ, store on disk, senders and adapters.
type world struct {
	t        testing.TB
	ca       *ca.Authority
	url      string
	pipe     *gateway.Pipeline
	log      *msglog.Log
	crls     *revocation.CRLStore
	verifier *validate.Validator // checks the gateway's own signatures on responses
	senders  *participants.Registry
	adapted  atomic.Int32 // requests that reached the test adapters
	set      *builtin.Set // the built-in providers, registries and catalogue (newServiceWorld)
	base     string       // the server's root URL
	dir      string
	db       *store.DB
}

const (
	applicantIIN = "931002451325" // in ГБД ФЛ
	operatorIIN  = "941111350315"
	strangerIIN  = "960101300014" // valid, not in ГБД ФЛ
)

func newWorld(t testing.TB) *world { return newWorldWith(t, nil, -1) }

// newBenchWorld is newWorld with the certificate verdicts cached for a minute, as `shep serve`
// caches them (tests revoke certificates and expect the next request to see it; benchmarks
// measure the hot path as served).
func newBenchWorld(t testing.TB) *world { return newWorldWith(t, nil, time.Minute) }

// newServiceWorld is a world whose gateway routes the catalogue's services to the built-in
// provider systems, with the registries and remote providers (serve's wiring), configured by o
// (DB, CA, keys and directories are filled in).
func newServiceWorld(t testing.TB, o builtin.Options) *world { return newWorldWith(t, &o, -1) }

// newWorldWith builds a world; cacheTTL is the validator's verdict cache (negative: none).
func newWorldWith(t testing.TB, bo *builtin.Options, cacheTTL time.Duration) *world {
	t.Helper()
	w := &world{t: t}
	dir := t.TempDir()
	w.dir = dir
	w.ca = testpki.NewCA(t, ca.Options{Dir: filepath.Join(dir, "pki")})
	db, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	if w.senders, err = participants.New(db, participants.Options{BcryptCost: 4}); err != nil {
		t.Fatal(err)
	}
	if err := gateway.EnsureDemoSenders(ctx, w.senders); err != nil {
		t.Fatal(err)
	}
	if w.log, err = msglog.Open(db, msglog.Options{BodyDir: filepath.Join(dir, "bodies")}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.log.Close() })
	id, err := gateway.EnsureIdentity(ctx, w.ca, filepath.Join(dir, "gateway"))
	if err != nil {
		t.Fatal(err)
	}
	var srcs []revocation.Source
	for _, k := range []ca.CRLKind{ca.CRLFull, ca.CRLDelta, ca.CRLRoot} {
		srcs = append(srcs, revocation.FuncSource{Label: string(k), F: func(ctx context.Context) ([]byte, error) { return w.ca.CRL(ctx, k) }})
	}
	tr, err := trust.Build(ctx, trust.Config{Anchors: []*x509.Certificate{w.ca.Root()}, Intermediates: []*x509.Certificate{w.ca.Issuing()},
		CRLSources: srcs, CacheTTL: cacheTTL})
	if err != nil {
		t.Fatal(err)
	}
	w.crls, w.verifier = tr.CRLs, tr.Validator
	persons := gbdfl.Demo()
	router := adapters.NewRouter()
	router.Handle(gbdfl.ServiceID, &gbdfl.Adapter{Registry: persons})
	accept := adapters.AdapterFunc(func(ctx context.Context, r *adapters.Request) (*adapters.Response, error) {
		w.adapted.Add(1)
		d := etree.NewElement("data")
		res := d.CreateElement("result")
		res.CreateAttr("applicant", r.Application.Applicant.IIN)
		res.SetText("принято")
		return &adapters.Response{Data: d}, nil
	})
	router.Handle("AKT-1", accept)
	router.Handle("ZKO-9", accept)
	router.HandleRoute("ROUTED", "R_Akmola", accept)
	router.Handle("SLOW", adapters.AdapterFunc(func(ctx context.Context, r *adapters.Request) (*adapters.Response, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	router.Handle("BROKEN", adapters.AdapterFunc(func(ctx context.Context, r *adapters.Request) (*adapters.Response, error) {
		return nil, errors.New("connection refused")
	}))
	w.pipe = &gateway.Pipeline{Senders: w.senders, Log: w.log, Validator: tr.Validator, Router: router, Persons: persons, Powers: enis.Demo(),
		Identity: id, CONBIN: ca.DefaultOperatorBIN, ProviderTimeout: 300 * time.Millisecond, Limits: signing.Limits{MaxBytes: 1 << 20},
		Certs: signing.NewCertCache(0), Now: time.Now, Logger: discard(), Metrics: gateway.NewMetrics()}
	opts := gateway.Options{CA: w.ca, Store: db, Pipeline: w.pipe, CRLs: tr.CRLs, AdminToken: "admin-token", MaxBody: 1 << 20}
	if bo != nil {
		bo.DB, bo.CA, bo.Key, bo.Cert, bo.Validator = db, w.ca, id.Key, id.Certificate, tr.Validator
		bo.OfficialsDir, bo.Logger = filepath.Join(dir, "officials"), discard()
		if w.set, err = builtin.Build(ctx, *bo); err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		if err := w.set.Start(sctx); err != nil {
			t.Fatal(err)
		}
		w.pipe.Router, w.pipe.Catalogue, w.pipe.Remote, w.pipe.Faults = w.set.Router, w.set.Catalogue, w.set.Remote, w.set.Faults
		w.pipe.Queries = w.set.Queries()
		w.pipe.Persons, w.pipe.Powers, w.pipe.ProviderTimeout = w.set.Persons, w.set.Powers, 2*time.Second
		opts.AdminRoutes, opts.Catalogue = w.set.AdminRoutes(), w.set.Catalogue
	}
	srv, err := gateway.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	w.base = hs.URL
	w.url = hs.URL + "/bip-sync-wss-gost/"
	return w
}

func (w *world) issue(req ca.IssueRequest) *ca.Issued {
	w.t.Helper()
	return testpki.Issue(w.t, w.ca, req)
}

type msg struct {
	sender, password, service, route, id string
	data                                 *etree.Element
	soap12                               bool
}

var seq atomic.Int64

// envelope builds an unsigned SendMessage.
func (m msg) envelope() []byte {
	if m.id == "" {
		m.id = fmt.Sprintf("msg-%d-%d", time.Now().UnixNano(), seq.Add(1))
	}
	r := &syncchannel.Request{Info: syncchannel.RequestInfo{MessageID: m.id, ServiceID: m.service, RouteID: m.route, MessageDate: time.Now(),
		Sender: syncchannel.Sender{ID: m.sender, Password: m.password}}, Data: m.data}
	ns, p := gateway.NSSOAP11, "soapenv"
	if m.soap12 {
		ns, p = gateway.NSSOAP12, "env"
	}
	doc := etree.NewDocument()
	env := doc.CreateElement(p + ":Envelope")
	env.CreateAttr("xmlns:"+p, ns)
	env.CreateElement(p + ":Body").AddChild(r.Element())
	b, _ := doc.WriteToBytes()
	return b
}

func (w *world) signed(m msg, by *ca.Issued) []byte {
	w.t.Helper()
	b, err := signing.SignWSSE(m.envelope(), by.Key, by.Certificate, signing.SignOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

func gbdflData(iin string) *etree.Element {
	d := etree.NewElement("data")
	d.CreateAttr("xmlns:xsi", syncchannel.NSXSI)
	d.CreateAttr("xmlns:cs", gbdfl.NS)
	d.CreateAttr("xsi:type", "cs:Request")
	d.CreateElement("messageId").SetText("1")
	d.CreateElement("iin").SetText(iin)
	return d
}

// application builds an application document signed (NCALayer layout) by signer, as string data.
func (w *world) application(service, channel, applicant string, extra string, signer *ca.Issued) *etree.Element {
	w.t.Helper()
	doc := `<app:application xmlns:app="urn:shep:application:1.0"><app:serviceId>` + service + `</app:serviceId><app:channel>` + channel +
		`</app:channel><app:submitted>2026-11-22T10:00:00+05:00</app:submitted><app:applicant><app:iin>` + applicant + `</app:iin></app:applicant>` + extra + `</app:application>`
	b := []byte(doc)
	if signer != nil {
		var err error
		if b, err = signing.SignEnveloped(b, signer.Key, signer.Certificate, signing.SignOptions{NCALayer: true}); err != nil {
			w.t.Fatal(err)
		}
	}
	return syncchannel.StringData(string(b))
}

type answer struct {
	status  int
	body    []byte
	code    string // errorCode, or the status code of a success
	data    *etree.Element
	soap12  bool
	session string                 // sessionId, of the response or of the fault's ErrorInfo
	fault   *syncchannel.ErrorInfo // the fault's ErrorInfo (subError in Sub)
}

func (w *world) post(body []byte, contentType string) answer {
	w.t.Helper()
	return w.postTo(w.url, body, contentType)
}

// postTo posts to url and reads the answer (see read).
func (w *world) postTo(url string, body []byte, contentType string) answer {
	w.t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	return w.read(resp)
}

// read reads an answer of the gateway, checking its signature and signer.
func (w *world) read(resp *http.Response) answer {
	w.t.Helper()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: b}
	// Every answer, success or fault, is WS-Security-signed by the gateway's certificate.
	v, err := signing.VerifyWSSE(b, signing.Options{})
	if err != nil {
		w.t.Fatalf("response signature: %v\n%s", err, b)
	}
	if verdict, err := w.verifier.Validate(ctx, validate.Request{Cert: v.Certificate, Usage: validate.UsageSign}); err != nil || verdict.Identity.BIN != gateway.GatewayBIN {
		w.t.Fatalf("response signer: %v", err)
	}
	a.soap12 = v.Element.NamespaceURI() == gateway.NSSOAP12
	if f := v.Element.FindElement(".//SendMessageFault1_SendMessageFault"); f != nil {
		info, err := syncchannel.ParseFault(f)
		if err != nil {
			w.t.Fatal(err)
		}
		if !syncchannel.ValidSessionID(info.SessionID) || info.Message == "" {
			w.t.Errorf("fault without session or message: %+v", info)
		}
		a.code, a.session, a.fault = info.Code, info.SessionID, info
		return a
	}
	r, err := syncchannel.ParseResponse(v.Element)
	if err != nil {
		w.t.Fatalf("response: %v\n%s", err, b)
	}
	a.code, a.data, a.session = r.Info.Status.Code, r.Data, r.Info.SessionID
	return a
}

func (w *world) send(body []byte) answer { return w.post(body, "text/xml; charset=utf-8") }

func TestSendMessage(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС КЛИЕНТ"})
	citizen := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN, Name: "ИВАНОВА АЙГУЛЬ"})
	citizenAuth := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN, Usage: ca.UsageAuth})
	otherCitizen := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: "660427402182"})
	expired := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	future := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", NotBefore: time.Now().Add(24 * time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)})
	revoked := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	if err := w.ca.Revoke(ctx, revoked.Certificate.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := w.crls.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	stranger := testpki.Issue(t, testpki.NewCA(t, ca.Options{}), ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	operator := w.issue(ca.IssueRequest{Kind: ca.KindOperator, IIN: operatorIIN})
	notOperator := w.issue(ca.IssueRequest{Kind: ca.KindEmployee, IIN: operatorIIN, BIN: "971240001315"}) // another organisation
	services := []string{"AKT-1"}
	if _, err := w.senders.Put(ctx, participants.Spec{ID: "narrow", Services: &services, Channel: ptr(participants.ChannelSystem)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.senders.Put(ctx, participants.Spec{ID: "pinned", Channel: ptr(participants.ChannelSystem), TransportCert: ptr(system.Certificate.Raw)}); err != nil {
		t.Fatal(err)
	}
	sys := func(service string, data *etree.Element) msg {
		return msg{sender: "smartbridge", password: "123", service: service, data: data}
	}
	portal := func(app *etree.Element) msg {
		return msg{sender: "portal", password: "portal-password", service: "AKT-1", data: app}
	}
	con := func(app *etree.Element) msg {
		return msg{sender: "con", password: "con-password", service: "ZKO-9", data: app}
	}
	op := func(iin string) string {
		return `<app:operator><app:iin>` + iin + `</app:iin><app:bin>` + ca.DefaultOperatorBIN + `</app:bin></app:operator>`
	}
	rep := func(poa string) string {
		return `<app:representative><app:iin>941111350315</app:iin><app:powerOfAttorney number="` + poa + `"/></app:representative>`
	}
	tampered := bytes.Replace(w.signed(sys(gbdfl.ServiceID, gbdflData(applicantIIN)), system), []byte(applicantIIN), []byte("660427402182"), 1)

	tests := []struct {
		name string
		body []byte
		code string
	}{
		{"ГБД ФЛ: found", w.signed(sys(gbdfl.ServiceID, gbdflData(applicantIIN)), system), syncchannel.StatusSuccess},
		{"ГБД ФЛ: not found is an answer", w.signed(sys(gbdfl.ServiceID, gbdflData(strangerIIN)), system), syncchannel.StatusSuccess},
		{"unknown sender", w.signed(msg{sender: "ghost", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system), "AUTH_SENDER_UNKNOWN"},
		{"wrong password", w.signed(msg{sender: "smartbridge", password: "x", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system), "AUTH_PASSWORD"},
		{"service not allowed", w.signed(msg{sender: "narrow", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system), "AUTH_SERVICE_FORBIDDEN"},
		{"not the transport certificate", w.signed(msg{sender: "pinned", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, otherCitizen), "AUTH_TRANSPORT_CERT"},
		{"transport certificate", w.signed(msg{sender: "pinned", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system), syncchannel.StatusSuccess},
		{"unsigned", sys(gbdfl.ServiceID, gbdflData(applicantIIN)).envelope(), "SIGNATURE_MISSING"},
		{"altered after signing", tampered, "SIGNATURE_INVALID"},
		{"expired certificate", w.signed(sys(gbdfl.ServiceID, gbdflData(applicantIIN)), expired), "CERT_EXPIRED"},
		{"certificate not yet valid", w.signed(sys(gbdfl.ServiceID, gbdflData(applicantIIN)), future), "CERT_NOT_YET_VALID"},
		{"revoked certificate", w.signed(sys(gbdfl.ServiceID, gbdflData(applicantIIN)), revoked), "CERT_REVOKED"},
		{"untrusted CA", w.signed(sys(gbdfl.ServiceID, gbdflData(applicantIIN)), stranger), "CERT_UNTRUSTED"},
		{"AUTH key signing", w.signed(sys(gbdfl.ServiceID, gbdflData(applicantIIN)), citizenAuth), "CERT_KEY_USAGE"},
		{"unknown service", w.signed(sys("NO_SUCH_SERVICE", gbdflData(applicantIIN)), system), "SERVICE_UNKNOWN"},
		{"unknown route", w.signed(msg{sender: "smartbridge", password: "123", service: "ROUTED", route: "R_Mars"}, system), "ROUTE_UNKNOWN"},
		{"provider timeout", w.signed(sys("SLOW", nil), system), "PROVIDER_TIMEOUT"},
		{"provider down", w.signed(sys("BROKEN", nil), system), "PROVIDER_UNAVAILABLE"},
		{"not XML", []byte("<not xml"), "REQUEST_MALFORMED"},
		{"not SOAP", []byte(`<a xmlns="urn:x"/>`), "REQUEST_MALFORMED"},
		{"DOCTYPE", []byte(`<!DOCTYPE a [<!ENTITY x "y">]><a/>`), "REQUEST_MALFORMED"},
		{"too large", bytes.Repeat([]byte("x"), 2<<20), "REQUEST_TOO_LARGE"},
		{"not a SendMessage", []byte(`<s:Envelope xmlns:s="` + gateway.NSSOAP11 + `"><s:Body><x/></s:Body></s:Envelope>`), "REQUEST_MALFORMED"},
		// Portal channel: the applicant signs the application.
		{"portal", w.signed(portal(w.application("AKT-1", "portal", applicantIIN, "", citizen)), system), syncchannel.StatusSuccess},
		{"portal: ИИН mismatch", w.signed(portal(w.application("AKT-1", "portal", applicantIIN, "", otherCitizen)), system), "IIN_MISMATCH"},
		{"portal: unsigned application", w.signed(portal(w.application("AKT-1", "portal", applicantIIN, "", nil)), system), "SIGNATURE_MISSING"},
		{"portal: no application", w.signed(portal(gbdflData(applicantIIN)), system), "APPLICATION_INVALID"},
		{"portal: application for another service", w.signed(portal(w.application("ZKO-9", "portal", applicantIIN, "", citizen)), system), "APPLICATION_INVALID"},
		{"portal: AUTH key on the application", w.signed(portal(w.application("AKT-1", "portal", applicantIIN, "", citizenAuth)), system), "CERT_KEY_USAGE"},
		// ЦОН channel: an operator of the State Corporation signs; ГБД ФЛ and ЕНИС are consulted.
		{"ЦОН", w.signed(con(w.application("ZKO-9", "con", applicantIIN, op(operatorIIN), operator)), system), syncchannel.StatusSuccess},
		{"ЦОН: applicant not in ГБД ФЛ", w.signed(con(w.application("ZKO-9", "con", strangerIIN, op(operatorIIN), operator)), system), "GBDFL_NO_DATA"},
		{"ЦОН: representative with a power of attorney", w.signed(con(w.application("ZKO-9", "con", "660427402182", rep("ЕНИС-2026-000123")+op(operatorIIN), operator)), system), syncchannel.StatusSuccess},
		{"ЦОН: no power of attorney in ЕНИС", w.signed(con(w.application("ZKO-9", "con", "660427402182", rep("ЕНИС-0000-000000")+op(operatorIIN), operator)), system), "ENIS_NO_POWER_OF_ATTORNEY"},
		{"ЦОН: signer not of the ЦОН", w.signed(con(w.application("ZKO-9", "con", applicantIIN, op(operatorIIN), notOperator)), system), "SIGNER_NOT_ALLOWED"},
		{"ЦОН: operator ИИН mismatch", w.signed(con(w.application("ZKO-9", "con", applicantIIN, op("660427402182"), operator)), system), "IIN_MISMATCH"},
		{"ЦОН: portal application", w.signed(con(w.application("ZKO-9", "portal", applicantIIN, "", citizen)), system), "CHANNEL_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := w.send(tt.body)
			if a.code != tt.code {
				t.Fatalf("code %q (HTTP %d), want %q\n%.1500s", a.code, a.status, tt.code, a.body)
			}
			wantStatus := http.StatusOK
			if tt.code != syncchannel.StatusSuccess {
				wantStatus = http.StatusInternalServerError // SOAP 1.1 faults
			}
			if a.status != wantStatus {
				t.Errorf("HTTP %d, want %d", a.status, wantStatus)
			}
		})
	}
	// The GOST-signed real request (its sender registered): its GOST 34.310-2004 signature verifies;
	// its certificate (ҰКО 3.0 GOST TEST, 2019–2020) is not one this gateway trusts.
	if _, err := w.senders.Put(ctx, participants.Spec{ID: "senderId", Password: ptr("senderPass"), Channel: ptr(participants.ChannelSystem)}); err != nil {
		t.Fatal(err)
	}
	if a := w.send(fixtures.Read(t, "wsse-gost2004-sendmessage-request.xml")); a.code != "CERT_UNTRUSTED" && a.code != "CERT_EXPIRED" {
		t.Errorf("GOST request: %q, want a certificate refusal", a.code)
	}
}

// A repeated message is answered from the log, byte for byte, and processed once; the same
// messageId with other content is refused.
func TestIdempotency(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	citizen := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN})
	m := msg{sender: "portal", password: "portal-password", service: "AKT-1", id: "idem-1", data: w.application("AKT-1", "portal", applicantIIN, "", citizen)}
	body := w.signed(m, system)
	first, second := w.send(body), w.send(body)
	if first.code != syncchannel.StatusSuccess || !bytes.Equal(first.body, second.body) {
		t.Fatalf("replay differs: %s / %s", first.code, second.code)
	}
	if n := w.adapted.Load(); n != 1 {
		t.Fatalf("the provider was called %d times, want 1", n)
	}
	m.data = w.application("AKT-1", "portal", applicantIIN, "<!-- other -->", citizen)
	if a := w.send(w.signed(m, system)); a.code != "MESSAGE_ID_REUSED" {
		t.Fatalf("reused id: %q", a.code)
	}
	rec, err := w.log.Get(ctx, "portal", "idem-1")
	if err != nil || !bytes.Equal(rec.Response, first.body) || rec.IIN != applicantIIN || len(rec.Steps) < 8 {
		t.Fatalf("log record: %v %+v", err, rec)
	}
	for _, s := range rec.Steps {
		if s.Outcome != "ok" {
			t.Errorf("step %s: %s", s.Name, s.Outcome)
		}
	}
}

// SOAP 1.2 in, SOAP 1.2 out; client faults are 400 in SOAP 1.2.
func TestSOAP12(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	m := msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: gbdflData(applicantIIN), soap12: true}
	a := w.post(w.signed(m, system), "application/soap+xml; charset=utf-8")
	if a.code != syncchannel.StatusSuccess || !a.soap12 || a.status != 200 {
		t.Fatalf("SOAP 1.2: %q %v %d", a.code, a.soap12, a.status)
	}
	m.password = "wrong"
	a = w.post(w.signed(m, system), "application/soap+xml; charset=utf-8")
	if a.code != "AUTH_PASSWORD" || !a.soap12 || a.status != http.StatusBadRequest {
		t.Fatalf("SOAP 1.2 fault: %q %v %d", a.code, a.soap12, a.status)
	}
}

// The WSDL names the server's own address; metrics count outcomes; the admin API needs its token.
func TestOperationalEndpoints(t *testing.T) {
	w := newWorld(t)
	base := strings.TrimSuffix(w.url, "/bip-sync-wss-gost/")
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/bip-sync-wss-gost/?wsdl", ""); code != 200 || !strings.Contains(body, `location="`+w.url+`"`) {
		t.Errorf("wsdl: %d %.300s", code, body)
	}
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	w.send(w.signed(msg{sender: "smartbridge", password: "bad", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system))
	if code, body := get("/metrics", ""); code != 200 || !strings.Contains(body, `shep_refusals_total{code="AUTH_PASSWORD"} 1`) ||
		!strings.Contains(body, `shep_step_seconds_count{step="parse"}`) {
		t.Errorf("metrics: %d\n%s", code, body)
	}
	if code, _ := get("/admin/senders", ""); code != http.StatusUnauthorized {
		t.Errorf("admin without token: %d", code)
	}
	if code, body := get("/admin/senders", "admin-token"); code != 200 || !strings.Contains(body, `"id":"portal"`) {
		t.Errorf("admin senders: %d %s", code, body)
	}
	if code, body := get("/admin/log?status=AUTH_PASSWORD", "admin-token"); code != 200 || !strings.Contains(body, `"Status":"AUTH_PASSWORD"`) {
		t.Errorf("admin log: %d %s", code, body)
	}
	if code, body := get("/readyz", ""); code != 200 || !strings.Contains(body, `"gateway_key":"ok"`) {
		t.Errorf("readyz: %d %s", code, body)
	}
}

func ptr[T any](v T) *T { return &v }

// A forged copy sent first does not take the messageId; a re-signed retry of the same content is
// answered from the log; a transient failure is not kept, so its retry is processed again.
func TestIdempotencyIsNotHijacked(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	env := msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, id: "hijack-1", data: gbdflData(applicantIIN)}.envelope()
	genuine, err := signing.SignWSSE(env, system.Key, system.Certificate, signing.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(genuine, []byte(applicantIIN), []byte("660427402182"), 1)
	if a := w.send(forged); a.code != "SIGNATURE_INVALID" {
		t.Fatalf("forged copy: %q", a.code)
	}
	first := w.send(genuine)
	if first.code != syncchannel.StatusSuccess {
		t.Fatalf("genuine message after a forged copy: %q", first.code)
	}
	// The same content signed again (new signature, new Body ID): the same answer, from the log.
	resigned, err := signing.SignWSSE(env, system.Key, system.Certificate, signing.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(resigned, genuine) {
		t.Fatal("re-signing gave the same bytes")
	}
	if again := w.send(resigned); !bytes.Equal(again.body, first.body) {
		t.Fatalf("re-signed retry not answered from the log: %q", again.code)
	}
	// Transient: the provider is down, then up again; the retry of the same bytes is processed.
	var up atomic.Bool
	w.pipe.Router.Handle("FLAKY", adapters.AdapterFunc(func(ctx context.Context, r *adapters.Request) (*adapters.Response, error) {
		if !up.Load() {
			return nil, errors.New("provider down")
		}
		return &adapters.Response{Data: etree.NewElement("data")}, nil
	}))
	flaky := w.signed(msg{sender: "smartbridge", password: "123", service: "FLAKY", id: "flaky-1"}, system)
	if a := w.send(flaky); a.code != "PROVIDER_UNAVAILABLE" {
		t.Fatalf("provider down: %q", a.code)
	}
	up.Store(true)
	if a := w.send(flaky); a.code != syncchannel.StatusSuccess {
		t.Fatalf("retry after the provider came back: %q", a.code)
	}
	// A refusal of the signer's certificate (here expired) does not take the messageId: the
	// sender is not established yet. Each copy is refused afresh, logged anonymously under the
	// messageId it claimed, and the same message signed with a valid certificate is processed.
	expired := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	m := msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, id: "expired-1", data: gbdflData(applicantIIN)}
	refused := w.signed(m, expired)
	a1, a2 := w.send(refused), w.send(refused)
	if a1.code != "CERT_EXPIRED" || a2.code != "CERT_EXPIRED" || bytes.Equal(a1.body, a2.body) {
		t.Fatalf("expired signer: %q then %q (the second must be a new answer)", a1.code, a2.code)
	}
	items, _, err := w.log.Query(ctx, msglog.Filter{MessageID: "expired-1"})
	if err != nil || len(items) != 2 || items[0].Sender != msglog.Anonymous || items[0].Status != "CERT_EXPIRED" {
		t.Fatalf("the refused copies in the log by messageId: %+v, %v", items, err)
	}
	if a := w.send(w.signed(m, system)); a.code != syncchannel.StatusSuccess {
		t.Fatalf("the message signed again with a valid certificate: %q", a.code)
	}
	if rec, err := w.log.Get(ctx, "smartbridge", "expired-1"); err != nil || rec.Status != syncchannel.StatusSuccess {
		t.Fatalf("the processed message under its key: %v", err)
	}
	// An unsigned copy of an answered message, with the sender's password, gets no answer from
	// the log: the signature is checked before idempotency.
	unsigned := m
	unsigned.id = "hijack-1"
	if a := w.send(unsigned.envelope()); a.code == syncchannel.StatusSuccess || bytes.Equal(a.body, first.body) || a.code == "" {
		t.Fatalf("unsigned copy of an answered message: %q", a.code)
	}
}
