package remote

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/ids"
	"github.com/shep-kz/shep/signing"
)

// SOAP envelope namespaces.
const (
	NSSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	NSSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	// Key and Cert are the gateway's identity: they sign every request (WS-Security).
	Key  crypto.Signer
	Cert *x509.Certificate
	// SenderID and SenderPassword go into requestInfo/sender of calls to providers (default "shep").
	SenderID, SenderPassword string
	// HTTP is the client for calls (default: dial, TLS and idle timeouts, no redirects). The
	// per-attempt Provider.Timeout is applied through the request's context.
	HTTP    *http.Client
	Breaker BreakerOptions
	// Validator, when set, also validates the provider's certificate (chain, validity,
	// revocation) at call time; without it the registered certificate is trusted as it is.
	Validator *validate.Validator
	// Limits bound the answers parsed; Limits.MaxBytes also caps what is read of an answer
	// (default signing.DefaultMaxBytes, 8 MiB).
	Limits signing.Limits
	Now    func() time.Time
	Logger *slog.Logger
}

// Client calls registered providers. It is safe for concurrent use.
type Client struct {
	reg  *Registry
	opts ClientOptions
	http *http.Client
	now  func() time.Time
	log  *slog.Logger

	mu       sync.Mutex
	breakers map[string]*breaker
}

// NewClient returns a client that calls the providers of reg.
func NewClient(reg *Registry, opts ClientOptions) (*Client, error) {
	if reg == nil {
		return nil, errors.New("remote: no registry")
	}
	if opts.Key == nil || opts.Cert == nil {
		return nil, errors.New("remote: the gateway's key and certificate are required")
	}
	if opts.SenderID == "" {
		opts.SenderID = "shep"
	}
	if opts.Breaker.Failures <= 0 {
		opts.Breaker.Failures = 5
	}
	if opts.Breaker.Cooldown <= 0 {
		opts.Breaker.Cooldown = 30 * time.Second
	}
	if opts.Limits.MaxBytes <= 0 {
		opts.Limits.MaxBytes = signing.DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout:   5 * time.Second,
				MaxIdleConnsPerHost:   16,
				IdleConnTimeout:       90 * time.Second,
				ExpectContinueTimeout: time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Client{reg: reg, opts: opts, http: hc, now: opts.Now, log: opts.Logger, breakers: map[string]*breaker{}}, nil
}

// Route returns an adapter for serviceID when a registered (enabled) provider serves it.
func (c *Client) Route(ctx context.Context, serviceID string) (adapters.Adapter, bool, error) {
	p, ok, err := c.reg.ForService(ctx, serviceID)
	if err != nil || !ok || p.Disabled {
		return nil, false, err
	}
	return &adapter{c: c, p: p}, true, nil
}

// adapter calls one provider.
type adapter struct {
	c *Client
	p *Provider
}

// Handle sends req to the provider as a new SendMessage signed by the gateway and returns the
// data of its verified answer. Every failure is a *faults.Error:
//
//   - PROVIDER_UNAVAILABLE: the provider cannot be reached (connection refused or reset, DNS),
//     answers HTTP 502/503/504, or its circuit is open. Such failures are retried up to
//     Provider.Retries times with a short backoff, with the same messageId, so that a provider
//     deduplicating by messageId answers a repeat from its cache.
//   - PROVIDER_TIMEOUT: no answer within Provider.Timeout or before ctx's deadline. A timed-out
//     attempt is NOT retried: the provider may still be working on it, a second attempt would
//     add load to a provider that is already slow and would overrun the gateway's own deadline.
//     The sender may resend (the gateway keeps no idempotent answer for this refusal).
//   - PROVIDER_BAD_RESPONSE: the answer is not a SOAP envelope, is unsigned, is signed by any
//     certificate but the registered one, does not verify, does not answer the messageId sent,
//     or comes with an unexpected HTTP status. Not retried.
//   - PROVIDER_FAULT: the provider answered a SOAP fault signed by its certificate (or a
//     response whose status is not a success); its errorCode and errorMessage are the subError.
//     This is a valid answer: it does not count against the circuit breaker.
//
// 502/503/504 map to PROVIDER_UNAVAILABLE rather than PROVIDER_BAD_RESPONSE because they say
// the provider is (transiently) not there, and the gateway must not keep such a refusal as the
// final answer to the sender's messageId.
func (a *adapter) Handle(ctx context.Context, req *adapters.Request) (*adapters.Response, error) {
	c, p := a.c, a.p
	start := time.Now()
	service := req.ServiceID
	if service == "" {
		service = req.Info.ServiceID
	}
	log := c.log.With("provider", p.ID, "service", service)
	trial, err := c.admit(p)
	if err != nil {
		log.WarnContext(ctx, "provider call", "attempt", 0, "outcome", faults.ProviderUnavailable, "detail", "circuit open", "took", time.Since(start))
		return nil, err
	}
	messageID := ids.UUID()
	body, err := c.request(req, service, messageID)
	if err != nil {
		c.record(p, trial, outcomeNeutral, nil)
		return nil, faults.Wrap(faults.InternalError, err, "building the SendMessage for provider %q", p.ID)
	}
	log = log.With("message_id", messageID)
	var resp *adapters.Response
	var fe *faults.Error
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		var retry bool
		resp, fe, retry = c.attempt(ctx, p, body, messageID, attempt)
		level, result := slog.LevelInfo, "ok"
		if fe != nil {
			result = string(fe.Code)
			if fe.Code != faults.ProviderFault {
				level = slog.LevelWarn
			}
		}
		log.LogAttrs(ctx, level, "provider call", slog.Int("attempt", attempt), slog.String("outcome", result),
			slog.String("detail", detailOf(fe)), slog.Duration("took", time.Since(t0)))
		if !retry || attempt > p.Retries || ctx.Err() != nil {
			break
		}
		if sleep(ctx, backoff(attempt)) != nil {
			break // the last failure stands
		}
	}
	var o outcome
	switch {
	case fe == nil || fe.Code == faults.ProviderFault:
		o = outcomeSuccess
	case errors.Is(ctx.Err(), context.Canceled) || fe.Code == faults.InternalError:
		o = outcomeNeutral
	default:
		o = outcomeFailure
	}
	c.record(p, trial, o, fe)
	if fe != nil {
		return nil, fe
	}
	return resp, nil
}

func detailOf(fe *faults.Error) string {
	if fe == nil {
		return ""
	}
	return fe.Error()
}

// backoff is the wait before retry n (1-based): 50 ms, 100 ms, … capped at 1 s.
func backoff(n int) time.Duration {
	d := 50 * time.Millisecond << (n - 1)
	return min(d, time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request builds the signed SendMessage for the provider: a new messageId, the sender's
// messageId as correlationId, the gateway's session and the request's data, unchanged.
func (c *Client) request(req *adapters.Request, service, messageID string) ([]byte, error) {
	info := syncchannel.RequestInfo{MessageID: messageID, CorrelationID: req.Info.MessageID, ServiceID: service,
		MessageDate: c.now(), RouteID: req.RouteID, Sender: syncchannel.Sender{ID: c.opts.SenderID, Password: c.opts.SenderPassword},
		Properties: req.Info.Properties}
	if syncchannel.ValidSessionID(req.SessionID) {
		info.SessionID = req.SessionID
	}
	sm := &syncchannel.Request{Info: info, Data: forwardData(req.Data)}
	return envelope(sm.Element(), c.opts.Key, c.opts.Cert, c.opts.Limits)
}

// forwardData copies data for the provider. A document carried as text (xs:string) is sent
// as the very same text in a fresh xs:string element: the verified tree it comes from may have
// lost the declaration of the xs prefix (exclusive c14n drops prefixes used only in values).
func forwardData(data *etree.Element) *etree.Element {
	if data == nil {
		return nil
	}
	if syncchannel.IsStringData(data) && len(data.ChildElements()) == 0 {
		var text strings.Builder
		for _, t := range data.Child {
			if cd, ok := t.(*etree.CharData); ok {
				text.WriteString(cd.Data)
			}
		}
		return syncchannel.StringData(text.String())
	}
	return data.Copy()
}

// envelope wraps a Body child in a SOAP 1.1 envelope signed with WS-Security. Text is written
// with character references for CR, so that an embedded document keeps its bytes.
func envelope(child *etree.Element, key crypto.Signer, cert *x509.Certificate, lim signing.Limits) ([]byte, error) {
	doc := etree.NewDocument()
	doc.WriteSettings.CanonicalText = true
	doc.WriteSettings.CanonicalAttrVal = true
	env := doc.CreateElement("soapenv:Envelope")
	env.CreateAttr("xmlns:soapenv", NSSOAP11)
	env.CreateElement("soapenv:Body").AddChild(child)
	raw, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	return signing.SignWSSE(raw, key, cert, signing.SignOptions{Limits: lim})
}

// attempt makes one HTTP exchange. retry reports a failure worth another attempt.
func (c *Client) attempt(ctx context.Context, p *Provider, body []byte, messageID string, n int) (_ *adapters.Response, _ *faults.Error, retry bool) {
	actx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, p.Endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, faults.Wrap(faults.ProviderUnavailable, err, "provider %q: endpoint", p.ID), false
	}
	hreq.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hreq.Header.Set("SOAPAction", `""`)
	hreq.Header.Set("User-Agent", "shep")
	hresp, err := c.http.Do(hreq)
	if err != nil {
		fe, retry := transportFailure(ctx, actx, p, err, n)
		return nil, fe, retry
	}
	defer hresp.Body.Close()
	limit := c.opts.Limits.MaxBytes
	raw, err := io.ReadAll(io.LimitReader(hresp.Body, int64(limit)+1))
	if err != nil {
		fe, retry := transportFailure(ctx, actx, p, err, n)
		return nil, fe, retry
	}
	if len(raw) > limit {
		return nil, faults.New(faults.ProviderBadResponse, "provider %q: an answer over %d bytes", p.ID, limit), false
	}
	switch hresp.StatusCode {
	case http.StatusOK, http.StatusBadRequest, http.StatusInternalServerError:
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return nil, faults.New(faults.ProviderUnavailable, "provider %q: HTTP %s", p.ID, hresp.Status), true
	default:
		return nil, faults.New(faults.ProviderBadResponse, "provider %q: HTTP %s", p.ID, hresp.Status), false
	}
	resp, fe := c.answer(actx, p, hresp.StatusCode, raw, messageID)
	return resp, fe, false
}

// transportFailure classifies a failed exchange: a timeout (not retried), the caller giving up,
// or the provider out of reach (retried, but for a certificate the TLS client refuses).
func transportFailure(ctx, actx context.Context, p *Provider, err error, n int) (*faults.Error, bool) {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return faults.Wrap(faults.ProviderTimeout, err, "provider %q: the gateway's deadline passed (attempt %d)", p.ID, n), false
	case ctx.Err() != nil:
		return faults.Wrap(faults.ProviderUnavailable, ctx.Err(), "provider %q: the call was cancelled", p.ID), false
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return faults.Wrap(faults.ProviderTimeout, err, "provider %q: no answer within %s (attempt %d)", p.ID, p.Timeout, n), false
	}
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return faults.Wrap(faults.ProviderUnavailable, err, "provider %q: TLS", p.ID), false
	}
	return faults.Wrap(faults.ProviderUnavailable, err, "provider %q (attempt %d)", p.ID, n), true
}

// successCodes are the status codes of a processed message: ШЭП's own, and the NITEC sample's.
var successCodes = map[string]bool{syncchannel.StatusSuccess: true, "Success": true}

// answer verifies and reads a provider's answer.
func (c *Client) answer(ctx context.Context, p *Provider, status int, raw []byte, messageID string) (*adapters.Response, *faults.Error) {
	bad := func(err error, format string, args ...any) *faults.Error {
		fe := faults.New(faults.ProviderBadResponse, "provider %q: %s", p.ID, fmt.Sprintf(format, args...))
		fe.Cause = err
		if code := signing.CodeOf(err); code != "" {
			fe.Sub = &faults.SubError{Code: code, Message: err.Error()}
		}
		return fe
	}
	doc, err := signing.Parse(raw, c.opts.Limits)
	if err != nil {
		return nil, bad(err, "HTTP %d with an answer that is not XML", status)
	}
	v, err := signing.VerifyWSSEDocument(doc, signing.Options{Limits: c.opts.Limits})
	if err != nil {
		switch signing.CodeOf(err) {
		case string(signing.CodeWSSENoSecurity), string(signing.CodeSigMissing):
			return nil, bad(err, "unsigned")
		case string(signing.CodeSOAPNotEnvelope), string(signing.CodeSOAPNoBody):
			return nil, bad(err, "HTTP %d with an answer that is not a SOAP envelope", status)
		}
		return nil, bad(err, "the signature does not verify")
	}
	if !bytes.Equal(v.Certificate.Raw, p.Cert) {
		return nil, bad(nil, "signed by «%s», not by the registered certificate", v.Certificate.Subject.CommonName)
	}
	if c.opts.Validator != nil {
		if _, err := c.opts.Validator.Validate(ctx, validate.Request{Cert: v.Certificate, Extra: v.Extra, Usage: validate.UsageSign}); err != nil {
			return nil, bad(err, "its certificate is refused")
		}
	}
	// From here on only the verified Body is read.
	if kids := v.Element.ChildElements(); len(kids) == 1 && kids[0].Tag == "Fault" && isSOAP(kids[0].NamespaceURI()) {
		return nil, providerFault(p, kids[0])
	}
	if status != http.StatusOK {
		return nil, bad(nil, "HTTP %d without a SOAP fault", status)
	}
	r, err := syncchannel.ParseResponse(v.Element)
	if err != nil {
		return nil, bad(err, "not a SendMessageResponse")
	}
	if r.Info.CorrelationID != messageID {
		return nil, bad(nil, "correlationId %q does not answer messageId %q", r.Info.CorrelationID, messageID)
	}
	if !successCodes[r.Info.Status.Code] {
		return nil, &faults.Error{Code: faults.ProviderFault, Detail: fmt.Sprintf("provider %q: status %s: %s", p.ID, r.Info.Status.Code, r.Info.Status.Message),
			Sub: &faults.SubError{Code: r.Info.Status.Code, Message: r.Info.Status.Message}}
	}
	return &adapters.Response{Data: r.Data}, nil
}

func isSOAP(ns string) bool { return ns == NSSOAP11 || ns == NSSOAP12 }

// providerFault reads a verified SOAP fault: its ErrorInfo when it has one, else its fault code
// and string.
func providerFault(p *Provider, f *etree.Element) *faults.Error {
	var code, msg string
	for _, k := range f.ChildElements() {
		switch {
		case k.Tag == "faultcode" && k.NamespaceURI() == "":
			code = localName(k.Text())
		case k.Tag == "faultstring" && k.NamespaceURI() == "":
			msg = strings.TrimSpace(k.Text())
		case k.Tag == "Code" && k.NamespaceURI() == NSSOAP12:
			if v := k.SelectElement("Value"); v != nil {
				code = localName(v.Text())
			}
		case k.Tag == "Reason" && k.NamespaceURI() == NSSOAP12:
			if t := k.SelectElement("Text"); t != nil {
				msg = strings.TrimSpace(t.Text())
			}
		case k.Tag == "detail" && k.NamespaceURI() == "" || k.Tag == "Detail" && k.NamespaceURI() == NSSOAP12:
			for _, d := range k.ChildElements() {
				if d.Tag != syncchannel.FaultElement {
					continue
				}
				if info, err := syncchannel.ParseFault(d); err == nil {
					detail := fmt.Sprintf("provider %q: %s: %s", p.ID, info.Code, info.Message)
					if info.Data != "" {
						detail += " (" + info.Data + ")"
					}
					return &faults.Error{Code: faults.ProviderFault, Detail: detail, Sub: &faults.SubError{Code: info.Code, Message: info.Message}}
				}
			}
		}
	}
	if code == "" {
		code = "Server"
	}
	return &faults.Error{Code: faults.ProviderFault, Detail: fmt.Sprintf("provider %q: SOAP fault %s: %s", p.ID, code, msg),
		Sub: &faults.SubError{Code: code, Message: msg}}
}

func localName(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.LastIndexByte(q, ':'); i >= 0 {
		return q[i+1:]
	}
	return q
}
