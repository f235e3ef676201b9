// Package results makes and reads a provider's output documents (справка, уведомление, постановление,
// мотивированный отказ) as signed XML (result.xsd) and renders them as self-contained HTML.
package results

import (
	"bytes"
	"crypto"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/signing/c14n"
)

// Namespace of the result document.
const Namespace = "urn:shep:result:1.0"

// Schema is result.xsd (XSD 1.0).
//
//go:embed result.xsd
var Schema []byte

// Kind is the kind of output document.
type Kind string

// Kinds of output documents (services.md §5.4).
const (
	Certificate  Kind = "certificate"  // справка / анықтама
	Notification Kind = "notification" // уведомление / хабарлама
	Resolution   Kind = "resolution"   // постановление (решение) / қаулы (шешім)
	Refusal      Kind = "refusal"      // мотивированный ответ об отказе / бас тарту туралы дәлелді жауап
)

// defaultTitles are the headings by kind, Russian and Kazakh.
var defaultTitles = map[Kind][2]string{
	Certificate:  {"СПРАВКА", "АНЫҚТАМА"},
	Notification: {"УВЕДОМЛЕНИЕ", "ХАБАРЛАМА"},
	Resolution:   {"ПОСТАНОВЛЕНИЕ", "ҚАУЛЫ"},
	Refusal:      {"МОТИВИРОВАННЫЙ ОТВЕТ ОБ ОТКАЗЕ", "БАС ТАРТУ ТУРАЛЫ ДӘЛЕЛДІ ЖАУАП"},
}

// Organisation is the provider (услугодатель).
type Organisation struct{ NameRU, NameKZ, BIN string }

// Person is the recipient (услугополучатель).
type Person struct{ IIN, Name string }

// Official is the provider's authorised official who signs the document.
type Official struct{ IIN, Name, Position string }

// Fact is a labelled line of the document body, e.g. "Дата регистрации в качестве безработного":
// "22.11.2026".
type Fact struct{ Label, Value string }

// Document is an output document of a provider.
type Document struct {
	Kind              Kind
	Number            string // registration number of this document in the provider's IS (required)
	ApplicationNumber string // number of the application it answers (required)
	ServiceID         string // required
	ServiceNameRU     string // required
	ServiceNameKZ     string
	Issued            time.Time // required; written with its zone offset
	Provider          Organisation
	Recipient         Person
	TitleRU, TitleKZ  string // e.g. "СПРАВКА", "АНЫҚТАМА"; Marshal writes the kind's default when empty
	Text              string // the main statement, Russian (required except for a refusal)
	TextKZ            string // optional Kazakh statement
	Facts             []Fact
	Reason            string   // the motivated justification: required for a refusal, forbidden otherwise
	Basis             string   // legal basis cited; required for a resolution and a refusal
	Official          Official // who signs
}

// ErrInvalid is wrapped by the errors of Validate, Parse and ParseElement.
var ErrInvalid = errors.New("result document invalid")

// ErrSigner is returned by Sign when the certificate is not the official's.
var ErrSigner = errors.New("results: the certificate is not the signing official's")

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// Validate checks the document: the kind; the required fields (number, application number,
// service id and Russian name, issue time, provider БИН and Russian name, recipient ИИН and name,
// official ИИН, name and position; the text except for a refusal; the reason for a refusal; the
// basis for a resolution and a refusal); no reason except for a refusal; facts with a label and a
// value; ИИН and БИН of 12 digits; and only characters XML can carry. All problems are reported,
// joined, each wrapping ErrInvalid.
func (d *Document) Validate() error {
	if d == nil {
		return invalid("document", "nil")
	}
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if _, ok := defaultTitles[d.Kind]; !ok {
		check(invalid("kind", "%q: want certificate, notification, resolution or refusal", d.Kind))
	}
	required := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			check(invalid(field, "required"))
		}
	}
	required("number", d.Number)
	required("applicationNumber", d.ApplicationNumber)
	required("service/id", d.ServiceID)
	required("service/nameRU", d.ServiceNameRU)
	required("provider/nameRU", d.Provider.NameRU)
	required("recipient/name", d.Recipient.Name)
	required("official/name", d.Official.Name)
	required("official/position", d.Official.Position)
	check(digits12("provider/bin", d.Provider.BIN))
	check(digits12("recipient/iin", d.Recipient.IIN))
	check(digits12("official/iin", d.Official.IIN))
	if d.Issued.IsZero() {
		check(invalid("issued", "required"))
	} else if y := d.Issued.Year(); y < 1 || y > 9999 {
		check(invalid("issued", "year %d is outside 0001–9999", y))
	} else if _, off := d.Issued.Zone(); off%60 != 0 {
		check(invalid("issued", "zone offset of %ds is not whole minutes", off))
	}
	hasReason := strings.TrimSpace(d.Reason) != ""
	switch d.Kind {
	case Refusal:
		required("reason", d.Reason)
		required("basis", d.Basis)
	case Certificate, Notification, Resolution:
		required("text", d.Text)
		if hasReason {
			check(invalid("reason", "only a refusal carries a reason, not a %s", d.Kind))
		}
		if d.Kind == Resolution {
			required("basis", d.Basis)
		}
	}
	for i, f := range d.Facts {
		required(fmt.Sprintf("facts[%d]/label", i), f.Label)
		required(fmt.Sprintf("facts[%d]/value", i), f.Value)
	}
	texts := d.strings()
	for _, field := range slices.Sorted(maps.Keys(texts)) {
		check(xmlChars(field, texts[field]))
	}
	return errors.Join(errs...)
}

// strings returns every text field of d by its name in the XML.
func (d *Document) strings() map[string]string {
	m := map[string]string{
		"number": d.Number, "applicationNumber": d.ApplicationNumber,
		"service/id": d.ServiceID, "service/nameRU": d.ServiceNameRU, "service/nameKZ": d.ServiceNameKZ,
		"provider/nameRU": d.Provider.NameRU, "provider/nameKZ": d.Provider.NameKZ,
		"recipient/name": d.Recipient.Name, "titleRU": d.TitleRU, "titleKZ": d.TitleKZ,
		"text": d.Text, "textKZ": d.TextKZ, "reason": d.Reason, "basis": d.Basis,
		"official/name": d.Official.Name, "official/position": d.Official.Position,
	}
	for i, f := range d.Facts {
		m[fmt.Sprintf("facts[%d]/label", i)] = f.Label
		m[fmt.Sprintf("facts[%d]/value", i)] = f.Value
	}
	return m
}

func digits12(field, v string) error {
	if len(v) != 12 || strings.Trim(v, "0123456789") != "" {
		return invalid(field, "%q is not 12 digits", v)
	}
	return nil
}

// xmlChars refuses what XML 1.0 cannot carry: invalid UTF-8 and the characters outside Char.
func xmlChars(field, v string) error {
	if !utf8.ValidString(v) {
		return invalid(field, "not valid UTF-8")
	}
	for _, r := range v {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
			return invalid(field, "character %U cannot appear in XML", r)
		}
	}
	return nil
}

// ID returns the id attribute of the document's root, made from the number: "result-" followed
// by the number with every character but ASCII letters, digits, '-', '.' and '_' replaced by '_'.
func (d *Document) ID() string {
	var b strings.Builder
	b.WriteString("result-")
	for _, r := range d.Number {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func (d *Document) titles() (ru, kz string) {
	ru, kz = d.TitleRU, d.TitleKZ
	def := defaultTitles[d.Kind]
	if strings.TrimSpace(ru) == "" {
		ru = def[0]
	}
	if strings.TrimSpace(kz) == "" {
		kz = def[1]
	}
	return ru, kz
}

// Marshal validates the document and writes it, unsigned: UTF-8 with an XML declaration, root
// {Namespace}result with the id attribute (ID), the elements of result.xsd in order, indented.
// Optional fields that are empty (or only white space) are left out; empty titles are written as
// the kind's defaults. The output depends on nothing but d.
func (d *Document) Marshal() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	root := etree.NewElement("res:result")
	root.CreateAttr("xmlns:res", Namespace)
	root.CreateAttr("id", d.ID())
	add := func(parent *etree.Element, name, v string) {
		if strings.TrimSpace(v) != "" {
			parent.CreateElement("res:" + name).SetText(v)
		}
	}
	add(root, "kind", string(d.Kind))
	add(root, "number", d.Number)
	add(root, "applicationNumber", d.ApplicationNumber)
	svc := root.CreateElement("res:service")
	add(svc, "id", d.ServiceID)
	add(svc, "nameRU", d.ServiceNameRU)
	add(svc, "nameKZ", d.ServiceNameKZ)
	add(root, "issued", d.Issued.Format(time.RFC3339Nano))
	prov := root.CreateElement("res:provider")
	add(prov, "bin", d.Provider.BIN)
	add(prov, "nameRU", d.Provider.NameRU)
	add(prov, "nameKZ", d.Provider.NameKZ)
	rec := root.CreateElement("res:recipient")
	add(rec, "iin", d.Recipient.IIN)
	add(rec, "name", d.Recipient.Name)
	ru, kz := d.titles()
	add(root, "titleRU", ru)
	add(root, "titleKZ", kz)
	add(root, "text", d.Text)
	add(root, "textKZ", d.TextKZ)
	if len(d.Facts) > 0 {
		facts := root.CreateElement("res:facts")
		for _, f := range d.Facts {
			fe := facts.CreateElement("res:fact")
			add(fe, "label", f.Label)
			add(fe, "value", f.Value)
		}
	}
	add(root, "reason", d.Reason)
	add(root, "basis", d.Basis)
	off := root.CreateElement("res:official")
	add(off, "iin", d.Official.IIN)
	add(off, "name", d.Official.Name)
	add(off, "position", d.Official.Position)
	indent(root, 0)

	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	// The canonical form escapes every value, so that a parser reads back exactly what was set
	// (a carriage return included).
	if err := c14n.Write(&buf, root, c14n.Options{}); err != nil {
		return nil, fmt.Errorf("results: marshal: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// indent puts each child element of a container element on its own line.
func indent(e *etree.Element, depth int) {
	kids := e.ChildElements()
	if len(kids) == 0 {
		return
	}
	pad := "\n" + strings.Repeat("  ", depth)
	for _, k := range kids {
		e.InsertChildAt(k.Index(), etree.NewText(pad+"  "))
		indent(k, depth+1)
	}
	e.AddChild(etree.NewText(pad))
}

// Sign validates and marshals the document and signs it with the official's key: an enveloped
// signature (signing.SignEnveloped with the default options: exc-c14n, RSA/ECDSA-SHA256, Reference
// URI "#" + ID, the certificate in KeyInfo) as the last child of the result. When the certificate
// carries an ИИН it must be Official.IIN, and when it carries a БИН it must be Provider.BIN
// (ErrSigner otherwise).
func Sign(d *Document, key crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	if cert == nil || key == nil {
		return nil, errors.New("results: sign: a key and its certificate are required")
	}
	b, err := d.Marshal()
	if err != nil {
		return nil, err
	}
	id, err := certs.IdentityOf(cert, certs.ParseOptions{TestIdentities: true})
	if err != nil {
		return nil, fmt.Errorf("results: sign: %w", err)
	}
	if id.IIN != "" && id.IIN != d.Official.IIN {
		return nil, fmt.Errorf("%w: certificate ИИН %s, official %s", ErrSigner, id.IIN, d.Official.IIN)
	}
	if id.BIN != "" && id.BIN != d.Provider.BIN {
		return nil, fmt.Errorf("%w: certificate БИН %s, provider %s", ErrSigner, id.BIN, d.Provider.BIN)
	}
	signed, err := signing.SignEnveloped(b, key, cert, signing.SignOptions{})
	if err != nil {
		return nil, fmt.Errorf("results: sign: %w", err)
	}
	return signed, nil
}
