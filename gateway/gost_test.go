package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/trust"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/gost/gost3410"
	"github.com/shep-kz/shep/signing"
)

// A gateway whose identity is GOST (shep serve --gateway-key gost2015): its answers are
// WS-Security-signed with GOST R 34.10-2015 by its information-system certificate, which chains to
// the GOST root through the validator serve builds (both hierarchies of the test НУЦ, their CRLs),
// the same path real НУЦ GOST certificates take. Requests signed with RSA or GOST keys are accepted.
func TestGatewayGOSTIdentity(t *testing.T) {
	w := newWorld(t)
	dir := filepath.Join(w.dir, "gateway")
	rsaID := w.pipe.Identity
	id, err := gateway.EnsureIdentityFor(ctx, w.ca, dir, ca.AlgorithmGOST2015)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := id.Key.(*gost3410.PrivateKey); !ok {
		t.Fatalf("gateway key %T, want GOST", id.Key)
	}
	// Stored apart from the RSA identity, which stays; read back unchanged on the next start.
	crt, key := gateway.IdentityFiles(dir, ca.AlgorithmGOST2015)
	if filepath.Base(crt) != "gateway-gost.crt" || filepath.Base(key) != "gateway-gost.key" {
		t.Fatalf("files %s %s", crt, key)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v", err)
	}
	again, err := gateway.EnsureIdentityFor(ctx, w.ca, dir, ca.AlgorithmGOST2015)
	if err != nil || !again.Certificate.Equal(id.Certificate) {
		t.Fatalf("second start issued another GOST identity: %v", err)
	}
	if rsa, err := gateway.EnsureIdentity(ctx, w.ca, dir); err != nil || !rsa.Certificate.Equal(rsaID.Certificate) {
		t.Fatalf("the RSA identity changed: %v", err)
	}

	// serve's trust: both hierarchies, every CRL of the test НУЦ.
	var srcs []revocation.Source
	for _, k := range w.ca.CRLKinds() {
		srcs = append(srcs, revocation.FuncSource{Label: string(k), F: func(ctx context.Context) ([]byte, error) { return w.ca.CRL(ctx, k) }})
	}
	tr, err := trust.Build(ctx, trust.Config{Anchors: w.ca.Anchors(), Intermediates: w.ca.Intermediates(), CRLSources: srcs, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	w.pipe.Identity, w.pipe.Validator = id, tr.Validator

	rsaClient := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС КЛИЕНТ"})
	gostClient := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС КЛИЕНТ (GOST)", Algorithm: ca.AlgorithmGOST2015})
	tests := []struct {
		name   string
		signer *ca.Issued
		code   string
	}{
		{"request signed with RSA", rsaClient, syncchannel.StatusSuccess},
		{"request signed with GOST", gostClient, syncchannel.StatusSuccess},
		{"unsigned request: the refusal is GOST-signed too", nil, "SIGNATURE_MISSING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}
			body := m.envelope()
			if tt.signer != nil {
				body = w.signed(m, tt.signer)
			}
			resp, err := http.Post(w.url, "text/xml; charset=utf-8", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()

			v, err := signing.VerifyWSSE(b, signing.Options{})
			if err != nil {
				t.Fatalf("answer's signature: %v\n%s", err, b)
			}
			if v.SignatureMethod != signing.GOST2015With512 || v.DigestMethod != signing.DigestStreebog512 {
				t.Errorf("answer signed with %s / %s", v.SignatureMethod, v.DigestMethod)
			}
			if !v.Certificate.Equal(id.Certificate) {
				t.Fatalf("answer signed by %q, not the GOST gateway certificate", v.Certificate.Subject.CommonName)
			}
			verdict, err := tr.Validator.Validate(ctx, validate.Request{Cert: v.Certificate, Extra: v.Extra, Usage: validate.UsageSign})
			if err != nil {
				t.Fatalf("gateway certificate: %v", err)
			}
			if n := len(verdict.Chain); n != 3 || !verdict.Chain[1].Equal(w.ca.GOSTIssuing()) || !verdict.Chain[2].Equal(w.ca.GOSTRoot()) {
				t.Fatalf("chain of %d does not end at the GOST root", n)
			}
			if verdict.Identity.BIN != gateway.GatewayBIN || !verdict.Identity.GOST {
				t.Errorf("signer БИН %s GOST %v", verdict.Identity.BIN, verdict.Identity.GOST)
			}
			// The same chain, checked link by link with the verifier used for real НУЦ certificates.
			for i := 0; i+1 < len(verdict.Chain); i++ {
				if err := certs.CheckCertificateSignature(certs.StdVerifier{}, verdict.Chain[i], verdict.Chain[i+1]); err != nil {
					t.Fatal(err)
				}
			}

			code := ""
			if f := v.Element.FindElement(".//SendMessageFault1_SendMessageFault"); f != nil {
				info, err := syncchannel.ParseFault(f)
				if err != nil {
					t.Fatal(err)
				}
				code = info.Code
			} else {
				r, err := syncchannel.ParseResponse(v.Element)
				if err != nil {
					t.Fatalf("response: %v\n%s", err, b)
				}
				code = r.Info.Status.Code
			}
			if code != tt.code {
				t.Fatalf("code %q, want %q\n%s", code, tt.code, b)
			}
		})
	}
}
