package remote

import (
	"time"

	"github.com/shep-kz/shep/gateway/faults"
)

// BreakerOptions configure the circuit breaker kept for each provider.
type BreakerOptions struct {
	// Failures is how many consecutive failures (unavailable, timeout, bad response) open the
	// circuit (default 5). A provider's SOAP fault is a valid answer, not a failure.
	Failures int
	// Cooldown is how long an open circuit refuses calls before one trial request is let through
	// (default 30 s): its success closes the circuit, its failure opens it again.
	Cooldown time.Duration
}

// Breaker states.
const (
	StateClosed   = "closed"
	StateOpen     = "open"
	StateHalfOpen = "half-open" // the cooldown is over: the next call is the trial
)

// BreakerState is a provider's circuit as reported to /metrics and the admin API.
type BreakerState struct {
	State       string    `json:"state"`
	Failures    int       `json:"failures"` // consecutive
	OpenUntil   time.Time `json:"open_until,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastFailure time.Time `json:"last_failure,omitzero"`
}

// breaker is one provider's circuit; Client.mu guards it.
type breaker struct {
	version  time.Time // Provider.Updated it belongs to: re-registering a provider resets it
	failures int
	open     bool
	until    time.Time
	trial    bool // the half-open trial request is under way
	lastErr  string
	lastAt   time.Time
}

// outcome of a call, as the breaker counts it.
type outcome int

const (
	outcomeSuccess outcome = iota // an answer, a provider's fault included
	outcomeFailure
	outcomeNeutral // the caller gave up, or the gateway failed: says nothing of the provider
)

func (c *Client) breakerOf(p *Provider) *breaker {
	b := c.breakers[p.ID]
	if b == nil || !b.version.Equal(p.Updated) {
		b = &breaker{version: p.Updated}
		c.breakers[p.ID] = b
	}
	return b
}

// admit lets a call to p go out, or refuses it while the circuit is open. trial reports that
// this call is the half-open trial.
func (c *Client) admit(p *Provider) (trial bool, err error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.breakerOf(p)
	switch {
	case !b.open:
		return false, nil
	case now.Before(b.until):
		return false, faults.New(faults.ProviderUnavailable, "provider %q: circuit open until %s after %d consecutive failures (last: %s)",
			p.ID, b.until.UTC().Format(time.RFC3339), b.failures, b.lastErr)
	case b.trial:
		return false, faults.New(faults.ProviderUnavailable, "provider %q: circuit half-open, a trial request is under way", p.ID)
	}
	b.trial = true
	return true, nil
}

// record counts the outcome of a call admitted by admit.
func (c *Client) record(p *Provider, trial bool, o outcome, err error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.breakerOf(p)
	if trial {
		b.trial = false
	}
	switch o {
	case outcomeSuccess:
		b.failures, b.open = 0, false
	case outcomeFailure:
		b.failures++
		b.lastAt = now
		if err != nil {
			b.lastErr = err.Error()
		}
		if trial || b.failures >= c.opts.Breaker.Failures {
			if !b.open || trial {
				c.log.Warn("provider circuit opened", "provider", p.ID, "failures", b.failures, "cooldown", c.opts.Breaker.Cooldown)
			}
			b.open, b.until = true, now.Add(c.opts.Breaker.Cooldown)
		}
	}
}

// Breakers reports each provider's breaker state (for /metrics and the admin API).
func (c *Client) Breakers() map[string]BreakerState {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]BreakerState, len(c.breakers))
	for id, b := range c.breakers {
		s := BreakerState{State: StateClosed, Failures: b.failures, LastError: b.lastErr, LastFailure: b.lastAt}
		if b.open {
			s.State, s.OpenUntil = StateOpen, b.until
			if !now.Before(b.until) {
				s.State = StateHalfOpen
			}
		}
		out[id] = s
	}
	return out
}
