package provider

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/adapters/worktime"
	"github.com/shep-kz/shep/internal/jsonhttp"
)

// Desk is the provider specialists' desk over every system's applications: list and open them,
// take one into work, extend its term, complete or refuse it, and download the signed result.
type Desk struct {
	Cases   *cases.Store
	Systems map[string]*System
}

// Routes mounts the desk on r (the token-protected admin router):
//
//	GET  /cases?system=&service=&status=&iin=&open=true&limit=
//	GET  /cases/{number}                  the application with its timeline (JSON)
//	GET  /cases/{number}/application      the signed application document (XML)
//	GET  /cases/{number}/result           the signed result (XML)
//	GET  /cases/{number}/result.html      its readable rendering
//	POST /cases/{number}/take             {"actor": {"name", "iin"}}
//	POST /cases/{number}/extend           {"actor", "by": "1mo", "reason"}
//	POST /cases/{number}/complete         {"actor", "text", "facts": [{"label","value"}]}
//	POST /cases/{number}/refuse           {"actor", "reason", "basis"}
func (d *Desk) Routes(r *mux.Router) {
	r.HandleFunc("/cases", d.list).Methods(http.MethodGet)
	r.HandleFunc("/cases/{number}", d.get).Methods(http.MethodGet)
	r.HandleFunc("/cases/{number}/application", d.application).Methods(http.MethodGet)
	r.HandleFunc("/cases/{number}/result", d.result).Methods(http.MethodGet)
	r.HandleFunc("/cases/{number}/result.html", d.resultHTML).Methods(http.MethodGet)
	r.HandleFunc("/cases/{number}/{action:take|extend|complete|refuse}", d.act).Methods(http.MethodPost)
}

// CaseJSON is a case as the desk shows it: without the documents, with status names and the
// deadline's state.
type CaseJSON struct {
	*cases.Case
	Application []byte      `json:"application,omitempty"` // omitted: GET …/application
	StatusRU    string      `json:"status_ru"`
	StatusKZ    string      `json:"status_kz"`
	Overdue     bool        `json:"overdue"`
	Now         time.Time   `json:"now"` // regulation time of the answer
	Result      *ResultJSON `json:"result,omitempty"`
}

// ResultJSON is a result without its document.
type ResultJSON struct {
	cases.Result
	Document []byte `json:"document,omitempty"`
}

func (d *Desk) out(c *cases.Case) CaseJSON {
	now := time.Now()
	if s, ok := d.Systems[c.System]; ok {
		now = s.o.Clock.Now()
	}
	o := CaseJSON{Case: c, StatusRU: c.Status.NameRU(), StatusKZ: c.Status.NameKZ(), Overdue: c.Overdue(now), Now: now}
	if c.Result != nil {
		o.Result = &ResultJSON{Result: *c.Result}
		o.Result.Document = nil
	}
	return o
}

func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, cases.ErrNotFound):
		jsonhttp.Error(w, http.StatusNotFound, "CASE_NOT_FOUND", err.Error())
	case errors.Is(err, cases.ErrTransition), errors.Is(err, ErrRulesRefuse):
		jsonhttp.Error(w, http.StatusConflict, "CASE_CONFLICT", err.Error())
	case errors.Is(err, cases.ErrInvalid):
		jsonhttp.Error(w, http.StatusBadRequest, "CASE_INVALID", err.Error())
	default:
		jsonhttp.Error(w, http.StatusInternalServerError, "CASE_STORE", err.Error())
	}
}

func (d *Desk) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := cases.Filter{System: q.Get("system"), ServiceID: q.Get("service"), Status: cases.Status(q.Get("status")),
		ApplicantIIN: q.Get("iin"), OpenOnly: q.Get("open") == "true"}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			jsonhttp.Error(w, http.StatusBadRequest, "CASE_INVALID", "limit must be a positive integer")
			return
		}
		f.Limit = n
	}
	cs, err := d.Cases.List(r.Context(), f)
	if err != nil {
		fail(w, err)
		return
	}
	out := make([]CaseJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, d.out(c))
	}
	jsonhttp.Write(w, http.StatusOK, map[string]any{"cases": out})
}

func (d *Desk) load(w http.ResponseWriter, r *http.Request) *cases.Case {
	c, err := d.Cases.Get(r.Context(), mux.Vars(r)["number"])
	if err != nil {
		fail(w, err)
		return nil
	}
	return c
}

func (d *Desk) get(w http.ResponseWriter, r *http.Request) {
	if c := d.load(w, r); c != nil {
		jsonhttp.Write(w, http.StatusOK, d.out(c))
	}
}

func (d *Desk) application(w http.ResponseWriter, r *http.Request) {
	if c := d.load(w, r); c != nil {
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = w.Write(c.Application)
	}
}

func (d *Desk) result(w http.ResponseWriter, r *http.Request) {
	c := d.load(w, r)
	if c == nil {
		return
	}
	if c.Result == nil {
		jsonhttp.Error(w, http.StatusNotFound, "CASE_NO_RESULT", "no result issued yet for "+c.Number)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Result.Number+`.xml"`)
	_, _ = w.Write(c.Result.Document)
}

func (d *Desk) resultHTML(w http.ResponseWriter, r *http.Request) {
	c := d.load(w, r)
	if c == nil {
		return
	}
	if c.Result == nil {
		jsonhttp.Error(w, http.StatusNotFound, "CASE_NO_RESULT", "no result issued yet for "+c.Number)
		return
	}
	doc, err := results.Parse(c.Result.Document)
	if err != nil {
		fail(w, err)
		return
	}
	lang := r.URL.Query().Get("lang")
	if lang != "kk" {
		lang = "ru"
	}
	// The desk shows what it issued; the citizen-facing verification is the cabinet's.
	v := &results.Verdict{Valid: true, Message: "подписано при выдаче", SignerName: c.Result.OfficialName, SignerIIN: c.Result.OfficialIIN, CheckedAt: c.Result.Issued}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := results.RenderHTML(w, doc, v, lang); err != nil {
		fail(w, err)
	}
}

type actionJSON struct {
	Actor  Actor          `json:"actor"`
	By     string         `json:"by"`
	Reason string         `json:"reason"`
	Basis  string         `json:"basis"`
	Text   string         `json:"text"`
	Facts  []results.Fact `json:"facts"`
}

func (d *Desk) act(w http.ResponseWriter, r *http.Request) {
	c := d.load(w, r)
	if c == nil {
		return
	}
	sys, ok := d.Systems[c.System]
	if !ok {
		jsonhttp.Error(w, http.StatusConflict, "CASE_CONFLICT", "the system "+c.System+" is not running")
		return
	}
	var in actionJSON
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
		jsonhttp.Error(w, http.StatusBadRequest, "CASE_INVALID", "body: "+err.Error())
		return
	}
	if in.Actor.Name == "" {
		jsonhttp.Error(w, http.StatusBadRequest, "CASE_INVALID", "actor.name (the specialist) is required")
		return
	}
	ctx := r.Context()
	var err error
	switch mux.Vars(r)["action"] {
	case "take":
		c, err = sys.Take(ctx, c.Number, in.Actor)
	case "extend":
		var l worktime.Limit
		if l, err = worktime.ParseLimit(in.By); err != nil {
			jsonhttp.Error(w, http.StatusBadRequest, "CASE_INVALID", "by: "+err.Error())
			return
		}
		c, err = sys.Extend(ctx, c.Number, in.Actor, l, in.Reason)
	case "complete":
		c, err = sys.Complete(ctx, c.Number, in.Actor, in.Text, in.Facts)
	case "refuse":
		c, err = sys.Refuse(ctx, c.Number, in.Actor, in.Reason, in.Basis)
	}
	if err != nil {
		fail(w, err)
		return
	}
	jsonhttp.Write(w, http.StatusOK, d.out(c))
}
