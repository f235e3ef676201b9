package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run.
type Options struct {
	Target string // the gateway's SyncChannel URL
	Source Source
	// Entries is the number of mix entries (Request.Entry is below it); default 1.
	Entries int
	// Concurrency is the number of workers: requests in flight at most.
	Concurrency int
	// Rate > 0 makes an open loop: requests are due at start + i/Rate whatever the answers, and
	// latency runs from the due time (so a stalled server is not hidden: no coordinated
	// omission); a request due while Concurrency are in flight is dropped and counted. Rate 0 is a
	// closed loop: each worker sends its next request when the previous one is answered.
	Rate float64
	// Warmup is sent before the measured Duration and not counted.
	Warmup, Duration time.Duration
	Timeout          time.Duration // per request (default 30s)
	Client           *http.Client  // default: keep-alive connections for Concurrency workers
}

// EntryStats are one mix entry's figures.
type EntryStats struct {
	Requests, Successes, Refusals, Failures int64
	// Decided counts successes whose answer carried the provider's decision.
	Decided int64
	Latency Histogram
}

// Result is what a run measured. Only requests sent (closed loop) or due (open loop) within the
// measured window count.
type Result struct {
	Elapsed                       time.Duration // from the start of the window to the last counted answer
	Requests                      int64         // answered or failed
	Successes, Refusals, Failures int64
	Dropped                       int64            // open loop: due while every worker was busy
	Warmup                        int64            // requests of the warm-up, not counted
	RefusalCodes                  map[string]int64 // errorCode → count
	FailureKinds                  map[string]int64 // "HTTP 502", "transport: connection refused", … → count
	AppStatus                     map[string]int64 // the applications' status in successful answers
	Latency                       Histogram        // every request that got an HTTP answer
	Entries                       []EntryStats
	Interrupted                   bool // ctx was cancelled before the end
	Mode                          string
	Concurrency                   int
	Rate                          float64
	Duration                      time.Duration
	WarmupDuration                time.Duration
}

// Run sends requests from o.Source to o.Target for o.Warmup + o.Duration and measures the
// answers. It returns an error only when it could not run (bad options, the source failing);
// failed requests are counted in the Result. A cancelled ctx ends the run early (Interrupted).
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Source == nil || o.Target == "" {
		return nil, errors.New("loadgen: Target and Source are required")
	}
	if o.Concurrency <= 0 {
		return nil, errors.New("loadgen: concurrency must be positive")
	}
	if o.Duration <= 0 || o.Warmup < 0 || o.Rate < 0 {
		return nil, errors.New("loadgen: duration must be positive, warm-up and rate not negative")
	}
	if o.Entries <= 0 {
		o.Entries = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	client := o.Client
	if client == nil {
		tr := &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * o.Concurrency,
			MaxIdleConnsPerHost: 2 * o.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		}
		defer tr.CloseIdleConnections()
		client = &http.Client{Transport: tr, Timeout: o.Timeout}
	}
	r := &runner{o: o, client: client}
	r.start = time.Now()
	r.measure = r.start.Add(o.Warmup)
	r.end = r.measure.Add(o.Duration)
	res := &Result{Mode: "closed", Concurrency: o.Concurrency, Rate: o.Rate, Duration: o.Duration, WarmupDuration: o.Warmup}
	var err error
	if o.Rate > 0 {
		res.Mode = "open"
		err = r.open(ctx)
	} else {
		err = r.closed(ctx)
	}
	if err != nil {
		return nil, err
	}
	res.Interrupted = ctx.Err() != nil
	r.fill(res)
	return res, nil
}

type runner struct {
	o                   Options
	client              *http.Client
	start, measure, end time.Time
	dropped, warm       atomic.Int64
	mu                  sync.Mutex
	stats               []*tally
	srcErr              error
}

// tally is one worker's figures.
type tally struct {
	entries  []EntryStats
	latency  Histogram
	refusals map[string]int64
	failures map[string]int64
	status   map[string]int64
	last     time.Time // the last counted answer
}

func (r *runner) newTally() *tally {
	t := &tally{entries: make([]EntryStats, r.o.Entries), refusals: map[string]int64{}, failures: map[string]int64{}, status: map[string]int64{}}
	r.mu.Lock()
	r.stats = append(r.stats, t)
	r.mu.Unlock()
	return t
}

func (r *runner) fail(err error) {
	r.mu.Lock()
	if r.srcErr == nil {
		r.srcErr = err
	}
	r.mu.Unlock()
}

func (r *runner) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.srcErr != nil
}

// send posts one request and returns its outcome.
func (r *runner) send(ctx context.Context, req *Request) (Outcome, bool) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, r.o.Target, bytes.NewReader(req.Body))
	if err != nil {
		return Outcome{Kind: Failure, Code: "request: " + err.Error()}, false
	}
	hreq.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hreq.Header.Set("SOAPAction", `""`)
	resp, err := r.client.Do(hreq)
	if err != nil {
		return Classify(0, nil, err), false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	resp.Body.Close()
	if err != nil {
		return Classify(0, nil, err), false
	}
	return Classify(resp.StatusCode, body, nil), true
}

// record counts an outcome of entry i sent (or due) at t0 and answered at t1.
func (r *runner) record(t *tally, i int, o Outcome, answered bool, lat time.Duration, t1 time.Time) {
	if i < 0 || i >= len(t.entries) {
		i = 0
	}
	e := &t.entries[i]
	e.Requests++
	switch o.Kind {
	case Success:
		e.Successes++
		if o.AppStatus != "" {
			t.status[o.AppStatus]++
		}
		if o.Decided() {
			e.Decided++
		}
	case Refusal:
		e.Refusals++
		t.refusals[o.Code]++
	default:
		e.Failures++
		t.failures[o.Code]++
	}
	if answered {
		e.Latency.Record(lat)
		t.latency.Record(lat)
	}
	if t1.After(t.last) {
		t.last = t1
	}
}

func (r *runner) closed(ctx context.Context) error {
	var wg sync.WaitGroup
	for range r.o.Concurrency {
		t := r.newTally()
		wg.Go(func() {
			for ctx.Err() == nil && !r.failed() && time.Now().Before(r.end) {
				req, err := r.o.Source.Next()
				if err != nil {
					r.fail(err)
					return
				}
				t0 := time.Now()
				o, answered := r.send(ctx, req)
				t1 := time.Now()
				if ctx.Err() != nil && !answered {
					return // interrupted, not a failure of the gateway
				}
				if t0.Before(r.measure) {
					r.warm.Add(1)
					continue
				}
				r.record(t, req.Entry, o, answered, t1.Sub(t0), t1)
			}
		})
	}
	wg.Wait()
	return r.srcErr
}

type due struct {
	at       time.Time
	measured bool
}

func (r *runner) open(ctx context.Context) error {
	n := r.o.Concurrency
	jobs := make(chan due, n)
	var inflight atomic.Int64
	var wg sync.WaitGroup
	for range n {
		t := r.newTally()
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil || r.failed() {
					inflight.Add(-1)
					continue
				}
				req, err := r.o.Source.Next()
				if err != nil {
					r.fail(err)
					inflight.Add(-1)
					continue
				}
				o, answered := r.send(ctx, req)
				t1 := time.Now()
				inflight.Add(-1)
				if ctx.Err() != nil && !answered {
					continue
				}
				if !j.measured {
					r.warm.Add(1)
					continue
				}
				r.record(t, req.Entry, o, answered, t1.Sub(j.at), t1)
			}
		})
	}
	interval := float64(time.Second) / r.o.Rate
	timer := time.NewTimer(0)
	<-timer.C
dispatch:
	for i := int64(0); ; i++ {
		at := r.start.Add(time.Duration(float64(i) * interval))
		if !at.Before(r.end) || r.failed() {
			break
		}
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				break dispatch
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break
		}
		measured := !at.Before(r.measure)
		if inflight.Load() >= int64(n) {
			if measured {
				r.dropped.Add(1)
			}
			continue
		}
		inflight.Add(1)
		jobs <- due{at: at, measured: measured} // never blocks: at most n in flight, n slots
	}
	close(jobs)
	wg.Wait()
	return r.srcErr
}

// fill merges the workers' figures into res.
func (r *runner) fill(res *Result) {
	res.Entries = make([]EntryStats, r.o.Entries)
	res.RefusalCodes, res.FailureKinds, res.AppStatus = map[string]int64{}, map[string]int64{}, map[string]int64{}
	last := r.measure
	for _, t := range r.stats {
		for i := range t.entries {
			e, s := &res.Entries[i], &t.entries[i]
			e.Requests += s.Requests
			e.Successes += s.Successes
			e.Refusals += s.Refusals
			e.Failures += s.Failures
			e.Decided += s.Decided
			e.Latency.Merge(&s.Latency)
		}
		res.Latency.Merge(&t.latency)
		for k, v := range t.refusals {
			res.RefusalCodes[k] += v
		}
		for k, v := range t.failures {
			res.FailureKinds[k] += v
		}
		for k, v := range t.status {
			res.AppStatus[k] += v
		}
		if t.last.After(last) {
			last = t.last
		}
	}
	for _, e := range res.Entries {
		res.Requests += e.Requests
		res.Successes += e.Successes
		res.Refusals += e.Refusals
		res.Failures += e.Failures
	}
	res.Dropped, res.Warmup = r.dropped.Load(), r.warm.Load()
	// The window is the measured duration (shorter when interrupted), stretched to the last
	// counted answer.
	stop := time.Now()
	if r.end.Before(stop) {
		stop = r.end
	}
	if last.After(stop) {
		stop = last
	}
	res.Elapsed = max(stop.Sub(r.measure), 0)
}

// Throughput is answers per second of the measured window: successes and all requests.
func (res *Result) Throughput() (successes, all float64) {
	s := res.Elapsed.Seconds()
	if s <= 0 {
		return 0, 0
	}
	return float64(res.Successes) / s, float64(res.Requests) / s
}

// String is a one-line summary.
func (res *Result) String() string {
	ok, all := res.Throughput()
	return fmt.Sprintf("%d requests in %s: %.1f successes/s, %.1f/s in all, p99 %s", res.Requests, res.Elapsed.Round(time.Millisecond), ok, all, res.Latency.Percentile(99))
}
