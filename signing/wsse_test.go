package signing

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing/c14n"
)

func TestWSSERoundTrip(t *testing.T) {
	c := newTestCA(t)
	ek, ec := ecdsaCert(t)
	tests := []struct {
		name string
		env  string
		key  crypto.Signer
		cert *x509.Certificate
		opts SignOptions
	}{
		{"SOAP 1.1 RSA", sendMessage, nil, nil, SignOptions{}},
		{"SOAP 1.1 ECDSA P-256", sendMessage, ek, ec, SignOptions{}},
		{"SOAP 1.2", `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><x:M xmlns:x="urn:x"><iin>931002451325</iin></x:M></env:Body></env:Envelope>`, nil, nil, SignOptions{}},
		{"default namespace, no prefix", `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header/><Body><M xmlns="urn:x">x</M></Body></Envelope>`, nil, nil, SignOptions{}},
		{"plain Id on the Body", `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body Id="b-1"><m/></S:Body></S:Envelope>`, nil, nil, SignOptions{}},
		{"existing wsu:Id", `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsu="` + NSWSU + `"><S:Header><h/></S:Header><S:Body wsu:Id="given"><m/></S:Body></S:Envelope>`, nil, nil, SignOptions{}},
		{"C14N 1.0", sendMessage, nil, nil, SignOptions{Canonicalization: c14n.Inclusive10}},
		{"C14N 1.1 with comments", sendMessage, nil, nil, SignOptions{Canonicalization: c14n.Inclusive11WithComments}},
		{"rsa-sha512 sha512", sendMessage, nil, nil, SignOptions{SignatureMethod: RSASHA512, DigestMethod: DigestSHA512}},
		{"rsa-sha384 sha384", sendMessage, nil, nil, SignOptions{SignatureMethod: RSASHA384, DigestMethod: DigestSHA384}},
		{"a business signature inside the Body", `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><doc><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></doc></S:Body></S:Envelope>`, nil, nil, SignOptions{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, cert := tc.key, tc.cert
			if key == nil {
				key, cert = c.issued.Key, c.issued.Certificate
			}
			signed, err := SignWSSE([]byte(tc.env), key, cert, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			v, err := VerifyWSSE(signed, Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, signed)
			}
			if v.Element.Tag != "Body" || !v.Certificate.Equal(cert) {
				t.Fatalf("signed <%s>", v.Element.FullTag())
			}
			if key == c.issued.Key {
				res, err := c.checker(t).CheckWSSE(context.Background(), signed, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Verdict.Identity.IIN != "931002451325" {
					t.Fatalf("identity %q", res.Verdict.Identity.IIN)
				}
			}
		})
	}
}

// TestWSSEWrapping covers signature-wrapping and structure attacks on a validly signed envelope.
func TestWSSEWrapping(t *testing.T) {
	c := newTestCA(t)
	signed := c.signWSSE(t, sendMessage, SignOptions{BodyID: "id-1"})
	if _, err := VerifyWSSE(signed, Options{}); err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	head, body, ok := strings.Cut(s, "<soapenv:Body")
	if !ok {
		t.Fatal("no Body")
	}
	body = "<soapenv:Body" + body[:strings.Index(body, "</soapenv:Body>")] + "</soapenv:Body>"
	evilBody := `<soapenv:Body><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><iin>000000000000</iin></ns3:SendMessage></soapenv:Body>`
	evilBodySameID := strings.Replace(evilBody, "<soapenv:Body>", `<soapenv:Body xmlns:wsu="`+NSWSU+`" wsu:Id="id-1">`, 1)
	tail := "</soapenv:Envelope>"
	header := head[strings.Index(head, "<soapenv:Header>"):]
	envOpen := head[:strings.Index(head, "<soapenv:Header>")]
	tests := []struct {
		name, doc string
		code      Code
	}{
		{"signed Body moved into the Header, evil Body with the same ID", envOpen + strings.Replace(header, "</soapenv:Header>", "<w>"+body+"</w></soapenv:Header>", 1) + evilBodySameID + tail, CodeSigReference},
		{"signed Body moved into the Header, evil Body without ID", envOpen + strings.Replace(header, "</soapenv:Header>", "<w>"+body+"</w></soapenv:Header>", 1) + evilBody + tail, CodeSigReference},
		{"signed Body moved into the Security header", envOpen + strings.Replace(header, "</wsse:Security>", body+"</wsse:Security>", 1) + evilBody + tail, CodeSigReference},
		{"second Body after the signed one", envOpen + header + body + evilBody + tail, CodeSOAPMultipleBody},
		{"second Body before the signed one", envOpen + header + evilBody + body + tail, CodeSOAPMultipleBody},
		{"evil element after the Body", envOpen + header + body + "<x/>" + tail, CodeSOAPNotEnvelope},
		{"Body in another namespace", envOpen + header + strings.Replace(body, "<soapenv:Body", `<soapenv:Body xmlns:soapenv="urn:evil"`, 1) + tail, CodeSOAPNotEnvelope},
		{"no Body", envOpen + header + tail, CodeSOAPNoBody},
		{"Header after the Body", envOpen + body + header + tail, CodeSOAPNotEnvelope},
		{"text in the Envelope", envOpen + header + "text" + body + tail, CodeSOAPNotEnvelope},
		{"root not an Envelope", strings.Replace(strings.Replace(s, "<soapenv:Envelope", "<soapenv:Envelopf", 1), "</soapenv:Envelope>", "</soapenv:Envelopf>", 1), CodeSOAPNotEnvelope},
		{"ID duplicated in the Header", envOpen + strings.Replace(header, "</soapenv:Header>", `<h Id="id-1"/></soapenv:Header>`, 1) + body + tail, CodeSigReference},
		{"ID duplicated as xml:id", envOpen + strings.Replace(header, "</soapenv:Header>", `<h xml:id="id-1"/></soapenv:Header>`, 1) + body + tail, CodeSigReference},
		{"ID duplicated as ID", envOpen + strings.Replace(header, "</soapenv:Header>", `<h ID="id-1"/></soapenv:Header>`, 1) + body + tail, CodeSigReference},
		{"no Security header", envOpen + body + tail, CodeWSSENoSecurity},
		{"Security in another namespace", strings.ReplaceAll(s, NSWSSE, "urn:evil"), CodeWSSENoSecurity},
		{"two Security headers", envOpen + strings.Replace(header, "</soapenv:Header>", `<wsse:Security xmlns:wsse="`+NSWSSE+`"/></soapenv:Header>`, 1) + body + tail, CodeWSSEMultipleSecurity},
		{"second ds:Signature in the Security header", strings.Replace(s, "</wsse:Security>", `<ds:Signature xmlns:ds="`+NSDSig+`"/></wsse:Security>`, 1), CodeSigMultiple},
		{"second ds:Signature elsewhere in the Header", envOpen + strings.Replace(header, "</soapenv:Header>", `<ds:Signature xmlns:ds="`+NSDSig+`"/></soapenv:Header>`, 1) + body + tail, CodeSigMultiple},
		{"no ds:Signature", strings.Replace(s, s[strings.Index(s, "<ds:Signature"):strings.Index(s, "</ds:Signature>")+len("</ds:Signature>")], "", 1), CodeSigMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyWSSE([]byte(tc.doc), Options{})
			wantCode(t, err, tc.code)
		})
	}
}

// TestWSSEReferenceRules reaches the checks made after the SignatureValue verified: the document is
// re-signed after each change, as an attacker holding a valid key for other content could.
func TestWSSEReferenceRules(t *testing.T) {
	c := newTestCA(t)
	signed := c.signWSSE(t, sendMessage, SignOptions{BodyID: "id-1"})
	setURI := func(uri string) func(*etree.Document, *etree.Element) {
		return func(_ *etree.Document, s *etree.Element) {
			child(child(s, "SignedInfo"), "Reference").CreateAttr("URI", uri)
		}
	}
	addTransform := func(alg string, first bool) func(*etree.Document, *etree.Element) {
		return func(_ *etree.Document, s *etree.Element) {
			ts := child(child(child(s, "SignedInfo"), "Reference"), "Transforms")
			tr := etree.NewElement("ds:Transform")
			tr.CreateAttr("Algorithm", alg)
			if first {
				ts.InsertChildAt(0, tr)
			} else {
				ts.AddChild(tr)
			}
		}
	}
	tests := []struct {
		name   string
		mutate func(*etree.Document, *etree.Element)
		code   Code // "" when it verifies
	}{
		{"unchanged", nil, ""},
		{"reference to the Security header", func(d *etree.Document, s *etree.Element) {
			s.Parent().CreateAttr("wsu:Id", "sec")
			setURI("#sec")(d, s)
		}, CodeSigReference},
		{"reference to an element inside the Body", func(d *etree.Document, s *etree.Element) {
			descendant(d.Root(), "iin").CreateAttr("Id", "iin")
			setURI("#iin")(d, s)
		}, CodeSigReference},
		{"reference to the whole document", setURI(""), CodeSigReference},
		{"external reference", setURI("http://example.com/x"), CodeSigReference},
		{"xpointer reference", setURI("#xpointer(/)"), CodeSigReference},
		{"enveloped-signature transform", addTransform(TransformEnveloped, true), CodeSigTransform},
		{"XPath transform", addTransform("http://www.w3.org/TR/1999/REC-xpath-19991116", false), CodeSigTransform},
		{"XSLT transform", addTransform("http://www.w3.org/TR/1999/REC-xslt-19991116", false), CodeSigTransform},
		{"base64 transform", addTransform("http://www.w3.org/2000/09/xmldsig#base64", false), CodeSigTransform},
		{"two canonicalizations", addTransform(c14n.Inclusive10, false), CodeSigTransform},
		{"no transform (C14N 1.0 by default)", func(_ *etree.Document, s *etree.Element) {
			ref := child(child(s, "SignedInfo"), "Reference")
			ref.RemoveChild(child(ref, "Transforms"))
		}, ""},
		{"exc-c14n with an InclusiveNamespaces PrefixList", func(_ *etree.Document, s *etree.Element) {
			tr := child(child(child(child(s, "SignedInfo"), "Reference"), "Transforms"), "Transform")
			in := tr.CreateElement("ec:InclusiveNamespaces")
			in.CreateAttr("xmlns:ec", c14n.Exclusive)
			in.CreateAttr("PrefixList", "soapenv #default")
		}, ""},
		{"InclusiveNamespaces on an inclusive transform", func(_ *etree.Document, s *etree.Element) {
			tr := child(child(child(child(s, "SignedInfo"), "Reference"), "Transforms"), "Transform")
			tr.CreateAttr("Algorithm", c14n.Inclusive10)
			in := tr.CreateElement("ec:InclusiveNamespaces")
			in.CreateAttr("xmlns:ec", c14n.Exclusive)
		}, CodeSigTransform},
		{"two References", func(_ *etree.Document, s *etree.Element) {
			si := child(s, "SignedInfo")
			si.AddChild(child(si, "Reference").Copy())
		}, CodeSigReference},
		{"ds:Object", func(_ *etree.Document, s *etree.Element) {
			s.CreateElement("ds:Object").SetText("x")
		}, CodeSigMalformed},
		{"HMACOutputLength", func(_ *etree.Document, s *etree.Element) {
			child(child(s, "SignedInfo"), "SignatureMethod").CreateElement("ds:HMACOutputLength").SetText("8")
		}, CodeSigMalformed},
		{"unknown CanonicalizationMethod", func(_ *etree.Document, s *etree.Element) {
			child(child(s, "SignedInfo"), "CanonicalizationMethod").CreateAttr("Algorithm", "http://www.w3.org/2006/12/xml-c14n11#x")
		}, CodeSigTransform},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyWSSE(resignSafe(t, signed, c.issued.Key, tc.mutate), Options{})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tc.code)
		})
	}
}

// resignSafe is resign for mutations whose canonicalization resign itself cannot follow.
func resignSafe(t *testing.T, b []byte, key crypto.Signer, mutate func(*etree.Document, *etree.Element)) []byte {
	t.Helper()
	doc := mustParse(t, b)
	s := signatures(doc.Root(), nil)[0]
	if mutate != nil {
		mutate(doc, s)
	}
	out, err := serialize(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c14n.MethodOf(child(child(s, "SignedInfo"), "CanonicalizationMethod").SelectAttrValue("Algorithm", "")); !ok {
		return out // cannot be re-signed; it is refused before the SignatureValue matters
	}
	return resign(t, out, key, nil, nil, nil)
}

func TestWSSEAlgorithms(t *testing.T) {
	c := newTestCA(t)
	signed := c.signWSSE(t, sendMessage, SignOptions{})
	key := c.issued.Key
	sha1 := resign(t, signed, key, RSAPKCS1v15(RSASHA1, crypto.SHA1), Digest(DigestSHA1, crypto.SHA1), nil)
	_, err := VerifyWSSE(sha1, Options{})
	wantCode(t, err, CodeAlgorithmNotSupported)
	if _, err := VerifyWSSE(sha1, Options{AllowSHA1: true}); err != nil {
		t.Fatalf("SHA-1 allowed: %v", err)
	}
	sha1digest := resign(t, signed, key, nil, Digest(DigestSHA1, crypto.SHA1), nil)
	_, err = VerifyWSSE(sha1digest, Options{})
	wantCode(t, err, CodeAlgorithmNotSupported)

	// Unknown URIs (the unregistered 256-bit GOST 2015 among them) are refused as not supported,
	// whatever the value.
	for _, uri := range []string{GOST2015With256, "http://www.w3.org/2000/09/xmldsig#hmac-sha1", "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"} {
		b := replaceOnce(t, signed, RSASHA256, uri)
		_, err := VerifyWSSE(b, Options{})
		wantCode(t, err, CodeAlgorithmNotSupported)
		var e *Error
		if !errors.As(err, &e) || e.Certificate == nil {
			t.Errorf("%s: signer certificate not reported", uri)
		}
	}
	// The registered GOST methods with an RSA certificate: that key made no GOST signature.
	for _, uri := range []string{GOST2004, GOST2015With512} {
		_, err := VerifyWSSE(replaceOnce(t, signed, RSASHA256, uri), Options{})
		wantCode(t, err, CodeSigInvalid)
	}
	for _, uri := range []string{"urn:unknown"} {
		_, err := VerifyWSSE(replaceOnce(t, signed, DigestSHA256, uri), Options{})
		wantCode(t, err, CodeAlgorithmNotSupported)
	}
	// Registered GOST digests are accepted as methods; the changed SignedInfo then fails.
	for _, uri := range []string{DigestGOST34311, DigestStreebog256, DigestStreebog512} {
		_, err := VerifyWSSE(replaceOnce(t, signed, DigestSHA256, uri), Options{})
		wantCode(t, err, CodeSigInvalid)
	}
	// An ECDSA method with an RSA key.
	_, err = VerifyWSSE(replaceOnce(t, signed, RSASHA256, ECDSASHA256), Options{})
	wantCode(t, err, CodeSigInvalid)
}

// fakeGOST stands for a GOST implementation another package would register: it proves that the
// registry, not this package, decides which URIs verify.
type fakeGOST struct{ inner SignatureAlgorithm }

func (fakeGOST) URI() string { return GOST2015With256 }
func (f fakeGOST) Verify(cert *x509.Certificate, signed, sig []byte) error {
	return f.inner.Verify(cert, signed, sig)
}
func (f fakeGOST) Sign(key crypto.Signer, signed []byte) ([]byte, error) {
	return f.inner.Sign(key, signed)
}

func TestRegistryPluggable(t *testing.T) {
	c := newTestCA(t)
	reg := DefaultRegistry().WithSignature(fakeGOST{RSAPKCS1v15(RSASHA256, crypto.SHA256)}).WithDigest(Digest(DigestStreebog256, crypto.SHA256))
	signed, err := SignWSSE([]byte(sendMessage), c.issued.Key, c.issued.Certificate,
		SignOptions{SignatureMethod: GOST2015With256, DigestMethod: DigestStreebog256, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyWSSE(signed, Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	if v.SignatureMethod != GOST2015With256 || v.DigestMethod != DigestStreebog256 {
		t.Fatalf("%s %s", v.SignatureMethod, v.DigestMethod)
	}
	_, err = VerifyWSSE(signed, Options{})
	wantCode(t, err, CodeAlgorithmNotSupported)
	if _, ok := DefaultRegistry().Signature(GOST2015With256); ok {
		t.Fatal("WithSignature changed the default registry")
	}
}

func TestWSSEKeyInfo(t *testing.T) {
	c := newTestCA(t)
	signed := c.signWSSE(t, sendMessage, SignOptions{})
	certB64 := base64.StdEncoding.EncodeToString(c.issued.Certificate.Raw)
	s := string(signed)
	ki := s[strings.Index(s, "<ds:KeyInfo>") : strings.Index(s, "</ds:KeyInfo>")+len("</ds:KeyInfo>")]
	keyInfo := func(inner string) []byte {
		return []byte(strings.Replace(s, ki, "<ds:KeyInfo>"+inner+"</ds:KeyInfo>", 1))
	}
	withBST := func(bst, inner string) []byte {
		return []byte(strings.Replace(string(keyInfo(inner)), "<ds:Signature", bst+"<ds:Signature", 1))
	}
	bst := `<wsse:BinarySecurityToken wsu:Id="X509-1" EncodingType="` + EncodingBase64 + `" ValueType="` + ValueTypeX509v3 + `">` + certB64 + `</wsse:BinarySecurityToken>`
	ref := `<wsse:SecurityTokenReference><wsse:Reference URI="#X509-1" ValueType="` + ValueTypeX509v3 + `"/></wsse:SecurityTokenReference>`
	other := newTestCA(t).issued.Certificate
	tests := []struct {
		name string
		doc  []byte
		code Code
	}{
		{"KeyIdentifier", signed, ""},
		{"KeyIdentifier with CR and line breaks", keyInfo(`<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType="` + EncodingBase64 + `" ValueType="` + ValueTypeX509v3 + `">` + wrap76(certB64) + `</wsse:KeyIdentifier></wsse:SecurityTokenReference>`), ""},
		{"BinarySecurityToken", withBST(bst, ref), ""},
		{"X509Data", keyInfo(`<ds:X509Data><ds:X509Certificate>` + certB64 + `</ds:X509Certificate><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(c.a.Issuing().Raw) + `</ds:X509Certificate></ds:X509Data>`), ""},
		{"no KeyInfo", keyInfo(""), CodeSigNoCert},
		{"KeyIdentifier by thumbprint", keyInfo(`<wsse:SecurityTokenReference><wsse:KeyIdentifier ValueType="http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1">AAAA</wsse:KeyIdentifier></wsse:SecurityTokenReference>`), CodeSigNoCert},
		{"Reference to a missing token", keyInfo(ref), CodeSigNoCert},
		{"Reference to a duplicated token", withBST(bst+bst, ref), CodeSigNoCert},
		{"another signer's certificate", keyInfo(`<ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(other.Raw) + `</ds:X509Certificate></ds:X509Data>`), CodeSigInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := VerifyWSSE(tc.doc, Options{})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !v.Certificate.Equal(c.issued.Certificate) {
					t.Fatal("wrong signer")
				}
				return
			}
			wantCode(t, err, tc.code)
		})
	}
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "&#13;\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// TestECDSARawValue checks r‖s: the value is 64 bytes for P-256, and an ASN.1 DER value (what
// goxmldsig produces) is refused.
func TestECDSARawValue(t *testing.T) {
	k, cert := ecdsaCert(t)
	signed, err := SignWSSE([]byte(sendMessage), k, cert, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	doc := mustParse(t, signed)
	sv := descendant(doc.Root(), "SignatureValue")
	raw, err := base64.StdEncoding.DecodeString(sv.Text())
	if err != nil || len(raw) != 64 {
		t.Fatalf("SignatureValue of %d bytes (%v), want 64", len(raw), err)
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
	if err != nil {
		t.Fatal(err)
	}
	sv.SetText(base64.StdEncoding.EncodeToString(der))
	b, err := serialize(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifyWSSE(b, Options{})
	wantCode(t, err, CodeSigInvalid)
}

func TestWSSELarge(t *testing.T) {
	c := newTestCA(t)
	var items strings.Builder
	for i := 0; items.Len() < 50<<10; i++ {
		fmt.Fprintf(&items, "<person><iin>%012d</iin><name>Тестов Тест &amp; сыновья</name></person>", i)
	}
	env := strings.Replace(sendMessage, "<iin>931002451325</iin>", items.String(), 1)
	signed := c.signWSSE(t, env, SignOptions{})
	v, err := VerifyWSSE(signed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Signed) < 50<<10 {
		t.Fatalf("signed %d bytes", len(v.Signed))
	}
	// 10 000 elements in the Body.
	env = strings.Replace(sendMessage, "<iin>931002451325</iin>", strings.Repeat("<e>x</e>", 10000), 1)
	if _, err := VerifyWSSE(c.signWSSE(t, env, SignOptions{}), Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyWSSEDocumentTakesBody: the verified Body is the document's own Body rewritten into its
// canonical form (comments gone, the text they split joined) and taken out of the document.
func TestVerifyWSSEDocumentTakesBody(t *testing.T) {
	c := newTestCA(t)
	signed := c.signWSSE(t, sendMessage, SignOptions{})
	b := replaceOnce(t, signed, "<iin>9310", "<iin>9310<!-- split -->")
	doc, err := Parse(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	env := doc.Root()
	body := env.ChildElements()[len(env.ChildElements())-1]
	if iin := descendant(body, "iin"); iin == nil || len(iin.Child) != 3 {
		t.Fatal("the parsed Body's <iin> is not text, comment, text")
	}
	v, err := VerifyWSSEDocument(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Element != body {
		t.Fatal("Verified.Element is not the document's Body")
	}
	for _, k := range env.ChildElements() {
		if k.Tag == "Body" {
			t.Fatal("the Body is still in the Envelope")
		}
	}
	if p := v.Element.Parent(); p == nil || p.Parent() != nil || len(p.Child) != 1 {
		t.Fatal("the Body is not the root of a document of its own")
	}
	iin := descendant(v.Element, "iin")
	if iin == nil || iin.Text() != "931002451325" || len(iin.Child) != 1 {
		t.Fatalf("<iin> reads %q in %d nodes after verification", iin.Text(), len(iin.Child))
	}
	if strings.Contains(string(v.Signed), "split") {
		t.Fatal("the comment was signed content")
	}

	// A Body that does not match its digest is refused all the same.
	doc, err = Parse(replaceOnce(t, signed, "<iin>9310", "<iin>9311"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifyWSSEDocument(doc, Options{})
	wantCode(t, err, CodeSigDigestMismatch)
}
