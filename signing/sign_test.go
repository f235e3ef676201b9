package signing

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/signing/c14n"
)

func TestSignDoesNotMutate(t *testing.T) {
	c := newTestCA(t)
	for _, in := range []string{sendMessage, contract} {
		b := []byte(in)
		before := bytes.Clone(b)
		var err error
		if in == sendMessage {
			_, err = SignWSSE(b, c.issued.Key, c.issued.Certificate, SignOptions{})
		} else {
			_, err = SignEnveloped(b, c.issued.Key, c.issued.Certificate, SignOptions{NCALayer: true})
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, before) {
			t.Fatal("input bytes changed")
		}
	}
	// Signing twice from the same input gives two independent, valid envelopes.
	a := c.signWSSE(t, sendMessage, SignOptions{})
	b := c.signWSSE(t, sendMessage, SignOptions{})
	if bytes.Equal(a, b) {
		t.Fatal("two envelopes share the Body ID")
	}
	for _, x := range [][]byte{a, b} {
		if _, err := VerifyWSSE(x, Options{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSignWSSELayout checks the layout of anchors §1.7.
func TestSignWSSELayout(t *testing.T) {
	c := newTestCA(t)
	doc := mustParse(t, c.signWSSE(t, sendMessage, SignOptions{}))
	env := doc.Root()
	kids := env.ChildElements()
	if len(kids) != 2 || !is(kids[0], NSSOAP11, "Header") || !is(kids[1], NSSOAP11, "Body") || kids[0].Space != "soapenv" {
		t.Fatalf("envelope children %v", kids)
	}
	id, _ := attr(kids[1], NSWSU, "Id")
	if !regexp.MustCompile(`^id-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("Body wsu:Id %q", id)
	}
	sec := kids[0].ChildElements()
	if len(sec) != 1 || !is(sec[0], NSWSSE, "Security") {
		t.Fatal("no wsse:Security")
	}
	if mu, _ := attr(sec[0], NSSOAP11, "mustUnderstand"); mu != "1" {
		t.Fatalf("mustUnderstand %q", mu)
	}
	sig := sec[0].ChildElements()
	if len(sig) != 1 || !is(sig[0], NSDSig, "Signature") {
		t.Fatal("no ds:Signature")
	}
	si := child(sig[0], "SignedInfo")
	ref := child(si, "Reference")
	checks := map[string]string{
		"CanonicalizationMethod": child(si, "CanonicalizationMethod").SelectAttrValue("Algorithm", ""),
		"SignatureMethod":        child(si, "SignatureMethod").SelectAttrValue("Algorithm", ""),
		"Reference URI":          ref.SelectAttrValue("URI", ""),
		"Transform":              child(child(ref, "Transforms"), "Transform").SelectAttrValue("Algorithm", ""),
		"DigestMethod":           child(ref, "DigestMethod").SelectAttrValue("Algorithm", ""),
	}
	want := map[string]string{
		"CanonicalizationMethod": c14n.Exclusive, "SignatureMethod": RSASHA256, "Reference URI": "#" + id,
		"Transform": c14n.Exclusive, "DigestMethod": DigestSHA256,
	}
	for k, v := range want {
		if checks[k] != v {
			t.Errorf("%s = %q, want %q", k, checks[k], v)
		}
	}
	if n := len(child(ref, "Transforms").ChildElements()); n != 1 {
		t.Errorf("%d transforms", n)
	}
	ki := descendant(sig[0], "KeyIdentifier")
	if ki == nil || !is(ki.Parent(), NSWSSE, "SecurityTokenReference") || ki.SelectAttrValue("ValueType", "") != ValueTypeX509v3 ||
		ki.SelectAttrValue("EncodingType", "") != EncodingBase64 || ki.Text() != base64.StdEncoding.EncodeToString(c.issued.Certificate.Raw) {
		t.Fatal("KeyInfo is not SecurityTokenReference/KeyIdentifier with the certificate")
	}

	// An existing Header is kept and receives the Security header; a second Security is refused.
	withHeader := `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header><x:h xmlns:x="urn:x"/></S:Header><S:Body><m/></S:Body></S:Envelope>`
	doc = mustParse(t, c.signWSSE(t, withHeader, SignOptions{}))
	if h := doc.Root().ChildElements()[0].ChildElements(); len(h) != 2 || h[0].Tag != "h" || !is(h[1], NSWSSE, "Security") {
		t.Fatal("Header not kept")
	}
	signed := c.signWSSE(t, withHeader, SignOptions{})
	_, err := SignWSSE(signed, c.issued.Key, c.issued.Certificate, SignOptions{})
	wantCode(t, err, CodeWSSEMultipleSecurity)
}

func TestSignEnvelopedLayout(t *testing.T) {
	c := newTestCA(t)
	for _, tc := range []struct {
		opts          SignOptions
		c14n, last    string
		nTransforms   int
		wantEnveloped bool
	}{
		{SignOptions{}, c14n.Exclusive, c14n.Exclusive, 2, true},
		{SignOptions{NCALayer: true}, c14n.Inclusive10, c14n.Inclusive10WithComments, 2, true},
	} {
		doc := mustParse(t, c.signEnveloped(t, contract, tc.opts))
		kids := doc.Root().ChildElements()
		sig := kids[len(kids)-1]
		if !is(sig, NSDSig, "Signature") {
			t.Fatal("Signature is not the last child of the root")
		}
		si := child(sig, "SignedInfo")
		ts := child(child(si, "Reference"), "Transforms").ChildElements()
		if got := child(si, "CanonicalizationMethod").SelectAttrValue("Algorithm", ""); got != tc.c14n {
			t.Errorf("CanonicalizationMethod %s", got)
		}
		if len(ts) != tc.nTransforms || ts[0].SelectAttrValue("Algorithm", "") != TransformEnveloped || ts[1].SelectAttrValue("Algorithm", "") != tc.last {
			t.Errorf("transforms %v", ts)
		}
		if x := descendant(sig, "X509Certificate"); x == nil || !is(x.Parent(), NSDSig, "X509Data") || x.Text() != base64.StdEncoding.EncodeToString(c.issued.Certificate.Raw) {
			t.Error("KeyInfo is not X509Data/X509Certificate")
		}
	}
}

// Every refusal to sign carries a code.
func TestSignRefuses(t *testing.T) {
	c := newTestCA(t)
	other := newTestCA(t)
	key, cert := c.issued.Key, c.issued.Certificate
	ecKey, ecCert := ecdsaCert(t)
	gKey, gCert := gostCert(t, gost3410.TC26512A())
	errHSM := errors.New("token removed")
	wsse := func(k crypto.Signer, c *x509.Certificate, o SignOptions) func() ([]byte, error) {
		return func() ([]byte, error) { return SignWSSE([]byte(sendMessage), k, c, o) }
	}
	enveloped := func(k crypto.Signer, c *x509.Certificate, o SignOptions) func() ([]byte, error) {
		return func() ([]byte, error) { return SignEnveloped([]byte(contract), k, c, o) }
	}
	for _, tc := range []struct {
		name string
		sign func() ([]byte, error)
		code Code
		text string // in the message too, when set
		is   error  // reachable with errors.Is, when set
	}{
		{"no key", wsse(nil, cert, SignOptions{}), CodeSignNoKey, "a key and its certificate are required", nil},
		{"no certificate", enveloped(key, nil, SignOptions{}), CodeSignNoKey, "", nil},
		{"certificate of another key", wsse(key, other.issued.Certificate, SignOptions{}), CodeSignCertMismatch, "does not match the key", nil},
		{"certificate of another key, enveloped", enveloped(key, other.issued.Certificate, SignOptions{}), CodeSignCertMismatch, "", nil},
		{"RSA certificate for an ECDSA key", wsse(ecKey, cert, SignOptions{}), CodeSignCertMismatch, "", nil},
		{"rsa-sha1", wsse(key, cert, SignOptions{SignatureMethod: RSASHA1}), CodeAlgorithmNotSupported, "", nil},
		{"sha1 digest", enveloped(key, cert, SignOptions{DigestMethod: DigestSHA1}), CodeAlgorithmNotSupported, "", nil},
		{"unknown method", wsse(key, cert, SignOptions{SignatureMethod: "urn:x:rsa-md5"}), CodeAlgorithmNotSupported, "", nil},
		{"GOST 2015-256 (not registered)", wsse(key, cert, SignOptions{SignatureMethod: GOST2015With256}), CodeAlgorithmNotSupported, "", nil},
		{"GOST method, RSA key", wsse(key, cert, SignOptions{SignatureMethod: GOST2015With512}), CodeSignMethodMismatch, "needs a GOST key", nil},
		{"ECDSA method, RSA key", enveloped(key, cert, SignOptions{SignatureMethod: ECDSASHA256}), CodeSignMethodMismatch, "needs an ECDSA key", nil},
		{"RSA method, ECDSA key", wsse(ecKey, ecCert, SignOptions{SignatureMethod: RSASHA256}), CodeSignMethodMismatch, "needs an RSA key", nil},
		{"GOST 2004 method, 2015-512 key", enveloped(gKey, gCert, SignOptions{SignatureMethod: GOST2004}), CodeSignMethodMismatch, "needs a", nil},
		{"unknown canonicalization", wsse(key, cert, SignOptions{Canonicalization: "urn:x:c14n"}), CodeSigTransform, "", nil},
		{"the RSA signer fails", wsse(failingSigner{key, errHSM, nil}, cert, SignOptions{}), CodeSignFailed, "token removed", errHSM},
		{"the ECDSA signer fails", enveloped(failingSigner{ecKey, errHSM, nil}, ecCert, SignOptions{}), CodeSignFailed, "", errHSM},
		{"the ECDSA signer returns no DER", wsse(failingSigner{ecKey, nil, []byte{1, 2, 3}}, ecCert, SignOptions{}), CodeSignFailed, "malformed", nil},
		{"the ECDSA signer returns r = 0", wsse(failingSigner{ecKey, nil, []byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01}}, ecCert, SignOptions{}), CodeSignFailed, "out-of-range", nil},
		{"the GOST signer fails", enveloped(failingSigner{gKey, errHSM, nil}, gCert, SignOptions{}), CodeSignFailed, "", errHSM},
		{"the GOST signer returns a short value", enveloped(failingSigner{gKey, nil, make([]byte, 64)}, gCert, SignOptions{}), CodeSignFailed, "want r‖s of 128", nil},
		{"not an envelope", func() ([]byte, error) { return SignWSSE([]byte(contract), key, cert, SignOptions{}) }, CodeSOAPNotEnvelope, "", nil},
		{"DOCTYPE", func() ([]byte, error) { return SignEnveloped([]byte(`<!DOCTYPE a><a/>`), key, cert, SignOptions{}) }, CodeXMLDoctype, "", nil},
		{"undeclared prefix outside the Body", func() ([]byte, error) {
			doc := etree.NewDocument()
			env := doc.CreateElement("S:Envelope")
			env.CreateAttr("xmlns:S", NSSOAP11)
			env.CreateElement("S:Header").CreateElement("x:h")
			env.CreateElement("S:Body").CreateElement("m")
			return SignWSSEDocument(doc, key, cert, SignOptions{})
		}, CodeXMLMalformed, "cannot serialize", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.sign()
			if out != nil {
				t.Errorf("output with an error: %s", out)
			}
			wantCode(t, err, tc.code)
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Errorf("message %q lacks %q", err, tc.text)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v does not wrap %v", err, tc.is)
			}
		})
	}
}

// failingSigner is a key whose Sign fails with err, or returns value instead of a signature: a
// token removed mid-way, or a broken HSM driver.
type failingSigner struct {
	crypto.Signer
	err   error
	value []byte
}

func (f failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return f.value, f.err
}

// SignWSSEDocument signs a tree built in memory exactly as SignWSSE signs its serialization, and
// refuses what SignWSSE refuses.
func TestSignWSSEDocument(t *testing.T) {
	c := newTestCA(t)
	build := func() *etree.Document {
		doc := etree.NewDocument()
		env := doc.CreateElement("SOAP-ENV:Envelope")
		env.CreateAttr("xmlns:SOAP-ENV", NSSOAP11)
		resp := env.CreateElement("SOAP-ENV:Body").CreateElement("ns2:SendMessageResponse")
		resp.CreateAttr("xmlns:ns2", "http://bip.bee.kz/SyncChannel/v10/Types")
		resp.CreateElement("response").CreateElement("responseInfo").CreateElement("messageId").SetText("m-1 & <2>")
		return doc
	}
	opts := SignOptions{BodyID: "id-fixed"}
	raw, err := build().WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	viaBytes, err := SignWSSE(raw, c.issued.Key, c.issued.Certificate, opts)
	if err != nil {
		t.Fatal(err)
	}
	viaTree, err := SignWSSEDocument(build(), c.issued.Key, c.issued.Certificate, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(viaBytes, viaTree) {
		t.Fatalf("the tree signs differently from its bytes:\n%s\n%s", viaBytes, viaTree)
	}
	v, err := VerifyWSSE(viaTree, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := descendant(v.Element, "messageId"); got == nil || got.Text() != "m-1 & <2>" || !v.Certificate.Equal(c.issued.Certificate) {
		t.Fatalf("verified element %v, signer %v", v.Element, v.Certificate.Subject)
	}

	_, err = SignWSSEDocument(etree.NewDocument(), c.issued.Key, c.issued.Certificate, opts)
	wantCode(t, err, CodeSOAPNotEnvelope)
	twice := build()
	if _, err := SignWSSEDocument(twice, c.issued.Key, c.issued.Certificate, opts); err != nil {
		t.Fatal(err)
	}
	_, err = SignWSSEDocument(twice, c.issued.Key, c.issued.Certificate, opts)
	wantCode(t, err, CodeWSSEMultipleSecurity)
}

// A tree can hold what XML cannot (control characters, invalid UTF-8): SignWSSEDocument refuses to
// emit it rather than send a document no one can parse; what XML allows is signed.
func TestSignWSSEDocumentRefusesNonXMLCharacters(t *testing.T) {
	c := newTestCA(t)
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"a\x01b", false}, {"\xff", false}, {"x\uFFFEy", false}, {"a\x00", false},
		{"tab\tnewline\ncr\r, «ИИН» 𝄞 \uE000", true},
	} {
		doc := etree.NewDocument()
		env := doc.CreateElement("S:Envelope")
		env.CreateAttr("xmlns:S", NSSOAP11)
		env.CreateElement("S:Body").CreateElement("m").SetText(tc.text)
		out, err := SignWSSEDocument(doc, c.issued.Key, c.issued.Certificate, SignOptions{})
		if !tc.ok {
			wantCode(t, err, CodeXMLMalformed)
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		if _, err := VerifyWSSE(out, Options{}); err != nil {
			t.Fatalf("%q: the signed output does not verify: %v", tc.text, err)
		}
	}
}
