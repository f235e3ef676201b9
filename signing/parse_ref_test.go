package signing

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing/c14n"
)

// parseXMLReference is the implementation of Parse before the hand-written parser (xmlparse.go):
// encoding/xml through etree, with prescan before and the namespace checks after. It is kept
// unchanged as the oracle of the differential tests (TestParseDifferential, FuzzParseDifferential).
//
// It reads one XML document strictly: UTF-8 only (a leading byte-order mark and whitespace
// before the XML declaration are tolerated), no DOCTYPE or other directive, no processing
// instruction other than the XML declaration, one root element and nothing but comments and
// whitespace around it, namespace-well-formed, no two attributes with the same expanded name, and
// within lim. Attribute values are normalized as XML requires (a literal tab, newline or carriage
// return becomes a space), which encoding/xml does not do by itself.
//
// Every refusal is an *Error with one of the XML_* codes.
func parseXMLReference(b []byte, lim Limits) (*etree.Document, error) {
	lim = lim.withDefaults()
	if len(b) > lim.MaxBytes {
		return nil, fail(CodeXMLLimit, "document of %d bytes exceeds the limit of %d", len(b), lim.MaxBytes)
	}
	b = bytes.TrimPrefix(b, bom)
	if len(b) >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0xff && b[1] == 0xfe) || bytes.IndexByte(b, 0) >= 0 {
		return nil, fail(CodeXMLEncoding, "NUL bytes or UTF-16/UTF-32 input: only UTF-8 is accepted")
	}
	if !utf8.Valid(b) {
		return nil, fail(CodeXMLEncoding, "input is not valid UTF-8")
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	b, err := prescanReference(b, lim)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{PreserveDuplicateAttrs: true, MaxDepth: lim.MaxDepth}
	if err := doc.ReadFromBytes(b); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, wrap(CodeXMLLimit, err, "elements nested deeper than %d", lim.MaxDepth)
		}
		return nil, wrap(CodeXMLMalformed, err, "not well-formed")
	}
	if err := checkPrologReference(doc); err != nil {
		return nil, err
	}
	count := 0
	if err := checkElementReference(doc.Root(), map[string]string{}, lim, &count); err != nil {
		return nil, err
	}
	return doc, nil
}

// checkPrologReference checks the document's top-level tokens.
func checkPrologReference(doc *etree.Document) error {
	roots := 0
	for i, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			roots++
		case *etree.Comment:
		case *etree.CharData:
			if strings.Trim(t.Data, " \t\r\n") != "" {
				return fail(CodeXMLMalformed, "text outside the root element")
			}
		case *etree.Directive:
			return fail(CodeXMLDoctype, "DOCTYPE or other directive")
		case *etree.ProcInst:
			if i != 0 || t.Target != "xml" {
				return fail(CodeXMLMalformed, "processing instruction <?%s?>", t.Target)
			}
			if err := checkDeclarationReference(t.Inst); err != nil {
				return err
			}
		default:
			return fail(CodeXMLMalformed, "unexpected token %T", t)
		}
	}
	if roots != 1 {
		return fail(CodeXMLMalformed, "%d root elements", roots)
	}
	return nil
}

// checkDeclarationReference checks the pseudo-attributes of the XML declaration: version 1.0, encoding (if
// any) UTF-8.
func checkDeclarationReference(inst string) error {
	rest := inst
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
		name := strings.TrimRight(rest[:eq], " \t\r\n")
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		if rest == "" || rest[0] != '"' && rest[0] != '\'' {
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
		value := rest[1 : 1+end]
		rest = rest[end+2:]
		switch name {
		case "version":
			if value != "1.0" {
				return fail(CodeXMLMalformed, "XML version %q", value)
			}
		case "encoding":
			if !strings.EqualFold(value, "UTF-8") {
				return fail(CodeXMLEncoding, "encoding %q: only UTF-8 is accepted", value)
			}
		case "standalone":
		default:
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
	}
}

// checkElementReference checks e and its descendants: limits, namespace well-formedness, duplicate
// attributes, and no directive or processing instruction inside. scope maps the prefixes in scope
// at e's parent; e's own declarations are added to it for e's subtree and undone on return, so
// that the cost per element is that of its own attributes, not of the whole scope (a copy per
// element was quadratic: deep scopes with many short elements took minutes).
func checkElementReference(e *etree.Element, scope map[string]string, lim Limits, count *int) error {
	*count++
	if *count > lim.MaxElements {
		return fail(CodeXMLLimit, "more than %d elements", lim.MaxElements)
	}
	if len(e.Attr) > lim.MaxAttrs {
		return fail(CodeXMLLimit, "<%s> has %d attributes, more than %d", e.FullTag(), len(e.Attr), lim.MaxAttrs)
	}
	if strings.Contains(e.Tag, ":") || e.Space == "xmlns" {
		return fail(CodeXMLMalformed, "element name %q is not namespace-well-formed", e.FullTag())
	}
	type binding struct {
		prefix, uri string
		bound       bool
	}
	var undo []binding
	defer func() {
		for i := len(undo) - 1; i >= 0; i-- {
			if b := undo[i]; b.bound {
				scope[b.prefix] = b.uri
			} else {
				delete(scope, b.prefix)
			}
		}
	}()
	for _, a := range e.Attr {
		prefix, isDecl := "", false
		switch {
		case a.Space == "xmlns":
			prefix, isDecl = a.Key, true
			switch {
			case a.Key == "xmlns", a.Key == "xml" && a.Value != c14n.XMLNamespace,
				a.Key != "xml" && (a.Value == c14n.XMLNamespace || a.Value == c14n.XMLNSNamespace):
				return fail(CodeXMLMalformed, "reserved namespace prefix or name in xmlns:%s", a.Key)
			case a.Value == "":
				return fail(CodeXMLMalformed, "xmlns:%s undeclares a prefix (XML 1.1 only)", a.Key)
			}
		case a.Space == "" && a.Key == "xmlns":
			isDecl = true
			if a.Value == c14n.XMLNamespace || a.Value == c14n.XMLNSNamespace {
				return fail(CodeXMLMalformed, "reserved namespace name as the default namespace")
			}
		}
		if strings.Contains(a.Key, ":") {
			return fail(CodeXMLMalformed, "attribute name %q is not namespace-well-formed", a.FullKey())
		}
		if isDecl {
			uri, bound := scope[prefix]
			undo = append(undo, binding{prefix, uri, bound})
			scope[prefix] = a.Value
		}
	}
	resolve := func(prefix string) (string, bool) {
		if prefix == "xml" {
			return c14n.XMLNamespace, true
		}
		uri, ok := scope[prefix]
		return uri, ok || prefix == ""
	}
	if _, ok := resolve(e.Space); !ok {
		return fail(CodeXMLMalformed, "undeclared namespace prefix %q on <%s>", e.Space, e.FullTag())
	}
	type name struct{ space, local string }
	seen := make(map[name]bool, len(e.Attr))
	for _, a := range e.Attr {
		var n name
		switch {
		case a.Space == "xmlns":
			n = name{"xmlns:", a.Key}
		case a.Space == "" && a.Key == "xmlns":
			n = name{"xmlns", ""}
		case a.Space == "":
			n = name{"", a.Key}
		default:
			uri, ok := resolve(a.Space)
			if !ok {
				return fail(CodeXMLMalformed, "undeclared namespace prefix %q on attribute %s", a.Space, a.FullKey())
			}
			n = name{uri, a.Key}
		}
		if seen[n] {
			return fail(CodeXMLDuplicateAttr, "<%s> has attribute %s twice", e.FullTag(), a.FullKey())
		}
		seen[n] = true
	}
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Element:
			if err := checkElementReference(t, scope, lim, count); err != nil {
				return err
			}
		case *etree.Directive:
			return fail(CodeXMLDoctype, "directive inside <%s>", e.FullTag())
		case *etree.ProcInst:
			return fail(CodeXMLMalformed, "processing instruction <?%s?> inside <%s>", t.Target, e.FullTag())
		}
	}
	return nil
}

// prescanReference walks the markup of b before the tree is built: it refuses directives and processing
// instructions early, bounds the number of elements and of attributes per element before any
// memory is spent on them, and normalizes literal whitespace inside attribute values (XML 1.0
// §3.3.3: tab, newline and carriage return, a CR LF pair counting once, become a space). It
// returns b itself when nothing had to change. Malformed markup is left to the parser.
func prescanReference(b []byte, lim Limits) ([]byte, error) {
	var out []byte // the rewritten input, once something changed
	copied := 0    // b[:copied] is in out
	elements := 0
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if text := b[i:]; j < 0 && surrogateRefReference(text) || j >= 0 && surrogateRefReference(text[:j]) {
			return nil, fail(CodeXMLMalformed, "character reference to a surrogate code point")
		}
		if j < 0 {
			break
		}
		i += j
		rest := b[i:]
		skip := func(end string) int {
			k := bytes.Index(rest, []byte(end))
			if k < 0 {
				return len(rest)
			}
			return k + len(end)
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i += skip("-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i += skip("]]>")
		case bytes.HasPrefix(rest, []byte("<!")):
			return nil, fail(CodeXMLDoctype, "DOCTYPE or other directive")
		case bytes.HasPrefix(rest, []byte("<?")):
			if i != 0 || !isDeclarationReference(rest) {
				return nil, fail(CodeXMLMalformed, "processing instruction other than the XML declaration")
			}
			i += skip("?>")
		case bytes.HasPrefix(rest, []byte("</")):
			i += skip(">")
		default:
			elements++
			if elements > lim.MaxElements {
				return nil, fail(CodeXMLLimit, "more than %d elements", lim.MaxElements)
			}
			attrs := 0
			k := i + 1
			for ; k < len(b) && b[k] != '>'; k++ {
				q := b[k]
				if q != '"' && q != '\'' {
					continue
				}
				attrs++
				if attrs > lim.MaxAttrs {
					return nil, fail(CodeXMLLimit, "an element has more than %d attributes", lim.MaxAttrs)
				}
				start := k + 1
				for k++; k < len(b) && b[k] != q; k++ {
					switch b[k] {
					case '\t', '\n', '\r':
						out = append(out, b[copied:k]...)
						out = append(out, ' ')
						copied = k + 1
						if b[k] == '\r' && k+1 < len(b) && b[k+1] == '\n' {
							k++
							copied = k + 1
						}
					}
				}
				if surrogateRefReference(b[start:min(k, len(b))]) {
					return nil, fail(CodeXMLMalformed, "character reference to a surrogate code point")
				}
			}
			i = k + 1
		}
	}
	if out == nil {
		return b, nil
	}
	return append(out, b[copied:]...), nil
}

// surrogateRefReference reports whether s holds a character reference to a surrogate code point (&#xD800;
// to &#xDFFF;), which is not a character: encoding/xml turns it into U+FFFD where libxml2 and
// Xerces refuse the document, so two different inputs would canonicalize alike.
func surrogateRefReference(s []byte) bool {
	for {
		i := bytes.Index(s, []byte("&#"))
		if i < 0 {
			return false
		}
		s = s[i+2:]
		end := bytes.IndexByte(s, ';')
		if end < 0 {
			return false
		}
		ref, base := string(s[:end]), 10
		if strings.HasPrefix(ref, "x") {
			ref, base = ref[1:], 16
		}
		if n, err := strconv.ParseUint(ref, base, 32); err == nil && n >= 0xD800 && n <= 0xDFFF {
			return true
		}
		s = s[end:]
	}
}

func isDeclarationReference(b []byte) bool {
	return len(b) > 5 && string(b[:5]) == "<?xml" && strings.IndexByte(" \t\r\n", b[5]) >= 0
}

// decodeReference is the part of parseXMLReference after prescan: encoding/xml through etree and
// the prolog and element checks, on input that is valid UTF-8 without NUL. It is the oracle of
// the exact mode alone (parseExact), which reproduces that part for inputs prescan did not
// refuse; fed inputs that prescan would refuse (directives, processing instructions anywhere,
// references to surrogates), it tests the exact mode beyond what Parse lets through.
func decodeReference(b []byte, lim Limits) (*etree.Document, error) {
	lim = lim.withDefaults()
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{PreserveDuplicateAttrs: true, MaxDepth: lim.MaxDepth}
	if err := doc.ReadFromBytes(b); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, wrap(CodeXMLLimit, err, "elements nested deeper than %d", lim.MaxDepth)
		}
		return nil, wrap(CodeXMLMalformed, err, "not well-formed")
	}
	if err := checkPrologReference(doc); err != nil {
		return nil, err
	}
	count := 0
	if err := checkElementReference(doc.Root(), map[string]string{}, lim, &count); err != nil {
		return nil, err
	}
	return doc, nil
}
