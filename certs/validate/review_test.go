package validate_test

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/testpki"
)

type countingVerifier struct{ n atomic.Int64 }

func (c *countingVerifier) VerifySignature(signer *x509.Certificate, alg asn1.ObjectIdentifier, signed, sig []byte) error {
	c.n.Add(1)
	return certs.StdVerifier{}.VerifySignature(signer, alg, signed, sig)
}

// Certificates supplied with a signature cannot make path building explode: two CA names that
// sign each other, twelve copies each, are refused within the signature-check budget.
func TestPathBuildingIsBounded(t *testing.T) {
	now := time.Now()
	root, _ := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "ROOT"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	// One key per name, so that every X copy verifies under every Y copy and vice versa.
	_, xKey := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "X"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, nil, nil)
	_, yKey := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Y"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, nil, nil)
	caTmpl := func(cn, issuer string, serial int64) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, Issuer: pkix.Name{CommonName: issuer},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	parentX := &x509.Certificate{Subject: pkix.Name{CommonName: "X"}, PublicKey: xKey.Public()}
	parentY := &x509.Certificate{Subject: pkix.Name{CommonName: "Y"}, PublicKey: yKey.Public()}
	var extra []*x509.Certificate
	for i := int64(1); i <= 12; i++ {
		extra = append(extra, crossSigned(t, caTmpl("X", "Y", i), xKey, parentY, yKey), crossSigned(t, caTmpl("Y", "X", 100+i), yKey, parentX, xKey))
	}
	leaf := crossSigned(t, &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "LEAF", SerialNumber: "IIN931002451325"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, nil, parentX, xKey)
	cv := &countingVerifier{}
	v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{root}, SkipRevocation: true, Verifier: cv, MaxChainLen: 6})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Validate(ctx, validate.Request{Cert: leaf, Extra: extra, Usage: validate.UsageSign})
	if validate.CodeOf(err) != validate.CodeBrokenChain {
		t.Fatalf("cross-signed maze: %v", err)
	}
	if n := cv.n.Load(); n > 100 {
		t.Fatalf("%d signature checks, want at most 100", n)
	}
}

// crossSigned issues tmpl for pub's key (or a fresh one) signed by parent's key.
func crossSigned(t *testing.T, tmpl *x509.Certificate, subjectKey crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	var pub any
	if subjectKey != nil {
		pub = subjectKey.Public()
	} else {
		pub = parent.PublicKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A cached verdict does not outlive a CA on the path.
func TestCacheBoundedByChain(t *testing.T) {
	clock := testpki.NewClock(time.Now())
	now := clock.Now()
	root, rootKey := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "ROOT"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	sub, subKey := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SHORT-LIVED CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * time.Minute),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, root, rootKey)
	leaf, _ := selfMade(t, &x509.Certificate{Subject: pkix.Name{CommonName: "LEAF", SerialNumber: "IIN931002451325"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, sub, subKey)
	v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{root}, Intermediates: []*x509.Certificate{sub}, SkipRevocation: true,
		CacheTTL: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(ctx, validate.Request{Cert: leaf, Usage: validate.UsageSign}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(11 * time.Minute)
	if _, err := v.Validate(ctx, validate.Request{Cert: leaf, Usage: validate.UsageSign}); validate.CodeOf(err) != validate.CodeExpired {
		t.Fatalf("after the CA expired: %v", err)
	}
	if _, err := v.Validate(ctx, validate.Request{Cert: leaf, Usage: validate.UsageSign, At: clock.Now().Add(time.Hour)}); validate.CodeOf(err) != validate.CodeMalformed {
		t.Fatalf("a future time of interest: %v", err)
	}
}
