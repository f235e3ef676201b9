package gbdfl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/store"
)

var testNow = time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)

func newStore(t *testing.T) *Store {
	t.Helper()
	db, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewStore(db)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func iins(ps []*Person) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.IIN)
	}
	return out
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	demo := DemoPersons()
	for _, p := range demo {
		if err := s.Put(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range demo {
		got, ok, err := s.Person(ctx, want.IIN)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", want.IIN, ok, err)
		}
		if jsonOf(t, got) != jsonOf(t, want) {
			t.Errorf("round trip:\n%s\n%s", jsonOf(t, want), jsonOf(t, got))
		}
	}
	if _, ok, err := s.Person(ctx, "000000000000"); ok || err != nil {
		t.Errorf("unknown person: %v %v", ok, err)
	}
	if n, err := s.Count(ctx); err != nil || n != len(demo) {
		t.Errorf("count %d %v", n, err)
	}

	// An invalid person is refused and nothing changes.
	bad := DemoPersons()[0]
	bad.Name = ""
	if err := s.Put(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid put: %v", err)
	}
	if got, _, _ := s.Person(ctx, bad.IIN); got.Name != "АЙГУЛЬ" {
		t.Errorf("invalid put changed the record: %+v", got)
	}

	// Paging.
	all, err := s.List(ctx, "", 0)
	if err != nil || len(all) != len(demo) || !slices.IsSorted(iins(all)) {
		t.Fatalf("list all: %v %v", iins(all), err)
	}
	var paged []string
	for after := ""; ; {
		page, err := s.List(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("page of %d", len(page))
		}
		paged = append(paged, iins(page)...)
		after = page[len(page)-1].IIN
	}
	if !slices.Equal(paged, iins(all)) {
		t.Errorf("paged %v, all %v", paged, iins(all))
	}

	if err := s.Delete(ctx, DemoDeceasedIIN); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Person(ctx, DemoDeceasedIIN); ok {
		t.Error("deleted person still there")
	}
	if err := s.Delete(ctx, DemoDeceasedIIN); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestChildrenIndex(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, p := range DemoPersons() {
		if err := s.Put(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	kids := func(parent string) []string {
		t.Helper()
		ps, err := s.Children(ctx, parent)
		if err != nil {
			t.Fatal(err)
		}
		return iins(ps)
	}
	if got := kids("931002451325"); !slices.Equal(got, []string{DemoChildIIN}) {
		t.Fatalf("children of ИВАНОВА: %v", got)
	}
	if got := kids("660427402182"); len(got) != 0 {
		t.Fatalf("children of АХМЕТОВА: %v", got)
	}
	// Moving the child to another mother moves the index entry; a father adds one.
	child, _, _ := s.Person(ctx, DemoChildIIN)
	child.MotherIIN, child.FatherIIN = "660427402182", "941111350315"
	if err := s.Put(ctx, child); err != nil {
		t.Fatal(err)
	}
	if got := kids("931002451325"); len(got) != 0 {
		t.Errorf("old mother keeps %v", got)
	}
	if got := kids("660427402182"); !slices.Equal(got, []string{DemoChildIIN}) {
		t.Errorf("new mother: %v", got)
	}
	if got := kids("941111350315"); !slices.Equal(got, []string{DemoChildIIN}) {
		t.Errorf("father: %v", got)
	}
	// Deleting the child removes it from both parents.
	if err := s.Delete(ctx, DemoChildIIN); err != nil {
		t.Fatal(err)
	}
	if got := append(kids("660427402182"), kids("941111350315")...); len(got) != 0 {
		t.Errorf("after delete: %v", got)
	}
}

func TestPutBatchAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	ps := Population(3, 50, testNow)
	ps[37].BirthDate = ps[37].BirthDate.AddDate(0, 0, 1)
	err := s.PutBatch(ctx, ps)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "record 38") {
		t.Fatalf("bad batch: %v", err)
	}
	if n, _ := s.Count(ctx); n != 0 {
		t.Fatalf("%d persons stored from a bad batch", n)
	}
	dup := Population(3, 3, testNow)
	dup = append(dup, dup[0])
	if err := s.PutBatch(ctx, dup); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "repeats record 1") {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestImportExport(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	persons := append(Population(7, 300, testNow), DemoPersons()...)
	if err := src.PutBatch(ctx, persons); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "csv", "CSV"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := src.Export(ctx, &buf, format); err != nil {
				t.Fatal(err)
			}
			dst := newStore(t)
			n, err := dst.Import(ctx, bytes.NewReader(buf.Bytes()), format)
			if err != nil || n != len(persons) {
				t.Fatalf("import: %d %v", n, err)
			}
			var again bytes.Buffer
			if err := dst.Export(ctx, &again, format); err != nil {
				t.Fatal(err)
			}
			if again.String() != buf.String() {
				t.Error("export of the import differs from the export")
			}
			a, _ := src.List(ctx, "", 0)
			b, _ := dst.List(ctx, "", 0)
			if jsonOf(t, a) != jsonOf(t, b) {
				t.Error("records differ after the round trip")
			}
			kids, _ := dst.Children(ctx, "931002451325")
			if !slices.Equal(iins(kids), []string{DemoChildIIN}) {
				t.Errorf("children index after import: %v", iins(kids))
			}
		})
	}
}

func TestImportFormats(t *testing.T) {
	ctx := context.Background()
	ivanova := jsonOf(t, DemoPersons()[0])
	child := jsonOf(t, DemoPersons()[4])
	tests := []struct {
		name, format, in string
		n                int
		err              string // substring; "" = success
	}{
		{"json array", "json", "[" + ivanova + ",\n" + child + "]", 2, ""},
		{"json lines", "json", ivanova + "\n" + child + "\n", 2, ""},
		{"empty array", "json", "[]", 0, ""},
		{"json syntax", "json", "[\n" + ivanova + ",\n{\"iin\": }\n]", 0, "line 3"},
		{"json bad record", "json", "[\n" + ivanova + ",\n" + strings.Replace(child, "160523501741", "160523501742", 1) + "\n]", 0, "record 2 (line 3)"},
		{"json unknown field", "json", ivanova + "\n{\"iin\":\"1\",\"colour\":\"red\"}\n", 0, "record 2 (line 2): json: unknown field \"colour\""},
		{"json not an object", "json", "[1]", 0, "not a JSON object"},
		{"json trailing", "json", "[" + ivanova + "] x", 0, "line 1"},
		{"json duplicate", "json", ivanova + "\n" + ivanova, 0, "repeats record 1 (line 1)"},
		{"csv minimal", "csv", "IIN,Surname,Name,Birth_Date,Sex\n931002451325,ИВАНОВА,АЙГУЛЬ,1993-10-02,Ж\n", 1, ""},
		{"csv semicolons and BOM", "csv", "\ufeffiin;surname;name;birth_date;sex;region\n931002451325;ИВАНОВА;АЙГУЛЬ;1993-10-02;F;AKT\n", 1, ""},
		{"csv quoted address", "csv", "iin,surname,name,birth_date,sex,reg_address\n931002451325,ИВАНОВА,АЙГУЛЬ,1993-10-02,F,\"Г. АКТОБЕ, УЛ. АБАЯ, Д. 1\"\n", 1, ""},
		{"csv bad checksum line 3", "csv", "iin,surname,name,birth_date,sex\n931002451325,ИВАНОВА,АЙГУЛЬ,1993-10-02,F\n660427402183,АХМЕТОВА,ГУЛЬНАРА,1966-04-27,F\n", 0, "line 3"},
		{"csv bad date", "csv", "iin,surname,name,birth_date,sex\n931002451325,ИВАНОВА,АЙГУЛЬ,02.10.1993,F\n", 0, "line 2: birth_date"},
		{"csv bad sex", "csv", "iin,surname,name,birth_date,sex\n931002451325,ИВАНОВА,АЙГУЛЬ,1993-10-02,X\n", 0, "line 2: sex"},
		{"csv short row", "csv", "iin,surname,name,birth_date,sex\n931002451325,ИВАНОВА\n", 0, "line 2"},
		{"csv unknown column", "csv", "iin,surname,name,birth_date,sex,colour\n", 0, "unknown column \"colour\""},
		{"csv missing column", "csv", "iin,surname,name,birth_date\n", 0, "column \"sex\" is required"},
		{"csv empty", "csv", "", 0, "empty input"},
		{"unknown format", "xml", "<x/>", 0, "format \"xml\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			n, err := s.Import(ctx, strings.NewReader(tt.in), tt.format)
			if tt.err == "" {
				if err != nil || n != tt.n {
					t.Fatalf("want %d, got %d %v", tt.n, n, err)
				}
			} else if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("want ErrInvalid with %q, got %v", tt.err, err)
			}
			if c, _ := s.Count(ctx); c != tt.n {
				t.Errorf("%d persons stored, want %d", c, tt.n)
			}
		})
	}
}

func TestImportCSVDocument(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	in := "iin,surname,name,birth_date,sex,deceased,death_date,doc_type,doc_number,doc_issued,doc_expires\n" +
		"520315301742,ОМАРОВ,КАНАТ,1952-03-15,M,да,2024-11-20,УДОСТОВЕРЕНИЕ РК,035118264,2017-08-14,2027-08-13\n"
	if _, err := s.Import(ctx, strings.NewReader(in), "csv"); err != nil {
		t.Fatal(err)
	}
	p, _, _ := s.Person(ctx, DemoDeceasedIIN)
	if !p.Deceased || day(p.DeathDate) != "2024-11-20" || len(p.Documents) != 1 || p.Documents[0].Number != "035118264" ||
		day(p.Documents[0].Expires) != "2027-08-13" {
		t.Errorf("%+v", p)
	}
}

func TestEnsureDemo(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	n, err := EnsureDemo(ctx, s, 200, testNow)
	if err != nil || n != 200+len(DemoPersons()) {
		t.Fatalf("EnsureDemo: %d %v", n, err)
	}
	for _, want := range DemoPersons() {
		got, ok, err := s.Person(ctx, want.IIN)
		if !ok || err != nil || jsonOf(t, got) != jsonOf(t, want) {
			t.Errorf("demo person %s: %v %v", want.IIN, ok, err)
		}
	}
	if n, err := EnsureDemo(ctx, s, 200, testNow); n != 0 || err != nil {
		t.Errorf("second EnsureDemo loaded %d %v", n, err)
	}
	if c, _ := s.Count(ctx); c != 200+len(DemoPersons()) {
		t.Errorf("count %d", c)
	}
}

func TestImportLarge(t *testing.T) {
	// More than one badger transaction's worth: the import must still go in whole.
	ctx := context.Background()
	s := newStore(t)
	ps := Population(11, 3000, testNow)
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, p := range ps {
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.WriteString(jsonOf(t, p))
	}
	buf.WriteString("]")
	if buf.Len() < 3*txnBytes {
		t.Fatalf("input of %d bytes is too small for the test", buf.Len())
	}
	n, err := s.Import(ctx, &buf, "json")
	if err != nil || n != len(ps) {
		t.Fatalf("import: %d %v", n, err)
	}
	if c, _ := s.Count(ctx); c != len(ps) {
		t.Errorf("count %d", c)
	}
	last := ps[len(ps)-1]
	if got, ok, _ := s.Person(ctx, last.IIN); !ok || got.Name != last.Name {
		t.Errorf("last person: %v", got)
	}
}
