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

	"github.com/shep-kz/shep/adapters/faultinject"
	"github.com/shep-kz/shep/internal/jsonhttp"
	"github.com/shep-kz/shep/store"
)

func TestFaultCLI(t *testing.T) {
	const token = "s3cret"
	db, err := store.Open(store.Options{Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inj, err := faultinject.New(context.Background(), db, faultinject.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := mux.NewRouter()
	admin := r.PathPrefix("/admin").Subrouter()
	admin.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Header.Get("Authorization") != "Bearer "+token {
				jsonhttp.Error(w, http.StatusUnauthorized, "ADMIN_UNAUTHORIZED", "token")
				return
			}
			next.ServeHTTP(w, req)
		})
	})
	faultinject.Routes(admin, inj)
	srv := httptest.NewServer(r)
	defer srv.Close()

	// A data dir whose admin.token is the third way to the token.
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "admin.token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fault := func(envToken string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
			if k == "SHEP_ADMIN_TOKEN" {
				return envToken
			}
			return ""
		}}
		err := runFault(context.Background(), e, args)
		return out.String(), err
	}

	// set, with every flag, the token on the command line.
	out, err := fault("", "set", "--server", srv.URL, "--token", token, "--adapter", "gbdfl", "--service", "S", "--latency", "2s",
		"--jitter", "500ms", "--error-rate", "0.3", "--timeout", "--refuse", "Отказ", "--no-data", "--count", "3", "--for", "10m")
	if err != nil {
		t.Fatal(err)
	}
	list := inj.List()
	if len(list) != 1 {
		t.Fatalf("rules: %+v", list)
	}
	got := list[0]
	want := faultinject.Rule{ID: got.ID, Adapter: "gbdfl", Service: "S", Latency: faultinject.Duration(2 * time.Second),
		Jitter: faultinject.Duration(500 * time.Millisecond), ErrorRate: 0.3, Timeout: true, Refuse: "Отказ", NoData: true, Remaining: 3,
		Expires: got.Expires, Created: got.Created}
	if got != want || got.Expires.Sub(got.Created) != 10*time.Minute {
		t.Errorf("stored %+v\nwant   %+v", got, want)
	}
	if !strings.Contains(out, "fault rule "+got.ID+" set: gbdfl/S: latency 2s+0..500ms, error 30%, timeout, no data, refuse \"Отказ\" (next 3 call(s), until ") {
		t.Errorf("set printed %q", out)
	}

	// set with flags after a minimal spec, the token from $SHEP_ADMIN_TOKEN; only given fields are sent.
	if out, err = fault(token, "set", "--id", "slow", "--latency", "1s", "--server", srv.URL); err != nil || !strings.Contains(out, "fault rule slow set: */*: latency 1s\n") {
		t.Fatalf("set: %q %v", out, err)
	}
	if r, err := inj.Get("slow"); err != nil || r.Adapter != "" || r.Remaining != 0 || !r.Expires.IsZero() || r.ErrorRate != 0 {
		t.Errorf("slow: %+v %v", r, err)
	}

	// list, the token from DATA/admin.token.
	out, err = fault("", "list", "--server", srv.URL, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.HasPrefix(lines[1], got.ID) || !strings.Contains(lines[1], "gbdfl") ||
		!strings.HasPrefix(lines[2], "slow") || !strings.Contains(lines[2], "latency 1s") || !strings.Contains(lines[2], "never") {
		t.Errorf("list:\n%s", out)
	}
	out, err = fault(token, "list", "--json", "--server", srv.URL)
	var rules []faultinject.Rule
	if err != nil || json.Unmarshal([]byte(out), &rules) != nil || len(rules) != 2 || rules[0].ID != got.ID {
		t.Errorf("list --json: %v\n%s", err, out)
	}

	// clear one (the ID before or after the flags), then all.
	if out, err = fault(token, "clear", "slow", "--server", srv.URL); err != nil || out != "fault rule slow cleared\n" {
		t.Errorf("clear slow: %q %v", out, err)
	}
	if _, err := inj.Get("slow"); err == nil {
		t.Error("slow not cleared")
	}
	if _, err = fault(token, "clear", "--server", srv.URL, "slow"); err == nil || !strings.Contains(err.Error(), "FAULT_NOT_FOUND") {
		t.Errorf("clear unknown: %v", err)
	}
	if out, err = fault(token, "clear", "--server", srv.URL); err != nil || out != "1 fault rule(s) cleared\n" || len(inj.List()) != 0 {
		t.Errorf("clear: %q %v %+v", out, err, inj.List())
	}
	if out, err = fault(token, "list", "--server", srv.URL); err != nil || out != "no fault rules\n" {
		t.Errorf("empty list: %q %v", out, err)
	}

	// Refusals.
	for _, c := range []struct {
		name  string
		args  []string
		usage bool
		msg   string
	}{
		{"no subcommand", nil, true, ""},
		{"unknown subcommand", []string{"break", "--server", srv.URL}, true, ""},
		{"no server", []string{"set", "--latency", "1s"}, true, "--server"},
		{"unknown flag", []string{"set", "--server", srv.URL, "--slow"}, true, ""},
		{"two IDs", []string{"clear", "a", "b", "--server", srv.URL}, true, "unexpected argument"},
		{"argument to set", []string{"set", "x", "--server", srv.URL}, true, "unexpected argument"},
		{"invalid rule", []string{"set", "--server", srv.URL, "--error-rate", "2"}, false, "FAULT_INVALID"},
		{"no effect", []string{"set", "--server", srv.URL, "--service", "S"}, false, "FAULT_INVALID"},
		{"wrong token", []string{"list", "--server", srv.URL, "--token", "nope"}, false, "ADMIN_UNAUTHORIZED"},
		{"no token", []string{"list", "--server", srv.URL, "--data", t.TempDir()}, false, "no admin token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := token
			if c.name == "wrong token" || c.name == "no token" {
				tok = ""
			}
			_, err := fault(tok, c.args...)
			if err == nil || errors.Is(err, errUsage) != c.usage || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %v, want usage=%v containing %q", err, c.usage, c.msg)
			}
		})
	}
	if len(inj.List()) != 0 {
		t.Errorf("a refused command left rules: %+v", inj.List())
	}
}
