package gost3410

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

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
	if c.Sign() <= 0 || c.BitLen() > 31 || c.Bit(0) == 0 {
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
	n := f.n & 15
	var carry uint64
	for i := 0; i < n; i++ {
		z[i&7], carry = bits.Add64(x[i&7], y[i&7], carry)
	}
	f.foldCarry(z, carry)
}

// foldCarry adds carry·2^(64n) ≡ carry·c to the n-limb value z (carry ∈ {0,1}).
func (f *pmField) foldCarry(z *fe, carry uint64) {
	n := f.n & 15
	var cc uint64
	z[0], cc = bits.Add64(z[0], f.c&-carry, 0)
	for i := 1; i < n; i++ {
		z[i&7], cc = bits.Add64(z[i&7], 0, cc)
	}
	// A second overflow leaves z below c, so this addition cannot carry.
	z[0] += f.c & -cc
}

// sub sets z = x − y.
func (f *pmField) sub(z, x, y *fe) {
	n := f.n & 15
	var borrow uint64
	for i := 0; i < n; i++ {
		z[i&7], borrow = bits.Sub64(x[i&7], y[i&7], borrow)
	}
	// A borrow means z holds x − y + 2^(64n) ≡ x − y + c: take c away.
	var bb uint64
	z[0], bb = bits.Sub64(z[0], f.c&-borrow, 0)
	for i := 1; i < n; i++ {
		z[i&7], bb = bits.Sub64(z[i&7], 0, bb)
	}
	// A second borrow leaves z ≥ 2^(64n) − c > c, so this cannot borrow.
	z[0] -= f.c & -bb
}

// neg sets z = −x.
func (f *pmField) neg(z, x *fe) {
	var zero fe
	f.sub(z, &zero, x)
}

// mul sets z = x·y.
func (f *pmField) mul(z, x, y *fe) {
	var t [16]uint64
	if f.n == 8 {
		mulWide8(&t, x, y)
	} else {
		mulWide4(&t, x, y)
	}
	f.reduce(z, &t)
}

// sqr sets z = x².
func (f *pmField) sqr(z, x *fe) {
	var t [16]uint64
	if f.n == 8 {
		sqrWide8(&t, x)
	} else {
		sqrWide4(&t, x)
	}
	f.reduce(z, &t)
}

// mulWide8 sets t = x·y for 8-limb operands (schoolbook, 64 products).
func mulWide8(t *[16]uint64, x, y *fe) {
	for i := 0; i < 8; i++ {
		xi := x[i]
		var carry uint64
		for j := 0; j < 8; j++ {
			hi, lo := bits.Mul64(xi, y[j])
			var c uint64
			lo, c = bits.Add64(lo, t[(i+j)&15], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			t[(i+j)&15] = lo
			carry = hi
		}
		t[(i+8)&15] = carry
	}
}

// mulWide4 sets t[0:8] = x·y for 4-limb operands.
func mulWide4(t *[16]uint64, x, y *fe) {
	for i := 0; i < 4; i++ {
		xi := x[i]
		var carry uint64
		for j := 0; j < 4; j++ {
			hi, lo := bits.Mul64(xi, y[j])
			var c uint64
			lo, c = bits.Add64(lo, t[(i+j)&15], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			t[(i+j)&15] = lo
			carry = hi
		}
		t[(i+4)&15] = carry
	}
}

// sqrWide8 sets t = x² for an 8-limb operand: the 28 cross products once,
// doubled, plus the 8 squares.
func sqrWide8(t *[16]uint64, x *fe) {
	for i := 0; i < 8; i++ {
		xi := x[i]
		var carry uint64
		for j := i + 1; j < 8; j++ {
			hi, lo := bits.Mul64(xi, x[j])
			var c uint64
			lo, c = bits.Add64(lo, t[(i+j)&15], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			t[(i+j)&15] = lo
			carry = hi
		}
		t[(i+8)&15] = carry
	}
	doubleAddSquares(t, x, 8)
}

// sqrWide4 sets t[0:8] = x² for a 4-limb operand.
func sqrWide4(t *[16]uint64, x *fe) {
	for i := 0; i < 4; i++ {
		xi := x[i]
		var carry uint64
		for j := i + 1; j < 4; j++ {
			hi, lo := bits.Mul64(xi, x[j])
			var c uint64
			lo, c = bits.Add64(lo, t[(i+j)&15], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			t[(i+j)&15] = lo
			carry = hi
		}
		t[(i+4)&15] = carry
	}
	doubleAddSquares(t, x, 4)
}

// doubleAddSquares finishes a squaring: t = 2·t + Σ x_i²·2^(128i).
func doubleAddSquares(t *[16]uint64, x *fe, n int) {
	var top uint64
	for k := 0; k < 2*n; k++ {
		v := t[k&15]
		t[k&15] = v<<1 | top
		top = v >> 63
	}
	var c uint64
	for i := 0; i < n; i++ {
		hi, lo := bits.Mul64(x[i&7], x[i&7])
		t[(2*i)&15], c = bits.Add64(t[(2*i)&15], lo, c)
		t[(2*i+1)&15], c = bits.Add64(t[(2*i+1)&15], hi, c)
	}
}

// reduce sets z ≡ t (mod p), weakly reduced, where t has 2n limbs.
// t = lo + hi·2^(64n) ≡ lo + hi·c; the top word w ≤ c of that sum is folded
// again as w·c < 2^64.
func (f *pmField) reduce(z *fe, t *[16]uint64) {
	n, c := f.n&15, f.c
	var carry uint64
	for i := 0; i < n; i++ {
		hi, lo := bits.Mul64(t[(i+n)&15], c)
		var cc uint64
		lo, cc = bits.Add64(lo, t[i&15], 0)
		hi += cc
		lo, cc = bits.Add64(lo, carry, 0)
		hi += cc
		z[i&7] = lo
		carry = hi
	}
	var cc uint64
	z[0], cc = bits.Add64(z[0], carry*c, 0)
	for i := 1; i < n; i++ {
		z[i&7], cc = bits.Add64(z[i&7], 0, cc)
	}
	// On overflow the wrapped value is below c², so adding c cannot carry.
	z[0] += c & -cc
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
