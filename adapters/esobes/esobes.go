// Package esobes is «Е-собес», the social-security system: compensation of home-education costs of
// disabled children (AKT-6, ZKO-9, ALM-2) and the certificate of belonging to recipients of
// targeted social assistance, АСП (AKT-8, ZKO-10), read from its register of recipient families.
package esobes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/store"
)

// Name of the system in the catalogue.
const Name = "e-sobes"

// Recipient is a family receiving targeted social assistance (АСП), under its applicant's ИИН.
type Recipient struct {
	IIN     string    `json:"iin"`     // the applicant to whom АСП is assigned
	Members []string  `json:"members"` // ИИН of the family members covered
	From    time.Time `json:"from"`
	Until   time.Time `json:"until"`
	Amount  int       `json:"amount_kzt,omitempty"` // monthly amount, tenge
}

// Covers reports whether iin belongs to the family at t.
func (r *Recipient) Covers(iin string, t time.Time) bool {
	return (r.IIN == iin || slices.Contains(r.Members, iin)) && !t.Before(r.From) && t.Before(r.Until)
}

// ErrInvalid is returned for a malformed recipient.
var ErrInvalid = errors.New("esobes: invalid recipient")

// Register is the register of АСП recipients (prefix "a\x00" + ИИН of the applicant; the index
// "a\x01" + member ИИН + 0x00 + applicant ИИН finds a member's family).
type Register struct{ db *store.DB }

// NewRegister returns the register kept in db.
func NewRegister(db *store.DB) *Register { return &Register{db: db} }

func recKey(iin string) []byte { return append([]byte("a\x00"), iin...) }
func memberKey(member, iin string) []byte {
	return append(append(append([]byte("a\x01"), member...), 0), iin...)
}

// Put adds or replaces a recipient family.
func (r *Register) Put(ctx context.Context, rec *Recipient) error {
	if len(rec.IIN) != 12 || strings.Trim(rec.IIN, "0123456789") != "" || !rec.Until.After(rec.From) {
		return fmt.Errorf("%w: ИИН %q, period %s–%s", ErrInvalid, rec.IIN, rec.From, rec.Until)
	}
	for _, m := range rec.Members {
		if len(m) != 12 || strings.Trim(m, "0123456789") != "" {
			return fmt.Errorf("%w: member %q", ErrInvalid, m)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return r.db.Update(func(txn *badger.Txn) error {
		if old, err := get(txn, rec.IIN); err != nil {
			return err
		} else if old != nil {
			for _, m := range old.Members {
				if err := txn.Delete(memberKey(m, old.IIN)); err != nil {
					return err
				}
			}
		}
		for _, m := range append([]string{rec.IIN}, rec.Members...) {
			if err := txn.Set(memberKey(m, rec.IIN), nil); err != nil {
				return err
			}
		}
		return txn.Set(recKey(rec.IIN), b)
	})
}

func get(txn *badger.Txn, iin string) (*Recipient, error) {
	it, err := txn.Get(recKey(iin))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec := &Recipient{}
	return rec, it.Value(func(v []byte) error { return json.Unmarshal(v, rec) })
}

// Family returns the recipient family iin belongs to at t (as applicant or member).
func (r *Register) Family(ctx context.Context, iin string, t time.Time) (*Recipient, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	var found *Recipient
	err := r.db.View(func(txn *badger.Txn) error {
		prefix := append(append([]byte("a\x01"), iin...), 0)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			rec, err := get(txn, string(it.Item().Key()[len(prefix):]))
			if err != nil {
				return err
			}
			if rec != nil && rec.Covers(iin, t) {
				found = rec
				return nil
			}
		}
		return nil
	})
	return found, found != nil, err
}

// EnsureDemo enters the demo family (ИВАНОВА and her child, gbdfl's demo persons) when the
// register has no record for her yet.
func EnsureDemo(ctx context.Context, r *Register, now time.Time) error {
	var exists bool
	if err := r.db.View(func(txn *badger.Txn) error {
		rec, err := get(txn, "931002451325")
		exists = rec != nil
		return err
	}); err != nil || exists {
		return err
	}
	y := now.Year()
	return r.Put(ctx, &Recipient{IIN: "931002451325", Members: []string{gbdfl.DemoChildIIN},
		From: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC), Amount: 38500})
}

// Rules returns the system's rules by serviceId.
func Rules(reg *Register) map[string]provider.Rules {
	return map[string]provider.Rules{
		"AKT-6": HomeEducation{},
		"AKT-8": ASPCertificate{reg},
	}
}

// HomeEducation is the compensation of home-education costs of a disabled child: the application
// names the child (field childIIN); the applicant must be the child's parent by ГБД ФЛ; the package
// holds the consultation's conclusion, the disability certificate and the bank account.
type HomeEducation struct{}

// HomeEducationDocuments are the attachments the service requires (services.md §5.2; the birth
// certificate and the address are read from ГБД ФЛ).
var HomeEducationDocuments = []string{"pmpk-conclusion", "disability-certificate", "bank-account"}

// Check implements provider.Rules.
func (HomeEducation) Check(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	if d := provider.CheckPerson(in); d != nil {
		return d, nil
	}
	child, d, err := childOf(ctx, in)
	if d != nil || err != nil {
		return d, err
	}
	if age := provider.Age(child, in.Now); age >= 18 {
		return provider.Refusal(provider.BasisGrounds, "Ребёнок (ИИН %s) достиг совершеннолетия (%d лет).", child.IIN, age), nil
	}
	return provider.RequireAttachments(in, HomeEducationDocuments...), nil
}

func childOf(ctx context.Context, in *provider.Input) (*gbdfl.Person, *provider.Decision, error) {
	iin := ""
	if in.App != nil {
		iin = strings.TrimSpace(in.App.Field("childIIN"))
	}
	if iin == "" {
		return nil, provider.Refusal(provider.BasisDocuments, "В заявлении не указан ИИН ребёнка (поле childIIN)."), nil
	}
	child, ok, err := in.Persons.Person(ctx, iin)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, provider.Refusal(provider.BasisNoData, "Сведения о ребёнке (ИИН %s) отсутствуют в ГБД ФЛ.", iin), nil
	}
	if child.Deceased {
		return nil, provider.Refusal(provider.BasisGrounds, "Ребёнок (ИИН %s) по сведениям ГБД ФЛ умер.", iin), nil
	}
	if child.MotherIIN != in.Case.Applicant.IIN && child.FatherIIN != in.Case.Applicant.IIN {
		return nil, provider.Refusal(provider.BasisGrounds, "Услугополучатель не является родителем ребёнка (ИИН %s) по сведениям ГБД ФЛ.", iin), nil
	}
	return child, nil, nil
}

// Decide implements provider.Rules: the allowance is assigned from the month of the application
// to the end of the school year.
func (h HomeEducation) Decide(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	if d, err := h.Check(ctx, in); d != nil || err != nil {
		return d, err
	}
	child, _, err := childOf(ctx, in)
	if err != nil {
		return nil, err
	}
	start := time.Date(in.Case.Received.Year(), in.Case.Received.Month(), 1, 0, 0, 0, 0, in.Case.Received.Location())
	end := time.Date(start.Year(), time.May, 31, 0, 0, 0, 0, start.Location())
	if start.Month() > time.May {
		end = end.AddDate(1, 0, 0)
	}
	return &provider.Decision{
		Kind: results.Notification,
		Text: fmt.Sprintf("%s назначено возмещение затрат на обучение на дому ребёнка с инвалидностью.", provider.FullName(in.Person)),
		Facts: []results.Fact{
			{Label: "Ребёнок", Value: provider.FullName(child) + ", ИИН " + child.IIN},
			{Label: "Период назначения", Value: start.Format("02.01.2006") + " – " + end.Format("02.01.2006")},
		},
	}, nil
}

// ASPCertificate certifies whether the applicant's family receives АСП: positive or "does not
// belong", both as a certificate.
type ASPCertificate struct{ Reg *Register }

// Check implements provider.Rules.
func (ASPCertificate) Check(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	return provider.CheckPerson(in), nil
}

// Decide implements provider.Rules.
func (a ASPCertificate) Decide(ctx context.Context, in *provider.Input) (*provider.Decision, error) {
	if d := provider.CheckPerson(in); d != nil {
		return d, nil
	}
	rec, ok, err := a.Reg.Family(ctx, in.Case.Applicant.IIN, in.Now)
	if err != nil {
		return nil, err
	}
	name := provider.FullName(in.Person)
	if !ok {
		return &provider.Decision{Kind: results.Certificate,
			Text:  fmt.Sprintf("%s (семья) не является получателем адресной социальной помощи.", name),
			Facts: []results.Fact{{Label: "Принадлежность к получателям АСП", Value: "не относится"}, {Label: "По состоянию на", Value: in.Now.Format("02.01.2006")}},
		}, nil
	}
	return &provider.Decision{Kind: results.Certificate,
		Text: fmt.Sprintf("%s (семья) является получателем адресной социальной помощи.", name),
		Facts: []results.Fact{
			{Label: "Принадлежность к получателям АСП", Value: "относится"},
			{Label: "Период назначения", Value: rec.From.Format("02.01.2006") + " – " + rec.Until.AddDate(0, 0, -1).Format("02.01.2006")},
			{Label: "Заявитель, которому назначена АСП", Value: rec.IIN},
		},
	}, nil
}
