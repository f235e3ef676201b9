package signing

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing/c14n"
)

// lookupNS returns the namespace bound to prefix at e ("" for none).
func lookupNS(e *etree.Element, prefix string) string {
	if prefix == "xml" {
		return c14n.XMLNamespace
	}
	for ; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" || prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// is reports whether e is the element {ns}local.
func is(e *etree.Element, ns, local string) bool {
	return e != nil && e.Tag == local && lookupNS(e, e.Space) == ns
}

// attr returns the value of the attribute {ns}local of e (ns "" for an unqualified attribute).
func attr(e *etree.Element, ns, local string) (string, bool) {
	for _, a := range e.Attr {
		if a.Key != local || a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns" {
			continue
		}
		if a.Space == "" && ns == "" || a.Space != "" && ns != "" && lookupNS(e, a.Space) == ns {
			return a.Value, true
		}
	}
	return "", false
}

// attrValue returns the value of the unqualified attribute name of e, or def. (etree's
// SelectAttrValue would also match a prefixed attribute of that local name.)
func attrValue(e *etree.Element, name, def string) string {
	if v, ok := attr(e, "", name); ok {
		return v
	}
	return def
}

// children returns the child elements of e, refusing text other than whitespace.
func children(e *etree.Element) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.Element:
			out = append(out, t)
		case *etree.CharData:
			if strings.Trim(t.Data, " \t\r\n") != "" {
				return nil, fail(CodeSigMalformed, "text inside <%s>", e.FullTag())
			}
		}
	}
	return out, nil
}

// isIDAttr tells whether a is an ID attribute of e: unqualified Id, ID and id, wsu:Id, xml:id.
func isIDAttr(e *etree.Element, a *etree.Attr) bool {
	switch {
	case a.Space == "" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id"),
		a.Space == "xml" && a.Key == "id":
		return true
	}
	return a.Space != "" && a.Space != "xmlns" && a.Key == "Id" && lookupNS(e, a.Space) == NSWSU
}

// idValues returns the values of e's ID attributes.
func idValues(e *etree.Element) []string {
	var out []string
	for i := range e.Attr {
		if isIDAttr(e, &e.Attr[i]) {
			out = append(out, e.Attr[i].Value)
		}
	}
	return out
}

// hasID tells whether one of e's ID attributes is id.
func hasID(e *etree.Element, id string) bool {
	for i := range e.Attr {
		if e.Attr[i].Value == id && isIDAttr(e, &e.Attr[i]) {
			return true
		}
	}
	return false
}

// elementsWithID returns the elements of the tree under root that carry id in an ID attribute.
func elementsWithID(root *etree.Element, id string) []*etree.Element {
	var out []*etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if hasID(e, id) {
			out = append(out, e)
		}
		for _, t := range e.Child { // not ChildElements: it allocates a slice per element
			if c, ok := t.(*etree.Element); ok {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// signatures returns the ds:Signature elements under root in document order, skipping those
// inside skip.
func signatures(root, skip *etree.Element) []*etree.Element {
	var out []*etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if e == skip {
			return
		}
		if is(e, NSDSig, "Signature") {
			out = append(out, e)
		}
		for _, t := range e.Child { // not ChildElements: it allocates a slice per element
			if c, ok := t.(*etree.Element); ok {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}
