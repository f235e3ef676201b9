package provider_test

import (
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/internal/testpki"
)

// Officials with GOST keys: issued by the GOST CA, kept apart from the RSA ones, and read back
// from disk by a new Officials (the key is recognised as the certificate's).
func TestOfficialsGOST(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	dir := filepath.Join(t.TempDir(), "officials")
	org := catalogue.Organisation{ID: "labour-dept", BIN: "160440007161", NameRU: "УПРАВЛЕНИЕ ЗАНЯТОСТИ"}
	tests := []struct {
		alg      ca.Algorithm
		issuer   *x509.Certificate
		file     string
		wantGOST bool
	}{
		{ca.AlgorithmGOST2015, a.GOSTIssuing(), "labour-dept-gost.crt", true},
		{ca.AlgorithmRSA, a.Issuing(), "labour-dept.crt", false},
		{"", a.Issuing(), "labour-dept.crt", false},
	}
	for _, tt := range tests {
		name := string(tt.alg)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			first, err := (&provider.Officials{CA: a, Dir: dir, Algorithm: tt.alg}).Signer(ctx, org)
			if err != nil {
				t.Fatal(err)
			}
			if _, gost := first.Key.(*gost3410.PrivateKey); gost != tt.wantGOST {
				t.Fatalf("key %T", first.Key)
			}
			if err := certs.CheckCertificateSignature(certs.StdVerifier{}, first.Cert, tt.issuer); err != nil {
				t.Fatalf("not issued by the expected CA: %v", err)
			}
			onDisk, err := certs.ReadCertificates(filepath.Join(dir, tt.file))
			if err != nil || !onDisk[0].Equal(first.Cert) {
				t.Fatalf("%s: %v", tt.file, err)
			}
			again, err := (&provider.Officials{CA: a, Dir: dir, Algorithm: tt.alg}).Signer(ctx, org)
			if err != nil {
				t.Fatal(err)
			}
			if !again.Cert.Equal(first.Cert) || again.Official != first.Official {
				t.Fatal("a new Officials issued another certificate instead of reading the stored one")
			}
			id, err := certs.IdentityOf(again.Cert, certs.ParseOptions{})
			if err != nil || id.BIN != org.BIN || id.KeyClass != certs.KeySign || id.GOST != tt.wantGOST {
				t.Fatalf("identity %+v: %v", id, err)
			}
		})
	}
}
