package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/signing"
)

// The real НУЦ test key signs through `shep sign --p12`, and `shep verify` accepts the result
// chained to the TEST 2022 root at 2025-10-20 (inside the key's certificate validity, while the CA's
// CRL is current and does not list it).
func TestGOSTSignVerifyP12(t *testing.T) {
	f, dir := fixtures.Dir(t), t.TempDir()
	p12 := filepath.Join(f, "gost/individual_valid_gost2015.p12")
	doc := filepath.Join(dir, "doc.xml")
	os.WriteFile(doc, []byte(`<application><iin>123456789011</iin><!-- note --></application>`), 0o644)
	env := filepath.Join(dir, "env.xml")
	os.WriteFile(env, []byte(envelope), 0o644)

	const at = "2025-10-20T00:00:00Z"
	trust := []string{"--trust-ca", filepath.Join(f, "gost/root_test_gost_2022.cer"), "--trust-ca", filepath.Join(f, "gost/nca_gost2022_test.cer"),
		"--crl", filepath.Join(f, "gost/nca_gost2022_test.crl"), "--test-identities", "--at", at}
	for _, tt := range []struct {
		name string
		mode []string
		in   string
	}{
		{"enveloped", []string{"--enveloped"}, doc},
		{"enveloped, NCALayer", []string{"--enveloped", "--ncalayer"}, doc},
		{"WS-Security", []string{"--wsse"}, env},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".signed")
			args := append([]string{"sign", "--p12", p12, "--password", "Qwerty12", "--out", out}, tt.mode...)
			if code, _, errs := shep(t, append(args, tt.in)...); code != 0 {
				t.Fatalf("sign: %s", errs)
			}
			// --now replays the check as of 2025-10-20: today the CRL is past its nextUpdate.
			code, m := verifyJSON(t, append(append([]string{}, trust...), "--now", at, out)...)
			s := firstSignature(m)
			if code != 0 || m["valid"] != true || s["signature_method"] != signing.GOST2015With512 || s["digest_method"] != signing.DigestStreebog512 {
				t.Fatalf("verify: exit %d %v", code, m)
			}
			if signer := s["signer"].(map[string]any); signer["iin"] != "123456789011" {
				t.Errorf("signer %v", signer)
			}
			if chain := s["chain"].([]any); len(chain) != 2 || !strings.Contains(chain[1].(string), "(GOST) TEST 2022") {
				t.Errorf("chain %v", chain)
			}
			if rev := s["revocation"].([]any); len(rev) != 1 || !strings.Contains(rev[0].(string), "good by crl") {
				t.Errorf("revocation %v", rev)
			}
			// Checked with today's clock, the 2025 CRL is stale for 2025-10-20: fail closed.
			code, m = verifyJSON(t, append(append([]string{}, trust...), out)...)
			if code != 1 || firstSignature(m)["error"].(map[string]any)["code"] != "CERT_REVOCATION_UNKNOWN" {
				t.Errorf("with today's clock: exit %d %v", code, m)
			}
			// A change to the signed content.
			b, _ := os.ReadFile(out)
			tampered := filepath.Join(dir, "tampered.xml")
			os.WriteFile(tampered, []byte(strings.Replace(string(b), "<iin>", "<iin>0", 1)), 0o644)
			code, m = verifyJSON(t, append(append([]string{}, trust...), "--now", at, tampered)...)
			if code != 1 || firstSignature(m)["error"].(map[string]any)["code"] != "SIG_DIGEST_MISMATCH" {
				t.Errorf("tampered: exit %d %v", code, m)
			}
		})
	}
	// Wrong password, and usage errors.
	if code, _, errs := shep(t, "sign", "--p12", p12, "--password", "qwerty", "--enveloped", doc); code != 1 || !strings.Contains(errs, "incorrect password") {
		t.Errorf("wrong password: exit %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"sign", "--p12", p12, "--cert", p12, "--password", "Qwerty12", "--enveloped", doc},
		{"sign", "--cert", p12, "--enveloped", doc},
		{"verify", "--now", "today", doc},
	} {
		if code, _, _ := shep(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// `shep verify` on the real GOST 2004 request prints the signer's test ИИН.
func TestGOSTVerifyRequestText(t *testing.T) {
	f := fixtures.Dir(t)
	code, out, errs := shep(t, "verify", "--trust-ca", filepath.Join(f, "nca_gost_test.crt"), "--crl", filepath.Join(f, "nca_gost_test.crl"),
		"--test-identities", "--at", "2019-06-01T00:00:00Z", filepath.Join(f, "wsse-gost2004-sendmessage-request.xml"))
	if code != 0 || !strings.HasPrefix(out, "VALID (ws-security") || !strings.Contains(out, "ИИН 123456789011 (test identity)") ||
		!strings.Contains(out, "БИН 123456789021") || !strings.Contains(out, signing.GOST2004) {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	// Without test-identity mode the test ИИН fails its checksum and the signer is refused.
	code, out, _ = shep(t, "verify", "--trust-ca", filepath.Join(f, "nca_gost_test.crt"), "--crl", filepath.Join(f, "nca_gost_test.crl"),
		"--at", "2019-06-01T00:00:00Z", filepath.Join(f, "wsse-gost2004-sendmessage-request.xml"))
	if code != 1 || !strings.Contains(out, "CERT_IDENTITY_INVALID") {
		t.Fatalf("strict identities: exit %d\n%s", code, out)
	}
}

// `shep send --p12` signs the envelope with the GOST key (WS-Security, GOST 2015-512).
func TestGOSTSendP12(t *testing.T) {
	var mu sync.Mutex
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = b
		mu.Unlock()
		http.Error(w, "no gateway here", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p12 := filepath.Join(fixtures.Dir(t), "gost/individual_valid_gost2015.p12")
	code, out, errs := shep(t, "send", "--target", srv.URL, "--service", "GBDFL_UniversalServiceSync", "--password", "sender-pw",
		"--p12", p12, "--p12-password", "Qwerty12", "--iin", "931002451325")
	if code != 1 || !strings.Contains(out, "UNREADABLE") {
		t.Fatalf("send: exit %d %s %s", code, out, errs)
	}
	mu.Lock()
	defer mu.Unlock()
	v, err := signing.VerifyWSSE(got, signing.Options{})
	if err != nil {
		t.Fatalf("the request sent: %v\n%s", err, got)
	}
	if v.SignatureMethod != signing.GOST2015With512 || v.Certificate.Subject.SerialNumber != "IIN123456789011" ||
		!strings.Contains(string(v.Signed), "<iin>931002451325</iin>") || !strings.Contains(string(v.Signed), "<password>sender-pw</password>") {
		t.Fatalf("%s %s\n%s", v.SignatureMethod, v.Certificate.Subject, v.Signed)
	}
}
