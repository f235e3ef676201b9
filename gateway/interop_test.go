package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

// Interoperability with independent SOAP/XML-DSig stacks: python3-zeep (WSDL-driven client with
// its WS-Security signature plugin, libxmlsec1 underneath) and the xmlsec1 command line. Both
// fail, not skip, when the tool is missing: apt-get install -y python3-zeep python3-xmlsec xmlsec1.

// zeepClient is run by /usr/bin/python3 as: zeepClient.py URL KEY CERT GATEWAY_CERT ID_OK ID_BADPW.
// It prints one JSON object on its last line of stdout.
const zeepClient = `
import datetime, json, sys

try:
    import xmlsec
    import zeep
    from lxml import etree
    from zeep import xsd
    from zeep.exceptions import Fault
    from zeep.transports import Transport
    from zeep.wsse.signature import Signature, verify_envelope
except ImportError as e:
    print(json.dumps({"error": "import: %s" % e}))
    sys.exit(3)

url, key_file, cert_file, gateway_cert, id_ok, id_badpw = sys.argv[1:7]

WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
SHORT = {WSSE: "wsse", DS: "ds", WSU: "wsu"}


class GatewaySigned(Signature):
    """zeep's Signature plugin; answers are checked against the gateway's certificate (zeep's
    own verify would use the client's certificate, which never signs an answer)."""

    verified = 0

    def verify(self, envelope):
        verify_envelope(envelope, gateway_cert)  # raises SignatureVerificationFailed
        GatewaySigned.verified += 1
        return envelope


def layout(envelope):
    """What zeep put on the wire: the references, the Body's wsu:Id, the KeyInfo tree."""
    sig = envelope.find(".//{%s}Signature" % DS)
    if sig is None:
        return {}
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    paths = []

    def walk(el, prefix):
        for c in el:
            if not isinstance(c.tag, str):
                continue
            q = etree.QName(c)
            p = prefix + SHORT.get(q.namespace, q.namespace or "") + ":" + q.localname
            paths.append(p)
            walk(c, p + "/")

    walk(sig.find("{%s}KeyInfo" % DS), "")
    return {
        "references": [r.get("URI") for r in sig.iterfind("{%s}SignedInfo/{%s}Reference" % (DS, DS))],
        "body_id": body.get("{%s}Id" % WSU),
        "key_info": paths,
        "timestamp": envelope.find(".//{%s}Timestamp" % WSU) is not None,
        "signature_method": sig.find("{%s}SignedInfo/{%s}SignatureMethod" % (DS, DS)).get("Algorithm"),
    }


class Recording(Transport):
    """Keeps the exact bytes posted."""

    sent = []

    def post(self, address, message, headers):
        Recording.sent.append(message)
        return super().post(address, message, headers)


wsse = GatewaySigned(key_file, cert_file,
                     signature_method=xmlsec.constants.TransformRsaSha256,
                     digest_method=xmlsec.constants.TransformSha256)
client = zeep.Client(url + "?wsdl", wsse=wsse, transport=Recording())

# data is xs:anyType: an AnyObject of a type made up here renders <data xsi:type="ns1:Request">.
NAT = "http://message.persistence.interactive.nat"
Request = xsd.ComplexType(
    xsd.Sequence([xsd.Element("messageId", xsd.String()), xsd.Element("iin", xsd.String())]),
    qname=etree.QName(NAT, "Request"))


def send(message_id, password):
    data = xsd.AnyObject(Request, Request(messageId="1", iin="931002451325"))
    return client.service.SendMessage(request={
        "requestInfo": {
            "messageId": message_id,
            "serviceId": "GBDFL_UniversalServiceSync",
            "messageDate": datetime.datetime.now(datetime.timezone.utc),
            "sender": {"senderId": "smartbridge", "password": password},
        },
        "requestData": {"data": data},
    })


def fault(f):
    def detail(name):
        return f.detail.xpath("string(.//*[local-name()='%s'])" % name) if f.detail is not None else ""
    return {"message": f.message, "code": f.code, "error_code": detail("errorCode"),
            "sub_error": detail("subError"), "session_id": detail("sessionId")}


out = {"first_fault": None, "fault": None}
try:
    r = send(id_ok, "123")
    out["status"] = r.responseInfo.status.code
    out["session_id"] = r.responseInfo.sessionId
    out["surnames"] = [s.text for el in (r.responseData.data or []) for s in el.iter("surname")]
except Fault as f:
    out["first_fault"] = fault(f)
out["sent"] = layout(etree.fromstring(Recording.sent[-1]))
try:
    send(id_badpw, "wrong")
except Fault as f:
    out["fault"] = fault(f)
out["verified"] = GatewaySigned.verified
print(json.dumps(out))
`

type zeepFault struct {
	Message, Code string
	ErrorCode     string `json:"error_code"`
	SubError      string `json:"sub_error"`
	SessionID     string `json:"session_id"`
}

type zeepOutput struct {
	Error string `json:"error"`
	Sent  struct {
		References      []string `json:"references"`
		BodyID          string   `json:"body_id"`
		KeyInfo         []string `json:"key_info"`
		Timestamp       bool     `json:"timestamp"`
		SignatureMethod string   `json:"signature_method"`
	} `json:"sent"`
	Status    string   `json:"status"`
	SessionID string   `json:"session_id"`
	Surnames  []string `json:"surnames"`
	// FirstFault is the answer to the good request, should it be a fault; Fault the wrong password's.
	FirstFault *zeepFault `json:"first_fault"`
	Fault      *zeepFault `json:"fault"`

	Verified int `json:"verified"`
}

// TestZeepClient: zeep, driven by the served WSDL, signs with its WS-Security plugin
// (KeyInfo/wsse:SecurityTokenReference/ds:X509Data) and gets ГБД ФЛ's answer; a wrong password
// comes back as a zeep Fault carrying ErrorInfo. zeep checks both answers' signatures.
func TestZeepClient(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС КЛИЕНТ НА ZEEP"})
	dir := t.TempDir()
	certPath, keyPath := testpki.WriteIssued(t, dir, "client", system)
	gwPath := testpki.Write(t, dir, "gateway.crt", ca.PEMCertificate(w.pipe.Identity.Certificate))
	script := testpki.Write(t, dir, "zeep_client.py", []byte(zeepClient))
	idOK, idBad := fmt.Sprintf("zeep-ok-%d", time.Now().UnixNano()), fmt.Sprintf("zeep-badpw-%d", time.Now().UnixNano())

	cmd := exec.Command("/usr/bin/python3", script, w.url, keyPath, certPath, gwPath, idOK, idBad)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	var out zeepOutput
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &out); jerr != nil || err != nil || out.Error != "" {
		t.Fatalf("python3 zeep client: %v / %v %s\nstdout:\n%s\nstderr:\n%s", err, jerr, out.Error, stdout, stderr.Bytes())
	}
	t.Logf("zeep sent: references %v, Body wsu:Id %q, KeyInfo %v, Timestamp %v, %s",
		out.Sent.References, out.Sent.BodyID, out.Sent.KeyInfo, out.Sent.Timestamp, out.Sent.SignatureMethod)

	// What zeep 4.2.1 puts on the wire: one Reference, to the Body; the certificate in
	// STR/X509Data (xmlsec leaves X509IssuerSerial empty); no Timestamp (none was asked for).
	if len(out.Sent.References) != 1 || out.Sent.BodyID == "" || out.Sent.References[0] != "#"+out.Sent.BodyID || out.Sent.Timestamp {
		t.Errorf("zeep's references changed: %+v", out.Sent)
	}
	wantKeyInfo := []string{"wsse:SecurityTokenReference", "wsse:SecurityTokenReference/ds:X509Data",
		"wsse:SecurityTokenReference/ds:X509Data/ds:X509IssuerSerial", "wsse:SecurityTokenReference/ds:X509Data/ds:X509Certificate"}
	if !slices.Equal(out.Sent.KeyInfo, wantKeyInfo) {
		t.Errorf("zeep's KeyInfo layout changed: %v", out.Sent.KeyInfo)
	}

	if out.FirstFault != nil {
		t.Fatalf("zeep's signed request refused: %+v", *out.FirstFault)
	}
	if out.Status != syncchannel.StatusSuccess || !slices.Equal(out.Surnames, []string{"ИВАНОВА"}) {
		t.Errorf("zeep got status %q, surnames %q; want %s and [ИВАНОВА]", out.Status, out.Surnames, syncchannel.StatusSuccess)
	}
	if out.Fault == nil || out.Fault.ErrorCode != "AUTH_PASSWORD" {
		t.Errorf("wrong password: zeep fault %+v, want errorCode AUTH_PASSWORD", out.Fault)
	}
	if out.Verified != 2 {
		t.Errorf("zeep verified %d answers' signatures, want 2", out.Verified)
	}

	// The gateway's side: the exchange is logged as signed by zeep's certificate.
	rec, err := w.log.Get(ctx, "smartbridge", idOK)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != syncchannel.StatusSuccess || rec.SessionID != out.SessionID || rec.SignerBIN != "160440007161" || rec.ServiceID != gbdfl.ServiceID {
		t.Errorf("log record: status %q session %q (zeep saw %q) signer БИН %q service %q", rec.Status, rec.SessionID, out.SessionID, rec.SignerBIN, rec.ServiceID)
	}
	// A refusal before the sender is authenticated is logged under its session, not the messageId.
	if out.Fault != nil {
		if rec, err := w.log.BySession(ctx, out.Fault.SessionID); err != nil || rec.Status != "AUTH_PASSWORD" || !bytes.Contains(rec.Request, []byte(idBad)) {
			t.Errorf("wrong-password record of session %q: %v", out.Fault.SessionID, err)
		}
	}
}

// xmlsec1Template is a SendMessage with a WS-Security signature template for xmlsec1 --sign:
// exc-c14n, RSA-SHA256, one Reference to the Body's wsu:Id, the certificate in X509Data.
const xmlsec1Template = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <soapenv:Header>
    <wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" soapenv:mustUnderstand="1">
      <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:SignedInfo>
          <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
          <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
          <ds:Reference URI="#body-{{ID}}">
            <ds:Transforms>
              <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
            </ds:Transforms>
            <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
            <ds:DigestValue/>
          </ds:Reference>
        </ds:SignedInfo>
        <ds:SignatureValue/>
        <ds:KeyInfo>
          <ds:X509Data>
            <ds:X509Certificate/>
          </ds:X509Data>
        </ds:KeyInfo>
      </ds:Signature>
    </wsse:Security>
  </soapenv:Header>
  <soapenv:Body wsu:Id="body-{{ID}}">
    <ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types">
      <request>
        <requestInfo>
          <messageId>{{ID}}</messageId>
          <serviceId>GBDFL_UniversalServiceSync</serviceId>
          <messageDate>{{DATE}}</messageDate>
          <sender>
            <senderId>smartbridge</senderId>
            <password>123</password>
          </sender>
        </requestInfo>
        <requestData>
          <data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cs="http://message.persistence.interactive.nat" xsi:type="cs:Request">
            <messageId>1</messageId>
            <iin>931002451325</iin>
          </data>
        </requestData>
      </request>
    </ns3:SendMessage>
  </soapenv:Body>
</soapenv:Envelope>
`

// xmlsec1 runs the xmlsec1 command line; a missing binary fails the test.
func xmlsec1(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatal("xmlsec1 not found: apt-get install -y xmlsec1")
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// bodyID makes xmlsec1 treat the SOAP 1.1 Body's Id (it matches the local name, so wsu:Id) as an ID.
var bodyID = []string{"--id-attr:Id", gateway.NSSOAP11 + ":Body"}

// xmlsec1Sign has xmlsec1 sign the template tmpl (written to dir as ID.tmpl.xml) with the key and
// certificate files, and returns the signed document.
func xmlsec1Sign(t *testing.T, dir, id, tmpl, keyPath, certPath string) []byte {
	t.Helper()
	in := testpki.Write(t, dir, id+".tmpl.xml", []byte(tmpl))
	outPath := filepath.Join(dir, id+".xml")
	if out, err := xmlsec1(t, append(append([]string{"--sign", "--privkey-pem", keyPath + "," + certPath}, bodyID...), "--output", outPath, in)...); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestXMLSec1SignedRequest: a request signed by the xmlsec1 CLI is accepted, a tampered copy is
// refused, and xmlsec1 verifies the gateway's answers with the certificate they carry.
func TestXMLSec1SignedRequest(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС КЛИЕНТ НА XMLSEC1"})
	dir := t.TempDir()
	certPath, keyPath := testpki.WriteIssued(t, dir, "client", system)
	sign := func(id string) []byte {
		t.Helper()
		tmpl := strings.NewReplacer("{{ID}}", id, "{{DATE}}", syncchannel.FormatDateTime(time.Now())).Replace(xmlsec1Template)
		b := xmlsec1Sign(t, dir, id, tmpl, keyPath, certPath)
		if bytes.Contains(b, []byte("<ds:SignatureValue/>")) || !bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString(system.Certificate.Raw)[:64])) {
			t.Fatalf("xmlsec1 left the template unsigned:\n%s", b)
		}
		return b
	}
	// verifyAnswer has xmlsec1 check an answer with the certificate from its KeyIdentifier, which
	// must be the gateway's.
	verifyAnswer := func(name string, body []byte) {
		t.Helper()
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(body); err != nil {
			t.Fatal(err)
		}
		ki := doc.FindElement("//KeyInfo/SecurityTokenReference/KeyIdentifier")
		if ki == nil {
			t.Fatalf("%s: no KeyIdentifier in the answer:\n%s", name, body)
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(ki.Text()), ""))
		if err != nil || !bytes.Equal(der, w.pipe.Identity.Certificate.Raw) {
			t.Fatalf("%s: KeyIdentifier is not the gateway's certificate (%v)", name, err)
		}
		gw := testpki.Write(t, dir, name+".gateway.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		f := testpki.Write(t, dir, name+".answer.xml", body)
		args := append(append([]string{"--verify", "--pubkey-cert-pem", gw}, bodyID...), f)
		if out, err := xmlsec1(t, args...); err != nil || !strings.Contains(out, "OK") {
			t.Errorf("%s: xmlsec1 --verify refuses the gateway's answer: %v\n%s\n%s", name, err, out, body)
		}
		// And the check has teeth: the answer with one byte of its Body changed is refused.
		tampered := bytes.Replace(body, []byte("</SOAP-ENV:Body>"), []byte("<!---->x</SOAP-ENV:Body>"), 1)
		tf := testpki.Write(t, dir, name+".answer-tampered.xml", tampered)
		if out, err := xmlsec1(t, append(args[:len(args)-1:len(args)-1], tf)...); err == nil {
			t.Errorf("%s: xmlsec1 accepts a tampered answer:\n%s", name, out)
		}
	}

	id := fmt.Sprintf("xmlsec1-%d", time.Now().UnixNano())
	signed := sign(id)
	a := w.send(signed)
	if a.code != syncchannel.StatusSuccess || a.data == nil || a.data.FindElement(".//person/surname") == nil || a.data.FindElement(".//person/surname").Text() != "ИВАНОВА" {
		t.Fatalf("xmlsec1-signed request: %q (HTTP %d)\n%.2000s", a.code, a.status, a.body)
	}
	verifyAnswer("success", a.body)
	if v, err := signing.VerifyWSSE(signed, signing.Options{}); err != nil || !v.Certificate.Equal(system.Certificate) {
		t.Fatalf("our verifier on xmlsec1's signature: %v", err)
	}

	// The same file with the ИИН changed: under a messageId not used yet the signature is refused;
	// under the one already answered too: the signature is checked before idempotency, so a
	// tampered copy is never matched against the log.
	id2 := fmt.Sprintf("xmlsec1-tampered-%d", time.Now().UnixNano())
	tampered := bytes.Replace(sign(id2), []byte("<iin>931002451325</iin>"), []byte("<iin>660427402182</iin>"), 1)
	if bytes.Count(tampered, []byte("660427402182")) != 1 {
		t.Fatal("ИИН not replaced")
	}
	a = w.send(tampered)
	if a.code != "SIGNATURE_INVALID" {
		t.Fatalf("tampered xmlsec1 request: %q (HTTP %d), want SIGNATURE_INVALID\n%.2000s", a.code, a.status, a.body)
	}
	verifyAnswer("fault", a.body)
	if a := w.send(bytes.Replace(signed, []byte("<iin>931002451325</iin>"), []byte("<iin>660427402182</iin>"), 1)); a.code != "SIGNATURE_INVALID" {
		t.Errorf("tampered copy of the answered message: %q, want SIGNATURE_INVALID", a.code)
	}
}

// rsa-sha1 (xmlsec1 signs it; shep never does) is refused as ALGORITHM_NOT_SUPPORTED unless the
// pipeline allows it (`shep serve --allow-sha1`).
func TestSHA1OnlyWhenAllowed(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	dir := t.TempDir()
	certPath, keyPath := testpki.WriteIssued(t, dir, "client", system)
	sha1 := strings.NewReplacer("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
		"http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1")
	sign := func(id string) []byte {
		t.Helper()
		tmpl := sha1.Replace(strings.NewReplacer("{{ID}}", id, "{{DATE}}", syncchannel.FormatDateTime(time.Now())).Replace(xmlsec1Template))
		if !strings.Contains(tmpl, "#rsa-sha1") || !strings.Contains(tmpl, "xmldsig#sha1") {
			t.Fatal("the template's algorithms were not replaced")
		}
		return xmlsec1Sign(t, dir, id, tmpl, keyPath, certPath)
	}
	if a := w.send(sign("sha1-refused")); a.code != "ALGORITHM_NOT_SUPPORTED" {
		t.Fatalf("rsa-sha1 by default: %q (HTTP %d)", a.code, a.status)
	}
	w.pipe.AllowSHA1 = true
	if a := w.send(sign("sha1-allowed")); a.code != syncchannel.StatusSuccess {
		t.Fatalf("rsa-sha1 allowed: %q (HTTP %d)\n%.1500s", a.code, a.status, a.body)
	}
	tampered := bytes.Replace(sign("sha1-tampered"), []byte("<iin>931002451325</iin>"), []byte("<iin>660427402182</iin>"), 1)
	if a := w.send(tampered); a.code != "SIGNATURE_INVALID" {
		t.Fatalf("tampered rsa-sha1 request: %q", a.code)
	}
}
