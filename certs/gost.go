package certs

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/gost/gost341194"
	"github.com/shep-kz/shep/gost/streebog"
)

// The Kazakh GOST keys and signatures in certificates, CRLs and key files (reference/gost.md §2):
//
//   - SubjectPublicKeyInfo: algorithm OIDGOST2004PublicKey or OIDGOST2015PublicKey512 with
//     parameters SEQUENCE{curve OID, hash OID}; the BIT STRING wraps an OCTET STRING x_LE ‖ y_LE.
//   - signatureValue: r_LE ‖ s_LE (the byte reversal of RFC 4491/9215's s_BE ‖ r_BE), over the
//     hash of the signed bytes read as a little-endian integer: GOST R 34.11-94 with the test
//     S-box (ГОСТ 34.311-95) for OIDGOST2004Signature, Streebog-512 for OIDGOST2015Signature512.
//   - PKCS#8 (НУЦ key files): the same algorithm identifier; privateKey = OCTET STRING{OCTET
//     STRING d_LE}.
//
// Only the curves НУЦ issues keys on are known: CryptoPro-A (2004) and TC26-512-A (2015-512). The
// 256-bit 2015 keys (no real sample exists) are refused with ErrUnsupportedAlgorithm.

// gostScheme ties together what one generation of НУЦ GOST keys uses.
type gostScheme struct {
	name     string
	keyOID   asn1.ObjectIdentifier // SubjectPublicKeyInfo / PKCS#8 algorithm
	curveOID asn1.ObjectIdentifier // first parameter
	hashOID  asn1.ObjectIdentifier // second parameter, as НУЦ writes it
	sigOID   asn1.ObjectIdentifier // the X.509 signature algorithm of this key
	curve    func() *gost3410.Curve
	newHash  func() hash.Hash
}

// gostSchemes is a read-only table.
var gostSchemes = []gostScheme{
	{
		name:   "GOST 34.310-2004",
		keyOID: OIDGOST2004PublicKey, curveOID: OIDGOST2004Curve, hashOID: OIDGOST34311Params,
		sigOID:  OIDGOST2004Signature,
		curve:   gost3410.CryptoProA,
		newHash: func() hash.Hash { return gost341194.New(gost341194.TestParamSet) },
	},
	{
		name:   "GOST R 34.10-2015 512",
		keyOID: OIDGOST2015PublicKey512, curveOID: OIDGOST2015Curve512, hashOID: OIDStreebog512,
		sigOID:  OIDGOST2015Signature512,
		curve:   gost3410.TC26512A,
		newHash: streebog.New512,
	},
}

// schemeOfCurve returns the scheme whose curve has exactly the parameters of c.
func schemeOfCurve(c *gost3410.Curve) (*gostScheme, error) {
	if c == nil || c.PointSize() == 0 {
		return nil, errors.New("GOST key without a usable curve")
	}
	for i := range gostSchemes {
		s := &gostSchemes[i]
		k := s.curve()
		if c.P.Cmp(k.P) == 0 && c.Q.Cmp(k.Q) == 0 && c.A.Cmp(k.A) == 0 && c.B.Cmp(k.B) == 0 &&
			c.X.Cmp(k.X) == 0 && c.Y.Cmp(k.Y) == 0 {
			return s, nil
		}
	}
	return nil, fmt.Errorf("GOST curve %q: %w", c.Name, ErrUnsupportedAlgorithm)
}

// schemeOfSignature returns the scheme whose X.509 signature algorithm is oid.
func schemeOfSignature(oid asn1.ObjectIdentifier) (*gostScheme, bool) {
	for i := range gostSchemes {
		if gostSchemes[i].sigOID.Equal(oid) {
			return &gostSchemes[i], true
		}
	}
	return nil, false
}

// gostKeyParams is the parameters SEQUENCE of a GOST key algorithm identifier.
type gostKeyParams struct {
	Curve asn1.ObjectIdentifier
	Hash  asn1.ObjectIdentifier `asn1:"optional"`
}

// schemeOfKeyAlgorithm reads a key AlgorithmIdentifier (SPKI or PKCS#8). Absent or NULL parameters
// mean the one curve НУЦ uses for that algorithm; a named curve must be that curve.
func schemeOfKeyAlgorithm(alg pkix.AlgorithmIdentifier) (*gostScheme, error) {
	var s *gostScheme
	for i := range gostSchemes {
		if gostSchemes[i].keyOID.Equal(alg.Algorithm) {
			s = &gostSchemes[i]
		}
	}
	if s == nil {
		return nil, fmt.Errorf("key algorithm %s (%s): %w", alg.Algorithm, AlgorithmName(alg.Algorithm), ErrUnsupportedAlgorithm)
	}
	p := alg.Parameters.FullBytes
	if len(p) == 0 || bytes.Equal(p, asn1.NullRawValue.FullBytes) {
		return s, nil
	}
	var params gostKeyParams
	if rest, err := asn1.Unmarshal(p, &params); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("malformed %s key parameters: %v", s.name, err)
	}
	if !params.Curve.Equal(s.curveOID) {
		return nil, fmt.Errorf("%s key on curve %s: %w", s.name, params.Curve, ErrUnsupportedAlgorithm)
	}
	return s, nil
}

func (s *gostScheme) algorithmIdentifier() (pkix.AlgorithmIdentifier, error) {
	params, err := asn1.Marshal(gostKeyParams{Curve: s.curveOID, Hash: s.hashOID})
	if err != nil {
		return pkix.AlgorithmIdentifier{}, err
	}
	return pkix.AlgorithmIdentifier{Algorithm: s.keyOID, Parameters: asn1.RawValue{FullBytes: params}}, nil
}

type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// GOSTPublicKey returns the GOST public key of c, read from its RawSubjectPublicKeyInfo (crypto/x509
// leaves PublicKey nil for GOST keys). A key that is not a known НУЦ GOST key (RSA, or a GOST
// curve not implemented) yields an error wrapping ErrUnsupportedAlgorithm.
func GOSTPublicKey(c *x509.Certificate) (*gost3410.PublicKey, error) {
	if c == nil {
		return nil, errors.New("certs: no certificate")
	}
	pub, _, err := ParseGOSTPublicKeyInfo(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("certs: key of «%s»: %w", c.Subject.CommonName, err)
	}
	return pub, nil
}

// ParseGOSTPublicKeyInfo reads a DER SubjectPublicKeyInfo holding a НУЦ GOST key: the algorithm
// (OIDGOST2004PublicKey or OIDGOST2015PublicKey512) selects the curve (CryptoPro-A or TC26-512-A),
// the BIT STRING wraps an OCTET STRING x_LE ‖ y_LE, and the point must lie on the curve. It returns
// the key and the algorithm OID; other algorithms and curves wrap ErrUnsupportedAlgorithm.
func ParseGOSTPublicKeyInfo(spki []byte) (*gost3410.PublicKey, asn1.ObjectIdentifier, error) {
	var info subjectPublicKeyInfo
	if rest, err := asn1.Unmarshal(spki, &info); err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("malformed SubjectPublicKeyInfo: %v", err)
	}
	s, err := schemeOfKeyAlgorithm(info.Algorithm)
	if err != nil {
		return nil, info.Algorithm.Algorithm, err
	}
	if info.PublicKey.BitLength%8 != 0 {
		return nil, s.keyOID, errors.New("GOST public key BIT STRING is not whole bytes")
	}
	var raw []byte
	if rest, err := asn1.Unmarshal(info.PublicKey.Bytes, &raw); err != nil || len(rest) != 0 {
		return nil, s.keyOID, fmt.Errorf("GOST public key is not an OCTET STRING: %v", err)
	}
	pub, err := gost3410.NewPublicKey(s.curve(), raw)
	if err != nil {
		return nil, s.keyOID, err
	}
	return pub, s.keyOID, nil
}

// MarshalGOSTPublicKeyInfo returns the DER SubjectPublicKeyInfo of pub as НУЦ writes it: the key
// algorithm with parameters SEQUENCE{curve OID, hash OID}, and a BIT STRING wrapping the OCTET
// STRING x_LE ‖ y_LE.
func MarshalGOSTPublicKeyInfo(pub *gost3410.PublicKey) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("certs: nil GOST public key")
	}
	s, err := schemeOfCurve(pub.Curve)
	if err != nil {
		return nil, err
	}
	raw := pub.Raw()
	if raw == nil {
		return nil, errors.New("certs: unusable GOST public key")
	}
	octets, err := asn1.Marshal(raw)
	if err != nil {
		return nil, err
	}
	alg, err := s.algorithmIdentifier()
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(subjectPublicKeyInfo{Algorithm: alg, PublicKey: asn1.BitString{Bytes: octets, BitLength: 8 * len(octets)}})
}

// GOSTPrivateKeyFromPKCS8 returns the GOST private key of a PKCS#8 PrivateKeyInfo given as its
// privateKeyAlgorithm and privateKey contents (pkcs12.PrivateKey's Algorithm and Key): key is the
// DER of an OCTET STRING holding the little-endian scalar, 64 bytes (2015-512) or 32 bytes (2004).
func GOSTPrivateKeyFromPKCS8(alg pkix.AlgorithmIdentifier, key []byte) (*gost3410.PrivateKey, error) {
	s, err := schemeOfKeyAlgorithm(alg)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	var d []byte
	if rest, err := asn1.Unmarshal(key, &d); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("certs: %s private key is not an OCTET STRING: %v", s.name, err)
	}
	k, err := gost3410.NewPrivateKey(s.curve(), d)
	if err != nil {
		return nil, fmt.Errorf("certs: %s private key: %w", s.name, err)
	}
	return k, nil
}

// pkcs8 is a PrivateKeyInfo (RFC 5208); attributes and a public key (RFC 5958) are ignored.
type pkcs8 struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
	Rest       []asn1.RawValue `asn1:"optional"`
}

// ParseGOSTPKCS8 reads a DER PKCS#8 PrivateKeyInfo holding a НУЦ GOST key.
func ParseGOSTPKCS8(der []byte) (*gost3410.PrivateKey, error) {
	var p pkcs8
	if rest, err := asn1.Unmarshal(der, &p); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("certs: malformed PKCS#8: %v", err)
	}
	if p.Version != 0 && p.Version != 1 {
		return nil, fmt.Errorf("certs: PKCS#8 version %d", p.Version)
	}
	return GOSTPrivateKeyFromPKCS8(p.Algorithm, p.PrivateKey)
}

// MarshalGOSTPKCS8 returns the DER PKCS#8 PrivateKeyInfo of k in the НУЦ layout (version 0, the
// key algorithm with its parameters, privateKey = OCTET STRING{OCTET STRING d_LE}), for
// pkcs12.Encode or a PEM "PRIVATE KEY" block.
func MarshalGOSTPKCS8(k *gost3410.PrivateKey) ([]byte, error) {
	if k == nil {
		return nil, errors.New("certs: nil GOST private key")
	}
	s, err := schemeOfCurve(k.Curve)
	if err != nil {
		return nil, err
	}
	d := k.Raw()
	if d == nil {
		return nil, errors.New("certs: unusable GOST private key")
	}
	inner, err := asn1.Marshal(d)
	if err != nil {
		return nil, err
	}
	alg, err := s.algorithmIdentifier()
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(pkcs8{Version: 0, Algorithm: alg, PrivateKey: inner})
}

// GOSTSignatureOID returns the X.509 signature algorithm a GOST key signs with:
// OIDGOST2004Signature for a CryptoPro-A (34.310-2004) key, OIDGOST2015Signature512 for a
// TC26-512-A key.
func GOSTSignatureOID(pub *gost3410.PublicKey) (asn1.ObjectIdentifier, error) {
	if pub == nil {
		return nil, errors.New("certs: nil GOST public key")
	}
	s, err := schemeOfCurve(pub.Curve)
	if err != nil {
		return nil, err
	}
	return s.sigOID, nil
}

// GOSTDigest hashes data as the signature algorithm sigOID requires: GOST R 34.11-94 with the
// test S-box (ГОСТ 34.311-95) for OIDGOST2004Signature, Streebog-512 for OIDGOST2015Signature512.
// The result is the hash output as a byte string, which gost3410 reads little-endian.
func GOSTDigest(sigOID asn1.ObjectIdentifier, data []byte) ([]byte, error) {
	s, ok := schemeOfSignature(sigOID)
	if !ok {
		return nil, fmt.Errorf("signature algorithm %s (%s): %w", sigOID, AlgorithmName(sigOID), ErrUnsupportedAlgorithm)
	}
	h := s.newHash()
	h.Write(data)
	return h.Sum(nil), nil
}

// verifyGOST checks a GOST signatureValue (r_LE ‖ s_LE) over signed by signer's key. A signer whose
// key is not GOST, or whose curve is not the one alg requires, is a plain failure (that key cannot
// have made the signature); a GOST curve this package lacks wraps ErrUnsupportedAlgorithm.
func verifyGOST(signer *x509.Certificate, alg asn1.ObjectIdentifier, signed, signature []byte) error {
	s, ok := schemeOfSignature(alg)
	if !ok {
		return fmt.Errorf("signature algorithm %s (%s): %w", alg, AlgorithmName(alg), ErrUnsupportedAlgorithm)
	}
	if !IsGOST(PublicKeyAlgorithmOID(signer)) {
		return fmt.Errorf("a %s signature cannot be made by the %s key of «%s»", s.name, PublicKeyAlgorithmName(signer), signer.Subject.CommonName)
	}
	pub, err := GOSTPublicKey(signer)
	if err != nil {
		return err
	}
	ks, err := schemeOfCurve(pub.Curve)
	if err != nil {
		return err
	}
	if ks != s {
		return fmt.Errorf("a %s key («%s») cannot make a %s signature", ks.name, signer.Subject.CommonName, s.name)
	}
	if want := 2 * pub.Curve.PointSize(); len(signature) != want {
		return fmt.Errorf("%s signature of %d bytes, want %d", s.name, len(signature), want)
	}
	digest, err := GOSTDigest(alg, signed)
	if err != nil {
		return err
	}
	if !gost3410.Verify(pub, digest, signature) {
		return fmt.Errorf("%s signature by «%s» does not verify", s.name, signer.Subject.CommonName)
	}
	return nil
}
