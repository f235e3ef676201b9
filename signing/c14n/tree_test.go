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

// checkTree canonicalizes el with WriteTree, and a copy of its document with WriteInPlace, and
// compares each returned tree with a parse of the bytes written: they must be the same tree, and
// the bytes the same as Write's. WriteTree must leave el as it was.
func checkTree(t testing.TB, el *etree.Element, opts Options) {
	t.Helper()
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
	// The same element in a copy of its document, to be rewritten in place.
	docNode := el
	for docNode.Parent() != nil {
		docNode = docNode.Parent()
	}
	k := slices.Index(elements(docNode), el)
	copied := elements(docNode.Copy())[k]
	oldParent := copied.Parent()
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
		d := parse(t, g.b.String())
		for _, el := range elements(d.Root()) {
			for _, u := range allMethods {
				m, _ := MethodOf(u)
				checkTree(t, el, Options{Method: m, InclusivePrefixes: []string{"a"}})
			}
		}
	}
	// Text split by comments and processing instructions, character references, CR.
	d := parse(t, "<r xmlns:p=\"urn:p\">93100<!-- x -->2451325<?pi data?>&#13;&amp;<p:e a=\"&#9;&#10;&lt;\"/>tail<!--y--></r>")
	for _, u := range allMethods {
		m, _ := MethodOf(u)
		checkTree(t, d.Root(), Options{Method: m})
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
		for i, el := range elements(d.Root()) {
			if i > 20 {
				break
			}
			for _, u := range allMethods {
				m, _ := MethodOf(u)
				checkTree(t, el, Options{Method: m, MaxBytes: 1 << 20})
			}
		}
	})
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
