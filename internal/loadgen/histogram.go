package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power-of-two range of values is split into
// 2^subBits buckets, so a recorded value is known to within 1/2^subBits (0.8 %) of itself.
const subBits = 7

const (
	subCount = 1 << subBits
	nBuckets = subCount + (64-subBits)*subCount
)

// Histogram records durations in log-linear buckets (as HDR histograms do): exact below 128 ns,
// then within 0.8 %. The zero value is ready; it is not safe for concurrent use (give each worker
// its own and Merge them).
type Histogram struct {
	counts   []uint64
	n        uint64
	sum      time.Duration
	min, max time.Duration
}

func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(v) - 1 // v in [2^e, 2^(e+1)), e >= subBits
	sub := int(v>>(e-subBits)) - subCount
	return subCount + (e-subBits)*subCount + sub
}

// upper is the largest value that falls in bucket i.
func upper(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	e := (i-subCount)/subCount + subBits
	sub := uint64((i-subCount)%subCount) + subCount
	return (sub+1)<<(e-subBits) - 1
}

// Record adds one duration (negative ones count as 0).
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if h.counts == nil {
		h.counts = make([]uint64, nBuckets)
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// Merge adds o's records to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, nBuckets)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest recorded value (exact).
func (h *Histogram) Max() time.Duration { return h.max }

// Min is the smallest recorded value (exact).
func (h *Histogram) Min() time.Duration { return h.min }

// Mean is the mean of the recorded values (exact).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the smallest recorded value
// with at least p % of the values at or below it, reported as the upper end of its bucket (never
// above Max). It is 0 when nothing was recorded.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(float64(h.n)*p/100 - 1e-9))
	if rank < 1 {
		rank = 1
	}
	if rank > h.n {
		rank = h.n
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(upper(i))
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return v
		}
	}
	return h.max
}
