// Package testpki gives tests a real test НУЦ in a temporary directory, a settable clock and
// helpers to write certificates and keys where command-line tools (openssl, xmlsec1) can read them.
package testpki

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs/ca"
)

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// NewCA creates a test НУЦ in a temporary directory. opts.Dir is filled in when empty.
func NewCA(t testing.TB, opts ca.Options) *ca.Authority {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "pki")
	}
	a, err := ca.Open(context.Background(), opts, true)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return a
}

// Issue issues a certificate or fails the test.
func Issue(t testing.TB, a *ca.Authority, req ca.IssueRequest) *ca.Issued {
	t.Helper()
	iss, err := a.Issue(context.Background(), req)
	if err != nil {
		t.Fatalf("testpki: issue: %v", err)
	}
	return iss
}

// Write writes b to dir/name and returns the path.
func Write(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return p
}

// WriteIssued writes the certificate and key as PEM into dir and returns their paths.
func WriteIssued(t testing.TB, dir, prefix string, iss *ca.Issued) (certPath, keyPath string) {
	t.Helper()
	kb, err := ca.PEMPrivateKey(iss.Key)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return Write(t, dir, prefix+".crt", ca.PEMCertificate(iss.Certificate)), Write(t, dir, prefix+".key", kb)
}
