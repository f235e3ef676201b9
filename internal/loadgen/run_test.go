package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/gateway/syncchannel"
)

// soap wraps a body element in a SOAP 1.1 envelope, as the gateway answers (unsigned here: the
// load generator does not verify answers).
func soap(el *etree.Element) []byte {
	doc := etree.NewDocument()
	env := doc.CreateElement("soap:Envelope")
	env.CreateAttr("xmlns:soap", nsSOAP11)
	body := env.CreateElement("soap:Body")
	body.AddChild(el)
	b, _ := doc.WriteToBytes()
	return b
}

func faultBody(code string) []byte {
	f := etree.NewElement("soap:Fault")
	f.CreateElement("faultcode").SetText("soap:Client")
	f.CreateElement("faultstring").SetText("refused")
	info := &syncchannel.ErrorInfo{Code: code, Message: "отказ", Sub: &syncchannel.ErrorInfo{Code: "SUB_" + code, Message: "detail"}, SessionID: "{00000000-0000-4000-8000-000000000000}"}
	f.CreateElement("detail").AddChild(info.Element())
	return soap(f)
}

func successBody(appStatus string) []byte {
	r := &syncchannel.Response{Info: syncchannel.ResponseInfo{MessageID: "m", ResponseDate: time.Now(), Status: syncchannel.Status{Code: syncchannel.StatusSuccess, Message: syncchannel.StatusSuccessMessage}, SessionID: "{00000000-0000-4000-8000-000000000000}"}}
	if appStatus != "" {
		d := etree.NewElement("data")
		d.CreateAttr("xmlns:c", "urn:example:status")
		d.CreateElement("c:applicationNumber").SetText("AKT-3-20260101-000001")
		st := d.CreateElement("c:status")
		st.CreateAttr("code", appStatus)
		st.SetText("статус")
		r.Data = d
	}
	return soap(r.Element())
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   []byte
		err    error
		want   Outcome
	}{
		{"success", 200, successBody(""), nil, Outcome{Kind: Success}},
		{"application received", 200, successBody("received"), nil, Outcome{Kind: Success, AppStatus: "received"}},
		{"application decided", 200, successBody("completed"), nil, Outcome{Kind: Success, AppStatus: "completed"}},
		{"fault (SOAP 1.1: HTTP 500)", 500, faultBody("AUTH_PASSWORD"), nil, Outcome{Kind: Refusal, Code: "AUTH_PASSWORD"}},
		{"fault with HTTP 200", 200, faultBody("GBDFL_NO_DATA"), nil, Outcome{Kind: Refusal, Code: "GBDFL_NO_DATA"}},
		{"HTTP error without a fault", 503, []byte("busy"), nil, Outcome{Kind: Failure, Code: "HTTP 503"}},
		{"not a SendMessage answer", 200, []byte("<html/>"), nil, Outcome{Kind: Failure, Code: "unreadable answer"}},
		{"another status code", 200, bytes.Replace(successBody(""), []byte("SCSS001"), []byte("XXX"), 1), nil, Outcome{Kind: Failure, Code: "status XXX"}},
		{"connection refused", 0, nil, &net.OpError{Op: "dial", Err: fmt.Errorf("connect: %w", errConnRefused())}, Outcome{Kind: Failure, Code: "transport: connection refused"}},
		{"timeout", 0, nil, fmt.Errorf("Post: %w", context.DeadlineExceeded), Outcome{Kind: Failure, Code: "transport: timeout"}},
		{"other transport error", 0, nil, errors.New("boom"), Outcome{Kind: Failure, Code: "transport: error"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.status, tt.body, tt.err); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	for status, decided := range map[string]bool{"completed": true, "refused": true, "delivered": true, "received": false, "in_progress": false, "": false} {
		if (Outcome{Kind: Success, AppStatus: status}).Decided() != decided {
			t.Errorf("%q decided: %v", status, !decided)
		}
	}
}

// canned is a Source whose requests tell the test server what to answer.
type canned struct {
	kinds []string
	n     atomic.Int64
}

func (c *canned) Next() (*Request, error) {
	i := c.n.Add(1) - 1
	k := c.kinds[i%int64(len(c.kinds))]
	return &Request{Entry: int(i % int64(len(c.kinds))), MessageID: fmt.Sprint(i), Body: []byte(k)}, nil
}

// cannedServer answers "ok", "ok:STATUS", "fault:CODE" or "http:STATUS" as told.
func cannedServer(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "text/xml; charset=utf-8" || r.Header.Get("SOAPAction") != `""` {
			http.Error(w, "bad request", 400)
			return
		}
		kind, arg, _ := strings.Cut(string(b), ":")
		switch kind {
		case "ok":
			w.Write(successBody(arg))
		case "fault":
			w.WriteHeader(500)
			w.Write(faultBody(arg))
		case "http":
			var code int
			fmt.Sscan(arg, &code)
			w.WriteHeader(code)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// A closed loop against canned answers: every request handed out is counted once, by its outcome,
// and the refusals are grouped by errorCode.
func TestClosedLoopCounts(t *testing.T) {
	s := cannedServer(t)
	kinds := []string{"ok", "ok:received", "fault:AUTH_PASSWORD", "ok", "fault:SIGNATURE_INVALID", "fault:AUTH_PASSWORD", "http:503", "ok:completed"}
	src := &canned{kinds: kinds}
	res, err := Run(context.Background(), Options{Target: s.URL, Source: src, Entries: len(kinds), Concurrency: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n := src.n.Load()
	if res.Requests != n || n < int64(len(kinds)) {
		t.Fatalf("%d requests counted, %d handed out", res.Requests, n)
	}
	// What the handed-out prefix holds, exactly.
	want := map[string]int64{}
	for i := range n {
		want[kinds[i%int64(len(kinds))]]++
	}
	if res.Successes != want["ok"]+want["ok:received"]+want["ok:completed"] || res.Refusals != want["fault:AUTH_PASSWORD"]+want["fault:SIGNATURE_INVALID"] || res.Failures != want["http:503"] {
		t.Errorf("successes %d refusals %d failures %d; want %v", res.Successes, res.Refusals, res.Failures, want)
	}
	if len(res.RefusalCodes) != 2 || res.RefusalCodes["AUTH_PASSWORD"] != want["fault:AUTH_PASSWORD"] || res.RefusalCodes["SIGNATURE_INVALID"] != want["fault:SIGNATURE_INVALID"] {
		t.Errorf("refusal codes %v, want %v", res.RefusalCodes, want)
	}
	if len(res.FailureKinds) != 1 || res.FailureKinds["HTTP 503"] != want["http:503"] {
		t.Errorf("failures %v", res.FailureKinds)
	}
	if res.AppStatus["received"] != want["ok:received"] || res.AppStatus["completed"] != want["ok:completed"] || len(res.AppStatus) != 2 {
		t.Errorf("application status %v", res.AppStatus)
	}
	if res.Entries[7].Decided != want["ok:completed"] || res.Entries[1].Decided != 0 {
		t.Errorf("decided: %d %d", res.Entries[7].Decided, res.Entries[1].Decided)
	}
	if res.Latency.Count() != uint64(n) || res.Mode != "closed" || res.Dropped != 0 || res.Elapsed <= 0 {
		t.Errorf("latency count %d of %d, mode %s, dropped %d, elapsed %v", res.Latency.Count(), n, res.Mode, res.Dropped, res.Elapsed)
	}
	ok, all := res.Throughput()
	if ok <= 0 || all < ok {
		t.Errorf("throughput %v %v", ok, all)
	}
}

// Nothing listens: every request fails with a transport error and none succeeds.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	res, err := Run(context.Background(), Options{Target: "http://" + addr + "/", Source: &canned{kinds: []string{"ok"}}, Concurrency: 2, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Successes != 0 || res.Failures == 0 || res.FailureKinds["transport: connection refused"] != res.Failures || res.Latency.Count() != 0 {
		t.Errorf("%+v", res)
	}
}

// The open loop keeps its schedule whatever the server does: a server that handles one request at
// a time, 40 ms each, gets exactly the 10 requests due every 20 ms, and the k-th cannot be answered
// before (k+1)·40 ms, so its latency is at least (k+1)·40 − k·20 ms although the server spends
// 40 ms on it (a closed loop of one worker would see 40 ms each and send half as many).
func TestOpenLoopLatencyFromDueTime(t *testing.T) {
	const service, interval, n = 40 * time.Millisecond, 20 * time.Millisecond, 10
	var mu sync.Mutex
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		time.Sleep(service)
		mu.Unlock()
		w.Write(successBody(""))
	}))
	defer s.Close()
	src := &canned{kinds: []string{"ok"}}
	res, err := Run(context.Background(), Options{Target: s.URL, Source: src, Concurrency: n, Rate: float64(time.Second / interval), Duration: n * interval})
	if err != nil {
		t.Fatal(err)
	}
	// Exactly n requests are due in the window; with n workers none is dropped.
	if res.Requests+res.Dropped != n || res.Dropped != 0 || res.Successes != n || res.Mode != "open" {
		t.Fatalf("requests %d dropped %d successes %d, want %d due", res.Requests, res.Dropped, res.Successes, n)
	}
	var minSum time.Duration
	for k := range n {
		minSum += time.Duration(k+1)*service - time.Duration(k)*interval
	}
	lastMin := n*service - (n-1)*interval
	if res.Latency.Max() < lastMin {
		t.Errorf("max latency %v: the last request due at %v cannot be answered before %v", res.Latency.Max(), (n-1)*interval, n*service)
	}
	if mean := res.Latency.Mean(); mean < minSum/n {
		t.Errorf("mean latency %v < %v: latency is not counted from the due time", mean, minSum/n)
	}
	if res.Elapsed < n*service-interval {
		t.Errorf("the window %v ends before the last answer", res.Elapsed)
	}
}

// Latency runs from the due time, not from when the request left: a client that falls behind its
// schedule (here building each request takes 100 ms, as when the prepared pool has run out) is
// charged for it, though the server answers at once.
func TestOpenLoopChargesLateSends(t *testing.T) {
	const late = 100 * time.Millisecond
	s := cannedServer(t)
	src := slow{&canned{kinds: []string{"ok"}}, late}
	res, err := Run(context.Background(), Options{Target: s.URL, Source: src, Concurrency: 10, Rate: 50, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests+res.Dropped != 10 || res.Successes != res.Requests || res.Requests == 0 {
		t.Fatalf("requests %d successes %d dropped %d", res.Requests, res.Successes, res.Dropped)
	}
	if res.Latency.Min() < late {
		t.Errorf("min latency %v < %v: the late sends were not charged", res.Latency.Min(), late)
	}
}

type slow struct {
	Source
	d time.Duration
}

func (s slow) Next() (*Request, error) {
	time.Sleep(s.d)
	return s.Source.Next()
}

// A request due while every worker is busy is dropped and counted, not queued.
func TestOpenLoopDrops(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Add(1)
		<-release
		w.Write(successBody(""))
	}))
	defer s.Close()
	// 30 due in 300 ms (every 10 ms), 2 workers, and the server holds both until well after.
	time.AfterFunc(800*time.Millisecond, func() { close(release) })
	res, err := Run(context.Background(), Options{Target: s.URL, Source: &canned{kinds: []string{"ok"}}, Concurrency: 2, Rate: 100, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 2 || res.Dropped != 28 || got.Load() != 2 {
		t.Fatalf("requests %d dropped %d at the server %d; want 2, 28, 2", res.Requests, res.Dropped, got.Load())
	}
}

// Warm-up requests are sent but not counted.
func TestWarmupNotCounted(t *testing.T) {
	s := cannedServer(t)
	src := &canned{kinds: []string{"ok"}}
	res, err := Run(context.Background(), Options{Target: s.URL, Source: src, Concurrency: 2, Rate: 100, Warmup: 100 * time.Millisecond, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// 10 due in the warm-up (those dropped there are not counted), 10 in the window.
	if res.Warmup > 10 || res.Requests+res.Dropped != 10 || src.n.Load() != res.Warmup+res.Requests {
		t.Fatalf("warm-up %d, counted %d, dropped %d, handed out %d", res.Warmup, res.Requests, res.Dropped, src.n.Load())
	}
}

// A failing source stops the run with its error.
func TestSourceError(t *testing.T) {
	s := cannedServer(t)
	boom := errors.New("no key")
	_, err := Run(context.Background(), Options{Target: s.URL, Source: failing{boom}, Concurrency: 2, Duration: time.Second})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func errConnRefused() error { return syscall.ECONNREFUSED }

type failing struct{ err error }

func (f failing) Next() (*Request, error) { return nil, f.err }
