package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrUnsupportedAlgorithm is returned (wrapped) when a signature or public-key algorithm is not
// implemented. Callers must treat it as a rejection, never as a pass.
var ErrUnsupportedAlgorithm = errors.New("algorithm not supported")

// SignatureVerifier checks that signature over signed was made with the private key matching the
// public key of signer, using the algorithm named by alg (the AlgorithmIdentifier OID of the
// signature, as found in a certificate, CRL or OCSP response).
type SignatureVerifier interface {
	VerifySignature(signer *x509.Certificate, alg asn1.ObjectIdentifier, signed, signature []byte) error
}

// Signature algorithm OIDs that the standard library verifies.
var (
	OIDSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	OIDSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	OIDSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	OIDSHA1WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	OIDECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	OIDECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	OIDECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	OIDEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
)

var stdSigAlgs = []struct {
	oid asn1.ObjectIdentifier
	alg x509.SignatureAlgorithm
}{
	{OIDSHA256WithRSA, x509.SHA256WithRSA},
	{OIDSHA384WithRSA, x509.SHA384WithRSA},
	{OIDSHA512WithRSA, x509.SHA512WithRSA},
	{OIDECDSAWithSHA256, x509.ECDSAWithSHA256},
	{OIDECDSAWithSHA384, x509.ECDSAWithSHA384},
	{OIDECDSAWithSHA512, x509.ECDSAWithSHA512},
	{OIDEd25519, x509.PureEd25519},
}

// StdVerifier verifies the signature algorithms of crypto/x509 (RSA PKCS#1 v1.5 with SHA-2, ECDSA,
// Ed25519) and the Kazakh GOST ones НУЦ РК uses:
//
//   - OIDGOST2004Signature: ГОСТ 34.310-2004 on CryptoPro-A, hash ГОСТ 34.311-95 (GOST R 34.11-94
//     with the test S-box) of the signed bytes;
//   - OIDGOST2015Signature512: ГОСТ Р 34.10-2015 on TC26-512-A, hash Streebog-512.
//
// A GOST signature value is r_LE ‖ s_LE and the digest is read as a little-endian integer (see
// package gost3410). The signer's key must be on the curve the signature algorithm requires: a
// 2004 key under a 2015 signature OID, or a non-GOST key under a GOST OID, does not verify.
// Everything else — SHA-1, the 256-bit 2015 GOST, unknown OIDs — yields ErrUnsupportedAlgorithm.
type StdVerifier struct{}

// VerifySignature implements SignatureVerifier.
func (StdVerifier) VerifySignature(signer *x509.Certificate, alg asn1.ObjectIdentifier, signed, signature []byte) error {
	if signer == nil {
		return errors.New("no signer certificate")
	}
	if _, ok := schemeOfSignature(alg); ok {
		return verifyGOST(signer, alg, signed, signature)
	}
	for _, a := range stdSigAlgs {
		if a.oid.Equal(alg) {
			if signer.PublicKey == nil {
				return fmt.Errorf("signer key %s: %w", PublicKeyAlgorithmName(signer), ErrUnsupportedAlgorithm)
			}
			if err := signer.CheckSignature(a.alg, signed, signature); err != nil {
				return fmt.Errorf("signature by %q: %w", signer.Subject.CommonName, err)
			}
			return nil
		}
	}
	return fmt.Errorf("signature algorithm %s (%s): %w", alg, AlgorithmName(alg), ErrUnsupportedAlgorithm)
}

// SignedParts splits a DER SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } (a certificate or a
// CRL) into the signed bytes, the signature algorithm and the signature value.
func SignedParts(der []byte) (tbs []byte, alg pkix.AlgorithmIdentifier, sig []byte, err error) {
	in := cryptobyte.String(der)
	var outer, tbsRaw, algRaw cryptobyte.String
	var bits asn1.BitString
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.ReadASN1Element(&tbsRaw, cbasn1.SEQUENCE) ||
		!outer.ReadASN1Element(&algRaw, cbasn1.SEQUENCE) {
		return nil, alg, nil, errors.New("malformed signed structure")
	}
	if _, err := asn1.Unmarshal(algRaw, &alg); err != nil {
		return nil, alg, nil, fmt.Errorf("malformed signature algorithm: %w", err)
	}
	if !outer.ReadASN1BitString(&bits) || bits.BitLength%8 != 0 {
		return nil, alg, nil, errors.New("malformed signature value")
	}
	return tbsRaw, alg, bits.Bytes, nil
}

// CheckCertificateSignature checks that child was signed by parent's key with v.
func CheckCertificateSignature(v SignatureVerifier, child, parent *x509.Certificate) error {
	tbs, alg, sig, err := SignedParts(child.Raw)
	if err != nil {
		return err
	}
	return v.VerifySignature(parent, alg.Algorithm, tbs, sig)
}

// CheckCRLSignature checks that crl was signed by issuer's key with v.
func CheckCRLSignature(v SignatureVerifier, crl *x509.RevocationList, issuer *x509.Certificate) error {
	tbs, alg, sig, err := SignedParts(crl.Raw)
	if err != nil {
		return err
	}
	return v.VerifySignature(issuer, alg.Algorithm, tbs, sig)
}
