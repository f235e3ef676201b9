package trust_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/pkihttp"
	"github.com/shep-kz/shep/certs/trust"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/internal/testpki"
)

var ctx = context.Background()

// НУЦ's real RSA test CA and CRL from files, checked at a time inside their validity.
func TestRealNCAFromFiles(t *testing.T) {
	dir := fixtures.Dir(t)
	at := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	tr, err := trust.Build(ctx, trust.Config{AnchorFiles: []string{filepath.Join(dir, "nca_rsa_test.crt")},
		CRLs: []string{filepath.Join(dir, "nca_rsa_test.crl")}, TestIdentities: true, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := certs.ReadCertificates(filepath.Join(dir, "individual_valid_sign_2004_rsa.cer"))
	v, err := tr.Validator.Validate(ctx, validate.Request{Cert: leaf[0], Usage: validate.UsageSign})
	if err != nil || v.Identity.IIN != "123456789011" {
		t.Fatalf("%v", err)
	}
}

func serveCA(t *testing.T) (*ca.Authority, string) {
	t.Helper()
	r := mux.NewRouter().SkipClean(true)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	a := testpki.NewCA(t, ca.Options{BaseURL: srv.URL + "/pki"})
	pkihttp.Register(r.PathPrefix("/pki").Subrouter(), a, nil)
	return a, srv.URL + "/pki"
}

// A DER anchor file, CRLs by URL; then OCSP, which sees a revocation at once.
func TestURLsAndOCSP(t *testing.T) {
	a, base := serveCA(t)
	dir := t.TempDir()
	root := testpki.Write(t, dir, "root.cer", a.Root().Raw)
	inter := testpki.Write(t, dir, "ca.pem", ca.PEMCertificate(a.Issuing()))
	c := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	withCRL, err := trust.Build(ctx, trust.Config{AnchorFiles: []string{root}, IntermediateFiles: []string{inter},
		CRLs: []string{base + "/crl/full.crl", base + "/crl/delta.crl", base + "/crl/root.crl"}, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	withOCSP, err := trust.Build(ctx, trust.Config{AnchorFiles: []string{root}, IntermediateFiles: []string{inter},
		CRLs: []string{base + "/crl/root.crl"}, OCSP: true, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	for name, tr := range map[string]*trust.Trust{"crl": withCRL, "ocsp": withOCSP} {
		if _, err := tr.Validator.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := a.Revoke(ctx, c.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := withOCSP.Validator.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign}); validate.CodeOf(err) != validate.CodeRevoked {
		t.Fatalf("OCSP after revocation: %v", err)
	}
	if err := withCRL.CRLs.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := withCRL.Validator.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign}); validate.CodeOf(err) != validate.CodeRevoked {
		t.Fatalf("CRL after refresh: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := trust.Build(ctx, trust.Config{}); !errors.Is(err, trust.ErrNoAnchors) {
		t.Errorf("no anchors: %v", err)
	}
	if _, err := trust.Build(ctx, trust.Config{AnchorFiles: []string{"/nonexistent.pem"}}); err == nil {
		t.Error("missing anchor file accepted")
	}
	// A CRL that cannot be loaded: a usable validator that fails closed, and the error.
	a := testpki.NewCA(t, ca.Options{})
	tr, err := trust.Build(ctx, trust.Config{Anchors: []*x509.Certificate{a.Root()}, Intermediates: []*x509.Certificate{a.Issuing()},
		CRLs: []string{filepath.Join(t.TempDir(), "missing.crl")}})
	if err == nil || tr == nil {
		t.Fatalf("missing CRL: %v %v", tr, err)
	}
	c := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if _, err := tr.Validator.Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign}); validate.CodeOf(err) != validate.CodeRevocationUnknown {
		t.Fatalf("without CRLs: %v", err)
	}
}
