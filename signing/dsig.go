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

// Verified is a signature that verified. Element is the only thing later code may read: it was
// parsed from exactly the canonical bytes that were digested (Signed), not taken from the input.
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

// name resolution over a namespace-well-formed tree (as Parse returns)

// lookupNS returns the namespace bound to prefix at e ("" for none).
func lookupNS(e *etree.Element, prefix string) string {
	if prefix == "xml" {
		return c14n.XMLNamespace
	}
	for ; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" || prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// is reports whether e is the element {ns}local.
func is(e *etree.Element, ns, local string) bool {
	return e != nil && e.Tag == local && lookupNS(e, e.Space) == ns
}

// attr returns the value of the attribute {ns}local of e (ns "" for an unqualified attribute).
func attr(e *etree.Element, ns, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Key != local || a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns" {
			continue
		}
		if a.Space == "" && ns == "" || a.Space != "" && ns != "" && lookupNS(e, a.Space) == ns {
			return a.Value, true
		}
	}
	return "", false
}

// children returns the child elements of e, refusing text other than whitespace.
func children(e *etree.Element) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Element:
			out = append(out, t)
		case *etree.CharData:
			if strings.Trim(t.Data, " \t\r\n") != "" {
				return nil, fail(CodeSigMalformed, "text inside <%s>", e.FullTag())
			}
		}
	}
	return out, nil
}

// idValues returns the values of e's ID attributes: unqualified Id, ID and id, wsu:Id, xml:id.
func idValues(e *etree.Element) []string {
	var out []string
	for _, a := range e.Attr {
		switch {
		case a.Space == "" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id"),
			a.Space == "xml" && a.Key == "id",
			a.Space != "" && a.Space != "xmlns" && a.Key == "Id" && lookupNS(e, a.Space) == NSWSU:
			out = append(out, a.Value)
		}
	}
	return out
}

// elementsWithID returns the elements of the tree under root that carry id in an ID attribute.
func elementsWithID(root *etree.Element, id string) []*etree.Element {
	var out []*etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, v := range idValues(e) {
			if v == id {
				out = append(out, e)
				break
			}
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	return out
}

// signatures returns the ds:Signature elements under root in document order, skipping those
// inside skip.
func signatures(root, skip *etree.Element) []*etree.Element {
	var out []*etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if e == skip {
			return
		}
		if is(e, NSDSig, "Signature") {
			out = append(out, e)
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	return out
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// signature is the part of a ds:Signature read before its SignatureValue is checked.
type signature struct {
	el, signedInfo *etree.Element
	c14nURI        string
	c14n           c14n.Options
	method         string
	digestMethod   string // of the Reference, read early only to refuse unsupported algorithms first
	value          []byte
	keyInfo        *etree.Element
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
	s := &signature{el: el}
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
			out.c14nURI = k.SelectAttrValue("Algorithm", "")
			opts, err := c14nOf(k, out.c14nURI)
			if err != nil {
				return nil, err
			}
			out.c14n = *opts
		case i == 1 && is(k, NSDSig, "SignatureMethod"):
			if len(k.ChildElements()) > 0 {
				return nil, fail(CodeSigMalformed, "parameters in SignatureMethod (HMACOutputLength?) are not accepted")
			}
			out.method = k.SelectAttrValue("Algorithm", "")
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
		opts.InclusivePrefixes = strings.Fields(k.SelectAttrValue("PrefixList", ""))
		if opts.InclusivePrefixes == nil {
			opts.InclusivePrefixes = []string{}
		}
	}
	return opts, nil
}

// parseReference reads a Reference: optional Transforms, DigestMethod, DigestValue.
func parseReference(el *etree.Element) (*reference, error) {
	uri, ok := el.SelectAttr("URI"), false
	ref := &reference{}
	if uri != nil && uri.Space == "" {
		ref.uri, ok = uri.Value, true
	}
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
			alg := t.SelectAttrValue("Algorithm", "")
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
	ref.digestMethod = kids[0].SelectAttrValue("Algorithm", "")
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
	canon, err := canonicalize(s.signedInfo, s.c14n, lim)
	if err != nil {
		return nil, err
	}
	if err := sa.Verify(cert, canon, s.value); err != nil {
		if errors.Is(err, certs.ErrUnsupportedAlgorithm) {
			return nil, wrap(CodeAlgorithmNotSupported, err, "SignatureMethod %s", s.method)
		}
		return nil, wrap(CodeSigInvalid, err, "SignatureValue does not verify with the certificate of «%s»", cert.Subject.CommonName)
	}
	doc, err := Parse(canon, lim)
	if err != nil {
		return nil, wrap(CodeSigMalformed, err, "canonical SignedInfo does not parse")
	}
	si, err := parseSignedInfo(doc.Root())
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
// re-parse.
func (o Options) digestTarget(ref *reference, target *etree.Element, omit func(*etree.Element) bool) ([]byte, *etree.Element, error) {
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
	canon, err := canonicalize(target, opts, lim)
	if err != nil {
		return nil, nil, err
	}
	h := da.New()
	h.Write(canon)
	if sum := h.Sum(nil); subtle.ConstantTimeCompare(sum, ref.digestValue) != 1 {
		return nil, nil, fail(CodeSigDigestMismatch, "digest of <%s> does not match DigestValue", target.FullTag())
	}
	doc, err := Parse(canon, lim)
	if err != nil {
		return nil, nil, wrap(CodeXMLMalformed, err, "canonical form of the signed element does not parse")
	}
	return canon, doc.Root(), nil
}

// canonicalize runs c14n, bounding the output at four times the input limit.
func canonicalize(el *etree.Element, opts c14n.Options, lim Limits) ([]byte, error) {
	opts.MaxBytes = 4 * lim.MaxBytes
	var buf bytes.Buffer
	if err := c14n.Write(&buf, el, opts); err != nil {
		if errors.Is(err, c14n.ErrTooLarge) {
			return nil, wrap(CodeXMLLimit, err, "canonical form too large")
		}
		return nil, wrap(CodeSigTransform, err, "cannot canonicalize <%s>", el.FullTag())
	}
	return buf.Bytes(), nil
}

// signerCertificate finds the signer certificate in KeyInfo: a wsse:SecurityTokenReference with a
// KeyIdentifier (X509v3, base64) or a Reference to a wsse:BinarySecurityToken in security; else
// ds:X509Data/X509Certificate, the first being the signer and the others returned as extra.
func signerCertificate(keyInfo, security *etree.Element) (*x509.Certificate, []*x509.Certificate, error) {
	if keyInfo == nil {
		return nil, nil, fail(CodeSigNoCert, "no KeyInfo")
	}
	kids, err := children(keyInfo)
	if err != nil {
		return nil, nil, err
	}
	var ders [][]byte
	for _, k := range kids {
		if is(k, NSWSSE, "SecurityTokenReference") && ders == nil {
			der, err := tokenReference(k, security)
			if err != nil {
				return nil, nil, err
			}
			ders = [][]byte{der}
		}
	}
	for _, k := range kids {
		if !is(k, NSDSig, "X509Data") {
			continue
		}
		xs, err := children(k)
		if err != nil {
			return nil, nil, err
		}
		for _, x := range xs {
			if !is(x, NSDSig, "X509Certificate") {
				continue
			}
			der, err := decodeBase64(x.Text())
			if err != nil {
				return nil, nil, wrap(CodeSigNoCert, err, "X509Certificate is not base64")
			}
			ders = append(ders, der)
		}
	}
	if len(ders) == 0 {
		return nil, nil, fail(CodeSigNoCert, "KeyInfo holds no certificate (KeyIdentifier X509v3, BinarySecurityToken or X509Certificate)")
	}
	out := make([]*x509.Certificate, 0, len(ders))
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, wrap(CodeSigNoCert, err, "certificate in KeyInfo does not parse")
		}
		out = append(out, c)
	}
	return out[0], out[1:], nil
}

// tokenReference resolves a wsse:SecurityTokenReference to certificate DER.
func tokenReference(str, security *etree.Element) ([]byte, error) {
	kids, err := children(str)
	if err != nil {
		return nil, err
	}
	if len(kids) != 1 {
		return nil, fail(CodeSigNoCert, "SecurityTokenReference must hold one KeyIdentifier or Reference")
	}
	k := kids[0]
	switch {
	case is(k, NSWSSE, "KeyIdentifier"):
		return x509Token(k, "KeyIdentifier")
	case is(k, NSWSSE, "Reference"):
		uri := k.SelectAttrValue("URI", "")
		if !strings.HasPrefix(uri, "#") || len(uri) < 2 || security == nil {
			return nil, fail(CodeSigNoCert, "SecurityTokenReference/Reference %q does not point into the Security header", uri)
		}
		var found []*etree.Element
		for _, t := range security.ChildElements() {
			if is(t, NSWSSE, "BinarySecurityToken") {
				if id, ok := attr(t, NSWSU, "Id"); ok && id == uri[1:] {
					found = append(found, t)
				}
			}
		}
		if len(found) != 1 {
			return nil, fail(CodeSigNoCert, "%d BinarySecurityTokens with wsu:Id %q in the Security header", len(found), uri[1:])
		}
		if vt := k.SelectAttrValue("ValueType", ValueTypeX509v3); vt != ValueTypeX509v3 {
			return nil, fail(CodeSigNoCert, "token reference of ValueType %q", vt)
		}
		return x509Token(found[0], "BinarySecurityToken")
	}
	return nil, fail(CodeSigNoCert, "unsupported <%s> in SecurityTokenReference", k.FullTag())
}

// x509Token decodes a KeyIdentifier or BinarySecurityToken holding an X.509 certificate.
func x509Token(el *etree.Element, what string) ([]byte, error) {
	if vt := el.SelectAttrValue("ValueType", ""); vt != ValueTypeX509v3 {
		return nil, fail(CodeSigNoCert, "%s of ValueType %q (only X509v3 carries the certificate)", what, vt)
	}
	if et := el.SelectAttrValue("EncodingType", EncodingBase64); et != EncodingBase64 {
		return nil, fail(CodeSigNoCert, "%s of EncodingType %q", what, et)
	}
	if len(el.ChildElements()) > 0 {
		return nil, fail(CodeSigNoCert, "elements inside %s", what)
	}
	der, err := decodeBase64(el.Text())
	if err != nil || len(der) == 0 {
		return nil, wrap(CodeSigNoCert, err, "%s is not base64", what)
	}
	return der, nil
}

// verifySignature checks everything of sig but what its Reference points to: the signer
// certificate, the algorithms and the SignatureValue. It returns the verified Reference.
func (o Options) verifySignature(sigEl, security *etree.Element) (*signature, *reference, *x509.Certificate, []*x509.Certificate, error) {
	s, err := parseSignature(sigEl)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cert, extra, err := signerCertificate(s.keyInfo, security)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if _, _, err := o.algorithms(s.method, s.digestMethod); err != nil {
		return nil, nil, cert, extra, withCert(err, cert)
	}
	ref, err := o.checkSignedInfo(s, cert)
	if err != nil {
		return nil, nil, cert, extra, withCert(err, cert)
	}
	return s, ref, cert, extra, nil
}
