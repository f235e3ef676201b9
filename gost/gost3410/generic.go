package gost3410

import (
	"math/big"
)

// curveParams is the immutable core of a Curve: its parameters, the byte
// size of a coordinate and, for curves of the right shape, the fast backend.
type curveParams struct {
	name       string
	p, q, a, b *big.Int
	gx, gy     *big.Int
	size       int
	fast       *fastCurve // nil: generic math/big arithmetic only
	three      *big.Int   // the constant 3
}

// bigJac is a Jacobian point over math/big; z = 0 is infinity.
type bigJac struct{ x, y, z *big.Int }

func (par *curveParams) bigInf() bigJac {
	return bigJac{big.NewInt(1), big.NewInt(1), new(big.Int)}
}

func (par *curveParams) bigLift(x, y *big.Int) bigJac {
	return bigJac{new(big.Int).Set(x), new(big.Int).Set(y), big.NewInt(1)}
}

func (par *curveParams) mod(z *big.Int) *big.Int { return z.Mod(z, par.p) }

// isOnCurve reports whether (x, y) is a finite point of the curve with
// canonical coordinates (0 ≤ x, y < p).
func (par *curveParams) isOnCurve(x, y *big.Int) bool {
	if x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.Cmp(par.p) >= 0 || y.Cmp(par.p) >= 0 {
		return false
	}
	lhs := new(big.Int).Mul(y, y)
	par.mod(lhs)
	rhs := new(big.Int).Mul(x, x)
	rhs.Add(rhs, par.a)
	rhs.Mul(rhs, x)
	rhs.Add(rhs, par.b)
	par.mod(rhs)
	return lhs.Cmp(rhs) == 0
}

// bigDouble returns 2p for the general short Weierstrass curve:
//
//	S = 4XY², M = 3X² + aZ⁴, X3 = M² − 2S, Y3 = M(S − X3) − 8Y⁴, Z3 = 2YZ.
func (par *curveParams) bigDouble(p bigJac) bigJac {
	if p.z.Sign() == 0 || p.y.Sign() == 0 {
		return par.bigInf()
	}
	yy := par.mod(new(big.Int).Mul(p.y, p.y))
	s := par.mod(new(big.Int).Mul(p.x, yy))
	s.Lsh(s, 2)
	par.mod(s)
	zz := par.mod(new(big.Int).Mul(p.z, p.z))
	m := par.mod(new(big.Int).Mul(zz, zz))
	m.Mul(m, par.a)
	xx := new(big.Int).Mul(p.x, p.x)
	xx.Mul(xx, par.three)
	m.Add(m, xx)
	par.mod(m)
	x3 := new(big.Int).Mul(m, m)
	x3.Sub(x3, s)
	x3.Sub(x3, s)
	par.mod(x3)
	y3 := new(big.Int).Sub(s, x3)
	y3.Mul(y3, m)
	yyyy := new(big.Int).Mul(yy, yy)
	yyyy.Lsh(yyyy, 3)
	y3.Sub(y3, yyyy)
	par.mod(y3)
	z3 := new(big.Int).Mul(p.y, p.z)
	z3.Lsh(z3, 1)
	par.mod(z3)
	return bigJac{x3, y3, z3}
}

// bigAdd returns p + q.
func (par *curveParams) bigAdd(p, q bigJac) bigJac {
	if p.z.Sign() == 0 {
		return q
	}
	if q.z.Sign() == 0 {
		return p
	}
	z1z1 := par.mod(new(big.Int).Mul(p.z, p.z))
	z2z2 := par.mod(new(big.Int).Mul(q.z, q.z))
	u1 := par.mod(new(big.Int).Mul(p.x, z2z2))
	u2 := par.mod(new(big.Int).Mul(q.x, z1z1))
	s1 := par.mod(new(big.Int).Mul(p.y, q.z))
	par.mod(s1.Mul(s1, z2z2))
	s2 := par.mod(new(big.Int).Mul(q.y, p.z))
	par.mod(s2.Mul(s2, z1z1))
	h := par.mod(new(big.Int).Sub(u2, u1))
	r := par.mod(new(big.Int).Sub(s2, s1))
	if h.Sign() == 0 {
		if r.Sign() == 0 {
			return par.bigDouble(p)
		}
		return par.bigInf()
	}
	hh := par.mod(new(big.Int).Mul(h, h))
	hhh := par.mod(new(big.Int).Mul(h, hh))
	v := par.mod(new(big.Int).Mul(u1, hh))
	x3 := new(big.Int).Mul(r, r)
	x3.Sub(x3, hhh)
	x3.Sub(x3, v)
	x3.Sub(x3, v)
	par.mod(x3)
	y3 := new(big.Int).Sub(v, x3)
	y3.Mul(y3, r)
	t := new(big.Int).Mul(s1, hhh)
	y3.Sub(y3, t)
	par.mod(y3)
	z3 := new(big.Int).Mul(p.z, q.z)
	z3.Mul(z3, h)
	par.mod(z3)
	return bigJac{x3, y3, z3}
}

// bigScalarMult returns k·(x, y) by left-to-right double-and-add (k ≥ 0).
func (par *curveParams) bigScalarMult(x, y, k *big.Int) bigJac {
	acc := par.bigInf()
	pt := par.bigLift(x, y)
	for i := k.BitLen() - 1; i >= 0; i-- {
		acc = par.bigDouble(acc)
		if k.Bit(i) == 1 {
			acc = par.bigAdd(acc, pt)
		}
	}
	return acc
}

// bigDoubleMult returns u1·G + u2·(qx, qy) by Shamir's trick.
func (par *curveParams) bigDoubleMult(u1, u2, qx, qy *big.Int) bigJac {
	g := par.bigLift(par.gx, par.gy)
	q := par.bigLift(qx, qy)
	gq := par.bigAdd(g, q)
	acc := par.bigInf()
	for i := max(u1.BitLen(), u2.BitLen()) - 1; i >= 0; i-- {
		acc = par.bigDouble(acc)
		switch u1.Bit(i)<<1 | u2.Bit(i) {
		case 1:
			acc = par.bigAdd(acc, q)
		case 2:
			acc = par.bigAdd(acc, g)
		case 3:
			acc = par.bigAdd(acc, gq)
		}
	}
	return acc
}

// bigToAffine returns the affine coordinates of p; ok is false at infinity.
func (par *curveParams) bigToAffine(p bigJac) (x, y *big.Int, ok bool) {
	if p.z.Sign() == 0 {
		return nil, nil, false
	}
	zi := new(big.Int).ModInverse(p.z, par.p)
	zi2 := par.mod(new(big.Int).Mul(zi, zi))
	zi3 := par.mod(new(big.Int).Mul(zi2, zi))
	x = par.mod(new(big.Int).Mul(p.x, zi2))
	y = par.mod(new(big.Int).Mul(p.y, zi3))
	return x, y, true
}

// baseMult returns k·G in affine coordinates for 0 < k < q.
func (par *curveParams) baseMult(k *big.Int) (x, y *big.Int) {
	if par.fast != nil {
		p := par.fast.baseMult(k)
		x, y, _ = par.fast.bigAffine(&p)
		return x, y
	}
	x, y, _ = par.bigToAffine(par.bigScalarMult(par.gx, par.gy, k))
	return x, y
}

// checkR reports whether (u1·G + u2·Q).x mod q == r.
func (par *curveParams) checkR(u1, u2, qx, qy, r *big.Int) bool {
	if par.fast != nil {
		q := par.fast.affFromBig(qx, qy)
		return par.fast.verifyX(u1, u2, &q, r)
	}
	x, _, ok := par.bigToAffine(par.bigDoubleMult(u1, u2, qx, qy))
	if !ok {
		return false
	}
	return x.Mod(x, par.q).Cmp(r) == 0
}
