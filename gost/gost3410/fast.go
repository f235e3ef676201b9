package gost3410

import (
	"encoding/binary"
	"math/big"
)

// The fast path: curves y² = x³ − 3x + b over a pseudo-Mersenne prime
// (TC26-512-A, CryptoPro-A and any NewCurve curve of that shape).
//
// Points are kept in Jacobian coordinates (X, Y, Z) ↔ (X/Z², Y/Z³); Z ≡ 0 is
// the point at infinity. Formulas are the a = −3 doubling "dbl-2001-b" (3M+5S),
// the general addition "add-2007-bl" (11M+5S) and the mixed addition
// "madd-2007-bl" (7M+4S) from the Explicit-Formulas Database.

// jacPoint is a point in Jacobian coordinates; z ≡ 0 means infinity.
type jacPoint struct{ x, y, z fe }

// affPoint is a finite point in affine coordinates.
type affPoint struct{ x, y fe }

const (
	wnafWidthG = 7 // verification: odd multiples 1G..63G, precomputed
	wnafWidthQ = 5 // verification: odd multiples 1Q..15Q, per call
	combWidth  = 4 // signing: signed 4-bit digits, 8 multiples per window
	maxNAF     = 512 + 1
)

// fastCurve holds the field, the base point tables and nothing mutable.
type fastCurve struct {
	f     *pmField
	bits  int // 8·PointSize: scalar length in bits
	g     affPoint
	gOdd  [1 << (wnafWidthG - 2)]affPoint // gOdd[i] = (2i+1)·G
	comb  [][8]affPoint                   // comb[i][j] = (j+1)·16^i·G
	pBig  *big.Int
	qBig  *big.Int
	combN int // number of 4-bit windows: 2·PointSize + 1
}

// newFastCurve builds the fast arithmetic and the base point tables for
// validated params; it returns nil unless p = 2^256 − c or 2^512 − c (small c)
// matches the coordinate size and a = p − 3.
func newFastCurve(par *curveParams) *fastCurve {
	f, ok := newPMField(par.p)
	if !ok || f.bytes != par.size {
		return nil
	}
	if new(big.Int).Sub(par.p, par.a).Cmp(big.NewInt(3)) != 0 {
		return nil
	}
	fc := &fastCurve{f: f, bits: 8 * par.size, pBig: par.p, qBig: par.q}
	f.fromBig(&fc.g.x, par.gx)
	f.fromBig(&fc.g.y, par.gy)

	g := fc.lift(&fc.g)

	// Odd multiples of G for the verification wNAF.
	odd := make([]jacPoint, len(fc.gOdd))
	var g2 jacPoint
	fc.double(&g2, &g)
	odd[0] = g
	for i := 1; i < len(odd); i++ {
		fc.add(&odd[i], &odd[i-1], &g2)
	}
	copy(fc.gOdd[:], fc.batchAffine(odd))

	// Comb table for signing: window i holds 1..8 times 16^i·G.
	fc.combN = 2*par.size + 1
	all := make([]jacPoint, 8*fc.combN)
	base := g
	for i := 0; i < fc.combN; i++ {
		w := all[8*i : 8*i+8]
		w[0] = base
		fc.double(&w[1], &base)
		for j := 2; j < 8; j++ {
			fc.add(&w[j], &w[j-1], &base)
		}
		fc.double(&base, &w[7]) // 16·base
	}
	aff := fc.batchAffine(all)
	fc.comb = make([][8]affPoint, fc.combN)
	for i := range fc.comb {
		copy(fc.comb[i][:], aff[8*i:8*i+8])
	}
	return fc
}

// lift returns the Jacobian form (x, y, 1) of an affine point.
func (fc *fastCurve) lift(a *affPoint) jacPoint {
	var r jacPoint
	r.x, r.y = a.x, a.y
	fc.f.setOne(&r.z)
	return r
}

func (fc *fastCurve) isInf(p *jacPoint) bool { return fc.f.isZero(&p.z) }

// double sets r = 2p (r may alias p), using a = −3:
//
//	δ = Z², γ = Y², β = Xγ, α = 3(X−δ)(X+δ)
//	X3 = α² − 8β, Z3 = (Y+Z)² − γ − δ, Y3 = α(4β − X3) − 8γ²
//
// Doubling infinity (Z = 0) or a point of order 2 (Y = 0) gives Z3 = 0.
func (fc *fastCurve) double(r, p *jacPoint) {
	f := fc.f
	var delta, gamma, beta, alpha, t1, t2 fe
	f.sqr(&delta, &p.z)
	f.sqr(&gamma, &p.y)
	f.mul(&beta, &p.x, &gamma)
	f.sub(&t1, &p.x, &delta)
	f.add(&t2, &p.x, &delta)
	f.mul(&alpha, &t1, &t2)
	f.add(&t1, &alpha, &alpha)
	f.add(&alpha, &t1, &alpha)

	f.add(&t1, &p.y, &p.z)
	f.sqr(&t1, &t1)
	f.sub(&t1, &t1, &gamma)
	f.sub(&r.z, &t1, &delta)

	f.add(&t2, &beta, &beta)
	f.add(&t2, &t2, &t2) // 4β
	f.sqr(&t1, &alpha)
	f.sub(&t1, &t1, &t2)
	f.sub(&r.x, &t1, &t2)

	f.sub(&t2, &t2, &r.x)
	f.mul(&t2, &alpha, &t2)
	f.sqr(&gamma, &gamma)
	f.add(&gamma, &gamma, &gamma)
	f.add(&gamma, &gamma, &gamma)
	f.add(&gamma, &gamma, &gamma) // 8γ²
	f.sub(&r.y, &t2, &gamma)
}

// add sets r = p + q for any Jacobian points (r may alias either).
func (fc *fastCurve) add(r, p, q *jacPoint) {
	f := fc.f
	if fc.isInf(p) {
		*r = *q
		return
	}
	if fc.isInf(q) {
		*r = *p
		return
	}
	var z1z1, z2z2, u1, u2, s1, s2, h, rr, i, j, v, t fe
	f.sqr(&z1z1, &p.z)
	f.sqr(&z2z2, &q.z)
	f.mul(&u1, &p.x, &z2z2)
	f.mul(&u2, &q.x, &z1z1)
	f.mul(&s1, &p.y, &q.z)
	f.mul(&s1, &s1, &z2z2)
	f.mul(&s2, &q.y, &p.z)
	f.mul(&s2, &s2, &z1z1)
	f.sub(&h, &u2, &u1)
	f.sub(&rr, &s2, &s1)
	if f.isZero(&h) {
		if f.isZero(&rr) {
			fc.double(r, p)
			return
		}
		*r = jacPoint{}
		return
	}
	f.add(&rr, &rr, &rr)
	f.add(&i, &h, &h)
	f.sqr(&i, &i)
	f.mul(&j, &h, &i)
	f.mul(&v, &u1, &i)

	var z3 fe
	f.add(&z3, &p.z, &q.z)
	f.sqr(&z3, &z3)
	f.sub(&z3, &z3, &z1z1)
	f.sub(&z3, &z3, &z2z2)
	f.mul(&z3, &z3, &h)

	var x3, y3 fe
	f.sqr(&x3, &rr)
	f.sub(&x3, &x3, &j)
	f.sub(&x3, &x3, &v)
	f.sub(&x3, &x3, &v)

	f.sub(&t, &v, &x3)
	f.mul(&y3, &rr, &t)
	f.mul(&t, &s1, &j)
	f.add(&t, &t, &t)
	f.sub(&y3, &y3, &t)

	r.x, r.y, r.z = x3, y3, z3
}

// maddRaw computes p + q for a Jacobian p and an affine q by the mixed formula
// without looking at special cases; special reports whether the formula did
// not apply (H ≡ 0: p = ±q, or p at infinity, where H = −X1 may be anything).
func (fc *fastCurve) maddRaw(r, p *jacPoint, q *affPoint) (special bool) {
	f := fc.f
	var z1z1, u2, s2, h, hh, i, j, rr, v, t fe
	f.sqr(&z1z1, &p.z)
	f.mul(&u2, &q.x, &z1z1)
	f.mul(&s2, &q.y, &p.z)
	f.mul(&s2, &s2, &z1z1)
	f.sub(&h, &u2, &p.x)
	f.sqr(&hh, &h)
	f.add(&i, &hh, &hh)
	f.add(&i, &i, &i)
	f.mul(&j, &h, &i)
	f.sub(&rr, &s2, &p.y)
	f.add(&rr, &rr, &rr)
	f.mul(&v, &p.x, &i)
	special = f.isZero(&h)

	var x3, y3, z3 fe
	f.add(&z3, &p.z, &h)
	f.sqr(&z3, &z3)
	f.sub(&z3, &z3, &z1z1)
	f.sub(&z3, &z3, &hh)

	f.sqr(&x3, &rr)
	f.sub(&x3, &x3, &j)
	f.sub(&x3, &x3, &v)
	f.sub(&x3, &x3, &v)

	f.sub(&t, &v, &x3)
	f.mul(&y3, &rr, &t)
	f.mul(&t, &p.y, &j)
	f.add(&t, &t, &t)
	f.sub(&y3, &y3, &t)

	r.x, r.y, r.z = x3, y3, z3
	return special
}

// madd sets r = p + q for a Jacobian p and an affine q, handling every case.
func (fc *fastCurve) madd(r, p *jacPoint, q *affPoint) {
	if fc.isInf(p) {
		*r = fc.lift(q)
		return
	}
	var out jacPoint
	if fc.maddRaw(&out, p, q) {
		lq := fc.lift(q)
		fc.add(r, p, &lq)
		return
	}
	*r = out
}

// negAff returns −a.
func (fc *fastCurve) negAff(a *affPoint) affPoint {
	r := affPoint{x: a.x}
	fc.f.neg(&r.y, &a.y)
	return r
}

// negJac returns −p.
func (fc *fastCurve) negJac(p *jacPoint) jacPoint {
	r := *p
	fc.f.neg(&r.y, &p.y)
	return r
}

// toAffine returns the affine coordinates of p as canonical field elements;
// ok is false for the point at infinity.
func (fc *fastCurve) toAffine(p *jacPoint) (a affPoint, ok bool) {
	f := fc.f
	if fc.isInf(p) {
		return a, false
	}
	var zi, zi2, zi3 fe
	f.inv(&zi, &p.z)
	f.sqr(&zi2, &zi)
	f.mul(&zi3, &zi2, &zi)
	f.mul(&a.x, &p.x, &zi2)
	f.mul(&a.y, &p.y, &zi3)
	f.canon(&a.x, &a.x)
	f.canon(&a.y, &a.y)
	return a, true
}

// batchAffine converts finite points to affine with a single inversion
// (Montgomery's trick).
func (fc *fastCurve) batchAffine(in []jacPoint) []affPoint {
	f := fc.f
	out := make([]affPoint, len(in))
	if len(in) == 0 {
		return out
	}
	prefix := make([]fe, len(in))
	prefix[0] = in[0].z
	for i := 1; i < len(in); i++ {
		f.mul(&prefix[i], &prefix[i-1], &in[i].z)
	}
	var acc fe
	f.inv(&acc, &prefix[len(in)-1])
	for i := len(in) - 1; i >= 0; i-- {
		var zi fe
		if i > 0 {
			f.mul(&zi, &acc, &prefix[i-1])
			f.mul(&acc, &acc, &in[i].z)
		} else {
			zi = acc
		}
		var zi2, zi3 fe
		f.sqr(&zi2, &zi)
		f.mul(&zi3, &zi2, &zi)
		f.mul(&out[i].x, &in[i].x, &zi2)
		f.mul(&out[i].y, &in[i].y, &zi3)
		f.canon(&out[i].x, &out[i].x)
		f.canon(&out[i].y, &out[i].y)
	}
	return out
}

// scalar is a non-negative integer below 2^512 as little-endian limbs, with
// spare zero limbs so that windows may read past the top.
type scalar [10]uint64

func newScalar(k *big.Int) scalar {
	var s scalar
	var buf [64]byte
	k.FillBytes(buf[:])
	for i := 0; i < 8; i++ {
		s[i] = binary.BigEndian.Uint64(buf[56-8*i:])
	}
	return s
}

func (s *scalar) bit(pos int) uint64 { return (s[(pos/64)%10] >> (uint(pos) % 64)) & 1 }

// window returns w bits starting at pos.
func (s *scalar) window(pos, w int) uint64 {
	i, off := (pos/64)%10, uint(pos)%64
	v := s[i] >> off
	if off != 0 && i+1 < len(s) {
		v |= s[i+1] << (64 - off)
	}
	return v & (1<<uint(w) - 1)
}

// wnaf writes the width-w non-adjacent form of s (digits odd, |d| < 2^(w−1),
// at most one non-zero in any w consecutive positions) into naf[0:nbits+1]
// and returns the index of the top non-zero digit, or −1 for s = 0.
func wnaf(naf *[maxNAF]int8, s *scalar, nbits, w int) int {
	*naf = [maxNAF]int8{}
	top := -1
	carry := uint64(0)
	for pos := 0; pos <= nbits; {
		if s.bit(pos) == carry {
			pos++
			continue
		}
		win := s.window(pos, w) + carry
		d := int(win)
		if win&(1<<uint(w-1)) != 0 {
			d -= 1 << uint(w)
			carry = 1
		} else {
			carry = 0
		}
		naf[pos] = int8(d)
		top = pos
		pos += w
	}
	return top
}

// scalarMult returns k·p for any k < 2^512 (variable time; public data).
func (fc *fastCurve) scalarMult(p *affPoint, k *big.Int) jacPoint {
	var tab [1 << (wnafWidthQ - 2)]jacPoint
	fc.oddMultiples(tab[:], p)
	s := newScalar(k)
	var naf [maxNAF]int8
	top := wnaf(&naf, &s, fc.bits, wnafWidthQ)
	var acc jacPoint
	for i := top; i >= 0; i-- {
		fc.double(&acc, &acc)
		fc.addDigitJac(&acc, tab[:], naf[i])
	}
	return acc
}

// oddMultiples fills tab[i] = (2i+1)·p.
func (fc *fastCurve) oddMultiples(tab []jacPoint, p *affPoint) {
	tab[0] = fc.lift(p)
	var p2 jacPoint
	fc.double(&p2, &tab[0])
	for i := 1; i < len(tab); i++ {
		fc.add(&tab[i], &tab[i-1], &p2)
	}
}

func (fc *fastCurve) addDigitJac(acc *jacPoint, tab []jacPoint, d int8) {
	switch {
	case d > 0:
		fc.add(acc, acc, &tab[d/2])
	case d < 0:
		n := fc.negJac(&tab[(-d)/2])
		fc.add(acc, acc, &n)
	}
}

func (fc *fastCurve) addDigitAff(acc *jacPoint, tab []affPoint, d int8) {
	switch {
	case d > 0:
		fc.madd(acc, acc, &tab[d/2])
	case d < 0:
		n := fc.negAff(&tab[(-d)/2])
		fc.madd(acc, acc, &n)
	}
}

// doubleMult returns u1·G + u2·q (Straus–Shamir: one doubling chain with
// interleaved wNAF digits; G's odd multiples are precomputed, q's are built
// per call). Variable time: for verification, where all inputs are public.
func (fc *fastCurve) doubleMult(u1, u2 *big.Int, q *affPoint) jacPoint {
	var tabQ [1 << (wnafWidthQ - 2)]jacPoint
	fc.oddMultiples(tabQ[:], q)
	s1, s2 := newScalar(u1), newScalar(u2)
	var naf1, naf2 [maxNAF]int8
	top1 := wnaf(&naf1, &s1, fc.bits, wnafWidthG)
	top2 := wnaf(&naf2, &s2, fc.bits, wnafWidthQ)
	top := max(top1, top2)
	var acc jacPoint
	started := false
	for i := top; i >= 0; i-- {
		if started {
			fc.double(&acc, &acc)
		}
		if naf1[i] != 0 {
			fc.addDigitAff(&acc, fc.gOdd[:], naf1[i])
			started = true
		}
		if naf2[i] != 0 {
			fc.addDigitJac(&acc, tabQ[:], naf2[i])
			started = true
		}
	}
	return acc
}

// verifyX reports whether the x coordinate of u1·G + u2·q, reduced mod the
// group order, equals r. It avoids the field inversion: x ≡ r (mod q) with
// x < p means x = r + j·q for some j ≥ 0 with r + j·q < p, and x = X/Z², so
// each candidate c is tested as c·Z² ≡ X.
func (fc *fastCurve) verifyX(u1, u2 *big.Int, q *affPoint, r *big.Int) bool {
	f := fc.f
	acc := fc.doubleMult(u1, u2, q)
	if fc.isInf(&acc) {
		return false
	}
	var zz fe
	f.sqr(&zz, &acc.z)
	cand := new(big.Int).Set(r)
	for cand.Cmp(fc.pBig) < 0 {
		var c, t fe
		f.fromBig(&c, cand)
		f.mul(&t, &c, &zz)
		if f.equal(&t, &acc.x) {
			return true
		}
		cand.Add(cand, fc.qBig)
	}
	return false
}

// baseMult returns k·G for 0 ≤ k < 2^(8·PointSize) with the comb table:
// signed 4-bit digits, one mixed addition per window and no doublings.
// Table entries are read by a full scan with masks and the digit sign is
// applied with a mask, so the sequence of operations does not depend on k
// except in the exceptional additions (P = ±T), which a random k practically
// never meets. The big.Int arithmetic around it is not constant time.
func (fc *fastCurve) baseMult(k *big.Int) jacPoint {
	f := fc.f
	var buf [65]byte // little-endian k plus a zero byte for the last carry
	var be [64]byte
	k.FillBytes(be[64-fc.bits/8:])
	for i := 0; i < fc.bits/8; i++ {
		buf[i] = be[63-i]
	}

	var acc jacPoint
	accInf := ^uint64(0)
	carry := uint64(0)
	for i := 0; i < fc.combN; i++ {
		nib := uint64(buf[(i/2)%65]>>(4*uint(i&1))) & 15
		d := nib + carry                 // 0..16
		carry = (d + 7) >> 4             // 1 iff d ≥ 9
		sd := int64(d) - int64(carry<<4) // −7..8
		negMask := uint64(sd >> 63)
		abs := uint64((sd ^ int64(negMask)) - int64(negMask))
		nonZero := -((abs | -abs) >> 63)

		var t affPoint
		for j := uint64(0); j < 8; j++ {
			m := ctEq(j+1, abs)
			selectFe(&t.x, &fc.comb[i][j].x, &t.x, m)
			selectFe(&t.y, &fc.comb[i][j].y, &t.y, m)
		}
		var ny fe
		f.neg(&ny, &t.y)
		selectFe(&t.y, &ny, &t.y, negMask)

		var sum jacPoint
		special := fc.maddRaw(&sum, &acc, &t)
		// acc = ±t with a real digit: practically unreachable for a random k.
		exceptional := special && accInf == 0 && nonZero != 0
		if exceptional {
			lt := fc.lift(&t)
			fc.add(&sum, &acc, &lt)
		}
		lt := fc.lift(&t)
		selectJac(&sum, &lt, &sum, accInf)
		selectJac(&acc, &sum, &acc, nonZero)
		accInf &^= nonZero
		if exceptional && fc.isInf(&acc) {
			accInf = ^uint64(0)
		}
	}
	if accInf != 0 {
		return jacPoint{}
	}
	return acc
}

// ctEq returns all ones if a == b and zero otherwise.
func ctEq(a, b uint64) uint64 {
	x := a ^ b
	return ((x | -x) >> 63) - 1
}

func selectJac(z, a, b *jacPoint, mask uint64) {
	selectFe(&z.x, &a.x, &b.x, mask)
	selectFe(&z.y, &a.y, &b.y, mask)
	selectFe(&z.z, &a.z, &b.z, mask)
}

// bigAffine converts a Jacobian point to big.Int affine coordinates.
func (fc *fastCurve) bigAffine(p *jacPoint) (x, y *big.Int, ok bool) {
	a, ok := fc.toAffine(p)
	if !ok {
		return nil, nil, false
	}
	return fc.f.toBig(&a.x), fc.f.toBig(&a.y), true
}

// affFromBig converts big.Int affine coordinates (each below p).
func (fc *fastCurve) affFromBig(x, y *big.Int) affPoint {
	var a affPoint
	fc.f.fromBig(&a.x, x)
	fc.f.fromBig(&a.y, y)
	return a
}
