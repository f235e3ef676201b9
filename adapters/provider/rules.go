package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/results"
)

// Bases of refusals, as the regulations cite them (services.md §3.2 M7, M9).
const (
	BasisDocuments = "нарушения в пакете документов услугополучателя (п. 9 Стандарта государственной услуги)"
	BasisGrounds   = "основания для отказа, предусмотренные п. 10 Стандарта государственной услуги"
	BasisNoData    = "отсутствие сведений об услугополучателе в ГБД ФЛ"
)

// CheckPerson refuses when the applicant is not in ГБД ФЛ or is deceased; nil otherwise.
func CheckPerson(in *Input) *Decision {
	if in.Person == nil {
		return Refusal(BasisNoData, "Сведения об услугополучателе (ИИН %s) отсутствуют в ГБД ФЛ.", in.Case.Applicant.IIN)
	}
	if in.Person.Deceased {
		return Refusal(BasisGrounds, "Услугополучатель (ИИН %s) по сведениям ГБД ФЛ умер%s.", in.Case.Applicant.IIN, deathDate(in.Person))
	}
	return nil
}

func deathDate(p *gbdfl.Person) string {
	if p.DeathDate.IsZero() {
		return ""
	}
	return " " + p.DeathDate.Format("02.01.2006")
}

// docNames are the Russian names of the document types applications attach.
var docNames = map[string]string{
	"identity-document":      "документ, удостоверяющий личность",
	"employment-record":      "документ, подтверждающий трудовую деятельность",
	"birth-certificate":      "свидетельство о рождении ребёнка",
	"address-certificate":    "справка адресного бюро",
	"pmpk-conclusion":        "заключение психолого-медико-педагогической консультации",
	"disability-certificate": "справка об инвалидности",
	"bank-account":           "документ о наличии счёта в банке",
	"medical-conclusion":     "медицинское заключение",
	"income-certificate":     "сведения о доходах",
	"guardianship-request":   "заявление о назначении опекуна (попечителя)",
	"property-documents":     "документы на имущество",
	"repatriate-documents":   "документы, подтверждающие принадлежность к этническим казахам",
}

// DocName returns the Russian name of a document type (the code itself when unknown).
func DocName(typ string) string {
	if n, ok := docNames[typ]; ok {
		return n
	}
	return typ
}

// RequireAttachments refuses (M7) when the application lacks attachments of the given types; with
// no types it requires at least one attachment of any type.
func RequireAttachments(in *Input, types ...string) *Decision {
	if in.App == nil {
		return Refusal(BasisDocuments, "Заявление не содержит документов.")
	}
	if len(types) == 0 {
		if len(in.App.Attachments) == 0 {
			return Refusal(BasisDocuments, "К заявлению не приложены документы, предусмотренные п. 9 Стандарта государственной услуги.")
		}
		return nil
	}
	var missing []string
	for _, t := range types {
		if !in.App.HasAttachment(t) {
			missing = append(missing, DocName(t))
		}
	}
	if len(missing) > 0 {
		return Refusal(BasisDocuments, "К заявлению не приложены: %s.", strings.Join(missing, "; "))
	}
	return nil
}

// Age returns the full years of p at t.
func Age(p *gbdfl.Person, t time.Time) int {
	y := t.Year() - p.BirthDate.Year()
	if t.Month() < p.BirthDate.Month() || t.Month() == p.BirthDate.Month() && t.Day() < p.BirthDate.Day() {
		y--
	}
	return y
}

// FullName of a ГБД ФЛ person.
func FullName(p *gbdfl.Person) string {
	return strings.TrimSpace(strings.Join([]string{p.Surname, p.Name, p.Patronymic}, " "))
}

// Generic are the rules of a provider that registers applications and decides them as the
// catalogue describes, with no register of its own (АРМ РШЭП's inbox): the applicant must be in
// ГБД ФЛ and alive, and the package must hold the documents of Required (any one when empty).
type Generic struct {
	Required []string
}

// Check implements Rules.
func (g Generic) Check(ctx context.Context, in *Input) (*Decision, error) {
	if d := CheckPerson(in); d != nil {
		return d, nil
	}
	return RequireAttachments(in, g.Required...), nil
}

// Decide implements Rules: the service's positive result.
func (g Generic) Decide(ctx context.Context, in *Input) (*Decision, error) {
	if d := CheckPerson(in); d != nil {
		return d, nil
	}
	return &Decision{
		Text: fmt.Sprintf("По заявлению № %s государственная услуга «%s» оказана.", in.Case.Number, in.Service.NameRU),
		Facts: []results.Fact{
			{Label: "Услугополучатель", Value: FullName(in.Person)},
			{Label: "Дата регистрации заявления", Value: in.Case.Received.Format("02.01.2006")},
		},
	}, nil
}
