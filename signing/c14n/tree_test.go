package c14n

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// dump renders a tree exactly: every node with its kind, names in order and data, so that two
// trees are equal iff their dumps are.
func dump(b *strings.Builder, t etree.Token) {
	switch t := t.(type) {
	case *etree.Element:
		fmt.Fprintf(b, "<%q %q", t.Space, t.Tag)
		for _, a := range t.Attr {
			fmt.Fprintf(b, " [%q %q %q]", a.Space, a.Key, a.Value)
		}
		b.WriteString(">")
		for _, c := range t.Child {
			dump(b, c)
		}
		b.WriteString("</>")
	case *etree.CharData:
		fmt.Fprintf(b, "T%q", t.Data)
	case *etree.Comment:
		fmt.Fprintf(b, "C%q", t.Data)
	case *etree.ProcInst:
		fmt.Fprintf(b, "P%q%q", t.Target, t.Inst)
	}
}

func dumpOf(t etree.Token) string {
	var b strings.Builder
	dump(&b, t)
	return b.String()
}

// checkTree canonicalizes the k-th element of the document src with WriteTree, and the same
// element of a second parse with WriteInPlace, and compares each returned tree with a parse of the
// bytes written: they must be the same tree, and the bytes the same as Write's. WriteTree must
// leave its input as it was.
func checkTree(t testing.TB, src string, k int, opts Options) {
	t.Helper()
	el := elements(parse(t, src).Root())[k]
	before := dumpOf(el)
	var plain, withTree bytes.Buffer
	errPlain := Write(&plain, el, opts)
	tree, err := WriteTree(&withTree, el, opts)
	if (err == nil) != (errPlain == nil) {
		t.Fatalf("Write: %v, WriteTree: %v", errPlain, err)
	}
	if dumpOf(el) != before {
		t.Fatal("WriteTree changed its input")
	}
	// The same element in a second parse of its document, to be rewritten in place (not
	// etree's Element.Copy, whose attributes point at the original elements).
	copied := elements(parse(t, src).Root())[k]
	oldParent := copied.Parent()
	var before2 []etree.Token
	walk(copied, func(t etree.Token) { before2 = append(before2, t) })
	var inPlaceBuf bytes.Buffer
	inPlaceTree, errInPlace := WriteInPlace(&inPlaceBuf, copied, opts)
	if (errInPlace == nil) != (errPlain == nil) {
		t.Fatalf("Write: %v, WriteInPlace: %v", errPlain, errInPlace)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(plain.Bytes(), withTree.Bytes()) || !bytes.Equal(plain.Bytes(), inPlaceBuf.Bytes()) {
		t.Fatalf("WriteTree or WriteInPlace wrote other bytes than Write")
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(withTree.Bytes()); err != nil {
		t.Fatalf("canonical output does not parse: %v\n%s", err, withTree.Bytes())
	}
	want := dumpOf(d.Root())
	for _, c := range []struct {
		name string
		tree *etree.Element
	}{{"WriteTree", tree}, {"WriteInPlace", inPlaceTree}} {
		if got := dumpOf(c.tree); got != want {
			t.Fatalf("%s: tree differs from the parse of the canonical bytes\ntree:  %s\nparse: %s\nbytes: %s", c.name, got, want, withTree.Bytes())
		}
		checkLinks(t, c.name, c.tree)
		if c.tree.Parent() == nil || c.tree.Parent().Parent() != nil || len(c.tree.Parent().Child) != 1 {
			t.Fatalf("%s: the tree's root is not the root of a document of its own", c.name)
		}
	}
	if inPlaceTree != copied {
		t.Fatal("WriteInPlace returned another element than its input")
	}
	if slices.Contains(oldParent.Child, etree.Token(copied)) {
		t.Fatal("WriteInPlace left the element in its old parent")
	}
	// What was left out no longer points into the tree.
	kept := map[etree.Token]bool{}
	walk(inPlaceTree, func(t etree.Token) { kept[t] = true })
	for _, tok := range before2 {
		if p := tok.Parent(); !kept[tok] && p != nil && kept[etree.Token(p)] {
			t.Fatalf("a %T left out of the tree still points at <%s> in it", tok, p.FullTag())
		}
	}
}

// walk calls f on t and every token under it.
func walk(t etree.Token, f func(etree.Token)) {
	f(t)
	if e, ok := t.(*etree.Element); ok {
		for _, c := range e.Child {
			walk(c, f)
		}
	}
}

// checkLinks checks what etree's own operations rely on in every node of a tree: attributes
// point at their element, children at their parent, each at its index in the parent's list.
func checkLinks(t testing.TB, name string, el *etree.Element) {
	t.Helper()
	for i := range el.Attr {
		if a := &el.Attr[i]; a.Element() != el {
			t.Fatalf("%s: attribute %s of <%s> does not point at its element", name, a.FullKey(), el.FullTag())
		}
	}
	for i, c := range el.Child {
		if c.Parent() != el || c.Index() != i {
			t.Fatalf("%s: child %d of <%s> has parent %p (want %p) and index %d", name, i, el.FullTag(), c.Parent(), el, c.Index())
		}
		if e, ok := c.(*etree.Element); ok {
			checkLinks(t, name, e)
		}
	}
}

var allMethods = []string{Inclusive10, Inclusive10WithComments, Inclusive11, Inclusive11WithComments, Exclusive, ExclusiveWithComments}

// TestWriteTreeEqualsReparse: on generated documents, every element, every method.
func TestWriteTreeEqualsReparse(t *testing.T) {
	for seed := range 300 {
		g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 13))}
		g.element(0, map[string]bool{})
		src := g.b.String()
		for k := range elements(parse(t, src).Root()) {
			for _, u := range allMethods {
				m, _ := MethodOf(u)
				checkTree(t, src, k, Options{Method: m, InclusivePrefixes: []string{"a"}})
			}
		}
	}
	// Text split by comments and processing instructions, character references, CR, attributes
	// out of order.
	const src = "<r xmlns:p=\"urn:p\" z=\"1\" p:y=\"2\" a=\"3\">93100<!-- x -->2451325<?pi data?>&#13;&amp;<p:e a=\"&#9;&#10;&lt;\"/>tail<!--y--></r>"
	for _, u := range allMethods {
		m, _ := MethodOf(u)
		checkTree(t, src, 0, Options{Method: m})
	}
}

func FuzzWriteTree(f *testing.F) {
	for _, s := range []string{
		`<a xmlns="urn:x" xmlns:p="urn:p"><p:b p:c="1">t<!--c-->u</p:b><?pi x?></a>`,
		`<r xml:lang="kk"><s xml:space="preserve"> x </s></r>`,
		"<r>93100<!---->2451325&#13;</r>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := etree.NewDocument()
		if d.ReadFromString(s) != nil || d.Root() == nil {
			return
		}
		for k := range elements(d.Root()) {
			if k > 20 {
				break
			}
			for _, u := range allMethods {
				m, _ := MethodOf(u)
				checkTree(t, s, k, Options{Method: m, MaxBytes: 1 << 20})
			}
		}
	})
}

// TestWriteInPlaceCDATA: a CDATA section (etree keeps one with PreserveCData) becomes plain text
// joined to its neighbours, as a parse of the output has it.
func TestWriteInPlaceCDATA(t *testing.T) {
	d := etree.NewDocument()
	d.ReadSettings.PreserveCData = true
	if err := d.ReadFromString(`<a><![CDATA[x<y]]>z<!--c--><![CDATA[ ]]><b/><![CDATA[ ]]></a>`); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tree, err := WriteInPlace(&buf, d.Root(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := parse(t, buf.String()).Root()
	if got := dumpOf(tree); got != dumpOf(want) {
		t.Fatalf("tree %s, parse %s", got, dumpOf(want))
	}
	checkLinks(t, "WriteInPlace", tree)
	for i, c := range tree.Child {
		if cd, ok := c.(*etree.CharData); ok {
			w := want.Child[i].(*etree.CharData)
			if cd.IsCData() || cd.IsWhitespace() != w.IsWhitespace() {
				t.Fatalf("child %d: CDATA %v, whitespace %v (a parse: %v)", i, cd.IsCData(), cd.IsWhitespace(), w.IsWhitespace())
			}
		}
	}
}

// TestWriteInPlaceRefuses: a child list etree did not build (a token that does not point at its
// parent and place) and Omit are refused; WriteTree takes the same tree.
func TestWriteInPlaceRefuses(t *testing.T) {
	loose := func() *etree.Element {
		d := parse(t, `<r><a/><!--c--><b/></r>`)
		r := d.Root()
		r.Child = append(r.Child, etree.NewText("x")) // no parent, no index
		return r
	}
	var buf bytes.Buffer
	if _, err := WriteTree(&buf, loose(), Options{}); err != nil {
		t.Fatalf("WriteTree: %v", err)
	}
	if _, err := WriteInPlace(&buf, loose(), Options{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("WriteInPlace on a loose child: %v", err)
	}
	omit := func(e *etree.Element) bool { return e.Tag == "a" }
	if _, err := WriteInPlace(&buf, parse(t, `<r><a/></r>`).Root(), Options{Omit: omit}); err == nil {
		t.Fatal("WriteInPlace with Omit")
	}
}
