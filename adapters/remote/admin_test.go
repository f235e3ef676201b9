package remote_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/remote"
	"github.com/shep-kz/shep/certs/ca"
)

func TestAdminAPI(t *testing.T) {
	w := newWorld(t, remote.ClientOptions{Breaker: remote.BreakerOptions{Failures: 1}})
	r := mux.NewRouter()
	remote.Routes(r.PathPrefix("/admin").Subrouter(), w.reg, w.client)
	srv := httptest.NewServer(r)
	defer srv.Close()
	do := func(method, path string, body any) (int, map[string]any) {
		t.Helper()
		var in bytes.Buffer
		if body != nil {
			json.NewEncoder(&in).Encode(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, &in)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	errCode := func(out map[string]any) string {
		e, _ := out["error"].(map[string]any)
		s, _ := e["code"].(string)
		return s
	}
	certPEM := string(ca.PEMCertificate(w.provider.Certificate))
	spec := map[string]any{"id": "mio-zko", "name": "ИС МИО ЗКО", "services": []string{"ZKO-1"}, "endpoint": "http://127.0.0.1:1/sync",
		"cert": certPEM, "timeout": "2s"}

	status, out := do("POST", "/admin/providers", spec)
	if status != 200 || out["timeout"] != "2s" || out["retries"] != float64(1) || out["subject"] == "" || out["cert"] != certPEM {
		t.Fatalf("POST: %d %v", status, out)
	}
	for name, tc := range map[string]struct {
		change func(m map[string]any)
		status int
		code   string
	}{
		"conflict":       {func(m map[string]any) { m["id"] = "other" }, 409, "PROVIDER_CONFLICT"},
		"bad endpoint":   {func(m map[string]any) { m["endpoint"] = "mailto:x" }, 400, "PROVIDER_INVALID"},
		"bad cert":       {func(m map[string]any) { m["cert"] = "MIIB" }, 400, "PROVIDER_INVALID"},
		"bad timeout":    {func(m map[string]any) { m["timeout"] = "soon" }, 400, "PROVIDER_INVALID"},
		"no services":    {func(m map[string]any) { delete(m, "services") }, 400, "PROVIDER_INVALID"},
		"unknown field":  {func(m map[string]any) { m["password"] = "x" }, 400, "PROVIDER_INVALID"},
		"retries over 5": {func(m map[string]any) { m["retries"] = 6 }, 400, "PROVIDER_INVALID"},
	} {
		m := map[string]any{}
		for k, v := range spec {
			m[k] = v
		}
		tc.change(m)
		if status, out := do("POST", "/admin/providers", m); status != tc.status || errCode(out) != tc.code {
			t.Errorf("%s: %d %v, want %d %s", name, status, out, tc.status, tc.code)
		}
	}

	// A failed call opens the circuit (Failures 1): the admin API shows it.
	w.call("ZKO-1", nil)
	status, out = do("GET", "/admin/providers/mio-zko", nil)
	b, _ := out["breaker"].(map[string]any)
	if status != 200 || b["state"] != remote.StateOpen || b["failures"] != float64(1) {
		t.Fatalf("GET: %d %v", status, out)
	}
	status, out = do("GET", "/admin/providers", nil)
	if list, _ := out["providers"].([]any); status != 200 || len(list) != 1 {
		t.Fatalf("list: %d %v", status, out)
	}
	if status, _ := do("DELETE", "/admin/providers/mio-zko", nil); status != 204 {
		t.Fatalf("DELETE: %d", status)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if status, out := do(m, "/admin/providers/mio-zko", nil); status != 404 || errCode(out) != "PROVIDER_NOT_FOUND" {
			t.Errorf("%s after delete: %d %v", m, status, out)
		}
	}
}
