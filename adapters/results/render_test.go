package results

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func render(t *testing.T, d *Document, v *Verdict, lang string) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderHTML(&b, d, v, lang); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderHTML(t *testing.T) {
	valid := &Verdict{Valid: true, SignerName: "ӘБІЛҚАЙЫРОВ ҒАЛЫМ", SignerIIN: officialIIN, SignerBIN: providerBIN,
		SignerOrg: "ГУ «ОТДЕЛ ЗАНЯТОСТИ»", CheckedAt: time.Date(2026, 11, 22, 16, 0, 0, 0, almaty)}
	broken := &Verdict{Code: "SIG_DIGEST_MISMATCH", Message: "документ изменён после подписания", SignerName: "ӘБІЛҚАЙЫРОВ ҒАЛЫМ"}
	refusal := sample(Refusal)
	xss := sample(Certificate)
	xss.Text = `<script>alert("x")</script> и «кавычки»`
	xss.Facts[0].Value = `<img src=x onerror=alert(1)>`

	tests := []struct {
		name    string
		doc     *Document
		v       *Verdict
		lang    string
		want    []string
		notWant []string
	}{
		{"certificate, valid, ru", sample(Certificate), valid, "ru",
			[]string{`<html lang="ru">`, "СПРАВКА", "01-12/4567", "22.11.2026 15:04", "KZ-2026-000123",
				"ИВАНОВА АЙГҮЛ СЕРІКҚЫЗЫ", recipientIIN, "Выдача справки безработным гражданам",
				"Дата регистрации в качестве безработного", "22.11.2026", "Настоящая справка выдана",
				"<p>Справка действительна 30 дней.</p>", "п. 10 Стандарта", "Руководитель отдела", "ӘБІЛҚАЙЫРОВ ҒАЛЫМ ҰЛАНҰЛЫ",
				`class="sig valid"`, "Подпись действительна", "ӘБІЛҚАЙЫРОВ ҒАЛЫМ", "ГУ «ОТДЕЛ ЗАНЯТОСТИ»", "22.11.2026 16:00:00 &#43;05:00",
				"&lt;угловые&gt;", "&amp;"},
			[]string{"Обоснование отказа", "Подпись недействительна", `class="reason"`}},
		{"refusal, invalid, ru", refusal, broken, "ru",
			[]string{"МОТИВИРОВАННЫЙ ОТВЕТ ОБ ОТКАЗЕ", `<section class="reason">`, "Обоснование отказа",
				"отсутствует копия трудовой книжки", "Құжаттар толық емес.", `class="sig invalid"`, "Подпись недействительна",
				"SIG_DIGEST_MISMATCH", "документ изменён после подписания"},
			[]string{"Подпись действительна<", "Настоящая справка"}},
		{"certificate, unchecked, kk", sample(Certificate), nil, "kk",
			[]string{`<html lang="kk">`, "АНЫҚТАМА", "Тіркеу нөмірі", "Жұмыссыз азаматтарға анықтама беру",
				"«Ақтөбе қаласының жұмыспен қамту", "Осы анықтама азаматтың", "әғқңөұүһі", "ЖСН", "Қолтаңба тексерілмеген"},
			[]string{"Настоящая справка", "Регистрационный номер", `class="sig valid"`, `class="sig invalid"`}},
		{"refusal, valid, kk", refusal, valid, "kk",
			[]string{"БАС ТАРТУ ТУРАЛЫ ДӘЛЕЛДІ ЖАУАП", "Бас тарту негіздемесі", "трудовой книжки", "Қолтаңба жарамды"},
			nil},
		{"escaping", xss, valid, "ru",
			[]string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; и «кавычки»", "&lt;img src=x onerror=alert(1)&gt;"},
			[]string{"<script", "<img"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := render(t, tc.doc, tc.v, tc.lang)
			for _, s := range tc.want {
				if !strings.Contains(out, s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(out, s) {
					t.Errorf("unexpected %q", s)
				}
			}
			// Self-contained: no external stylesheet, script, image or font.
			for _, s := range []string{"<link", "<script", "src=\"", "url(", "@import", "http://", "https://"} {
				if strings.Contains(out, s) {
					t.Errorf("external asset %q", s)
				}
			}
			if t.Failed() {
				t.Log(out)
			}
		})
	}
}

func TestRenderHTMLRefuses(t *testing.T) {
	var b bytes.Buffer
	if err := RenderHTML(&b, sample(Certificate), nil, "en"); err == nil || b.Len() != 0 {
		t.Fatalf("language en: %v, %d bytes written", err, b.Len())
	}
	if err := RenderHTML(&b, nil, nil, "ru"); err == nil {
		t.Fatal("nil document rendered")
	}
	w := failingWriter{}
	if err := RenderHTML(w, sample(Certificate), nil, "ru"); !errors.Is(err, errWrite) {
		t.Fatalf("write error: %v", err)
	}
}

var errWrite = errors.New("write failed")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }
