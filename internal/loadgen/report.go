package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a run's figures as `shep bench` prints them (JSON field names are its contract).
type Report struct {
	Target      string  `json:"target"`
	Mode        string  `json:"mode"` // closed or open
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`       // requests/s asked for (open loop); 0 in a closed loop
	DurationS   float64 `json:"duration_s"` // the measured window
	WarmupS     float64 `json:"warmup_s"`

	Requests  int64 `json:"requests"` // answered or failed within the window
	Successes int64 `json:"successes"`
	Refused   int64 `json:"refused"` // SOAP faults, by code in Refusals
	Errors    int64 `json:"errors"`  // HTTP and transport errors, by kind in ErrorKinds
	Dropped   int64 `json:"dropped"` // open loop: due while every worker was busy

	Refusals   map[string]int64 `json:"refusals"`
	ErrorKinds map[string]int64 `json:"error_kinds"`
	AppStatus  map[string]int64 `json:"application_status"`

	ThroughputRPS float64 `json:"throughput_rps"` // successes per second
	AllRPS        float64 `json:"all_rps"`        // every request per second

	P50ms  float64 `json:"p50_ms"`
	P90ms  float64 `json:"p90_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`

	FloorRPS   float64      `json:"floor_rps"`   // 0 when not measured
	FloorRatio float64      `json:"floor_ratio"` // throughput_rps / floor_rps
	Floor      *FloorReport `json:"floor,omitempty"`

	Mix []EntryReport `json:"mix"`

	Pool               int     `json:"pool"`                 // requests prepared before the run
	GeneratedDuringRun int64   `json:"generated_during_run"` // built on the fly when the pool ran out
	PrepareS           float64 `json:"prepare_s"`
	Citizens           int     `json:"citizens"`
	Warmup             int64   `json:"warmup_requests"`
	GoMaxProcs         int     `json:"go_maxprocs"`
	NumCPU             int     `json:"num_cpu"`
	Interrupted        bool    `json:"interrupted,omitempty"`
}

// EntryReport is one mix entry's figures.
type EntryReport struct {
	Service   string  `json:"service"`
	Channel   string  `json:"channel"`
	Sender    string  `json:"sender"`
	Weight    int     `json:"weight"`
	Requests  int64   `json:"requests"`
	Successes int64   `json:"successes"`
	Refused   int64   `json:"refused"`
	Errors    int64   `json:"errors"`
	Decided   int64   `json:"decided_in_request"` // successes that carried the provider's decision
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	Cost      Cost    `json:"rsa_per_request"`
	FloorRPS  float64 `json:"floor_rps"`
}

// FloorReport is the crypto floor measured in the run.
type FloorReport struct {
	SignPerSec   float64 `json:"rsa_sign_per_s"`
	VerifyPerSec float64 `json:"rsa_verify_per_s"`
	Workers      int     `json:"workers"`
	KeyBits      int     `json:"key_bits"`
	Seconds      float64 `json:"seconds"`
	PerRequest   Cost    `json:"rsa_per_request"` // the mix's average
	Note         string  `json:"note"`
}

// FloorNote says what the floor is and is not.
const FloorNote = "RSA operations only, with every core of this machine and nothing else (no XML, HTTP or storage); " +
	"the load generator shares these cores during the run, so the gateway had less than the floor assumes"

// ReportInfo is what the report needs besides the run's result.
type ReportInfo struct {
	Target    string
	Mix       Mix
	Floor     *FloorRates // nil: not measured
	Pool      int
	Generated int64
	Prepare   time.Duration
	Citizens  int
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// NewReport assembles the report of res.
func NewReport(res *Result, in ReportInfo) *Report {
	ok, all := res.Throughput()
	r := &Report{Target: in.Target, Mode: res.Mode, Concurrency: res.Concurrency, Rate: res.Rate, DurationS: res.Elapsed.Seconds(),
		WarmupS: res.WarmupDuration.Seconds(), Requests: res.Requests, Successes: res.Successes, Refused: res.Refusals, Errors: res.Failures,
		Dropped: res.Dropped, Refusals: nonNil(res.RefusalCodes), ErrorKinds: nonNil(res.FailureKinds), AppStatus: nonNil(res.AppStatus),
		ThroughputRPS: ok, AllRPS: all, P50ms: ms(res.Latency.Percentile(50)), P90ms: ms(res.Latency.Percentile(90)),
		P99ms: ms(res.Latency.Percentile(99)), MaxMs: ms(res.Latency.Max()), MeanMs: ms(res.Latency.Mean()),
		Pool: in.Pool, GeneratedDuringRun: in.Generated, PrepareS: in.Prepare.Seconds(), Citizens: in.Citizens, Warmup: res.Warmup,
		GoMaxProcs: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), Interrupted: res.Interrupted}
	decided := make([]float64, len(in.Mix))
	for i, e := range in.Mix {
		er := EntryReport{Service: e.Service, Channel: e.Channel, Sender: e.Sender, Weight: e.Weight}
		if i < len(res.Entries) {
			s := &res.Entries[i]
			er.Requests, er.Successes, er.Refused, er.Errors, er.Decided = s.Requests, s.Successes, s.Refusals, s.Failures, s.Decided
			er.P50ms, er.P99ms = ms(s.Latency.Percentile(50)), ms(s.Latency.Percentile(99))
			if s.Successes > 0 {
				decided[i] = float64(s.Decided) / float64(s.Successes)
			}
		}
		er.Cost = EntryCost(e, decided[i])
		if in.Floor != nil {
			er.FloorRPS = in.Floor.RPS(er.Cost)
		}
		r.Mix = append(r.Mix, er)
	}
	if in.Floor != nil {
		c := MixCost(in.Mix, decided)
		r.FloorRPS = in.Floor.RPS(c)
		if r.FloorRPS > 0 {
			r.FloorRatio = r.ThroughputRPS / r.FloorRPS
		}
		r.Floor = &FloorReport{SignPerSec: in.Floor.SignPerSec, VerifyPerSec: in.Floor.VerifyPerSec, Workers: in.Floor.Workers,
			KeyBits: in.Floor.KeyBits, Seconds: in.Floor.Elapsed.Seconds(), PerRequest: c, Note: FloorNote}
	}
	return r
}

func nonNil(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the report as tables for a person.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	mode := fmt.Sprintf("closed loop, %d workers", r.Concurrency)
	if r.Mode == "open" {
		mode = fmt.Sprintf("open loop, %g requests/s, at most %d in flight", r.Rate, r.Concurrency)
	}
	fmt.Fprintf(&b, "shep bench → %s\n%s; %.1f s measured after %.1f s of warm-up; GOMAXPROCS %d (%d CPUs)\n",
		r.Target, mode, r.DurationS, r.WarmupS, r.GoMaxProcs, r.NumCPU)
	fmt.Fprintf(&b, "requests prepared beforehand: %d (in %.1f s), built during the run: %d; citizens: %d\n\n",
		r.Pool, r.PrepareS, r.GeneratedDuringRun, r.Citizens)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "requests\tsuccesses\trefused\terrors\tdropped\tsuccesses/s\tall/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t\n")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", r.Requests, r.Successes, r.Refused, r.Errors, r.Dropped,
		r.ThroughputRPS, r.AllRPS, r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	tw.Flush()
	b.WriteString("\nby request kind:\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  service/channel\tsender\tweight\trequests\tsuccesses\trefused\terrors\tdecided\tp50 ms\tp99 ms\tRSA v+s\tfloor/s\n")
	for _, e := range r.Mix {
		fmt.Fprintf(tw, "  %s/%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2g+%.2g\t%.0f\n", e.Service, e.Channel, e.Sender, e.Weight, e.Requests,
			e.Successes, e.Refused, e.Errors, e.Decided, e.P50ms, e.P99ms, e.Cost.Verifies, e.Cost.Signs, e.FloorRPS)
	}
	tw.Flush()
	section := func(title string, m map[string]int64) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		keys := slices.Sorted(maps.Keys(m))
		slices.SortStableFunc(keys, func(a, c string) int { return int(m[c] - m[a]) })
		for _, k := range keys {
			fmt.Fprintf(&b, "  %-40s %d\n", k, m[k])
		}
	}
	section("refusals (SOAP faults by errorCode)", r.Refusals)
	section("errors (HTTP and transport)", r.ErrorKinds)
	section("applications' status in the answers", r.AppStatus)
	if f := r.Floor; f != nil {
		fmt.Fprintf(&b, "\ncrypto floor (RSA-%d, %d goroutines, %.1f s): %.0f signatures/s, %.0f verifications/s\n", f.KeyBits, f.Workers, f.Seconds,
			f.SignPerSec, f.VerifyPerSec)
		fmt.Fprintf(&b, "  per request of this mix: %.2f verifications + %.2f signatures → floor %.0f requests/s; throughput is %.1f %% of it\n",
			f.PerRequest.Verifies, f.PerRequest.Signs, r.FloorRPS, 100*r.FloorRatio)
		fmt.Fprintf(&b, "  (%s)\n", f.Note)
	} else {
		b.WriteString("\ncrypto floor: not measured (--floor-time 0)\n")
	}
	if r.Interrupted {
		b.WriteString("\ninterrupted before the end: the figures cover the time run\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
