package streebog

import (
	"bytes"
	"github.com/shep-kz/shep/internal/gostengine"
	"math/rand/v2"
	"testing"
)

// Cross-checks against OpenSSL's gost-engine (Debian: apt-get install libengine-gost-openssl).
// Without the engine the test is skipped, unless SHEP_REQUIRE_GOST_ENGINE is set (CI sets it to
// 1), in which case a missing engine is a failure.

// engine finds gost-engine, probing it with a digest known independently of this package.
func engine(t *testing.T) *gostengine.Engine {
	return gostengine.Find(t, "-md_gost12_512", []byte("012345678901234567890123456789012345678901234567890123456789012"), "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48")
}

func TestAgainstGostEngine(t *testing.T) {
	eng := engine(t)
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
			want, err := eng.Digest(tc.md, data)
			if err != nil {
				t.Fatalf("openssl dgst %v %s: %v", eng.Args, tc.md, err)
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
