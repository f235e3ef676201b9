package faultinject

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
)

func TestRoutes(t *testing.T) {
	clk := newClock()
	db := openDB(t, t.TempDir())
	i := newInjector(t, db, Options{Now: clk.Now})
	r := mux.NewRouter()
	Routes(r.PathPrefix("/admin").Subrouter(), i)
	srv := httptest.NewServer(r)
	defer srv.Close()

	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, out
	}
	code := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		c, _ := e["code"].(string)
		return c
	}

	var created []string
	steps := []struct {
		name, method, path, body string
		status                   int
		errCode                  string
		check                    func(t *testing.T, out map[string]any)
	}{
		{"list empty", "GET", "/admin/faults", "", 200, "", func(t *testing.T, out map[string]any) {
			if l, ok := out["faults"].([]any); !ok || len(l) != 0 {
				t.Errorf("faults = %v", out["faults"])
			}
		}},
		{"set", "POST", "/admin/faults", `{"adapter":"gbdfl","service":"S","latency":"1.5s","error_rate":0.3,"remaining":4,"hits":99}`, 201, "",
			func(t *testing.T, out map[string]any) {
				if out["latency"] != "1.5s" || out["error_rate"] != 0.3 || out["remaining"] != 4.0 || out["hits"] != 0.0 || out["id"] == "" {
					t.Errorf("stored %v", out)
				}
				created = append(created, out["id"].(string))
			}},
		{"set for 10m", "POST", "/admin/faults", `{"id":"brief","timeout":true,"for":"10m"}`, 201, "", func(t *testing.T, out map[string]any) {
			if out["expires"] != clk.Now().Add(10*time.Minute).Format(time.RFC3339) {
				t.Errorf("expires %v", out["expires"])
			}
			created = append(created, "brief")
		}},
		{"set invalid rate", "POST", "/admin/faults", `{"error_rate":1.5}`, 400, "FAULT_INVALID", nil},
		{"set no effect", "POST", "/admin/faults", `{"service":"S"}`, 400, "FAULT_INVALID", nil},
		{"set unknown field", "POST", "/admin/faults", `{"latency":"1s","colour":"red"}`, 400, "FAULT_INVALID", nil},
		{"set bad duration", "POST", "/admin/faults", `{"latency":5}`, 400, "FAULT_INVALID", nil},
		{"set negative for", "POST", "/admin/faults", `{"timeout":true,"for":"-1m"}`, 400, "FAULT_INVALID", nil},
		{"set not JSON", "POST", "/admin/faults", `latency=1s`, 400, "FAULT_INVALID", nil},
		{"list", "GET", "/admin/faults", "", 200, "", func(t *testing.T, out map[string]any) {
			l, _ := out["faults"].([]any)
			if len(l) != 2 || l[0].(map[string]any)["id"] != created[0] || l[1].(map[string]any)["id"] != "brief" {
				t.Errorf("faults = %v", out["faults"])
			}
		}},
		{"get", "GET", "/admin/faults/brief", "", 200, "", func(t *testing.T, out map[string]any) {
			if out["id"] != "brief" || out["timeout"] != true {
				t.Errorf("got %v", out)
			}
		}},
		{"get unknown", "GET", "/admin/faults/nope", "", 404, "FAULT_NOT_FOUND", nil},
		{"delete", "DELETE", "/admin/faults/brief", "", 200, "", func(t *testing.T, out map[string]any) {
			if out["deleted"] != "brief" {
				t.Errorf("got %v", out)
			}
			if _, err := i.Get("brief"); err == nil {
				t.Error("still there")
			}
		}},
		{"delete again", "DELETE", "/admin/faults/brief", "", 404, "FAULT_NOT_FOUND", nil},
		{"set another", "POST", "/admin/faults", `{"refuse":"Отказ","adapter":"rshep"}`, 201, "", nil},
		{"clear", "DELETE", "/admin/faults", "", 200, "", func(t *testing.T, out map[string]any) {
			if out["cleared"] != 2.0 || len(i.List()) != 0 {
				t.Errorf("got %v, left %v", out, i.List())
			}
		}},
		{"clear empty", "DELETE", "/admin/faults", "", 200, "", func(t *testing.T, out map[string]any) {
			if out["cleared"] != 0.0 {
				t.Errorf("got %v", out)
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			status, out := do(s.method, s.path, s.body)
			if status != s.status || code(out) != s.errCode {
				t.Fatalf("%d %v, want %d %q", status, out, s.status, s.errCode)
			}
			if s.check != nil {
				s.check(t, out)
			}
		})
	}

	// The store fails: FAULT_STORE.
	db.Close()
	if status, out := do("POST", "/admin/faults", `{"timeout":true}`); status != 500 || code(out) != "FAULT_STORE" {
		t.Errorf("closed store: %d %v", status, out)
	}
	if len(i.List()) != 0 {
		t.Errorf("rule kept in memory after a failed write: %v", i.List())
	}
}
