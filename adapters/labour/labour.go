// Package labour is «Рынок труда» (the labour-market system): the register of unemployed citizens,
// their registration (AKT-1, AKM-1) and the certificate to an unemployed citizen (AKT-3, ALM-1).
package labour

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/store"
)

// Name of the system in the catalogue.
const Name = "labour-market"

// Record is an entry of the register of unemployed citizens.
type Record struct {
	IIN         string    `json:"iin"`
	Number      string    `json:"number"` // number in the register: the registration's application number
	Registered  time.Time `json:"registered"`
	Application string    `json:"application"`
}

// Register is the register of unemployed citizens (key prefix "u\x00" + ИИН).
type Register struct{ db *store.DB }

// NewRegister returns the register kept in db.
func NewRegister(db *store.DB) *Register { return &Register{db: db} }

func key(iin string) []byte { return append([]byte("u\x00"), iin...) }

// Get returns the record of iin.
func (r *Register) Get(ctx context.Context, iin string) (*Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	var rec *Record
	err := r.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(key(iin))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		rec = &Record{}
		return it.Value(func(v []byte) error { return json.Unmarshal(v, rec) })
	})
	return rec, rec != nil, err
}

// Add enters rec unless iin is registered already (then the existing record is kept and returned).
func (r *Register) Add(ctx context.Context, rec *Record) (*Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := rec
	err := r.db.Update(func(txn *badger.Txn) error {
		it, err := txn.Get(key(rec.IIN))
		if err == nil {
			out = &Record{}
			return it.Value(func(v []byte) error { return json.Unmarshal(v, out) })
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return txn.Set(key(rec.IIN), b)
	})
	return out, err
}

// Remove takes iin off the register (e.g. employed).
func (r *Register) Remove(ctx context.Context, iin string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.db.Update(func(txn *badger.Txn) error { return txn.Delete(key(iin)) })
}

// Rules returns the system's rules by serviceId. Registration and certificate are also the
// rules of the same services elsewhere (AKM-1, ALM-1 in АРМ РШЭП / ИС МИО), which read the same
// register.
func Rules(reg *Register) map[string]provider.Rules {
	return map[string]provider.Rules{
		"AKT-1": Registration{reg},
		"AKT-3": Certificate{reg},
	}
}

// Working age for registration as unemployed: 16 to the pension age (63 for men, 61 for women).
const minAge = 16

func pensionAge(female bool) int {
	if female {
		return 61
	}
	return 63
}

// Registration registers an unemployed citizen.
type Registration struct{ Reg *Register }

// Check implements provider.Rules: the person, working age, not registered yet, and the document
// on labour activity (unless the application states the person never worked).
func (r Registration) Check(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	if d := provider.CheckPerson(in); d != nil {
		return d, nil
	}
	age := provider.Age(in.Person, in.Now)
	if age < minAge || age >= pensionAge(in.Person.Female) {
		return provider.Refusal(provider.BasisGrounds, "Возраст услугополучателя (%d лет) вне трудоспособного возраста (%d–%d лет).",
			age, minAge, pensionAge(in.Person.Female)-1), nil
	}
	// A record of this very application is the effect of its own decision (repeated after a
	// failure that left it open), not a prior registration.
	if rec, ok, err := r.Reg.Get(ctx, in.Case.Applicant.IIN); err != nil {
		return nil, err
	} else if ok && rec.Application != in.Case.Number {
		return provider.Refusal(provider.BasisGrounds, "Услугополучатель уже зарегистрирован в качестве безработного с %s (№ %s).",
			rec.Registered.Format("02.01.2006"), rec.Number), nil
	}
	if in.App != nil && in.App.Field("neverEmployed") == "true" {
		return nil, nil
	}
	return provider.RequireAttachments(in, "employment-record"), nil
}

// Decide implements provider.Rules: enter the register and notify.
func (r Registration) Decide(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	if d, err := r.Check(ctx, in); d != nil || err != nil {
		return d, err
	}
	rec := &Record{IIN: in.Case.Applicant.IIN, Number: in.Case.Number, Registered: in.Now, Application: in.Case.Number}
	return &provider.Decision{
		Kind: results.Notification,
		Text: fmt.Sprintf("%s зарегистрирован(а) в качестве безработного.", provider.FullName(in.Person)),
		Facts: []results.Fact{
			{Label: "ИИН", Value: in.Person.IIN},
			{Label: "Дата регистрации в качестве безработного", Value: in.Now.Format("02.01.2006")},
			{Label: "Номер в регистре безработных", Value: rec.Number},
		},
		Effect: func(ctx context.Context) error {
			got, err := r.Reg.Add(ctx, rec)
			if err == nil && got.Application != rec.Application {
				// Another application (e.g. the same person's at another provider) registered first.
				return fmt.Errorf("labour: %s was registered meanwhile by application %s", rec.IIN, got.Application)
			}
			return err
		},
	}, nil
}

// Certificate issues the certificate to an unemployed citizen (справка о регистрации в качестве
// безработного), or refuses when the person is not registered.
type Certificate struct{ Reg *Register }

// Check implements provider.Rules.
func (c Certificate) Check(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	return provider.CheckPerson(in), nil
}

// Decide implements provider.Rules.
func (c Certificate) Decide(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	if d := provider.CheckPerson(in); d != nil {
		return d, nil
	}
	rec, ok, err := c.Reg.Get(ctx, in.Case.Applicant.IIN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return provider.Refusal(provider.BasisGrounds, "Услугополучатель (ИИН %s) не зарегистрирован в качестве безработного.", in.Case.Applicant.IIN), nil
	}
	return &provider.Decision{
		Kind: results.Certificate,
		Text: fmt.Sprintf("Дана %s в том, что он(а) зарегистрирован(а) в качестве безработного.", provider.FullName(in.Person)),
		Facts: []results.Fact{
			{Label: "ИИН", Value: in.Person.IIN},
			{Label: "Зарегистрирован(а) в качестве безработного с", Value: rec.Registered.Format("02.01.2006")},
			{Label: "Номер в регистре безработных", Value: rec.Number},
		},
	}, nil
}
