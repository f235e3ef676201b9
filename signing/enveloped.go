package signing

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing/c14n"
)

// EnvelopedResult is the outcome for one signature of a document: Verified, or Err.
type EnvelopedResult struct {
	Verified *Verified
	Err      error
}

// VerifyEnveloped verifies the enveloped signature of a document that carries exactly one
// ds:Signature. The Signature must be a child of the element it signs: the root (Reference
// URI="") or the element whose unique Id/ID/id (or wsu:Id, xml:id) the Reference names; the
// transforms are enveloped-signature, then optionally one canonicalization. Comments are never
// signed content (XML-DSig §4.4.3.3), even under a #WithComments transform, which is the layout
// NCALayer/KalkanCrypt produce.
func VerifyEnveloped(b []byte, opts Options) (*Verified, error) {
	doc, err := Parse(b, opts.Limits)
	if err != nil {
		return nil, err
	}
	return VerifyEnvelopedDocument(doc, opts)
}

// VerifyEnvelopedDocument is VerifyEnveloped on a document the caller has already read with Parse
// (and not changed since), so that a document is parsed once.
func VerifyEnvelopedDocument(doc *etree.Document, opts Options) (*Verified, error) {
	sigs := signatures(doc.Root(), nil)
	switch len(sigs) {
	case 0:
		return nil, fail(CodeSigMissing, "no ds:Signature in the document")
	case 1:
		return opts.verifyEnveloped(doc.Root(), sigs[0])
	}
	return nil, fail(CodeSigMultiple, "%d ds:Signature elements (use VerifyEnvelopedAll)", len(sigs))
}

// VerifyEnvelopedAll verifies every ds:Signature of a document as an enveloped signature and
// returns one result per signature, in document order. As KalkanCrypt appends signatures one after
// another (a later one covering the earlier ones), signature k is checked against the signed
// element without itself and without the ds:Signature siblings that follow it. The error is for
// the document as a whole (it does not parse, or holds no signature).
func VerifyEnvelopedAll(b []byte, opts Options) ([]EnvelopedResult, error) {
	doc, err := Parse(b, opts.Limits)
	if err != nil {
		return nil, err
	}
	sigs := signatures(doc.Root(), nil)
	if len(sigs) == 0 {
		return nil, fail(CodeSigMissing, "no ds:Signature in the document")
	}
	out := make([]EnvelopedResult, len(sigs))
	for i, s := range sigs {
		out[i].Verified, out[i].Err = opts.verifyEnveloped(doc.Root(), s)
	}
	return out, nil
}

func (o Options) verifyEnveloped(root, sigEl *etree.Element) (*Verified, error) {
	v, ref, err := o.verifySignature(sigEl, nil)
	if err != nil {
		return nil, err
	}
	target, err := envelopedTarget(root, sigEl, ref)
	if err != nil {
		return nil, withCert(err, v.Certificate)
	}
	// Leave out this signature and the signatures appended after it.
	omit := func(e *etree.Element) bool {
		return e == sigEl || e.Parent() == sigEl.Parent() && e.Index() > sigEl.Index() && is(e, NSDSig, "Signature")
	}
	if v.Signed, v.Element, err = o.digestTarget(ref, target, omit, false); err != nil {
		return nil, withCert(err, v.Certificate)
	}
	v.Layout = Enveloped
	return v, nil
}

// envelopedTarget resolves the Reference of an enveloped signature: it must name the parent of
// the Signature, by URI="" when that is the root, or by a unique ID.
func envelopedTarget(root, sigEl *etree.Element, ref *reference) (*etree.Element, error) {
	if !ref.enveloped {
		return nil, fail(CodeSigTransform, "an enveloped signature needs the enveloped-signature transform first")
	}
	parent := sigEl.Parent()
	var target *etree.Element
	switch {
	case ref.uri == "":
		target = root
	case len(ref.uri) > 1 && ref.uri[0] == '#' && !strings.ContainsAny(ref.uri[1:], "#()' \t\r\n"):
		found := elementsWithID(root, ref.uri[1:])
		if len(found) != 1 {
			return nil, fail(CodeSigReference, "ID %q is carried by %d elements", ref.uri[1:], len(found))
		}
		target = found[0]
	default:
		return nil, fail(CodeSigReference, "Reference URI %q is not a same-document reference", ref.uri)
	}
	if target != parent {
		return nil, fail(CodeSigReference, "Reference URI %q names <%s>, not the element that holds the Signature", ref.uri, target.FullTag())
	}
	return target, nil
}

// XML Schema namespaces, for xsi:type on ШЭП data elements.
const (
	NSXSI = "http://www.w3.org/2001/XMLSchema-instance"
	NSXSD = "http://www.w3.org/2001/XMLSchema"
)

// ParseEmbedded returns the business document a ШЭП data element carries, to be parsed and
// verified on its own (VerifyEnveloped). A document sent as a string (xsi:type xs:string, or no
// xsi:type and text only) is returned as its text, with inline false. A document sent as XML
// (exactly one child element) is returned as the inclusive canonical form of that element, which
// carries the namespaces in scope, with inline true. Read data from a Verified.Element, never
// from an unverified tree.
func ParseEmbedded(data *etree.Element) (doc []byte, inline bool, err error) {
	if data == nil {
		return nil, false, fail(CodeXMLMalformed, "no data element")
	}
	isString := false
	if t, ok := attr(data, NSXSI, "type"); ok {
		prefix, local, found := strings.Cut(strings.TrimSpace(t), ":")
		if !found {
			prefix, local = "", prefix
		}
		isString = local == "string" && lookupNS(data, prefix) == NSXSD
	}
	var elems []*etree.Element
	var text strings.Builder
	for _, t := range data.Child {
		switch t := t.(type) {
		case *etree.Element:
			elems = append(elems, t)
		case *etree.CharData:
			text.WriteString(t.Data)
		}
	}
	switch {
	case len(elems) == 0:
		if strings.TrimSpace(text.String()) == "" {
			return nil, false, fail(CodeXMLMalformed, "<%s> is empty", data.FullTag())
		}
		return []byte(text.String()), false, nil
	case isString:
		return nil, false, fail(CodeXMLMalformed, "<%s> is typed xs:string but holds elements", data.FullTag())
	case len(elems) > 1 || strings.TrimSpace(text.String()) != "":
		return nil, true, fail(CodeXMLMalformed, "<%s> holds no single document element", data.FullTag())
	}
	out, err := c14n.Canonicalize(elems[0], c14n.Options{Method: c14n.Method{WithComments: true}})
	if err != nil {
		return nil, true, wrap(CodeXMLMalformed, err, "cannot serialize <%s>", elems[0].FullTag())
	}
	return out, true, nil
}
