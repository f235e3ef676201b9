// Package metrics keeps counters and histograms with labels and writes them in the Prometheus
// text exposition format, with no dependency beyond the standard library.
package metrics

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Registry holds metrics. The zero value is not usable; use New.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
}

type metric interface {
	write(w io.Writer)
	name() string
}

// New returns an empty registry.
func New() *Registry { return &Registry{} }

func (r *Registry) add(m metric) {
	r.mu.Lock()
	r.metrics = append(r.metrics, m)
	r.mu.Unlock()
}

// Write writes every metric in the text format, sorted by name.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	ms := append([]metric(nil), r.metrics...)
	r.mu.Unlock()
	sort.Slice(ms, func(i, j int) bool { return ms[i].name() < ms[j].name() })
	for _, m := range ms {
		m.write(w)
	}
}

func labelString(names, values []string) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(values[i])
		fmt.Fprintf(&b, `%s="%s"`, n, v)
	}
	b.WriteByte('}')
	return b.String()
}

// CounterVec is a counter with labels.
type CounterVec struct {
	n, help string
	labels  []string
	mu      sync.Mutex
	vals    map[string]*counterVal
}

type counterVal struct {
	labels []string
	v      float64
}

// Counter registers a counter.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{n: name, help: help, labels: labels, vals: map[string]*counterVal{}}
	r.add(c)
	return c
}

// Inc adds one for the label values.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// Add adds v for the label values.
func (c *CounterVec) Add(v float64, values ...string) {
	k := strings.Join(values, "\x00")
	c.mu.Lock()
	cv, ok := c.vals[k]
	if !ok {
		cv = &counterVal{labels: append([]string(nil), values...)}
		c.vals[k] = cv
	}
	cv.v += v
	c.mu.Unlock()
}

// Value returns the current value for the label values.
func (c *CounterVec) Value(values ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cv, ok := c.vals[strings.Join(values, "\x00")]; ok {
		return cv.v
	}
	return 0
}

func (c *CounterVec) name() string { return c.n }

func (c *CounterVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.n, c.help, c.n)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(c.vals)) {
		cv := c.vals[k]
		fmt.Fprintf(w, "%s%s %g\n", c.n, labelString(c.labels, cv.labels), cv.v)
	}
}

// HistogramVec is a histogram of durations, in seconds, with labels.
type HistogramVec struct {
	n, help string
	labels  []string
	bounds  []float64
	mu      sync.Mutex
	vals    map[string]*histVal
}

type histVal struct {
	labels []string
	counts []uint64
	sum    float64
	count  uint64
}

// DefaultBuckets suit a gateway request: 1 ms to 10 s.
var DefaultBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram registers a histogram with the given upper bounds (seconds).
func (r *Registry) Histogram(name, help string, bounds []float64, labels ...string) *HistogramVec {
	h := &HistogramVec{n: name, help: help, labels: labels, bounds: bounds, vals: map[string]*histVal{}}
	r.add(h)
	return h
}

// Observe records d for the label values.
func (h *HistogramVec) Observe(d time.Duration, values ...string) {
	s := d.Seconds()
	k := strings.Join(values, "\x00")
	h.mu.Lock()
	hv, ok := h.vals[k]
	if !ok {
		hv = &histVal{labels: append([]string(nil), values...), counts: make([]uint64, len(h.bounds))}
		h.vals[k] = hv
	}
	for i, b := range h.bounds {
		if s <= b {
			hv.counts[i]++
		}
	}
	hv.sum += s
	hv.count++
	h.mu.Unlock()
}

func (h *HistogramVec) name() string { return h.n }

func (h *HistogramVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.n, h.help, h.n)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(h.vals)) {
		hv := h.vals[k]
		names := append(append([]string(nil), h.labels...), "le")
		for i, b := range h.bounds {
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.n, labelString(names, append(append([]string(nil), hv.labels...), fmt.Sprint(b))), hv.counts[i])
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.n, labelString(names, append(append([]string(nil), hv.labels...), "+Inf")), hv.count)
		fmt.Fprintf(w, "%s_sum%s %g\n", h.n, labelString(h.labels, hv.labels), hv.sum)
		fmt.Fprintf(w, "%s_count%s %d\n", h.n, labelString(h.labels, hv.labels), hv.count)
	}
}

// Gauge is a value read when metrics are written.
type Gauge struct {
	n, help string
	f       func() float64
}

// GaugeFunc registers a gauge computed by f.
func (r *Registry) GaugeFunc(name, help string, f func() float64) {
	r.add(&Gauge{n: name, help: help, f: f})
}

func (g *Gauge) name() string { return g.n }

func (g *Gauge) write(w io.Writer) {
	v := g.f()
	if math.IsNaN(v) {
		return
	}
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", g.n, g.help, g.n, g.n, v)
}

// Sample is one value of a labelled gauge.
type Sample struct {
	Labels []string // values, in the order of the gauge's label names
	Value  float64
}

// GaugeVec is a labelled gauge whose samples are read when metrics are written.
type GaugeVec struct {
	n, help string
	labels  []string
	f       func() []Sample
}

// GaugeVecFunc registers a labelled gauge whose samples f returns at every scrape.
func (r *Registry) GaugeVecFunc(name, help string, f func() []Sample, labels ...string) {
	r.add(&GaugeVec{n: name, help: help, labels: labels, f: f})
}

func (g *GaugeVec) name() string { return g.n }

func (g *GaugeVec) write(w io.Writer) {
	ss := g.f()
	if len(ss) == 0 {
		return
	}
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.n, g.help, g.n)
	for _, s := range ss {
		if math.IsNaN(s.Value) || len(s.Labels) != len(g.labels) {
			continue
		}
		fmt.Fprintf(w, "%s%s %g\n", g.n, labelString(g.labels, s.Labels), s.Value)
	}
}
