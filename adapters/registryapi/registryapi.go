// Package registryapi is the admin HTTP API of the emulated registries: persons of ГБД ФЛ and
// powers of attorney of ЕНИС, read, written, imported and exported as JSON or CSV.
package registryapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/internal/jsonhttp"
)

// Error codes of the API.
const (
	CodeNotFound = "REGISTRY_NOT_FOUND" // 404
	CodeInvalid  = "REGISTRY_INVALID"   // 400 (413 for a body over the limit)
	CodeStore    = "REGISTRY_STORE"     // 500
)

// Limits of request bodies and pages.
const (
	MaxBody      = 1 << 20         // a single record
	MaxImport    = gbdfl.MaxImport // an import
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Register mounts the API on r, which the caller has already protected (the token-checked
// /admin subrouter); paths are relative to it. A nil store leaves its registry out.
//
//	GET    /registries/gbdfl/persons?after=&limit=   {"persons": [...], "next": "IIN or empty"}
//	GET    /registries/gbdfl/persons/{iin}           a person
//	PUT    /registries/gbdfl/persons/{iin}           store a person (JSON; its iin must be {iin})
//	DELETE /registries/gbdfl/persons/{iin}           204
//	GET    /registries/gbdfl/persons/{iin}/children  {"children": [...]}
//	POST   /registries/gbdfl/import?format=          JSON or CSV body (by Content-Type unless format is given) → {"imported": n}
//	GET    /registries/gbdfl/export?format=json|csv  every person
//	GET    /registries/enis/powers?after=&limit=     {"powers": [...], "next": "number or empty"}
//	GET    /registries/enis/powers/{number}          a power of attorney
//	PUT    /registries/enis/powers/{number}          store one (JSON; its number must be {number})
//	DELETE /registries/enis/powers/{number}          204
//	POST   /registries/enis/powers/{number}/revoke   revoke it from ?at= (RFC 3339; default now) → the power of attorney
//	GET    /registries/enis/lookup?principal=&representative=&service=&at=  the covering power of attorney, or 404
//	POST   /registries/enis/import?format=           as for gbdfl
//	GET    /registries/enis/export?format=json|csv
//
// Errors are {"error": {"code", "message"}} with REGISTRY_NOT_FOUND (404), REGISTRY_INVALID
// (400, or 413 for a body over MaxBody or MaxImport) or REGISTRY_STORE (500).
func Register(r *mux.Router, persons *gbdfl.Store, powers *enis.Store) {
	if persons != nil {
		p := &personsAPI{s: persons}
		r.HandleFunc("/registries/gbdfl/persons", p.list).Methods(http.MethodGet)
		r.HandleFunc("/registries/gbdfl/persons/{iin}", p.get).Methods(http.MethodGet)
		r.HandleFunc("/registries/gbdfl/persons/{iin}", p.put).Methods(http.MethodPut)
		r.HandleFunc("/registries/gbdfl/persons/{iin}", p.delete).Methods(http.MethodDelete)
		r.HandleFunc("/registries/gbdfl/persons/{iin}/children", p.children).Methods(http.MethodGet)
		r.HandleFunc("/registries/gbdfl/import", importer(persons.Import)).Methods(http.MethodPost)
		r.HandleFunc("/registries/gbdfl/export", exporter("gbdfl", persons.Export)).Methods(http.MethodGet)
	}
	if powers != nil {
		p := &powersAPI{s: powers, now: time.Now}
		r.HandleFunc("/registries/enis/powers", p.list).Methods(http.MethodGet)
		r.HandleFunc("/registries/enis/powers/{number}", p.get).Methods(http.MethodGet)
		r.HandleFunc("/registries/enis/powers/{number}", p.put).Methods(http.MethodPut)
		r.HandleFunc("/registries/enis/powers/{number}", p.delete).Methods(http.MethodDelete)
		r.HandleFunc("/registries/enis/powers/{number}/revoke", p.revoke).Methods(http.MethodPost)
		r.HandleFunc("/registries/enis/lookup", p.lookup).Methods(http.MethodGet)
		r.HandleFunc("/registries/enis/import", importer(powers.Import)).Methods(http.MethodPost)
		r.HandleFunc("/registries/enis/export", exporter("enis", powers.Export)).Methods(http.MethodGet)
	}
}

// fail answers err with its coded error.
func fail(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		jsonhttp.Error(w, http.StatusRequestEntityTooLarge, CodeInvalid, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
	case errors.Is(err, gbdfl.ErrNotFound), errors.Is(err, enis.ErrNotFound):
		jsonhttp.Error(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, gbdfl.ErrInvalid), errors.Is(err, enis.ErrInvalid):
		jsonhttp.Error(w, http.StatusBadRequest, CodeInvalid, err.Error())
	default:
		jsonhttp.Error(w, http.StatusInternalServerError, CodeStore, err.Error())
	}
}

func invalid(w http.ResponseWriter, f string, a ...any) {
	jsonhttp.Error(w, http.StatusBadRequest, CodeInvalid, fmt.Sprintf(f, a...))
}

// page reads ?after= and ?limit=.
func page(w http.ResponseWriter, r *http.Request) (after string, limit int, ok bool) {
	q := r.URL.Query()
	limit = DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			invalid(w, "limit: want a number 1-%d", MaxLimit)
			return "", 0, false
		}
		limit = n
	}
	return q.Get("after"), limit, true
}

// readBody reads a JSON body of at most MaxBody bytes into v (which refuses unknown fields).
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		fail(w, err)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		invalid(w, "body: %v", err)
		return false
	}
	if dec.More() {
		invalid(w, "body: data after the JSON object")
		return false
	}
	return true
}

// importer serves POST …/import with the registry's Import.
func importer(imp func(ctx context.Context, r io.Reader, format string) (int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		format := r.URL.Query().Get("format")
		if format == "" {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch mt {
			case "application/json", "application/x-ndjson", "application/jsonl":
				format = "json"
			case "text/csv":
				format = "csv"
			default:
				invalid(w, "Content-Type %q: want application/json or text/csv, or give ?format=json|csv", r.Header.Get("Content-Type"))
				return
			}
		}
		if format != "json" && format != "csv" {
			invalid(w, "format %q: want json or csv", format)
			return
		}
		n, err := imp(r.Context(), http.MaxBytesReader(w, r.Body, MaxImport), format)
		if err != nil {
			fail(w, err)
			return
		}
		jsonhttp.Write(w, http.StatusOK, map[string]int{"imported": n})
	}
}

// exporter serves GET …/export with the registry's Export.
func exporter(name string, exp func(ctx context.Context, w io.Writer, format string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		format := r.URL.Query().Get("format")
		if format == "" {
			format = "json"
		}
		var ct string
		switch format {
		case "json":
			ct = "application/json; charset=utf-8"
		case "csv":
			ct = "text/csv; charset=utf-8"
		default:
			invalid(w, "format %q: want json or csv", format)
			return
		}
		cw := &countingWriter{w: w}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"."+format))
		if err := exp(r.Context(), cw, format); err != nil {
			if cw.n == 0 {
				w.Header().Del("Content-Disposition")
				fail(w, err)
				return
			}
			panic(http.ErrAbortHandler) // the client must not take a cut export for a whole one
		}
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type personsAPI struct{ s *gbdfl.Store }

func (a *personsAPI) list(w http.ResponseWriter, r *http.Request) {
	after, limit, ok := page(w, r)
	if !ok {
		return
	}
	ps, err := a.s.List(r.Context(), after, limit)
	if err != nil {
		fail(w, err)
		return
	}
	next := ""
	if len(ps) == limit {
		next = ps[len(ps)-1].IIN
	}
	if ps == nil {
		ps = []*gbdfl.Person{}
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"persons": ps, "next": next})
}

func (a *personsAPI) get(w http.ResponseWriter, r *http.Request) {
	iin := mux.Vars(r)["iin"]
	p, ok, err := a.s.Person(r.Context(), iin)
	switch {
	case err != nil:
		fail(w, err)
	case !ok:
		jsonhttp.Error(w, http.StatusNotFound, CodeNotFound, "ГБД ФЛ: no person with ИИН "+iin)
	default:
		jsonhttp.Write(w, http.StatusOK, p)
	}
}

func (a *personsAPI) put(w http.ResponseWriter, r *http.Request) {
	var p gbdfl.Person
	if !readBody(w, r, &p) {
		return
	}
	if iin := mux.Vars(r)["iin"]; p.IIN != iin {
		invalid(w, "the body's iin %q differs from the path's %q", p.IIN, iin)
		return
	}
	if err := a.s.Put(r.Context(), &p); err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, &p)
}

func (a *personsAPI) delete(w http.ResponseWriter, r *http.Request) {
	if err := a.s.Delete(r.Context(), mux.Vars(r)["iin"]); err != nil {
		fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *personsAPI) children(w http.ResponseWriter, r *http.Request) {
	iin := mux.Vars(r)["iin"]
	kids, err := a.s.Children(r.Context(), iin)
	if err != nil {
		fail(w, err)
		return
	}
	if len(kids) == 0 {
		// Children of a deleted parent are still listed; an unknown person without any is a 404.
		if _, ok, err := a.s.Person(r.Context(), iin); err != nil {
			fail(w, err)
			return
		} else if !ok {
			jsonhttp.Error(w, http.StatusNotFound, CodeNotFound, "ГБД ФЛ: no person with ИИН "+iin)
			return
		}
		kids = []*gbdfl.Person{}
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"children": kids})
}

type powersAPI struct {
	s   *enis.Store
	now func() time.Time
}

func (a *powersAPI) list(w http.ResponseWriter, r *http.Request) {
	after, limit, ok := page(w, r)
	if !ok {
		return
	}
	ps, err := a.s.List(r.Context(), after, limit)
	if err != nil {
		fail(w, err)
		return
	}
	next := ""
	if len(ps) == limit {
		next = ps[len(ps)-1].Number
	}
	if ps == nil {
		ps = []*enis.PowerOfAttorney{}
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"powers": ps, "next": next})
}

func (a *powersAPI) get(w http.ResponseWriter, r *http.Request) {
	p, err := a.s.Get(r.Context(), mux.Vars(r)["number"])
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, p)
}

func (a *powersAPI) put(w http.ResponseWriter, r *http.Request) {
	var p enis.PowerOfAttorney
	if !readBody(w, r, &p) {
		return
	}
	if n := mux.Vars(r)["number"]; p.Number != n {
		invalid(w, "the body's number %q differs from the path's %q", p.Number, n)
		return
	}
	if err := a.s.Put(r.Context(), &p); err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, &p)
}

func (a *powersAPI) delete(w http.ResponseWriter, r *http.Request) {
	if err := a.s.Delete(r.Context(), mux.Vars(r)["number"]); err != nil {
		fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// at reads ?at= (RFC 3339 or YYYY-MM-DD), now by default.
func (a *powersAPI) at(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("at")
	if v == "" {
		return a.now(), true
	}
	t, err := enis.ParseTime(v)
	if err != nil {
		invalid(w, "at: %v", err)
		return time.Time{}, false
	}
	return t, true
}

func (a *powersAPI) revoke(w http.ResponseWriter, r *http.Request) {
	at, ok := a.at(w, r)
	if !ok {
		return
	}
	p, err := a.s.Revoke(r.Context(), mux.Vars(r)["number"], at)
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, p)
}

func (a *powersAPI) lookup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	principal, rep, service := q.Get("principal"), q.Get("representative"), q.Get("service")
	if principal == "" || rep == "" || service == "" {
		invalid(w, "principal, representative and service are required")
		return
	}
	at, ok := a.at(w, r)
	if !ok {
		return
	}
	p, found, err := a.s.FindAny(r.Context(), principal, rep, service, at)
	switch {
	case err != nil:
		fail(w, err)
	case !found:
		jsonhttp.Error(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("ЕНИС: no power of attorney lets %s act for %s in %s at %s",
			rep, principal, service, at.Format(time.RFC3339)))
	default:
		jsonhttp.Write(w, http.StatusOK, p)
	}
}
