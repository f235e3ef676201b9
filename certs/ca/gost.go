package ca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gost/gost3410"
)

// Names of the GOST hierarchy, in the style of НУЦ's «НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022» →
// «ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022».
const (
	GOSTRootName      = "НЕГІЗГІ КО SHEP TEST (GOST)"
	GOSTIssuingName   = "ҰКО SHEP (GOST TEST)"
	GOSTResponderName = "СЕРВИС ПРОВЕРКИ ОНЛАЙН СТАТУСА СЕРТИФИКАТА SHEP TEST (GOST)"
)

// Algorithm is the key and signature algorithm of a certificate, which also chooses the hierarchy
// that issues it.
type Algorithm string

// Algorithms the test НУЦ issues.
const (
	AlgorithmRSA      Algorithm = "rsa"      // RSA key, sha256WithRSAEncryption by «ҰКО SHEP (RSA TEST)»
	AlgorithmGOST2015 Algorithm = "gost2015" // GOST R 34.10-2015 512-bit key (TC26-512-A), signed by «ҰКО SHEP (GOST TEST)»
)

// Algorithms lists every Algorithm, for flag help and validation.
var Algorithms = []Algorithm{AlgorithmRSA, AlgorithmGOST2015}

// ParseAlgorithm reads "rsa" or "gost2015" ("" is rsa).
func ParseAlgorithm(s string) (Algorithm, error) {
	switch Algorithm(s) {
	case "", AlgorithmRSA:
		return AlgorithmRSA, nil
	case AlgorithmGOST2015:
		return AlgorithmGOST2015, nil
	}
	return "", fmt.Errorf("algorithm %q: want rsa or gost2015", s)
}

// gostDir is the subdirectory of the GOST hierarchy: root, ca and ocsp .crt/.key, and crl/.
const gostDir = "gost"

// gostHierarchy is the GOST root, its issuing CA and the issuing CA's OCSP responder. The
// responder is the RSA hierarchy's OCSP service, its RSA key certified by the GOST CA too (a
// delegated responder certificate signed with GOST): one service answers for both CAs, and OCSP
// answers about GOST certificates are signed by the same code as the RSA ones.
type gostHierarchy struct {
	root, ca, responder *x509.Certificate
	rootKey, caKey      *gost3410.PrivateKey
	responderKey        crypto.Signer
}

// gostFiles are the files of a complete hierarchy, in the order they are written (the responder's
// key is the RSA responder's ocsp.key).
var gostFiles = []string{"root.key", "root.crt", "ca.key", "ca.crt", "ocsp.crt"}

// EnsureGOST makes the GOST hierarchy available: it is loaded when another process created it,
// and created now (under the directory lock, once) in a data directory that predates it.
// Every GOST operation (Issue with AlgorithmGOST2015, the GOST CRLs and OCSP answers) does this
// itself; callers that need GOSTRoot or GOSTIssuing call it first.
func (a *Authority) EnsureGOST(ctx context.Context) error {
	_, err := a.ensureGOST(ctx, true)
	return err
}

// ensureGOST returns the GOST hierarchy, loading it from disk or (when create is set) creating
// it. Without create, a missing hierarchy yields nil and no error.
func (a *Authority) ensureGOST(ctx context.Context, create bool) (*gostHierarchy, error) {
	if h := a.gost.Load(); h != nil {
		return h, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if h := a.gost.Load(); h != nil {
		return h, nil
	}
	lk, err := lockDir(a.opts.Dir, create)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	defer lk.unlock()
	h, err := a.loadGOST()
	switch {
	case err == nil:
		a.gost.Store(h)
		return h, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("ca: GOST hierarchy: %w", err)
	case !create:
		return nil, nil
	}
	if err := a.refreshLocked(); err != nil {
		return nil, err
	}
	if h, err = a.createGOST(ctx, a.st.BaseURL); err != nil {
		return nil, fmt.Errorf("ca: create the GOST hierarchy: %w", err)
	}
	a.gost.Store(h)
	return h, nil
}

// loadGOST reads the GOST hierarchy; an error wrapping fs.ErrNotExist means it is not (completely)
// there. The caller holds the file lock.
func (a *Authority) loadGOST() (*gostHierarchy, error) {
	for _, f := range gostFiles {
		if _, err := os.Stat(a.path(filepath.Join(gostDir, f))); err != nil {
			return nil, err
		}
	}
	h := &gostHierarchy{}
	var err error
	gostKey := func(name string) *gost3410.PrivateKey {
		k, e := readKeyFile(a.path(filepath.Join(gostDir, name)))
		if e != nil {
			err = errors.Join(err, e)
			return nil
		}
		g, ok := k.(*gost3410.PrivateKey)
		if !ok {
			err = errors.Join(err, fmt.Errorf("%s: a %T, not a GOST key", name, k))
		}
		return g
	}
	cert := func(name string) *x509.Certificate {
		c, e := readCertFile(a.path(filepath.Join(gostDir, name)))
		err = errors.Join(err, e)
		return c
	}
	h.root, h.rootKey = cert("root.crt"), gostKey("root.key")
	h.ca, h.caKey = cert("ca.crt"), gostKey("ca.key")
	h.responder, h.responderKey = cert("ocsp.crt"), a.responderKey
	if err != nil {
		return nil, err
	}
	return h, nil
}

// createGOST makes and stores the GOST root, issuing CA and OCSP responder; the caller holds the
// exclusive lock. Files are written in gostFiles order, so a crash leaves an incomplete set that
// the next ensureGOST replaces (no certificate can have been issued from it).
func (a *Authority) createGOST(ctx context.Context, base string) (*gostHierarchy, error) {
	if err := os.MkdirAll(a.path(filepath.Join(gostDir, "crl")), 0o700); err != nil {
		return nil, err
	}
	caFrom := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	now := a.opts.Now()
	h := &gostHierarchy{}
	var err error
	curve := gost3410.TC26512A()
	if h.rootKey, err = gost3410.GenerateKey(curve, rand.Reader); err != nil {
		return nil, err
	}
	if h.caKey, err = gost3410.GenerateKey(curve, rand.Reader); err != nil {
		return nil, err
	}
	h.responderKey = a.responderKey
	ncaPolicy, err := policiesExtension(certs.OIDPolicyNCA)
	if err != nil {
		return nil, err
	}
	rootTmpl := &x509.Certificate{
		Subject:               pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCN, Value: GOSTRootName}, {Type: oidCountry, Value: "KZ"}}},
		NotBefore:             caFrom,
		NotAfter:              now.AddDate(30, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
		ExtraExtensions:       []pkix.Extension{ncaPolicy},
	}
	if h.root, err = signGOST(rootTmpl, &h.rootKey.PublicKey, nil, h.rootKey); err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCountry, Value: "KZ"}, {Type: oidCN, Value: GOSTIssuingName}}},
		NotBefore:             caFrom,
		NotAfter:              now.AddDate(25, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		CRLDistributionPoints: []string{base + "/" + gostDir + "/crl/root.crl"},
		IssuingCertificateURL: []string{base + "/" + gostDir + "/root.crt"},
		ExtraExtensions:       []pkix.Extension{ncaPolicy},
	}
	if h.ca, err = signGOST(caTmpl, &h.caKey.PublicKey, h.root, h.rootKey); err != nil {
		return nil, fmt.Errorf("issuing CA: %w", err)
	}
	respTmpl := &x509.Certificate{
		Subject:               pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCountry, Value: "KZ"}, {Type: oidCN, Value: GOSTResponderName}}},
		NotBefore:             caFrom,
		NotAfter:              h.ca.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{{Id: oidExtOCSPNoCheck, Value: asn1NULL}},
	}
	if h.responder, err = signGOST(respTmpl, h.responderKey.Public(), h.ca, h.caKey); err != nil {
		return nil, fmt.Errorf("OCSP responder: %w", err)
	}
	for _, f := range []struct {
		name string
		cert *x509.Certificate
		key  crypto.Signer
	}{{"root", h.root, h.rootKey}, {"ca", h.ca, h.caKey}, {"ocsp", h.responder, nil}} {
		if f.key != nil {
			kb, err := pemKey(f.key)
			if err != nil {
				return nil, err
			}
			if err := writeFileAtomic(a.path(filepath.Join(gostDir, f.name+".key")), kb, 0o600); err != nil {
				return nil, err
			}
		}
		if err := writeFileAtomic(a.path(filepath.Join(gostDir, f.name+".crt")), pemCert(f.cert), 0o644); err != nil {
			return nil, err
		}
	}
	a.opts.Logger.InfoContext(ctx, "GOST hierarchy of the test НУЦ created", "dir", a.path(gostDir), "root", GOSTRootName, "issuing", GOSTIssuingName)
	return h, nil
}

// GOSTRoot returns the GOST root certificate, or nil while the hierarchy is not loaded (see
// EnsureGOST).
func (a *Authority) GOSTRoot() *x509.Certificate {
	if h := a.gost.Load(); h != nil {
		return h.root
	}
	return nil
}

// GOSTIssuing returns the GOST issuing CA certificate, or nil while the hierarchy is not loaded.
func (a *Authority) GOSTIssuing() *x509.Certificate {
	if h := a.gost.Load(); h != nil {
		return h.ca
	}
	return nil
}

// GOSTResponder returns the delegated OCSP responder certificate of the GOST issuing CA (the RSA
// responder's key, certified by the GOST CA), or nil while the hierarchy is not loaded.
func (a *Authority) GOSTResponder() *x509.Certificate {
	if h := a.gost.Load(); h != nil {
		return h.responder
	}
	return nil
}

// GOSTChainPEM returns the GOST issuing CA then the GOST root, PEM-encoded, creating the
// hierarchy if needed.
func (a *Authority) GOSTChainPEM(ctx context.Context) ([]byte, error) {
	h, err := a.ensureGOST(ctx, true)
	if err != nil {
		return nil, err
	}
	return append(pemCert(h.ca), pemCert(h.root)...), nil
}

// Anchors returns the roots of the hierarchies loaded: the RSA root, then the GOST root once it is
// loaded (see EnsureGOST).
func (a *Authority) Anchors() []*x509.Certificate {
	out := []*x509.Certificate{a.root}
	if h := a.gost.Load(); h != nil {
		out = append(out, h.root)
	}
	return out
}

// Intermediates returns the issuing CAs of the hierarchies loaded, RSA first.
func (a *Authority) Intermediates() []*x509.Certificate {
	out := []*x509.Certificate{a.ca}
	if h := a.gost.Load(); h != nil {
		out = append(out, h.ca)
	}
	return out
}

// CRLKinds returns the CRLs of the hierarchies loaded: full, delta and root of the RSA one, then
// those of the GOST one once it is loaded.
func (a *Authority) CRLKinds() []CRLKind {
	out := []CRLKind{CRLFull, CRLDelta, CRLRoot}
	if a.gost.Load() != nil {
		out = append(out, CRLGOSTFull, CRLGOSTDelta, CRLGOSTRoot)
	}
	return out
}

// gostSigAlg is the signatureAlgorithm of GOST certificates and CRLs, exactly as НУЦ writes it:
// SEQUENCE { 1.2.398.3.10.1.1.2.3.2, NULL }.
func gostSigAlg(pub *gost3410.PublicKey) (asn1.ObjectIdentifier, []byte, error) {
	oid, err := certs.GOSTSignatureOID(pub)
	if err != nil {
		return nil, nil, err
	}
	b, err := asn1.Marshal(pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue})
	return oid, b, err
}

// marshalSPKI encodes a SubjectPublicKeyInfo of a GOST or a crypto/x509 key.
func marshalSPKI(pub crypto.PublicKey) ([]byte, error) {
	if g, ok := pub.(*gost3410.PublicKey); ok {
		return certs.MarshalGOSTPublicKeyInfo(g)
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// keyIDFromSPKI is the RFC 5280 method-1 key identifier: SHA-1 of the subjectPublicKey bits.
func keyIDFromSPKI(spki []byte) ([]byte, error) {
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if rest, err := asn1.Unmarshal(spki, &info); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("malformed SubjectPublicKeyInfo: %v", err)
	}
	h := sha1.Sum(info.Key.Bytes)
	return h[:subjectKeyIDHashedLen], nil
}

// signGOST issues tmpl for pub (a GOST or crypto/x509 key), signed with GOST R 34.10-2015 by
// parent/parentKey (self-signed when parent is nil). crypto/x509 can neither embed a GOST key nor
// sign with one, so it encodes a template certificate (names, validity, extensions) for a
// throwaway ECDSA key; the TBSCertificate is then rebuilt with the GOST signature algorithm and
// subjectPublicKeyInfo, hashed with Streebog-512 and signed (r_LE ‖ s_LE, as НУЦ writes it).
func signGOST(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey *gost3410.PrivateKey) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	spki, err := marshalSPKI(pub)
	if err != nil {
		return nil, fmt.Errorf("subject public key: %w", err)
	}
	if tmpl.SubjectKeyId, err = keyIDFromSPKI(spki); err != nil {
		return nil, err
	}
	sigOID, algID, err := gostSigAlg(&parentKey.PublicKey)
	if err != nil {
		return nil, err
	}
	// The template's issuer: the parent's name and key identifier, without its (GOST) key.
	issuer := tmpl
	if parent != nil {
		issuer = &x509.Certificate{RawSubject: parent.RawSubject, SubjectKeyId: parent.SubjectKeyId}
	} else {
		tmpl.AuthorityKeyId = tmpl.SubjectKeyId // as НУЦ's roots carry one
	}
	throwaway, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, throwaway.Public(), throwaway)
	if err != nil {
		return nil, err
	}
	// TBSCertificate: version, serialNumber, signature (2), issuer, validity, subject,
	// subjectPublicKeyInfo (6), extensions.
	tbs, err := rebuildTBS(der, map[int][]byte{2: algID, 6: spki})
	if err != nil {
		return nil, err
	}
	signed, err := signTBSGOST(tbs, sigOID, algID, parentKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(signed)
}

// signGOSTCRL signs a CRL with GOST R 34.10-2015 by issuer/key, encoded like signGOST: crypto/x509
// writes it for a throwaway key, then the TBSCertList gets the GOST signature algorithm.
func signGOSTCRL(tmpl *x509.RevocationList, issuer *x509.Certificate, key *gost3410.PrivateKey) ([]byte, error) {
	sigOID, algID, err := gostSigAlg(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	throwaway, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	stand := &x509.Certificate{RawSubject: issuer.RawSubject, SubjectKeyId: issuer.SubjectKeyId, KeyUsage: x509.KeyUsageCRLSign}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, stand, throwaway)
	if err != nil {
		return nil, err
	}
	// TBSCertList: version, signature (1), issuer, thisUpdate, nextUpdate, revokedCertificates,
	// crlExtensions.
	tbs, err := rebuildTBS(der, map[int][]byte{1: algID})
	if err != nil {
		return nil, err
	}
	return signTBSGOST(tbs, sigOID, algID, key)
}

// rebuildTBS takes the first element (the TBS SEQUENCE) of a signed DER structure and returns it
// with the elements at the given positions replaced by the given DER.
func rebuildTBS(signed []byte, replace map[int][]byte) ([]byte, error) {
	in := cryptobyte.String(signed)
	var outer, tbs cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("ca: malformed template structure")
	}
	var b cryptobyte.Builder
	seen := 0
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i := 0; !tbs.Empty(); i++ {
			var el cryptobyte.String
			if !tbs.ReadAnyASN1Element(&el, nil) {
				b.SetError(errors.New("ca: malformed template TBS"))
				return
			}
			if r, ok := replace[i]; ok {
				b.AddBytes(r)
				seen++
			} else {
				b.AddBytes(el)
			}
		}
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	if seen != len(replace) {
		return nil, errors.New("ca: template TBS is shorter than expected")
	}
	return out, nil
}

// signTBSGOST hashes and signs tbs and returns SEQUENCE { tbs, algID, BIT STRING signature }.
func signTBSGOST(tbs []byte, sigOID asn1.ObjectIdentifier, algID []byte, key *gost3410.PrivateKey) ([]byte, error) {
	digest, err := certs.GOSTDigest(sigOID, tbs)
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(rand.Reader, digest, nil)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(algID)
		b.AddASN1BitString(sig)
	})
	return b.Bytes()
}
