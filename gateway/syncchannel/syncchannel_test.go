package syncchannel_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/fixtures"
)

const soap11 = "http://schemas.xmlsoap.org/soap/envelope/"

// bodyOf parses an envelope and returns its Body (tests only: the gateway takes the verified Body
// from the signing package).
func bodyOf(t *testing.T, xml string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(strings.TrimPrefix(strings.TrimSpace(xml), "\ufeff")); err != nil {
		t.Fatal(err)
	}
	for _, el := range doc.Root().ChildElements() {
		if el.Tag == "Body" && el.NamespaceURI() == soap11 {
			return el
		}
	}
	t.Fatal("no Body")
	return nil
}

func TestParseRealRequest(t *testing.T) {
	body := bodyOf(t, string(fixtures.Read(t, "wsse-rsa-sendmessage-gbdfl.xml")))
	r, err := syncchannel.ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	i := r.Info
	if i.MessageID != "ccb1010b-8446-4937-913f-c87a717f6809" || i.ServiceID != "GBDFL_UniversalServiceSync" ||
		i.Sender != (syncchannel.Sender{ID: "smartbridge", Password: "123"}) ||
		!i.MessageDate.Equal(time.Date(2019, 12, 25, 12, 48, 21, 24e6, time.UTC)) ||
		len(i.Properties) != 1 || i.Properties[0] != (syncchannel.Property{Key: "CONNECTOR_CLIENT", Value: "true"}) {
		t.Fatalf("requestInfo: %+v", i)
	}
	local, ns := syncchannel.DataType(r.Data)
	if local != "Request" || ns != "http://message.persistence.interactive.nat" {
		t.Errorf("data type {%s}%s", ns, local)
	}
	if iin := r.Data.FindElement("iin"); iin == nil || iin.Text() != "931002451325" {
		t.Errorf("data/iin: %v", iin)
	}
	if syncchannel.IsStringData(r.Data) {
		t.Error("typed data reported as a string")
	}
}

func envelope(body string) string {
	return `<s:Envelope xmlns:s="` + soap11 + `"><s:Body>` + body + `</s:Body></s:Envelope>`
}

const goodInfo = `<messageId>m1</messageId><serviceId>S</serviceId><messageDate>2026-01-02T03:04:05.678+06:00</messageDate><sender><senderId>portal</senderId></sender>`

func TestParseRequestRejects(t *testing.T) {
	wrap := func(info, data string) string {
		return `<t:SendMessage xmlns:t="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo>` + info +
			`</requestInfo><requestData>` + data + `</requestData></request></t:SendMessage>`
	}
	for name, body := range map[string]string{
		"wrong namespace":       strings.Replace(wrap(goodInfo, ""), "v10/Types", "v11/Types", 1),
		"wrong wrapper":         `<t:SendMessages xmlns:t="http://bip.bee.kz/SyncChannel/v10/Types"/>`,
		"two wrappers":          wrap(goodInfo, "") + wrap(goodInfo, ""),
		"no messageId":          wrap(strings.Replace(goodInfo, "<messageId>m1</messageId>", "", 1), ""),
		"empty messageId":       wrap(strings.Replace(goodInfo, "m1", "", 1), ""),
		"no sender":             wrap(strings.Replace(goodInfo, "<sender><senderId>portal</senderId></sender>", "", 1), ""),
		"bad date":              wrap(strings.Replace(goodInfo, "2026-01-02T03:04:05.678+06:00", "yesterday", 1), ""),
		"out of order":          wrap(`<serviceId>S</serviceId>`+strings.Replace(goodInfo, "<serviceId>S</serviceId>", "", 1), ""),
		"qualified child":       wrap(strings.Replace(goodInfo, "<messageId>m1</messageId>", `<t:messageId>m1</t:messageId>`, 1), ""),
		"unknown child":         wrap(goodInfo+`<evil>x</evil>`, ""),
		"two data":              wrap(goodInfo, `<data>a</data><data>b</data>`),
		"long property key":     wrap(goodInfo+`<properties><key>`+strings.Repeat("k", 31)+`</key><value>v</value></properties>`, ""),
		"structured serviceId":  wrap(strings.Replace(goodInfo, "<serviceId>S</serviceId>", "<serviceId><x/></serviceId>", 1), ""),
		"no requestData at all": `<t:SendMessage xmlns:t="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo>` + goodInfo + `</requestInfo></request></t:SendMessage>`,
	} {
		_, err := syncchannel.ParseRequest(bodyOf(t, envelope(body)))
		if !errors.Is(err, syncchannel.ErrFormat) {
			t.Errorf("%s: %v, want a format error", name, err)
		}
	}
}

func TestRequestRoundTrip(t *testing.T) {
	in := &syncchannel.Request{
		Info: syncchannel.RequestInfo{MessageID: "m-1", CorrelationID: "c-1", ServiceID: "GBDFL_UniversalServiceSync",
			MessageDate: time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.FixedZone("", 5*3600)), RouteID: "R_Akmola",
			Sender: syncchannel.Sender{ID: "portal", Password: "pw"}, Properties: []syncchannel.Property{{"a", "1"}, {"b", "2"}}},
		Data: syncchannel.StringData(`<?xml version="1.0"?><app><iin>931002451325</iin></app>`),
	}
	doc := etree.NewDocument()
	env := doc.CreateElement("s:Envelope")
	env.CreateAttr("xmlns:s", soap11)
	env.CreateElement("s:Body").AddChild(in.Element())
	s, _ := doc.WriteToString()
	out, err := syncchannel.ParseRequest(bodyOf(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if out.Info.MessageID != "m-1" || out.Info.CorrelationID != "c-1" || out.Info.RouteID != "R_Akmola" || len(out.Info.Properties) != 2 ||
		!out.Info.MessageDate.Equal(in.Info.MessageDate) || out.Info.Sender != in.Info.Sender {
		t.Fatalf("round trip: %+v", out.Info)
	}
	if !syncchannel.IsStringData(out.Data) || !strings.Contains(out.Data.Text(), "<iin>931002451325</iin>") {
		t.Fatalf("string data: %v", out.Data)
	}
}

func TestResponseAndFaultRoundTrip(t *testing.T) {
	data := etree.NewElement("data")
	data.CreateElement("result").SetText("ok")
	in := &syncchannel.Response{Info: syncchannel.ResponseInfo{MessageID: "r-1", CorrelationID: "m-1",
		ResponseDate: time.Date(2026, 11, 22, 10, 0, 1, 0, time.UTC), Status: syncchannel.Status{Code: syncchannel.StatusSuccess, Message: strings.Repeat("я", 300)},
		SessionID: "{f0774397-4fcd-484a-9434-f71535ee4326}"}, Data: data}
	body := etree.NewElement("Body")
	body.AddChild(in.Element())
	out, err := syncchannel.ParseResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	if out.Info.Status.Code != "SCSS001" || len([]rune(out.Info.Status.Message)) != 250 || out.Info.SessionID != in.Info.SessionID ||
		!syncchannel.ValidSessionID(out.Info.SessionID) || out.Data.FindElement("result").Text() != "ok" {
		t.Fatalf("response: %+v", out.Info)
	}
	fault := &syncchannel.ErrorInfo{Code: "SIGNATURE_INVALID", Message: "ЭЦП не подтверждена", Data: "digest mismatch",
		Date: time.Date(2026, 11, 22, 10, 0, 2, 0, time.UTC), SessionID: "{f0774397-4fcd-484a-9434-f71535ee4326}",
		Sub: &syncchannel.ErrorInfo{Code: "CERT_REVOKED", Message: "Сертификат отозван", Date: time.Date(2026, 11, 22, 10, 0, 2, 0, time.UTC)}}
	got, err := syncchannel.ParseFault(fault.Element())
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != fault.Code || got.Message != fault.Message || got.Data != fault.Data || got.Sub == nil || got.Sub.Code != "CERT_REVOKED" || got.SessionID != fault.SessionID {
		t.Fatalf("fault: %+v", got)
	}
	if syncchannel.ValidSessionID("f0774397-4fcd-484a-9434-f71535ee4326") {
		t.Error("a session id without braces passed")
	}
}
