package enis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/store"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const (
	ahmetova   = "660427402182"
	zhumabekov = "941111350315"
	ivanova    = "931002451325"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	db, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewStore(db)
}

func power(number string, services ...string) *PowerOfAttorney {
	return &PowerOfAttorney{Number: number, Principal: ahmetova, Representative: zhumabekov, Services: services,
		From: now.AddDate(-1, 0, 0), Until: now.AddDate(1, 0, 0), Notary: "НОТАРИУС Г. УРАЛЬСК"}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *PowerOfAttorney)
		want   string
	}{
		{"valid", func(p *PowerOfAttorney) {}, ""},
		{"no number", func(p *PowerOfAttorney) { p.Number = "" }, "number is required"},
		{"slash", func(p *PowerOfAttorney) { p.Number = "A/1" }, "without '/'"},
		{"spaces around", func(p *PowerOfAttorney) { p.Number = " A1" }, "surrounding spaces"},
		{"bad principal", func(p *PowerOfAttorney) { p.Principal = "660427402183" }, "principal"},
		{"test identity", func(p *PowerOfAttorney) { p.Representative = "123456789011" }, "representative"},
		{"self", func(p *PowerOfAttorney) { p.Representative = p.Principal }, "same person"},
		{"no from", func(p *PowerOfAttorney) { p.From = time.Time{} }, "from is required"},
		{"until before from", func(p *PowerOfAttorney) { p.Until = p.From }, "not after from"},
		{"no services", func(p *PowerOfAttorney) { p.Services = nil }, "at least one service"},
		{"empty service", func(p *PowerOfAttorney) { p.Services = []string{"ZKO-9", ""} }, "services[1]"},
		{"service with a comma", func(p *PowerOfAttorney) { p.Services = []string{"ZKO-9,ZKO-10"} }, "services[0]"},
		{"revoked_at without revoked", func(p *PowerOfAttorney) { p.RevokedAt = now }, "revoked is false"},
		{"revoked", func(p *PowerOfAttorney) { p.Revoked, p.RevokedAt = true, now }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := power("ЕНИС-1", "*")
			tt.change(p)
			err := Validate(p)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want ErrInvalid with %q, got %v", tt.want, err)
			}
		})
	}
}

func TestFindAny(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	expired := power("A-1-EXPIRED", "*")
	expired.From, expired.Until = now.AddDate(-3, 0, 0), now.AddDate(0, -3, 0)
	revoked := power("A-2-REVOKED", "*")
	revoked.Revoked, revoked.RevokedAt = true, now.AddDate(0, -1, 0)
	future := power("A-3-FUTURE", "*")
	future.From = now.AddDate(0, 0, 1)
	specific := power("A-4-ZKO9", "ZKO-9", "ZKO-10")
	other := power("A-5-OTHER", "*")
	other.Principal, other.Representative = ivanova, zhumabekov
	for _, p := range []*PowerOfAttorney{expired, revoked, future, specific, other} {
		if err := s.Put(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name                    string
		principal, rep, service string
		at                      time.Time
		want                    string // number, "" = none
	}{
		{"specific service", ahmetova, zhumabekov, "ZKO-9", now, "A-4-ZKO9"},
		{"second service", ahmetova, zhumabekov, "ZKO-10", now, "A-4-ZKO9"},
		{"other service: only expired, revoked, future", ahmetova, zhumabekov, "KRG-1", now, ""},
		{"expired one while it was valid", ahmetova, zhumabekov, "KRG-1", now.AddDate(0, -4, 0), "A-1-EXPIRED"},
		{"revoked one before its revocation", ahmetova, zhumabekov, "KRG-1", now.AddDate(0, -2, 0), "A-2-REVOKED"},
		{"future one tomorrow", ahmetova, zhumabekov, "KRG-1", now.AddDate(0, 0, 2), "A-3-FUTURE"},
		{"reversed roles", zhumabekov, ahmetova, "ZKO-9", now, ""},
		{"another principal", ivanova, zhumabekov, "KRG-1", now, "A-5-OTHER"},
		{"unknown pair", ivanova, ahmetova, "KRG-1", now, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok, err := s.FindAny(ctx, tt.principal, tt.rep, tt.service, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = p.Number
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Find by number checks the same.
	if _, ok, _ := s.Find(ctx, "A-4-ZKO9", ahmetova, zhumabekov, "ZKO-9", now); !ok {
		t.Error("Find A-4-ZKO9")
	}
	if _, ok, _ := s.Find(ctx, "A-4-ZKO9", ahmetova, zhumabekov, "KRG-1", now); ok {
		t.Error("Find A-4-ZKO9 for KRG-1")
	}
	if _, ok, _ := s.Find(ctx, "A-2-REVOKED", ahmetova, zhumabekov, "ZKO-9", now); ok {
		t.Error("Find revoked")
	}
	if _, ok, err := s.Find(ctx, "NOPE", ahmetova, zhumabekov, "ZKO-9", now); ok || err != nil {
		t.Errorf("Find unknown: %v %v", ok, err)
	}

	// Revoking the specific one ends it; moving another to the pair shows it.
	if p, err := s.Revoke(ctx, "A-4-ZKO9", now.Add(-time.Minute)); err != nil || !p.Revoked {
		t.Fatalf("revoke: %v %v", p, err)
	}
	if _, ok, _ := s.FindAny(ctx, ahmetova, zhumabekov, "ZKO-9", now); ok {
		t.Error("revoked power still found")
	}
	first, _ := s.Get(ctx, "A-4-ZKO9")
	if p, err := s.Revoke(ctx, "A-4-ZKO9", now); err != nil || !p.RevokedAt.Equal(first.RevokedAt) {
		t.Errorf("a later revocation moved the date: %v %v", p, err)
	}
	if _, err := s.Revoke(ctx, "NOPE", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	other.Principal = ahmetova
	if err := s.Put(ctx, other); err != nil {
		t.Fatal(err)
	}
	if p, ok, _ := s.FindAny(ctx, ahmetova, zhumabekov, "ZKO-9", now); !ok || p.Number != "A-5-OTHER" {
		t.Errorf("moved power: %v %v", p, ok)
	}
	if _, ok, _ := s.FindAny(ctx, ivanova, zhumabekov, "KRG-1", now); ok {
		t.Error("old index entry survived the move")
	}
	if err := s.Delete(ctx, "A-5-OTHER"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.FindAny(ctx, ahmetova, zhumabekov, "ZKO-9", now); ok {
		t.Error("deleted power still found")
	}
	if err := s.Delete(ctx, "A-5-OTHER"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := s.Get(ctx, "A-5-OTHER"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
}

func TestStoreListAndInvalid(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, n := range []string{"C", "A", "B", "D"} {
		if err := s.Put(ctx, power(n, "*")); err != nil {
			t.Fatal(err)
		}
	}
	bad := power("A", "*")
	bad.Until = bad.From
	if err := s.Put(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid put: %v", err)
	}
	if p, _ := s.Get(ctx, "A"); !p.Until.After(p.From) {
		t.Error("invalid put changed the record")
	}
	page, err := s.List(ctx, "A", 2)
	if err != nil || len(page) != 2 || page[0].Number != "B" || page[1].Number != "C" {
		t.Fatalf("page after A: %v %v", page, err)
	}
	if all, _ := s.List(ctx, "", 0); len(all) != 4 {
		t.Errorf("all: %d", len(all))
	}
	if n, _ := s.Count(ctx); n != 4 {
		t.Errorf("count %d", n)
	}
}

func TestImportExport(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	persons := gbdfl.Population(1, 400, now)
	ps := append(DemoPowers(), Generate(1, persons, 50, now)...)
	if err := src.PutBatch(ctx, ps); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := src.Export(ctx, &buf, format); err != nil {
				t.Fatal(err)
			}
			dst := newStore(t)
			n, err := dst.Import(ctx, bytes.NewReader(buf.Bytes()), format)
			if err != nil || n != len(ps) {
				t.Fatalf("import: %d %v", n, err)
			}
			var again bytes.Buffer
			if err := dst.Export(ctx, &again, format); err != nil {
				t.Fatal(err)
			}
			if again.String() != buf.String() {
				t.Error("export of the import differs")
			}
			a, _ := src.List(ctx, "", 0)
			b, _ := dst.List(ctx, "", 0)
			if jsonOf(t, a) != jsonOf(t, b) {
				t.Error("records differ")
			}
			if p, ok, _ := dst.FindAny(ctx, ahmetova, zhumabekov, "ZKO-9", now); !ok || p.Number != DemoNumber {
				t.Errorf("lookup after import: %v", p)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	head := "number,principal,representative,services,from,until\n"
	tests := []struct {
		name, format, in string
		n                int
		err              string
	}{
		{"csv", "csv", head + "N1,660427402182,941111350315,ZKO-9;ZKO-10,2026-01-01,2027-01-01\nN2,660427402182,931002451325,*,2026-01-01T00:00:00+05:00,2027-01-01\n", 2, ""},
		{"csv semicolons", "csv", "number;principal;representative;services;from;until;revoked;revoked_at\nN1;660427402182;941111350315;\"ZKO-9,ZKO-10\";2026-01-01;2027-01-01;да;2026-06-01\n", 1, ""},
		{"csv bad ИИН line 3", "csv", head + "N1,660427402182,941111350315,*,2026-01-01,2027-01-01\nN2,660427402183,941111350315,*,2026-01-01,2027-01-01\n", 0, "line 3"},
		{"csv bad time", "csv", head + "N1,660427402182,941111350315,*,01.01.2026,2027-01-01\n", 0, "line 2: from"},
		{"csv no services", "csv", head + "N1,660427402182,941111350315,,2026-01-01,2027-01-01\n", 0, "at least one service"},
		{"csv duplicate", "csv", head + "N1,660427402182,941111350315,*,2026-01-01,2027-01-01\nN1,660427402182,941111350315,*,2026-01-01,2027-01-01\n", 0, "line 3: number N1 repeats line 2"},
		{"csv missing column", "csv", "number,principal\n", 0, "column \"representative\" is required"},
		{"json lines", "json", `{"number":"N1","principal":"660427402182","representative":"941111350315","services":["*"],"from":"2026-01-01T00:00:00Z","until":"2027-01-01T00:00:00Z"}` + "\n", 1, ""},
		{"json unknown field", "json", `[{"number":"N1","principal":"660427402182","representative":"941111350315","services":["*"],"from":"2026-01-01T00:00:00Z","until":"2027-01-01T00:00:00Z","note":"x"}]`, 0, "record 1 (line 1)"},
		{"json date only", "json", `[{"number":"N1","from":"2026-01-01"}]`, 0, "record 1"},
		{"json invalid", "json", "[\n{\"number\":\"N1\"}\n]", 0, "record 1 (line 2)"},
		{"format", "yaml", "", 0, "format"},
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
				t.Errorf("%d stored, want %d", c, tt.n)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	persons := gbdfl.Population(1, 2000, now)
	a := Generate(1, persons, 50, now)
	if jsonOf(t, a) != jsonOf(t, Generate(1, persons, 50, now.Add(time.Hour))) {
		t.Error("not deterministic")
	}
	if len(a) != 50 {
		t.Fatalf("%d powers", len(a))
	}
	byIIN := map[string]*gbdfl.Person{}
	for _, p := range persons {
		byIIN[p.IIN] = p
	}
	var expired, revoked, active, star, specific, kin int
	numbers := map[string]bool{}
	for _, p := range a {
		if err := Validate(p); err != nil {
			t.Fatal(err)
		}
		if numbers[p.Number] || p.Number == DemoNumber {
			t.Fatalf("number %s twice", p.Number)
		}
		numbers[p.Number] = true
		for _, iin := range []string{p.Principal, p.Representative} {
			q := byIIN[iin]
			if q == nil || q.Deceased || q.BirthDate.AddDate(18, 0, 0).After(now) {
				t.Fatalf("%s: %s is not a living adult", p.Number, iin)
			}
		}
		pr := byIIN[p.Principal]
		if pr.SpouseIIN == p.Representative || byIIN[p.Representative].MotherIIN == p.Principal || byIIN[p.Representative].FatherIIN == p.Principal {
			kin++
		}
		switch {
		case p.Revoked:
			revoked++
		case !p.Until.After(now):
			expired++
		case !p.From.After(now):
			active++
		}
		svc := "ZKO-9"
		if slices.Contains(p.Services, "*") {
			star++
		} else {
			specific++
			svc = p.Services[0]
		}
		if covers := p.Covers(p.Principal, p.Representative, svc, now); covers != (!p.Revoked && p.Until.After(now)) {
			t.Errorf("%s covers %t", p.Number, covers)
		}
	}
	t.Logf("expired %d, revoked %d, active %d, * %d, specific %d, relatives %d", expired, revoked, active, star, specific, kin)
	if expired == 0 || revoked == 0 || active < 25 || star == 0 || specific == 0 || kin == 0 {
		t.Error("the mix lacks a kind")
	}
	if Generate(1, persons[:1], 5, now) != nil {
		t.Error("powers from one person")
	}
}

func TestEnsureDemo(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := EnsureDemo(ctx, s, gbdfl.Population(1, 500, time.Now())); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 51 {
		t.Fatalf("EnsureDemo loaded %d", n)
	}
	if p, ok, err := s.Find(ctx, DemoNumber, ahmetova, zhumabekov, "ZKO-9", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); !ok || err != nil || p.Notary == "" {
		t.Errorf("demo power: %v %v", ok, err)
	}
	if err := s.Delete(ctx, DemoNumber); err != nil {
		t.Fatal(err)
	}
	if err := EnsureDemo(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 50 {
		t.Errorf("EnsureDemo on a non-empty store changed it: %d", n)
	}
}

func TestMemoryCompat(t *testing.T) {
	// The in-memory registry keeps working with revocation times.
	p := power("M1", "*")
	p.Revoked, p.RevokedAt = true, now
	m := NewMemory(p)
	if _, ok, _ := m.Find(context.Background(), "M1", ahmetova, zhumabekov, "X", now.Add(-time.Hour)); !ok {
		t.Error("before the revocation")
	}
	if _, ok, _ := m.Find(context.Background(), "M1", ahmetova, zhumabekov, "X", now); ok {
		t.Error("at the revocation")
	}
	p.RevokedAt = time.Time{}
	if _, ok, _ := m.Find(context.Background(), "M1", ahmetova, zhumabekov, "X", now.Add(-time.Hour)); ok {
		t.Error("revoked without a time is revoked always")
	}
	if _, ok, _ := Demo().Find(context.Background(), DemoNumber, ahmetova, zhumabekov, "ZKO-9", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); !ok {
		t.Error("Demo")
	}
}
