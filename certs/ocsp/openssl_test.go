package ocsp

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
)

// openssl runs the openssl CLI in dir and returns its combined output. A missing openssl fails
// the test: interoperability is part of what is tested.
func openssl(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl CLI not found: %v", err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var opensslNonce = regexp.MustCompile(`OCSP Nonce:\s*\n\s*([0-9A-F]+)`)

func TestOpenSSLRequest(t *testing.T) {
	p := getPKI(t)
	nca := loadCert(t, "nca_rsa_test.crt")
	tests := []struct {
		name    string
		issuer  string // "test" or "nca"
		digest  []string
		hash    crypto.Hash
		noNonce bool
	}{
		{name: "SHA-256", issuer: "test", digest: []string{"-sha256"}, hash: crypto.SHA256},
		{name: "default SHA-1", issuer: "test", hash: crypto.SHA1},
		{name: "SHA-512, no nonce", issuer: "test", digest: []string{"-sha512"}, hash: crypto.SHA512, noNonce: true},
		{name: "NCA RSA CA, SHA-256", issuer: "nca", digest: []string{"-sha256"}, hash: crypto.SHA256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ca := p.ca.cert
			if tc.issuer == "nca" {
				ca = nca
			}
			writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw)
			serial, _ := new(big.Int).SetString("4279390A141F5353A62947B61ED65E81741467D1", 16)
			// openssl wants the digest before -issuer/-serial.
			args := append([]string{"ocsp"}, tc.digest...)
			args = append(args, "-issuer", "ca.pem", "-serial", "0x"+serial.Text(16), "-reqout", "req.der")
			if tc.noNonce {
				args = append(args, "-no_nonce")
			}
			if out, err := openssl(t, dir, args...); err != nil {
				t.Fatalf("openssl %v: %v\n%s", args, err, out)
			}
			der, err := os.ReadFile(filepath.Join(dir, "req.der"))
			if err != nil {
				t.Fatal(err)
			}
			req, err := ParseRequest(der)
			if err != nil {
				t.Fatalf("ParseRequest(openssl request): %v", err)
			}
			if len(req.IDs) != 1 {
				t.Fatalf("%d IDs", len(req.IDs))
			}
			id := req.IDs[0]
			if id.Hash != tc.hash || id.Serial.Cmp(serial) != 0 || !id.IssuedBy(ca) ||
				!id.Equal(mustCertID(t, serial, ca, tc.hash)) || id.IssuedBy(p.otherCA.cert) {
				t.Errorf("CertID %+v", id)
			}

			text, err := openssl(t, dir, "ocsp", "-reqin", "req.der", "-req_text")
			if err != nil {
				t.Fatalf("openssl -req_text: %v\n%s", err, text)
			}
			m := opensslNonce.FindStringSubmatch(text)
			if tc.noNonce {
				if m != nil || req.Nonce != nil {
					t.Fatalf("nonce %X, openssl printed %v", req.Nonce, m)
				}
				return
			}
			if m == nil {
				t.Fatalf("no nonce in openssl's dump:\n%s", text)
			}
			// openssl prints the extnValue: OCTET STRING (04 10) wrapping 16 random bytes.
			if want := "0410" + strings.ToUpper(hex.EncodeToString(req.Nonce)); len(req.Nonce) != 16 || m[1] != want {
				t.Fatalf("nonce %X, openssl printed extnValue %s", req.Nonce, m[1])
			}
		})
	}
}

func TestOpenSSLVerifiesOurResponse(t *testing.T) {
	p := getPKI(t)
	serial := big.NewInt(0x1DEA5)
	revokedAt := time.Date(2022, 1, 18, 6, 30, 55, 0, time.UTC)
	tests := []struct {
		name      string
		responder keyCert
		issuer    keyCert
		hash      crypto.Hash
		single    SingleResponse
		want      []string // lines openssl must print
	}{
		{"delegated good", p.delegate, p.ca, crypto.SHA256, SingleResponse{Status: Good, Reason: -1},
			[]string{"Cert Status: good", "0x1DEA5: good"}},
		{"CA-signed good, SHA-1", p.ca, p.ca, crypto.SHA1, SingleResponse{Status: Good, Reason: -1},
			[]string{"Cert Status: good", "0x1DEA5: good"}},
		{"delegated revoked", p.delegate, p.ca, crypto.SHA256, SingleResponse{Status: Revoked, RevokedAt: revokedAt, Reason: 4},
			[]string{"Cert Status: revoked", "Revocation Time: Jan 18 06:30:55 2022 GMT", "Revocation Reason: superseded (0x4)", "0x1DEA5: revoked"}},
		{"CA-signed revoked, no reason", p.ca, p.ca, crypto.SHA256, SingleResponse{Status: Revoked, RevokedAt: revokedAt, Reason: -1},
			[]string{"Cert Status: revoked", "0x1DEA5: revoked"}},
		{"RSA delegated unknown", p.rsaDelegate, p.rsaCA, crypto.SHA256, SingleResponse{Status: Unknown, Reason: -1},
			[]string{"Cert Status: unknown", "0x1DEA5: unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ca := tc.issuer.cert
			writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.Raw)
			id := mustCertID(t, serial, ca, tc.hash)
			nonce, err := NewNonce()
			if err != nil {
				t.Fatal(err)
			}
			req, err := CreateRequest([]CertID{id}, nonce)
			if err != nil {
				t.Fatal(err)
			}
			single := tc.single
			single.ID = id
			single.NextUpdate = time.Now().Add(time.Hour)
			resp, err := CreateResponse(ca, tc.responder.cert, tc.responder.key, ResponseTemplate{Single: single, Nonce: nonce})
			if err != nil {
				t.Fatal(err)
			}
			for name, b := range map[string][]byte{"req.der": req, "resp.der": resp} {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			digest := "-" + strings.ReplaceAll(strings.ToLower(tc.hash.String()), "-", "")
			out, err := openssl(t, dir, "ocsp", "-respin", "resp.der", "-issuer", "ca.pem", "-CAfile", "ca.pem",
				"-resp_text", "-no_nonce", digest, "-serial", fmt.Sprintf("0x%X", serial))
			t.Logf("openssl:\n%s", out)
			if err != nil {
				t.Fatalf("openssl: %v", err)
			}
			for _, w := range append([]string{"Response verify OK", "OCSP Response Status: successful (0x0)"}, tc.want...) {
				if !strings.Contains(out, w) {
					t.Errorf("openssl output lacks %q", w)
				}
			}
			if !strings.Contains(out, strings.ToUpper(hex.EncodeToString(nonce))) {
				t.Errorf("openssl does not show the nonce %X", nonce)
			}
			// With the request, openssl also compares the nonces.
			out, err = openssl(t, dir, "ocsp", "-respin", "resp.der", "-reqin", "req.der", "-issuer", "ca.pem", "-CAfile", "ca.pem")
			if err != nil || !strings.Contains(out, "Response verify OK") || strings.Contains(strings.ToLower(out), "nonce") {
				t.Errorf("openssl with -reqin: %v\n%s", err, out)
			}
		})
	}
}

// TestOpenSSLResponder has openssl answer our request as a responder, and checks the answer here.
func TestOpenSSLResponder(t *testing.T) {
	p := getPKI(t)
	dir := t.TempDir()
	writePEM(t, dir, "ca.pem", "CERTIFICATE", p.ca.cert.Raw)
	writePEM(t, dir, "rsigner.pem", "CERTIFICATE", p.delegate.cert.Raw)
	writeKey(t, dir, "rkey.pem", p.delegate.key)
	exp := time.Now().Add(365 * 24 * time.Hour).UTC().Format("060102150405Z")
	index := fmt.Sprintf("V\t%s\t\t1001\tunknown\t/CN=good\nR\t%s\t220118063055Z,keyCompromise\t1002\tunknown\t/CN=revoked\n", exp, exp)
	if err := os.WriteFile(filepath.Join(dir, "index.txt"), []byte(index), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		serial    int64
		hash      crypto.Hash
		status    Status
		revokedAt time.Time
		reason    int
	}{
		{0x1001, crypto.SHA256, Good, time.Time{}, -1},
		{0x1002, crypto.SHA1, Revoked, time.Date(2022, 1, 18, 6, 30, 55, 0, time.UTC), 1},
		{0x1003, crypto.SHA256, Unknown, time.Time{}, -1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%X", tc.serial), func(t *testing.T) {
			id := mustCertID(t, big.NewInt(tc.serial), p.ca.cert, tc.hash)
			nonce := []byte{0xB5, 0xE5, 0xC9, 0xB5, 0x52, 0xCB, 0xCA, byte(tc.serial)}
			req, err := CreateRequest([]CertID{id}, nonce)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "req.der"), req, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := openssl(t, dir, "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", "rsigner.pem",
				"-rkey", "rkey.pem", "-reqin", "req.der", "-respout", "resp.der", "-ndays", "1")
			if err != nil {
				t.Fatalf("openssl responder: %v\n%s", err, out)
			}
			der, err := os.ReadFile(filepath.Join(dir, "resp.der"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := ParseResponse(der)
			if err != nil {
				t.Fatalf("ParseResponse(openssl response): %v", err)
			}
			if !bytes.Equal(r.Nonce, nonce) {
				t.Errorf("nonce %X, want %X", r.Nonce, nonce)
			}
			signer, err := r.Verify(p.ca.cert, certs.StdVerifier{}, time.Now())
			if err != nil || !signer.Equal(p.delegate.cert) {
				t.Fatalf("Verify(openssl response) = %v, %v", signer, err)
			}
			sr, ok := r.Find(id)
			if !ok {
				t.Fatalf("Find: no answer for the CertID asked about")
			}
			if sr.Status != tc.status || !sr.RevokedAt.Equal(tc.revokedAt) || sr.Reason != tc.reason || sr.NextUpdate.IsZero() {
				t.Errorf("single response %+v", *sr)
			}
		})
	}
}
