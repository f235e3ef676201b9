package pkihttp_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/ocsp"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/testpki"
)

// The GOST hierarchy's publication points, at the URLs its certificates name.
func TestGOSTPublicationPoints(t *testing.T) {
	a, base := serve(t)
	crl := func(issuer func() *x509.Certificate) func([]byte) error {
		return func(b []byte) error {
			l, err := x509.ParseRevocationList(b)
			if err == nil {
				err = certs.CheckCRLSignature(certs.StdVerifier{}, l, issuer())
			}
			return err
		}
	}
	tests := []struct {
		path, ctype string
		check       func([]byte) error
	}{
		{"/gost/root.crt", "application/pkix-cert", func(b []byte) error {
			if !bytes.Equal(b, a.GOSTRoot().Raw) {
				return errUnexpected
			}
			return nil
		}},
		{"/gost/ca.crt", "application/pkix-cert", func(b []byte) error {
			c, err := x509.ParseCertificate(b)
			if err == nil {
				err = certs.CheckCertificateSignature(certs.StdVerifier{}, c, a.GOSTRoot())
			}
			return err
		}},
		{"/gost/chain.pem", "application/x-pem-file", func(b []byte) error {
			cs, err := certs.ParseCertificates(b)
			if err == nil && (len(cs) != 2 || !cs[0].Equal(a.GOSTIssuing()) || !cs[1].Equal(a.GOSTRoot())) {
				return errUnexpected
			}
			return err
		}},
		{"/gost/crl/full.crl", "application/pkix-crl", crl(a.GOSTIssuing)},
		{"/gost/crl/delta.crl", "application/pkix-crl", crl(a.GOSTIssuing)},
		{"/gost/crl/root.crl", "application/pkix-crl", crl(a.GOSTRoot)},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, base+tt.path)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.ctype {
				t.Fatalf("%s %q", resp.Status, resp.Header.Get("Content-Type"))
			}
			if err := tt.check(body); err != nil {
				t.Fatal(err)
			}
		})
	}
	if resp, _ := get(t, base+"/gost/crl/other.crl"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown GOST CRL: %s", resp.Status)
	}
}

var errUnexpected = &unexpected{}

type unexpected struct{}

func (*unexpected) Error() string { return "unexpected content" }

// A GOST certificate is validated with nothing but its anchors: its CDP/FreshestCRL URLs and, for
// the CA, the root CRL are fetched over HTTP; OCSP at its AIA answers good, then revoked.
func TestGOSTCertificateURLsServe(t *testing.T) {
	a, base := serve(t)
	c := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Algorithm: ca.AlgorithmGOST2015}).Certificate
	if got := c.CRLDistributionPoints; len(got) != 1 || got[0] != base+"/gost/crl/full.crl" {
		t.Fatalf("CDP %v", got)
	}
	newValidator := func(checker revocation.Checker) *validate.Validator {
		v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{a.GOSTRoot()}, Intermediates: []*x509.Certificate{a.GOSTIssuing()},
			Revocation: checker, CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		checker revocation.Checker
		source  string
	}{
		{"CRLs from the certificates' CDP", revocation.NewCRLStore(revocation.CRLOptions{FetchCDP: true}), base + "/gost/crl/full.crl"},
		// The CA certificate names no responder: it falls back to the root CRL.
		{"OCSP at the certificates' AIA", revocation.Fallback{revocation.NewOCSPChecker(revocation.OCSPOptions{}),
			revocation.NewCRLStore(revocation.CRLOptions{FetchCDP: true})}, base + "/gost/ocsp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdict, err := newValidator(tt.checker).Validate(ctx, validate.Request{Cert: c, Usage: validate.UsageSign})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(verdict.Revocation[0].Source, tt.source) {
				t.Errorf("evidence %q, want from %s", verdict.Revocation[0].Source, tt.source)
			}
		})
	}
	// The GOST responder answers at /gost/ocsp and at /ocsp alike; revoked after Revoke.
	if err := a.Revoke(ctx, c.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/gost/ocsp", "/ocsp"} {
		id, _ := ocsp.NewCertID(c.SerialNumber, a.GOSTIssuing(), crypto.SHA256)
		req, _ := ocsp.CreateRequest([]ocsp.CertID{id}, nil)
		resp, err := http.Post(base+path, "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		r, err := ocsp.ParseResponse(buf.Bytes())
		if err != nil || r.Status != ocsp.Successful {
			t.Fatalf("%s: %v %+v", path, err, r)
		}
		signer, err := r.Verify(a.GOSTIssuing(), certs.StdVerifier{}, time.Now())
		if err != nil || !signer.Equal(a.GOSTResponder()) {
			t.Fatalf("%s: responder: %v", path, err)
		}
		if s, ok := r.FindFor(c.SerialNumber, a.GOSTIssuing()); !ok || s.Status != ocsp.Revoked {
			t.Fatalf("%s: status %+v", path, s)
		}
	}
}
