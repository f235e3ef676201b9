package gateway

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/ids"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/signing/c14n"
)

// SOAP envelope namespaces.
const (
	NSSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NSSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
)

// Identity is the gateway's own information-system certificate, which signs every response.
type Identity struct {
	Certificate *x509.Certificate
	Key         crypto.Signer
}

// Pipeline runs the checks of a SendMessage and produces the signed response. Each step is timed
// and recorded in the message log before the response leaves.
type Pipeline struct {
	Senders   *participants.Registry
	Log       *msglog.Log
	Validator *validate.Validator
	Router    *adapters.Router
	// Catalogue holds the regulations' services: their channels, registries and targets. Its
	// services need an application document; others (registries, remote providers' own) do not.
	Catalogue *catalogue.Catalogue
	// Remote, when set, routes the services of registered remote provider systems (before Router).
	Remote interface {
		Route(ctx context.Context, serviceID string) (adapters.Adapter, bool, error)
	}
	// Queries are services answered without an application document on every channel (e.g. the
	// status of an application); the portal, con and provider channels need one for all others.
	Queries []string
	// Faults, when set, can force "no data" from the registries (fault injection for testers).
	Faults interface {
		NoData(adapter, service string) bool
	}
	Persons  gbdfl.Registry
	Powers   enis.Registry
	Identity Identity
	// CONBIN is the БИН of the ЦОН organisation, whose employees sign on the con channel.
	CONBIN string
	// ProviderTimeout bounds an adapter's answer (default 30 s, as X-Road's client-timeout).
	ProviderTimeout time.Duration
	Limits          signing.Limits
	Certs           *signing.CertCache
	// AllowSHA1 accepts rsa-sha1/ecdsa-sha1 signatures and SHA-1 digests (old clients); off, they
	// are ALGORITHM_NOT_SUPPORTED.
	AllowSHA1 bool
	Now       func() time.Time
	Logger    *slog.Logger
	Metrics   *Metrics
}

// outcome of one request.
type exchange struct {
	p       *Pipeline
	rec     *msglog.Record
	soap12  bool
	release func()
	// keyed: rec is logged under (sender, messageId), so that a retry is answered from the log.
	// Only exchanges whose signature and certificate verified are keyed (a forged copy cannot take
	// a messageId),
	// and only final outcomes (a retry after a transient failure is processed again).
	keyed  bool
	sender string // the authenticated sender, once known
	replay []byte
	start  time.Time
}

// step runs and records one step. A panic in f fails the step with INTERNAL_ERROR (its stack goes
// to the log): the exchange is answered and logged like any other refusal.
func (x *exchange) step(name string, f func() error) error {
	t0 := time.Now()
	err := x.guard(name, f)
	s := msglog.Step{Name: name, Outcome: "ok", Duration: time.Since(t0)}
	if err != nil {
		fe := faults.From(err)
		s.Outcome, s.Detail = string(fe.Code), fe.Error()
	}
	x.rec.Steps = append(x.rec.Steps, s)
	x.p.Metrics.step.Observe(s.Duration, name)
	return err
}

// guard runs f, turning a panic into an INTERNAL_ERROR refusal.
func (x *exchange) guard(name string, f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			x.p.Logger.Error("panic in SendMessage", "session_id", x.rec.SessionID, "message_id", x.rec.MessageID, "step", name,
				"panic", v, "stack", string(debug.Stack()))
			err = faults.New(faults.InternalError, "panic in step %s: %v", name, v)
		}
	}()
	return f()
}

// newExchange starts the exchange of one request body.
func (p *Pipeline) newExchange(body []byte, contentType string) *exchange {
	return &exchange{p: p, start: time.Now(), soap12: strings.HasPrefix(contentType, "application/soap+xml"), rec: newRecord(p, body)}
}

// Process handles one SendMessage request body and returns the HTTP status and response body.
func (p *Pipeline) Process(ctx context.Context, body []byte, contentType string) (int, []byte) {
	x := p.newExchange(body, contentType)
	defer func() {
		if x.release != nil {
			x.release()
		}
	}()
	resp, err := x.run(ctx, body)
	if x.replay != nil {
		p.Logger.InfoContext(ctx, "replayed", "session_id", x.rec.SessionID, "sender", x.rec.Sender, "message_id", x.rec.MessageID)
		p.Metrics.requests.Inc(x.rec.ServiceID, "replay")
		return x.rec.HTTPStatus, x.replay
	}
	return x.finish(ctx, resp, err)
}

// refuseUnread answers a request whose body the pipeline never got to parse (over the size limit,
// or unreadable) with fe: the refusal is logged like any other, anonymously under its session
// (the messageId is the sessionId), with what was read and step, which names the failure, before
// it is sent.
func (p *Pipeline) refuseUnread(ctx context.Context, body []byte, contentType string, step msglog.Step, fe *faults.Error) (int, []byte) {
	x := p.newExchange(body, contentType)
	step.Outcome = string(fe.Code)
	x.rec.Steps = append(x.rec.Steps, step)
	return x.finish(ctx, nil, fe)
}

// finish turns the outcome of an exchange (resp, or the refusal err) into the answer, logs the
// exchange durably and returns the answer.
func (x *exchange) finish(ctx context.Context, resp []byte, err error) (int, []byte) {
	p := x.p
	status := http.StatusOK
	var fe *faults.Error
	if err != nil {
		fe = faults.From(err)
		x.rec.Status = string(fe.Code)
		status = fe.HTTPStatus(x.soap12)
		resp = x.fault(fe)
		p.Metrics.refusals.Inc(string(fe.Code))
		if transient[fe.Code] {
			x.keyed = false
		}
	} else {
		x.rec.Status = syncchannel.StatusSuccess
	}
	x.rec.HTTPStatus = status
	x.rec.Responded = p.Now()
	x.rec.Response = resp
	if !x.keyed {
		// Not attributable (refused before the sender's signature verified) or not final: logged
		// under its session, with the messageId it claimed, so that it is found but takes nothing.
		x.rec.Sender = msglog.Anonymous
		if x.rec.MessageID == "" || len(x.rec.MessageID) > msglog.MaxKeyPart {
			x.rec.MessageID = x.rec.SessionID
		}
	}
	log := p.Logger.With("session_id", x.rec.SessionID, "message_id", x.rec.MessageID)
	if fe != nil && fe.Code == faults.InternalError {
		log.ErrorContext(ctx, "internal error", "err", err)
	}
	// Durable before it is sent: a response the client receives is always in the log.
	t0 := time.Now()
	if err := p.Log.Commit(ctx, x.rec); err != nil {
		log.ErrorContext(ctx, "message log", "err", err)
		fe := faults.Wrap(faults.GatewayUnavailable, err, "the message log cannot store the exchange")
		p.Metrics.refusals.Inc(string(fe.Code))
		return fe.HTTPStatus(x.soap12), x.fault(fe)
	}
	p.Metrics.step.Observe(time.Since(t0), "store")
	p.Metrics.requests.Inc(x.rec.ServiceID, x.rec.Status)
	p.Metrics.latency.Observe(time.Since(x.start), x.rec.ServiceID)
	log.InfoContext(ctx, "SendMessage", "sender", x.rec.Sender, "service", x.rec.ServiceID,
		"status", x.rec.Status, "http_status", status, "took", time.Since(x.start))
	return status, resp
}

func (x *exchange) run(ctx context.Context, body []byte) ([]byte, error) {
	p := x.p
	var doc *etree.Document
	if err := x.step("parse", func() (err error) {
		doc, err = signing.Parse(body, p.Limits)
		return err
	}); err != nil {
		return nil, err
	}
	var req *syncchannel.Request
	if err := x.step("envelope", func() error {
		env, bodyEl, err := envelopeOf(doc)
		if err != nil {
			return err
		}
		x.soap12 = env.NamespaceURI() == NSSOAP12
		req, err = syncchannel.ParseRequest(bodyEl)
		if err != nil {
			return faults.Wrap(faults.RequestMalformed, err, "SendMessage")
		}
		// Idempotency compares what was said, not how it was wrapped or signed: the exclusive
		// canonical form of the SendMessage element (a client re-signing a retry, with a new Body ID
		// or whitespace elsewhere, is still recognised).
		w, err := syncchannel.FindWrapper(bodyEl, "SendMessage")
		if err != nil {
			return faults.Wrap(faults.RequestMalformed, err, "SendMessage")
		}
		canon, err := c14n.Canonicalize(w, c14n.Options{Method: c14n.Method{Exclusive: true}, MaxBytes: 4 * len(body)})
		if err != nil {
			return faults.Wrap(faults.RequestMalformed, err, "SendMessage")
		}
		x.rec.RequestHash = sha256.Sum256(canon)
		x.rec.ServiceID, x.rec.RouteID, x.rec.CorrelationID = req.Info.ServiceID, req.Info.RouteID, req.Info.CorrelationID
		// Every refusal is logged, with these as index keys: refuse what no index can hold.
		for _, f := range [...]struct{ name, v string }{{"messageId", req.Info.MessageID}, {"serviceId", req.Info.ServiceID},
			{"senderId", req.Info.Sender.ID}} {
			if len(f.v) > msglog.MaxKeyPart {
				x.rec.ServiceID = ""
				return faults.New(faults.RequestMalformed, "%s longer than %d bytes", f.name, msglog.MaxKeyPart)
			}
		}
		x.rec.MessageID = req.Info.MessageID // as claimed, until the signature says who sent it
		return nil
	}); err != nil {
		return nil, err
	}
	var sender *participants.Sender
	if err := x.step("sender", func() (err error) {
		sender, err = p.Senders.Authenticate(ctx, req.Info.Sender.ID, req.Info.Sender.Password)
		switch {
		case errors.Is(err, participants.ErrUnknown):
			return faults.Wrap(faults.AuthSenderUnknown, err, "senderId %q", req.Info.Sender.ID)
		case errors.Is(err, participants.ErrPassword), errors.Is(err, participants.ErrDisabled):
			return faults.Wrap(faults.AuthPassword, err, "senderId %q", req.Info.Sender.ID)
		case err != nil:
			return err
		}
		if !sender.Allows(req.Info.ServiceID) {
			return faults.New(faults.AuthServiceForbidden, "sender %q may not call %q", sender.ID, req.Info.ServiceID)
		}
		x.rec.Channel = string(sender.Channel)
		return nil
	}); err != nil {
		return nil, err
	}
	var verified *signing.Verified
	if err := x.step("signature", func() (err error) {
		verified, err = signing.VerifyWSSEDocument(doc, signing.Options{Limits: p.Limits, Certs: p.Certs, AllowSHA1: p.AllowSHA1})
		if err != nil {
			return err
		}
		// From here on only the verified Body is read.
		vreq, err := syncchannel.ParseRequest(verified.Element)
		if err != nil {
			return faults.Wrap(faults.RequestMalformed, err, "signed SendMessage")
		}
		if vreq.Info.MessageID != req.Info.MessageID || vreq.Info.Sender != req.Info.Sender || vreq.Info.ServiceID != req.Info.ServiceID {
			return faults.New(faults.SignatureMalformed, "the signed request differs from the one read")
		}
		req = vreq
		if len(sender.TransportCert) > 0 && !bytes.Equal(sender.TransportCert, verified.Certificate.Raw) {
			return faults.New(faults.AuthTransportCert, "signed by «%s», not by the transport certificate registered for %q",
				verified.Certificate.Subject.CommonName, sender.ID)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var transport *validate.Verdict
	if err := x.step("certificate", func() (err error) {
		transport, err = p.Validator.Validate(ctx, validate.Request{Cert: verified.Certificate, Extra: verified.Extra, Usage: validate.UsageSign})
		if err == nil {
			x.rec.SignerSubject = transport.Identity.Subject
			x.rec.SignerIIN, x.rec.SignerBIN = transport.Identity.IIN, transport.Identity.BIN
		}
		return err
	}); err != nil {
		return nil, err
	}
	// Idempotency, once the sender is known to have sent this messageId (its signature verified,
	// by a valid certificate): from here on the exchange is logged under (sender, messageId), and
	// a repeat is answered from the log. Before that, a forged or unsigned copy gets nothing
	// stored and cannot take the messageId.
	if err := x.step("idempotency", func() error {
		existing, release, err := p.Log.Begin(ctx, sender.ID, req.Info.MessageID)
		switch {
		case errors.Is(err, msglog.ErrInProgress):
			return faults.New(faults.MessageInProgress, "messageId %q of %q", req.Info.MessageID, sender.ID)
		case err != nil:
			return faults.Wrap(faults.GatewayUnavailable, err, "message log")
		}
		x.release = release
		if existing != nil {
			if existing.RequestHash != x.rec.RequestHash {
				return faults.New(faults.MessageIDReused, "messageId %q of %q was used for another message at %s",
					req.Info.MessageID, sender.ID, existing.Received.Format(time.RFC3339))
			}
			x.replay, x.rec.HTTPStatus, x.rec.Sender, x.rec.MessageID, x.rec.ServiceID = existing.Response, existing.HTTPStatus, existing.Sender, existing.MessageID, existing.ServiceID
			return nil
		}
		x.rec.Sender, x.rec.MessageID = sender.ID, req.Info.MessageID
		x.keyed = true
		return nil
	}); err != nil || x.replay != nil {
		return nil, err
	}
	if el := req.Data; el != nil && x.rec.IIN == "" {
		if iin := el.SelectElement("iin"); iin != nil && len(iin.ChildElements()) == 0 {
			// e.g. a ГБД ФЛ request: found by ИИН in the log (only what has the shape of one: it is
			// an index key, and the adapter judges the rest)
			if v := strings.TrimSpace(iin.Text()); len(v) == 12 && strings.Trim(v, "0123456789") == "" {
				x.rec.IIN = v
			}
		}
	}
	areq := &adapters.Request{Received: x.start, ServiceID: req.Info.ServiceID, RouteID: req.Info.RouteID, SenderID: sender.ID, Channel: string(sender.Channel),
		SessionID: x.rec.SessionID, Info: req.Info, Data: req.Data, Signer: transport.Identity}
	var svc *catalogue.Service
	if p.Catalogue != nil {
		svc, _ = p.Catalogue.Service(req.Info.ServiceID)
	}
	if svc != nil || sender.Channel != participants.ChannelSystem && !slices.Contains(p.Queries, req.Info.ServiceID) {
		if err := x.applicationSteps(ctx, sender, svc, areq); err != nil {
			return nil, err
		}
	} else if err := x.documentSignatures(ctx, areq); err != nil {
		return nil, err
	}
	var adapter adapters.Adapter
	if err := x.step("route", func() (err error) {
		if p.Remote != nil {
			a, ok, err := p.Remote.Route(ctx, req.Info.ServiceID)
			if err != nil {
				return faults.Wrap(faults.GatewayUnavailable, err, "provider registry")
			}
			if ok {
				adapter = a
				return nil
			}
		}
		if svc != nil && !svc.Gatewayed() {
			return faults.New(faults.ServiceNotElectronic, "%s «%s» is provided on paper only", svc.ID, svc.NameRU)
		}
		adapter, err = p.Router.Route(req.Info.ServiceID, req.Info.RouteID)
		if errors.Is(err, adapters.ErrNoRoute) {
			if req.Info.RouteID != "" && p.Router.Knows(req.Info.ServiceID) {
				return faults.Wrap(faults.RouteUnknown, err, "routeId %q", req.Info.RouteID)
			}
			return faults.Wrap(faults.ServiceUnknown, err, "serviceId %q", req.Info.ServiceID)
		}
		return err
	}); err != nil {
		return nil, err
	}
	var result *adapters.Response
	if err := x.step("provider", func() (err error) {
		cctx, cancel := context.WithTimeout(ctx, p.ProviderTimeout)
		defer cancel()
		result, err = adapter.Handle(cctx, areq)
		var fe *faults.Error
		switch {
		case err == nil:
			return nil
		case errors.As(err, &fe):
			return fe
		case errors.Is(err, context.DeadlineExceeded) || cctx.Err() != nil && ctx.Err() == nil:
			return faults.Wrap(faults.ProviderTimeout, err, "no answer within %s", p.ProviderTimeout)
		default:
			p.Logger.WarnContext(ctx, "provider failed", "session_id", x.rec.SessionID, "service", req.Info.ServiceID, "err", err)
			return faults.Wrap(faults.ProviderUnavailable, err, "service %q", req.Info.ServiceID)
		}
	}); err != nil {
		return nil, err
	}
	var out []byte
	err := x.step("response", func() (err error) {
		resp := &syncchannel.Response{Info: syncchannel.ResponseInfo{MessageID: ids.UUID(), CorrelationID: req.Info.MessageID,
			ResponseDate: p.Now(), Status: syncchannel.Status{Code: syncchannel.StatusSuccess, Message: syncchannel.StatusSuccessMessage},
			SessionID: x.rec.SessionID}, Data: result.Data}
		out, err = x.envelope(resp.Element(), nil)
		return err
	})
	return out, err
}

// transient refusals are not kept for idempotency: a retry of the same message is processed again.
var transient = map[faults.Code]bool{
	faults.ProviderUnavailable: true, faults.ProviderTimeout: true, faults.GatewayUnavailable: true,
	faults.InternalError: true, faults.CertRevocationUnknown: true, faults.MessageInProgress: true,
}

// applicationSteps reads and checks the application document of the portal, con and provider
// channels: the channels the regulations give the service (svc, nil for a service outside the
// catalogue), the document's signature, the ИИН match and the channel's rules, and (con) the
// registries.
func (x *exchange) applicationSteps(ctx context.Context, sender *participants.Sender, svc *catalogue.Service, areq *adapters.Request) error {
	p := x.p
	if svc != nil {
		if err := x.step("channel", func() error {
			if !svc.Gatewayed() {
				return faults.New(faults.ServiceNotElectronic, "%s «%s» is provided on paper only", svc.ID, svc.NameRU)
			}
			ch, ok := svc.Channel(string(sender.Channel))
			if sender.Channel == participants.ChannelSystem || !ok || !ch.Electronic {
				return faults.New(faults.ChannelNotAllowed, "%s «%s» is not provided through ШЭП on the %s channel (electronic channels: %s)",
					svc.ID, svc.NameRU, sender.Channel, strings.Join(svc.ElectronicChannels(), ", "))
			}
			return nil
		}); err != nil {
			return err
		}
	}
	var appEl *etree.Element
	var signer *certs.Identity
	if err := x.step("document", func() error {
		raw, err := businessDocument(areq.Data)
		if err != nil {
			return err
		}
		doc, err := signing.Parse(raw, p.Limits)
		if err != nil {
			return faults.Wrap(faults.ApplicationInvalid, err, "the application document is not well-formed")
		}
		if !application.Is(doc.Root()) {
			return faults.New(faults.ApplicationInvalid, "the %s channel needs an application document ({%s}application)", sender.Channel, application.Namespace)
		}
		v, verdict, err := x.verifyDocument(ctx, doc)
		if err != nil {
			return err
		}
		appEl, signer, areq.Document = v.Element, verdict.Identity, raw
		return nil
	}); err != nil {
		return err
	}
	var app *application.Application
	if err := x.step("iin", func() error {
		var err error
		if app, err = application.Parse(appEl); err != nil {
			return faults.Wrap(faults.ApplicationInvalid, err, "")
		}
		x.rec.IIN = app.Applicant.IIN
		if app.ServiceID != areq.ServiceID {
			return faults.New(faults.ApplicationInvalid, "the application is for %q, the message for %q", app.ServiceID, areq.ServiceID)
		}
		if string(app.Channel) != string(sender.Channel) {
			return faults.New(faults.ChannelNotAllowed, "a %s application sent by a %s sender", app.Channel, sender.Channel)
		}
		switch sender.Channel {
		case participants.ChannelPortal:
			// The applicant signs: the request's ИИН must be the certificate's (services.md K6).
			if signer.IIN != app.Applicant.IIN {
				return faults.New(faults.IINMismatch, "applicant %s, certificate %s", app.Applicant.IIN, signer.IIN)
			}
		case participants.ChannelCON:
			// A ЦОН operator signs: an employee of the ЦОН organisation, whose own ИИН must match.
			if signer.BIN != p.CONBIN || (signer.Kind != certs.KindEmployee && signer.Kind != certs.KindSigner && signer.Kind != certs.KindHead) {
				return faults.New(faults.SignerNotAllowed, "the signer (%s, БИН %q) is not an employee of the ЦОН organisation %s", signer.Kind, signer.BIN, p.CONBIN)
			}
			if signer.IIN != app.Operator.IIN {
				return faults.New(faults.IINMismatch, "operator %s, certificate %s", app.Operator.IIN, signer.IIN)
			}
		case participants.ChannelProvider:
			if signer.BIN == "" || signer.Kind == certs.KindIndividual || signer.Kind == certs.KindSystem {
				return faults.New(faults.SignerNotAllowed, "the signer (%s) is not an employee of a provider", signer.Kind)
			}
			if svc != nil && signer.BIN != svc.Provider.BIN {
				return faults.New(faults.SignerNotAllowed, "the signer is an employee of БИН %s, not of the provider of %s (%s, БИН %s)",
					signer.BIN, svc.ID, svc.Provider.NameRU, svc.Provider.BIN)
			}
			if signer.IIN != app.Operator.IIN {
				return faults.New(faults.IINMismatch, "specialist %s, certificate %s", app.Operator.IIN, signer.IIN)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	areq.Application, areq.Signer = app, signer
	if sender.Channel != participants.ChannelCON {
		return nil
	}
	return x.step("registries", func() error {
		if p.Faults != nil && p.Faults.NoData("gbdfl", areq.ServiceID) {
			return faults.New(faults.GBDFLNoData, "ИИН %s (injected)", app.Applicant.IIN)
		}
		if _, ok, err := p.Persons.Person(ctx, app.Applicant.IIN); err != nil {
			return faults.Wrap(faults.ProviderUnavailable, err, "ГБД ФЛ")
		} else if !ok {
			return faults.New(faults.GBDFLNoData, "ИИН %s", app.Applicant.IIN)
		}
		// ЕНИС is consulted where the regulations say so (services.md K9, §7.4); a service outside
		// the catalogue checks every representative.
		if r := app.Representative; r != nil && (svc == nil || svc.HasRegistry("enis")) {
			if p.Faults != nil && p.Faults.NoData("enis", areq.ServiceID) {
				return faults.New(faults.ENISNoPowerOfAttorney, "power of attorney %q (injected)", r.PowerOfAttorney)
			}
			if _, ok, err := p.Powers.Find(ctx, r.PowerOfAttorney, app.Applicant.IIN, r.IIN, areq.ServiceID, p.Now()); err != nil {
				return faults.Wrap(faults.ProviderUnavailable, err, "ЕНИС")
			} else if !ok {
				return faults.New(faults.ENISNoPowerOfAttorney, "power of attorney %q: %s for %s, service %s", r.PowerOfAttorney, r.IIN, app.Applicant.IIN, areq.ServiceID)
			}
		}
		return nil
	})
}

// verifyDocument verifies the enveloped signature of a business document and its signer's
// certificate (chain, validity, SIGN key, revocation).
func (x *exchange) verifyDocument(ctx context.Context, doc *etree.Document) (*signing.Verified, *validate.Verdict, error) {
	v, err := signing.VerifyEnvelopedDocument(doc, signing.Options{Limits: x.p.Limits, Certs: x.p.Certs, AllowSHA1: x.p.AllowSHA1})
	if err != nil {
		return nil, nil, err
	}
	verdict, err := x.p.Validator.Validate(ctx, validate.Request{Cert: v.Certificate, Extra: v.Extra, Usage: validate.UsageSign})
	if err != nil {
		return nil, nil, err
	}
	return v, verdict, nil
}

// documentSignatures checks, where no application document is read (the system channel, and
// queries), the business documents data carries signed: each document's signature and its
// signer's certificate are verified as an application's are, and any failure refuses the
// message with the same codes. The channel's ИИН rules do not apply. Data that carries no
// signature is passed on as it is; when it carries one signed document, the adapter gets it as
// Document and its signer as Signer.
func (x *exchange) documentSignatures(ctx context.Context, areq *adapters.Request) error {
	docs, err := signedDocuments(areq.Data, x.p.Limits)
	if err == nil && len(docs) == 0 {
		return nil
	}
	return x.step("document", func() error {
		if err != nil {
			return err
		}
		for _, d := range docs {
			_, verdict, err := x.verifyDocument(ctx, d.doc)
			if err != nil {
				return err
			}
			if len(docs) == 1 {
				areq.Document, areq.Signer = d.raw, verdict.Identity
			}
		}
		return nil
	})
}

// signedDocument is a business document found signed in data, read on its own.
type signedDocument struct {
	raw []byte
	doc *etree.Document
}

// signedDocuments finds the documents in data that carry an XML-DSig signature. A document sent
// as text (an escaped document, xs:string) that names the XML-DSig namespace is read whole: if it
// is not well-formed it is refused (fail closed), and if it holds a ds:Signature it is returned. In
// typed data, every element holding a ds:Signature is a signed document (its signature is
// enveloped), returned as the inclusive canonical form of that element, which carries the
// namespaces in scope (as signing.ParseEmbedded reads a document sent as XML); one nested in
// another is part of the outer one, whose check then sees both signatures (and refuses them as
// several). Data without a signature gives none.
func signedDocuments(data *etree.Element, lim signing.Limits) ([]signedDocument, error) {
	if data == nil {
		return nil, nil
	}
	if len(data.ChildElements()) == 0 {
		raw, _, err := signing.ParseEmbedded(data)
		// "Signature" as an element name cannot be written with character references (the
		// namespace can): a text without it holds no ds:Signature.
		if err != nil || !bytes.Contains(raw, []byte("Signature")) || !bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n\ufeff"), []byte("<")) {
			return nil, nil // empty, or text that is no signed document
		}
		doc, err := signing.Parse(raw, lim)
		if err != nil {
			return nil, faults.Wrap(faults.RequestMalformed, err, "the document in requestData/data is not well-formed")
		}
		if !hasSignature(doc.Root()) {
			return nil, nil
		}
		return []signedDocument{{raw: raw, doc: doc}}, nil
	}
	// Elements and, beside them, text that may be an escaped signed document: which one is the
	// document is ambiguous, and signing.ParseEmbedded refuses it too (fail closed).
	for _, tok := range data.Child {
		if cd, ok := tok.(*etree.CharData); ok && strings.Contains(cd.Data, "Signature") && strings.Contains(cd.Data, "<") {
			return nil, faults.New(faults.RequestMalformed, "requestData/data holds elements and, beside them, text that looks like a signed document")
		}
	}
	var parents []*etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, k := range e.ChildElements() {
			if k.Tag == "Signature" && k.NamespaceURI() == signing.NSDSig {
				if !slices.Contains(parents, e) {
					parents = append(parents, e)
				}
				continue // a signature's own content is not a document
			}
			walk(k)
		}
	}
	walk(data)
	var out []signedDocument
	for _, e := range parents {
		if slices.ContainsFunc(parents, func(outer *etree.Element) bool { return within(e, outer) }) {
			continue
		}
		raw, err := c14n.Canonicalize(e, c14n.Options{Method: c14n.Method{WithComments: true}, MaxBytes: lim.MaxBytes})
		if err != nil {
			return nil, faults.Wrap(faults.RequestMalformed, err, "the signed document <%s> in requestData/data", e.FullTag())
		}
		doc, err := signing.Parse(raw, lim)
		if err != nil {
			return nil, err
		}
		out = append(out, signedDocument{raw: raw, doc: doc})
	}
	return out, nil
}

// hasSignature reports whether e or an element inside it is a ds:Signature.
func hasSignature(e *etree.Element) bool {
	if e.Tag == "Signature" && e.NamespaceURI() == signing.NSDSig {
		return true
	}
	return slices.ContainsFunc(e.ChildElements(), hasSignature)
}

// within reports whether e is inside outer.
func within(e, outer *etree.Element) bool {
	for p := e.Parent(); p != nil; p = p.Parent() {
		if p == outer {
			return true
		}
	}
	return false
}

// businessDocument returns the document carried in data: escaped text (xs:string) or the one
// element inside typed data, serialized on its own.
func businessDocument(data *etree.Element) ([]byte, error) {
	if data == nil {
		return nil, faults.New(faults.ApplicationInvalid, "requestData/data is empty")
	}
	if syncchannel.IsStringData(data) || len(data.ChildElements()) == 0 {
		doc, _, err := signing.ParseEmbedded(data)
		if err != nil {
			return nil, faults.Wrap(faults.ApplicationInvalid, err, "requestData/data")
		}
		return doc, nil
	}
	kids := data.ChildElements()
	if len(kids) != 1 {
		return nil, faults.New(faults.ApplicationInvalid, "requestData/data must hold one document")
	}
	d := etree.NewDocument()
	d.SetRoot(kids[0].Copy())
	return d.WriteToBytes()
}

// envelopeOf returns the Envelope and its Body (as sent, before verification).
func envelopeOf(doc *etree.Document) (env, body *etree.Element, err error) {
	env = doc.Root()
	ns := env.NamespaceURI()
	if env.Tag != "Envelope" || (ns != NSSOAP11 && ns != NSSOAP12) {
		return nil, nil, faults.New(faults.RequestMalformed, "the root is not a SOAP 1.1 or 1.2 Envelope")
	}
	for _, k := range env.ChildElements() {
		if k.Tag == "Body" && k.NamespaceURI() == ns {
			if body != nil {
				return nil, nil, faults.New(faults.SignatureMalformed, "more than one Body")
			}
			body = k
		}
	}
	if body == nil {
		return nil, nil, faults.New(faults.RequestMalformed, "no Body")
	}
	return env, body, nil
}

// envelope wraps a Body child (or a Fault) in an envelope of the request's SOAP version, signed
// with WS-Security by the gateway's certificate.
func (x *exchange) envelope(child *etree.Element, _ error) ([]byte, error) {
	ns, prefix := NSSOAP11, "SOAP-ENV"
	if x.soap12 {
		ns, prefix = NSSOAP12, "env"
	}
	doc := etree.NewDocument()
	env := doc.CreateElement(prefix + ":Envelope")
	env.CreateAttr("xmlns:"+prefix, ns)
	env.CreateElement(prefix + ":Body").AddChild(child)
	return signing.SignWSSEDocument(doc, x.p.Identity.Key, x.p.Identity.Certificate, signing.SignOptions{})
}

// fault renders fe as a signed SOAP fault with ErrorInfo in its detail.
func (x *exchange) fault(fe *faults.Error) []byte {
	ent, _ := faults.Lookup(fe.Code)
	info := fe.ErrorInfo(x.rec.SessionID, x.p.Now())
	var f *etree.Element
	if x.soap12 {
		f = etree.NewElement("env:Fault")
		code := f.CreateElement("env:Code").CreateElement("env:Value")
		if ent.Client {
			code.SetText("env:Sender")
		} else {
			code.SetText("env:Receiver")
		}
		f.CreateElement("env:Reason").CreateElement("env:Text").SetText(ent.Message)
		f.FindElement("env:Reason/env:Text").CreateAttr("xml:lang", "ru")
		f.CreateElement("env:Detail").AddChild(info.Element())
	} else {
		f = etree.NewElement("SOAP-ENV:Fault")
		code := "SOAP-ENV:Server"
		if ent.Client {
			code = "SOAP-ENV:Client"
		}
		f.CreateElement("faultcode").SetText(code)
		f.CreateElement("faultstring").SetText(ent.Message)
		f.CreateElement("detail").AddChild(info.Element())
	}
	out, err := x.envelope(f, nil)
	if err != nil {
		// Signing cannot fail on our own envelope but for a broken key: send it unsigned then.
		x.p.Logger.Error("cannot sign a fault", "err", err)
		doc := etree.NewDocument()
		env := doc.CreateElement("SOAP-ENV:Envelope")
		env.CreateAttr("xmlns:SOAP-ENV", NSSOAP11)
		env.CreateElement("SOAP-ENV:Body").AddChild(f)
		out, _ = doc.WriteToBytes()
	}
	return out
}

func newRecord(p *Pipeline, body []byte) *msglog.Record {
	return &msglog.Record{SessionID: ids.Session(), Received: p.Now(), Request: body}
}

// readBody reads at most limit+1 bytes of a request body (more than limit: tooLarge). On a read
// error it returns what was read before it.
func readBody(r io.Reader, limit int) (body []byte, tooLarge bool, err error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return buf.Bytes(), false, err
	}
	return buf.Bytes(), n > int64(limit), nil
}
