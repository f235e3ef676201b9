package accounts

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/jsonhttp"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/store"
)

// Persons of the tests (from gbdfl.DemoPersons).
const (
	iinIvanova   = "931002451325" // alive, registers in the tests
	iinZhumabek  = "941111350315" // alive
	iinAkhmetova = "660427402182" // valid ИИН, left out of the registry
	iinDeceased  = gbdfl.DemoDeceasedIIN
	iinTest      = "123456789011" // НУЦ test identity (fails the checksum)
	goodPassword = "Secret2025"
)

// env is a Service on a real badger store in a temporary directory, served over loopback HTTP.
type env struct {
	dir     string
	db      *store.DB
	clock   *testpki.Clock
	persons *gbdfl.Memory
	opts    Options
	svc     *Service
	srv     *httptest.Server
}

// testPersons is the registry: the demo persons without АХМЕТОВА.
func testPersons() *gbdfl.Memory {
	m := gbdfl.NewMemory()
	for _, p := range gbdfl.DemoPersons() {
		if p.IIN != iinAkhmetova {
			m.Put(p)
		}
	}
	return m
}

func newEnv(t *testing.T, tweak func(*Options)) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), clock: testpki.NewClock(time.Now().Truncate(time.Second)), persons: testPersons()}
	e.opts = Options{Persons: e.persons, ScryptN: 1 << 10, Now: e.clock.Now}
	if tweak != nil {
		tweak(&e.opts)
	}
	e.open(t)
	t.Cleanup(func() { e.close(t) })
	return e
}

// open opens the store and starts the Service and the HTTP server.
func (e *env) open(t *testing.T) {
	t.Helper()
	db, err := store.Open(store.Options{Dir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	o := e.opts
	o.DB = db
	if e.svc, err = New(o); err != nil {
		t.Fatal(err)
	}
	r := mux.NewRouter()
	e.svc.Routes(r)
	// A protected unsafe endpoint, to see the CSRF rule of Require.
	r.Handle("/api/cabinet/test-post", e.svc.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := SessionFrom(r.Context())
		jsonhttp.Write(w, http.StatusOK, map[string]string{"iin": sess.IIN})
	}))).Methods(http.MethodPost)
	e.srv = httptest.NewServer(r)
}

// close stops the server and closes the store (idempotent).
func (e *env) close(t *testing.T) {
	t.Helper()
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
	if e.db != nil {
		if err := e.db.Close(); err != nil {
			t.Error(err)
		}
		e.db = nil
	}
}

// reopen closes and reopens the store: a restart.
func (e *env) reopen(t *testing.T) {
	t.Helper()
	e.close(t)
	e.open(t)
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) code() string {
	var v struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(r.body, &v)
	return v.Error.Code
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r reply) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// call sends a request; body is sent as is when []byte, else as JSON (nil: no body).
func (e *env) call(t *testing.T, method, path string, body any, header map[string]string) reply {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/xml"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: res.StatusCode, body: b, header: res.Header}
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func cookieHeader(token string) map[string]string {
	return map[string]string{"Cookie": CookieName + "=" + token}
}

// register registers iin with goodPassword through the Service.
func (e *env) register(t *testing.T, iin string) {
	t.Helper()
	if _, err := e.svc.Register(context.Background(), Registration{IIN: iin, Password: goodPassword}); err != nil {
		t.Fatalf("register %s: %v", iin, err)
	}
}

// login signs iin in with goodPassword over HTTP and returns the session.
func (e *env) login(t *testing.T, iin string) Session {
	t.Helper()
	r := e.call(t, http.MethodPost, "/api/cabinet/login", map[string]string{"iin": iin, "password": goodPassword}, nil)
	if r.status != http.StatusOK {
		t.Fatalf("login %s: %d %s", iin, r.status, r.body)
	}
	var s Session
	r.decode(t, &s)
	if s.Token == "" {
		t.Fatalf("login %s: no token in %s", iin, r.body)
	}
	return s
}

// pki is a test НУЦ and a Validator trusting it, on the env's clock.
type pki struct {
	a   *ca.Authority
	val *validate.Validator
}

func newPKI(t *testing.T, now func() time.Time) *pki {
	t.Helper()
	a := testpki.NewCA(t, ca.Options{})
	v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{a.Root()}, Intermediates: []*x509.Certificate{a.Issuing()},
		SkipRevocation: true, CacheTTL: -1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return &pki{a: a, val: v}
}

func (p *pki) issue(t *testing.T, iin string, usage ca.Usage) *ca.Issued {
	t.Helper()
	return testpki.Issue(t, p.a, ca.IssueRequest{Kind: ca.KindIndividual, Usage: usage, IIN: iin})
}
