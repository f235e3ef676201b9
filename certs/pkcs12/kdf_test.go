package pkcs12

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"testing"
)

func TestBMPPassword(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{"Beavis", "0042006500610076006900730000", false}, // the example of RFC 7292 appendix B.1
		{"", "0000", false},
		{"Ключ", "041a043b044e04470000", false},
		{"a\U0001F600", "0061d83dde000000", false},
		{"\xff", "", true},
	}
	for _, tt := range tests {
		got, err := bmpPassword(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("bmpPassword(%q) accepted invalid UTF-8", tt.in)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got) != tt.want {
			t.Errorf("bmpPassword(%q) = %x, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if got := latin1Password("abc"); got != nil {
		t.Errorf("latin1Password(ascii) = %x, want nil", got)
	}
	if got := hex.EncodeToString(latin1Password("\xe9")); got != "00e90000" {
		t.Errorf("latin1Password(é in Latin-1) = %s", got)
	}
}

// TestPKCS12KDF compares the RFC 7292 appendix B.2 derivation with OpenSSL's PKCS12KDF, over
// hashes with 64- and 128-byte blocks, outputs of several hash lengths (the carry of step 6C),
// salts and passwords that are not a multiple of the block, and the empty BMP password.
func TestPKCS12KDF(t *testing.T) {
	sesame, _ := bmpPassword("sesame")
	long, _ := bmpPassword(strings.Repeat("пароль-", 9))
	empty, _ := bmpPassword("")
	tests := []struct {
		name    string
		hash    func() hash.Hash
		digest  string
		id      byte
		pw      []byte
		salt    []byte
		iter, n int
		want    string // pinned where a value is published; else from OpenSSL only
	}{
		{"sesame key", sha1.New, "SHA1", kdfKey, sesame, mustHex(t, "ffffffffffffffff"), 2048, 24, "7cd9fd3e2b3be7691a44e3bef0f9ea0fb9b897d4e325d9d1"},
		{"sesame iv", sha1.New, "SHA1", kdfIV, sesame, mustHex(t, "ffffffffffffffff"), 2048, 8, ""},
		{"long output sha1", sha1.New, "SHA1", kdfKey, long, bytes.Repeat([]byte{0xff}, 70), 3, 100, ""},
		{"mac sha256", sha256.New, "SHA256", kdfMAC, sesame, []byte("salt-salt-salt"), 1000, 32, ""},
		{"long output sha256", sha256.New, "SHA256", kdfKey, long, bytes.Repeat([]byte{0xfe}, 65), 2, 97, ""},
		{"sha512 block 128", sha512.New, "SHA512", kdfKey, long, bytes.Repeat([]byte{0xff}, 130), 5, 150, ""},
		{"empty password", sha1.New, "SHA1", kdfMAC, empty, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1, 20, ""},
		{"one iteration", sha1.New, "SHA1", kdfIV, sesame, []byte{0}, 1, 8, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hex.EncodeToString(pkcs12KDF(tt.hash, tt.id, tt.pw, tt.salt, tt.iter, tt.n))
			want := openssl(t, "", "kdf", "-keylen", strconv.Itoa(tt.n),
				"-kdfopt", "digest:"+tt.digest,
				"-kdfopt", "hexpass:"+hex.EncodeToString(tt.pw),
				"-kdfopt", "hexsalt:"+hex.EncodeToString(tt.salt),
				"-kdfopt", "iter:"+strconv.Itoa(tt.iter),
				"-kdfopt", "id:"+strconv.Itoa(int(tt.id)), "PKCS12KDF")
			want = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(want), ":", ""))
			if got != want {
				t.Errorf("pkcs12KDF = %s\n   openssl = %s", got, want)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("pkcs12KDF = %s, want %s", got, tt.want)
			}
		})
	}
}
