package ca_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/testpki"
)

// Two openers of one directory (the CLI and the server) issuing, revoking and publishing at the
// same time lose nothing, and CRL numbers stay unique and increasing.
func TestConcurrentOpenersLoseNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	a := testpki.NewCA(t, ca.Options{Dir: dir, KeyBits: 1024})
	b, err := ca.Open(ctx, ca.Options{Dir: dir, KeyBits: 1024}, false)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	var numbers []int64
	for _, au := range []*ca.Authority{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				iss, err := au.Issue(ctx, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", KeyBits: 1024})
				if err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if err := au.Revoke(ctx, iss.Certificate.SerialNumber, ca.ReasonSuperseded, time.Time{}); err != nil {
						t.Error(err)
					}
				}
				der, err := au.IssueCRL(ctx, ca.CRLDelta)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				numbers = append(numbers, crlOf(t, der).Number.Int64())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	list, err := a.Certificates()
	if err != nil {
		t.Fatal(err)
	}
	revoked := 0
	for _, c := range list {
		if c.Revoked {
			revoked++
		}
	}
	if len(list) != 2*n || revoked != n {
		t.Fatalf("state holds %d certificates (%d revoked), want %d (%d)", len(list), revoked, 2*n, n)
	}
	seen := map[int64]bool{}
	for _, x := range numbers {
		if seen[x] {
			t.Fatalf("CRL number %d issued twice", x)
		}
		seen[x] = true
	}
	full := crlOf(t, must(b.IssueCRL(ctx, ca.CRLFull)))
	if len(full.RevokedCertificateEntries) != n {
		t.Errorf("full CRL lists %d, want %d", len(full.RevokedCertificateEntries), n)
	}
}

func TestHoldRevokeRelease(t *testing.T) {
	clock := testpki.NewClock(t0)
	a := testpki.NewCA(t, ca.Options{Now: clock.Now})
	c := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if err := a.Revoke(ctx, c.SerialNumber, ca.ReasonCertificateHold, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, c.SerialNumber, ca.ReasonCertificateHold, time.Time{}); err == nil {
		t.Error("held twice")
	}
	clock.Advance(time.Hour)
	// Made permanent, the revocation keeps the date the hold began.
	if err := a.Revoke(ctx, c.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, _, _ := a.Status(c.SerialNumber)
	if !st.Revoked || st.Reason != ca.ReasonKeyCompromise || !st.RevokedAt.Equal(t0.Truncate(time.Second)) {
		t.Fatalf("after hold → keyCompromise: %+v", st)
	}
	// A released certificate can be revoked again.
	d := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if err := a.Revoke(ctx, d.SerialNumber, ca.ReasonCertificateHold, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx, d.SerialNumber); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, d.SerialNumber, ca.ReasonAffiliationChanged, time.Time{}); err != nil {
		t.Fatalf("revoke after release: %v", err)
	}
	if err := a.Revoke(ctx, d.SerialNumber, ca.ReasonAffiliationChanged, time.Time{}); !errors.Is(err, ca.ErrAlreadyRevoked) {
		t.Errorf("second revocation: %v", err)
	}
}

func TestBaseURLIsRecorded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	testpki.NewCA(t, ca.Options{Dir: dir, BaseURL: "http://one.test/pki"})
	b, err := ca.Open(ctx, ca.Options{Dir: dir, BaseURL: "http://two.test/pki"}, true)
	if err != nil {
		t.Fatal(err)
	}
	c := testpki.Issue(t, b, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if c.OCSPServer[0] != "http://one.test/pki/ocsp" {
		t.Fatalf("Options.BaseURL overrode the recorded URL: %v", c.OCSPServer)
	}
	if err := b.SetBaseURL(ctx, "http://two.test/pki/"); err != nil {
		t.Fatal(err)
	}
	if err := b.SetBaseURL(ctx, "ftp://x"); err == nil {
		t.Error("non-HTTP base URL accepted")
	}
	c = testpki.Issue(t, b, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if c.CRLDistributionPoints[0] != "http://two.test/pki/crl/full.crl" || b.BaseURL() != "http://two.test/pki" {
		t.Fatalf("after SetBaseURL: %v %s", c.CRLDistributionPoints, b.BaseURL())
	}
}
