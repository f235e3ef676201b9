package c14n

import (
	"bytes"
	"fmt"
	"math/rand/v2"
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

// checkTree canonicalizes el with WriteTree and compares the returned tree with a parse of the
// bytes written: they must be the same tree, and the bytes the same as Write's.
func checkTree(t testing.TB, el *etree.Element, opts Options) {
	t.Helper()
	var plain, withTree bytes.Buffer
	errPlain := Write(&plain, el, opts)
	tree, err := WriteTree(&withTree, el, opts)
	if (err == nil) != (errPlain == nil) {
		t.Fatalf("Write: %v, WriteTree: %v", errPlain, err)
	}
	if err != nil {
		return
	}
	if !bytes.Equal(plain.Bytes(), withTree.Bytes()) {
		t.Fatalf("WriteTree wrote other bytes than Write")
	}
	d := etree.NewDocument()
	if err := d.ReadFromBytes(withTree.Bytes()); err != nil {
		t.Fatalf("canonical output does not parse: %v\n%s", err, withTree.Bytes())
	}
	if got, want := dumpOf(tree), dumpOf(d.Root()); got != want {
		t.Fatalf("tree differs from the parse of the canonical bytes\ntree:  %s\nparse: %s\nbytes: %s", got, want, withTree.Bytes())
	}
	// Attributes must know their element: NamespaceURI resolves through it.
	for _, el := range elements(tree) {
		for i := range el.Attr {
			a := &el.Attr[i]
			if a.Element() != el {
				t.Fatalf("attribute %s of <%s> does not point at its element", a.FullKey(), el.FullTag())
			}
			_ = a.NamespaceURI()
		}
	}
	if tree.Parent() == nil || tree.Parent().Parent() != nil {
		t.Fatal("the tree's root is not the root of a document of its own")
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
