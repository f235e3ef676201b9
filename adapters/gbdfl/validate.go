package gbdfl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shep-kz/shep/certs"
)

// Errors of the registry; test with errors.Is.
var (
	// ErrNotFound means no person has the ИИН.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means a record or an import was refused; the message says why and where.
	ErrInvalid = errors.New("invalid")
)

// Limits of a record.
const (
	maxText      = 512 // bytes of a text field
	maxDocuments = 16
)

// Validate checks p: a valid ИИН (checksum, century/sex digit, birth date; a Test person's ИИН
// need only be 12 digits), the birth date and sex the ИИН encodes (not checked for a Test
// person whose ИИН is not valid), surname and name, a deceased person's death date (required,
// not before birth, and only when deceased), the family links (valid ИИН, not the person's own,
// mother female and father male, parents born before the person), the region code and the
// documents (type, number, issue date not before birth, expiry after issue). The error wraps
// ErrInvalid and lists every problem.
func Validate(p *Person) error {
	if p == nil {
		return fmt.Errorf("%w: no person", ErrInvalid)
	}
	var probs []string
	bad := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	iin, err := certs.ParseIIN(p.IIN, certs.ParseOptions{TestIdentities: p.Test})
	switch {
	case err != nil:
		bad("iin: %v", err)
	case iin.Test:
		// A НУЦ test identity: nothing to compare with.
	default:
		if p.BirthDate.IsZero() {
			bad("birth_date is required")
		} else if !sameDay(p.BirthDate, iin.BirthDate) {
			bad("birth_date %s differs from the ИИН's %s", day(p.BirthDate), day(iin.BirthDate))
		}
		if want := iin.Sex == certs.SexFemale; p.Female != want {
			bad("female is %t but the ИИН's 7th digit says %s", p.Female, iin.Sex)
		}
	}
	if p.BirthDate.IsZero() && iin.Test {
		bad("birth_date is required")
	}
	for _, f := range []struct{ name, v string }{{"surname", p.Surname}, {"name", p.Name}} {
		if strings.TrimSpace(f.v) == "" {
			bad("%s is required", f.name)
		}
	}
	for _, f := range []struct{ name, v string }{{"surname", p.Surname}, {"name", p.Name}, {"patronymic", p.Patronymic},
		{"nationality", p.Nationality}, {"citizenship", p.Citizenship}, {"birth_place", p.BirthPlace}, {"reg_address", p.RegAddress}} {
		if err := checkText(f.v); err != nil {
			bad("%s: %v", f.name, err)
		}
	}
	if p.Region != "" && !validRegion(p.Region) {
		bad("region %q: want 2-8 capital latin letters or digits (AKT, ZKO, KRG, AKM, ALM, …)", p.Region)
	}
	switch {
	case p.Deceased && p.DeathDate.IsZero():
		bad("deceased without death_date")
	case p.Deceased && !p.BirthDate.IsZero() && p.DeathDate.Before(p.BirthDate):
		bad("death_date %s is before birth_date %s", day(p.DeathDate), day(p.BirthDate))
	case !p.Deceased && !p.DeathDate.IsZero():
		bad("death_date %s set but deceased is false", day(p.DeathDate))
	}
	for _, l := range []struct {
		name, v string
		sex     certs.Sex
	}{{"mother_iin", p.MotherIIN, certs.SexFemale}, {"father_iin", p.FatherIIN, certs.SexMale}, {"spouse_iin", p.SpouseIIN, certs.SexUnknown}} {
		if l.v == "" {
			continue
		}
		rel, err := certs.ParseIIN(l.v, certs.ParseOptions{})
		switch {
		case err != nil:
			bad("%s: %v", l.name, err)
		case l.v == p.IIN:
			bad("%s is the person's own ИИН", l.name)
		case l.sex != certs.SexUnknown && rel.Sex != l.sex:
			bad("%s %s is not %s by its 7th digit", l.name, l.v, l.sex)
		case l.sex != certs.SexUnknown && !p.BirthDate.IsZero() && !rel.BirthDate.Before(p.BirthDate):
			bad("%s %s was born %s, not before the person (%s)", l.name, l.v, day(rel.BirthDate), day(p.BirthDate))
		}
	}
	if len(p.Documents) > maxDocuments {
		bad("%d documents, at most %d", len(p.Documents), maxDocuments)
	}
	for i, d := range p.Documents {
		if strings.TrimSpace(d.Type) == "" || strings.TrimSpace(d.Number) == "" {
			bad("documents[%d]: type and number are required", i)
		}
		for _, v := range []string{d.Type, d.Number, d.IssuedBy} {
			if err := checkText(v); err != nil {
				bad("documents[%d]: %v", i, err)
			}
		}
		switch {
		case d.Issued.IsZero():
			bad("documents[%d]: issued is required", i)
		case !p.BirthDate.IsZero() && d.Issued.Before(p.BirthDate):
			bad("documents[%d]: issued %s before birth %s", i, day(d.Issued), day(p.BirthDate))
		case !d.Expires.IsZero() && !d.Expires.After(d.Issued):
			bad("documents[%d]: expires %s not after issued %s", i, day(d.Expires), day(d.Issued))
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("%w: person %q: %s", ErrInvalid, p.IIN, strings.Join(probs, "; "))
	}
	return nil
}

func checkText(s string) error {
	switch {
	case len(s) > maxText:
		return fmt.Errorf("longer than %d bytes", maxText)
	case !utf8.ValidString(s):
		return errors.New("not UTF-8")
	case strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return errors.New("contains a control character")
	}
	return nil
}

func validRegion(s string) bool {
	if len(s) < 2 || len(s) > 8 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// day formats t as YYYY-MM-DD, "" for the zero time.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// parseDay parses "YYYY-MM-DD" ("" is the zero time) into UTC midnight.
func parseDay(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not a YYYY-MM-DD date", field, s)
	}
	return t, nil
}

// toDay returns the calendar date of t (in t's location) as UTC midnight.
func toDay(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

type documentAlias Document

type documentWire struct {
	*documentAlias
	Issued  string `json:"issued"`
	Expires string `json:"expires,omitempty"`
}

// MarshalJSON writes the dates as "YYYY-MM-DD".
func (d Document) MarshalJSON() ([]byte, error) {
	return json.Marshal(documentWire{documentAlias: (*documentAlias)(&d), Issued: day(d.Issued), Expires: day(d.Expires)})
}

// UnmarshalJSON reads dates as "YYYY-MM-DD" and refuses unknown fields.
func (d *Document) UnmarshalJSON(b []byte) error {
	w := documentWire{documentAlias: (*documentAlias)(d)}
	if err := strictDecode(b, &w); err != nil {
		return fmt.Errorf("document: %w", err)
	}
	var err error
	if d.Issued, err = parseDay("issued", w.Issued); err != nil {
		return err
	}
	d.Expires, err = parseDay("expires", w.Expires)
	return err
}

// personJSON is Person on the wire, in the field order of Person.
type personJSON struct {
	IIN         string     `json:"iin"`
	Surname     string     `json:"surname"`
	Name        string     `json:"name"`
	Patronymic  string     `json:"patronymic,omitempty"`
	BirthDate   string     `json:"birth_date"`
	Female      bool       `json:"female"`
	Nationality string     `json:"nationality,omitempty"`
	Citizenship string     `json:"citizenship,omitempty"`
	BirthPlace  string     `json:"birth_place,omitempty"`
	RegAddress  string     `json:"reg_address,omitempty"`
	Region      string     `json:"region,omitempty"`
	Deceased    bool       `json:"deceased,omitempty"`
	DeathDate   string     `json:"death_date,omitempty"`
	MotherIIN   string     `json:"mother_iin,omitempty"`
	FatherIIN   string     `json:"father_iin,omitempty"`
	SpouseIIN   string     `json:"spouse_iin,omitempty"`
	Documents   []Document `json:"documents,omitempty"`
	Test        bool       `json:"test,omitempty"`
}

// MarshalJSON writes the dates as "YYYY-MM-DD".
func (p Person) MarshalJSON() ([]byte, error) {
	return json.Marshal(personJSON{IIN: p.IIN, Surname: p.Surname, Name: p.Name, Patronymic: p.Patronymic, BirthDate: day(p.BirthDate),
		Female: p.Female, Nationality: p.Nationality, Citizenship: p.Citizenship, BirthPlace: p.BirthPlace, RegAddress: p.RegAddress,
		Region: p.Region, Deceased: p.Deceased, DeathDate: day(p.DeathDate), MotherIIN: p.MotherIIN, FatherIIN: p.FatherIIN,
		SpouseIIN: p.SpouseIIN, Documents: p.Documents, Test: p.Test})
}

// UnmarshalJSON reads dates as "YYYY-MM-DD" and refuses unknown fields.
func (p *Person) UnmarshalJSON(b []byte) error {
	var w personJSON
	if err := strictDecode(b, &w); err != nil {
		return err
	}
	birth, err := parseDay("birth_date", w.BirthDate)
	if err != nil {
		return err
	}
	death, err := parseDay("death_date", w.DeathDate)
	if err != nil {
		return err
	}
	*p = Person{IIN: w.IIN, Surname: w.Surname, Name: w.Name, Patronymic: w.Patronymic, BirthDate: birth, Female: w.Female,
		Nationality: w.Nationality, Citizenship: w.Citizenship, BirthPlace: w.BirthPlace, RegAddress: w.RegAddress, Region: w.Region,
		Deceased: w.Deceased, DeathDate: death, MotherIIN: w.MotherIIN, FatherIIN: w.FatherIIN, SpouseIIN: w.SpouseIIN,
		Documents: w.Documents, Test: w.Test}
	return nil
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}
