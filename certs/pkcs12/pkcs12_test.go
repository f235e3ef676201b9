package pkcs12

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shep-kz/shep/internal/fixtures"
)

// realP12 is the НУЦ test key file, relative to the fixtures directory (internal/fixtures, which
// honours SHEP_FIXTURES).
const realP12 = "gost/individual_valid_gost2015.p12"

var (
	oidGOST2015512      = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2}
	oidGOST2015512Curve = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 2, 2, 1}
	oidGOST2015512Hash  = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 3}
)

// TestRealNUCFile reads the GOST 2015-512 test key НУЦ РК publishes for developers.
func TestRealNUCFile(t *testing.T) {
	data := fixtures.Read(t, realP12)
	tests := []struct {
		name     string
		password string
		wantErr  error
	}{
		{"correct password", "Qwerty12", nil},
		{"wrong password", "Qwerty13", ErrIncorrectPassword},
		{"wrong case", "qwerty12", ErrIncorrectPassword},
		{"empty password", "", ErrIncorrectPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Decode(data, tt.password)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
				}
				if f != nil {
					t.Fatal("a File came back with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkRealNUC(t, f)
		})
	}
}

func checkRealNUC(t *testing.T, f *File) {
	t.Helper()
	if len(f.Keys) != 1 || len(f.Certificates) != 1 {
		t.Fatalf("%d keys and %d certificates, want 1 and 1", len(f.Keys), len(f.Certificates))
	}
	k := f.Keys[0]
	if !k.Algorithm.Algorithm.Equal(oidGOST2015512) {
		t.Errorf("key algorithm %v, want %v", k.Algorithm.Algorithm, oidGOST2015512)
	}
	var params []asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(k.Algorithm.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		t.Fatalf("parameters %x: %v", k.Algorithm.Parameters.FullBytes, err)
	}
	if !slices.ContainsFunc(params, oidGOST2015512Curve.Equal) || !slices.ContainsFunc(params, oidGOST2015512Hash.Equal) {
		t.Errorf("parameters %v lack the curve %v or the hash %v", params, oidGOST2015512Curve, oidGOST2015512Hash)
	}
	var scalar []byte
	if rest, err := asn1.Unmarshal(k.Key, &scalar); err != nil || len(rest) != 0 || len(scalar) != 64 {
		t.Fatalf("Key %x is not an OCTET STRING of 64 bytes (%d bytes, %v)", k.Key, len(scalar), err)
	}
	if bytes.Equal(scalar, make([]byte, 64)) {
		t.Error("the scalar is zero")
	}
	// PKCS8 is the whole PrivateKeyInfo, consistent with Algorithm and Key.
	var pki struct {
		Version int
		Alg     asn1.RawValue
		Key     []byte
	}
	if rest, err := asn1.Unmarshal(k.PKCS8, &pki); err != nil || len(rest) != 0 {
		t.Fatalf("PKCS8: %v", err)
	}
	if !bytes.Equal(pki.Key, k.Key) {
		t.Error("PKCS8 privateKey differs from Key")
	}
	wantID := mustHex(t, "d6d1e53515d516a7d95d399b668cf09011bf118d")
	if !bytes.Equal(k.LocalKeyID, wantID) || k.FriendlyName != hex.EncodeToString(wantID) {
		t.Errorf("LocalKeyID %x, FriendlyName %q", k.LocalKeyID, k.FriendlyName)
	}
	if _, err := k.Signer(); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("Signer on a GOST key: %v, want ErrUnsupportedKey", err)
	}
	leaf := f.Leaf(k)
	if leaf == nil {
		t.Fatal("no leaf certificate for the key")
	}
	if leaf.Subject.SerialNumber != "IIN123456789011" {
		t.Errorf("subject SERIALNUMBER %q", leaf.Subject.SerialNumber)
	}
	if y, m, d := leaf.NotAfter.UTC().Date(); y != 2026 || m != time.October || d != 17 {
		t.Errorf("NotAfter %v, want 2026-10-17", leaf.NotAfter)
	}
	if !bytes.Equal(leaf.SubjectKeyId, wantID) {
		t.Errorf("certificate SKI %x", leaf.SubjectKeyId)
	}
}

// TestReencodeRealNUC writes the НУЦ key and certificate with Encode and reads them back unchanged;
// the localKeyId Encode chooses (the subject key identifier) is НУЦ's.
func TestReencodeRealNUC(t *testing.T) {
	data := fixtures.Read(t, realP12)
	f, err := Decode(data, "Qwerty12")
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Жаңа құпиясөз"
	out, err := Encode(f.Keys[0].PKCS8, f.Certificates, pw, EncodeOptions{Iterations: 1024})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Decode(out, pw)
	if err != nil {
		t.Fatal(err)
	}
	checkRealNUC(t, g)
	if !bytes.Equal(g.Keys[0].PKCS8, f.Keys[0].PKCS8) || !bytes.Equal(g.Certificates[0].Raw, f.Certificates[0].Raw) {
		t.Error("the re-encoded key or certificate differs")
	}
	if _, err := Decode(out, "Qwerty12"); !errors.Is(err, ErrIncorrectPassword) {
		t.Errorf("old password on the new file: %v", err)
	}
}

// gostLikePKCS8 builds a PrivateKeyInfo the way НУЦ's are: GOST 2015-512 OID, params, and an
// OCTET STRING holding an OCTET STRING of 64 bytes.
func gostLikePKCS8(t testing.TB) (pkcs8, key []byte) {
	t.Helper()
	scalar := make([]byte, 64)
	if _, err := rand.Read(scalar); err != nil {
		t.Fatal(err)
	}
	key, err := asn1.Marshal(scalar)
	if err != nil {
		t.Fatal(err)
	}
	type params struct{ Curve, Hash asn1.ObjectIdentifier }
	type algorithm struct {
		Algorithm asn1.ObjectIdentifier
		Params    params
	}
	pkcs8, err = asn1.Marshal(struct {
		Version   int
		Algorithm algorithm
		Key       []byte
	}{0, algorithm{oidGOST2015512, params{oidGOST2015512Curve, oidGOST2015512Hash}}, key})
	if err != nil {
		t.Fatal(err)
	}
	return pkcs8, key
}

func TestGOSTLikeRoundTrip(t *testing.T) {
	pkcs8, key := gostLikePKCS8(t)
	other := newTestKey(t, "ec", "ТЕСТОВ ТЕСТ", false, nil)
	tests := []struct {
		name     string
		certs    []*x509.Certificate
		password string
		opts     EncodeOptions
		wantName string
	}{
		{"with certificate", []*x509.Certificate{other.cert}, "Qwerty12", EncodeOptions{}, hex.EncodeToString(sha1Of(other.cert.Raw))},
		{"without certificate", nil, "Qwerty12", EncodeOptions{Iterations: 1}, ""},
		{"friendly name, empty password", []*x509.Certificate{other.cert}, "", EncodeOptions{FriendlyName: "Кілт"}, "Кілт"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Encode(pkcs8, tt.certs, tt.password, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Decode(out, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Keys) != 1 || len(f.Certificates) != len(tt.certs) {
				t.Fatalf("%d keys, %d certificates", len(f.Keys), len(f.Certificates))
			}
			k := f.Keys[0]
			if !bytes.Equal(k.PKCS8, pkcs8) || !bytes.Equal(k.Key, key) || !k.Algorithm.Algorithm.Equal(oidGOST2015512) {
				t.Fatalf("the PKCS#8 did not round-trip byte for byte:\n got %x\nwant %x", k.PKCS8, pkcs8)
			}
			if k.FriendlyName != tt.wantName {
				t.Errorf("FriendlyName %q, want %q", k.FriendlyName, tt.wantName)
			}
			if len(tt.certs) > 0 {
				if leaf := f.Leaf(k); leaf == nil || !bytes.Equal(leaf.Raw, tt.certs[0].Raw) {
					t.Error("Leaf does not find the certificate")
				}
				if !bytes.Equal(k.LocalKeyID, sha1Of(other.cert.Raw)) {
					t.Errorf("LocalKeyID %x, want the SHA-1 of a certificate without SKI", k.LocalKeyID)
				}
			}
			if _, err := k.Signer(); !errors.Is(err, ErrUnsupportedKey) {
				t.Errorf("Signer: %v, want ErrUnsupportedKey", err)
			}
			if _, err := Decode(out, tt.password+"x"); !errors.Is(err, ErrIncorrectPassword) {
				t.Errorf("wrong password: %v", err)
			}
		})
	}
}

// TestDecodeOpenSSL reads files written by `openssl pkcs12 -export` in its default (PBES2, AES,
// SHA-256 MAC), legacy (3DES, RC2-40, SHA-1 MAC) and other configurations.
func TestDecodeOpenSSL(t *testing.T) {
	dir := t.TempDir()
	ca := newTestKey(t, "ec", "Test CA", true, nil)
	caPath := writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.cert.Raw)
	keys := map[string]*testKey{
		"rsa":     newTestKey(t, "rsa", "RSA leaf", false, nil),
		"ec":      newTestKey(t, "ec", "EC leaf", false, nil),
		"issued":  newTestKey(t, "ec", "Issued leaf", false, ca),
		"issuedR": newTestKey(t, "rsa", "Issued RSA leaf", false, ca),
	}
	tests := []struct {
		name      string
		key       string
		password  string
		args      []string
		wantCerts int
		wantName  string
		noMAC     bool
	}{
		{"rsa default", "rsa", "пароль-1", nil, 1, "", false},
		{"rsa legacy", "rsa", "Qwerty12", []string{"-legacy"}, 1, "", false},
		{"ec default", "ec", "Qwerty12", nil, 1, "", false},
		{"ec legacy cyrillic password", "ec", "Құпия сөз", []string{"-legacy"}, 1, "", false},
		{"aes-128 and aes-192, sha512 mac", "ec", "pw", []string{"-keypbe", "AES-128-CBC", "-certpbe", "AES-192-CBC", "-macalg", "sha512"}, 1, "", false},
		{"2-key 3DES and RC2-128", "rsa", "pw", []string{"-legacy", "-keypbe", "PBE-SHA1-2DES", "-certpbe", "PBE-SHA1-RC2-128"}, 1, "", false},
		{"3DES everywhere, sha1 mac", "ec", "pw", []string{"-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"}, 1, "", false},
		{"unencrypted keyBag and certificates", "ec", "pw", []string{"-keypbe", "NONE", "-certpbe", "NONE"}, 1, "", false},
		{"no MAC", "rsa", "pw", []string{"-nomac"}, 1, "", true},
		{"no MAC legacy", "ec", "pw", []string{"-nomac", "-legacy"}, 1, "", true},
		{"empty password", "ec", "", nil, 1, "", false},
		{"empty password legacy", "rsa", "", []string{"-legacy"}, 1, "", false},
		{"chain and friendly name", "issued", "pw", []string{"-certfile", caPath, "-name", "Менің кілтім"}, 2, "Менің кілтім", false},
		{"chain legacy", "issuedR", "pw", []string{"-legacy", "-certfile", caPath}, 2, "", false},
		{"iteration count 1", "ec", "pw", []string{"-legacy", "-noiter", "-nomaciter"}, 1, "", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := keys[tt.key]
			keyPath := writePEM(t, dir, tt.key+".key", "PRIVATE KEY", k.pkcs8)
			certPath := writePEM(t, dir, tt.key+".crt", "CERTIFICATE", k.cert.Raw)
			out := filepath.Join(dir, "f"+string(rune('a'+i))+".p12")
			args := append([]string{"pkcs12", "-export", "-inkey", keyPath, "-in", certPath, "-out", out, "-passout", "pass:" + tt.password}, tt.args...)
			openssl(t, "", args...)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Decode(data, tt.password)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(f.Keys) != 1 || len(f.Certificates) != tt.wantCerts {
				t.Fatalf("%d keys, %d certificates; want 1, %d", len(f.Keys), len(f.Certificates), tt.wantCerts)
			}
			got := f.Keys[0]
			sameKey(t, got.PKCS8, k.pkcs8)
			leaf := f.Leaf(got)
			if leaf == nil || !bytes.Equal(leaf.Raw, k.cert.Raw) {
				t.Fatal("Leaf does not return the key's certificate")
			}
			if len(got.LocalKeyID) == 0 {
				t.Error("no localKeyId on the key")
			}
			if got.FriendlyName != tt.wantName {
				t.Errorf("FriendlyName %q, want %q", got.FriendlyName, tt.wantName)
			}
			if tt.wantCerts == 2 && !slices.ContainsFunc(f.Certificates, func(c *x509.Certificate) bool { return bytes.Equal(c.Raw, ca.cert.Raw) }) {
				t.Error("the CA certificate is missing")
			}
			checkSigner(t, got, leaf, k.sigAlg)
			if _, err := Decode(data, tt.password+"!"); !errors.Is(err, ErrIncorrectPassword) {
				t.Errorf("wrong password: %v, want ErrIncorrectPassword", err)
			}
		})
	}
}

// TestOpenSSLReadsEncode checks that `openssl pkcs12 -legacy` verifies and decrypts Encode's output
// and that the layout is НУЦ's.
func TestOpenSSLReadsEncode(t *testing.T) {
	dir := t.TempDir()
	ca := newTestKey(t, "rsa", "Test CA", true, nil)
	tests := []struct {
		name     string
		key      *testKey
		chain    []*x509.Certificate
		password string
		opts     EncodeOptions
		wantName string
	}{
		{"rsa", newTestKey(t, "rsa", "RSA", false, nil), nil, "Qwerty12", EncodeOptions{}, ""},
		{"ec cyrillic password", newTestKey(t, "ec", "EC", false, nil), nil, "Құпия сөз", EncodeOptions{Iterations: 1024}, ""},
		{"ec empty password", newTestKey(t, "ec", "EC", false, nil), nil, "", EncodeOptions{}, ""},
		{"chain and friendly name", newTestKey(t, "ec", "Issued", false, ca), []*x509.Certificate{ca.cert}, "pw", EncodeOptions{FriendlyName: "Signing key"}, "Signing key"}, // OpenSSL 3.0 prints BMPString names as Latin-1,
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs := append([]*x509.Certificate{tt.key.cert}, tt.chain...)
			p12, err := Encode(tt.key.pkcs8, certs, tt.password, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "e"+string(rune('a'+i))+".p12")
			if err := os.WriteFile(path, p12, 0o600); err != nil {
				t.Fatal(err)
			}
			out := openssl(t, "", "pkcs12", "-legacy", "-in", path, "-passin", "pass:"+tt.password, "-nodes")
			var keys, gotCerts [][]byte
			for rest := []byte(out); ; {
				var b *pem.Block
				if b, rest = pem.Decode(rest); b == nil {
					break
				}
				switch b.Type {
				case "PRIVATE KEY":
					keys = append(keys, b.Bytes)
				case "CERTIFICATE":
					gotCerts = append(gotCerts, b.Bytes)
				default:
					t.Errorf("unexpected PEM block %q", b.Type)
				}
			}
			if len(keys) != 1 || len(gotCerts) != len(certs) {
				t.Fatalf("openssl gave %d keys and %d certificates:\n%s", len(keys), len(gotCerts), out)
			}
			sameKey(t, keys[0], tt.key.pkcs8)
			for _, c := range certs {
				if !slices.ContainsFunc(gotCerts, func(g []byte) bool { return bytes.Equal(g, c.Raw) }) {
					t.Errorf("certificate %s missing from openssl's output", c.Subject)
				}
			}
			id := strings.ToUpper(hex.EncodeToString(sha1Of(tt.key.cert.Raw)))
			spaced := strings.TrimSpace(strings.Join(splitPairs(id), " "))
			if n := strings.Count(out, "localKeyID: "+spaced); n != 2 {
				t.Errorf("localKeyID %s appears %d times (want on the key and its certificate):\n%s", spaced, n, out)
			}
			if tt.wantName != "" && strings.Count(out, "friendlyName: "+tt.wantName) != 2 {
				t.Errorf("friendlyName %q not on both bags:\n%s", tt.wantName, out)
			}
			iter := tt.opts.Iterations
			if iter == 0 {
				iter = 2048
			}
			info := opensslCombined(t, "pkcs12", "-legacy", "-info", "-noout", "-in", path, "-passin", "pass:"+tt.password)
			for _, want := range []string{
				"MAC: sha1, Iteration " + itoa(iter),
				"Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration " + itoa(iter),
				"PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration " + itoa(iter),
			} {
				if !strings.Contains(info, want) {
					t.Errorf("openssl -info lacks %q:\n%s", want, info)
				}
			}
			// And our own reader agrees.
			f, err := Decode(p12, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Keys) != 1 || !bytes.Equal(f.Keys[0].PKCS8, tt.key.pkcs8) || len(f.Certificates) != len(certs) {
				t.Fatal("Decode does not return what Encode wrote")
			}
			if leaf := f.Leaf(f.Keys[0]); leaf == nil || !bytes.Equal(leaf.Raw, tt.key.cert.Raw) {
				t.Fatal("Leaf does not return the key's certificate")
			}
			checkSigner(t, f.Keys[0], tt.key.cert, tt.key.sigAlg)
		})
	}
}

// TestPBEAlgorithmsFromOpenSSL decrypts EncryptedPrivateKeyInfo written by `openssl pkcs8 -topk8`
// under each PBES2 PRF and cipher and each PKCS#12 PBE scheme.
func TestPBEAlgorithmsFromOpenSSL(t *testing.T) {
	dir := t.TempDir()
	k := newTestKey(t, "ec", "k", false, nil)
	keyPath := writePEM(t, dir, "k.pem", "PRIVATE KEY", k.pkcs8)
	legacy := []string{"-provider", "legacy", "-provider", "default"}
	tests := []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"PBES2 aes-128 hmacWithSHA1", []string{"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"}, nil},
		{"PBES2 aes-192 hmacWithSHA256", []string{"-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA256"}, nil},
		{"PBES2 aes-256 hmacWithSHA512", []string{"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA512"}, nil},
		{"PBES2 aes-256 hmacWithSHA224", []string{"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA224"}, nil},
		{"PBES2 des-ede3 hmacWithSHA384", []string{"-v2", "des3", "-v2prf", "hmacWithSHA384"}, nil},
		{"PBE 3-key 3DES", []string{"-v1", "PBE-SHA1-3DES"}, nil},
		{"PBE 2-key 3DES", []string{"-v1", "PBE-SHA1-2DES"}, nil},
		{"PBE RC2-128", append([]string{"-v1", "PBE-SHA1-RC2-128"}, legacy...), nil},
		{"PBE RC2-40", append([]string{"-v1", "PBE-SHA1-RC2-40"}, legacy...), nil},
		{"PBES1 MD5-DES is refused", append([]string{"-v1", "PBE-MD5-DES"}, legacy...), ErrUnsupportedAlgorithm},
		{"PBE RC4 is refused", append([]string{"-v1", "PBE-SHA1-RC4-128"}, legacy...), ErrUnsupportedAlgorithm},
		{"PBES2 camellia is refused", []string{"-v2", "camellia-128-cbc"}, ErrUnsupportedAlgorithm},
	}
	const pw = "Пароль 1"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der := []byte(openssl(t, "", append([]string{"pkcs8", "-topk8", "-in", keyPath, "-outform", "DER", "-passout", "pass:" + pw}, tt.args...)...))
			for _, try := range []struct {
				pw      string
				wantErr error
			}{{pw, tt.wantErr}, {"Пароль 2", ErrIncorrectPassword}} {
				if tt.wantErr != nil && try.pw != pw {
					continue
				}
				key, err := decryptEPKIForTest(der, try.pw)
				if try.wantErr != nil {
					if !errors.Is(err, try.wantErr) {
						t.Fatalf("password %q: %v, want %v", try.pw, err, try.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("decrypt: %v", err)
				}
				if !bytes.Equal(key.PKCS8, k.pkcs8) {
					sameKey(t, key.PKCS8, k.pkcs8)
				}
			}
		})
	}
}

func decryptEPKIForTest(der []byte, pw string) (*PrivateKey, error) {
	d := &decoder{lim: defaultLimits(), pws: passwordReadings(pw)}
	d.ber = berReader{maxDepth: d.lim.maxDepth, maxNodes: d.lim.maxNodes}
	e, err := d.ber.parseOne(der, "EncryptedPrivateKeyInfo")
	if err != nil {
		return nil, err
	}
	if err := e.sequence("EncryptedPrivateKeyInfo", 2); err != nil {
		return nil, err
	}
	ct, err := e.children[1].octetString("encryptedData")
	if err != nil {
		return nil, err
	}
	var k *PrivateKey
	_, err = d.decryptWith(e.children[0], ct, "key", func(plain []byte) error {
		k, err = d.privateKeyInfo(plain, "key")
		return err
	})
	return k, err
}

// TestBagsAndBER decodes a hand-built file without MAC: an unshrouded keyBag, unknown and CRL bags,
// an SDSI certificate, a nested safeContentsBag, indefinite lengths and a segmented OCTET STRING.
func TestBagsAndBER(t *testing.T) {
	k := newTestKey(t, "ec", "nested", false, nil)
	ca := newTestKey(t, "ec", "CA", true, nil)
	bag := func(oid asn1.ObjectIdentifier, value []byte, attrs ...[]byte) []byte {
		return build(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oid)
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddBytes(value) })
				addAttributes(b, attrs)
			})
		})
	}
	certBag := func(certType asn1.ObjectIdentifier, der []byte) []byte {
		return build(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(certType)
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(der) })
			})
		})
	}
	seq := func(items ...[]byte) []byte {
		return build(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, it := range items {
					b.AddBytes(it)
				}
			})
		})
	}
	attrs := bagAttributesDER([]byte{1, 2, 3}, "nested key")
	unknownAttr := build(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 17, 1})
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(tagBMPString), func(b *cryptobyte.Builder) { b.AddBytes([]byte{0, 'x'}) })
			})
		})
	})
	inner := seq(
		x509CertSafeBag(k.cert.Raw),
		bag(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 5}, seq(anyOIDTLV(t))), // secretBag
	)
	contents := seq(
		bag(oidKeyBag, k.pkcs8, append(attrs, unknownAttr)...),
		bag(asn1.ObjectIdentifier{1, 2, 3, 4}, []byte{0x05, 0x00}),
		bag(oidCertBag, certBag(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 22, 2}, []byte("sdsi"))),
		bag(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 4}, seq(anyOIDTLV(t))), // crlBag
		bag(oidSafeContentsBag, inner),
	)
	// authSafe: one data ContentInfo whose OCTET STRING is split in two segments, in BER.
	half := len(contents) / 2
	dataCI := concat(
		[]byte{0x30, 0x80}, derTLV(0x06, mustOID(t, oidData)),
		[]byte{0xa0, 0x80, 0x24, 0x80}, derTLV(0x04, contents[:half]), derTLV(0x04, contents[half:]), []byte{0, 0, 0, 0},
		[]byte{0, 0},
	)
	// A second, plain certificate ContentInfo: the CA.
	caCI := build(func(b *cryptobyte.Builder) { addDataContentInfo(b, seq(x509CertSafeBag(ca.cert.Raw))) })
	authSafe := concat([]byte{0x30, 0x80}, dataCI, caCI, []byte{0, 0})
	pfx := concat([]byte{0x30, 0x80}, derTLV(0x02, []byte{3}),
		build(func(b *cryptobyte.Builder) { addDataContentInfo(b, authSafe) }), []byte{0, 0})

	f, err := Decode(pfx, "any password: nothing is encrypted")
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(f.Keys) != 1 || len(f.Certificates) != 2 {
		t.Fatalf("%d keys, %d certificates; want 1 and 2", len(f.Keys), len(f.Certificates))
	}
	got := f.Keys[0]
	if !bytes.Equal(got.PKCS8, k.pkcs8) || got.FriendlyName != "nested key" || !bytes.Equal(got.LocalKeyID, []byte{1, 2, 3}) {
		t.Errorf("key %x, name %q, id %x", got.PKCS8, got.FriendlyName, got.LocalKeyID)
	}
	if leaf := f.Leaf(got); leaf == nil || !bytes.Equal(leaf.Raw, k.cert.Raw) {
		t.Error("Leaf does not find the nested certificate by public key")
	}
	checkSigner(t, got, k.cert, k.sigAlg)
}

// x509CertSafeBag wraps a certificate in a certBag SafeBag.
func x509CertSafeBag(der []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidCertBag)
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidX509Certificate)
					b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(der) })
				})
			})
		})
	})
}

// anyOIDTLV is the DER of OID 1.2.3, a stand-in bag value.
func anyOIDTLV(t *testing.T) []byte {
	return derTLV(0x06, mustOID(t, asn1.ObjectIdentifier{1, 2, 3}))
}

func mustOID(t *testing.T, oid asn1.ObjectIdentifier) []byte {
	t.Helper()
	der, err := asn1.Marshal(oid)
	if err != nil {
		t.Fatal(err)
	}
	return der[2:]
}

func derTLV(tag byte, content []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.Tag(tag), func(b *cryptobyte.Builder) { b.AddBytes(content) })
	})
}

func concat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func sha1Of(b []byte) []byte {
	sum := sha1.Sum(b)
	return sum[:]
}

func itoa(n int) string { return strconv.Itoa(n) }

// rebuildPFX re-assembles a PFX with its version and authSafe from pfx and the given MacData.
func rebuildPFX(t testing.TB, pfx []byte, version int64, macData func(b *cryptobyte.Builder)) []byte {
	t.Helper()
	r := berReader{maxDepth: 10, maxNodes: 1000}
	e, err := r.parseOne(pfx, "PFX")
	if err != nil {
		t.Fatal(err)
	}
	return build(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(version)
			b.AddBytes(e.children[1].raw)
			if macData != nil {
				macData(b)
			}
		})
	})
}

func macDataWith(alg asn1.ObjectIdentifier, digestLen int, iterations int64) func(b *cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(alg); b.AddASN1NULL() })
				b.AddASN1OctetString(make([]byte, digestLen))
			})
			b.AddASN1OctetString(make([]byte, 8))
			b.AddASN1Int64(iterations)
		})
	}
}

// TestDecodeErrors feeds broken and hostile files; each must fail fast with the right sentinel.
func TestDecodeErrors(t *testing.T) {
	k := newTestKey(t, "ec", "e", false, nil)
	good, err := Encode(k.pkcs8, []*x509.Certificate{k.cert}, "pw", EncodeOptions{Iterations: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(good, "pw"); err != nil {
		t.Fatalf("the base file does not decode: %v", err)
	}
	tampered := bytes.Clone(good)
	tampered[len(tampered)/2] ^= 1
	signedData := bytes.Clone(good)
	if i := bytes.Index(signedData, mustOID(t, oidData)); i < 0 {
		t.Fatal("no data OID")
	} else {
		signedData[i+len(mustOID(t, oidData))-1] = 2 // 1.2.840.113549.1.7.2
	}
	md5 := asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{"empty", nil, ErrMalformed},
		{"garbage", []byte("not a PFX at all"), ErrMalformed},
		{"truncated", good[:len(good)-7], ErrMalformed},
		{"trailing data", append(bytes.Clone(good), 0), ErrMalformed},
		{"version 2", rebuildPFX(t, good, 2, macDataWith(oidSHA1, 20, 1)), ErrMalformed},
		{"public-key integrity mode", signedData, ErrUnsupportedAlgorithm},
		{"MAC with MD5", rebuildPFX(t, good, 3, macDataWith(md5, 16, 1)), ErrUnsupportedAlgorithm},
		{"PBMAC1", rebuildPFX(t, good, 3, macDataWith(oidPBMAC1, 32, 1)), ErrUnsupportedAlgorithm},
		{"MAC of wrong length", rebuildPFX(t, good, 3, macDataWith(oidSHA256, 20, 1)), ErrMalformed},
		{"MAC iterations over the limit", rebuildPFX(t, good, 3, macDataWith(oidSHA1, 20, MaxIterations+1)), ErrLimit},
		{"MAC iterations huge", rebuildPFX(t, good, 3, macDataWith(oidSHA1, 20, 1<<62)), ErrLimit},
		{"MAC iterations zero", rebuildPFX(t, good, 3, macDataWith(oidSHA1, 20, 0)), ErrMalformed},
		{"MAC iterations negative", rebuildPFX(t, good, 3, macDataWith(oidSHA1, 20, -5)), ErrMalformed},
		{"wrong MAC", rebuildPFX(t, good, 3, macDataWith(oidSHA1, 20, 1)), ErrIncorrectPassword},
		{"tampered content", tampered, ErrIncorrectPassword},
		{"too large", make([]byte, MaxInputSize+1), ErrLimit},
		{"deep nesting", bytes.Repeat([]byte{0x30, 0x80}, 10000), ErrLimit},
		{"indefinite primitive", []byte{0x04, 0x80, 0, 0}, ErrMalformed},
		{"length beyond data", []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02}, ErrMalformed},
		{"five-byte length", []byte{0x30, 0x85, 0, 0, 0, 0, 1, 0}, ErrMalformed},
		{"missing end-of-contents", []byte{0x30, 0x80, 0x02, 0x01, 0x03}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Decode(tt.data, "pw")
			if !errors.Is(err, tt.wantErr) || f != nil {
				t.Fatalf("Decode = %v, %v; want %v", f, err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "pkcs12: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestDecodeLimits runs the internal decoder with tight limits on a normal file.
func TestDecodeLimits(t *testing.T) {
	k := newTestKey(t, "ec", "l", false, nil)
	data, err := Encode(k.pkcs8, []*x509.Certificate{k.cert}, "pw", EncodeOptions{Iterations: 2048})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mod     func(*limits)
		wantErr error
	}{
		{"defaults", func(*limits) {}, nil},
		{"iterations per derivation", func(l *limits) { l.maxIterations = 2047 }, ErrLimit},
		{"iterations in total", func(l *limits) { l.maxTotalIterations = 3*2048 - 1 }, ErrLimit},
		{"exactly enough in total", func(l *limits) { l.maxTotalIterations = 3 * 2048 }, nil},
		{"input size", func(l *limits) { l.maxInput = len(data) - 1 }, ErrLimit},
		{"elements", func(l *limits) { l.maxNodes = 10 }, ErrLimit},
		{"depth", func(l *limits) { l.maxDepth = 2 }, ErrLimit},
		{"salt", func(l *limits) { l.maxSalt = 19 }, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := defaultLimits()
			tt.mod(&lim)
			_, err := decode(data, "pw", lim)
			if (tt.wantErr == nil && err != nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("decode = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestLeaf(t *testing.T) {
	ca := newTestKey(t, "ec", "CA", true, nil)
	leaf := newTestKey(t, "ec", "leaf", false, ca)
	otherLeaf := newTestKey(t, "rsa", "other", false, ca)
	gost, _ := gostLikePKCS8(t)
	ecKey, gostKey := keyOf(t, leaf.pkcs8), keyOf(t, gost)
	tests := []struct {
		name string
		f    *File
		k    *PrivateKey
		want *x509.Certificate
	}{
		{"by public key among CA and others", &File{Certificates: []*x509.Certificate{ca.cert, otherLeaf.cert, leaf.cert}}, ecKey, leaf.cert},
		{"only non-CA certificate, unknown key type", &File{Certificates: []*x509.Certificate{ca.cert, leaf.cert}}, gostKey, leaf.cert},
		{"two non-CA certificates, unknown key type", &File{Certificates: []*x509.Certificate{leaf.cert, otherLeaf.cert}}, gostKey, nil},
		{"the only non-CA certificate is another key's", &File{Certificates: []*x509.Certificate{ca.cert, otherLeaf.cert}}, ecKey, nil},
		{"no certificates", &File{}, ecKey, nil},
		{"nil key", &File{Certificates: []*x509.Certificate{leaf.cert}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Leaf(tt.k); got != tt.want {
				t.Fatalf("Leaf = %v, want %v", subjectOf(got), subjectOf(tt.want))
			}
		})
	}
	// By localKeyId: two certificates of unknown key types, told apart only by the attribute.
	out, err := Encode(gost, []*x509.Certificate{otherLeaf.cert, leaf.cert}, "pw", EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(out, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Leaf(f.Keys[0]); got == nil || !bytes.Equal(got.Raw, otherLeaf.cert.Raw) {
		t.Fatalf("Leaf by localKeyId = %v", subjectOf(got))
	}
}

// keyOf parses a PrivateKeyInfo as Decode would.
func keyOf(t testing.TB, pkcs8 []byte) *PrivateKey {
	t.Helper()
	d := &decoder{lim: defaultLimits()}
	d.ber = berReader{maxDepth: d.lim.maxDepth, maxNodes: d.lim.maxNodes}
	k, err := d.privateKeyInfo(pkcs8, "key")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func subjectOf(c *x509.Certificate) string {
	if c == nil {
		return "<nil>"
	}
	return c.Subject.String()
}

func TestSigner(t *testing.T) {
	gost, _ := gostLikePKCS8(t)
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := x509.MarshalPKCS8PrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	rsaK := newTestKey(t, "rsa", "r", false, nil)
	brokenRSA := bytes.Clone(rsaK.pkcs8)
	brokenRSA[len(brokenRSA)-3] ^= 0xff
	tests := []struct {
		name    string
		pkcs8   []byte
		wantErr error
	}{
		{"rsa", rsaK.pkcs8, nil},
		{"gost", gost, ErrUnsupportedKey},
		{"x25519 cannot sign", x25519, ErrUnsupportedKey},
		{"broken rsa", brokenRSA, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := keyOf(t, tt.pkcs8)
			s, err := k.Signer()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || s != nil {
					t.Fatalf("Signer = %v, %v; want %v", s, err, tt.wantErr)
				}
				return
			}
			checkSigner(t, k, rsaK.cert, rsaK.sigAlg)
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestEncodeErrors(t *testing.T) {
	k := newTestKey(t, "ec", "k", false, nil)
	other := newTestKey(t, "ec", "other", false, nil)
	tests := []struct {
		name     string
		pkcs8    []byte
		certs    []*x509.Certificate
		password string
		opts     EncodeOptions
		wantErr  error // nil: any error
	}{
		{"certificate of another key", k.pkcs8, []*x509.Certificate{other.cert}, "pw", EncodeOptions{}, nil},
		{"not a PrivateKeyInfo", []byte{0x30, 0x03, 0x02, 0x01, 0x00}, nil, "pw", EncodeOptions{}, ErrMalformed},
		{"trailing data after the key", append(bytes.Clone(k.pkcs8), 0), nil, "pw", EncodeOptions{}, ErrMalformed},
		{"too many iterations", k.pkcs8, nil, "pw", EncodeOptions{Iterations: MaxIterations + 1}, ErrLimit},
		{"negative iterations", k.pkcs8, nil, "pw", EncodeOptions{Iterations: -1}, ErrLimit},
		{"password not UTF-8", k.pkcs8, nil, "\xff\xfe", EncodeOptions{}, nil},
		{"nil certificate", k.pkcs8, []*x509.Certificate{nil}, "pw", EncodeOptions{}, nil},
		{"no randomness", k.pkcs8, nil, "pw", EncodeOptions{Rand: failingReader{}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Encode(tt.pkcs8, tt.certs, tt.password, tt.opts)
			if err == nil || out != nil {
				t.Fatalf("Encode = %d bytes, %v; want an error", len(out), err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Encode error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestEncodeDeterministic: with a fixed Rand the output is reproducible, and the salts come from it.
func TestEncodeDeterministic(t *testing.T) {
	pkcs8, _ := gostLikePKCS8(t)
	a, err := Encode(pkcs8, nil, "pw", EncodeOptions{Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 100))})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(pkcs8, nil, "pw", EncodeOptions{Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 100))})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Encode(pkcs8, nil, "pw", EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || bytes.Equal(a, c) || !bytes.Contains(a, bytes.Repeat([]byte{7}, saltLen)) {
		t.Fatal("the salts do not come from EncodeOptions.Rand")
	}
}

// TestPasswordReadings: files whose writer encoded the password differently from RFC 7292 B.1 still
// open: the empty password as a zero-length string, and a UTF-8 password taken byte by byte.
func TestPasswordReadings(t *testing.T) {
	k := newTestKey(t, "ec", "p", false, nil)
	tests := []struct {
		name     string
		bmp      []byte
		password string
		wrong    string
	}{
		{"empty password as zero-length string", []byte{}, "", "\x00"},
		{"empty password as NUL", []byte{0, 0}, "", " "},
		{"UTF-8 bytes as Latin-1 characters", latin1Password("Құпия"), "Құпия", "Купия"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := encode(k.pkcs8, []*x509.Certificate{k.cert}, tt.bmp, 10, rand.Reader, "")
			if err != nil {
				t.Fatal(err)
			}
			f, err := Decode(data, tt.password)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(f.Keys) != 1 || !bytes.Equal(f.Keys[0].PKCS8, k.pkcs8) || len(f.Certificates) != 1 {
				t.Fatal("wrong content")
			}
			if _, err := Decode(data, tt.wrong); !errors.Is(err, ErrIncorrectPassword) {
				t.Fatalf("password %q: %v", tt.wrong, err)
			}
		})
	}
}
