package gost341194

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// Cross-checks against OpenSSL's gost-engine (Debian: apt-get install libengine-gost-openssl),
// whose md_gost94 is GOST R 34.11-94 with the CryptoPro parameter set. Without the engine the
// test is skipped, unless SHEP_REQUIRE_GOST_ENGINE is set (CI sets it to 1), in which case a
// missing engine is a failure.

// gostEngineArgs returns the openssl arguments that load gost-engine: "-engine gost" works
// with Debian's default configuration; the engine's full path (from `openssl version -e`, or
// the usual multiarch directories) works when OPENSSL_ENGINES or the config point elsewhere.
func gostEngineArgs(t *testing.T) (string, []string) {
	t.Helper()
	var tried []string
	openssl, err := exec.LookPath("openssl")
	if err == nil {
		candidates := [][]string{{"-engine", "gost"}}
		var paths []string
		if out, err := exec.Command(openssl, "version", "-e").Output(); err == nil {
			if m := regexp.MustCompile(`ENGINESDIR: "([^"]+)"`).FindSubmatch(out); m != nil {
				paths = append(paths, filepath.Join(string(m[1]), "gost.so"))
			}
		}
		for _, pattern := range []string{"/usr/lib/*/engines-3/gost.so", "/usr/lib64/engines-3/gost.so", "/usr/local/lib*/engines-3/gost.so"} {
			found, _ := filepath.Glob(pattern)
			paths = append(paths, found...)
		}
		for _, p := range paths {
			candidates = append(candidates, []string{"-engine", p})
		}
		for _, args := range candidates {
			// Probe with a published CryptoPro-parameter value, known independently of this package.
			out, err := runDgst(openssl, args, []byte("abc"))
			if err == nil && fmt.Sprintf("%x", out) == "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c" {
				return openssl, args
			}
			tried = append(tried, fmt.Sprintf("%v: %v", args, err))
		}
	} else {
		tried = append(tried, "openssl not in PATH")
	}
	if v := os.Getenv("SHEP_REQUIRE_GOST_ENGINE"); v != "" && v != "0" {
		t.Fatalf("gost-engine required (SHEP_REQUIRE_GOST_ENGINE=%s) but unusable; tried %q", v, tried)
	}
	t.Skipf("gost-engine not available (install libengine-gost-openssl); tried %q", tried)
	return "", nil
}

func runDgst(openssl string, engine []string, data []byte) ([]byte, error) {
	args := append([]string{"dgst"}, engine...)
	args = append(args, "-md_gost94", "-binary")
	cmd := exec.Command(openssl, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

func TestAgainstGostEngine(t *testing.T) {
	openssl, engine := gostEngineArgs(t)
	rng := rand.New(rand.NewChaCha8([32]byte{'e', 'n', 'g', 'i', 'n', 'e'}))
	for _, n := range []int{1, 31, 32, 33, 63, 64, 65, 1000, 100000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		want, err := runDgst(openssl, engine, data)
		if err != nil {
			t.Fatalf("openssl dgst %v -md_gost94: %v", engine, err)
		}
		if got := Sum(CryptoProParamSet, data); !bytes.Equal(got[:], want) {
			t.Errorf("%d random bytes: got %x, gost-engine %x", n, got, want)
		}
	}
}

// gost-engine's md_gost94 compresses one all-zero block for the empty message, where RFC 5831
// compresses none (the standard's value for "" with CryptoPro S-boxes is 981e5f3c…d656c0).
// The engine is therefore not an oracle for "": this test pins that explanation and tolerates an
// engine that follows the RFC.
func TestGostEngineEmptyMessage(t *testing.T) {
	openssl, engine := gostEngineArgs(t)
	got, err := runDgst(openssl, engine, nil)
	if err != nil {
		t.Fatalf("openssl dgst -md_gost94 on empty input: %v", err)
	}
	rfc := Sum(CryptoProParamSet, nil)
	d := New(CryptoProParamSet).(*digest)
	var zero [BlockSize]byte
	d.block(&zero)
	quirk := d.final()
	switch {
	case bytes.Equal(got, rfc[:]):
		t.Logf("gost-engine follows RFC 5831 for the empty message: %x", got)
	case bytes.Equal(got, quirk[:]):
		t.Logf("gost-engine hashes an extra zero block for the empty message: %x (RFC: %x)", got, rfc)
	default:
		t.Fatalf("gost-engine empty-message digest %x is neither the RFC value %x nor the zero-block value %x", got, rfc, quirk)
	}
}
