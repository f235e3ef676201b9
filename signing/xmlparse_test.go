package signing

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/internal/testpki"
)

// diffDocs returns the first difference between two parsed documents, "" when they are the same
// token for token: element names, attributes in order, text and its flags, comments, processing
// instructions, directives, and the parent pointers and indexes that tie them together.
func diffDocs(want, got *etree.Document) string {
	if want.ReadSettings.PreserveDuplicateAttrs != got.ReadSettings.PreserveDuplicateAttrs ||
		want.ReadSettings.MaxDepth != got.ReadSettings.MaxDepth {
		return "read settings"
	}
	if (want.Attr == nil) != (got.Attr == nil) || len(got.Attr) != 0 {
		return "document attributes"
	}
	return diffChildren("", &want.Element, &got.Element)
}

func diffElements(path string, want, got *etree.Element) string {
	path += "/" + want.FullTag()
	if want.Space != got.Space || want.Tag != got.Tag {
		return fmt.Sprintf("%s: element %q:%q, want %q:%q", path, got.Space, got.Tag, want.Space, want.Tag)
	}
	if (want.Attr == nil) != (got.Attr == nil) || len(want.Attr) != len(got.Attr) {
		return fmt.Sprintf("%s: %d attributes (nil %v), want %d (nil %v)", path, len(got.Attr), got.Attr == nil, len(want.Attr), want.Attr == nil)
	}
	for i := range want.Attr {
		w, g := &want.Attr[i], &got.Attr[i]
		if w.Space != g.Space || w.Key != g.Key || w.Value != g.Value {
			return fmt.Sprintf("%s: attribute %d %q:%q=%q, want %q:%q=%q", path, i, g.Space, g.Key, g.Value, w.Space, w.Key, w.Value)
		}
		if g.Element() != got {
			return fmt.Sprintf("%s: attribute %d belongs to another element", path, i)
		}
	}
	return diffChildren(path, want, got)
}

func diffChildren(path string, want, got *etree.Element) string {
	if (want.Child == nil) != (got.Child == nil) || len(want.Child) != len(got.Child) {
		return fmt.Sprintf("%s: %d children (nil %v), want %d (nil %v)", path, len(got.Child), got.Child == nil, len(want.Child), want.Child == nil)
	}
	for i, wt := range want.Child {
		gt := got.Child[i]
		if gt.Parent() != got || gt.Index() != i {
			return fmt.Sprintf("%s: child %d has parent %p index %d, want %p index %d", path, i, gt.Parent(), gt.Index(), got, i)
		}
		if fmt.Sprintf("%T", wt) != fmt.Sprintf("%T", gt) {
			return fmt.Sprintf("%s: child %d is %T, want %T", path, i, gt, wt)
		}
		switch w := wt.(type) {
		case *etree.Element:
			if d := diffElements(path, w, gt.(*etree.Element)); d != "" {
				return d
			}
		case *etree.CharData:
			g := gt.(*etree.CharData)
			if w.Data != g.Data || w.IsCData() != g.IsCData() || w.IsWhitespace() != g.IsWhitespace() {
				return fmt.Sprintf("%s: text %d %q (CDATA %v, whitespace %v), want %q (%v, %v)", path, i,
					g.Data, g.IsCData(), g.IsWhitespace(), w.Data, w.IsCData(), w.IsWhitespace())
			}
		case *etree.Comment:
			if g := gt.(*etree.Comment); w.Data != g.Data {
				return fmt.Sprintf("%s: comment %d %q, want %q", path, i, g.Data, w.Data)
			}
		case *etree.ProcInst:
			if g := gt.(*etree.ProcInst); w.Target != g.Target || w.Inst != g.Inst {
				return fmt.Sprintf("%s: instruction %d %q %q, want %q %q", path, i, g.Target, g.Inst, w.Target, w.Inst)
			}
		case *etree.Directive:
			if g := gt.(*etree.Directive); w.Data != g.Data {
				return fmt.Sprintf("%s: directive %d %q, want %q", path, i, g.Data, w.Data)
			}
		default:
			return fmt.Sprintf("%s: child %d of unknown type %T", path, i, wt)
		}
	}
	return ""
}

// checkSameAsReference parses b with Parse and with parseXMLReference and fails t on any
// difference: acceptance, refusal code, or tree.
func checkSameAsReference(t *testing.T, b []byte, lim Limits) {
	t.Helper()
	want, werr := parseXMLReference(b, lim)
	got, gerr := Parse(b, lim)
	sameOutcome(t, "", b, lim, want, werr, got, gerr)
	if gerr != nil && (CodeOf(gerr) == "" || !strings.HasPrefix(gerr.Error(), "signing: XML_")) {
		t.Fatalf("%q: refusal without a code: %v", b, gerr)
	}
}

// checkExactSameAsReference compares the exact mode alone with decodeReference, on input that
// passes Parse's encoding checks.
func checkExactSameAsReference(t *testing.T, b []byte, lim Limits) {
	t.Helper()
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return
	}
	want, werr := decodeReference(b, lim)
	got, gerr := parseExact(b, lim.withDefaults())
	sameOutcome(t, "exact mode, ", b, lim, want, werr, got, gerr)
}

// sameOutcome fails t unless the parse (got, gerr) and the reference's (want, werr) agree:
// both refuse with the same code, or both accept with the same tree. label prefixes the message.
func sameOutcome(t *testing.T, label string, b []byte, lim Limits, want *etree.Document, werr error, got *etree.Document, gerr error) {
	t.Helper()
	switch {
	case werr != nil && gerr != nil:
		if CodeOf(werr) != CodeOf(gerr) {
			t.Fatalf("%s%q %+v: refused with %v, the reference with %v", label, b, lim, gerr, werr)
		}
	case werr != nil:
		t.Fatalf("%s%q %+v: accepted, the reference refuses: %v", label, b, lim, werr)
	case gerr != nil:
		t.Fatalf("%s%q %+v: refused (%v), the reference accepts", label, b, lim, gerr)
	default:
		if d := diffDocs(want, got); d != "" {
			t.Fatalf("%s%q %+v: trees differ: %s", label, b, lim, d)
		}
	}
}

// parseCases are documents meant to probe every rule of the parser; most are refused.
var parseCases = []string{
	// Accepted shapes.
	`<a/>`, `<a></a>`, `<a>x</a>`, "<a>\n <b/>\n</a>\n", `<a x="1" y='2'/>`, `<a x = "1"  y =	'2' />`,
	`<a x="1"y="2"/>`, `<a x="'" y='"'/>`, `<a x=">"/>`, `<a x="]]>"/>`, `<a>></a>`, `<a>]]&gt;]&#93;></a>`,
	`<a:b xmlns:a="u"/>`, `<a xmlns="u"><b xmlns=""/></a>`, `<a xml:lang="kk" xml:space="preserve"/>`,
	`<a-b.c_d1 e-f.g_h2="1"/>`, `<_a _b="1"/>`, `<ж б="1">значение</ж>`, `<аб:вг xmlns:аб="u" аб:д="1"/>`,
	"<a\u00b7/>", "<a\u0300/>", "<a\u3000/>", "<\u00b7a/>", "<\u0300a/>", "<a\u00a0/>", "<\u4e00/>", "<a\u0e01/>",
	`<a><![CDATA[]]></a>`, `<a><![CDATA[ ]]></a>`, `<a><![CDATA[<&>]]]]></a>`, `<a>x<![CDATA[y]]>z</a>`,
	`<![CDATA[]]><a/>`, `<![CDATA[ ]]><a/>`, `<a/><![CDATA[x]]>`, `<![CDATA[x]]><a/>`,
	`<a><!----></a>`, `<a><!-- - --></a>`, `<a><!---x--></a>`, "<a><!--\x01\x7f-->\x7f</a>", `<!--c--><a/><!--d-->`,
	"<a>\r\n\r\r\n\n</a>", "<a><![CDATA[\r\n\r\r]]></a>", "<a x='\t\n\r\n\r\n\r'/>", "<a x='&#9;&#10;&#13;\r&#13;\n'/>",
	"<a>&#13;\n&#xD;\r\n</a>", "<!--\r\n--><a/>\r\n", "<?xml version='1.0'\r\n?>\r\n<a/>",
	`<a>&lt;&gt;&amp;&apos;&quot;</a>`, `<a x="&lt;&gt;&amp;&apos;&quot;"/>`, `<a>&#65;&#x41;&#x0041;&#0000000000000000000065;</a>`,
	`<a>&#x10FFFF;&#xFFFD;&#xE000;&#xD7FF;&#x20;&#9;</a>`, "<a>\U0010FFFF\uFFFD\uE000\uD7FF</a>", "<a>\uFEFF</a>",
	`<a/>&#32;`, "<a/>&#x9;&#xA;&#xD;", "<a/>\n\n", `<a xmlns:p="u"><p:b/><p:b p:c="1"/></a>`,
	`<a xmlns:p="u" xmlns:q="v" p:x="1" q:x="2" x="3"/>`, `<a xmlns:xml="http://www.w3.org/XML/1998/namespace"/>`,
	`<a xmlns:p="u"><b xmlns:p="v"/><p:c/></a>`, `<a><!-->--></a>`, `<a><!--->x--></a>`,
	// prescan takes these comments to end early and rewrites what follows as if it were markup.
	"<a><!-->  <b c=\"1\t2\"> --></a>", "<a><!--->\t<b c='\r\n'>--></a>", `<a><!--><![CDATA[-->&#xD800;<!--]]>--></a>`,
	`<a><!--><x '--><!DOCTYPE a>'>--></a>`, `<a><!--><x '-->&#xD800;'--></a>`, "<a><!--><b x='-->\t<c y=\"\t\"/>'--></a>",
	`<!--><x '--><?pi x?>'--><a/>`, `<a><!--><x '--><?pi x?>'--></a>`, `<a><!--><x '--><b><b>'--></a>`,
	`<a><!--><x '--><!--'--></a>`, `<a><!--><x "--><![CDATA["--></a>`, `<a><!--><x '--><!DOCTYPE a>'--><b p:c="1"/></a>`,
	// Refused by prescan.
	`<!DOCTYPE a><a/>`, `<a><!DOCTYPE a></a>`, `<!><a/>`, `<!-x><a/>`, `<![CDAT[x]]><a/>`, `<a/><!DOCTYPE a>`,
	`<?pi x?><a/>`, `<a><?pi?></a>`, `<a/><?pi?>`, `<?xml version="1.0"?><?xml version="1.0"?><a/>`, `<!--c--><?xml version="1.0"?><a/>`,
	`<?xml?><a/>`, `<?xml-stylesheet x?><a/>`, `<a>&#xD800;</a>`, `<a>&#55296;</a>`, `<a>&#xdfff;</a>`, `<a x="&#xD800;"/>`,
	`<a>&#xD800</a>`, `<a>&#x&#xD800;</a>`, `<a>&bogus;<!DOCTYPE x></a>`, `<a p:x="1"><!DOCTYPE x></a>`, `<a x="1" x="2"><?pi?></a>`,
	// Refused by encoding/xml.
	``, `<`, `<a`, `<a>`, `<a x`, `<a x=`, `<a x="1`, `<a x="1"`, `<a/`, `<a/ >`, `<a / >`, `< a/>`, `<1a/>`, `<-a/>`, `<.a/>`,
	`<a:b:c/>`, `<a x:y:z="1"/>`, `<a x=1/>`, `<a x/>`, `<a x="<"/>`, `<a></b>`, `</a>`, `<a></a >`, "<a></a\n>", `<a></ a>`,
	`<a></a x>`, `<a><b></a></b>`, `<a>&lt</a>`, `<a>&LT;</a>`, `<a>&#;</a>`, `<a>&#x;</a>`, `<a>&#X41;</a>`, `<a>&#0;</a>`,
	`<a>&#x110000;</a>`, `<a>&#99999999999999999999999;</a>`, `<a>&#xFFFE;</a>`, `<a>&#xFFFF;</a>`, `<a>&#1;</a>`, `<a>&</a>`,
	`<a>&#</a>`, `<a>&#x</a>`, `<a>&#65</a>`, "<a>\x01</a>", "<a>\x1f</a>", "<a x='\x01'/>", "<a><![CDATA[\x01]]></a>",
	"<a>\uFFFE</a>", "<a>\uFFFF</a>", "<a x='\uFFFE'/>", "<a><![CDATA[\uFFFF]]></a>", "<\uFFFE/>", "<a\u0589/>",
	`<a>]]></a>`, `<a><![CDATA[x</a>`, `<a><!-- -- --></a>`, `<a><!-- ---></a>`, `<a><!-- x</a>`, `<a><!--->`,
	`<?xml version="1.1"?><a/>`, `<?xml version='2.0' encoding='latin1'?><a/>`, `<?xml version="1.0"`, `<?`, `<? xml?><a/>`,
	`<?xml version=version="2"?><a/>`, `<?xml version="1.0" version="1.1"?><a/>`, `<?xml x="version='1.1'"?><a/>`,
	`<a/><b/>`, `<a/>x`, `<a/>&amp;`, `<a/>]]>`, `x<a/>`, `<a/><`, `<a/></a>`, `<a/><b>`, `<a x="1" x="2"/><b/>`,
	`<a x="1" x="2"/>junk`, `<a x="1" x="2"/><`, `<a p:x="1"/><b/>`, `<p:a/><?pi?>`,
	// Refused by the prolog and namespace checks.
	`<?xml version="1.0" encoding="windows-1251"?><a/>`, `<?xml version="1.0" encoding="utf-16"?><a/>`, `<?xml foo="1"?><a/>`,
	`<?xml version="1.0" standalone="no" ?><a/>`, `<?xml version=1.0?><a/>`, `<?xml version="1.0?><a/>`, `<?xml encoding="latin1"?><a/>x`,
	`<a xmlns:p=""/>`, `<a xmlns:xml="u"/>`, `<a xmlns:xmlns="u"/>`, `<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>`,
	`<a xmlns:p="http://www.w3.org/2000/xmlns/"/>`, `<a xmlns="http://www.w3.org/XML/1998/namespace"/>`,
	`<a xmlns="http://www.w3.org/2000/xmlns/"/>`, `<a xmlns=""/>`, `<xmlns:a/>`, `<:a/>`, `<a:/>`, `<a :b="1"/>`, `<a b:="1"/>`,
	`<a xmlns:="u"/>`, `<p:a/>`, `<a p:x="1"/>`, `<a><b xmlns:p="u"/><p:c/></a>`, `<a ID="1" ID="2"/>`,
	`<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`, `<a xmlns:p="u" xmlns:p="v"/>`, `<a xmlns="u" xmlns="v"/>`,
	`<a xml:lang="kk" xml:lang="ru"/>`, `<a xmlns:p="xmlns:" xmlns:q="u" p:q="1"/>`, `<a xmlns:p="xmlns" xmlns="u" p:x="1"/>`,
	`<a x="1" p:y="2" x="3"/>`, `<a x="1" x="2" p:y="3"/>`, `<a xmlns:p="" p:x="1" p:x="2"/>`, `<p:a x="1" x="2"/>`,
	`<a><b x="1" x="2"/><c p:d="1"/></a>`, `<a><c p:d="1"/><b x="1" x="2"/></a>`, `<a x="1" x="2"/><!-- -->x`,
	`<a xmlns:p="u" p:x="1" xmlns:q="u" q:x="1"/>`, `<a x1="1" x2="2" x3="3" x4="4" x5="5" x6="6" x7="7" x8="8" x9="9" x1="10"/>`,
	`<a xmlns:p="u" xmlns:q="u" x1="1" x2="2" x3="3" x4="4" x5="5" x6="6" x7="7" p:x="8" q:x="9"/>`,
	"\xef\xbb\xbf<a/>", "\n\t \r\n<a/>", "\n\xef\xbb\xbf<a/>", "\xef\xbb\xbf\xef\xbb\xbf<a/>", "<a>\xff</a>", "\xff\xfe<\x00a\x00/>",
	"<a>\x00</a>",
	// Directives and instructions where prescan would not see them (the exact mode alone).
	`<!DOCTYPE a [<!ELEMENT a (#PCDATA)>]><a/>`, `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, `<!DOCTYPE a '>'><a/>`,
	`<!DOCTYPE a "<"><a/>`, `<!DOCTYPE a <!-- > --> ><a/>`, `<!DOCTYPE a <!- x>><a/>`, `<!DOCTYPE a <<>>><a/>`,
	`<!DOCTYPE a <!<!-- -->>><a/>`, `<!>><a/>`, `<!'>'><a/>`, `<!"><a/>`, `<!DOCTYPE`, `<!DOCTYPE a <!-- `, `<!DOCTYPE a <!-`,
	`<!DOCTYPE a "x`, `<a><b/><!X></a>`, `<a><b x="1" x="2"/><!X></a>`, `<a><!X><b x="1" x="2"/></a>`, `<a/><!X>`,
	`<!X><a x="1" x="2"/>`, `<a x="1" x="2"/><!X>`, `<a/><!X><b/>`, `<!X><!Y>`, `<a><!X></b>`, `<a><!X>`,
	`<a/><?xml version="1.1"?>`, `<a><?xml version="1.0"?></a>`, `<?xml version="1.0"?><?pi?><a/>`, `<?xml  version="1.0"?><a/>`,
	`<?xml encoding="latin1"?><!DOCTYPE a><a/>`, `<?pi?><?xml version="1.0"?><a/>`, `<?p:i:q x?><a/>`, `<?1pi?><a/>`,
	`<?пи x?><a/>`, `<?xml version="1.0"?><a/><?xml version="1.0"?>`, `<a><?pi?><b x="1" x="2"/></a>`, `<a><b p:x="1"/><?pi?></a>`,
	`<a>&#xD800;&#xDFFF;</a>`, `<a x="&#xD800;"/>`, `<a><!--c--><?pi?></a>`, `<?xml version="1.0"?><!DOCTYPE a>x<a/>`,
	`<!DOCTYPE a>` + strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70), strings.Repeat("<a>", 70) + `<!DOCTYPE a>` + strings.Repeat("</a>", 70),
	`<a><!`, `<?xml version=?><a/>`, `<?xml version="1.0" x=?><a/>`, `<a x="'&amp;'" y='"&amp;"'/>`,
	`<a><!--><x '--><b/><b/><b/>'--></a>`, `<a><!--><x '--><b p="1" q="2"/>'--></a>`, `<a><!--><x '--><b/></a><c/>'--></a>`,
}

func TestParseDifferential(t *testing.T) {
	limits := []Limits{{}, {MaxDepth: 2}, {MaxElements: 3}, {MaxAttrs: 1}, {MaxDepth: 1, MaxElements: 1, MaxAttrs: 1}, {MaxBytes: 20}}
	for _, in := range parseCases {
		for _, lim := range limits {
			checkSameAsReference(t, []byte(in), lim)
			checkExactSameAsReference(t, []byte(in), lim)
		}
	}
	for _, in := range differentialDocuments(t) {
		for _, lim := range limits[:4] {
			checkSameAsReference(t, in, lim)
		}
	}
}

// TestParseDifferentialGenerated compares Parse with the reference on generated documents:
// mostly well-formed trees of names, prefixes, declarations, attributes, references, whitespace,
// comments (among them ones prescan reads differently, with markup inside), CDATA sections and
// instructions, a third of them then damaged by one fragment inserted or cut. It reaches
// combinations random bytes seldom do. The generator is seeded: the documents are the same on
// every run.
func TestParseDifferentialGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	names := []string{"a", "b", "a", "b", "ж", "a-1.b_c", "p:a", "q:b", "wsse:Security", "p:a", "xml:a", "xmlns:a", ":a", "s:a"}
	attrNames := []string{"x", "y", "z", "x", "y", "Id", "p:x", "q:x", "xml:lang", "p:y", "wsu:Id", "xmlns", "xmlns:p", "xmlns:q",
		"xmlns:xml", "xmlns:wsu", "s:x"}
	values := []string{"1", "u", "urn:x", "a b", "\t", "\r\n", "\n", "\r", "&#10;", "&amp;&lt;", "'", `"`, ">", "]]>", "значение",
		"&#x9;&#13;", "", "http://www.w3.org/XML/1998/namespace", "&#xD800;", "<", "\uFFFE", "\x01"}
	texts := []string{"", " ", "\n  ", "\r\n", "\r", "text", "&amp;", "&#65;", "&#32;", "]]", ">", "ж", "\uFFFD", "\ufeff",
		"&#xD800;", "]]>", "\x01", "&bogus;", "\uFFFF"}
	comments := []string{"c", "", " - ", ">", "->", ">x", "-> <b y='\t'>", "> <x '", "' <!DOCTYPE a> '", "> <?pi?> ", "><![CDATA[",
		"> <b/><b/><b/> ", "> <x 'a' 'b' 'c'> ", "\r\n", "&#xD800;", "-"}
	var elem func(b *strings.Builder, depth int)
	elem = func(b *strings.Builder, depth int) {
		name := names[rng.IntN(len(names))]
		b.WriteString("<" + name)
		if depth == 0 && rng.IntN(4) != 0 {
			b.WriteString(` xmlns:p="urn:p" xmlns:q="urn:q" xmlns:wsse="urn:wsse" xmlns:wsu='urn:wsu'`)
		}
		for range rng.IntN(4) {
			q := pick(`"`, "'")
			v := values[rng.IntN(len(values)-6)]
			if rng.IntN(2) == 0 {
				v += values[rng.IntN(len(values))]
			}
			b.WriteString(pick(" ", "\n", "\t", "") + attrNames[rng.IntN(len(attrNames))] + pick("=", " = ") + q + v + q)
		}
		if depth > 4 || rng.IntN(4) == 0 {
			b.WriteString(pick("/>", " />"))
			return
		}
		b.WriteString(">")
		for range rng.IntN(5) {
			switch rng.IntN(9) {
			case 0, 1, 2:
				elem(b, depth+1)
			case 3, 4:
				b.WriteString(texts[rng.IntN(len(texts)-4*rng.IntN(2))])
			case 5:
				b.WriteString("<!--" + comments[rng.IntN(len(comments))] + "-->")
			case 6:
				b.WriteString("<![CDATA[" + pick("", "x", "<&>", "\r\n", "]", "\x01") + "]]>")
			case 7:
				b.WriteString(pick("<?pi x?>", "<!DOCTYPE a>", `<?xml version="1.0"?>`, "\r\n", "", "", "", ""))
			default:
				b.WriteString(pick(" ", "\n"))
			}
		}
		b.WriteString("</" + name + pick(">", " >"))
	}
	damage := []string{"<", ">", "'", `"`, "&", "-->", "<!--", "<!-->", "]]>", "<!DOCTYPE a>", "<?pi?>", "</a>", "<a>", "=",
		"\x01", "<x '", "/", ":", "ж"}
	limits := []Limits{{}, {}, {}, {MaxDepth: 3}, {MaxElements: 5}, {MaxAttrs: 2}}
	accepted := 0
	for range 30000 {
		var b strings.Builder
		b.WriteString(pick("", "", `<?xml version="1.0" encoding="UTF-8"?>`, "\n<?xml version='1.0'?>\n", "<!-- c -->", "\xef\xbb\xbf"))
		elem(&b, 0)
		b.WriteString(pick("", "", "\n", "<!-- c -->", "", "\n", "<a/>", "x"))
		doc := b.String()
		if rng.IntN(4) == 0 {
			at := rng.IntN(len(doc) + 1)
			if rng.IntN(2) == 0 {
				doc = doc[:at] + damage[rng.IntN(len(damage))] + doc[at:]
			} else {
				doc = doc[:at] + doc[min(len(doc), at+1+rng.IntN(4)):]
			}
		}
		lim := limits[rng.IntN(len(limits))]
		checkSameAsReference(t, []byte(doc), lim)
		checkExactSameAsReference(t, []byte(doc), lim)
		if _, err := Parse([]byte(doc), lim); err == nil {
			accepted++
		}
	}
	t.Logf("%d accepted", accepted)
	if accepted < 1000 {
		t.Fatalf("only %d generated documents accepted: the generator no longer exercises the trees", accepted)
	}
}

// differentialDocuments returns the real documents of the fixtures and signed messages.
func differentialDocuments(t testing.TB) [][]byte {
	docs := [][]byte{[]byte(sendMessage), []byte(contract)}
	for _, name := range []string{"wsse-rsa-sendmessage-gbdfl.xml", "wsse-gost2004-sendmessage-request.xml",
		"wsse-gost2004-sendmessage-response.xml", "enveloped-rsa-ncalayer-layout.xml",
		"gost/enveloped-gost2015-test-message.xml", "gost/enveloped-rsa-then-gost2015-two-signers.xml"} {
		docs = append(docs, fixtures.Read(t, name))
	}
	return docs
}

// TestParseFastPath checks that real documents are read in one pass, without the exact mode.
func TestParseFastPath(t *testing.T) {
	for i, in := range append(differentialDocuments(t), signedBenchMessages(t)...) {
		b, lim := trimForParse(in), Limits{}.withDefaults()
		if _, ok := parseFast(b, lim); !ok {
			t.Errorf("document %d needs the exact mode", i)
		}
		checkSameAsReference(t, in, Limits{})
	}
}

// trimForParse strips what Parse strips before its parsers run.
func trimForParse(b []byte) []byte {
	return []byte(strings.TrimLeft(strings.TrimPrefix(string(b), "\xef\xbb\xbf"), " \t\r\n"))
}

// TestParseNameBytes compares the reading of ASCII names with encoding/xml's, for every byte in
// first and in second position.
func TestParseNameBytes(t *testing.T) {
	for c := 0x21; c < 0x80; c++ {
		for _, name := range []string{string(rune(c)), "a" + string(rune(c)), "a" + string(rune(c)) + "b"} {
			in := "<" + name + "/>"
			_, werr := xml.NewDecoder(strings.NewReader(in)).RawToken()
			_, gerr := parseExact([]byte(in), Limits{}.withDefaults())
			// A colon at an end is a name for encoding/xml but not namespace-well-formed here;
			// "!", "?", "/" and ">" end the tag or make it another kind of markup.
			if (werr == nil) != (gerr == nil) && !strings.ContainsAny(name, ":!?/>") {
				t.Errorf("%q: encoding/xml %v, parser %v", in, werr, gerr)
			}
			checkSameAsReference(t, []byte(in), Limits{})
		}
	}
}

// TestParseNameTables checks xmlNameStart and xmlNameChar against encoding/xml for every
// non-ASCII code point, first in a name and after the first.
func TestParseNameTables(t *testing.T) {
	accepts := func(s string) bool {
		_, err := xml.NewDecoder(strings.NewReader(s)).RawToken()
		return err == nil
	}
	for r := rune(0x80); r <= utf8.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		c := string(r)
		if got, want := nonASCIIName([]byte(c)), accepts("<"+c+">"); got != want {
			t.Errorf("%U first in a name: %v, encoding/xml %v", r, got, want)
		}
		if got, want := nonASCIIName([]byte("a"+c)), accepts("<a"+c+">"); got != want {
			t.Errorf("%U in a name: %v, encoding/xml %v", r, got, want)
		}
	}
}

// TestParseDivergentComment documents the one well-formed input on which prescan and the parser
// see different markup: a comment whose text starts with ">" or "->". prescan, looking for "-->"
// from the "<!--" itself, ends the comment early and normalizes the rest as if it were attribute
// values; Parse reproduces that (the tab becomes a space) rather than diverge from the reference.
func TestParseDivergentComment(t *testing.T) {
	d, err := Parse([]byte("<a><!-->  <b c=\"1\t2\"> --></a>"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Root().Child[0].(*etree.Comment); c.Data != ">  <b c=\"1 2\"> " {
		t.Fatalf("comment %q", c.Data)
	}
	// prescan hides a DOCTYPE inside a quoted "attribute"; the reference refuses it afterwards.
	_, err = Parse([]byte(`<a><!--><x '--><!DOCTYPE a>'--></a>`), Limits{})
	wantCode(t, err, CodeXMLDoctype)
}

// TestParseCopiesInput checks that the tree shares no memory with the input, which the parser
// reads in place: overwriting the input after Parse changes nothing in the tree, and Parse leaves
// the input as it was.
func TestParseCopiesInput(t *testing.T) {
	for _, in := range append(differentialDocuments(t), []byte("<a x='1\t2' y=\"&amp;\"><!--c--><![CDATA[d]]>e\r\n<b/>\n</a>")) {
		b := bytes.Clone(in)
		got, err := Parse(b, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, in) {
			t.Fatal("Parse changed its input")
		}
		for i := range b {
			b[i] = 'x'
		}
		want, err := Parse(in, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if d := diffDocs(want, got); d != "" {
			t.Fatalf("the tree changed with its input: %s", d)
		}
	}
}

// TestParseLarge checks big and deep documents against the reference: many elements, deep
// namespace scopes, many attributes, long texts.
func TestParseLarge(t *testing.T) {
	var deep strings.Builder // 63 levels, each declaring 61 prefixes, then 2000 elements using them
	for i := range 63 {
		fmt.Fprintf(&deep, `<p%d:e xmlns:p%d="urn:%d"`, i, i, i)
		for j := range 60 {
			fmt.Fprintf(&deep, ` xmlns:q%d="urn:%d:%d"`, j, i, j)
		}
		deep.WriteString(">")
	}
	for i := range 2000 {
		fmt.Fprintf(&deep, `<p0:x q%d:a="1" q%d:a="2"/>`, i%60, (i+1)%60)
	}
	for i := 62; i >= 0; i-- {
		fmt.Fprintf(&deep, "</p%d:e>", i)
	}
	var attrs strings.Builder
	attrs.WriteString("<r>")
	for range 200 {
		attrs.WriteString("<e")
		for j := range 128 {
			fmt.Fprintf(&attrs, ` a%d="%d"`, j, j)
		}
		attrs.WriteString("/>")
	}
	attrs.WriteString("</r>")
	tests := []struct {
		name, doc string
		code      Code // "" to accept
	}{
		{"10000 elements", "<r>" + strings.Repeat("<e x=\"1\">t</e>\n", 10000) + "</r>", ""},
		{"deep scopes", deep.String(), ""},
		{"deep scopes, undeclared at the bottom", strings.Replace(deep.String(), "<p0:x q0:a", "<p0:x q99:a", 1), CodeXMLMalformed},
		{"deep scopes, duplicate at the bottom", strings.Replace(deep.String(), `q59:a="1" q0:a="2"`, `q59:a="1" q59:a="2"`, 1), CodeXMLDuplicateAttr},
		{"128 attributes", attrs.String(), ""},
		{"129 attributes", strings.Replace(attrs.String(), `a0="0"`, `a0="0" b="1"`, 1), CodeXMLLimit},
		{"long text", "<r>" + strings.Repeat("текст &amp; text\r\n", 100000) + "</r>", ""},
		{"long attribute", "<r a=\"" + strings.Repeat("x\ty&lt;", 100000) + "\"/>", ""},
		{"long comment", "<r><!--" + strings.Repeat("- <x>", 100000) + "--></r>", ""},
		{"200000 elements", "<r>" + strings.Repeat("<e/>", 199999) + "</r>", ""},
		{"200001 elements", "<r>" + strings.Repeat("<e/>", 200000) + "</r>", CodeXMLLimit},
		{"64 levels", strings.Repeat("<a>", 64) + strings.Repeat("</a>", 64), ""},
		{"65 levels", strings.Repeat("<a>", 65) + strings.Repeat("</a>", 65), CodeXMLLimit},
		{"duplicate after many elements", "<r>" + strings.Repeat(`<e a="1" b="2"/>`, 1000) + `<e a="1" a="2"/></r>`, CodeXMLDuplicateAttr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), Limits{})
			if tc.code == "" && err != nil {
				t.Fatal(err)
			}
			if tc.code != "" {
				wantCode(t, err, tc.code)
			}
			checkSameAsReference(t, []byte(tc.doc), Limits{})
		})
	}
}

// signedBenchMessages returns WS-Security messages signed as BenchmarkVerifyWSSE signs them, of
// about 4.4 KB and 52 KB.
func signedBenchMessages(t testing.TB) [][]byte {
	a := testpki.NewCA(t, ca.Options{})
	iss := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "BENCH"})
	var docs [][]byte
	for _, size := range []int{3 << 10, 50 << 10} {
		doc, err := SignWSSE([]byte(benchMessage(size)), iss.Key, iss.Certificate, SignOptions{})
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	return docs
}

// BenchmarkParse compares Parse with the reference implementation (encoding/xml through etree)
// on the signed messages of BenchmarkVerifyWSSE.
func BenchmarkParse(b *testing.B) {
	for _, doc := range signedBenchMessages(b) {
		for _, impl := range []struct {
			name  string
			parse func([]byte, Limits) (*etree.Document, error)
		}{{"new", Parse}, {"reference", parseXMLReference}} {
			b.Run(fmt.Sprintf("%.1fKB/%s", float64(len(doc))/1000, impl.name), func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.parse(doc, Limits{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
