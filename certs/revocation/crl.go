package revocation

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shep-kz/shep/certs"
)

// Source yields the DER (or PEM) bytes of one CRL.
type Source interface {
	Name() string
	Fetch(ctx context.Context) ([]byte, error)
}

// FileSource reads a CRL from a file on every refresh.
type FileSource string

// Name implements Source.
func (f FileSource) Name() string { return "file:" + string(f) }

// Fetch implements Source.
func (f FileSource) Fetch(context.Context) ([]byte, error) { return os.ReadFile(string(f)) }

// URLSource downloads a CRL over HTTP(S).
type URLSource struct {
	URL     string
	Client  *http.Client // default: 10 s timeout
	MaxSize int64        // default 32 MiB
}

// Name implements Source.
func (u URLSource) Name() string { return u.URL }

// Fetch implements Source.
func (u URLSource) Fetch(ctx context.Context) ([]byte, error) {
	return httpGet(ctx, u.Client, u.URL, u.MaxSize)
}

func httpGet(ctx context.Context, c *http.Client, url string, max int64) ([]byte, error) {
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	if max == 0 {
		max = 32 << 20
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", url, max)
	}
	return b, nil
}

// Periodic is implemented by a Source that sets its own longest time between two fetches
// instead of CRLOptions.Refresh (zero keeps the store's). An in-process CA, cheap to ask, uses it
// so that a new revocation reaches the validator within a minute.
type Periodic interface {
	RefreshEvery() time.Duration
}

// FuncSource adapts a function (for example an in-process CA) to Source.
type FuncSource struct {
	Label string
	F     func(ctx context.Context) ([]byte, error)
	// Every is the longest time between two fetches (default CRLOptions.Refresh).
	Every time.Duration
}

// Name implements Source.
func (f FuncSource) Name() string { return f.Label }

// RefreshEvery implements Periodic.
func (f FuncSource) RefreshEvery() time.Duration { return f.Every }

// Fetch implements Source.
func (f FuncSource) Fetch(ctx context.Context) ([]byte, error) { return f.F(ctx) }

// CRLOptions configure a CRLStore.
type CRLOptions struct {
	Sources []Source
	// FetchCDP downloads, on demand, the CRLs named in a checked certificate's CRLDistributionPoints
	// and FreshestCRL extensions when no current CRL is held; they are then refreshed like Sources.
	FetchCDP   bool
	HTTPClient *http.Client
	Verifier   certs.SignatureVerifier // default certs.StdVerifier
	// Run fetches a source again when it is due: Margin before its CRL's nextUpdate, but at the
	// latest Refresh after the last fetch (a source implementing Periodic may set its own), so
	// that revocations published early are seen. A fetch that fails, or gives a CRL that is
	// itself within Margin of its nextUpdate (or past it), is retried after RetryAfter, backing
	// off, doubling up to MaxBackoff (and never beyond the source's Refresh), while it goes on.
	Refresh    time.Duration // default 1h
	Margin     time.Duration // default 10 min
	MaxBackoff time.Duration // default 10 min
	// RetryAfter is the least time between two fetches of one source: on-demand fetches of a URL
	// and scheduled retries (default 30 s).
	RetryAfter time.Duration
	// After waits for Run (default time.After); tests give a fake clock's timer.
	After func(time.Duration) <-chan time.Time
	// Skew tolerates a CRL whose thisUpdate is slightly in the future (default 5 min).
	Skew   time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// CRLStore holds the latest CRL of each source and answers revocation queries from them.
type CRLStore struct {
	opts CRLOptions

	mu      sync.Mutex
	sources map[string]Source
	lists   map[string]*crlInfo // by source name
	errs    map[string]error    // last fetch error by source name
	tried   map[string]time.Time
	// next is when Run fetches a source again; failures counts its consecutive failed fetches.
	next     map[string]time.Time
	failures map[string]int
	// wake tells Run that a source was added (by fetchCDP) and the schedule must be reread.
	wake chan struct{}
}

type crlInfo struct {
	list    *x509.RevocationList
	source  string
	fetched time.Time
	number  int64
	delta   bool
	base    int64 // delta: the base CRL number
	entries map[string]x509.RevocationListEntry
	// verified caches the signature check against an issuer (by certificate hash).
	verified map[[32]byte]error
}

var oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
var oidFreshestCRL = asn1.ObjectIdentifier{2, 5, 29, 46}

// NewCRLStore returns a store for the given sources; call Refresh (or Run) to load them.
func NewCRLStore(opts CRLOptions) *CRLStore {
	if opts.Verifier == nil {
		opts.Verifier = certs.StdVerifier{}
	}
	if opts.Refresh == 0 {
		opts.Refresh = time.Hour
	}
	if opts.Margin == 0 {
		opts.Margin = 10 * time.Minute
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 10 * time.Minute
	}
	if opts.RetryAfter == 0 {
		opts.RetryAfter = 30 * time.Second
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Skew == 0 {
		opts.Skew = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &CRLStore{opts: opts, sources: map[string]Source{}, lists: map[string]*crlInfo{},
		errs: map[string]error{}, tried: map[string]time.Time{}, next: map[string]time.Time{}, failures: map[string]int{},
		wake: make(chan struct{}, 1)}
	for _, src := range opts.Sources {
		s.sources[src.Name()] = src
	}
	return s
}

// Add parses a CRL and stores it as the current CRL of source name (replacing an older one).
func (s *CRLStore) Add(name string, der []byte) error {
	info, err := parseCRL(name, der)
	if err != nil {
		return err
	}
	info.fetched = s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.lists[name]; old != nil && old.number > info.number && old.list.ThisUpdate.After(info.list.ThisUpdate) {
		return fmt.Errorf("CRL from %s: number %d is older than the held %d", name, info.number, old.number)
	}
	s.lists[name] = info
	delete(s.errs, name)
	return nil
}

func parseCRL(name string, b []byte) (*crlInfo, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("CRL from %s: empty", name)
	}
	if blk := pemBlock(b); blk != nil {
		b = blk
	}
	l, err := x509.ParseRevocationList(b)
	if err != nil {
		return nil, fmt.Errorf("CRL from %s: %w", name, err)
	}
	info := &crlInfo{list: l, source: name, entries: make(map[string]x509.RevocationListEntry, len(l.RevokedCertificateEntries)),
		verified: map[[32]byte]error{}}
	if l.Number != nil {
		info.number = l.Number.Int64()
	}
	for _, e := range l.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			var base *big.Int
			if _, err := asn1.Unmarshal(e.Value, &base); err != nil {
				return nil, fmt.Errorf("CRL from %s: delta indicator: %w", name, err)
			}
			info.delta, info.base = true, base.Int64()
		} else if e.Critical && !knownCRLExtension(e.Id) {
			return nil, fmt.Errorf("CRL from %s: unsupported critical extension %s", name, e.Id)
		}
	}
	for _, e := range l.RevokedCertificateEntries {
		info.entries[string(e.SerialNumber.Bytes())] = e
	}
	return info, nil
}

func knownCRLExtension(id asn1.ObjectIdentifier) bool {
	for _, k := range []asn1.ObjectIdentifier{{2, 5, 29, 35}, {2, 5, 29, 20}, oidDeltaCRLIndicator, oidFreshestCRL} {
		if id.Equal(k) {
			return true
		}
	}
	return false
}

// Refresh fetches every source now, whatever the schedule. Sources that fail keep their
// previous CRL; the joined errors are returned.
func (s *CRLStore) Refresh(ctx context.Context) error {
	return s.refresh(ctx, false)
}

// refresh fetches every source, or with dueOnly those whose time has come, in name order.
func (s *CRLStore) refresh(ctx context.Context, dueOnly bool) error {
	now := s.opts.Now()
	s.mu.Lock()
	srcs := make([]Source, 0, len(s.sources))
	for name, src := range s.sources {
		if !dueOnly || !s.next[name].After(now) {
			srcs = append(srcs, src)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(srcs, func(a, b Source) int { return strings.Compare(a.Name(), b.Name()) })
	var errs []error
	for _, src := range srcs {
		if err := s.fetch(ctx, src); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *CRLStore) fetch(ctx context.Context, src Source) error {
	name := src.Name()
	s.mu.Lock()
	s.tried[name] = s.opts.Now()
	s.mu.Unlock()
	b, err := src.Fetch(ctx)
	if err == nil {
		err = s.Add(name, b)
	}
	s.mu.Lock()
	if err != nil {
		s.errs[name] = err
	}
	s.scheduleLocked(src, err == nil)
	s.mu.Unlock()
	if err != nil {
		s.opts.Logger.WarnContext(ctx, "CRL refresh failed", "source", name, "err", err)
		return fmt.Errorf("refresh %s: %w", name, err)
	}
	return nil
}

// scheduleLocked sets when src is due again after a fetch that succeeded or not (see
// CRLOptions.Refresh). The caller holds s.mu.
func (s *CRLStore) scheduleLocked(src Source, ok bool) {
	name, now := src.Name(), s.opts.Now()
	period := s.opts.Refresh
	if p, isP := src.(Periodic); isP && p.RefreshEvery() > 0 {
		period = p.RefreshEvery()
	}
	retry := min(s.opts.RetryAfter, period)
	backoff := func() time.Duration {
		s.failures[name]++
		d, limit := retry, min(s.opts.MaxBackoff, period)
		for i := 1; i < s.failures[name] && d < limit; i++ {
			d *= 2
		}
		return min(d, limit)
	}
	if !ok {
		s.next[name] = now.Add(backoff())
		return
	}
	next := now.Add(period)
	if info := s.lists[name]; info != nil && !info.list.NextUpdate.IsZero() {
		// Near its nextUpdate: fetch again before it.
		early := info.list.NextUpdate.Add(-s.opts.Margin)
		if !early.After(now.Add(retry)) {
			// The publisher still serves a CRL that close to (or past) its end: ask again soon,
			// but back off as after a failure, not every RetryAfter for as long as it lasts.
			s.next[name] = now.Add(backoff())
			return
		}
		if early.Before(next) {
			next = early
		}
	}
	s.failures[name] = 0
	s.next[name] = next
}

// nextDue is the earliest time a source is due; ok is false without sources.
func (s *CRLStore) nextDue() (next time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.sources {
		if t := s.next[name]; !ok || t.Before(next) {
			next, ok = t, true
		}
	}
	return next, ok
}

// Run keeps the CRLs current until ctx is done: it fetches each source when it is due (see
// CRLOptions.Refresh), then sleeps until the next one is, or until a certificate's CDP adds a
// source. Sources never fetched are due at once.
func (s *CRLStore) Run(ctx context.Context) {
	for {
		_ = s.refresh(ctx, true) // failures are logged and retried on their own schedule
		var timer <-chan time.Time
		if next, ok := s.nextDue(); ok {
			timer = s.opts.After(max(next.Sub(s.opts.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer:
		}
	}
}

// SourceHealth describes the CRL currently held from one source.
type SourceHealth struct {
	Source     string
	Number     int64
	Delta      bool
	Issuer     string
	ThisUpdate time.Time
	NextUpdate time.Time
	Entries    int
	Current    bool      // nextUpdate is in the future
	LastError  string    // of the most recent fetch, if it failed
	NextFetch  time.Time // when Run fetches the source again (zero: at once)
}

// Health lists every source with what is held from it.
func (s *CRLStore) Health() []SourceHealth {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SourceHealth
	for name := range s.sources {
		h := SourceHealth{Source: name}
		if info := s.lists[name]; info != nil {
			h.Number, h.Delta, h.Issuer = info.number, info.delta, info.list.Issuer.String()
			h.ThisUpdate, h.NextUpdate, h.Entries = info.list.ThisUpdate, info.list.NextUpdate, len(info.entries)
			h.Current = info.list.NextUpdate.After(now)
		}
		if err := s.errs[name]; err != nil {
			h.LastError = err.Error()
		}
		h.NextFetch = s.next[name]
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// Check implements Checker.
//
// Evidence rules: a CRL counts for the time of interest at if its signature verifies with
// issuer, its thisUpdate is not in the future, and either it was issued at or after at (it then
// knows every revocation up to at), or it is still current now (nextUpdate after now). A check of
// the present therefore needs a current CRL; a check of a past time may rest on a CRL issued later.
// When the full CRL announces deltas (FreshestCRL) or deltas of its issuer have been seen, and the
// full CRL was issued before at, a current delta based on it is required too.
func (s *CRLStore) Check(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (Status, error) {
	now := s.opts.Now()
	if at.After(now.Add(s.opts.Skew)) {
		return Status{Reason: -1}, unknownf("the time of interest %s is in the future", at.UTC().Format(time.RFC3339))
	}
	full, delta, why := s.pick(issuer, at)
	if full == nil && s.opts.FetchCDP && s.fetchCDP(ctx, cert, nil) {
		full, delta, why = s.pick(issuer, at)
	} else if full != nil && why != "" && s.opts.FetchCDP && s.fetchCDP(ctx, cert, full) {
		full, delta, why = s.pick(issuer, at)
	}
	if full == nil || why != "" {
		return Status{Reason: -1}, unknownf("no usable CRL of %q for %s: %s", issuer.Subject.CommonName, at.UTC().Format(time.RFC3339), why)
	}
	st := Status{State: Good, Reason: -1, Source: fmt.Sprintf("crl %s #%d", full.source, full.number),
		ThisUpdate: full.list.ThisUpdate, NextUpdate: full.list.NextUpdate}
	key := string(cert.SerialNumber.Bytes())
	apply := func(e x509.RevocationListEntry) {
		switch {
		case e.ReasonCode == 8: // removeFromCRL: a hold was lifted
			st.State, st.RevokedAt, st.Reason = Good, time.Time{}, -1
		case !e.RevocationTime.After(at):
			st.State, st.RevokedAt, st.Reason = Revoked, e.RevocationTime, e.ReasonCode
		}
		// An entry dated after at says nothing about at: the state stays as it was.
	}
	if e, ok := full.entries[key]; ok {
		apply(e)
	}
	if delta != nil {
		if e, ok := delta.entries[key]; ok {
			apply(e)
		}
		st.Source += fmt.Sprintf(" + delta %s #%d", delta.source, delta.number)
		if delta.list.NextUpdate.Before(st.NextUpdate) {
			st.NextUpdate = delta.list.NextUpdate
		}
	}
	return st, nil
}

// covers reports whether l is evidence for the time at (see Check).
func (s *CRLStore) covers(l *x509.RevocationList, at, now time.Time) (bool, string) {
	if l.ThisUpdate.After(now.Add(s.opts.Skew)) {
		return false, fmt.Sprintf("thisUpdate %s is in the future", l.ThisUpdate.Format(time.RFC3339))
	}
	if !l.ThisUpdate.Before(at) || (!l.NextUpdate.IsZero() && l.NextUpdate.After(now)) {
		return true, ""
	}
	return false, fmt.Sprintf("stale (thisUpdate %s, nextUpdate %s)", l.ThisUpdate.Format(time.RFC3339), l.NextUpdate.Format(time.RFC3339))
}

// pick chooses the newest verified full CRL of issuer that covers at and, when one is needed or
// held, the newest delta that applies to it. A non-empty why means the evidence is not enough
// (full may then still be set, to tell the caller where deltas are announced).
func (s *CRLStore) pick(issuer *x509.Certificate, at time.Time) (full, delta *crlInfo, why string) {
	now := s.opts.Now()
	fp := sha256.Sum256(issuer.Raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	var reasons []string
	var fulls, deltas []*crlInfo
	deltaSeen := false
	for _, info := range s.lists {
		l := info.list
		if string(l.RawIssuer) != string(issuer.RawSubject) {
			continue
		}
		if len(l.AuthorityKeyId) > 0 && len(issuer.SubjectKeyId) > 0 && string(l.AuthorityKeyId) != string(issuer.SubjectKeyId) {
			continue
		}
		err, done := info.verified[fp]
		if !done {
			err = certs.CheckCRLSignature(s.opts.Verifier, l, issuer)
			info.verified[fp] = err
		}
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: signature: %v", info.source, err))
			continue
		}
		deltaSeen = deltaSeen || info.delta
		if ok, why := s.covers(l, at, now); !ok {
			reasons = append(reasons, fmt.Sprintf("%s #%d: %s", info.source, info.number, why))
			continue
		}
		if info.delta {
			deltas = append(deltas, info)
		} else {
			fulls = append(fulls, info)
		}
	}
	if len(fulls) == 0 {
		if len(reasons) == 0 {
			reasons = append(reasons, "none held")
		}
		slices.Sort(reasons)
		return nil, nil, strings.Join(reasons, "; ")
	}
	newest := func(l []*crlInfo) *crlInfo {
		sort.Slice(l, func(i, j int) bool { return l[i].number > l[j].number })
		return l[0]
	}
	full = newest(fulls)
	var usable []*crlInfo
	for _, d := range deltas {
		switch {
		case d.base > full.number:
			return full, nil, fmt.Sprintf("the held full CRL #%d is older than the base #%d of delta %s #%d", full.number, d.base, d.source, d.number)
		case d.number > full.number, !d.list.ThisUpdate.Before(full.list.ThisUpdate):
			// RFC 5280 numbers full and delta CRLs in one sequence; НУЦ numbers its deltas apart
			// (delta #10 on base #14): a delta on this full CRL's base, issued no earlier, counts.
			usable = append(usable, d)
		}
	}
	if len(usable) > 0 {
		delta = newest(usable)
	}
	if delta == nil && full.list.ThisUpdate.Before(at) && (deltaSeen || len(freshestURLs(full.list.Extensions)) > 0) {
		return full, nil, fmt.Sprintf("full CRL %s #%d announces delta CRLs, and no current delta based on it is held", full.source, full.number)
	}
	return full, delta, ""
}

// fetchCDP downloads the CRLs named in cert (full and delta) and the deltas announced by full,
// skipping URLs tried recently, and registers them as sources. It reports whether anything new
// was stored.
func (s *CRLStore) fetchCDP(ctx context.Context, cert *x509.Certificate, full *crlInfo) bool {
	urls := append([]string(nil), cert.CRLDistributionPoints...)
	urls = append(urls, freshestURLs(cert.Extensions)...)
	if full != nil {
		urls = append(urls, freshestURLs(full.list.Extensions)...)
	}
	added := false
	for _, u := range urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			continue
		}
		s.mu.Lock()
		last, tried := s.tried[u]
		src, known := s.sources[u]
		if !known {
			src = URLSource{URL: u, Client: s.opts.HTTPClient}
			s.sources[u] = src
		}
		s.mu.Unlock()
		if !known {
			defer s.wakeRun() // once fetched (and scheduled), below
		}
		if tried && s.opts.Now().Sub(last) < s.opts.RetryAfter {
			continue
		}
		if s.fetch(ctx, src) == nil {
			added = true
		}
	}
	return added
}

// wakeRun tells a running Run to reread the schedule.
func (s *CRLStore) wakeRun() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// freshestURLs reads a FreshestCRL (delta CRL distribution point) extension of a certificate or CRL.
func freshestURLs(exts []pkix.Extension) []string {
	for _, e := range exts {
		if !e.Id.Equal(oidFreshestCRL) {
			continue
		}
		var dps []struct {
			DistributionPoint asn1.RawValue `asn1:"optional,tag:0"`
		}
		if _, err := asn1.Unmarshal(e.Value, &dps); err != nil {
			return nil
		}
		var out []string
		for _, dp := range dps {
			var names asn1.RawValue // [0] fullName GeneralNames
			if _, err := asn1.Unmarshal(dp.DistributionPoint.Bytes, &names); err != nil || names.Tag != 0 {
				continue
			}
			rest := names.Bytes
			for len(rest) > 0 {
				var gn asn1.RawValue
				var err error
				if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
					break
				}
				if gn.Class == asn1.ClassContextSpecific && gn.Tag == 6 {
					out = append(out, string(gn.Bytes))
				}
			}
		}
		return out
	}
	return nil
}

// pemBlock returns the DER inside a PEM "X509 CRL" block, or nil if b is not PEM.
func pemBlock(b []byte) []byte {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "X509 CRL" {
		return nil
	}
	return blk.Bytes
}
