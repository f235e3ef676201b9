package registryapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/store"
)

type fixture struct {
	t       *testing.T
	url     string
	persons *gbdfl.Store
	powers  *enis.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, persons: gbdfl.NewStore(db), powers: enis.NewStore(db)}
	r := mux.NewRouter()
	Register(r.PathPrefix("/admin").Subrouter(), f.persons, f.powers)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	f.url = srv.URL + "/admin"
	ctx := context.Background()
	if err := f.persons.PutBatch(ctx, gbdfl.DemoPersons()); err != nil {
		t.Fatal(err)
	}
	if err := f.powers.PutBatch(ctx, enis.DemoPowers()); err != nil {
		t.Fatal(err)
	}
	return f
}

// do sends a request and returns the status and body.
func (f *fixture) do(method, path, contentType string, body []byte) (int, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// expect checks the status and, for an error, its code; it decodes a success into out.
func (f *fixture) expect(status int, code string, gotStatus int, body []byte, out any) {
	f.t.Helper()
	if gotStatus != status {
		f.t.Fatalf("status %d, want %d: %s", gotStatus, status, body)
	}
	if code != "" {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != code {
			f.t.Fatalf("error %s, want code %s", body, code)
		}
		return
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			f.t.Fatalf("decode %s: %v", body, err)
		}
	}
}

func (f *fixture) errorMessage(body []byte) string {
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error.Message
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPersons(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	// GET one, and an unknown one.
	var p gbdfl.Person
	st, b := f.do("GET", "/registries/gbdfl/persons/931002451325", "", nil)
	f.expect(200, "", st, b, &p)
	if p.Surname != "ИВАНОВА" || p.BirthDate.Format(time.DateOnly) != "1993-10-02" || !strings.Contains(string(b), `"birth_date":"1993-10-02"`) {
		t.Fatalf("person %s", b)
	}
	st, b = f.do("GET", "/registries/gbdfl/persons/000000000000", "", nil)
	f.expect(404, CodeNotFound, st, b, nil)

	// List with paging.
	var page struct {
		Persons []gbdfl.Person `json:"persons"`
		Next    string         `json:"next"`
	}
	st, b = f.do("GET", "/registries/gbdfl/persons?limit=4", "", nil)
	f.expect(200, "", st, b, &page)
	if len(page.Persons) != 4 || page.Next != page.Persons[3].IIN {
		t.Fatalf("page 1: %s", b)
	}
	st, b = f.do("GET", "/registries/gbdfl/persons?limit=4&after="+page.Next, "", nil)
	f.expect(200, "", st, b, &page)
	if len(page.Persons) != len(gbdfl.DemoPersons())-4 || page.Next != "" {
		t.Fatalf("page 2: %s", b)
	}
	st, b = f.do("GET", "/registries/gbdfl/persons?limit=0", "", nil)
	f.expect(400, CodeInvalid, st, b, nil)

	// PUT a new person; then refuse a bad checksum and store nothing.
	newborn := gbdfl.Person{IIN: "250101600019", Surname: "ИВАНОВА", Name: "АЛИЯ", BirthDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Female: true,
		MotherIIN: "931002451325"}
	if err := gbdfl.Validate(&newborn); err != nil {
		t.Fatal(err) // the test's own data
	}
	st, b = f.do("PUT", "/registries/gbdfl/persons/250101600019", "application/json", mustJSON(t, newborn))
	f.expect(200, "", st, b, nil)
	var kids struct {
		Children []gbdfl.Person `json:"children"`
	}
	st, b = f.do("GET", "/registries/gbdfl/persons/931002451325/children", "", nil)
	f.expect(200, "", st, b, &kids)
	if len(kids.Children) != 2 {
		t.Fatalf("children: %s", b)
	}
	st, b = f.do("GET", "/registries/gbdfl/persons/941111350315/children", "", nil)
	f.expect(200, "", st, b, &kids)
	if len(kids.Children) != 0 || !strings.Contains(string(b), `"children":[]`) {
		t.Errorf("no children: %s", b)
	}
	st, b = f.do("GET", "/registries/gbdfl/persons/000000000000/children", "", nil)
	f.expect(404, CodeNotFound, st, b, nil)

	bad := newborn
	bad.IIN = "250101600014"
	st, b = f.do("PUT", "/registries/gbdfl/persons/250101600014", "application/json", mustJSON(t, bad))
	f.expect(400, CodeInvalid, st, b, nil)
	if !strings.Contains(f.errorMessage(b), "check digit") {
		t.Errorf("message %s", b)
	}
	if _, ok, _ := f.persons.Person(ctx, "250101600014"); ok {
		t.Fatal("an invalid person was stored")
	}
	st, b = f.do("PUT", "/registries/gbdfl/persons/931002451325", "application/json", mustJSON(t, newborn))
	f.expect(400, CodeInvalid, st, b, nil)
	st, b = f.do("PUT", "/registries/gbdfl/persons/250101600019", "application/json", []byte(`{"iin":"250101600019","colour":"red"}`))
	f.expect(400, CodeInvalid, st, b, nil)
	st, b = f.do("PUT", "/registries/gbdfl/persons/250101600019", "application/json", bytes.Repeat([]byte(" "), MaxBody+1))
	f.expect(413, CodeInvalid, st, b, nil)

	// DELETE.
	st, b = f.do("DELETE", "/registries/gbdfl/persons/250101600019", "", nil)
	if st != 204 {
		t.Fatalf("delete: %d %s", st, b)
	}
	st, b = f.do("DELETE", "/registries/gbdfl/persons/250101600019", "", nil)
	f.expect(404, CodeNotFound, st, b, nil)
}

func TestPersonsImportExport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before, _ := f.persons.Count(ctx)

	// A CSV with a bad line 3: refused naming the line; nothing of the batch stored.
	csv := "iin,surname,name,birth_date,sex\n" +
		"250101600019,ИВАНОВА,АЛИЯ,2025-01-01,F\n" +
		"250101600014,ИВАНОВА,АЛИЯ,2025-01-01,F\n"
	st, b := f.do("POST", "/registries/gbdfl/import", "text/csv; charset=utf-8", []byte(csv))
	f.expect(400, CodeInvalid, st, b, nil)
	if !strings.Contains(f.errorMessage(b), "line 3") {
		t.Errorf("message %s", b)
	}
	if n, _ := f.persons.Count(ctx); n != before {
		t.Fatalf("%d persons after a refused import, want %d", n, before)
	}
	if _, ok, _ := f.persons.Person(ctx, "250101600019"); ok {
		t.Fatal("the good line of a refused batch was stored")
	}

	// A good CSV, and JSON with ?format= overriding a vague Content-Type.
	var out struct{ Imported int }
	st, b = f.do("POST", "/registries/gbdfl/import", "text/csv", []byte(csv[:strings.LastIndex(csv[:len(csv)-1], "\n")+1]))
	f.expect(200, "", st, b, &out)
	if out.Imported != 1 {
		t.Fatalf("imported %s", b)
	}
	pop := gbdfl.Population(9, 120, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	st, b = f.do("POST", "/registries/gbdfl/import?format=json", "application/octet-stream", mustJSON(t, pop))
	f.expect(200, "", st, b, &out)
	if out.Imported != 120 {
		t.Fatalf("imported %s", b)
	}
	st, b = f.do("POST", "/registries/gbdfl/import", "application/xml", []byte("<x/>"))
	f.expect(400, CodeInvalid, st, b, nil)
	st, b = f.do("POST", "/registries/gbdfl/import?format=xml", "", nil)
	f.expect(400, CodeInvalid, st, b, nil)

	// Export both formats and import them into a fresh registry.
	total, _ := f.persons.Count(ctx)
	for _, format := range []string{"json", "csv"} {
		st, b = f.do("GET", "/registries/gbdfl/export?format="+format, "", nil)
		if st != 200 || len(b) == 0 {
			t.Fatalf("export %s: %d", format, st)
		}
		g := newFixture(t)
		ct := map[string]string{"json": "application/json", "csv": "text/csv"}[format]
		st, b = g.do("POST", "/registries/gbdfl/import", ct, b)
		g.expect(200, "", st, b, &out)
		if out.Imported != total {
			t.Errorf("%s: re-imported %d of %d", format, out.Imported, total)
		}
	}
	st, b = f.do("GET", "/registries/gbdfl/export?format=xml", "", nil)
	f.expect(400, CodeInvalid, st, b, nil)
}

func TestPowers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := "2027-01-01T00:00:00Z"
	number := url.PathEscape(enis.DemoNumber)

	var p enis.PowerOfAttorney
	st, b := f.do("GET", "/registries/enis/powers/"+number, "", nil)
	f.expect(200, "", st, b, &p)
	if p.Principal != "660427402182" || !strings.Contains(string(b), `"from":"2026-01-15T00:00:00Z"`) {
		t.Fatalf("power %s", b)
	}
	st, b = f.do("GET", "/registries/enis/powers/NOPE", "", nil)
	f.expect(404, CodeNotFound, st, b, nil)

	// Lookup.
	lookup := func(principal, rep, service string) (int, []byte) {
		return f.do("GET", "/registries/enis/lookup?"+url.Values{"principal": {principal}, "representative": {rep}, "service": {service}, "at": {at}}.Encode(), "", nil)
	}
	st, b = lookup("660427402182", "941111350315", "ZKO-9")
	f.expect(200, "", st, b, &p)
	if p.Number != enis.DemoNumber {
		t.Fatalf("lookup %s", b)
	}
	st, b = lookup("941111350315", "660427402182", "ZKO-9")
	f.expect(404, CodeNotFound, st, b, nil)
	st, b = f.do("GET", "/registries/enis/lookup?principal=660427402182", "", nil)
	f.expect(400, CodeInvalid, st, b, nil)
	st, b = f.do("GET", "/registries/enis/lookup?principal=660427402182&representative=941111350315&service=X&at=tomorrow", "", nil)
	f.expect(400, CodeInvalid, st, b, nil)

	// PUT: a specific power; an invalid one is refused and not stored; the number must match.
	np := enis.PowerOfAttorney{Number: "ЕНИС-2026-777", Principal: "931002451325", Representative: "941111350315", Services: []string{"ZKO-9"},
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}
	path := "/registries/enis/powers/" + url.PathEscape(np.Number)
	st, b = f.do("PUT", path, "application/json", mustJSON(t, np))
	f.expect(200, "", st, b, nil)
	st, b = lookup("931002451325", "941111350315", "ZKO-9")
	f.expect(200, "", st, b, &p)
	st, b = lookup("931002451325", "941111350315", "KRG-1")
	f.expect(404, CodeNotFound, st, b, nil)
	badp := np
	badp.Number, badp.Until = "ЕНИС-2026-778", badp.From
	st, b = f.do("PUT", "/registries/enis/powers/"+url.PathEscape(badp.Number), "application/json", mustJSON(t, badp))
	f.expect(400, CodeInvalid, st, b, nil)
	if _, err := f.powers.Get(ctx, badp.Number); err == nil {
		t.Fatal("an invalid power was stored")
	}
	st, b = f.do("PUT", "/registries/enis/powers/OTHER", "application/json", mustJSON(t, np))
	f.expect(400, CodeInvalid, st, b, nil)

	// Revoke at a time; the lookup after it fails, before it succeeds.
	st, b = f.do("POST", path+"/revoke?at=2026-06-01T00:00:00Z", "", nil)
	f.expect(200, "", st, b, &p)
	if !p.Revoked || p.RevokedAt.Format(time.RFC3339) != "2026-06-01T00:00:00Z" {
		t.Fatalf("revoked %s", b)
	}
	st, b = lookup("931002451325", "941111350315", "ZKO-9")
	f.expect(404, CodeNotFound, st, b, nil)
	at = "2026-05-01T00:00:00Z"
	st, b = lookup("931002451325", "941111350315", "ZKO-9")
	f.expect(200, "", st, b, nil)
	st, b = f.do("POST", "/registries/enis/powers/NOPE/revoke", "", nil)
	f.expect(404, CodeNotFound, st, b, nil)

	// List.
	var page struct {
		Powers []enis.PowerOfAttorney `json:"powers"`
		Next   string                 `json:"next"`
	}
	st, b = f.do("GET", "/registries/enis/powers?limit=1", "", nil)
	f.expect(200, "", st, b, &page)
	if len(page.Powers) != 1 || page.Next == "" {
		t.Fatalf("page: %s", b)
	}
	st, b = f.do("GET", "/registries/enis/powers?after="+url.QueryEscape(page.Next), "", nil)
	f.expect(200, "", st, b, &page)
	if len(page.Powers) != 1 || page.Next != "" {
		t.Fatalf("page 2: %s", b)
	}

	// Delete.
	st, _ = f.do("DELETE", path, "", nil)
	if st != 204 {
		t.Fatalf("delete %d", st)
	}
	st, b = f.do("DELETE", path, "", nil)
	f.expect(404, CodeNotFound, st, b, nil)
}

func TestPowersImportExport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	csv := "number,principal,representative,services,from,until\n" +
		"N1,660427402182,931002451325,*,2026-01-01,2027-01-01\n" +
		"N2,660427402182,660427402182,*,2026-01-01,2027-01-01\n"
	st, b := f.do("POST", "/registries/enis/import", "text/csv", []byte(csv))
	f.expect(400, CodeInvalid, st, b, nil)
	if !strings.Contains(f.errorMessage(b), "line 3") {
		t.Errorf("message %s", b)
	}
	if n, _ := f.powers.Count(ctx); n != 1 {
		t.Fatalf("%d powers after a refused import", n)
	}
	var out struct{ Imported int }
	st, b = f.do("POST", "/registries/enis/import", "text/csv", []byte(csv[:strings.Index(csv, "N2")]))
	f.expect(200, "", st, b, &out)
	if out.Imported != 1 {
		t.Fatalf("imported %s", b)
	}
	for _, format := range []string{"json", "csv"} {
		st, b = f.do("GET", "/registries/enis/export?format="+format, "", nil)
		if st != 200 {
			t.Fatalf("export %d", st)
		}
		g := newFixture(t)
		st, b = g.do("POST", "/registries/enis/import?format="+format, "", b)
		g.expect(200, "", st, b, &out)
		if out.Imported != 2 {
			t.Errorf("%s: re-imported %d", format, out.Imported)
		}
	}
	st, b = f.do("GET", "/registries/enis/export", "", nil)
	if st != 200 || !bytes.HasPrefix(b, []byte("[\n{")) {
		t.Errorf("default export: %d %.40s", st, b)
	}
}

func TestNilStore(t *testing.T) {
	r := mux.NewRouter()
	Register(r, nil, nil)
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/registries/gbdfl/persons")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unmounted registry: %d", resp.StatusCode)
	}
}
