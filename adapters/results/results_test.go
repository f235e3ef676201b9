package results

import (
	"bytes"
	"errors"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

var almaty = time.FixedZone("+05", 5*60*60)

const (
	recipientIIN = "931002451325"
	officialIIN  = "800512300010"
	providerBIN  = "021140000128"
)

// sample returns a complete document of kind k, with Russian and Kazakh text (all of
// ә ғ қ ң ө ұ ү һ і).
func sample(k Kind) *Document {
	d := &Document{
		Kind:              k,
		Number:            "01-12/4567",
		ApplicationNumber: "KZ-2026-000123",
		ServiceID:         "AKT-3",
		ServiceNameRU:     "Выдача справки безработным гражданам",
		ServiceNameKZ:     "Жұмыссыз азаматтарға анықтама беру",
		Issued:            time.Date(2026, 11, 22, 15, 4, 5, 0, almaty),
		Provider: Organisation{
			NameRU: "ГУ «Отдел занятости и социальных программ города Актобе»",
			NameKZ: "«Ақтөбе қаласының жұмыспен қамту және әлеуметтік бағдарламалар бөлімі» ММ",
			BIN:    providerBIN,
		},
		Recipient: Person{IIN: recipientIIN, Name: "ИВАНОВА АЙГҮЛ СЕРІКҚЫЗЫ"},
		Text:      "Настоящая справка выдана в том, что гражданин зарегистрирован в качестве безработного.\nСправка действительна 30 дней.",
		TextKZ:    "Осы анықтама азаматтың жұмыссыз ретінде тіркелгені туралы берілді: әғқңөұүһі ӘҒҚҢӨҰҮҺІ.",
		Facts: []Fact{
			{"Дата регистрации в качестве безработного", "22.11.2026"},
			{"Мекенжайы", "Ақтөбе қ., Әбілқайыр хан даңғылы, 40 — «кавычки» & <угловые>"},
		},
		Basis:    "п. 10 Стандарта государственной услуги",
		Official: Official{IIN: officialIIN, Name: "ӘБІЛҚАЙЫРОВ ҒАЛЫМ ҰЛАНҰЛЫ", Position: "Руководитель отдела"},
	}
	switch k {
	case Notification:
		d.Text = "Уведомляем Вас о назначении социальной выплаты на случай потери работы."
		d.Basis = ""
	case Resolution:
		d.Text = "Установить опеку над несовершеннолетним."
		d.Basis = "постановление акимата № 198"
	case Refusal:
		d.Text = ""
		d.TextKZ = ""
		d.Facts = nil
		d.Reason = "В представленном пакете отсутствует копия трудовой книжки (п. 9 Стандарта).\nҚұжаттар толық емес."
	}
	return d
}

var kinds = []Kind{Certificate, Notification, Resolution, Refusal}

func TestValidate(t *testing.T) {
	for _, k := range kinds {
		if err := sample(k).Validate(); err != nil {
			t.Fatalf("%s sample: %v", k, err)
		}
	}
	tests := []struct {
		name   string
		kind   Kind
		change func(d *Document)
		field  string
	}{
		{"unknown kind", Certificate, func(d *Document) { d.Kind = "letter" }, "kind"},
		{"no number", Certificate, func(d *Document) { d.Number = "" }, "number"},
		{"blank number", Refusal, func(d *Document) { d.Number = "  " }, "number"},
		{"no application number", Notification, func(d *Document) { d.ApplicationNumber = "" }, "applicationNumber"},
		{"no service id", Certificate, func(d *Document) { d.ServiceID = "" }, "service/id"},
		{"no service name", Resolution, func(d *Document) { d.ServiceNameRU = "" }, "service/nameRU"},
		{"no issue time", Certificate, func(d *Document) { d.Issued = time.Time{} }, "issued"},
		{"zone offset in seconds", Certificate, func(d *Document) { d.Issued = d.Issued.In(time.FixedZone("LMT", 4*3600+51*60+40)) }, "issued"},
		{"no provider name", Certificate, func(d *Document) { d.Provider.NameRU = "" }, "provider/nameRU"},
		{"short БИН", Refusal, func(d *Document) { d.Provider.BIN = "02114000012" }, "provider/bin"},
		{"letters in ИИН", Certificate, func(d *Document) { d.Recipient.IIN = "93100245132X" }, "recipient/iin"},
		{"no recipient ИИН", Notification, func(d *Document) { d.Recipient.IIN = "" }, "recipient/iin"},
		{"no recipient name", Certificate, func(d *Document) { d.Recipient.Name = "" }, "recipient/name"},
		{"no official ИИН", Refusal, func(d *Document) { d.Official.IIN = "" }, "official/iin"},
		{"no official name", Certificate, func(d *Document) { d.Official.Name = "" }, "official/name"},
		{"no official position", Resolution, func(d *Document) { d.Official.Position = "" }, "official/position"},
		{"certificate without text", Certificate, func(d *Document) { d.Text = "" }, "text"},
		{"notification without text", Notification, func(d *Document) { d.Text = " \n" }, "text"},
		{"resolution without text", Resolution, func(d *Document) { d.Text = "" }, "text"},
		{"resolution without basis", Resolution, func(d *Document) { d.Basis = "" }, "basis"},
		{"refusal without reason", Refusal, func(d *Document) { d.Reason = "" }, "reason"},
		{"refusal without basis", Refusal, func(d *Document) { d.Basis = "" }, "basis"},
		{"reason on a certificate", Certificate, func(d *Document) { d.Reason = "нет" }, "reason"},
		{"reason on a notification", Notification, func(d *Document) { d.Reason = "нет" }, "reason"},
		{"reason on a resolution", Resolution, func(d *Document) { d.Reason = "нет" }, "reason"},
		{"fact without label", Certificate, func(d *Document) { d.Facts[1].Label = "" }, "facts[1]/label"},
		{"fact without value", Certificate, func(d *Document) { d.Facts[0].Value = "" }, "facts[0]/value"},
		{"control character", Certificate, func(d *Document) { d.Text = "a\x01b" }, "text"},
		{"invalid UTF-8", Refusal, func(d *Document) { d.Reason = "a\xffb" }, "reason"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := sample(tc.kind)
			tc.change(d)
			err := d.Validate()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("Validate = %v; want ErrInvalid about %s", err, tc.field)
			}
			if _, err := d.Marshal(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Marshal of an invalid document: %v", err)
			}
		})
	}
	// Optional fields may be empty.
	d := sample(Certificate)
	d.ServiceNameKZ, d.Provider.NameKZ, d.TextKZ, d.Facts, d.Basis, d.TitleRU, d.TitleKZ = "", "", "", nil, "", "", ""
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
}

// withDefaults is d as Parse returns it after Marshal: the titles written.
func withDefaults(d *Document) *Document {
	c := *d
	c.TitleRU, c.TitleKZ = d.titles()
	return &c
}

func sameDocument(t *testing.T, got, want *Document) {
	t.Helper()
	if !got.Issued.Equal(want.Issued) {
		t.Fatalf("issued %v, want %v", got.Issued, want.Issued)
	}
	g := *got
	g.Issued = want.Issued
	if !reflect.DeepEqual(&g, want) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", &g, want)
	}
}

func TestMarshalParse(t *testing.T) {
	for _, k := range kinds {
		t.Run(string(k), func(t *testing.T) {
			d := sample(k)
			b, err := d.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<res:result xmlns:res="urn:shep:result:1.0" id="result-01-12_4567">`)) {
				t.Fatalf("head:\n%s", b)
			}
			for _, s := range []string{"әғқңөұүһі", "ӘБІЛҚАЙЫРОВ ҒАЛЫМ ҰЛАНҰЛЫ", "<res:kind>" + string(k) + "</res:kind>"} {
				if k != Refusal && !bytes.Contains(b, []byte(s)) {
					t.Fatalf("%q not written:\n%s", s, b)
				}
			}
			again, _ := d.Marshal()
			if !bytes.Equal(b, again) {
				t.Fatal("Marshal is not deterministic")
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			sameDocument(t, got, withDefaults(d))
			// What was read marshals to the same bytes.
			if b2, err := got.Marshal(); err != nil || !bytes.Equal(b2, b) {
				t.Fatalf("re-marshal differs: %v\n%s", err, b2)
			}
		})
	}
	// Own titles, a carriage return and markup characters survive.
	d := sample(Certificate)
	d.TitleRU, d.TitleKZ = "СПРАВКА О РЕГИСТРАЦИИ", "ТІРКЕУ ТУРАЛЫ АНЫҚТАМА"
	d.Text = "строка 1\r\nстрока 2 <b>&amp;</b>\tтаб"
	d.Issued = time.Date(2026, 11, 22, 15, 4, 5, 123456789, time.UTC)
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	sameDocument(t, got, d)
}

func TestParseRefuses(t *testing.T) {
	b, err := sample(Certificate).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	tests := map[string]string{
		"other namespace":         strings.Replace(doc, Namespace, "urn:other", 1),
		"no id":                   strings.Replace(doc, ` id="result-01-12_4567"`, "", 1),
		"unknown element":         strings.Replace(doc, "<res:titleRU>", "<res:evil/><res:titleRU>", 1),
		"foreign element at end":  strings.Replace(doc, "</res:result>", "<x:y xmlns:x=\"urn:x\"/></res:result>", 1),
		"out of order":            swap(doc, "<res:number>01-12/4567</res:number>", "<res:applicationNumber>KZ-2026-000123</res:applicationNumber>"),
		"text in a container":     strings.Replace(doc, "<res:recipient>", "<res:recipient>текст", 1),
		"element in a text":       strings.Replace(doc, "<res:number>01-12/4567", "<res:number><res:b/>01-12/4567", 1),
		"no zone":                 strings.Replace(doc, "2026-11-22T15:04:05+05:00", "2026-11-22T15:04:05", 1),
		"reason on a certificate": strings.Replace(doc, "<res:basis>", "<res:reason>нет</res:reason><res:basis>", 1),
		"bad kind":                strings.Replace(doc, ">certificate<", ">letter<", 1),
		"empty facts":             strings.Replace(doc, doc[strings.Index(doc, "<res:facts>"):strings.Index(doc, "</res:facts>")], "<res:facts>", 1),
		"missing official":        doc[:strings.Index(doc, "<res:official>")] + "</res:result>",
		"not XML":                 "<res:result",
		"DTD":                     `<!DOCTYPE x [<!ENTITY e "x">]>` + doc[strings.Index(doc, "<res:result"):],
		"signature not last":      strings.Replace(doc, "<res:official>", `<ds:Signature xmlns:ds="`+signing.NSDSig+`"/><res:official>`, 1),
		"second signature at end": strings.Replace(doc, "</res:result>", `<ds:Signature xmlns:ds="`+signing.NSDSig+`"/><ds:Signature xmlns:ds="`+signing.NSDSig+`"/></res:result>`, 1),
		"ИИН of 11 digits":        strings.Replace(doc, "<res:iin>931002451325</res:iin>", "<res:iin>93100245132</res:iin>", 1),
		"fact without value":      strings.Replace(doc, "<res:value>22.11.2026</res:value>", "", 1),
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(s)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v; want ErrInvalid", err)
			}
		})
	}
	// A trailing signature element is skipped.
	withSig := strings.Replace(doc, "</res:result>", `<ds:Signature xmlns:ds="`+signing.NSDSig+`"/></res:result>`, 1)
	if _, err := Parse([]byte(withSig)); err != nil {
		t.Fatal(err)
	}
}

// swap exchanges two substrings of s.
func swap(s, a, b string) string {
	return strings.NewReplacer(a, b, b, a).Replace(s)
}

// pki is a test НУЦ with an official of the provider.
type pki struct {
	a      *ca.Authority
	signer *ca.Issued
	dir    string
	root   string // PEM files for xmlsec1
	inter  string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	a := testpki.NewCA(t, ca.Options{})
	iss := testpki.Issue(t, a, ca.IssueRequest{
		Kind: ca.KindOfficial, IIN: officialIIN, BIN: providerBIN,
		Name: "ӘБІЛҚАЙЫРОВ ҒАЛЫМ ҰЛАНҰЛЫ", Organization: "ГУ «ОТДЕЛ ЗАНЯТОСТИ И СОЦИАЛЬНЫХ ПРОГРАММ ГОРОДА АКТОБЕ»",
	})
	dir := t.TempDir()
	return &pki{
		a: a, signer: iss, dir: dir,
		root:  testpki.Write(t, dir, "root.pem", ca.PEMCertificate(a.Root())),
		inter: testpki.Write(t, dir, "issuing.pem", ca.PEMCertificate(a.Issuing())),
	}
}

// xmlsec1Verify runs the independent verifier on a signed result document.
func (p *pki) xmlsec1Verify(t *testing.T, name string, doc []byte) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatal("xmlsec1 not found: apt-get install -y xmlsec1")
	}
	f := testpki.Write(t, p.dir, name, doc)
	out, err := exec.Command(bin, "--verify", "--trusted-pem", p.root, "--untrusted-pem", p.inter,
		"--id-attr:id", Namespace+":result", f).CombinedOutput()
	return string(out), err
}

// validIdentities checks the constants the tests use are real ИИН/БИН, and that certs.NewIIN and
// NewBIN make them.
func TestIdentities(t *testing.T) {
	if _, err := certs.ParseIIN(officialIIN, certs.ParseOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.ParseIIN(recipientIIN, certs.ParseOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.ParseBIN(providerBIN, certs.ParseOptions{}); err != nil {
		t.Fatal(err)
	}
	iin, err := certs.NewIIN(time.Date(1980, 5, 12, 0, 0, 0, 0, time.UTC), certs.SexMale, 1)
	if err != nil || iin.Digits != officialIIN {
		t.Fatalf("NewIIN = %v, %v", iin.Digits, err)
	}
	bin, err := certs.NewBIN(time.Date(2002, 11, 1, 0, 0, 0, 0, time.UTC), certs.EntityResident, certs.AttrHeadOffice, 12)
	if err != nil || bin.Digits != providerBIN {
		t.Fatalf("NewBIN = %v, %v", bin.Digits, err)
	}
}

func TestSignVerify(t *testing.T) {
	p := newPKI(t)
	for _, k := range kinds {
		t.Run(string(k), func(t *testing.T) {
			d := sample(k)
			signed, err := Sign(d, p.signer.Key, p.signer.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(signed, []byte(`URI="#result-01-12_4567"`)) ||
				!bytes.Contains(signed, []byte("http://www.w3.org/2001/10/xml-exc-c14n#")) {
				t.Fatalf("signature layout:\n%s", signed)
			}
			v, err := signing.VerifyEnveloped(signed, signing.Options{})
			if err != nil {
				t.Fatalf("VerifyEnveloped: %v\n%s", err, signed)
			}
			if !v.Certificate.Equal(p.signer.Certificate) {
				t.Fatal("verified with another certificate")
			}
			got, err := ParseElement(v.Element)
			if err != nil {
				t.Fatal(err)
			}
			sameDocument(t, got, withDefaults(d))
			fromBytes, err := Parse(signed)
			if err != nil {
				t.Fatal(err)
			}
			sameDocument(t, fromBytes, withDefaults(d))
			if out, err := p.xmlsec1Verify(t, string(k)+".xml", signed); err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("xmlsec1 refuses: %v\n%s\n%s", err, out, signed)
			}

			// Tampering with a fact (or the reason of a refusal) fails both verifiers.
			old, repl := "22.11.2026", "23.11.2026"
			if k == Refusal {
				old, repl = "трудовой книжки", "паспорта"
			}
			if bytes.Count(signed, []byte(old)) != 1 {
				t.Fatalf("%q not in the signed document once", old)
			}
			tampered := bytes.Replace(signed, []byte(old), []byte(repl), 1)
			if _, err := signing.VerifyEnveloped(tampered, signing.Options{}); signing.CodeOf(err) != string(signing.CodeSigDigestMismatch) {
				t.Fatalf("VerifyEnveloped accepts a tampered document: %v", err)
			}
			if out, err := p.xmlsec1Verify(t, string(k)+"-tampered.xml", tampered); err == nil {
				t.Fatalf("xmlsec1 accepts a tampered document:\n%s", out)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	p := newPKI(t)
	d := sample(Certificate)
	d.Official.IIN = recipientIIN
	if _, err := Sign(d, p.signer.Key, p.signer.Certificate); !errors.Is(err, ErrSigner) {
		t.Fatalf("another official's ИИН: %v", err)
	}
	d = sample(Certificate)
	d.Provider.BIN = "160440007161"
	if _, err := Sign(d, p.signer.Key, p.signer.Certificate); !errors.Is(err, ErrSigner) {
		t.Fatalf("another provider's БИН: %v", err)
	}
	d = sample(Refusal)
	d.Reason = ""
	if _, err := Sign(d, p.signer.Key, p.signer.Certificate); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid document signed: %v", err)
	}
	other := testpki.Issue(t, p.a, ca.IssueRequest{Kind: ca.KindOfficial, IIN: officialIIN, BIN: providerBIN})
	if _, err := Sign(sample(Certificate), other.Key, p.signer.Certificate); err == nil {
		t.Fatal("signed with a key that is not the certificate's")
	}
}

// The unsigned and the signed documents are valid against result.xsd (libxml2, python3-lxml).
func TestSchema(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import lxml.etree").Run(); err != nil {
		t.Fatalf("python3-lxml is required: apt-get install -y python3-lxml: %v", err)
	}
	p := newPKI(t)
	dir := t.TempDir()
	xsd := testpki.Write(t, dir, "result.xsd", Schema)
	var valid []string
	for _, k := range kinds {
		b, err := sample(k).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		signed, err := Sign(sample(k), p.signer.Key, p.signer.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		valid = append(valid, testpki.Write(t, dir, string(k)+".xml", b), testpki.Write(t, dir, string(k)+"-signed.xml", signed))
	}
	d := sample(Certificate)
	d.ServiceNameKZ, d.Provider.NameKZ, d.TextKZ, d.Facts, d.Basis = "", "", "", nil, ""
	minimal, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	valid = append(valid, testpki.Write(t, dir, "minimal.xml", minimal))
	b, _ := sample(Certificate).Marshal()
	doc := string(b)
	invalid := map[string]string{
		"unknown element":  strings.Replace(doc, "<res:titleRU>", "<res:evil/><res:titleRU>", 1),
		"bad ИИН":          strings.Replace(doc, "<res:iin>931002451325</res:iin>", "<res:iin>9310024513</res:iin>", 1),
		"no zone":          strings.Replace(doc, "2026-11-22T15:04:05+05:00", "2026-11-22T15:04:05", 1),
		"blank number":     strings.Replace(doc, "<res:number>01-12/4567</res:number>", "<res:number> </res:number>", 1),
		"other signature":  strings.Replace(doc, "</res:result>", `<x:Signature xmlns:x="urn:x"/></res:result>`, 1),
		"no id":            strings.Replace(doc, ` id="result-01-12_4567"`, "", 1),
		"kind not a value": strings.Replace(doc, ">certificate<", ">letter<", 1),
	}
	script := `
import sys, lxml.etree as E
xsd = E.XMLSchema(E.parse(sys.argv[1]))
bad = 0
for f in sys.argv[2:]:
    ok = xsd.validate(E.parse(f))
    want = not f.endswith(".invalid.xml")
    if ok != want:
        bad += 1
        print("FAIL", f, "valid" if ok else xsd.error_log)
print("checked", len(sys.argv) - 2)
sys.exit(1 if bad else 0)
`
	files := append([]string{}, valid...)
	for name, s := range invalid {
		files = append(files, testpki.Write(t, dir, strings.ReplaceAll(name, " ", "-")+".invalid.xml", []byte(s)))
	}
	out, err := exec.Command(py, append([]string{"-c", script, xsd}, files...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "checked "+strconv.Itoa(len(files))) {
		t.Fatalf("schema validation: %v\n%s", err, out)
	}
}
