package gost3410

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// add, sub, mul and sqr dispatch to straight-line code for n = 4 and n = 8,
// generated into field_gen.go by gen_field.go.
//
//go:generate go run gen_field.go

// fe is an element of a pseudo-Mersenne prime field p = 2^(64n) − c, stored as
// little-endian 64-bit limbs; only the first n limbs (4 or 8) are used, the rest
// stay zero. Elements are kept weakly reduced, in [0, 2^(64n)): every value has
// at most two representations (v and v+p), and canon gives the one below p.
type fe [8]uint64

// pmField is the arithmetic of p = 2^(64n) − c with n ∈ {4, 8} and 0 < c < 2^32.
// The bound on c keeps the second folding step of reduce within one word.
// A pmField is immutable after newPMField.
type pmField struct {
	n     int
	c     uint64
	bytes int // 8n
	p     fe
	pm2   fe // p − 2, the Fermat inversion exponent
}

// newPMField reports whether p has the form 2^(64n) − c with n ∈ {4, 8} and a
// small odd c, and returns its arithmetic if so.
func newPMField(p *big.Int) (*pmField, bool) {
	var n int
	switch p.BitLen() {
	case 256:
		n = 4
	case 512:
		n = 8
	default:
		return nil, false
	}
	c := new(big.Int).Lsh(big.NewInt(1), uint(64*n))
	c.Sub(c, p)
	if c.Sign() <= 0 || c.BitLen() > 32 || c.Bit(0) == 0 {
		return nil, false
	}
	f := &pmField{n: n, c: c.Uint64(), bytes: 8 * n}
	f.fromBig(&f.p, p)
	f.fromBig(&f.pm2, new(big.Int).Sub(p, big.NewInt(2)))
	return f, true
}

// fromBig sets z = v; v must be in [0, 2^(64n)).
func (f *pmField) fromBig(z *fe, v *big.Int) {
	var buf [64]byte
	v.FillBytes(buf[64-f.bytes:])
	f.fromBE(z, buf[64-f.bytes:])
}

// fromBE sets z from a big-endian byte string of exactly 8n bytes.
func (f *pmField) fromBE(z *fe, b []byte) {
	*z = fe{}
	for i := 0; i < f.n; i++ {
		z[i] = binary.BigEndian.Uint64(b[len(b)-8*(i+1):])
	}
}

// toBig returns the canonical value of x as a new big.Int.
func (f *pmField) toBig(x *fe) *big.Int {
	var t fe
	f.canon(&t, x)
	var buf [64]byte
	for i := 0; i < f.n; i++ {
		binary.BigEndian.PutUint64(buf[f.bytes-8*(i+1):], t[i])
	}
	return new(big.Int).SetBytes(buf[:f.bytes])
}

// setOne sets z = 1.
func (f *pmField) setOne(z *fe) { *z = fe{1} }

// add sets z = x + y.
func (f *pmField) add(z, x, y *fe) {
	if f.n == 8 {
		add8(z, x, y, f.c)
	} else {
		add4(z, x, y, f.c)
	}
}

// sub sets z = x − y.
func (f *pmField) sub(z, x, y *fe) {
	if f.n == 8 {
		sub8(z, x, y, f.c)
	} else {
		sub4(z, x, y, f.c)
	}
}

// neg sets z = −x.
func (f *pmField) neg(z, x *fe) {
	var zero fe
	f.sub(z, &zero, x)
}

// mul sets z = x·y. The product t = lo + hi·2^(64n) is folded as lo + hi·c;
// the top word w ≤ c of that sum is folded again as w·c < 2^64, and a last
// overflow leaves a value below c², to which c is added without carry.
func (f *pmField) mul(z, x, y *fe) {
	if f.n == 8 {
		mul8(z, x, y, f.c)
	} else {
		mul4(z, x, y, f.c)
	}
}

// sqr sets z = x².
func (f *pmField) sqr(z, x *fe) {
	if f.n == 8 {
		sqr8(z, x, f.c)
	} else {
		sqr4(z, x, f.c)
	}
}

// canon sets z to the canonical representative of x, in [0, p).
func (f *pmField) canon(z, x *fe) {
	n := f.n & 15
	var t fe
	var carry uint64
	t[0], carry = bits.Add64(x[0], f.c, 0)
	for i := 1; i < n; i++ {
		t[i&7], carry = bits.Add64(x[i&7], 0, carry)
	}
	// x + c ≥ 2^(64n) exactly when x ≥ p, and then x − p is the wrapped sum.
	mask := -carry
	for i := 0; i < n; i++ {
		z[i&7] = t[i&7]&mask | x[i&7]&^mask
	}
}

// isZero reports whether x ≡ 0 (mod p).
func (f *pmField) isZero(x *fe) bool {
	var t fe
	f.canon(&t, x)
	var acc uint64
	for i := 0; i < f.n; i++ {
		acc |= t[i&7]
	}
	return acc == 0
}

// equal reports whether x ≡ y (mod p).
func (f *pmField) equal(x, y *fe) bool {
	var d fe
	f.sub(&d, x, y)
	return f.isZero(&d)
}

// selectFe sets z = a if mask is all ones and z = b if mask is zero, without
// branching on mask.
func selectFe(z, a, b *fe, mask uint64) {
	for i := range z {
		z[i] = a[i]&mask | b[i]&^mask
	}
}

// inv sets z = x^(p−2) = x⁻¹ (and 0 for x ≡ 0), with a fixed 4-bit window
// over the public exponent.
func (f *pmField) inv(z, x *fe) {
	var tab [16]fe
	f.setOne(&tab[0])
	tab[1] = *x
	for i := 2; i < 16; i++ {
		f.mul(&tab[i], &tab[i-1], x)
	}
	var acc fe
	f.setOne(&acc)
	for i := 16*f.n - 1; i >= 0; i-- {
		for k := 0; k < 4; k++ {
			f.sqr(&acc, &acc)
		}
		nib := (f.pm2[(i/16)&7] >> (4 * uint(i%16))) & 15
		if nib != 0 {
			f.mul(&acc, &acc, &tab[nib])
		}
	}
	*z = acc
}
