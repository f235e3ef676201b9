// Package pkihttp publishes a test НУЦ over HTTP the way НУЦ does: CA certificates (AIA), full,
// delta and root CRLs (CDP, FreshestCRL) and an OCSP responder (RFC 6960, POST and GET), for the
// RSA hierarchy and, under /gost, the GOST one.
package pkihttp

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/jsonhttp"
)

// Authority is what the handlers need of a CA; *ca.Authority implements it.
type Authority interface {
	Root() *x509.Certificate
	Issuing() *x509.Certificate
	ChainPEM() []byte
	CRL(ctx context.Context, kind ca.CRLKind) ([]byte, error)
	OCSP(ctx context.Context, req []byte) []byte
}

// GOSTAuthority is what the /gost handlers need besides Authority; *ca.Authority implements it.
// CRL answers the GOST kinds (ca.CRLGOSTFull, …) and OCSP questions about either CA.
type GOSTAuthority interface {
	Authority
	EnsureGOST(ctx context.Context) error
	GOSTRoot() *x509.Certificate
	GOSTIssuing() *x509.Certificate
	GOSTChainPEM(ctx context.Context) ([]byte, error)
}

const maxOCSPRequest = 64 << 10

// Register mounts the handlers on r, relative to its prefix (the gateway mounts them at /pki, the
// prefix in ca.Options.BaseURL):
//
//	GET  /root.crt, /ca.crt     DER certificates (application/pkix-cert)
//	GET  /chain.pem             issuing CA then root, PEM
//	GET  /crl/{full,delta,root}.crl
//	POST /ocsp                  application/ocsp-request
//	GET  /ocsp/{base64 request}
//
// and, when a is a GOSTAuthority, the same for the GOST hierarchy under /gost (/gost/root.crt,
// /gost/ca.crt, /gost/chain.pem, /gost/crl/{full,delta,root}.crl, /gost/ocsp), the URLs its
// certificates name. A data dir made before the GOST hierarchy gets it on the first such request.
// The OCSP responders answer about either CA (the CertID tells which).
//
// The GET form carries base64, which may contain '/': the top router must not clean paths
// (mux.Router.SkipClean(true)).
func Register(r *mux.Router, a Authority, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handlers{a: a, log: log}
	r.HandleFunc("/root.crt", h.cert(a.Root)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/ca.crt", h.cert(a.Issuing)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/chain.pem", h.chain).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/crl/{kind:full|delta|root}.crl", h.crl(false)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/ocsp", h.ocspPost).Methods(http.MethodPost)
	r.HandleFunc("/ocsp/{req:.+}", h.ocspGet).Methods(http.MethodGet)
	if g, ok := a.(GOSTAuthority); ok {
		r.HandleFunc("/gost/root.crt", h.gostCert(g, g.GOSTRoot)).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc("/gost/ca.crt", h.gostCert(g, g.GOSTIssuing)).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc("/gost/chain.pem", h.gostChain(g)).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc("/gost/crl/{kind:full|delta|root}.crl", h.crl(true)).Methods(http.MethodGet, http.MethodHead)
		r.HandleFunc("/gost/ocsp", h.ocspPost).Methods(http.MethodPost)
		r.HandleFunc("/gost/ocsp/{req:.+}", h.ocspGet).Methods(http.MethodGet)
	}
}

type handlers struct {
	a   Authority
	log *slog.Logger
}

func (h *handlers) cert(get func() *x509.Certificate) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(get().Raw)
	}
}

func (h *handlers) gostCert(g GOSTAuthority, get func() *x509.Certificate) http.HandlerFunc {
	serve := h.cert(get)
	return func(w http.ResponseWriter, r *http.Request) {
		if err := g.EnsureGOST(r.Context()); err != nil {
			h.unavailable(w, r, err)
			return
		}
		serve(w, r)
	}
}

func (h *handlers) gostChain(g GOSTAuthority) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := g.GOSTChainPEM(r.Context())
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(b)
	}
}

func (h *handlers) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "GOST hierarchy unavailable", "err", err)
	jsonhttp.Error(w, http.StatusServiceUnavailable, "PKI_GOST_UNAVAILABLE", "the GOST hierarchy could not be loaded")
}

func (h *handlers) chain(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(h.a.ChainPEM())
}

// crl serves the RSA hierarchy's CRLs, or the GOST one's.
func (h *handlers) crl(gost bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h.serveCRL(w, r, gost) }
}

func (h *handlers) serveCRL(w http.ResponseWriter, r *http.Request, gost bool) {
	kind := ca.CRLKind(mux.Vars(r)["kind"])
	if gost {
		kind = ca.GOSTCRL(kind)
	}
	der, err := h.a.CRL(r.Context(), kind)
	if err != nil {
		h.log.ErrorContext(r.Context(), "CRL unavailable", "kind", kind, "err", err)
		jsonhttp.Error(w, http.StatusServiceUnavailable, "PKI_CRL_UNAVAILABLE", "the CRL could not be produced")
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(der)
}

func (h *handlers) ocspPost(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/ocsp-request") {
		jsonhttp.Error(w, http.StatusUnsupportedMediaType, "PKI_OCSP_CONTENT_TYPE", "Content-Type must be application/ocsp-request")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxOCSPRequest+1))
	if err != nil || len(body) > maxOCSPRequest {
		jsonhttp.Error(w, http.StatusRequestEntityTooLarge, "PKI_OCSP_TOO_LARGE", "OCSP request too large or unreadable")
		return
	}
	h.ocsp(w, r, body)
}

func (h *handlers) ocspGet(w http.ResponseWriter, r *http.Request) {
	raw := mux.Vars(r)["req"]
	if u, err := url.PathUnescape(raw); err == nil {
		raw = u
	}
	der, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		jsonhttp.Error(w, http.StatusBadRequest, "PKI_OCSP_MALFORMED", "the GET request is not base64")
		return
	}
	h.ocsp(w, r, der)
}

func (h *handlers) ocsp(w http.ResponseWriter, r *http.Request, req []byte) {
	resp := h.a.OCSP(r.Context(), req)
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(resp)
}
