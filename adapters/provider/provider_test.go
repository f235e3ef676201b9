package provider_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/adapters/results"
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
	o, _ = systemDB(t, o)
	return o
}

// systemDB is system, with the store under the register.
func systemDB(t *testing.T, o provider.Options) (provider.Options, *store.DB) {
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
	return o, db
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

// effectRules complete every application with an effect, which records whether the application
// it answers was already in the register when it ran, and fails when fail is set.
type effectRules struct {
	cases *cases.Store
	fail  bool
	ran   atomic.Int64
	found atomic.Int64
}

func (*effectRules) Check(context.Context, *provider.Input) (*provider.Decision, error) {
	return nil, nil
}
func (r *effectRules) Decide(_ context.Context, in *provider.Input) (*provider.Decision, error) {
	number := in.Case.Number
	return &provider.Decision{Text: "Выдано.", Effect: func(ctx context.Context) error {
		r.ran.Add(1)
		if c, err := r.cases.Get(ctx, number); err == nil && c.Status == cases.Received {
			r.found.Add(1)
		}
		if r.fail {
			return errors.New("the register is not answering")
		}
		return nil
	}}, nil
}

// failingPersons is a ГБД ФЛ that does not answer.
type failingPersons struct{}

func (failingPersons) Person(context.Context, string) (*gbdfl.Person, bool, error) {
	return nil, false, errors.New("connection refused")
}

// failingSigners have no official to sign a result.
type failingSigners struct{}

func (failingSigners) Signer(context.Context, catalogue.Organisation) (*provider.Signer, error) {
	return nil, errors.New("no official")
}

// forceRefusal is a fault injector refusing one service.
type forceRefusal string

func (f forceRefusal) Refusal(_, service string) (string, bool) {
	return "Отказ по сценарию тестировщика.", service == string(f)
}

// versions is how many times the application was written: the versions badger holds of its key
// (adapters/cases: tag 'c', 0x00, number).
func versions(t *testing.T, db *store.DB, number string) int {
	t.Helper()
	key := append([]byte("c\x00"), number...)
	n := 0
	if err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true})
		defer it.Close()
		for it.Seek(key); it.ValidForPrefix(key); it.Next() {
			if bytes.Equal(it.Item().Key(), key) {
				n++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// A system deciding at once answers with the result, committed with the application in one write;
// a decision with an effect (entering a register) runs only once the application is registered, a
// second write. When the decision or its result cannot be made, the application is registered
// all the same, open and due, and the error is returned.
func TestDecideOnReceipt(t *testing.T) {
	o, db := systemDB(t, provider.Options{Mode: provider.Auto, DecideAfter: "0s"})
	effects, failing := &effectRules{cases: o.Cases}, &effectRules{cases: o.Cases, fail: true}
	o.Rules = map[string]provider.Rules{"ZKO-1": refuseAll{}, "ZKO-2": effects, "ZKO-4": failing}
	o.Faults = forceRefusal("ZKO-6")
	s, err := provider.New(o)
	if err != nil {
		t.Fatal(err)
	}
	portal := func(service, iin string) *adapters.Request {
		r := request(service, iin, "identity-document")
		r.Channel, r.Application.Channel, r.Application.Operator = "portal", application.Portal, nil
		return r
	}
	tests := []struct {
		name     string
		req      *adapters.Request
		status   cases.Status // stored and answered
		reason   string       // in a refusal
		writes   int
		fails    bool // Handle fails; the application stays received
		awaiting bool // in the ЦОН's queue of results to hand over
	}{
		{"refused on the merits", request("ZKO-1", "931002451325", "identity-document"), cases.Refused, "нет оснований", 1, false, true},
		{"refused by the formal check", request("ZKO-5", "960101300014", "identity-document"), cases.Refused, "ГБД ФЛ", 1, false, true},
		{"refused by the fault injector", request("ZKO-6", "931002451325", "identity-document"), cases.Refused, "сценарию тестировщика", 1, false, true},
		{"completed on the portal, delivered", portal("KRG-1", "931002451325"), cases.Delivered, "", 1, false, false},
		{"completed with an effect", request("ZKO-2", "931002451325", "identity-document"), cases.Completed, "", 2, false, true},
		{"its effect fails", request("ZKO-4", "931002451325", "identity-document"), cases.Received, "", 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.Handle(ctx, tt.req)
			var c *cases.Case
			if tt.fails {
				if err == nil {
					t.Fatal("no error")
				}
				list, err := o.Cases.List(ctx, cases.Filter{ApplicantIIN: tt.req.Application.Applicant.IIN, ServiceID: tt.req.ServiceID})
				if err != nil || len(list) != 1 {
					t.Fatalf("%d applications, %v", len(list), err)
				}
				c = list[0]
				if c.DecideAt.IsZero() || c.Result != nil {
					t.Errorf("after a failed decision: due %v, result %+v; want due again, no result", c.DecideAt, c.Result)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if st := resp.Data.SelectElement("status"); st == nil || st.SelectAttrValue("code", "") != string(tt.status) {
					t.Errorf("answered status %v, want %s", st, tt.status)
				}
				if c, err = o.Cases.Get(ctx, number(t, resp)); err != nil {
					t.Fatal(err)
				}
				if c.Result == nil || len(c.Result.Document) == 0 || !c.DecideAt.IsZero() || !strings.Contains(c.Result.Reason, tt.reason) {
					t.Fatalf("stored result %+v, due %v; want a signed result, nothing due, reason with %q", c.Result, c.DecideAt, tt.reason)
				}
				// The recipient as ГБД ФЛ names them, or by ИИН when they are not there.
				doc, err := results.Parse(c.Result.Document)
				if err != nil {
					t.Fatal(err)
				}
				iin := tt.req.Application.Applicant.IIN
				want := "ИИН " + iin
				if p, ok, _ := o.Persons.Person(ctx, iin); ok {
					want = provider.FullName(p)
				}
				if doc.Recipient.Name != want {
					t.Errorf("recipient %q, want %q", doc.Recipient.Name, want)
				}
			}
			if c.Status != tt.status {
				t.Errorf("stored status %s, want %s", c.Status, tt.status)
			}
			if n := versions(t, db, c.Number); n != tt.writes {
				t.Errorf("the application was written %d times, want %d", n, tt.writes)
			}
			awaiting, err := o.Cases.AwaitingHandover(ctx, tt.req.Channel, 1000)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range awaiting {
				found = found || a.Number == c.Number
			}
			if found != tt.awaiting {
				t.Errorf("awaiting handover: %v, want %v", found, tt.awaiting)
			}
		})
	}
	if effects.ran.Load() != 1 || effects.found.Load() != 1 || failing.ran.Load() != 1 || failing.found.Load() != 1 {
		t.Errorf("the effects ran %d and %d times, %d and %d of them with the application registered; want once each, registered",
			effects.ran.Load(), failing.ran.Load(), effects.found.Load(), failing.found.Load())
	}

	// Nothing to decide with, or nothing to sign with: registered, open, due, one write.
	for name, change := range map[string]func(*provider.Options){
		"ГБД ФЛ down": func(o *provider.Options) { o.Persons = failingPersons{} },
		"no signer":   func(o *provider.Options) { o.Signers = failingSigners{} },
	} {
		t.Run(name, func(t *testing.T) {
			o := o
			change(&o)
			s, err := provider.New(o)
			if err != nil {
				t.Fatal(err)
			}
			req := request("ZKO-1", "870412300011", "identity-document")
			req.Info.MessageID = name
			if _, err := s.Handle(ctx, req); err == nil {
				t.Fatal("no error")
			}
			list, err := o.Cases.List(ctx, cases.Filter{ApplicantIIN: "870412300011"})
			if err != nil {
				t.Fatal(err)
			}
			var c *cases.Case
			for _, l := range list {
				if l.MessageID == name {
					c = l
				}
			}
			if c == nil || c.Status != cases.Received || c.DecideAt.IsZero() || versions(t, db, c.Number) != 1 {
				t.Fatalf("after a failed decision: %+v; want one open application, due, written once", c)
			}
		})
	}
}
