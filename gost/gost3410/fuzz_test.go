package gost3410

import (
	"math/big"
	"testing"
)

// FuzzVerify feeds arbitrary digests, signatures and public key bytes to
// Verify and NewPublicKey: nothing may panic, a random signature must not
// verify, and a key that decodes must re-encode to the same bytes.
func FuzzVerify(f *testing.F) {
	curves := []*Curve{TC26512A(), CryptoProA()}
	keys := make([]*PrivateKey, len(curves))
	for i, c := range curves {
		raw := leBytes(big.NewInt(int64(1000003*(i+1))), c.PointSize())
		k, err := NewPrivateKey(c, raw)
		if err != nil {
			f.Fatal(err)
		}
		keys[i] = k
		digest := make([]byte, c.PointSize())
		digest[0] = 7
		sig, err := k.Sign(nil, digest, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), digest, sig, k.PublicKey.Raw())
		f.Add(uint8(i), digest, sig, []byte{})
		f.Add(uint8(i), []byte{}, []byte{1, 2, 3}, make([]byte, 2*c.PointSize()))
	}
	f.Fuzz(func(t *testing.T, which uint8, digest, sig, pubRaw []byte) {
		i := int(which) % len(curves)
		c := curves[i]
		pub := &keys[i].PublicKey
		if pk, err := NewPublicKey(c, pubRaw); err == nil {
			if got := pk.Raw(); string(got) != string(pubRaw) {
				t.Fatalf("decoded key re-encodes to %x, was %x", got, pubRaw)
			}
			pub = pk
		}
		ok := Verify(pub, digest, sig)
		// Verify must agree with VerifyE on well-formed input.
		size := c.PointSize()
		if len(sig) == 2*size && len(digest) > 0 {
			if VerifyE(pub, leInt(digest), leInt(sig[:size]), leInt(sig[size:])) != ok {
				t.Fatal("Verify and VerifyE disagree")
			}
		} else if ok {
			t.Fatal("malformed input accepted")
		}
	})
}
