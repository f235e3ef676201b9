package gost3410

import (
	"math/big"
	"sync"
)

// Named curves. Their parameters are published in RFC 7836 Appendix A.1
// (TC26) and RFC 4357 §11.4 (CryptoPro); Kazakhstan's НУЦ uses them under its
// own OIDs (1.2.398.3.10.1.1.2.2.1 and 1.2.398.3.10.1.1.1.1.1), which this
// package does not map: see gost.md §2.2 of the project reference.
var (
	tc26512AParams = sync.OnceValue(func() *curveParams {
		return mustKnownCurve("id-tc26-gost-3410-12-512-paramSetA", 64,
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"+
				"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"+
				"27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"+
				"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
			"E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265"+
				"EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
			"03",
			"7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921"+
				"DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4")
	})
	cryptoProAParams = sync.OnceValue(func() *curveParams {
		return mustKnownCurve("id-GostR3410-2001-CryptoPro-A-ParamSet", 32,
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893",
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94",
			"A6",
			"01",
			"8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14")
	})
)

// TC26512A returns id-tc26-gost-3410-12-512-paramSetA (RFC 7836 A.1;
// 1.2.643.7.1.2.1.2.1), the curve of the НУЦ GOST 2015 keys
// (KZ 1.2.398.3.10.1.1.2.2.1): p = 2^512 − 569, a = −3.
// Each call returns a fresh Curve; the precomputed tables behind it are
// built once per process and never change.
func TC26512A() *Curve { return tc26512AParams().curve() }

// CryptoProA returns id-GostR3410-2001-CryptoPro-A-ParamSet (RFC 4357 §11.4;
// 1.2.643.2.2.35.1), the curve of the НУЦ GOST 34.310-2004 keys
// (KZ 1.2.398.3.10.1.1.1.1.1): p = 2^256 − 617, a = −3.
// Each call returns a fresh Curve backed by shared immutable tables.
func CryptoProA() *Curve { return cryptoProAParams().curve() }

// knownCurves lists the built-in curves, so that NewCurve with the same
// numbers shares their tables instead of building new ones.
func knownCurves() []*curveParams {
	return []*curveParams{tc26512AParams(), cryptoProAParams()}
}

func mustKnownCurve(name string, size int, p, q, a, b, x, y string) *curveParams {
	hex := func(s string) *big.Int {
		v, ok := new(big.Int).SetString(s, 16)
		if !ok {
			panic("gost3410: bad built-in constant " + s)
		}
		return v
	}
	par := &curveParams{
		name: name, size: size,
		p: hex(p), q: hex(q), a: hex(a), b: hex(b), gx: hex(x), gy: hex(y),
		three: big.NewInt(3),
	}
	par.fast = newFastCurve(par)
	if par.fast == nil {
		panic("gost3410: built-in curve " + name + " has no fast arithmetic")
	}
	return par
}
