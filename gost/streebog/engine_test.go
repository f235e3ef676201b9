package streebog

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

// Cross-checks against OpenSSL's gost-engine (Debian: apt-get install libengine-gost-openssl).
// Without the engine the test is skipped, unless SHEP_REQUIRE_GOST_ENGINE is set (CI sets it to
// 1), in which case a missing engine is a failure.

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
			// Probe with RFC 6986 M1, whose digest is known independently of this package.
			out, err := runDgst(openssl, args, "-md_gost12_512", []byte("012345678901234567890123456789012345678901234567890123456789012"))
			want := "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
			if err == nil && fmt.Sprintf("%x", out) == want {
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

func runDgst(openssl string, engine []string, md string, data []byte) ([]byte, error) {
	args := append([]string{"dgst"}, engine...)
	args = append(args, md, "-binary")
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
	for _, n := range []int{0, 1, 31, 32, 63, 64, 65, 127, 128, 1000, 100000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		for _, tc := range []struct {
			md   string
			size int
		}{{"-md_gost12_256", Size256}, {"-md_gost12_512", Size512}} {
			want, err := runDgst(openssl, engine, tc.md, data)
			if err != nil {
				t.Fatalf("openssl dgst %v %s: %v", engine, tc.md, err)
			}
			if len(want) != tc.size {
				t.Fatalf("openssl dgst %s returned %d bytes, want %d", tc.md, len(want), tc.size)
			}
			if got := sum(tc.size, data); !bytes.Equal(got, want) {
				t.Errorf("%s, %d random bytes: got %x, gost-engine %x", tc.md, n, got, want)
			}
		}
	}
}
