package remote

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/internal/jsonhttp"
)

// Routes mounts the providers' admin API on r (the token-protected /admin subrouter):
//
//	GET    /providers       list providers, with their breaker state
//	POST   /providers       create or replace a provider (JSON ProviderSpec)
//	GET    /providers/{id}  one provider, with its breaker state
//	DELETE /providers/{id}
//
// Errors are coded JSON: PROVIDER_INVALID 400, PROVIDER_CONFLICT 409, PROVIDER_NOT_FOUND 404,
// PROVIDER_STORE 500. c may be nil (no breaker states then).
func Routes(r *mux.Router, reg *Registry, c *Client) {
	a := &admin{reg: reg, c: c}
	r.HandleFunc("/providers", a.list).Methods(http.MethodGet)
	r.HandleFunc("/providers", a.put).Methods(http.MethodPost)
	r.HandleFunc("/providers/{id}", a.get).Methods(http.MethodGet)
	r.HandleFunc("/providers/{id}", a.delete).Methods(http.MethodDelete)
}

type admin struct {
	reg *Registry
	c   *Client
}

// ProviderSpec is the body of POST /admin/providers. A provider is replaced as a whole.
type ProviderSpec struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Services []string `json:"services"`
	Endpoint string   `json:"endpoint"`
	Cert     string   `json:"cert"`              // PEM
	Timeout  string   `json:"timeout,omitempty"` // Go duration, e.g. "10s" (default 10s)
	Retries  *int     `json:"retries,omitempty"` // default 1
	Disabled bool     `json:"disabled,omitempty"`
}

// ProviderJSON is a provider as the admin API shows it.
type ProviderJSON struct {
	ID       string        `json:"id"`
	Name     string        `json:"name,omitempty"`
	Services []string      `json:"services"`
	Endpoint string        `json:"endpoint"`
	Cert     string        `json:"cert"` // PEM
	Subject  string        `json:"subject"`
	NotAfter time.Time     `json:"not_after"`
	Timeout  string        `json:"timeout"`
	Retries  int           `json:"retries"`
	Disabled bool          `json:"disabled"`
	Created  time.Time     `json:"created"`
	Updated  time.Time     `json:"updated"`
	Breaker  *BreakerState `json:"breaker,omitempty"`
}

func (a *admin) out(p *Provider, breakers map[string]BreakerState) ProviderJSON {
	o := ProviderJSON{ID: p.ID, Name: p.Name, Services: p.Services, Endpoint: p.Endpoint, Timeout: p.Timeout.String(), Retries: p.Retries,
		Disabled: p.Disabled, Created: p.Created, Updated: p.Updated,
		Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Cert}))}
	if cert, err := p.Certificate(); err == nil {
		o.Subject, o.NotAfter = cert.Subject.String(), cert.NotAfter
	}
	if breakers != nil {
		b, ok := breakers[p.ID]
		if !ok {
			b = BreakerState{State: StateClosed}
		}
		o.Breaker = &b
	}
	return o
}

func (a *admin) breakers() map[string]BreakerState {
	if a.c == nil {
		return nil
	}
	return a.c.Breakers()
}

func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		jsonhttp.Error(w, http.StatusBadRequest, "PROVIDER_INVALID", err.Error())
	case errors.Is(err, ErrConflict):
		jsonhttp.Error(w, http.StatusConflict, "PROVIDER_CONFLICT", err.Error())
	case errors.Is(err, ErrNotFound):
		jsonhttp.Error(w, http.StatusNotFound, "PROVIDER_NOT_FOUND", err.Error())
	default:
		jsonhttp.Error(w, http.StatusInternalServerError, "PROVIDER_STORE", err.Error())
	}
}

// Provider turns the spec into a Provider (ErrInvalid for a bad certificate or timeout).
func (s *ProviderSpec) Provider() (*Provider, error) {
	p := &Provider{ID: s.ID, Name: s.Name, Services: s.Services, Endpoint: s.Endpoint, Retries: DefaultRetries, Disabled: s.Disabled}
	if s.Retries != nil {
		p.Retries = *s.Retries
	}
	if s.Timeout != "" {
		d, err := time.ParseDuration(s.Timeout)
		if err != nil {
			return nil, fmt.Errorf("%w: timeout %q: %v", ErrInvalid, s.Timeout, err)
		}
		p.Timeout = d
	}
	blk, _ := pem.Decode([]byte(s.Cert))
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: cert is not a PEM certificate", ErrInvalid)
	}
	p.Cert = blk.Bytes
	return p, nil
}

func (a *admin) put(w http.ResponseWriter, r *http.Request) {
	var spec ProviderSpec
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		jsonhttp.Error(w, http.StatusBadRequest, "PROVIDER_INVALID", err.Error())
		return
	}
	p, err := spec.Provider()
	if err == nil {
		p, err = a.reg.Put(r.Context(), p)
	}
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, a.out(p, a.breakers()))
}

func (a *admin) list(w http.ResponseWriter, r *http.Request) {
	list, err := a.reg.List(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	b := a.breakers()
	out := make([]ProviderJSON, 0, len(list))
	for _, p := range list {
		out = append(out, a.out(p, b))
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"providers": out})
}

func (a *admin) get(w http.ResponseWriter, r *http.Request) {
	p, err := a.reg.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, a.out(p, a.breakers()))
}

func (a *admin) delete(w http.ResponseWriter, r *http.Request) {
	if err := a.reg.Delete(r.Context(), mux.Vars(r)["id"]); err != nil {
		fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
