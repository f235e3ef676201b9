package gost3410

import (
	"math/big"
	"testing"
)

func benchCurves() []*Curve { return []*Curve{TC26512A(), CryptoProA()} }

func benchKey(b *testing.B, c *Curve) (*PrivateKey, []byte, []byte) {
	b.Helper()
	priv, err := GenerateKey(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	digest := make([]byte, c.PointSize())
	for i := range digest {
		digest[i] = byte(i*37 + 1)
	}
	sig, err := priv.Sign(nil, digest, nil)
	if err != nil {
		b.Fatal(err)
	}
	return priv, digest, sig
}

func BenchmarkVerify(b *testing.B) {
	for _, c := range benchCurves() {
		b.Run(c.Name, func(b *testing.B) {
			priv, digest, sig := benchKey(b, c)
			b.ReportAllocs()
			for b.Loop() {
				if !Verify(&priv.PublicKey, digest, sig) {
					b.Fatal("rejected")
				}
			}
		})
	}
}

// BenchmarkVerifyGeneric is the math/big path on the same curves, for
// comparison.
func BenchmarkVerifyGeneric(b *testing.B) {
	for _, c := range benchCurves() {
		b.Run(c.Name, func(b *testing.B) {
			priv, digest, sig := benchKey(b, c)
			slow := &Curve{Name: c.Name, par: genericTwin(c)}
			pub := &PublicKey{Curve: slow, X: priv.X, Y: priv.Y}
			for b.Loop() {
				if !Verify(pub, digest, sig) {
					b.Fatal("rejected")
				}
			}
		})
	}
}

func BenchmarkSign(b *testing.B) {
	for _, c := range benchCurves() {
		b.Run(c.Name, func(b *testing.B) {
			priv, digest, _ := benchKey(b, c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := priv.Sign(nil, digest, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkScalarBaseMult(b *testing.B) {
	for _, c := range benchCurves() {
		b.Run(c.Name, func(b *testing.B) {
			k := new(big.Int).Sub(c.Q, big.NewInt(12345))
			b.ReportAllocs()
			for b.Loop() {
				c.par.baseMult(k)
			}
		})
	}
}

func BenchmarkFieldMul(b *testing.B) {
	for _, c := range benchCurves() {
		b.Run(c.Name, func(b *testing.B) {
			f := c.par.fast.f
			var x, y fe
			f.fromBig(&x, c.Y)
			f.fromBig(&y, c.B)
			for b.Loop() {
				f.mul(&x, &x, &y)
			}
		})
	}
}

func BenchmarkFieldSqr(b *testing.B) {
	for _, c := range benchCurves() {
		b.Run(c.Name, func(b *testing.B) {
			f := c.par.fast.f
			var x fe
			f.fromBig(&x, c.Y)
			for b.Loop() {
				f.sqr(&x, &x)
			}
		})
	}
}

// BenchmarkCurveSetup measures building the tables of a pseudo-Mersenne
// curve from scratch (done once per process for the built-in curves).
func BenchmarkCurveSetup(b *testing.B) {
	for _, c := range benchCurves() {
		b.Run(c.Name, func(b *testing.B) {
			for b.Loop() {
				par := genericTwin(c)
				if newFastCurve(par) == nil {
					b.Fatal("not eligible")
				}
			}
		})
	}
}
