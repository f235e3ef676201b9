package validate_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/internal/testpki"
)

var ctx = context.Background()

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type world struct {
	clock *testpki.Clock
	ca    *ca.Authority
	crls  *revocation.CRLStore
	v     *validate.Validator
}

func newWorld(t testing.TB, cacheTTL time.Duration) *world {
	t.Helper()
	w := &world{clock: testpki.NewClock(t0)}
	w.ca = testpki.NewCA(t, ca.Options{Now: w.clock.Now})
	var srcs []revocation.Source
	for _, k := range []ca.CRLKind{ca.CRLFull, ca.CRLDelta, ca.CRLRoot} {
		srcs = append(srcs, revocation.FuncSource{Label: string(k), F: func(ctx context.Context) ([]byte, error) { return w.ca.CRL(ctx, k) }})
	}
	w.crls = revocation.NewCRLStore(revocation.CRLOptions{Sources: srcs, Now: w.clock.Now})
	var err error
	w.v, err = validate.New(validate.Options{Anchors: []*x509.Certificate{w.ca.Root()}, Intermediates: []*x509.Certificate{w.ca.Issuing()},
		Revocation: w.crls, Now: w.clock.Now, CacheTTL: cacheTTL})
	if err != nil {
		t.Fatal(err)
	}
	w.refresh(t)
	return w
}

func (w *world) refresh(t testing.TB) {
	t.Helper()
	if err := w.crls.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

func (w *world) issue(t testing.TB, req ca.IssueRequest) *x509.Certificate {
	t.Helper()
	if req.Kind == "" {
		req.Kind = ca.KindIndividual
	}
	if req.IIN == "" && req.Kind != ca.KindSystem {
		req.IIN = "931002451325"
	}
	return testpki.Issue(t, w.ca, req).Certificate
}

// selfMade builds a certificate with crypto/x509, signed by parent/parentKey (self-signed when nil).
func selfMade(t *testing.T, tmpl *x509.Certificate, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func TestValidate(t *testing.T) {
	w := newWorld(t, -1)
	sign := w.issue(t, ca.IssueRequest{})
	auth := w.issue(t, ca.IssueRequest{Usage: ca.UsageAuth})
	expired := w.issue(t, ca.IssueRequest{NotBefore: t0.AddDate(-2, 0, 0), NotAfter: t0.AddDate(-1, 0, 0)})
	future := w.issue(t, ca.IssueRequest{NotBefore: t0.AddDate(0, 1, 0), NotAfter: t0.AddDate(1, 0, 0)})
	revoked := w.issue(t, ca.IssueRequest{})
	revokedAt := t0.Add(-20 * time.Second) // the certificate is valid from t0-1m
	if err := w.ca.Revoke(ctx, revoked.SerialNumber, ca.ReasonKeyCompromise, revokedAt); err != nil {
		t.Fatal(err)
	}
	testID := w.issue(t, ca.IssueRequest{IIN: "123456789011", TestIdentities: true})
	w.refresh(t)

	stranger := testpki.Issue(t, testpki.NewCA(t, ca.Options{Now: w.clock.Now}), ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	// An impostor CA with the real issuing CA's name and key identifier, but its own key.
	impostorCA, impostorKey := selfMade(t, &x509.Certificate{Subject: w.ca.Issuing().Subject, SubjectKeyId: w.ca.Issuing().SubjectKeyId,
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	forged, _ := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "FORGED", SerialNumber: "IIN931002451325"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		AuthorityKeyId: w.ca.Issuing().SubjectKeyId}, impostorCA, impostorKey)
	selfSigned, _ := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "ТЕСТОВ", SerialNumber: "IIN931002451325"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, nil, nil)

	tests := []struct {
		name  string
		req   validate.Request
		code  validate.Code
		check func(*testing.T, *validate.Verdict)
	}{
		{"valid SIGN key", validate.Request{Cert: sign, Usage: validate.UsageSign}, "", func(t *testing.T, v *validate.Verdict) {
			if v.Identity.IIN != "931002451325" || len(v.Chain) != 3 || !v.Chain[2].Equal(w.ca.Root()) || len(v.Revocation) != 2 {
				t.Errorf("verdict: iin %s, chain %d, revocation %d", v.Identity.IIN, len(v.Chain), len(v.Revocation))
			}
		}},
		{"AUTH key used to sign", validate.Request{Cert: auth, Usage: validate.UsageSign}, validate.CodeWrongKeyUsage, nil},
		{"SIGN key used to authenticate", validate.Request{Cert: sign, Usage: validate.UsageAuth}, validate.CodeWrongKeyUsage, nil},
		{"AUTH key to authenticate", validate.Request{Cert: auth, Usage: validate.UsageAuth}, "", nil},
		{"expired", validate.Request{Cert: expired, Usage: validate.UsageSign}, validate.CodeExpired, nil},
		{"expired cert checked in its lifetime", validate.Request{Cert: expired, Usage: validate.UsageSign, At: t0.AddDate(-1, -6, 0)}, "", nil},
		{"not yet valid", validate.Request{Cert: future, Usage: validate.UsageSign}, validate.CodeNotYetValid, nil},
		{"revoked", validate.Request{Cert: revoked, Usage: validate.UsageSign}, validate.CodeRevoked, nil},
		{"revoked, checked before the revocation date", validate.Request{Cert: revoked, Usage: validate.UsageSign, At: revokedAt.Add(-10 * time.Second)}, "", nil},
		{"another CA", validate.Request{Cert: stranger, Usage: validate.UsageSign}, validate.CodeUntrustedIssuer, nil},
		{"impostor issuer with the same name", validate.Request{Cert: forged, Usage: validate.UsageSign}, validate.CodeBrokenChain, nil},
		{"impostor CA supplied in the message", validate.Request{Cert: forged, Extra: []*x509.Certificate{impostorCA}, Usage: validate.UsageSign}, validate.CodeBrokenChain, nil},
		{"self-signed", validate.Request{Cert: selfSigned, Usage: validate.UsageSign}, validate.CodeUntrustedIssuer, nil},
		{"self-signed, supplied in the message", validate.Request{Cert: selfSigned, Extra: []*x509.Certificate{selfSigned}, Usage: validate.UsageSign}, validate.CodeUntrustedIssuer, nil},
		{"test identity in strict mode", validate.Request{Cert: testID, Usage: validate.UsageSign}, validate.CodeIdentity, nil},
		{"no certificate", validate.Request{}, validate.CodeMalformed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := w.v.Validate(ctx, tt.req)
			if got := validate.CodeOf(err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, err, tt.code)
			}
			if tt.code != "" {
				return
			}
			if v == nil || v.Identity == nil {
				t.Fatal("no verdict")
			}
			if tt.check != nil {
				tt.check(t, v)
			}
		})
	}
	// The revoked refusal says when and why.
	_, err := w.v.Validate(ctx, validate.Request{Cert: revoked, Usage: validate.UsageSign})
	var ve *validate.Error
	if !errors.As(err, &ve) || !ve.RevokedAt.Equal(revokedAt) || ve.Reason != int(ca.ReasonKeyCompromise) {
		t.Fatalf("revocation details: %+v", ve)
	}
}

func TestStaleCRLFailsClosed(t *testing.T) {
	w := newWorld(t, -1)
	c := w.issue(t, ca.IssueRequest{})
	if _, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(25 * time.Hour) // past the full CRL's nextUpdate, nothing refreshed
	_, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign})
	if validate.CodeOf(err) != validate.CodeRevocationUnknown || !errors.Is(err, revocation.ErrUnknown) {
		t.Fatalf("stale CRL: %v", err)
	}
	w.refresh(t)
	if _, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign}); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
}

func TestCache(t *testing.T) {
	w := newWorld(t, 10*time.Minute)
	c := w.issue(t, ca.IssueRequest{})
	w.refresh(t)
	v1, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign})
	if err != nil || v1.Cached {
		t.Fatalf("first: %v cached=%v", err, v1 != nil && v1.Cached)
	}
	v2, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign})
	if err != nil || !v2.Cached {
		t.Fatalf("second: %v cached=%v", err, v2 != nil && v2.Cached)
	}
	// The cache is per usage: the same certificate as an AUTH key is refused, not served from cache.
	if _, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageAuth}); validate.CodeOf(err) != validate.CodeWrongKeyUsage {
		t.Fatalf("other usage: %v", err)
	}
	// Past-time checks are never served from the cache.
	if v, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign, At: t0}); err != nil || v.Cached {
		t.Fatalf("past time: %v", err)
	}
	if err := w.ca.Revoke(ctx, c.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	w.refresh(t)
	w.v.Flush()
	if _, err := w.v.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign}); validate.CodeOf(err) != validate.CodeRevoked {
		t.Fatalf("after flush: %v", err)
	}
	// Expiry is bounded by the TTL.
	d := w.issue(t, ca.IssueRequest{})
	w.refresh(t)
	w.v.Validate(ctx, validate.Request{Cert: d, Usage: validate.UsageSign})
	w.clock.Advance(11 * time.Minute)
	if v, err := w.v.Validate(ctx, validate.Request{Cert: d, Usage: validate.UsageSign}); err != nil || v.Cached {
		t.Fatalf("after TTL: %v cached=%v", err, v != nil && v.Cached)
	}
}

// Path rules on a hand-made hierarchy: a non-CA issuer and a violated path length constraint.
func TestPathRules(t *testing.T) {
	now := time.Now()
	root, rootKey := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "ROOT"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	sub, subKey := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SUB"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, root, rootKey)
	leafTmpl := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, SerialNumber: "IIN931002451325"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	}
	direct, _ := selfMade(t, leafTmpl("DIRECT"), root, rootKey)
	deep, _ := selfMade(t, leafTmpl("DEEP"), sub, subKey)
	nonCA, nonCAKey := selfMade(t, leafTmpl("NOT A CA"), root, rootKey)
	underNonCA, _ := selfMade(t, leafTmpl("UNDER A LEAF"), nonCA, nonCAKey)
	v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{sub, nonCA}, SkipRevocation: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		cert *x509.Certificate
		code validate.Code
	}{{direct, ""}, {deep, validate.CodeBrokenChain}, {underNonCA, validate.CodeBrokenChain}} {
		_, err := v.Validate(ctx, validate.Request{Cert: tt.cert, Usage: validate.UsageSign})
		if validate.CodeOf(err) != tt.code {
			t.Errorf("%s: %v, want %q", tt.cert.Subject.CommonName, err, tt.code)
		}
	}
	if _, err := validate.New(validate.Options{Anchors: []*x509.Certificate{root}}); err == nil {
		t.Error("a validator without revocation checking was built without SkipRevocation")
	}
}

func realTrust(t *testing.T, identity certs.ParseOptions) *validate.Validator {
	t.Helper()
	anchor, err := certs.ParseCertificates(fixtures.Read(t, "nca_rsa_test.crt"))
	if err != nil {
		t.Fatal(err)
	}
	crls := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{revocation.FileSource(filepath.Join(fixtures.Dir(t), "nca_rsa_test.crl"))}})
	if err := crls.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(validate.Options{Anchors: anchor, Revocation: crls, Identity: identity})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The real НУЦ RSA test certificates, checked against the real CA and CRL.
func TestRealNCACertificates(t *testing.T) {
	v := realTrust(t, certs.ParseOptions{TestIdentities: true})
	strict := realTrust(t, certs.ParseOptions{})
	read := func(name string) *x509.Certificate {
		cs, err := certs.ParseCertificates(fixtures.Read(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return cs[0]
	}
	sign, auth := read("individual_valid_sign_2004_rsa.cer"), read("individual_valid_sign_2004_rsa_auth.cer")
	inCRL := time.Date(2022, 1, 20, 0, 0, 0, 0, time.UTC) // the certificate is valid from 2022-01-18, the CRL issued 2022-03-29
	for _, tt := range []struct {
		name string
		v    *validate.Validator
		req  validate.Request
		code validate.Code
	}{
		{"SIGN key, at a time the later CRL covers", v, validate.Request{Cert: sign, At: inCRL, Usage: validate.UsageSign}, ""},
		{"AUTH key refused as a signer", v, validate.Request{Cert: auth, At: inCRL, Usage: validate.UsageSign}, validate.CodeWrongKeyUsage},
		{"today: expired", v, validate.Request{Cert: sign, Usage: validate.UsageSign}, validate.CodeExpired},
		{"after the CRL's nextUpdate: unknown", v, validate.Request{Cert: sign, At: time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC), Usage: validate.UsageSign}, validate.CodeRevocationUnknown},
		{"test ИИН in strict mode", strict, validate.Request{Cert: sign, At: inCRL, Usage: validate.UsageSign}, validate.CodeIdentity},
	} {
		t.Run(tt.name, func(t *testing.T) {
			verdict, err := tt.v.Validate(ctx, tt.req)
			if validate.CodeOf(err) != tt.code {
				t.Fatalf("%v, want %q", err, tt.code)
			}
			if tt.code == "" && (verdict.Identity.IIN != "123456789011" || !verdict.Identity.IINInfo.Test || verdict.Identity.Surname != "ТЕСТОВ") {
				t.Errorf("identity %+v", verdict.Identity)
			}
		})
	}
}

// The real НУЦ GOST chains validate like RSA ones: the 2004 head certificate under ҰКО 3.0 (GOST
// TEST), with and without its CRL; the TEST 2022 CA under its root. A tampered certificate breaks
// the chain; an algorithm that is not implemented is still refused as such.
func TestRealGOSTChains(t *testing.T) {
	load := func(name string) *x509.Certificate {
		cs, err := certs.ParseCertificates(fixtures.Read(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return cs[0]
	}
	ca2004, ceo := load("nca_gost_test.crt"), load("ceo_valid_sign_2004_gost.cer")
	root, ca2022 := load("gost/root_test_gost_2022.cer"), load("gost/nca_gost2022_test.cer")
	at2022 := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC) // inside ceo's validity and nca_gost_test.crl's window
	clock := func() time.Time { return at2022 }
	crls := revocation.NewCRLStore(revocation.CRLOptions{Now: clock,
		Sources: []revocation.Source{revocation.FileSource(filepath.Join(fixtures.Dir(t), "nca_gost_test.crl"))}})
	if err := crls.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	ids := certs.ParseOptions{TestIdentities: true}
	newV := func(o validate.Options) *validate.Validator {
		o.Identity = ids
		if o.Now == nil {
			o.Now = clock
		}
		v, err := validate.New(o)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// A copy of ceo with one bit of its subject changed: it parses, its signature does not hold.
	der := append([]byte(nil), ceo.Raw...)
	i := strings.Index(string(der), "BIN123456789021")
	der[i+3] ^= 0x01
	tampered, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		v     *validate.Validator
		cert  *x509.Certificate
		at    time.Time
		usage validate.Usage
		chain int
		code  validate.Code
	}{
		{"2004 head, no revocation check", newV(validate.Options{Anchors: []*x509.Certificate{ca2004}, SkipRevocation: true}), ceo, at2022, validate.UsageSign, 2, ""},
		{"2004 head, nca_gost_test.crl", newV(validate.Options{Anchors: []*x509.Certificate{ca2004}, Revocation: crls}), ceo, at2022, validate.UsageSign, 2, ""},
		{"2004 head, tampered", newV(validate.Options{Anchors: []*x509.Certificate{ca2004}, SkipRevocation: true}), tampered, at2022, validate.UsageSign, 0, validate.CodeBrokenChain},
		{"2004 head under the 2022 root", newV(validate.Options{Anchors: []*x509.Certificate{root}, SkipRevocation: true}), ceo, at2022, validate.UsageSign, 0, validate.CodeUntrustedIssuer},
		{"TEST 2022 CA under its root", newV(validate.Options{Anchors: []*x509.Certificate{root}, SkipRevocation: true, Now: time.Now}), ca2022, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), validate.UsageAny, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdict, err := tt.v.Validate(ctx, validate.Request{Cert: tt.cert, At: tt.at, Usage: tt.usage})
			if validate.CodeOf(err) != tt.code {
				t.Fatalf("%v, want %q", err, tt.code)
			}
			if tt.code != "" {
				return
			}
			if len(verdict.Chain) != tt.chain {
				t.Fatalf("chain of %d", len(verdict.Chain))
			}
			if tt.usage == validate.UsageSign && (verdict.Identity.IIN != "123456789011" || verdict.Identity.BIN != "123456789021" || !verdict.Identity.GOST) {
				t.Errorf("identity %+v", verdict.Identity)
			}
		})
	}

	// The 256-bit 2015 algorithm is recognised but not implemented: a certificate claiming it is
	// refused as not supported, never passed.
	var sigAlg256 []byte
	sigAlg256, _ = asn1.Marshal(certs.OIDGOST2015Signature256)
	sigAlg512, _ := asn1.Marshal(certs.OIDGOST2015Signature512)
	der = []byte(strings.ReplaceAll(string(ca2022.Raw), string(sigAlg512), string(sigAlg256)))
	claims256, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	_, err = newV(validate.Options{Anchors: []*x509.Certificate{root}, SkipRevocation: true, Now: time.Now}).Validate(ctx,
		validate.Request{Cert: claims256, At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	if validate.CodeOf(err) != validate.CodeUnsupportedAlgorithm || !errors.Is(err, certs.ErrUnsupportedAlgorithm) {
		t.Fatalf("GOST 2015-256: %v", err)
	}
}

// OCSP first, CRL as fallback, through the validator: each certificate's status says which
// source answered.
func TestValidateWithOCSPAndFallback(t *testing.T) {
	w := newWorld(t, -1)
	good := w.issue(t, ca.IssueRequest{})
	revoked := w.issue(t, ca.IssueRequest{})
	if err := w.ca.Revoke(ctx, revoked.SerialNumber, ca.ReasonSuperseded, t0.Add(-30*time.Second)); err != nil {
		t.Fatal(err)
	}
	w.refresh(t)
	// The test НУЦ's delegated responder on loopback; it answers for the issuing CA only, so the
	// issuing CA's own status (asked of the same URL) falls back to the root's CRL.
	responder := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		der, _ := io.ReadAll(r.Body)
		rw.Header().Set("Content-Type", "application/ocsp-response")
		rw.Write(w.ca.OCSP(r.Context(), der))
	}))
	t.Cleanup(responder.Close)
	full, delta, root := crlNumbers(t, w)
	ocspUp := "ocsp " + responder.URL + "/ocsp (signed by " + w.ca.Responder().Subject.CommonName + ")"
	viaCRL := fmt.Sprintf("crl %s #%d + delta %s #%d", ca.CRLFull, full, ca.CRLDelta, delta)
	viaRootCRL := fmt.Sprintf("crl %s #%d", ca.CRLRoot, root)
	for _, tt := range []struct {
		name       string
		url        string
		cert       *x509.Certificate
		wantSource []string // of the leaf, then of the issuing CA
		wantCode   validate.Code
	}{
		{"responder up, good", responder.URL + "/ocsp", good, []string{ocspUp, viaRootCRL}, ""},
		{"responder down, good", "http://127.0.0.1:1/ocsp", good, []string{viaCRL, viaRootCRL}, ""},
		{"responder up, revoked", responder.URL + "/ocsp", revoked, []string{ocspUp}, validate.CodeRevoked},
		{"responder down, revoked", "http://127.0.0.1:1/ocsp", revoked, []string{viaCRL}, validate.CodeRevoked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checker := revocation.NewOCSPChecker(revocation.OCSPOptions{URLs: []string{tt.url}, Now: w.clock.Now})
			v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{w.ca.Root()}, Intermediates: []*x509.Certificate{w.ca.Issuing()},
				Revocation: revocation.Fallback{checker, w.crls}, Now: w.clock.Now, CacheTTL: -1})
			if err != nil {
				t.Fatal(err)
			}
			verdict, err := v.Validate(ctx, validate.Request{Cert: tt.cert, Usage: validate.UsageSign})
			if tt.wantCode != "" {
				if validate.CodeOf(err) != tt.wantCode || !strings.Contains(err.Error(), "according to "+tt.wantSource[0]) {
					t.Fatalf("got %v, want %s according to %q", err, tt.wantCode, tt.wantSource[0])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range verdict.Revocation {
				got = append(got, st.Source)
			}
			if !slices.Equal(got, tt.wantSource) {
				t.Errorf("sources\n got %q\nwant %q", got, tt.wantSource)
			}
		})
	}
}

// crlNumbers are the numbers of the full, delta and root CRLs the world's store holds.
func crlNumbers(t *testing.T, w *world) (full, delta, root int64) {
	t.Helper()
	for _, h := range w.crls.Health() {
		switch h.Source {
		case string(ca.CRLFull):
			full = h.Number
		case string(ca.CRLDelta):
			delta = h.Number
		case string(ca.CRLRoot):
			root = h.Number
		}
	}
	if full == 0 || delta == 0 || root == 0 {
		t.Fatalf("CRLs not held: %+v", w.crls.Health())
	}
	return full, delta, root
}
