package signing

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/signing/c14n"
)

// Namespaces and URIs of XML-DSig and WS-Security.
const (
	NSDSig    = "http://www.w3.org/2000/09/xmldsig#"
	NSWSSE    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NSWSU     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	NSSOAP11  = "http://schemas.xmlsoap.org/soap/envelope/"
	NSSOAP12  = "http://www.w3.org/2003/05/soap-envelope"
	NSExcC14N = c14n.Exclusive

	TransformEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	ValueTypeX509v3    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	EncodingBase64     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// Options configure verification. The zero value uses DefaultRegistry and the default Limits and
// refuses SHA-1.
type Options struct {
	Registry  *Registry
	Limits    Limits
	AllowSHA1 bool
	// Certs caches parsed signer certificates (nil: parse every time).
	Certs *CertCache
}

func (o Options) registry() *Registry {
	if o.Registry == nil {
		return DefaultRegistry()
	}
	return o.Registry
}

// Layout is where a signature sits relative to what it signs.
type Layout int

// Layouts.
const (
	WSSecurity Layout = iota + 1 // ds:Signature in soap:Header/wsse:Security, signing soap:Body
	Enveloped                    // ds:Signature a child of the element it signs
)

func (l Layout) String() string {
	switch l {
	case WSSecurity:
		return "ws-security"
	case Enveloped:
		return "enveloped"
	}
	return "unknown"
}

// Verified is a signature that verified. Element is the only thing later code may read: it is the
// tree of exactly the canonical bytes that were digested (Signed), what parsing them would give,
// not the input's (for WS-Security, the input's Body rewritten into that tree).
// Certificate is the key that verified the SignatureValue; whether it is trusted is not decided
// here (see Checker).
type Verified struct {
	Element          *etree.Element
	Signed           []byte
	Certificate      *x509.Certificate
	Extra            []*x509.Certificate // further certificates that came with the signature
	SignatureMethod  string
	DigestMethod     string
	Canonicalization string   // of SignedInfo
	Transforms       []string // of the Reference
	Layout           Layout
}

// decodeBase64 decodes base64Binary content, which may be wrapped. encoding/base64 skips line
// breaks itself; spaces and tabs, rare, are dropped first (strings.Map's rune loop over every
// certificate was a tenth of a verification).
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, " \t") {
		s = strings.NewReplacer(" ", "", "\t", "").Replace(s)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// signature is the part of a ds:Signature read before its SignatureValue is checked.
type signature struct {
	signedInfo   *etree.Element
	c14nURI      string
	c14n         c14n.Options
	method       string
	digestMethod string // of the Reference, read early only to refuse unsupported algorithms first
	value        []byte
	keyInfo      *etree.Element
}

// reference is the single Reference, read from the verified SignedInfo.
type reference struct {
	uri          string
	transforms   []string
	c14n         *c14n.Options // the canonicalization transform, nil when there is none
	enveloped    bool
	digestMethod string
	digestValue  []byte
}

// parseSignature reads the shape of a ds:Signature: SignedInfo, SignatureValue, at most one
// KeyInfo, nothing else (no ds:Object).
func parseSignature(el *etree.Element) (*signature, error) {
	kids, err := children(el)
	if err != nil {
		return nil, err
	}
	s := &signature{}
	var value *etree.Element
	for i, k := range kids {
		switch {
		case i == 0 && is(k, NSDSig, "SignedInfo"):
			s.signedInfo = k
		case i == 1 && is(k, NSDSig, "SignatureValue"):
			value = k
		case i == 2 && is(k, NSDSig, "KeyInfo"):
			s.keyInfo = k
		default:
			return nil, fail(CodeSigMalformed, "unexpected <%s> in ds:Signature (want SignedInfo, SignatureValue, KeyInfo)", k.FullTag())
		}
	}
	if s.signedInfo == nil || value == nil {
		return nil, fail(CodeSigMalformed, "ds:Signature lacks SignedInfo or SignatureValue")
	}
	if len(value.ChildElements()) > 0 {
		return nil, fail(CodeSigMalformed, "elements inside SignatureValue")
	}
	if s.value, err = decodeBase64(value.Text()); err != nil || len(s.value) == 0 {
		return nil, wrap(CodeSigMalformed, err, "SignatureValue is not base64")
	}
	si, err := parseSignedInfo(s.signedInfo)
	if err != nil {
		return nil, err
	}
	s.c14nURI, s.c14n, s.method = si.c14nURI, si.c14n, si.method
	s.digestMethod = si.ref.digestMethod
	return s, nil
}

type signedInfo struct {
	c14nURI string
	c14n    c14n.Options
	method  string
	ref     *reference
}

// parseSignedInfo reads CanonicalizationMethod, SignatureMethod and exactly one Reference.
func parseSignedInfo(si *etree.Element) (*signedInfo, error) {
	kids, err := children(si)
	if err != nil {
		return nil, err
	}
	out := &signedInfo{}
	var refs []*etree.Element
	for i, k := range kids {
		switch {
		case i == 0 && is(k, NSDSig, "CanonicalizationMethod"):
			out.c14nURI = attrValue(k, "Algorithm", "")
			opts, err := c14nOf(k, out.c14nURI)
			if err != nil {
				return nil, err
			}
			out.c14n = *opts
		case i == 1 && is(k, NSDSig, "SignatureMethod"):
			if len(k.ChildElements()) > 0 {
				return nil, fail(CodeSigMalformed, "parameters in SignatureMethod (HMACOutputLength?) are not accepted")
			}
			out.method = attrValue(k, "Algorithm", "")
		case i >= 2 && is(k, NSDSig, "Reference"):
			refs = append(refs, k)
		default:
			return nil, fail(CodeSigMalformed, "unexpected <%s> in SignedInfo", k.FullTag())
		}
	}
	switch {
	case out.c14nURI == "" || out.method == "":
		return nil, fail(CodeSigMalformed, "SignedInfo lacks CanonicalizationMethod or SignatureMethod")
	case len(refs) == 0:
		return nil, fail(CodeSigReference, "SignedInfo has no Reference")
	case len(refs) > 1:
		return nil, fail(CodeSigReference, "SignedInfo has %d References, exactly one is accepted", len(refs))
	}
	if out.ref, err = parseReference(refs[0]); err != nil {
		return nil, err
	}
	return out, nil
}

// c14nOf returns the canonicalization named uri on el (a CanonicalizationMethod or Transform),
// with the PrefixList of an ec:InclusiveNamespaces child for exclusive canonicalization.
func c14nOf(el *etree.Element, uri string) (*c14n.Options, error) {
	m, ok := c14n.MethodOf(uri)
	if !ok {
		return nil, fail(CodeSigTransform, "canonicalization %q is not supported", uri)
	}
	opts := &c14n.Options{Method: m}
	kids, err := children(el)
	if err != nil {
		return nil, err
	}
	for _, k := range kids {
		if !m.Exclusive || !is(k, NSExcC14N, "InclusiveNamespaces") || opts.InclusivePrefixes != nil {
			return nil, fail(CodeSigTransform, "unexpected <%s> in %s", k.FullTag(), uri)
		}
		opts.InclusivePrefixes = strings.Fields(attrValue(k, "PrefixList", ""))
		if opts.InclusivePrefixes == nil {
			opts.InclusivePrefixes = []string{}
		}
	}
	return opts, nil
}

// parseReference reads a Reference: optional Transforms, DigestMethod, DigestValue.
func parseReference(el *etree.Element) (*reference, error) {
	ref := &reference{}
	uri, ok := attr(el, "", "URI")
	ref.uri = uri
	if !ok {
		return nil, fail(CodeSigReference, "Reference without URI")
	}
	kids, err := children(el)
	if err != nil {
		return nil, err
	}
	if len(kids) > 0 && is(kids[0], NSDSig, "Transforms") {
		ts, err := children(kids[0])
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if !is(t, NSDSig, "Transform") {
				return nil, fail(CodeSigMalformed, "unexpected <%s> in Transforms", t.FullTag())
			}
			alg := attrValue(t, "Algorithm", "")
			ref.transforms = append(ref.transforms, alg)
			switch {
			case alg == TransformEnveloped && len(ref.transforms) == 1:
				if len(t.ChildElements()) > 0 {
					return nil, fail(CodeSigTransform, "parameters in the enveloped-signature transform")
				}
				ref.enveloped = true
			case ref.c14n == nil:
				opts, err := c14nOf(t, alg)
				if err != nil {
					return nil, err
				}
				ref.c14n = opts
			default:
				return nil, fail(CodeSigTransform, "transform %q is not accepted at position %d", alg, len(ref.transforms))
			}
		}
		kids = kids[1:]
	}
	if len(kids) != 2 || !is(kids[0], NSDSig, "DigestMethod") || !is(kids[1], NSDSig, "DigestValue") {
		return nil, fail(CodeSigMalformed, "Reference must hold [Transforms], DigestMethod, DigestValue")
	}
	if len(kids[0].ChildElements()) > 0 || len(kids[1].ChildElements()) > 0 {
		return nil, fail(CodeSigMalformed, "elements inside DigestMethod or DigestValue")
	}
	ref.digestMethod = attrValue(kids[0], "Algorithm", "")
	if ref.digestValue, err = decodeBase64(kids[1].Text()); err != nil || len(ref.digestValue) == 0 {
		return nil, wrap(CodeSigMalformed, err, "DigestValue is not base64")
	}
	return ref, nil
}

// algorithms looks up the signature and digest methods, refusing unknown ones and SHA-1 unless
// allowed.
func (o Options) algorithms(method, digestMethod string) (SignatureAlgorithm, DigestAlgorithm, error) {
	sa, ok := o.registry().Signature(method)
	if !ok || sha1Based[method] && !o.AllowSHA1 {
		return nil, nil, wrap(CodeAlgorithmNotSupported, certs.ErrUnsupportedAlgorithm, "SignatureMethod %s", method)
	}
	da, err := o.digest(digestMethod)
	if err != nil {
		return nil, nil, err
	}
	return sa, da, nil
}

func (o Options) digest(uri string) (DigestAlgorithm, error) {
	da, ok := o.registry().Digest(uri)
	if !ok || sha1Based[uri] && !o.AllowSHA1 {
		return nil, wrap(CodeAlgorithmNotSupported, certs.ErrUnsupportedAlgorithm, "DigestMethod %s", uri)
	}
	return da, nil
}

// checkSignedInfo verifies the SignatureValue of s over its canonical SignedInfo with cert and
// returns the Reference read from a re-parse of exactly those canonical bytes.
func (o Options) checkSignedInfo(s *signature, cert *x509.Certificate) (*reference, error) {
	sa, _, err := o.algorithms(s.method, s.digestMethod)
	if err != nil {
		return nil, err
	}
	lim := o.Limits.withDefaults()
	canon, tree, err := canonicalize(s.signedInfo, s.c14n, lim, false)
	if err != nil {
		return nil, err
	}
	if err := sa.Verify(cert, canon, s.value); err != nil {
		if errors.Is(err, certs.ErrUnsupportedAlgorithm) {
			return nil, wrap(CodeAlgorithmNotSupported, err, "SignatureMethod %s", s.method)
		}
		return nil, wrap(CodeSigInvalid, err, "SignatureValue does not verify with the certificate of «%s»", cert.Subject.CommonName)
	}
	si, err := parseSignedInfo(tree)
	if err != nil {
		return nil, err
	}
	if si.method != s.method || si.c14nURI != s.c14nURI || si.ref.digestMethod != s.digestMethod {
		return nil, fail(CodeSigMalformed, "canonical SignedInfo differs from the document's")
	}
	return si.ref, nil
}

// digestTarget canonicalizes target as ref says (a same-document reference: comments are never
// part of it, XML-DSig §4.4.3.3), compares the digest, and returns the canonical bytes with their
// re-parse. With inPlace the re-parse is target itself, rewritten and taken out of its document
// (c14n.WriteInPlace), whether or not the digest matches: for a document nobody reads afterwards.
func (o Options) digestTarget(ref *reference, target *etree.Element, omit func(*etree.Element) bool, inPlace bool) ([]byte, *etree.Element, error) {
	da, err := o.digest(ref.digestMethod)
	if err != nil {
		return nil, nil, err
	}
	opts := c14n.Options{} // no transform: the node-set is converted by Canonical XML 1.0
	if ref.c14n != nil {
		opts = *ref.c14n
	}
	opts.WithComments = false
	opts.Omit = omit
	lim := o.Limits.withDefaults()
	canon, tree, err := canonicalize(target, opts, lim, inPlace)
	if err != nil {
		return nil, nil, err
	}
	h := da.New()
	h.Write(canon)
	if sum := h.Sum(nil); subtle.ConstantTimeCompare(sum, ref.digestValue) != 1 {
		return nil, nil, fail(CodeSigDigestMismatch, "digest of <%s> does not match DigestValue", target.FullTag())
	}
	return canon, tree, nil
}

// canonicalize runs c14n, bounding the output at four times the input limit, and returns the
// canonical bytes with the tree they denote (c14n.WriteTree: what re-parsing the bytes would give,
// built in the same pass — so later code reads exactly what was digested or signed, comments and
// all other non-canonical detail gone). With inPlace that tree is el, rewritten
// (c14n.WriteInPlace).
func canonicalize(el *etree.Element, opts c14n.Options, lim Limits, inPlace bool) ([]byte, *etree.Element, error) {
	opts.MaxBytes = 4 * lim.MaxBytes
	var buf bytes.Buffer
	write := c14n.WriteTree
	if inPlace {
		write = c14n.WriteInPlace
	}
	tree, err := write(&buf, el, opts)
	if err != nil {
		if errors.Is(err, c14n.ErrTooLarge) {
			return nil, nil, wrap(CodeXMLLimit, err, "canonical form too large")
		}
		return nil, nil, wrap(CodeSigTransform, err, "cannot canonicalize <%s>", el.FullTag())
	}
	return buf.Bytes(), tree, nil
}

// verifySignature checks everything of a ds:Signature but what its Reference points to: the
// signer certificate, the algorithms and the SignatureValue. It returns the verified Reference and
// a Verified that lacks only Element, Signed and Layout.
func (o Options) verifySignature(sigEl, security *etree.Element) (*Verified, *reference, error) {
	s, err := parseSignature(sigEl)
	if err != nil {
		return nil, nil, err
	}
	cert, extra, err := signerCertificate(s.keyInfo, security, o.Certs)
	if err != nil {
		return nil, nil, err
	}
	ref, err := o.checkSignedInfo(s, cert)
	if err != nil {
		if CodeOf(err) == string(CodeSigInvalid) {
			return nil, nil, err // KeyInfo named a certificate that did not sign: it is nobody's signature
		}
		return nil, nil, withCert(err, cert)
	}
	return &Verified{Certificate: cert, Extra: extra, SignatureMethod: s.method, DigestMethod: ref.digestMethod,
		Canonicalization: s.c14nURI, Transforms: ref.transforms}, ref, nil
}
