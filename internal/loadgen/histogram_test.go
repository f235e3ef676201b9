package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exact is the nearest-rank percentile of sorted values.
func exact(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(float64(len(sorted))*p/100 - 1e-9))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func TestHistogramPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name string
		n    int
		gen  func() time.Duration
	}{
		{"tiny exact values", 1000, func() time.Duration { return time.Duration(rng.IntN(128)) }},
		{"log-normal latencies", 100_000, func() time.Duration {
			return time.Duration(math.Exp(rng.NormFloat64()*1.2+math.Log(float64(5*time.Millisecond)))) + time.Microsecond
		}},
		{"bimodal with a long tail", 50_000, func() time.Duration {
			switch x := rng.Float64(); {
			case x < 0.8:
				return time.Duration(rng.Int64N(int64(2*time.Millisecond))) + time.Millisecond
			case x < 0.999:
				return time.Duration(rng.Int64N(int64(200*time.Millisecond))) + 50*time.Millisecond
			default:
				return time.Duration(rng.Int64N(int64(30*time.Second))) + time.Second
			}
		}},
		{"one value", 1, func() time.Duration { return 1234567 * time.Nanosecond }},
		{"equal values", 500, func() time.Duration { return 42 * time.Millisecond }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			vals := make([]time.Duration, tt.n)
			var sum time.Duration
			for i := range vals {
				vals[i] = tt.gen()
				sum += vals[i]
				h.Record(vals[i])
			}
			slices.Sort(vals)
			if h.Count() != uint64(tt.n) || h.Max() != vals[len(vals)-1] || h.Min() != vals[0] || h.Mean() != sum/time.Duration(tt.n) {
				t.Fatalf("count %d max %v min %v mean %v; want %d %v %v %v", h.Count(), h.Max(), h.Min(), h.Mean(), tt.n, vals[len(vals)-1], vals[0], sum/time.Duration(tt.n))
			}
			prev := time.Duration(0)
			for _, p := range []float64{0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100} {
				want, got := exact(vals, p), h.Percentile(p)
				// The bucket's upper end: never below the exact value, at most 1/128 above it.
				if got < want || float64(got) > float64(want)*(1+1.0/subCount)+1 {
					t.Errorf("p%v = %v, exact %v", p, got, want)
				}
				if got < prev {
					t.Errorf("p%v = %v below a lower percentile's %v", p, got, prev)
				}
				prev = got
			}
			if h.Percentile(100) != vals[len(vals)-1] {
				t.Errorf("p100 %v, max %v", h.Percentile(100), vals[len(vals)-1])
			}
		})
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	var empty Histogram
	if empty.Percentile(50) != 0 || empty.Max() != 0 || empty.Mean() != 0 {
		t.Fatal("an empty histogram reports values")
	}
	var a, b, all Histogram
	for i := range 10_000 {
		d := time.Duration(i*i) * time.Nanosecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&empty)
	for _, p := range []float64{1, 50, 90, 99, 100} {
		if m.Percentile(p) != all.Percentile(p) {
			t.Errorf("merged p%v %v, recorded together %v", p, m.Percentile(p), all.Percentile(p))
		}
	}
	if m.Count() != all.Count() || m.Min() != all.Min() || m.Max() != all.Max() || m.Mean() != all.Mean() {
		t.Errorf("merged %d %v %v %v, together %d %v %v %v", m.Count(), m.Min(), m.Max(), m.Mean(), all.Count(), all.Min(), all.Max(), all.Mean())
	}
	var neg Histogram
	neg.Record(-time.Second)
	if neg.Max() != 0 || neg.Percentile(50) != 0 {
		t.Errorf("a negative duration is not 0: %v", neg.Max())
	}
}

// Every bucket's upper end is the value just below the next bucket's lower end.
func TestHistogramBuckets(t *testing.T) {
	for i := range nBuckets - 1 {
		if bucketOf(upper(i)) != i || bucketOf(upper(i)+1) != i+1 {
			t.Fatalf("bucket %d: upper %d maps to %d, upper+1 to %d", i, upper(i), bucketOf(upper(i)), bucketOf(upper(i)+1))
		}
	}
	if b := bucketOf(math.MaxInt64); b >= nBuckets {
		t.Fatalf("MaxInt64 in bucket %d of %d", b, nBuckets)
	}
}
