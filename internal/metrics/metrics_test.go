package metrics

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestExposition(t *testing.T) {
	r := New()
	c := r.Counter("shep_requests_total", "Requests.", "service", "outcome")
	c.Inc("S", "SCSS001")
	c.Inc("S", "SCSS001")
	c.Inc(`we"ird`, "X")
	h := r.Histogram("shep_request_seconds", "Latency.", []float64{0.01, 0.1}, "service")
	h.Observe(5*time.Millisecond, "S")
	h.Observe(50*time.Millisecond, "S")
	r.GaugeFunc("shep_up", "Up.", func() float64 { return 1 })
	var b strings.Builder
	r.Write(&b)
	out := b.String()
	for _, want := range []string{
		`shep_requests_total{service="S",outcome="SCSS001"} 2`,
		`shep_requests_total{service="we\"ird",outcome="X"} 1`,
		`shep_request_seconds_bucket{service="S",le="0.01"} 1`,
		`shep_request_seconds_bucket{service="S",le="0.1"} 2`,
		`shep_request_seconds_bucket{service="S",le="+Inf"} 2`,
		`shep_request_seconds_count{service="S"} 2`,
		"# TYPE shep_up gauge\nshep_up 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if c.Value("S", "SCSS001") != 2 {
		t.Error("Value")
	}
}

func TestGaugeVecFunc(t *testing.T) {
	r := New()
	r.GaugeVecFunc("x_ratio", "A ratio.", func() []Sample {
		return []Sample{{Labels: []string{"A-1", "q"}, Value: 0.5}, {Labels: []string{"B\"2", "q"}, Value: math.NaN()}, {Labels: []string{"short"}, Value: 1}}
	}, "service", "question")
	var b strings.Builder
	r.Write(&b)
	want := "# HELP x_ratio A ratio.\n# TYPE x_ratio gauge\nx_ratio{service=\"A-1\",question=\"q\"} 0.5\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	r2 := New()
	r2.GaugeVecFunc("y", "none", func() []Sample { return nil })
	var e strings.Builder
	r2.Write(&e)
	if e.Len() != 0 {
		t.Fatalf("an empty gauge vec wrote %q", e.String())
	}
}
