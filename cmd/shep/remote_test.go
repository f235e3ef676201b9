package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRemoteProviderProcess: the example provider runs as its own process on loopback; registered
// with the gateway, it serves its service end to end (requests signed by the gateway, answers
// verified against its registered certificate); once it is gone the sender gets
// PROVIDER_UNAVAILABLE.
func TestRemoteProviderProcess(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	bin := filepath.Join(dir, "shep")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base, stop := startServe(t, data, "--population", "0")
	defer stop()
	for _, id := range []struct{ name, bin string }{{"prov", "040240305628"}, {"sys", "160440007161"}} {
		if code, _, errs := shep(t, "pki", "issue", "--data", data, "--kind", "system", "--bin", id.bin, "--name", "ИС "+id.name, "--out", filepath.Join(dir, id.name)); code != 0 {
			t.Fatal(errs)
		}
	}
	provider := exec.Command(bin, "provider-example", "--addr", "127.0.0.1:0", "--cert", filepath.Join(dir, "prov.crt"), "--key", filepath.Join(dir, "prov.key"),
		"--gateway-cert", filepath.Join(data, "gateway", "gateway.crt"), "--log-level", "warn")
	stdout, err := provider.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	provider.Stderr = os.Stderr
	if err := provider.Start(); err != nil {
		t.Fatal(err)
	}
	defer provider.Process.Kill()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- addr
			}
		}
		close(lines)
	}()
	var addr string
	select {
	case addr = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("the example provider did not start")
	}
	if addr == "" {
		t.Fatal("the example provider exited")
	}
	if code, out, errs := shep(t, "provider", "add", "--data", data, "--server", base, "--id", "demo-remote", "--service", "DEMO-REMOTE-1",
		"--endpoint", "http://"+addr+"/", "--cert", filepath.Join(dir, "prov.crt"), "--timeout", "2s"); code != 0 {
		t.Fatalf("provider add: %s %s", out, errs)
	}
	send := func(iin string) map[string]any {
		t.Helper()
		_, out, errs := shep(t, "send", "--target", base+"/bip-sync-wss-gost/", "--service", "DEMO-REMOTE-1", "--sender", "smartbridge", "--password", "123",
			"--cert", filepath.Join(dir, "sys.crt"), "--key", filepath.Join(dir, "sys.key"), "--iin", iin, "--json")
		var o map[string]any
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("send: %v\n%s%s", err, out, errs)
		}
		return o
	}
	o := send("931002451325")
	if o["status"] != "SCSS001" || o["response_signature"] != "valid" || !strings.Contains(o["data"].(string), "positive") {
		t.Fatalf("through the remote provider: %v", o)
	}
	// A refusal of the provider (an ИИН failing the checksum) comes back as its signed fault.
	if o := send("931002451326"); o["status"] != "PROVIDER_FAULT" {
		t.Errorf("provider refusal: %v", o)
	}
	if err := provider.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = provider.Wait()
	if o := send("931002451325"); o["status"] != "PROVIDER_UNAVAILABLE" {
		t.Errorf("provider down: %v", o)
	}
}
