package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/shep-kz/shep/internal/ids"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/signing"
)

const (
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	nsCS     = "http://message.persistence.interactive.nat"
)

func runSend(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "send") // --data is the message's data here, not a data dir
	target := fs.String("target", "http://127.0.0.1:8080/bip-sync-wss-gost/", "the gateway's SyncChannel URL")
	service := fs.String("service", "", "serviceId (required)")
	route := fs.String("route", "", "routeId")
	sender := fs.String("sender", "smartbridge", "senderId")
	password := fs.String("password", "", "sender's password")
	messageID := fs.String("message-id", "", "messageId (default: a new UUID; repeat one to see idempotency)")
	certFile := fs.String("cert", "", "certificate that signs the envelope (WS-Security), PEM or DER")
	keyFile := fs.String("key", "", "its private key, PEM or DER")
	p12File := fs.String("p12", "", "key and certificate that sign the envelope in a PKCS#12 file (RSA or GOST), instead of --cert/--key")
	p12Password := fs.String("p12-password", "", "password of the --p12 file (--password is the sender's)")
	dataFile := fs.String("data", "", "XML for requestData/data: a <data> element, or any element put inside one")
	appFile := fs.String("application", "", "an application document, signed (NCALayer layout) if it has no signature, sent as xs:string data")
	appCert := fs.String("app-cert", "", "certificate that signs the application (default --cert)")
	appKey := fs.String("app-key", "", "its key (default --key)")
	appP12 := fs.String("app-p12", "", "PKCS#12 file that signs the application (password --app-p12-password)")
	appP12Password := fs.String("app-p12-password", "", "password of the --app-p12 file")
	iin := fs.String("iin", "", "shortcut for ГБД ФЛ: data is a cs:Request for this ИИН")
	soap12 := fs.Bool("soap12", false, "send SOAP 1.2")
	dump := fs.Bool("dump", false, "print the exact XML sent and received")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	timeout := fs.Duration("timeout", 60*time.Second, "HTTP timeout")
	if err := parse(fs, args); err != nil {
		return err
	}
	pair := *p12File != "" && *certFile == "" && *keyFile == "" || *p12File == "" && *certFile != "" && *keyFile != ""
	if *service == "" || !pair {
		return fmt.Errorf("%w: shep send --service ID (--cert FILE --key FILE | --p12 FILE --p12-password PW) [--data FILE | --application FILE | --iin IIN] ...", errUsage)
	}
	n := 0
	for _, v := range []string{*dataFile, *appFile, *iin} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w: give one of --data, --application, --iin", errUsage)
	}
	key, cs, err := certs.ReadKeyPair(*certFile, *keyFile, *p12File, *p12Password)
	if err != nil {
		return err
	}
	var data *etree.Element
	switch {
	case *iin != "":
		data = etree.NewElement("data")
		data.CreateAttr("xmlns:xsi", syncchannel.NSXSI)
		data.CreateAttr("xmlns:cs", nsCS)
		data.CreateAttr("xsi:type", "cs:Request")
		data.CreateElement("messageId").SetText(ids.UUID())
		data.CreateElement("messageDate").SetText(syncchannel.FormatDateTime(time.Now()))
		data.CreateElement("senderCode").SetText(*sender)
		data.CreateElement("iin").SetText(*iin)
	case *dataFile != "":
		d := etree.NewDocument()
		if err := d.ReadFromFile(*dataFile); err != nil {
			return fmt.Errorf("--data: %w", err)
		}
		if d.Root().Tag == "data" {
			data = d.Root()
		} else {
			data = etree.NewElement("data")
			data.AddChild(d.Root())
		}
	case *appFile != "":
		app, err := os.ReadFile(*appFile)
		if err != nil {
			return err
		}
		if !bytes.Contains(app, []byte("http://www.w3.org/2000/09/xmldsig#")) {
			akey, acs := key, cs
			if *appCert != "" || *appKey != "" || *appP12 != "" {
				if akey, acs, err = certs.ReadKeyPair(*appCert, *appKey, *appP12, *appP12Password); err != nil {
					return fmt.Errorf("--app-cert/--app-key/--app-p12: %w", err)
				}
			}
			if app, err = signing.SignEnveloped(app, akey, acs[0], signing.SignOptions{NCALayer: true}); err != nil {
				return fmt.Errorf("signing the application: %w", err)
			}
		}
		data = syncchannel.StringData(string(app))
	}
	if *messageID == "" {
		*messageID = ids.UUID()
	}
	req := &syncchannel.Request{Info: syncchannel.RequestInfo{MessageID: *messageID, ServiceID: *service, RouteID: *route,
		MessageDate: time.Now(), Sender: syncchannel.Sender{ID: *sender, Password: *password}}, Data: data}
	ns, prefix, ctype := nsSOAP11, "soapenv", "text/xml; charset=utf-8"
	if *soap12 {
		ns, prefix, ctype = nsSOAP12, "env", "application/soap+xml; charset=utf-8"
	}
	doc := etree.NewDocument()
	envEl := doc.CreateElement(prefix + ":Envelope")
	envEl.CreateAttr("xmlns:"+prefix, ns)
	envEl.CreateElement(prefix + ":Body").AddChild(req.Element())
	raw, err := doc.WriteToBytes()
	if err != nil {
		return err
	}
	signed, err := signing.SignWSSE(raw, key, cs[0], signing.SignOptions{})
	if err != nil {
		return fmt.Errorf("signing the envelope: %w", err)
	}
	if *dump {
		fmt.Fprintf(e.stdout, "--- request to %s\n%s\n", *target, signed)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, *target, bytes.NewReader(signed))
	if err != nil {
		return fmt.Errorf("%w: --target: %v", errUsage, err)
	}
	hreq.Header.Set("Content-Type", ctype)
	hreq.Header.Set("SOAPAction", `""`)
	resp, err := (&http.Client{Timeout: *timeout}).Do(hreq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if *dump {
		fmt.Fprintf(e.stdout, "--- response: HTTP %d\n%s\n", resp.StatusCode, body)
	}
	out := describeResponse(body, resp.StatusCode)
	out.MessageID = *messageID
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else {
		out.print(e.stdout)
	}
	if out.Status != syncchannel.StatusSuccess {
		return errInvalid
	}
	return nil
}

type sendOutcome struct {
	HTTPStatus int         `json:"http_status"`
	MessageID  string      `json:"message_id"`
	Status     string      `json:"status"` // SCSS001 or the errorCode
	Message    string      `json:"message"`
	SessionID  string      `json:"session_id,omitempty"`
	Data       string      `json:"data,omitempty"`
	ErrorData  string      `json:"error_data,omitempty"`
	SubError   *codedError `json:"sub_error,omitempty"`
	Signed     string      `json:"response_signature"` // "valid", or why not
}

// describeResponse reads the gateway's answer: the signature (signature level only; use
// `shep verify` for the signer's trust), then the response or the fault.
func describeResponse(body []byte, status int) *sendOutcome {
	o := &sendOutcome{HTTPStatus: status, Signed: "valid"}
	var bodyEl *etree.Element
	if v, err := signing.VerifyWSSE(body, signing.Options{}); err != nil {
		o.Signed = err.Error()
		d, perr := signing.Parse(body, signing.Limits{})
		if perr != nil {
			o.Status, o.Message = "UNREADABLE", perr.Error()
			return o
		}
		for _, k := range d.Root().ChildElements() {
			if k.Tag == "Body" {
				bodyEl = k
			}
		}
	} else {
		bodyEl = v.Element
	}
	if bodyEl == nil {
		o.Status, o.Message = "UNREADABLE", "no Body"
		return o
	}
	if f := bodyEl.FindElement(".//" + syncchannel.FaultElement); f != nil {
		if info, err := syncchannel.ParseFault(f); err == nil {
			o.Status, o.Message, o.SessionID, o.ErrorData = info.Code, info.Message, info.SessionID, info.Data
			if info.Sub != nil {
				o.SubError = &codedError{Code: info.Sub.Code, Message: info.Sub.Message}
			}
			return o
		}
	}
	r, err := syncchannel.ParseResponse(bodyEl)
	if err != nil {
		o.Status, o.Message = "UNREADABLE", err.Error()
		return o
	}
	o.Status, o.Message, o.SessionID = r.Info.Status.Code, r.Info.Status.Message, r.Info.SessionID
	if r.Data != nil {
		d := etree.NewDocument()
		d.SetRoot(r.Data)
		d.Indent(2)
		o.Data, _ = d.WriteToString()
	}
	return o
}

func (o *sendOutcome) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %s (HTTP %d)\n", o.Status, o.Message, o.HTTPStatus)
	fmt.Fprintf(w, "  messageId:  %s\n", o.MessageID)
	if o.SessionID != "" {
		fmt.Fprintf(w, "  sessionId:  %s\n", o.SessionID)
	}
	if o.ErrorData != "" {
		fmt.Fprintf(w, "  errorData:  %s\n", o.ErrorData)
	}
	if o.SubError != nil {
		fmt.Fprintf(w, "  subError:   %s: %s\n", o.SubError.Code, o.SubError.Message)
	}
	fmt.Fprintf(w, "  signature:  %s\n", o.Signed)
	if o.Data != "" {
		fmt.Fprintf(w, "  data:\n%s", indent(o.Data, "    "))
	}
}

func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(pre + l + "\n")
	}
	return b.String()
}
