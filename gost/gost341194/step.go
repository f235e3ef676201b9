package gost341194

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
)

// Packed S-boxes in the RFC 4357 layout: for box b (0..7, box 0 substitutes the least
// significant nibble; K1 in GOST 28147-89's numbering) and input nibble v, the entry is
// byte[4·v + b/2], high nibble for even b and low nibble for odd b.
const (
	// Test S-boxes of GOST R 34.11-94 (RFC 5831 §7.1; id-GostR3411-94-TestParamSet).
	testSBox = "4E5764D1AB8DCBBF941A7A4D2CD11010D6A057358D38F2F70F49D15AEA2F8D94" +
		"62EE4309B3F4A6A218C698E3C17CE57E706B0966F7023C8B5595BF2839B32ECC"
	// id-GostR3411-94-CryptoProParamSet S-boxes (RFC 4357 §11.2).
	cryptoProSBox = "A57477D14FFA66E354C7424A60ECB41982909D751D4FC90B3B122F547908A0AF" +
		"D13E1A38C7B181C6E65605870325EBFE9C6DF86D2EABDE20BA893C92F8D353BC"
)

// c3 is the constant C3 of the key generation (RFC 5831), printed there as the big-endian
// number ff00ffff000000ffff0000ff00ffff0000ff00ff00ff00ffff00ff00ff00ff00; here in byte-string order.
var c3 = [32]byte{
	0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff,
	0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
	0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0x00, 0xff,
	0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0xff,
}

// paramTables is indexed by ParamSet; computed once at package initialisation, only read after.
var paramTables = [...]*cipherTables{
	TestParamSet:      newCipherTables(testSBox),
	CryptoProParamSet: newCipherTables(cryptoProSBox),
}

// cipherTables holds the GOST 28147-89 round function for one S-box set: sub[i][x] is byte x at
// byte position i of the round input, substituted by boxes 2i and 2i+1 and rotated left by 11,
// so f(x) = sub[0][x&0xff] ^ sub[1][x>>8&0xff] ^ sub[2][x>>16&0xff] ^ sub[3][x>>24].
type cipherTables struct {
	sub [4][256]uint32
}

func newCipherTables(packedHex string) *cipherTables {
	packed, err := hex.DecodeString(packedHex)
	if err != nil || len(packed) != 64 {
		panic("gost341194: malformed S-box constant")
	}
	entry := func(box, v int) uint32 {
		b := packed[4*v+box/2]
		if box%2 == 0 {
			return uint32(b >> 4)
		}
		return uint32(b & 0x0f)
	}
	t := new(cipherTables)
	for i := range 4 {
		for x := range 256 {
			s := entry(2*i, x&0x0f) | entry(2*i+1, x>>4)<<4
			t.sub[i][x] = bits.RotateLeft32(s<<(8*i), 11)
		}
	}
	return t
}

func (t *cipherTables) f(x uint32) uint32 {
	return t.sub[0][byte(x)] ^ t.sub[1][byte(x>>8)] ^ t.sub[2][byte(x>>16)] ^ t.sub[3][byte(x>>24)]
}

// encrypt is GOST 28147-89 in simple substitution (ECB) mode on one 64-bit block: 32 rounds with
// subkeys K0..K7 three times, then K7..K0.
func (t *cipherTables) encrypt(k *[8]uint32, block uint64) uint64 {
	n1, n2 := uint32(block), uint32(block>>32)
	for range 3 {
		for i := 0; i < 8; i += 2 {
			n2 ^= t.f(n1 + k[i])
			n1 ^= t.f(n2 + k[i+1])
		}
	}
	for i := 7; i > 0; i -= 2 {
		n2 ^= t.f(n1 + k[i])
		n1 ^= t.f(n2 + k[i-1])
	}
	// The last round does not swap the halves.
	return uint64(n2) | uint64(n1)<<32
}

// compress is the step function h = f(h, m) of RFC 5831: key generation, encryption of the
// four 64-bit words of h, and the mixing transformation ψ.
func (t *cipherTables) compress(h, m *[32]byte) {
	var s [32]byte
	u, v := *h, *m
	for j := range 4 {
		if j > 0 {
			u = transformA(&u)
			if j == 2 {
				for i := range u {
					u[i] ^= c3[i]
				}
			}
			v = transformA(&v)
			v = transformA(&v)
		}
		var w [32]byte
		for i := range w {
			w[i] = u[i] ^ v[i]
		}
		k := keyFromP(&w)
		hj := binary.LittleEndian.Uint64(h[8*j:])
		binary.LittleEndian.PutUint64(s[8*j:], t.encrypt(&k, hj))
	}

	// ψ acts on the sixteen 16-bit words y16‖…‖y1 (y1 least significant): it shifts them down one
	// place and puts y1⊕y2⊕y3⊕y4⊕y13⊕y16 on top. Applying it n times to w[0:16] leaves the
	// result in w[n:n+16] of the sequence w[i+16] = w[i]⊕w[i+1]⊕w[i+2]⊕w[i+3]⊕w[i+12]⊕w[i+15].
	var w [16 + 61]uint16
	for i := range 16 {
		w[i] = binary.LittleEndian.Uint16(s[2*i:])
	}
	psi(w[:16+12])
	// H ⊕ ψ(M ⊕ ψ^12(S)): start a new sequence from M ⊕ ψ^12(S).
	var x [16 + 61]uint16
	for i := range 16 {
		x[i] = w[12+i] ^ binary.LittleEndian.Uint16(m[2*i:])
	}
	psi(x[:17])
	for i := range 16 {
		w[i] = x[1+i] ^ binary.LittleEndian.Uint16(h[2*i:])
	}
	psi(w[:])
	for i := range 16 {
		binary.LittleEndian.PutUint16(h[2*i:], w[61+i])
	}
}

// psi extends w[0:16] over the whole slice, applying ψ len(w)-16 times.
func psi(w []uint16) {
	for i := 16; i < len(w); i++ {
		w[i] = w[i-16] ^ w[i-15] ^ w[i-14] ^ w[i-13] ^ w[i-4] ^ w[i-1]
	}
}

// transformA is A(y4‖y3‖y2‖y1) = (y1⊕y2)‖y4‖y3‖y2 on 64-bit words, y1 the least significant
// (bytes 0..7 of the byte string).
func transformA(y *[32]byte) [32]byte {
	var r [32]byte
	copy(r[0:24], y[8:32])
	for i := range 8 {
		r[24+i] = y[i] ^ y[8+i]
	}
	return r
}

// keyFromP applies the byte permutation P (RFC 5831: φ(i+1+4(k-1)) = 8i+k, i = 0..3,
// k = 1..8, bytes numbered from the least significant) and splits the result into the
// little-endian subkeys K0..K7 of GOST 28147-89.
func keyFromP(w *[32]byte) [8]uint32 {
	var p [32]byte
	for i := range 4 {
		for k := range 8 {
			p[i+4*k] = w[8*i+k]
		}
	}
	var k [8]uint32
	for i := range k {
		k[i] = binary.LittleEndian.Uint32(p[4*i:])
	}
	return k
}
