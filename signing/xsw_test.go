package signing

// XML Signature Wrapping (XSW) suite: the permutations of Somorovsky et al., "On Breaking SAML: Be
// Whoever You Want to Be" (USENIX Security 2012), and McIntosh & Austel, "XML signature element
// wrapping attacks and countermeasures" (SWS 2005), adapted to the two layouts ШЭП carries:
// WS-Security on the SOAP Body and enveloped signatures on business documents. Every case starts
// from a message genuinely signed by SignWSSE/SignEnveloped with a test НУЦ key and transforms its
// text. A case is either refused with a signing code, or (a benign change) accepted with exactly
// the original signed content in Verified.Element. No case may panic.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing/c14n"
)

const (
	xswIIN       = "931002451325"
	xswForgedIIN = "000000000000"
	xswMark      = "FORGED"
)

// xswCase is one attempt: refused with want, or accepted with the original content when want is "".
type xswCase struct {
	name string
	doc  string
	want Code
}

// xswGuard runs f, turning a panic into a test failure that names the case.
func xswGuard(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic: %v\n%s", name, r, debug.Stack())
		}
	}()
	f()
}

// xswDump renders a tree exactly (kinds, names, attributes in order, data) for comparison.
func xswDump(b *strings.Builder, tok etree.Token) {
	switch tok := tok.(type) {
	case *etree.Element:
		fmt.Fprintf(b, "<%q %q", tok.Space, tok.Tag)
		for _, a := range tok.Attr {
			fmt.Fprintf(b, " [%q %q %q]", a.Space, a.Key, a.Value)
		}
		b.WriteString(">")
		for _, c := range tok.Child {
			xswDump(b, c)
		}
		b.WriteString("</>")
	case *etree.CharData:
		fmt.Fprintf(b, "T%q", tok.Data)
	case *etree.Comment:
		fmt.Fprintf(b, "C%q", tok.Data)
	case *etree.ProcInst:
		fmt.Fprintf(b, "P%q%q", tok.Target, tok.Inst)
	}
}

func xswDumpOf(e *etree.Element) string {
	var b strings.Builder
	xswDump(&b, e)
	return b.String()
}

// xswRefused fails unless err is a refusal carrying a code, and want when it is not "".
func xswRefused(t *testing.T, err error, want Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want refusal %s", want)
	}
	got := CodeOf(err)
	if got == "" {
		t.Fatalf("refusal without a code: %v", err)
	}
	if want != "" && got != string(want) {
		t.Fatalf("code %s (%v), want %s", got, err, want)
	}
}

// xswOriginal fails unless v is the original signed content: the same canonical bytes, the same
// tree, a tree that is what those bytes denote, the original IIN and nothing forged.
func xswOriginal(t *testing.T, v, orig *Verified) {
	t.Helper()
	if v == nil || v.Element == nil {
		t.Fatal("accepted without a signed element")
	}
	if !bytes.Equal(v.Signed, orig.Signed) {
		t.Fatalf("signed bytes differ from the original:\n%s\n%s", v.Signed, orig.Signed)
	}
	if got, want := xswDumpOf(v.Element), xswDumpOf(orig.Element); got != want {
		t.Fatalf("signed element differs from the original:\n%s\n%s", got, want)
	}
	d, err := Parse(v.Signed, Limits{})
	if err != nil {
		t.Fatalf("signed bytes do not parse: %v", err)
	}
	if got, want := xswDumpOf(v.Element), xswDumpOf(d.Root()); got != want {
		t.Fatalf("Verified.Element is not what the digested bytes denote:\n%s\n%s", got, want)
	}
	if bytes.Contains(v.Signed, []byte(xswForgedIIN)) || bytes.Contains(v.Signed, []byte(xswMark)) {
		t.Fatalf("forged content in the signed element: %s", v.Signed)
	}
	if iin := descendant(v.Element, "iin"); iin == nil || iin.Text() != xswIIN {
		t.Fatalf("iin in the signed element: %v", iin)
	}
	if !v.Certificate.Equal(orig.Certificate) {
		t.Fatal("another signer certificate")
	}
}

// xswRun runs cases through verify and, when check is set, through the Checker.
func xswRun(t *testing.T, cases []xswCase, orig *Verified, verify func([]byte) (*Verified, error), check func([]byte) (*Result, error)) {
	t.Helper()
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("case %q twice", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			var v *Verified
			var err error
			xswGuard(t, tc.name, func() { v, err = verify([]byte(tc.doc)) })
			if tc.want != "" {
				xswRefused(t, err, tc.want)
				if v != nil {
					t.Fatal("a refusal came with a result")
				}
			} else {
				if err != nil {
					t.Fatalf("refused: %v\n%s", err, tc.doc)
				}
				xswOriginal(t, v, orig)
			}
			if check == nil {
				return
			}
			var r *Result
			xswGuard(t, tc.name+" (Checker)", func() { r, err = check([]byte(tc.doc)) })
			if tc.want != "" {
				xswRefused(t, err, tc.want)
				if r != nil {
					t.Fatal("a refusal came with a result")
				}
				return
			}
			if err != nil {
				t.Fatalf("Checker refused: %v", err)
			}
			xswOriginal(t, &r.Verified, orig)
			if r.Verdict.Identity.IIN != xswIIN {
				t.Fatalf("signer %q", r.Verdict.Identity.IIN)
			}
		})
	}
}

// cut returns s from the first occurrence of from to the end of the first occurrence of to after it.
func cut(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	if i < 0 {
		t.Fatalf("%q not found", from)
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		t.Fatalf("%q not found", to)
	}
	return s[i : i+j+len(to)]
}

func once(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("%q occurs %d times", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

func join(parts ...string) string { return strings.Join(parts, "") }

// xswWSSE is a signed envelope cut into pieces: decl+Envelope start tag, the wsse:Security start
// tag, the ds:Signature, the signed Body and the Envelope end tag.
type xswWSSE struct {
	s, envOpen, secOpen, sig, body, tail string
}

func splitWSSE(t *testing.T, signed []byte) xswWSSE {
	t.Helper()
	s := string(signed)
	m := xswWSSE{s: s}
	m.envOpen = s[:strings.Index(s, "<soapenv:Header>")]
	m.sig = cut(t, s, "<ds:Signature", "</ds:Signature>")
	m.secOpen = cut(t, s, "<wsse:Security", ">")
	m.body = cut(t, s, "<soapenv:Body", "</soapenv:Body>")
	m.tail = "</soapenv:Envelope>"
	if m.env(m.header(m.security(m.sig)), m.body) != s {
		t.Fatal("the signed envelope does not have the expected shape")
	}
	return m
}

func (m xswWSSE) env(children ...string) string { return m.envOpen + join(children...) + m.tail }
func (m xswWSSE) header(inner ...string) string {
	return "<soapenv:Header>" + join(inner...) + "</soapenv:Header>"
}
func (m xswWSSE) security(inner ...string) string {
	return m.secOpen + join(inner...) + "</wsse:Security>"
}

// sigWith puts x at the end of the ds:Signature; sigKeyInfo at the start of its KeyInfo.
func (m xswWSSE) sigWith(x string) string {
	return strings.Replace(m.sig, "</ds:Signature>", x+"</ds:Signature>", 1)
}
func (m xswWSSE) sigKeyInfo(x string) string {
	return strings.Replace(m.sig, "<ds:KeyInfo>", "<ds:KeyInfo>"+x, 1)
}

// with returns the whole signed envelope with old replaced by new once.
func (m xswWSSE) with(t *testing.T, old, new string) string { return once(t, m.s, old, new) }

func ext(x string) string {
	return `<ext:Extension xmlns:ext="urn:ext">` + x + `</ext:Extension>`
}

// forgedBody is a Body the attacker wants processed, with extra attributes on its start tag.
func forgedBody(attrs string) string {
	return `<soapenv:Body` + attrs + `><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo><serviceId>` +
		xswMark + `</serviceId></requestInfo><requestData><iin>` + xswForgedIIN + `</iin></requestData></request></ns3:SendMessage></soapenv:Body>`
}

const (
	wsuID   = ` xmlns:wsu="` + NSWSU + `" wsu:Id="id-1"`
	plainID = ` Id="id-1"`
)

func TestXSWWSSE(t *testing.T) {
	c := newTestCA(t)
	signed := c.signWSSE(t, sendMessage, SignOptions{BodyID: "id-1"})
	orig, err := VerifyWSSE(signed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := splitWSSE(t, signed)
	sec := m.security(m.sig)
	evil, evilWSU, evilPlain := forgedBody(""), forgedBody(wsuID), forgedBody(plainID)
	bodyNoSec := `<soapenv:Envelope xmlns:soapenv="` + NSSOAP11 + `">` + m.body + `</soapenv:Envelope>`
	decl := m.envOpen[:strings.Index(m.envOpen, "<soapenv:Envelope")]
	root := strings.TrimPrefix(m.s, decl)
	bodyInner := strings.TrimSuffix(m.body[strings.Index(m.body, ">")+1:], "</soapenv:Body>")
	bodyOpen := m.body[:strings.Index(m.body, ">")+1]
	dsNS := `xmlns:ds="` + NSDSig + `"`
	// The Signature outside wsse:Security needs its own wsse declaration (for its KeyInfo).
	sigOut := once(t, m.sig, "<ds:Signature ", `<ds:Signature xmlns:wsse="`+NSWSSE+`" `)

	cases := []xswCase{
		// The classic permutations: the signed Body relocated, forged content where the Body was.
		{"XSW1 signed Body in a Header extension, forged Body with the same wsu:Id", m.env(m.header(sec, ext(m.body)), evilWSU), CodeSigReference},
		{"XSW2 signed Body in a Header extension, forged Body without ID", m.env(m.header(sec, ext(m.body)), evil), CodeSigReference},
		{"XSW3 signed Body in a Header extension, forged Body with the same plain Id", m.env(m.header(sec, ext(m.body)), evilPlain), CodeSigReference},
		{"XSW4 signed Body as a bare header block, forged Body", m.env(m.header(sec, m.body), evil), CodeSigReference},
		{"XSW5 signed Body in wsse:Security after the Signature, forged Body", m.env(m.header(m.security(m.sig, m.body)), evil), CodeSigReference},
		{"XSW6 signed Body in wsse:Security before the Signature, forged Body with the same ID", m.env(m.header(m.security(m.body, m.sig)), evilWSU), CodeSigReference},
		{"XSW7 signed Body in ds:Object, forged Body", m.env(m.header(m.security(m.sigWith("<ds:Object>"+m.body+"</ds:Object>"))), evil), CodeSigMalformed},
		{"XSW8 signed Body in ds:KeyInfo, forged Body without ID", m.env(m.header(m.security(m.sigKeyInfo(m.body))), evil), CodeSigReference},
		{"XSW8b signed Body in ds:KeyInfo, forged Body with the same ID", m.env(m.header(m.security(m.sigKeyInfo(m.body))), evilWSU), CodeSigReference},
		{"signed Body in an unknown header with mustUnderstand=0", m.env(m.header(sec, `<x:H xmlns:x="urn:x" soapenv:mustUnderstand="0">`+m.body+`</x:H>`), evil), CodeSigReference},
		{"second Body after the signed one", m.env(m.header(sec), m.body, evil), CodeSOAPMultipleBody},
		{"second Body before the signed one", m.env(m.header(sec), evil, m.body), CodeSOAPMultipleBody},
		{"second Body with the same ID before the signed one", m.env(m.header(sec), evilWSU, m.body), CodeSOAPMultipleBody},
		{"forged Body wraps the signed Body", m.env(m.header(sec), `<soapenv:Body>`+m.body+`<iin>`+xswForgedIIN+`</iin></soapenv:Body>`), CodeSigReference},
		{"forged Body with the same ID wraps the signed Body", m.env(m.header(sec), `<soapenv:Body`+wsuID+`><iin>`+xswForgedIIN+`</iin>`+m.body+`</soapenv:Body>`), CodeSigReference},
		{"forged Body wraps the signed Body in an extension", m.env(m.header(sec), `<soapenv:Body><iin>`+xswForgedIIN+`</iin>`+ext(m.body)+`</soapenv:Body>`), CodeSigReference},
		{"forged Envelope holds the signed Envelope in a header", m.env(m.header(sec, ext(bodyNoSec)), evil), CodeSigReference},
		{"forged Envelope holds the whole signed Envelope in a header", m.env(m.header(sec, ext(root)), evil), CodeSigMultiple},
		{"forged Envelope holds the signed Envelope in its Body", m.env(m.header(sec), `<soapenv:Body>`+bodyNoSec+`</soapenv:Body>`), CodeSigReference},
		{"forged Envelope holds the signed Envelope in its Body with the same ID", m.env(m.header(sec), `<soapenv:Body`+wsuID+`>`+bodyNoSec+`</soapenv:Body>`), CodeSigReference},
		{"forged content after the Body", m.env(m.header(sec), m.body, `<iin>`+xswForgedIIN+`</iin>`), CodeSOAPNotEnvelope},
		{"forged Body before the Header", m.env(evil, m.header(sec), m.body), CodeSOAPNotEnvelope},
		{"signed Body before the Header", m.env(m.body, m.header(sec)), CodeSOAPNotEnvelope},
		{"forged content inside the signed Body", m.with(t, "<iin>"+xswIIN+"</iin>", "<iin>"+xswForgedIIN+"</iin>"), CodeSigDigestMismatch},

		// The Body's ID carried by another element too, earlier or later in document order.
		{"same wsu:Id earlier, in the Header", m.env(m.header(sec, `<h`+wsuID+`/>`), m.body), CodeSigReference},
		{"same wsu:Id earlier, on the Security header", m.env(m.header(once(t, m.secOpen, ">", ` wsu:Id="id-1">`)+m.sig+"</wsse:Security>"), m.body), CodeSigReference},
		{"same wsu:Id later, inside the Body", m.with(t, "<iin>", `<iin wsu:Id="id-1">`), CodeSigReference},
		{"same plain Id in the Header", m.env(m.header(sec, `<h Id="id-1"/>`), m.body), CodeSigReference},
		{"same ID in the Header", m.env(m.header(sec, `<h ID="id-1"/>`), m.body), CodeSigReference},
		{"same id in the Header", m.env(m.header(sec, `<h id="id-1"/>`), m.body), CodeSigReference},
		{"same xml:id in the Header", m.env(m.header(sec, `<h xml:id="id-1"/>`), m.body), CodeSigReference},
		{"same wsu:Id under another prefix in the Header", m.env(m.header(sec, `<h xmlns:u="`+NSWSU+`" u:Id="id-1"/>`), m.body), CodeSigReference},
		{"same ID on the Envelope", m.with(t, `<soapenv:Envelope `, `<soapenv:Envelope Id="id-1" `), CodeSigReference},
		{"same ID on the Header", m.with(t, `<soapenv:Header>`, `<soapenv:Header Id="id-1">`), CodeSigReference},
		{"same ID on the Signature", m.with(t, `<ds:Signature `, `<ds:Signature Id="id-1" `), CodeSigReference},
		{"the Body's wsu:Id moved to another namespace", m.with(t, `<soapenv:Body xmlns:wsu="`+NSWSU+`"`, `<soapenv:Body xmlns:wsu="urn:evil"`), CodeSigReference},
		{"the Body's ID changed", m.with(t, `wsu:Id="id-1">`, `wsu:Id="id-2">`), CodeSigReference},
		{"the Body's ID with a trailing newline reference", m.with(t, `wsu:Id="id-1">`, `wsu:Id="id-1&#10;">`), CodeSigReference},
		{"the Body's wsu:Id twice", m.with(t, `wsu:Id="id-1">`, `wsu:Id="id-1" wsu:Id="id-2">`), CodeXMLDuplicateAttr},
		{"the Body's wsu:Id twice under two prefixes", m.with(t, `wsu:Id="id-1">`, `wsu:Id="id-1" xmlns:u="`+NSWSU+`" u:Id="id-2">`), CodeXMLDuplicateAttr},

		// Reference URI tricks (the SignedInfo is signed: only an equivalent spelling survives).
		{"URI with a trailing space", m.with(t, `URI="#id-1"`, `URI="#id-1 "`), CodeSigInvalid},
		{"URI with a leading space", m.with(t, `URI="#id-1"`, `URI=" #id-1"`), CodeSigInvalid},
		{"URI with a literal newline", m.with(t, `URI="#id-1"`, "URI=\"#id-1\n\""), CodeSigInvalid},
		{"URI as an XPointer", m.with(t, `URI="#id-1"`, `URI="#xpointer(id('id-1'))"`), CodeSigInvalid},
		{"URI with an escaped ampersand", m.with(t, `URI="#id-1"`, `URI="#id-1&amp;"`), CodeSigInvalid},
		{"URI percent-encoded", m.with(t, `URI="#id-1"`, `URI="#id%2D1"`), CodeSigInvalid},
		{"URI empty", m.with(t, `URI="#id-1"`, `URI=""`), CodeSigInvalid},

		// Extra signatures.
		{"second Signature in the Header", m.env(m.header(sec, sigOut), m.body), CodeSigMultiple},
		{"second Signature in wsse:Security", m.env(m.header(m.security(m.sig, m.sig)), m.body), CodeSigMultiple},
		{"second Signature in an unknown header", m.env(m.header(sec, ext(sigOut)), m.body), CodeSigMultiple},
		{"second Signature nested in KeyInfo", m.env(m.header(m.security(m.sigKeyInfo(m.sig))), m.body), CodeSigMultiple},
		{"second Signature nested in ds:Object", m.env(m.header(m.security(m.sigWith("<ds:Object>"+m.sig+"</ds:Object>"))), m.body), CodeSigMultiple},
		{"second Signature nested in SignedInfo", m.with(t, "</ds:SignedInfo>", `<ds:Signature/></ds:SignedInfo>`), CodeSigMultiple},
		{"second Signature added to the Body", m.with(t, "</ns3:SendMessage>", `</ns3:SendMessage><ds:Signature `+dsNS+`/>`), CodeSigDigestMismatch},
		{"Signature moved out of wsse:Security into the Header", m.env(m.header(m.security(), sigOut), m.body), CodeSigMissing},

		// Namespace-prefix tricks.
		{"signed Body's prefix redeclared to another namespace", m.with(t, bodyOpen, strings.Replace(bodyOpen, "<soapenv:Body", `<soapenv:Body xmlns:soapenv="urn:evil"`, 1)), CodeSOAPNotEnvelope},
		{"forged Body in SOAP 1.2 under the same prefix, signed Body in the Header", m.env(m.header(sec, ext(m.body)), forgedBody(` xmlns:soapenv="`+NSSOAP12+`"`)), CodeSOAPNotEnvelope},
		{"forged default-namespace Body, signed Body in the Header", m.env(m.header(sec, ext(m.body)), `<Body xmlns="`+NSSOAP11+`"><iin>`+xswForgedIIN+`</iin></Body>`), CodeSigReference},
		{"forged Body under another prefix, signed Body in the Header", m.env(m.header(sec, ext(m.body)), `<s:Body xmlns:s="`+NSSOAP11+`"><iin>`+xswForgedIIN+`</iin></s:Body>`), CodeSigReference},
		{"Header's prefix redeclared to another namespace", m.with(t, "<soapenv:Header>", `<soapenv:Header xmlns:soapenv="urn:evil">`), CodeSOAPNotEnvelope},
		{"Envelope's prefix bound to another namespace", m.with(t, `xmlns:soapenv="`+NSSOAP11+`">`, `xmlns:soapenv="urn:evil">`), CodeSOAPNotEnvelope},
		{"wsse prefix redeclared on the Security header", m.with(t, `<wsse:Security xmlns:wsse="`+NSWSSE+`"`, `<wsse:Security xmlns:wsse="urn:evil"`), CodeWSSENoSecurity},
		{"ds prefix redeclared on the Signature", m.with(t, `<ds:Signature `+dsNS, `<ds:Signature xmlns:ds="urn:evil"`), CodeSigMissing},

		// Document-level tricks.
		{"second root after a comment", m.s + `<!---->` + forgedBody(""), CodeXMLMalformed},
		{"processing instruction before the root", once(t, m.s, decl, decl+`<?xml-stylesheet href="x.xsl"?>`), CodeXMLMalformed},
		{"DOCTYPE declaring an ID attribute", once(t, m.s, decl, decl+`<!DOCTYPE soapenv:Envelope [<!ATTLIST h Id ID #IMPLIED>]>`), CodeXMLDoctype},
		{"DOCTYPE with an entity for the IIN", once(t, m.s, decl, decl+`<!DOCTYPE x [<!ENTITY i "`+xswIIN+`">]>`), CodeXMLDoctype},
		{"UTF-16 with a byte-order mark", utf16(m.s), CodeXMLEncoding},
		{"windows-1251 declared", once(t, m.s, `encoding="UTF-8"`, `encoding="windows-1251"`), CodeXMLEncoding},
		{"surrogate character reference in the Body", m.with(t, "<iin>", "<iin>&#xD800;"), CodeXMLMalformed},
		{"CDATA section hiding markup in the Body", m.with(t, "<iin>"+xswIIN+"</iin>", "<iin><![CDATA["+xswIIN+"</iin><iin>"+xswForgedIIN+"]]></iin>"), CodeSigDigestMismatch},

		// Benign changes: accepted, the signed content is the original.
		{"unchanged", m.s, ""},
		{"whitespace between Header and Body", m.env(m.header(sec), "\n  \t", m.body, "\n"), ""},
		{"whitespace inside the Header and Security", m.env(m.header("\n ", m.security("\n  ", m.sig, "\n "), "\n"), m.body), ""},
		{"comments around and between the Envelope's children", "<!-- " + forgedBody("") + " -->" + strings.TrimPrefix(m.env("<!-- c -->", m.header(sec), "<!--"+xswMark+"-->", m.body), decl), ""},
		{"comment splitting the IIN", m.with(t, "<iin>"+xswIIN, "<iin>9310<!---->"+xswIIN[4:]), ""},
		{"comment inside the Body with forged text", m.with(t, "</ns3:SendMessage>", "<!-- <iin>"+xswForgedIIN+"</iin> --></ns3:SendMessage>"), ""},
		{"CDATA for the IIN", m.with(t, "<iin>"+xswIIN, "<iin><![CDATA[9310]]>"+xswIIN[4:]), ""},
		{"character references in the IIN", m.with(t, "<iin>"+xswIIN, "<iin>&#x39;&#51;10"+xswIIN[4:]), ""},
		{"URI spelled with a character reference", m.with(t, `URI="#id-1"`, `URI="#id&#45;1"`), ""},
		{"Body's ID spelled with a character reference", m.with(t, `wsu:Id="id-1">`, `wsu:Id="id&#x2D;1">`), ""},
		{"Body's attributes reordered and single-quoted", m.with(t, bodyOpen, `<soapenv:Body wsu:Id='id-1' xmlns:wsu='`+NSWSU+`'>`), ""},
		{"soapenv redeclared on the Body with the same namespace", m.with(t, bodyOpen, strings.Replace(bodyOpen, "<soapenv:Body", `<soapenv:Body xmlns:soapenv="`+NSSOAP11+`"`, 1)), ""},
		{"ds redeclared on SignedInfo with the same namespace", m.with(t, "<ds:SignedInfo>", `<ds:SignedInfo `+dsNS+`>`), ""},
		{"no XML declaration, byte-order mark and leading newline", "\xef\xbb\xbf\n" + root, ""},
		{"end tags with whitespace", m.with(t, "</iin>", "</iin \n>"), ""},
		{"unused namespace declaration added inside the Body (exc-c14n drops it)", m.with(t, "<ns3:SendMessage ", `<ns3:SendMessage xmlns:wsu="urn:evil" `), ""},
		{"Body's start tag rebuilt around its original content", m.env(m.header(sec), "<soapenv:Body\n wsu:Id = \"id-1\"\txmlns:wsu=\""+NSWSU+"\" >"+bodyInner+"</soapenv:Body>"), ""},
	}
	ch := c.checker(t)
	xswRun(t, cases, orig, func(b []byte) (*Verified, error) { return VerifyWSSE(b, Options{}) },
		func(b []byte) (*Result, error) { return ch.CheckWSSE(context.Background(), b, time.Time{}) })
}

// utf16 encodes ASCII-and-Cyrillic s as UTF-16LE with a byte-order mark.
func utf16(s string) string {
	var b strings.Builder
	b.WriteString("\xff\xfe")
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

// TestXSWWSSEResigned covers what a signer holding a trusted key can aim the Reference at: the
// rules hold after the SignatureValue verified.
func TestXSWWSSEResigned(t *testing.T) {
	c := newTestCA(t)
	signed := c.signWSSE(t, sendMessage, SignOptions{BodyID: "id-1"})
	orig, err := VerifyWSSE(signed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	aim := func(target func(d *etree.Document, s *etree.Element) *etree.Element, uri string) func(*etree.Document, *etree.Element) {
		return func(d *etree.Document, s *etree.Element) {
			if e := target(d, s); e != nil {
				e.CreateAttr("xmlns:wsu", NSWSU)
				e.CreateAttr("wsu:Id", strings.TrimPrefix(uri, "#"))
			}
			child(child(s, "SignedInfo"), "Reference").CreateAttr("URI", uri)
		}
	}
	root := func(d *etree.Document, _ *etree.Element) *etree.Element { return d.Root() }
	tests := []struct {
		name   string
		mutate func(*etree.Document, *etree.Element)
		want   Code
	}{
		{"unchanged", nil, ""},
		{"Reference to the Envelope", aim(root, "#env"), CodeSigReference},
		{"Reference to the Header", aim(func(d *etree.Document, _ *etree.Element) *etree.Element { return child(d.Root(), "Header") }, "#hdr"), CodeSigReference},
		{"Reference to the Security header", aim(func(_ *etree.Document, s *etree.Element) *etree.Element { return s.Parent() }, "#sec"), CodeSigReference},
		{"Reference to the Signature itself", aim(func(_ *etree.Document, s *etree.Element) *etree.Element { return s }, "#sig"), CodeSigReference},
		{"Reference to an element inside the Body", aim(func(d *etree.Document, _ *etree.Element) *etree.Element { return descendant(d.Root(), "iin") }, "#iin"), CodeSigReference},
		{"Reference to the whole document", aim(func(*etree.Document, *etree.Element) *etree.Element { return nil }, ""), CodeSigReference},
		{"Reference to the Body's ID with a trailing space", aim(func(*etree.Document, *etree.Element) *etree.Element { return nil }, "#id-1 "), CodeSigReference},
		{"Reference to the Body by the bare #", aim(func(*etree.Document, *etree.Element) *etree.Element { return nil }, "#"), CodeSigReference},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := resign(t, signed, c.issued.Key, nil, nil, tc.mutate)
			var v *Verified
			xswGuard(t, tc.name, func() { v, err = VerifyWSSE(b, Options{}) })
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				xswOriginal(t, v, orig)
				return
			}
			xswRefused(t, err, tc.want)
		})
	}
}

// xswEnveloped is a signed document cut into pieces: declaration, root start tag, the content
// before the Signature, the Signature, the root end tag.
type xswEnveloped struct {
	s, decl, open, pre, sig, close string
}

func splitEnveloped(t *testing.T, signed []byte, open, close string) xswEnveloped {
	t.Helper()
	s := string(signed)
	m := xswEnveloped{s: s, open: open, close: close}
	m.decl = s[:strings.Index(s, open)]
	m.sig = cut(t, s, "<ds:Signature", "</ds:Signature>")
	m.pre = s[len(m.decl)+len(open) : strings.Index(s, "<ds:Signature")]
	if m.decl+m.open+m.pre+m.sig+m.close != s {
		t.Fatal("the signed document does not have the expected shape")
	}
	return m
}

func (m xswEnveloped) doc(parts ...string) string { return m.decl + join(parts...) }
func (m xswEnveloped) root(inner ...string) string {
	return m.open + join(inner...) + m.close
}
func (m xswEnveloped) sigWith(x string) string {
	return strings.Replace(m.sig, "</ds:Signature>", x+"</ds:Signature>", 1)
}
func (m xswEnveloped) sigKeyInfo(x string) string {
	return strings.Replace(m.sig, "<ds:KeyInfo>", "<ds:KeyInfo>"+x, 1)
}
func (m xswEnveloped) with(t *testing.T, old, new string) string { return once(t, m.s, old, new) }

const xswDocument = `<doc Id="d1"><iin>931002451325</iin><!-- c --><position>инженер</position></doc>`

func TestXSWEnvelopedByID(t *testing.T) {
	c := newTestCA(t)
	ch := c.checker(t)
	for _, layout := range []struct {
		name string
		opts SignOptions
	}{{"NCALayer", SignOptions{NCALayer: true}}, {"exc-c14n", SignOptions{}}} {
		t.Run(layout.name, func(t *testing.T) {
			signed := c.signEnveloped(t, xswDocument, layout.opts)
			orig, err := VerifyEnveloped(signed, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m := splitEnveloped(t, signed, `<doc Id="d1">`, `</doc>`)
			orig0 := m.root(m.pre, m.sig)
			unsigned := m.root(m.pre)
			forged := `<iin>` + xswForgedIIN + `</iin><position>` + xswMark + `</position>`
			dsNS := `xmlns:ds="` + NSDSig + `"`
			// A namespace change above the Signature breaks the SignatureValue under inclusive C14N
			// of SignedInfo (NCALayer), only the digest under exc-c14n.
			nsChange, nsWrap := CodeSigDigestMismatch, Code("")
			if layout.opts.NCALayer {
				nsChange, nsWrap = CodeSigInvalid, CodeSigInvalid
			}
			cases := []xswCase{
				// The signed root relocated, forged content where it was.
				{"signed root wrapped in a new root", m.doc(`<w>`, orig0, forged, `</w>`), ""},
				{"signed root wrapped in a new root after forged content", m.doc(`<w>`, forged, orig0, `</w>`), ""},
				{"signed root wrapped, Signature moved up to the new root", m.doc(`<w>`, unsigned, m.sig, `</w>`), CodeSigReference},
				{"forged root with the same Id wraps the signed root", m.doc(`<doc Id="d1">`, forged, orig0, `</doc>`), CodeSigReference},
				{"forged root without Id wraps the signed root", m.doc(`<doc>`, forged, orig0, `</doc>`), ""},
				{"forged root holds the Signature, signed root as its child", m.doc(`<doc>`, forged, unsigned, m.sig, `</doc>`), CodeSigReference},
				{"forged root with the same Id holds the Signature, signed root as its child", m.doc(`<doc Id="d1">`, forged, unsigned, m.sig, `</doc>`), CodeSigReference},
				{"forged root, signed root in ds:Object", m.doc(`<doc>`, forged, m.sigWith(`<ds:Object>`+unsigned+`</ds:Object>`), `</doc>`), CodeSigMalformed},
				{"forged root with the same Id, signed root in ds:Object", m.doc(`<doc Id="d1">`, forged, m.sigWith(`<ds:Object>`+unsigned+`</ds:Object>`), `</doc>`), CodeSigMalformed},
				{"forged root, signed root in ds:KeyInfo", m.doc(`<doc>`, forged, m.sigKeyInfo(unsigned), `</doc>`), CodeSigReference},
				{"forged root with the same Id, signed root in ds:KeyInfo", m.doc(`<doc Id="d1">`, forged, m.sigKeyInfo(unsigned), `</doc>`), CodeSigReference},
				{"signed root in an extension of a forged root", m.doc(`<doc>`, forged, `<x>`, orig0, `</x>`, `</doc>`), ""},
				{"signed root in a namespaced extension of a forged root", m.doc(`<doc>`, forged, ext(orig0), `</doc>`), nsWrap},

				// The Signature not a direct child of the element it names.
				{"Signature moved into a child element", m.doc(m.open, once(t, m.pre, "</iin>", m.sig+"</iin>"), m.close), CodeSigReference},
				{"Signature wrapped in an extension element", m.doc(m.root(m.pre, `<x>`, m.sig, `</x>`)), CodeSigReference},
				{"Signature moved before the content", m.doc(m.root(m.sig, m.pre)), ""},

				// The Id carried twice, earlier or later, under every ID attribute name.
				{"same Id earlier in the root", m.doc(m.root(`<x Id="d1"/>`, m.pre, m.sig)), CodeSigReference},
				{"same Id after the Signature", m.doc(m.root(m.pre, m.sig, `<x Id="d1"/>`)), CodeSigReference},
				{"same ID", m.doc(m.root(m.pre, `<x ID="d1"/>`, m.sig)), CodeSigReference},
				{"same id", m.doc(m.root(m.pre, `<x id="d1"/>`, m.sig)), CodeSigReference},
				{"same xml:id", m.doc(m.root(m.pre, `<x xml:id="d1"/>`, m.sig)), CodeSigReference},
				{"same wsu:Id", m.doc(m.root(m.pre, `<x xmlns:wsu="`+NSWSU+`" wsu:Id="d1"/>`, m.sig)), CodeSigReference},
				{"same Id on the unsigned KeyInfo", m.with(t, "<ds:KeyInfo>", `<ds:KeyInfo Id="d1">`), CodeSigReference},
				{"same Id on SignedInfo", m.with(t, "<ds:SignedInfo>", `<ds:SignedInfo Id="d1">`), CodeSigInvalid},
				{"same Id on a sibling of the wrapped root", m.doc(`<w>`, orig0, `<x xml:id="d1"/>`, `</w>`), CodeSigReference},
				{"root's Id changed", m.with(t, `<doc Id="d1">`, `<doc Id="d2">`), CodeSigReference},
				{"root's Id twice", m.with(t, `<doc Id="d1">`, `<doc Id="d1" Id="d2">`), CodeXMLDuplicateAttr},

				// Reference URI spelling.
				{"URI with a trailing space", m.with(t, `URI="#d1"`, `URI="#d1 "`), CodeSigInvalid},
				{"URI with a literal tab", m.with(t, `URI="#d1"`, "URI=\"#d1\t\""), CodeSigInvalid},
				{"URI as an XPointer", m.with(t, `URI="#d1"`, `URI="#xpointer(id('d1'))"`), CodeSigInvalid},
				{"URI emptied", m.with(t, `URI="#d1"`, `URI=""`), CodeSigInvalid},
				{"URI spelled with a character reference", m.with(t, `URI="#d1"`, `URI="#&#x64;1"`), ""},
				{"root's Id spelled with a character reference", m.with(t, `<doc Id="d1">`, `<doc Id="&#100;1">`), ""},

				// Extra signatures.
				{"second Signature under the root", m.doc(m.root(m.pre, m.sig, m.sig)), CodeSigMultiple},
				{"second Signature nested in KeyInfo", m.doc(m.root(m.pre, m.sigKeyInfo(m.sig))), CodeSigMultiple},
				{"second Signature nested in ds:Object", m.doc(m.root(m.pre, m.sigWith("<ds:Object>"+m.sig+"</ds:Object>"))), CodeSigMultiple},
				{"second Signature in a child", m.doc(m.root(once(t, m.pre, "</position>", m.sig+"</position>"), m.sig)), CodeSigMultiple},
				{"forged Signature appended, holding forged data", m.doc(m.root(m.pre, m.sig, `<ds:Signature `+dsNS+`>`+forged+`</ds:Signature>`)), CodeSigMultiple},

				// Forged content inside the signed element.
				{"forged content after the Signature", m.doc(m.root(m.pre, m.sig, forged)), CodeSigDigestMismatch},
				{"forged content before the Signature", m.doc(m.root(m.pre, forged, m.sig)), CodeSigDigestMismatch},
				{"forged content in a foreign-namespace Signature look-alike", m.doc(m.root(m.pre, `<ds:Signature xmlns:ds="urn:evil">`+forged+`</ds:Signature>`, m.sig)), CodeSigDigestMismatch},
				{"whitespace inside the root", m.doc(m.root(m.pre, "\n", m.sig)), CodeSigDigestMismatch},
				{"default namespace added to the root", m.with(t, `<doc Id="d1">`, `<doc xmlns="urn:evil" Id="d1">`), nsChange},
				{"CDATA hiding markup", m.with(t, "<iin>"+xswIIN+"</iin>", "<iin><![CDATA["+xswIIN+"</iin><iin>"+xswForgedIIN+"]]></iin>"), CodeSigDigestMismatch},

				// Namespace tricks on the Signature.
				{"ds prefix redeclared on the Signature", m.with(t, `<ds:Signature `+dsNS, `<ds:Signature xmlns:ds="urn:evil"`), CodeSigMissing},
				{"ds redeclared on SignedInfo with the same namespace", m.with(t, "<ds:SignedInfo>", `<ds:SignedInfo `+dsNS+`>`), ""},

				// Document-level tricks.
				{"second root after a comment", m.s + `<!---->` + `<doc Id="d1">` + forged + `</doc>`, CodeXMLMalformed},
				{"second root before the signed one", m.doc(`<doc Id="d1">`+forged+`</doc>`, m.root(m.pre, m.sig)), CodeXMLMalformed},
				{"processing instruction before the root", m.doc(`<?xml-stylesheet href="x"?>`, orig0), CodeXMLMalformed},
				{"processing instruction in the root", m.doc(m.root(m.pre, `<?x `+xswForgedIIN+`?>`, m.sig)), CodeXMLMalformed},
				{"DOCTYPE declaring an ID attribute", m.doc(`<!DOCTYPE doc [<!ATTLIST x Id ID #IMPLIED>]>`, orig0), CodeXMLDoctype},
				{"surrogate character reference", m.with(t, "<iin>", "<iin>&#55296;"), CodeXMLMalformed},

				// Benign changes.
				{"unchanged", m.s, ""},
				{"forged document commented out before the root", m.doc(`<!-- <doc Id="d1">`+forged+`</doc> -->`, orig0, "\n<!-- after -->\n"), ""},
				{"comment splitting the IIN", m.with(t, "<iin>"+xswIIN, "<iin>9310<!---->"+xswIIN[4:]), ""},
				{"comment edited", m.with(t, "<!-- c -->", "<!-- <iin>"+xswForgedIIN+"</iin> -->"), ""},
				{"comment removed", m.with(t, "<!-- c -->", ""), ""},
				{"CDATA and character references for the IIN", m.with(t, "<iin>"+xswIIN, "<iin><![CDATA[93]]>&#x31;0"+xswIIN[4:]), ""},
				{"no XML declaration, byte-order mark", "\xef\xbb\xbf" + orig0, ""},
				{"whitespace around the root", m.doc("\n", orig0, "\n\n"), ""},
			}
			xswRun(t, cases, orig, func(b []byte) (*Verified, error) { return VerifyEnveloped(b, Options{}) },
				func(b []byte) (*Result, error) { return ch.CheckEnveloped(context.Background(), b, time.Time{}) })
		})
	}
}

// TestXSWEnvelopedWholeDocument: URI="" names the root, which must hold the Signature.
func TestXSWEnvelopedWholeDocument(t *testing.T) {
	c := newTestCA(t)
	signed := c.signEnveloped(t, contract, SignOptions{NCALayer: true})
	orig, err := VerifyEnveloped(signed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	open := `<ns3:contractRequest xmlns:ns3="http://enbek.kz/contract/ws/schemas">`
	m := splitEnveloped(t, signed, open, `</ns3:contractRequest>`)
	orig0 := m.root(m.pre, m.sig)
	forged := `<iin>` + xswForgedIIN + `</iin>`
	cases := []xswCase{
		{"signed root wrapped in a new root", m.doc(`<w>`, orig0, forged, `</w>`), CodeSigReference},
		// Inclusive C14N of SignedInfo (NCALayer) takes in the namespaces above the Signature:
		// moving it out of ns3's scope, or rebinding ns3, already breaks the SignatureValue.
		{"signed root wrapped in a new root that takes the Signature", m.doc(`<w>`, m.root(m.pre), forged, m.sig, `</w>`), CodeSigInvalid},
		{"signed root wrapped in a new root that takes the Signature, ns3 declared on it", m.doc(`<w xmlns:ns3="http://enbek.kz/contract/ws/schemas">`, m.root(m.pre), forged, m.sig, `</w>`), CodeSigDigestMismatch},
		{"Signature moved into a child element", m.doc(m.open, once(t, m.pre, "</iin>", m.sig+"</iin>"), m.close), CodeSigReference},
		{"Signature wrapped in an extension element", m.doc(m.root(m.pre, `<x>`, m.sig, `</x>`)), CodeSigReference},
		{"root's namespace changed", m.with(t, `xmlns:ns3="http://enbek.kz/contract/ws/schemas"`, `xmlns:ns3="urn:evil"`), CodeSigInvalid},
		{"root renamed", m.doc(`<ns3:contractRequesT xmlns:ns3="http://enbek.kz/contract/ws/schemas">`, m.pre, m.sig, `</ns3:contractRequesT>`), CodeSigDigestMismatch},
		{"root given an Id the Reference does not name", m.with(t, open, strings.Replace(open, ">", ` Id="r">`, 1)), CodeSigDigestMismatch},
		{"URI pointed at an ID", m.with(t, `URI=""`, `URI="#r"`), CodeSigInvalid},
		{"unchanged", m.s, ""},
		{"comment added inside the root", m.with(t, "<iin>", "<!-- x --><iin>"), ""},
	}
	ch := c.checker(t)
	xswRun(t, cases, orig, func(b []byte) (*Verified, error) { return VerifyEnveloped(b, Options{}) },
		func(b []byte) (*Result, error) { return ch.CheckEnveloped(context.Background(), b, time.Time{}) })
}

// TestXSWEnvelopedResigned: a signer holding a trusted key cannot aim an enveloped Reference at
// anything but the element that holds the Signature.
func TestXSWEnvelopedResigned(t *testing.T) {
	c := newTestCA(t)
	signed := c.signEnveloped(t, `<doc Id="d1"><part Id="p1"><iin>931002451325</iin></part></doc>`, SignOptions{})
	setURI := func(uri string) func(*etree.Document, *etree.Element) {
		return func(_ *etree.Document, s *etree.Element) {
			child(child(s, "SignedInfo"), "Reference").CreateAttr("URI", uri)
		}
	}
	moveInto := func(id string) func(*etree.Document, *etree.Element) {
		return func(d *etree.Document, s *etree.Element) {
			p := elementsWithID(d.Root(), id)[0]
			s.Parent().RemoveChild(s)
			p.AddChild(s)
		}
	}
	both := func(fs ...func(*etree.Document, *etree.Element)) func(*etree.Document, *etree.Element) {
		return func(d *etree.Document, s *etree.Element) {
			for _, f := range fs {
				f(d, s)
			}
		}
	}
	tests := []struct {
		name   string
		mutate func(*etree.Document, *etree.Element)
		want   Code
		tag    string
	}{
		{"URI=#id names a child, Signature under the root", setURI("#p1"), CodeSigReference, ""},
		{"URI=\"\" with the Signature under a child", both(moveInto("p1"), setURI("")), CodeSigReference, ""},
		{"URI names the root, Signature under a child", both(moveInto("p1"), setURI("#d1")), CodeSigReference, ""},
		{"URI names the Signature", both(func(_ *etree.Document, s *etree.Element) { s.CreateAttr("Id", "s1") }, setURI("#s1")), CodeSigReference, ""},
		{"URI=#id names a child that holds the Signature", both(moveInto("p1"), setURI("#p1")), "", "part"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := resign(t, signed, c.issued.Key, nil, nil, tc.mutate)
			var v *Verified
			var err error
			xswGuard(t, tc.name, func() { v, err = VerifyEnveloped(b, Options{}) })
			if tc.want != "" {
				xswRefused(t, err, tc.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Element.Tag != tc.tag || bytes.Contains(v.Signed, []byte("Signature")) {
				t.Fatalf("signed <%s>: %s", v.Element.Tag, v.Signed)
			}
		})
	}
}

// TestXSWEnvelopedAllAppended: VerifyEnvelopedAll leaves out Signatures appended after the one it
// checks. A forged ds:Signature appended with forged data must not reach the first signer's
// Element, and is itself an error with a code.
func TestXSWEnvelopedAllAppended(t *testing.T) {
	c := newTestCA(t)
	signed := c.signEnveloped(t, xswDocument, SignOptions{NCALayer: true})
	orig, err := VerifyEnveloped(signed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	forged := `<ds:Signature xmlns:ds="` + NSDSig + `"><iin>` + xswForgedIIN + `</iin></ds:Signature>`
	doc := replaceOnce(t, signed, "</doc>", forged+"</doc>")
	var rs []EnvelopedResult
	xswGuard(t, "appended", func() { rs, err = VerifyEnvelopedAll(doc, Options{}) })
	if err != nil || len(rs) != 2 {
		t.Fatalf("%v, %d results", err, len(rs))
	}
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	xswOriginal(t, rs[0].Verified, orig)
	xswRefused(t, rs[1].Err, CodeSigMalformed)

	// A forged Signature nested deeper is not a sibling: it is covered, so it breaks the digest
	// (results are in document order: the forged one comes first).
	doc = replaceOnce(t, signed, "</position>", forged+"</position>")
	xswGuard(t, "nested", func() { rs, err = VerifyEnvelopedAll(doc, Options{}) })
	if err != nil || len(rs) != 2 {
		t.Fatalf("%v, %d results", err, len(rs))
	}
	xswRefused(t, rs[0].Err, CodeSigMalformed)
	xswRefused(t, rs[1].Err, CodeSigDigestMismatch)
}

// TestXSWCertificate covers wrapping through KeyInfo: the certificate that verifies the
// SignatureValue is the one reported and the one the Checker judges.
func TestXSWCertificate(t *testing.T) {
	c := newTestCA(t)
	ch := c.checker(t)
	ek, ec := ecdsaCert(t)
	victim := c.signWSSE(t, sendMessage, SignOptions{BodyID: "id-1"})
	forgedEnv := strings.Replace(sendMessage, xswIIN, xswForgedIIN, 1)
	attacker, err := SignWSSE([]byte(forgedEnv), ek, ec, SignOptions{BodyID: "id-1"})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	keyID := func(der []byte) string {
		return `<wsse:SecurityTokenReference><wsse:KeyIdentifier EncodingType="` + EncodingBase64 + `" ValueType="` + ValueTypeX509v3 + `">` +
			b64(der) + `</wsse:KeyIdentifier></wsse:SecurityTokenReference>`
	}
	x509Data := func(ders ...[]byte) string {
		s := "<ds:X509Data>"
		for _, d := range ders {
			s += "<ds:X509Certificate>" + b64(d) + "</ds:X509Certificate>"
		}
		return s + "</ds:X509Data>"
	}
	keyInfo := func(t *testing.T, msg []byte, inner string) string {
		s := string(msg)
		return once(t, s, cut(t, s, "<ds:KeyInfo>", "</ds:KeyInfo>"), "<ds:KeyInfo>"+inner+"</ds:KeyInfo>")
	}
	bst := func(t *testing.T, msg []byte, der []byte) string {
		s := keyInfo(t, msg, `<wsse:SecurityTokenReference><wsse:Reference URI="#X509-1" ValueType="`+ValueTypeX509v3+`"/></wsse:SecurityTokenReference>`)
		return once(t, s, "<ds:Signature ", `<wsse:BinarySecurityToken wsu:Id="X509-1" EncodingType="`+EncodingBase64+`" ValueType="`+ValueTypeX509v3+`">`+b64(der)+`</wsse:BinarySecurityToken><ds:Signature `)
	}
	victimCert, attackerCert := c.issued.Certificate, ec
	tests := []struct {
		name        string
		doc         string
		verify      Code // "" when the signature verifies
		checkRefuse bool // the Checker refuses; when the signature verifies, it is the attacker's
	}{
		{"attacker signs a forged Body with their own key", string(attacker), "", true},
		{"victim's message, KeyIdentifier swapped for the attacker's", keyInfo(t, victim, keyID(attackerCert.Raw)), CodeSigInvalid, true},
		{"attacker's signature, victim's certificate in KeyIdentifier", keyInfo(t, attacker, keyID(victimCert.Raw)), CodeSigInvalid, true},
		{"attacker's signature, victim's certificate in X509Data", keyInfo(t, attacker, x509Data(victimCert.Raw)), CodeSigInvalid, true},
		{"attacker's signature, victim's certificate as BinarySecurityToken", bst(t, attacker, victimCert.Raw), CodeSigInvalid, true},
		{"attacker's signature, victim's KeyIdentifier first, attacker's second", keyInfo(t, attacker, keyID(victimCert.Raw)+keyID(attackerCert.Raw)), CodeSigInvalid, true},
		{"attacker's signature, attacker's KeyIdentifier, victim's certificate in X509Data", keyInfo(t, attacker, keyID(attackerCert.Raw)+x509Data(victimCert.Raw)), "", true},
		{"attacker's signature, X509Data victim's certificate after the attacker's", keyInfo(t, attacker, x509Data(attackerCert.Raw, victimCert.Raw)), "", true},
		{"victim's message, victim's certificate in X509Data", keyInfo(t, victim, x509Data(victimCert.Raw)), "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v *Verified
			xswGuard(t, tc.name, func() { v, err = VerifyWSSE([]byte(tc.doc), Options{}) })
			if tc.verify != "" {
				xswRefused(t, err, tc.verify)
				unattributed(t, err)
			} else {
				if err != nil {
					t.Fatal(err)
				}
				want := victimCert
				if tc.checkRefuse {
					want = attackerCert
				}
				if !v.Certificate.Equal(want) {
					t.Fatalf("verified with %q, want %q", v.Certificate.Subject.CommonName, want.Subject.CommonName)
				}
			}
			var r *Result
			xswGuard(t, tc.name+" (Checker)", func() { r, err = ch.CheckWSSE(context.Background(), []byte(tc.doc), time.Time{}) })
			if tc.checkRefuse {
				xswRefused(t, err, tc.verify)
				if tc.verify != "" {
					unattributed(t, err)
				}
				if r != nil {
					t.Fatal("a refusal came with a result")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.Certificate.Equal(victimCert) || descendant(r.Element, "iin").Text() != xswIIN {
				t.Fatal("wrong signer or content")
			}
		})
	}
}

// unattributed fails when a refusal names a signer: a certificate that did not verify the
// SignatureValue is whatever the sender put in KeyInfo (the victim's, here), and reporting or
// logging its ИИН as the signer's would let anyone send failed signatures in someone else's name.
func unattributed(t *testing.T, err error) {
	t.Helper()
	var se *Error
	if errors.As(err, &se) && (se.Certificate != nil || se.Identity != nil) {
		t.Fatalf("refusal attributed to «%s»: %v", se.Certificate.Subject.CommonName, err)
	}
}

// deepScope is a document whose elements sit under depth ancestors declaring decls namespaces
// each, with leaves elements that declare one more: every element sees depth*decls prefixes.
func deepScope(depth, decls, leaves int, leaf string) string {
	var b strings.Builder
	b.WriteString(`<doc Id="d1">`)
	for d := range depth {
		b.WriteString("<c")
		for i := range decls {
			fmt.Fprintf(&b, ` xmlns:p%d_%d="urn:p"`, d, i)
		}
		b.WriteString(">")
	}
	for range leaves {
		b.WriteString(leaf)
	}
	for range depth {
		b.WriteString("</c>")
	}
	b.WriteString(`<iin>931002451325</iin></doc>`)
	return b.String()
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestXSWDeepNamespaceScope: Parse and the canonicalizer used to copy (and, for inclusive
// canonicalization, scan) every namespace in scope at every element that declares one. With 60
// levels of 120 declarations over 190 000 one-declaration leaves (3.3 MB) Parse took 112 s and
// verifying an enveloped signature made with any self-signed key 3 min, before any trust
// decision: a denial of service. The cost must be that of the input, not input × scope.
func TestXSWDeepNamespaceScope(t *testing.T) {
	doc := deepScope(40, 100, 5000, `<a xmlns:q="urn:q"/>`)
	const budget = 64 << 20 // the quadratic versions allocate over 1 GiB here
	if n := allocated(func() {
		if _, err := Parse([]byte(doc), Limits{}); err != nil {
			t.Fatal(err)
		}
	}); n > budget {
		t.Fatalf("Parse of %d bytes allocated %d MiB", len(doc), n>>20)
	}
	root := mustParse(t, []byte(doc)).Root()
	for _, m := range []c14n.Method{{}, {Exclusive: true}, {Version11: true, WithComments: true}} {
		if n := allocated(func() {
			if _, err := c14n.Canonicalize(root, c14n.Options{Method: m}); err != nil {
				t.Fatal(err)
			}
		}); n > budget {
			t.Fatalf("%s of %d bytes allocated %d MiB", m.URI(), len(doc), n>>20)
		}
	}
	k, cert := ecdsaCert(t)
	for _, opts := range []SignOptions{{NCALayer: true}, {}, {Canonicalization: c14n.Inclusive11}} {
		signed, err := SignEnveloped([]byte(doc), k, cert, opts)
		if err != nil {
			t.Fatal(err)
		}
		var v *Verified
		if n := allocated(func() {
			if v, err = VerifyEnveloped(signed, Options{}); err != nil {
				t.Fatal(err)
			}
		}); n > budget {
			t.Fatalf("%+v: VerifyEnveloped of %d bytes allocated %d MiB", opts, len(signed), n>>20)
		}
		if descendant(v.Element, "iin").Text() != xswIIN {
			t.Fatal("signed content lost")
		}
	}
}

// TestXSWSurrogateReference: encoding/xml turns a character reference to a surrogate (not a
// character) into U+FFFD, so a document libxml2 refuses verified as if it held U+FFFD.
func TestXSWSurrogateReference(t *testing.T) {
	c := newTestCA(t)
	signed := c.signEnveloped(t, "<doc><name>\uFFFD</name><iin>931002451325</iin></doc>", SignOptions{NCALayer: true})
	if _, err := VerifyEnveloped(signed, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"&#xD800;", "&#xdfff;", "&#55296;", "&#x0000D800;"} {
		_, err := VerifyEnveloped(replaceOnce(t, signed, "\uFFFD", ref), Options{})
		wantCode(t, err, CodeXMLMalformed)
		_, err = Parse([]byte(`<a b="`+ref+`"/>`), Limits{})
		wantCode(t, err, CodeXMLMalformed)
	}
	// Not a reference: inside CDATA or a comment, or a neighbour of the surrogate range.
	for _, ok := range []string{"<a><![CDATA[&#xD800;]]></a>", "<a><!-- &#xD800; --></a>", "<a>&#xD7FF;&#xE000;</a>", "<a>&amp;#xD800;</a>"} {
		if _, err := Parse([]byte(ok), Limits{}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestXSWPrefixListCost: an exc-c14n InclusiveNamespaces PrefixList is signed content, but anyone
// can sign (trust comes later, in the Checker). The canonicalizer used to walk the whole list at
// every element: 40 000 prefixes over 40 000 elements were 1.6·10⁹ map look-ups, about 25 s, per
// verification of a 0.5 MB message.
func TestXSWPrefixListCost(t *testing.T) {
	const n = 40000
	k, cert := ecdsaCert(t)
	env := strings.Replace(sendMessage, "<iin>931002451325</iin>", strings.Repeat("<e/>", n)+"<iin>931002451325</iin>", 1)
	env = strings.Replace(env, "<soapenv:Envelope ", `<soapenv:Envelope xmlns:extra="urn:extra" `, 1)
	signed, err := SignWSSE([]byte(env), k, cert, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Re-sign with the PrefixList on the Reference's exc-c14n transform.
	var list strings.Builder
	for i := range n {
		fmt.Fprintf(&list, "p%d ", i)
	}
	list.WriteString("extra")
	doc := mustParse(t, signed)
	s := signatures(doc.Root(), nil)[0]
	si := child(s, "SignedInfo")
	ref := child(si, "Reference")
	in := child(child(ref, "Transforms"), "Transform").CreateElement("ec:InclusiveNamespaces")
	in.CreateAttr("xmlns:ec", c14n.Exclusive)
	in.CreateAttr("PrefixList", list.String())
	canon, err := c14n.Canonicalize(child(doc.Root(), "Body"), c14n.Options{Method: c14n.Method{Exclusive: true}, InclusivePrefixes: strings.Fields(list.String())})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	child(ref, "DigestValue").SetText(base64.StdEncoding.EncodeToString(sum[:]))
	signedInfo, err := c14n.Canonicalize(si, c14n.Options{Method: c14n.Method{Exclusive: true}})
	if err != nil {
		t.Fatal(err)
	}
	value, err := ECDSA(ECDSASHA256, crypto.SHA256).Sign(k, signedInfo)
	if err != nil {
		t.Fatal(err)
	}
	child(s, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	b, err := serialize(doc.Root())
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	v, err := VerifyWSSE(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	// The PrefixList still works: extra, in scope on the Envelope, is rendered on the Body only.
	if !bytes.HasPrefix(v.Signed, []byte(`<soapenv:Body xmlns:extra="urn:extra" xmlns:soapenv="`+NSSOAP11+`"`)) || bytes.Count(v.Signed, []byte("urn:extra")) != 1 {
		t.Fatalf("%.200s", v.Signed)
	}
	if elapsed > 3*time.Second {
		t.Fatalf("verification took %v", elapsed)
	}
}
