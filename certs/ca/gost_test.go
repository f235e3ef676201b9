package ca_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/ocsp"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/internal/testpki"
)

// realGOSTCA is НУЦ's GOST TEST 2022 issuing CA, the layout shep's GOST certificates copy.
const realGOSTCA = "../../../shared/fixtures/real/gost/nca_gost2022_test.cer"

func TestGOSTHierarchy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	a := testpki.NewCA(t, ca.Options{Dir: dir, BaseURL: base})
	root, issuing, resp := a.GOSTRoot(), a.GOSTIssuing(), a.GOSTResponder()
	if root == nil || issuing == nil || resp == nil {
		t.Fatal("a new authority has no GOST hierarchy")
	}
	v := certs.StdVerifier{}
	tests := []struct {
		name           string
		cert, issuer   *x509.Certificate
		cn             string
		keyAlg, sigAlg asn1.ObjectIdentifier
		ca             bool
	}{
		{"root self-signature", root, root, ca.GOSTRootName, certs.OIDGOST2015PublicKey512, certs.OIDGOST2015Signature512, true},
		{"issuing CA by root", issuing, root, ca.GOSTIssuingName, certs.OIDGOST2015PublicKey512, certs.OIDGOST2015Signature512, true},
		{"OCSP responder (RSA key) by the GOST CA", resp, issuing, ca.GOSTResponderName, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, certs.OIDGOST2015Signature512, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := certs.CheckCertificateSignature(v, tt.cert, tt.issuer); err != nil {
				t.Fatalf("signature: %v", err)
			}
			// The same path refuses a signature checked against the wrong key.
			if err := certs.CheckCertificateSignature(v, tt.cert, a.Root()); err == nil {
				t.Fatal("verifies with the RSA root's key too")
			}
			if tt.cert.Subject.CommonName != tt.cn {
				t.Errorf("CN %q, want %q", tt.cert.Subject.CommonName, tt.cn)
			}
			if got := certs.PublicKeyAlgorithmOID(tt.cert); !got.Equal(tt.keyAlg) {
				t.Errorf("key algorithm %v, want %v", got, tt.keyAlg)
			}
			if got := certs.SignatureAlgorithmOID(tt.cert); !got.Equal(tt.sigAlg) {
				t.Errorf("signature algorithm %v, want %v", got, tt.sigAlg)
			}
			if tt.cert.IsCA != tt.ca || string(tt.cert.AuthorityKeyId) != string(tt.issuer.SubjectKeyId) {
				t.Errorf("IsCA %v, AKI %x, issuer SKI %x", tt.cert.IsCA, tt.cert.AuthorityKeyId, tt.issuer.SubjectKeyId)
			}
		})
	}
	if got := issuing.CRLDistributionPoints; len(got) != 1 || got[0] != base+"/gost/crl/root.crl" {
		t.Errorf("GOST CA CDP %v", got)
	}
	for _, f := range []struct {
		name string
		cert *x509.Certificate
		gost bool
	}{{"root", root, true}, {"ca", issuing, true}, {"../ocsp", resp, false}} { // the responder's key is the RSA one's
		p := filepath.Join(dir, "gost", f.name+".key")
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
		b, _ := os.ReadFile(p)
		if blk, _ := pem.Decode(b); blk == nil || blk.Type != "PRIVATE KEY" {
			t.Fatalf("%s is not a PKCS#8 PEM key", p)
		}
		k, err := certs.ReadPrivateKey(p)
		if err != nil {
			t.Fatal(err)
		}
		var certKey crypto.PublicKey = f.cert.PublicKey
		if f.gost {
			if certKey, err = certs.GOSTPublicKey(f.cert); err != nil {
				t.Fatal(err)
			}
			if _, ok := k.(*gost3410.PrivateKey); !ok {
				t.Fatalf("%s: %T, want a GOST key", p, k)
			}
		}
		if !k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(certKey) {
			t.Errorf("%s does not match %s.crt", p, f.name)
		}
	}
}

func TestGOSTCreatedLazilyForAnOldDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	old := testpki.NewCA(t, ca.Options{Dir: dir, BaseURL: base})
	rsaRoot := old.Root()
	// A data dir made before the GOST hierarchy existed.
	if err := os.RemoveAll(filepath.Join(dir, "gost")); err != nil {
		t.Fatal(err)
	}
	// Two processes open it and reach for GOST at once: one creates, the other loads.
	var as [2]*ca.Authority
	for i := range as {
		a, err := ca.Open(ctx, ca.Options{Dir: dir}, false)
		if err != nil {
			t.Fatal(err)
		}
		if a.GOSTRoot() != nil || len(a.Anchors()) != 1 || len(a.CRLKinds()) != 3 {
			t.Fatal("GOST hierarchy present before first use")
		}
		as[i] = a
	}
	var wg sync.WaitGroup
	errs := make([]error, len(as))
	for i, a := range as {
		wg.Go(func() { errs[i] = a.EnsureGOST(ctx) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !as[0].GOSTRoot().Equal(as[1].GOSTRoot()) || !as[0].GOSTIssuing().Equal(as[1].GOSTIssuing()) {
		t.Fatal("two GOST hierarchies were created")
	}
	if !as[0].Root().Equal(rsaRoot) {
		t.Fatal("the RSA hierarchy changed")
	}
	if n := len(as[0].Anchors()); n != 2 {
		t.Fatalf("%d anchors after EnsureGOST, want 2", n)
	}
	// The recorded publication URL is the one the GOST CA points at.
	if got := as[0].GOSTIssuing().CRLDistributionPoints; len(got) != 1 || got[0] != base+"/gost/crl/root.crl" {
		t.Errorf("GOST CA CDP %v", got)
	}
	// A third process issuing GOST finds the hierarchy and uses it.
	c, err := ca.Open(ctx, ca.Options{Dir: dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := c.Issue(ctx, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Algorithm: ca.AlgorithmGOST2015})
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.CheckCertificateSignature(certs.StdVerifier{}, iss.Certificate, as[1].GOSTIssuing()); err != nil {
		t.Fatal(err)
	}
}

// gostValidator trusts both hierarchies of a, with its CRLs as the revocation evidence.
func gostValidator(t *testing.T, a *ca.Authority, now func() time.Time) (*validate.Validator, *revocation.CRLStore) {
	t.Helper()
	if err := a.EnsureGOST(ctx); err != nil {
		t.Fatal(err)
	}
	var srcs []revocation.Source
	for _, k := range a.CRLKinds() {
		srcs = append(srcs, revocation.FuncSource{Label: string(k), F: func(ctx context.Context) ([]byte, error) { return a.CRL(ctx, k) }})
	}
	store := revocation.NewCRLStore(revocation.CRLOptions{Sources: srcs, Now: now})
	if err := store.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(validate.Options{Anchors: a.Anchors(), Intermediates: a.Intermediates(), Revocation: store, CacheTTL: -1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return v, store
}

func TestGOSTIssueValidateRevoke(t *testing.T) {
	clock := testpki.NewClock(t0)
	a := testpki.NewCA(t, ca.Options{BaseURL: base, Now: clock.Now})
	v, store := gostValidator(t, a, clock.Now)
	tests := []struct {
		name  string
		req   ca.IssueRequest
		class certs.KeyClass
		usage validate.Usage
		iin   string
		bin   string
	}{
		{"individual SIGN", ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Name: "ИВАНОВА АЙГУЛЬ СЕРИКОВНА"},
			certs.KeySign, validate.UsageSign, "931002451325", ""},
		{"individual AUTH", ca.IssueRequest{Kind: ca.KindIndividual, Usage: ca.UsageAuth, IIN: "931002451325"},
			certs.KeyAuth, validate.UsageAuth, "931002451325", ""},
		{"official", ca.IssueRequest{Kind: ca.KindOfficial, IIN: "941111350315", BIN: "160440007161"},
			certs.KeySign, validate.UsageSign, "941111350315", "160440007161"},
		{"information system", ca.IssueRequest{Kind: ca.KindSystem, BIN: "000740000470", CommonName: "ИС"},
			certs.KeySign, validate.UsageSign, "", "000740000470"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Algorithm = ca.AlgorithmGOST2015
			iss := testpki.Issue(t, a, tt.req)
			c := iss.Certificate
			if _, ok := iss.Key.(*gost3410.PrivateKey); !ok {
				t.Fatalf("key %T, want GOST", iss.Key)
			}
			pub, err := certs.GOSTPublicKey(c)
			if err != nil || !pub.Equal(iss.Key.Public()) {
				t.Fatalf("certificate key: %v", err)
			}
			if len(iss.Chain) != 2 || !iss.Chain[0].Equal(a.GOSTIssuing()) || !iss.Chain[1].Equal(a.GOSTRoot()) {
				t.Fatal("chain is not the GOST hierarchy")
			}
			for what, got := range map[string][]string{
				"CDP": c.CRLDistributionPoints, "OCSP": c.OCSPServer, "AIA": c.IssuingCertificateURL,
			} {
				if len(got) != 1 || !strings.HasPrefix(got[0], base+"/gost/") {
					t.Errorf("%s %v: not the GOST CA's", what, got)
				}
			}
			id, err := certs.IdentityOf(c, certs.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if id.IIN != tt.iin || id.BIN != tt.bin || id.KeyClass != tt.class || !id.GOST {
				t.Errorf("identity ИИН %q БИН %q class %s GOST %v", id.IIN, id.BIN, id.KeyClass, id.GOST)
			}
			verdict, err := v.Validate(ctx, validate.Request{Cert: c, Usage: tt.usage})
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			if len(verdict.Chain) != 3 || !verdict.Chain[2].Equal(a.GOSTRoot()) || len(verdict.Revocation) != 2 {
				t.Fatalf("chain %d, revocation %d", len(verdict.Chain), len(verdict.Revocation))
			}
			if src := verdict.Revocation[0].Source; !strings.Contains(src, string(ca.CRLGOSTFull)) {
				t.Errorf("revocation evidence %q is not the GOST CRL", src)
			}

			clock.Advance(time.Minute)
			if err := a.Revoke(ctx, c.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if err := store.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
			_, err = v.Validate(ctx, validate.Request{Cert: c, Usage: tt.usage})
			if validate.CodeOf(err) != validate.CodeRevoked {
				t.Fatalf("after revocation: %v, want %s", err, validate.CodeRevoked)
			}
		})
	}
}

func TestGOSTCRLs(t *testing.T) {
	clock := testpki.NewClock(t0)
	dir := filepath.Join(t.TempDir(), "pki")
	a := testpki.NewCA(t, ca.Options{Dir: dir, BaseURL: base, Now: clock.Now})
	gostCert := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Algorithm: ca.AlgorithmGOST2015}).Certificate
	rsaCert := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	parse := func(kind ca.CRLKind, force bool) *x509.RevocationList {
		t.Helper()
		get := a.CRL
		if force {
			get = a.IssueCRL
		}
		der, err := get(ctx, kind)
		if err != nil {
			t.Fatal(err)
		}
		l, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	full0 := parse(ca.CRLGOSTFull, false)
	delta0 := parse(ca.CRLGOSTDelta, false)
	rsaFull0 := parse(ca.CRLFull, false)
	clock.Advance(time.Minute)
	if err := a.Revoke(ctx, gostCert.SerialNumber, ca.ReasonSuperseded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, rsaCert.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	delta1 := parse(ca.CRLGOSTDelta, false) // reissued at once: a revocation is not in it
	full1 := parse(ca.CRLGOSTFull, true)
	rsaFull1 := parse(ca.CRLFull, true)
	root := parse(ca.CRLGOSTRoot, false)

	serials := func(l *x509.RevocationList) []string {
		var out []string
		for _, e := range l.RevokedCertificateEntries {
			out = append(out, certs.SerialHex(e.SerialNumber))
		}
		return out
	}
	deltaBase := func(l *x509.RevocationList) int64 {
		for _, e := range l.Extensions {
			if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 27}) {
				var n *big.Int
				if _, err := asn1.Unmarshal(e.Value, &n); err != nil {
					t.Fatal(err)
				}
				return n.Int64()
			}
		}
		return -1
	}
	g, r := certs.SerialHex(gostCert.SerialNumber), certs.SerialHex(rsaCert.SerialNumber)
	tests := []struct {
		name     string
		l        *x509.RevocationList
		issuer   *x509.Certificate
		number   int64
		base     int64 // delta indicator, -1: none
		entries  []string
		validity time.Duration
	}{
		{"GOST full, before", full0, a.GOSTIssuing(), 1, -1, nil, 24 * time.Hour},
		{"GOST delta, before", delta0, a.GOSTIssuing(), 2, 1, nil, time.Hour},
		{"GOST delta, after the revocation", delta1, a.GOSTIssuing(), 3, 1, []string{g}, time.Hour},
		{"GOST full, after", full1, a.GOSTIssuing(), 4, -1, []string{g}, 24 * time.Hour},
		{"GOST root", root, a.GOSTRoot(), 5, -1, nil, 30 * 24 * time.Hour},
		{"RSA full, before", rsaFull0, a.Issuing(), rsaFull0.Number.Int64(), -1, nil, 24 * time.Hour},
		{"RSA full, after: no GOST serial", rsaFull1, a.Issuing(), rsaFull1.Number.Int64(), -1, []string{r}, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := certs.CheckCRLSignature(certs.StdVerifier{}, tt.l, tt.issuer); err != nil {
				t.Fatalf("signature: %v", err)
			}
			if tt.l.Number.Int64() != tt.number || deltaBase(tt.l) != tt.base {
				t.Errorf("number %d base %d, want %d %d", tt.l.Number, deltaBase(tt.l), tt.number, tt.base)
			}
			if got := serials(tt.l); strings.Join(got, ",") != strings.Join(tt.entries, ",") {
				t.Errorf("entries %v, want %v", got, tt.entries)
			}
			if d := tt.l.NextUpdate.Sub(tt.l.ThisUpdate); d != tt.validity {
				t.Errorf("validity %v, want %v", d, tt.validity)
			}
			if string(tt.l.AuthorityKeyId) != string(tt.issuer.SubjectKeyId) || string(tt.l.RawIssuer) != string(tt.issuer.RawSubject) {
				t.Error("issuer name or AKI differ from the issuer's")
			}
		})
	}
	for _, name := range []string{"full.crl", "delta.crl", "root.crl"} {
		if _, err := os.Stat(filepath.Join(dir, "gost", "crl", name)); err != nil {
			t.Errorf("GOST CRL not stored: %v", err)
		}
	}
}

func TestGOSTOCSP(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{BaseURL: base})
	good := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Algorithm: ca.AlgorithmGOST2015}).Certificate
	bad := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Algorithm: ca.AlgorithmGOST2015}).Certificate
	rsaCert := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Certificate
	if err := a.Revoke(ctx, bad.SerialNumber, ca.ReasonKeyCompromise, time.Time{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		serial *big.Int
		issuer *x509.Certificate
		want   ocsp.Status
	}{
		{"good GOST", good.SerialNumber, a.GOSTIssuing(), ocsp.Good},
		{"revoked GOST", bad.SerialNumber, a.GOSTIssuing(), ocsp.Revoked},
		{"RSA serial asked of the GOST CA", rsaCert.SerialNumber, a.GOSTIssuing(), ocsp.Unknown},
		{"GOST serial asked of the RSA CA", good.SerialNumber, a.Issuing(), ocsp.Unknown},
		{"RSA still answered", rsaCert.SerialNumber, a.Issuing(), ocsp.Good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ocsp.NewCertID(tt.serial, tt.issuer, crypto.SHA1)
			if err != nil {
				t.Fatal(err)
			}
			req, err := ocsp.CreateRequest([]ocsp.CertID{id}, []byte("0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ocsp.ParseResponse(a.OCSP(ctx, req))
			if err != nil || resp.Status != ocsp.Successful {
				t.Fatalf("response %v: %v", resp, err)
			}
			// The delegated responder is checked against the (GOST) CA with the standard verifier.
			signer, err := resp.Verify(tt.issuer, certs.StdVerifier{}, time.Now())
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			wantSigner := a.Responder()
			if tt.issuer.Equal(a.GOSTIssuing()) {
				wantSigner = a.GOSTResponder()
			}
			if !signer.Equal(wantSigner) {
				t.Errorf("signed by %q", signer.Subject.CommonName)
			}
			single, ok := resp.FindFor(tt.serial, tt.issuer)
			if !ok || single.Status != tt.want {
				t.Fatalf("status %v, want %v", single, tt.want)
			}
		})
	}
}

func TestGOSTIssueRequests(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{BaseURL: base})
	own, err := gost3410.GenerateKey(gost3410.TC26512A(), nil)
	if err != nil {
		t.Fatal(err)
	}
	small, err := gost3410.GenerateKey(gost3410.CryptoProA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"}).Key.(*rsa.PrivateKey)
	tests := []struct {
		name    string
		alg     ca.Algorithm
		pub     crypto.PublicKey
		wantErr bool
	}{
		{"own GOST key, algorithm implied", "", &own.PublicKey, false},
		{"own GOST key, gost2015", ca.AlgorithmGOST2015, &own.PublicKey, false},
		{"RSA key under gost2015", ca.AlgorithmGOST2015, rsaKey.Public(), true},
		{"GOST key under rsa", ca.AlgorithmRSA, &own.PublicKey, true},
		{"2004 (256-bit) key", ca.AlgorithmGOST2015, &small.PublicKey, true},
		{"unknown algorithm", "dsa", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, err := a.Issue(ctx, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Algorithm: tt.alg, PublicKey: tt.pub})
			if tt.wantErr {
				if err == nil {
					t.Fatal("issued")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pub, err := certs.GOSTPublicKey(iss.Certificate)
			if err != nil || !pub.Equal(&own.PublicKey) || iss.Key != nil {
				t.Fatalf("certified key: %v (key returned: %v)", err, iss.Key != nil)
			}
			st, ok, err := a.Status(iss.Certificate.SerialNumber)
			if err != nil || !ok || st.Algorithm != ca.AlgorithmGOST2015 {
				t.Fatalf("status %+v %v %v", st, ok, err)
			}
		})
	}
	if _, err := ca.ParseAlgorithm("gost2004"); err == nil {
		t.Error("ParseAlgorithm accepted gost2004")
	}
}

// algorithmShape lists what `openssl asn1parse` shows of the algorithms of a signed DER structure
// (certificate or CRL): every 1.2.398 OID and NULL with its depth, and the outer elements (TBS,
// signature algorithm, signature BIT STRING with its length).
func algorithmShape(t *testing.T, der []byte) []string {
	t.Helper()
	cmd := exec.Command("openssl", "asn1parse", "-inform", "DER")
	cmd.Stdin = bytes.NewReader(der)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl asn1parse: %v", err)
	}
	line := regexp.MustCompile(`^\s*\d+:d=(\d+)\s+hl=\d+\s+l=\s*(\d+)\s+(?:prim|cons):\s+(.*?)\s*$`)
	var shape []string
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		switch {
		case m == nil:
		case m[1] == "1" && strings.HasPrefix(m[3], "BIT STRING"):
			shape = append(shape, "d=1 BIT STRING l="+m[2])
		case m[1] == "1":
			shape = append(shape, "d=1 "+m[3])
		case strings.Contains(m[3], ":1.2.398.") || m[3] == "NULL":
			shape = append(shape, "d="+m[1]+" "+m[3])
		}
	}
	return shape
}

func TestGOSTLayoutMatchesNUC(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	realDir := filepath.Dir(realGOSTCA)
	if _, err := os.Stat(realGOSTCA); err != nil {
		t.Skipf("real НУЦ certificates: %v", err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(realDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := testpki.NewCA(t, ca.Options{BaseURL: base})
	iss := testpki.Issue(t, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Algorithm: ca.AlgorithmGOST2015})
	full, err := a.CRL(ctx, ca.CRLGOSTFull)
	if err != nil {
		t.Fatal(err)
	}
	delta, err := a.CRL(ctx, ca.CRLGOSTDelta)
	if err != nil {
		t.Fatal(err)
	}
	certShape := []string{
		"d=1 SEQUENCE",
		"d=3 OBJECT            :1.2.398.3.10.1.1.2.3.2", "d=3 NULL", // TBS signature
		"d=4 OBJECT            :1.2.398.3.10.1.1.2.2",                                                // SPKI algorithm
		"d=5 OBJECT            :1.2.398.3.10.1.1.2.2.1", "d=5 OBJECT            :1.2.398.3.10.1.3.3", // curve, hash
		"d=1 SEQUENCE",
		"d=2 OBJECT            :1.2.398.3.10.1.1.2.3.2", "d=2 NULL", // signatureAlgorithm
		"d=1 BIT STRING l=129", // 128-byte r_LE ‖ s_LE
	}
	crlShape := []string{
		"d=1 SEQUENCE",
		"d=3 OBJECT            :1.2.398.3.10.1.1.2.3.2", "d=3 NULL",
		"d=1 SEQUENCE",
		"d=2 OBJECT            :1.2.398.3.10.1.1.2.3.2", "d=2 NULL",
		"d=1 BIT STRING l=129",
	}
	tests := []struct {
		name string
		der  []byte
		want []string
	}{
		{"НУЦ GOST TEST 2022 CA (the model)", read("nca_gost2022_test.cer"), certShape},
		{"НУЦ GOST TEST 2022 root (the model)", read("root_test_gost_2022.cer"), certShape},
		{"НУЦ GOST delta CRL (the model)", read("nca_gost2022_d_test.crl"), crlShape},
		{"issued individual certificate", iss.Certificate.Raw, certShape},
		{"GOST issuing CA", a.GOSTIssuing().Raw, certShape},
		{"GOST root", a.GOSTRoot().Raw, certShape},
		{"GOST full CRL", full, crlShape},
		{"GOST delta CRL", delta, crlShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := algorithmShape(t, tt.der); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("asn1parse shape:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
