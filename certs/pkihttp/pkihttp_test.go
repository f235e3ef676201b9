package pkihttp_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/ocsp"
	"github.com/shep-kz/shep/certs/pkihttp"
	"github.com/shep-kz/shep/internal/testpki"
)

var ctx = context.Background()

// serve publishes a fresh test НУЦ on a loopback HTTP server under /pki.
func serve(t *testing.T) (*ca.Authority, string) {
	t.Helper()
	r := mux.NewRouter().SkipClean(true) // as the gateway's router
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	a := testpki.NewCA(t, ca.Options{BaseURL: srv.URL + "/pki"})
	pkihttp.Register(r.PathPrefix("/pki").Subrouter(), a, nil)
	return a, srv.URL + "/pki"
}

func get(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestPublicationPoints(t *testing.T) {
	a, base := serve(t)
	for _, tt := range []struct {
		path, ctype string
		check       func([]byte) error
	}{
		{"/root.crt", "application/pkix-cert", func(b []byte) error { _, err := x509.ParseCertificate(b); return err }},
		{"/ca.crt", "application/pkix-cert", func(b []byte) error { _, err := x509.ParseCertificate(b); return err }},
		{"/chain.pem", "application/x-pem-file", func(b []byte) error { _, err := certs.ParseCertificates(b); return err }},
		{"/crl/full.crl", "application/pkix-crl", func(b []byte) error { _, err := x509.ParseRevocationList(b); return err }},
		{"/crl/delta.crl", "application/pkix-crl", func(b []byte) error { _, err := x509.ParseRevocationList(b); return err }},
		{"/crl/root.crl", "application/pkix-crl", func(b []byte) error {
			l, err := x509.ParseRevocationList(b)
			if err == nil {
				err = l.CheckSignatureFrom(a.Root())
			}
			return err
		}},
	} {
		resp, body := get(t, base+tt.path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: %s %q", tt.path, resp.Status, resp.Header.Get("Content-Type"))
			continue
		}
		if err := tt.check(body); err != nil {
			t.Errorf("%s: %v", tt.path, err)
		}
	}
	if resp, _ := get(t, base+"/crl/other.crl"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown CRL: %s", resp.Status)
	}
	// RFC 6960 GET form, with and without URL-escaping of the base64 (which may hold '/' and '+').
	c := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	seen := 0
	for i := 0; i < 200 && seen < 4; i++ {
		id, _ := ocsp.NewCertID(c.SerialNumber, a.Issuing(), crypto.SHA1)
		nonce, _ := ocsp.NewNonce()
		req, _ := ocsp.CreateRequest([]ocsp.CertID{id}, nonce)
		b64 := base64.StdEncoding.EncodeToString(req)
		if i > 0 && !strings.Contains(b64, "/") {
			continue
		}
		seen++
		for _, form := range []string{b64, url.PathEscape(b64)} {
			resp, body := get(t, base+"/ocsp/"+form)
			r, err := ocsp.ParseResponse(body)
			if err != nil || resp.StatusCode != 200 || r.Status != ocsp.Successful || r.Responses[0].Status != ocsp.Good || string(r.Nonce) != string(nonce) {
				t.Fatalf("OCSP GET %s: %s %v %+v", form, resp.Status, err, r)
			}
		}
	}
	// A wrong content type is refused with a coded JSON error.
	pr, err := http.Post(base+"/ocsp", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(pr.Body)
	pr.Body.Close()
	if pr.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(b), "PKI_OCSP_CONTENT_TYPE") {
		t.Errorf("wrong content type: %s %s", pr.Status, b)
	}
}

func openssl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is required (installed by .ci/run)")
	}
	out, err := exec.Command("openssl", args...).CombinedOutput()
	return string(out), err
}

// openssl verify -crl_check accepts an issued chain and, after revocation and a new CRL,
// rejects it as revoked.
func TestOpenSSLVerifyWithCRL(t *testing.T) {
	a, base := serve(t)
	dir := t.TempDir()
	leaf, _ := testpki.WriteIssued(t, dir, "leaf", testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}))
	root := testpki.Write(t, dir, "root.pem", ca.PEMCertificate(a.Root()))
	inter := testpki.Write(t, dir, "ca.pem", ca.PEMCertificate(a.Issuing()))
	fetchCRL := func(name string) string {
		_, b := get(t, base+"/crl/full.crl")
		return testpki.Write(t, dir, name, b)
	}
	crl := fetchCRL("full1.crl")
	out, err := openssl(t, "verify", "-crl_check", "-CAfile", root, "-untrusted", inter, "-CRLfile", crl, leaf)
	if err != nil || !strings.Contains(out, "leaf.crt: OK") {
		t.Fatalf("openssl verify before revocation: %v\n%s", err, out)
	}
	c, _ := certs.ReadCertificates(leaf)
	if err := a.Revoke(ctx, c[0].SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.IssueCRL(ctx, ca.CRLFull); err != nil { // what `shep pki crl` does
		t.Fatal(err)
	}
	out, err = openssl(t, "verify", "-crl_check", "-CAfile", root, "-untrusted", inter, "-CRLfile", fetchCRL("full2.crl"), leaf)
	if err == nil || !strings.Contains(out, "certificate revoked") {
		t.Fatalf("openssl verify after revocation: %v\n%s", err, out)
	}
}

// openssl ocsp against the responder: good, then revoked; the responder's signature verifies.
func TestOpenSSLOCSP(t *testing.T) {
	a, base := serve(t)
	dir := t.TempDir()
	leaf, _ := testpki.WriteIssued(t, dir, "leaf", testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindOperator, IIN: "941111350315"}))
	inter := testpki.Write(t, dir, "ca.pem", ca.PEMCertificate(a.Issuing()))
	chain := testpki.Write(t, dir, "chain.pem", a.ChainPEM())
	query := func() string {
		out, err := openssl(t, "ocsp", "-sha256", "-issuer", inter, "-cert", leaf, "-url", base+"/ocsp", "-CAfile", chain)
		if err != nil {
			t.Fatalf("openssl ocsp: %v\n%s", err, out)
		}
		if !strings.Contains(out, "Response verify OK") {
			t.Fatalf("responder signature not accepted by openssl:\n%s", out)
		}
		return out
	}
	if out := query(); !strings.Contains(out, "leaf.crt: good") {
		t.Fatalf("before revocation:\n%s", out)
	}
	c, _ := certs.ReadCertificates(leaf)
	if err := a.Revoke(ctx, c[0].SerialNumber, ca.ReasonSuperseded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if out := query(); !strings.Contains(out, "leaf.crt: revoked") || !strings.Contains(out, "Reason: superseded") {
		t.Fatalf("after revocation:\n%s", out)
	}
}
