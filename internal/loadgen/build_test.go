package loadgen

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

func identity(iss *ca.Issued) Identity { return Identity{Cert: iss.Certificate, Key: iss.Key} }

// Every kind of request is a SendMessage signed by the system, with a new messageId; applications
// carry a document of the application schema signed (NCALayer layout) by the citizen on the
// portal and by the operator at the ЦОН.
func TestBuilder(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{KeyBits: 1024}) // small keys: fast tests
	system := identity(testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС"}))
	op := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindOperator, IIN: "941111350315", Name: "ЖУМАБЕКОВ ЕРЛАН"})
	citizen := Citizen{Identity: identity(testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Name: "ИВАНОВА АЙГУЛЬ"})),
		IIN: "931002451325", Surname: "ИВАНОВА", Name: "АЙГУЛЬ", Patronymic: "<&>"}
	mix := Mix{{Service: gbdfl.ServiceID, Weight: 1}, {Service: "AKT-3", Channel: "portal", Weight: 1}, {Service: "AKT-1", Channel: "con", Weight: 1}}
	mix.normalize()
	if _, err := NewBuilder(BuilderOptions{Mix: mix, System: system, Citizens: []Citizen{citizen}}); err == nil || !strings.Contains(err.Error(), "operator") {
		t.Fatalf("a con entry without an operator: %v", err)
	}
	b, err := NewBuilder(BuilderOptions{Mix: mix, System: system, Citizens: []Citizen{citizen},
		Operator: &Operator{Identity: identity(op), IIN: "941111350315", BIN: ca.DefaultOperatorBIN, Name: "ЖУМАБЕКОВ ЕРЛАН"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for round := range 2 {
		for i, e := range mix {
			r, err := b.Build(i)
			if err != nil {
				t.Fatal(err)
			}
			if r.Entry != i || seen[r.MessageID] {
				t.Fatalf("entry %d, messageId %q repeated: %v", r.Entry, r.MessageID, seen[r.MessageID])
			}
			seen[r.MessageID] = true
			v, err := signing.VerifyWSSE(r.Body, signing.Options{})
			if err != nil {
				t.Fatalf("%s: envelope signature: %v", e.Name(), err)
			}
			if !v.Certificate.Equal(system.Cert) || !bytes.Contains(r.Body, []byte(nsSOAP11)) {
				t.Fatalf("%s: signed by %s", e.Name(), v.Certificate.Subject)
			}
			req, err := syncchannel.ParseRequest(v.Element)
			if err != nil {
				t.Fatal(err)
			}
			if req.Info.MessageID != r.MessageID || req.Info.ServiceID != e.Service || req.Info.Sender.ID != e.Sender || req.Info.Sender.Password != e.Password {
				t.Fatalf("%s: %+v", e.Name(), req.Info)
			}
			if !e.IsApplication() {
				if iin := req.Data.FindElement("iin"); iin == nil || iin.Text() != citizen.IIN {
					t.Fatalf("ГБД ФЛ request without the ИИН")
				}
				continue
			}
			raw, _, err := signing.ParseEmbedded(req.Data)
			if err != nil {
				t.Fatal(err)
			}
			dv, err := signing.VerifyEnveloped(raw, signing.Options{})
			if err != nil {
				t.Fatalf("%s: application signature: %v", e.Name(), err)
			}
			want := citizen.Cert
			if e.Channel == ChannelCON {
				want = op.Certificate
			}
			if !dv.Certificate.Equal(want) {
				t.Errorf("%s: application signed by %s", e.Name(), dv.Certificate.Subject)
			}
			app, err := application.Parse(dv.Element)
			if err != nil {
				t.Fatalf("%s: %v\n%s", e.Name(), err, raw)
			}
			if app.ServiceID != e.Service || string(app.Channel) != e.Channel || app.Applicant.IIN != citizen.IIN || app.Applicant.Patronymic != "<&>" ||
				app.Field("benchRequest") != r.MessageID {
				t.Errorf("%s: %+v", e.Name(), app)
			}
			if e.Channel == ChannelCON && (app.Operator == nil || app.Operator.IIN != "941111350315" || app.Operator.BIN != ca.DefaultOperatorBIN) {
				t.Errorf("con application's operator: %+v", app.Operator)
			}
			if e.Service == "AKT-1" && !app.HasAttachment("employment-record") || e.Service == "AKT-3" && len(app.Attachments) != 0 {
				t.Errorf("%s: attachments %d", e.Name(), len(app.Attachments))
			}
			if !bytes.Contains(raw, []byte("http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments")) {
				t.Errorf("%s: not NCALayer's layout", e.Name())
			}
			_ = round
		}
	}
}

// The pool hands out its prepared requests once each, in the cycle's order, then builds new ones
// and counts them.
func TestPool(t *testing.T) {
	var built atomic.Int64
	build := func(i int) (*Request, error) {
		n := built.Add(1)
		return &Request{Entry: i, MessageID: fmt.Sprint("m", n)}, nil
	}
	cycle := Mix{{Service: "A", Weight: 2}, {Service: "B", Weight: 1}}.Cycle()
	p, err := NewPool(context.Background(), build, cycle, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.Size() != 10 || built.Load() != 10 {
		t.Fatalf("size %d, built %d", p.Size(), built.Load())
	}
	seen := map[string]bool{}
	for i := range 16 {
		r, err := p.Next()
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.MessageID] || r.Entry != cycle[i%len(cycle)] {
			t.Fatalf("request %d: %+v (repeated %v)", i, r, seen[r.MessageID])
		}
		seen[r.MessageID] = true
	}
	if p.Generated() != 6 || p.Used() != 16 || built.Load() != 16 {
		t.Fatalf("generated %d used %d built %d", p.Generated(), p.Used(), built.Load())
	}
	boom := fmt.Errorf("boom")
	if _, err := NewPool(context.Background(), func(int) (*Request, error) { return nil, boom }, cycle, 5, 2); err != boom {
		t.Fatalf("a failing build: %v", err)
	}
}

// Citizens: living adults of working age from the admin API, a certificate each, cached for the
// next run; a certificate that is revoked is issued again.
func TestCitizens(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	born := func(y int) time.Time { return time.Date(y, 3, 14, 0, 0, 0, 0, time.UTC) }
	mk := func(surname string, year int) *gbdfl.Person {
		for serial := 100; ; serial++ {
			if iin, err := certs.NewIIN(born(year), certs.SexFemale, serial); err == nil {
				return &gbdfl.Person{IIN: iin.Digits, Surname: surname, Name: "А", BirthDate: born(year)}
			}
		}
	}
	child, adult, dead, old, test, second, third := mk("РЕБЁНОК", 2016), mk("ВЗРОСЛАЯ", 1990), mk("УМЕРШАЯ", 1985), mk("ПЕНСИОНЕРКА", 1950),
		mk("ТЕСТ", 1980), mk("ВТОРАЯ", 1993), mk("ТРЕТЬЯ", 1996)
	adult.Patronymic, dead.Deceased, test.Test = "В", true, true
	persons := []*gbdfl.Person{child, adult, dead, old, test, second, third}
	slices.SortFunc(persons, func(a, b *gbdfl.Person) int { return strings.Compare(a.IIN, b.IIN) })
	var eligible []string
	for _, p := range persons {
		if p == adult || p == second || p == third {
			eligible = append(eligible, p.IIN)
		}
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/admin/registries/gbdfl/persons" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":{"code":"AUTH"}}`, 401)
			return
		}
		// Pages of 3 whatever the limit, to exercise "next".
		after := r.URL.Query().Get("after")
		var page []*gbdfl.Person
		for _, p := range persons {
			if p.IIN > after && len(page) < 3 {
				page = append(page, p)
			}
		}
		next := ""
		if len(page) == 3 {
			next = page[2].IIN
		}
		json.NewEncoder(w).Encode(map[string]any{"persons": page, "next": next})
	}))
	defer s.Close()
	a := testpki.NewCA(t, ca.Options{KeyBits: 1024}) // small keys: fast tests
	dir := filepath.Join(t.TempDir(), "citizens")
	o := CitizenOptions{Server: s.URL, Token: "tok", CA: a, Dir: dir, N: 2, Now: func() time.Time { return now }}
	cs, st, err := Citizens(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].IIN != eligible[0] || cs[1].IIN != eligible[1] || st.Issued != 2 || st.Cached != 0 {
		t.Fatalf("%+v %+v, want %v", cs, st, eligible[:2])
	}
	for _, c := range cs {
		if c.Cert.Subject.SerialNumber != "IIN"+c.IIN {
			t.Errorf("citizen %s: certificate of %s", c.IIN, c.Cert.Subject)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, cs[1].IIN+".key")); err != nil {
		t.Fatal(err)
	}
	again, st, err := Citizens(context.Background(), o)
	if err != nil || st.Cached != 2 || st.Issued != 0 || !again[1].Cert.Equal(cs[1].Cert) {
		t.Fatalf("rerun: %v %+v", err, st)
	}
	if err := a.Revoke(context.Background(), cs[1].Cert.SerialNumber, ca.ReasonKeyCompromise, time.Now()); err != nil {
		t.Fatal(err)
	}
	again, st, err = Citizens(context.Background(), o)
	if err != nil || st.Cached != 1 || st.Issued != 1 || again[1].Cert.Equal(cs[1].Cert) {
		t.Fatalf("after a revocation: %v %+v", err, st)
	}
	o.N = 4
	if _, _, err := Citizens(context.Background(), o); err == nil || !strings.Contains(err.Error(), "has 3 living persons aged 18–58, 4 wanted") {
		t.Fatalf("too few: %v", err)
	}
	o.Token = "wrong"
	if _, _, err := Citizens(context.Background(), o); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("wrong token: %v", err)
	}
}

func TestFloor(t *testing.T) {
	f := FloorRates{SignPerSec: 100, VerifyPerSec: 1000}
	if got := f.RPS(Cost{Verifies: 1, Signs: 1}); got < 90.9 || got > 90.91 {
		t.Errorf("RPS %v, want 1/(1/1000+1/100) = 90.9", got)
	}
	if (FloorRates{}).RPS(Cost{1, 1}) != 0 {
		t.Error("an unmeasured floor has a rate")
	}
	c := MixCost(DefaultMix(), nil)
	if c.Verifies < 1.299 || c.Verifies > 1.301 || c.Signs != 1 {
		t.Errorf("default mix cost %+v, want 1.3 verifications and 1 signature", c)
	}
	// AKT-3 decided in every answer, AKT-1 in half.
	c = MixCost(DefaultMix(), []float64{0, 1, 0.5})
	if want := 1 + 0.2 + 0.05; c.Signs < want-1e-9 || c.Signs > want+1e-9 {
		t.Errorf("signs %v, want %v", c.Signs, want)
	}
	a := testpki.NewCA(t, ca.Options{KeyBits: 1024})
	iss := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС"})
	got, err := MeasureFloor(context.Background(), iss.Key.(*rsa.PrivateKey), 100*time.Millisecond, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.SignPerSec <= 0 || got.VerifyPerSec <= 0 || got.Workers != 2 || got.KeyBits != 1024 || got.RPS(c) <= 0 {
		t.Errorf("%+v", got)
	}
}

// The report carries the contract's fields, consistent with the result.
func TestReport(t *testing.T) {
	res := &Result{Elapsed: 2 * time.Second, Requests: 10, Successes: 8, Refusals: 1, Failures: 1, Mode: "closed", Concurrency: 4,
		RefusalCodes: map[string]int64{"AUTH_PASSWORD": 1}, FailureKinds: map[string]int64{"HTTP 503": 1}, AppStatus: map[string]int64{"completed": 2},
		Entries: make([]EntryStats, 3)}
	res.Entries[0] = EntryStats{Requests: 6, Successes: 5, Refusals: 1}
	res.Entries[1] = EntryStats{Requests: 2, Successes: 2, Decided: 2}
	res.Entries[2] = EntryStats{Requests: 2, Successes: 1, Failures: 1}
	for i := 1; i <= 10; i++ {
		res.Latency.Record(time.Duration(i) * time.Millisecond)
	}
	floor := &FloorRates{SignPerSec: 1000, VerifyPerSec: 10000, Workers: 2, KeyBits: 2048, Elapsed: time.Second}
	r := NewReport(res, ReportInfo{Target: "http://x/", Mix: DefaultMix(), Floor: floor, Pool: 100, Generated: 3, Citizens: 5})
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"throughput_rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "requests", "errors", "refusals", "floor_rps", "floor_ratio",
		"concurrency", "rate", "duration_s", "mix", "go_maxprocs", "generated_during_run"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if p50 := m["p50_ms"].(float64); m["throughput_rps"] != 4.0 || m["all_rps"] != 5.0 || m["errors"] != 1.0 || p50 < 5 || p50 > 5*1.01 || m["max_ms"] != 10.0 {
		t.Errorf("figures: %v", m)
	}
	// AKT-3 decided in the request: one more signature for its 20 %.
	if c := r.Floor.PerRequest; c.Signs < 1.2-1e-9 || c.Signs > 1.2+1e-9 || r.FloorRPS != floor.RPS(c) || r.FloorRatio != r.ThroughputRPS/r.FloorRPS {
		t.Errorf("floor %+v %v %v", c, r.FloorRPS, r.FloorRatio)
	}
	buf.Reset()
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"GBDFL_UniversalServiceSync/system", "AUTH_PASSWORD", "HTTP 503", "completed", "crypto floor (RSA-2048", "the load generator shares these cores"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, buf.String())
		}
	}
}
