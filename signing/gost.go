package signing

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"hash"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/gost/gost341194"
	"github.com/shep-kz/shep/gost/streebog"
)

// The Kazakh GOST methods of KalkanCrypt (reference/gost.md §2.5). The SignatureValue is the same
// byte string as an X.509 signatureValue of the same algorithm: r_LE ‖ s_LE over the hash of the
// canonical SignedInfo, the hash read as a little-endian integer. Verification therefore goes
// through certs.StdVerifier, the code that checks GOST certificates and CRLs.

type gostAlg struct {
	uri    string
	sigOID asn1.ObjectIdentifier
}

// GOSTR3410 returns the SignatureAlgorithm named uri that signs and verifies as the X.509
// signature algorithm sigOID (certs.OIDGOST2004Signature: ГОСТ 34.310-2004 with ГОСТ 34.311-95;
// certs.OIDGOST2015Signature512: ГОСТ Р 34.10-2015 512 with Streebog-512). DefaultRegistry holds
// GOSTR3410(GOST2004, certs.OIDGOST2004Signature) and GOSTR3410(GOST2015With512,
// certs.OIDGOST2015Signature512).
func GOSTR3410(uri string, sigOID asn1.ObjectIdentifier) SignatureAlgorithm {
	return gostAlg{uri: uri, sigOID: sigOID}
}

func (a gostAlg) URI() string { return a.uri }

// Verify checks sig with the certificate's GOST key. A non-GOST key, or a GOST key on another
// curve than the method's, is an error (that key did not sign); a GOST curve that is not
// implemented wraps certs.ErrUnsupportedAlgorithm.
func (a gostAlg) Verify(cert *x509.Certificate, signed, sig []byte) error {
	return certs.StdVerifier{}.VerifySignature(cert, a.sigOID, signed, sig)
}

// Sign signs with a *gost3410.PrivateKey (or any crypto.Signer whose public key is a
// *gost3410.PublicKey and which signs a GOST digest) on the method's curve.
func (a gostAlg) Sign(key crypto.Signer, signed []byte) ([]byte, error) {
	pub, ok := key.Public().(*gost3410.PublicKey)
	if !ok {
		return nil, fail(CodeSignMethodMismatch, "%s needs a GOST key, got %T", a.uri, key.Public())
	}
	oid, err := certs.GOSTSignatureOID(pub)
	if err != nil {
		return nil, err
	}
	if !oid.Equal(a.sigOID) {
		return nil, fail(CodeSignMethodMismatch, "%s needs a %s key, got a %s one", a.uri, certs.AlgorithmName(a.sigOID), certs.AlgorithmName(oid))
	}
	digest, err := certs.GOSTDigest(a.sigOID, signed)
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(rand.Reader, digest, crypto.Hash(0))
	if err != nil {
		return nil, err
	}
	if len(sig) != 2*pub.Curve.PointSize() {
		return nil, fail(CodeSignFailed, "GOST signer returned %d bytes, want r‖s of %d", len(sig), 2*pub.Curve.PointSize())
	}
	return sig, nil
}

type funcDigest struct {
	uri string
	f   func() hash.Hash
}

// HashDigest returns a DigestAlgorithm named uri computing newHash (for hashes outside
// crypto.Hash, such as the GOST ones).
func HashDigest(uri string, newHash func() hash.Hash) DigestAlgorithm {
	return funcDigest{uri, newHash}
}

func (d funcDigest) URI() string    { return d.uri }
func (d funcDigest) New() hash.Hash { return d.f() }

func newGOST34311() hash.Hash { return gost341194.New(gost341194.TestParamSet) }

// gostAlgorithms are the GOST methods of DefaultRegistry.
func gostAlgorithms() ([]SignatureAlgorithm, []DigestAlgorithm) {
	return []SignatureAlgorithm{
			GOSTR3410(GOST2004, certs.OIDGOST2004Signature),
			GOSTR3410(GOST2015With512, certs.OIDGOST2015Signature512),
		}, []DigestAlgorithm{
			HashDigest(DigestGOST34311, newGOST34311),
			HashDigest(DigestStreebog256, streebog.New256),
			HashDigest(DigestStreebog512, streebog.New512),
		}
}

// gostMethods returns the signature and digest methods KalkanCrypt uses for a GOST key.
func gostMethods(pub *gost3410.PublicKey) (method, digest string, err error) {
	oid, err := certs.GOSTSignatureOID(pub)
	if err != nil {
		return "", "", err
	}
	switch {
	case oid.Equal(certs.OIDGOST2004Signature):
		return GOST2004, DigestGOST34311, nil
	case oid.Equal(certs.OIDGOST2015Signature512):
		return GOST2015With512, DigestStreebog512, nil
	}
	return "", "", fmt.Errorf("GOST signature %s: %w", oid, certs.ErrUnsupportedAlgorithm)
}

// defaultDigest is the DigestMethod that goes with a SignatureMethod when none is given.
func defaultDigest(method string) string {
	switch method {
	case GOST2004:
		return DigestGOST34311
	case GOST2015With512:
		return DigestStreebog512
	case GOST2015With256:
		return DigestStreebog256
	}
	return DigestSHA256
}

// certPublicKey returns the public key of cert, GOST keys included (crypto/x509 leaves them nil).
func certPublicKey(cert *x509.Certificate, key crypto.PublicKey) crypto.PublicKey {
	if _, ok := key.(*gost3410.PublicKey); ok {
		if pub, err := certs.GOSTPublicKey(cert); err == nil {
			return pub
		}
		return nil
	}
	return cert.PublicKey
}
