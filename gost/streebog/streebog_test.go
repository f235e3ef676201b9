package streebog

import (
	"bytes"
	"encoding"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"testing"
)

// reversedHex decodes a value RFC 6986 prints as a big-endian number into the byte string that
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

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// The examples of RFC 6986 §10, exactly as the RFC prints them (big-endian numbers).
const (
	rfcM1 = "323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130"
	// Example 1 (§10.1): M1 hashed with 512-bit and 256-bit outputs.
	rfcH1x512 = "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b"
	rfcH1x256 = "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d"

	rfcM2 = "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1"
	// Example 2 (§10.2): M2 hashed with 512-bit and 256-bit outputs.
	rfcH2x512 = "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f037613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e"
	rfcH2x256 = "508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d"
)

// The RFC's big-endian message is an ordinary string once reversed: this pins the byte order.
func TestRFCMessagesAreReversedStrings(t *testing.T) {
	if got, want := string(reversedHex(t, rfcM1)), "012345678901234567890123456789012345678901234567890123456789012"; got != want {
		t.Fatalf("reversed M1 = %q, want %q", got, want)
	}
	m2 := reversedHex(t, rfcM2)
	// "Се ветри, Стрибожи внуци, ..." in CP1251: 'С' = 0xd1, 'е' = 0xe5.
	if len(m2) != 72 || m2[0] != 0xd1 || m2[1] != 0xe5 {
		t.Fatalf("reversed M2 = %x, want 72 bytes of CP1251 text starting d1e5", m2)
	}
}

func TestRFC6986Vectors(t *testing.T) {
	tests := []struct {
		name      string
		msg, want string // as printed in RFC 6986 §10
		size      int
		// engine is the same digest as gost-engine prints it (openssl dgst -md_gost12_*).
		engine string
	}{
		{"M1/512", rfcM1, rfcH1x512, Size512, "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"},
		{"M1/256", rfcM1, rfcH1x256, Size256, "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"},
		{"M2/512", rfcM2, rfcH2x512, Size512, "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28"},
		{"M2/256", rfcM2, rfcH2x256, Size256, "9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := reversedHex(t, tc.msg)
			want := reversedHex(t, tc.want)
			if !bytes.Equal(want, mustHex(t, tc.engine)) {
				t.Fatalf("test table inconsistent: reversed RFC value %x != engine value %s", want, tc.engine)
			}
			var oneShot []byte
			var h hash.Hash
			if tc.size == Size512 {
				s := Sum512(msg)
				oneShot, h = s[:], New512()
			} else {
				s := Sum256(msg)
				oneShot, h = s[:], New256()
			}
			if !bytes.Equal(oneShot, want) {
				t.Errorf("Sum = %x, want %x", oneShot, want)
			}
			h.Write(msg)
			if got := h.Sum(nil); !bytes.Equal(got, want) {
				t.Errorf("hash.Sum = %x, want %x", got, want)
			}
		})
	}
}

// The empty message, as gost-engine prints it (openssl dgst -engine gost -md_gost12_256 and
// -md_gost12_512): its only block is the padding block 01 00 … 00.
func TestEmptyMessage(t *testing.T) {
	tests := []struct {
		msg     string
		want256 string
		want512 string
	}{
		{"", "3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb",
			"8e945da209aa869f0455928529bcae4679e9873ab707b55315f56ceb98bef0a7362f715528356ee83cda5f2aac4c6ad2ba3a715c1bcd81cb8e9f90bf4c1c1a8a"},
	}
	for _, tc := range tests {
		if got := Sum256([]byte(tc.msg)); hex.EncodeToString(got[:]) != tc.want256 {
			t.Errorf("Sum256(%q) = %x, want %s", tc.msg, got, tc.want256)
		}
		if got := Sum512([]byte(tc.msg)); hex.EncodeToString(got[:]) != tc.want512 {
			t.Errorf("Sum512(%q) = %x, want %s", tc.msg, got, tc.want512)
		}
	}
}

func TestHashInterface(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() hash.Hash
		size int
	}{{"256", New256, Size256}, {"512", New512, Size512}} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.new()
			if h.Size() != tc.size || h.BlockSize() != BlockSize {
				t.Fatalf("Size, BlockSize = %d, %d; want %d, %d", h.Size(), h.BlockSize(), tc.size, BlockSize)
			}
			data := []byte("some data that spans more than one block of sixty-four bytes, to be safe......")
			h.Write(data[:10])
			prefix := []byte("prefix")
			mid := h.Sum(append([]byte(nil), prefix...))
			if !bytes.HasPrefix(mid, prefix) || len(mid) != len(prefix)+tc.size {
				t.Fatalf("Sum did not append: %x", mid)
			}
			h.Write(data[10:])
			if got, want := h.Sum(nil), sum(tc.size, data); !bytes.Equal(got, want) {
				t.Fatalf("Sum after an intermediate Sum = %x, want %x", got, want)
			}
			h.Reset()
			if got, want := h.Sum(nil), sum(tc.size, nil); !bytes.Equal(got, want) {
				t.Fatalf("Sum after Reset = %x, want the empty digest %x", got, want)
			}
		})
	}
}

func sum(size int, data []byte) []byte {
	if size == Size256 {
		s := Sum256(data)
		return s[:]
	}
	s := Sum512(data)
	return s[:]
}

func newHash(size int) hash.Hash {
	if size == Size256 {
		return New256()
	}
	return New512()
}

func TestRandomSplits(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'s', 't', 'r', 'e', 'e', 'b', 'o', 'g'}))
	for _, size := range []int{Size256, Size512} {
		for range 200 {
			data := make([]byte, rng.IntN(600))
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			want := sum(size, data)
			h := newHash(size)
			for rest := data; len(rest) > 0; {
				n := rng.IntN(min(len(rest), 130) + 1)
				h.Write(rest[:n])
				rest = rest[n:]
			}
			if got := h.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("size %d, len %d: split digest %x != one-shot %x", size, len(data), got, want)
			}
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 20)
	for _, size := range []int{Size256, Size512} {
		for _, cut := range []int{0, 1, 63, 64, 65, 200} {
			h := newHash(size)
			h.Write(data[:cut])
			state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			h2 := newHash(size)
			if err := h2.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
				t.Fatalf("size %d cut %d: %v", size, cut, err)
			}
			h2.Write(data[cut:])
			if got, want := h2.Sum(nil), sum(size, data); !bytes.Equal(got, want) {
				t.Fatalf("size %d cut %d: restored digest %x, want %x", size, cut, got, want)
			}
			other := newHash(Size256 + Size512 - size)
			if err := other.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err == nil {
				t.Fatalf("size %d: state accepted by the other output size", size)
			}
			if err := h2.(encoding.BinaryUnmarshaler).UnmarshalBinary(state[:len(state)-1]); err == nil {
				t.Fatalf("size %d: truncated state accepted", size)
			}
		}
	}
}

func FuzzStreaming(f *testing.F) {
	f.Add([]byte(""), uint16(0), uint16(0))
	f.Add(bytes.Repeat([]byte{0xa5}, 64), uint16(1), uint16(63))
	f.Add(bytes.Repeat([]byte("xyz"), 100), uint16(64), uint16(128))
	f.Fuzz(func(t *testing.T, data []byte, a, b uint16) {
		i, j := int(a)%(len(data)+1), int(b)%(len(data)+1)
		if i > j {
			i, j = j, i
		}
		for _, size := range []int{Size256, Size512} {
			h := newHash(size)
			h.Write(data[:i])
			h.Write(data[i:j])
			h.Write(data[j:])
			if got, want := h.Sum(nil), sum(size, data); !bytes.Equal(got, want) {
				t.Fatalf("size %d, splits %d,%d of %d: %x != %x", size, i, j, len(data), got, want)
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

func BenchmarkStreebog512_1K(b *testing.B)  { benchmark(b, New512(), 1<<10) }
func BenchmarkStreebog512_64K(b *testing.B) { benchmark(b, New512(), 64<<10) }
func BenchmarkStreebog256_1K(b *testing.B)  { benchmark(b, New256(), 1<<10) }
func BenchmarkStreebog256_64K(b *testing.B) { benchmark(b, New256(), 64<<10) }
