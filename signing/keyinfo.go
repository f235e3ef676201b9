package signing

import (
	"crypto/x509"
	"strings"

	"github.com/beevik/etree"
)

// signerCertificate finds the signer certificate in KeyInfo: a wsse:SecurityTokenReference with a
// KeyIdentifier (X509v3, base64), a Reference to a wsse:BinarySecurityToken in security or a
// ds:X509Data holding the certificate (as zeep and other xmlsec-based clients send it); else
// ds:X509Data/X509Certificate, the first being the signer and the others returned as extra.
func signerCertificate(keyInfo, security *etree.Element, cache *CertCache) (*x509.Certificate, []*x509.Certificate, error) {
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
		c, err := cache.Parse(der)
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
		return nil, fail(CodeSigNoCert, "SecurityTokenReference must hold one KeyIdentifier, Reference or X509Data")
	}
	k := kids[0]
	switch {
	case is(k, NSWSSE, "KeyIdentifier"):
		return x509Token(k, "KeyIdentifier")
	case is(k, NSWSSE, "Reference"):
		uri := attrValue(k, "URI", "")
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
		if vt := attrValue(k, "ValueType", ValueTypeX509v3); vt != ValueTypeX509v3 {
			return nil, fail(CodeSigNoCert, "token reference of ValueType %q", vt)
		}
		return x509Token(found[0], "BinarySecurityToken")
	case is(k, NSDSig, "X509Data"):
		return tokenX509Data(k)
	}
	return nil, fail(CodeSigNoCert, "unsupported <%s> in SecurityTokenReference", k.FullTag())
}

// x509Token decodes a KeyIdentifier or BinarySecurityToken holding an X.509 certificate.
func x509Token(el *etree.Element, what string) ([]byte, error) {
	if vt := attrValue(el, "ValueType", ""); vt != ValueTypeX509v3 {
		return nil, fail(CodeSigNoCert, "%s of ValueType %q (only X509v3 carries the certificate)", what, vt)
	}
	if et := attrValue(el, "EncodingType", EncodingBase64); et != EncodingBase64 {
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

// tokenX509Data reads a ds:X509Data inside a wsse:SecurityTokenReference (the layout of zeep's
// Signature plugin): exactly one X509Certificate, the signer's, and at most one X509IssuerSerial,
// which is an unsigned hint (xmlsec may leave it empty) and is not read.
func tokenX509Data(x509Data *etree.Element) ([]byte, error) {
	kids, err := children(x509Data)
	if err != nil {
		return nil, err
	}
	var certs, serials []*etree.Element
	for _, k := range kids {
		switch {
		case is(k, NSDSig, "X509Certificate"):
			certs = append(certs, k)
		case is(k, NSDSig, "X509IssuerSerial"):
			serials = append(serials, k)
		default:
			return nil, fail(CodeSigNoCert, "unsupported <%s> in SecurityTokenReference/X509Data", k.FullTag())
		}
	}
	if len(certs) != 1 || len(serials) > 1 {
		return nil, fail(CodeSigNoCert, "SecurityTokenReference/X509Data must hold one X509Certificate (it holds %d) and at most one X509IssuerSerial", len(certs))
	}
	if len(certs[0].ChildElements()) > 0 {
		return nil, fail(CodeSigNoCert, "elements inside X509Certificate")
	}
	der, err := decodeBase64(certs[0].Text())
	if err != nil || len(der) == 0 {
		return nil, wrap(CodeSigNoCert, err, "X509Certificate is not base64")
	}
	return der, nil
}
