package cabinet

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/adapters/worktime"
	"github.com/shep-kz/shep/cabinet/accounts"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/metrics"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

const (
	alice = "931002451325"
	bob   = "941111350315"
)

type world struct {
	t        *testing.T
	svc      *Service
	cases    *cases.Store
	cat      *catalogue.Catalogue
	clock    *worktime.Clock
	real     time.Time
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
	a := testpki.NewCA(t, ca.Options{})
	svc, _ := cat.Service("AKT-3")
	w := &world{t: t, cat: cat, cases: cases.New(db), real: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	w.official = testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindOfficial, IIN: "870412300317", BIN: svc.Provider.BIN, Name: "СЕРИКОВ АЛМАС БОЛАТОВИЧ", Organization: svc.Provider.NameRU})
	w.clock = worktime.NewClock(worktime.ClockState{RealStart: w.real, VirtualStart: w.real, DayLength: worktime.Day}, func() time.Time { return w.real })
	v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{a.Root()}, Intermediates: []*x509.Certificate{a.Issuing()}, SkipRevocation: true})
	if err != nil {
		t.Fatal(err)
	}
	chk, err := signing.NewChecker(signing.CheckerOptions{Validator: v})
	if err != nil {
		t.Fatal(err)
	}
	w.svc, err = New(Options{DB: db, Cases: w.cases, Catalogue: cat, Clock: w.clock, Calendar: worktime.Kazakhstan(), Checker: chk})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// apply registers an application of iin for AKT-3 on channel, submitted a minute before now.
func (w *world) apply(iin, channel string) *cases.Case {
	w.t.Helper()
	now := w.clock.Now()
	svc, _ := w.cat.Service("AKT-3")
	ch, _ := svc.Channel(channel)
	l, _ := worktime.ParseLimit(ch.Total)
	c, _, err := w.cases.Create(context.Background(), &cases.Case{ServiceID: "AKT-3", System: "labour-market", Provider: svc.Provider.ID, Channel: channel,
		Applicant: cases.Person{IIN: iin, Name: "ИВАНОВА АЙГУЛЬ"}, Submitted: now.Add(-30 * time.Second), Received: now,
		Deadline: worktime.Kazakhstan().Deadline(now, l)}, cases.Event{At: now, Real: w.real, Actor: "labour-market"})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// decide issues a signed result for c after d, signed by who, delivering it at once on the portal.
func (w *world) decide(c *cases.Case, d time.Duration, refuse bool, who *ca.Issued) *cases.Case {
	w.t.Helper()
	w.real = w.real.Add(d)
	now := w.clock.Now()
	svc, _ := w.cat.Service("AKT-3")
	doc := &results.Document{Kind: results.Certificate, Number: "RT-2026-000001", ApplicationNumber: c.Number, ServiceID: "AKT-3", ServiceNameRU: svc.NameRU,
		Issued: now, Provider: results.Organisation{NameRU: svc.Provider.NameRU, BIN: svc.Provider.BIN}, Recipient: results.Person{IIN: c.Applicant.IIN, Name: c.Applicant.Name},
		Text: "Справка выдана.", Official: results.Official{IIN: "870412300317", Name: "СЕРИКОВ АЛМАС БОЛАТОВИЧ", Position: "руководитель отдела"}}
	action := cases.ActComplete
	if refuse {
		doc.Kind, doc.Reason, doc.Basis, action = results.Refusal, "нет оснований", "Стандарт", cases.ActRefuse
	}
	signed, err := results.Sign(doc, who.Key, who.Certificate)
	if err != nil {
		w.t.Fatal(err)
	}
	out, err := w.cases.Update(context.Background(), c.Number, func(c *cases.Case) error {
		if err := c.Apply(cases.Event{Action: action, At: now, Real: w.real, Actor: "СЕРИКОВ А. Б.", Note: doc.Reason}); err != nil {
			return err
		}
		if c.Channel == "portal" {
			if err := c.Apply(cases.Event{Action: cases.ActDeliver, At: now, Real: w.real, Actor: "ПЭП: личный кабинет"}); err != nil {
				return err
			}
		}
		c.Result = &cases.Result{Kind: string(doc.Kind), Number: doc.Number, Issued: now, OfficialName: doc.Official.Name, Document: signed}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func TestHistoryAgainstLimits(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c := w.apply(alice, "portal")
	w.real = w.real.Add(5 * time.Minute)
	if _, err := w.cases.Update(ctx, c.Number, func(c *cases.Case) error {
		return c.Apply(cases.Event{Action: cases.ActTake, At: w.clock.Now(), Real: w.real, Actor: "специалист"})
	}); err != nil {
		t.Fatal(err)
	}
	c = w.decide(c, 20*time.Minute, false, w.official) // AKT-3 portal: decided within its term?
	d, err := w.svc.Application(ctx, alice, c.Number)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range d.History {
		got = append(got, s.Status)
	}
	if strings.Join(got, ",") != "submitted,received,in_progress,completed,delivered" {
		t.Fatalf("timeline %v", got)
	}
	reg := d.History[1]
	if reg.From != "submitted" || reg.Took != 30*time.Second || reg.Limit == "" || reg.Within == nil || !*reg.Within {
		t.Errorf("registration step: %+v", reg)
	}
	dec := d.History[3]
	if dec.From != "received" || dec.Took != 25*time.Minute || dec.Deadline.IsZero() || dec.Within == nil {
		t.Fatalf("decision step: %+v", dec)
	}
	svc, _ := w.cat.Service("AKT-3")
	ch, _ := svc.Channel("portal")
	if dec.Limit != ch.Total {
		t.Errorf("decision limit %q, want the channel's term %q", dec.Limit, ch.Total)
	}
	wantWithin := !c.Events[2].At.After(c.Deadline)
	if *dec.Within != wantWithin {
		t.Errorf("within = %v, want %v (deadline %v)", *dec.Within, wantWithin, c.Deadline)
	}
	del := d.History[4]
	if del.From != "decided" || del.Took != 0 || del.Within == nil || !*del.Within || del.Actor != "ПЭП: личный кабинет" {
		t.Errorf("delivery step: %+v", del)
	}
	if !d.Result.Delivered || !d.SurveyOpen {
		t.Errorf("result delivered %v, survey open %v", d.Result.Delivered, d.SurveyOpen)
	}
}

func TestLateDecision(t *testing.T) {
	w := newWorld(t)
	c := w.apply(alice, "con")
	c = w.decide(c, 60*24*time.Hour, true, w.official)
	d, err := w.svc.Application(context.Background(), alice, c.Number)
	if err != nil {
		t.Fatal(err)
	}
	last := d.History[len(d.History)-1]
	if last.Status != "refused" || last.Within == nil || *last.Within {
		t.Fatalf("a refusal two months late: %+v", last)
	}
	if !d.Overdue {
		t.Error("not overdue")
	}
}

func TestOnlyOwnApplications(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	mine := w.apply(alice, "portal")
	theirs := w.apply(bob, "portal")
	w.decide(theirs, time.Minute, false, w.official)
	as, err := w.svc.Applications(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].Number != mine.Number {
		t.Fatalf("alice sees %d applications", len(as))
	}
	for name, f := range map[string]func() error{
		"application":  func() error { _, err := w.svc.Application(ctx, alice, theirs.Number); return err },
		"result":       func() error { _, err := w.svc.Result(ctx, alice, theirs.Number); return err },
		"verify":       func() error { _, err := w.svc.Verify(ctx, alice, theirs.Number); return err },
		"survey":       func() error { _, err := w.svc.Answer(ctx, alice, theirs.Number, 3, 3); return err },
		"missing":      func() error { _, err := w.svc.Application(ctx, alice, "AKT-3-20991231-000001"); return err },
		"handover-iin": func() error { _, err := w.svc.HandOver(ctx, theirs.Number, alice, Operator{Name: "x"}); return err },
	} {
		if err := f(); err == nil || !strings.Contains(err.Error(), "no such application") {
			t.Errorf("%s of another person's application: %v", name, err)
		}
	}
	ns, err := w.svc.Notifications(ctx, alice, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Application != mine.Number {
			t.Errorf("alice got a notification of %s", n.Application)
		}
	}
}

func TestNotifications(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c := w.apply(alice, "portal")
	w.decide(c, time.Minute, true, w.official)
	ns, err := w.svc.Notifications(ctx, alice, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 3 { // registered, refused, delivered
		t.Fatalf("%d notifications, want 3: %+v", len(ns), ns)
	}
	if ns[0].Status != cases.Delivered && ns[0].Status != cases.Refused {
		t.Errorf("newest first: %+v", ns[0])
	}
	for _, n := range ns {
		if n.Read || n.TextRU == "" || n.TextKZ == "" || !strings.Contains(n.TextRU, c.Number) {
			t.Errorf("notification %+v", n)
		}
	}
	if n, err := w.svc.MarkRead(ctx, alice, []string{ns[0].ID, c.Number + "#99", "OTHER#0"}); err != nil || n != 1 {
		t.Fatalf("marked %d, %v", n, err)
	}
	unread, _ := w.svc.Notifications(ctx, alice, true, 0)
	if len(unread) != 2 {
		t.Fatalf("%d unread after marking one", len(unread))
	}
	if n, _ := w.svc.MarkRead(ctx, alice, nil); n != 2 {
		t.Fatalf("mark all: %d", n)
	}
	if unread, _ = w.svc.Notifications(ctx, alice, true, 0); len(unread) != 0 {
		t.Fatalf("%d unread after marking all", len(unread))
	}
	if bobs, _ := w.svc.Notifications(ctx, bob, false, 0); len(bobs) != 0 {
		t.Fatalf("bob has %d notifications", len(bobs))
	}
}

func TestVerifyResult(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	good := w.decide(w.apply(alice, "portal"), time.Minute, false, w.official)
	v, err := w.svc.Verify(ctx, alice, good.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.Signer == nil || v.Signer.IIN != "870412300317" || v.Signer.BIN == "" || v.Result != "RT-2026-000001" {
		t.Fatalf("verdict %+v signer %+v", v, v.Signer)
	}
	res, _ := w.svc.Result(ctx, alice, good.Number)
	tampered := strings.Replace(string(res.XML), "Справка выдана.", "Справка выдана дважды.", 1)
	if v := w.svc.VerifyXML(ctx, []byte(tampered), alice, good.Number); v.Valid || v.Code == "" {
		t.Errorf("tampered result: %+v", v)
	}
	if v := w.svc.VerifyXML(ctx, res.XML, bob, good.Number); v.Valid || v.Code != "NOT_YOURS" {
		t.Errorf("someone else's result: %+v", v)
	}
	if v := w.svc.VerifyXML(ctx, []byte("<a/>"), alice, good.Number); v.Valid {
		t.Errorf("unsigned: %+v", v)
	}
	open := w.apply(alice, "portal")
	if _, err := w.svc.Verify(ctx, alice, open.Number); err == nil || !strings.Contains(err.Error(), "no result") {
		t.Errorf("no result yet: %v", err)
	}
}

func TestSurveyAndIndicators(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	open := w.apply(alice, "portal")
	if _, err := w.svc.Answer(ctx, alice, open.Number, 3, 3); err == nil || !strings.Contains(err.Error(), "opens") {
		t.Fatalf("survey before the result: %v", err)
	}
	a := w.decide(w.apply(alice, "portal"), time.Minute, false, w.official)
	b := w.decide(w.apply(bob, "portal"), 90*24*time.Hour, true, w.official) // late
	for _, tc := range []struct {
		iin, number string
		q, i        int
		ok          bool
	}{
		{alice, a.Number, 0, 3, false},
		{alice, a.Number, 3, 4, false},
		{alice, a.Number, 3, 2, true},
		{alice, a.Number, 1, 1, false}, // once only
		{bob, b.Number, 1, 2, true},
	} {
		_, err := w.svc.Answer(ctx, tc.iin, tc.number, tc.q, tc.i)
		if (err == nil) != tc.ok {
			t.Errorf("answer %+v: %v", tc, err)
		}
	}
	ins, err := w.svc.Indicators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || ins[0].ServiceID != "AKT-3" {
		t.Fatalf("indicators %+v", ins)
	}
	in := ins[0]
	if in.Registered != 3 || in.Completed != 1 || in.Refused != 1 || in.OnTime != 1 || in.Late != 1 || in.Delivered != 2 || in.Answers != 2 {
		t.Fatalf("counts %+v", in)
	}
	// quality: answers 3 and 1 → (1 + 0) / 2; information: 2 and 2 → 0.5; SLA 1/2.
	if *in.Quality != 0.5 || *in.Information != 0.5 || *in.SLA != 0.5 || *in.Accessibility != 0.5 {
		t.Fatalf("indexes q=%v i=%v sla=%v acc=%v", *in.Quality, *in.Information, *in.SLA, *in.Accessibility)
	}
	r := metrics.New()
	w.svc.RegisterMetrics(r)
	var sb strings.Builder
	r.Write(&sb)
	for _, want := range []string{
		`shep_service_quality_index{service="AKT-3"} 0.5`,
		`shep_service_sla_adherence_ratio{service="AKT-3"} 0.5`,
		`shep_service_survey_answers{service="AKT-3",question="quality",answer="3"} 1`,
		`shep_service_applications{service="AKT-3",outcome="late"} 1`,
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, sb.String())
		}
	}
}

func TestConQueue(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	c := w.decide(w.apply(alice, "con"), time.Minute, false, w.official)
	if c.Status != cases.Completed {
		t.Fatalf("a ЦОН result is %s before hand-over", c.Status)
	}
	w.decide(w.apply(bob, "portal"), time.Minute, false, w.official) // delivered at once: not queued
	q, err := w.svc.Queue(ctx, "con", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].Number != c.Number || q[0].ApplicantIIN != alice {
		t.Fatalf("queue %+v", q)
	}
	if _, err := w.svc.HandOver(ctx, c.Number, alice, Operator{}); err == nil {
		t.Error("hand-over without an operator")
	}
	a, err := w.svc.HandOver(ctx, c.Number, alice, Operator{Name: "ЖУМАБЕКОВ Е.", IIN: "941111350315"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != cases.Delivered || a.Result.DeliveredTo != "ЦОН: ЖУМАБЕКОВ Е." {
		t.Fatalf("after hand-over %+v", a)
	}
	if _, err := w.svc.HandOver(ctx, c.Number, alice, Operator{Name: "x"}); err == nil || !strings.Contains(err.Error(), "not waiting") {
		t.Errorf("second hand-over: %v", err)
	}
	if q, _ = w.svc.Queue(ctx, "con", 0); len(q) != 0 {
		t.Fatalf("queue after hand-over: %d", len(q))
	}
}

// TestAPI drives every citizen and admin route over HTTP, with a stand-in session (the header
// X-Test-IIN) in place of the accounts package.
func TestAPI(t *testing.T) {
	w := newWorld(t)
	done := w.decide(w.apply(alice, "portal"), time.Minute, false, w.official)
	theirs := w.apply(bob, "portal")
	queued := w.decide(w.apply(alice, "con"), time.Minute, false, w.official)
	r := mux.NewRouter()
	w.svc.Routes(r, Auth{
		Require: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, rq *http.Request) {
				if rq.Header.Get("X-Test-IIN") == "" {
					rw.WriteHeader(http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(rw, rq)
			})
		},
		Who: func(rq *http.Request) (string, bool) { v := rq.Header.Get("X-Test-IIN"); return v, v != "" },
	})
	w.svc.AdminRoutes(r.PathPrefix("/admin").Subrouter())
	srv := httptest.NewServer(r)
	defer srv.Close()
	call := func(method, path, iin, body string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if iin != "" {
			req.Header.Set("X-Test-IIN", iin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	base := "/api/cabinet/applications/"
	for _, tc := range []struct {
		method, path, iin, body string
		status                  int
		contains                string
	}{
		{"GET", "/api/cabinet/applications", "", "", 401, ""},
		{"GET", "/api/cabinet/applications", alice, "", 200, done.Number},
		{"GET", "/api/cabinet/applications?iin=" + bob, alice, "", 403, "FORBIDDEN"},
		{"GET", "/api/cabinet/applications?iin=" + alice, alice, "", 200, done.Number},
		{"GET", base + done.Number, alice, "", 200, `"history"`},
		{"GET", base + theirs.Number, alice, "", 404, "APPLICATION_NOT_FOUND"},
		{"GET", base + done.Number + "/result", alice, "", 200, "<ds:Signature"},
		{"GET", base + done.Number + "/result", bob, "", 404, "APPLICATION_NOT_FOUND"},
		{"GET", base + theirs.Number + "/result", bob, "", 404, "NO_RESULT"},
		{"GET", base + done.Number + "/result.html?lang=kk", alice, "", 200, "<html"},
		{"GET", base + done.Number + "/result/verification", alice, "", 200, `"valid":true`},
		{"GET", base + done.Number + "/result/verification", bob, "", 404, "APPLICATION_NOT_FOUND"},
		{"POST", base + done.Number + "/survey", alice, `{"quality":3,"information":9}`, 400, "INVALID"},
		{"POST", base + done.Number + "/survey", alice, `{"quality":3,"information":2}`, 201, `"quality":3`},
		{"POST", base + done.Number + "/survey", alice, `{"quality":3,"information":2}`, 409, "SURVEY_DONE"},
		{"POST", base + theirs.Number + "/survey", bob, `{"quality":3,"information":2}`, 409, "SURVEY_CLOSED"},
		{"POST", base + done.Number + "/survey", bob, `{"quality":3,"information":2}`, 404, "APPLICATION_NOT_FOUND"},
		{"GET", "/api/cabinet/notifications", alice, "", 200, `"unread":`},
		{"GET", "/api/cabinet/notifications?unread=true&limit=1", alice, "", 200, done.Number[:6]},
		{"POST", "/api/cabinet/notifications/read", alice, `{"ids":[]}`, 200, `"marked":`},
		{"POST", "/api/cabinet/notifications/read", alice, `{"bogus":1}`, 400, "INVALID"},
		{"GET", "/api/indicators", "", "", 200, `"AKT-3"`},
		{"GET", "/api/cabinet/openapi.yaml", "", "", 200, "openapi: 3"},
		{"GET", "/admin/cabinet/" + bob + "/applications", "", "", 200, theirs.Number},
		{"GET", "/admin/cabinet/" + bob + "/applications/" + theirs.Number, "", "", 200, `"history"`},
		{"GET", "/admin/cabinet/" + bob + "/applications/" + done.Number, "", "", 404, "APPLICATION_NOT_FOUND"},
		{"GET", "/admin/cabinet/" + alice + "/notifications", "", "", 200, done.Number},
		{"GET", "/admin/con/queue", "", "", 200, queued.Number},
		{"POST", "/admin/con/queue/" + queued.Number + "/handover", "", `{"applicant_iin":"` + bob + `","operator":{"name":"X"}}`, 404, "APPLICATION_NOT_FOUND"},
		{"POST", "/admin/con/queue/" + queued.Number + "/handover", "", `{"applicant_iin":"` + alice + `","operator":{"name":"X"}}`, 200, `"delivered"`},
		{"POST", "/admin/con/queue/" + queued.Number + "/handover", "", `{"applicant_iin":"` + alice + `","operator":{"name":"X"}}`, 409, "NOT_QUEUED"},
		{"GET", "/admin/indicators", "", "", 200, `"sla_adherence"`},
	} {
		st, body, _ := call(tc.method, tc.path, tc.iin, tc.body)
		if st != tc.status || !strings.Contains(body, tc.contains) {
			t.Errorf("%s %s as %q: %d %.300s; want %d with %q", tc.method, tc.path, tc.iin, st, body, tc.status, tc.contains)
		}
	}
	// The download is the stored document, byte for byte, as an attachment.
	_, body, h := call("GET", base+done.Number+"/result", alice, "")
	if body != string(done.Result.Document) || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Error("the downloaded result differs from the issued one")
	}
	var list struct {
		Applications []Application `json:"applications"`
	}
	_, body, _ = call("GET", "/api/cabinet/applications", alice, "")
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Applications) != 2 {
		t.Fatalf("list: %v %s", err, body)
	}
}

// TestOpenAPICoversRoutes: every route of the cabinet, its admin API and the accounts is in
// openapi.yaml, and the file names no route that does not exist.
var pathVar = regexp.MustCompile(`\{(\w+):[^/]*\}`)

func TestOpenAPICoversRoutes(t *testing.T) {
	w := newWorld(t)
	r := mux.NewRouter()
	w.svc.Routes(r, Auth{Require: func(h http.Handler) http.Handler { return h }, Who: func(*http.Request) (string, bool) { return "", false }})
	w.svc.AdminRoutes(r.PathPrefix("/admin").Subrouter())
	acc, err := accounts.New(accounts.Options{DB: w.svc.o.DB, Persons: gbdfl.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	acc.Routes(r)
	routes := map[string]bool{}
	err = r.Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := rt.GetPathTemplate()
		if err != nil || !(strings.HasPrefix(tpl, "/api/") || strings.HasPrefix(tpl, "/admin/")) {
			return nil
		}
		if _, err := rt.GetMethods(); err != nil {
			return nil // a prefix, not an endpoint
		}
		tpl = pathVar.ReplaceAllString(tpl, "{$1}") // {iin:[0-9]{12}} → {iin}
		routes[tpl] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The paths are the keys under "paths:" indented by two spaces.
	inPaths := false
	var doc struct{ Paths map[string]any }
	doc.Paths = map[string]any{}
	for _, line := range strings.Split(string(OpenAPI), "\n") {
		switch {
		case line == "paths:":
			inPaths = true
		case inPaths && strings.HasPrefix(line, "  /") && strings.HasSuffix(line, ":"):
			doc.Paths[strings.TrimSuffix(strings.TrimSpace(line), ":")] = true
		case inPaths && line != "" && !strings.HasPrefix(line, " "):
			inPaths = false
		}
	}
	if len(routes) < 20 {
		t.Fatalf("only %d routes found: %v", len(routes), routes)
	}
	for rt := range routes {
		if doc.Paths[rt] == nil {
			t.Errorf("route %s is not in openapi.yaml", rt)
		}
	}
	for p := range doc.Paths {
		if !routes[p] {
			t.Errorf("openapi.yaml names %s, which is not a route", p)
		}
	}
}

// TestScaledClockShortLimits: with a working day per real minute, a registration 2 real seconds
// after submission is 48 regulation minutes late on the regulation clock, yet within its one-minute
// limit, which is measured on the wall clock; a decision's working-day term stays on the
// regulation clock.
func TestScaledClockShortLimits(t *testing.T) {
	w := newWorld(t)
	start := w.real
	w.clock = worktime.NewClock(worktime.ClockState{RealStart: start, VirtualStart: start, DayLength: time.Minute}, func() time.Time { return w.real })
	o := w.svc.o
	o.Clock = w.clock
	svc, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	w.svc = svc
	c := w.apply(alice, "portal") // submitted 30 regulation seconds before registration
	w.real = w.real.Add(2 * time.Second)
	if _, err := w.cases.Update(context.Background(), c.Number, func(c *cases.Case) error {
		c.Submitted = w.clock.Virtual(start)
		c.Received = w.clock.Now()
		c.Events[0].At, c.Events[0].Real = c.Received, w.real
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d, err := svc.Application(context.Background(), alice, c.Number)
	if err != nil {
		t.Fatal(err)
	}
	reg := d.History[1]
	if reg.Took < 40*time.Minute || reg.Within == nil || !*reg.Within || !strings.Contains(reg.LimitSource, "реальному") {
		t.Fatalf("registration on a scaled clock: took %v, %+v", reg.Took, reg)
	}
	w.real = w.real.Add(3 * time.Second) // 72 regulation minutes: too slow for a one-minute hop
	c2 := w.apply(alice, "portal")
	if _, err := w.cases.Update(context.Background(), c2.Number, func(c *cases.Case) error {
		c.Submitted = w.clock.Virtual(w.real.Add(-3 * time.Minute))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d2, _ := svc.Application(context.Background(), alice, c2.Number)
	if r := d2.History[1]; r.Within == nil || *r.Within {
		t.Fatalf("a registration 3 real minutes after submission: %+v", r)
	}
}
