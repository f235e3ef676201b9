package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/signing"
)

// shep cert issue --algorithm gost2015 --p12 …, then shep sign --p12 … and shep verify against the
// test НУЦ's GOST hierarchy (its root, CA and CRLs as files, as a tester would pass them); after
// shep pki revoke and new CRLs the same signature is refused.
func TestCertIssueGOSTSignVerify(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	if code, out, errs := shep(t, "pki", "init", "--data", data); code != 0 || !strings.Contains(out, ca.GOSTIssuingName) {
		t.Fatalf("init: %d %s %s", code, out, errs)
	}
	p12, prefix := filepath.Join(dir, "aigul.p12"), filepath.Join(dir, "aigul")
	code, out, errs := shep(t, "cert", "issue", "--data", data, "--algorithm", "gost2015", "--iin", "931002451325",
		"--name", "ИВАНОВА АЙГУЛЬ СЕРИКОВНА", "--p12", p12, "--password", "Secret-1", "--out", prefix)
	if code != 0 || !strings.Contains(out, "issued SIGN certificate (GOST R 34.10-2015 512)") || !strings.Contains(out, ca.GOSTIssuingName) {
		t.Fatalf("cert issue: %d %s %s", code, out, errs)
	}
	for _, f := range []string{p12, prefix + ".key"} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	// The НУЦ-style key file holds the GOST key, its certificate and the GOST chain.
	key, chain, err := certs.ReadKeyPair("", "", p12, "Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := key.(*gost3410.PrivateKey); !ok || len(chain) != 3 {
		t.Fatalf("p12: key %T, %d certificates", key, len(chain))
	}
	pemKey, pemChain, err := certs.ReadKeyPair(prefix+".crt", prefix+".key", "", "")
	if err != nil || !pemChain[0].Equal(chain[0]) || !pemKey.(*gost3410.PrivateKey).Equal(key) {
		t.Fatalf("PEM files differ from the p12: %v", err)
	}
	code, out, _ = shep(t, "cert", "show", "--json", prefix+".crt")
	var shown map[string]any
	if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil {
		t.Fatalf("cert show: %d %v", code, err)
	}
	for k, v := range map[string]any{"iin": "931002451325", "key_class": "SIGN", "kind": "individual", "gost": true,
		"key_algorithm": "GOST R 34.10-2015 512", "signature_algorithm": "GOST R 34.10-2015 512"} {
		if shown[k] != v {
			t.Errorf("cert show: %s = %v, want %v", k, shown[k], v)
		}
	}

	doc := filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(doc, []byte(`<doc><iin>931002451325</iin><text>Заявление</text></doc>`), 0o644); err != nil {
		t.Fatal(err)
	}
	signed := filepath.Join(dir, "doc.signed.xml")
	if code, out, errs := shep(t, "sign", "--enveloped", "--p12", p12, "--password", "Secret-1", "--out", signed, doc); code != 0 {
		t.Fatalf("sign: %d %s %s", code, out, errs)
	}
	b, _ := os.ReadFile(signed)
	if !bytes.Contains(b, []byte(signing.GOST2015With512)) {
		t.Fatalf("not GOST-signed:\n%s", b)
	}
	gost := filepath.Join(data, "pki", "gost")
	crls := func(round string) []string {
		var args []string
		for _, k := range []string{"full", "delta", "root"} {
			f := filepath.Join(dir, round+"-"+k+".crl")
			flags := []string{"pki", "crl", "--data", data, "--gost", "--out", f}
			if k != "full" {
				flags = append(flags, "--"+k)
			}
			if code, out, errs := shep(t, flags...); code != 0 || !strings.Contains(out, "gost-"+k+" CRL") {
				t.Fatalf("pki crl --gost --%s: %d %s %s", k, code, out, errs)
			}
			args = append(args, "--crl", f)
		}
		return args
	}
	verify := func(crlArgs []string) (int, string) {
		args := append([]string{"verify", "--data", data, "--json", "--trust-ca", filepath.Join(gost, "root.crt"),
			"--intermediate", filepath.Join(gost, "ca.crt")}, crlArgs...)
		code, out, _ := shep(t, append(args, signed)...)
		return code, out
	}
	if code, out := verify(crls("before")); code != 0 || !strings.Contains(out, `"valid": true`) || !strings.Contains(out, "931002451325") {
		t.Fatalf("verify: %d %s", code, out)
	}
	// With no --trust-ca, verify trusts both hierarchies of the data dir's test НУЦ and its CRLs.
	if code, out, errs := shep(t, "verify", "--data", data, "--json", signed); code != 0 || !strings.Contains(out, `"valid": true`) {
		t.Fatalf("verify with the test НУЦ's own trust: %d %s %s", code, out, errs)
	}

	if code, out, errs := shep(t, "pki", "revoke", "--data", data, "--cert", prefix+".crt", "--reason", "keyCompromise"); code != 0 {
		t.Fatalf("revoke: %s %s", out, errs)
	}
	code, out, _ = shep(t, "pki", "list", "--data", data)
	if code != 0 || !regexp.MustCompile(`gost2015\s+individual\s+sign\s+931002451325.*revoked`).MatchString(out) {
		t.Fatalf("pki list:\n%s", out)
	}
	if code, out := verify(crls("after")); code != 1 || !strings.Contains(out, "CERT_REVOKED") {
		t.Fatalf("verify after revocation: %d %s", code, out)
	}
	// pki ca --gost gives the GOST chain.
	code, out, _ = shep(t, "pki", "ca", "--data", data, "--gost")
	cs, err := certs.ParseCertificates([]byte(out))
	if code != 0 || err != nil || len(cs) != 2 || cs[0].Subject.CommonName != ca.GOSTIssuingName || cs[1].Subject.CommonName != ca.GOSTRootName {
		t.Fatalf("pki ca --gost: %d %v", code, err)
	}
}

func TestCertIssueUsage(t *testing.T) {
	data := t.TempDir()
	if code, _, errs := shep(t, "pki", "init", "--data", data); code != 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no output", []string{"--iin", "931002451325"}, 2, "--out"},
		{"unknown algorithm", []string{"--algorithm", "gost2004", "--iin", "931002451325", "--out", "x"}, 2, "gost2015"},
		{"bad ИИН", []string{"--algorithm", "gost2015", "--iin", "123456789011", "--out", "x"}, 1, "check digit"},
		{"help", []string{"-h"}, 0, "TC26-512-A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := shep(t, append([]string{"cert", "issue", "--data", data}, tt.args...)...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errs)
			}
		})
	}
}

// shep serve --gateway-key gost2015 --official-key gost2015: the gateway answers with GOST
// signatures by its GOST information-system certificate, publishes the GOST hierarchy under
// /pki/gost, and the officials' results are GOST-signed.
func TestServeGOSTKeys(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	base, stop := startServe(t, data, "--gateway-key", "gost2015", "--official-key", "gost2015")
	defer stop()
	for _, path := range []string{"/pki/gost/root.crt", "/pki/gost/ca.crt", "/pki/gost/crl/full.crl", "/pki/gost/crl/delta.crl", "/pki/gost/crl/root.crl"} {
		if code, _ := httpGet(t, base+path); code != 200 {
			t.Errorf("%s: %d", path, code)
		}
	}
	gw, err := certs.ReadCertificates(filepath.Join(data, "gateway", "gateway-gost.crt"))
	if err != nil {
		t.Fatal(err)
	}
	gostCA, err := certs.ReadCertificates(filepath.Join(data, "pki", "gost", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.CheckCertificateSignature(certs.StdVerifier{}, gw[0], gostCA[0]); err != nil {
		t.Fatalf("gateway certificate: %v", err)
	}

	// A request signed by the demo information system (RSA): the answer is GOST-signed.
	demo := filepath.Join(data, "demo")
	target := base + "/bip-sync-wss-gost/"
	code, out, errs := shep(t, "send", "--target", target, "--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge", "--password", "123",
		"--cert", filepath.Join(demo, "system.crt"), "--key", filepath.Join(demo, "system.key"), "--iin", "931002451325", "--dump")
	if code != 0 || !strings.Contains(out, "SCSS001") {
		t.Fatalf("send: %d %s %s", code, out, errs)
	}
	// The dump prints the answer's exact bytes after "--- response: HTTP 200", then the summary.
	resp := out[strings.Index(out, "--- response"):]
	resp = resp[strings.Index(resp, "\n")+1 : strings.LastIndex(resp, "Envelope>")+len("Envelope>")]
	v, err := signing.VerifyWSSE([]byte(resp), signing.Options{})
	if err != nil {
		t.Fatalf("answer: %v\n%s", err, resp)
	}
	if v.SignatureMethod != signing.GOST2015With512 || !v.Certificate.Equal(gw[0]) {
		t.Fatalf("answer signed with %s by %q", v.SignatureMethod, v.Certificate.Subject.CommonName)
	}

	// A portal application decided by a specialist: the result is signed by a GOST official.
	code, out, _ = shep(t, "send", "--target", target, "--service", "AKT-1", "--sender", "portal", "--password", "portal-password",
		"--cert", filepath.Join(demo, "system.crt"), "--key", filepath.Join(demo, "system.key"),
		"--application", filepath.Join("..", "..", "gateway", "application", "examples", "portal.xml"),
		"--app-cert", filepath.Join(demo, "citizen.crt"), "--app-key", filepath.Join(demo, "citizen.key"))
	number := regexp.MustCompile(`AKT-1-\d{8}-\d{6}`).FindString(out)
	if code != 0 || number == "" {
		t.Fatalf("portal application: %d %s", code, out)
	}
	for _, step := range [][]string{{"take", number}, {"complete", number}} {
		if code, out, errs := shep(t, "case", step[0], "--data", data, "--server", base, "--actor", "ДЖАКУПОВА Д.", step[1]); code != 0 {
			t.Fatalf("case %s: %s %s", step[0], out, errs)
		}
	}
	result := filepath.Join(dir, "result.xml")
	if code, _, errs := shep(t, "case", "result", "--data", data, "--server", base, "-o", result, number); code != 0 {
		t.Fatalf("case result: %s", errs)
	}
	b, _ := os.ReadFile(result)
	rv, err := signing.VerifyEnveloped(b, signing.Options{})
	if err != nil {
		t.Fatalf("result signature: %v", err)
	}
	if rv.SignatureMethod != signing.GOST2015With512 {
		t.Fatalf("result signed with %s", rv.SignatureMethod)
	}
	if err := certs.CheckCertificateSignature(certs.StdVerifier{}, rv.Certificate, gostCA[0]); err != nil {
		t.Fatalf("official's certificate not from the GOST CA: %v", err)
	}
	if id, err := certs.IdentityOf(rv.Certificate, certs.ParseOptions{}); err != nil || id.IIN == "" || id.BIN == "" || id.KeyClass != certs.KeySign || !id.GOST {
		t.Fatalf("official: %+v %v", id, err)
	}
}

// --gateway-key and --official-key come from flags, $SHEP_GATEWAY_KEY/$SHEP_OFFICIAL_KEY or the
// config file, default rsa; anything else is a usage error before the server starts.
func TestServeConfigGOSTKeys(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "shep.json")
	if err := os.WriteFile(cfgFile, []byte(`{"gateway_key": "gost2015", "official_key": "gost2015"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name              string
		file              string
		env               map[string]string
		set               map[string]string // flags given
		gateway, official string
	}{
		{"defaults", "", nil, nil, "rsa", "rsa"},
		{"file", cfgFile, nil, nil, "gost2015", "gost2015"},
		{"environment over file", cfgFile, map[string]string{"SHEP_GATEWAY_KEY": "rsa"}, nil, "rsa", "gost2015"},
		{"flag over environment", "", map[string]string{"SHEP_OFFICIAL_KEY": "rsa"}, map[string]string{"official-key": "gost2015"}, "rsa", "gost2015"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			set := map[string]bool{}
			for k, v := range tt.set {
				set[k] = true
				switch k {
				case "gateway-key":
					c.GatewayKey = v
				case "official-key":
					c.OfficialKey = v
				}
			}
			if err := c.fill(tt.file, func(k string) string { return tt.env[k] }, set); err != nil {
				t.Fatal(err)
			}
			if c.GatewayKey != tt.gateway || c.OfficialKey != tt.official {
				t.Fatalf("gateway %q official %q", c.GatewayKey, c.OfficialKey)
			}
		})
	}
	for _, flag := range []string{"--gateway-key", "--official-key"} {
		code, _, errs := shep(t, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", flag, "gost2004")
		if code != 2 || !strings.Contains(errs, flag[2:]) {
			t.Errorf("%s gost2004: exit %d %s", flag, code, errs)
		}
	}
}
