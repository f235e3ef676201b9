package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/remote"
	"github.com/shep-kz/shep/adapters/remote/example"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

// systemIdentity issues an information system's certificate and writes it and its key to dir.
func systemIdentity(t *testing.T, a *ca.Authority, dir, name string, serial int) (*ca.Issued, string, string) {
	t.Helper()
	for s := serial; ; s++ {
		bin, err := certs.NewBIN(time.Date(2018, 2, 1, 0, 0, 0, 0, time.UTC), certs.EntityResident, certs.AttrHeadOffice, s)
		if err != nil {
			continue
		}
		iss := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: bin.Digits, CommonName: name})
		crt, key := testpki.WriteIssued(t, dir, name, iss)
		return iss, crt, key
	}
}

// shep provider-example on a free port answers a request signed by the gateway with a signed
// response, and stops when its context ends.
func TestProviderExampleCommand(t *testing.T) {
	dir := t.TempDir()
	a := testpki.NewCA(t, ca.Options{})
	gw, gwCrt, _ := systemIdentity(t, a, dir, "gateway", 1)
	prov, provCrt, provKey := systemIdentity(t, a, dir, "provider", 40)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runProviderExample(ctx, &env{stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }},
			[]string{"--addr", "127.0.0.1:0", "--cert", provCrt, "--key", provKey, "--gateway-cert", gwCrt})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var addr string
	re := regexp.MustCompile(`^listening on (\S+)$`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("no listening line (%q): %v", addr, <-done)
	}

	data := etree.NewElement("data")
	data.CreateElement("iin").SetText("931002451325")
	req := &syncchannel.Request{Info: syncchannel.RequestInfo{MessageID: "cli-1", ServiceID: example.DemoServiceID, MessageDate: time.Now(),
		Sender: syncchannel.Sender{ID: "shep"}}, Data: data}
	doc := etree.NewDocument()
	envEl := doc.CreateElement("soapenv:Envelope")
	envEl.CreateAttr("xmlns:soapenv", nsSOAP11)
	envEl.CreateElement("soapenv:Body").AddChild(req.Element())
	raw, _ := doc.WriteToBytes()
	body, err := signing.SignWSSE(raw, gw.Key, gw.Certificate, signing.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/", "text/xml; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v, err := signing.VerifyWSSE(answer, signing.Options{})
	if err != nil || resp.StatusCode != 200 || !v.Certificate.Equal(prov.Certificate) {
		t.Fatalf("HTTP %d, %v:\n%s", resp.StatusCode, err, answer)
	}
	r, err := syncchannel.ParseResponse(v.Element)
	if err != nil || r.Info.CorrelationID != "cli-1" || r.Info.Status.Code != syncchannel.StatusSuccess || r.Data.FindElement("decision").Text() != "positive" {
		t.Fatalf("%+v %v", r, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("provider-example: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("provider-example did not stop")
	}
	if _, err := http.Get("http://" + addr + "/"); err == nil {
		t.Error("still listening after the context ended")
	}
}

func TestProviderExampleUsage(t *testing.T) {
	dir := t.TempDir()
	a := testpki.NewCA(t, ca.Options{})
	_, gwCrt, gwKey := systemIdentity(t, a, dir, "gateway", 1)
	_, provCrt, _ := systemIdentity(t, a, dir, "provider", 40)
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	for name, args := range map[string][]string{
		"no cert":         {"--key", gwKey, "--gateway-cert", gwCrt},
		"key of another":  {"--cert", provCrt, "--key", gwKey, "--gateway-cert", gwCrt},
		"stray argument":  {"--cert", gwCrt, "--key", gwKey, "--gateway-cert", gwCrt, "extra"},
		"no gateway cert": {"--cert", gwCrt, "--key", gwKey},
	} {
		if err := runProviderExample(context.Background(), e, args); !errors.Is(err, errUsage) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
}

// shep provider add|list|remove on the data dir's store.
func TestProviderCommand(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	a := testpki.NewCA(t, ca.Options{})
	_, crt, _ := systemIdentity(t, a, dir, "mio", 70)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runProvider(context.Background(), &env{stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}, args)
		return out.String(), err
	}
	out, err := run("add", "--data", data, "--id", "mio-zko", "--service", "ZKO-1", "--service", "ZKO-2", "--endpoint", "http://127.0.0.1:9090/",
		"--cert", crt, "--timeout", "3s", "--retries", "2", "--name", "ИС МИО ЗКО")
	if err != nil || !strings.Contains(out, "provider mio-zko saved (services ZKO-1,ZKO-2") {
		t.Fatalf("add: %v %s", err, out)
	}
	if _, err := run("add", "--data", data, "--id", "other", "--service", "ZKO-2", "--endpoint", "http://127.0.0.1:9091/", "--cert", crt); err == nil ||
		!strings.Contains(err.Error(), "already served") {
		t.Errorf("conflicting add: %v", err)
	}
	if _, err := run("add", "--data", data, "--id", "bad", "--service", "B-1", "--endpoint", "ftp://x/", "--cert", crt); err == nil {
		t.Error("an ftp endpoint was accepted")
	}
	if _, err := run("add", "--data", data, "--id", "x"); !errors.Is(err, errUsage) {
		t.Errorf("add without services: %v", err)
	}
	out, err = run("list", "--data", data)
	if err != nil || !regexp.MustCompile(`mio-zko\s+ZKO-1,ZKO-2\s+http://127.0.0.1:9090/\s+3s\s+2\s+enabled\s+ИС МИО ЗКО`).MatchString(out) ||
		strings.Contains(out, "bad") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := run("remove", "mio-zko", "--data", data); err != nil || !strings.Contains(out, "provider mio-zko removed") {
		t.Fatalf("remove: %v %s", err, out)
	}
	if _, err := run("remove", "--data", data, "mio-zko"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("second remove: %v", err)
	}
	if out, _ := run("list", "--data", data); strings.Contains(out, "mio-zko") {
		t.Errorf("still listed:\n%s", out)
	}

	// The same through a gateway's admin API.
	db, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := remote.NewRegistry(db)
	r := mux.NewRouter()
	remote.Routes(r.PathPrefix("/admin").Subrouter(), reg, nil)
	srv := httptest.NewServer(r)
	defer srv.Close()
	api := []string{"--server", srv.URL, "--token", "t"}
	if out, err := run(append([]string{"add", "--id", "mio-akm", "--service", "AKM-1", "--endpoint", "https://mio.akm.example/sync", "--cert", crt,
		"--retries", "0", "--disabled"}, api...)...); err != nil || !strings.Contains(out, "provider mio-akm saved") {
		t.Fatalf("add via the API: %v %s", err, out)
	}
	if p, err := reg.Get(context.Background(), "mio-akm"); err != nil || p.Retries != 0 || !p.Disabled || p.Timeout != remote.DefaultTimeout {
		t.Fatalf("stored via the API: %+v %v", p, err)
	}
	if _, err := run(append([]string{"add", "--id", "x", "--service", "AKM-1", "--endpoint", "http://x/", "--cert", crt}, api...)...); err == nil ||
		!strings.Contains(err.Error(), "PROVIDER_CONFLICT") {
		t.Errorf("conflict via the API: %v", err)
	}
	if out, err := run(append([]string{"list"}, api...)...); err != nil || !regexp.MustCompile(`mio-akm\s+AKM-1\s+\S+\s+10s\s+0\s+disabled`).MatchString(out) {
		t.Errorf("list via the API: %v\n%s", err, out)
	}
	if _, err := run(append([]string{"remove", "mio-akm"}, api...)...); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Get(context.Background(), "mio-akm"); err == nil {
		t.Error("not removed via the API")
	}
}
