// Package portal is the e-government portal's side of an application: it builds the application
// document from the citizen's form, has it signed for them and sends it through the gateway.
//
// The citizen's signature stands in for NCALayer: the portal keeps, per ИИН, a SIGN key issued by
// the test НУЦ (the person must be in ГБД ФЛ and alive) and signs the application with it, in the
// NCALayer layout. The SendMessage goes through the gateway's own pipeline as the portal sender,
// WS-Security-signed with the portal's transport key, so every check of a real request applies.
package portal

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/ids"
	"github.com/shep-kz/shep/signing"
)

// Gateway processes a SendMessage (*gateway.Pipeline).
type Gateway interface {
	Process(ctx context.Context, body []byte, contentType string) (int, []byte)
}

// Options configure a Portal.
type Options struct {
	Gateway   Gateway
	Catalogue *catalogue.Catalogue
	Persons   gbdfl.Registry
	// CA issues the citizens' SIGN keys, kept in KeysDir (mode 0600).
	CA      *ca.Authority
	KeysDir string
	// The portal as a participant of the gateway, and its transport key (WS-Security).
	SenderID, Password string
	Key                crypto.Signer
	Cert               *x509.Certificate
	Now                func() time.Time
}

// Portal submits citizens' applications. It is safe for concurrent use.
type Portal struct {
	o  Options
	mu sync.Mutex // issuing a citizen's key
}

// New checks o and returns the Portal.
func New(o Options) (*Portal, error) {
	if o.Gateway == nil || o.Catalogue == nil || o.Persons == nil || o.CA == nil || o.KeysDir == "" || o.SenderID == "" || o.Key == nil || o.Cert == nil {
		return nil, errors.New("portal: Gateway, Catalogue, Persons, CA, KeysDir, SenderID, Key and Cert are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Portal{o: o}, nil
}

// Errors.
var (
	ErrService = errors.New("portal: the service cannot be applied for on the portal")
	ErrForm    = errors.New("portal: the form is incomplete")
	ErrPerson  = errors.New("portal: the person cannot sign on the portal")
)

// Services lists the services with an electronic portal channel, by id.
func (p *Portal) Services() []*catalogue.Service {
	var out []*catalogue.Service
	for _, fam := range p.o.Catalogue.Families() {
		for _, s := range p.o.Catalogue.Family(fam) {
			if ch, ok := s.Channel("portal"); ok && ch.Electronic && s.Gatewayed() {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b *catalogue.Service) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Form is what the citizen filled in.
type Form struct {
	ServiceID   string
	Phone       string
	Fields      map[string]string
	Attachments []Attachment
}

// Attachment is an uploaded scan.
type Attachment struct {
	Type, Name, MediaType string
	Content               []byte
}

// Outcome is the gateway's answer to the submission.
type Outcome struct {
	OK        bool   `json:"ok"`
	MessageID string `json:"message_id"`
	SessionID string `json:"session_id,omitempty"`
	// On success: the application's number and status as the provider registered it.
	Number   string `json:"number,omitempty"`
	Status   string `json:"status,omitempty"`
	StatusRU string `json:"status_ru,omitempty"`
	// On a refusal: the gateway's code and message (ErrorInfo).
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Submit builds iin's application from f, signs it with their key and sends it.
func (p *Portal) Submit(ctx context.Context, iin string, f Form) (*Outcome, error) {
	svc, ok := p.o.Catalogue.Service(f.ServiceID)
	if !ok || !slices.Contains(p.Services(), svc) {
		return nil, fmt.Errorf("%w: %q", ErrService, f.ServiceID)
	}
	spec := FormOf(svc.ID)
	for _, fs := range spec.Fields {
		if fs.Required && strings.TrimSpace(f.Fields[fs.Name]) == "" {
			return nil, fmt.Errorf("%w: «%s»", ErrForm, fs.LabelRU)
		}
	}
	person, ok, err := p.o.Persons.Person(ctx, iin)
	if err != nil {
		return nil, err
	}
	if !ok || person.Deceased {
		return nil, fmt.Errorf("%w: ИИН %s is not a living person in ГБД ФЛ", ErrPerson, iin)
	}
	key, cert, err := p.citizenKey(ctx, person)
	if err != nil {
		return nil, err
	}
	doc, err := p.document(svc, person, f, spec)
	if err != nil {
		return nil, err
	}
	signedDoc, err := signing.SignEnveloped(doc, key, cert, signing.SignOptions{NCALayer: true})
	if err != nil {
		return nil, fmt.Errorf("portal: sign the application: %w", err)
	}
	out := &Outcome{MessageID: ids.UUID()}
	req := &syncchannel.Request{Info: syncchannel.RequestInfo{MessageID: out.MessageID, ServiceID: svc.ID, MessageDate: p.o.Now(),
		Sender: syncchannel.Sender{ID: p.o.SenderID, Password: p.o.Password}}, Data: syncchannel.StringData(string(signedDoc))}
	env := etree.NewDocument()
	e := env.CreateElement("soapenv:Envelope")
	e.CreateAttr("xmlns:soapenv", "http://schemas.xmlsoap.org/soap/envelope/")
	e.CreateElement("soapenv:Body").AddChild(req.Element())
	raw, err := env.WriteToBytes()
	if err != nil {
		return nil, err
	}
	body, err := signing.SignWSSE(raw, p.o.Key, p.o.Cert, signing.SignOptions{})
	if err != nil {
		return nil, fmt.Errorf("portal: sign the envelope: %w", err)
	}
	_, resp := p.o.Gateway.Process(ctx, body, "text/xml; charset=utf-8")
	return out, readAnswer(resp, out)
}

// readAnswer fills out from the gateway's SOAP answer.
func readAnswer(resp []byte, out *Outcome) error {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(resp); err != nil {
		return fmt.Errorf("portal: the gateway's answer: %w", err)
	}
	env := d.Root()
	var body *etree.Element
	if env != nil {
		for _, c := range env.ChildElements() {
			if c.Tag == "Body" {
				body = c
			}
		}
	}
	if body == nil {
		return errors.New("portal: the gateway's answer has no SOAP Body")
	}
	if f := body.FindElement(".//" + syncchannel.FaultElement); f != nil {
		ei, err := syncchannel.ParseFault(f)
		if err != nil {
			return fmt.Errorf("portal: the gateway's fault: %w", err)
		}
		out.Code, out.Message, out.SessionID = ei.Code, ei.Message, ei.SessionID
		return nil
	}
	if f := body.FindElement("./Fault"); f != nil {
		msg := "no faultstring"
		if fs := f.FindElement(".//faultstring"); fs != nil {
			msg = fs.Text()
		}
		return fmt.Errorf("portal: the gateway answered a SOAP fault without ErrorInfo: %s", msg)
	}
	r, err := syncchannel.ParseResponse(body)
	if err != nil {
		return fmt.Errorf("portal: the gateway's response: %w", err)
	}
	out.OK, out.SessionID = true, r.Info.SessionID
	if r.Data != nil {
		if n := r.Data.FindElement(".//applicationNumber"); n != nil {
			out.Number = n.Text()
		}
		if st := r.Data.FindElement(".//status"); st != nil {
			out.Status, out.StatusRU = st.SelectAttrValue("code", ""), st.Text()
		}
	}
	return nil
}

// document writes the application (gateway/application's schema).
func (p *Portal) document(svc *catalogue.Service, person *gbdfl.Person, f Form, spec Spec) ([]byte, error) {
	d := etree.NewDocument()
	a := d.CreateElement("app:application")
	a.CreateAttr("xmlns:app", "urn:shep:application:1.0")
	a.CreateAttr("id", "app-"+ids.UUID()[:8])
	a.CreateElement("app:serviceId").SetText(svc.ID)
	a.CreateElement("app:channel").SetText("portal")
	a.CreateElement("app:submitted").SetText(p.o.Now().Format(time.RFC3339))
	ap := a.CreateElement("app:applicant")
	ap.CreateElement("app:iin").SetText(person.IIN)
	for _, kv := range [][2]string{{"surname", person.Surname}, {"name", person.Name}, {"patronymic", person.Patronymic}, {"phone", strings.TrimSpace(f.Phone)}} {
		if kv[1] != "" {
			ap.CreateElement("app:" + kv[0]).SetText(kv[1])
		}
	}
	var fields [][2]string
	for _, fs := range spec.Fields {
		if v := strings.TrimSpace(f.Fields[fs.Name]); v != "" {
			fields = append(fields, [2]string{fs.Name, v})
		}
	}
	if len(fields) > 0 {
		fe := a.CreateElement("app:fields")
		for _, kv := range fields {
			el := fe.CreateElement("app:field")
			el.CreateAttr("name", kv[0])
			el.SetText(kv[1])
		}
	}
	if len(f.Attachments) > 0 {
		ae := a.CreateElement("app:attachments")
		for _, at := range f.Attachments {
			if at.Name == "" || len(at.Content) == 0 {
				continue
			}
			el := ae.CreateElement("app:attachment")
			el.CreateAttr("name", at.Name)
			mt := at.MediaType
			if mt == "" {
				mt = "application/octet-stream"
			}
			el.CreateAttr("mediaType", mt)
			if at.Type != "" {
				el.CreateAttr("type", at.Type)
			}
			el.SetText(base64.StdEncoding.EncodeToString(at.Content))
		}
		if len(ae.ChildElements()) == 0 {
			a.RemoveChild(ae)
		}
	}
	return d.WriteToBytes()
}

// citizenKey returns the person's SIGN key, issuing it on first use.
func (p *Portal) citizenKey(ctx context.Context, person *gbdfl.Person) (crypto.Signer, *x509.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	crt, keyFile := filepath.Join(p.o.KeysDir, person.IIN+".crt"), filepath.Join(p.o.KeysDir, person.IIN+".key")
	if cs, err := certs.ReadCertificates(crt); err == nil && len(cs) > 0 && p.o.Now().Before(cs[0].NotAfter) {
		if k, err := certs.ReadPrivateKey(keyFile); err == nil {
			if st, ok, _ := p.o.CA.Status(cs[0].SerialNumber); ok && !st.Revoked {
				return k, cs[0], nil
			}
		}
	}
	if err := os.MkdirAll(p.o.KeysDir, 0o700); err != nil {
		return nil, nil, err
	}
	name := strings.TrimSpace(strings.Join([]string{person.Surname, person.Name, person.Patronymic}, " "))
	iss, err := p.o.CA.Issue(ctx, ca.IssueRequest{Kind: ca.KindIndividual, IIN: person.IIN, Name: name})
	if err != nil {
		return nil, nil, fmt.Errorf("portal: issue a key for %s: %w", person.IIN, err)
	}
	kb, err := ca.PEMPrivateKey(iss.Key)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(keyFile, kb, 0o600); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(crt, ca.PEMCertificate(iss.Certificate), 0o600); err != nil {
		return nil, nil, err
	}
	return iss.Key, iss.Certificate, nil
}
