// Package gost3410 implements GOST R 34.10 elliptic-curve signatures (2001, 2012, 2015 and
// Kazakhstan's ГОСТ 34.310-2004): key handling, signing and verification in the НУЦ РК byte layouts.
//
// # Byte orders
//
// Everything on the wire is little-endian, as the НУЦ РК (KalkanCrypt) uses it:
//
//   - Public key: x_LE ‖ y_LE, PointSize bytes each. This is the content of the OCTET STRING
//     wrapped in the SubjectPublicKeyInfo BIT STRING (RFC 4491, RFC 9215).
//   - Private key: d_LE, PointSize bytes: the inner OCTET STRING of the НУЦ PKCS#8 key.
//   - Signature: r_LE ‖ s_LE, PointSize bytes each. It is exactly the byte reversal of the
//     RFC 4491/9215 layout s_BE ‖ r_BE. X.509 signatureValue, XML-DSig SignatureValue and
//     CMS SignerInfo.signature all carry this form.
//   - Digest: the hash output as a byte string (Streebog, GOST 34.311-95 as gost-engine prints
//     it), read as a little-endian integer α. Then e = α mod q, and e = 0 becomes 1
//     (RFC 7091 §6.1).
//
// SignE and VerifyE take e, r and s as integers, for test vectors and other encodings.
//
// # Curves and arithmetic
//
// TC26512A and CryptoProA are the two curves the НУЦ issues keys on. NewCurve accepts any other
// curve, such as the RFC 7091 test curves. Curves of the form p = 2^256 − c or 2^512 − c (small c)
// with a = −3 use dedicated fixed-size field arithmetic:
//
//   - Jacobian coordinates;
//   - a precomputed comb table for k·G;
//   - Straus–Shamir wNAF for u1·G + u2·Q.
//
// Every other curve uses plain math/big.
//
// Verification handles public data only. Signing reads the comb table with masks and applies
// digit signs without branches, but the big.Int scalar arithmetic (nonce reduction, s = rd + ke)
// and the rare exceptional additions are not constant time. This package serves a test PKI
// emulator; do not use it to protect real secrets against timing attackers.
package gost3410

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// Curve is a GOST R 34.10 curve y² = x³ + ax + b over GF(p) with a base point
// G = (X, Y) of prime order Q. The exported fields are copies for reading;
// changing them has no effect on the arithmetic. Use TC26512A, CryptoProA or
// NewCurve; a zero Curve is unusable.
type Curve struct {
	Name             string
	P, Q, A, B, X, Y *big.Int

	par *curveParams
}

// curve returns a fresh Curve value over the shared immutable parameters.
func (par *curveParams) curve() *Curve {
	cp := func(v *big.Int) *big.Int { return new(big.Int).Set(v) }
	return &Curve{
		Name: par.name,
		P:    cp(par.p), Q: cp(par.q), A: cp(par.a), B: cp(par.b), X: cp(par.gx), Y: cp(par.gy),
		par: par,
	}
}

// PointSize returns the number of bytes of one coordinate, scalar, r or s:
// 32 or 64 (0 for an uninitialised Curve).
func (c *Curve) PointSize() int {
	if c == nil || c.par == nil {
		return 0
	}
	return c.par.size
}

// params returns the arithmetic of c, or an error for an unusable Curve.
func (c *Curve) params() (*curveParams, error) {
	if c == nil || c.par == nil {
		return nil, errors.New("gost3410: curve is nil or not made by a constructor")
	}
	return c.par, nil
}

// sameCurve reports whether a and b have the same parameters.
func sameCurve(a, b *Curve) bool {
	if a == nil || b == nil || a.par == nil || b.par == nil {
		return false
	}
	return a.par == b.par || a.par.sameNumbers(b.par)
}

func (par *curveParams) sameNumbers(o *curveParams) bool {
	return par.p.Cmp(o.p) == 0 && par.q.Cmp(o.q) == 0 && par.a.Cmp(o.a) == 0 &&
		par.b.Cmp(o.b) == 0 && par.gx.Cmp(o.gx) == 0 && par.gy.Cmp(o.gy) == 0
}

// NewCurve validates and returns a curve from its parameters: p prime, the
// size of q (2^254 < q < 2^256 or 2^508 < q < 2^512, as GOST R 34.10-2012
// requires), q prime and ≠ p, a, b reduced and the curve non-singular, G on
// the curve and q·G = O. Curves with p = 2^256 − c or 2^512 − c (c < 2^32)
// and a = p − 3 get the fast arithmetic; the built-in curves' tables are
// reused when the numbers match them.
func NewCurve(name string, p, q, a, b, x, y *big.Int) (*Curve, error) {
	for _, v := range []*big.Int{p, q, a, b, x, y} {
		if v == nil {
			return nil, errors.New("gost3410: NewCurve: nil parameter")
		}
	}
	par := &curveParams{
		name: name,
		p:    new(big.Int).Set(p), q: new(big.Int).Set(q),
		a: new(big.Int).Set(a), b: new(big.Int).Set(b),
		gx: new(big.Int).Set(x), gy: new(big.Int).Set(y),
		three: big.NewInt(3),
	}
	if err := par.validate(); err != nil {
		return nil, fmt.Errorf("gost3410: NewCurve %q: %w", name, err)
	}
	for _, k := range knownCurves() {
		if par.sameNumbers(k) {
			par.fast = k.fast
		}
	}
	if par.fast == nil {
		par.fast = newFastCurve(par)
	}
	// q·G = O, checked with the arithmetic the curve will use.
	if par.fast != nil {
		g := par.fast.g
		qg := par.fast.scalarMult(&g, par.q)
		if !par.fast.isInf(&qg) {
			return nil, fmt.Errorf("gost3410: NewCurve %q: q·G is not the point at infinity", name)
		}
	} else if par.bigScalarMult(par.gx, par.gy, par.q).z.Sign() != 0 {
		return nil, fmt.Errorf("gost3410: NewCurve %q: q·G is not the point at infinity", name)
	}
	return par.curve(), nil
}

// validate checks everything but q·G = O and sets size.
func (par *curveParams) validate() error {
	switch {
	case par.p.Cmp(big.NewInt(3)) <= 0 || !par.p.ProbablyPrime(20):
		return errors.New("p is not a prime above 3")
	case par.p.BitLen() <= 256:
		par.size = 32
	case par.p.BitLen() <= 512:
		par.size = 64
	default:
		return errors.New("p is longer than 512 bits")
	}
	loBits := uint(254) // q > 2^254 for 256-bit keys, q > 2^508 for 512-bit ones
	if par.size == 64 {
		loBits = 508
	}
	lo := new(big.Int).Lsh(big.NewInt(1), loBits)
	if par.q.Cmp(lo) <= 0 || par.q.BitLen() > 8*par.size {
		return fmt.Errorf("q is out of the GOST range for %d-bit keys", 8*par.size)
	}
	if !par.q.ProbablyPrime(20) || par.q.Cmp(par.p) == 0 {
		return errors.New("q is not a prime different from p")
	}
	for _, v := range []*big.Int{par.a, par.b, par.gx, par.gy} {
		if v.Sign() < 0 || v.Cmp(par.p) >= 0 {
			return errors.New("a, b, x or y is not reduced mod p")
		}
	}
	// 4a³ + 27b² ≢ 0 (mod p)
	d := new(big.Int).Exp(par.a, big.NewInt(3), par.p)
	d.Lsh(d, 2)
	bb := new(big.Int).Mul(par.b, par.b)
	d.Add(d, bb.Mul(bb, big.NewInt(27)))
	if d.Mod(d, par.p).Sign() == 0 {
		return errors.New("the curve is singular")
	}
	if !par.isOnCurve(par.gx, par.gy) {
		return errors.New("G is not on the curve")
	}
	return nil
}

// PublicKey is a GOST R 34.10 public key: the point (X, Y) on Curve.
type PublicKey struct {
	Curve *Curve
	X, Y  *big.Int
}

// NewPublicKey decodes x_LE ‖ y_LE (2·PointSize bytes, the RFC 4491/9215
// OCTET STRING content) and checks that the point is on the curve with
// coordinates below p.
func NewPublicKey(c *Curve, raw []byte) (*PublicKey, error) {
	par, err := c.params()
	if err != nil {
		return nil, err
	}
	if len(raw) != 2*par.size {
		return nil, fmt.Errorf("gost3410: public key is %d bytes, want %d", len(raw), 2*par.size)
	}
	x, y := leInt(raw[:par.size]), leInt(raw[par.size:])
	if !par.isOnCurve(x, y) {
		return nil, errors.New("gost3410: public key is not a point of the curve")
	}
	return &PublicKey{Curve: c, X: x, Y: y}, nil
}

// Raw returns x_LE ‖ y_LE (2·PointSize bytes); nil for an unusable key.
func (k *PublicKey) Raw() []byte {
	if k == nil || k.X == nil || k.Y == nil {
		return nil
	}
	size := k.Curve.PointSize()
	if size == 0 || k.X.Sign() < 0 || k.Y.Sign() < 0 || k.X.BitLen() > 8*size || k.Y.BitLen() > 8*size {
		return nil
	}
	out := make([]byte, 0, 2*size)
	out = append(out, leBytes(k.X, size)...)
	return append(out, leBytes(k.Y, size)...)
}

// Equal reports whether x is a *PublicKey with the same curve parameters
// and point.
func (k *PublicKey) Equal(x crypto.PublicKey) bool {
	o, ok := x.(*PublicKey)
	if !ok || k == nil || o == nil || k.X == nil || k.Y == nil || o.X == nil || o.Y == nil {
		return false
	}
	return sameCurve(k.Curve, o.Curve) && k.X.Cmp(o.X) == 0 && k.Y.Cmp(o.Y) == 0
}

// PrivateKey is a GOST R 34.10 private key d with its public key d·G.
type PrivateKey struct {
	PublicKey
	D *big.Int
}

// NewPrivateKey decodes d_LE (PointSize bytes, the НУЦ PKCS#8 inner OCTET
// STRING), requires 0 < d < q and computes the public key.
func NewPrivateKey(c *Curve, raw []byte) (*PrivateKey, error) {
	par, err := c.params()
	if err != nil {
		return nil, err
	}
	if len(raw) != par.size {
		return nil, fmt.Errorf("gost3410: private key is %d bytes, want %d", len(raw), par.size)
	}
	d := leInt(raw)
	if d.Sign() == 0 || d.Cmp(par.q) >= 0 {
		return nil, errors.New("gost3410: private key is not in [1, q−1]")
	}
	return newPrivateKey(c, par, d), nil
}

func newPrivateKey(c *Curve, par *curveParams, d *big.Int) *PrivateKey {
	x, y := par.baseMult(d)
	return &PrivateKey{PublicKey: PublicKey{Curve: c, X: x, Y: y}, D: d}
}

// GenerateKey returns a new private key with d uniform in [1, q−1], read from
// rand (crypto/rand when rand is nil).
func GenerateKey(c *Curve, rand io.Reader) (*PrivateKey, error) {
	par, err := c.params()
	if err != nil {
		return nil, err
	}
	d, err := randScalar(rand, par.q)
	if err != nil {
		return nil, err
	}
	return newPrivateKey(c, par, d), nil
}

// Raw returns d_LE (PointSize bytes); nil for an unusable key.
func (k *PrivateKey) Raw() []byte {
	if k == nil || k.D == nil {
		return nil
	}
	size := k.Curve.PointSize()
	if size == 0 || k.D.Sign() < 0 || k.D.BitLen() > 8*size {
		return nil
	}
	return leBytes(k.D, size)
}

// Public returns the *PublicKey of k.
func (k *PrivateKey) Public() crypto.PublicKey { return &k.PublicKey }

// Equal reports whether x is a *PrivateKey with the same curve and scalar.
func (k *PrivateKey) Equal(x crypto.PrivateKey) bool {
	o, ok := x.(*PrivateKey)
	if !ok || k == nil || o == nil || k.D == nil || o.D == nil {
		return false
	}
	return sameCurve(k.Curve, o.Curve) && k.D.Cmp(o.D) == 0
}

// Sign implements crypto.Signer. digest is the hash output as a byte string
// (Streebog or GOST 34.311-95), read as a little-endian integer; the result
// is r_LE ‖ s_LE (2·PointSize bytes), with a fresh nonce from rand
// (crypto/rand when rand is nil). opts is ignored.
func (k *PrivateKey) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if len(digest) == 0 {
		return nil, errors.New("gost3410: empty digest")
	}
	r, s, err := SignE(rand, k, leInt(digest))
	if err != nil {
		return nil, err
	}
	size := k.Curve.PointSize()
	out := make([]byte, 0, 2*size)
	out = append(out, leBytes(r, size)...)
	return append(out, leBytes(s, size)...), nil
}

// Verify reports whether sig (r_LE ‖ s_LE) is a valid signature of digest
// (a hash output read as a little-endian integer) by pub. It returns false
// for any malformed input: a nil or unusable key, an empty digest, a
// signature of the wrong length, r or s outside [1, q−1].
func Verify(pub *PublicKey, digest, sig []byte) bool {
	if pub == nil || len(digest) == 0 {
		return false
	}
	size := pub.Curve.PointSize()
	if size == 0 || len(sig) != 2*size {
		return false
	}
	return VerifyE(pub, leInt(digest), leInt(sig[:size]), leInt(sig[size:]))
}

// errRetry reports a nonce that gave r = 0 or s = 0.
var errRetry = errors.New("gost3410: nonce gave r = 0 or s = 0")

// SignE signs the integer e (RFC 7091 §6.1: e is reduced mod q and 0 becomes
// 1) with a fresh nonce from rand (crypto/rand when rand is nil).
func SignE(rand io.Reader, priv *PrivateKey, e *big.Int) (r, s *big.Int, err error) {
	par, err := priv.checked()
	if err != nil {
		return nil, nil, err
	}
	if e == nil || e.Sign() < 0 {
		return nil, nil, errors.New("gost3410: e must be a non-negative integer")
	}
	for range 64 {
		k, err := randScalar(rand, par.q)
		if err != nil {
			return nil, nil, err
		}
		r, s, err = signWithK(priv, e, k)
		if errors.Is(err, errRetry) {
			continue
		}
		return r, s, err
	}
	return nil, nil, errors.New("gost3410: no usable nonce after 64 attempts; is the random source broken?")
}

// checked returns the curve arithmetic of a usable private key.
func (k *PrivateKey) checked() (*curveParams, error) {
	if k == nil {
		return nil, errors.New("gost3410: nil private key")
	}
	par, err := k.Curve.params()
	if err != nil {
		return nil, err
	}
	if k.D == nil || k.D.Sign() <= 0 || k.D.Cmp(par.q) >= 0 {
		return nil, errors.New("gost3410: private key is not in [1, q−1]")
	}
	return par, nil
}

// signWithK is RFC 7091 §6.1 steps 2–6 with a given nonce 0 < k < q:
// C = k·G, r = x_C mod q, s = (r·d + k·e) mod q.
func signWithK(priv *PrivateKey, e, k *big.Int) (r, s *big.Int, err error) {
	par, err := priv.checked()
	if err != nil {
		return nil, nil, err
	}
	if k.Sign() <= 0 || k.Cmp(par.q) >= 0 {
		return nil, nil, errors.New("gost3410: nonce is not in [1, q−1]")
	}
	e = reduceE(e, par.q)
	x, _ := par.baseMult(k)
	r = x.Mod(x, par.q)
	if r.Sign() == 0 {
		return nil, nil, errRetry
	}
	s = new(big.Int).Mul(r, priv.D)
	ke := new(big.Int).Mul(k, e)
	s.Add(s, ke)
	s.Mod(s, par.q)
	if s.Sign() == 0 {
		return nil, nil, errRetry
	}
	return r, s, nil
}

// VerifyE reports whether (r, s) is a valid signature of the integer e by pub
// (RFC 7091 §6.2; e is reduced mod q and 0 becomes 1). The public point is
// checked to be on the curve; r and s must lie in [1, q−1].
func VerifyE(pub *PublicKey, e, r, s *big.Int) bool {
	if pub == nil || e == nil || r == nil || s == nil || e.Sign() < 0 {
		return false
	}
	par, err := pub.Curve.params()
	if err != nil || !par.isOnCurve(pub.X, pub.Y) {
		return false
	}
	if r.Sign() <= 0 || r.Cmp(par.q) >= 0 || s.Sign() <= 0 || s.Cmp(par.q) >= 0 {
		return false
	}
	v := new(big.Int).ModInverse(reduceE(e, par.q), par.q)
	z1 := new(big.Int).Mul(s, v)
	z1.Mod(z1, par.q)
	z2 := new(big.Int).Mul(r, v)
	z2.Mod(z2, par.q)
	if z2.Sign() != 0 {
		z2.Sub(par.q, z2)
	}
	return par.checkR(z1, z2, pub.X, pub.Y, r)
}

// reduceE returns e mod q, with 0 replaced by 1.
func reduceE(e, q *big.Int) *big.Int {
	r := new(big.Int).Mod(e, q)
	if r.Sign() == 0 {
		r.SetInt64(1)
	}
	return r
}

// randScalar returns a uniform integer in [1, q−1] by rejection sampling.
func randScalar(rnd io.Reader, q *big.Int) (*big.Int, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	n := (q.BitLen() + 7) / 8
	excess := uint(8*n - q.BitLen())
	buf := make([]byte, n)
	for range 256 {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return nil, fmt.Errorf("gost3410: reading randomness: %w", err)
		}
		buf[0] &= 0xFF >> excess
		k := new(big.Int).SetBytes(buf)
		if k.Sign() > 0 && k.Cmp(q) < 0 {
			return k, nil
		}
	}
	return nil, errors.New("gost3410: random source keeps giving out-of-range values")
}

// leInt reads b as a little-endian unsigned integer.
func leInt(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i, v := range b {
		be[len(b)-1-i] = v
	}
	return new(big.Int).SetBytes(be)
}

// leBytes writes 0 ≤ v < 2^(8·size) as size little-endian bytes.
func leBytes(v *big.Int, size int) []byte {
	out := make([]byte, size)
	v.FillBytes(out)
	for i, j := 0, size-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
