package signing

import (
	"context"
	"crypto"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/signing/c14n"
)

// Interoperability with xmlsec1 (libxmlsec1 over OpenSSL), the reference verifier of the
// measured peers. These tests fail, not skip, without xmlsec1: apt-get install -y xmlsec1.

// interopPKI writes the test НУЦ chain, its signer and an ECDSA P-256 self-signed signer as PEM.
type interopPKI struct {
	dir                          string
	c                            *testCA
	root, issuing, leaf, leafKey string
	ecKey                        crypto.Signer
	ecCert                       *x509.Certificate
	ecCertPath, ecKeyPath        string
}

func newInteropPKI(t *testing.T) *interopPKI {
	t.Helper()
	dir := t.TempDir()
	c := newTestCA(t)
	ek, ec := ecdsaCert(t)
	return &interopPKI{
		dir: dir, c: c,
		root:       write(t, dir, "root.pem", pemCert(c.a.Root())),
		issuing:    write(t, dir, "issuing.pem", pemCert(c.a.Issuing())),
		leaf:       write(t, dir, "leaf.pem", pemCert(c.issued.Certificate)),
		leafKey:    write(t, dir, "leaf.key", pemKey(t, c.issued.Key)),
		ecKey:      ek,
		ecCert:     ec,
		ecCertPath: write(t, dir, "ec.pem", pemCert(ec)),
		ecKeyPath:  write(t, dir, "ec.key", pemKey(t, ek)),
	}
}

// idAttr makes xmlsec1 treat the Id attribute (wsu:Id or Id: xmlsec1 matches the local name) of
// the SOAP 1.1 and 1.2 Body as an ID. The namespace in the flag is the Body's, not wsu's.
var idAttr = []string{"--id-attr:Id", NSSOAP11 + ":Body", "--id-attr:Id", NSSOAP12 + ":Body"}

func TestXMLSecVerifiesOurSignatures(t *testing.T) {
	p := newInteropPKI(t)
	rsaKey, rsaCert := p.c.issued.Key, p.c.issued.Certificate
	// Enveloped signatures carry the certificate in X509Data: xmlsec1 checks the chain to the
	// test НУЦ root itself (OpenSSL; no CRL is given to it, so it checks none). WS-Security
	// KeyIdentifier is not understood by xmlsec1, which is given the signer's key instead.
	x509Args := []string{"--trusted-pem", p.root, "--untrusted-pem", p.issuing}
	ecX509Args := []string{"--trusted-pem", p.ecCertPath}
	tests := []struct {
		name string
		sign func() ([]byte, error)
		args []string
	}{
		{"WS-Security RSA", func() ([]byte, error) { return SignWSSE([]byte(sendMessage), rsaKey, rsaCert, SignOptions{}) },
			append([]string{"--pubkey-cert-pem", p.leaf}, idAttr...)},
		{"WS-Security ECDSA P-256", func() ([]byte, error) { return SignWSSE([]byte(sendMessage), p.ecKey, p.ecCert, SignOptions{}) },
			append([]string{"--pubkey-cert-pem", p.ecCertPath}, idAttr...)},
		{"WS-Security SOAP 1.2, C14N 1.0, xml:lang inherited by the Body", func() ([]byte, error) {
			env := `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xml:lang="kk" xmlns:x="urn:x"><env:Body><x:M><iin>931002451325</iin></x:M></env:Body></env:Envelope>`
			return SignWSSE([]byte(env), rsaKey, rsaCert, SignOptions{Canonicalization: c14n.Inclusive10})
		}, append([]string{"--pubkey-cert-pem", p.leaf}, idAttr...)},
		{"enveloped exc-c14n RSA", func() ([]byte, error) { return SignEnveloped([]byte(contract), rsaKey, rsaCert, SignOptions{}) }, x509Args},
		{"enveloped NCALayer layout RSA", func() ([]byte, error) {
			return SignEnveloped([]byte(contract), rsaKey, rsaCert, SignOptions{NCALayer: true})
		}, x509Args},
		{"enveloped ECDSA P-256", func() ([]byte, error) { return SignEnveloped([]byte(contract), p.ecKey, p.ecCert, SignOptions{}) }, ecX509Args},
		{"enveloped, root with an Id", func() ([]byte, error) {
			return SignEnveloped([]byte(`<doc ID="d1"><iin>931002451325</iin></doc>`), rsaKey, rsaCert, SignOptions{})
		}, append([]string{"--id-attr:ID", "doc"}, x509Args...)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed, err := tc.sign()
			if err != nil {
				t.Fatal(err)
			}
			f := write(t, p.dir, "ours"+string(rune('a'+i))+".xml", signed)
			if out, err := xmlsec(t, append(append([]string{"--verify"}, tc.args...), f)...); err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("xmlsec1 refuses our signature: %v\n%s\n%s", err, out, signed)
			}
			tampered := replaceOnce(t, signed, "931002451325", "931002451326")
			tf := write(t, p.dir, "ours"+string(rune('a'+i))+"-tampered.xml", tampered)
			if out, err := xmlsec(t, append(append([]string{"--verify"}, tc.args...), tf)...); err == nil {
				t.Fatalf("xmlsec1 accepts a tampered ИИН:\n%s", out)
			}
			if _, err := VerifyWSSE(tampered, Options{}); CodeOf(err) != string(CodeSigDigestMismatch) {
				if _, err2 := VerifyEnveloped(tampered, Options{}); CodeOf(err2) != string(CodeSigDigestMismatch) {
					t.Fatalf("we accept a tampered ИИН: %v / %v", err, err2)
				}
			}
		})
	}
}

const (
	wsseTemplate = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><wsse:Security xmlns:wsse="` + NSWSSE + `" xmlns:wsu="` + NSWSU + `" soapenv:mustUnderstand="1"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="SIGMETHOD"/>
<ds:Reference URI="#id-tmpl-1">
<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue/>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
</ds:Signature></wsse:Security></soapenv:Header><soapenv:Body xmlns:wsu="` + NSWSU + `" wsu:Id="id-tmpl-1"><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><iin>931002451325</iin><!-- c --></request></ns3:SendMessage></soapenv:Body></soapenv:Envelope>`

	ncaLayerTemplate = `<?xml version="1.0" encoding="utf-8"?>
<a xmlns:p="urn:p" xml:lang="kk"><b>931002451325</b><!-- c --><p:c x="1&#10;2"/><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
<ds:SignatureMethod Algorithm="SIGMETHOD"/>
<ds:Reference URI="">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue/>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
</ds:Signature></a>`
)

// wsse12Template is wsseTemplate in a SOAP 1.2 envelope (prefix env, mustUnderstand="true").
var wsse12Template = strings.NewReplacer(
	`xmlns:soapenv="`+NSSOAP11+`"`, `xmlns:env="`+NSSOAP12+`"`,
	"soapenv:", "env:",
	`mustUnderstand="1"`, `mustUnderstand="true"`,
).Replace(wsseTemplate)

func TestWeVerifyXMLSecSignatures(t *testing.T) {
	p := newInteropPKI(t)
	checker := p.c.checker(t)
	ctx := context.Background()
	tests := []struct {
		name, tmpl, method, key string
		wsse, trusted           bool
	}{
		{"WS-Security RSA", wsseTemplate, RSASHA256, p.leafKey + "," + p.leaf, true, true},
		{"WS-Security ECDSA P-256", wsseTemplate, ECDSASHA256, p.ecKeyPath + "," + p.ecCertPath, true, false},
		{"WS-Security SOAP 1.2 RSA", wsse12Template, RSASHA256, p.leafKey + "," + p.leaf, true, true},
		{"WS-Security SOAP 1.2 ECDSA P-256", wsse12Template, ECDSASHA256, p.ecKeyPath + "," + p.ecCertPath, true, false},
		{"NCALayer layout RSA", ncaLayerTemplate, RSASHA256, p.leafKey + "," + p.leaf, false, true},
		{"NCALayer layout ECDSA P-256", ncaLayerTemplate, ECDSASHA256, p.ecKeyPath + "," + p.ecCertPath, false, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "xmlsec" + string(rune('a'+i))
			tmpl := write(t, p.dir, name+"-tmpl.xml", []byte(strings.Replace(tc.tmpl, "SIGMETHOD", tc.method, 1)))
			out := p.dir + "/" + name + ".xml"
			args := append([]string{"--sign", "--privkey-pem", tc.key, "--output", out}, idAttr...)
			if msg, err := xmlsec(t, append(args, tmpl)...); err != nil {
				t.Fatalf("xmlsec1 --sign: %v\n%s", err, msg)
			}
			signed, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			verify := func(b []byte) (*Verified, error) {
				if tc.wsse {
					return VerifyWSSE(b, Options{})
				}
				return VerifyEnveloped(b, Options{})
			}
			v, err := verify(signed)
			if err != nil {
				t.Fatalf("we refuse xmlsec1's signature: %v\n%s", err, signed)
			}
			if v.SignatureMethod != tc.method {
				t.Fatalf("method %s", v.SignatureMethod)
			}
			// WS-Security hands back the SOAP Body of the template's version.
			if tc.wsse {
				soap := mustParse(t, []byte(tc.tmpl)).Root().NamespaceURI()
				if v.Element.Tag != "Body" || v.Element.NamespaceURI() != soap {
					t.Fatalf("verified element {%s}%s, want the Body of %s", v.Element.NamespaceURI(), v.Element.Tag, soap)
				}
			}
			if tc.trusted {
				var res *Result
				if tc.wsse {
					res, err = checker.CheckWSSE(ctx, signed, time.Time{})
				} else {
					res, err = checker.CheckEnveloped(ctx, signed, time.Time{})
				}
				if err != nil || res.Verdict.Identity.IIN != "931002451325" {
					t.Fatalf("trust: %v", err)
				}
			}
			// A changed comment is no change; a changed ИИН is, for both verifiers.
			for _, change := range []struct {
				old, new string
				ok       bool
			}{{"<!-- c -->", "<!-- edited -->", true}, {"931002451325", "931002451326", false}} {
				b := replaceOnce(t, signed, change.old, change.new)
				_, err := verify(b)
				f := write(t, p.dir, name+"-changed.xml", b)
				xmlOut, xmlErr := xmlsec(t, append([]string{"--verify", "--insecure"}, append(idAttr, f)...)...)
				if change.ok != (err == nil) || change.ok != (xmlErr == nil) {
					t.Fatalf("%s → %s: we %v, xmlsec1 %v\n%s", change.old, change.new, err, xmlErr, xmlOut)
				}
				if !change.ok {
					wantCode(t, err, CodeSigDigestMismatch)
				}
			}
		})
	}
}

// TestXMLSecOnFixture: xmlsec1 agrees on the real NCALayer-layout fixture, comment or not. The
// fixture's certificate expired and its root is not included, so xmlsec1 skips the chain
// (--insecure) but still verifies the signature.
func TestXMLSecOnFixture(t *testing.T) {
	dir := t.TempDir()
	b := fixtures.Read(t, "enveloped-rsa-ncalayer-layout.xml")
	for _, tc := range []struct {
		name string
		doc  []byte
		ok   bool
	}{
		{"as published", b, true},
		{"comment inserted", replaceOnce(t, b, "<b>test</b>", "<b>test</b><!-- c -->"), true},
		{"b changed", replaceOnce(t, b, "<b>test</b>", "<b>tesT</b>"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := write(t, dir, "f.xml", tc.doc)
			_, xmlErr := xmlsec(t, "--verify", "--insecure", f)
			_, err := VerifyEnveloped(tc.doc, Options{})
			if tc.ok != (xmlErr == nil) || tc.ok != (err == nil) {
				t.Fatalf("xmlsec1 %v, we %v", xmlErr, err)
			}
		})
	}
}
