package pkcs12

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"testing"
)

// TestRC2Vectors checks the test vectors of RFC 2268 section 5 in both directions.
func TestRC2Vectors(t *testing.T) {
	tests := []struct {
		key, plain, cipher string
		bits               int
	}{
		{"0000000000000000", "0000000000000000", "ebb773f993278eff", 63},
		{"ffffffffffffffff", "ffffffffffffffff", "278b27e42e2f0d49", 64},
		{"3000000000000000", "1000000000000001", "30649edf9be7d2c2", 64},
		{"88", "0000000000000000", "61a8a244adacccf0", 64},
		{"88bca90e90875a", "0000000000000000", "6ccf4308974c267f", 64},
		{"88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "1a807d272bbe5db1", 64},
		{"88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "2269552ab0f85ca6", 128},
		{"88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", "0000000000000000", "5b78d3a43dfff1f1", 129},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.cipher, func(t *testing.T) {
			key, plain, want := mustHex(t, tt.key), mustHex(t, tt.plain), mustHex(t, tt.cipher)
			c, err := newRC2(key, tt.bits)
			if err != nil {
				t.Fatal(err)
			}
			var _ cipher.Block = c
			got := make([]byte, 8)
			c.Encrypt(got, plain)
			if !bytes.Equal(got, want) {
				t.Errorf("encrypt = %x, want %x", got, want)
			}
			c.Decrypt(got, want)
			if !bytes.Equal(got, plain) {
				t.Errorf("decrypt = %x, want %x", got, plain)
			}
		})
	}
}

func TestRC2CBCRoundTripAndErrors(t *testing.T) {
	c, err := newRC2([]byte{1, 2, 3, 4, 5}, 40)
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, 8)
	msg := []byte("a message that spans several RC2 blocks")
	ct := cbcEncrypt(c, iv, msg)
	if len(ct)%8 != 0 || bytes.Contains(ct, msg[:8]) {
		t.Fatalf("ciphertext %x looks wrong", ct)
	}
	back, err := cbcDecrypt(c, iv, ct, "test")
	if err != nil || !bytes.Equal(back, msg) {
		t.Fatalf("round trip = %q, %v", back, err)
	}
	for _, tt := range []struct {
		key  []byte
		bits int
	}{{nil, 40}, {make([]byte, 129), 40}, {[]byte{1}, 0}, {[]byte{1}, 1025}} {
		if _, err := newRC2(tt.key, tt.bits); err == nil {
			t.Errorf("newRC2(%d bytes, %d bits) accepted", len(tt.key), tt.bits)
		}
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
