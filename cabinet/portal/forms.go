package portal

// FieldSpec is a field of a service's form.
type FieldSpec struct {
	Name             string // the application field's name, as the provider's rules read it
	LabelRU, LabelKZ string
	Kind             string // text, date, checkbox, iin
	Required         bool
}

// AttachmentSpec is a document the form asks for.
type AttachmentSpec struct {
	Type             string // the attachment's type attribute
	LabelRU, LabelKZ string
	Required         bool
}

// Spec is a service's form.
type Spec struct {
	Fields      []FieldSpec
	Attachments []AttachmentSpec
}

var (
	employmentRecord = AttachmentSpec{"employment-record", "Документ о трудовой деятельности", "Еңбек қызметі туралы құжат", false}
	identityDocument = AttachmentSpec{"identity-document", "Документ, удостоверяющий личность", "Жеке басын куәландыратын құжат", false}
)

// forms are the portal's forms, by service, after what the providers' rules check
// (adapters/labour, adapters/esobes, adapters/rshep). Other services get the generic form.
var forms = map[string]Spec{
	"AKT-1": {Fields: []FieldSpec{
		{"lastEmployer", "Последнее место работы", "Соңғы жұмыс орны", "text", false},
		{"dismissalDate", "Дата увольнения", "Жұмыстан босатылған күні", "date", false},
		{"neverEmployed", "Ранее не работал(а)", "Бұрын жұмыс істемеген", "checkbox", false},
	}, Attachments: []AttachmentSpec{employmentRecord}},
	"AKM-1": {Fields: []FieldSpec{
		{"lastEmployer", "Последнее место работы", "Соңғы жұмыс орны", "text", false},
		{"neverEmployed", "Ранее не работал(а)", "Бұрын жұмыс істемеген", "checkbox", false},
	}, Attachments: []AttachmentSpec{employmentRecord}},
	"AKT-3":  {},
	"ALM-1":  {},
	"AKT-8":  {},
	"ZKO-10": {},
	"AKT-6":  homeEducation,
	"ALM-2":  homeEducation,
	"ZKO-9":  homeEducation,
	"KRG-1":  {Attachments: []AttachmentSpec{identityDocument, {"guardianship-request", "Заявление об установлении опеки", "Қамқоршылық белгілеу туралы өтініш", false}}},
}

var homeEducation = Spec{
	Fields: []FieldSpec{{"childIIN", "ИИН ребёнка", "Баланың ЖСН", "iin", true}},
	Attachments: []AttachmentSpec{
		{"pmpk-conclusion", "Заключение ПМПК", "ПМПК қорытындысы", true},
		{"disability-certificate", "Справка об инвалидности", "Мүгедектік туралы анықтама", true},
		{"bank-account", "Реквизиты банковского счёта", "Банк шотының деректемелері", true},
	},
}

// FormOf returns the form of a service: its own, or the generic one (a document package).
func FormOf(serviceID string) Spec {
	if s, ok := forms[serviceID]; ok {
		return s
	}
	return Spec{Attachments: []AttachmentSpec{identityDocument, {"other", "Иные документы", "Басқа құжаттар", false}}}
}
