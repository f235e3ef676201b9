package revocation_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/ocsp"
	"github.com/shep-kz/shep/certs/pkihttp"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/internal/testpki"
)

var ctx = context.Background()

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func caSources(a *ca.Authority) []revocation.Source {
	var out []revocation.Source
	for _, k := range []ca.CRLKind{ca.CRLFull, ca.CRLDelta, ca.CRLRoot} {
		out = append(out, revocation.FuncSource{Label: "ca:" + string(k), F: func(ctx context.Context) ([]byte, error) { return a.CRL(ctx, k) }})
	}
	return out
}

func check(t *testing.T, c revocation.Checker, cert, issuer *x509.Certificate, at time.Time) (revocation.Status, error) {
	t.Helper()
	return c.Check(ctx, cert, issuer, at)
}

func TestCRLStoreFullAndDelta(t *testing.T) {
	clock := testpki.NewClock(t0)
	a := testpki.NewCA(t, ca.Options{Now: clock.Now})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	s := revocation.NewCRLStore(revocation.CRLOptions{Sources: caSources(a), Now: clock.Now})
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := check(t, s, x, a.Issuing(), clock.Now())
	if err != nil || st.State != revocation.Good || !strings.Contains(st.Source, "delta") {
		t.Fatalf("fresh certificate: %+v %v", st, err)
	}

	clock.Advance(10 * time.Minute)
	revokedAt := clock.Now().Add(-5 * time.Minute)
	if err := a.Revoke(ctx, x.SerialNumber, ca.ReasonKeyCompromise, revokedAt); err != nil {
		t.Fatal(err)
	}
	// Evidence-based: until the store refreshes, the held (still current) CRLs say good.
	if st, _ := check(t, s, x, a.Issuing(), clock.Now()); st.State != revocation.Good {
		t.Fatalf("before refresh: %v", st.State)
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	st, err = check(t, s, x, a.Issuing(), clock.Now())
	if err != nil || st.State != revocation.Revoked || !st.RevokedAt.Equal(revokedAt) || st.Reason != int(ca.ReasonKeyCompromise) {
		t.Fatalf("after refresh: %+v %v", st, err)
	}
	// Before the revocation date the certificate was good.
	if st, err := check(t, s, x, a.Issuing(), revokedAt.Add(-time.Second)); err != nil || st.State != revocation.Good {
		t.Fatalf("before the revocation date: %+v %v", st, err)
	}
	// Another CA's certificate: no CRL held for it.
	other := testpki.NewCA(t, ca.Options{})
	if st, err := check(t, s, x, other.Issuing(), clock.Now()); !errors.Is(err, revocation.ErrUnknown) || st.State != revocation.Unknown {
		t.Fatalf("unknown issuer: %+v %v", st, err)
	}
	// Past nextUpdate, with no refresh, nothing is current: fail closed.
	clock.Advance(25 * time.Hour)
	st, err = check(t, s, x, a.Issuing(), clock.Now())
	if !errors.Is(err, revocation.ErrUnknown) || st.State != revocation.Unknown || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("stale CRL: %+v %v", st, err)
	}
	health := s.Health()
	if len(health) != 3 || health[0].Current {
		t.Errorf("health: %+v", health)
	}
}

// A CRL with the right issuer name and key identifier but signed by another key is not evidence.
func TestCRLStoreRejectsForgedCRL(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	impostor := &x509.Certificate{SerialNumber: big.NewInt(7), RawSubject: a.Issuing().RawSubject, Subject: a.Issuing().Subject,
		SubjectKeyId: a.Issuing().SubjectKeyId, NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, impostor, impostor, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	impostor, _ = x509.ParseCertificate(der)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(99), ThisUpdate: time.Now().Add(-time.Minute),
		NextUpdate: time.Now().Add(time.Hour)}, impostor, key)
	if err != nil {
		t.Fatal(err)
	}
	s := revocation.NewCRLStore(revocation.CRLOptions{})
	if err := s.Add("forged", crl); err != nil {
		t.Fatal(err)
	}
	st, err := check(t, s, x, a.Issuing(), time.Now())
	if !errors.Is(err, revocation.ErrUnknown) || st.State != revocation.Unknown || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("forged CRL accepted: %+v %v", st, err)
	}
}

// CRLs named in the certificate (CDP and FreshestCRL) are fetched over HTTP on demand.
func TestCRLStoreFetchesCDP(t *testing.T) {
	r := mux.NewRouter().SkipClean(true)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hits.Add(1)
		r.ServeHTTP(w, req)
	}))
	defer srv.Close()
	a := testpki.NewCA(t, ca.Options{BaseURL: srv.URL + "/pki"})
	pkihttp.Register(r.PathPrefix("/pki").Subrouter(), a, nil)
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate

	noCDP := revocation.NewCRLStore(revocation.CRLOptions{})
	if _, err := check(t, noCDP, x, a.Issuing(), time.Now()); !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("without FetchCDP and sources: %v", err)
	}
	s := revocation.NewCRLStore(revocation.CRLOptions{FetchCDP: true})
	st, err := check(t, s, x, a.Issuing(), time.Now())
	if err != nil || st.State != revocation.Good || !strings.Contains(st.Source, "/pki/crl/full.crl") || !strings.Contains(st.Source, "/pki/crl/delta.crl") {
		t.Fatalf("via CDP: %+v %v", st, err)
	}
	if got := hits.Load(); got != 2 {
		t.Errorf("%d HTTP fetches, want 2 (full and delta)", got)
	}
	if err := a.Revoke(ctx, x.SerialNumber, ca.ReasonSuperseded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(ctx); err != nil { // CDP URLs became sources
		t.Fatal(err)
	}
	if st, err := check(t, s, x, a.Issuing(), time.Now()); err != nil || st.State != revocation.Revoked {
		t.Fatalf("after refresh: %+v %v", st, err)
	}
}

func TestFileSourcePEMAndDER(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if err := a.Revoke(ctx, x.SerialNumber, ca.ReasonCessationOfOperation, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	der, _ := a.IssueCRL(ctx, ca.CRLFull)
	dir := t.TempDir()
	pemCRL := "-----BEGIN X509 CRL-----\n" + b64lines(der) + "-----END X509 CRL-----\n"
	for name, b := range map[string][]byte{"der.crl": der, "pem.crl": []byte(pemCRL)} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		s := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{revocation.FileSource(p)}})
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		// For a time before the CRL was issued, the full CRL alone is complete evidence.
		if st, err := check(t, s, x, a.Issuing(), time.Now().Add(-30*time.Minute)); err != nil || st.State != revocation.Revoked || st.Reason != int(ca.ReasonCessationOfOperation) {
			t.Fatalf("%s: %+v %v", name, st, err)
		}
		// For now, the full CRL announces deltas (FreshestCRL) and none is held: not enough.
		if _, err := check(t, s, x, a.Issuing(), time.Now()); !errors.Is(err, revocation.ErrUnknown) || !strings.Contains(err.Error(), "delta") {
			t.Fatalf("%s without its delta: %v", name, err)
		}
	}
	empty := filepath.Join(dir, "empty.crl")
	os.WriteFile(empty, nil, 0o644)
	if err := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{revocation.FileSource(empty)}}).Refresh(ctx); err == nil {
		t.Error("an empty CRL file was accepted")
	}
}

func b64lines(b []byte) string {
	s := encodeStd(b)
	var out strings.Builder
	for len(s) > 64 {
		out.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return out.String() + s + "\n"
}

func realNCA(t *testing.T) (*revocation.CRLStore, *x509.Certificate) {
	t.Helper()
	issuer, err := certs.ParseCertificates(fixtures.Read(t, "nca_rsa_test.crt"))
	if err != nil {
		t.Fatal(err)
	}
	s := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{revocation.FileSource(filepath.Join(fixtures.Dir(t), "nca_rsa_test.crl"))}})
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return s, issuer[0]
}

// The real НУЦ RSA test CRL: signature verified, 126 entries, current only until 2022-09-25.
func TestRealNCACRL(t *testing.T) {
	s, issuer := realNCA(t)
	if h := s.Health(); len(h) != 1 || h[0].Entries != 126 || h[0].LastError != "" {
		t.Fatalf("health: %+v", h)
	}
	leaf, err := certs.ParseCertificates(fixtures.Read(t, "individual_valid_sign_2004_rsa.cer"))
	if err != nil {
		t.Fatal(err)
	}
	// Checked in 2022 while the CRL was current (nextUpdate 2022-09-25).
	in2022 := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	then := revocation.NewCRLStore(revocation.CRLOptions{Now: func() time.Time { return in2022 },
		Sources: []revocation.Source{revocation.FileSource(filepath.Join(fixtures.Dir(t), "nca_rsa_test.crl"))}})
	if err := then.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := check(t, then, leaf[0], issuer, in2022); err != nil || st.State != revocation.Good {
		t.Fatalf("in 2022: %+v %v", st, err)
	}
	// Today, for a time before the CRL was issued (2022-03-29): a later CRL not listing it is evidence.
	if st, err := check(t, s, leaf[0], issuer, time.Date(2022, 1, 20, 0, 0, 0, 0, time.UTC)); err != nil || st.State != revocation.Good {
		t.Fatalf("earlier time: %+v %v", st, err)
	}
	// Today, for a time after the CRL was issued: it could not know, and it is stale now.
	if _, err := check(t, s, leaf[0], issuer, in2022); !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("a time after the stale CRL was issued: %v", err)
	}
	// Today, for now: fail closed.
	if st, err := check(t, s, leaf[0], issuer, time.Now()); !errors.Is(err, revocation.ErrUnknown) || st.State != revocation.Unknown {
		t.Fatalf("now: %+v %v", st, err)
	}
	// A listed serial is revoked from its revocation date on, and good just before.
	der, _ := os.ReadFile(filepath.Join(fixtures.Dir(t), "nca_rsa_test.crl"))
	l, _ := x509.ParseRevocationList(der)
	e := l.RevokedCertificateEntries[len(l.RevokedCertificateEntries)/2]
	listed := &x509.Certificate{SerialNumber: e.SerialNumber}
	if st, err := check(t, s, listed, issuer, e.RevocationTime.Add(time.Second)); err != nil || st.State != revocation.Revoked || !st.RevokedAt.Equal(e.RevocationTime) {
		t.Fatalf("listed serial after its date: %+v %v", st, err)
	}
	if st, err := check(t, s, listed, issuer, e.RevocationTime.Add(-time.Second)); err != nil || st.State != revocation.Good {
		t.Fatalf("listed serial before its date: %+v %v", st, err)
	}
}

// The real GOST CRLs are evidence like RSA ones once their GOST signature verifies: the 2004 CRL
// of ҰКО 3.0 (GOST TEST), and the TEST 2022 full + delta CRLs. Each is checked with the clock
// inside its window (thisUpdate..nextUpdate), as a verifier at that time would have.
func TestRealGOSTCRLs(t *testing.T) {
	load := func(name string) *x509.Certificate {
		cs, err := certs.ParseCertificates(fixtures.Read(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return cs[0]
	}
	crl := func(name string) *x509.RevocationList {
		l, err := x509.ParseRevocationList(fixtures.Read(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	ceo, ca2004, ca2022 := load("ceo_valid_sign_2004_gost.cer"), load("nca_gost_test.crt"), load("gost/nca_gost2022_test.cer")
	l2004, full2022 := crl("nca_gost_test.crl"), crl("gost/nca_gost2022_test.crl")
	dir := fixtures.Dir(t)
	store := func(now time.Time, files ...string) *revocation.CRLStore {
		var srcs []revocation.Source
		for _, f := range files {
			srcs = append(srcs, revocation.FileSource(filepath.Join(dir, f)))
		}
		s := revocation.NewCRLStore(revocation.CRLOptions{Sources: srcs, Now: func() time.Time { return now }})
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A certificate stand-in with a given serial (Check reads only the serial).
	serial := func(n *big.Int) *x509.Certificate { return &x509.Certificate{SerialNumber: n} }
	listed2004, listed2022 := l2004.RevokedCertificateEntries[0], full2022.RevokedCertificateEntries[0]
	now2004 := l2004.ThisUpdate.Add(24 * time.Hour)
	now2022 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	s2004 := store(now2004, "nca_gost_test.crl")
	// НУЦ numbers its deltas on a sequence of their own (the delta nca_gost2022_d_test.crl is CRL
	// #10 with base #14, the full one #14): the delta still counts, being based on the full CRL
	// and issued no earlier.
	s2022delta := store(now2022, "gost/nca_gost2022_test.crl", "gost/nca_gost2022_d_test.crl")
	s2022 := store(now2022, "gost/nca_gost2022_test.crl")
	tests := []struct {
		name   string
		s      *revocation.CRLStore
		cert   *x509.Certificate
		issuer *x509.Certificate
		at     time.Time
		state  revocation.State
		source string
	}{
		{"2004 head, not listed", s2004, ceo, ca2004, now2004, revocation.Good, "nca_gost_test.crl"},
		{"2004 listed serial", s2004, serial(listed2004.SerialNumber), ca2004, now2004, revocation.Revoked, "nca_gost_test.crl"},
		{"2022 unlisted serial", s2022, serial(big.NewInt(12345)), ca2022, now2022, revocation.Good, "nca_gost2022_test.crl"},
		{"2022 listed serial", s2022, serial(listed2022.SerialNumber), ca2022, now2022, revocation.Revoked, "nca_gost2022_test.crl"},
		{"2022 CRLs, wrong issuer", s2022, ceo, ca2004, now2022, revocation.Unknown, ""},
		{"2022 full + НУЦ-numbered delta, unlisted", s2022delta, serial(big.NewInt(12345)), ca2022, now2022, revocation.Good, "nca_gost2022_d_test.crl"},
		{"2022 full + delta, listed in the full", s2022delta, serial(listed2022.SerialNumber), ca2022, now2022, revocation.Revoked, "nca_gost2022_test.crl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := check(t, tt.s, tt.cert, tt.issuer, tt.at)
			if st.State != tt.state || (tt.state == revocation.Unknown) != (err != nil) {
				t.Fatalf("%+v %v, want %v", st, err, tt.state)
			}
			if !strings.Contains(st.Source, tt.source) {
				t.Errorf("source %q, want %q", st.Source, tt.source)
			}
		})
	}

	// A CRL whose signature no longer holds is no evidence.
	der, err := os.ReadFile(filepath.Join(dir, "nca_gost_test.crl"))
	if err != nil {
		t.Fatal(err)
	}
	der[len(der)-1] ^= 0x01
	bad := filepath.Join(t.TempDir(), "bad.crl")
	if err := os.WriteFile(bad, der, 0o600); err != nil {
		t.Fatal(err)
	}
	s := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{revocation.FileSource(bad)}, Now: func() time.Time { return now2004 }})
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := check(t, s, ceo, ca2004, now2004)
	if !errors.Is(err, revocation.ErrUnknown) || st.State != revocation.Unknown || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("tampered GOST CRL: %+v %v", st, err)
	}
}

func ocspServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestOCSPChecker(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	r := mux.NewRouter().SkipClean(true)
	pkihttp.Register(r, a, nil)
	url := ocspServer(t, r) + "/ocsp"
	good := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	bad := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "941111350315"}).Certificate
	revokedAt := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	if err := a.Revoke(ctx, bad.SerialNumber, ca.ReasonKeyCompromise, revokedAt); err != nil {
		t.Fatal(err)
	}
	o := revocation.NewOCSPChecker(revocation.OCSPOptions{URLs: []string{url}})
	if st, err := check(t, o, good, a.Issuing(), time.Now()); err != nil || st.State != revocation.Good || !strings.Contains(st.Source, ca.ResponderName) {
		t.Fatalf("good: %+v %v", st, err)
	}
	st, err := check(t, o, bad, a.Issuing(), time.Now())
	if err != nil || st.State != revocation.Revoked || !st.RevokedAt.Equal(revokedAt) || st.Reason != 1 {
		t.Fatalf("revoked: %+v %v", st, err)
	}
	if st, err := check(t, o, bad, a.Issuing(), revokedAt.Add(-time.Minute)); err != nil || st.State != revocation.Good {
		t.Fatalf("revoked later than the time asked about: %+v %v", st, err)
	}
	stranger := &x509.Certificate{SerialNumber: big.NewInt(31337)}
	if _, err := check(t, o, stranger, a.Issuing(), time.Now()); !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("unknown serial: %v", err)
	}
	// The responder's clock is fine but ours is three hours ahead: the answer is stale.
	late := revocation.NewOCSPChecker(revocation.OCSPOptions{URLs: []string{url}, Now: func() time.Time { return time.Now().Add(3 * time.Hour) }})
	if _, err := check(t, late, good, a.Issuing(), time.Now()); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("stale answer accepted: %v", err)
	}
	// One minute past nextUpdate is stale: clock skew is tolerated only for thisUpdate.
	justLate := revocation.NewOCSPChecker(revocation.OCSPOptions{URLs: []string{url}, Now: func() time.Time { return time.Now().Add(61 * time.Minute) }})
	if _, err := check(t, justLate, good, a.Issuing(), time.Now()); err == nil || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("answer stale by a minute accepted: %v", err)
	}
	if _, err := check(t, o, good, a.Issuing(), time.Now().Add(time.Hour)); !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("a future time of interest: %v", err)
	}
	// An answer about another CA's certificates is not signed by a responder of this issuer.
	other := testpki.NewCA(t, ca.Options{})
	if _, err := check(t, o, good, other.Issuing(), time.Now()); err == nil {
		t.Fatal("answer accepted for the wrong issuer")
	}
}

// A replayed answer (an old response with another nonce) is refused; the real НУЦ response is
// used as the replay.
func TestOCSPReplayRefused(t *testing.T) {
	resp := fixtures.Read(t, "ocsp_response_individual_sign_2004.bin")
	url := ocspServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	}))
	issuer, _ := certs.ParseCertificates(fixtures.Read(t, "nca_rsa_test.crt"))
	sn, _ := new(big.Int).SetString("4279390A141F5353A62947B61ED65E81741467D1", 16)
	at := time.Date(2022, 9, 2, 17, 0, 0, 0, time.UTC)
	o := revocation.NewOCSPChecker(revocation.OCSPOptions{URLs: []string{url}, Now: func() time.Time { return at }, MaxAge: 24 * time.Hour})
	_, err := check(t, o, &x509.Certificate{SerialNumber: sn}, issuer[0], at)
	if err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("replayed НУЦ answer: %v", err)
	}
}

// tryLater (as ocsp.pki.gov.kz answers under load) falls back to the CRLs.
func TestFallbackOnTryLater(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	url := ocspServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(ocsp.ErrorResponse(ocsp.TryLater))
	}))
	o := revocation.NewOCSPChecker(revocation.OCSPOptions{URLs: []string{url}})
	if _, err := check(t, o, x, a.Issuing(), time.Now()); !errors.Is(err, revocation.ErrTryLater) {
		t.Fatalf("tryLater: %v", err)
	}
	crl := revocation.NewCRLStore(revocation.CRLOptions{Sources: caSources(a)})
	if err := crl.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := check(t, revocation.Fallback{o, crl}, x, a.Issuing(), time.Now())
	if err != nil || st.State != revocation.Good || !strings.HasPrefix(st.Source, "crl ") {
		t.Fatalf("fallback: %+v %v", st, err)
	}
	// Both failing: unknown, with both reasons.
	empty := revocation.NewCRLStore(revocation.CRLOptions{})
	st, err = check(t, revocation.Fallback{o, empty}, x, a.Issuing(), time.Now())
	if st.State != revocation.Unknown || !errors.Is(err, revocation.ErrTryLater) || !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("both failing: %+v %v", st, err)
	}
	if _, err := check(t, revocation.Fallback{}, x, a.Issuing(), time.Now()); !errors.Is(err, revocation.ErrUnknown) {
		t.Fatal("empty fallback answered")
	}
	_ = pkix.Name{}
}
