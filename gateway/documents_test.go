package gateway_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

// statement is a business document (not an application) as an information system sends one.
const statement = `<doc:statement xmlns:doc="urn:example:statement" id="st-1"><doc:iin>931002451325</doc:iin><doc:amount>100</doc:amount></doc:statement>`

// A business document's signature is verified whenever one is present, whatever the channel:
// outside the catalogue a system-channel sender (and a query of any channel) gets a document
// that was altered after signing, or signed by a certificate the gateway does not accept,
// refused with the application path's codes; an intact one is processed, the adapter getting the
// document and its signer; unsigned data is passed on unchecked.
func TestBusinessDocumentSignature(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	var got []*adapters.Request
	record := adapters.AdapterFunc(func(ctx context.Context, r *adapters.Request) (*adapters.Response, error) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
		return &adapters.Response{Data: etree.NewElement("data")}, nil
	})
	w.pipe.Router.Handle("DOCS", record)
	w.pipe.Router.Handle("DOCS-QUERY", record)
	w.pipe.Queries = []string{"DOCS-QUERY"} // answered without an application on every channel
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	citizen := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN})
	citizenAuth := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN, Usage: ca.UsageAuth})
	expired := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN, NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)})
	stranger := testpki.Issue(t, testpki.NewCA(t, ca.Options{}), ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN})

	sign := func(doc string, by *ca.Issued, ncalayer bool) string {
		b, err := signing.SignEnveloped([]byte(doc), by.Key, by.Certificate, signing.SignOptions{NCALayer: ncalayer})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	alter := func(doc string) string {
		if !strings.Contains(doc, "<doc:amount>100<") {
			t.Fatal("nothing to alter")
		}
		return strings.Replace(doc, "<doc:amount>100<", "<doc:amount>900<", 1)
	}
	// element parses doc into an element, for typed data.
	element := func(doc string) *etree.Element {
		d := etree.NewDocument()
		if err := d.ReadFromString(doc); err != nil {
			t.Fatal(err)
		}
		return d.Root()
	}
	typed := func(doc string) *etree.Element {
		d := etree.NewElement("data")
		d.AddChild(element(doc))
		return d
	}
	nested := func(doc string) *etree.Element {
		d := etree.NewElement("data")
		env := d.CreateElement("envelope")
		env.CreateElement("kind").SetText("statement")
		env.AddChild(element(doc))
		return d
	}
	// A signed data element: the signature's parent is data itself.
	signedData := sign(`<data xmlns:xsi="`+syncchannel.NSXSI+`" xmlns:cs="urn:example:cs" xsi:type="cs:Request"><doc:amount xmlns:doc="urn:example:statement">100</doc:amount></data>`, citizen, false)

	intactString := sign(statement, citizen, true)
	intactTyped := sign(statement, citizen, false)
	tests := []struct {
		name   string
		sender string
		data   *etree.Element
		code   string
		signer string // the ИИН the adapter gets as the document's signer ("" : no document)
	}{
		{"escaped document, intact", "smartbridge", syncchannel.StringData(intactString), syncchannel.StatusSuccess, applicantIIN},
		{"escaped document, altered", "smartbridge", syncchannel.StringData(alter(intactString)), "SIGNATURE_INVALID", ""},
		{"XML document, intact", "smartbridge", typed(intactTyped), syncchannel.StatusSuccess, applicantIIN},
		{"XML document, altered", "smartbridge", typed(alter(intactTyped)), "SIGNATURE_INVALID", ""},
		{"nested XML document, intact", "smartbridge", nested(intactTyped), syncchannel.StatusSuccess, applicantIIN},
		{"nested XML document, altered", "smartbridge", nested(alter(intactTyped)), "SIGNATURE_INVALID", ""},
		{"signed data element, intact", "smartbridge", element(signedData), syncchannel.StatusSuccess, applicantIIN},
		{"signed data element, altered", "smartbridge", element(strings.Replace(signedData, `statement">100<`, `statement">900<`, 1)), "SIGNATURE_INVALID", ""},
		{"signed by an AUTH key", "smartbridge", syncchannel.StringData(sign(statement, citizenAuth, true)), "CERT_KEY_USAGE", ""},
		{"signed by an expired certificate", "smartbridge", syncchannel.StringData(sign(statement, expired, true)), "CERT_EXPIRED", ""},
		{"signed under an untrusted CA", "smartbridge", syncchannel.StringData(sign(statement, stranger, true)), "CERT_UNTRUSTED", ""},
		{"escaped, signed, not well-formed", "smartbridge", syncchannel.StringData(intactString[:len(intactString)-5]), "REQUEST_MALFORMED", ""},
		{"unsigned document", "smartbridge", syncchannel.StringData(statement), syncchannel.StatusSuccess, ""},
		{"typed data, no document", "smartbridge", gbdflData(applicantIIN), syncchannel.StatusSuccess, ""},
		{"query of the portal channel, intact", "portal", syncchannel.StringData(intactString), syncchannel.StatusSuccess, applicantIIN},
		{"query of the portal channel, altered", "portal", syncchannel.StringData(alter(intactString)), "SIGNATURE_INVALID", ""},
	}
	passwords := map[string]string{"smartbridge": "123", "portal": "portal-password"}
	for _, tt := range tests {
		service := "DOCS"
		if tt.sender != "smartbridge" {
			service = "DOCS-QUERY"
		}
		mu.Lock()
		before := len(got)
		mu.Unlock()
		a := w.send(w.signed(msg{sender: tt.sender, password: passwords[tt.sender], service: service, data: tt.data}, system))
		if a.code != tt.code {
			t.Errorf("%s: %q, want %q (%v)", tt.name, a.code, tt.code, a.fault)
			continue
		}
		mu.Lock()
		reached := got[before:]
		mu.Unlock()
		rec := w.logged(a)
		var docStep string
		for _, s := range rec.Steps {
			if s.Name == "document" {
				docStep = s.Outcome
			}
		}
		switch {
		case tt.code != syncchannel.StatusSuccess:
			if len(reached) != 0 || docStep != tt.code {
				t.Errorf("%s: refused, yet the adapter was called %d times (document step %q)", tt.name, len(reached), docStep)
			}
		case len(reached) != 1:
			t.Errorf("%s: the adapter was called %d times", tt.name, len(reached))
		case tt.signer == "":
			if reached[0].Document != nil || docStep != "" {
				t.Errorf("%s: no signed document, yet a document step %q / document %q", tt.name, docStep, reached[0].Document)
			}
		default:
			if docStep != "ok" || reached[0].Signer == nil || reached[0].Signer.IIN != tt.signer || len(reached[0].Document) == 0 {
				var signer string
				if s := reached[0].Signer; s != nil {
					signer = string(s.Kind) + " " + s.IIN + s.BIN
				}
				t.Errorf("%s: document step %q, signer %q, document %d bytes", tt.name, docStep, signer, len(reached[0].Document))
			}
		}
	}
}
