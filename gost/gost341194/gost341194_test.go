package gost341194

import (
	"bytes"
	"encoding"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"strings"
	"testing"
)

// reversedHex decodes a value RFC 5831 prints as a big-endian number into the byte string that
// implementations (and this package) use: the same bytes in reverse order.
func reversedHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

// The examples of RFC 5831 §7.3 (test parameters of §7.1, H0 = 0), as the RFC prints them.
const (
	rfcM1 = "73657479622032333D6874676E656C202C6567617373656D2073692073696854"
	rfcH1 = "FAFF37A615A816691CFF3EF8B68CA247E09525F39F8119832EB81975D366C4B1"
	rfcM2 = "7365747962203035203D206874676E656C2073616820656761737365" +
		"6D206C616E696769726F206568742065736F70707553"
	rfcH2 = "0852F5623B89DD57AEB4781FE54DF14EEAFBC1350613763A0D770AA657BA1A47"
)

func TestRFC5831Vectors(t *testing.T) {
	tests := []struct {
		msg, hash string // as printed in RFC 5831 §7.3
		text      string // the message as a string, once reversed
		digest    string // the digest in this package's (and gost-engine's) byte order
	}{
		{rfcM1, rfcH1, "This is message, length=32 bytes",
			"b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa"},
		{rfcM2, rfcH2, "Suppose the original message has length = 50 bytes",
			"471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208"},
	}
	for _, tc := range tests {
		msg := reversedHex(t, tc.msg)
		if string(msg) != tc.text {
			t.Fatalf("reversed RFC message = %q, want %q", msg, tc.text)
		}
		want := reversedHex(t, tc.hash)
		if hex.EncodeToString(want) != tc.digest {
			t.Fatalf("reversed RFC hash = %x, want %s", want, tc.digest)
		}
		if got := Sum(TestParamSet, msg); !bytes.Equal(got[:], want) {
			t.Errorf("Sum(TestParamSet, %q) = %x, want %x", msg, got, want)
		}
		h := New(TestParamSet)
		h.Write(msg)
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("New(TestParamSet) on %q = %x, want %x", msg, got, want)
		}
	}
}

// Further published values, in byte-string order. Test parameters: the list that accompanies the
// standard's examples (e.g. Wikipedia's "GOST (hash function)", libmhash, Bouncy Castle "D-Test").
// CryptoPro parameters: the same strings through gost-engine (openssl dgst -engine gost -md_gost94)
// and Bouncy Castle's "D-A" tests; except for "", where gost-engine differs (see engine_test.go).
func TestPublishedVectors(t *testing.T) {
	tests := []struct {
		ps   ParamSet
		msg  string
		want string
	}{
		{TestParamSet, "", "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"},
		{TestParamSet, "a", "d42c539e367c66e9c88a801f6649349c21871b4344c6a573f849fdce62f314dd"},
		{TestParamSet, "abc", "f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d"},
		{TestParamSet, "message digest", "ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d"},
		{TestParamSet, "The quick brown fox jumps over the lazy dog", "77b7fa410c9ac58a25f49bca7d0468c9296529315eaca76bd1a10f376d1f4294"},
		{TestParamSet, strings.Repeat("U", 128), "53a3a3ed25180cef0c1d85a074273e551c25660a87062a52d926a9e8fe5733a4"},
		{TestParamSet, strings.Repeat("a", 1000000), "5c00ccc2734cdd3332d3d4749576e3c1a7dbaf0e7ea74e9fa602413c90a129fa"},
		{CryptoProParamSet, "", "981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0"},
		{CryptoProParamSet, "a", "e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011"},
		{CryptoProParamSet, "abc", "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c"},
		{CryptoProParamSet, "message digest", "bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0"},
		{CryptoProParamSet, "This is message, length=32 bytes", "2cefc2f7b7bdc514e18ea57fa74ff357e7fa17d652c75f69cb1be7893ede48eb"},
		{CryptoProParamSet, "Suppose the original message has length = 50 bytes", "c3730c5cbccacf915ac292676f21e8bd4ef75331d9405e5f1a61dc3130a65011"},
		{CryptoProParamSet, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "73b70a39497de53a6e08c67b6d4db853540f03e9389299d9b0156ef7e85d0f61"},
		{CryptoProParamSet, strings.Repeat("a", 1000000), "8693287aa62f9478f7cb312ec0866b6c4e4a0f11160441e8f4ffcd2715dd554f"},
	}
	for _, tc := range tests {
		name := tc.msg
		if len(name) > 20 {
			name = name[:20] + "…"
		}
		t.Run(tc.ps.String()+"/"+name, func(t *testing.T) {
			if got := Sum(tc.ps, []byte(tc.msg)); hex.EncodeToString(got[:]) != tc.want {
				t.Errorf("Sum = %x, want %s", got, tc.want)
			}
		})
	}
}

func TestParamSetsDiffer(t *testing.T) {
	a, b := Sum(TestParamSet, []byte("abc")), Sum(CryptoProParamSet, []byte("abc"))
	if a == b {
		t.Fatal("the two parameter sets give the same digest")
	}
}

func TestUnknownParamSetPanics(t *testing.T) {
	for _, ps := range []ParamSet{-1, 2, 99} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatalf("New(%d) did not panic", ps)
				}
				if s, _ := r.(string); !strings.Contains(s, "unknown ParamSet") {
					t.Fatalf("New(%d) panicked with %v", ps, r)
				}
			}()
			New(ps)
		}()
	}
}

func TestHashInterface(t *testing.T) {
	for _, ps := range []ParamSet{TestParamSet, CryptoProParamSet} {
		h := New(ps)
		if h.Size() != Size || h.BlockSize() != BlockSize {
			t.Fatalf("Size, BlockSize = %d, %d", h.Size(), h.BlockSize())
		}
		data := []byte("Suppose the original message has length = 50 bytes")
		h.Write(data[:7])
		mid := h.Sum([]byte("pre"))
		if !bytes.HasPrefix(mid, []byte("pre")) || len(mid) != 3+Size {
			t.Fatalf("Sum did not append: %x", mid)
		}
		h.Write(data[7:])
		want := Sum(ps, data)
		if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Fatalf("%v: Sum after an intermediate Sum = %x, want %x", ps, got, want)
		}
		h.Reset()
		empty := Sum(ps, nil)
		if got := h.Sum(nil); !bytes.Equal(got, empty[:]) {
			t.Fatalf("%v: Sum after Reset = %x, want %x", ps, got, empty)
		}
	}
}

func TestRandomSplits(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'g', 'o', 's', 't', '9', '4'}))
	for _, ps := range []ParamSet{TestParamSet, CryptoProParamSet} {
		for range 200 {
			data := make([]byte, rng.IntN(300))
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			want := Sum(ps, data)
			h := New(ps)
			for rest := data; len(rest) > 0; {
				n := rng.IntN(min(len(rest), 70) + 1)
				h.Write(rest[:n])
				rest = rest[n:]
			}
			if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("%v, len %d: split digest %x != one-shot %x", ps, len(data), got, want)
			}
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 10)
	for _, ps := range []ParamSet{TestParamSet, CryptoProParamSet} {
		for _, cut := range []int{0, 1, 31, 32, 33, 100} {
			h := New(ps)
			h.Write(data[:cut])
			state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			h2 := New(ps)
			if err := h2.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
				t.Fatalf("%v cut %d: %v", ps, cut, err)
			}
			h2.Write(data[cut:])
			want := Sum(ps, data)
			if got := h2.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("%v cut %d: restored digest %x, want %x", ps, cut, got, want)
			}
			if err := New(1 - ps).(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err == nil {
				t.Fatalf("%v: state accepted by the other parameter set", ps)
			}
			if err := h2.(encoding.BinaryUnmarshaler).UnmarshalBinary(state[:len(state)-1]); err == nil {
				t.Fatalf("%v: truncated state accepted", ps)
			}
		}
	}
}

func FuzzStreaming(f *testing.F) {
	f.Add([]byte(""), uint16(0), uint16(0))
	f.Add(bytes.Repeat([]byte{0x5a}, 32), uint16(1), uint16(31))
	f.Add(bytes.Repeat([]byte("xyz"), 50), uint16(32), uint16(64))
	f.Fuzz(func(t *testing.T, data []byte, a, b uint16) {
		i, j := int(a)%(len(data)+1), int(b)%(len(data)+1)
		if i > j {
			i, j = j, i
		}
		for _, ps := range []ParamSet{TestParamSet, CryptoProParamSet} {
			h := New(ps)
			h.Write(data[:i])
			h.Write(data[i:j])
			h.Write(data[j:])
			want := Sum(ps, data)
			if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("%v, splits %d,%d of %d: %x != %x", ps, i, j, len(data), got, want)
			}
		}
	})
}

func benchmark(b *testing.B, h hash.Hash, n int) {
	data := make([]byte, n)
	b.SetBytes(int64(n))
	var out []byte
	for b.Loop() {
		h.Reset()
		h.Write(data)
		out = h.Sum(out[:0])
	}
}

func BenchmarkTestParamSet_1K(b *testing.B)   { benchmark(b, New(TestParamSet), 1<<10) }
func BenchmarkTestParamSet_64K(b *testing.B)  { benchmark(b, New(TestParamSet), 64<<10) }
func BenchmarkCryptoProParam_1K(b *testing.B) { benchmark(b, New(CryptoProParamSet), 1<<10) }
func BenchmarkCryptoProParam_64K(b *testing.B) {
	benchmark(b, New(CryptoProParamSet), 64<<10)
}
