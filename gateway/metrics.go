package gateway

import (
	"github.com/shep-kz/shep/internal/metrics"
)

// Metrics are the gateway's Prometheus metrics.
type Metrics struct {
	Registry *metrics.Registry
	requests *metrics.CounterVec
	refusals *metrics.CounterVec
	latency  *metrics.HistogramVec
	step     *metrics.HistogramVec
}

// NewMetrics registers the gateway's metrics.
func NewMetrics() *Metrics {
	r := metrics.New()
	return &Metrics{
		Registry: r,
		requests: r.Counter("shep_sendmessage_total", "SendMessage requests by service and outcome (SCSS001, a refusal code, or replay).", "service", "outcome"),
		refusals: r.Counter("shep_refusals_total", "Refusals by code.", "code"),
		latency:  r.Histogram("shep_sendmessage_seconds", "SendMessage latency by service, from the body read to the response.", metrics.DefaultBuckets, "service"),
		step:     r.Histogram("shep_step_seconds", "Time of each pipeline step.", metrics.DefaultBuckets, "step"),
	}
}
