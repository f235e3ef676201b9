// Package application reads shep's application document (application.xsd): the applicant, a
// representative with a power of attorney, the signing operator, the service's fields and the
// attachments, which the gateway's ИИН-match and registry checks need.
package application

import (
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Namespace of the application document.
const Namespace = "urn:shep:application:1.0"

// Schema is application.xsd, served by the gateway next to its WSDL.
//
//go:embed application.xsd
var Schema []byte

// Channel is the channel an application was submitted through.
type Channel string

// Channels of application documents.
const (
	Portal   Channel = "portal"
	CON      Channel = "con"
	Provider Channel = "provider"
)

// Person is an applicant or a representative.
type Person struct {
	IIN, Surname, Name, Patronymic, Phone, Email string
}

// Representative acts for the applicant under a notarised power of attorney.
type Representative struct {
	Person
	PowerOfAttorney string
	Date            time.Time // zero when not given
}

// Officer is the ЦОН operator or provider specialist who signs on the applicant's behalf.
type Officer struct{ IIN, BIN, Name string }

// Field is one of the service's own fields.
type Field struct{ Name, Value string }

// Attachment is a scanned document. Type is the document's kind as the service's rules name it
// (e.g. "employment-record", "disability-certificate"): providers check the package by it.
type Attachment struct {
	Name, MediaType, Type string
	Content               []byte
}

// HasAttachment reports whether an attachment of the given type is present.
func (a *Application) HasAttachment(typ string) bool {
	for _, at := range a.Attachments {
		if at.Type == typ {
			return true
		}
	}
	return false
}

// Application is a parsed application document.
type Application struct {
	ID             string
	ServiceID      string
	Channel        Channel
	Submitted      time.Time
	Applicant      Person
	Representative *Representative
	Operator       *Officer
	Fields         []Field
	Attachments    []Attachment
}

// Field returns the value of the named field ("" when absent).
func (a *Application) Field(name string) string {
	for _, f := range a.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// ErrInvalid is wrapped by every error of Parse.
var ErrInvalid = errors.New("application document invalid")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Is reports whether el is an application document.
func Is(el *etree.Element) bool {
	return el != nil && el.Tag == "application" && el.NamespaceURI() == Namespace
}

// Parse reads an application element (as verified: the caller passes the signed element). It
// checks the structure of application.xsd: order, cardinality, ИИН/БИН form, dates, base64.
func Parse(el *etree.Element) (*Application, error) {
	if !Is(el) {
		return nil, invalid("root is not {%s}application", Namespace)
	}
	a := &Application{ID: el.SelectAttrValue("id", "")}
	kids := seqOf(el)
	var err error
	if a.ServiceID, err = kids.text("serviceId", true); err != nil {
		return nil, err
	}
	ch, err := kids.text("channel", true)
	if err != nil {
		return nil, err
	}
	switch Channel(ch) {
	case Portal, CON, Provider:
		a.Channel = Channel(ch)
	default:
		return nil, invalid("channel %q: want portal, con or provider", ch)
	}
	sub, err := kids.text("submitted", true)
	if err != nil {
		return nil, err
	}
	if a.Submitted, err = time.Parse(time.RFC3339Nano, sub); err != nil {
		return nil, invalid("submitted %q is not an xs:dateTime with a zone", sub)
	}
	app, err := kids.elem("applicant", true)
	if err != nil {
		return nil, err
	}
	as := seqOf(app)
	if a.Applicant, err = person("applicant", as); err != nil {
		return nil, err
	}
	if err := as.end(); err != nil {
		return nil, err
	}
	if rep, err := kids.elem("representative", false); err != nil {
		return nil, err
	} else if rep != nil {
		r, err := representative(rep)
		if err != nil {
			return nil, err
		}
		a.Representative = r
	}
	if op, err := kids.elem("operator", false); err != nil {
		return nil, err
	} else if op != nil {
		o, err := officer(op)
		if err != nil {
			return nil, err
		}
		a.Operator = o
	}
	if fs, err := kids.elem("fields", false); err != nil {
		return nil, err
	} else if fs != nil {
		for _, f := range fs.ChildElements() {
			if !is(f, "field") || len(f.ChildElements()) > 0 {
				return nil, invalid("fields may only hold field elements with text")
			}
			name := f.SelectAttrValue("name", "")
			if name == "" {
				return nil, invalid("field without a name")
			}
			a.Fields = append(a.Fields, Field{Name: name, Value: f.Text()})
		}
		if len(a.Fields) == 0 {
			return nil, invalid("fields is empty")
		}
	}
	if atts, err := kids.elem("attachments", false); err != nil {
		return nil, err
	} else if atts != nil {
		for _, at := range atts.ChildElements() {
			if !is(at, "attachment") || len(at.ChildElements()) > 0 {
				return nil, invalid("attachments may only hold attachment elements")
			}
			name, mt := at.SelectAttrValue("name", ""), at.SelectAttrValue("mediaType", "")
			if name == "" || mt == "" {
				return nil, invalid("attachment needs name and mediaType")
			}
			content, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(at.Text()), ""))
			if err != nil {
				return nil, invalid("attachment %q is not base64", name)
			}
			a.Attachments = append(a.Attachments, Attachment{Name: name, MediaType: mt, Type: at.SelectAttrValue("type", ""), Content: content})
		}
		if len(a.Attachments) == 0 {
			return nil, invalid("attachments is empty")
		}
	}
	// The enveloped signature, if any, is the last child.
	if sig := kids.peek(); sig != nil && sig.Tag == "Signature" && sig.NamespaceURI() == "http://www.w3.org/2000/09/xmldsig#" {
		kids.i++
	}
	if err := kids.end(); err != nil {
		return nil, err
	}
	switch {
	case a.Channel == Portal && (a.Representative != nil || a.Operator != nil):
		return nil, invalid("a portal application is signed by the applicant: no representative or operator")
	case a.Channel != Portal && a.Operator == nil:
		return nil, invalid("a %s application names the operator who signs it", a.Channel)
	case a.Channel == Provider && a.Representative != nil:
		return nil, invalid("representatives are entered only at a ЦОН")
	}
	return a, nil
}

func is(el *etree.Element, local string) bool {
	return el.Tag == local && el.NamespaceURI() == Namespace
}

type seq struct {
	parent string
	kids   []*etree.Element
	i      int
}

func seqOf(el *etree.Element) *seq { return &seq{parent: el.Tag, kids: el.ChildElements()} }

func (s *seq) peek() *etree.Element {
	if s.i < len(s.kids) {
		return s.kids[s.i]
	}
	return nil
}

func (s *seq) elem(local string, required bool) (*etree.Element, error) {
	if k := s.peek(); k != nil && is(k, local) {
		s.i++
		return k, nil
	}
	if required {
		return nil, invalid("%s: <%s> missing or out of order", s.parent, local)
	}
	return nil, nil
}

func (s *seq) text(local string, required bool) (string, error) {
	el, err := s.elem(local, required)
	if err != nil || el == nil {
		return "", err
	}
	if len(el.ChildElements()) > 0 {
		return "", invalid("%s/%s: text expected", s.parent, local)
	}
	return strings.TrimSpace(el.Text()), nil
}

func (s *seq) end() error {
	if k := s.peek(); k != nil {
		return invalid("%s: unexpected <%s>", s.parent, k.FullTag())
	}
	return nil
}

func digits12(what, v string) error {
	if len(v) != 12 || strings.Trim(v, "0123456789") != "" {
		return invalid("%s %q is not 12 digits", what, v)
	}
	return nil
}

// person reads the Person fields from s, leaving s after them.
func person(what string, s *seq) (Person, error) {
	var p Person
	var err error
	if p.IIN, err = s.text("iin", true); err != nil {
		return p, err
	}
	if err := digits12(what+" ИИН", p.IIN); err != nil {
		return p, err
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"surname", &p.Surname}, {"name", &p.Name}, {"patronymic", &p.Patronymic}, {"phone", &p.Phone}, {"email", &p.Email}} {
		if *f.dst, err = s.text(f.name, false); err != nil {
			return p, err
		}
	}
	return p, nil
}

func representative(el *etree.Element) (*Representative, error) {
	s := seqOf(el)
	p, err := person("representative", s)
	if err != nil {
		return nil, err
	}
	r := &Representative{Person: p}
	poa, err := s.elem("powerOfAttorney", true)
	if err != nil {
		return nil, err
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	if r.PowerOfAttorney = poa.SelectAttrValue("number", ""); r.PowerOfAttorney == "" {
		return nil, invalid("powerOfAttorney needs a number")
	}
	if d := poa.SelectAttrValue("date", ""); d != "" {
		if r.Date, err = time.Parse(time.DateOnly, d); err != nil {
			return nil, invalid("powerOfAttorney date %q", d)
		}
	}
	return r, nil
}

func officer(el *etree.Element) (*Officer, error) {
	s := seqOf(el)
	o := &Officer{}
	var err error
	if o.IIN, err = s.text("iin", true); err != nil {
		return nil, err
	}
	if err := digits12("operator ИИН", o.IIN); err != nil {
		return nil, err
	}
	if o.BIN, err = s.text("bin", false); err != nil {
		return nil, err
	}
	if o.BIN != "" {
		if err := digits12("operator БИН", o.BIN); err != nil {
			return nil, err
		}
	}
	if o.Name, err = s.text("name", false); err != nil {
		return nil, err
	}
	return o, s.end()
}
