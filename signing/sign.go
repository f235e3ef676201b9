package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/signing/c14n"
)

// SignOptions configure SignWSSE and SignEnveloped. The zero value signs as ШЭП clients do.
type SignOptions struct {
	// SignatureMethod defaults by key: rsa-sha256 for RSA, ecdsa-sha256/384/512 for P-256/384/521,
	// GOST2004 for a ГОСТ 34.310-2004 key and GOST2015With512 for a GOST 2015 512-bit key
	// (*gost3410.PrivateKey).
	SignatureMethod string
	// DigestMethod defaults by SignatureMethod: DigestGOST34311 with GOST2004, DigestStreebog512
	// with GOST2015With512, sha256 otherwise.
	DigestMethod string
	// Canonicalization is used for SignedInfo and as the Reference's transform (default exc-c14n).
	Canonicalization string
	// NCALayer (SignEnveloped only) produces the NCALayer/KalkanCrypt layout: CanonicalizationMethod
	// C14N 1.0, transforms enveloped-signature + C14N 1.0 #WithComments.
	NCALayer bool
	// BodyID (SignWSSE only) is the wsu:Id given to a Body that has no ID (default "id-<uuid>").
	BodyID   string
	Registry *Registry
	Limits   Limits
}

// signer holds what both layouts need to build a signature.
type signer struct {
	key     crypto.Signer
	cert    *x509.Certificate
	sig     SignatureAlgorithm
	dig     DigestAlgorithm
	siC14N  c14n.Method
	refC14N c14n.Method
}

func newSigner(key crypto.Signer, cert *x509.Certificate, opts SignOptions, defaultC14N, defaultTransform string) (*signer, error) {
	if key == nil || cert == nil {
		return nil, fail(CodeSignNoKey, "a key and its certificate are required")
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if certKey := certPublicKey(cert, key.Public()); !ok || certKey == nil || !pub.Equal(certKey) {
		return nil, fail(CodeSignCertMismatch, "the certificate does not match the key")
	}
	reg := opts.Registry
	if reg == nil {
		reg = DefaultRegistry()
	}
	method := opts.SignatureMethod
	if method == "" {
		switch k := key.Public().(type) {
		case *rsa.PublicKey:
			method = RSASHA256
		case *ecdsa.PublicKey:
			switch k.Curve {
			case elliptic.P256():
				method = ECDSASHA256
			case elliptic.P384():
				method = ECDSASHA384
			case elliptic.P521():
				method = ECDSASHA512
			}
		case *gost3410.PublicKey:
			m, _, err := gostMethods(k)
			if err != nil {
				return nil, wrap(CodeAlgorithmNotSupported, err, "cannot sign with a GOST key on curve %q", k.Curve.Name)
			}
			method = m
		}
	}
	digestMethod := opts.DigestMethod
	if digestMethod == "" {
		digestMethod = defaultDigest(method)
	}
	sa, ok := reg.Signature(method)
	if !ok || sha1Based[method] {
		return nil, wrap(CodeAlgorithmNotSupported, certs.ErrUnsupportedAlgorithm, "cannot sign with %q (key %T)", method, key.Public())
	}
	da, ok := reg.Digest(digestMethod)
	if !ok || sha1Based[digestMethod] {
		return nil, wrap(CodeAlgorithmNotSupported, certs.ErrUnsupportedAlgorithm, "cannot digest with %q", digestMethod)
	}
	s := &signer{key: key, cert: cert, sig: sa, dig: da}
	siURI, refURI := defaultC14N, defaultTransform
	if opts.Canonicalization != "" {
		siURI, refURI = opts.Canonicalization, opts.Canonicalization
	}
	var ok1, ok2 bool
	s.siC14N, ok1 = c14n.MethodOf(siURI)
	s.refC14N, ok2 = c14n.MethodOf(refURI)
	if !ok1 || !ok2 {
		return nil, fail(CodeSigTransform, "canonicalization %q is not supported", opts.Canonicalization)
	}
	return s, nil
}

// signatureElement appends to parent a ds:Signature with one Reference to uri over target (minus
// omit), signs it and returns it. KeyInfo is left to the caller.
func (s *signer) signatureElement(parent *etree.Element, uri string, enveloped bool, target *etree.Element, omit func(*etree.Element) bool, lim Limits) (*etree.Element, error) {
	sig := parent.CreateElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDSig)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", s.siC14N.URI())
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", s.sig.URI())
	ref := si.CreateElement("ds:Reference")
	ref.CreateAttr("URI", uri)
	ts := ref.CreateElement("ds:Transforms")
	if enveloped {
		ts.CreateElement("ds:Transform").CreateAttr("Algorithm", TransformEnveloped)
	}
	ts.CreateElement("ds:Transform").CreateAttr("Algorithm", s.refC14N.URI())
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", s.dig.URI())
	dv := ref.CreateElement("ds:DigestValue")

	if omit == nil {
		omit = func(e *etree.Element) bool { return e == sig }
	}
	opts := c14n.Options{Method: s.refC14N, Omit: omit}
	opts.WithComments = false // a same-document reference never includes comments
	canon, _, err := canonicalize(target, opts, lim, false)
	if err != nil {
		return nil, err
	}
	h := s.dig.New()
	h.Write(canon)
	dv.SetText(base64.StdEncoding.EncodeToString(h.Sum(nil)))

	signed, _, err := canonicalize(si, c14n.Options{Method: s.siC14N}, lim, false)
	if err != nil {
		return nil, err
	}
	value, err := s.sig.Sign(s.key, signed)
	if err != nil {
		return nil, signFailure(err)
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	return sig, nil
}

// signFailure gives a code to an error of SignatureAlgorithm.Sign: its own when it has one (a
// method that does not fit the key), ALGORITHM_NOT_SUPPORTED for a key or parameter set that is not
// implemented, SIGN_FAILED for anything else (the key's signer failed).
func signFailure(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, certs.ErrUnsupportedAlgorithm):
		return wrap(CodeAlgorithmNotSupported, err, "cannot sign")
	}
	return wrap(CodeSignFailed, err, "the key did not sign")
}

// serialize writes doc as an XML declaration followed by the inclusive canonical form (with
// comments) of its root: every namespace in scope stays in scope and every value is escaped, so
// that a re-parse canonicalizes to exactly what was signed.
func serialize(root *etree.Element) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := c14n.Write(&buf, root, c14n.Options{Method: c14n.Method{WithComments: true}}); err != nil {
		return nil, wrap(CodeXMLMalformed, err, "cannot serialize the signed document")
	}
	// A tree built in memory (SignWSSEDocument) can hold what XML cannot: refuse to emit it.
	if i := notXMLChar(buf.Bytes()); i >= 0 {
		return nil, fail(CodeXMLMalformed, "the signed document would hold a byte sequence that is not an XML character, at offset %d", i)
	}
	return buf.Bytes(), nil
}

// notXMLChar returns the offset of the first invalid UTF-8 sequence or character outside XML 1.0's
// Char production (tab, newline, carriage return, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and up), or
// -1 if there is none.
func notXMLChar(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return i
		}
		i += n
	}
	return -1
}

// SignWSSE signs a SOAP envelope as ШЭП clients do (anchors §1.7): the Body gets a wsu:Id (unless
// it has a wsu:Id or Id), a Header is created if absent, and a wsse:Security header with
// mustUnderstand="1" receives one ds:Signature: exc-c14n, rsa-sha256 by default, one Reference to
// the Body, and the certificate inline in KeyInfo/wsse:SecurityTokenReference/wsse:KeyIdentifier.
// env itself is not modified; the signed envelope is returned.
func SignWSSE(env []byte, key crypto.Signer, cert *x509.Certificate, opts SignOptions) ([]byte, error) {
	s, err := newSigner(key, cert, opts, c14n.Exclusive, c14n.Exclusive)
	if err != nil {
		return nil, err
	}
	lim := opts.Limits.withDefaults()
	doc, err := Parse(env, lim)
	if err != nil {
		return nil, err
	}
	return s.signWSSE(doc, opts, lim)
}

// SignWSSEDocument is SignWSSE on an envelope the caller has built as a tree, which saves
// serializing and parsing it again. It takes doc over: doc is modified (the Body's ID, the
// Security header) and must not be used afterwards. Every prefix in doc must be declared within
// it, as it would have to be in bytes.
func SignWSSEDocument(doc *etree.Document, key crypto.Signer, cert *x509.Certificate, opts SignOptions) ([]byte, error) {
	s, err := newSigner(key, cert, opts, c14n.Exclusive, c14n.Exclusive)
	if err != nil {
		return nil, err
	}
	return s.signWSSE(doc, opts, opts.Limits.withDefaults())
}

func (s *signer) signWSSE(doc *etree.Document, opts SignOptions, lim Limits) ([]byte, error) {
	if doc == nil || doc.Root() == nil {
		return nil, fail(CodeSOAPNotEnvelope, "no envelope")
	}
	e, err := parseEnvelope(doc.Root())
	if err != nil {
		return nil, err
	}
	if _, err := e.security(); err == nil || CodeOf(err) != string(CodeWSSENoSecurity) {
		return nil, fail(CodeWSSEMultipleSecurity, "the envelope already has a wsse:Security header")
	}
	id, err := bodyID(e, opts.BodyID)
	if err != nil {
		return nil, err
	}
	if e.header == nil {
		e.header = etree.NewElement(qualified(e.root.Space, "Header"))
		e.root.InsertChildAt(0, e.header)
	}
	sec := e.header.CreateElement("wsse:Security")
	sec.CreateAttr("xmlns:wsse", NSWSSE)
	sec.CreateAttr("xmlns:wsu", NSWSU)
	soapPrefix := e.root.Space
	if soapPrefix == "" {
		soapPrefix = "soapenv"
		sec.CreateAttr("xmlns:"+soapPrefix, e.ns)
	}
	sec.CreateAttr(soapPrefix+":mustUnderstand", "1")

	sig, err := s.signatureElement(sec, "#"+id, false, e.body, nil, lim)
	if err != nil {
		return nil, err
	}
	ki := sig.CreateElement("ds:KeyInfo").CreateElement("wsse:SecurityTokenReference").CreateElement("wsse:KeyIdentifier")
	ki.CreateAttr("EncodingType", EncodingBase64)
	ki.CreateAttr("ValueType", ValueTypeX509v3)
	ki.SetText(base64.StdEncoding.EncodeToString(s.cert.Raw))
	return serialize(e.root)
}

// bodyID returns the Body's ID, giving it a wsu:Id when it has none, and checks it is unique.
func bodyID(e *envelope, want string) (string, error) {
	id, ok := attr(e.body, NSWSU, "Id")
	if !ok {
		id, ok = attr(e.body, "", "Id")
	}
	if !ok {
		id = want
		if id == "" {
			id = "id-" + newUUID()
		}
		switch lookupNS(e.body, "wsu") {
		case NSWSU:
		case "":
			e.body.CreateAttr("xmlns:wsu", NSWSU)
		default:
			return "", fail(CodeSigReference, "prefix wsu is bound to another namespace on the Body")
		}
		e.body.CreateAttr("wsu:Id", id)
	}
	if found := elementsWithID(e.root, id); len(found) != 1 {
		return "", fail(CodeSigReference, "ID %q of the Body is carried by %d elements", id, len(found))
	}
	return id, nil
}

// SignEnveloped appends an enveloped signature to the root of doc: Reference URI="" (or "#id" when
// the root has an ID), transforms enveloped-signature + exc-c14n (or the NCALayer layout), and the
// certificate in KeyInfo/X509Data/X509Certificate. Signatures already present are covered by the
// new one. doc itself is not modified; the signed document is returned.
func SignEnveloped(doc []byte, key crypto.Signer, cert *x509.Certificate, opts SignOptions) ([]byte, error) {
	siC14N, refC14N := c14n.Exclusive, c14n.Exclusive
	if opts.NCALayer {
		siC14N, refC14N = c14n.Inclusive10, c14n.Inclusive10WithComments
		opts.Canonicalization = ""
	}
	s, err := newSigner(key, cert, opts, siC14N, refC14N)
	if err != nil {
		return nil, err
	}
	lim := opts.Limits.withDefaults()
	d, err := Parse(doc, lim)
	if err != nil {
		return nil, err
	}
	root := d.Root()
	uri := ""
	if ids := idValues(root); len(ids) > 0 {
		if found := elementsWithID(root, ids[0]); len(found) != 1 {
			return nil, fail(CodeSigReference, "ID %q of the root is carried by %d elements", ids[0], len(found))
		}
		uri = "#" + ids[0]
	}
	sig, err := s.signatureElement(root, uri, true, root, nil, lim)
	if err != nil {
		return nil, err
	}
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
		SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	return serialize(root)
}

func qualified(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
