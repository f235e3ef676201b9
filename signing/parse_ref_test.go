package signing

import (
	"errors"
	"strings"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing/c14n"
)

// parseXMLReference is the implementation of Parse before the hand-written parser (xmlparse.go):
// encoding/xml through etree, with prescan before and the namespace checks after. It is kept
// as the oracle of the differential tests (TestParseDifferential, FuzzParseDifferential); its
// prescan and checkDeclaration are the ones Parse still uses, unchanged.
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
	b, err := checkInput(b, lim)
	if err != nil {
		return nil, err
	}
	if b, err = prescan(b, lim); err != nil {
		return nil, err
	}
	return decodeReference(b, lim)
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
			if err := checkDeclaration(t.Inst); err != nil {
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
