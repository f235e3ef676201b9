package example_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters/remote/example"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

func systemCert(t testing.TB, a *ca.Authority, name string, serial int) *ca.Issued {
	t.Helper()
	for s := serial; ; s++ {
		bin, err := certs.NewBIN(time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC), certs.EntityResident, certs.AttrHeadOffice, s)
		if err == nil {
			return testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: bin.Digits, CommonName: name})
		}
	}
}

// sendMessage builds a SendMessage signed by iss.
func sendMessage(t testing.TB, iss *ca.Issued, id, service string, data *etree.Element) []byte {
	t.Helper()
	req := &syncchannel.Request{Info: syncchannel.RequestInfo{MessageID: id, CorrelationID: "sender-1", ServiceID: service, MessageDate: time.Now(),
		Sender: syncchannel.Sender{ID: "shep"}}, Data: data}
	doc := etree.NewDocument()
	env := doc.CreateElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", "http://schemas.xmlsoap.org/soap/envelope/")
	env.CreateElement("soapenv:Body").AddChild(req.Element())
	raw, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if iss == nil {
		return raw
	}
	out, err := signing.SignWSSE(raw, iss.Key, iss.Certificate, signing.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func post(t testing.TB, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "text/xml; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// answer verifies that the provider signed body and reads its response or fault.
func answer(t testing.TB, body []byte, provider *x509.Certificate) (*syncchannel.Response, *syncchannel.ErrorInfo) {
	t.Helper()
	v, err := signing.VerifyWSSE(body, signing.Options{})
	if err != nil {
		t.Fatalf("the answer does not verify: %v\n%s", err, body)
	}
	if !v.Certificate.Equal(provider) {
		t.Fatalf("the answer is signed by %s", v.Certificate.Subject)
	}
	if f := v.Element.FindElement("./Fault/detail/" + syncchannel.FaultElement); f != nil {
		info, err := syncchannel.ParseFault(f)
		if err != nil {
			t.Fatal(err)
		}
		return nil, info
	}
	r, err := syncchannel.ParseResponse(v.Element)
	if err != nil {
		t.Fatal(err)
	}
	return r, nil
}

func application(iin string) *etree.Element {
	return syncchannel.StringData(`<?xml version="1.0" encoding="UTF-8"?><app:application xmlns:app="urn:shep:application:1.0" id="a1">` +
		`<app:serviceId>DEMO-REMOTE-1</app:serviceId><app:channel>portal</app:channel><app:submitted>2026-11-22T10:00:00+05:00</app:submitted>` +
		`<app:applicant><app:iin>` + iin + `</app:iin><app:surname>ИВАНОВ</app:surname></app:applicant></app:application>`)
}

func iinData(iin string) *etree.Element {
	d := etree.NewElement("data")
	d.CreateElement("iin").SetText(iin)
	return d
}

func TestProvider(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	gw, prov, other := systemCert(t, a, "ШЭП (TEST)", 1), systemCert(t, a, "ДЕМО ПОСТАВЩИК", 50), systemCert(t, a, "ЧУЖАЯ СИСТЕМА", 90)
	var calls atomic.Int32
	demo := example.Demo(example.DemoServiceID, time.Now)
	srv := httptest.NewServer(example.New(example.Options{Key: prov.Key, Cert: prov.Certificate, GatewayCert: gw.Certificate,
		Handler: func(ctx context.Context, req *syncchannel.Request) (*etree.Element, error) {
			calls.Add(1)
			if req.Info.ServiceID == "BROKEN" {
				return nil, errors.New("database is down")
			}
			return demo(ctx, req)
		}}))
	defer srv.Close()
	if _, err := certs.ParseIIN("931002451326", certs.ParseOptions{}); err == nil {
		t.Fatal("931002451326 is a valid ИИН: the refusal case would not refuse")
	}
	future, err := certs.NewIIN(time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC), certs.SexFemale, 1)
	if err != nil {
		t.Fatal(err)
	}
	refused := sendMessage(t, gw, "m3", example.DemoServiceID, application("931002451326"))
	broken := sendMessage(t, gw, "m7", "BROKEN", nil)

	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string // fault code, or "" for a response
	}{
		{"application", sendMessage(t, gw, "m1", example.DemoServiceID, application("931002451325")), 200, ""},
		{"typed iin", sendMessage(t, gw, "m2", example.DemoServiceID, iinData("941111350315")), 200, ""},
		{"bad check digit", refused, 500, "PROVIDER_REFUSED"},
		{"future birth date", sendMessage(t, gw, "m4", example.DemoServiceID, iinData(future.Digits)), 500, "PROVIDER_REFUSED"},
		{"no data", sendMessage(t, gw, "m5", example.DemoServiceID, nil), 500, "REQUEST_INVALID"},
		{"other service", sendMessage(t, gw, "m6", "DEMO-REMOTE-2", iinData("931002451325")), 500, "SERVICE_UNKNOWN"},
		{"handler error", broken, 500, "PROVIDER_INTERNAL"},
		{"signed by another system", sendMessage(t, other, "m8", example.DemoServiceID, iinData("931002451325")), 500, "SENDER_UNKNOWN"},
		{"unsigned", sendMessage(t, nil, "m9", example.DemoServiceID, iinData("931002451325")), 500, "SIGNATURE_INVALID"},
		{"altered", bytes.Replace(sendMessage(t, gw, "m10", example.DemoServiceID, iinData("931002451325")), []byte("931002451325"), []byte("941111350315"), 1),
			500, "SIGNATURE_INVALID"},
		{"not XML", []byte("hello"), 500, "REQUEST_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, srv.URL, tc.body)
			if status != tc.status {
				t.Fatalf("HTTP %d, want %d\n%s", status, tc.status, body)
			}
			resp, fault := answer(t, body, prov.Certificate)
			if tc.code != "" {
				if fault == nil || fault.Code != tc.code || fault.Message == "" {
					t.Fatalf("fault %+v, want %s", fault, tc.code)
				}
				return
			}
			if fault != nil {
				t.Fatalf("fault %+v", fault)
			}
			if resp.Info.CorrelationID == "" || resp.Info.Status.Code != syncchannel.StatusSuccess || resp.Info.MessageID == resp.Info.CorrelationID {
				t.Errorf("responseInfo %+v", resp.Info)
			}
			if d := resp.Data.FindElement("decision"); d == nil || d.Text() != "positive" {
				t.Errorf("data: %v", resp.Data)
			}
		})
	}

	// A repeat of a message gets the same answer without a second call; another message under
	// the same messageId is refused.
	msg := sendMessage(t, gw, "dup-1", example.DemoServiceID, iinData("931002451325"))
	before := calls.Load()
	_, first := post(t, srv.URL, msg)
	_, second := post(t, srv.URL, msg)
	if !bytes.Equal(first, second) || calls.Load() != before+1 {
		t.Errorf("a repeat was processed again (%d calls)", calls.Load()-before)
	}
	if r, _ := answer(t, first, prov.Certificate); r == nil || r.Info.CorrelationID != "dup-1" {
		t.Errorf("correlationId of the answer: %+v", r)
	}
	_, body := post(t, srv.URL, sendMessage(t, gw, "dup-1", example.DemoServiceID, iinData("941111350315")))
	if _, f := answer(t, body, prov.Certificate); f == nil || f.Code != "REQUEST_INVALID" || !strings.Contains(f.Message, "уже использован") {
		t.Errorf("another message under a used messageId: %+v", f)
	}
	// A refusal is final and remembered; an internal error is not.
	before = calls.Load()
	post(t, srv.URL, refused)
	post(t, srv.URL, broken)
	if n := calls.Load() - before; n != 1 {
		t.Errorf("%d handler calls for a repeated refusal and a repeated internal error, want 1", n)
	}

	if resp, err := http.Get(srv.URL); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %v %v", resp, err)
	}
}
