package gost3410

import (
	"bytes"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/shep-kz/shep/gost/gost341194"
	"github.com/shep-kz/shep/gost/streebog"
)

// realDir holds the НУЦ РК test PKI material (relative to this package).
const realDir = "../../../shared/fixtures/real"

var (
	// GOST R 34.10-2015 512-bit key, its curve, and the signature with Streebog-512.
	oidKZKey2015_512   = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2}
	oidKZCurve2015_512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2, 1}
	oidKZSig2015_512   = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 3, 2}
	// GOST 34.310-2004 key, its curve, and the signature with GOST 34.311-95.
	oidKZKey2004   = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1}
	oidKZCurve2004 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1, 1}
	oidKZSig2004   = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 2}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

// signedObject is the common outer shape of Certificate and CertificateList:
// SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING }.
type signedObject struct {
	TBS    asn1.RawValue
	SigAlg algorithmIdentifier
	Sig    asn1.BitString
}

type spki struct {
	Algorithm algorithmIdentifier
	Key       asn1.BitString
}

type tbsCertificate struct {
	Version  int `asn1:"optional,explicit,default:0,tag:0"`
	Serial   *big.Int
	SigAlg   algorithmIdentifier
	Issuer   asn1.RawValue
	Validity asn1.RawValue
	Subject  asn1.RawValue
	SPKI     spki
	// Issuer/subject unique IDs and extensions follow; not needed here.
	Rest []asn1.RawValue `asn1:"optional"`
}

type keyParams struct {
	Curve asn1.ObjectIdentifier
	Hash  asn1.ObjectIdentifier `asn1:"optional"`
}

func readDER(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(realDir, name))
	if err != nil {
		t.Fatalf("real НУЦ fixture missing: %v", err)
	}
	if blk, _ := pem.Decode(data); blk != nil {
		return blk.Bytes
	}
	return data
}

func parseSigned(t *testing.T, der []byte) signedObject {
	t.Helper()
	var so signedObject
	rest, err := asn1.Unmarshal(der, &so)
	if err != nil || len(rest) != 0 {
		t.Fatalf("parse: %v (%d trailing bytes)", err, len(rest))
	}
	if so.Sig.BitLength%8 != 0 {
		t.Fatal("signature BIT STRING is not whole bytes")
	}
	return so
}

// certKey returns the certificate's public key, checking the KZ OIDs.
func certKey(t *testing.T, der []byte) (*PublicKey, signedObject, tbsCertificate) {
	t.Helper()
	so := parseSigned(t, der)
	var tbs tbsCertificate
	if _, err := asn1.Unmarshal(so.TBS.FullBytes, &tbs); err != nil {
		t.Fatalf("parse TBSCertificate: %v", err)
	}
	var params keyParams
	if _, err := asn1.Unmarshal(tbs.SPKI.Algorithm.Parameters.FullBytes, &params); err != nil {
		t.Fatalf("parse key parameters: %v", err)
	}
	var curve *Curve
	switch {
	case tbs.SPKI.Algorithm.Algorithm.Equal(oidKZKey2015_512) && params.Curve.Equal(oidKZCurve2015_512):
		curve = TC26512A()
	case tbs.SPKI.Algorithm.Algorithm.Equal(oidKZKey2004) && params.Curve.Equal(oidKZCurve2004):
		curve = CryptoProA()
	default:
		t.Fatalf("unexpected key algorithm %v / curve %v", tbs.SPKI.Algorithm.Algorithm, params.Curve)
	}
	// The BIT STRING wraps an OCTET STRING holding x_LE ‖ y_LE.
	var raw []byte
	if rest, err := asn1.Unmarshal(tbs.SPKI.Key.Bytes, &raw); err != nil || len(rest) != 0 {
		t.Fatalf("public key OCTET STRING: %v", err)
	}
	pub, err := NewPublicKey(curve, raw)
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	return pub, so, tbs
}

// digestFor hashes tbs with the hash of the signature algorithm.
func digestFor(t *testing.T, alg asn1.ObjectIdentifier, tbs []byte) []byte {
	t.Helper()
	switch {
	case alg.Equal(oidKZSig2015_512):
		d := streebog.Sum512(tbs)
		return d[:]
	case alg.Equal(oidKZSig2004):
		d := gost341194.Sum(gost341194.TestParamSet, tbs)
		return d[:]
	}
	t.Fatalf("unexpected signature algorithm %v", alg)
	return nil
}

func TestRealNUCSignatures(t *testing.T) {
	tests := []struct {
		name   string
		signed string // certificate or CRL
		issuer string // certificate of the signer
		alg    asn1.ObjectIdentifier
	}{
		{"2022 root, self-signed", "gost/root_test_gost_2022.cer", "gost/root_test_gost_2022.cer", oidKZSig2015_512},
		{"2022 CA by root", "gost/nca_gost2022_test.cer", "gost/root_test_gost_2022.cer", oidKZSig2015_512},
		{"2022 CA CRL", "gost/nca_gost2022_test.crl", "gost/nca_gost2022_test.cer", oidKZSig2015_512},
		{"2022 CA delta CRL", "gost/nca_gost2022_d_test.crl", "gost/nca_gost2022_test.cer", oidKZSig2015_512},
		{"2004 head certificate by ҰКО 3.0 (GOST TEST)", "ceo_valid_sign_2004_gost.cer", "nca_gost_test.crt", oidKZSig2004},
		{"2004 CA CRL", "nca_gost_test.crl", "nca_gost_test.crt", oidKZSig2004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer, _, _ := certKey(t, readDER(t, tt.issuer))
			so := parseSigned(t, readDER(t, tt.signed))
			if !so.SigAlg.Algorithm.Equal(tt.alg) {
				t.Fatalf("signature algorithm %v, want %v", so.SigAlg.Algorithm, tt.alg)
			}
			size := issuer.Curve.PointSize()
			sig := so.Sig.Bytes
			if len(sig) != 2*size {
				t.Fatalf("signature is %d bytes, want %d", len(sig), 2*size)
			}
			tbs := so.TBS.FullBytes
			digest := digestFor(t, tt.alg, tbs)
			if !Verify(issuer, digest, sig) {
				t.Fatal("the НУЦ signature does not verify")
			}

			// The same signature must fail for a changed TBS, a changed
			// signature, and for the other byte layouts.
			changed := bytes.Clone(tbs)
			changed[len(changed)/2] ^= 0x01
			if Verify(issuer, digestFor(t, tt.alg, changed), sig) {
				t.Error("verifies for a modified TBS")
			}
			bad := bytes.Clone(sig)
			bad[0] ^= 0x80
			if Verify(issuer, digest, bad) {
				t.Error("verifies for a modified signature")
			}
			r, s := sig[:size], sig[size:]
			rev := func(b []byte) []byte {
				c := bytes.Clone(b)
				for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
					c[i], c[j] = c[j], c[i]
				}
				return c
			}
			// The other three layouts of the same r and s must all fail
			// (s_BE ‖ r_BE is the RFC 4491/9215 form, the byte reversal).
			for name, layout := range map[string][]byte{
				"s_LE ‖ r_LE": append(bytes.Clone(s), r...),
				"r_BE ‖ s_BE": append(rev(r), rev(s)...),
				"s_BE ‖ r_BE": rev(sig),
			} {
				if Verify(issuer, digest, layout) {
					t.Errorf("layout %s verifies", name)
				}
			}
			if Verify(issuer, rev(digest), sig) {
				t.Error("verifies with the digest read big-endian")
			}
		})
	}
}

// TestRealNUCKeysOnCurve checks that every real НУЦ public key decodes
// (on the curve) and that the wrong issuer's key does not verify.
func TestRealNUCKeysOnCurve(t *testing.T) {
	root, _, _ := certKey(t, readDER(t, "gost/root_test_gost_2022.cer"))
	ca, caSO, _ := certKey(t, readDER(t, "gost/nca_gost2022_test.cer"))
	if root.Equal(ca) {
		t.Fatal("root and CA keys are equal")
	}
	if root.Curve.Name != "id-tc26-gost-3410-12-512-paramSetA" {
		t.Fatalf("root curve %s", root.Curve.Name)
	}
	// The CA certificate is signed by the root, not by the CA itself.
	if Verify(ca, digestFor(t, oidKZSig2015_512, caSO.TBS.FullBytes), caSO.Sig.Bytes) {
		t.Error("the CA certificate verifies with the CA's own key")
	}
	head, headSO, _ := certKey(t, readDER(t, "ceo_valid_sign_2004_gost.cer"))
	if head.Curve.Name != "id-GostR3410-2001-CryptoPro-A-ParamSet" {
		t.Fatalf("2004 curve %s", head.Curve.Name)
	}
	if Verify(head, digestFor(t, oidKZSig2004, headSO.TBS.FullBytes), headSO.Sig.Bytes) {
		t.Error("the 2004 certificate verifies with its own key")
	}
	// Raw round trip of a real key.
	again, err := NewPublicKey(ca.Curve, ca.Raw())
	if err != nil || !again.Equal(ca) {
		t.Fatalf("real key does not round-trip: %v", err)
	}
}
