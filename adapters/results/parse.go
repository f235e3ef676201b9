package results

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing"
)

// Parse reads a result document, signed or not, with the strict parser of package signing. It
// does NOT verify the signature: verify first (signing.VerifyEnveloped or a signing.Checker) and
// read what was verified, with ParseElement(verified.Element).
func Parse(doc []byte) (*Document, error) {
	d, err := signing.Parse(doc, signing.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return ParseElement(d.Root())
}

// Is reports whether el is a result document's root.
func Is(el *etree.Element) bool {
	return el != nil && el.Tag == "result" && el.NamespaceURI() == Namespace
}

// ParseElement reads a result element: the structure of result.xsd (order, cardinality, no
// foreign elements or text; an enveloped ds:Signature may be the last child and is skipped), then
// Validate. Titles are returned as written.
func ParseElement(el *etree.Element) (*Document, error) {
	if !Is(el) {
		return nil, invalid("root", "not {%s}result", Namespace)
	}
	if el.SelectAttrValue("id", "") == "" {
		return nil, invalid("result", "no id attribute")
	}
	d := &Document{}
	s, err := seqOf(el)
	if err != nil {
		return nil, err
	}
	var kind, issued string
	if err := s.texts([]field{{"kind", &kind, true}, {"number", &d.Number, true}, {"applicationNumber", &d.ApplicationNumber, true}}); err != nil {
		return nil, err
	}
	d.Kind = Kind(kind)
	if err := s.group("service", func(g *seq) error {
		return g.texts([]field{{"id", &d.ServiceID, true}, {"nameRU", &d.ServiceNameRU, true}, {"nameKZ", &d.ServiceNameKZ, false}})
	}); err != nil {
		return nil, err
	}
	if issued, err = s.text("issued", true); err != nil {
		return nil, err
	}
	if d.Issued, err = time.Parse(time.RFC3339Nano, issued); err != nil {
		return nil, invalid("issued", "%q is not an xs:dateTime with a zone", issued)
	}
	if err := s.group("provider", func(g *seq) error {
		return g.texts([]field{{"bin", &d.Provider.BIN, true}, {"nameRU", &d.Provider.NameRU, true}, {"nameKZ", &d.Provider.NameKZ, false}})
	}); err != nil {
		return nil, err
	}
	if err := s.group("recipient", func(g *seq) error {
		return g.texts([]field{{"iin", &d.Recipient.IIN, true}, {"name", &d.Recipient.Name, true}})
	}); err != nil {
		return nil, err
	}
	if err := s.texts([]field{{"titleRU", &d.TitleRU, true}, {"titleKZ", &d.TitleKZ, true}, {"text", &d.Text, false}, {"textKZ", &d.TextKZ, false}}); err != nil {
		return nil, err
	}
	if facts, err := s.elem("facts", false); err != nil {
		return nil, err
	} else if facts != nil {
		fs, err := seqOf(facts)
		if err != nil {
			return nil, err
		}
		for fs.peek() != nil {
			var f Fact
			if err := fs.group("fact", func(g *seq) error {
				return g.texts([]field{{"label", &f.Label, true}, {"value", &f.Value, true}})
			}); err != nil {
				return nil, err
			}
			d.Facts = append(d.Facts, f)
		}
		if len(d.Facts) == 0 {
			return nil, invalid("facts", "empty")
		}
	}
	if err := s.texts([]field{{"reason", &d.Reason, false}, {"basis", &d.Basis, false}}); err != nil {
		return nil, err
	}
	if err := s.group("official", func(g *seq) error {
		return g.texts([]field{{"iin", &d.Official.IIN, true}, {"name", &d.Official.Name, true}, {"position", &d.Official.Position, true}})
	}); err != nil {
		return nil, err
	}
	if sig := s.peek(); sig != nil && sig.Tag == "Signature" && sig.NamespaceURI() == signing.NSDSig {
		s.i++
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// seq walks the child elements of a container element in order.
type seq struct {
	parent string
	kids   []*etree.Element
	i      int
}

// seqOf returns the children of el, refusing text between them.
func seqOf(el *etree.Element) (*seq, error) {
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && strings.Trim(cd.Data, " \t\r\n") != "" {
			return nil, invalid(el.Tag, "text between elements")
		}
	}
	return &seq{parent: el.Tag, kids: el.ChildElements()}, nil
}

func (s *seq) peek() *etree.Element {
	if s.i < len(s.kids) {
		return s.kids[s.i]
	}
	return nil
}

func (s *seq) elem(local string, required bool) (*etree.Element, error) {
	if k := s.peek(); k != nil && k.Tag == local && k.NamespaceURI() == Namespace {
		s.i++
		return k, nil
	}
	if required {
		return nil, invalid(s.parent+"/"+local, "missing or out of order")
	}
	return nil, nil
}

// text reads a text-only element, as written (not trimmed).
func (s *seq) text(local string, required bool) (string, error) {
	el, err := s.elem(local, required)
	if err != nil || el == nil {
		return "", err
	}
	var b strings.Builder
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			return "", invalid(s.parent+"/"+local, "text expected, found <%s>", t.FullTag())
		}
	}
	return b.String(), nil
}

type field struct {
	name     string
	dst      *string
	required bool
}

func (s *seq) texts(fs []field) error {
	for _, f := range fs {
		v, err := s.text(f.name, f.required)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}

// group reads the required container element local with read, which must consume all of it.
func (s *seq) group(local string, read func(*seq) error) error {
	el, err := s.elem(local, true)
	if err != nil {
		return err
	}
	g, err := seqOf(el)
	if err != nil {
		return err
	}
	if err := read(g); err != nil {
		return err
	}
	return g.end()
}

func (s *seq) end() error {
	if k := s.peek(); k != nil {
		return invalid(s.parent, "unexpected <%s>", k.FullTag())
	}
	return nil
}
