// Package gost341194 implements the GOST R 34.11-94 hash function (RFC 5831) with GOST 28147-89
// as its step cipher; with the test S-boxes it is Kazakhstan's GOST 34.311-95, used by НУЦ РК 2004 keys.
//
// # Byte order
//
// Input and output are byte strings in the order OpenSSL's gost-engine (md_gost94) and the
// DigestValue of НУЦ РК XML signatures use them: the first byte of a 256-bit block is its least
// significant byte. RFC 5831 §7.3 prints messages and hash values as big-endian numbers, i.e. the
// same bytes reversed: its example "73657479…73696854" is the string "This is message, length=32 bytes",
// and its printed hash "FAFF37A6…D366C4B1" (test parameters) is the digest b1c466d3…a637fffa returned here.
//
// Internally a 64-bit block of GOST 28147-89 is read little-endian with N1 its low 32 bits, and a
// 256-bit key K is read as eight little-endian 32-bit subkeys K0..K7 (bytes 0..3 are K0).
// The initial hash value is zero for both parameter sets.
package gost341194

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/bits"
)

// ParamSet selects the GOST 28147-89 S-boxes of the step function.
type ParamSet int

const (
	// TestParamSet is id-GostR3411-94-TestParamSet (1.2.643.2.2.30.0), the S-boxes of the
	// standard's own examples (RFC 5831 §7.1); with it the function is KZ GOST 34.311-95
	// (hash parameter OID 1.2.398.3.10.1.3.1.1.0).
	TestParamSet ParamSet = iota
	// CryptoProParamSet is id-GostR3411-94-CryptoProParamSet (1.2.643.2.2.30.1, RFC 4357 §11.2),
	// the set gost-engine's md_gost94 uses.
	CryptoProParamSet
)

// Output and block sizes in bytes.
const (
	Size      = 32
	BlockSize = 32
)

func (ps ParamSet) String() string {
	switch ps {
	case TestParamSet:
		return "id-GostR3411-94-TestParamSet"
	case CryptoProParamSet:
		return "id-GostR3411-94-CryptoProParamSet"
	}
	return fmt.Sprintf("ParamSet(%d)", int(ps))
}

// New returns a GOST R 34.11-94 hash with the S-boxes of ps. It panics if ps is not one of the
// ParamSet constants.
func New(ps ParamSet) hash.Hash {
	d := &digest{ps: ps, t: tablesFor(ps)}
	d.Reset()
	return d
}

// Sum returns the GOST R 34.11-94 digest of data with the S-boxes of ps. It panics if ps is not
// one of the ParamSet constants.
func Sum(ps ParamSet, data []byte) [Size]byte {
	d := digest{ps: ps, t: tablesFor(ps)}
	d.Write(data)
	return d.final()
}

func tablesFor(ps ParamSet) *cipherTables {
	if ps < 0 || int(ps) >= len(paramTables) {
		panic(fmt.Sprintf("gost341194: unknown ParamSet %d (want TestParamSet or CryptoProParamSet)", int(ps)))
	}
	return paramTables[ps]
}

// digest is the state of the RFC 5831 hash procedure: the chaining value H, the control sum Σ of all blocks
// (mod 2^256) and the message length, plus a partial block. H and Σ are byte strings.
type digest struct {
	ps     ParamSet
	t      *cipherTables
	h, sum [32]byte
	length uint64 // bytes written
	buf    [BlockSize]byte
	nbuf   int
}

func (d *digest) Size() int      { return Size }
func (d *digest) BlockSize() int { return BlockSize }

func (d *digest) Reset() {
	d.h = [32]byte{}
	d.sum = [32]byte{}
	d.length = 0
	d.nbuf = 0
}

func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	d.length += uint64(n)
	if d.nbuf > 0 {
		c := copy(d.buf[d.nbuf:], p)
		d.nbuf += c
		p = p[c:]
		if d.nbuf < BlockSize {
			return n, nil
		}
		d.block(&d.buf)
		d.nbuf = 0
	}
	for len(p) >= BlockSize {
		d.block((*[BlockSize]byte)(p))
		p = p[BlockSize:]
	}
	d.nbuf = copy(d.buf[:], p)
	return n, nil
}

func (d *digest) Sum(in []byte) []byte {
	c := *d
	h := c.final()
	return append(in, h[:]...)
}

func (d *digest) block(m *[BlockSize]byte) {
	d.t.compress(&d.h, m)
	addLE(&d.sum, m)
}

// final pads a last partial block with zero bytes (at its most significant end), then
// compresses the bit length L and the control sum Σ (the final steps of RFC 5831).
func (d *digest) final() [Size]byte {
	if d.nbuf > 0 {
		var m [BlockSize]byte
		copy(m[:], d.buf[:d.nbuf])
		d.block(&m)
	}
	var l [32]byte
	binary.LittleEndian.PutUint64(l[0:], d.length<<3)
	binary.LittleEndian.PutUint64(l[8:], d.length>>61)
	d.t.compress(&d.h, &l)
	d.t.compress(&d.h, &d.sum)
	return d.h
}

// addLE sets x = x + y mod 2^256, both little-endian byte strings.
func addLE(x, y *[32]byte) {
	var c uint64
	for i := 0; i < 32; i += 8 {
		var s uint64
		s, c = bits.Add64(binary.LittleEndian.Uint64(x[i:]), binary.LittleEndian.Uint64(y[i:]), c)
		binary.LittleEndian.PutUint64(x[i:], s)
	}
}

// Binary state encoding (encoding.BinaryMarshaler / BinaryUnmarshaler): magic, parameter set,
// H, Σ, the byte length (big-endian), the partial-block length and the block buffer.
const (
	magic         = "g94\x01"
	marshaledSize = len(magic) + 1 + 32 + 32 + 8 + 1 + BlockSize
)

func (d *digest) MarshalBinary() ([]byte, error) {
	return d.AppendBinary(make([]byte, 0, marshaledSize))
}

func (d *digest) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, magic...)
	b = append(b, byte(d.ps))
	b = append(b, d.h[:]...)
	b = append(b, d.sum[:]...)
	b = binary.BigEndian.AppendUint64(b, d.length)
	b = append(b, byte(d.nbuf))
	return append(b, d.buf[:]...), nil
}

func (d *digest) UnmarshalBinary(b []byte) error {
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return errors.New("gost341194: invalid hash state identifier")
	}
	if len(b) != marshaledSize {
		return errors.New("gost341194: invalid hash state size")
	}
	b = b[len(magic):]
	if ParamSet(b[0]) != d.ps {
		return fmt.Errorf("gost341194: hash state is for %v, not %v", ParamSet(b[0]), d.ps)
	}
	b = b[1:]
	nbuf := int(b[72])
	if nbuf >= BlockSize || uint64(nbuf) != binary.BigEndian.Uint64(b[64:])%BlockSize {
		return errors.New("gost341194: invalid hash state partial block length")
	}
	copy(d.h[:], b[0:32])
	copy(d.sum[:], b[32:64])
	d.length = binary.BigEndian.Uint64(b[64:])
	d.nbuf = nbuf
	copy(d.buf[:], b[73:])
	return nil
}
