package remote_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/remote"
	"github.com/shep-kz/shep/adapters/remote/example"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

// world is a gateway-side client with its own НУЦ, identity and registry on disk.
type world struct {
	t                 *testing.T
	ca                *ca.Authority
	gateway, provider *ca.Issued
	reg               *remote.Registry
	clock             *testpki.Clock
	client            *remote.Client
	dials             atomic.Int32
}

func newWorld(t *testing.T, opts remote.ClientOptions) *world {
	t.Helper()
	w := &world{t: t, ca: testpki.NewCA(t, ca.Options{})}
	w.gateway = systemCert(t, w.ca, "ШЛЮЗ ЭЛЕКТРОННОГО ПРАВИТЕЛЬСТВА (TEST)", 1)
	w.provider = systemCert(t, w.ca, "ИС МИО ЗКО (TEST)", 300)
	db := openStore(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	w.reg = remote.NewRegistry(db)
	w.clock = testpki.NewClock(time.Now())
	opts.Key, opts.Cert, opts.Now = w.gateway.Key, w.gateway.Certificate, w.clock.Now
	if opts.SenderID == "" {
		opts.SenderID, opts.SenderPassword = "shep-gw", "secret"
	}
	dialer := &net.Dialer{}
	opts.HTTP = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		w.dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}, DisableKeepAlives: true}}
	c, err := remote.NewClient(w.reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	w.client = c
	return w
}

// register stores a provider serving service at url with the provider certificate.
func (w *world) register(id, service, url string, timeout time.Duration, retries int) {
	w.t.Helper()
	if _, err := w.reg.Put(ctx, &remote.Provider{ID: id, Services: []string{service}, Endpoint: url, Cert: w.provider.Certificate.Raw,
		Timeout: timeout, Retries: retries}); err != nil {
		w.t.Fatal(err)
	}
}

// call routes a request for service and returns its data or its fault.
func (w *world) call(service string, data *etree.Element) (*etree.Element, *faults.Error) {
	w.t.Helper()
	a, ok, err := w.client.Route(ctx, service)
	if err != nil || !ok {
		w.t.Fatalf("Route(%s) = %v %v", service, ok, err)
	}
	req := &adapters.Request{ServiceID: service, SenderID: "portal", SessionID: "{6f1c1a3e-8d2b-4c55-9a10-0d3e2f4a5b6c}",
		Info: syncchannel.RequestInfo{MessageID: "sender-msg-1", ServiceID: service, MessageDate: time.Now(), Sender: syncchannel.Sender{ID: "portal"},
			Properties: []syncchannel.Property{{Key: "lang", Value: "ru"}}}, Data: data}
	resp, err := a.Handle(ctx, req)
	if err != nil {
		var fe *faults.Error
		if !errors.As(err, &fe) {
			w.t.Fatalf("Handle: %v is not a *faults.Error", err)
		}
		return nil, fe
	}
	return resp.Data, nil
}

// fake is a deliberately broken provider: respond decides the answer to each request.
type fake struct {
	hits    atomic.Int32
	srv     *httptest.Server
	respond func(req *syncchannel.Request) (int, []byte)
}

func (w *world) fake(respond func(req *syncchannel.Request) (int, []byte)) *fake {
	f := &fake{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		v, err := signing.VerifyWSSE(body, signing.Options{})
		if err != nil || !v.Certificate.Equal(w.gateway.Certificate) {
			w.t.Errorf("the gateway's request does not verify: %v", err)
			rw.WriteHeader(400)
			return
		}
		req, err := syncchannel.ParseRequest(v.Element)
		if err != nil {
			w.t.Errorf("the gateway's request: %v", err)
			rw.WriteHeader(400)
			return
		}
		status, out := f.respond(req)
		rw.Header().Set("Content-Type", "text/xml")
		rw.WriteHeader(status)
		rw.Write(out)
	}))
	w.t.Cleanup(f.srv.Close)
	return f
}

// The good provider, built with example.New: the request carries the sender's data unchanged
// and the answer's data comes back.
func TestClientGoodProvider(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{})
	var got *syncchannel.Request
	h := example.New(example.Options{Key: w.provider.Key, Cert: w.provider.Certificate, GatewayCert: w.gateway.Certificate,
		Handler: func(ctx context.Context, req *syncchannel.Request) (*etree.Element, error) {
			got = req
			d := etree.NewElement("data")
			d.CreateElement("echo").SetText(req.Data.Text())
			return d, nil
		}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	w.register("mio", "ECHO-1", srv.URL+"/sync", 0, 1)

	// An application document as text: CR LF, markup characters, Cyrillic and Kazakh letters.
	doc := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<app:application xmlns:app=\"urn:shep:application:1.0\">" +
		"<app:field name=\"a&amp;b\">Ә &lt;ҰКО&gt; «x» ' \"</app:field>\r\n</app:application>"
	data, fe := w.call("ECHO-1", syncchannel.StringData(doc))
	if fe != nil {
		t.Fatal(fe)
	}
	if got == nil {
		t.Fatal("the provider's handler was not called")
	}
	i := got.Info
	if i.CorrelationID != "sender-msg-1" || i.MessageID == "sender-msg-1" || i.MessageID == "" || i.ServiceID != "ECHO-1" ||
		i.Sender != (syncchannel.Sender{ID: "shep-gw", Password: "secret"}) || i.SessionID != "{6f1c1a3e-8d2b-4c55-9a10-0d3e2f4a5b6c}" ||
		len(i.Properties) != 1 || i.Properties[0].Key != "lang" {
		t.Errorf("requestInfo %+v", i)
	}
	if !syncchannel.IsStringData(got.Data) || got.Data.Text() != doc {
		t.Errorf("the document changed on its way:\n%q\n%q", got.Data.Text(), doc)
	}
	if echo := data.SelectElement("echo"); echo == nil || echo.Text() != doc {
		t.Errorf("answer data: %v", data)
	}
	if b := w.client.Breakers()["mio"]; b.State != remote.StateClosed || b.Failures != 0 {
		t.Errorf("breaker %+v", b)
	}

	// Typed data goes as it is.
	typed := etree.NewElement("data")
	typed.CreateAttr("xmlns:xsi", syncchannel.NSXSI)
	typed.CreateAttr("xmlns:cs", "http://message.persistence.interactive.nat")
	typed.CreateAttr("xsi:type", "cs:Request")
	typed.CreateElement("iin").SetText("931002451325")
	if _, fe := w.call("ECHO-1", typed); fe != nil {
		t.Fatal(fe)
	}
	// The provider reads the verified (exclusive c14n) tree, in which xmlns:cs, used only in the
	// xsi:type value, is not declared: the type is compared by its spelling.
	if local, _ := syncchannel.DataType(got.Data); local != "Request" || got.Data.SelectAttrValue("xsi:type", "") != "cs:Request" ||
		got.Data.SelectElement("iin") == nil || got.Data.SelectElement("iin").Text() != "931002451325" {
		t.Errorf("typed data arrived as %v", got.Data.Attr)
	}
}

// The demo service of the example provider decides by the applicant's ИИН.
func TestClientDemoProvider(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{})
	srv := httptest.NewServer(example.New(example.Options{Key: w.provider.Key, Cert: w.provider.Certificate, GatewayCert: w.gateway.Certificate}))
	defer srv.Close()
	w.register("demo", example.DemoServiceID, srv.URL, 0, 0)
	app := func(iin string) *etree.Element {
		return syncchannel.StringData(`<app:application xmlns:app="urn:shep:application:1.0"><app:serviceId>DEMO-REMOTE-1</app:serviceId>` +
			`<app:channel>portal</app:channel><app:submitted>2026-11-22T10:00:00+05:00</app:submitted>` +
			`<app:applicant><app:iin>` + iin + `</app:iin><app:surname>ИВАНОВА</app:surname></app:applicant></app:application>`)
	}
	data, fe := w.call(example.DemoServiceID, app("931002451325"))
	if fe != nil {
		t.Fatal(fe)
	}
	if d := data.FindElement("decision"); d == nil || d.Text() != "positive" {
		t.Errorf("decision: %v", d)
	}
	if a := data.FindElement("applicant"); a == nil || a.SelectAttrValue("birthDate", "") != "1993-10-02" || a.SelectAttrValue("sex", "") != "female" {
		t.Errorf("applicant: %v", a)
	}
	_, fe = w.call(example.DemoServiceID, app("931002451326")) // check digit wrong
	if fe == nil || fe.Code != faults.ProviderFault || fe.Sub == nil || fe.Sub.Code != "PROVIDER_REFUSED" {
		t.Fatalf("bad ИИН: %v", fe)
	}
	if info := fe.ErrorInfo("{s}", time.Now()); info.Sub == nil || info.Sub.Code != "PROVIDER_REFUSED" {
		t.Errorf("the sender would not see the provider's code: %+v", info)
	}
	if b := w.client.Breakers()["demo"]; b.Failures != 0 {
		t.Errorf("a provider's refusal counted as a failure: %+v", b)
	}
}

// Answers the gateway must not accept, and HTTP statuses.
func TestClientBadAnswers(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{})
	other := systemCert(t, w.ca, "ЧУЖАЯ СИСТЕМА", 400) // same НУЦ, not registered
	sig := func(el *etree.Element) []byte { return signed(t, responseEnvelope(t, el), w.provider) }
	for _, tc := range []struct {
		name    string
		respond func(req *syncchannel.Request) (int, []byte)
		code    faults.Code
		detail  string
		sub     string
		hits    int32
	}{
		{"unsigned", func(r *syncchannel.Request) (int, []byte) {
			return 200, responseEnvelope(t, okResponse(r.Info.MessageID, "SCSS001"))
		}, faults.ProviderBadResponse, "unsigned", "WSSE_NO_SECURITY", 1},
		{"signed by another certificate", func(r *syncchannel.Request) (int, []byte) {
			return 200, signed(t, responseEnvelope(t, okResponse(r.Info.MessageID, "SCSS001")), other)
		}, faults.ProviderBadResponse, "signed by «ЧУЖАЯ СИСТЕМА», not by the registered certificate", "", 1},
		{"altered after signing", func(r *syncchannel.Request) (int, []byte) {
			b := sig(okResponse(r.Info.MessageID, "SCSS001"))
			return 200, []byte(strings.Replace(string(b), "да", "нет", 1))
		}, faults.ProviderBadResponse, "does not verify", "SIG_DIGEST_MISMATCH", 1},
		{"wrong correlationId", func(r *syncchannel.Request) (int, []byte) {
			return 200, sig(okResponse("sender-msg-1", "SCSS001"))
		}, faults.ProviderBadResponse, "does not answer messageId", "", 1},
		{"no correlationId", func(r *syncchannel.Request) (int, []byte) {
			return 200, sig(okResponse("", "SCSS001"))
		}, faults.ProviderBadResponse, "does not answer messageId", "", 1},
		{"not a SendMessageResponse", func(r *syncchannel.Request) (int, []byte) {
			return 200, sig(etree.NewElement("hello"))
		}, faults.ProviderBadResponse, "not a SendMessageResponse", "", 1},
		{"not XML", func(r *syncchannel.Request) (int, []byte) {
			return 200, []byte("OK")
		}, faults.ProviderBadResponse, "not XML", "XML_MALFORMED", 1},
		{"response with HTTP 500", func(r *syncchannel.Request) (int, []byte) {
			return 500, sig(okResponse(r.Info.MessageID, "SCSS001"))
		}, faults.ProviderBadResponse, "HTTP 500 without a SOAP fault", "", 1},
		{"HTTP 404", func(r *syncchannel.Request) (int, []byte) {
			return 404, []byte("not found")
		}, faults.ProviderBadResponse, "HTTP 404", "", 1},
		{"HTTP 503, retried", func(r *syncchannel.Request) (int, []byte) {
			return 503, []byte("maintenance")
		}, faults.ProviderUnavailable, "HTTP 503", "", 3},
		{"unsigned fault", func(r *syncchannel.Request) (int, []byte) {
			return 500, responseEnvelope(t, faultElement("PROVIDER_REFUSED"))
		}, faults.ProviderBadResponse, "unsigned", "WSSE_NO_SECURITY", 1},
		{"signed fault", func(r *syncchannel.Request) (int, []byte) {
			return 500, sig(faultElement("PROVIDER_REFUSED"))
		}, faults.ProviderFault, "PROVIDER_REFUSED: Отказ поставщика", "PROVIDER_REFUSED", 1},
		{"signed fault without ErrorInfo", func(r *syncchannel.Request) (int, []byte) {
			return 500, sig(faultElement(""))
		}, faults.ProviderFault, "SOAP fault Server: Отказ поставщика", "Server", 1},
		{"status not a success", func(r *syncchannel.Request) (int, []byte) {
			return 200, sig(okResponse(r.Info.MessageID, "ERR042"))
		}, faults.ProviderFault, "status ERR042", "ERR042", 1},
		{"NITEC's success spelling", func(r *syncchannel.Request) (int, []byte) {
			return 200, sig(okResponse(r.Info.MessageID, "Success"))
		}, "", "", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := w.fake(tc.respond)
			id := strings.NewReplacer(" ", "-", ",", "", "'", "").Replace(tc.name)
			w.register(id, "S-"+id, f.srv.URL, 0, 2)
			data, fe := w.call("S-"+id, nil)
			if tc.code == "" {
				if fe != nil || data == nil || data.SelectElement("answer") == nil {
					t.Fatalf("%v %v", data, fe)
				}
			} else {
				if fe == nil || fe.Code != tc.code || !strings.Contains(fe.Error(), tc.detail) {
					t.Fatalf("got %v, want %s with %q", fe, tc.code, tc.detail)
				}
				if tc.sub != "" && (fe.Sub == nil || fe.Sub.Code != tc.sub) {
					t.Errorf("subError %+v, want %s", fe.Sub, tc.sub)
				}
			}
			if n := f.hits.Load(); n != tc.hits {
				t.Errorf("%d requests reached the provider, want %d", n, tc.hits)
			}
		})
	}
}

// A provider slower than its timeout: PROVIDER_TIMEOUT, and the attempt is not retried.
func TestClientTimeout(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{})
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	w.register("slow", "SLOW-1", srv.URL, 50*time.Millisecond, 2)
	_, fe := w.call("SLOW-1", nil)
	if fe == nil || fe.Code != faults.ProviderTimeout || !strings.Contains(fe.Detail, "no answer within 50ms") {
		t.Fatalf("got %v, want PROVIDER_TIMEOUT", fe)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d attempts, want 1 (timeouts are not retried)", n)
	}

	// The caller's own deadline is a timeout too.
	w.register("slow", "SLOW-1", srv.URL, time.Minute, 2)
	a, _, _ := w.client.Route(ctx, "SLOW-1")
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := a.Handle(cctx, &adapters.Request{ServiceID: "SLOW-1", Info: syncchannel.RequestInfo{MessageID: "m"}})
	if fe := faults.From(err); fe.Code != faults.ProviderTimeout || !strings.Contains(fe.Detail, "deadline") {
		t.Fatalf("got %v, want PROVIDER_TIMEOUT", err)
	}
}

// A closed port: PROVIDER_UNAVAILABLE after Retries+1 connection attempts.
func TestClientUnavailable(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/sync"
	l.Close()
	w.register("gone", "GONE-1", url, 0, 3)
	_, fe := w.call("GONE-1", nil)
	if fe == nil || fe.Code != faults.ProviderUnavailable || !strings.Contains(fe.Error(), "refused") {
		t.Fatalf("got %v, want PROVIDER_UNAVAILABLE", fe)
	}
	if n := w.dials.Load(); n != 4 {
		t.Errorf("%d connection attempts, want 4 (1 + 3 retries)", n)
	}
}

// The circuit breaker: consecutive failures open it, calls then fail without reaching the
// provider, and after the cooldown one trial call decides.
func TestClientBreaker(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{Breaker: remote.BreakerOptions{Failures: 3, Cooldown: time.Minute}})
	var mu sync.Mutex
	healthy := false
	f := w.fake(func(r *syncchannel.Request) (int, []byte) {
		mu.Lock()
		defer mu.Unlock()
		if !healthy {
			return 503, nil
		}
		return 200, signed(t, responseEnvelope(t, okResponse(r.Info.MessageID, "SCSS001")), w.provider)
	})
	setHealthy := func(v bool) { mu.Lock(); healthy = v; mu.Unlock() }
	w.register("flaky", "FLAKY-1", f.srv.URL, 0, 0)
	state := func() remote.BreakerState { return w.client.Breakers()["flaky"] }

	for i := 1; i <= 3; i++ {
		if _, fe := w.call("FLAKY-1", nil); fe == nil || fe.Code != faults.ProviderUnavailable {
			t.Fatalf("call %d: %v", i, fe)
		}
	}
	if s := state(); s.State != remote.StateOpen || s.Failures != 3 || !s.OpenUntil.Equal(w.clock.Now().Add(time.Minute)) || !strings.Contains(s.LastError, "503") {
		t.Fatalf("after 3 failures: %+v", s)
	}
	setHealthy(true)
	_, fe := w.call("FLAKY-1", nil)
	if fe == nil || fe.Code != faults.ProviderUnavailable || !strings.Contains(fe.Detail, "circuit open until") {
		t.Fatalf("open circuit: %v", fe)
	}
	if n := f.hits.Load(); n != 3 {
		t.Fatalf("the open circuit let a call through: %d hits", n)
	}

	// Cooldown over: the trial fails and the circuit opens again.
	setHealthy(false)
	w.clock.Advance(time.Minute)
	if s := state(); s.State != remote.StateHalfOpen {
		t.Fatalf("after the cooldown: %+v", s)
	}
	if _, fe := w.call("FLAKY-1", nil); fe == nil || strings.Contains(fe.Detail, "circuit") || f.hits.Load() != 4 {
		t.Fatalf("trial: %v, %d hits", fe, f.hits.Load())
	}
	if s := state(); s.State != remote.StateOpen {
		t.Fatalf("after a failed trial: %+v", s)
	}
	if _, fe := w.call("FLAKY-1", nil); fe == nil || !strings.Contains(fe.Detail, "circuit open") || f.hits.Load() != 4 {
		t.Fatalf("reopened: %v, %d hits", fe, f.hits.Load())
	}

	// Cooldown over again: the trial succeeds and closes it.
	setHealthy(true)
	w.clock.Advance(time.Minute)
	if _, fe := w.call("FLAKY-1", nil); fe != nil || f.hits.Load() != 5 {
		t.Fatalf("trial: %v, %d hits", fe, f.hits.Load())
	}
	if s := state(); s.State != remote.StateClosed || s.Failures != 0 {
		t.Fatalf("after a good trial: %+v", s)
	}
	if _, fe := w.call("FLAKY-1", nil); fe != nil || f.hits.Load() != 6 {
		t.Fatalf("closed: %v", fe)
	}

	// Re-registering a provider starts it with a closed circuit.
	setHealthy(false)
	for range 3 {
		w.call("FLAKY-1", nil)
	}
	if s := state(); s.State != remote.StateOpen {
		t.Fatalf("%+v", s)
	}
	w.register("flaky", "FLAKY-1", f.srv.URL, 0, 0)
	setHealthy(true)
	if _, fe := w.call("FLAKY-1", nil); fe != nil {
		t.Fatalf("after re-registration: %v", fe)
	}
}

// Provider faults are answers: they never open the circuit.
func TestClientBreakerIgnoresFaults(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{Breaker: remote.BreakerOptions{Failures: 2, Cooldown: time.Minute}})
	f := w.fake(func(r *syncchannel.Request) (int, []byte) {
		return 500, signed(t, responseEnvelope(t, faultElement("NO_DATA")), w.provider)
	})
	w.register("strict", "STRICT-1", f.srv.URL, 0, 0)
	for i := range 4 {
		if _, fe := w.call("STRICT-1", nil); fe == nil || fe.Code != faults.ProviderFault {
			t.Fatalf("call %d: %v", i, fe)
		}
	}
	if s := w.client.Breakers()["strict"]; s.State != remote.StateClosed || f.hits.Load() != 4 {
		t.Fatalf("%+v, %d hits", s, f.hits.Load())
	}
}

// With a Validator, the provider's certificate must also chain to a trusted НУЦ.
func TestClientValidator(t *testing.T) {
	for _, tc := range []struct {
		name    string
		foreign bool
		code    faults.Code
	}{{"trusted", false, ""}, {"untrusted", true, faults.ProviderBadResponse}} {
		t.Run(tc.name, func(t *testing.T) {
			anchors := testpki.NewCA(t, ca.Options{})
			w := newWorld(t, remote.ClientOptions{})
			if !tc.foreign {
				anchors = w.ca
			}
			v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{anchors.Root()}, Intermediates: []*x509.Certificate{anchors.Issuing()},
				SkipRevocation: true})
			if err != nil {
				t.Fatal(err)
			}
			c, err := remote.NewClient(w.reg, remote.ClientOptions{Key: w.gateway.Key, Cert: w.gateway.Certificate, Validator: v})
			if err != nil {
				t.Fatal(err)
			}
			w.client = c
			f := w.fake(func(r *syncchannel.Request) (int, []byte) {
				return 200, signed(t, responseEnvelope(t, okResponse(r.Info.MessageID, "SCSS001")), w.provider)
			})
			w.register("p", "P-1", f.srv.URL, 0, 0)
			_, fe := w.call("P-1", nil)
			switch {
			case tc.code == "" && fe != nil:
				t.Fatal(fe)
			case tc.code != "" && (fe == nil || fe.Code != tc.code || fe.Sub == nil || !strings.Contains(fe.Detail, "certificate is refused")):
				t.Fatalf("got %v, want %s", fe, tc.code)
			}
		})
	}
}

// Route finds only registered, enabled providers.
func TestClientRoute(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{})
	if _, err := w.reg.Put(ctx, &remote.Provider{ID: "off", Services: []string{"OFF-1"}, Endpoint: "http://127.0.0.1:9/", Cert: w.provider.Certificate.Raw,
		Disabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"OFF-1", "NOBODY"} {
		if a, ok, err := w.client.Route(ctx, svc); a != nil || ok || err != nil {
			t.Errorf("Route(%s) = %v %v %v", svc, a, ok, err)
		}
	}
	if _, err := remote.NewClient(w.reg, remote.ClientOptions{}); err == nil {
		t.Error("a client without the gateway's key was made")
	}
}
