package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/registryapi"
	"github.com/shep-kz/shep/store"
)

// registry runs `shep registry ARGS…` in-process.
func registry(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runRegistry(context.Background(), &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return out.String(), errb.String(), err
}

func mustRegistry(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, err := registry(t, args...)
	if err != nil {
		t.Fatalf("shep registry %s: %v\n%s", strings.Join(args, " "), err, errs)
	}
	return out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// registryServer serves the registries' admin API of a store in dir behind a bearer token.
func registryServer(t *testing.T, token string) string {
	t.Helper()
	db, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := mux.NewRouter()
	admin := r.PathPrefix("/admin").Subrouter()
	admin.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				http.Error(w, `{"error":{"code":"ADMIN_UNAUTHORIZED","message":"token"}}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	registryapi.Register(admin, gbdfl.NewStore(db), enis.NewStore(db))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRegistryCLI(t *testing.T) {
	for _, mode := range []string{"data dir", "server"} {
		t.Run(mode, func(t *testing.T) {
			var where []string
			if mode == "server" {
				where = []string{"--server", registryServer(t, "s3cret"), "--token", "s3cret"}
			} else {
				where = []string{"--data", t.TempDir()}
			}
			run := func(args ...string) string { t.Helper(); return mustRegistry(t, append(args, where...)...) }
			fails := func(want string, args ...string) {
				t.Helper()
				_, _, err := registry(t, append(args, where...)...)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("shep registry %s: want an error with %q, got %v", strings.Join(args, " "), want, err)
				}
			}

			// generate, list, get.
			if out := run("gbdfl", "generate", "--n", "40", "--seed", "3", "--now", "2026-11-22"); !strings.Contains(out, "generated 40 persons") {
				t.Fatalf("generate: %s", out)
			}
			pop := gbdfl.Population(3, 40, mustDate(t, "2026-11-22"))
			out := run("gbdfl", "list", "--limit", "100")
			if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 41 || !strings.HasPrefix(lines[0], "ИИН") {
				t.Fatalf("list: %d lines\n%s", len(lines), out)
			}
			out, errs, err := registry(t, append([]string{"gbdfl", "list", "--limit", "5"}, where...)...)
			if err != nil || len(strings.Split(strings.TrimSpace(out), "\n")) != 6 || !strings.Contains(errs, "more: --after ") {
				t.Fatalf("list page: %v\n%s\n%s", err, out, errs)
			}
			var got gbdfl.Person
			if err := json.Unmarshal([]byte(run("gbdfl", "get", pop[7].IIN)), &got); err != nil || got.Surname != pop[7].Surname {
				t.Fatalf("get: %v %+v", err, got)
			}
			fails("no person", "gbdfl", "get", "931002451325")

			// put from a file (flags after the argument too), then delete.
			b, _ := json.Marshal(gbdfl.DemoPersons()[0])
			if out := run("gbdfl", "put", writeFile(t, "p.json", string(b))); !strings.Contains(out, "person 931002451325 saved") {
				t.Fatalf("put: %s", out)
			}
			if out := run("gbdfl", "get", "931002451325"); !strings.Contains(out, `"surname": "ИВАНОВА"`) {
				t.Fatalf("get after put: %s", out)
			}
			bad := strings.Replace(string(b), "931002451325", "931002451326", 1)
			fails("check digit", "gbdfl", "put", writeFile(t, "bad.json", bad))
			fails("no person", "gbdfl", "get", "931002451326")
			run("gbdfl", "delete", "931002451325")
			fails("not found", "gbdfl", "delete", "931002451325")

			// import CSV (a bad batch imports nothing), export both formats.
			csvOK := "iin,surname,name,birth_date,sex\n931002451325,ИВАНОВА,АЙГУЛЬ,1993-10-02,F\n"
			fails("line 3", "gbdfl", "import", writeFile(t, "bad.csv", csvOK+"660427402183,АХМЕТОВА,ГУЛЬНАРА,1966-04-27,F\n"))
			fails("no person", "gbdfl", "get", "931002451325")
			if out := run("gbdfl", "import", writeFile(t, "ok.txt", csvOK), "--format", "csv"); !strings.Contains(out, "imported 1 records") {
				t.Fatalf("import: %s", out)
			}
			fails("--format", "gbdfl", "import", writeFile(t, "ok.txt", csvOK))
			exp := filepath.Join(t.TempDir(), "all.csv")
			run("gbdfl", "export", "--format", "csv", "--out", exp)
			if b, _ := os.ReadFile(exp); bytes.Count(b, []byte("\n")) != 42 || !bytes.HasPrefix(b, []byte("iin,surname,name")) {
				t.Fatalf("csv export: %d lines", bytes.Count(b, []byte("\n")))
			}
			var all []gbdfl.Person
			if err := json.Unmarshal([]byte(run("gbdfl", "export")), &all); err != nil || len(all) != 41 {
				t.Fatalf("json export: %d %v", len(all), err)
			}

			// ЕНИС: put, get, lookup, revoke, list, import, export, delete.
			pb, _ := json.Marshal(enis.DemoPowers()[0])
			run("enis", "put", writeFile(t, "poa.json", string(pb)))
			if out := run("enis", "get", enis.DemoNumber); !strings.Contains(out, `"principal": "660427402182"`) {
				t.Fatalf("enis get: %s", out)
			}
			lookup := []string{"enis", "lookup", "--principal", "660427402182", "--representative", "941111350315", "--service", "ZKO-9", "--at", "2027-01-01"}
			if out := run(lookup...); !strings.Contains(out, enis.DemoNumber) {
				t.Fatalf("lookup: %s", out)
			}
			if out := run("enis", "revoke", enis.DemoNumber, "--at", "2026-11-01T00:00:00Z"); !strings.Contains(out, "revoked from 2026-11-01T00:00:00Z") {
				t.Fatalf("revoke: %s", out)
			}
			fails("no power of attorney", lookup...)
			csvP := "number,principal,representative,services,from,until\nN-1,931002451325,941111350315,KRG-1;KRG-2,2026-01-01,2030-01-01\n"
			if out := run("enis", "import", writeFile(t, "p.csv", csvP)); !strings.Contains(out, "imported 1 records") {
				t.Fatalf("enis import: %s", out)
			}
			fails("line 2", "enis", "import", writeFile(t, "p2.csv", strings.Replace(csvP, "2030-01-01", "2020-01-01", 1)))
			out = run("enis", "list")
			if !strings.Contains(out, "N-1") || !strings.Contains(out, "KRG-1,KRG-2") || !strings.Contains(out, "revoked") {
				t.Fatalf("enis list:\n%s", out)
			}
			var ps []enis.PowerOfAttorney
			if err := json.Unmarshal([]byte(run("enis", "export")), &ps); err != nil || len(ps) != 2 {
				t.Fatalf("enis export: %d %v", len(ps), err)
			}
			if out := run("enis", "export", "--format", "csv"); !strings.HasPrefix(out, "number,principal") {
				t.Fatalf("enis csv: %s", out)
			}
			run("enis", "delete", "N-1")
			fails("not found", "enis", "get", "N-1")
		})
	}
}

func TestRegistryUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"gbdfl"}, {"nope", "get"}, {"gbdfl", "nope"}, {"gbdfl", "get"}, {"gbdfl", "get", "1", "2"},
		{"gbdfl", "generate"}, {"enis", "lookup", "--principal", "1"}, {"gbdfl", "list", "--limit", "0"}, {"gbdfl", "export", "--format", "xml"}} {
		_, _, err := registry(t, append(args, "--data", t.TempDir())...)
		if !errors.Is(err, errUsage) {
			t.Errorf("%q: %v", args, err)
		}
	}
}

func TestRegistryServerToken(t *testing.T) {
	url := registryServer(t, "right")
	_, _, err := registry(t, "gbdfl", "list", "--server", url, "--token", "wrong", "--data", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "ADMIN_UNAUTHORIZED") {
		t.Fatalf("wrong token: %v", err)
	}
	// Without --token, DATA/admin.token is used.
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "admin.token"), []byte("right\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := registry(t, "gbdfl", "export", "--server", url, "--data", data); err != nil {
		t.Fatalf("token file: %v", err)
	}
}

func TestRegistryGenerateToFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pop.csv")
	mustRegistry(t, "gbdfl", "generate", "--n", "25", "--out", out, "--format", "csv", "--now", "2026-11-22", "--data", t.TempDir())
	b, err := os.ReadFile(out)
	if err != nil || bytes.Count(b, []byte("\n")) != 26 {
		t.Fatalf("%v: %d lines", err, bytes.Count(b, []byte("\n")))
	}
	// The file imports into a registry.
	data := t.TempDir()
	if out := mustRegistry(t, "gbdfl", "import", out, "--data", data); !strings.Contains(out, "imported 25 records") {
		t.Fatal(out)
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
