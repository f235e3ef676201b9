package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
)

// Kazakh GOST algorithm OIDs (НУЦ РК arc 1.2.398.3.10). See reference/gost.md.
var (
	// OIDGOST2004PublicKey is a ГОСТ 34.310-2004 public key.
	OIDGOST2004PublicKey = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1}
	// OIDGOST2004Signature is ГОСТ 34.310-2004 with ГОСТ 34.311-95.
	OIDGOST2004Signature = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 2}
	// OIDGOST2015PublicKey512 is a ГОСТ Р 34.10-2015 512-bit public key.
	OIDGOST2015PublicKey512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2}
	// OIDGOST2015Signature256 is ГОСТ Р 34.10-2015 256-bit with Streebog-256.
	OIDGOST2015Signature256 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 3, 1}
	// OIDGOST2015Signature512 is ГОСТ Р 34.10-2015 512-bit with Streebog-512.
	OIDGOST2015Signature512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 3, 2}
	// OIDGOST2015PublicKey256 is a ГОСТ Р 34.10-2015 256-bit public key (recognised, not
	// implemented: no real sample exists).
	OIDGOST2015PublicKey256 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 1}

	// OIDGOST2004Curve is the curve parameter of 34.310-2004 keys: CryptoPro-A (RFC 4357).
	OIDGOST2004Curve = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1, 1}
	// OIDGOST2015Curve512 is the curve parameter of 2015 512-bit keys: TC26-512-A (RFC 7836).
	OIDGOST2015Curve512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2, 1}
	// OIDGOST34311Params is the hash parameter of 34.310-2004 keys: ГОСТ 34.311-95 with the test
	// S-box.
	OIDGOST34311Params = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 1, 1, 0}
	// Digest algorithm OIDs (CMS): ГОСТ 34.311-95, Streebog-256, Streebog-512.
	OIDGOST34311   = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 1}
	OIDStreebog256 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 2}
	OIDStreebog512 = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 3}

	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
)

var algNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{OIDSHA256WithRSA, "RSA-SHA256"},
	{OIDSHA384WithRSA, "RSA-SHA384"},
	{OIDSHA512WithRSA, "RSA-SHA512"},
	{OIDSHA1WithRSA, "RSA-SHA1"},
	{OIDECDSAWithSHA256, "ECDSA-SHA256"},
	{OIDECDSAWithSHA384, "ECDSA-SHA384"},
	{OIDECDSAWithSHA512, "ECDSA-SHA512"},
	{OIDEd25519, "Ed25519"},
	{OIDGOST2004Signature, "GOST 34.310-2004"},
	{OIDGOST2015Signature256, "GOST R 34.10-2015 256"},
	{OIDGOST2015Signature512, "GOST R 34.10-2015 512"},
	{OIDGOST2004PublicKey, "GOST 34.310-2004"},
	{OIDGOST2015PublicKey512, "GOST R 34.10-2015 512"},
	{OIDGOST2015PublicKey256, "GOST R 34.10-2015 256"},
	{oidRSAEncryption, "RSA"},
	{oidECPublicKey, "ECDSA"},
}

// AlgorithmName returns a readable name for a signature or public-key algorithm OID, or the dotted
// OID itself when it is unknown.
func AlgorithmName(oid asn1.ObjectIdentifier) string {
	for _, a := range algNames {
		if a.oid.Equal(oid) {
			return a.name
		}
	}
	return oid.String()
}

// PublicKeyAlgorithmOID returns the algorithm OID of the certificate's SubjectPublicKeyInfo. It
// works for keys that crypto/x509 does not understand (GOST), whose PublicKey field is nil.
func PublicKeyAlgorithmOID(c *x509.Certificate) asn1.ObjectIdentifier {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	return spki.Algorithm.Algorithm
}

// PublicKeyAlgorithmName names the certificate's key algorithm ("RSA", "GOST R 34.10-2015 512", …).
func PublicKeyAlgorithmName(c *x509.Certificate) string {
	oid := PublicKeyAlgorithmOID(c)
	if oid == nil {
		return "unknown"
	}
	return AlgorithmName(oid)
}

// SignatureAlgorithmOID returns the OID of the algorithm the certificate was signed with.
func SignatureAlgorithmOID(c *x509.Certificate) asn1.ObjectIdentifier {
	_, alg, _, err := SignedParts(c.Raw)
	if err != nil {
		return nil
	}
	return alg.Algorithm
}

// IsGOST reports whether oid names one of the Kazakh GOST algorithms.
func IsGOST(oid asn1.ObjectIdentifier) bool {
	kz := asn1.ObjectIdentifier{1, 2, 398, 3, 10}
	return len(oid) > len(kz) && oid[:len(kz)].Equal(kz)
}
