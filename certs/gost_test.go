package certs_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/pkcs12"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/internal/fixtures"
)

func loadCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	cs, err := certs.ParseCertificates(fixtures.Read(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cs[0]
}

func loadCRL(t *testing.T, name string) *x509.RevocationList {
	t.Helper()
	l, err := x509.ParseRevocationList(fixtures.Read(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return l
}

// flip returns b with one bit of byte i changed.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// The real НУЦ GOST certificates and CRLs verify with StdVerifier, through the same functions as
// RSA ones; a changed TBS or the wrong issuer does not.
func TestGOSTRealSignatures(t *testing.T) {
	v := certs.StdVerifier{}
	tests := []struct {
		name, signed, issuer string
		crl                  bool
		alg                  asn1.ObjectIdentifier
	}{
		{"TEST 2022 root, self-signed", "gost/root_test_gost_2022.cer", "gost/root_test_gost_2022.cer", false, certs.OIDGOST2015Signature512},
		{"TEST 2022 CA by the root", "gost/nca_gost2022_test.cer", "gost/root_test_gost_2022.cer", false, certs.OIDGOST2015Signature512},
		{"TEST 2022 CA (nca_gost2015_test.cer) by the root", "nca_gost2015_test.cer", "gost/root_test_gost_2022.cer", false, certs.OIDGOST2015Signature512},
		{"TEST 2022 full CRL", "gost/nca_gost2022_test.crl", "gost/nca_gost2022_test.cer", true, certs.OIDGOST2015Signature512},
		{"TEST 2022 delta CRL", "gost/nca_gost2022_d_test.crl", "gost/nca_gost2022_test.cer", true, certs.OIDGOST2015Signature512},
		{"2004 head certificate by ҰКО 3.0 (GOST TEST)", "ceo_valid_sign_2004_gost.cer", "nca_gost_test.crt", false, certs.OIDGOST2004Signature},
		{"2004 CRL of ҰКО 3.0 (GOST TEST)", "nca_gost_test.crl", "nca_gost_test.crt", true, certs.OIDGOST2004Signature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := loadCert(t, tt.issuer)
			var der []byte
			errParse := errors.New("does not parse")
			check := func(der []byte) error {
				if tt.crl {
					l, err := x509.ParseRevocationList(der)
					if err != nil {
						return errParse
					}
					return certs.CheckCRLSignature(v, l, issuer)
				}
				c, err := x509.ParseCertificate(der)
				if err != nil {
					return errParse
				}
				return certs.CheckCertificateSignature(v, c, issuer)
			}
			if tt.crl {
				der = loadCRL(t, tt.signed).Raw
			} else {
				der = loadCert(t, tt.signed).Raw
			}
			tbs, alg, _, err := certs.SignedParts(der)
			if err != nil || !alg.Algorithm.Equal(tt.alg) {
				t.Fatalf("signature algorithm %v (%v), want %v", alg.Algorithm, err, tt.alg)
			}
			if err := check(der); err != nil {
				t.Fatalf("the НУЦ signature does not verify: %v", err)
			}
			// One bit changed in the signed bytes: the first change from the middle of the TBS on
			// that still parses.
			start := bytes.Index(der, tbs)
			tampered := false
			for off := start + len(tbs)/2; off < start+len(tbs) && !tampered; off++ {
				err = check(flip(der, off))
				if err == errParse {
					continue
				}
				tampered = true
				if err == nil || errors.Is(err, certs.ErrUnsupportedAlgorithm) {
					t.Errorf("tampered TBS (byte %d): %v, want a failed signature", off, err)
				}
			}
			if !tampered {
				t.Error("no tampered TBS parsed")
			}
			// One bit changed in the signature value (its last byte).
			err = check(flip(der, len(der)-1))
			if err == nil || err == errParse || errors.Is(err, certs.ErrUnsupportedAlgorithm) {
				t.Errorf("tampered signature: %v, want a failed signature", err)
			}
		})
	}
	// The wrong issuer: the CA checked against its own key, a 2004 certificate against the 2015
	// root (a 2015-512 key cannot make a 2004 signature), and a 2015 one against the 2004 CA.
	for _, tt := range []struct{ signed, issuer string }{
		{"gost/nca_gost2022_test.cer", "gost/nca_gost2022_test.cer"},
		{"ceo_valid_sign_2004_gost.cer", "gost/root_test_gost_2022.cer"},
		{"gost/nca_gost2022_test.cer", "nca_gost_test.crt"},
		{"gost/nca_gost2022_test.cer", "nca_rsa_test.crt"},
	} {
		err := certs.CheckCertificateSignature(v, loadCert(t, tt.signed), loadCert(t, tt.issuer))
		if err == nil || errors.Is(err, certs.ErrUnsupportedAlgorithm) {
			t.Errorf("%s by %s: %v, want a failed signature", tt.signed, tt.issuer, err)
		}
	}
}

// Keys read from certificates re-encode to the exact bytes НУЦ wrote.
func TestGOSTPublicKeyInfo(t *testing.T) {
	tests := []struct {
		file   string
		keyOID asn1.ObjectIdentifier
		sigOID asn1.ObjectIdentifier
		size   int
	}{
		{"gost/root_test_gost_2022.cer", certs.OIDGOST2015PublicKey512, certs.OIDGOST2015Signature512, 64},
		{"gost/nca_gost2022_test.cer", certs.OIDGOST2015PublicKey512, certs.OIDGOST2015Signature512, 64},
		{"nca_gost_test.crt", certs.OIDGOST2004PublicKey, certs.OIDGOST2004Signature, 32},
		{"ceo_valid_sign_2004_gost.cer", certs.OIDGOST2004PublicKey, certs.OIDGOST2004Signature, 32},
	}
	for _, tt := range tests {
		c := loadCert(t, tt.file)
		pub, err := certs.GOSTPublicKey(c)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if pub.Curve.PointSize() != tt.size {
			t.Errorf("%s: %d-byte curve", tt.file, pub.Curve.PointSize())
		}
		_, oid, err := certs.ParseGOSTPublicKeyInfo(c.RawSubjectPublicKeyInfo)
		if err != nil || !oid.Equal(tt.keyOID) {
			t.Errorf("%s: key algorithm %v %v", tt.file, oid, err)
		}
		der, err := certs.MarshalGOSTPublicKeyInfo(pub)
		if err != nil || !bytes.Equal(der, c.RawSubjectPublicKeyInfo) {
			t.Errorf("%s: MarshalGOSTPublicKeyInfo differs from the certificate's SPKI (%v)\n%x\n%x", tt.file, err, der, c.RawSubjectPublicKeyInfo)
		}
		if sig, err := certs.GOSTSignatureOID(pub); err != nil || !sig.Equal(tt.sigOID) {
			t.Errorf("%s: signature OID %v %v", tt.file, sig, err)
		}
	}

	// Refusals: not GOST or not implemented → ErrUnsupportedAlgorithm; broken → another error.
	rootSPKI := loadCert(t, "gost/root_test_gost_2022.cer").RawSubjectPublicKeyInfo
	v2004SPKI := loadCert(t, "nca_gost_test.crt").RawSubjectPublicKeyInfo
	oid := func(o asn1.ObjectIdentifier) []byte { b, _ := asn1.Marshal(o); return b }
	replace := func(b []byte, old, new []byte) []byte {
		if !bytes.Contains(b, old) {
			t.Fatalf("%x not in %x", old, b)
		}
		return bytes.Replace(b, old, new, 1)
	}
	// Same length OIDs, so the DER stays well-formed.
	oid256 := oid(certs.OIDGOST2015PublicKey256)
	for _, tt := range []struct {
		name        string
		spki        []byte
		unsupported bool
	}{
		{"RSA key", loadCert(t, "nca_rsa_test.crt").RawSubjectPublicKeyInfo, true},
		{"2015 256-bit key", replace(rootSPKI, oid(certs.OIDGOST2015PublicKey512), oid256), true},
		{"2015-512 key on an unknown curve", replace(rootSPKI, oid(certs.OIDGOST2015Curve512), oid(asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2, 9})), true},
		{"2004 key naming the 2015 curve", replace(v2004SPKI, oid(certs.OIDGOST2004Curve), oid(certs.OIDGOST2015Curve512)), true},
		{"point off the curve", flip(rootSPKI, len(rootSPKI)-1), false},
		{"truncated", rootSPKI[:len(rootSPKI)-1], false},
	} {
		_, _, err := certs.ParseGOSTPublicKeyInfo(tt.spki)
		if err == nil || errors.Is(err, certs.ErrUnsupportedAlgorithm) != tt.unsupported {
			t.Errorf("%s: %v (unsupported: want %v)", tt.name, err, tt.unsupported)
		}
	}
	if _, err := certs.GOSTPublicKey(loadCert(t, "nca_rsa_test.crt")); !errors.Is(err, certs.ErrUnsupportedAlgorithm) {
		t.Errorf("GOSTPublicKey of an RSA certificate: %v", err)
	}
}

// The real НУЦ key file: its scalar times G is the certificate's key, and the PKCS#8 re-encodes to
// the same bytes.
func TestGOSTPKCS12Key(t *testing.T) {
	f, err := pkcs12.Decode(fixtures.Read(t, "gost/individual_valid_gost2015.p12"), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Keys) != 1 {
		t.Fatalf("%d keys", len(f.Keys))
	}
	k := f.Keys[0]
	priv, err := certs.GOSTPrivateKeyFromPKCS8(k.Algorithm, k.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf := f.Leaf(k)
	pub, err := certs.GOSTPublicKey(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&priv.PublicKey) {
		t.Fatal("d·G differs from the certificate's public key")
	}
	if leaf.Subject.SerialNumber != "IIN123456789011" {
		t.Errorf("leaf %s", leaf.Subject)
	}
	der, err := certs.MarshalGOSTPKCS8(priv)
	if err != nil || !bytes.Equal(der, k.PKCS8) {
		t.Errorf("MarshalGOSTPKCS8 differs from НУЦ's PKCS#8 (%v)\n%x\n%x", err, der, k.PKCS8)
	}
	again, err := certs.ParseGOSTPKCS8(der)
	if err != nil || !again.Equal(priv) {
		t.Errorf("ParseGOSTPKCS8: %v", err)
	}

	// ReadKeyPair gives the same key and the certificate first; a wrong password fails.
	key, chain, err := certs.ReadKeyPair("", "", filepath.Join(fixtures.Dir(t), "gost/individual_valid_gost2015.p12"), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := key.(*gost3410.PrivateKey); !ok || !g.Equal(priv) || !chain[0].Equal(leaf) {
		t.Fatalf("ReadKeyPair: %T %v", key, chain)
	}
	if _, _, err := certs.ReadKeyPair("", "", filepath.Join(fixtures.Dir(t), "gost/individual_valid_gost2015.p12"), "qwerty12"); !errors.Is(err, pkcs12.ErrIncorrectPassword) {
		t.Errorf("wrong password: %v", err)
	}
	// Wrong shapes of the key.
	if _, err := certs.GOSTPrivateKeyFromPKCS8(k.Algorithm, k.Key[2:]); err == nil {
		t.Error("a bare scalar accepted where an OCTET STRING is required")
	}
	if _, err := certs.GOSTPrivateKeyFromPKCS8(pkix.AlgorithmIdentifier{Algorithm: certs.OIDGOST2015PublicKey256}, k.Key); !errors.Is(err, certs.ErrUnsupportedAlgorithm) {
		t.Errorf("256-bit 2015 key: %v", err)
	}
}

// Fresh keys of both generations round-trip through PKCS#8 (PEM and DER) and ReadKeyPair.
func TestGOSTKeyFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		curve *gost3410.Curve
		size  int
	}{
		{"2004", gost3410.CryptoProA(), 32},
		{"2015-512", gost3410.TC26512A(), 64},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k, err := gost3410.GenerateKey(tt.curve, nil)
			if err != nil {
				t.Fatal(err)
			}
			der, err := certs.MarshalGOSTPKCS8(k)
			if err != nil {
				t.Fatal(err)
			}
			var inner []byte
			var p struct {
				V   int
				Alg pkix.AlgorithmIdentifier
				Key []byte
			}
			if _, err := asn1.Unmarshal(der, &p); err != nil {
				t.Fatal(err)
			}
			if _, err := asn1.Unmarshal(p.Key, &inner); err != nil || len(inner) != tt.size {
				t.Fatalf("privateKey holds %d bytes (%v), want an OCTET STRING of %d", len(inner), err, tt.size)
			}
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
			for name, b := range map[string][]byte{"PEM": pemKey, "DER": der} {
				s, err := certs.ParsePrivateKey(b)
				if g, ok := s.(*gost3410.PrivateKey); err != nil || !ok || !g.Equal(k) {
					t.Errorf("%s: %T %v", name, s, err)
				}
			}
			// A certificate for it (self-signed GOST) and ReadKeyPair from files.
			cert := gostSelfSigned(t, k, "GOST "+tt.name)
			certFile, keyFile := filepath.Join(dir, tt.name+".crt"), filepath.Join(dir, tt.name+".key")
			os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
			os.WriteFile(keyFile, pemKey, 0o600)
			s, cs, err := certs.ReadKeyPair(certFile, keyFile, "", "")
			if err != nil || !s.(*gost3410.PrivateKey).Equal(k) || !cs[0].Equal(cert) {
				t.Fatalf("ReadKeyPair: %v", err)
			}
			other, _ := gost3410.GenerateKey(tt.curve, nil)
			od, _ := certs.MarshalGOSTPKCS8(other)
			os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: od}), 0o600)
			if _, _, err := certs.ReadKeyPair(certFile, keyFile, "", ""); err == nil {
				t.Error("a key that does not match the certificate accepted")
			}
			// p12 written the НУЦ way and read back.
			p12, err := pkcs12.Encode(der, []*x509.Certificate{cert}, "pw", pkcs12.EncodeOptions{Iterations: 10})
			if err != nil {
				t.Fatal(err)
			}
			p12File := filepath.Join(dir, tt.name+".p12")
			os.WriteFile(p12File, p12, 0o600)
			s, cs, err = certs.ReadKeyPair("", "", p12File, "pw")
			if err != nil || !s.(*gost3410.PrivateKey).Equal(k) || !cs[0].Equal(cert) {
				t.Fatalf("ReadKeyPair p12: %v", err)
			}
		})
	}
	if _, _, err := certs.ReadKeyPair("a.crt", "a.key", "a.p12", ""); err == nil {
		t.Error("both a key pair and a p12 accepted")
	}
	if _, _, err := certs.ReadKeyPair("a.crt", "", "", ""); err == nil {
		t.Error("a certificate without its key accepted")
	}
}

// Refusals of StdVerifier: unknown and unimplemented algorithms are "not supported"; a key that
// cannot have made the signature is a failed signature.
func TestStdVerifierGOSTRefusals(t *testing.T) {
	v := certs.StdVerifier{}
	ca2004 := loadCert(t, "nca_gost_test.crt")
	ceo := loadCert(t, "ceo_valid_sign_2004_gost.cer")
	tbs, _, sig, err := certs.SignedParts(ceo.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(ca2004, certs.OIDGOST2004Signature, tbs, sig); err != nil {
		t.Fatalf("the real signature: %v", err)
	}
	tests := []struct {
		name        string
		signer      *x509.Certificate
		alg         asn1.ObjectIdentifier
		sig         []byte
		unsupported bool
	}{
		{"made-up OID", ca2004, asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 9, 9}, sig, true},
		{"2015 256-bit signature", ca2004, certs.OIDGOST2015Signature256, sig, true},
		{"2004 key under the 2015-512 OID", ca2004, certs.OIDGOST2015Signature512, sig, false},
		{"2015-512 key under the 2004 OID", loadCert(t, "gost/root_test_gost_2022.cer"), certs.OIDGOST2004Signature, sig, false},
		{"RSA key under a GOST OID", loadCert(t, "nca_rsa_test.crt"), certs.OIDGOST2004Signature, sig, false},
		{"signature one byte short", ca2004, certs.OIDGOST2004Signature, sig[1:], false},
		{"r and s swapped", ca2004, certs.OIDGOST2004Signature, append(bytes.Clone(sig[32:]), sig[:32]...), false},
	}
	for _, tt := range tests {
		err := v.VerifySignature(tt.signer, tt.alg, tbs, tt.sig)
		if err == nil || errors.Is(err, certs.ErrUnsupportedAlgorithm) != tt.unsupported {
			t.Errorf("%s: %v (unsupported: want %v)", tt.name, err, tt.unsupported)
		}
	}
	if _, err := certs.GOSTDigest(certs.OIDGOST2015Signature256, tbs); !errors.Is(err, certs.ErrUnsupportedAlgorithm) {
		t.Errorf("GOSTDigest 256: %v", err)
	}
	if _, err := certs.GOSTDigest(certs.OIDSHA256WithRSA, tbs); !errors.Is(err, certs.ErrUnsupportedAlgorithm) {
		t.Errorf("GOSTDigest RSA: %v", err)
	}
}

// --- building mixed RSA/GOST certificates -------------------------------------------------------

// placeholder signs what crypto/x509 builds before its key and signature are swapped for GOST.
var placeholder = func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}()

// resign returns der (a certificate) with its TBS SubjectPublicKeyInfo replaced by spki (unless
// nil) and signed anew: by a GOST key (with the signature OID of that key) or an RSA key
// (sha256WithRSAEncryption).
func resign(t *testing.T, der, spki []byte, signer crypto.Signer) []byte {
	t.Helper()
	var sigAlg pkix.AlgorithmIdentifier
	var sign func(tbs []byte) []byte
	switch k := signer.(type) {
	case *gost3410.PrivateKey:
		oid, err := certs.GOSTSignatureOID(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}
		sign = func(tbs []byte) []byte {
			d, err := certs.GOSTDigest(oid, tbs)
			if err != nil {
				t.Fatal(err)
			}
			s, err := k.Sign(rand.Reader, d, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	case *rsa.PrivateKey:
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: certs.OIDSHA256WithRSA, Parameters: asn1.NullRawValue}
		sign = func(tbs []byte) []byte {
			h := sha256.Sum256(tbs)
			s, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	default:
		t.Fatalf("signer %T", signer)
	}
	algDER, err := asn1.Marshal(sigAlg)
	if err != nil {
		t.Fatal(err)
	}
	tbs, _, _, err := certs.SignedParts(der)
	if err != nil {
		t.Fatal(err)
	}
	// TBSCertificate: [0] version, serial, signature, issuer, validity, subject, spki, [3] extensions.
	in := cryptobyte.String(tbs)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) {
		t.Fatal("TBS")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i := 0; !body.Empty(); i++ {
			var el cryptobyte.String
			if !body.ReadAnyASN1Element(&el, nil) {
				t.Fatal("TBS element")
			}
			switch {
			case i == 2:
				b.AddBytes(algDER)
			case i == 6 && spki != nil:
				b.AddBytes(spki)
			default:
				b.AddBytes(el)
			}
		}
	})
	newTBS := b.BytesOrPanic()
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(newTBS)
		b.AddBytes(algDER)
		b.AddASN1BitString(sign(newTBS))
	})
	return out.BytesOrPanic()
}

func template(cn string, ca bool, serial int64) *x509.Certificate {
	now := time.Now()
	c := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, Country: []string{"KZ"}},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		SubjectKeyId: []byte(cn),
	}
	if ca {
		c.IsCA, c.BasicConstraintsValid = true, true
		c.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		c.Subject.SerialNumber = "IIN931002451325"
		c.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	}
	return c
}

func parse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gostSelfSigned returns a self-signed CA certificate of k.
func gostSelfSigned(t *testing.T, k *gost3410.PrivateKey, cn string) *x509.Certificate {
	t.Helper()
	tmpl := template(cn, true, 1)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &placeholder.PublicKey, placeholder)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := certs.MarshalGOSTPublicKeyInfo(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, resign(t, der, spki, k))
}

// Mixed chains validate through certs/validate like any other: an RSA certificate under a GOST CA
// (2004 and 2015-512) and a GOST certificate under an RSA CA.
func TestGOSTMixedChains(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, curve := range []*gost3410.Curve{gost3410.CryptoProA(), gost3410.TC26512A()} {
		gk, err := gost3410.GenerateKey(curve, nil)
		if err != nil {
			t.Fatal(err)
		}
		gspki, err := certs.MarshalGOSTPublicKeyInfo(&gk.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		gostCA := gostSelfSigned(t, gk, "GOST CA "+curve.Name)
		// An impostor: same name and key identifier, another GOST key.
		imp, _ := gost3410.GenerateKey(curve, nil)
		impostor := gostSelfSigned(t, imp, "GOST CA "+curve.Name)

		rsaCATmpl := template("RSA CA", true, 2)
		rsaCA := parse(t, must(x509.CreateCertificate(rand.Reader, rsaCATmpl, rsaCATmpl, &rsaKey.PublicKey, rsaKey)))

		// RSA leaf under the GOST CA: crypto/x509 builds it, the GOST key signs it.
		leafKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		rsaLeaf := parse(t, resign(t, must(x509.CreateCertificate(rand.Reader, template("RSA LEAF", false, 3), gostCA, &leafKey.PublicKey, placeholder)), nil, gk))
		// GOST leaf under the RSA CA: its key swapped in, then signed by the RSA CA.
		lk, _ := gost3410.GenerateKey(curve, nil)
		lspki, _ := certs.MarshalGOSTPublicKeyInfo(&lk.PublicKey)
		gostLeaf := parse(t, resign(t, must(x509.CreateCertificate(rand.Reader, template("GOST LEAF", false, 4), rsaCA, &placeholder.PublicKey, rsaKey)), lspki, rsaKey))
		// GOST leaf under the GOST CA.
		gostGost := parse(t, resign(t, must(x509.CreateCertificate(rand.Reader, template("GOST GOST LEAF", false, 5), gostCA, &placeholder.PublicKey, placeholder)), gspki, gk))
		if sig := certs.SignatureAlgorithmOID(rsaLeaf); !certs.IsGOST(sig) || certs.IsGOST(certs.PublicKeyAlgorithmOID(rsaLeaf)) {
			t.Fatalf("RSA leaf signed with %v", sig)
		}
		if !certs.IsGOST(certs.PublicKeyAlgorithmOID(gostLeaf)) || certs.IsGOST(certs.SignatureAlgorithmOID(gostLeaf)) {
			t.Fatal("GOST leaf is not an RSA-signed GOST key")
		}

		for _, tt := range []struct {
			name   string
			anchor *x509.Certificate
			leaf   *x509.Certificate
			code   validate.Code
		}{
			{"RSA leaf, GOST CA", gostCA, rsaLeaf, ""},
			{"GOST leaf, RSA CA", rsaCA, gostLeaf, ""},
			{"GOST leaf, GOST CA", gostCA, gostGost, ""},
			{"RSA leaf, impostor GOST CA", impostor, rsaLeaf, validate.CodeBrokenChain},
			{"GOST leaf, impostor GOST CA", impostor, gostGost, validate.CodeBrokenChain},
		} {
			t.Run(curve.Name+"/"+tt.name, func(t *testing.T) {
				v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{tt.anchor}, SkipRevocation: true})
				if err != nil {
					t.Fatal(err)
				}
				verdict, err := v.Validate(context.Background(), validate.Request{Cert: tt.leaf, Usage: validate.UsageSign})
				if validate.CodeOf(err) != tt.code {
					t.Fatalf("%v, want %q", err, tt.code)
				}
				if tt.code == "" && (len(verdict.Chain) != 2 || verdict.Identity.IIN != "931002451325") {
					t.Fatalf("verdict %+v", verdict)
				}
			})
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
