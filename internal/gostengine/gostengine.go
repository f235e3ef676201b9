// Package gostengine finds OpenSSL's gost-engine (Debian: libengine-gost-openssl) for the tests
// that cross-check shep's GOST hashes against it, and runs `openssl dgst` through it.
package gostengine

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// Engine is a usable openssl binary and the arguments that load gost-engine.
type Engine struct {
	OpenSSL string
	Args    []string
}

// Find returns the engine, probed by hashing probe with md and comparing with wantHex (a digest
// known independently of the code under test). "-engine gost" works with Debian's default
// configuration; the engine's full path (from `openssl version -e`, or the usual multiarch
// directories) works when OPENSSL_ENGINES or the config point elsewhere. Without the engine the
// test is skipped, unless SHEP_REQUIRE_GOST_ENGINE is set (CI sets it to 1): then it fails.
func Find(t testing.TB, md string, probe []byte, wantHex string) *Engine {
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
			e := &Engine{OpenSSL: openssl, Args: args}
			out, err := e.Digest(md, probe)
			if err == nil && fmt.Sprintf("%x", out) == wantHex {
				return e
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
	return nil
}

// Digest runs `openssl dgst ENGINE md -binary` on data.
func (e *Engine) Digest(md string, data []byte) ([]byte, error) {
	args := append(append([]string{"dgst"}, e.Args...), md, "-binary")
	cmd := exec.Command(e.OpenSSL, args...)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}
