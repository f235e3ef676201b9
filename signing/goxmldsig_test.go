package signing

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/signing/c14n"
)

// TestGoxmldsigMeasured records why package c14n exists instead of goxmldsig's exported
// canonicalizers (v1.6.1). It fails when goxmldsig changes, to say the choice can be revisited.
func TestGoxmldsigMeasured(t *testing.T) {
	parse := func(s string) *etree.Document {
		d := etree.NewDocument()
		if err := d.ReadFromString(s); err != nil {
			t.Fatal(err)
		}
		return d
	}
	exc := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")

	// 1. The canonicalizers themselves have no traversal budget: 10 000 elements pass.
	big := "<r>" + strings.Repeat("<e>x</e>", 9999) + "</r>"
	for name, cz := range map[string]dsig.Canonicalizer{"exc": exc, "c14n10": dsig.MakeC14N10RecCanonicalizer(), "c14n11": dsig.MakeC14N11Canonicalizer()} {
		if _, err := cz.Canonicalize(parse(big).Root()); err != nil {
			t.Errorf("%s on 10 000 elements: %v", name, err)
		}
	}

	// 2. ...but Validate does: an enveloped signature, Signature last, over 1 000 elements.
	c := newTestCA(t)
	for _, n := range []int{900, 1000} {
		signed := c.signEnveloped(t, "<r>"+strings.Repeat("<e>x</e>", n)+"</r>", SignOptions{})
		vctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c.issued.Certificate}})
		_, err := vctx.Validate(parse(string(signed)).Root())
		if n == 900 && err != nil || n == 1000 && !errors.Is(err, etreeutils.ErrTraversalLimit) {
			t.Errorf("goxmldsig Validate with %d elements: %v", n, err)
		}
		if _, err := VerifyEnveloped(signed, Options{}); err != nil {
			t.Errorf("ours with %d elements: %v", n, err)
		}
	}

	// 3. The exclusive canonicalizer rewrites its input tree.
	d := parse(`<s:E xmlns:s="urn:s" xmlns:p="urn:p"><s:B><p:M b="1" a="2"/></s:B></s:E>`)
	before, _ := d.WriteToString()
	if _, err := exc.Canonicalize(d.Root()); err != nil {
		t.Fatal(err)
	}
	if after, _ := d.WriteToString(); after == before {
		t.Error("exc-c14n no longer mutates its input")
	}

	// 4. It starts from an empty namespace context: the Body of a real message, whose prefix is
	// declared on the Envelope, cannot be canonicalized in place (nor detached by Copy).
	fx := mustParse(t, fixtures.Read(t, "wsse-rsa-sendmessage-gbdfl.xml"))
	var body *etree.Element
	for _, e := range fx.Root().ChildElements() {
		if e.Tag == "Body" {
			body = e
		}
	}
	if _, err := exc.Canonicalize(body); err == nil || !strings.Contains(err.Error(), "undeclared namespace prefix") {
		t.Errorf("exc-c14n of the fixture's Body in place: %v", err)
	}
	// (The failed call may also have stripped declarations from the tree: how much depends on
	// goxmldsig's map iteration order, so it is not asserted.)
	fresh := mustParse(t, fixtures.Read(t, "wsse-rsa-sendmessage-gbdfl.xml")).Root().ChildElements()[1]
	if _, err := c14n.Canonicalize(fresh, c14n.Options{Method: c14n.Method{Exclusive: true}}); err != nil {
		t.Errorf("ours: %v", err)
	}

	// 5. C14N 1.0 is right in place, but a subtree detached by Copy (as NSDetatch-less callers do)
	// loses the ancestors' declarations: the output does not even declare its own prefix.
	detached, err := dsig.MakeC14N10RecCanonicalizer().Canonicalize(fresh.Copy())
	if err != nil || strings.Contains(string(detached), "xmlns:SOAP-ENV") {
		t.Errorf("C14N 1.0 of a detached Body: %v %.80s", err, detached)
	}

	// 6. Attributes are ordered by prefix, not by namespace URI (C14N §2.2).
	const attrs = `<r xmlns:a="urn:z" xmlns:b="urn:a"><e a:x="1" b:y="2"/></r>`
	got, err := dsig.MakeC14N10RecCanonicalizer().Canonicalize(parse(attrs).Root())
	want, err2 := c14n.Canonicalize(parse(attrs).Root(), c14n.Options{})
	if err != nil || err2 != nil || string(got) == string(want) || !strings.Contains(string(want), `b:y="2" a:x="1"`) {
		t.Errorf("attribute order: goxmldsig %s, ours %s", got, want)
	}

	// 7. C14N 1.1 ignores the ancestors of a subtree (their namespaces and xml:* attributes).
	const sub = `<r xmlns:p="urn:p" xml:lang="kk"><p:c/></r>`
	got, _ = dsig.MakeC14N11Canonicalizer().Canonicalize(parse(sub).Root().ChildElements()[0])
	want, _ = c14n.Canonicalize(parse(sub).Root().ChildElements()[0], c14n.Options{Method: c14n.Method{Version11: true}})
	if string(got) != "<p:c></p:c>" || string(want) != `<p:c xmlns:p="urn:p" xml:lang="kk"></p:c>` {
		t.Errorf("C14N 1.1 subtree: goxmldsig %s, ours %s", got, want)
	}
	t.Log("goxmldsig v1.6.1: canonicalizers unbudgeted; Validate stops at its 1000-element budget; exc-c14n mutates its input and cannot resolve inherited prefixes; attributes ordered by prefix; C14N 1.1 drops the ancestor context")
}
