package gost341194

import (
	"bytes"
	"github.com/shep-kz/shep/internal/gostengine"
	"math/rand/v2"
	"testing"
)

// Cross-checks against OpenSSL's gost-engine (Debian: apt-get install libengine-gost-openssl),
// whose md_gost94 is GOST R 34.11-94 with the CryptoPro parameter set. Without the engine the
// test is skipped, unless SHEP_REQUIRE_GOST_ENGINE is set (CI sets it to 1), in which case a
// missing engine is a failure.

// engine finds gost-engine, probing it with a digest known independently of this package.
func engine(t *testing.T) *gostengine.Engine {
	return gostengine.Find(t, "-md_gost94", []byte("abc"), "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c")
}

func TestAgainstGostEngine(t *testing.T) {
	eng := engine(t)
	rng := rand.New(rand.NewChaCha8([32]byte{'e', 'n', 'g', 'i', 'n', 'e'}))
	for _, n := range []int{1, 31, 32, 33, 63, 64, 65, 1000, 100000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		want, err := eng.Digest("-md_gost94", data)
		if err != nil {
			t.Fatalf("openssl dgst %v -md_gost94: %v", eng.Args, err)
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
	eng := engine(t)
	got, err := eng.Digest("-md_gost94", nil)
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
