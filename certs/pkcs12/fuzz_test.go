package pkcs12

import (
	"crypto/x509"
	"errors"
	"testing"

	"github.com/shep-kz/shep/internal/fixtures"
)

// fuzzLimits keep each input cheap: the iteration counts a mutation can produce are capped far
// below the public limits, which TestDecodeErrors and TestDecodeLimits cover.
func fuzzLimits() limits {
	l := defaultLimits()
	l.maxInput = 64 << 10
	l.maxIterations = 4096
	l.maxTotalIterations = 20000
	return l
}

// FuzzDecode: no panics; every failure wraps one of the sentinel errors; every key that comes
// back is a PrivateKeyInfo that Encode accepts and that round-trips.
func FuzzDecode(f *testing.F) {
	f.Add(fixtures.Read(f, realP12), "Qwerty12")
	k := newTestKey(f, "ec", "fuzz", false, nil)
	for _, pw := range []string{"pw", ""} {
		data, err := Encode(k.pkcs8, []*x509.Certificate{k.cert}, pw, EncodeOptions{Iterations: 3})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, pw)
		// Without the MAC, mutations reach the decryption and bag parsing.
		f.Add(rebuildPFX(f, data, 3, nil), pw)
	}
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x03, 0x30, 0x80, 0, 0, 0, 0}, "")
	sentinels := []error{ErrIncorrectPassword, ErrUnsupportedKey, ErrUnsupportedAlgorithm, ErrMalformed, ErrLimit}
	f.Fuzz(func(t *testing.T, data []byte, pw string) {
		file, err := decode(data, pw, fuzzLimits())
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		for _, key := range file.Keys {
			out, err := Encode(key.PKCS8, nil, "x", EncodeOptions{Iterations: 1})
			if err != nil {
				t.Fatalf("a decoded key is refused by Encode: %v", err)
			}
			back, err := decode(out, "x", fuzzLimits())
			if err != nil || len(back.Keys) != 1 || string(back.Keys[0].PKCS8) != string(key.PKCS8) {
				t.Fatalf("a decoded key does not round-trip: %v", err)
			}
		}
	})
}
