package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sync"

	// Register the hashes the default algorithms use.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Signature method URIs (XML-DSig, RFC 6931, and the ones KalkanCrypt uses).
const (
	RSASHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	RSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	RSASHA384   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	RSASHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	ECDSASHA1   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
	ECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	ECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	ECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

	// GOST, as KalkanCrypt names them (reference/gost.md §2.5). GOST2004 and GOST2015With512 are
	// in DefaultRegistry; GOST2015With256 is recognised but not registered (no real sample, and
	// Kalkan's xmldsig registers only the 512-bit 2015 methods), so it is refused as not
	// supported.
	GOST2004          = "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311"
	GOST2015With256   = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-256"
	GOST2015With512   = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512"
	DigestGOST34311   = "http://www.w3.org/2001/04/xmldsig-more#gost34311" // GOST R 34.11-94, test S-box
	DigestStreebog256 = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256"
	DigestStreebog512 = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512"
)

// Digest method URIs.
const (
	DigestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	DigestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	DigestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
)

// sha1Based are refused unless SHA-1 is allowed explicitly.
var sha1Based = map[string]bool{RSASHA1: true, ECDSASHA1: true, DigestSHA1: true}

// SignatureAlgorithm is a SignatureMethod: it checks and makes the SignatureValue over the
// canonical SignedInfo.
type SignatureAlgorithm interface {
	URI() string
	// Verify checks sig over signed with the public key of cert. A key of the wrong type is an
	// error; a key or parameter set the implementation cannot handle wraps
	// certs.ErrUnsupportedAlgorithm.
	Verify(cert *x509.Certificate, signed, sig []byte) error
	// Sign returns the SignatureValue over signed made with key.
	Sign(key crypto.Signer, signed []byte) ([]byte, error)
}

// DigestAlgorithm is a DigestMethod.
type DigestAlgorithm interface {
	URI() string
	New() hash.Hash
}

// Registry holds the algorithms a Verifier or signer may use, by URI. It is immutable: With*
// return extended copies, so one Registry can be shared freely.
type Registry struct {
	sig map[string]SignatureAlgorithm
	dig map[string]DigestAlgorithm
}

// NewRegistry returns a registry holding exactly the given algorithms.
func NewRegistry(sigs []SignatureAlgorithm, digests []DigestAlgorithm) *Registry {
	return (&Registry{}).WithSignature(sigs...).WithDigest(digests...)
}

var defaultRegistry = sync.OnceValue(func() *Registry {
	gostSigs, gostDigests := gostAlgorithms()
	return NewRegistry(
		append([]SignatureAlgorithm{
			RSAPKCS1v15(RSASHA1, crypto.SHA1), RSAPKCS1v15(RSASHA256, crypto.SHA256),
			RSAPKCS1v15(RSASHA384, crypto.SHA384), RSAPKCS1v15(RSASHA512, crypto.SHA512),
			ECDSA(ECDSASHA1, crypto.SHA1), ECDSA(ECDSASHA256, crypto.SHA256),
			ECDSA(ECDSASHA384, crypto.SHA384), ECDSA(ECDSASHA512, crypto.SHA512),
		}, gostSigs...),
		append([]DigestAlgorithm{
			Digest(DigestSHA1, crypto.SHA1), Digest(DigestSHA256, crypto.SHA256),
			Digest(DigestSHA384, crypto.SHA384), Digest(DigestSHA512, crypto.SHA512),
		}, gostDigests...))
})

// DefaultRegistry returns RSA PKCS#1 v1.5 and ECDSA with SHA-1/256/384/512 (SHA-1 still needs
// AllowSHA1) and the Kazakh GOST methods: GOST2004 (ГОСТ 34.310-2004 / 34.311-95) and
// GOST2015With512 (ГОСТ Р 34.10-2015 512 / Streebog-512), with the digests DigestGOST34311,
// DigestStreebog256 and DigestStreebog512. GOST2015With256 is not in it.
func DefaultRegistry() *Registry { return defaultRegistry() }

// WithSignature returns a copy of r that also holds algs (replacing any with the same URI).
func (r *Registry) WithSignature(algs ...SignatureAlgorithm) *Registry {
	n := r.clone()
	for _, a := range algs {
		n.sig[a.URI()] = a
	}
	return n
}

// WithDigest returns a copy of r that also holds algs (replacing any with the same URI).
func (r *Registry) WithDigest(algs ...DigestAlgorithm) *Registry {
	n := r.clone()
	for _, a := range algs {
		n.dig[a.URI()] = a
	}
	return n
}

func (r *Registry) clone() *Registry {
	n := &Registry{sig: make(map[string]SignatureAlgorithm, len(r.sig)+1), dig: make(map[string]DigestAlgorithm, len(r.dig)+1)}
	for k, v := range r.sig {
		n.sig[k] = v
	}
	for k, v := range r.dig {
		n.dig[k] = v
	}
	return n
}

// Signature returns the signature algorithm named uri.
func (r *Registry) Signature(uri string) (SignatureAlgorithm, bool) {
	a, ok := r.sig[uri]
	return a, ok
}

// Digest returns the digest algorithm named uri.
func (r *Registry) Digest(uri string) (DigestAlgorithm, bool) {
	a, ok := r.dig[uri]
	return a, ok
}

type stdDigest struct {
	uri string
	h   crypto.Hash
}

// Digest returns a DigestAlgorithm named uri computing h.
func Digest(uri string, h crypto.Hash) DigestAlgorithm { return stdDigest{uri, h} }

func (d stdDigest) URI() string    { return d.uri }
func (d stdDigest) New() hash.Hash { return d.h.New() }

type rsaPKCS1 struct {
	uri string
	h   crypto.Hash
}

// RSAPKCS1v15 returns the SignatureAlgorithm named uri: RSASSA-PKCS1-v1_5 with hash h.
func RSAPKCS1v15(uri string, h crypto.Hash) SignatureAlgorithm { return rsaPKCS1{uri, h} }

func (a rsaPKCS1) URI() string { return a.uri }

func (a rsaPKCS1) Verify(cert *x509.Certificate, signed, sig []byte) error {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%s needs an RSA key, the certificate has %v", a.uri, cert.PublicKeyAlgorithm)
	}
	return rsa.VerifyPKCS1v15(pub, a.h, digest(a.h, signed), sig)
}

func (a rsaPKCS1) Sign(key crypto.Signer, signed []byte) ([]byte, error) {
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, fail(CodeSignMethodMismatch, "%s needs an RSA key, got %T", a.uri, key.Public())
	}
	return key.Sign(rand.Reader, digest(a.h, signed), a.h)
}

type ecdsaAlg struct {
	uri string
	h   crypto.Hash
}

// ECDSA returns the SignatureAlgorithm named uri: ECDSA with hash h, the value encoded as XML-DSig
// requires (RFC 4050 / XML-DSig 1.1 §6.4.3): r‖s, each left-padded to the size of the curve order.
// ASN.1 DER values are refused.
func ECDSA(uri string, h crypto.Hash) SignatureAlgorithm { return ecdsaAlg{uri, h} }

func (a ecdsaAlg) URI() string { return a.uri }

func (a ecdsaAlg) Verify(cert *x509.Certificate, signed, sig []byte) error {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("%s needs an ECDSA key, the certificate has %v", a.uri, cert.PublicKeyAlgorithm)
	}
	n := (pub.Curve.Params().N.BitLen() + 7) / 8
	if len(sig) != 2*n {
		return fmt.Errorf("ECDSA signature value of %d bytes, want r‖s of %d", len(sig), 2*n)
	}
	r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
	if !ecdsa.Verify(pub, digest(a.h, signed), r, s) {
		return errors.New("ECDSA verification failure")
	}
	return nil
}

func (a ecdsaAlg) Sign(key crypto.Signer, signed []byte) ([]byte, error) {
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, fail(CodeSignMethodMismatch, "%s needs an ECDSA key, got %T", a.uri, key.Public())
	}
	der, err := key.Sign(rand.Reader, digest(a.h, signed), a.h)
	if err != nil {
		return nil, err
	}
	var v struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &v); err != nil || len(rest) != 0 {
		return nil, wrap(CodeSignFailed, err, "ECDSA signer returned a malformed value")
	}
	n := (pub.Curve.Params().N.BitLen() + 7) / 8
	if v.R == nil || v.S == nil || v.R.Sign() <= 0 || v.S.Sign() <= 0 || v.R.BitLen() > 8*n || v.S.BitLen() > 8*n {
		return nil, fail(CodeSignFailed, "ECDSA signer returned an out-of-range value")
	}
	out := make([]byte, 2*n)
	v.R.FillBytes(out[:n])
	v.S.FillBytes(out[n:])
	return out, nil
}

func digest(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}
