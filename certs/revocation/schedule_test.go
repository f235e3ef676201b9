package revocation_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/internal/testpki"
)

// crlIssuer signs CRLs with whatever dates a test needs.
type crlIssuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCRLIssuer(t *testing.T) *crlIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "SCHEDULE TEST CA"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, SubjectKeyId: []byte{1, 2, 3, 4}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &crlIssuer{cert: c, key: key}
}

func (ci *crlIssuer) crl(t *testing.T, number int64, thisUpdate, nextUpdate time.Time) []byte {
	t.Helper()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(number),
		ThisUpdate: thisUpdate, NextUpdate: nextUpdate}, ci.cert, ci.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// runClock drives CRLStore.Run with a fake clock: Run's every wait is handed to the test, which
// advances the clock by it and fires the timer. A wait is asked for only once Run has fetched
// what was due, so the fetch log read after it is complete.
type runClock struct {
	t     *testing.T
	clock *testpki.Clock
	waits chan time.Duration
	fire  chan time.Time

	mu      sync.Mutex
	fetches []string // "offset name", in order
}

func newRunClock(t *testing.T) *runClock {
	return &runClock{t: t, clock: testpki.NewClock(t0), waits: make(chan time.Duration, 1), fire: make(chan time.Time)}
}

func (rc *runClock) after(d time.Duration) <-chan time.Time {
	rc.waits <- d
	return rc.fire
}

// source is a counting Source: the n-th fetch (from 1) returns what f gives.
func (rc *runClock) source(name string, f func(n int, now time.Time) ([]byte, error)) revocation.Source {
	n := 0
	return revocation.FuncSource{Label: name, F: func(context.Context) ([]byte, error) {
		now := rc.clock.Now()
		rc.mu.Lock()
		n++
		k := n
		rc.fetches = append(rc.fetches, fmt.Sprintf("%v %s", now.Sub(t0), name))
		rc.mu.Unlock()
		return f(k, now)
	}}
}

// start runs s.Run until the test ends; Run must then return.
func (rc *runClock) start(s *revocation.CRLStore) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	rc.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second): // a hang guard, not a measure
			rc.t.Error("Run did not return after its context was cancelled")
		}
	})
}

// wait returns the next wait Run asks for.
func (rc *runClock) wait() time.Duration {
	rc.t.Helper()
	select {
	case d := <-rc.waits:
		return d
	case <-time.After(10 * time.Second): // a hang guard, not a measure
		rc.t.Fatal("Run asked for no wait")
		return 0
	}
}

// elapse advances the clock by d and fires Run's timer.
func (rc *runClock) elapse(d time.Duration) {
	rc.clock.Advance(d)
	rc.fire <- rc.clock.Now()
}

func (rc *runClock) log() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.fetches)
}

// Run fetches each source when it is due, not on every tick: at the latest Refresh after the last
// fetch, Margin before the CRL's nextUpdate, after RetryAfter while the publisher serves a CRL
// about to expire, with doubling backoff after failures, and every RefreshEvery for a Periodic
// source.
func TestRunFetchesWhenDue(t *testing.T) {
	ci := newCRLIssuer(t)
	errDown := errors.New("publisher down")
	fresh := func(validity time.Duration) func(int, time.Time) ([]byte, error) {
		return func(n int, now time.Time) ([]byte, error) { return ci.crl(t, int64(n), now, now.Add(validity)), nil }
	}
	for _, tt := range []struct {
		name  string
		every time.Duration // FuncSource.Every
		fetch func(rc *runClock) func(int, time.Time) ([]byte, error)
		waits []time.Duration // the waits Run asks for, in order, each followed by one fetch
	}{
		{"current CRL: every Refresh", 0, func(*runClock) func(int, time.Time) ([]byte, error) { return fresh(7 * 24 * time.Hour) },
			[]time.Duration{time.Hour, time.Hour, time.Hour}},
		{"short CRL: Margin before its nextUpdate", 0, func(*runClock) func(int, time.Time) ([]byte, error) { return fresh(25 * time.Minute) },
			[]time.Duration{15 * time.Minute, 15 * time.Minute, 15 * time.Minute}},
		{"publisher keeps serving a CRL about to expire, then past it: RetryAfter, backing off", 0, func(*runClock) func(int, time.Time) ([]byte, error) {
			stale := ci.crl(t, 1, t0.Add(-time.Hour), t0.Add(12*time.Minute))
			return func(int, time.Time) ([]byte, error) { return stale, nil }
		}, []time.Duration{2 * time.Minute, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute}},
		{"publisher late with its next CRL: back to the normal schedule once it comes", 0, func(*runClock) func(int, time.Time) ([]byte, error) {
			stale := ci.crl(t, 1, t0.Add(-time.Hour), t0.Add(12*time.Minute))
			return func(n int, now time.Time) ([]byte, error) {
				if n <= 3 {
					return stale, nil
				}
				return ci.crl(t, int64(n), now, now.Add(7*24*time.Hour)), nil
			}
		}, []time.Duration{2 * time.Minute, 30 * time.Second, time.Minute, time.Hour}},
		{"failures back off up to MaxBackoff, then the normal schedule", 0, func(*runClock) func(int, time.Time) ([]byte, error) {
			return func(n int, now time.Time) ([]byte, error) {
				if n <= 5 {
					return nil, errDown
				}
				return ci.crl(t, int64(n), now, now.Add(7*24*time.Hour)), nil
			}
		}, []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute, time.Hour}},
		{"a refused CRL counts as a failure", 0, func(*runClock) func(int, time.Time) ([]byte, error) {
			return func(n int, now time.Time) ([]byte, error) {
				if n == 2 {
					return []byte("not a CRL"), nil
				}
				return ci.crl(t, int64(n), now, now.Add(7*24*time.Hour)), nil
			}
		}, []time.Duration{time.Hour, 30 * time.Second, time.Hour}},
		{"Periodic source: its own period", 20 * time.Minute, func(*runClock) func(int, time.Time) ([]byte, error) { return fresh(7 * 24 * time.Hour) },
			[]time.Duration{20 * time.Minute, 20 * time.Minute}},
		{"Periodic source failing: backoff within its period", time.Minute, func(*runClock) func(int, time.Time) ([]byte, error) {
			return func(int, time.Time) ([]byte, error) { return nil, errDown }
		}, []time.Duration{30 * time.Second, time.Minute, time.Minute}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := newRunClock(t)
			src := rc.source("src", tt.fetch(rc)).(revocation.FuncSource)
			src.Every = tt.every
			s := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{src}, Refresh: time.Hour, Margin: 10 * time.Minute,
				RetryAfter: 30 * time.Second, MaxBackoff: 4 * time.Minute, Now: rc.clock.Now, After: rc.after})
			rc.start(s)
			want := []string{"0s src"} // never fetched: due at once
			var at time.Duration
			for i, w := range tt.waits {
				if d := rc.wait(); d != w {
					t.Fatalf("wait %d: Run waits %v, want %v (fetches %q)", i+1, d, w, rc.log())
				}
				if got := rc.log(); !slices.Equal(got, want) {
					t.Fatalf("before wait %d: fetches %q, want %q", i+1, got, want)
				}
				rc.elapse(w)
				at += w
				want = append(want, fmt.Sprintf("%v src", at))
			}
			rc.wait()
			if got := rc.log(); !slices.Equal(got, want) {
				t.Fatalf("fetches %q, want %q", got, want)
			}
		})
	}
}

// Several sources: each on its own schedule, fetched together only when both are due; Health
// tells when each is fetched next.
func TestRunSchedulesSourcesApart(t *testing.T) {
	ci := newCRLIssuer(t)
	rc := newRunClock(t)
	week := func(n int, now time.Time) ([]byte, error) {
		return ci.crl(t, int64(n), now, now.Add(7*24*time.Hour)), nil
	}
	hourly := rc.source("a-hourly", week)
	inProcess := rc.source("b-in-process", week).(revocation.FuncSource)
	inProcess.Every = 20 * time.Minute
	s := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{hourly, inProcess}, Refresh: time.Hour,
		Now: rc.clock.Now, After: rc.after})
	rc.start(s)
	for i := 0; i < 3; i++ {
		if d := rc.wait(); d != 20*time.Minute {
			t.Fatalf("wait %d: %v, want 20m", i+1, d)
		}
		if i == 0 {
			next := map[string]time.Time{}
			for _, h := range s.Health() {
				next[h.Source] = h.NextFetch
			}
			if !next["a-hourly"].Equal(t0.Add(time.Hour)) || !next["b-in-process"].Equal(t0.Add(20*time.Minute)) {
				t.Errorf("Health NextFetch: %v", next)
			}
		}
		rc.elapse(20 * time.Minute)
	}
	rc.wait()
	want := []string{"0s a-hourly", "0s b-in-process", "20m0s b-in-process", "40m0s b-in-process", "1h0m0s a-hourly", "1h0m0s b-in-process"}
	if got := rc.log(); !slices.Equal(got, want) {
		t.Fatalf("fetches\n got %q\nwant %q", got, want)
	}
}

// A source that a certificate's CDP adds while Run sleeps wakes Run, which then sleeps only until
// that source is due rather than until the next source it knew of.
func TestRunWakesForCDPSource(t *testing.T) {
	ci, other := newCRLIssuer(t), newCRLIssuer(t)
	rc := newRunClock(t)
	var hits []time.Duration
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := rc.clock.Now()
		mu.Lock()
		hits = append(hits, now.Sub(t0))
		n := len(hits)
		mu.Unlock()
		w.Write(ci.crl(t, int64(n), now, now.Add(25*time.Minute)))
	}))
	t.Cleanup(srv.Close)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "LEAF"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(0, 1, 0), CRLDistributionPoints: []string{srv.URL + "/full.crl"}},
		ci.cert, leafKey.Public(), ci.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}

	// Another CA's CRL, current for a week: Run sleeps an hour for it.
	hourly := rc.source("hourly", func(n int, now time.Time) ([]byte, error) {
		return other.crl(t, int64(n), now, now.Add(7*24*time.Hour)), nil
	})
	s := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{hourly}, FetchCDP: true, Refresh: time.Hour,
		Margin: 10 * time.Minute, Now: rc.clock.Now, After: rc.after})
	rc.start(s)
	if d := rc.wait(); d != time.Hour {
		t.Fatalf("Run waits %v, want 1h", d)
	}
	rc.clock.Advance(5 * time.Minute)
	if st, err := s.Check(ctx, leaf, ci.cert, rc.clock.Now()); err != nil || st.State != revocation.Good {
		t.Fatalf("check through the CDP: %+v %v", st, err)
	}
	// The CDP's CRL runs out at +30m: Run is woken and waits until its Margin, +20m.
	if d := rc.wait(); d != 15*time.Minute {
		t.Fatalf("after the CDP added a source Run waits %v, want 15m", d)
	}
	rc.elapse(15 * time.Minute)
	if d := rc.wait(); d != 15*time.Minute {
		t.Fatalf("after the CDP source's second fetch Run waits %v, want 15m", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []time.Duration{5 * time.Minute, 20 * time.Minute}; !slices.Equal(hits, want) {
		t.Fatalf("CDP fetched at %v, want %v", hits, want)
	}
	if want := []string{"0s hourly"}; !slices.Equal(rc.log(), want) {
		t.Fatalf("hourly source fetched %q, want %q", rc.log(), want)
	}
}
