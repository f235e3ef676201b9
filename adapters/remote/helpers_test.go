package remote_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters/remote"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

var ctx = context.Background()

// systemCert issues an information system's certificate with a valid БИН derived from serial.
func systemCert(t testing.TB, a *ca.Authority, name string, serial int) *ca.Issued {
	t.Helper()
	for s := serial; ; s++ {
		bin, err := certs.NewBIN(time.Date(2012, 4, 1, 0, 0, 0, 0, time.UTC), certs.EntityResident, certs.AttrHeadOffice, s)
		if err != nil {
			continue
		}
		return testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: bin.Digits, CommonName: name, Organization: name})
	}
}

func openStore(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// responseEnvelope builds an unsigned SOAP 1.1 envelope around child.
func responseEnvelope(t testing.TB, child *etree.Element) []byte {
	t.Helper()
	doc := etree.NewDocument()
	env := doc.CreateElement("S:Envelope")
	env.CreateAttr("xmlns:S", remote.NSSOAP11)
	env.CreateElement("S:Body").AddChild(child)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signed(t testing.TB, env []byte, iss *ca.Issued) []byte {
	t.Helper()
	b, err := signing.SignWSSE(env, iss.Key, iss.Certificate, signing.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// okResponse is a SendMessageResponse answering correlationID with a small data element.
func okResponse(correlationID, status string) *etree.Element {
	d := etree.NewElement("data")
	d.CreateElement("answer").SetText("да")
	r := &syncchannel.Response{Info: syncchannel.ResponseInfo{MessageID: "p-1", CorrelationID: correlationID, ResponseDate: time.Now(),
		Status: syncchannel.Status{Code: status, Message: "m"}}, Data: d}
	return r.Element()
}

// faultElement is a SOAP 1.1 fault, with an ErrorInfo of code when code is not empty.
func faultElement(code string) *etree.Element {
	f := etree.NewElement("S:Fault")
	f.CreateElement("faultcode").SetText("S:Server")
	f.CreateElement("faultstring").SetText("Отказ поставщика")
	if code != "" {
		info := &syncchannel.ErrorInfo{Code: code, Message: "Отказ поставщика", Date: time.Now()}
		f.CreateElement("detail").AddChild(info.Element())
	}
	return f
}
