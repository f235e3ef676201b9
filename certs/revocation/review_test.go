package revocation_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/internal/testpki"
)

// With the delta source down, the full CRL alone must not answer for now: revocations since it
// live only in deltas.
func TestStaleDeltaIsNotIgnored(t *testing.T) {
	clock := testpki.NewClock(t0)
	a := testpki.NewCA(t, ca.Options{Now: clock.Now})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	s := revocation.NewCRLStore(revocation.CRLOptions{Sources: caSources(a), Now: clock.Now})
	must(t, s.Refresh(ctx))
	must(t, a.Revoke(ctx, x.SerialNumber, ca.ReasonKeyCompromise, time.Time{}))
	must(t, s.Refresh(ctx))
	if st, _ := check(t, s, x, a.Issuing(), clock.Now()); st.State != revocation.Revoked {
		t.Fatalf("fresh delta: %v", st.State)
	}
	clock.Advance(2 * time.Hour) // the delta (1 h) is stale, the full CRL (24 h) is not
	if st, err := check(t, s, x, a.Issuing(), clock.Now()); st.State != revocation.Unknown || !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("stale delta: %+v %v", st, err)
	}
}

// A delta based on a newer full CRL than the one held means the held full CRL is outdated.
func TestDeltaBaseNewerThanFull(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	s := revocation.NewCRLStore(revocation.CRLOptions{})
	must(t, s.Add("full", mustB(t)(a.IssueCRL(ctx, ca.CRLFull))))
	mustB(t)(a.IssueCRL(ctx, ca.CRLFull)) // a newer full CRL, not held
	must(t, a.Revoke(ctx, x.SerialNumber, ca.ReasonKeyCompromise, time.Time{}))
	must(t, s.Add("delta", mustB(t)(a.CRL(ctx, ca.CRLDelta))))
	if st, err := check(t, s, x, a.Issuing(), time.Now()); st.State != revocation.Unknown || !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("outdated full CRL: %+v %v", st, err)
	}
}

// A CRL that is stale now and was issued before the time of interest knows nothing of that time.
func TestPastTimeNeedsLaterOrCurrentCRL(t *testing.T) {
	clock := testpki.NewClock(t0)
	a := testpki.NewCA(t, ca.Options{Now: clock.Now})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	s := revocation.NewCRLStore(revocation.CRLOptions{Sources: caSources(a), Now: clock.Now})
	must(t, s.Refresh(ctx))
	clock.Advance(time.Hour)
	must(t, a.Revoke(ctx, x.SerialNumber, ca.ReasonKeyCompromise, time.Time{}))
	clock.Advance(47 * time.Hour) // no refresh since t0
	if _, err := check(t, s, x, a.Issuing(), t0.Add(2*time.Hour)); !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("stale CRL issued before the time of interest: %v", err)
	}
	must(t, s.Refresh(ctx)) // CRLs issued now cover every earlier time
	if st, err := check(t, s, x, a.Issuing(), t0.Add(2*time.Hour)); err != nil || st.State != revocation.Revoked {
		t.Fatalf("after refresh: %+v %v", st, err)
	}
	if st, err := check(t, s, x, a.Issuing(), t0.Add(30*time.Minute)); err != nil || st.State != revocation.Good {
		t.Fatalf("before the revocation: %+v %v", st, err)
	}
	if _, err := check(t, s, x, a.Issuing(), clock.Now().Add(24*time.Hour)); !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("a future time: %v", err)
	}
}

// A delta entry dated after the time of interest does not clear an earlier entry of the full CRL.
func TestLaterDeltaEntryKeepsEarlierRevocation(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CRL ISSUER"}, NotBefore: now.AddDate(-1, 0, 0),
		NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign, SubjectKeyId: []byte{1, 2, 3}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	issuer, _ := x509.ParseCertificate(der)
	serial := big.NewInt(777)
	held := now.Add(-3 * time.Hour)
	full, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-4 * time.Hour), NextUpdate: now.Add(20 * time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: serial, RevocationTime: held, ReasonCode: 6}},
		ExtraExtensions:           nil}, issuer, key)
	must(t, err)
	// Ill-formed but possible: the delta dates the permanent revocation later than the hold.
	ind, _ := asn1.Marshal(1)
	delta, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(2), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: serial, RevocationTime: now.Add(-time.Hour), ReasonCode: 1}},
		ExtraExtensions:           []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: ind}}}, issuer, key)
	must(t, err)
	s := revocation.NewCRLStore(revocation.CRLOptions{})
	must(t, s.Add("full", full))
	must(t, s.Add("delta", delta))
	st, err := check(t, s, &x509.Certificate{SerialNumber: serial}, issuer, now.Add(-2*time.Hour))
	if err != nil || st.State != revocation.Revoked || !st.RevokedAt.Equal(held.UTC().Truncate(time.Second)) {
		t.Fatalf("on hold at the time of interest: %+v %v", st, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustB(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		must(t, err)
		return b
	}
}
