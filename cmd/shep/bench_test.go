package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/internal/loadgen"
)

// benchReport is the part of `shep bench --json` the test reads.
type benchReport struct {
	Requests      int64            `json:"requests"`
	Successes     int64            `json:"successes"`
	Errors        int64            `json:"errors"`
	ErrorKinds    map[string]int64 `json:"error_kinds"`
	Refusals      map[string]int64 `json:"refusals"`
	AppStatus     map[string]int64 `json:"application_status"`
	ThroughputRPS float64          `json:"throughput_rps"`
	P50           float64          `json:"p50_ms"`
	P90           float64          `json:"p90_ms"`
	P99           float64          `json:"p99_ms"`
	Max           float64          `json:"max_ms"`
	FloorRPS      float64          `json:"floor_rps"`
	FloorRatio    float64          `json:"floor_ratio"`
	Concurrency   int              `json:"concurrency"`
	Rate          float64          `json:"rate"`
	DurationS     float64          `json:"duration_s"`
	GoMaxProcs    int              `json:"go_maxprocs"`
	Pool          int              `json:"pool"`
	Generated     int64            `json:"generated_during_run"`
	Mix           []struct {
		Service, Channel string
		Requests         int64
		Successes        int64
	} `json:"mix"`
}

// shep bench against a real `shep serve`: the default mix (ГБД ФЛ lookups by the demo system,
// AKT-3 and AKT-1 applications signed by citizens of ГБД ФЛ through the portal) is answered
// without errors or refusals; then a ЦОН mix reuses the cached citizens.
func TestBench(t *testing.T) {
	data := t.TempDir()
	base, stop := startServe(t, data)
	defer stop()
	target := base + "/bip-sync-wss-gost/"

	code, out, errs := shep(t, "bench", "--target", target, "--data", data, "--duration", "2s", "--concurrency", "4", "--json",
		"--warmup", "200ms", "--floor-time", "500ms", "--pool", "300", "--citizens", "4")
	if code != 0 {
		t.Fatalf("bench: exit %d\n%s\n%s", code, out, errs)
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if r.Requests <= 0 || r.Successes != r.Requests || r.Errors != 0 || len(r.ErrorKinds) != 0 {
		t.Errorf("requests %d, successes %d, errors %d %v", r.Requests, r.Successes, r.Errors, r.ErrorKinds)
	}
	if len(r.Refusals) != 0 { // nothing in the default mix is refused on a fresh gateway
		t.Errorf("unexpected refusals: %v", r.Refusals)
	}
	if !(r.P50 > 0 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.Max) {
		t.Errorf("latency not ordered: p50 %v p90 %v p99 %v max %v", r.P50, r.P90, r.P99, r.Max)
	}
	if r.FloorRPS <= 0 || r.ThroughputRPS <= 0 || r.FloorRatio <= 0 {
		t.Errorf("floor %v, throughput %v, ratio %v", r.FloorRPS, r.ThroughputRPS, r.FloorRatio)
	}
	if r.Concurrency != 4 || r.Rate != 0 || r.DurationS < 2 || r.GoMaxProcs <= 0 || r.Pool != 300 {
		t.Errorf("run parameters: %+v", r)
	}
	if len(r.Mix) != 3 || r.Mix[0].Service != "GBDFL_UniversalServiceSync" || r.Mix[1].Service != "AKT-3" || r.Mix[2].Service != "AKT-1" {
		t.Fatalf("mix %+v", r.Mix)
	}
	// Every request is counted under its entry and succeeded (a loaded machine may send few, so
	// an entry may have none).
	var sum, apps int64
	for _, m := range r.Mix {
		if m.Successes != m.Requests {
			t.Errorf("%s/%s: %d requests, %d successes\n%s", m.Service, m.Channel, m.Requests, m.Successes, out)
		}
		sum += m.Requests
		if m.Service != "GBDFL_UniversalServiceSync" {
			apps += m.Requests
		}
	}
	if sum != r.Requests {
		t.Errorf("entries sum to %d requests of %d", sum, r.Requests)
	}
	// Applications were registered by «Рынок труда» (which decides later, by default).
	var statuses int64
	for _, n := range r.AppStatus {
		statuses += n
	}
	if statuses != apps || apps > 0 && r.AppStatus["received"] == 0 {
		t.Errorf("application status %v for %d applications", r.AppStatus, apps)
	}
	if !strings.Contains(errs, "4 citizens of ГБД ФЛ (0 certificates cached, 4 issued now)") {
		t.Errorf("stderr: %s", errs)
	}
	cached, _ := filepath.Glob(filepath.Join(data, "bench", "citizens", "*.crt"))
	if len(cached) != 4 {
		t.Errorf("cached citizens: %v", cached)
	}

	// The ЦОН channel (the demo operator signs), an open loop, the table; the citizens come from the cache.
	mixFile := filepath.Join(t.TempDir(), "mix.json")
	os.WriteFile(mixFile, []byte(`[{"service":"AKT-3","channel":"con","weight":1},{"service":"GBDFL_UniversalServiceSync","weight":1}]`), 0o644)
	code, out, errs = shep(t, "bench", "--target", target, "--data", data, "--duration", "300ms", "--warmup", "0s", "--rate", "40",
		"--concurrency", "4", "--floor-time", "0", "--citizens", "4", "--mix", mixFile)
	if code != 0 || !strings.Contains(errs, "(4 certificates cached, 0 issued now)") || !strings.Contains(out, "AKT-3/con") ||
		!strings.Contains(out, "open loop, 40 requests/s") || !strings.Contains(out, "crypto floor: not measured") {
		t.Fatalf("con mix: exit %d\n%s\n%s", code, out, errs)
	}
	if strings.Contains(out, "refusals") || strings.Contains(out, "errors (HTTP") {
		t.Errorf("con mix refused or failed:\n%s", out)
	}

	// Usage errors (2), an unreachable target (1).
	dir := t.TempDir()
	paper, zero := filepath.Join(dir, "paper.json"), filepath.Join(dir, "zero.json")
	os.WriteFile(paper, []byte(`[{"service":"AKT-2","weight":1}]`), 0o644)
	os.WriteFile(zero, []byte(`[{"service":"AKT-3","weight":0}]`), 0o644)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--mix", paper}, 2, "AKT-2): the service does not pass through ШЭП"},
		{[]string{"--mix", zero}, 2, `"weight" must be a positive integer`},
		{[]string{"--mix", filepath.Join(dir, "none.json")}, 2, "no such file"},
		{[]string{"--concurrency", "0"}, 2, "--concurrency must be positive"},
		{[]string{"--rate", "-1"}, 2, "--rate"},
		{[]string{"--target", "ftp://x/"}, 2, "want an http(s) URL"},
		{[]string{"--target", "http://" + closedAddr(t) + "/bip-sync-wss-gost/"}, 1, "unreachable"},
	} {
		code, _, errs := shep(t, append([]string{"bench", "--data", data, "--floor-time", "0"}, tt.args...)...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tt.args, code, tt.code, tt.want, errs)
		}
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

func TestBenchDefaultPool(t *testing.T) {
	floor := &loadgen.FloorRates{SignPerSec: 1000, VerifyPerSec: 1e12}
	for _, tt := range []struct {
		rate        float64
		d           time.Duration
		concurrency int
		floor       *loadgen.FloorRates
		want        int
	}{
		{100, 10 * time.Second, 8, floor, 1058}, // the rate's requests, 5 % more, one per worker
		{0, 10 * time.Second, 8, floor, 5008},   // half the floor (1000/s: one signature per request)
		{0, 10 * time.Second, 8, nil, 16000},    // no floor: 2000 per worker
		{0, time.Hour, 8, floor, maxPool},       // capped
		{1e6, time.Hour, 8, nil, maxPool},       // capped
	} {
		if got := defaultPool(tt.rate, tt.d, tt.concurrency, tt.floor, loadgen.DefaultMix()); got != tt.want {
			t.Errorf("rate %v, %v, %d workers, floor %v: %d, want %d", tt.rate, tt.d, tt.concurrency, tt.floor != nil, got, tt.want)
		}
	}
}
