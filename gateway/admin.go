package gateway

import (
	"crypto/subtle"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/internal/jsonhttp"
)

// registerAdmin mounts the admin API, protected by the bearer token:
//
//	GET    /admin/senders                 list senders
//	POST   /admin/senders                 create or update a sender (JSON senderSpec)
//	GET    /admin/senders/{id}            one sender
//	DELETE /admin/senders/{id}
//	GET    /admin/log?message_id=&session_id=&iin=&service_id=&sender=&status=&from=&to=&limit=&before=
//	GET    /admin/log/{session_id}        one exchange with its bodies and steps
func (s *Server) registerAdmin(r *mux.Router) {
	r.Use(s.requireToken)
	r.HandleFunc("/senders", s.listSenders).Methods(http.MethodGet)
	r.HandleFunc("/senders", s.putSender).Methods(http.MethodPost)
	r.HandleFunc("/senders/{id}", s.getSender).Methods(http.MethodGet)
	r.HandleFunc("/senders/{id}", s.deleteSender).Methods(http.MethodDelete)
	r.HandleFunc("/log", s.queryLog).Methods(http.MethodGet)
	r.HandleFunc("/log/{session}", s.getLog).Methods(http.MethodGet)
}

func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.AdminToken)) != 1 {
			jsonhttp.Error(w, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED", "a valid admin token is required (Authorization: Bearer TOKEN)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// adminFail answers err with the admin API's coded JSON error.
func adminFail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, participants.ErrInvalid), errors.Is(err, msglog.ErrInvalid):
		jsonhttp.Error(w, http.StatusBadRequest, "ADMIN_BAD_REQUEST", err.Error())
	case errors.Is(err, participants.ErrUnknown), errors.Is(err, msglog.ErrNotFound):
		jsonhttp.Error(w, http.StatusNotFound, "ADMIN_NOT_FOUND", err.Error())
	default:
		jsonhttp.Error(w, http.StatusInternalServerError, "ADMIN_STORE", err.Error())
	}
}

// senderJSON is a sender as the admin API shows it.
type senderJSON struct {
	ID            string    `json:"id"`
	Name          string    `json:"name,omitempty"`
	Channel       string    `json:"channel"`
	Services      []string  `json:"services"`
	HasPassword   bool      `json:"has_password"`
	TransportCert string    `json:"transport_cert,omitempty"` // PEM
	Disabled      bool      `json:"disabled"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
}

func senderOut(p *participants.Sender) senderJSON {
	o := senderJSON{ID: p.ID, Name: p.Name, Channel: string(p.Channel), Services: p.Services, HasPassword: len(p.PasswordHash) > 0,
		Disabled: p.Disabled, Created: p.Created, Updated: p.Updated}
	if o.Services == nil {
		o.Services = []string{}
	}
	if len(p.TransportCert) > 0 {
		o.TransportCert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.TransportCert}))
	}
	return o
}

// senderSpec is the body of POST /admin/senders; absent fields are left unchanged.
type senderSpec struct {
	ID            string    `json:"id"`
	Password      *string   `json:"password"`
	Services      *[]string `json:"services"`
	Channel       *string   `json:"channel"`
	Name          *string   `json:"name"`
	TransportCert *string   `json:"transport_cert"` // PEM; "" clears it
	Disabled      *bool     `json:"disabled"`
}

func (s *Server) putSender(w http.ResponseWriter, r *http.Request) {
	var spec senderSpec
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		jsonhttp.Error(w, http.StatusBadRequest, "ADMIN_BAD_REQUEST", err.Error())
		return
	}
	ps := participants.Spec{ID: spec.ID, Password: spec.Password, Services: spec.Services, Name: spec.Name, Disabled: spec.Disabled}
	if spec.Channel != nil {
		c := participants.Channel(*spec.Channel)
		ps.Channel = &c
	}
	if spec.TransportCert != nil {
		der := []byte{}
		if *spec.TransportCert != "" {
			blk, _ := pem.Decode([]byte(*spec.TransportCert))
			if blk == nil || blk.Type != "CERTIFICATE" {
				jsonhttp.Error(w, http.StatusBadRequest, "ADMIN_BAD_REQUEST", "transport_cert is not a PEM certificate")
				return
			}
			der = blk.Bytes
		}
		ps.TransportCert = &der
	}
	p, err := s.opts.Pipeline.Senders.Put(r.Context(), ps)
	if err != nil {
		adminFail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, senderOut(p))
}

func (s *Server) listSenders(w http.ResponseWriter, r *http.Request) {
	list, err := s.opts.Pipeline.Senders.List(r.Context())
	if err != nil {
		adminFail(w, err)
		return
	}
	out := make([]senderJSON, 0, len(list))
	for _, p := range list {
		out = append(out, senderOut(p))
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"senders": out})
}

func (s *Server) getSender(w http.ResponseWriter, r *http.Request) {
	p, err := s.opts.Pipeline.Senders.Get(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		adminFail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, senderOut(p))
}

func (s *Server) deleteSender(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Pipeline.Senders.Delete(r.Context(), mux.Vars(r)["id"]); err != nil {
		adminFail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) queryLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := msglog.Filter{MessageID: q.Get("message_id"), SessionID: q.Get("session_id"), IIN: q.Get("iin"), ServiceID: q.Get("service_id"),
		Sender: q.Get("sender"), Status: q.Get("status"), Before: q.Get("before")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.name); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				jsonhttp.Error(w, http.StatusBadRequest, "ADMIN_BAD_REQUEST", t.name+": want RFC 3339")
				return
			}
			*t.dst = tm
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			jsonhttp.Error(w, http.StatusBadRequest, "ADMIN_BAD_REQUEST", "limit: want a positive number")
			return
		}
		f.Limit = n
	}
	items, next, err := s.opts.Pipeline.Log.Query(r.Context(), f)
	if err != nil {
		adminFail(w, err)
		return
	}
	if items == nil {
		items = []msglog.Summary{}
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"items": items, "next": next})
}

// recordJSON is an exchange as the admin API shows it.
type recordJSON struct {
	*msglog.Record
	Request  string `json:"Request"`
	Response string `json:"Response"`
}

func (s *Server) getLog(w http.ResponseWriter, r *http.Request) {
	rec, err := s.opts.Pipeline.Log.BySession(r.Context(), mux.Vars(r)["session"])
	if err != nil {
		adminFail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, recordJSON{Record: rec, Request: string(rec.Request), Response: string(rec.Response)})
}
