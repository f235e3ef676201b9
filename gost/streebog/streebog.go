// Package streebog implements the GOST R 34.11-2012 hash function "Streebog" (RFC 6986), which
// Kazakhstan adopted as GOST 34.11-2015, with 256- and 512-bit outputs, from the public specification.
//
// # Byte order
//
// Input and output are byte strings in the order OpenSSL's gost-engine (md_gost12_256,
// md_gost12_512) and the DigestValue of НУЦ РК XML signatures use them. RFC 6986 §10 prints
// messages and hash codes as big-endian numbers, which is the same data byte-reversed: the RFC
// message M1 "3231…3130" is the ASCII string "012345678901234567890123456789012345678901234567890123456789012",
// and its printed 512-bit hash "486f64c1…1b" is the digest 1b54d01a…646f48 returned here.
// A Streebog-256 digest is the most significant half of the final state, i.e. bytes 32..63 of the
// 512-bit state in this byte order.
package streebog

import (
	"encoding/binary"
	"errors"
	"hash"
	"math/bits"
)

// Output and block sizes in bytes.
const (
	Size256   = 32
	Size512   = 64
	BlockSize = 64
)

// New256 returns a Streebog-256 hash (initial vector 0x01 repeated).
func New256() hash.Hash { return newDigest(Size256) }

// New512 returns a Streebog-512 hash (initial vector zero).
func New512() hash.Hash { return newDigest(Size512) }

// Sum256 returns the Streebog-256 digest of data.
func Sum256(data []byte) [Size256]byte {
	d := digest{size: Size256}
	d.Reset()
	d.Write(data)
	full := d.final()
	var out [Size256]byte
	copy(out[:], full[Size512-Size256:])
	return out
}

// Sum512 returns the Streebog-512 digest of data.
func Sum512(data []byte) [Size512]byte {
	d := digest{size: Size512}
	d.Reset()
	d.Write(data)
	return d.final()
}

// digest is the state of the RFC 6986 hash procedure: h, the bit counter N and the checksum Σ, each held as 8
// little-endian 64-bit words (word 0 is the least significant), plus a partial block.
type digest struct {
	h, n, sigma [8]uint64
	buf         [BlockSize]byte
	nbuf        int
	size        int
}

func newDigest(size int) *digest {
	d := &digest{size: size}
	d.Reset()
	return d
}

func (d *digest) Size() int      { return d.size }
func (d *digest) BlockSize() int { return BlockSize }

func (d *digest) Reset() {
	var iv uint64
	if d.size == Size256 {
		iv = 0x0101010101010101
	}
	for i := range d.h {
		d.h[i] = iv
	}
	d.n = [8]uint64{}
	d.sigma = [8]uint64{}
	d.nbuf = 0
}

// Write absorbs p. Full blocks are compressed at once: RFC 6986 always ends with a padded block
// (its stage 3), even when the message length is a multiple of 512 bits.
func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	if d.nbuf > 0 {
		c := copy(d.buf[d.nbuf:], p)
		d.nbuf += c
		p = p[c:]
		if d.nbuf < BlockSize {
			return n, nil
		}
		d.block(d.buf[:])
		d.nbuf = 0
	}
	for len(p) >= BlockSize {
		d.block(p[:BlockSize])
		p = p[BlockSize:]
	}
	d.nbuf = copy(d.buf[:], p)
	return n, nil
}

func (d *digest) Sum(in []byte) []byte {
	c := *d
	full := c.final()
	return append(in, full[Size512-d.size:]...)
}

// block runs stage 2 of the RFC 6986 procedure on one 64-byte block.
func (d *digest) block(b []byte) {
	var m [8]uint64
	for i := range m {
		m[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	compress(&d.h, &d.n, &m)
	addCounter(&d.n, BlockSize*8)
	add512(&d.sigma, &m)
}

// final runs stage 3 of the RFC 6986 procedure and returns the 512-bit state in byte-string order.
func (d *digest) final() [Size512]byte {
	var pad [BlockSize]byte
	copy(pad[:], d.buf[:d.nbuf])
	pad[d.nbuf] = 0x01
	var m [8]uint64
	for i := range m {
		m[i] = binary.LittleEndian.Uint64(pad[8*i:])
	}
	compress(&d.h, &d.n, &m)
	addCounter(&d.n, uint64(d.nbuf)*8)
	add512(&d.sigma, &m)
	var zero [8]uint64
	compress(&d.h, &zero, &d.n)
	compress(&d.h, &zero, &d.sigma)
	var out [Size512]byte
	for i, w := range d.h {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out
}

// addCounter adds v to the 512-bit number x.
func addCounter(x *[8]uint64, v uint64) {
	var c uint64
	x[0], c = bits.Add64(x[0], v, 0)
	for i := 1; i < 8 && c != 0; i++ {
		x[i], c = bits.Add64(x[i], 0, c)
	}
}

// add512 sets x = x + y mod 2^512.
func add512(x, y *[8]uint64) {
	var c uint64
	for i := range x {
		x[i], c = bits.Add64(x[i], y[i], c)
	}
}

// compress is the compression function g_N(h, m) = E(LPS(h ⊕ N), m) ⊕ h ⊕ m of RFC 6986.
func compress(h, n, m *[8]uint64) {
	var k, s [8]uint64
	lpsXor(&k, h, n)
	lpsXor(&s, &k, m)
	for i := range 11 {
		lpsXor(&k, &k, &roundC[i])
		lpsXor(&s, &k, &s)
	}
	lpsXor(&k, &k, &roundC[11])
	for i := range h {
		h[i] ^= s[i] ^ k[i] ^ m[i]
	}
}

// lpsXor sets dst = L(P(S(a ⊕ b))). dst may alias a or b.
//
// Output word i gathers byte i of every input word j (the transposition P), substituted by pi and
// multiplied by the rows of A that byte position j selects: both folded into lpsTable[j].
func lpsXor(dst, a, b *[8]uint64) {
	x0, x1, x2, x3 := a[0]^b[0], a[1]^b[1], a[2]^b[2], a[3]^b[3]
	x4, x5, x6, x7 := a[4]^b[4], a[5]^b[5], a[6]^b[6], a[7]^b[7]
	t := lpsTable
	dst[0] = t[0][byte(x0)] ^ t[1][byte(x1)] ^ t[2][byte(x2)] ^ t[3][byte(x3)] ^
		t[4][byte(x4)] ^ t[5][byte(x5)] ^ t[6][byte(x6)] ^ t[7][byte(x7)]
	dst[1] = t[0][byte(x0>>8)] ^ t[1][byte(x1>>8)] ^ t[2][byte(x2>>8)] ^ t[3][byte(x3>>8)] ^
		t[4][byte(x4>>8)] ^ t[5][byte(x5>>8)] ^ t[6][byte(x6>>8)] ^ t[7][byte(x7>>8)]
	dst[2] = t[0][byte(x0>>16)] ^ t[1][byte(x1>>16)] ^ t[2][byte(x2>>16)] ^ t[3][byte(x3>>16)] ^
		t[4][byte(x4>>16)] ^ t[5][byte(x5>>16)] ^ t[6][byte(x6>>16)] ^ t[7][byte(x7>>16)]
	dst[3] = t[0][byte(x0>>24)] ^ t[1][byte(x1>>24)] ^ t[2][byte(x2>>24)] ^ t[3][byte(x3>>24)] ^
		t[4][byte(x4>>24)] ^ t[5][byte(x5>>24)] ^ t[6][byte(x6>>24)] ^ t[7][byte(x7>>24)]
	dst[4] = t[0][byte(x0>>32)] ^ t[1][byte(x1>>32)] ^ t[2][byte(x2>>32)] ^ t[3][byte(x3>>32)] ^
		t[4][byte(x4>>32)] ^ t[5][byte(x5>>32)] ^ t[6][byte(x6>>32)] ^ t[7][byte(x7>>32)]
	dst[5] = t[0][byte(x0>>40)] ^ t[1][byte(x1>>40)] ^ t[2][byte(x2>>40)] ^ t[3][byte(x3>>40)] ^
		t[4][byte(x4>>40)] ^ t[5][byte(x5>>40)] ^ t[6][byte(x6>>40)] ^ t[7][byte(x7>>40)]
	dst[6] = t[0][byte(x0>>48)] ^ t[1][byte(x1>>48)] ^ t[2][byte(x2>>48)] ^ t[3][byte(x3>>48)] ^
		t[4][byte(x4>>48)] ^ t[5][byte(x5>>48)] ^ t[6][byte(x6>>48)] ^ t[7][byte(x7>>48)]
	dst[7] = t[0][byte(x0>>56)] ^ t[1][byte(x1>>56)] ^ t[2][byte(x2>>56)] ^ t[3][byte(x3>>56)] ^
		t[4][byte(x4>>56)] ^ t[5][byte(x5>>56)] ^ t[6][byte(x6>>56)] ^ t[7][byte(x7>>56)]
}

// Binary state encoding (encoding.BinaryMarshaler / BinaryUnmarshaler), as crypto/sha512 offers:
// magic, then h, N, Σ as little-endian words, the partial-block length and the full block buffer.
const (
	magic256      = "stb\x01"
	magic512      = "stb\x02"
	marshaledSize = 4 + 3*64 + 1 + BlockSize
)

func (d *digest) MarshalBinary() ([]byte, error) {
	return d.AppendBinary(make([]byte, 0, marshaledSize))
}

func (d *digest) AppendBinary(b []byte) ([]byte, error) {
	if d.size == Size256 {
		b = append(b, magic256...)
	} else {
		b = append(b, magic512...)
	}
	for _, x := range [3]*[8]uint64{&d.h, &d.n, &d.sigma} {
		for _, w := range x {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	b = append(b, byte(d.nbuf))
	return append(b, d.buf[:]...), nil
}

func (d *digest) UnmarshalBinary(b []byte) error {
	want := magic512
	if d.size == Size256 {
		want = magic256
	}
	if len(b) < len(want) || string(b[:len(want)]) != want {
		return errors.New("streebog: invalid hash state identifier")
	}
	if len(b) != marshaledSize {
		return errors.New("streebog: invalid hash state size")
	}
	b = b[len(want):]
	for _, x := range [3]*[8]uint64{&d.h, &d.n, &d.sigma} {
		for i := range x {
			x[i] = binary.LittleEndian.Uint64(b)
			b = b[8:]
		}
	}
	if int(b[0]) >= BlockSize {
		return errors.New("streebog: invalid hash state partial block length")
	}
	d.nbuf = int(b[0])
	copy(d.buf[:], b[1:])
	return nil
}
