package loadgen

import (
	"crypto"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/ids"
	"github.com/shep-kz/shep/signing"
)

const nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"

// Identity is a certificate and its private key.
type Identity struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Citizen is a person of ГБД ФЛ with a SIGN certificate of the test НУЦ: an applicant.
type Citizen struct {
	Identity
	IIN, Surname, Name, Patronymic string
}

// Operator is a ЦОН operator: an employee of the ЦОН organisation who signs applications on the
// con channel.
type Operator struct {
	Identity
	IIN, BIN, Name string
}

// BuilderOptions configure a Builder.
type BuilderOptions struct {
	Mix Mix
	// System signs every envelope (WS-Security), as the sending information system does.
	System Identity
	// Citizens are the applicants of applications and the persons looked up in ГБД ФЛ, in turn.
	Citizens []Citizen
	// Operator signs the con channel's applications (required when the mix has one).
	Operator *Operator
	Now      func() time.Time // default time.Now
}

// Builder makes new signed SendMessage requests (SOAP 1.1, as `shep send` does): each has a new
// messageId and, for an application, a new application document signed by its signer (the
// citizen on the portal, the operator at the ЦОН, in NCALayer's layout).
type Builder struct {
	o    BuilderOptions
	next atomic.Uint64 // the next citizen
}

// Request is one prepared request.
type Request struct {
	Entry     int // index in the mix
	MessageID string
	Body      []byte
}

// NewBuilder checks o and returns the builder.
func NewBuilder(o BuilderOptions) (*Builder, error) {
	if err := o.Mix.Validate(); err != nil {
		return nil, err
	}
	if o.System.Key == nil || o.System.Cert == nil {
		return nil, errors.New("loadgen: the system identity (envelope signer) is required")
	}
	if len(o.Citizens) == 0 {
		return nil, errors.New("loadgen: no citizens")
	}
	for _, e := range o.Mix {
		if e.Channel == ChannelCON && o.Operator == nil {
			return nil, fmt.Errorf("loadgen: %s needs the ЦОН operator's identity", e.Name())
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Builder{o: o}, nil
}

// Build makes a new request of mix entry i.
func (b *Builder) Build(i int) (*Request, error) {
	if i < 0 || i >= len(b.o.Mix) {
		return nil, fmt.Errorf("loadgen: no mix entry %d", i)
	}
	e := b.o.Mix[i]
	c := &b.o.Citizens[(b.next.Add(1)-1)%uint64(len(b.o.Citizens))]
	now := b.o.Now()
	id := ids.UUID()
	var data *etree.Element
	if e.IsApplication() {
		doc := b.application(e, c, now, id)
		signer := c.Identity
		if e.Channel == ChannelCON {
			signer = b.o.Operator.Identity
		}
		signed, err := signing.SignEnveloped([]byte(doc), signer.Key, signer.Cert, signing.SignOptions{NCALayer: true})
		if err != nil {
			return nil, fmt.Errorf("loadgen: signing the application: %w", err)
		}
		data = syncchannel.StringData(string(signed))
	} else {
		data = etree.NewElement("data")
		data.CreateAttr("xmlns:xsi", syncchannel.NSXSI)
		data.CreateAttr("xmlns:cs", gbdfl.NS)
		data.CreateAttr("xsi:type", "cs:Request")
		data.CreateElement("messageId").SetText(id)
		data.CreateElement("messageDate").SetText(syncchannel.FormatDateTime(now))
		data.CreateElement("senderCode").SetText(e.Sender)
		data.CreateElement("iin").SetText(c.IIN)
	}
	req := &syncchannel.Request{Info: syncchannel.RequestInfo{MessageID: id, ServiceID: e.Service, MessageDate: now,
		Sender: syncchannel.Sender{ID: e.Sender, Password: e.Password}}, Data: data}
	doc := etree.NewDocument()
	env := doc.CreateElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", nsSOAP11)
	env.CreateElement("soapenv:Body").AddChild(req.Element())
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	signed, err := signing.SignWSSE(raw, b.o.System.Key, b.o.System.Cert, signing.SignOptions{})
	if err != nil {
		return nil, fmt.Errorf("loadgen: signing the envelope: %w", err)
	}
	return &Request{Entry: i, MessageID: id, Body: signed}, nil
}

// documentTypes are attached to applications of services that want documents (one tiny PDF
// each), so that the providers' formal checks find the package complete; certificate services
// need none.
var documentTypes = []string{"identity-document", "employment-record", "birth-certificate", "address-certificate", "pmpk-conclusion",
	"disability-certificate", "bank-account", "medical-conclusion", "income-certificate", "guardianship-request", "property-documents",
	"repatriate-documents"}

// certificateServices need no documents: the provider answers from its registers.
var certificateServices = map[string]bool{"AKT-3": true, "ALM-1": true, "AKT-8": true, "ZKO-10": true}

// application is the application document (gateway/application/application.xsd), unsigned; the
// field benchRequest makes each one unique.
func (b *Builder) application(e Entry, c *Citizen, now time.Time, id string) string {
	var s strings.Builder
	s.WriteString(`<app:application xmlns:app="` + application.Namespace + `">`)
	s.WriteString(`<app:serviceId>` + esc(e.Service) + `</app:serviceId><app:channel>` + e.Channel + `</app:channel>`)
	s.WriteString(`<app:submitted>` + now.Format(time.RFC3339) + `</app:submitted>`)
	s.WriteString(`<app:applicant><app:iin>` + c.IIN + `</app:iin>`)
	if c.Surname != "" {
		s.WriteString(`<app:surname>` + esc(c.Surname) + `</app:surname>`)
	}
	if c.Name != "" {
		s.WriteString(`<app:name>` + esc(c.Name) + `</app:name>`)
	}
	if c.Patronymic != "" {
		s.WriteString(`<app:patronymic>` + esc(c.Patronymic) + `</app:patronymic>`)
	}
	s.WriteString(`</app:applicant>`)
	if e.Channel == ChannelCON {
		o := b.o.Operator
		s.WriteString(`<app:operator><app:iin>` + o.IIN + `</app:iin>`)
		if o.BIN != "" {
			s.WriteString(`<app:bin>` + o.BIN + `</app:bin>`)
		}
		if o.Name != "" {
			s.WriteString(`<app:name>` + esc(o.Name) + `</app:name>`)
		}
		s.WriteString(`</app:operator>`)
	}
	s.WriteString(`<app:fields><app:field name="benchRequest">` + id + `</app:field>`)
	if e.Service == "AKT-1" || e.Service == "AKM-1" {
		s.WriteString(`<app:field name="lastEmployer">ТОО «НАГРУЗКА»</app:field><app:field name="dismissalDate">` +
			now.AddDate(0, -1, 0).Format(time.DateOnly) + `</app:field>`)
	}
	s.WriteString(`</app:fields>`)
	if !certificateServices[e.Service] {
		s.WriteString(`<app:attachments>`)
		for _, t := range documentTypes {
			s.WriteString(`<app:attachment name="` + t + `.pdf" mediaType="application/pdf" type="` + t + `">JVBERi0xLjQK</app:attachment>`)
		}
		s.WriteString(`</app:attachments>`)
	}
	s.WriteString(`</app:application>`)
	return s.String()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
