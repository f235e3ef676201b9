package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/signing"
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

// signers is a test НУЦ in a data dir with three certificates of ИИН 931002451325 written to
// dir: an individual's SIGN key (prefix "sign"), the same person's AUTH key ("auth") and an
// employee of a company ("emp", with patronymic and organisation).
func signers(t *testing.T) (data, dir string) {
	t.Helper()
	data, dir = t.TempDir(), t.TempDir()
	if code, _, errs := shep(t, "pki", "init", "--data", data); code != 0 {
		t.Fatal(errs)
	}
	for _, args := range [][]string{
		{"--iin", "931002451325", "--name", "ИВАНОВ ИВАН", "--out", filepath.Join(dir, "sign")},
		{"--iin", "931002451325", "--name", "ИВАНОВ ИВАН", "--usage", "auth", "--out", filepath.Join(dir, "auth")},
		{"--kind", "employee", "--iin", "931002451325", "--bin", "040340001283", "--name", "ПЕТРОВА АННА СЕРГЕЕВНА",
			"--org", "ТОО «ТЕСТ»", "--out", filepath.Join(dir, "emp")},
	} {
		if code, _, errs := shep(t, append([]string{"pki", "issue", "--data", data}, args...)...); code != 0 {
			t.Fatal(errs)
		}
	}
	return data, dir
}

// unsigned writes into dir the two documents the tests sign: a SOAP envelope and an application.
func unsigned(t *testing.T, dir string) (env, doc string) {
	t.Helper()
	env = filepath.Join(dir, "env.xml")
	if err := os.WriteFile(env, []byte(envelope), 0o644); err != nil {
		t.Fatal(err)
	}
	doc = filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(doc, []byte(`<application><iin>931002451325</iin></application>`), 0o644); err != nil {
		t.Fatal(err)
	}
	return env, doc
}

// signFile signs in with the key pair of prefix in dir (mode --wsse or --enveloped) and returns
// the path of the signed file.
func signFile(t *testing.T, dir, prefix, mode, in string) string {
	t.Helper()
	out := filepath.Join(dir, prefix+"-"+strings.TrimPrefix(mode, "--")+".signed")
	if code, _, errs := shep(t, "sign", "--cert", filepath.Join(dir, prefix+".crt"), "--key", filepath.Join(dir, prefix+".key"), mode, "--out", out, in); code != 0 {
		t.Fatalf("sign %s %s: %s", prefix, mode, errs)
	}
	return out
}

// `shep verify` names the signer: ИИН/БИН, names, key class and subject kind, as text and as JSON;
// also for a signer it refuses.
func TestVerifyNamesSigner(t *testing.T) {
	data, dir := signers(t)
	env, doc := unsigned(t, dir)
	for _, tt := range []struct {
		prefix, mode, in string
		code             int
		text             []string
		json             map[string]string
	}{
		{"sign", "--wsse", env, 0,
			[]string{"VALID (ws-security", "signer:     ИВАНОВ ИВАН, ИИН 931002451325, SIGN key, individual"},
			map[string]string{"iin": "931002451325", "common_name": "ИВАНОВ ИВАН", "surname": "ИВАНОВ", "given_name": "ИВАН",
				"key_class": "SIGN", "kind": "individual"}},
		{"emp", "--enveloped", doc, 0,
			[]string{"VALID (enveloped", "signer:     ПЕТРОВА АННА СЕРГЕЕВНА, ИИН 931002451325, БИН 040340001283 (ТОО «ТЕСТ»), SIGN key, employee"},
			map[string]string{"iin": "931002451325", "bin": "040340001283", "common_name": "ПЕТРОВА АННА", "surname": "ПЕТРОВА",
				"given_name": "АННА", "patronymic": "СЕРГЕЕВНА", "organization": "ТОО «ТЕСТ»", "key_class": "SIGN", "kind": "employee"}},
		{"auth", "--wsse", env, 1,
			[]string{"INVALID (ws-security", "CERT_WRONG_KEY_USAGE", "signer:     ИВАНОВ ИВАН, ИИН 931002451325, AUTH key, individual"},
			map[string]string{"iin": "931002451325", "common_name": "ИВАНОВ ИВАН", "key_class": "AUTH", "kind": "individual"}},
	} {
		t.Run(tt.prefix+tt.mode, func(t *testing.T) {
			signed := signFile(t, dir, tt.prefix, tt.mode, tt.in)
			code, out, errs := shep(t, "verify", "--data", data, signed)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, want := range tt.text {
				if !strings.Contains(out, want) {
					t.Errorf("the text lacks %q:\n%s", want, out)
				}
			}
			code, m := verifyJSON(t, "--data", data, signed)
			signer, _ := firstSignature(m)["signer"].(map[string]any)
			if code != tt.code || signer == nil {
				t.Fatalf("--json: exit %d, signer %v", code, m)
			}
			for k, want := range tt.json {
				if signer[k] != want {
					t.Errorf("signer.%s = %v, want %q", k, signer[k], want)
				}
			}
		})
	}
}

// `shep sign` without --out writes the signed document to standard output, and that output verifies.
func TestSignToStdout(t *testing.T) {
	data, dir := signers(t)
	env, doc := unsigned(t, dir)
	for _, tt := range []struct {
		name   string
		args   []string
		layout string
	}{
		{"wsse", []string{"--wsse", env}, "ws-security"},
		{"enveloped", []string{"--enveloped", doc}, "enveloped"},
		{"ncalayer", []string{"--enveloped", "--ncalayer", doc}, "enveloped"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"sign", "--cert", filepath.Join(dir, "sign.crt"), "--key", filepath.Join(dir, "sign.key")}, tt.args...)
			code, out, errs := shep(t, args...)
			if code != 0 || errs != "" || !strings.HasPrefix(out, "<?xml") {
				t.Fatalf("exit %d, stderr %q, stdout %.80q", code, errs, out)
			}
			f := filepath.Join(dir, tt.name+".stdout.xml")
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			code, m := verifyJSON(t, "--data", data, f)
			if code != 0 || m["valid"] != true || m["layout"] != tt.layout {
				t.Fatalf("the output does not verify: exit %d %v", code, m)
			}
			if signer, _ := firstSignature(m)["signer"].(map[string]any); signer == nil || signer["iin"] != "931002451325" {
				t.Fatalf("signer %v", firstSignature(m)["signer"])
			}
		})
	}
}

// sha1Template is the test envelope prepared for xmlsec1 --sign with rsa-sha1 and a SHA-1 digest,
// the certificate in X509Data.
var sha1Template = strings.Replace(envelope, "<soapenv:Body>", `<soapenv:Header><wsse:Security xmlns:wsse="`+signing.NSWSSE+`" soapenv:mustUnderstand="1">`+
	`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>`+
	`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`+
	`<ds:SignatureMethod Algorithm="`+signing.RSASHA1+`"/>`+
	`<ds:Reference URI="#id-sha1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>`+
	`<ds:DigestMethod Algorithm="`+signing.DigestSHA1+`"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>`+
	`<ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></wsse:Security></soapenv:Header>`+
	`<soapenv:Body xmlns:wsu="`+signing.NSWSU+`" wsu:Id="id-sha1">`, 1)

// An rsa-sha1 signature (made by xmlsec1: shep itself never signs with SHA-1) is refused as an
// unsupported algorithm unless --allow-sha1 is given; the flag changes nothing else.
func TestVerifyAllowSHA1(t *testing.T) {
	data, dir := signers(t)
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatal("xmlsec1 not found: apt-get install -y xmlsec1")
	}
	tmpl := filepath.Join(dir, "sha1-tmpl.xml")
	if err := os.WriteFile(tmpl, []byte(sha1Template), 0o644); err != nil {
		t.Fatal(err)
	}
	signed := filepath.Join(dir, "sha1.xml")
	if out, err := exec.Command(bin, "--sign", "--privkey-pem", filepath.Join(dir, "sign.key")+","+filepath.Join(dir, "sign.crt"),
		"--id-attr:Id", signing.NSSOAP11+":Body", "--output", signed, tmpl).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
	}
	b, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(dir, "sha1-tampered.xml")
	if err := os.WriteFile(tampered, []byte(strings.Replace(string(b), "<iin>931002451325</iin>", "<iin>931002451326</iin>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	code, m := verifyJSON(t, "--data", data, signed)
	s := firstSignature(m)
	if e, _ := s["error"].(map[string]any); code != 1 || m["valid"] != false || e == nil || e["code"] != "ALGORITHM_NOT_SUPPORTED" {
		t.Fatalf("SHA-1 by default: exit %d %v", code, m)
	}
	code, m = verifyJSON(t, "--data", data, "--allow-sha1", signed)
	s = firstSignature(m)
	if code != 0 || m["valid"] != true || s["signature_method"] != signing.RSASHA1 || s["digest_method"] != signing.DigestSHA1 {
		t.Fatalf("SHA-1 with --allow-sha1: exit %d %v", code, m)
	}
	if signer, _ := s["signer"].(map[string]any); signer == nil || signer["iin"] != "931002451325" || signer["key_class"] != "SIGN" {
		t.Fatalf("signer %v", s["signer"])
	}
	code, m = verifyJSON(t, "--data", data, "--allow-sha1", tampered)
	if e, _ := firstSignature(m)["error"].(map[string]any); code != 1 || e == nil || e["code"] != "SIG_DIGEST_MISMATCH" {
		t.Fatalf("tampered SHA-1 with --allow-sha1: exit %d %v", code, m)
	}
	// The text verdict names the method.
	if code, out, _ := shep(t, "verify", "--data", data, "--allow-sha1", signed); code != 0 || !strings.Contains(out, "valid, "+signing.RSASHA1) {
		t.Fatalf("text: exit %d\n%s", code, out)
	}
}
