package pkcs12

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// openssl runs the openssl CLI (required: the interop tests must not be skipped) with stdin and
// returns its standard output.
func openssl(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("the openssl CLI is required for the interop tests: %v", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewBufferString(stdin)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, stderr.String())
	}
	return out.String()
}

// opensslCombined runs openssl and returns standard output and error together.
func opensslCombined(t testing.TB, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("the openssl CLI is required for the interop tests: %v", err)
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// splitPairs splits a hex string into byte pairs, as openssl prints them.
func splitPairs(s string) []string {
	var out []string
	for i := 0; i+1 < len(s); i += 2 {
		out = append(out, s[i:i+2])
	}
	return out
}

// testKey is a key with its PKCS#8 and a certificate.
type testKey struct {
	name   string
	signer crypto.Signer
	pkcs8  []byte
	cert   *x509.Certificate
	sigAlg x509.SignatureAlgorithm
}

func newSigner(t testing.TB, kind string) (crypto.Signer, x509.SignatureAlgorithm) {
	t.Helper()
	switch kind {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return k, x509.SHA256WithRSA
	case "ec":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k, x509.ECDSAWithSHA256
	}
	t.Fatalf("unknown key kind %q", kind)
	return nil, 0
}

// newTestKey makes a key and a certificate for it: self-signed, or issued by issuer when given.
func newTestKey(t testing.TB, kind, cn string, isCA bool, issuer *testKey) *testKey {
	t.Helper()
	signer, sigAlg := newSigner(t, kind)
	p8, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn, SerialNumber: "IIN123456789011"},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	parent, parentKey := tmpl, crypto.Signer(signer)
	if issuer != nil {
		parent, parentKey = issuer.cert, issuer.signer
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, signer.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{name: kind, signer: signer, pkcs8: p8, cert: cert, sigAlg: sigAlg}
}

func writePEM(t testing.TB, dir, name, typ string, ders ...[]byte) string {
	t.Helper()
	var buf bytes.Buffer
	for _, der := range ders {
		if err := pem.Encode(&buf, &pem.Block{Type: typ, Bytes: der}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sameKey checks that two PKCS#8 encodings hold the same key.
func sameKey(t testing.TB, got, want []byte) {
	t.Helper()
	a, err := x509.ParsePKCS8PrivateKey(got)
	if err != nil {
		t.Fatalf("parse decoded key: %v", err)
	}
	b, err := x509.ParsePKCS8PrivateKey(want)
	if err != nil {
		t.Fatal(err)
	}
	if !a.(interface{ Equal(crypto.PrivateKey) bool }).Equal(b) {
		t.Fatalf("decoded key differs from the original")
	}
}

// checkSigner signs with k and verifies the signature with cert.
func checkSigner(t testing.TB, k *PrivateKey, cert *x509.Certificate, alg x509.SignatureAlgorithm) {
	t.Helper()
	s, err := k.Signer()
	if err != nil {
		t.Fatalf("Signer: %v", err)
	}
	msg := []byte("документ для подписи")
	sum := sha256.Sum256(msg)
	sig, err := s.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if err := cert.CheckSignature(alg, msg, sig); err != nil {
		t.Fatalf("signature by the decoded key does not verify with the certificate: %v", err)
	}
}
