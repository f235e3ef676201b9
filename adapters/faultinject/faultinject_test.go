package faultinject

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/store"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// seq returns the numbers in turn, then fails the test.
func seq(t *testing.T, v ...float64) func() float64 {
	n := 0
	return func() float64 {
		if n >= len(v) {
			t.Errorf("Rand called %d times, only %d numbers given", n+1, len(v))
			return 0.999
		}
		n++
		return v[n-1]
	}
}

func newInjector(t *testing.T, db *store.DB, opts Options) *Injector {
	t.Helper()
	i, err := New(context.Background(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func openDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(store.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func mustSet(t *testing.T, i *Injector, r Rule) Rule {
	t.Helper()
	out, err := i.Set(context.Background(), r)
	if err != nil {
		t.Fatalf("Set(%+v): %v", r, err)
	}
	return out
}

// counting is an adapter that counts its calls and answers with resp.
type counting struct {
	calls atomic.Int64
	resp  *adapters.Response
}

func (c *counting) Handle(ctx context.Context, req *adapters.Request) (*adapters.Response, error) {
	c.calls.Add(1)
	return c.resp, nil
}

func ids(rules []Rule) string {
	var s []string
	for _, r := range rules {
		s = append(s, r.ID)
	}
	return strings.Join(s, ",")
}

func TestSetValidation(t *testing.T) {
	clk := newClock()
	i := newInjector(t, nil, Options{Now: clk.Now})
	ms := func(d time.Duration) Duration { return Duration(d) }
	cases := []struct {
		name string
		r    Rule
		ok   bool
	}{
		{"latency", Rule{Latency: ms(time.Second)}, true},
		{"jitter only", Rule{Jitter: ms(time.Second)}, true},
		{"error rate 1", Rule{ErrorRate: 1}, true},
		{"timeout", Rule{Timeout: true}, true},
		{"no data", Rule{NoData: true, Adapter: "gbdfl"}, true},
		{"refuse", Rule{Refuse: "Отказ", Service: "S"}, true},
		{"refuse 2000 characters", Rule{Refuse: strings.Repeat("я", 2000)}, true},
		{"latency 10 min", Rule{Latency: ms(10 * time.Minute), Jitter: ms(10 * time.Minute)}, true},
		{"own id", Rule{ID: "slow-gbdfl_1.0", Latency: 1}, true},
		{"future expiry", Rule{Timeout: true, Expires: clk.Now().Add(time.Second)}, true},
		{"remaining", Rule{Timeout: true, Remaining: 3}, true},
		{"no effect", Rule{Adapter: "gbdfl", Service: "S", Remaining: 1}, false},
		{"error rate 0 only", Rule{ErrorRate: 0, Service: "S"}, false},
		{"error rate negative", Rule{ErrorRate: -0.1}, false},
		{"error rate above 1", Rule{ErrorRate: 1.01}, false},
		{"error rate NaN", Rule{ErrorRate: math.NaN()}, false},
		{"latency negative", Rule{Latency: -1, ErrorRate: 0.5}, false},
		{"latency above 10 min", Rule{Latency: ms(10*time.Minute + 1)}, false},
		{"jitter negative", Rule{Jitter: -1, Timeout: true}, false},
		{"jitter above 10 min", Rule{Jitter: ms(11 * time.Minute)}, false},
		{"refuse 2001 characters", Rule{Refuse: strings.Repeat("я", 2001)}, false},
		{"remaining negative", Rule{Timeout: true, Remaining: -1}, false},
		{"expired", Rule{Timeout: true, Expires: clk.Now()}, false},
		{"id with slash", Rule{ID: "a/b", Timeout: true}, false},
		{"id too long", Rule{ID: strings.Repeat("a", 65), Timeout: true}, false},
		{"service with newline", Rule{Service: "S\n", Timeout: true}, false},
		{"adapter too long", Rule{Adapter: strings.Repeat("a", 257), Timeout: true}, false},
	}
	hexID := regexp.MustCompile(`^[0-9a-f]{8}$`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.Hits = 42
			got, err := i.Set(context.Background(), c.r)
			if !c.ok {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.r.ID == "" && !hexID.MatchString(got.ID) || c.r.ID != "" && got.ID != c.r.ID {
				t.Errorf("ID %q", got.ID)
			}
			if !got.Created.Equal(clk.Now()) || got.Hits != 0 || got.Remaining != c.r.Remaining {
				t.Errorf("stored %+v", got)
			}
			if stored, err := i.Get(got.ID); err != nil || stored.Refuse != c.r.Refuse || stored.Latency != c.r.Latency {
				t.Errorf("Get: %+v %v", stored, err)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(Rule{ID: "x", Latency: Duration(1500 * time.Millisecond)})
	if err != nil || !strings.Contains(string(b), `"latency":"1.5s"`) || strings.Contains(string(b), "jitter") || strings.Contains(string(b), "expires") {
		t.Fatalf("%s %v", b, err)
	}
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{`{"latency":"250ms"}`, 250 * time.Millisecond, true},
		{`{"latency":null}`, 0, true},
		{`{"latency":1000}`, 0, false},
		{`{"latency":"soon"}`, 0, false},
	} {
		var r Rule
		err := json.Unmarshal([]byte(c.in), &r)
		if (err == nil) != c.ok || time.Duration(r.Latency) != c.want {
			t.Errorf("%s: %v %v", c.in, r.Latency, err)
		}
	}
}

func TestMatchOrderAndExpiry(t *testing.T) {
	clk := newClock()
	i := newInjector(t, nil, Options{Now: clk.Now})
	set := func(r Rule) {
		r.Timeout = true
		mustSet(t, i, r)
		clk.Add(time.Second) // distinct Created
	}
	set(Rule{ID: "any1"})
	set(Rule{ID: "a", Adapter: "A"})
	set(Rule{ID: "s", Service: "S"})
	set(Rule{ID: "as", Adapter: "A", Service: "S"})
	set(Rule{ID: "any2"})
	set(Rule{ID: "b", Adapter: "B"})
	set(Rule{ID: "t", Service: "T"})
	set(Rule{ID: "bt", Adapter: "B", Service: "T"})
	set(Rule{ID: "brief", Adapter: "A", Service: "S", Expires: clk.Now().Add(time.Minute)})

	cases := []struct {
		adapter, service, want string
	}{
		{"A", "S", "as,brief,s,a,any1,any2"},
		{"B", "S", "s,b,any1,any2"},
		{"B", "T", "bt,t,b,any1,any2"},
		{"C", "U", "any1,any2"},
		{"", "", "any1,any2"},
	}
	for _, c := range cases {
		if got := ids(i.Match(c.adapter, c.service)); got != c.want {
			t.Errorf("Match(%q, %q) = %s, want %s", c.adapter, c.service, got, c.want)
		}
	}
	if got := ids(i.List()); got != "as,bt,brief,s,t,a,b,any1,any2" {
		t.Errorf("List = %s", got)
	}
	clk.Add(time.Minute)
	if got := ids(i.Match("A", "S")); got != "as,s,a,any1,any2" {
		t.Errorf("after expiry: Match = %s", got)
	}
	if _, err := i.Get("brief"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(expired) = %v", err)
	}
	if err := i.Delete(context.Background(), "brief"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete(expired) = %v", err)
	}
	// An expired rule does not act either, nor does it count.
	i2 := newInjector(t, nil, Options{Now: clk.Now})
	r := mustSet(t, i2, Rule{Adapter: "X", ErrorRate: 1, Refuse: "x", NoData: true, Expires: clk.Now().Add(time.Second)})
	clk.Add(time.Second)
	ad := &counting{}
	if _, err := i2.Wrap("X", ad).Handle(context.Background(), &adapters.Request{ServiceID: "S"}); err != nil || ad.calls.Load() != 1 {
		t.Errorf("expired rule acted: %v", err)
	}
	if _, ok := i2.Refusal("X", "S"); ok || i2.NoData("X", "S") {
		t.Error("expired rule refused")
	}
	clk.Add(-time.Second)
	if got, err := i2.Get(r.ID); err != nil || got.Hits != 0 {
		t.Errorf("expired rule counted: %+v %v", got, err)
	}
}

func TestWrap(t *testing.T) {
	resp := &adapters.Response{}
	cases := []struct {
		name    string
		rule    Rule
		rand    []float64
		calls   int
		wantErr []faults.Code // per call; "" = the adapter answered
	}{
		{"error rate 1", Rule{Adapter: "rshep", ErrorRate: 1}, []float64{0, 0.5, 0.999999, 0.3}, 4,
			[]faults.Code{faults.ProviderUnavailable, faults.ProviderUnavailable, faults.ProviderUnavailable, faults.ProviderUnavailable}},
		{"error rate 0.5", Rule{Service: "S", ErrorRate: 0.5}, []float64{0.1, 0.6, 0.49, 0.5, 0.99, 0}, 6,
			[]faults.Code{faults.ProviderUnavailable, "", faults.ProviderUnavailable, "", "", faults.ProviderUnavailable}},
		{"no data", Rule{Adapter: "rshep", Service: "S", NoData: true}, nil, 2,
			[]faults.Code{faults.GBDFLNoData, faults.GBDFLNoData}},
		{"other service", Rule{Service: "T", ErrorRate: 1, NoData: true}, nil, 3, []faults.Code{"", "", ""}},
		{"other adapter", Rule{Adapter: "e-sobes", ErrorRate: 1}, nil, 2, []faults.Code{"", ""}},
		{"refuse is not Wrap's", Rule{Adapter: "rshep", Refuse: "нет"}, nil, 2, []faults.Code{"", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := newInjector(t, nil, Options{Rand: seq(t, c.rand...)})
			r := mustSet(t, i, c.rule)
			ad := &counting{resp: resp}
			w := i.Wrap("rshep", ad)
			answered, hits := 0, 0
			for n := range c.calls {
				got, err := w.Handle(context.Background(), &adapters.Request{ServiceID: "S"})
				want := c.wantErr[n]
				if want == "" {
					answered++
					if err != nil || got != resp {
						t.Errorf("call %d: %v %v, want the adapter's answer", n, got, err)
					}
				} else if fe := faults.From(err); fe == nil || fe.Code != want || !strings.Contains(fe.Detail, "injected") || got != nil {
					t.Errorf("call %d: %v, want %s (injected)", n, err, want)
				}
				if r.matches("rshep", "S") && r.hasWrapEffect() {
					hits++
				}
			}
			if ad.calls.Load() != int64(answered) {
				t.Errorf("adapter called %d times, want %d", ad.calls.Load(), answered)
			}
			if got, _ := i.Get(r.ID); got.Hits != int64(hits) {
				t.Errorf("hits %d, want %d", got.Hits, hits)
			}
		})
	}
}

func TestWrapLatency(t *testing.T) {
	i := newInjector(t, nil, Options{Rand: seq(t, 0.25, 0.5)})
	mustSet(t, i, Rule{Adapter: "gbdfl", Latency: Duration(2 * time.Second), Jitter: Duration(time.Second)})
	mustSet(t, i, Rule{Service: "S", Jitter: Duration(4 * time.Second)})
	var events []string
	i.sleep = func(ctx context.Context, d time.Duration) error {
		events = append(events, "sleep "+d.String())
		return nil
	}
	ad := adapters.AdapterFunc(func(ctx context.Context, req *adapters.Request) (*adapters.Response, error) {
		events = append(events, "adapter")
		return &adapters.Response{}, nil
	})
	if _, err := i.Wrap("gbdfl", ad).Handle(context.Background(), &adapters.Request{ServiceID: "S"}); err != nil {
		t.Fatal(err)
	}
	// Most specific first: S's jitter 4s×0.25, then gbdfl's 2s + 1s×0.5.
	if got := strings.Join(events, "; "); got != "sleep 3.5s; adapter" {
		t.Errorf("events: %s", got)
	}

	// A real wait that actually waited (a lower bound cannot be flaky).
	i2 := newInjector(t, nil, Options{})
	mustSet(t, i2, Rule{Latency: Duration(20 * time.Millisecond)})
	start := time.Now()
	if _, err := i2.Wrap("x", ad).Handle(context.Background(), &adapters.Request{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 20*time.Millisecond {
		t.Errorf("returned after %s, before the latency", took)
	}
}

func TestWrapLatencyCancelled(t *testing.T) {
	i := newInjector(t, nil, Options{})
	mustSet(t, i, Rule{Latency: Duration(10 * time.Minute)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waiting := make(chan struct{})
	i.sleep = func(ctx context.Context, d time.Duration) error {
		close(waiting)
		return sleepCtx(ctx, d)
	}
	go func() { <-waiting; cancel() }()
	ad := &counting{}
	_, err := i.Wrap("x", ad).Handle(ctx, &adapters.Request{})
	if !errors.Is(err, context.Canceled) || ad.calls.Load() != 0 {
		t.Fatalf("err %v, adapter calls %d; want context.Canceled and none", err, ad.calls.Load())
	}
}

// watchedCtx reports when Done is first asked for.
type watchedCtx struct {
	context.Context
	once  sync.Once
	asked chan struct{}
}

func (c *watchedCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.asked) })
	return c.Context.Done()
}

func TestWrapTimeout(t *testing.T) {
	i := newInjector(t, nil, Options{})
	mustSet(t, i, Rule{Adapter: "labour-market", Service: "S", Timeout: true})
	base, cancel := context.WithCancelCause(context.Background())
	ctx := &watchedCtx{Context: base, asked: make(chan struct{})}
	ad := &counting{}
	done := make(chan error, 1)
	go func() {
		_, err := i.Wrap("labour-market", ad).Handle(ctx, &adapters.Request{ServiceID: "S"})
		done <- err
	}()
	select {
	case <-ctx.asked:
	case err := <-done:
		t.Fatalf("returned without waiting for ctx: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("returned before ctx was done: %v", err)
	default:
	}
	cancel(context.DeadlineExceeded)
	err := <-done
	if !errors.Is(err, context.Canceled) || ad.calls.Load() != 0 {
		t.Fatalf("err %v, adapter calls %d", err, ad.calls.Load())
	}
	// As the gateway sees it: a deadline gives context.DeadlineExceeded.
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now())
	defer dcancel()
	if _, err := i.Wrap("labour-market", ad).Handle(dctx, &adapters.Request{ServiceID: "S"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want DeadlineExceeded", err)
	}
}

func TestRefusalAndNoData(t *testing.T) {
	i := newInjector(t, nil, Options{})
	mustSet(t, i, Rule{ID: "any", Refuse: "общий отказ"})
	mustSet(t, i, Rule{ID: "one", Adapter: "rshep", Service: "S", Refuse: "нет сведений о браке", Remaining: 1})
	mustSet(t, i, Rule{ID: "gb", Adapter: "gbdfl", Service: "S", NoData: true})
	cases := []struct {
		adapter, service, reason string
		ok                       bool
	}{
		{"rshep", "S", "нет сведений о браке", true}, // the most specific, used up now
		{"rshep", "S", "общий отказ", true},
		{"e-sobes", "T", "общий отказ", true},
	}
	for n, c := range cases {
		if reason, ok := i.Refusal(c.adapter, c.service); reason != c.reason || ok != c.ok {
			t.Errorf("%d: Refusal(%s, %s) = %q %v", n, c.adapter, c.service, reason, ok)
		}
	}
	if _, err := i.Get("one"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rule with Remaining 1 still there: %v", err)
	}
	if r, _ := i.Get("any"); r.Hits != 2 {
		t.Errorf("hits of any: %d", r.Hits)
	}
	if err := i.Delete(context.Background(), "any"); err != nil {
		t.Fatal(err)
	}
	if reason, ok := i.Refusal("rshep", "S"); ok {
		t.Errorf("refusal after delete: %q", reason)
	}
	for _, c := range []struct {
		adapter, service string
		want             bool
	}{{"gbdfl", "S", true}, {"gbdfl", "T", false}, {"enis", "S", false}, {"gbdfl", "S", true}} {
		if got := i.NoData(c.adapter, c.service); got != c.want {
			t.Errorf("NoData(%s, %s) = %v", c.adapter, c.service, got)
		}
	}
	if r, _ := i.Get("gb"); r.Hits != 2 {
		t.Errorf("hits of gb: %d", r.Hits)
	}
}

func TestRemainingPersisted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDB(t, dir)
	i := newInjector(t, db, Options{})
	once := mustSet(t, i, Rule{Service: "S", ErrorRate: 1, Remaining: 2})
	kept := mustSet(t, i, Rule{Service: "T", ErrorRate: 1, Remaining: 3})
	ad := &counting{}
	w := i.Wrap("p", ad)
	for n, want := range []faults.Code{faults.ProviderUnavailable, faults.ProviderUnavailable, ""} {
		_, err := w.Handle(ctx, &adapters.Request{ServiceID: "S"})
		if got := faults.From(err); want == "" && err != nil || want != "" && (got == nil || got.Code != want) {
			t.Errorf("call %d: %v, want %q", n, err, want)
		}
	}
	if _, err := w.Handle(ctx, &adapters.Request{ServiceID: "T"}); faults.From(err) == nil {
		t.Error("rule of T did not act")
	}
	if got := ids(i.List()); got != kept.ID {
		t.Fatalf("List = %s, want only %s (%s used up)", got, kept.ID, once.ID)
	}
	if err := i.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openDB(t, dir)
	defer db.Close()
	i = newInjector(t, db, Options{})
	list := i.List()
	if len(list) != 1 || list[0].ID != kept.ID || list[0].Remaining != 2 || list[0].Hits != 1 || !list[0].Created.Equal(kept.Created) {
		t.Fatalf("after reload: %+v", list)
	}
	// Use it up after the reload: it is gone, in memory and in the store.
	for range 2 {
		if _, err := i.Wrap("p", ad).Handle(ctx, &adapters.Request{ServiceID: "T"}); faults.From(err) == nil {
			t.Error("rule of T did not act after reload")
		}
	}
	if l := i.List(); len(l) != 0 {
		t.Errorf("List = %+v", l)
	}
	if i2 := newInjector(t, db, Options{}); len(i2.List()) != 0 {
		t.Errorf("a used-up rule came back from the store: %+v", i2.List())
	}
}

func TestWritesPersistCounters(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	dir := t.TempDir()
	db := openDB(t, dir)
	i := newInjector(t, db, Options{Now: clk.Now})
	a := mustSet(t, i, Rule{Adapter: "gbdfl", NoData: true, Remaining: 5})
	b := mustSet(t, i, Rule{ID: "gone", Timeout: true, Expires: clk.Now().Add(time.Minute)})
	i.NoData("gbdfl", "S")
	i.NoData("gbdfl", "S")
	mustSet(t, i, Rule{Refuse: "x"}) // a write: flushes a's counters
	clk.Add(time.Hour)               // b expires
	db.Close()

	db = openDB(t, dir)
	defer db.Close()
	i = newInjector(t, db, Options{Now: clk.Now})
	got, err := i.Get(a.ID)
	if err != nil || got.Hits != 2 || got.Remaining != 3 {
		t.Fatalf("after reload: %+v %v", got, err)
	}
	if _, err := i.Get(b.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired rule loaded: %v", err)
	}
	n, err := i.Clear(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Clear = %d %v", n, err)
	}
	if i2 := newInjector(t, db, Options{Now: clk.Now}); len(i2.List()) != 0 {
		t.Errorf("cleared rules came back: %+v", i2.List())
	}
}

func TestConcurrentRemaining(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, t.TempDir())
	defer db.Close()
	i := newInjector(t, db, Options{})
	const workers, each, remaining = 32, 25, 300
	r := mustSet(t, i, Rule{Adapter: "rshep", ErrorRate: 1, Remaining: remaining})
	mustSet(t, i, Rule{Service: "other", Refuse: "x", Remaining: workers * each}) // only Refusal uses it
	ad := &counting{}
	w := i.Wrap("rshep", ad)
	var failed atomic.Int64
	var wg sync.WaitGroup
	for n := range workers {
		wg.Go(func() {
			for k := range each {
				if _, err := w.Handle(ctx, &adapters.Request{ServiceID: "S"}); err != nil {
					if faults.From(err).Code != faults.ProviderUnavailable {
						t.Errorf("%v", err)
					}
					failed.Add(1)
				}
				i.Refusal("any", "other")
				_ = i.Match("rshep", "S")
				_ = i.List()
				if k == each/2 && n%8 == 0 {
					mustSet(t, i, Rule{Service: "unrelated", Timeout: true})
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() != remaining || ad.calls.Load() != workers*each-remaining {
		t.Errorf("failed %d, adapter calls %d; want %d and %d", failed.Load(), ad.calls.Load(), remaining, workers*each-remaining)
	}
	if _, err := i.Get(r.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("used-up rule still there: %v", err)
	}
	if l := i.Match("any", "other"); len(l) != 0 {
		t.Errorf("refusal rule not used up: %+v", l)
	}
	if i2 := newInjector(t, db, Options{}); len(i2.List()) != workers/8 {
		t.Errorf("store holds %d rules, want %d: %+v", len(i2.List()), workers/8, i2.List())
	}
}
