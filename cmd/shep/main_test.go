package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/shep-kz/shep/internal/fixtures"
)

// shep runs the command in-process and returns its exit code and output.
func shep(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestPKIWorkflow(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	code, out1, _ := shep(t, "pki", "init", "--data", data)
	if code != 0 || !strings.Contains(out1, "ҰКО SHEP (RSA TEST)") {
		t.Fatalf("init: %d %s", code, out1)
	}
	if code, out2, _ := shep(t, "pki", "init", "--data", data); code != 0 || out2 != out1 {
		t.Fatalf("init is not idempotent:\n%s\n%s", out1, out2)
	}
	checkPKIModes(t, filepath.Join(data, "pki"))
	prefix := filepath.Join(dir, "ivan")
	code, out, errs := shep(t, "pki", "issue", "--data", data, "--kind", "individual", "--iin", "931002451325",
		"--name", "ИВАНОВ ИВАН ИВАНОВИЧ", "--out", prefix)
	if code != 0 || !strings.Contains(out, "issued SIGN certificate") {
		t.Fatalf("issue: %d %s %s", code, out, errs)
	}
	p12, err := os.ReadFile(prefix + ".p12")
	if err != nil {
		t.Fatal(err)
	}
	key, cert, chain, err := pkcs12.DecodeChain(p12, "Qwerty12")
	if err != nil || key == nil || cert.Subject.SerialNumber != "IIN931002451325" || len(chain) != 2 {
		t.Fatalf("PKCS#12: %v %v", err, cert)
	}
	if st, _ := os.Stat(prefix + ".key"); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode().Perm())
	}
	code, out, _ = shep(t, "cert", "show", prefix+".crt")
	for _, want := range []string{"ИИН:          931002451325 (born 1993-10-02, female)", "Key class:    SIGN", "Subject kind: individual", "ИВАНОВ ИВАН ИВАНОВИЧ"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("cert show lacks %q:\n%s", want, out)
		}
	}
	// An expired AUTH certificate of a legal-entity head, with relative dates.
	code, _, errs = shep(t, "pki", "issue", "--data", data, "--kind", "head", "--iin", "660427402182", "--bin", "160440007161",
		"--usage", "auth", "--not-before", "-400d", "--not-after", "-1d", "--out", filepath.Join(dir, "head"))
	if code != 0 {
		t.Fatalf("issue head: %s", errs)
	}
	// Refusals: a bad checksum (1), a usage error (2).
	if code, _, errs := shep(t, "pki", "issue", "--data", data, "--iin", "123456789011", "--out", filepath.Join(dir, "x")); code != 1 || !strings.Contains(errs, "check digit") {
		t.Errorf("bad ИИН: %d %s", code, errs)
	}
	if code, _, _ := shep(t, "pki", "issue", "--data", data, "--iin", "123456789011", "--test-identities", "--out", filepath.Join(dir, "x")); code != 0 {
		t.Errorf("test identity refused")
	}
	if code, _, _ := shep(t, "pki", "issue", "--data", data, "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d", code)
	}
	if code, _, _ := shep(t, "pki", "issue", "--data", data, "--iin", "931002451325", "--not-after", "tomorrow", "--out", prefix); code != 2 {
		t.Errorf("bad date: exit %d", code)
	}
	if code, _, errs := shep(t, "pki", "list", "--data", filepath.Join(dir, "nothing")); code != 1 || !strings.Contains(errs, "shep pki init") {
		t.Errorf("uninitialised data dir: %d %s", code, errs)
	}

	if code, out, errs := shep(t, "pki", "revoke", "--data", data, "--cert", prefix+".crt", "--reason", "keyCompromise"); code != 0 || !strings.Contains(out, "keyCompromise") {
		t.Fatalf("revoke: %d %s %s", code, out, errs)
	}
	if code, _, errs := shep(t, "pki", "revoke", "--data", data, "--cert", prefix+".crt"); code != 1 || !strings.Contains(errs, "already revoked") {
		t.Errorf("second revoke: %d %s", code, errs)
	}
	crlPath := filepath.Join(dir, "full.crl")
	if code, _, errs := shep(t, "pki", "crl", "--data", data, "--out", crlPath); code != 0 {
		t.Fatalf("crl: %s", errs)
	}
	der, _ := os.ReadFile(crlPath)
	l, err := x509.ParseRevocationList(der)
	if err != nil || len(l.RevokedCertificateEntries) != 1 || l.RevokedCertificateEntries[0].SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Fatalf("CRL: %v %+v", err, l)
	}
	deltaPath := filepath.Join(dir, "delta.crl")
	if code, _, errs := shep(t, "pki", "crl", "--data", data, "--delta", "--out", deltaPath); code != 0 {
		t.Fatalf("delta crl: %s", errs)
	}
	// The delta: on the full CRL just issued (critical delta indicator = its number), numbered
	// after it, listing the revocation made since that full CRL's base (here the same one).
	der, _ = os.ReadFile(deltaPath)
	d, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if base, critical, ok := deltaBase(d); !ok || !critical || base.Cmp(l.Number) != 0 {
		t.Errorf("delta indicator: base %v critical %v present %v, want base %v (the full CRL's number), critical", base, critical, ok, l.Number)
	}
	if d.Number.Cmp(l.Number) <= 0 || d.Issuer.String() != l.Issuer.String() {
		t.Errorf("delta CRL #%v of %s after full CRL #%v of %s", d.Number, d.Issuer, l.Number, l.Issuer)
	}
	if len(d.RevokedCertificateEntries) != 0 {
		// the full CRL issued after the revocation already lists it: the delta on it has nothing new
		t.Errorf("delta on a full CRL that lists every revocation has %d entries", len(d.RevokedCertificateEntries))
	}
	code, out, _ = shep(t, "pki", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "revoked") || !strings.Contains(out, "expired") || strings.Count(out, "\n") != 4 {
		t.Errorf("list:\n%s", out)
	}
	code, out, _ = shep(t, "pki", "ca", "--data", data)
	if code != 0 || strings.Count(out, "BEGIN CERTIFICATE") != 2 {
		t.Errorf("ca chain: %s", out)
	}
}

// cert show on real НУЦ certificates, GOST included.
func TestCertShowReal(t *testing.T) {
	for _, tt := range []struct {
		file  string
		want  map[string]any
		roles []string // the role names of the JSON output
		lines []string // the Role lines of the text output, in order
	}{
		{"ceo_valid_sign_2004_gost.cer", map[string]any{"iin": "123456789011", "bin": "123456789021", "iin_test": true, "gost": true, "key_class": "SIGN", "kind": "head"},
			[]string{"ORGANIZATION", "CEO"},
			[]string{"Role:         1.2.398.3.3.4.1.2 ORGANIZATION — Юридическое лицо",
				"Role:         1.2.398.3.3.4.1.2.1 CEO — Первый руководитель юридического лица, имеющий право подписи"}},
		{"individual_valid_sign_2004_rsa_auth.cer", map[string]any{"iin": "123456789011", "gost": false, "key_class": "AUTH", "kind": "individual", "surname": "ТЕСТОВ", "patronymic": "ТЕСТОВИЧ"},
			[]string{"INDIVIDUAL"}, []string{"Role:         1.2.398.3.3.4.1.1 INDIVIDUAL — Физическое лицо"}},
	} {
		code, out, errs := shep(t, "cert", "show", "--json", filepath.Join(fixtures.Dir(t), tt.file))
		if code != 0 {
			t.Fatalf("%s: %s", tt.file, errs)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", tt.file, k, got[k], v)
			}
		}
		var roles struct{ Roles []string }
		if err := json.Unmarshal([]byte(out), &roles); err != nil || !slices.Equal(roles.Roles, tt.roles) {
			t.Errorf("%s: roles %q, want %q (%v)", tt.file, roles.Roles, tt.roles, err)
		}
		code, out, _ = shep(t, "cert", "show", filepath.Join(fixtures.Dir(t), tt.file))
		var roleLines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "Role:") {
				roleLines = append(roleLines, l)
			}
		}
		if code != 0 || !slices.Equal(roleLines, tt.lines) {
			t.Errorf("%s: cert show role lines\n got %q\nwant %q", tt.file, roleLines, tt.lines)
		}
	}
	code, out, _ := shep(t, "cert", "show", filepath.Join(fixtures.Dir(t), "ceo_valid_sign_2004_gost.cer"))
	if code != 0 || !strings.Contains(out, "GOST algorithm") || strings.Contains(out, "cannot verify") {
		t.Errorf("GOST note missing:\n%s", out)
	}
	if code, _, _ := shep(t, "cert", "show", "--strict", filepath.Join(fixtures.Dir(t), "ceo_valid_sign_2004_gost.cer")); code != 1 {
		t.Error("--strict accepted a test ИИН")
	}
}

// startServe runs `shep serve` in-process on a free port and returns its base URL and a stop
// function that returns serve's exit code.
func startServe(t *testing.T, data string, extra ...string) (string, func() int) {
	t.Helper()
	return startServeWatching(t, data, nil, extra...)
}

// startServeWatching is startServe handing each line serve writes to stderr after its address
// to watch (when not nil), from a goroutine of its own.
func startServeWatching(t *testing.T, data string, watch func(line string), extra ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdout: io.Discard, stderr: pw, getenv: func(string) string { return "" }},
			append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "warn"}, extra...))
		pw.Close()
	}()
	addrRe := regexp.MustCompile(`serving on (http://[0-9.:]+)`)
	sc := bufio.NewScanner(pr)
	var base string
	for sc.Scan() {
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if watch == nil {
		go io.Copy(io.Discard, pr)
	} else {
		go func() {
			for sc.Scan() {
				watch(sc.Text())
			}
			io.Copy(io.Discard, pr)
		}()
	}
	if base == "" {
		cancel()
		t.Fatalf("serve exited early: %d", <-done)
	}
	var once sync.Once
	code := -1
	stop := func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(15 * time.Second):
				t.Error("serve did not shut down")
			}
		})
		return code
	}
	return base, stop
}

// httpGet fetches url and returns its status and body; a transport error fails the test.
func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// shep serve on a fresh data dir: bootstraps the НУЦ and the store, serves /pki and health, stops
// gracefully.
func TestServe(t *testing.T) {
	data := t.TempDir()
	base, stop := startServe(t, data)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/pki/ca.crt": 200, "/pki/crl/delta.crl": 200, "/nope": 404,
		"/bip-sync-wss-gost/?wsdl": 200, "/metrics": 200} {
		code, b := httpGet(t, base+path)
		if code != want {
			t.Errorf("%s: %d %s", path, code, b)
		}
		if want == 404 && !strings.Contains(string(b), `"NOT_FOUND"`) {
			t.Errorf("404 without a coded JSON error: %s", b)
		}
	}
	for _, f := range []string{"pki/root.crt", "store", "gateway/gateway.crt", "admin.token", "demo/citizen.crt", "demo/operator.key", "demo/system.crt"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("serve did not create %s", f)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d after cancel", code)
	}
}

// The tester's tools against a running gateway: send, sender, log.
func TestSendSenderLog(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	base, stop := startServe(t, data)
	defer stop()
	target := base + "/bip-sync-wss-gost/"
	if code, _, errs := shep(t, "pki", "issue", "--data", data, "--kind", "system", "--bin", "160440007161", "--name", "ИС", "--out", filepath.Join(dir, "sys")); code != 0 {
		t.Fatal(errs)
	}
	send := func(args ...string) (int, string, string) {
		return shep(t, append([]string{"send", "--target", target, "--cert", filepath.Join(dir, "sys.crt"), "--key", filepath.Join(dir, "sys.key")}, args...)...)
	}
	code, out, errs := send("--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge", "--password", "123", "--iin", "931002451325", "--message-id", "cli-1")
	if code != 0 || !strings.Contains(out, "SCSS001") || !strings.Contains(out, "ИВАНОВА") || !strings.Contains(out, "signature:  valid") {
		t.Fatalf("send: %d\n%s%s", code, out, errs)
	}
	// A new message (new date, new signature) under a used messageId is refused; a true retry of
	// the same bytes is answered from the log (tested in gateway).
	if code, out2, _ := send("--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge", "--password", "123", "--iin", "931002451325", "--message-id", "cli-1"); code != 1 || !strings.Contains(out2, "MESSAGE_ID_REUSED") {
		t.Fatalf("reused messageId: %d %s", code, out2)
	}
	code, out, _ = send("--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge", "--password", "wrong", "--iin", "931002451325", "--json")
	var o map[string]any
	if json.Unmarshal([]byte(out), &o); code != 1 || o["status"] != "AUTH_PASSWORD" || o["response_signature"] != "valid" {
		t.Fatalf("wrong password: %d %s", code, out)
	}
	if code, out, _ := send("--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge", "--password", "123", "--iin", "931002451325", "--dump"); code != 0 ||
		!strings.Contains(out, "--- request to") || !strings.Contains(out, "wsse:Security") {
		t.Fatalf("dump: %s", out)
	}
	// The portal channel with the demo identities: the citizen signs the application, the demo
	// information system the envelope; «Рынок труда» registers it («поступившие») and decides
	// later (half of the five working days, a working day per minute).
	demo := filepath.Join(data, "demo")
	code, out, _ = shep(t, "send", "--target", target, "--service", "AKT-1", "--sender", "portal", "--password", "portal-password",
		"--cert", filepath.Join(demo, "system.crt"), "--key", filepath.Join(demo, "system.key"),
		"--application", filepath.Join("..", "..", "gateway", "application", "examples", "portal.xml"),
		"--app-cert", filepath.Join(demo, "citizen.crt"), "--app-key", filepath.Join(demo, "citizen.key"))
	number := regexp.MustCompile(`AKT-1-\d{8}-\d{6}`).FindString(out)
	if code != 0 || !strings.Contains(out, "SCSS001") || !strings.Contains(out, "поступившие") || number == "" {
		t.Fatalf("portal application: %d %s", code, out)
	}
	// The specialist's desk sees it and can take it into work.
	if code, out, errs := shep(t, "case", "list", "--data", data, "--server", base, "--open"); code != 0 || !strings.Contains(out, number) {
		t.Fatalf("case list: %d %s %s", code, out, errs)
	}
	if code, out, errs := shep(t, "case", "take", "--data", data, "--server", base, "--actor", "ДЖАКУПОВА Д.", number); code != 0 || !strings.Contains(out, "в работе") {
		t.Fatalf("case take: %d %s %s", code, out, errs)
	}
	if code, out, errs := shep(t, "case", "complete", "--data", data, "--server", base, "--actor", "ДЖАКУПОВА Д.", number); code != 0 || !strings.Contains(out, "выдано") {
		t.Fatalf("case complete: %d %s %s", code, out, errs)
	}
	resultFile := filepath.Join(dir, "result.xml")
	if code, _, errs := shep(t, "case", "result", "--data", data, "--server", base, "-o", resultFile, number); code != 0 {
		t.Fatalf("case result: %s", errs)
	}
	if code, out, errs := shep(t, "verify", "--data", data, resultFile); code != 0 || !strings.Contains(out, "valid") {
		t.Fatalf("verify the result: %d %s %s", code, out, errs)
	}
	// Senders through the admin API (the store is the server's while it runs).
	if code, _, errs := shep(t, "sender", "list", "--data", data); code != 1 || !strings.Contains(errs, "--server") {
		t.Errorf("direct store access while serving: %d %s", code, errs)
	}
	if code, out, errs := shep(t, "sender", "add", "--data", data, "--server", base, "--id", "ministry", "--password", "pw", "--channel", "system", "--service", "GBDFL_UniversalServiceSync"); code != 0 {
		t.Fatalf("sender add: %s %s", out, errs)
	}
	if code, out, _ := shep(t, "sender", "list", "--data", data, "--server", base); code != 0 || !strings.Contains(out, "ministry") || !strings.Contains(out, "portal") {
		t.Fatalf("sender list: %s", out)
	}
	if code, out, _ := send("--service", "GBDFL_UniversalServiceSync", "--sender", "ministry", "--password", "pw", "--iin", "931002451325"); code != 0 {
		t.Fatalf("new sender: %s", out)
	}
	code, out, _ = shep(t, "log", "--data", data, "--server", base, "--sender", "smartbridge", "--json")
	var items []map[string]any
	if err := json.Unmarshal([]byte(out), &items); code != 0 || err != nil || len(items) != 2 { // refusals before authentication, and reused ids, are logged under sender "-"
		t.Fatalf("log: %d %v %s", code, err, out)
	}
	session := items[len(items)-1]["SessionID"].(string)
	if code, out, _ := shep(t, "log", "show", "--data", data, "--server", base, session); code != 0 || !strings.Contains(out, "signature") || !strings.Contains(out, "--- response") {
		t.Fatalf("log show: %s", out)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	// Stopped: the data dir is read directly.
	if code, out, _ := shep(t, "log", "--data", data, "--status", "AUTH_PASSWORD"); code != 0 || !strings.Contains(out, "AUTH_PASSWORD") {
		t.Fatalf("log from the data dir: %s", out)
	}
	if code, out, _ := shep(t, "sender", "remove", "--data", data, "--id", "ministry"); code != 0 {
		t.Fatalf("sender remove: %s", out)
	}
}
