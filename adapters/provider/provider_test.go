package provider_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/adapters/worktime"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/store"
)

var (
	ctx    = context.Background()
	msgSeq atomic.Int64
)

func TestNewOptions(t *testing.T) {
	tests := []struct {
		mode  provider.Mode
		after string
		ok    bool
	}{
		{provider.Auto, "", true}, {provider.Auto, "0s", true}, {provider.Auto, "50%", true}, {provider.Auto, "100%", true},
		{provider.Auto, "150%", false}, {provider.Auto, "-1s", false}, {provider.Auto, "soon", false}, {provider.Manual, "", true}, {"sometimes", "", false},
	}
	base := system(t, provider.Options{})
	for _, tt := range tests {
		o := base
		o.Mode, o.DecideAfter = tt.mode, tt.after
		if _, err := provider.New(o); (err == nil) != tt.ok {
			t.Errorf("mode %q, DecideAfter %q: %v", tt.mode, tt.after, err)
		}
	}
	if _, err := provider.New(provider.Options{Name: "x"}); err == nil {
		t.Error("options without their parts accepted")
	}
}

// refuseAll refuses on the merits; its check passes.
type refuseAll struct{}

func (refuseAll) Check(context.Context, *provider.Input) (*provider.Decision, error) { return nil, nil }
func (refuseAll) Decide(context.Context, *provider.Input) (*provider.Decision, error) {
	return provider.Refusal(provider.BasisGrounds, "нет оснований"), nil
}

// system returns options for a manual rshep over a real store, catalogue and test НУЦ.
func system(t *testing.T, o provider.Options) provider.Options {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	a := testpki.NewCA(t, ca.Options{})
	o.Name, o.Catalogue, o.Cases, o.Persons = "rshep", cat, cases.New(db), gbdfl.Demo()
	o.Signers = &provider.Officials{CA: a, Dir: filepath.Join(dir, "officials")}
	o.Clock, o.Calendar = worktime.NewClock(worktime.Anchor(time.Now(), time.Minute, nil), nil), worktime.Kazakhstan()
	if o.Default == nil {
		o.Default = provider.Generic{}
	}
	if o.Mode == "" {
		o.Mode = provider.Manual
	}
	return o
}

func request(service, iin string, attachments ...string) *adapters.Request {
	app := &application.Application{ServiceID: service, Channel: application.CON, Applicant: application.Person{IIN: iin}, Operator: &application.Officer{IIN: "941111350315"}}
	for _, a := range attachments {
		app.Attachments = append(app.Attachments, application.Attachment{Name: a, Type: a})
	}
	return &adapters.Request{ServiceID: service, Channel: "con", SenderID: "con", Info: syncchannel.RequestInfo{MessageID: fmt.Sprint("m-", msgSeq.Add(1))}, Application: app}
}

func number(t *testing.T, r *adapters.Response) string {
	t.Helper()
	el := r.Data.SelectElement("applicationNumber")
	if el == nil {
		t.Fatal("no applicationNumber")
	}
	return el.Text()
}

// A specialist cannot complete what the service's rules refuse: the application stays open and
// can still be refused, once.
func TestCompleteAgainstTheRules(t *testing.T) {
	o := system(t, provider.Options{})
	o.Rules = map[string]provider.Rules{"ZKO-1": refuseAll{}}
	s, err := provider.New(o)
	if err != nil {
		t.Fatal(err)
	}
	req := request("ZKO-1", "931002451325", "identity-document")
	resp, err := s.Handle(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	n := number(t, resp)
	by := provider.Actor{Name: "СПЕЦИАЛИСТ"}
	if _, err := s.Complete(ctx, n, by, "", nil); !errors.Is(err, provider.ErrRulesRefuse) {
		t.Fatalf("complete against the rules: %v", err)
	}
	c, err := o.Cases.Get(ctx, n)
	if err != nil || c.Status != cases.Received || c.Result != nil {
		t.Fatalf("after a refused completion: %+v %v", c, err)
	}
	if _, err := s.Refuse(ctx, n, by, "", ""); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("refusal without reason: %v", err)
	}
	// A retry of the same message finds the same application.
	if again, err := s.Handle(ctx, req); err != nil || number(t, again) != n {
		t.Fatalf("retry: %v", err)
	}
	c, err = s.Refuse(ctx, n, by, "Нет медицинских показаний.", "")
	if err != nil || c.Status != cases.Refused || c.Result == nil || c.Result.Reason != "Нет медицинских показаний." {
		t.Fatalf("refuse: %+v %v", c, err)
	}
	if _, err := s.Refuse(ctx, n, by, "ещё раз", ""); !errors.Is(err, cases.ErrTransition) {
		t.Errorf("a second result: %v", err)
	}
}

// The formal check refuses at once (M7); an application for another system's service, or without
// an application document, is a coded fault.
func TestHandle(t *testing.T) {
	o := system(t, provider.Options{})
	s, err := provider.New(o)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    *adapters.Request
		status string
		reason string
		code   faults.Code
	}{
		{"in order: waits for the specialist", request("ZKO-1", "931002451325", "identity-document"), "received", "", ""},
		{"no documents: refused at once", request("ZKO-1", "931002451325"), "refused", "не приложены", ""},
		{"not in ГБД ФЛ", request("ZKO-1", "960101300014", "identity-document"), "refused", "отсутствуют в ГБД ФЛ", ""},
		{"another system's service", request("AKT-1", "931002451325"), "", "", faults.ServiceUnknown},
		{"unknown service", request("NOPE", "931002451325"), "", "", faults.ServiceUnknown},
		{"no application", &adapters.Request{ServiceID: "ZKO-1"}, "", "", faults.ApplicationInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.Handle(ctx, tt.req)
			if tt.code != "" {
				if faults.From(err).Code != tt.code {
					t.Fatalf("error %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st := resp.Data.SelectElement("status")
			if st == nil || st.SelectAttrValue("code", "") != tt.status {
				t.Fatalf("status %v, want %s", st, tt.status)
			}
			if tt.reason != "" {
				r := resp.Data.FindElement("result/reason")
				if r == nil || !strings.Contains(r.Text(), tt.reason) {
					t.Errorf("reason %v, want %q", r, tt.reason)
				}
			}
		})
	}
}

func TestRequireAttachments(t *testing.T) {
	in := func(types ...string) *provider.Input {
		a := &application.Application{}
		for _, ty := range types {
			a.Attachments = append(a.Attachments, application.Attachment{Type: ty})
		}
		return &provider.Input{App: a}
	}
	tests := []struct {
		in      *provider.Input
		need    []string
		refused string
	}{
		{in("bank-account"), nil, ""},
		{in(), nil, "не приложены документы"},
		{in("bank-account", "pmpk-conclusion"), []string{"pmpk-conclusion", "bank-account"}, ""},
		{in("bank-account"), []string{"pmpk-conclusion", "bank-account", "disability-certificate"}, "заключение психолого-медико-педагогической консультации; справка об инвалидности"},
		{&provider.Input{}, nil, "не содержит документов"},
	}
	for i, tt := range tests {
		d := provider.RequireAttachments(tt.in, tt.need...)
		switch {
		case tt.refused == "" && d != nil:
			t.Errorf("%d: refused: %s", i, d.Reason)
		case tt.refused != "" && (d == nil || !d.Refuse || !strings.Contains(d.Reason, tt.refused)):
			t.Errorf("%d: %+v, want a refusal mentioning %q", i, d, tt.refused)
		}
	}
}

// Decisions on different applications run in parallel, on one application once: of several
// specialists refusing it at the same moment exactly one issues a result, and every result has
// its own number.
func TestConcurrentDecisions(t *testing.T) {
	o := system(t, provider.Options{})
	s, err := provider.New(o)
	if err != nil {
		t.Fatal(err)
	}
	const apps, tries = 6, 5
	var numbers []string
	for range apps {
		resp, err := s.Handle(ctx, request("ZKO-1", "931002451325", "identity-document"))
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, number(t, resp))
	}
	var won, lost atomic.Int64
	var wg sync.WaitGroup
	for _, n := range numbers {
		for i := range tries {
			wg.Go(func() {
				_, err := s.Refuse(ctx, n, provider.Actor{Name: fmt.Sprint("СПЕЦИАЛИСТ ", i)}, "Нет оснований.", "")
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, cases.ErrTransition):
					lost.Add(1)
				default:
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if won.Load() != apps || lost.Load() != apps*(tries-1) {
		t.Fatalf("%d results issued, %d refused as already decided; want %d and %d", won.Load(), lost.Load(), apps, apps*(tries-1))
	}
	seen := map[string]bool{}
	for _, n := range numbers {
		c, err := o.Cases.Get(ctx, n)
		if err != nil || c.Status != cases.Refused || c.Result == nil {
			t.Fatalf("%s: %+v %v", n, c, err)
		}
		if seen[c.Result.Number] {
			t.Fatalf("result number %s issued twice", c.Result.Number)
		}
		seen[c.Result.Number] = true
	}
}
