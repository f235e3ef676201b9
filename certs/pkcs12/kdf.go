package pkcs12

import (
	"fmt"
	"hash"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Diversifier IDs of the PKCS#12 key derivation (RFC 7292 appendix B.3).
const (
	kdfKey = 1
	kdfIV  = 2
	kdfMAC = 3
)

// pkcs12KDF is the PKCS#12 v1.0 key derivation of RFC 7292 appendix B.2. password is the BMPString
// form (see bmpPassword); n is the number of bytes wanted.
func pkcs12KDF(newHash func() hash.Hash, id byte, password, salt []byte, iterations, n int) []byte {
	h := newHash()
	u := h.Size()
	v := h.BlockSize()
	d := make([]byte, v)
	for i := range d {
		d[i] = id
	}
	// I = S || P, each repeated to a multiple of v bytes (empty stays empty).
	in := append(repeatTo(salt, v), repeatTo(password, v)...)
	c := (n + u - 1) / u
	out := make([]byte, 0, c*u)
	a := make([]byte, 0, u)
	b := make([]byte, v)
	for i := 0; i < c; i++ {
		h.Reset()
		h.Write(d)
		h.Write(in)
		a = h.Sum(a[:0])
		for r := 1; r < iterations; r++ {
			h.Reset()
			h.Write(a)
			a = h.Sum(a[:0])
		}
		out = append(out, a...)
		if i == c-1 {
			break
		}
		for k := range b {
			b[k] = a[k%u]
		}
		// Each v-byte block I_j of I becomes (I_j + B + 1) mod 2^(8v).
		for j := 0; j < len(in); j += v {
			blk := in[j : j+v]
			carry := uint(1)
			for k := v - 1; k >= 0; k-- {
				sum := uint(blk[k]) + uint(b[k]) + carry
				blk[k] = byte(sum)
				carry = sum >> 8
			}
		}
	}
	return out[:n]
}

func repeatTo(x []byte, v int) []byte {
	if len(x) == 0 {
		return nil
	}
	out := make([]byte, v*((len(x)+v-1)/v))
	for i := range out {
		out[i] = x[i%len(x)]
	}
	return out
}

// bmpPassword encodes a password as RFC 7292 appendix B.1 asks: a BMPString (UTF-16BE; characters
// beyond the BMP as surrogate pairs, as OpenSSL does) with a terminating NUL. "" becomes 00 00.
func bmpPassword(s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("pkcs12: the password is not valid UTF-8")
	}
	u := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		out = append(out, byte(c>>8), byte(c))
	}
	return append(out, 0, 0), nil
}

// latin1Password is the BMPString some older writers produced for a non-ASCII password: each byte
// of the string taken as one character. It returns nil when that equals the UTF-8 reading.
func latin1Password(s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return nil
	}
	out := make([]byte, 0, 2*len(s)+2)
	for i := 0; i < len(s); i++ {
		out = append(out, 0, s[i])
	}
	return append(out, 0, 0)
}

// decodeUTF16BE decodes big-endian UTF-16, dropping one trailing NUL some writers add.
func decodeUTF16BE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return strings.TrimSuffix(string(utf16.Decode(u)), "\x00")
}
