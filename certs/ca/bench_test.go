package ca_test

import (
	"crypto"
	"testing"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/ocsp"
	"github.com/shep-kz/shep/internal/testpki"
)

// BenchmarkOCSP measures one signed OCSP answer (parse request, look up state, RSA-2048 sign).
func BenchmarkOCSP(b *testing.B) {
	a := testpki.NewCA(b, ca.Options{})
	c := testpki.Issue(b, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	id, _ := ocsp.NewCertID(c.SerialNumber, a.Issuing(), crypto.SHA256)
	req, _ := ocsp.CreateRequest([]ocsp.CertID{id}, []byte("0123456789abcdef"))
	b.ReportAllocs()
	b.ResetTimer() // creating the CA and its RSA keys is setup, not the measure
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r, err := ocsp.ParseResponse(a.OCSP(ctx, req)); err != nil || r.Status != ocsp.Successful {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCRLServe measures serving the current delta CRL (the publication hot path).
func BenchmarkCRLServe(b *testing.B) {
	a := testpki.NewCA(b, ca.Options{})
	if _, err := a.CRL(ctx, ca.CRLDelta); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.CRL(ctx, ca.CRLDelta); err != nil {
			b.Fatal(err)
		}
	}
}
