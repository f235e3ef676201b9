package ocsp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/internal/fixtures"
)

const (
	rsaResponseFile  = "ocsp_response_individual_sign_2004.bin"
	gostResponseFile = "ocsp_response_ceo_sign_2004_revoked.bin"
)

var realResponses = []struct {
	file, issuer string
	serial       string
	status       Status
	revokedAt    time.Time
	reason       int
	producedAt   time.Time
	nonce        string
	sigAlg       asn1.ObjectIdentifier
	nameHash     string // the SHA-256 Issuer Name Hash in the response
}{
	{
		file: rsaResponseFile, issuer: "nca_rsa_test.crt",
		serial: "4279390A141F5353A62947B61ED65E81741467D1", status: Good, reason: -1,
		producedAt: time.Date(2022, 9, 2, 16, 53, 59, 0, time.UTC),
		nonce:      "B5E5C9B552CBCAC4", sigAlg: certs.OIDSHA256WithRSA,
		nameHash: "8A8DA2CC54E144C7A78E916AA2DFC4CF1660105333A887C48AB649B01EEEE62F",
	},
	{
		file: gostResponseFile, issuer: "nca_gost_test.crt",
		serial: "12E3E7B9966D09EB9CDA64251457E815C2A8DDED", status: Revoked,
		revokedAt: time.Date(2022, 1, 18, 6, 30, 55, 0, time.UTC), reason: 4,
		producedAt: time.Date(2022, 9, 2, 16, 57, 4, 0, time.UTC),
		nonce:      "8B6B9F100D6B0005", sigAlg: certs.OIDGOST2004Signature,
		nameHash: "3ECDE169381394C76547DE5A28A75F42D9CA0B0010642058963E2CDAA6EC44BF",
	},
}

func TestRealResponsesParse(t *testing.T) {
	for _, tc := range realResponses {
		t.Run(tc.file, func(t *testing.T) {
			der := fixtures.Read(t, tc.file)
			issuer := loadCert(t, tc.issuer)
			r, err := ParseResponse(der)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if r.Status != Successful || !bytes.Equal(r.Raw, der) {
				t.Fatalf("status %v, raw kept %v", r.Status, bytes.Equal(r.Raw, der))
			}
			if !r.ProducedAt.Equal(tc.producedAt) {
				t.Errorf("producedAt %v, want %v", r.ProducedAt, tc.producedAt)
			}
			if got := r.Nonce; !bytes.Equal(got, mustHex(t, tc.nonce)) {
				t.Errorf("nonce %X, want %s", got, tc.nonce)
			}
			var extIDs []string
			for _, e := range r.Extensions {
				extIDs = append(extIDs, e.Id.String())
			}
			if want := []string{"1.3.6.1.5.5.7.48.1.2", "1.3.6.1.5.5.7.48.1.9"}; !slices.Equal(extIDs, want) {
				t.Errorf("extensions %v, want %v", extIDs, want)
			}
			if !r.SignatureAlgorithm.Equal(tc.sigAlg) {
				t.Errorf("signature algorithm %v, want %v", r.SignatureAlgorithm, tc.sigAlg)
			}
			if len(r.Signature) == 0 || len(r.TBSResponseData) == 0 || !bytes.Contains(der, r.TBSResponseData) {
				t.Errorf("signature/TBS not kept")
			}
			if len(r.Certificates) != 1 {
				t.Fatalf("%d embedded certificates, want 1", len(r.Certificates))
			}
			rc := r.Certificates[0]
			if !bytes.Equal(r.ResponderName, rc.RawSubject) || r.ResponderKeyHash != nil {
				t.Errorf("responder ID does not name the embedded certificate")
			}
			if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) ||
				!bytes.Equal(rc.RawIssuer, issuer.RawSubject) {
				t.Errorf("embedded certificate: EKU %v, issuer %q", rc.ExtKeyUsage, rc.Issuer)
			}

			if len(r.Responses) != 1 {
				t.Fatalf("%d single responses, want 1", len(r.Responses))
			}
			sr := r.Responses[0]
			serial := mustSerial(t, tc.serial)
			if sr.ID.Hash != crypto.SHA256 || sr.ID.Serial.Cmp(serial) != 0 {
				t.Errorf("CertID %v %X, want SHA-256 %s", sr.ID.Hash, sr.ID.Serial, tc.serial)
			}
			if !bytes.Equal(sr.ID.IssuerNameHash, mustHex(t, tc.nameHash)) {
				t.Errorf("name hash %X", sr.ID.IssuerNameHash)
			}
			if sr.Status != tc.status || !sr.RevokedAt.Equal(tc.revokedAt) || sr.Reason != tc.reason {
				t.Errorf("status %v at %v reason %d, want %v at %v reason %d",
					sr.Status, sr.RevokedAt, sr.Reason, tc.status, tc.revokedAt, tc.reason)
			}
			if !sr.ThisUpdate.Equal(tc.producedAt) || !sr.NextUpdate.IsZero() {
				t.Errorf("thisUpdate %v nextUpdate %v", sr.ThisUpdate, sr.NextUpdate)
			}

			// The CertID is the issuer's: both hashes recompute from the fixture CA certificate.
			if !sr.ID.IssuedBy(issuer) {
				t.Errorf("CertID is not issued by %s", tc.issuer)
			}
			if !sr.ID.Equal(mustCertID(t, serial, issuer, crypto.SHA256)) {
				t.Errorf("CertID differs from NewCertID")
			}
			if got, ok := r.Find(mustCertID(t, serial, issuer, crypto.SHA256)); !ok || got != &r.Responses[0] {
				t.Errorf("Find by SHA-256 CertID failed")
			}
			if _, ok := r.Find(mustCertID(t, serial, issuer, crypto.SHA1)); ok {
				t.Errorf("Find matched a SHA-1 CertID against a SHA-256 one")
			}
			if _, ok := r.FindFor(serial, issuer); !ok {
				t.Errorf("FindFor failed")
			}
			if _, ok := r.FindFor(new(big.Int).Add(serial, big.NewInt(1)), issuer); ok {
				t.Errorf("FindFor matched another serial")
			}
			if _, ok := r.FindFor(serial, getPKI(t).ca.cert); ok {
				t.Errorf("FindFor matched another issuer")
			}
		})
	}
}

func TestRealRSAResponseVerify(t *testing.T) {
	der := fixtures.Read(t, rsaResponseFile)
	ca := loadCert(t, "nca_rsa_test.crt")
	r0, err := ParseResponse(der)
	if err != nil {
		t.Fatal(err)
	}
	sigAt := bytes.Index(der, r0.Signature)
	nonceAt := bytes.Index(der, r0.Nonce)
	if sigAt < 0 || nonceAt < 0 {
		t.Fatal("signature or nonce not found in the DER")
	}
	at := time.Date(2022, 9, 2, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		der     []byte
		issuer  *x509.Certificate
		at      time.Time
		wantErr error
	}{
		{name: "valid at producedAt", der: der, issuer: ca, at: at},
		{name: "delegated cert expired in 2024", der: der, issuer: ca, at: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), wantErr: ErrResponderExpired},
		{name: "before delegated cert", der: der, issuer: ca, at: time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC), wantErr: ErrResponderExpired},
		{name: "signature byte flipped", der: flip(der, sigAt+len(r0.Signature)/2), issuer: ca, at: at, wantErr: ErrSignature},
		{name: "TBS byte flipped (nonce)", der: flip(der, nonceAt), issuer: ca, at: at, wantErr: ErrSignature},
		{name: "TBS byte flipped (serial)", der: flip(der, bytes.Index(der, r0.Responses[0].ID.Serial.Bytes())+3), issuer: ca, at: at, wantErr: ErrSignature},
		{name: "another CA", der: der, issuer: loadCert(t, "nca_gost_test.crt"), at: at, wantErr: ErrResponderNotIssued},
		{name: "unrelated CA", der: der, issuer: getPKI(t).ca.cert, at: at, wantErr: ErrResponderNotIssued},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(tc.der)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			signer, err := r.Verify(tc.issuer, certs.StdVerifier{}, tc.at)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if signer != r.Certificates[0] {
					t.Fatalf("signer %q, want the embedded responder", signer.Subject)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || signer != nil {
				t.Fatalf("Verify = %v, %v; want %v", signer, err, tc.wantErr)
			}
			t.Logf("refused: %v", err)
		})
	}
}

// gostVerifier stands in for a future GOST implementation: it accepts GOST signatures (or refuses
// the response signature when badResponse is set) and records what it was asked.
type gostVerifier struct {
	badResponse bool
	calls       []asn1.ObjectIdentifier
	signed      [][]byte
}

func (g *gostVerifier) VerifySignature(signer *x509.Certificate, alg asn1.ObjectIdentifier, signed, sig []byte) error {
	g.calls = append(g.calls, alg)
	g.signed = append(g.signed, signed)
	if !certs.IsGOST(alg) {
		return certs.StdVerifier{}.VerifySignature(signer, alg, signed, sig)
	}
	if g.badResponse && len(g.calls) == 2 {
		return errors.New("gost: signature mismatch")
	}
	return nil
}

func TestRealGOSTResponseVerify(t *testing.T) {
	der := fixtures.Read(t, gostResponseFile)
	ca := loadCert(t, "nca_gost_test.crt")
	at := time.Date(2022, 9, 2, 17, 0, 0, 0, time.UTC)
	r, err := ParseResponse(der)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("standard library: the real GOST response verifies", func(t *testing.T) {
		signer, err := r.Verify(ca, certs.StdVerifier{}, at)
		if err != nil || signer != r.Certificates[0] {
			t.Fatalf("Verify = %v, %v; want the delegated responder", signer, err)
		}
		// One flipped bit of the response's signature: a bad signature, not "unsupported".
		bad, _ := ParseResponse(der)
		bad.Signature = append([]byte(nil), bad.Signature...)
		bad.Signature[5] ^= 1
		if _, err := bad.Verify(ca, certs.StdVerifier{}, at); !errors.Is(err, ErrSignature) || errors.Is(err, certs.ErrUnsupportedAlgorithm) {
			t.Fatalf("tampered GOST response: %v", err)
		}
	})
	t.Run("pluggable verifier accepts", func(t *testing.T) {
		v := &gostVerifier{}
		signer, err := r.Verify(ca, v, at)
		if err != nil || signer != r.Certificates[0] {
			t.Fatalf("Verify = %v, %v", signer, err)
		}
		// First the responder certificate by the CA, then the response by the responder.
		if len(v.calls) != 2 || !v.calls[0].Equal(certs.OIDGOST2004Signature) ||
			!v.calls[1].Equal(certs.OIDGOST2004Signature) || !bytes.Equal(v.signed[1], r.TBSResponseData) {
			t.Fatalf("verifier calls %v", v.calls)
		}
	})
	t.Run("pluggable verifier refuses the response", func(t *testing.T) {
		_, err := r.Verify(ca, &gostVerifier{badResponse: true}, at)
		if !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify = %v, want ErrSignature", err)
		}
	})
	t.Run("pluggable verifier, expired responder", func(t *testing.T) {
		_, err := r.Verify(ca, &gostVerifier{}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		if !errors.Is(err, ErrResponderExpired) {
			t.Fatalf("Verify = %v, want ErrResponderExpired", err)
		}
	})
}
