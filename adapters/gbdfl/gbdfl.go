// Package gbdfl emulates ГБД ФЛ, the state database of natural persons: a registry of persons
// and the GBDFL_UniversalServiceSync service in the real request and response shapes.
package gbdfl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/ids"
)

// ServiceID is the ГБД ФЛ lookup service of ШЭП.
const ServiceID = "GBDFL_UniversalServiceSync"

// NS is the namespace of the service's typed data (cs:Request, cs:Response).
const NS = "http://message.persistence.interactive.nat"

// Document is an identity document. In JSON the dates are "YYYY-MM-DD"; Expires is omitted when
// the document does not expire (a birth certificate).
type Document struct {
	Type     string    `json:"type"`
	Number   string    `json:"number"`
	IssuedBy string    `json:"issued_by"`
	Issued   time.Time `json:"issued"`
	Expires  time.Time `json:"expires,omitzero"`
}

// Person is a record of ГБД ФЛ. In JSON the field names are snake_case and the dates "YYYY-MM-DD"
// (see MarshalJSON); decoding refuses unknown fields.
type Person struct {
	IIN         string    `json:"iin"`
	Surname     string    `json:"surname"`
	Name        string    `json:"name"`
	Patronymic  string    `json:"patronymic,omitempty"`
	BirthDate   time.Time `json:"birth_date"`
	Female      bool      `json:"female"`
	Nationality string    `json:"nationality,omitempty"`
	Citizenship string    `json:"citizenship,omitempty"`
	BirthPlace  string    `json:"birth_place,omitempty"`
	RegAddress  string    `json:"reg_address,omitempty"`
	// Region is the oblast or city of the registration address: AKT, ZKO, KRG, AKM, ALM, AST, …
	Region    string    `json:"region,omitempty"`
	Deceased  bool      `json:"deceased,omitempty"`
	DeathDate time.Time `json:"death_date,omitzero"`
	// Family links: the ИИН of the mother, the father and the spouse, when known.
	MotherIIN string     `json:"mother_iin,omitempty"`
	FatherIIN string     `json:"father_iin,omitempty"`
	SpouseIIN string     `json:"spouse_iin,omitempty"`
	Documents []Document `json:"documents,omitempty"`
	// Test marks a НУЦ test identity (IIN123456789011): its ИИН need only be 12 digits, and the
	// birth date and sex are not checked against it.
	Test bool `json:"test,omitempty"`
}

// Registry finds persons by ИИН.
type Registry interface {
	Person(ctx context.Context, iin string) (*Person, bool, error)
}

// Memory is an in-memory Registry.
type Memory struct {
	mu sync.RWMutex
	m  map[string]*Person
}

// NewMemory returns a registry holding persons.
func NewMemory(persons ...*Person) *Memory {
	m := &Memory{m: map[string]*Person{}}
	for _, p := range persons {
		m.m[p.IIN] = p
	}
	return m
}

// Person implements Registry.
func (m *Memory) Person(ctx context.Context, iin string) (*Person, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.m[iin]
	return p, ok, nil
}

// Put adds or replaces a person.
func (m *Memory) Put(p *Person) {
	m.mu.Lock()
	m.m[p.IIN] = p
	m.mu.Unlock()
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ИИН of Demo persons that tests use.
const (
	// DemoChildIIN is ИВАНОВА АЙГУЛЬ's son (born 2016-05-23), a disabled child for the home
	// education services (AKT-6, ZKO-9, ALM-2).
	DemoChildIIN = "160523501741"
	// DemoDeceasedIIN is a deceased person (died 2024-11-20).
	DemoDeceasedIIN = "520315301742"
)

// Demo is a small built-in population: the ИИН used in the regulations' examples and tests,
// НУЦ's test identity, ИВАНОВА's child and a deceased person.
func Demo() *Memory { return NewMemory(DemoPersons()...) }

// DemoPersons returns fresh copies of Demo's persons.
func DemoPersons() []*Person {
	return []*Person{
		{IIN: "931002451325", Surname: "ИВАНОВА", Name: "АЙГУЛЬ", Patronymic: "СЕРИКОВНА", BirthDate: date("1993-10-02"), Female: true,
			Nationality: "КАЗАХ", Citizenship: "КАЗАХСТАН", BirthPlace: "КАЗАХСТАН, АКТЮБИНСКАЯ ОБЛАСТЬ, Г. АКТОБЕ",
			RegAddress: "КАЗАХСТАН, АКТЮБИНСКАЯ ОБЛАСТЬ, Г. АКТОБЕ, УЛ. АБАЯ, Д. 1, КВ. 2", Region: "AKT",
			Documents: []Document{{Type: "УДОСТОВЕРЕНИЕ РК", Number: "012345678", IssuedBy: "МВД РК", Issued: date("2019-05-10"), Expires: date("2029-05-09")}}},
		{IIN: "660427402182", Surname: "АХМЕТОВА", Name: "ГУЛЬНАРА", Patronymic: "БОЛАТОВНА", BirthDate: date("1966-04-27"), Female: true,
			Nationality: "КАЗАХ", Citizenship: "КАЗАХСТАН", BirthPlace: "КАЗАХСТАН, ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, Г. УРАЛЬСК",
			RegAddress: "КАЗАХСТАН, ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, Г. УРАЛЬСК, УЛ. ДОСТЫК, Д. 10", Region: "ZKO"},
		{IIN: "941111350315", Surname: "ЖУМАБЕКОВ", Name: "ЕРЛАН", Patronymic: "МАРАТОВИЧ", BirthDate: date("1994-11-11"),
			Nationality: "КАЗАХ", Citizenship: "КАЗАХСТАН", BirthPlace: "КАЗАХСТАН, Г. АЛМАТЫ", RegAddress: "КАЗАХСТАН, Г. АЛМАТЫ, ПР. АЛЬ-ФАРАБИ, Д. 77",
			Region: "ALM"},
		{IIN: "123456789011", Surname: "ТЕСТОВ", Name: "ТЕСТ", Patronymic: "ТЕСТОВИЧ", BirthDate: date("1990-01-01"),
			Nationality: "КАЗАХ", Citizenship: "КАЗАХСТАН", BirthPlace: "КАЗАХСТАН, Г. АСТАНА", RegAddress: "КАЗАХСТАН, Г. АСТАНА", Region: "AST",
			Test: true},
		{IIN: DemoChildIIN, Surname: "ИВАНОВ", Name: "ДАНИЯЛ", Patronymic: "АРМАНОВИЧ", BirthDate: date("2016-05-23"),
			Nationality: "КАЗАХ", Citizenship: "КАЗАХСТАН", BirthPlace: "КАЗАХСТАН, АКТЮБИНСКАЯ ОБЛАСТЬ, Г. АКТОБЕ",
			RegAddress: "КАЗАХСТАН, АКТЮБИНСКАЯ ОБЛАСТЬ, Г. АКТОБЕ, УЛ. АБАЯ, Д. 1, КВ. 2", Region: "AKT", MotherIIN: "931002451325",
			Documents: []Document{{Type: "СВИДЕТЕЛЬСТВО О РОЖДЕНИИ", Number: "1604512", IssuedBy: "ОТДЕЛ РЕГИСТРАЦИИ АКТОВ ГРАЖДАНСКОГО СОСТОЯНИЯ Г. АКТОБЕ",
				Issued: date("2016-06-02")}}},
		{IIN: DemoDeceasedIIN, Surname: "ОМАРОВ", Name: "КАНАТ", Patronymic: "ЕРЖАНОВИЧ", BirthDate: date("1952-03-15"),
			Nationality: "КАЗАХ", Citizenship: "КАЗАХСТАН", BirthPlace: "КАЗАХСТАН, ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, Г. УРАЛЬСК",
			RegAddress: "КАЗАХСТАН, ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, Г. УРАЛЬСК, УЛ. КУРМАНГАЗЫ, Д. 45, КВ. 12", Region: "ZKO",
			Deceased: true, DeathDate: date("2024-11-20"),
			Documents: []Document{{Type: "УДОСТОВЕРЕНИЕ РК", Number: "035118264", IssuedBy: "МВД РК", Issued: date("2017-08-14"), Expires: date("2027-08-13")}}},
	}
}

// Adapter serves GBDFL_UniversalServiceSync from a Registry.
type Adapter struct {
	Registry Registry
	Now      func() time.Time
}

// Result codes of the payload's messageResult.
const (
	ResultOK       = "00000"
	ResultNotFound = "00001" // the emulator's code: no person with that ИИН
)

// Handle implements adapters.Adapter: data is a cs:Request with iin; the answer is a
// cs:Response with messageResult and persons/person, or messageResult "not found".
func (a *Adapter) Handle(ctx context.Context, req *adapters.Request) (*adapters.Response, error) {
	if req.Data == nil {
		return nil, faults.New(faults.RequestMalformed, "GBDFL request without data")
	}
	field := func(name string) string {
		if el := req.Data.SelectElement(name); el != nil {
			return strings.TrimSpace(el.Text())
		}
		return ""
	}
	iin := field("iin")
	if len(iin) != 12 || strings.Trim(iin, "0123456789") != "" {
		return nil, faults.New(faults.RequestMalformed, "data/iin %q is not a 12-digit ИИН", iin)
	}
	p, found, err := a.Registry.Person(ctx, iin)
	if err != nil {
		return nil, fmt.Errorf("gbdfl: %w", err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	d := etree.NewElement("data")
	d.CreateAttr("xmlns:xsi", syncchannel.NSXSI)
	d.CreateAttr("xmlns:cs", NS)
	d.CreateAttr("xsi:type", "cs:Response")
	d.CreateElement("messageId").SetText(ids.UUID())
	d.CreateElement("messageDate").SetText(syncchannel.FormatDateTime(now()))
	if id := field("messageId"); id != "" {
		d.CreateElement("requestId").SetText(id)
	}
	d.CreateElement("sender").CreateElement("code").SetText("GBDFL")
	receiver := field("senderCode")
	if receiver == "" {
		receiver = req.SenderID
	}
	d.CreateElement("receiver").CreateElement("code").SetText(receiver)
	mr := d.CreateElement("messageResult")
	if !found {
		mr.CreateElement("code").SetText(ResultNotFound)
		mr.CreateElement("nameRu").SetText("Сведения не найдены")
		mr.CreateElement("nameKz").SetText("Мәліметтер табылмады")
		return &adapters.Response{Data: d}, nil
	}
	mr.CreateElement("code").SetText(ResultOK)
	mr.CreateElement("nameRu").SetText("Сообщение успешно обработано")
	mr.CreateElement("nameKz").SetText("Хабарлама сәтті өңделді")
	writePerson(d.CreateElement("persons").CreateElement("person"), p)
	return &adapters.Response{Data: d}, nil
}

func writePerson(el *etree.Element, p *Person) {
	el.CreateElement("iin").SetText(p.IIN)
	el.CreateElement("surname").SetText(p.Surname)
	el.CreateElement("name").SetText(p.Name)
	if p.Patronymic != "" {
		el.CreateElement("patronymic").SetText(p.Patronymic)
	}
	el.CreateElement("birthDate").SetText(p.BirthDate.Format(time.DateOnly))
	g := el.CreateElement("gender")
	if p.Female {
		g.CreateElement("code").SetText("2")
		g.CreateElement("nameRu").SetText("Женский")
	} else {
		g.CreateElement("code").SetText("1")
		g.CreateElement("nameRu").SetText("Мужской")
	}
	el.CreateElement("nationality").CreateElement("nameRu").SetText(p.Nationality)
	el.CreateElement("citizenship").CreateElement("nameRu").SetText(p.Citizenship)
	ls := el.CreateElement("lifeStatus")
	if p.Deceased {
		ls.CreateElement("code").SetText("2")
		ls.CreateElement("nameRu").SetText("Умерший")
		if !p.DeathDate.IsZero() {
			el.CreateElement("deathDate").SetText(p.DeathDate.Format(time.DateOnly))
		}
	} else {
		ls.CreateElement("code").SetText("0")
		ls.CreateElement("nameRu").SetText("Нормальный")
	}
	el.CreateElement("birthPlace").SetText(p.BirthPlace)
	el.CreateElement("regAddress").SetText(p.RegAddress)
	for _, l := range []struct{ name, iin string }{{"motherIin", p.MotherIIN}, {"fatherIin", p.FatherIIN}, {"spouseIin", p.SpouseIIN}} {
		if l.iin != "" {
			el.CreateElement(l.name).SetText(l.iin)
		}
	}
	if len(p.Documents) > 0 {
		docs := el.CreateElement("documents")
		for _, doc := range p.Documents {
			de := docs.CreateElement("document")
			de.CreateElement("type").SetText(doc.Type)
			de.CreateElement("number").SetText(doc.Number)
			de.CreateElement("issueOrganization").SetText(doc.IssuedBy)
			de.CreateElement("beginDate").SetText(doc.Issued.Format(time.DateOnly))
			if !doc.Expires.IsZero() {
				de.CreateElement("endDate").SetText(doc.Expires.Format(time.DateOnly))
			}
		}
	}
}
