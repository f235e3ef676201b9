package gateway

import (
	"fmt"
	"html"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/gateway/wsdl"
	"github.com/shep-kz/shep/internal/ids"
	"github.com/shep-kz/shep/internal/jsonhttp"
)

// sendMessage is the SyncChannel endpoint. Every answer, the refusal of a body that cannot be
// read or is over the limit included, is logged before it is sent.
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	t0 := time.Now()
	body, tooLarge, err := readBody(r.Body, s.opts.MaxBody)
	read := msglog.Step{Name: "read", Duration: time.Since(t0)}
	p := s.opts.Pipeline
	var status int
	var out []byte
	switch {
	case err != nil:
		fe := faults.Wrap(faults.RequestMalformed, err, "reading the request")
		read.Detail = fmt.Sprintf("the body could not be read after %d bytes (logged): %v", len(body), err)
		status, out = p.refuseUnread(r.Context(), body, ct, read, fe)
	case tooLarge:
		fe := faults.New(faults.RequestTooLarge, "the body exceeds %d bytes", s.opts.MaxBody)
		read.Detail = fmt.Sprintf("the body exceeds %d bytes: truncated, only its first %d bytes are logged", s.opts.MaxBody, s.opts.MaxBody)
		status, out = p.refuseUnread(r.Context(), body[:s.opts.MaxBody], ct, read, fe)
	default:
		status, out = s.process(r, body, ct)
	}
	if strings.Contains(string(out[:min(len(out), 200)]), "http://www.w3.org/2003/05/soap-envelope") {
		w.Header().Set("Content-Type", "application/soap+xml; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	}
	w.WriteHeader(status)
	w.Write(out)
}

// process runs the pipeline. A panic in a step is the pipeline's own INTERNAL_ERROR refusal; one
// outside the steps ends here and becomes a signed INTERNAL_ERROR fault too, logged anonymously
// when the log can take it: never a dropped connection or a bare 500.
func (s *Server) process(r *http.Request, body []byte, ct string) (status int, out []byte) {
	p := s.opts.Pipeline
	defer func() {
		if v := recover(); v != nil {
			s.opts.Logger.ErrorContext(r.Context(), "panic in SendMessage", "panic", v, "stack", string(debug.Stack()))
			fe := faults.New(faults.InternalError, "the gateway failed on this message")
			status, out = s.lastResort(r, body, ct, fe, fmt.Sprintf("panic: %v", v))
		}
	}()
	return p.Process(r.Context(), body, ct)
}

// lastResort answers after a panic outside the pipeline's steps: logged if that works, and
// answered with a signed fault whatever happens.
func (s *Server) lastResort(r *http.Request, body []byte, ct string, fe *faults.Error, detail string) (status int, out []byte) {
	p := s.opts.Pipeline
	defer func() {
		if v := recover(); v != nil {
			s.opts.Logger.ErrorContext(r.Context(), "cannot log the refusal of a panic", "panic", v)
			x := &exchange{p: p, rec: &msglog.Record{SessionID: ids.Session()}, soap12: strings.HasPrefix(ct, "application/soap+xml")}
			status, out = fe.HTTPStatus(x.soap12), signedOrPlainFault(x, fe)
		}
	}()
	return p.refuseUnread(r.Context(), body, ct, msglog.Step{Name: "panic", Detail: detail}, fe)
}

// signedOrPlainFault is x.fault(fe), or, if that panics too (the clock, the signer), a fixed
// unsigned fault with the same code: the client always gets a SOAP answer.
func signedOrPlainFault(x *exchange, fe *faults.Error) (out []byte) {
	defer func() {
		if recover() != nil {
			out = plainFault(x.soap12, fe.Code, x.rec.SessionID)
		}
	}()
	return x.fault(fe)
}

// plainFault is an unsigned SendMessage fault carrying only errorCode and sessionId.
func plainFault(soap12 bool, code faults.Code, sessionID string) []byte {
	var b strings.Builder
	info := `<detail><ns2:SendMessageFault1_SendMessageFault xmlns:ns2="` + syncchannel.NSTypes + `"><ErrorInfo><errorCode>` +
		html.EscapeString(string(code)) + `</errorCode><errorMessage>Внутренняя ошибка шлюза</errorMessage><sessionId>` +
		html.EscapeString(sessionID) + `</sessionId></ErrorInfo></ns2:SendMessageFault1_SendMessageFault></detail>`
	if soap12 {
		b.WriteString(`<env:Envelope xmlns:env="` + NSSOAP12 + `"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code>` +
			`<env:Reason><env:Text xml:lang="ru">Внутренняя ошибка шлюза</env:Text></env:Reason><env:Detail>` +
			strings.TrimSuffix(strings.TrimPrefix(info, "<detail>"), "</detail>") + `</env:Detail></env:Fault></env:Body></env:Envelope>`)
	} else {
		b.WriteString(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="` + NSSOAP11 + `"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>` +
			`<faultstring>Внутренняя ошибка шлюза</faultstring>` + info + `</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
	}
	return []byte(b.String())
}

// wsdl serves the WSDL at ?wsdl (and ?WSDL); anything else is a coded error.
func (s *Server) wsdl(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("wsdl") && !q.Has("WSDL") {
		jsonhttp.Error(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST a SOAP SendMessage here, or GET ?wsdl")
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(wsdl.SyncChannel(scheme + "://" + r.Host + r.URL.Path))
}

func (s *Server) applicationXSD(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(application.Schema)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.opts.Pipeline.Metrics.Registry.Write(w)
}
