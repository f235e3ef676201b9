package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters/builtin"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/esobes"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/labour"
	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

// allAttachments is a package holding every document type the services' rules ask for.
var allAttachments = []string{"identity-document", "employment-record", "birth-certificate", "pmpk-conclusion", "disability-certificate",
	"bank-account", "guardianship-request", "repatriate-documents"}

// needsDocuments are the services whose formal check requires attached documents (the
// certificate services only need the person).
func needsDocuments(id string) bool {
	return !slices.Contains([]string{"AKT-3", "ALM-1", "AKT-8", "ZKO-10"}, id)
}

var personSerial atomic.Int32

// person enters a new adult (born 1990) and, when withChild, a child (born 2016) into ГБД ФЛ.
func (w *world) person(deceased bool, withChild bool) (adult, child *gbdfl.Person) {
	w.t.Helper()
	mk := func(birth time.Time, sex certs.Sex, mother string) *gbdfl.Person {
		for {
			iin, err := certs.NewIIN(birth, sex, int(1000+personSerial.Add(1)))
			if err != nil {
				continue
			}
			p := &gbdfl.Person{IIN: iin.Digits, Surname: "ТЕСТОВА", Name: "ГУЛЬМИРА", Patronymic: "СЕРИКОВНА", BirthDate: birth, Female: sex == certs.SexFemale,
				Nationality: "КАЗАХ", Citizenship: "КАЗАХСТАН", BirthPlace: "КАЗАХСТАН, Г. АКТОБЕ", RegAddress: "КАЗАХСТАН, Г. АКТОБЕ, УЛ. АБАЯ, Д. 3",
				MotherIIN: mother, Region: "AKT"}
			if sex == certs.SexMale {
				p.Surname, p.Name, p.Patronymic = "ТЕСТОВ", "АЛИБЕК", "САУЛЕТОВИЧ"
			}
			return p
		}
	}
	adult = mk(time.Date(1990, 3, 14, 0, 0, 0, 0, time.UTC), certs.SexFemale, "")
	if deceased {
		adult.Deceased, adult.DeathDate = true, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	}
	if err := w.set.Persons.Put(ctx, adult); err != nil {
		w.t.Fatal(err)
	}
	if withChild {
		child = mk(time.Date(2016, 9, 1, 0, 0, 0, 0, time.UTC), certs.SexMale, adult.IIN)
		if err := w.set.Persons.Put(ctx, child); err != nil {
			w.t.Fatal(err)
		}
	}
	return adult, child
}

// app describes an application to submit.
type app struct {
	svc         *catalogue.Service
	channel     string
	applicant   string
	childIIN    string
	attachments []string
	poa         string // representative's power of attorney (con channel)
	signer      *ca.Issued
	officer     string // operator / specialist ИИН
	officerBIN  string
}

func (w *world) submitApp(a app, system *ca.Issued) answer {
	w.t.Helper()
	var extra strings.Builder
	if a.poa != "" {
		fmt.Fprintf(&extra, `<app:representative><app:iin>941111350315</app:iin><app:powerOfAttorney number="%s"/></app:representative>`, a.poa)
	}
	if a.officer != "" {
		fmt.Fprintf(&extra, `<app:operator><app:iin>%s</app:iin><app:bin>%s</app:bin></app:operator>`, a.officer, a.officerBIN)
	}
	if a.childIIN != "" {
		fmt.Fprintf(&extra, `<app:fields><app:field name="childIIN">%s</app:field></app:fields>`, a.childIIN)
	}
	if len(a.attachments) > 0 {
		extra.WriteString(`<app:attachments>`)
		for _, t := range a.attachments {
			fmt.Fprintf(&extra, `<app:attachment name="%s.pdf" mediaType="application/pdf" type="%s">JVBERi0xLjQK</app:attachment>`, t, t)
		}
		extra.WriteString(`</app:attachments>`)
	}
	sender := map[string][2]string{"portal": {"portal", "portal-password"}, "con": {"con", "con-password"}, "provider": {"provider", "provider-password"}}[a.channel]
	m := msg{sender: sender[0], password: sender[1], service: a.svc.ID, data: w.application(a.svc.ID, a.channel, a.applicant, extra.String(), a.signer)}
	return w.send(w.signed(m, system))
}

// status reads the application status out of an answer's data.
type caseStatus struct {
	number, status, kind, reason string
	document                     []byte
}

func statusOf(t testing.TB, a answer) caseStatus {
	t.Helper()
	if a.data == nil {
		t.Fatalf("no data in the answer:\n%s", a.body)
	}
	var s caseStatus
	if el := a.data.SelectElement("applicationNumber"); el != nil {
		s.number = el.Text()
	}
	if el := a.data.SelectElement("status"); el != nil {
		s.status = el.SelectAttrValue("code", "")
	}
	if r := a.data.SelectElement("result"); r != nil {
		s.kind = r.SelectAttrValue("kind", "")
		if el := r.SelectElement("reason"); el != nil {
			s.reason = el.Text()
		}
		if el := r.SelectElement("document"); el != nil {
			s.document = []byte(el.Text())
		}
	}
	if s.number == "" || s.status == "" {
		t.Fatalf("not an application status:\n%s", a.body)
	}
	return s
}

// checkResult verifies a result document as a recipient would (XML-DSig, the official's
// certificate, with our verifier and with xmlsec1) and returns it.
func (w *world) checkResult(t *testing.T, svc *catalogue.Service, applicant string, s caseStatus) *results.Document {
	t.Helper()
	v, err := signing.VerifyEnveloped(s.document, signing.Options{})
	if err != nil {
		t.Fatalf("result signature: %v\n%s", err, s.document)
	}
	verdict, err := w.verifier.Validate(ctx, validate.Request{Cert: v.Certificate, Usage: validate.UsageSign})
	if err != nil {
		t.Fatalf("the official's certificate: %v", err)
	}
	id := verdict.Identity
	if id.BIN != svc.Provider.BIN || id.IIN == "" || (id.Kind != certs.KindSigner && id.Kind != certs.KindHead) {
		t.Errorf("signed by %s (ИИН %s, БИН %s, %s), want an official of %s (БИН %s)", id.CommonName, id.IIN, id.BIN, id.Kind, svc.Provider.NameRU, svc.Provider.BIN)
	}
	doc, err := results.Parse(s.document)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Official.IIN != id.IIN || doc.Recipient.IIN != applicant || doc.ApplicationNumber != s.number || doc.ServiceID != svc.ID ||
		string(doc.Kind) != s.kind || doc.Provider.BIN != svc.Provider.BIN || doc.Number == "" {
		t.Errorf("result %+v does not match the application %s of %s, signed by %s", doc, s.number, applicant, id.IIN)
	}
	w.xmlsec1Verify(t, s.document)
	return doc
}

// xmlsec1Verify checks a result with the independent implementation against the test НУЦ.
func (w *world) xmlsec1Verify(t *testing.T, doc []byte) {
	t.Helper()
	dir := t.TempDir()
	root := testpki.Write(t, dir, "root.pem", ca.PEMCertificate(w.ca.Root()))
	issuing := testpki.Write(t, dir, "issuing.pem", ca.PEMCertificate(w.ca.Issuing()))
	in := testpki.Write(t, dir, "result.xml", doc)
	if out, err := xmlsec1(t, "--verify", "--trusted-pem", root, "--untrusted-pem", issuing, "--id-attr:id", results.Namespace+":result", in); err != nil {
		t.Fatalf("xmlsec1 --verify: %v\n%s", err, out)
	}
}

func immediate() map[string]builtin.SystemConfig {
	return map[string]builtin.SystemConfig{
		labour.Name: {Mode: provider.Auto, DecideAfter: "0s"}, esobes.Name: {Mode: provider.Auto, DecideAfter: "0s"},
		"rshep": {Mode: provider.Auto, DecideAfter: "0s"},
	}
}

// TestServices: every gatewayed service of the catalogue, in every channel the regulations give
// it, on the positive path and on its refusals (the gateway's and the provider's).
func TestServices(t *testing.T) {
	w := newServiceWorld(t, builtin.Options{DayLength: time.Minute, Systems: immediate()})
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС ПОРТАЛ"})
	operator := w.issue(ca.IssueRequest{Kind: ca.KindOperator, IIN: operatorIIN})
	citizens := map[string]*ca.Issued{}
	citizen := func(iin string) *ca.Issued {
		if c, ok := citizens[iin]; ok {
			return c
		}
		c := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: iin, Name: "ТЕСТОВА ГУЛЬМИРА"})
		citizens[iin] = c
		return c
	}
	specialists := map[string]*ca.Issued{}
	specialist := func(bin string) *ca.Issued {
		if c, ok := specialists[bin]; ok {
			return c
		}
		c := w.issue(ca.IssueRequest{Kind: ca.KindEmployee, IIN: "850514400017", BIN: bin, Name: "ДЖАКУПОВА ДАНА", Organization: "ОТДЕЛ ЗАНЯТОСТИ"})
		specialists[bin] = c
		return c
	}
	gatewayed := 0
	for i := range w.set.Catalogue.Services {
		svc := &w.set.Catalogue.Services[i]
		if !svc.Gatewayed() {
			continue
		}
		gatewayed++
		for _, ch := range svc.ElectronicChannels() {
			t.Run(svc.ID+"/"+ch, func(t *testing.T) {
				// base fills the channel's signer for the applicant.
				base := func(applicant string) app {
					a := app{svc: svc, channel: ch, applicant: applicant, attachments: allAttachments}
					switch ch {
					case "portal":
						a.signer = citizen(applicant)
					case "con":
						a.signer, a.officer, a.officerBIN = operator, operatorIIN, ca.DefaultOperatorBIN
					case "provider":
						a.signer, a.officer, a.officerBIN = specialist(svc.Provider.BIN), "850514400017", svc.Provider.BIN
					}
					return a
				}
				submit := func(a app) caseStatus {
					t.Helper()
					ans := w.submitApp(a, system)
					if ans.code != syncchannel.StatusSuccess {
						t.Fatalf("%s: code %s: %s", a.applicant, ans.code, errorData(ans.body))
					}
					return statusOf(t, ans)
				}
				// A portal result goes to the личный кабинет at once; elsewhere it waits to be handed over.
				completed, refusedStatus := "completed", "refused"
				if ch == "portal" {
					completed, refusedStatus = "delivered", "delivered"
				}
				refused := func(a app, why string, want string) {
					t.Helper()
					s := submit(a)
					if s.status != refusedStatus || s.kind != "refusal" || !strings.Contains(s.reason, want) {
						t.Errorf("%s: status %s, result %s %q; want a refusal mentioning %q", why, s.status, s.kind, s.reason, want)
						return
					}
					if doc := w.checkResult(t, svc, a.applicant, s); doc.Reason != s.reason {
						t.Errorf("%s: the refusal's reason differs from the document's: %q / %q", why, s.reason, doc.Reason)
					}
				}
				// The positive path.
				p, child := w.person(false, true)
				a := base(p.IIN)
				a.childIIN = child.IIN
				switch svc.ID {
				case "AKT-3", "ALM-1":
					if _, err := w.set.Unemployed.Add(ctx, &labour.Record{IIN: p.IIN, Number: "AKT-1-20260101-000001", Registered: time.Now().AddDate(0, -1, 0)}); err != nil {
						t.Fatal(err)
					}
				case "AKT-8", "ZKO-10":
					if err := w.set.ASP.Put(ctx, &esobes.Recipient{IIN: p.IIN, Members: []string{child.IIN}, From: time.Now().AddDate(-1, 0, 0), Until: time.Now().AddDate(1, 0, 0)}); err != nil {
						t.Fatal(err)
					}
				}
				s := submit(a)
				if s.status != completed || s.kind == "refusal" || s.kind == "" {
					t.Fatalf("positive path: status %s, result %q, reason %q", s.status, s.kind, s.reason)
				}
				doc := w.checkResult(t, svc, p.IIN, s)
				if !strings.HasPrefix(s.number, svc.ID+"-") {
					t.Errorf("application number %q", s.number)
				}
				switch svc.ID {
				case "AKT-1", "AKM-1":
					if _, ok, _ := w.set.Unemployed.Get(ctx, p.IIN); !ok {
						t.Errorf("%s: not entered in the register of unemployed", p.IIN)
					}
					// Registering twice is refused on the grounds of the Standard.
					refused(a, "already registered", "уже зарегистрирован")
				case "AKT-8", "ZKO-10":
					if !strings.Contains(doc.Text, "является получателем") || strings.Contains(doc.Text, "не является") {
						t.Errorf("АСП certificate text %q", doc.Text)
					}
					// Not a recipient: still a certificate, saying so.
					q, _ := w.person(false, false)
					s := submit(base(q.IIN))
					if s.status != completed || s.kind != "certificate" {
						t.Fatalf("not a recipient: %s %s", s.status, s.kind)
					}
					if d := w.checkResult(t, svc, q.IIN, s); !strings.Contains(d.Text, "не является получателем") {
						t.Errorf("«does not belong» certificate text %q", d.Text)
					}
				case "AKT-3", "ALM-1":
					q, _ := w.person(false, false)
					refused(base(q.IIN), "not registered", "не зарегистрирован")
				case "AKT-6", "ZKO-9", "ALM-2":
					q, _ := w.person(false, false)
					b := base(q.IIN)
					b.childIIN = child.IIN // someone else's child
					refused(b, "not the parent", "не является родителем")
				}
				// The provider's refusals: deceased applicant; the package without its documents.
				dead, _ := w.person(true, false)
				refused(base(dead.IIN), "deceased", "умер")
				if needsDocuments(svc.ID) {
					q, qchild := w.person(false, true)
					b := base(q.IIN)
					b.childIIN, b.attachments = qchild.IIN, nil
					refused(b, "no documents", "не приложен")
				}
				// The gateway's refusals, by channel.
				switch ch {
				case "portal":
					b := base(p.IIN)
					b.signer = citizen(applicantIIN) // someone else signs
					if ans := w.submitApp(b, system); ans.code != "IIN_MISMATCH" {
						t.Errorf("portal, another person's signature: %s", ans.code)
					}
				case "con":
					if ans := w.submitApp(base(strangerIIN), system); ans.code != "GBDFL_NO_DATA" {
						t.Errorf("con, applicant not in ГБД ФЛ: %s", ans.code)
					}
					if svc.HasRegistry("enis") {
						b := base("660427402182")
						b.poa = "ЕНИС-0000-000000"
						if ans := w.submitApp(b, system); ans.code != "ENIS_NO_POWER_OF_ATTORNEY" {
							t.Errorf("con, no power of attorney: %s", ans.code)
						}
						b.poa = "ЕНИС-2026-000123" // АХМЕТОВА by ЖУМАБЕКОВ, every service
						if ans := w.submitApp(b, system); ans.code != syncchannel.StatusSuccess {
							t.Errorf("con, representative with a power of attorney: %s\n%.1500s", ans.code, ans.body)
						}
					}
				case "provider":
					b := base(p.IIN)
					b.officer = "941111350315" // not the signer
					if ans := w.submitApp(b, system); ans.code != "IIN_MISMATCH" {
						t.Errorf("provider, specialist ИИН mismatch: %s", ans.code)
					}
				}
			})
		}
		// A channel the regulations do not give the service is refused.
		for _, ch := range []string{"portal", "con", "provider"} {
			if c, ok := svc.Channel(ch); ok && c.Electronic {
				continue
			}
			p, _ := w.person(false, false)
			a := app{svc: svc, channel: ch, applicant: p.IIN, signer: citizen(p.IIN)}
			if ch != "portal" {
				a.signer, a.officer, a.officerBIN = operator, operatorIIN, ca.DefaultOperatorBIN
			}
			if ans := w.submitApp(a, system); ans.code != "CHANNEL_NOT_ALLOWED" {
				t.Errorf("%s on the %s channel: %s", svc.ID, ch, ans.code)
			}
			break
		}
	}
	if gatewayed != 20 {
		t.Errorf("%d gatewayed services in the catalogue, want 20 (27 regulations less 7 paper-only)", gatewayed)
	}
	// Paper-only services have no gateway leg.
	for _, id := range []string{"AKT-2", "AKT-4", "AKT-5", "AKT-7", "AKT-9", "AKT-10", "ZKO-3"} {
		svc, ok := w.set.Catalogue.Service(id)
		if !ok {
			t.Fatalf("%s is not in the catalogue", id)
		}
		p, _ := w.person(false, false)
		if ans := w.submitApp(app{svc: svc, channel: "con", applicant: p.IIN, signer: operator, officer: operatorIIN, officerBIN: ca.DefaultOperatorBIN}, system); ans.code != "SERVICE_NOT_ELECTRONIC" {
			t.Errorf("%s: %s, want SERVICE_NOT_ELECTRONIC", id, ans.code)
		}
	}
}

// adminDo calls the admin API with the world's token.
func (w *world) adminDo(method, path string, in any, out any) int {
	w.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			w.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctx, method, w.base+"/admin"+path, body)
	req.Header.Set("Authorization", "Bearer admin-token")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			w.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// statusQuery asks SHEP_ApplicationStatus as sender, for the person iin.
func (w *world) statusQuery(sender, password, number, iin string, system *ca.Issued) answer {
	d := etree.NewElement("data")
	d.CreateElement("applicationNumber").SetText(number)
	d.CreateElement("iin").SetText(iin)
	return w.send(w.signed(msg{sender: sender, password: password, service: provider.StatusServiceID, data: d}, system))
}

// TestSpecialistDesk: АРМ РШЭП waits for its specialist, who takes the application into work,
// extends its term and completes it (or refuses another); the sender follows the status.
func TestSpecialistDesk(t *testing.T) {
	w := newServiceWorld(t, builtin.Options{DayLength: time.Minute, Systems: map[string]builtin.SystemConfig{"rshep": {Mode: provider.Manual}}})
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	operator := w.issue(ca.IssueRequest{Kind: ca.KindOperator, IIN: operatorIIN})
	svc, _ := w.set.Catalogue.Service("ZKO-1")
	var applicants []string
	submit := func() caseStatus {
		p, _ := w.person(false, false)
		applicants = append(applicants, p.IIN)
		ans := w.submitApp(app{svc: svc, channel: "con", applicant: p.IIN, attachments: []string{"identity-document"}, signer: operator, officer: operatorIIN,
			officerBIN: ca.DefaultOperatorBIN}, system)
		if ans.code != syncchannel.StatusSuccess {
			t.Fatalf("submit: %s\n%s", ans.code, ans.body)
		}
		return statusOf(t, ans)
	}
	first, second := submit(), submit()
	if first.status != "received" || first.document != nil {
		t.Fatalf("a manual system answers «поступившие» without a result: %+v", first)
	}
	var list struct {
		Cases []provider.CaseJSON `json:"cases"`
	}
	if code := w.adminDo("GET", "/cases?system=rshep&open=true", nil, &list); code != 200 || len(list.Cases) != 2 {
		t.Fatalf("open cases: HTTP %d, %d cases", code, len(list.Cases))
	}
	actor := map[string]string{"name": "ДЖАКУПОВА Д.", "iin": "850514400017"}
	var c provider.CaseJSON
	if code := w.adminDo("POST", "/cases/"+first.number+"/take", map[string]any{"actor": actor}, &c); code != 200 || c.Status != "in_progress" {
		t.Fatalf("take: HTTP %d, %s", code, c.Status)
	}
	before := c.Deadline
	if code := w.adminDo("POST", "/cases/"+first.number+"/extend", map[string]any{"actor": actor, "by": "5wd", "reason": "запрос в медицинскую организацию"}, &c); code != 200 || !c.Deadline.After(before) {
		t.Fatalf("extend: HTTP %d, deadline %s → %s", code, before, c.Deadline)
	}
	if code := w.adminDo("POST", "/cases/"+first.number+"/take", map[string]any{"actor": actor}, nil); code != http.StatusConflict {
		t.Errorf("taking an extended application again: HTTP %d, want 409", code)
	}
	if code := w.adminDo("POST", "/cases/"+first.number+"/complete", map[string]any{"actor": actor, "text": "Протез будет предоставлен до 15.12.2026.",
		"facts": []map[string]string{{"label": "Дата предоставления", "value": "15.12.2026"}}}, &c); code != 200 || c.Status != "completed" {
		t.Fatalf("complete: HTTP %d, %s", code, c.Status)
	}
	if code := w.adminDo("POST", "/cases/"+second.number+"/refuse", map[string]any{"actor": actor}, nil); code != http.StatusBadRequest {
		t.Errorf("refusal without a reason: HTTP %d, want 400", code)
	}
	if code := w.adminDo("POST", "/cases/"+second.number+"/refuse", map[string]any{"actor": actor, "reason": "Нет медицинских показаний."}, &c); code != 200 || c.Status != "refused" {
		t.Fatalf("refuse: HTTP %d, %s", code, c.Status)
	}
	// The sender reads the statuses and results for the applicant, and so does the portal (the
	// citizen's history); another sender, or another person, cannot.
	s := statusOf(t, w.statusQuery("con", "con-password", first.number, applicants[0], system))
	if s.status != "completed" {
		t.Fatalf("status of %s: %s", first.number, s.status)
	}
	doc := w.checkResult(t, svc, applicants[0], s)
	if doc.Text != "Протез будет предоставлен до 15.12.2026." || len(doc.Facts) != 1 {
		t.Errorf("the specialist's text and facts: %q %v", doc.Text, doc.Facts)
	}
	if s := statusOf(t, w.statusQuery("portal", "portal-password", second.number, applicants[1], system)); s.status != "refused" || s.reason != "Нет медицинских показаний." {
		t.Errorf("refused, read by the portal: %+v", s)
	}
	if _, err := w.senders.Put(ctx, participants.Spec{ID: "other-con", Password: ptr("pw"), Channel: ptr(participants.ChannelCON)}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ sender, password, iin, why string }{
		{"other-con", "pw", applicants[0], "another ЦОН sender"},
		{"con", "con-password", applicants[1], "another person's ИИН"},
		{"portal", "portal-password", applicantIIN, "another citizen on the portal"},
	} {
		if ans := w.statusQuery(q.sender, q.password, first.number, q.iin, system); ans.code != "APPLICATION_NOT_FOUND" {
			t.Errorf("%s: %s", q.why, ans.code)
		}
	}
	// Timeline: registered, taken, extended, completed, each with its actor.
	if code := w.adminDo("GET", "/cases/"+first.number, nil, &c); code != 200 {
		t.Fatal(code)
	}
	var actions []string
	for _, e := range c.Events {
		actions = append(actions, string(e.Action)+":"+e.Actor)
	}
	if got := strings.Join(actions, " "); got != "register:rshep take:ДЖАКУПОВА Д. extend:ДЖАКУПОВА Д. complete:ДЖАКУПОВА Д." {
		t.Errorf("timeline %s", got)
	}
	for _, p := range []string{"/cases/" + first.number + "/result", "/cases/" + first.number + "/result.html", "/cases/" + first.number + "/application"} {
		req, _ := http.NewRequest("GET", w.base+"/admin"+p, nil)
		req.Header.Set("Authorization", "Bearer admin-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(b, []byte(first.number)) && !strings.HasSuffix(p, "/application") || len(b) == 0 {
			t.Errorf("GET %s: HTTP %d\n%.300s", p, resp.StatusCode, b)
		}
	}
	if code := w.adminDo("GET", "/cases/ZKO-1-20000101-000001", nil, nil); code != 404 {
		t.Errorf("unknown application: HTTP %d", code)
	}
}

// TestScheduledDecision: a system deciding on its own after a delay answers «поступившие» first
// and issues the result later, on schedule.
func TestScheduledDecision(t *testing.T) {
	w := newServiceWorld(t, builtin.Options{DayLength: time.Minute, Systems: map[string]builtin.SystemConfig{
		labour.Name: {Mode: provider.Auto, DecideAfter: "300ms"}}})
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	svc, _ := w.set.Catalogue.Service("AKT-1")
	p, _ := w.person(false, false)
	ans := w.submitApp(app{svc: svc, channel: "portal", applicant: p.IIN, attachments: []string{"employment-record"},
		signer: w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: p.IIN})}, system)
	if ans.code != syncchannel.StatusSuccess {
		t.Fatalf("%s\n%s", ans.code, ans.body)
	}
	s := statusOf(t, ans)
	if s.status != "received" {
		t.Fatalf("status %s, want received", s.status)
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.status == "received" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		s = statusOf(t, w.statusQuery("portal", "portal-password", s.number, p.IIN, system))
	}
	if s.status != "delivered" { // a portal application: its result is in the личный кабинет
		t.Fatalf("not decided on schedule: %s", s.status)
	}
	w.checkResult(t, svc, p.IIN, s)
}

// TestFaultInjection: testers force latency, errors, refusals and "no data" per service through
// the admin API, and clear them.
func TestFaultInjection(t *testing.T) {
	w := newServiceWorld(t, builtin.Options{DayLength: time.Minute, Systems: immediate()})
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	operator := w.issue(ca.IssueRequest{Kind: ca.KindOperator, IIN: operatorIIN})
	svc, _ := w.set.Catalogue.Service("AKT-3")
	p, _ := w.person(false, false)
	if _, err := w.set.Unemployed.Add(ctx, &labour.Record{IIN: p.IIN, Number: "X-1", Registered: time.Now()}); err != nil {
		t.Fatal(err)
	}
	con := app{svc: svc, channel: "con", applicant: p.IIN, signer: operator, officer: operatorIIN, officerBIN: ca.DefaultOperatorBIN}
	set := func(rule map[string]any) string {
		t.Helper()
		var out map[string]any
		if code := w.adminDo("POST", "/faults", rule, &out); code != http.StatusCreated {
			t.Fatalf("POST /faults %v: HTTP %d %v", rule, code, out)
		}
		return out["id"].(string)
	}
	clear := func() {
		t.Helper()
		if code := w.adminDo("DELETE", "/faults", nil, nil); code != 200 {
			t.Fatalf("clear: %d", code)
		}
	}
	tests := []struct {
		rule map[string]any
		code string
		kind string
	}{
		{map[string]any{"service": "AKT-3", "error_rate": 1.0}, "PROVIDER_UNAVAILABLE", ""},
		{map[string]any{"service": "AKT-3", "timeout": true}, "PROVIDER_TIMEOUT", ""},
		{map[string]any{"adapter": "labour-market", "service": "AKT-3", "refuse": "Проверка: принудительный отказ."}, syncchannel.StatusSuccess, "refusal"},
		{map[string]any{"adapter": "gbdfl", "no_data": true}, "GBDFL_NO_DATA", ""},
		{map[string]any{"service": "AKT-8", "error_rate": 1.0}, syncchannel.StatusSuccess, "certificate"}, // another service: untouched
	}
	for _, tt := range tests {
		set(tt.rule)
		ans := w.submitApp(con, system)
		if ans.code != tt.code {
			t.Errorf("%v: %s, want %s", tt.rule, ans.code, tt.code)
		} else if tt.kind != "" {
			if s := statusOf(t, ans); s.kind != tt.kind {
				t.Errorf("%v: result %s, want %s", tt.rule, s.kind, tt.kind)
			}
		}
		clear()
	}
	// Latency delays the answer but does not change it (the rule counts the call); cleared rules
	// no longer apply.
	id := set(map[string]any{"service": "AKT-3", "latency": "50ms"})
	if ans := w.submitApp(con, system); ans.code != syncchannel.StatusSuccess {
		t.Errorf("latency: %s", ans.code)
	}
	var rule struct {
		Hits int `json:"hits"`
	}
	if code := w.adminDo("GET", "/faults/"+id, nil, &rule); code != 200 || rule.Hits != 1 {
		t.Errorf("latency rule: HTTP %d, %d hits, want 1", code, rule.Hits)
	}
	clear()
	if ans := w.submitApp(con, system); ans.code != syncchannel.StatusSuccess {
		t.Errorf("after clearing: %s", ans.code)
	}
}

// TestCatalogueAPI: GET /api/services serves the catalogue the gateway routes by.
func TestCatalogueAPI(t *testing.T) {
	w := newServiceWorld(t, builtin.Options{DayLength: time.Minute})
	resp, err := http.Get(w.base + "/api/services")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got catalogue.Catalogue
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: %v", resp.StatusCode, err)
	}
	if len(got.Services) != 27 {
		t.Errorf("%d services", len(got.Services))
	}
	for _, s := range got.Services {
		if s.NameRU == "" || s.NameKZ == "" || s.Provider.BIN == "" {
			t.Errorf("%s: incomplete: %+v", s.ID, s)
		}
	}
}

// errorData extracts a fault's errorData for test messages.
func errorData(body []byte) string {
	if _, rest, ok := bytes.Cut(body, []byte("<errorData>")); ok {
		if d, _, ok := bytes.Cut(rest, []byte("</errorData>")); ok {
			return string(d)
		}
	}
	return fmt.Sprintf("%.500s", body)
}
