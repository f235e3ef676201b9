// Package c14n canonicalizes an etree element subtree by Canonical XML 1.0 and 1.1 (inclusive)
// and Exclusive XML Canonicalization 1.0, with or without comments, without modifying the tree.
//
// The node-set is always "an element and all its descendants" (what a same-document XML-DSig
// reference selects), optionally minus some subtrees (the enveloped-signature transform). The
// namespace and xml:* context of the element's ancestors is taken from the tree it is still
// attached to, so nothing has to be detached or copied first.
package c14n

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// Algorithm URIs.
const (
	Inclusive10             = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	Inclusive10WithComments = Inclusive10 + "#WithComments"
	Inclusive11             = "http://www.w3.org/2006/12/xml-c14n11"
	Inclusive11WithComments = Inclusive11 + "#WithComments"
	Exclusive               = "http://www.w3.org/2001/10/xml-exc-c14n#"
	ExclusiveWithComments   = Exclusive + "WithComments"
)

// Namespace names with a fixed meaning.
const (
	XMLNamespace   = "http://www.w3.org/XML/1998/namespace"
	XMLNSNamespace = "http://www.w3.org/2000/xmlns/"
)

// Method is one canonicalization algorithm.
type Method struct {
	Exclusive    bool
	Version11    bool // inclusive only: Canonical XML 1.1
	WithComments bool
}

// MethodOf returns the Method named by uri.
func MethodOf(uri string) (Method, bool) {
	switch uri {
	case Inclusive10:
		return Method{}, true
	case Inclusive10WithComments:
		return Method{WithComments: true}, true
	case Inclusive11:
		return Method{Version11: true}, true
	case Inclusive11WithComments:
		return Method{Version11: true, WithComments: true}, true
	case Exclusive:
		return Method{Exclusive: true}, true
	case ExclusiveWithComments:
		return Method{Exclusive: true, WithComments: true}, true
	}
	return Method{}, false
}

// URI returns the algorithm URI of m.
func (m Method) URI() string {
	switch {
	case m.Exclusive && m.WithComments:
		return ExclusiveWithComments
	case m.Exclusive:
		return Exclusive
	case m.Version11 && m.WithComments:
		return Inclusive11WithComments
	case m.Version11:
		return Inclusive11
	case m.WithComments:
		return Inclusive10WithComments
	}
	return Inclusive10
}

// Options say how to canonicalize.
type Options struct {
	Method
	// InclusivePrefixes is the InclusiveNamespaces PrefixList of exclusive canonicalization;
	// "#default" names the default namespace. Ignored by inclusive canonicalization.
	InclusivePrefixes []string
	// Omit, when non-nil, names elements left out of the output together with their subtrees.
	Omit func(*etree.Element) bool
	// MaxBytes, when positive, bounds the output; a larger result fails with ErrTooLarge.
	MaxBytes int
}

// Errors.
var (
	// ErrTooLarge is returned when the output would exceed Options.MaxBytes.
	ErrTooLarge = errors.New("c14n: output exceeds the size limit")
	// ErrUnsupported is returned for input the algorithms cannot process faithfully here:
	// Canonical XML 1.1 with an inherited xml:base (which needs URI joining), or DTD directives.
	ErrUnsupported = errors.New("c14n: unsupported input")
)

// Canonicalize returns the canonical form of el and its descendants.
func Canonicalize(el *etree.Element, opts Options) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, el, opts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the canonical form of el and its descendants to buf.
func Write(buf *bytes.Buffer, el *etree.Element, opts Options) error {
	_, err := write(buf, el, opts, noTree)
	return err
}

// WriteTree writes the canonical form like Write and returns, built in the same pass, the element
// tree that form denotes: what parsing the written bytes would give (the root in a Document of its
// own, attributes in canonical order, namespace declarations as rendered, no comments unless
// WithComments, adjacent text merged). It spares the caller a re-parse of what it has just
// canonicalized.
func WriteTree(buf *bytes.Buffer, el *etree.Element, opts Options) (*etree.Element, error) {
	return writeTree(buf, el, opts, copyTree)
}

// WriteInPlace writes the canonical form like Write and, instead of building a second tree as
// WriteTree does, rewrites el and its descendants into the tree that form denotes, the tree
// WriteTree would return, and moves el into a Document of its own. It is for a caller that owns
// the tree and reads el afterwards only in its canonical form, as a verifier reads the signed Body
// of a message it has parsed for itself; el's old parent loses it.
//
// On an error el may be left partly rewritten, still in its old parent. Options.Omit must be nil:
// elements left out would keep pointing at the parent that no longer lists them.
func WriteInPlace(buf *bytes.Buffer, el *etree.Element, opts Options) (*etree.Element, error) {
	if opts.Omit != nil {
		return nil, errors.New("c14n: WriteInPlace with Options.Omit")
	}
	return writeTree(buf, el, opts, inPlace)
}

func writeTree(buf *bytes.Buffer, el *etree.Element, opts Options, mode treeMode) (*etree.Element, error) {
	out, err := write(buf, el, opts, mode)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(out)
	return doc.Root(), nil
}

// treeMode says what write does besides writing the canonical bytes.
type treeMode int

const (
	noTree   treeMode = iota
	copyTree          // build the tree the output denotes
	inPlace           // rewrite the input subtree into that tree
)

func write(buf *bytes.Buffer, el *etree.Element, opts Options, mode treeMode) (*etree.Element, error) {
	if el == nil {
		return nil, errors.New("c14n: nil element")
	}
	scope, xmlAttrs := ancestorContext(el)
	w := &writer{buf: buf, opts: opts, start: buf.Len(), mode: mode, apex: el}
	sz := measure(el)
	grow := sz.bytes
	if opts.MaxBytes > 0 {
		grow = min(grow, opts.MaxBytes)
	}
	buf.Grow(grow) // once, rather than doubling from 64 bytes
	if mode == copyTree {
		w.nodes.reserve(sz)
	}
	if opts.Exclusive {
		w.incl = map[string]bool{}
		for _, p := range opts.InclusivePrefixes {
			if p == "#default" {
				p = ""
			}
			w.incl[p] = true
		}
	}
	var inherit []etree.Attr
	if !opts.Exclusive {
		for _, a := range xmlAttrs {
			switch {
			case !opts.Version11:
				inherit = append(inherit, a)
			case a.Key == "lang" || a.Key == "space":
				inherit = append(inherit, a)
			case a.Key == "base":
				return nil, fmt.Errorf("%w: xml:base inherited from an ancestor under Canonical XML 1.1", ErrUnsupported)
			}
		}
	}
	return w.element(el, nil, scope, map[string]string{}, inherit)
}

// ancestorContext returns the namespaces in scope at el's parent (prefix → URI, "" the default
// namespace) and the xml:* attributes el would inherit (nearest ancestor wins), sorted by name.
func ancestorContext(el *etree.Element) (map[string]string, []etree.Attr) {
	var chain []*etree.Element
	for p := el.Parent(); p != nil; p = p.Parent() {
		chain = append(chain, p)
	}
	scope := map[string]string{}
	xml := map[string]string{}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, a := range chain[i].Attr {
			switch {
			case a.Space == "xmlns":
				scope[a.Key] = a.Value
			case a.Space == "" && a.Key == "xmlns":
				scope[""] = a.Value
			case a.Space == "xml":
				xml[a.Key] = a.Value
			}
		}
	}
	var attrs []etree.Attr
	for k, v := range xml {
		attrs = append(attrs, etree.Attr{Space: "xml", Key: k, Value: v})
	}
	slices.SortFunc(attrs, func(a, b etree.Attr) int { return strings.Compare(a.Key, b.Key) })
	return scope, attrs
}

type writer struct {
	buf   *bytes.Buffer
	opts  Options
	incl  map[string]bool
	start int
	mode  treeMode
	apex  *etree.Element
	nodes nodes
	// dropped holds what WriteInPlace leaves out of the tree (see keeper).
	dropped etree.Element
}

// nodes hands out the output tree's elements, texts, attributes and child lists from slabs: a few
// allocations for a whole tree rather than three or four per element (half of the time of a 50 KB
// verification went to allocating the tree and collecting it). Each slab is twice the size of the
// one before, up to slabMax.
type nodes struct {
	elems []etree.Element
	texts []etree.CharData
	attrs []etree.Attr
	toks  []etree.Token
	next  [4]int
}

const slabMin, slabMax = 8, 1024

// slab returns n fresh items from *s, refilling it when too short; the result's capacity is n, so
// appending to it never reaches into the next item's space.
func slab[T any](s *[]T, next *int, n int) []T {
	if len(*s) < n {
		*next = min(max(2**next, slabMin), slabMax)
		*s = make([]T, max(n, *next))
	}
	r := (*s)[:n:n]
	*s = (*s)[n:]
	return r
}

// size is what the output of a subtree will about take: its nodes, and its bytes (namespace
// declarations the output adds and text nodes merged aside).
type size struct{ elems, texts, attrs, toks, bytes int }

// measure walks the subtree of el once.
func measure(el *etree.Element) size {
	var z size
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		z.elems++
		z.attrs += len(e.Attr)
		z.toks += len(e.Child)
		z.bytes += 2*(len(e.Space)+len(e.Tag)) + 7
		for _, a := range e.Attr {
			z.bytes += len(a.Space) + len(a.Key) + len(a.Value) + 5
		}
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.Element:
				walk(t)
			case *etree.CharData:
				z.texts++
				z.bytes += len(t.Data)
			}
		}
	}
	walk(el)
	z.bytes += z.bytes / 8
	return z
}

// reserve sizes the first slabs for a tree of size z, so that it costs one allocation of each kind.
func (n *nodes) reserve(z size) {
	n.elems = make([]etree.Element, z.elems)
	n.texts = make([]etree.CharData, z.texts)
	n.attrs = make([]etree.Attr, z.attrs+4)
	n.toks = make([]etree.Token, z.toks)
}

// element returns a new element named space:tag with room for nattr attributes and nkids children.
func (n *nodes) element(space, tag string, nattr, nkids int) *etree.Element {
	e := &slab(&n.elems, &n.next[0], 1)[0]
	e.Space, e.Tag = space, tag
	e.Attr = make([]etree.Attr, 0)
	if nattr > 0 {
		e.Attr = slab(&n.attrs, &n.next[2], nattr)[:0]
	}
	e.Child = make([]etree.Token, 0)
	if nkids > 0 {
		e.Child = slab(&n.toks, &n.next[3], nkids)[:0]
	}
	return e
}

// text returns a new character data node holding data.
func (n *nodes) text(data string) *etree.CharData {
	t := &slab(&n.texts, &n.next[1], 1)[0]
	t.SetData(data) // and the whitespace flag, as etree's own constructor
	return t
}

type nsDecl struct{ prefix, uri string }

type sortAttr struct {
	uri  string
	attr etree.Attr
}

// element renders e, and returns its tree unless w.mode is noTree (e itself, rewritten, when it
// is inPlace). parent is e's parent, nil at the apex. scope holds the namespaces in scope at e's
// parent, rendered those declared in the output by e's nearest output ancestor (empty at the
// apex). Both maps are updated in place for e's subtree and restored on return: an element costs
// what its own attributes cost, not what the whole scope does (copying or scanning the scope at
// every element made deep scopes over many elements quadratic: minutes for 3 MB). inherit are
// xml:* attributes to add to e unless it has its own.
func (w *writer) element(e, parent *etree.Element, scope, rendered map[string]string, inherit []etree.Attr) (*etree.Element, error) {
	// Only namespace-well-formed names can be canonicalized faithfully (and read back alike).
	if !ncName(e.Tag) || e.Space != "" && !ncName(e.Space) {
		return nil, fmt.Errorf("%w: element name %q is not namespace-well-formed", ErrUnsupported, e.FullTag())
	}
	for _, a := range e.Attr {
		if !ncName(a.Key) || a.Space != "" && !ncName(a.Space) {
			return nil, fmt.Errorf("%w: attribute name %q is not namespace-well-formed", ErrUnsupported, a.FullKey())
		}
	}
	// The namespaces in scope at e, and the prefixes e declares itself. Both maps are restored
	// at the end of a successful return; an error abandons the whole write, and them with it.
	var undoArr [4]binding
	undo := undoArr[:0]
	var own []string
	for _, a := range e.Attr {
		switch {
		case a.Space == "xmlns":
			if a.Key == "xmlns" || a.Key == "xml" && a.Value != XMLNamespace {
				return nil, fmt.Errorf("c14n: reserved prefix %q declared", a.Key)
			}
			undo = bind(scope, undo, a.Key, a.Value)
			own = append(own, a.Key)
		case a.Space == "" && a.Key == "xmlns":
			undo = bind(scope, undo, "", a.Value)
			own = append(own, "")
		}
	}
	lookup := func(prefix string) (string, error) {
		if prefix == "xml" {
			return XMLNamespace, nil
		}
		if uri, ok := scope[prefix]; ok {
			return uri, nil
		}
		if prefix == "" {
			return "", nil
		}
		return "", fmt.Errorf("c14n: undeclared namespace prefix %q on <%s>", prefix, qname(e.Space, e.Tag))
	}
	// e in its parent's namespace, declaring none: the prefix was checked, and rendered as it is
	// in scope here, at the parent (the common case, spared two map look-ups).
	sameNS := parent != nil && e.Space == parent.Space && len(own) == 0
	if !sameNS {
		if _, err := lookup(e.Space); err != nil {
			return nil, err
		}
	}

	// Namespace declarations to render. Below the apex the parent is always in the output, so a
	// prefix e does not declare itself has the value the parent's output put in effect: only the
	// prefixes e uses (exclusive) or declares need to be considered.
	var decls []nsDecl
	consider := func(prefix, uri string) error {
		if prefix == "xml" {
			return nil
		}
		if uri != "" && !hasScheme(uri) {
			return fmt.Errorf("c14n: relative namespace URI %q", uri)
		}
		prev, ok := rendered[prefix]
		if prefix == "" && uri == "" {
			if ok && prev != "" {
				decls = append(decls, nsDecl{"", ""})
			}
			return nil
		}
		if !ok || prev != uri {
			decls = append(decls, nsDecl{prefix, uri})
		}
		return nil
	}
	if w.opts.Exclusive {
		// The prefixes e visibly uses, each once (a few: a slice on the stack, not a map).
		var usedArr [8]string
		used := usedArr[:0]
		if !sameNS {
			used = append(used, e.Space)
		}
		use := func(p string) {
			if !slices.Contains(used, p) {
				used = append(used, p)
			}
		}
		for _, a := range e.Attr {
			if a.Space != "" && a.Space != "xmlns" {
				use(a.Space)
			}
		}
		if e == w.apex {
			for p := range w.incl {
				if _, ok := scope[p]; ok {
					use(p)
				}
			}
		} else {
			for _, p := range own {
				if w.incl[p] {
					use(p)
				}
			}
		}
		for _, p := range used {
			uri, err := lookup(p)
			if err != nil {
				return nil, err
			}
			if err := consider(p, uri); err != nil {
				return nil, err
			}
		}
	} else if e == w.apex {
		for p, uri := range scope {
			if err := consider(p, uri); err != nil {
				return nil, err
			}
		}
	} else {
		var seen map[string]bool // a prefix declared twice (Parse refuses that) is considered once
		for _, p := range own {
			if len(own) > 1 {
				if seen[p] {
					continue
				}
				if seen == nil {
					seen = make(map[string]bool, len(own))
				}
				seen[p] = true
			}
			if err := consider(p, scope[p]); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(decls, func(a, b nsDecl) int { return strings.Compare(a.prefix, b.prefix) })
	var undoRenderedArr [4]binding
	undoRendered := undoRenderedArr[:0]
	for _, d := range decls {
		undoRendered = bind(rendered, undoRendered, d.prefix, d.uri)
	}

	// Attributes, sorted by namespace URI then local name.
	var attrsArr [8]sortAttr
	attrs := attrsArr[:0]
	for _, a := range e.Attr {
		if a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns" {
			continue
		}
		uri := ""
		if a.Space != "" {
			u, err := lookup(a.Space)
			if err != nil {
				return nil, err
			}
			uri = u
		}
		attrs = append(attrs, sortAttr{uri, a})
	}
	for _, a := range inherit {
		if e.SelectAttr("xml:"+a.Key) == nil {
			attrs = append(attrs, sortAttr{XMLNamespace, a})
		}
	}
	slices.SortFunc(attrs, func(a, b sortAttr) int {
		if c := strings.Compare(a.uri, b.uri); c != 0 {
			return c
		}
		return strings.Compare(a.attr.Key, b.attr.Key)
	})

	b := w.buf
	var out, attrsTo *etree.Element // the output element, and where its attributes go
	switch w.mode {
	case copyTree:
		out = w.nodes.element(e.Space, e.Tag, len(decls)+len(attrs), len(e.Child))
		attrsTo = out
	case inPlace:
		out = e
		if !inOrder(e, decls, attrs) {
			// decls and attrs hold copies: e's own list is rebuilt from them.
			e.Attr = e.Attr[:0]
			attrsTo = e
		}
	}
	b.WriteByte('<')
	writeQName(b, e.Space, e.Tag)
	for _, d := range decls {
		if d.prefix == "" {
			b.WriteString(` xmlns="`)
		} else {
			b.WriteString(" xmlns:")
			b.WriteString(d.prefix)
			b.WriteString(`="`)
		}
		escapeAttr(b, d.uri)
		b.WriteByte('"')
		if attrsTo != nil {
			// CreateAttr, not a literal: etree attributes point back at their element
			// (Attr.NamespaceURI needs it).
			if d.prefix == "" {
				attrsTo.CreateAttr("xmlns", d.uri)
			} else {
				attrsTo.CreateAttr("xmlns:"+d.prefix, d.uri)
			}
		}
	}
	for _, a := range attrs {
		b.WriteByte(' ')
		writeQName(b, a.attr.Space, a.attr.Key)
		b.WriteString(`="`)
		escapeAttr(b, a.attr.Value)
		b.WriteByte('"')
		switch {
		case attrsTo == nil:
		case attrsTo == e && a.attr.Element() == e:
			e.Attr = append(e.Attr, a.attr) // e's own: no second look-up of the name
		default:
			attrsTo.CreateAttr(qname(a.attr.Space, a.attr.Key), a.attr.Value)
		}
	}
	b.WriteByte('>')
	if err := w.check(); err != nil {
		return nil, err
	}

	kids := e.Child
	var keep keeper
	if w.mode == inPlace {
		keep = keeper{e: e, kids: kids, dropped: &w.dropped}
	}
	for i, t := range kids {
		switch t := t.(type) {
		case *etree.Element:
			if w.opts.Omit != nil && w.opts.Omit(t) {
				continue
			}
			kid, err := w.element(t, e, scope, rendered, nil)
			if err != nil {
				return nil, err
			}
			switch w.mode {
			case copyTree:
				out.AddChild(kid)
			case inPlace:
				if err := keep.keep(i, t); err != nil {
					return nil, err
				}
			}
		case *etree.CharData:
			escapeText(b, t.Data)
			switch w.mode {
			case copyTree:
				if t.Data == "" {
					break
				}
				if n := len(out.Child); n > 0 {
					if last, ok := out.Child[n-1].(*etree.CharData); ok {
						last.SetData(last.Data + t.Data) // adjacent text is one node once parsed
						break
					}
				}
				out.AddChild(w.nodes.text(t.Data))
			case inPlace:
				if err := keep.text(i, t); err != nil {
					return nil, err
				}
			}
		case *etree.Comment:
			if w.opts.WithComments {
				b.WriteString("<!--")
				b.WriteString(t.Data)
				b.WriteString("-->")
				switch w.mode {
				case copyTree:
					out.CreateComment(t.Data)
				case inPlace:
					if err := keep.keep(i, t); err != nil {
						return nil, err
					}
				}
			} else if w.mode == inPlace {
				if err := keep.drop(i, t); err != nil {
					return nil, err
				}
			}
		case *etree.ProcInst:
			b.WriteString("<?")
			b.WriteString(t.Target)
			if t.Inst != "" {
				b.WriteByte(' ')
				b.WriteString(t.Inst)
			}
			b.WriteString("?>")
			switch w.mode {
			case copyTree:
				out.CreateProcInst(t.Target, t.Inst)
			case inPlace:
				if err := keep.keep(i, t); err != nil {
					return nil, err
				}
			}
		case *etree.Directive:
			return nil, fmt.Errorf("%w: directive inside an element", ErrUnsupported)
		}
		if err := w.check(); err != nil {
			return nil, err
		}
	}
	if w.mode == inPlace {
		keep.done()
	}
	b.WriteString("</")
	writeQName(b, e.Space, e.Tag)
	b.WriteByte('>')
	restore(rendered, undoRendered)
	restore(scope, undo)
	return out, w.check()
}

// keeper compacts an element's child list in place, for WriteInPlace: the children kept move
// down over those dropped (comments without WithComments, empty text, text merged into the text
// before it), in order, so the list is rewritten in one pass whatever is dropped. A token
// dropped is moved to dropped, a loose element of the write's own: it no longer points into the
// tree (removing it, or walking up from it, cannot reach a kept node).
type keeper struct {
	e       *etree.Element
	kids    []etree.Token // e's child list as it was
	n       int           // children kept so far: kids[:n]
	dropped *etree.Element
}

// check verifies that kids[i], t, knows its place, as etree's own operations keep it: moving a
// token that does not could take another out of its list.
func (k *keeper) check(i int, t etree.Token) error {
	if t.Parent() != k.e || t.Index() != i {
		return fmt.Errorf("%w: child %d of <%s> does not point at its parent and place", ErrUnsupported, i, k.e.FullTag())
	}
	return nil
}

// Moving tokens: etree has no exported way to set a token's parent or index but (re)adding it.
// AddChild first removes the token from its parent at its old index i, which is a no-op while
// the parent's list is cut to the n <= i children kept so far, then appends it where it goes.

// keep keeps kids[i], t, as the next child.
func (k *keeper) keep(i int, t etree.Token) error {
	if err := k.check(i, t); err != nil {
		return err
	}
	if k.n < i {
		k.e.Child = k.kids[:k.n]
		k.e.AddChild(t) // to slot n
	}
	k.n++
	return nil
}

// drop leaves kids[i], t, out.
func (k *keeper) drop(i int, t etree.Token) error {
	if err := k.check(i, t); err != nil {
		return err
	}
	k.e.Child = k.kids[:k.n]
	k.dropped.AddChild(t)
	return nil
}

// text handles kids[i], t, character data: dropped when empty or joined to the text kept before
// it, kept otherwise; a CDATA section is replaced by plain text, as a parse of the output gives.
func (k *keeper) text(i int, t *etree.CharData) error {
	if k.n > 0 {
		if last, ok := k.kids[k.n-1].(*etree.CharData); ok && t.Data != "" {
			last.SetData(last.Data + t.Data)
			return k.drop(i, t)
		}
	}
	switch {
	case t.Data == "":
		return k.drop(i, t)
	case t.IsCData():
		if err := k.drop(i, t); err != nil {
			return err
		}
		plain := etree.NewText("")
		plain.SetData(t.Data) // and the whitespace flag, as a parse sets it
		k.e.AddChild(plain)   // to slot n
		k.n++
		return nil
	}
	return k.keep(i, t)
}

// done cuts the list to the children kept.
func (k *keeper) done() {
	if k.n < len(k.kids) {
		clear(k.kids[k.n:])
		k.e.Child = k.kids[:k.n]
	}
}

// binding is a prefix's previous state in a scope map, to restore it.
type binding struct {
	prefix, uri string
	bound       bool
}

// bind sets m[prefix] = uri and records the previous state in undo.
func bind(m map[string]string, undo []binding, prefix, uri string) []binding {
	old, ok := m[prefix]
	m[prefix] = uri
	return append(undo, binding{prefix, old, ok})
}

// restore undoes bind, latest first.
func restore(m map[string]string, undo []binding) {
	for i := len(undo) - 1; i >= 0; i-- {
		if b := undo[i]; b.bound {
			m[b.prefix] = b.uri
		} else {
			delete(m, b.prefix)
		}
	}
}

func (w *writer) check() error {
	if w.opts.MaxBytes > 0 && w.buf.Len()-w.start > w.opts.MaxBytes {
		return ErrTooLarge
	}
	return nil
}

// inOrder reports whether e's attribute list is already the output's: no namespace declarations
// to render, and the attributes, none dropped or added, in canonical order and pointing at e
// (etree's Element.Copy leaves the copies pointing at the original). Then WriteInPlace leaves it
// as it is.
func inOrder(e *etree.Element, decls []nsDecl, sorted []sortAttr) bool {
	if len(decls) > 0 || len(e.Attr) != len(sorted) {
		return false
	}
	for i := range sorted {
		if a := &sorted[i].attr; a.Element() != e || a.Space != e.Attr[i].Space || a.Key != e.Attr[i].Key {
			return false
		}
	}
	return true
}

// writeQName writes prefix:local, or local without a prefix.
func writeQName(b *bytes.Buffer, prefix, local string) {
	if prefix != "" {
		b.WriteString(prefix)
		b.WriteByte(':')
	}
	b.WriteString(local)
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// hasScheme reports whether a namespace name is an absolute URI (it starts with a scheme).
func hasScheme(uri string) bool {
	for i := 0; i < len(uri); i++ {
		c := uri[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}

func escapeText(b *bytes.Buffer, s string) { escape(b, s, &textEscape) }

func escapeAttr(b *bytes.Buffer, s string) { escape(b, s, &attrEscape) }

// textEscape and attrEscape are what Canonical XML replaces in text and in attribute values
// (read-only tables, indexed by byte).
var (
	textEscape = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"}
	attrEscape = [256]string{'&': "&amp;", '<': "&lt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"}
)

// escape writes s to b with the bytes that esc names replaced.
func escape(b *bytes.Buffer, s string, esc *[256]string) {
	last := 0
	for i := 0; i < len(s); i++ {
		if r := esc[s[i]]; r != "" {
			b.WriteString(s[last:i])
			b.WriteString(r)
			last = i + 1
		}
	}
	b.WriteString(s[last:])
}

// ncName reports whether s can be a local name or a prefix: not empty, no colon.
func ncName(s string) bool { return s != "" && !strings.Contains(s, ":") }
