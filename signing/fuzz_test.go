package signing

import (
	"testing"

	"github.com/shep-kz/shep/internal/fixtures"
)

// FuzzVerify feeds arbitrary documents to every entry point: none may panic, and whatever
// verifies must come with a signed element and a certificate.
func FuzzVerify(f *testing.F) {
	for _, name := range []string{"wsse-rsa-sendmessage-gbdfl.xml", "wsse-gost2004-sendmessage-response.xml",
		"enveloped-rsa-ncalayer-layout.xml", "gost/enveloped-rsa-then-gost2015-two-signers.xml"} {
		f.Add(fixtures.Read(f, name))
	}
	f.Add([]byte(sendMessage))
	f.Add([]byte(contract))
	f.Add([]byte(`<a x="1&#10;2"><![CDATA[x]]><!--c--></a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := VerifyWSSE(b, Options{}); err == nil && (v.Element == nil || v.Certificate == nil) {
			t.Fatal("verified without an element or a certificate")
		} else if err != nil && CodeOf(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
		if rs, err := VerifyEnvelopedAll(b, Options{}); err == nil {
			for _, r := range rs {
				if r.Err == nil && (r.Verified.Element == nil || r.Verified.Certificate == nil) {
					t.Fatal("verified without an element or a certificate")
				}
			}
		}
		if d, err := Parse(b, Limits{}); err == nil {
			_, _, _ = ParseEmbedded(d.Root())
		}
	})
}

// FuzzParseDifferential compares Parse with parseXMLReference, the implementation it replaced
// (encoding/xml through etree): the same documents accepted, token for token the same trees, the
// same refusal codes. The limits are fuzzed too, 0 standing for the default. The exact mode, which
// Parse only uses after prescan, is also compared alone with the reference's encoding/xml part.
func FuzzParseDifferential(f *testing.F) {
	for _, doc := range differentialDocuments(f) {
		f.Add(doc, uint8(0), uint8(0), uint8(0))
	}
	f.Add(signedBenchMessages(f)[0], uint8(0), uint8(0), uint8(0))
	for _, in := range parseCases {
		f.Add([]byte(in), uint8(0), uint8(0), uint8(0))
	}
	f.Add([]byte(`<a x="1"><b><c/></b><b y="2" z="3"/></a>`), uint8(2), uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, depth, elements, attrs uint8) {
		lim := Limits{MaxDepth: int(depth), MaxElements: int(elements), MaxAttrs: int(attrs)}
		checkSameAsReference(t, b, lim)
		checkExactSameAsReference(t, b, lim)
	})
}
