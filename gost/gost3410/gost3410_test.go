package gost3410

import (
	"bytes"
	"crypto"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"testing"
)

var _ crypto.Signer = (*PrivateKey)(nil)

func hexInt(t testing.TB, s string) *big.Int {
	t.Helper()
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return v
}

// rfc7091Vector is one of the two test examples of RFC 7091 §7 (the
// appendix of GOST R 34.10-2012): curve, key pair, e, nonce and signature.
type rfc7091Vector struct {
	name                  string
	p, a, b, q, gx, gy    string
	d, qx, qy, e, k, r, s string
}

var rfc7091Vectors = []rfc7091Vector{
	{
		name: "7.1 (256-bit test curve)",
		p:    "8000000000000000000000000000000000000000000000000000000000000431",
		a:    "7",
		b:    "5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E",
		q:    "8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3",
		gx:   "2",
		gy:   "08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8",
		d:    "7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28",
		qx:   "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B",
		qy:   "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA",
		e:    "2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5",
		k:    "77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3",
		r:    "41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493",
		s:    "01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40",
	},
	{
		name: "7.2 (512-bit test curve)",
		p: "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D" +
			"F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373",
		a: "7",
		b: "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43" +
			"61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC",
		q: "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D" +
			"A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF",
		gx: "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762" +
			"FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A",
		gy: "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C" +
			"83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E",
		d: "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020" +
			"72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
		qx: "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD" +
			"5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
		qy: "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61" +
			"EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
		e: "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591" +
			"7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
		k: "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658" +
			"86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
		r: "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3" +
			"5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
		s: "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5" +
			"823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
	},
}

func (v rfc7091Vector) curve(t testing.TB) *Curve {
	t.Helper()
	c, err := NewCurve("rfc7091-"+v.name, hexInt(t, v.p), hexInt(t, v.q), hexInt(t, v.a),
		hexInt(t, v.b), hexInt(t, v.gx), hexInt(t, v.gy))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRFC7091Examples(t *testing.T) {
	for _, v := range rfc7091Vectors {
		t.Run(v.name, func(t *testing.T) {
			c := v.curve(t)
			size := c.PointSize()
			priv, err := NewPrivateKey(c, leBytes(hexInt(t, v.d), size))
			if err != nil {
				t.Fatal(err)
			}
			if priv.X.Cmp(hexInt(t, v.qx)) != 0 || priv.Y.Cmp(hexInt(t, v.qy)) != 0 {
				t.Fatalf("d·G = (%X, %X), want (%s, %s)", priv.X, priv.Y, v.qx, v.qy)
			}
			e, k := hexInt(t, v.e), hexInt(t, v.k)
			r, s, err := signWithK(priv, e, k)
			if err != nil {
				t.Fatal(err)
			}
			if r.Cmp(hexInt(t, v.r)) != 0 {
				t.Errorf("r = %X, want %s", r, v.r)
			}
			if s.Cmp(hexInt(t, v.s)) != 0 {
				t.Errorf("s = %X, want %s", s, v.s)
			}
			pub := &priv.PublicKey
			if !VerifyE(pub, e, r, s) {
				t.Error("VerifyE rejects the RFC signature")
			}
			if VerifyE(pub, new(big.Int).Add(e, big.NewInt(1)), r, s) {
				t.Error("VerifyE accepts the RFC signature for e+1")
			}
			// Byte form: e as a little-endian digest, the signature as r_LE ‖ s_LE.
			sig := append(leBytes(r, size), leBytes(s, size)...)
			if !Verify(pub, leBytes(e, size), sig) {
				t.Error("Verify rejects the RFC signature in the KZ byte layout")
			}
			// The RFC 4491 layout s_BE ‖ r_BE is the byte reversal of r_LE ‖ s_LE.
			rfc4491 := append(s.FillBytes(make([]byte, size)), r.FillBytes(make([]byte, size))...)
			rev := bytes.Clone(rfc4491)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			if !bytes.Equal(rev, sig) {
				t.Error("r_LE ‖ s_LE is not the byte reversal of s_BE ‖ r_BE")
			}
			if Verify(pub, leBytes(e, size), rfc4491) {
				t.Error("Verify accepts the un-reversed RFC 4491 layout")
			}
		})
	}
}

func TestCurveConstants(t *testing.T) {
	two := big.NewInt(2)
	tests := []struct {
		curve *Curve
		name  string
		size  int
		pBits uint
		c     int64
	}{
		{TC26512A(), "id-tc26-gost-3410-12-512-paramSetA", 64, 512, 569},
		{CryptoProA(), "id-GostR3410-2001-CryptoPro-A-ParamSet", 32, 256, 617},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.curve
			if c.Name != tt.name || c.PointSize() != tt.size {
				t.Fatalf("name %q size %d", c.Name, c.PointSize())
			}
			wantP := new(big.Int).Exp(two, big.NewInt(int64(tt.pBits)), nil)
			wantP.Sub(wantP, big.NewInt(tt.c))
			if c.P.Cmp(wantP) != 0 {
				t.Errorf("p = %X, want 2^%d − %d", c.P, tt.pBits, tt.c)
			}
			if new(big.Int).Sub(c.P, c.A).Int64() != 3 {
				t.Error("a ≠ p − 3")
			}
			if !c.P.ProbablyPrime(32) || !c.Q.ProbablyPrime(32) {
				t.Error("p or q is not prime")
			}
			par := c.par
			if par.fast == nil {
				t.Fatal("no fast arithmetic")
			}
			if !par.isOnCurve(c.X, c.Y) {
				t.Error("G is not on the curve")
			}
			if par.bigScalarMult(c.X, c.Y, c.Q).z.Sign() != 0 {
				t.Error("q·G ≠ O (math/big)")
			}
			g := par.fast.g
			if qg := par.fast.scalarMult(&g, c.Q); !par.fast.isInf(&qg) {
				t.Error("q·G ≠ O (fast wNAF)")
			}
			if qg := par.fast.baseMult(c.Q); !par.fast.isInf(&qg) {
				t.Error("q·G ≠ O (fast comb)")
			}
			qm1 := new(big.Int).Sub(c.Q, big.NewInt(1))
			x, y := par.baseMult(qm1)
			if x.Cmp(c.X) != 0 || new(big.Int).Add(y, c.Y).Cmp(c.P) != 0 {
				t.Error("(q−1)·G ≠ −G")
			}
			// NewCurve with the same numbers validates and shares the tables.
			c2, err := NewCurve("copy", c.P, c.Q, c.A, c.B, c.X, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if c2.par.fast != par.fast {
				t.Error("NewCurve did not reuse the built-in tables")
			}
			// Fresh values: changing one Curve's fields does not touch another's.
			c.P.SetInt64(5)
			if tt.curve.par.p.Cmp(wantP) != 0 {
				t.Error("exported P aliases the internal parameters")
			}
		})
	}
	if TC26512A().P == TC26512A().P {
		t.Error("constructor returns shared big.Int values")
	}
}

func TestNewCurveRejects(t *testing.T) {
	c := TC26512A()
	one := big.NewInt(1)
	plus := func(v *big.Int, d int64) *big.Int { return new(big.Int).Add(v, big.NewInt(d)) }
	tests := []struct {
		name             string
		p, q, a, b, x, y *big.Int
	}{
		{"nil", nil, c.Q, c.A, c.B, c.X, c.Y},
		{"p not prime", plus(c.P, 2), c.Q, c.A, c.B, c.X, c.Y},
		{"q not prime", c.P, plus(c.Q, 2), c.A, c.B, c.X, c.Y},
		{"q too small", c.P, one, c.A, c.B, c.X, c.Y},
		{"G off curve", c.P, c.Q, c.A, c.B, c.X, plus(c.Y, 1)},
		{"b not reduced", c.P, c.Q, c.A, new(big.Int).Add(c.B, c.P), c.X, c.Y},
		// A prime q in range that is not the order of G (the RFC 7091 test
		// curve's q on the CryptoPro-A curve).
		{"wrong order", CryptoProA().P, hexInt(t, rfc7091Vectors[0].q),
			CryptoProA().A, CryptoProA().B, CryptoProA().X, CryptoProA().Y},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewCurve(tt.name, tt.p, tt.q, tt.a, tt.b, tt.x, tt.y); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	curves := []*Curve{TC26512A(), CryptoProA(), rfc7091Vectors[0].curve(t), rfc7091Vectors[1].curve(t)}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, c := range curves {
		t.Run(c.Name, func(t *testing.T) {
			size := c.PointSize()
			priv, err := GenerateKey(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			pub := priv.Public().(*PublicKey)
			digest := make([]byte, size)
			for i := range digest {
				digest[i] = byte(rng.Uint32())
			}
			sig, err := priv.Sign(nil, digest, crypto.Hash(0))
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != 2*size {
				t.Fatalf("signature is %d bytes", len(sig))
			}
			if !Verify(pub, digest, sig) {
				t.Fatal("fresh signature rejected")
			}
			sig2, err := priv.Sign(nil, digest, nil)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(sig, sig2) {
				t.Error("two signatures are equal: the nonce is not fresh")
			}
			if !Verify(pub, digest, sig2) {
				t.Error("second signature rejected")
			}

			// Keys survive their byte forms.
			pub2, err := NewPublicKey(c, pub.Raw())
			if err != nil || !pub2.Equal(pub) || !pub.Equal(pub2) {
				t.Fatalf("public key round trip: %v", err)
			}
			priv2, err := NewPrivateKey(c, priv.Raw())
			if err != nil || !priv2.Equal(priv) || !priv2.PublicKey.Equal(pub) {
				t.Fatalf("private key round trip: %v", err)
			}
			if !Verify(pub2, digest, sig) {
				t.Error("signature rejected by the decoded key")
			}

			// Every flipped bit of the digest or the signature fails. For the
			// slow math/big curves only a sample of the bits is tried.
			step := 1
			if c.par.fast == nil {
				step = 37
			}
			for i := 0; i < 8*len(digest); i += step {
				d := bytes.Clone(digest)
				d[i/8] ^= 1 << (i % 8)
				if Verify(pub, d, sig) {
					t.Fatalf("digest bit %d flipped: accepted", i)
				}
			}
			for i := 0; i < 8*len(sig); i += step {
				s := bytes.Clone(sig)
				s[i/8] ^= 1 << (i % 8)
				if Verify(pub, digest, s) {
					t.Fatalf("signature bit %d flipped: accepted", i)
				}
			}

			// Another key does not verify it.
			other, err := GenerateKey(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			if Verify(&other.PublicKey, digest, sig) {
				t.Error("another key accepts the signature")
			}
			if other.Equal(priv) || other.PublicKey.Equal(pub) {
				t.Error("different keys compare equal")
			}
		})
	}
}

func TestVerifyRejectsOutOfRange(t *testing.T) {
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			size := c.PointSize()
			priv, err := GenerateKey(c, nil)
			if err != nil {
				t.Fatal(err)
			}
			pub := &priv.PublicKey
			e := big.NewInt(123456789)
			r, s, err := SignE(nil, priv, e)
			if err != nil {
				t.Fatal(err)
			}
			if !VerifyE(pub, e, r, s) {
				t.Fatal("valid signature rejected")
			}
			q := c.Q
			rq := new(big.Int).Add(r, q)
			sq := new(big.Int).Add(s, q)
			cases := []struct {
				name string
				r, s *big.Int
			}{
				{"r=0", new(big.Int), s},
				{"s=0", r, new(big.Int)},
				{"r=q", q, s},
				{"s=q", r, q},
				{"r+q", rq, s},
				{"s+q", r, sq},
				{"r<0", new(big.Int).Neg(r), s},
				{"r=nil", nil, s},
			}
			for _, tc := range cases {
				if VerifyE(pub, e, tc.r, tc.s) {
					t.Errorf("%s accepted by VerifyE", tc.name)
				}
				if tc.r == nil || tc.r.Sign() < 0 || tc.r.BitLen() > 8*size || tc.s.BitLen() > 8*size {
					continue
				}
				sig := append(leBytes(tc.r, size), leBytes(tc.s, size)...)
				if Verify(pub, leBytes(e, size), sig) {
					t.Errorf("%s accepted by Verify", tc.name)
				}
			}
			// e ≡ 0 is signed and verified as e = 1.
			r0, s0, err := SignE(nil, priv, new(big.Int).Set(q))
			if err != nil {
				t.Fatal(err)
			}
			if !VerifyE(pub, big.NewInt(1), r0, s0) || !VerifyE(pub, new(big.Int), r0, s0) {
				t.Error("e ≡ 0 is not treated as e = 1")
			}
			// Malformed byte input.
			good := append(leBytes(r, size), leBytes(s, size)...)
			if !Verify(pub, leBytes(e, size), good) {
				t.Fatal("valid byte signature rejected")
			}
			for _, bad := range [][]byte{nil, good[:len(good)-1], append(bytes.Clone(good), 0)} {
				if Verify(pub, leBytes(e, size), bad) {
					t.Errorf("signature of %d bytes accepted", len(bad))
				}
			}
			if Verify(pub, nil, good) || Verify(nil, leBytes(e, size), good) ||
				Verify(&PublicKey{}, leBytes(e, size), good) ||
				Verify(&PublicKey{Curve: &Curve{}, X: pub.X, Y: pub.Y}, leBytes(e, size), good) {
				t.Error("nil or empty input accepted")
			}
			// A public key struct off the curve is refused even when built by hand.
			offY := new(big.Int).Add(pub.Y, big.NewInt(1))
			if VerifyE(&PublicKey{Curve: c, X: pub.X, Y: offY}, e, r, s) {
				t.Error("hand-made off-curve key accepted")
			}
		})
	}
}

func TestNewPublicKeyRejects(t *testing.T) {
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			size := c.PointSize()
			g := append(leBytes(c.X, size), leBytes(c.Y, size)...)
			if pk, err := NewPublicKey(c, g); err != nil || pk.X.Cmp(c.X) != 0 {
				t.Fatalf("G refused: %v", err)
			}
			flipY := bytes.Clone(g)
			flipY[size] ^= 1
			// x + p encodes the same residue as G.x but is not canonical; it
			// fits in PointSize bytes because G.x is small on both curves.
			xPlusP := append(leBytes(new(big.Int).Add(c.X, c.P), size), leBytes(c.Y, size)...)
			yPlusP := bytes.Clone(g)
			if new(big.Int).Add(c.Y, c.P).BitLen() <= 8*size {
				yPlusP = append(leBytes(c.X, size), leBytes(new(big.Int).Add(c.Y, c.P), size)...)
			} else {
				yPlusP = flipY
			}
			// The RFC's big-endian reading of the same bytes is off the curve.
			be := append(c.X.FillBytes(make([]byte, size)), c.Y.FillBytes(make([]byte, size))...)
			for name, raw := range map[string][]byte{
				"y flipped":  flipY,
				"x+p":        xPlusP,
				"y+p":        yPlusP,
				"zeros":      make([]byte, 2*size),
				"big-endian": be,
				"short":      g[:2*size-1],
				"long":       append(bytes.Clone(g), 0),
				"empty":      nil,
			} {
				if _, err := NewPublicKey(c, raw); err == nil {
					t.Errorf("%s: accepted", name)
				}
			}
			if _, err := NewPublicKey(nil, g); err == nil {
				t.Error("nil curve accepted")
			}
			if _, err := NewPublicKey(&Curve{}, g); err == nil {
				t.Error("zero Curve accepted")
			}
		})
	}
}

func TestNewPrivateKey(t *testing.T) {
	for _, c := range []*Curve{TC26512A(), CryptoProA()} {
		t.Run(c.Name, func(t *testing.T) {
			size := c.PointSize()
			one := leBytes(big.NewInt(1), size)
			k, err := NewPrivateKey(c, one)
			if err != nil {
				t.Fatal(err)
			}
			if k.X.Cmp(c.X) != 0 || k.Y.Cmp(c.Y) != 0 {
				t.Error("1·G ≠ G")
			}
			if !bytes.Equal(k.Raw(), one) {
				t.Error("Raw does not round-trip")
			}
			if !bytes.Equal(k.PublicKey.Raw(), append(leBytes(c.X, size), leBytes(c.Y, size)...)) {
				t.Error("public Raw is not x_LE ‖ y_LE")
			}
			qm1 := new(big.Int).Sub(c.Q, big.NewInt(1))
			for name, raw := range map[string][]byte{
				"zero":  make([]byte, size),
				"q":     leBytes(c.Q, size),
				"q+1":   leBytes(new(big.Int).Add(c.Q, big.NewInt(1)), size),
				"short": one[:size-1],
				"long":  append(bytes.Clone(one), 0),
			} {
				if _, err := NewPrivateKey(c, raw); err == nil {
					t.Errorf("%s: accepted", name)
				}
			}
			if _, err := NewPrivateKey(c, leBytes(qm1, size)); err != nil {
				t.Errorf("q−1 refused: %v", err)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// zeroReader always yields zero bytes: every candidate scalar is 0.
type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

func TestSignErrors(t *testing.T) {
	c := CryptoProA()
	priv, err := GenerateKey(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	digest := make([]byte, 32)
	digest[0] = 1
	if _, err := priv.Sign(failingReader{}, digest, nil); err == nil {
		t.Error("failing random source: no error")
	}
	if _, err := priv.Sign(zeroReader{}, digest, nil); err == nil {
		t.Error("all-zero random source: no error")
	}
	if _, err := GenerateKey(c, failingReader{}); err == nil {
		t.Error("GenerateKey with a failing random source: no error")
	}
	if _, err := priv.Sign(nil, nil, nil); err == nil {
		t.Error("empty digest: no error")
	}
	if _, _, err := SignE(nil, priv, big.NewInt(-1)); err == nil {
		t.Error("negative e: no error")
	}
	if _, _, err := SignE(nil, &PrivateKey{PublicKey: priv.PublicKey, D: new(big.Int)}, big.NewInt(1)); err == nil {
		t.Error("d = 0: no error")
	}
	if _, _, err := signWithK(priv, big.NewInt(1), c.Q); err == nil {
		t.Error("k = q: no error")
	}
	if _, err := GenerateKey(&Curve{}, nil); err == nil {
		t.Error("zero Curve: no error")
	}
}
