package ocsp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shep-kz/shep/internal/fixtures"
)

// keyCert is a certificate with its private key.
type keyCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// testPKI is a small PKI made with crypto/x509: a CA with a delegated responder, and the ways a
// responder certificate can be wrong.
type testPKI struct {
	now            time.Time
	ca             keyCert // "Shep Test CA"
	delegate       keyCert // issued by ca, EKU OCSPSigning
	noEKU          keyCert // issued by ca, EKU serverAuth only
	otherCA        keyCert // "Other CA"
	otherDelegate  keyCert // issued by otherCA, EKU OCSPSigning
	forgedCA       keyCert // same name as ca, another key
	forgedDelegate keyCert // issued by forgedCA (so its issuer name is ca's), EKU OCSPSigning
	rsaCA          keyCert // an RSA CA ...
	rsaDelegate    keyCert // ... and its RSA delegated responder
}

var (
	pkiOnce sync.Once
	pkiVal  *testPKI
	pkiErr  error
)

// getPKI returns the shared test PKI, valid from an hour ago to a day from now.
func getPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = newTestPKI(time.Now()) })
	if pkiErr != nil {
		t.Fatalf("test PKI: %v", pkiErr)
	}
	return pkiVal
}

var serialSeq int64 = 0x4a10

func newTestPKI(now time.Time) (*testPKI, error) {
	p := &testPKI{now: now}
	var err error
	ec := func() crypto.Signer {
		k, e := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if e != nil && err == nil {
			err = e
		}
		return k
	}
	mk := func(cn string, parent *keyCert, key crypto.Signer, edit func(*x509.Certificate)) keyCert {
		serialSeq++
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serialSeq),
			Subject:      pkix.Name{Country: []string{"KZ"}, CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
		}
		if edit != nil {
			edit(tmpl)
		}
		signerCert, signerKey := tmpl, key
		if parent != nil {
			signerCert, signerKey = parent.cert, parent.key
		}
		der, e := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
		if e != nil {
			if err == nil {
				err = e
			}
			return keyCert{}
		}
		c, e := x509.ParseCertificate(der)
		if e != nil && err == nil {
			err = e
		}
		return keyCert{cert: c, key: key}
	}
	asCA := func(c *x509.Certificate) {
		c.IsCA, c.BasicConstraintsValid = true, true
		c.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	ocspEKU := func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning} }

	p.ca = mk("Shep Test CA", nil, ec(), asCA)
	p.delegate = mk("Shep Test OCSP Responder", &p.ca, ec(), ocspEKU)
	p.noEKU = mk("Shep Test TLS Server", &p.ca, ec(), func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	})
	p.otherCA = mk("Other CA", nil, ec(), asCA)
	p.otherDelegate = mk("Other OCSP Responder", &p.otherCA, ec(), ocspEKU)
	p.forgedCA = mk("Shep Test CA", nil, ec(), asCA)
	p.forgedDelegate = mk("Forged OCSP Responder", &p.forgedCA, ec(), ocspEKU)
	rk, e := rsa.GenerateKey(rand.Reader, 2048)
	if e != nil {
		return nil, e
	}
	p.rsaCA = mk("Shep Test RSA CA", nil, rk, asCA)
	rk2, e := rsa.GenerateKey(rand.Reader, 2048)
	if e != nil {
		return nil, e
	}
	p.rsaDelegate = mk("Shep Test RSA OCSP Responder", &p.rsaCA, rk2, ocspEKU)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// loadCert reads a PEM or DER certificate fixture.
func loadCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	b := fixtures.Read(t, name)
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSerial(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad serial %q", s)
	}
	return n
}

func mustCertID(t testing.TB, serial *big.Int, issuer *x509.Certificate, h crypto.Hash) CertID {
	t.Helper()
	id, err := NewCertID(serial, issuer, h)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeKey(t testing.TB, dir, name string, k crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, name, "PRIVATE KEY", der)
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x01
	return c
}
