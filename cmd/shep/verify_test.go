package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shep-kz/shep/internal/fixtures"
)

const envelope = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
	`<ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo><messageId>m1</messageId>` +
	`<serviceId>GBDFL_UniversalServiceSync</serviceId><messageDate>2026-11-22T10:00:00.000+05:00</messageDate>` +
	`<sender><senderId>portal</senderId></sender></requestInfo><requestData><data><iin>931002451325</iin></data></requestData>` +
	`</request></ns3:SendMessage></soapenv:Body></soapenv:Envelope>`

func verifyJSON(t *testing.T, args ...string) (int, map[string]any) {
	t.Helper()
	code, out, errs := shep(t, append([]string{"verify", "--json"}, args...)...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("verify %v: %d %q %s", args, code, out, errs)
	}
	return code, m
}

func firstSignature(m map[string]any) map[string]any {
	return m["signatures"].([]any)[0].(map[string]any)
}

// sign → verify with the test НУЦ of the data dir, then revocation, tampering and an AUTH key.
func TestSignAndVerify(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	shep(t, "pki", "init", "--data", data)
	for _, args := range [][]string{
		{"--iin", "931002451325", "--name", "ИВАНОВ ИВАН", "--out", filepath.Join(dir, "sign")},
		{"--iin", "931002451325", "--usage", "auth", "--out", filepath.Join(dir, "auth")},
	} {
		if code, _, errs := shep(t, append([]string{"pki", "issue", "--data", data}, args...)...); code != 0 {
			t.Fatal(errs)
		}
	}
	env := filepath.Join(dir, "env.xml")
	os.WriteFile(env, []byte(envelope), 0o644)
	doc := filepath.Join(dir, "doc.xml")
	os.WriteFile(doc, []byte(`<application><iin>931002451325</iin><!-- note --></application>`), 0o644)
	sign := func(prefix, mode, in, out string, extra ...string) {
		t.Helper()
		args := append([]string{"sign", "--cert", filepath.Join(dir, prefix+".crt"), "--key", filepath.Join(dir, prefix+".key"), mode, "--out", out}, extra...)
		if code, _, errs := shep(t, append(args, in)...); code != 0 {
			t.Fatalf("sign %s: %s", mode, errs)
		}
	}
	signedEnv, signedDoc, ncaDoc, authEnv := filepath.Join(dir, "env.signed"), filepath.Join(dir, "doc.signed"), filepath.Join(dir, "doc.nca"), filepath.Join(dir, "env.auth")
	sign("sign", "--wsse", env, signedEnv)
	sign("sign", "--enveloped", doc, signedDoc)
	sign("sign", "--enveloped", doc, ncaDoc, "--ncalayer")
	sign("auth", "--wsse", env, authEnv)

	for _, f := range []string{signedEnv, signedDoc, ncaDoc} {
		code, m := verifyJSON(t, "--data", data, f)
		s := firstSignature(m)
		if code != 0 || m["valid"] != true || s["signer"].(map[string]any)["iin"] != "931002451325" {
			t.Fatalf("%s: exit %d %v", f, code, m)
		}
	}
	if code, m := verifyJSON(t, "--data", data, authEnv); code != 1 || firstSignature(m)["error"].(map[string]any)["code"] != "CERT_WRONG_KEY_USAGE" {
		t.Errorf("AUTH key: %d %v", code, m)
	}
	tampered := filepath.Join(dir, "tampered.xml")
	b, _ := os.ReadFile(signedEnv)
	os.WriteFile(tampered, []byte(strings.Replace(string(b), "931002451325", "931002451326", 1)), 0o644)
	if code, m := verifyJSON(t, "--data", data, tampered); code != 1 || firstSignature(m)["error"].(map[string]any)["code"] != "SIG_DIGEST_MISMATCH" {
		t.Errorf("tampered: %d %v", code, m)
	}
	if code, _, errs := shep(t, "pki", "revoke", "--data", data, "--cert", filepath.Join(dir, "sign.crt"), "--reason", "keyCompromise"); code != 0 {
		t.Fatal(errs)
	}
	if code, m := verifyJSON(t, "--data", data, signedEnv); code != 1 || firstSignature(m)["error"].(map[string]any)["code"] != "CERT_REVOKED" {
		t.Errorf("revoked: %d %v", code, m)
	}
	// Usage errors exit 2.
	for _, args := range [][]string{{"verify"}, {"verify", "--at", "yesterday", signedEnv}, {"sign", "--wsse", "--enveloped", env}} {
		if code, _, _ := shep(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// The real fixtures through the command line, as fixtures/real/README.md says.
func TestVerifyRealFixtures(t *testing.T) {
	f := fixtures.Dir(t)
	rsa := []string{"--trust-ca", filepath.Join(f, "nca_rsa_test.crt"), "--crl", filepath.Join(f, "nca_rsa_test.crl"), "--test-identities"}
	// ҰКО 3.0 (GOST TEST) and its CRL, issued (2022) after the signing time: evidence for it.
	gost2004 := []string{"--trust-ca", filepath.Join(f, "nca_gost_test.crt"), "--crl", filepath.Join(f, "nca_gost_test.crl"), "--test-identities"}
	// The TEST 2022 root and CA with the CA's full CRL (2025-04-29..2025-10-26). Checking a time
	// after that CRL's thisUpdate needs the CRL current: --now replays the check as of then;
	// without it the CRL is stale today and revocation is unknown.
	gost2022 := []string{"--trust-ca", filepath.Join(f, "gost/root_test_gost_2022.cer"), "--trust-ca", filepath.Join(f, "gost/nca_gost2022_test.cer"),
		"--crl", filepath.Join(f, "gost/nca_gost2022_test.crl"), "--test-identities"}
	for _, tt := range []struct {
		file string
		args []string
		code int
		err  string
	}{
		{"wsse-rsa-sendmessage-gbdfl.xml", append([]string{"--at", "2021-06-01T00:00:00Z"}, rsa...), 0, ""},
		{"wsse-rsa-sendmessage-gbdfl.xml", rsa, 1, "CERT_EXPIRED"},
		{"enveloped-rsa-ncalayer-layout.xml", append([]string{"--at", "2021-06-01T00:00:00Z"}, rsa...), 0, ""},
		{"wsse-gost2004-sendmessage-request.xml", append([]string{"--at", "2019-06-01T00:00:00Z"}, gost2004...), 0, ""},
		{"wsse-gost2004-sendmessage-response.xml", append([]string{"--at", "2019-06-01T00:00:00Z"}, gost2004...), 0, ""},
		{"wsse-gost2004-sendmessage-request.xml", gost2004, 1, "CERT_EXPIRED"},
		{"gost/enveloped-gost2015-test-message.xml", append([]string{"--at", "2025-06-01T00:00:00Z", "--now", "2025-06-01T00:00:00Z"}, gost2022...), 0, ""},
		{"gost/enveloped-gost2015-test-message.xml", append([]string{"--at", "2025-06-01T00:00:00Z"}, gost2022...), 1, "CERT_REVOCATION_UNKNOWN"},
	} {
		code, m := verifyJSON(t, append(tt.args, filepath.Join(f, tt.file))...)
		if code != tt.code {
			t.Errorf("%s %v: exit %d, want %d: %v", tt.file, tt.args, code, tt.code, m)
			continue
		}
		s := firstSignature(m)
		if tt.err != "" && s["error"].(map[string]any)["code"] != tt.err {
			t.Errorf("%s: %v, want %s", tt.file, s["error"], tt.err)
		}
		if signer, _ := s["signer"].(map[string]any); signer == nil || signer["iin"] != "123456789011" {
			t.Errorf("%s: signer %v", tt.file, s["signer"])
		}
	}
}
