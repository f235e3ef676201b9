package signing

import (
	"strings"
	"testing"

	"github.com/shep-kz/shep/internal/fixtures"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		root     string
	}{
		{"leading newline before the declaration (RSA fixture)", "\n<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><a/>", "a"},
		{"byte-order mark (GOST fixtures)", "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", "a"},
		{"lower-case utf-8", `<?xml version="1.0" encoding="utf-8"?><a/>`, "a"},
		{"single-quoted declaration", `<?xml version='1.0' encoding='Utf-8'?><a/>`, "a"},
		{"no declaration", `<p:a xmlns:p="urn:p"><b/></p:a>`, "a"},
		{"comments and whitespace around the root", "<!-- x -->\n<a/>\n<!-- y -->\n", "a"},
		{"CDATA", `<a><![CDATA[<x>]]></a>`, "a"},
		{"xml prefix needs no declaration", `<a xml:lang="kk"/>`, "a"},
		{"same local name in two namespaces", `<a xmlns:p="urn:1" xmlns:q="urn:2" p:x="1" q:x="2" x="3"/>`, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Root().Tag != tc.root {
				t.Fatalf("root %s", d.Root().Tag)
			}
		})
	}
	for _, f := range []string{"wsse-rsa-sendmessage-gbdfl.xml", "wsse-gost2004-sendmessage-request.xml", "wsse-gost2004-sendmessage-response.xml",
		"enveloped-rsa-ncalayer-layout.xml", "gost/enveloped-gost2015-test-message.xml", "gost/enveloped-rsa-then-gost2015-two-signers.xml"} {
		if _, err := Parse(fixtures.Read(t, f), Limits{}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	deep := strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70)
	many := "<r>" + strings.Repeat("<e/>", 20) + "</r>"
	tests := []struct {
		name, in string
		lim      Limits
		code     Code
	}{
		{"DOCTYPE", `<!DOCTYPE a><a/>`, Limits{}, CodeXMLDoctype},
		{"entity expansion", `<!DOCTYPE a [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;">]><a>&y;</a>`, Limits{}, CodeXMLDoctype},
		{"external entity", `<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`, Limits{}, CodeXMLDoctype},
		{"undefined entity", `<a>&x;</a>`, Limits{}, CodeXMLMalformed},
		{"processing instruction inside", `<a><?pi data?></a>`, Limits{}, CodeXMLMalformed},
		{"processing instruction before the root", `<?xml-stylesheet href="x"?><a/>`, Limits{}, CodeXMLMalformed},
		{"processing instruction after the root", `<a/><?pi?>`, Limits{}, CodeXMLMalformed},
		{"second declaration", `<?xml version="1.0"?><?xml version="1.0"?><a/>`, Limits{}, CodeXMLMalformed},
		{"declaration after a comment", `<!-- c --><?xml version="1.0"?><a/>`, Limits{}, CodeXMLMalformed},
		{"XML 1.1", `<?xml version="1.1"?><a/>`, Limits{}, CodeXMLMalformed},
		{"windows-1251", `<?xml version="1.0" encoding="windows-1251"?><a/>`, Limits{}, CodeXMLEncoding},
		{"ISO-8859-1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, Limits{}, CodeXMLEncoding},
		{"invalid UTF-8", "<a>\xff\xfe</a>", Limits{}, CodeXMLEncoding},
		{"UTF-16 byte-order mark", "\xff\xfe<\x00a\x00/\x00>\x00", Limits{}, CodeXMLEncoding},
		{"duplicate attribute", `<a ID="one" ID="two"/>`, Limits{}, CodeXMLDuplicateAttr},
		{"duplicate expanded name", `<a xmlns:p="urn:x" xmlns:q="urn:x" p:Id="1" q:Id="2"/>`, Limits{}, CodeXMLDuplicateAttr},
		{"duplicate namespace declaration", `<a xmlns:p="urn:x" xmlns:p="urn:y"/>`, Limits{}, CodeXMLDuplicateAttr},
		{"two roots", `<a/><b/>`, Limits{}, CodeXMLMalformed},
		{"trailing text", `<a/>garbage`, Limits{}, CodeXMLMalformed},
		{"no root", `<!-- only a comment -->`, Limits{}, CodeXMLMalformed},
		{"empty", ``, Limits{}, CodeXMLMalformed},
		{"unclosed", `<a><b></a>`, Limits{}, CodeXMLMalformed},
		{"undeclared element prefix", `<p:a/>`, Limits{}, CodeXMLMalformed},
		{"undeclared attribute prefix", `<a p:x="1"/>`, Limits{}, CodeXMLMalformed},
		{"prefix undeclared (XML 1.1)", `<a xmlns:p="urn:p"><b xmlns:p=""/></a>`, Limits{}, CodeXMLMalformed},
		{"xml prefix rebound", `<a xmlns:xml="urn:x"/>`, Limits{}, CodeXMLMalformed},
		{"xmlns prefix declared", `<a xmlns:xmlns="urn:x"/>`, Limits{}, CodeXMLMalformed},
		{"too large", `<a>` + strings.Repeat("x", 100) + `</a>`, Limits{MaxBytes: 64}, CodeXMLLimit},
		{"too deep", deep, Limits{}, CodeXMLLimit},
		{"too many elements", many, Limits{MaxElements: 10}, CodeXMLLimit},
		{"too many attributes", `<a x1="1" x2="2" x3="3"/>`, Limits{MaxAttrs: 2}, CodeXMLLimit},
		{"control character", "<a>\x01</a>", Limits{}, CodeXMLMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), tc.lim)
			wantCode(t, err, tc.code)
		})
	}
}

// TestParseAttributeNormalization checks XML 1.0 §3.3.3, which encoding/xml skips: literal
// whitespace in an attribute value becomes a space, character references stay.
func TestParseAttributeNormalization(t *testing.T) {
	d := mustParse(t, []byte("<a x=\"1\n2\t3\r\n4\r5\" y='&#10;&#9;&#13;' z=\"a>b\">t\r\nu</a>"))
	r := d.Root()
	for k, want := range map[string]string{"x": "1 2 3 4 5", "y": "\n\t\r", "z": "a>b"} {
		if got := r.SelectAttrValue(k, ""); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if r.Text() != "t\nu" {
		t.Errorf("text %q: line ends are not normalized", r.Text())
	}
	// Normalization stops at the end of the tag: text, comments and CDATA keep their whitespace.
	d = mustParse(t, []byte("<a b=\"x\ty\"><!-- \"\t\" --><![CDATA[\"\t\"]]>\"\t\"</a>"))
	if got := d.Root().Text(); got != "\"\t\"\"\t\"" {
		t.Errorf("text %q", got)
	}
}
