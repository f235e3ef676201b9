package signing

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/pkcs12"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/internal/fixtures"
)

// The GOST samples of shared/fixtures/real, verified as its README says. xmlsec1 has no GOST, so
// the independent checks are the real KalkanCrypt-made samples themselves (and the Streebog and
// 34.11-94 tests against Debian's gost engine in package gost).

var (
	// at2019 lies inside the validity of the GOST 2004 signer of the WSSE samples (2019-04-04 to
	// 2020-04-03).
	at2019 = time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	// at2025 lies inside the validity of the signer of enveloped-gost2015-test-message.xml
	// (2024-10-29 to 2025-10-29) and of the TEST 2022 CRL (2025-04-29 to 2025-10-26).
	at2025 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	// at2023 lies inside the validity of the GOST signer of the two-signers sample (2022-07-28 to
	// 2023-07-28).
	at2023 = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	// atP12 lies inside the validity of the НУЦ test key (2025-10-17 to 2026-10-17) while the TEST
	// 2022 CRL is current.
	atP12 = time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC)
)

// trustSetup says whom a test checker trusts.
type trustSetup struct {
	anchors, intermediates, crls []string // fixture names
	skipRevocation               bool
	now                          time.Time // the verifier's clock (zero: the real one)
}

func (ts trustSetup) checker(t testing.TB) *Checker {
	t.Helper()
	load := func(names []string) []*x509.Certificate {
		var out []*x509.Certificate
		for _, n := range names {
			cs, err := certs.ParseCertificates(fixtures.Read(t, n))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, cs...)
		}
		return out
	}
	now := time.Now
	if !ts.now.IsZero() {
		now = func() time.Time { return ts.now }
	}
	opts := validate.Options{Anchors: load(ts.anchors), Intermediates: load(ts.intermediates), SkipRevocation: ts.skipRevocation,
		Identity: certs.ParseOptions{TestIdentities: true}, Now: now}
	if !ts.skipRevocation {
		var srcs []revocation.Source
		for _, n := range ts.crls {
			srcs = append(srcs, revocation.FileSource(filepath.Join(fixtures.Dir(t), n)))
		}
		store := revocation.NewCRLStore(revocation.CRLOptions{Sources: srcs, Now: now})
		if err := store.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		opts.Revocation = store
	}
	v, err := validate.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChecker(CheckerOptions{Validator: v, Identity: certs.ParseOptions{TestIdentities: true}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	// The 2004 samples: ҰКО 3.0 (GOST TEST) as the anchor (its own root is not in the fixtures) and
	// its real CRL. The CRL (thisUpdate 2022-03-29) does not span 2019, but it was issued after the
	// time of interest, which the CRL store takes as evidence for that time (it knows every
	// revocation up to then): no SkipRevocation is needed.
	trust2004 = trustSetup{anchors: []string{"nca_gost_test.crt"}, crls: []string{"nca_gost_test.crl"}}
	// The TEST 2022 PKI with the root as the only anchor: proves the chain up to the root. There is
	// no CRL of the root (for the CA certificate), so revocation is skipped here…
	trust2022Root = trustSetup{anchors: []string{"gost/root_test_gost_2022.cer"}, intermediates: []string{"gost/nca_gost2022_test.cer"}, skipRevocation: true}
	// …and checked with the CA trusted directly (as `shep verify --trust-ca root --trust-ca ca`) and
	// its full CRL. The delta CRL is left out: НУЦ numbers deltas on their own sequence (delta #10
	// based on full #14), which the CRL store does not take for a newer delta (see the report).
	trust2022CRL = trustSetup{anchors: []string{"gost/root_test_gost_2022.cer", "gost/nca_gost2022_test.cer"}, crls: []string{"gost/nca_gost2022_test.crl"}}
)

func TestGOSTFixtures(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		file     string
		wsse     bool
		trust    trustSetup
		at       time.Time
		method   string
		digest   string
		chain    int
		revSrc   string // "" when revocation is skipped
		iin, bin string
		signed   string // a piece of the signed content
	}{
		{"2004 WSSE request", "wsse-gost2004-sendmessage-request.xml", true, trust2004, at2019,
			GOST2004, DigestGOST34311, 2, "nca_gost_test.crl", "123456789011", "123456789021", "<messageId>7ea6369f-18c5-4633-ad73-19de35883e0b</messageId>"},
		{"2004 WSSE response", "wsse-gost2004-sendmessage-response.xml", true, trust2004, at2019,
			GOST2004, DigestGOST34311, 2, "nca_gost_test.crl", "123456789011", "123456789021", "<code>Success</code>"},
		{"2015 enveloped, chained to the root", "gost/enveloped-gost2015-test-message.xml", false, trust2022Root, at2025,
			GOST2015With512, DigestStreebog512, 3, "", "123456789011", "123456789021", "<message>QCxn00hfuH9zCv58</message>"},
		{"2015 enveloped, TEST 2022 CRL", "gost/enveloped-gost2015-test-message.xml", false, withNow(trust2022CRL, at2025), at2025,
			GOST2015With512, DigestStreebog512, 2, "nca_gost2022_test.crl", "123456789011", "123456789021", "<message>QCxn00hfuH9zCv58</message>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixtures.Read(t, tt.file)
			c := tt.trust.checker(t)
			var res *Result
			var err error
			if tt.wsse {
				res, err = c.CheckWSSE(ctx, b, tt.at)
			} else {
				res, err = c.CheckEnveloped(ctx, b, tt.at)
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.SignatureMethod != tt.method || res.DigestMethod != tt.digest {
				t.Errorf("methods %s %s", res.SignatureMethod, res.DigestMethod)
			}
			if id := res.Verdict.Identity; id.IIN != tt.iin || id.BIN != tt.bin || !id.GOST {
				t.Errorf("identity %s/%s GOST %v", id.IIN, id.BIN, id.GOST)
			}
			if len(res.Verdict.Chain) != tt.chain {
				t.Errorf("chain of %d, want %d", len(res.Verdict.Chain), tt.chain)
			}
			if tt.chain == 3 && !strings.Contains(res.Verdict.Chain[2].Subject.CommonName, "НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022") {
				t.Errorf("chain ends at %s", res.Verdict.Chain[2].Subject.CommonName)
			}
			if tt.revSrc == "" && len(res.Verdict.Revocation) != 0 ||
				tt.revSrc != "" && (len(res.Verdict.Revocation) != 1 || res.Verdict.Revocation[0].State != revocation.Good ||
					!strings.Contains(res.Verdict.Revocation[0].Source, tt.revSrc)) {
				t.Errorf("revocation %+v, want good by %q", res.Verdict.Revocation, tt.revSrc)
			}
			if !strings.Contains(string(res.Signed), tt.signed) {
				t.Errorf("signed content lacks %s:\n%s", tt.signed, res.Signed)
			}
			if tt.wsse && strings.Contains(string(res.Signed), "xmlns:xs=") {
				// exc-c14n emits only visibly used namespaces: xs is used only inside xsi:type's value.
				t.Errorf("exc-c14n kept the unused xmlns:xs:\n%s", res.Signed)
			}
			// Outside the certificate's validity it is refused.
			if tt.wsse {
				if _, err := c.CheckWSSE(ctx, b, tt.at.AddDate(2, 0, 0)); CodeOf(err) != string(validate.CodeExpired) {
					t.Errorf("two years later: %v", err)
				}
			} else if _, err := c.CheckEnveloped(ctx, b, tt.at.AddDate(-2, 0, 0)); CodeOf(err) != string(validate.CodeNotYetValid) {
				t.Errorf("two years earlier: %v", err)
			}
		})
	}
}

func withNow(ts trustSetup, now time.Time) trustSetup { ts.now = now; return ts }

// Any change to a signed element, the SignedInfo or the SignatureValue breaks each sample; the
// 2004 key cannot pass for a 2015 one; the unregistered 256-bit URI is not supported.
func TestGOSTFixturesTampered(t *testing.T) {
	req, resp := "wsse-gost2004-sendmessage-request.xml", "wsse-gost2004-sendmessage-response.xml"
	env := "gost/enveloped-gost2015-test-message.xml"
	tests := []struct {
		name, file, old, new string
		code                 Code
	}{
		{"request messageId", req, "<messageId>7ea6369f", "<messageId>7ea6369e", CodeSigDigestMismatch},
		{"request password", req, "<password>senderPass<", "<password>senderPasS<", CodeSigDigestMismatch},
		{"request data", req, "&lt;uin&gt;999999999999", "&lt;uin&gt;999999999998", CodeSigDigestMismatch},
		{"request xsi:type", req, `xsi:type="xs:string"`, `xsi:type="xs:strinG"`, CodeSigDigestMismatch},
		{"request DigestValue", req, "kdldH4ejKn", "kdldH4ejKo", CodeSigInvalid},
		{"request SignatureValue", req, "CHgmgKzhwjx0", "CHgmgKzhwjx1", CodeSigInvalid},
		{"request as a 2015-512 signature", req, GOST2004 + `"`, GOST2015With512 + `"`, CodeSigInvalid},
		{"request as a 2015-256 signature", req, GOST2004 + `"`, GOST2015With256 + `"`, CodeAlgorithmNotSupported},
		{"request with a Streebog digest", req, DigestGOST34311 + `"`, DigestStreebog512 + `"`, CodeSigInvalid},
		{"request with an unknown digest", req, DigestGOST34311 + `"`, `urn:example:digest"`, CodeAlgorithmNotSupported},
		{"response status", resp, "<code>Success</code>", "<code>Failure</code>", CodeSigDigestMismatch},
		{"response messageRu", resp, "&lt;messageRu&gt;OK", "&lt;messageRu&gt;OK!", CodeSigDigestMismatch},
		{"response SignatureValue", resp, "jXf+4+rwJtWn", "jXf+4+rwJtWo", CodeSigInvalid},
		{"2015 message", env, "QCxn00hfuH9zCv58", "QCxn00hfuH9zCv59", CodeSigDigestMismatch},
		{"2015 element added", env, "<message>", "<x/><message>", CodeSigDigestMismatch},
		{"2015 SignatureValue", env, "/FAR50IPi3Uz", "/FAR50IPi3Va", CodeSigInvalid},
		{"2015 DigestValue", env, "mezmV3CZ6Ebc", "mezmV3CZ6Ebd", CodeSigInvalid},
		{"2015 as a 2004 signature", env, GOST2015With512 + `"`, GOST2004 + `"`, CodeSigInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := replaceOnce(t, fixtures.Read(t, tt.file), tt.old, tt.new)
			var err error
			if strings.HasPrefix(tt.file, "wsse") {
				_, err = VerifyWSSE(b, Options{})
			} else {
				_, err = VerifyEnveloped(b, Options{})
			}
			wantCode(t, err, tt.code)
		})
	}
	// Comments and whitespace outside the signed element change nothing.
	b := replaceOnce(t, fixtures.Read(t, env), "<test>", "<!-- c --><test>")
	if _, err := VerifyEnveloped(b, Options{}); err != nil {
		t.Errorf("comment before the root: %v", err)
	}
}

// Both signatures of the RSA-then-GOST document verify, each at a time inside its certificate's
// validity; the later GOST signature covers the earlier RSA one.
func TestGOSTTwoSigners(t *testing.T) {
	ctx := context.Background()
	b := fixtures.Read(t, "gost/enveloped-rsa-then-gost2015-two-signers.xml")
	rs, err := VerifyEnvelopedAll(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("%+v", rs)
	}
	if rs[0].Verified.SignatureMethod != RSASHA256 || rs[1].Verified.SignatureMethod != GOST2015With512 {
		t.Fatalf("methods %s, %s", rs[0].Verified.SignatureMethod, rs[1].Verified.SignatureMethod)
	}
	if !strings.Contains(string(rs[1].Verified.Signed), RSASHA256) {
		t.Error("the GOST signature does not cover the RSA one")
	}
	both := trustSetup{
		anchors: []string{"nca_rsa_test.crt", "gost/root_test_gost_2022.cer", "gost/nca_gost2022_test.cer"},
		crls:    []string{"nca_rsa_test.crl", "gost/nca_gost2022_test.crl"},
	}.checker(t)
	for _, tt := range []struct {
		at    time.Time
		codes [2]string // "" = valid
		iin   [2]string
	}{
		{at2021, [2]string{"", string(validate.CodeNotYetValid)}, [2]string{"123456789011", "123456789012"}},
		{at2023, [2]string{string(validate.CodeExpired), ""}, [2]string{"123456789011", "123456789012"}},
	} {
		checked, err := both.CheckEnvelopedAll(ctx, b, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		for i, cs := range checked {
			if CodeOf(cs.Err) != tt.codes[i] {
				t.Fatalf("at %s, signature %d: %v, want %q", tt.at.Format(time.DateOnly), i+1, cs.Err, tt.codes[i])
			}
			var iin string
			if cs.Err == nil {
				iin = cs.Result.Verdict.Identity.IIN
			} else if e := (*Error)(nil); errors.As(cs.Err, &e) && e.Identity != nil {
				iin = e.Identity.IIN
			}
			if iin != tt.iin[i] {
				t.Errorf("at %s, signer %d: ИИН %q", tt.at.Format(time.DateOnly), i+1, iin)
			}
		}
	}
	// A change to <b> breaks both; a change inside the first signature breaks only the second.
	rs, err = VerifyEnvelopedAll(replaceOnce(t, b, "<b>test</b>", "<b>tesT</b>"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, rs[0].Err, CodeSigDigestMismatch)
	wantCode(t, rs[1].Err, CodeSigDigestMismatch)
	rs, err = VerifyEnvelopedAll(replaceOnce(t, b, "<ds:KeyInfo>\n<ds:X509Data>\n<ds:X509Certificate>\nMIIF+zCC", "<ds:KeyInfo>\n<ds:X509Data>\n<ds:X509Certificate>\n MIIF+zCC"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Err != nil {
		t.Errorf("whitespace in the RSA certificate's base64: %v", rs[0].Err)
	}
	wantCode(t, rs[1].Err, CodeSigDigestMismatch)
}

// p12Key reads the real НУЦ test key with certs/pkcs12 and the GOST helpers of certs.
func p12Key(t testing.TB) (*gost3410.PrivateKey, *x509.Certificate) {
	t.Helper()
	f, err := pkcs12.Decode(fixtures.Read(t, "gost/individual_valid_gost2015.p12"), "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	k := f.Keys[0]
	key, err := certs.GOSTPrivateKeyFromPKCS8(k.Algorithm, k.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf := f.Leaf(k)
	if leaf == nil {
		t.Fatal("no certificate for the key")
	}
	return key, leaf
}

// Documents freshly signed with the real НУЦ key verify and chain to the TEST 2022 root, in every
// layout; the methods follow from the key.
func TestGOSTSignWithNUCKey(t *testing.T) {
	ctx := context.Background()
	key, cert := p12Key(t)
	pub, err := certs.GOSTPublicKey(cert)
	if err != nil || !pub.Equal(&key.PublicKey) {
		t.Fatalf("d·G is not the certificate's key: %v", err)
	}
	viaRoot := withNow(trust2022Root, atP12).checker(t)
	viaCRL := withNow(trust2022CRL, atP12).checker(t)
	doc := `<application><iin>123456789011</iin><field name="x">значение</field></application>`
	for _, tt := range []struct {
		name   string
		sign   func() ([]byte, error)
		wsse   bool
		target string
	}{
		{"enveloped", func() ([]byte, error) { return SignEnveloped([]byte(doc), key, cert, SignOptions{}) }, false, "<iin>123456789011</iin>"},
		{"enveloped, NCALayer layout", func() ([]byte, error) { return SignEnveloped([]byte(doc), key, cert, SignOptions{NCALayer: true}) }, false, "<iin>123456789011</iin>"},
		{"WS-Security", func() ([]byte, error) { return SignWSSE([]byte(sendMessage), key, cert, SignOptions{}) }, true, "<iin>931002451325</iin>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			signed, err := tt.sign()
			if err != nil {
				t.Fatal(err)
			}
			check := func(c *Checker, b []byte) (*Result, error) {
				if tt.wsse {
					return c.CheckWSSE(ctx, b, atP12)
				}
				return c.CheckEnveloped(ctx, b, atP12)
			}
			res, err := check(viaRoot, signed)
			if err != nil {
				t.Fatal(err)
			}
			if res.SignatureMethod != GOST2015With512 || res.DigestMethod != DigestStreebog512 || len(res.Verdict.Chain) != 3 ||
				res.Verdict.Identity.IIN != "123456789011" || !strings.Contains(string(res.Signed), tt.target) {
				t.Fatalf("%s %s chain %d ИИН %s", res.SignatureMethod, res.DigestMethod, len(res.Verdict.Chain), res.Verdict.Identity.IIN)
			}
			res, err = check(viaCRL, signed)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Verdict.Revocation) != 1 || res.Verdict.Revocation[0].State != revocation.Good {
				t.Fatalf("revocation %+v", res.Verdict.Revocation)
			}
			// The SignatureValue is r_LE ‖ s_LE: 128 bytes.
			v := mustParse(t, signed)
			sv, err := decodeBase64(descendant(v.Root(), "SignatureValue").Text())
			if err != nil || len(sv) != 128 {
				t.Fatalf("SignatureValue of %d bytes (%v)", len(sv), err)
			}
			// Any change to the signed content breaks it.
			_, err = check(viaRoot, replaceOnce(t, signed, tt.target, strings.Replace(tt.target, "<iin>", "<iin>0", 1)))
			wantCode(t, err, CodeSigDigestMismatch)
		})
	}
	// A 2004 key signs with the 2004 methods; methods that do not fit the key are refused.
	k2004, c2004 := gostCert(t, gost3410.CryptoProA())
	signed, err := SignEnveloped([]byte(doc), k2004, c2004, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyEnveloped(signed, Options{})
	if err != nil || v.SignatureMethod != GOST2004 || v.DigestMethod != DigestGOST34311 {
		t.Fatalf("2004: %v %+v", err, v)
	}
	_, err = SignEnveloped([]byte(doc), k2004, c2004, SignOptions{SignatureMethod: GOST2015With512})
	wantCode(t, err, CodeSignMethodMismatch)
	_, err = SignEnveloped([]byte(doc), key, cert, SignOptions{SignatureMethod: GOST2015With256})
	wantCode(t, err, CodeAlgorithmNotSupported)
	_, err = SignEnveloped([]byte(doc), key, c2004, SignOptions{})
	wantCode(t, err, CodeSignCertMismatch)
	_, err = SignEnveloped([]byte(doc), k2004, cert, SignOptions{})
	wantCode(t, err, CodeSignCertMismatch)
}

// gostCert returns a fresh GOST key with a self-signed SIGN certificate made for it (crypto/x509
// builds the certificate around a placeholder ECDSA key; its key and signature are then swapped
// for GOST).
func gostCert(t testing.TB, curve *gost3410.Curve) (*gost3410.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := gost3410.GenerateKey(curve, nil)
	if err != nil {
		t.Fatal(err)
	}
	ph, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "GOST TEST", SerialNumber: "IIN931002451325"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ph.PublicKey, ph)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := certs.MarshalGOSTPublicKeyInfo(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	oid, _ := certs.GOSTSignatureOID(&key.PublicKey)
	alg, _ := asn1.Marshal(pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue})
	tbs, _, _, _ := certs.SignedParts(der)
	in := cryptobyte.String(tbs)
	var body cryptobyte.String
	in.ReadASN1(&body, cbasn1.SEQUENCE)
	var tb cryptobyte.Builder
	tb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i := 0; !body.Empty(); i++ {
			var el cryptobyte.String
			body.ReadAnyASN1Element(&el, nil)
			switch i {
			case 2:
				b.AddBytes(alg)
			case 6:
				b.AddBytes(spki)
			default:
				b.AddBytes(el)
			}
		}
	})
	newTBS := tb.BytesOrPanic()
	digest, _ := certs.GOSTDigest(oid, newTBS)
	sig, err := key.Sign(rand.Reader, digest, nil)
	if err != nil {
		t.Fatal(err)
	}
	var cb cryptobyte.Builder
	cb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(newTBS)
		b.AddBytes(alg)
		b.AddASN1BitString(sig)
	})
	cert, err := x509.ParseCertificate(cb.BytesOrPanic())
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.CheckCertificateSignature(certs.StdVerifier{}, cert, cert); err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// benchDocument is the document of BenchmarkVerifyEnvelopedNCALayer (RSA), for comparison.
func benchDocument() []byte {
	return []byte("<application>" + strings.Repeat("<field name=\"x\">значение</field>", 80) + "</application>")
}

// BenchmarkVerifyGOST2015 verifies a document signed with the real НУЦ GOST 2015-512 key in
// NCALayer's layout (compare BenchmarkVerifyEnvelopedNCALayer, the same document signed with
// RSA-2048): parse, C14N, Streebog-512, GOST R 34.10-2015 512 verification.
func BenchmarkVerifyGOST2015(b *testing.B) {
	key, cert := p12Key(b)
	doc, err := SignEnveloped(benchDocument(), key, cert, SignOptions{NCALayer: true})
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Certs: NewCertCache(0)}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer() // the key file's decryption and the signing are setup
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := VerifyEnveloped(doc, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignGOST2015 signs the same document with the same key.
func BenchmarkSignGOST2015(b *testing.B) {
	key, cert := p12Key(b)
	doc := benchDocument()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer() // the key file's decryption is setup
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := SignEnveloped(doc, key, cert, SignOptions{NCALayer: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyGOST2004Fixture verifies the real GOST 2004 WS-Security request.
func BenchmarkVerifyGOST2004Fixture(b *testing.B) {
	doc := fixtures.Read(b, "wsse-gost2004-sendmessage-request.xml")
	opts := Options{Certs: NewCertCache(0)}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := VerifyWSSE(doc, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
