package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

// sendJSON runs `shep send ... --json` and returns its exit code and outcome.
func sendJSON(t *testing.T, args ...string) (int, sendOutcome) {
	t.Helper()
	code, out, errs := shep(t, append([]string{"send", "--json"}, args...)...)
	var o sendOutcome
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("shep send %q: exit %d, not JSON: %v\n%s%s", args, code, err, out, errs)
	}
	return code, o
}

// Every example application passes the gateway that `shep serve` bootstraps, signed by the demo
// identity of its channel (README: DATA/demo), the envelope by the demo information system.
func TestExamplesPassWithDemoIdentities(t *testing.T) {
	data := t.TempDir()
	base, stop := startServe(t, data, "--population", "1")
	defer stop()
	demo := filepath.Join(data, "demo")
	// The channels' senders and the demo identity that signs each channel's applications.
	channels := map[application.Channel]struct{ sender, password, signer string }{
		application.Portal: {"portal", "portal-password", "citizen"},
		application.CON:    {"con", "con-password", "operator"},
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "gateway", "application", "examples", "*.xml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		d := etree.NewDocument()
		if err := d.ReadFromFile(f); err != nil {
			t.Fatal(err)
		}
		app, err := application.Parse(d.Root())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ch, ok := channels[app.Channel]
		if !ok {
			t.Errorf("%s: channel %s has no demo sender and identity", f, app.Channel)
			continue
		}
		code, o := sendJSON(t, "--target", base+"/bip-sync-wss-gost/", "--service", app.ServiceID, "--sender", ch.sender, "--password", ch.password,
			"--cert", filepath.Join(demo, "system.crt"), "--key", filepath.Join(demo, "system.key"), "--application", f,
			"--app-cert", filepath.Join(demo, ch.signer+".crt"), "--app-key", filepath.Join(demo, ch.signer+".key"))
		if code != 0 || o.Status != syncchannel.StatusSuccess || o.Signed != "valid" {
			t.Errorf("%s (%s, signed by demo/%s): exit %d, %s: %s %s", filepath.Base(f), app.Channel, ch.signer, code, o.Status, o.Message, o.ErrorData)
		}
	}
}

// shep send --data FILE: a <data> element is sent as it is, any other element inside a <data>;
// a signed business document in it is verified by the gateway (an altered one is refused).
func TestSendDataFile(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	base, stop := startServe(t, data, "--population", "1")
	defer stop()
	demo := filepath.Join(data, "demo")
	send := func(file string, extra ...string) (int, sendOutcome) {
		return sendJSON(t, append([]string{"--target", base + "/bip-sync-wss-gost/", "--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge",
			"--password", "123", "--cert", filepath.Join(demo, "system.crt"), "--key", filepath.Join(demo, "system.key"), "--data", file}, extra...)...)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	request := `<data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cs="http://message.persistence.interactive.nat" xsi:type="cs:Request">` +
		`<messageId>1</messageId><senderCode>smartbridge</senderCode><iin>931002451325</iin></data>`
	if code, o := send(write("request.xml", request)); code != 0 || o.Status != syncchannel.StatusSuccess || !strings.Contains(o.Data, "ИВАНОВА") {
		t.Fatalf("a <data> file: exit %d %+v", code, o)
	}
	// The same request signed by the demo citizen (enveloped, the signature inside data).
	key, cert := readDemo(t, demo, "citizen")
	signed, err := signing.SignEnveloped([]byte(request), key, cert, signing.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if code, o := send(write("signed.xml", string(signed))); code != 0 || o.Status != syncchannel.StatusSuccess || !strings.Contains(o.Data, "ИВАНОВА") {
		t.Fatalf("a signed <data> file: exit %d %+v", code, o)
	}
	altered := bytes.Replace(signed, []byte("931002451325"), []byte("660427402182"), 1)
	if code, o := send(write("altered.xml", string(altered))); code != 1 || o.Status != "SIGNATURE_INVALID" {
		t.Fatalf("a signed <data> file altered: exit %d %+v", code, o)
	}
	// Another element goes inside a <data>: the ГБД ФЛ adapter, which reads data/iin, finds none.
	code, out, _ := shep(t, "send", "--target", base+"/bip-sync-wss-gost/", "--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge",
		"--password", "123", "--cert", filepath.Join(demo, "system.crt"), "--key", filepath.Join(demo, "system.key"), "--dump",
		"--data", write("element.xml", `<st:statement xmlns:st="urn:example:statement"><st:iin>931002451325</st:iin></st:statement>`))
	if code != 1 || !strings.Contains(out, `<data><st:statement xmlns:st="urn:example:statement"><st:iin>931002451325</st:iin></st:statement></data>`) ||
		!strings.Contains(out, "REQUEST_MALFORMED") || !strings.Contains(out, "data/iin") {
		t.Fatalf("an element file: exit %d\n%s", code, out)
	}
	if code, _, errs := shep(t, "send", "--target", base+"/bip-sync-wss-gost/", "--service", "GBDFL_UniversalServiceSync",
		"--cert", filepath.Join(demo, "system.crt"), "--key", filepath.Join(demo, "system.key"), "--data", filepath.Join(dir, "missing.xml")); code != 1 || !strings.Contains(errs, "--data") {
		t.Fatalf("a missing file: exit %d %s", code, errs)
	}
}

// readDemo reads a demo identity's key and certificate.
func readDemo(t *testing.T, demo, name string) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	key, cs, err := certs.ReadKeyPair(filepath.Join(demo, name+".crt"), filepath.Join(demo, name+".key"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	return key, cs[0]
}

// shep serve --trust-ca FILE --crl FILE: the certificates of another CA are trusted once it is
// given with its CRLs; without the flags the same request is refused as untrusted. (The other CA
// bears the same names as the test НУЦ: only its keys tell them apart.)
func TestServeTrustCAAndCRL(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	other := testpki.NewCA(t, ca.Options{Dir: filepath.Join(dir, "other-ca")})
	leaf := testpki.Issue(t, other, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС ДРУГОГО УЦ"})
	keyPEM, err := ca.PEMPrivateKey(leaf.Key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"anchors.pem": append(ca.PEMCertificate(other.Root()), ca.PEMCertificate(other.Issuing())...),
		"leaf.crt":    ca.PEMCertificate(leaf.Certificate),
		"leaf.key":    keyPEM,
	}
	for name, kind := range map[string]ca.CRLKind{"full.crl": ca.CRLFull, "delta.crl": ca.CRLDelta, "root.crl": ca.CRLRoot} {
		if files[name], err = other.CRL(context.Background(), kind); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	send := func(base string) (int, sendOutcome) {
		return sendJSON(t, "--target", base+"/bip-sync-wss-gost/", "--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge", "--password", "123",
			"--cert", filepath.Join(dir, "leaf.crt"), "--key", filepath.Join(dir, "leaf.key"), "--iin", "931002451325")
	}

	base, stop := startServe(t, data, "--population", "1")
	if code, o := send(base); code != 1 || o.Status != "CERT_UNTRUSTED" {
		t.Errorf("without --trust-ca: exit %d %+v", code, o)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	base, stop = startServe(t, data, "--population", "1", "--trust-ca", filepath.Join(dir, "anchors.pem"), "--crl", filepath.Join(dir, "full.crl"),
		"--crl", filepath.Join(dir, "delta.crl"), "--crl", filepath.Join(dir, "root.crl"))
	defer stop()
	if code, o := send(base); code != 0 || o.Status != syncchannel.StatusSuccess || !strings.Contains(o.Data, "ИВАНОВА") {
		t.Errorf("with --trust-ca and --crl: exit %d %+v", code, o)
	}
	// The CRLs given are held and current.
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("readyz: %d %s", resp.StatusCode, b)
	}
}

// A second start on the same data dir reissues nothing: the gateway certificate and key, the
// demo identities, the test НУЦ, the admin token and the senders (as changed since) are the ones
// of the first start.
func TestServeRestartKeepsBootstrap(t *testing.T) {
	data := t.TempDir()
	snapshot := func() map[string]string {
		out := map[string]string{}
		err := filepath.WalkDir(data, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(data, p)
			if d.IsDir() || !(strings.HasPrefix(rel, "pki") || strings.HasPrefix(rel, "gateway") || strings.HasPrefix(rel, "demo") || rel == "admin.token") {
				return nil
			}
			if strings.HasSuffix(rel, ".crl") || strings.Contains(rel, "crl") {
				return nil // CRLs are reissued as they fall due
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out[rel] = hex.EncodeToString(sum[:])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	senders := func(base string) []string {
		code, out, errs := shep(t, "sender", "list", "--data", data, "--server", base)
		if code != 0 {
			t.Fatalf("sender list: %s", errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		slices.Sort(lines)
		return lines
	}

	base, stop := startServe(t, data, "--population", "1")
	// A demo sender changed by hand stays as it was changed.
	if code, _, errs := shep(t, "sender", "add", "--data", data, "--server", base, "--id", "smartbridge", "--password", "changed"); code != 0 {
		t.Fatalf("sender add: %s", errs)
	}
	first, firstSenders := snapshot(), senders(base)
	if code := stop(); code != 0 {
		t.Fatalf("first serve exit %d", code)
	}
	for _, f := range []string{"gateway/gateway.crt", "gateway/gateway.key", "demo/citizen.crt", "demo/operator.key", "demo/system.crt", "pki/root.crt", "admin.token"} {
		if first[f] == "" {
			t.Fatalf("the first start did not create %s (%d files)", f, len(first))
		}
	}

	base, stop = startServe(t, data, "--population", "1")
	defer stop()
	second, secondSenders := snapshot(), senders(base)
	for f, sum := range first {
		if second[f] != sum {
			t.Errorf("%s changed on the second start", f)
		}
	}
	for f := range second {
		if first[f] == "" {
			t.Errorf("%s created on the second start", f)
		}
	}
	if !slices.Equal(firstSenders, secondSenders) {
		t.Errorf("senders changed:\n%s\n---\n%s", strings.Join(firstSenders, "\n"), strings.Join(secondSenders, "\n"))
	}
	// The changed password is still the one in force.
	if code, o := sendJSON(t, "--target", base+"/bip-sync-wss-gost/", "--service", "GBDFL_UniversalServiceSync", "--sender", "smartbridge", "--password", "changed",
		"--cert", filepath.Join(data, "demo", "system.crt"), "--key", filepath.Join(data, "demo", "system.key"), "--iin", "931002451325"); code != 0 {
		t.Errorf("the changed password after a restart: %+v", o)
	}
}
