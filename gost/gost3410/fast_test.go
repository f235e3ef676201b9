package gost3410

import (
	"math/big"
	mrand "math/rand/v2"
	"testing"
)

// randBelow returns a pseudo-random integer in [0, n) (tests only).
func randBelow(rng *mrand.Rand, n *big.Int) *big.Int {
	b := make([]byte, (n.BitLen()+7)/8+8)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	v := new(big.Int).SetBytes(b)
	return v.Mod(v, n)
}

// edgeValues are field or scalar values near the interesting boundaries.
func edgeValues(n *big.Int, bits int) []*big.Int {
	one := big.NewInt(1)
	top := new(big.Int).Lsh(one, uint(bits))
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(3),
		new(big.Int).Sub(n, one), new(big.Int).Sub(n, big.NewInt(2)),
		new(big.Int).Rsh(n, 1), new(big.Int).Lsh(one, uint(bits-1)),
		new(big.Int).Sub(new(big.Int).Lsh(one, 64), one),
		new(big.Int).Lsh(one, 64),
	}
	var out []*big.Int
	for _, v := range vals {
		if v.Sign() >= 0 && v.Cmp(top) < 0 {
			out = append(out, v)
		}
	}
	return out
}

// TestFieldMatchesBig checks the limb arithmetic against math/big, with
// inputs both canonical and in the redundant range [p, 2^(64n)).
func TestFieldMatchesBig(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(7, 11))
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			f := c.par.fast.f
			p := c.P
			bits := 8 * c.PointSize()
			top := new(big.Int).Lsh(big.NewInt(1), uint(bits))
			vals := edgeValues(p, bits)
			// Redundant forms: p, p+1, 2^N − 1.
			vals = append(vals, new(big.Int).Set(p), new(big.Int).Add(p, big.NewInt(1)),
				new(big.Int).Sub(top, big.NewInt(1)), new(big.Int).Sub(top, big.NewInt(2)))
			// Limb-boundary values 2^(64k), 2^(64k) − 1 and 2^N − 2^(64k): they
			// drive the rare carries of the reduction (e.g. (2^N − 1)·2^64).
			for k := 1; k < bits/64; k++ {
				b := new(big.Int).Lsh(big.NewInt(1), uint(64*k))
				vals = append(vals, b, new(big.Int).Sub(b, big.NewInt(1)), new(big.Int).Sub(top, b))
			}
			var pairs [][2]*big.Int
			for _, x := range vals {
				for _, y := range vals {
					pairs = append(pairs, [2]*big.Int{x, y})
				}
			}
			for range 300 {
				pairs = append(pairs, [2]*big.Int{randBelow(rng, top), randBelow(rng, top)})
			}
			// Squares of values with long runs of one bits.
			for k := 1; k < bits; k += 7 {
				v := new(big.Int).Lsh(big.NewInt(1), uint(k))
				v.Sub(v, big.NewInt(1))
				pairs = append(pairs, [2]*big.Int{v, v}, [2]*big.Int{new(big.Int).Sub(top, v), v})
			}
			mod := func(v *big.Int) *big.Int { return v.Mod(v, p) }
			for i, xy := range pairs {
				x, y := xy[0], xy[1]
				var fx, fy, z fe
				f.fromBig(&fx, x)
				f.fromBig(&fy, y)
				check := func(op string, got *fe, want *big.Int) {
					t.Helper()
					// The result must be weakly reduced (fits n limbs) and congruent.
					for k := f.n; k < len(got); k++ {
						if got[k] != 0 {
							t.Fatalf("%s: limb %d set", op, k)
						}
					}
					if g := f.toBig(got); g.Cmp(mod(want)) != 0 {
						t.Fatalf("%s(%X, %X) = %X, want %X", op, x, y, g, want)
					}
				}
				f.add(&z, &fx, &fy)
				check("add", &z, new(big.Int).Add(x, y))
				f.sub(&z, &fx, &fy)
				check("sub", &z, new(big.Int).Sub(x, y))
				f.mul(&z, &fx, &fy)
				check("mul", &z, new(big.Int).Mul(x, y))
				f.sqr(&z, &fx)
				check("sqr", &z, new(big.Int).Mul(x, x))
				f.neg(&z, &fx)
				check("neg", &z, new(big.Int).Neg(x))
				// Aliased operands.
				z = fx
				f.mul(&z, &z, &z)
				check("mul aliased", &z, new(big.Int).Mul(x, x))
				f.sqr(&z, &fy)
				check("sqr y", &z, new(big.Int).Mul(y, y))
				if i%97 == 0 {
					f.inv(&z, &fx)
					want := new(big.Int).ModInverse(mod(new(big.Int).Set(x)), p)
					if want == nil {
						want = new(big.Int)
					}
					check("inv", &z, want)
				}
				if got := f.isZero(&fx); got != (mod(new(big.Int).Set(x)).Sign() == 0) {
					t.Fatalf("isZero(%X) = %v", x, got)
				}
			}
		})
	}
}

// genericTwin returns a curve with the same numbers as c but only the
// math/big arithmetic: the oracle for the fast path.
func genericTwin(c *Curve) *curveParams {
	par := *c.par
	par.fast = nil
	return &par
}

func TestFastMatchesGeneric(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(3, 5))
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			fast, slow := c.par, genericTwin(c)
			fc := fast.fast
			q := c.Q
			scalars := edgeValues(q, 8*c.PointSize())
			for range 24 {
				scalars = append(scalars, randBelow(rng, q))
			}
			for _, k := range scalars {
				// k·G: comb and wNAF against math/big.
				wantJ := slow.bigScalarMult(c.X, c.Y, k)
				wx, wy, wok := slow.bigToAffine(wantJ)
				comb := fc.baseMult(k)
				gx, gy, gok := fc.bigAffine(&comb)
				if gok != wok || (wok && (gx.Cmp(wx) != 0 || gy.Cmp(wy) != 0)) {
					t.Fatalf("baseMult(%X) = (%X, %X, %v), want (%X, %X, %v)", k, gx, gy, gok, wx, wy, wok)
				}
				g := fc.g
				w := fc.scalarMult(&g, k)
				gx, gy, gok = fc.bigAffine(&w)
				if gok != wok || (wok && (gx.Cmp(wx) != 0 || gy.Cmp(wy) != 0)) {
					t.Fatalf("scalarMult(G, %X) differs from math/big", k)
				}
			}
			// u1·G + u2·Q for random points Q, including Q = ±G and Q = G·small.
			for i := range 24 {
				d := randBelow(rng, q)
				switch i {
				case 0:
					d.SetInt64(1)
				case 1:
					d.Sub(q, big.NewInt(1))
				case 2:
					d.SetInt64(2)
				}
				if d.Sign() == 0 {
					d.SetInt64(5)
				}
				qx, qy := slow.baseMult(d)
				fqx, fqy := fast.baseMult(d)
				if qx.Cmp(fqx) != 0 || qy.Cmp(fqy) != 0 {
					t.Fatalf("baseMult(%X) differs", d)
				}
				u1, u2 := randBelow(rng, q), randBelow(rng, q)
				switch i {
				case 3:
					u1.SetInt64(0)
				case 4:
					u2.SetInt64(0)
				case 0:
					// u1·G + u2·G with u1 + u2 = q: the result is infinity.
					u2.Sub(q, u1)
				case 1:
					// u1·G + u2·(−G) with u1 = u2: infinity again.
					u2.Set(u1)
				}
				want := slow.bigDoubleMult(u1, u2, qx, qy)
				wx, wy, wok := slow.bigToAffine(want)
				qa := fc.affFromBig(qx, qy)
				got := fc.doubleMult(u1, u2, &qa)
				gx, gy, gok := fc.bigAffine(&got)
				if gok != wok || (wok && (gx.Cmp(wx) != 0 || gy.Cmp(wy) != 0)) {
					t.Fatalf("case %d: doubleMult differs: got (%X, %X, %v) want (%X, %X, %v)", i, gx, gy, gok, wx, wy, wok)
				}
				if wok {
					r := new(big.Int).Mod(wx, q)
					if r.Sign() != 0 && (!fast.checkR(u1, u2, qx, qy, r) || !slow.checkR(u1, u2, qx, qy, r)) {
						t.Fatalf("case %d: checkR rejects the true r", i)
					}
					r1 := new(big.Int).Add(r, big.NewInt(1))
					if r1.Cmp(q) < 0 && (fast.checkR(u1, u2, qx, qy, r1) || slow.checkR(u1, u2, qx, qy, r1)) {
						t.Fatalf("case %d: checkR accepts r+1", i)
					}
				}
			}
		})
	}
}

// TestSignFastMatchesGeneric signs with the same nonce on the fast and the
// math/big arithmetic and cross-verifies.
func TestSignFastMatchesGeneric(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(9, 9))
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			slowCurve := &Curve{Name: c.Name, par: genericTwin(c)}
			for range 8 {
				d := randBelow(rng, c.Q)
				if d.Sign() == 0 {
					continue
				}
				raw := leBytes(d, c.PointSize())
				fk, err := NewPrivateKey(c, raw)
				if err != nil {
					t.Fatal(err)
				}
				sk, err := NewPrivateKey(slowCurve, raw)
				if err != nil {
					t.Fatal(err)
				}
				if fk.X.Cmp(sk.X) != 0 || fk.Y.Cmp(sk.Y) != 0 {
					t.Fatal("public keys differ")
				}
				e, k := randBelow(rng, c.Q), randBelow(rng, c.Q)
				if k.Sign() == 0 {
					continue
				}
				fr, fs, err1 := signWithK(fk, e, k)
				sr, ss, err2 := signWithK(sk, e, k)
				if err1 != nil || err2 != nil || fr.Cmp(sr) != 0 || fs.Cmp(ss) != 0 {
					t.Fatalf("signatures differ: %v %v", err1, err2)
				}
				if !VerifyE(&sk.PublicKey, e, fr, fs) || !VerifyE(&fk.PublicKey, e, sr, ss) {
					t.Fatal("cross verification failed")
				}
			}
		})
	}
}

func TestWNAF(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 1))
	limit := new(big.Int).Lsh(big.NewInt(1), 512)
	vals := edgeValues(limit, 512)
	for range 200 {
		vals = append(vals, randBelow(rng, limit))
	}
	for _, w := range []int{wnafWidthQ, wnafWidthG} {
		for _, k := range vals {
			s := newScalar(k)
			var naf [maxNAF]int8
			top := wnaf(&naf, &s, 512, w)
			sum := new(big.Int)
			last := -w
			for i := len(naf) - 1; i >= 0; i-- {
				sum.Lsh(sum, 1)
				d := int(naf[i])
				if d == 0 {
					continue
				}
				if d%2 == 0 || d >= 1<<(w-1) || d <= -(1<<(w-1)) {
					t.Fatalf("w=%d k=%X: bad digit %d", w, k, d)
				}
				if i > top {
					t.Fatalf("digit above top")
				}
				if last >= 0 && last-i < w {
					t.Fatalf("w=%d: digits at %d and %d are too close", w, last, i)
				}
				last = i
				sum.Add(sum, big.NewInt(int64(d)))
			}
			if sum.Cmp(k) != 0 {
				t.Fatalf("w=%d: wNAF of %X sums to %X", w, k, sum)
			}
		}
	}
}

// TestPointSpecialCases drives the exceptional branches of the Jacobian
// formulas: P+P, P+(−P), additions with infinity, doubling infinity.
func TestPointSpecialCases(t *testing.T) {
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			fc, slow := c.par.fast, genericTwin(c)
			k := big.NewInt(987654321)
			p := fc.baseMult(k)
			pa, ok := fc.toAffine(&p)
			if !ok {
				t.Fatal("k·G at infinity")
			}
			// Make P's Z ≠ 1 so that the Jacobian forms differ from the affine.
			var p2 jacPoint
			fc.double(&p2, &p)
			wantX, wantY, _ := slow.bigToAffine(slow.bigScalarMult(c.X, c.Y, new(big.Int).Lsh(k, 1)))
			same := func(name string, got *jacPoint, x, y *big.Int) {
				t.Helper()
				gx, gy, ok := fc.bigAffine(got)
				if x == nil {
					if ok {
						t.Errorf("%s: want infinity, got (%X, %X)", name, gx, gy)
					}
					return
				}
				if !ok || gx.Cmp(x) != 0 || gy.Cmp(y) != 0 {
					t.Errorf("%s: got (%X, %X, %v), want (%X, %X)", name, gx, gy, ok, x, y)
				}
			}
			same("double", &p2, wantX, wantY)

			var r jacPoint
			fc.add(&r, &p, &p)
			same("add(P, P)", &r, wantX, wantY)
			fc.madd(&r, &p, &pa)
			same("madd(P, P)", &r, wantX, wantY)

			neg := fc.negJac(&p)
			fc.add(&r, &p, &neg)
			same("add(P, −P)", &r, nil, nil)
			na := fc.negAff(&pa)
			fc.madd(&r, &p, &na)
			same("madd(P, −P)", &r, nil, nil)

			px, py := fc.f.toBig(&pa.x), fc.f.toBig(&pa.y)
			var inf jacPoint
			fc.add(&r, &inf, &p)
			same("add(O, P)", &r, px, py)
			fc.add(&r, &p, &inf)
			same("add(P, O)", &r, px, py)
			fc.madd(&r, &inf, &pa)
			same("madd(O, P)", &r, px, py)
			fc.double(&r, &inf)
			same("double(O)", &r, nil, nil)

			// Aliasing: r = p.
			r = p
			fc.add(&r, &r, &r)
			same("add aliased", &r, wantX, wantY)
			r = p
			fc.double(&r, &r)
			same("double aliased", &r, wantX, wantY)

			// baseMult(0) is infinity; baseMult(1) is G.
			z := fc.baseMult(new(big.Int))
			same("0·G", &z, nil, nil)
			one := fc.baseMult(big.NewInt(1))
			same("1·G", &one, c.X, c.Y)
		})
	}
}

// TestVerifyXAboveQ builds a signature whose point C has x_C ≥ q, so that
// r = x_C − q and the check must try the candidate r + q. Random signatures
// reach this case with probability about 2^−128 (CryptoPro-A) or 2^−256.
//
// Pick C = (x, y) with q ≤ x < p, a random a, the public key Q = C − a·G and
// r = x − q. With e = −r and s = −a·r (mod q), verification computes
// v = e⁻¹, z1 = s·v = a, z2 = −r·v = 1, so z1·G + z2·Q = C.
func TestVerifyXAboveQ(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(4, 4))
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			par, slow := c.par, genericTwin(c)
			span := new(big.Int).Sub(c.P, c.Q)
			var cx, cy *big.Int
			for range 1000 {
				x := new(big.Int).Add(c.Q, randBelow(rng, span))
				rhs := new(big.Int).Exp(x, big.NewInt(3), c.P)
				rhs.Add(rhs, new(big.Int).Mul(c.A, x))
				rhs.Add(rhs, c.B)
				rhs.Mod(rhs, c.P)
				if y := new(big.Int).ModSqrt(rhs, c.P); y != nil {
					cx, cy = x, y
					break
				}
			}
			if cx == nil || !par.isOnCurve(cx, cy) {
				t.Fatal("no point with q ≤ x < p found")
			}
			a := randBelow(rng, c.Q)
			ax, ay := slow.baseMult(a)
			// Q = C − a·G
			qj := slow.bigAdd(slow.bigLift(cx, cy), slow.bigLift(ax, new(big.Int).Sub(c.P, ay)))
			qx, qy, ok := slow.bigToAffine(qj)
			if !ok {
				t.Fatal("Q at infinity")
			}
			r := new(big.Int).Sub(cx, c.Q)
			e := new(big.Int).Sub(c.Q, r)
			s := new(big.Int).Mul(a, e) // −a·r
			s.Mod(s, c.Q)
			pub := &PublicKey{Curve: c, X: qx, Y: qy}
			slowPub := &PublicKey{Curve: &Curve{par: slow}, X: qx, Y: qy}
			if !VerifyE(pub, e, r, s) {
				t.Error("fast path rejects the signature with x_C ≥ q")
			}
			if !VerifyE(slowPub, e, r, s) {
				t.Error("math/big path rejects the signature with x_C ≥ q")
			}
			r1 := new(big.Int).Add(r, big.NewInt(1))
			if VerifyE(pub, e, r1, s) || VerifyE(slowPub, e, r1, s) {
				t.Error("r+1 accepted")
			}
		})
	}
}
