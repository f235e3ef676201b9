package gateway

import (
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/wsdl"
	"github.com/shep-kz/shep/internal/jsonhttp"
)

// sendMessage is the SyncChannel endpoint.
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	body, tooLarge, err := readBody(r.Body, s.opts.MaxBody)
	p := s.opts.Pipeline
	var status int
	var out []byte
	switch {
	case err != nil:
		x := &exchange{p: p, rec: newRecord(p, nil), soap12: strings.HasPrefix(ct, "application/soap+xml")}
		fe := faults.Wrap(faults.RequestMalformed, err, "reading the request")
		status, out = fe.HTTPStatus(x.soap12), x.fault(fe)
	case tooLarge:
		x := &exchange{p: p, rec: newRecord(p, nil), soap12: strings.HasPrefix(ct, "application/soap+xml")}
		fe := faults.New(faults.RequestTooLarge, "the body exceeds %d bytes", s.opts.MaxBody)
		p.Metrics.refusals.Inc(string(fe.Code))
		status, out = fe.HTTPStatus(x.soap12), x.fault(fe)
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

// process runs the pipeline; a panic becomes a signed INTERNAL_ERROR fault, never a dropped
// connection or a bare 500.
func (s *Server) process(r *http.Request, body []byte, ct string) (status int, out []byte) {
	p := s.opts.Pipeline
	defer func() {
		if v := recover(); v != nil {
			s.opts.Logger.ErrorContext(r.Context(), "panic in SendMessage", "panic", v, "stack", string(debug.Stack()))
			x := &exchange{p: p, rec: newRecord(p, body), soap12: strings.HasPrefix(ct, "application/soap+xml")}
			fe := faults.New(faults.InternalError, "the gateway failed on this message")
			p.Metrics.refusals.Inc(string(fe.Code))
			status, out = fe.HTTPStatus(x.soap12), x.fault(fe)
		}
	}()
	return p.Process(r.Context(), body, ct)
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
