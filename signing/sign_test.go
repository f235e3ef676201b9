package signing

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"

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

func TestSignRefuses(t *testing.T) {
	c := newTestCA(t)
	other := newTestCA(t)
	if _, err := SignWSSE([]byte(sendMessage), c.issued.Key, other.issued.Certificate, SignOptions{}); err == nil {
		t.Error("signed with a certificate that does not match the key")
	}
	_, err := SignWSSE([]byte(sendMessage), c.issued.Key, c.issued.Certificate, SignOptions{SignatureMethod: RSASHA1})
	wantCode(t, err, CodeAlgorithmNotSupported)
	_, err = SignWSSE([]byte(sendMessage), c.issued.Key, c.issued.Certificate, SignOptions{SignatureMethod: GOST2015With256})
	wantCode(t, err, CodeAlgorithmNotSupported)
	if _, err := SignWSSE([]byte(sendMessage), c.issued.Key, c.issued.Certificate, SignOptions{SignatureMethod: GOST2015With512}); err == nil ||
		!strings.Contains(err.Error(), "needs a GOST key") {
		t.Errorf("GOST method with an RSA key: %v", err)
	}
	_, err = SignWSSE([]byte(contract), c.issued.Key, c.issued.Certificate, SignOptions{})
	wantCode(t, err, CodeSOAPNotEnvelope)
	_, err = SignEnveloped([]byte(`<!DOCTYPE a><a/>`), c.issued.Key, c.issued.Certificate, SignOptions{})
	wantCode(t, err, CodeXMLDoctype)
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
