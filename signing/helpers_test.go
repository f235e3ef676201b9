package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing/c14n"
)

// at2021 lies inside the validity of the NCA RSA test signer of the fixtures.
var at2021 = time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)

// fixtureChecker trusts the NCA RSA test CA of the fixtures, with its real CRL as evidence.
func fixtureChecker(t *testing.T) *Checker {
	t.Helper()
	anchors, err := certs.ParseCertificates(fixtures.Read(t, "nca_rsa_test.crt"))
	if err != nil {
		t.Fatal(err)
	}
	store := revocation.NewCRLStore(revocation.CRLOptions{Sources: []revocation.Source{
		revocation.FileSource(filepath.Join(fixtures.Dir(t), "nca_rsa_test.crl"))}})
	if err := store.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(validate.Options{Anchors: anchors, Revocation: store,
		Identity: certs.ParseOptions{TestIdentities: true}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChecker(CheckerOptions{Validator: v, Identity: certs.ParseOptions{TestIdentities: true}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testCA is a test НУЦ with a freshly issued SIGN certificate of an individual.
type testCA struct {
	a      *ca.Authority
	issued *ca.Issued
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	a := testpki.NewCA(t, ca.Options{})
	iss := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Name: "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"})
	return &testCA{a: a, issued: iss}
}

// checker trusts the test НУЦ's root, with its CRLs as evidence.
func (c *testCA) checker(t *testing.T) *Checker {
	t.Helper()
	var srcs []revocation.Source
	for _, k := range []ca.CRLKind{ca.CRLFull, ca.CRLDelta, ca.CRLRoot} {
		srcs = append(srcs, revocation.FuncSource{Label: "ca:" + string(k), F: func(ctx context.Context) ([]byte, error) { return c.a.CRL(ctx, k) }})
	}
	store := revocation.NewCRLStore(revocation.CRLOptions{Sources: srcs})
	if err := store.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(validate.Options{Anchors: []*x509.Certificate{c.a.Root()},
		Intermediates: []*x509.Certificate{c.a.Issuing()}, Revocation: store})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := NewChecker(CheckerOptions{Validator: v})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// ecdsaCert returns a P-256 key with a self-signed certificate.
func ecdsaCert(t testing.TB) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ТЕСТОВ ТЕСТ", SerialNumber: "IIN931002451325", Country: []string{"KZ"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return k, c
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pemKey(t *testing.T, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// xmlsec runs xmlsec1, failing the test when it is not installed (CI installs it:
// apt-get install -y xmlsec1).
func xmlsec(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatal("xmlsec1 not found: apt-get install -y xmlsec1")
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustParse(t *testing.T, b []byte) *etree.Document {
	t.Helper()
	d, err := Parse(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := CodeOf(err); got != string(code) {
		t.Fatalf("code %q (%v), want %s", got, err, code)
	}
}

// replaceOnce replaces the only occurrence of old in b.
func replaceOnce(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if n := bytes.Count(b, []byte(old)); n != 1 {
		t.Fatalf("%q occurs %d times", old, n)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// child returns the first child element of e with the given local name.
func child(e *etree.Element, local string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == local {
			return c
		}
	}
	return nil
}

// descendant returns the first element under e (e included) with the given local name.
func descendant(e *etree.Element, local string) *etree.Element {
	if e.Tag == local {
		return e
	}
	for _, c := range e.ChildElements() {
		if d := descendant(c, local); d != nil {
			return d
		}
	}
	return nil
}

// resign parses b, applies mutate, then recomputes the DigestValue and SignatureValue of the first
// ds:Signature with key, following the (possibly mutated) SignedInfo as an honest signer would.
// It lets a test reach the checks that come after the SignatureValue (references, transforms,
// IDs). sig and dig, when non-nil, replace the signature and digest methods.
func resign(t *testing.T, b []byte, key crypto.Signer, sig SignatureAlgorithm, dig DigestAlgorithm, mutate func(doc *etree.Document, s *etree.Element)) []byte {
	t.Helper()
	doc := mustParse(t, b)
	s := signatures(doc.Root(), nil)[0]
	if mutate != nil {
		mutate(doc, s)
	}
	si := child(s, "SignedInfo")
	ref := child(si, "Reference")
	reg := DefaultRegistry()
	if sig != nil {
		child(si, "SignatureMethod").CreateAttr("Algorithm", sig.URI())
		reg = reg.WithSignature(sig)
	}
	if dig != nil {
		child(ref, "DigestMethod").CreateAttr("Algorithm", dig.URI())
		reg = reg.WithDigest(dig)
	}
	uri := ref.SelectAttrValue("URI", "")
	var target *etree.Element
	if uri == "" {
		target = doc.Root()
	} else if found := elementsWithID(doc.Root(), strings.TrimPrefix(uri, "#")); len(found) > 0 {
		target = found[0]
	}
	if target != nil {
		m := c14n.Method{}
		if ts := child(ref, "Transforms"); ts != nil {
			for _, tr := range ts.ChildElements() {
				if mm, ok := c14n.MethodOf(tr.SelectAttrValue("Algorithm", "")); ok {
					m = mm
				}
			}
		}
		m.WithComments = false
		canon, err := c14n.Canonicalize(target, c14n.Options{Method: m, Omit: func(e *etree.Element) bool { return e == s }})
		if err != nil {
			t.Fatal(err)
		}
		da, ok := reg.Digest(child(ref, "DigestMethod").SelectAttrValue("Algorithm", ""))
		if !ok {
			t.Fatal("resign: unknown digest")
		}
		h := da.New()
		h.Write(canon)
		child(ref, "DigestValue").SetText(base64.StdEncoding.EncodeToString(h.Sum(nil)))
	}
	m, ok := c14n.MethodOf(child(si, "CanonicalizationMethod").SelectAttrValue("Algorithm", ""))
	if !ok {
		t.Fatal("resign: unknown canonicalization")
	}
	signed, err := c14n.Canonicalize(si, c14n.Options{Method: m})
	if err != nil {
		t.Fatal(err)
	}
	sa, ok := reg.Signature(child(si, "SignatureMethod").SelectAttrValue("Algorithm", ""))
	if !ok {
		t.Fatal("resign: unknown signature method")
	}
	v, err := sa.Sign(key, signed)
	if err != nil {
		t.Fatal(err)
	}
	child(s, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(v))
	out, err := serialize(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustSignWSSE signs env with the test НУЦ certificate.
func (c *testCA) signWSSE(t *testing.T, env string, opts SignOptions) []byte {
	t.Helper()
	out, err := SignWSSE([]byte(env), c.issued.Key, c.issued.Certificate, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (c *testCA) signEnveloped(t *testing.T, doc string, opts SignOptions) []byte {
	t.Helper()
	out, err := SignEnveloped([]byte(doc), c.issued.Key, c.issued.Certificate, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sendMessage is a SyncChannel request like the ones ШЭП carries.
const sendMessage = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns3:SendMessage xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"><request><requestInfo><messageId>ccb1010b-8446-4937-913f-c87a717f6809</messageId><serviceId>GBDFL_UniversalServiceSync</serviceId><messageDate>2019-12-25T12:48:21.024Z</messageDate><sender><senderId>smartbridge</senderId><password>123</password></sender></requestInfo><requestData><ns4:data xmlns:cs="http://message.persistence.interactive.nat" xmlns:ns4="http://bip.bee.kz/SyncChannel/v10/Interfaces" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="cs:Request"><messageId>1</messageId><senderCode>smartbridge</senderCode><iin>931002451325</iin><name>Тестов Тест</name></ns4:data></requestData></request></ns3:SendMessage></soapenv:Body></soapenv:Envelope>`
