package signing

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/signing/c14n"
)

const contract = `<ns3:contractRequest xmlns:ns3="http://enbek.kz/contract/ws/schemas"><iin>931002451325</iin><!-- a comment --><position>инженер</position></ns3:contractRequest>`

func TestEnvelopedRoundTrip(t *testing.T) {
	c := newTestCA(t)
	ek, ec := ecdsaCert(t)
	tests := []struct {
		name, doc string
		opts      SignOptions
		ecdsa     bool
		uri       string
	}{
		{"exc-c14n", contract, SignOptions{}, false, ""},
		{"NCALayer layout", contract, SignOptions{NCALayer: true}, false, ""},
		{"root with an Id", `<doc Id="d-1"><iin>931002451325</iin></doc>`, SignOptions{}, false, "#d-1"},
		{"ECDSA P-256", contract, SignOptions{}, true, ""},
		{"C14N 1.1", contract, SignOptions{Canonicalization: c14n.Inclusive11}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var signed []byte
			var err error
			if tc.ecdsa {
				signed, err = SignEnveloped([]byte(tc.doc), ek, ec, tc.opts)
			} else {
				signed, err = SignEnveloped([]byte(tc.doc), c.issued.Key, c.issued.Certificate, tc.opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			v, err := VerifyEnveloped(signed, Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, signed)
			}
			if strings.Contains(string(v.Signed), "Signature") || strings.Contains(string(v.Signed), "<!--") {
				t.Fatalf("signed content holds the signature or a comment: %s", v.Signed)
			}
			ref := descendant(mustParse(t, signed).Root(), "Reference")
			if got := ref.SelectAttrValue("URI", "?"); got != tc.uri {
				t.Fatalf("URI %q, want %q", got, tc.uri)
			}
			if !tc.ecdsa {
				res, err := c.checker(t).CheckEnveloped(context.Background(), signed, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Verdict.Identity.IIN != "931002451325" {
					t.Fatalf("identity %q", res.Verdict.Identity.IIN)
				}
			}
			_, err = VerifyEnveloped(replaceOnce(t, signed, "931002451325", "931002451326"), Options{})
			wantCode(t, err, CodeSigDigestMismatch)
		})
	}
}

func TestEnvelopedReferenceRules(t *testing.T) {
	c := newTestCA(t)
	key := c.issued.Key
	doc := `<doc Id="root"><part Id="p1"><iin>931002451325</iin></part><other Id="o1"/></doc>`
	signed := c.signEnveloped(t, doc, SignOptions{})
	moveInto := func(id string) func(*etree.Document, *etree.Element) {
		return func(d *etree.Document, s *etree.Element) {
			target := elementsWithID(d.Root(), id)[0]
			s.Parent().RemoveChild(s)
			target.AddChild(s)
			child(child(s, "SignedInfo"), "Reference").CreateAttr("URI", "#"+id)
		}
	}
	setURI := func(uri string) func(*etree.Document, *etree.Element) {
		return func(_ *etree.Document, s *etree.Element) {
			child(child(s, "SignedInfo"), "Reference").CreateAttr("URI", uri)
		}
	}
	transforms := func(algs ...string) func(*etree.Document, *etree.Element) {
		return func(_ *etree.Document, s *etree.Element) {
			ref := child(child(s, "SignedInfo"), "Reference")
			ts := child(ref, "Transforms")
			for _, tr := range ts.ChildElements() {
				ts.RemoveChild(tr)
			}
			for _, a := range algs {
				ts.CreateElement("ds:Transform").CreateAttr("Algorithm", a)
			}
		}
	}
	tests := []struct {
		name   string
		mutate func(*etree.Document, *etree.Element)
		code   Code
		signed string // the tag of the signed element when it verifies
	}{
		{"as signed (#root)", nil, "", "doc"},
		{"URI=\"\"", setURI(""), "", "doc"},
		{"Signature inside the element it names", moveInto("p1"), "", "part"},
		{"reference to a sibling element", setURI("#p1"), CodeSigReference, ""},
		{"reference to the root from a nested Signature", func(d *etree.Document, s *etree.Element) {
			moveInto("p1")(d, s)
			setURI("#root")(d, s)
		}, CodeSigReference, ""},
		{"URI=\"\" from a nested Signature", func(d *etree.Document, s *etree.Element) {
			moveInto("p1")(d, s)
			setURI("")(d, s)
		}, CodeSigReference, ""},
		{"duplicated ID", func(d *etree.Document, s *etree.Element) {
			elementsWithID(d.Root(), "o1")[0].CreateAttr("ID", "root")
		}, CodeSigReference, ""},
		{"duplicated ID as wsu:Id", func(d *etree.Document, s *etree.Element) {
			o := elementsWithID(d.Root(), "o1")[0]
			o.CreateAttr("xmlns:wsu", NSWSU)
			o.CreateAttr("wsu:Id", "root")
		}, CodeSigReference, ""},
		{"unknown ID", setURI("#nowhere"), CodeSigReference, ""},
		{"xpointer", setURI("#xpointer(/)"), CodeSigReference, ""},
		{"no enveloped-signature transform", transforms(c14n.Exclusive), CodeSigTransform, ""},
		{"enveloped-signature not first", transforms(c14n.Exclusive, TransformEnveloped), CodeSigTransform, ""},
		{"enveloped-signature only", transforms(TransformEnveloped), "", "doc"},
		{"XPath filter", transforms(TransformEnveloped, "http://www.w3.org/2002/06/xmldsig-filter2"), CodeSigTransform, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := resign(t, signed, key, nil, nil, tc.mutate)
			v, err := VerifyEnveloped(b, Options{})
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if v.Element.Tag != tc.signed {
				t.Fatalf("signed <%s>, want <%s>", v.Element.Tag, tc.signed)
			}
		})
	}
}

// TestEnvelopedComments: under URI="" comments are never signed content, whatever the transform.
func TestEnvelopedComments(t *testing.T) {
	c := newTestCA(t)
	signed := c.signEnveloped(t, contract, SignOptions{NCALayer: true})
	for _, tc := range []struct{ name, old, new string }{
		{"comment edited", "<!-- a comment -->", "<!-- edited -->"},
		{"comment removed", "<!-- a comment -->", ""},
		{"comment added", "<iin>", "<!-- added --><iin>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifyEnveloped(replaceOnce(t, signed, tc.old, tc.new), Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEnvelopedSeveralSigners(t *testing.T) {
	c := newTestCA(t)
	ek, ec := ecdsaCert(t)
	first := c.signEnveloped(t, contract, SignOptions{NCALayer: true})
	both, err := SignEnveloped(first, ek, ec, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := VerifyEnvelopedAll(both, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("%+v", rs)
	}
	if !rs[0].Verified.Certificate.Equal(c.issued.Certificate) || !rs[1].Verified.Certificate.Equal(ec) {
		t.Fatal("signers out of order")
	}
	if strings.Contains(string(rs[0].Verified.Signed), "Signature") || !strings.Contains(string(rs[1].Verified.Signed), "Signature") {
		t.Fatal("the second signature must cover the first, and not the reverse")
	}
	rs, err = VerifyEnvelopedAll(replaceOnce(t, both, "инженер", "директор"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, rs[0].Err, CodeSigDigestMismatch)
	wantCode(t, rs[1].Err, CodeSigDigestMismatch)
	_, err = VerifyEnveloped(both, Options{})
	wantCode(t, err, CodeSigMultiple)
	_, err = VerifyEnveloped([]byte(contract), Options{})
	wantCode(t, err, CodeSigMissing)
}

// TestEnvelopedLarge: goxmldsig's Validate gives up above ~973 elements with the Signature last.
func TestEnvelopedLarge(t *testing.T) {
	c := newTestCA(t)
	var b strings.Builder
	b.WriteString(`<doc xmlns="urn:x">`)
	for range 9999 {
		b.WriteString(`<e a="1">x</e>`)
	}
	b.WriteString(`</doc>`)
	for _, opts := range []SignOptions{{}, {NCALayer: true}} {
		signed := c.signEnveloped(t, b.String(), opts)
		v, err := VerifyEnveloped(signed, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(v.Element.ChildElements()); n != 9999 {
			t.Fatalf("%d elements signed", n)
		}
	}
}

func TestParseEmbedded(t *testing.T) {
	escaped := html.EscapeString(string(fixtures.Read(t, "enveloped-rsa-ncalayer-layout.xml")))
	tests := []struct {
		name, data string
		inline     bool
		want       string // prefix of the returned document; "" for an error
	}{
		{"xs:string", `<data xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">&lt;a&gt;x&lt;/a&gt;</data>`, false, "<a>x</a>"},
		{"xsd:string", `<data xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xsd:string">&lt;a/&gt;</data>`, false, "<a/>"},
		{"untyped text", `<data>&lt;a/&gt;</data>`, false, "<a/>"},
		{"inline document", `<data xmlns:p="urn:p"><p:doc><x/></p:doc></data>`, true, `<p:doc xmlns:p="urn:p"><x></x></p:doc>`},
		{"typed inline", `<data xmlns:cs="urn:cs" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="cs:Request"><doc/></data>`, true, `<doc xmlns:cs="urn:cs"`},
		{"string prefix bound elsewhere", `<data xmlns:xs="urn:not-schema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string"><doc/></data>`, true, `<doc`},
		{"xs:string holding elements", `<data xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string"><doc/></data>`, false, ""},
		{"two elements", `<data><a/><b/></data>`, true, ""},
		{"mixed", `<data>x<a/></data>`, true, ""},
		{"empty", `<data/>`, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, inline, err := ParseEmbedded(mustParse(t, []byte(tc.data)).Root())
			if tc.want == "" {
				wantCode(t, err, CodeXMLMalformed)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inline != tc.inline || !strings.HasPrefix(string(doc), tc.want) {
				t.Fatalf("%q inline=%v", doc, inline)
			}
		})
	}

	// End to end: a WS-Security-signed request carrying an NCALayer-signed document as a string.
	c := newTestCA(t)
	env := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestData><data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xsi:type="xsd:string">` + escaped + `</data></requestData></request></ns3:SendMessage></soapenv:Body></soapenv:Envelope>`
	v, err := VerifyWSSE(c.signWSSE(t, env, SignOptions{}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	inner, inline, err := ParseEmbedded(descendant(v.Element, "data"))
	if err != nil || inline {
		t.Fatalf("%v %v", err, inline)
	}
	res, err := fixtureChecker(t).CheckEnveloped(context.Background(), inner, at2021)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict.Identity.IIN != "123456789011" {
		t.Fatalf("identity %q", res.Verdict.Identity.IIN)
	}
}
