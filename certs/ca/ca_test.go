package ca_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/ocsp"
	"github.com/shep-kz/shep/internal/testpki"
)

var ctx = context.Background()

const base = "http://shep.test:8080/pki"

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func TestOpenIsIdempotent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := ca.Open(ctx, ca.Options{Dir: dir}, false); !errors.Is(err, ca.ErrNotInitialized) {
		t.Fatalf("Open without create on an empty dir: %v, want ErrNotInitialized", err)
	}
	a1, err := ca.Open(ctx, ca.Options{Dir: dir, BaseURL: base}, true)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := ca.Open(ctx, ca.Options{Dir: dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !a1.Root().Equal(a2.Root()) || !a1.Issuing().Equal(a2.Issuing()) {
		t.Fatal("second Open created a new hierarchy")
	}
	if a2.BaseURL() != base {
		t.Fatalf("BaseURL not kept across Open: %q", a2.BaseURL())
	}
	for _, k := range []string{"root.key", "ca.key", "ocsp.key"} {
		st, err := os.Stat(filepath.Join(dir, k))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", k, st.Mode().Perm())
		}
	}
	// The directories holding the keys and the issued certificates are the owner's alone.
	for _, d := range []string{".", "issued", "crl"} {
		st, err := os.Stat(filepath.Join(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		if !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Errorf("directory %s mode %v, want 0700", d, st.Mode().Perm())
		}
	}
	if a1.Issuing().Subject.CommonName != ca.IssuingName || a1.Root().Subject.CommonName != ca.RootName {
		t.Errorf("names: %q / %q", a1.Root().Subject.CommonName, a1.Issuing().Subject.CommonName)
	}
	if err := a1.Issuing().CheckSignatureFrom(a1.Root()); err != nil {
		t.Errorf("issuing CA not signed by root: %v", err)
	}
}

// With no key size or algorithm given, the НУЦ's own keys and the keys it issues are RSA-2048,
// in memory, in the certificates and in the key files.
func TestDefaultKeysAreRSA2048(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	a, err := ca.Open(ctx, ca.Options{Dir: dir}, true) // no KeyBits
	if err != nil {
		t.Fatal(err)
	}
	rsaBits := func(what string, pub crypto.PublicKey) {
		t.Helper()
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			t.Errorf("%s: %T, want an RSA key", what, pub)
			return
		}
		if k.N.BitLen() != 2048 {
			t.Errorf("%s: RSA-%d, want RSA-2048", what, k.N.BitLen())
		}
	}
	for what, c := range map[string]*x509.Certificate{"root": a.Root(), "issuing CA": a.Issuing(), "OCSP responder": a.Responder()} {
		rsaBits(what+" certificate", c.PublicKey)
		if c.SignatureAlgorithm != x509.SHA256WithRSA {
			t.Errorf("%s signed with %v", what, c.SignatureAlgorithm)
		}
	}
	for _, f := range []string{"root.key", "ca.key", "ocsp.key"} {
		k, err := certs.ReadPrivateKey(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		rsaBits(f, k.Public())
	}
	for _, req := range []ca.IssueRequest{
		{Kind: ca.KindIndividual, IIN: "931002451325"},
		{Kind: ca.KindSystem, BIN: "160440007161", Usage: ca.UsageAuth},
	} {
		iss, err := a.Issue(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := iss.Key.(*rsa.PrivateKey); !ok {
			t.Errorf("%s: issued key is %T", req.Kind, iss.Key)
		}
		rsaBits(string(req.Kind)+" key", iss.Key.Public())
		rsaBits(string(req.Kind)+" certificate", iss.Certificate.PublicKey)
		if iss.Certificate.PublicKeyAlgorithm != x509.RSA || iss.Certificate.SignatureAlgorithm != x509.SHA256WithRSA {
			t.Errorf("%s: %v key signed with %v", req.Kind, iss.Certificate.PublicKeyAlgorithm, iss.Certificate.SignatureAlgorithm)
		}
	}
}

func TestIssueProfiles(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{BaseURL: base})
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(a.Root())
	inter.AddCert(a.Issuing())
	tests := []struct {
		req        ca.IssueRequest
		kind       certs.Kind
		class      certs.KeyClass
		policy     asn1.ObjectIdentifier
		role       asn1.ObjectIdentifier
		iin, bin   string
		org, email string
	}{
		{ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Name: "ИВАНОВА АЙГУЛЬ СЕРИКОВНА", Email: "a@example.kz"},
			certs.KindIndividual, certs.KeySign, certs.OIDPolicyIndividualSign, certs.OIDRoleIndividual, "931002451325", "", "", "a@example.kz"},
		{ca.IssueRequest{Kind: ca.KindIndividual, Usage: ca.UsageAuth, IIN: "931002451325"},
			certs.KindIndividual, certs.KeyAuth, certs.OIDPolicyIndividualAuth, certs.OIDRoleIndividual, "931002451325", "", "", ""},
		{ca.IssueRequest{Kind: ca.KindHead, IIN: "660427402182", BIN: "160440007161", Organization: `ТОО "РОГА И КОПЫТА"`},
			certs.KindHead, certs.KeySign, certs.OIDPolicyLegalSign, certs.OIDRoleCEO, "660427402182", "160440007161", `ТОО "РОГА И КОПЫТА"`, ""},
		{ca.IssueRequest{Kind: ca.KindEmployee, Usage: ca.UsageAuth, IIN: "941111350315", BIN: "160440007161"},
			certs.KindEmployee, certs.KeyAuth, certs.OIDPolicyLegalAuth, certs.OIDRoleEmployee, "941111350315", "160440007161", "", ""},
		{ca.IssueRequest{Kind: ca.KindOperator, IIN: "941111350315"},
			certs.KindEmployee, certs.KeySign, certs.OIDPolicyLegalSign, certs.OIDRoleEmployee, "941111350315", ca.DefaultOperatorBIN, ca.DefaultOperatorOrg, ""},
		{ca.IssueRequest{Kind: ca.KindOfficial, IIN: "660427402182", BIN: "160440007161", Organization: "ГУ «ОТДЕЛ ЗАНЯТОСТИ»"},
			certs.KindSigner, certs.KeySign, certs.OIDPolicyLegalSign, certs.OIDRoleCanSign, "660427402182", "160440007161", "ГУ «ОТДЕЛ ЗАНЯТОСТИ»", ""},
		{ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ШЭП", Organization: "АО НИТ"},
			certs.KindSystem, certs.KeySign, certs.OIDPolicyLegalSign, certs.OIDRoleInformationSystem, "", "160440007161", "АО НИТ", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.req.Kind)+"/"+string(tt.req.Usage), func(t *testing.T) {
			iss := testpki.Issue(t, a, tt.req)
			c := iss.Certificate
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Fatalf("chain: %v", err)
			}
			id, err := certs.IdentityOf(c, certs.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if id.Kind != tt.kind || id.KeyClass != tt.class || id.IIN != tt.iin || id.BIN != tt.bin {
				t.Errorf("identity kind=%s class=%s iin=%q bin=%q, want %s %s %q %q", id.Kind, id.KeyClass, id.IIN, id.BIN, tt.kind, tt.class, tt.iin, tt.bin)
			}
			if tt.org != "" && id.Organization != tt.org {
				t.Errorf("organization %q, want %q", id.Organization, tt.org)
			}
			if id.Email != tt.email {
				t.Errorf("email %q, want %q", id.Email, tt.email)
			}
			if !id.HasPolicy(tt.policy) || !id.HasRole(tt.role) {
				t.Errorf("policies %v roles %v: want policy %s and role %s", id.Policies, id.Roles, tt.policy, tt.role)
			}
			if got := strings.Join(c.CRLDistributionPoints, " "); got != base+"/crl/full.crl" {
				t.Errorf("CDP %q", got)
			}
			if got := strings.Join(c.OCSPServer, " "); got != base+"/ocsp" {
				t.Errorf("OCSP %q", got)
			}
			if got := strings.Join(c.IssuingCertificateURL, " "); got != base+"/ca.crt" {
				t.Errorf("AIA %q", got)
			}
			if !hasExtension(c, asn1.ObjectIdentifier{2, 5, 29, 46}, base+"/crl/delta.crl") {
				t.Error("no FreshestCRL pointing at the delta CRL")
			}
			if c.SerialNumber.BitLen() <= 64 || len(c.SubjectKeyId) == 0 || string(c.AuthorityKeyId) != string(a.Issuing().SubjectKeyId) {
				t.Error("serial too short or key identifiers missing")
			}
			if st, ok, err := a.Status(c.SerialNumber); err != nil || !ok || st.Revoked || st.Kind != tt.req.Kind {
				t.Errorf("Status: %+v %v %v", st, ok, err)
			}
		})
	}
}

func hasExtension(c *x509.Certificate, id asn1.ObjectIdentifier, contains string) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(id) && strings.Contains(string(e.Value), contains) {
			return true
		}
	}
	return false
}

func TestIssueWindowsAndRejects(t *testing.T) {
	clock := testpki.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	a := testpki.NewCA(t, ca.Options{Now: clock.Now})
	past := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325",
		NotBefore: time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	if !past.Certificate.NotAfter.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expired window not honoured: %v", past.Certificate.NotAfter)
	}
	def := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"})
	if got := def.Certificate.NotAfter.Sub(def.Certificate.NotBefore); got < 364*24*time.Hour || got > 367*24*time.Hour {
		t.Errorf("default validity %v, want a year", got)
	}
	test := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindHead, IIN: "123456789011", BIN: "123456789021", TestIdentities: true})
	if test.Certificate.Subject.SerialNumber != "IIN123456789011" {
		t.Errorf("test identity serialNumber %q", test.Certificate.Subject.SerialNumber)
	}
	for name, req := range map[string]ca.IssueRequest{
		"bad checksum":       {Kind: ca.KindIndividual, IIN: "123456789011"},
		"short ИИН":          {Kind: ca.KindIndividual, IIN: "93100245132"},
		"employee no БИН":    {Kind: ca.KindEmployee, IIN: "931002451325"},
		"individual with О":  {Kind: ca.KindIndividual, IIN: "931002451325", Organization: "X"},
		"system with ИИН":    {Kind: ca.KindSystem, IIN: "931002451325", BIN: "160440007161"},
		"unknown kind":       {Kind: "alien", IIN: "931002451325"},
		"unknown usage":      {Kind: ca.KindIndividual, IIN: "931002451325", Usage: "encrypt"},
		"inverted window":    {Kind: ca.KindIndividual, IIN: "931002451325", NotBefore: clock.Now(), NotAfter: clock.Now().Add(-time.Hour)},
		"beyond the CA":      {Kind: ca.KindIndividual, IIN: "931002451325", NotAfter: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)},
		"before the CA":      {Kind: ca.KindIndividual, IIN: "931002451325", NotBefore: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)},
		"bad БИН type digit": {Kind: ca.KindHead, IIN: "931002451325", BIN: "160470007161"},
	} {
		if _, err := a.Issue(ctx, req); err == nil {
			t.Errorf("%s: issued, want an error", name)
		}
	}
}

func crlOf(t *testing.T, der []byte) *x509.RevocationList {
	t.Helper()
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func listed(l *x509.RevocationList, sn *big.Int) (x509.RevocationListEntry, bool) {
	for _, e := range l.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(sn) == 0 {
			return e, true
		}
	}
	return x509.RevocationListEntry{}, false
}

func deltaBase(t *testing.T, l *x509.RevocationList) int64 {
	t.Helper()
	for _, e := range l.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 27}) {
			if !e.Critical {
				t.Error("delta CRL indicator not critical")
			}
			var n int64
			if _, err := asn1.Unmarshal(e.Value, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	return -1
}

func TestRevocationAndCRLs(t *testing.T) {
	clock := testpki.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	a := testpki.NewCA(t, ca.Options{Now: clock.Now})
	x := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	y := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "941111350315"}).Certificate
	z := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "660427402182"}).Certificate

	full1 := crlOf(t, must(a.CRL(ctx, ca.CRLFull)))
	if err := full1.CheckSignatureFrom(a.Issuing()); err != nil {
		t.Fatal(err)
	}
	if len(full1.RevokedCertificateEntries) != 0 || !full1.NextUpdate.Equal(full1.ThisUpdate.Add(24*time.Hour)) {
		t.Fatalf("first full CRL: %d entries, %v→%v", len(full1.RevokedCertificateEntries), full1.ThisUpdate, full1.NextUpdate)
	}

	clock.Advance(time.Minute)
	revokedAt := clock.Now().Add(-30 * time.Minute)
	if err := a.Revoke(ctx, x.SerialNumber, ca.ReasonKeyCompromise, revokedAt); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, x.SerialNumber, ca.ReasonSuperseded, time.Time{}); !errors.Is(err, ca.ErrAlreadyRevoked) {
		t.Errorf("second revocation: %v", err)
	}
	if err := a.Revoke(ctx, big.NewInt(12345), ca.ReasonUnspecified, time.Time{}); !errors.Is(err, ca.ErrUnknownCertificate) {
		t.Errorf("unknown serial: %v", err)
	}
	// The full CRL is not due yet; the revocation travels in a delta at once.
	if full := crlOf(t, must(a.CRL(ctx, ca.CRLFull))); full.Number.Cmp(full1.Number) != 0 {
		t.Errorf("full CRL reissued before it was due: #%v", full.Number)
	}
	d1 := crlOf(t, must(a.CRL(ctx, ca.CRLDelta)))
	if deltaBase(t, d1) != full1.Number.Int64() || d1.Number.Cmp(full1.Number) <= 0 {
		t.Fatalf("delta #%v base %d, full #%v", d1.Number, deltaBase(t, d1), full1.Number)
	}
	e, ok := listed(d1, x.SerialNumber)
	if !ok || !e.RevocationTime.Equal(revokedAt) || e.ReasonCode != int(ca.ReasonKeyCompromise) {
		t.Fatalf("delta entry for x: %+v %v", e, ok)
	}
	if again := crlOf(t, must(a.CRL(ctx, ca.CRLDelta))); again.Number.Cmp(d1.Number) != 0 {
		t.Error("unchanged delta reissued")
	}

	// A hold, then its release: the delta carries removeFromCRL.
	if err := a.Revoke(ctx, y.SerialNumber, ca.ReasonCertificateHold, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if e, ok := listed(crlOf(t, must(a.CRL(ctx, ca.CRLDelta))), y.SerialNumber); !ok || e.ReasonCode != int(ca.ReasonCertificateHold) {
		t.Fatalf("held y: %+v %v", e, ok)
	}
	if err := a.Release(ctx, y.SerialNumber); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx, z.SerialNumber); err == nil {
		t.Error("released a certificate that was not on hold")
	}
	d3 := crlOf(t, must(a.CRL(ctx, ca.CRLDelta)))
	if e, ok := listed(d3, y.SerialNumber); !ok || e.ReasonCode != int(ca.ReasonRemoveFromCRL) {
		t.Fatalf("released y in delta: %+v %v", e, ok)
	}
	if st, _, _ := a.Status(y.SerialNumber); st.Revoked {
		t.Error("released certificate still reported revoked")
	}

	// Past half of its validity the full CRL is reissued with everything, and deltas rebase.
	clock.Advance(13 * time.Hour)
	full2 := crlOf(t, must(a.CRL(ctx, ca.CRLFull)))
	if full2.Number.Cmp(d3.Number) <= 0 {
		t.Fatalf("full #%v not after delta #%v", full2.Number, d3.Number)
	}
	if _, ok := listed(full2, x.SerialNumber); !ok {
		t.Error("new full CRL lacks x")
	}
	if _, ok := listed(full2, y.SerialNumber); ok {
		t.Error("new full CRL lists the released y")
	}
	d4 := crlOf(t, must(a.CRL(ctx, ca.CRLDelta)))
	if deltaBase(t, d4) != full2.Number.Int64() || len(d4.RevokedCertificateEntries) != 0 {
		t.Errorf("rebased delta: base %d, %d entries", deltaBase(t, d4), len(d4.RevokedCertificateEntries))
	}
	root := crlOf(t, must(a.CRL(ctx, ca.CRLRoot)))
	if err := root.CheckSignatureFrom(a.Root()); err != nil {
		t.Errorf("root CRL: %v", err)
	}
	// IssueCRL forces a new one.
	if forced := crlOf(t, must(a.IssueCRL(ctx, ca.CRLFull))); forced.Number.Cmp(d4.Number) <= 0 {
		t.Error("IssueCRL did not issue a new CRL")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The CLI and a running server open the same directory: each sees the other's changes.
func TestSharedDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	server := testpki.NewCA(t, ca.Options{Dir: dir})
	cli, err := ca.Open(ctx, ca.Options{Dir: dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	c := testpki.Issue(t, cli, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if _, ok, _ := server.Status(c.SerialNumber); !ok {
		t.Fatal("server does not see a certificate issued through the CLI")
	}
	before := must(server.CRL(ctx, ca.CRLDelta))
	if err := cli.Revoke(ctx, c.SerialNumber, ca.ReasonAffiliationChanged, time.Time{}); err != nil {
		t.Fatal(err)
	}
	after := crlOf(t, must(server.CRL(ctx, ca.CRLDelta)))
	if _, ok := listed(after, c.SerialNumber); !ok {
		t.Fatalf("server's delta CRL misses the CLI's revocation (before: %d bytes)", len(before))
	}
}

func TestOCSPResponder(t *testing.T) {
	clock := testpki.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	a := testpki.NewCA(t, ca.Options{Now: clock.Now, OCSPValidity: 2 * time.Hour})
	good := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	bad := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "941111350315"}).Certificate
	revokedAt := clock.Now().Add(-time.Hour)
	if err := a.Revoke(ctx, bad.SerialNumber, ca.ReasonKeyCompromise, revokedAt); err != nil {
		t.Fatal(err)
	}
	other := testpki.NewCA(t, ca.Options{})

	ask := func(serial *big.Int, issuer *x509.Certificate, h crypto.Hash, nonce []byte) *ocsp.Response {
		t.Helper()
		id, err := ocsp.NewCertID(serial, issuer, h)
		if err != nil {
			t.Fatal(err)
		}
		req, err := ocsp.CreateRequest([]ocsp.CertID{id}, nonce)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ocsp.ParseResponse(a.OCSP(ctx, req))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	tests := []struct {
		name   string
		serial *big.Int
		hash   crypto.Hash
		want   ocsp.Status
	}{
		{"good sha256", good.SerialNumber, crypto.SHA256, ocsp.Good},
		{"good sha1", good.SerialNumber, crypto.SHA1, ocsp.Good},
		{"revoked", bad.SerialNumber, crypto.SHA256, ocsp.Revoked},
		{"never issued", big.NewInt(424242), crypto.SHA256, ocsp.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nonce := []byte("0123456789abcdef")
			resp := ask(tt.serial, a.Issuing(), tt.hash, nonce)
			if resp.Status != ocsp.Successful {
				t.Fatalf("response status %v", resp.Status)
			}
			signer, err := resp.Verify(a.Issuing(), certs.StdVerifier{}, clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !signer.Equal(a.Responder()) {
				t.Errorf("signed by %q, want the delegated responder", signer.Subject.CommonName)
			}
			if string(resp.Nonce) != string(nonce) {
				t.Errorf("nonce %x not echoed", resp.Nonce)
			}
			single, ok := resp.FindFor(tt.serial, a.Issuing())
			if !ok || single.Status != tt.want {
				t.Fatalf("status %+v, want %v", single, tt.want)
			}
			if !single.NextUpdate.Equal(single.ThisUpdate.Add(2 * time.Hour)) {
				t.Errorf("validity %v→%v", single.ThisUpdate, single.NextUpdate)
			}
			if tt.want == ocsp.Revoked && (!single.RevokedAt.Equal(revokedAt) || single.Reason != int(ca.ReasonKeyCompromise)) {
				t.Errorf("revocation %v reason %d", single.RevokedAt, single.Reason)
			}
		})
	}
	if r := ask(good.SerialNumber, other.Issuing(), crypto.SHA256, nil); r.Status != ocsp.Unauthorized {
		t.Errorf("another CA's certificate: %v, want unauthorized", r.Status)
	}
	if r, err := ocsp.ParseResponse(a.OCSP(ctx, []byte("garbage"))); err != nil || r.Status != ocsp.MalformedRequest {
		t.Errorf("garbage request: %v %v", r, err)
	}
}
