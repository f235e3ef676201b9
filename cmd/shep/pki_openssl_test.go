package main

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shep-kz/shep/certs"
)

// TestPKIWithOpenSSL is the test НУЦ driven only through the CLI and judged by openssl:
// `shep pki init`, `pki ca --out`, `pki issue`, `pki crl` (full, root and delta, each parsed),
// `pki revoke`; `openssl verify -crl_check` (and -crl_check_all with the root's CRL, and
// -use_deltas with the delta) says OK before the revocation and "certificate revoked" after it;
// `openssl ocsp` against `shep serve`'s responder says good, then revoked.
func TestPKIWithOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl not found: apt-get install -y openssl")
	}
	data := filepath.Join(t.TempDir(), "data")
	dir := t.TempDir()
	mustShep := func(args ...string) string {
		t.Helper()
		code, out, errs := shep(t, append(args[:len(args):len(args)], "--data", data)...)
		if code != 0 {
			t.Fatalf("shep %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	mustShep("pki", "init")

	// pki ca --out FILE: the PEM chain (issuing CA, then root) in the file, nothing on stdout.
	chainPath := filepath.Join(dir, "chain.pem")
	if out := mustShep("pki", "ca", "--out", chainPath); out != "" {
		t.Errorf("pki ca --out wrote to stdout: %q", out)
	}
	chainPEM, err := os.ReadFile(chainPath)
	if err != nil {
		t.Fatal(err)
	}
	var chain []*x509.Certificate
	for rest := chainPEM; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil || blk.Type != "CERTIFICATE" {
			t.Fatalf("pki ca --out: block %q: %v", blk.Type, err)
		}
		chain = append(chain, c)
	}
	onDisk := func(name string) *x509.Certificate {
		cs, err := certs.ReadCertificates(filepath.Join(data, "pki", name))
		if err != nil {
			t.Fatal(err)
		}
		return cs[0]
	}
	if len(chain) != 2 || !chain[0].Equal(onDisk("ca.crt")) || !chain[1].Equal(onDisk("root.crt")) {
		t.Fatalf("pki ca --out: %d certificates, want the issuing CA then the root", len(chain))
	}
	rootPEM := writePEM(t, dir, "root.pem", chain[1])
	caPEM := writePEM(t, dir, "ca.pem", chain[0])

	leafPath := filepath.Join(dir, "leaf")
	mustShep("pki", "issue", "--kind", "individual", "--iin", "931002451325", "--name", "ИВАНОВ ИВАН", "--out", leafPath)
	leafCrt := leafPath + ".crt"
	leaf, err := readCertificate(leafCrt)
	if err != nil {
		t.Fatal(err)
	}

	crl := func(name string, flags ...string) (string, *x509.RevocationList) {
		t.Helper()
		p := filepath.Join(dir, name)
		mustShep(append([]string{"pki", "crl", "--out", p}, flags...)...)
		der, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		l, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return p, l
	}
	full1Path, full1 := crl("full1.crl")
	rootCRLPath, rootCRL := crl("root.crl", "--root")
	if len(full1.RevokedCertificateEntries) != 0 || full1.Issuer.String() != chain[0].Subject.String() {
		t.Fatalf("first full CRL: %d entries, issuer %s", len(full1.RevokedCertificateEntries), full1.Issuer)
	}
	if _, _, isDelta := deltaBase(full1); isDelta {
		t.Fatal("the full CRL carries a delta indicator")
	}
	if rootCRL.Issuer.String() != chain[1].Subject.String() || len(rootCRL.RevokedCertificateEntries) != 0 {
		t.Fatalf("root CRL: issuer %s, %d entries", rootCRL.Issuer, len(rootCRL.RevokedCertificateEntries))
	}

	// openssl verify; ok tells whether it must accept.
	verify := func(what string, ok bool, args ...string) {
		t.Helper()
		args = append(append([]string{"verify", "-CAfile", rootPEM, "-untrusted", caPEM}, args...), leafCrt)
		out, err := exec.Command(bin, args...).CombinedOutput()
		if ok {
			if err != nil || string(out) != leafCrt+": OK\n" {
				t.Fatalf("%s: openssl %s: %v\n%s", what, strings.Join(args, " "), err, out)
			}
			return
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) || !strings.Contains(string(out), "error 23 at 0 depth lookup: certificate revoked") {
			t.Fatalf("%s: openssl %s: %v, want certificate revoked\n%s", what, strings.Join(args, " "), err, out)
		}
	}
	verify("before revocation, -crl_check", true, "-crl_check", "-CRLfile", full1Path)
	verify("before revocation, -crl_check_all", true, "-crl_check_all", "-CRLfile", full1Path, "-CRLfile", rootCRLPath)
	// -crl_check_all does check the issuing CA against the root's CRL: without it, no verdict.
	if out, err := exec.Command(bin, "verify", "-CAfile", rootPEM, "-untrusted", caPEM, "-crl_check_all", "-CRLfile", full1Path, leafCrt).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "unable to get certificate CRL") {
		t.Fatalf("-crl_check_all without the root's CRL: %v\n%s", err, out)
	}

	// OCSP from `shep serve` on the same data dir (a second process on the НУЦ's files).
	base, stop := startServe(t, data)
	defer func() {
		if code := stop(); code != 0 {
			t.Errorf("serve exit %d", code)
		}
	}()
	ocspStatus := func() string {
		t.Helper()
		out, err := exec.Command(bin, "ocsp", "-issuer", caPEM, "-cert", leafCrt, "-url", base+"/pki/ocsp", "-CAfile", chainPath).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Response verify OK") {
			t.Fatalf("openssl ocsp: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := ocspStatus(); !strings.Contains(out, leafCrt+": good\n") {
		t.Fatalf("OCSP before revocation:\n%s", out)
	}

	if out := mustShep("pki", "revoke", "--cert", leafCrt, "--reason", "keyCompromise"); out != "revoked "+certs.SerialHex(leaf.SerialNumber)+" (keyCompromise)\n" {
		t.Fatalf("pki revoke: %q", out)
	}

	// The delta, on the first full CRL, lists the revocation; the first full CRL does not.
	deltaPath, delta := crl("delta.crl", "--delta")
	if b, critical, ok := deltaBase(delta); !ok || !critical || b.Cmp(full1.Number) != 0 {
		t.Fatalf("delta indicator: base %v critical %v present %v, want base #%v, critical", b, critical, ok, full1.Number)
	}
	if delta.Number.Cmp(full1.Number) <= 0 || delta.Number.Cmp(rootCRL.Number) <= 0 || delta.Issuer.String() != full1.Issuer.String() {
		t.Fatalf("delta CRL #%v of %s, after full #%v and root #%v", delta.Number, delta.Issuer, full1.Number, rootCRL.Number)
	}
	if len(delta.RevokedCertificateEntries) != 1 || delta.RevokedCertificateEntries[0].SerialNumber.Cmp(leaf.SerialNumber) != 0 ||
		delta.RevokedCertificateEntries[0].ReasonCode != 1 {
		t.Fatalf("delta CRL entries %+v, want serial %s keyCompromise (1)", delta.RevokedCertificateEntries, certs.SerialHex(leaf.SerialNumber))
	}
	verify("old full CRL only", true, "-crl_check", "-CRLfile", full1Path)
	verify("old full CRL + delta", false, "-crl_check", "-use_deltas", "-CRLfile", full1Path, "-CRLfile", deltaPath)

	full2Path, full2 := crl("full2.crl")
	if full2.Number.Cmp(delta.Number) <= 0 || len(full2.RevokedCertificateEntries) != 1 ||
		full2.RevokedCertificateEntries[0].SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Fatalf("second full CRL #%v (delta #%v): %+v", full2.Number, delta.Number, full2.RevokedCertificateEntries)
	}
	verify("after revocation, -crl_check", false, "-crl_check", "-CRLfile", full2Path)
	verify("after revocation, -crl_check_all", false, "-crl_check_all", "-CRLfile", full2Path, "-CRLfile", rootCRLPath)

	if out := ocspStatus(); !strings.Contains(out, leafCrt+": revoked\n") || !strings.Contains(out, "Reason: keyCompromise") {
		t.Fatalf("OCSP after revocation:\n%s", out)
	}
}

// writePEM writes c to dir/name as PEM and returns the path.
func writePEM(t *testing.T, dir, name string, c *x509.Certificate) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// deltaBase reads the delta CRL indicator (RFC 5280 §5.2.4) of l: the base CRL number, whether
// the extension is critical, and whether it is present.
func deltaBase(l *x509.RevocationList) (*big.Int, bool, bool) {
	for _, e := range l.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 27}) {
			var n *big.Int
			if rest, err := asn1.Unmarshal(e.Value, &n); err != nil || len(rest) != 0 {
				return nil, e.Critical, false
			}
			return n, e.Critical, true
		}
	}
	return nil, false, false
}

// checkPKIModes asserts that every directory of the НУЦ's files is 0700 and every key 0600.
func checkPKIModes(t *testing.T, pki string) {
	t.Helper()
	keys := 0
	err := filepath.WalkDir(pki, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && info.Mode().Perm() != 0o700:
			t.Errorf("directory %s: mode %v, want 0700", p, info.Mode().Perm())
		case strings.HasSuffix(p, ".key"):
			keys++
			if info.Mode().Perm() != 0o600 {
				t.Errorf("key %s: mode %v, want 0600", p, info.Mode().Perm())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// root, issuing CA and OCSP responder (RSA); root and issuing CA (GOST).
	if keys != 5 {
		t.Errorf("%d key files under %s, want 5", keys, pki)
	}
}
