// Package example is a provider system as a provider team would write it: it accepts only the
// gateway's WS-Security-signed SendMessage and answers a signed response or a signed coded fault.
package example

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/ids"
	"github.com/shep-kz/shep/signing"
)

// Handler answers a verified request with the content of responseData/data. A *Refusal is
// answered as a SOAP fault with its code; any other error as PROVIDER_INTERNAL.
type Handler func(ctx context.Context, req *syncchannel.Request) (*etree.Element, error)

// Options configure the provider.
type Options struct {
	Key  crypto.Signer
	Cert *x509.Certificate // the provider's transport identity, registered at the gateway
	// GatewayCert is the gateway's certificate: only requests signed by it are accepted.
	GatewayCert *x509.Certificate
	Handler     Handler // default: Demo(DemoServiceID, Now)
	Now         func() time.Time
	Logger      *slog.Logger
}

// Refusal is a coded refusal (ErrorInfo errorCode, errorMessage, errorData).
type Refusal struct{ Code, Message, Data string }

func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

const maxBody = 8 << 20 // bytes of a request
const maxSeen = 10000   // answers remembered for deduplication

// New returns the provider's SyncChannel endpoint. Key, Cert and GatewayCert are required.
func New(opts Options) http.Handler {
	if opts.Key == nil || opts.Cert == nil || opts.GatewayCert == nil {
		panic("example: Options.Key, Cert and GatewayCert are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Handler == nil {
		opts.Handler = Demo(DemoServiceID, opts.Now)
	}
	return &server{opts: opts, seen: map[string]answer{}}
}

type server struct {
	opts  Options
	mu    sync.Mutex
	seen  map[string]answer // messageId → the answer given, for a repeat of the same message
	order []string          // messageIds, oldest first
}

type answer struct {
	hash [32]byte // of the signed Body: the same messageId with other content is refused
	body []byte
	ok   bool
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a SOAP 1.1 SendMessage", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var out []byte
	var ok bool
	switch {
	case err != nil:
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	case len(body) > maxBody:
		out = s.fault("", &Refusal{"REQUEST_INVALID", "Сообщение слишком велико", ""}, true)
	default:
		out, ok = s.process(r.Context(), body)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusInternalServerError) // SOAP 1.1 faults go with 500
	}
	w.Write(out)
}

// process verifies the request, answers a repeat from memory, or calls the Handler.
func (s *server) process(ctx context.Context, body []byte) ([]byte, bool) {
	v, err := signing.VerifyWSSE(body, signing.Options{})
	if code := signing.CodeOf(err); strings.HasPrefix(code, "XML_") || strings.HasPrefix(code, "SOAP_") {
		return s.fault("", &Refusal{"REQUEST_INVALID", "Запрос не является SOAP-сообщением", err.Error()}, true), false
	} else if err != nil {
		return s.fault("", &Refusal{"SIGNATURE_INVALID", "Подпись запроса не подтверждена", err.Error()}, true), false
	}
	if !bytes.Equal(v.Certificate.Raw, s.opts.GatewayCert.Raw) {
		return s.fault("", &Refusal{"SENDER_UNKNOWN", "Запрос подписан не сертификатом ШЭП", v.Certificate.Subject.CommonName}, true), false
	}
	req, err := syncchannel.ParseRequest(v.Element) // only the verified Body is read
	if err != nil {
		return s.fault("", &Refusal{"REQUEST_INVALID", "Запрос не соответствует контракту SyncChannel", err.Error()}, true), false
	}
	id, hash := req.Info.MessageID, sha256.Sum256(v.Signed)
	s.mu.Lock()
	prev, seen := s.seen[id]
	s.mu.Unlock()
	switch {
	case seen && prev.hash == hash:
		return prev.body, prev.ok
	case seen:
		return s.fault(req.Info.SessionID, &Refusal{"REQUEST_INVALID", "Идентификатор сообщения уже использован", id}, true), false
	}
	t0 := time.Now()
	data, err := s.opts.Handler(ctx, req)
	var ref *Refusal
	var out []byte
	switch {
	case errors.As(err, &ref):
		out = s.fault(req.Info.SessionID, ref, true)
	case err != nil: // not remembered: a repeat is processed again
		s.opts.Logger.ErrorContext(ctx, "handler", "message_id", id, "err", err)
		return s.fault(req.Info.SessionID, &Refusal{"PROVIDER_INTERNAL", "Внутренняя ошибка информационной системы поставщика", ""}, false), false
	default:
		resp := &syncchannel.Response{Info: syncchannel.ResponseInfo{MessageID: ids.UUID(), CorrelationID: id, ResponseDate: s.opts.Now(),
			Status: syncchannel.Status{Code: syncchannel.StatusSuccess, Message: syncchannel.StatusSuccessMessage}}, Data: data}
		if out, err = s.envelope(resp.Element()); err != nil {
			s.opts.Logger.ErrorContext(ctx, "signing the response", "err", err)
			return s.fault(req.Info.SessionID, &Refusal{"PROVIDER_INTERNAL", "Внутренняя ошибка информационной системы поставщика", ""}, false), false
		}
	}
	s.opts.Logger.InfoContext(ctx, "SendMessage", "message_id", id, "service", req.Info.ServiceID, "refusal", ref != nil, "took", time.Since(t0))
	s.remember(id, answer{hash: hash, body: out, ok: ref == nil})
	return out, ref == nil
}

func (s *server) remember(id string, a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[id]; !ok {
		s.order = append(s.order, id)
	}
	s.seen[id] = a
	for len(s.order) > maxSeen {
		delete(s.seen, s.order[0])
		s.order = s.order[1:]
	}
}

// envelope wraps a Body child in a SOAP 1.1 envelope signed with the provider's key.
func (s *server) envelope(child *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.WriteSettings.CanonicalText = true // CR as &#xD;: text keeps its bytes
	env := doc.CreateElement("SOAP-ENV:Envelope")
	env.CreateAttr("xmlns:SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/")
	env.CreateElement("SOAP-ENV:Body").AddChild(child)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	return signing.SignWSSE(raw, s.opts.Key, s.opts.Cert, signing.SignOptions{})
}

// fault renders a refusal as a signed SOAP 1.1 fault with ErrorInfo in its detail.
func (s *server) fault(session string, r *Refusal, client bool) []byte {
	f := etree.NewElement("SOAP-ENV:Fault")
	code := "SOAP-ENV:Server"
	if client {
		code = "SOAP-ENV:Client"
	}
	f.CreateElement("faultcode").SetText(code)
	f.CreateElement("faultstring").SetText(r.Message)
	info := &syncchannel.ErrorInfo{Code: r.Code, Message: r.Message, Data: r.Data, Date: s.opts.Now(), SessionID: session}
	f.CreateElement("detail").AddChild(info.Element())
	out, err := s.envelope(f)
	if err != nil {
		s.opts.Logger.Error("signing a fault", "err", err)
		return nil
	}
	return out
}

// The demo service.
const (
	DemoServiceID = "DEMO-REMOTE-1"
	DemoName      = "Справка о составе семьи (демо удалённого поставщика)"
	DemoNS        = "urn:shep:demo:family:1.0"
)

// Demo answers serviceID («Справка о составе семьи», demo): it reads the applicant's ИИН from
// the application document in data (or from data/iin) and issues the certificate when the ИИН
// is valid (check digit, century, a past birth date); otherwise it refuses (PROVIDER_REFUSED).
// The gateway has verified the application's signature and its signer before routing.
func Demo(serviceID string, now func() time.Time) Handler {
	return func(ctx context.Context, req *syncchannel.Request) (*etree.Element, error) {
		if req.Info.ServiceID != serviceID {
			return nil, &Refusal{"SERVICE_UNKNOWN", "Сервис не оказывается этой системой", req.Info.ServiceID}
		}
		iin, err := applicantIIN(req.Data)
		if err != nil {
			return nil, &Refusal{"REQUEST_INVALID", "В запросе нет ИИН заявителя", err.Error()}
		}
		id, err := certs.ParseIIN(iin, certs.ParseOptions{})
		if err == nil && id.BirthDate.After(now()) {
			err = fmt.Errorf("%s: birth date %s is in the future", iin, id.BirthDate.Format(time.DateOnly))
		}
		if err != nil {
			return nil, &Refusal{"PROVIDER_REFUSED", "Отказ в выдаче справки: ИИН заявителя некорректен", err.Error()}
		}
		sum := sha256.Sum256([]byte(req.Info.MessageID))
		d := etree.NewElement("data")
		d.CreateAttr("xmlns:xsi", syncchannel.NSXSI)
		d.CreateAttr("xmlns:fam", DemoNS)
		d.CreateAttr("xsi:type", "fam:FamilyCertificate")
		d.CreateElement("fam:number").SetText(fmt.Sprintf("FAM-%X", sum[:5]))
		d.CreateElement("fam:issued").SetText(syncchannel.FormatDateTime(now()))
		d.CreateElement("fam:decision").SetText("positive")
		a := d.CreateElement("fam:applicant")
		a.CreateAttr("iin", iin)
		a.CreateAttr("birthDate", id.BirthDate.Format(time.DateOnly))
		a.CreateAttr("sex", id.Sex.String())
		d.CreateElement("fam:text").SetText("Справка о составе семьи выдана (демо)")
		return d, nil
	}
}

// applicantIIN reads data/iin, or the applicant of the application document data carries.
func applicantIIN(data *etree.Element) (string, error) {
	if data == nil {
		return "", errors.New("no requestData/data")
	}
	if el := data.SelectElement("iin"); el != nil && el.NamespaceURI() == "" {
		return strings.TrimSpace(el.Text()), nil
	}
	raw, _, err := signing.ParseEmbedded(data)
	if err != nil {
		return "", err
	}
	doc, err := signing.Parse(raw, signing.Limits{})
	if err != nil {
		return "", err
	}
	app, err := application.Parse(doc.Root())
	if err != nil {
		return "", err
	}
	return app.Applicant.IIN, nil
}
