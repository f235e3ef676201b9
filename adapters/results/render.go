package results

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// Verdict is the outcome of checking a result document's signature, shown by RenderHTML.
type Verdict struct {
	Valid         bool
	Code, Message string // why the signature was refused (Valid false)
	SignerName    string
	SignerIIN     string
	SignerBIN     string
	SignerOrg     string
	CheckedAt     time.Time
}

//go:embed result.html.tmpl
var pageSource string

var page = template.Must(template.New("result").Parse(pageSource))

// labels are the captions of the page by language.
type labels struct {
	Lang, Number, Issued, Application, Service, Provider, BIN, Recipient, IIN, Reason, Basis,
	Official, Signature, Valid, Invalid, Unchecked, Signer, Org, CheckedAt, Code, Footer string
}

var captions = map[string]labels{
	"ru": {
		Lang: "ru", Number: "Регистрационный номер", Issued: "Дата выдачи", Application: "Номер заявления",
		Service: "Государственная услуга", Provider: "Услугодатель", BIN: "БИН", Recipient: "Услугополучатель",
		IIN: "ИИН", Reason: "Обоснование отказа", Basis: "Основание", Official: "Уполномоченное лицо",
		Signature: "Электронная цифровая подпись", Valid: "Подпись действительна", Invalid: "Подпись недействительна",
		Unchecked: "Подпись не проверялась", Signer: "Подписал", Org: "Организация", CheckedAt: "Проверено",
		Code: "Код", Footer: "Документ сформирован в информационной системе услугодателя и подписан электронной цифровой подписью уполномоченного лица.",
	},
	"kk": {
		Lang: "kk", Number: "Тіркеу нөмірі", Issued: "Берілген күні", Application: "Өтініш нөмірі",
		Service: "Мемлекеттік қызмет", Provider: "Көрсетілетін қызметті беруші", BIN: "БСН",
		Recipient: "Көрсетілетін қызметті алушы", IIN: "ЖСН", Reason: "Бас тарту негіздемесі", Basis: "Негіздеме",
		Official: "Уәкілетті тұлға", Signature: "Электрондық цифрлық қолтаңба", Valid: "Қолтаңба жарамды",
		Invalid: "Қолтаңба жарамсыз", Unchecked: "Қолтаңба тексерілмеген", Signer: "Қол қойған", Org: "Ұйым",
		CheckedAt: "Тексерілген уақыты", Code: "Коды", Footer: "Құжат көрсетілетін қызметті берушінің ақпараттық жүйесінде қалыптастырылған және уәкілетті тұлғаның электрондық цифрлық қолтаңбасымен қол қойылған.",
	},
}

// view is what the template shows: the document in one language.
type view struct {
	L                               labels
	Title, Subtitle, Number, Issued string
	Application, ServiceID, Service string
	ProviderName, ProviderBIN       string
	RecipientName, RecipientIIN     string
	Paragraphs                      []string
	Facts                           []Fact
	Refusal                         bool
	Reason                          []string
	Basis                           string
	OfficialName, OfficialPosition  string
	Verdict                         *Verdict
	CheckedAt                       string
}

// RenderHTML writes the document as a self-contained HTML page (inline CSS, no external assets)
// in lang "ru" or "kk": title, number, dates, provider, recipient, the statement, the facts, the
// reason of a refusal (highlighted), the legal basis, the official, and the signature verdict (v
// nil: not checked). Kazakh fields fall back to the Russian ones when empty. Nothing is written
// when it fails.
func RenderHTML(w io.Writer, d *Document, v *Verdict, lang string) error {
	if d == nil {
		return errors.New("results: render: nil document")
	}
	l, ok := captions[lang]
	if !ok {
		return fmt.Errorf("results: render: language %q: want ru or kk", lang)
	}
	ru, kz := d.titles()
	vw := view{
		L: l, Title: ru, Subtitle: kz, Number: d.Number, Issued: d.Issued.Format("02.01.2006 15:04"),
		Application: d.ApplicationNumber, ServiceID: d.ServiceID, Service: d.ServiceNameRU,
		ProviderName: d.Provider.NameRU, ProviderBIN: d.Provider.BIN,
		RecipientName: d.Recipient.Name, RecipientIIN: d.Recipient.IIN,
		Paragraphs: paragraphs(d.Text), Facts: d.Facts,
		Refusal: d.Kind == Refusal, Reason: paragraphs(d.Reason), Basis: d.Basis,
		OfficialName: d.Official.Name, OfficialPosition: d.Official.Position,
		Verdict: v,
	}
	if lang == "kk" {
		vw.Title, vw.Subtitle = kz, ru
		vw.Service = or(d.ServiceNameKZ, d.ServiceNameRU)
		vw.ProviderName = or(d.Provider.NameKZ, d.Provider.NameRU)
		vw.Paragraphs = paragraphs(or(d.TextKZ, d.Text))
	}
	if v != nil && !v.CheckedAt.IsZero() {
		vw.CheckedAt = v.CheckedAt.Format("02.01.2006 15:04:05 -07:00")
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, vw); err != nil {
		return fmt.Errorf("results: render: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func or(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// paragraphs splits a text at line breaks: each non-empty line is a paragraph.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
