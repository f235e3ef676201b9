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
