package faultinject

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/internal/jsonhttp"
)

// SetRequest is the body of POST /faults: a Rule, plus For, an expiry relative to the gateway's
// clock ("10m"), which wins over Expires.
type SetRequest struct {
	Rule
	For Duration `json:"for,omitempty"`
}

// Routes mounts the fault API on r, the token-protected /admin subrouter:
//
//	GET    /faults        {"faults": [rule…]}, most specific first
//	POST   /faults        SetRequest → 201 with the stored rule
//	GET    /faults/{id}   the rule
//	DELETE /faults/{id}   {"deleted": id}
//	DELETE /faults        {"cleared": n}
//
// Errors: FAULT_INVALID 400, FAULT_NOT_FOUND 404, FAULT_STORE 500.
func Routes(r *mux.Router, i *Injector) {
	r.HandleFunc("/faults", func(w http.ResponseWriter, req *http.Request) {
		list := i.List()
		if list == nil {
			list = []Rule{}
		}
		jsonhttp.Write(w, http.StatusOK, map[string]any{"faults": list})
	}).Methods(http.MethodGet)
	r.HandleFunc("/faults", func(w http.ResponseWriter, req *http.Request) {
		var in SetRequest
		dec := json.NewDecoder(io.LimitReader(req.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			jsonhttp.Error(w, http.StatusBadRequest, "FAULT_INVALID", "body: "+err.Error())
			return
		}
		if in.For < 0 {
			jsonhttp.Error(w, http.StatusBadRequest, "FAULT_INVALID", "for: must not be negative")
			return
		}
		out, err := i.set(req.Context(), in.Rule, time.Duration(in.For))
		if err != nil {
			fail(w, err)
			return
		}
		jsonhttp.Write(w, http.StatusCreated, out)
	}).Methods(http.MethodPost)
	r.HandleFunc("/faults", func(w http.ResponseWriter, req *http.Request) {
		n, err := i.Clear(req.Context())
		if err != nil {
			fail(w, err)
			return
		}
		jsonhttp.Write(w, http.StatusOK, map[string]int{"cleared": n})
	}).Methods(http.MethodDelete)
	r.HandleFunc("/faults/{id}", func(w http.ResponseWriter, req *http.Request) {
		out, err := i.Get(mux.Vars(req)["id"])
		if err != nil {
			fail(w, err)
			return
		}
		jsonhttp.Write(w, http.StatusOK, out)
	}).Methods(http.MethodGet)
	r.HandleFunc("/faults/{id}", func(w http.ResponseWriter, req *http.Request) {
		id := mux.Vars(req)["id"]
		if err := i.Delete(req.Context(), id); err != nil {
			fail(w, err)
			return
		}
		jsonhttp.Write(w, http.StatusOK, map[string]string{"deleted": id})
	}).Methods(http.MethodDelete)
}

func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		jsonhttp.Error(w, http.StatusBadRequest, "FAULT_INVALID", err.Error())
	case errors.Is(err, ErrNotFound):
		jsonhttp.Error(w, http.StatusNotFound, "FAULT_NOT_FOUND", err.Error())
	default:
		jsonhttp.Error(w, http.StatusInternalServerError, "FAULT_STORE", err.Error())
	}
}
