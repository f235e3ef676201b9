// Package faultinject lets testers make adapters misbehave on purpose: added latency, a share of
// failed calls, calls that never answer, forced refusals and forced "no data", per adapter and service.
//
// Rules are kept in memory as an immutable, sorted snapshot (the hot path takes no lock) and in
// badger under the prefix "f\x00"+ID. Every matching rule applies: latencies add up, and each
// rule's error rate is rolled on its own.
//
// Counting. A rule is consulted at three points: Wrap (latency, jitter, timeout, error rate, no
// data), Refusal (refuse) and NoData (no data). A consultation at which the rule matches and has an
// effect that point acts on is a "matching call": it adds one to Hits and, for a rule with
// Remaining > 0, takes one from Remaining. The call that takes the last one removes the rule.
//
// Persistence of counters is lazy: Hits and Remaining live in atomic counters and reach badger
// only when the injector writes anyway (Set, Delete, Clear write the changed counters of every
// rule in the same transaction), when a rule exhausts itself (its record is deleted at once), and
// on Flush. After a crash a rule may therefore come back with the counters of its last write; a
// rule that exhausted itself never comes back. A rule cleared while calls are in flight may
// still act on those calls.
package faultinject

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/store"
)

// Limits of a rule.
const (
	MaxDelay     = 10 * time.Minute // Latency and Jitter each
	MaxRefuseLen = 2000             // characters of Refuse
	maxNameLen   = 256              // Adapter, Service
	maxIDLen     = 64
)

var (
	// ErrNotFound: no rule with this ID.
	ErrNotFound = errors.New("faultinject: no such rule")
	// ErrInvalid: the rule breaks a limit or has no effect.
	ErrInvalid = errors.New("faultinject: invalid rule")
)

const keyPrefix = "f\x00"

func dbKey(id string) []byte { return append([]byte(keyPrefix), id...) }

// Rule is one injected fault.
type Rule struct {
	ID        string   `json:"id"`                   // assigned by Set when empty (short random hex)
	Adapter   string   `json:"adapter,omitempty"`    // adapter name ("labour-market", "gbdfl", a provider id, …); "" = any
	Service   string   `json:"service,omitempty"`    // serviceId; "" = any
	Latency   Duration `json:"latency,omitempty"`    // added before the adapter runs; ctx-aware
	Jitter    Duration `json:"jitter,omitempty"`     // uniform extra 0..Jitter
	ErrorRate float64  `json:"error_rate,omitempty"` // 0..1: share of calls failing with PROVIDER_UNAVAILABLE
	Timeout   bool     `json:"timeout,omitempty"`    // the adapter never answers: block until ctx is done
	Refuse    string   `json:"refuse,omitempty"`     // forced motivated refusal with this reason (see Refusal)
	NoData    bool     `json:"no_data,omitempty"`    // forced "no data": GBDFL_NO_DATA
	// Remaining > 0: the rule applies to this many more matching calls, then removes itself;
	// 0 = until cleared.
	Remaining int       `json:"remaining,omitempty"`
	Expires   time.Time `json:"expires,omitzero"` // zero = never
	Created   time.Time `json:"created"`
	Hits      int64     `json:"hits"` // matching calls so far
}

// Duration is a time.Duration written in JSON as a Go duration string ("1.5s").
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler; it takes a duration string only.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string like \"1.5s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

func (r *Rule) hasWrapEffect() bool {
	return r.Latency > 0 || r.Jitter > 0 || r.ErrorRate > 0 || r.Timeout || r.NoData
}

func (r *Rule) matches(adapter, service string) bool {
	return (r.Adapter == "" || r.Adapter == adapter) && (r.Service == "" || r.Service == service)
}

// rank orders rules: adapter+service, service, adapter, any.
func (r *Rule) rank() int {
	switch {
	case r.Adapter != "" && r.Service != "":
		return 0
	case r.Service != "":
		return 1
	case r.Adapter != "":
		return 2
	}
	return 3
}

// Options configure an Injector.
type Options struct {
	// Rand returns a number in [0, 1); the injector calls it under its own lock. Default: a
	// per-Injector math/rand/v2 source.
	Rand   func() float64
	Now    func() time.Time
	Logger *slog.Logger
}

// entry is a rule with its live counters. def is never changed after the entry is published.
type entry struct {
	def       Rule
	limited   bool         // def.Remaining > 0 when set
	hits      atomic.Int64 // matching calls
	remaining atomic.Int64 // calls left, when limited
	gone      atomic.Bool  // removed from the snapshot
	// persisted counters, guarded by Injector.mu
	savedHits, savedRemaining int64
}

func (e *entry) rule() Rule {
	r := e.def
	r.Hits = e.hits.Load()
	if e.limited {
		r.Remaining = int(e.remaining.Load())
	}
	return r
}

// claim counts one matching call; false when the rule is used up or removed. last reports that
// this call took the rule's last remaining use.
func (e *entry) claim() (ok, last bool) {
	if e.gone.Load() {
		return false, false
	}
	if e.limited {
		for {
			n := e.remaining.Load()
			if n <= 0 {
				return false, false
			}
			if e.remaining.CompareAndSwap(n, n-1) {
				last = n == 1
				break
			}
		}
	}
	e.hits.Add(1)
	return true, last
}

// Injector holds the rules and applies them.
type Injector struct {
	db    *store.DB
	now   func() time.Time
	log   *slog.Logger
	randF func() float64
	randM sync.Mutex
	// sleep waits d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex               // serialises writers (snapshot swaps and badger writes)
	rules atomic.Pointer[[]*entry] // sorted most specific first
}

// New returns an injector with the rules persisted in db; db may be nil (memory only).
func New(ctx context.Context, db *store.DB, opts Options) (*Injector, error) {
	i := &Injector{db: db, now: opts.Now, log: opts.Logger, randF: opts.Rand, sleep: sleepCtx}
	if i.now == nil {
		i.now = time.Now
	}
	if i.log == nil {
		i.log = slog.New(slog.DiscardHandler)
	}
	if i.randF == nil {
		r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		i.randF = r.Float64
	}
	var list []*entry
	if db != nil {
		var stale [][]byte
		err := db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte(keyPrefix)})
			defer it.Close()
			now := i.now()
			for it.Rewind(); it.Valid(); it.Next() {
				var r Rule
				err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) })
				switch {
				case err != nil:
					i.log.WarnContext(ctx, "fault rule unreadable: dropped", "key", string(it.Item().Key()[len(keyPrefix):]), "err", err)
					stale = append(stale, it.Item().KeyCopy(nil))
				case !r.Expires.IsZero() && !now.Before(r.Expires):
					stale = append(stale, it.Item().KeyCopy(nil))
				default:
					e := newEntry(r)
					e.savedHits, e.savedRemaining = r.Hits, int64(r.Remaining)
					list = append(list, e)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("faultinject: load: %w", err)
		}
		if len(stale) > 0 {
			if err := db.Update(func(txn *badger.Txn) error {
				for _, k := range stale {
					if err := txn.Delete(k); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return nil, fmt.Errorf("faultinject: drop expired rules: %w", err)
			}
		}
	}
	sortEntries(list)
	i.rules.Store(&list)
	return i, nil
}

func newEntry(r Rule) *entry {
	e := &entry{def: r, limited: r.Remaining > 0}
	e.hits.Store(r.Hits)
	e.remaining.Store(int64(r.Remaining))
	e.def.Hits, e.def.Remaining = 0, 0 // the counters are the truth
	return e
}

func sortEntries(list []*entry) {
	slices.SortStableFunc(list, func(a, b *entry) int {
		if d := a.def.rank() - b.def.rank(); d != 0 {
			return d
		}
		if c := a.def.Created.Compare(b.def.Created); c != 0 {
			return c
		}
		return strings.Compare(a.def.ID, b.def.ID)
	})
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (i *Injector) rand() float64 {
	i.randM.Lock()
	defer i.randM.Unlock()
	return i.randF()
}

func (i *Injector) snapshot() []*entry { return *i.rules.Load() }

func (i *Injector) live(e *entry, now time.Time) bool {
	if e.gone.Load() || e.limited && e.remaining.Load() <= 0 {
		return false
	}
	return e.def.Expires.IsZero() || now.Before(e.def.Expires)
}

func validate(r *Rule, now time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if len(r.ID) > maxIDLen || strings.IndexFunc(r.ID, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
	}) >= 0 {
		return bad("id %q: up to %d of [A-Za-z0-9._-]", r.ID, maxIDLen)
	}
	for _, f := range []struct{ name, v string }{{"adapter", r.Adapter}, {"service", r.Service}} {
		if len(f.v) > maxNameLen || !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, func(c rune) bool { return c < ' ' }) {
			return bad("%s %q: up to %d printable bytes", f.name, f.v, maxNameLen)
		}
	}
	if math.IsNaN(r.ErrorRate) || r.ErrorRate < 0 || r.ErrorRate > 1 {
		return bad("error_rate %v: want 0..1", r.ErrorRate)
	}
	for _, f := range []struct {
		name string
		d    Duration
	}{{"latency", r.Latency}, {"jitter", r.Jitter}} {
		if f.d < 0 || time.Duration(f.d) > MaxDelay {
			return bad("%s %s: want 0..%s", f.name, time.Duration(f.d), MaxDelay)
		}
	}
	if n := utf8.RuneCountInString(r.Refuse); n > MaxRefuseLen || !utf8.ValidString(r.Refuse) {
		return bad("refuse: %d characters, at most %d", n, MaxRefuseLen)
	}
	if r.Remaining < 0 {
		return bad("remaining %d: want ≥ 0", r.Remaining)
	}
	if !r.Expires.IsZero() && !now.Before(r.Expires) {
		return bad("expires %s is not in the future", r.Expires.Format(time.RFC3339))
	}
	if !r.hasWrapEffect() && r.Refuse == "" {
		return bad("no effect: set latency, jitter, error_rate, timeout, refuse or no_data")
	}
	return nil
}

func newID() (string, error) {
	b := make([]byte, 4)
	if _, err := crand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Set validates r and stores it, replacing a rule with the same ID. It assigns ID (when empty)
// and Created, and starts Hits at zero.
func (i *Injector) Set(ctx context.Context, r Rule) (Rule, error) { return i.set(ctx, r, 0) }

// set is Set with an expiry relative to the creation time, when forD > 0.
func (i *Injector) set(ctx context.Context, r Rule, forD time.Duration) (Rule, error) {
	now := i.now()
	if forD > 0 {
		r.Expires = now.Add(forD)
	}
	if err := validate(&r, now); err != nil {
		return Rule{}, err
	}
	r.Created, r.Hits = now.UTC(), 0
	if !r.Expires.IsZero() {
		r.Expires = r.Expires.UTC()
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	old := i.snapshot()
	if r.ID == "" {
		for r.ID == "" || slices.ContainsFunc(old, func(e *entry) bool { return e.def.ID == r.ID }) {
			id, err := newID()
			if err != nil {
				return Rule{}, fmt.Errorf("faultinject: rule ID: %w", err)
			}
			r.ID = id
		}
	}
	e := newEntry(r)
	next := make([]*entry, 0, len(old)+1)
	var replaced *entry
	for _, o := range old {
		if o.def.ID == r.ID {
			replaced = o
			continue
		}
		next = append(next, o)
	}
	next = append(next, e)
	sortEntries(next)
	if err := i.write(next, map[string]*entry{r.ID: e}, nil); err != nil {
		return Rule{}, fmt.Errorf("faultinject: set %s: %w", r.ID, err)
	}
	if replaced != nil {
		replaced.gone.Store(true)
	}
	i.rules.Store(&next)
	i.log.InfoContext(ctx, "fault rule set", "id", r.ID, "adapter", r.Adapter, "service", r.Service, "effects", Effects(r))
	return e.rule(), nil
}

// write persists, in one transaction, the records in put, the deletions in del and the changed
// counters of the other entries of keep. Called with mu held.
func (i *Injector) write(keep []*entry, put map[string]*entry, del []string) error {
	if i.db == nil {
		return nil
	}
	type saved struct {
		e            *entry
		hits, remain int64
	}
	var done []saved
	err := i.db.Update(func(txn *badger.Txn) error {
		for _, id := range del {
			if err := txn.Delete(dbKey(id)); err != nil {
				return err
			}
		}
		for _, e := range keep {
			r := e.rule()
			if put[e.def.ID] == nil && r.Hits == e.savedHits && int64(r.Remaining) == e.savedRemaining {
				continue
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := txn.Set(dbKey(r.ID), b); err != nil {
				return err
			}
			done = append(done, saved{e, r.Hits, int64(r.Remaining)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range done {
		s.e.savedHits, s.e.savedRemaining = s.hits, s.remain
	}
	return nil
}

// Flush writes the counters that changed since the last write (for a clean shutdown).
func (i *Injector) Flush(ctx context.Context) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if err := i.write(i.snapshot(), nil, nil); err != nil {
		return fmt.Errorf("faultinject: flush: %w", err)
	}
	return nil
}

// remove drops the live entries ids selects, and every expired or used-up one, from the snapshot
// and the store; it returns how many live entries ids selected.
func (i *Injector) remove(ids func(*entry) bool) (int, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	old := i.snapshot()
	var next []*entry
	var del []string
	var gone []*entry
	n := 0
	for _, e := range old {
		switch {
		case !i.live(e, now):
			del = append(del, e.def.ID)
			gone = append(gone, e)
		case ids(e):
			n++
			del = append(del, e.def.ID)
			gone = append(gone, e)
		default:
			next = append(next, e)
		}
	}
	if n == 0 && len(del) == 0 {
		return 0, nil
	}
	if err := i.write(next, nil, del); err != nil {
		return 0, err
	}
	for _, e := range gone {
		e.gone.Store(true)
	}
	i.rules.Store(&next)
	return n, nil
}

// Delete removes the rule id.
func (i *Injector) Delete(ctx context.Context, id string) error {
	n, err := i.remove(func(e *entry) bool { return e.def.ID == id })
	if err != nil {
		return fmt.Errorf("faultinject: delete %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	i.log.InfoContext(ctx, "fault rule deleted", "id", id)
	return nil
}

// Clear removes every rule and returns how many there were (expired ones not counted).
func (i *Injector) Clear(ctx context.Context) (int, error) {
	n, err := i.remove(func(*entry) bool { return true })
	if err != nil {
		return 0, fmt.Errorf("faultinject: clear: %w", err)
	}
	i.log.InfoContext(ctx, "fault rules cleared", "count", n)
	return n, nil
}

// exhausted removes a rule that has taken its last remaining use.
func (i *Injector) exhausted(ctx context.Context, e *entry) {
	if _, err := i.remove(func(o *entry) bool { return o == e }); err != nil {
		// The record stays in the store with its last counters; the rule is gone from memory
		// only at the next successful write.
		i.log.WarnContext(ctx, "fault rule used up, but not removed from the store", "id", e.def.ID, "err", err)
		return
	}
	i.log.InfoContext(ctx, "fault rule used up", "id", e.def.ID, "hits", e.hits.Load())
}

// List returns the rules in force, most specific first.
func (i *Injector) List() []Rule {
	now := i.now()
	var out []Rule
	for _, e := range i.snapshot() {
		if i.live(e, now) {
			out = append(out, e.rule())
		}
	}
	return out
}

// Get returns the rule id while it is in force.
func (i *Injector) Get(id string) (Rule, error) {
	now := i.now()
	for _, e := range i.snapshot() {
		if e.def.ID == id && i.live(e, now) {
			return e.rule(), nil
		}
	}
	return Rule{}, fmt.Errorf("%w: %q", ErrNotFound, id)
}

// Match returns the rules that apply now to (adapter, service), most specific first
// (adapter+service > service > adapter > any). It counts nothing.
func (i *Injector) Match(adapter, service string) []Rule {
	now := i.now()
	var out []Rule
	for _, e := range i.snapshot() {
		if e.def.matches(adapter, service) && i.live(e, now) {
			out = append(out, e.rule())
		}
	}
	return out
}

// claim counts a matching call on every live rule of (adapter, service) that want selects,
// most specific first, and returns their definitions.
func (i *Injector) claim(ctx context.Context, adapter, service string, want func(*Rule) bool) []Rule {
	var out []Rule
	var now time.Time
	for _, e := range i.snapshot() {
		if !e.def.matches(adapter, service) || !want(&e.def) {
			continue
		}
		if now.IsZero() {
			now = i.now()
		}
		if !e.def.Expires.IsZero() && !now.Before(e.def.Expires) {
			continue
		}
		ok, last := e.claim()
		if !ok {
			continue
		}
		if last {
			i.exhausted(ctx, e)
		}
		out = append(out, e.def)
	}
	return out
}

// Refusal reports a forced refusal for (adapter, service) — the reason of the most specific rule
// with one — and counts the hit.
func (i *Injector) Refusal(adapter, service string) (reason string, ok bool) {
	for _, e := range i.snapshot() {
		if !e.def.matches(adapter, service) || e.def.Refuse == "" {
			continue
		}
		if !e.def.Expires.IsZero() && !i.now().Before(e.def.Expires) {
			continue
		}
		if got, last := e.claim(); got {
			if last {
				i.exhausted(context.Background(), e)
			}
			i.log.Debug("fault injected: refusal", "rule", e.def.ID, "adapter", adapter, "service", service)
			return e.def.Refuse, true
		}
	}
	return "", false
}

// NoData reports a forced "no data" for a registry lookup of (adapter, service) — the gateway asks
// it before ГБД ФЛ or ЕНИС (adapter "gbdfl" or "enis") — and counts the hit of the most specific
// rule that forces it.
func (i *Injector) NoData(adapter, service string) bool {
	for _, e := range i.snapshot() {
		if !e.def.matches(adapter, service) || !e.def.NoData {
			continue
		}
		if !e.def.Expires.IsZero() && !i.now().Before(e.def.Expires) {
			continue
		}
		if got, last := e.claim(); got {
			if last {
				i.exhausted(context.Background(), e)
			}
			i.log.Debug("fault injected: no data", "rule", e.def.ID, "adapter", adapter, "service", service)
			return true
		}
	}
	return false
}

// Wrap returns a that first applies the matching rules of (adapter, req.ServiceID): their
// latencies and jitters (added up, waiting no longer than ctx), then a timeout (block until ctx is
// done), then no data (GBDFL_NO_DATA), then each rule's error rate (PROVIDER_UNAVAILABLE). A
// rule's Refuse is left to Refusal.
func (i *Injector) Wrap(adapter string, a adapters.Adapter) adapters.Adapter {
	return adapters.AdapterFunc(func(ctx context.Context, req *adapters.Request) (*adapters.Response, error) {
		rules := i.claim(ctx, adapter, req.ServiceID, (*Rule).hasWrapEffect)
		if len(rules) == 0 {
			return a.Handle(ctx, req)
		}
		var delay time.Duration
		for _, r := range rules {
			delay += time.Duration(r.Latency)
			if r.Jitter > 0 {
				delay += time.Duration(float64(r.Jitter) * i.rand())
			}
		}
		if delay > 0 {
			if err := i.sleep(ctx, delay); err != nil {
				return nil, fmt.Errorf("faultinject: injected latency %s: %w", delay, err)
			}
		}
		for _, r := range rules {
			if r.Timeout {
				i.log.DebugContext(ctx, "fault injected: timeout", "rule", r.ID, "adapter", adapter, "service", req.ServiceID)
				<-ctx.Done()
				return nil, fmt.Errorf("faultinject: injected timeout (rule %s): %w", r.ID, ctx.Err())
			}
		}
		for _, r := range rules {
			if r.NoData {
				i.log.DebugContext(ctx, "fault injected: no data", "rule", r.ID, "adapter", adapter, "service", req.ServiceID)
				return nil, faults.New(faults.GBDFLNoData, "injected no data (fault rule %s)", r.ID)
			}
		}
		for _, r := range rules {
			if r.ErrorRate > 0 && i.rand() < r.ErrorRate {
				i.log.DebugContext(ctx, "fault injected: error", "rule", r.ID, "adapter", adapter, "service", req.ServiceID)
				return nil, faults.New(faults.ProviderUnavailable, "injected failure (fault rule %s, error rate %g)", r.ID, r.ErrorRate)
			}
		}
		return a.Handle(ctx, req)
	})
}

// Effects describes a rule's effects in a few words ("latency 2s±500ms, error 30%").
func Effects(r Rule) string {
	var s []string
	if r.Latency > 0 || r.Jitter > 0 {
		l := "latency " + time.Duration(r.Latency).String()
		if r.Jitter > 0 {
			l += "+0.." + time.Duration(r.Jitter).String()
		}
		s = append(s, l)
	}
	if r.ErrorRate > 0 {
		s = append(s, fmt.Sprintf("error %g%%", r.ErrorRate*100))
	}
	if r.Timeout {
		s = append(s, "timeout")
	}
	if r.NoData {
		s = append(s, "no data")
	}
	if r.Refuse != "" {
		s = append(s, fmt.Sprintf("refuse %q", r.Refuse))
	}
	return strings.Join(s, ", ")
}
