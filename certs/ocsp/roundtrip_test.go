package ocsp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/shep-kz/shep/certs"
)

func TestRequestRoundTrip(t *testing.T) {
	p := getPKI(t)
	ca := p.ca.cert
	big20, _ := new(big.Int).SetString("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", 16)
	tests := []struct {
		name   string
		hashes []crypto.Hash
		serial *big.Int
		nonce  []byte
	}{
		{"SHA-256 with 16-byte nonce", []crypto.Hash{crypto.SHA256}, big.NewInt(0x1234), bytes.Repeat([]byte{0xA5}, 16)},
		{"SHA-1 without nonce", []crypto.Hash{crypto.SHA1}, big.NewInt(1), nil},
		{"NCA-style 8-byte nonce", []crypto.Hash{crypto.SHA256}, big20, []byte{0xB5, 0xE5, 0xC9, 0xB5, 0x52, 0xCB, 0xCA, 0xC4}},
		{"several certificates", []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512}, big.NewInt(0), []byte{1}},
		{"32-byte nonce", []crypto.Hash{crypto.SHA512}, big.NewInt(-5), bytes.Repeat([]byte{0}, 32)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ids []CertID
			for i, h := range tc.hashes {
				ids = append(ids, mustCertID(t, new(big.Int).Add(tc.serial, big.NewInt(int64(i))), ca, h))
			}
			der, err := CreateRequest(ids, tc.nonce)
			if err != nil {
				t.Fatal(err)
			}
			req, err := ParseRequest(der)
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			if !bytes.Equal(req.Raw, der) || len(req.IDs) != len(ids) {
				t.Fatalf("raw kept %v, %d IDs", bytes.Equal(req.Raw, der), len(req.IDs))
			}
			for i := range ids {
				if !req.IDs[i].Equal(ids[i]) || !req.IDs[i].IssuedBy(ca) || req.IDs[i].IssuedBy(p.otherCA.cert) {
					t.Errorf("ID %d: %+v, want %+v", i, req.IDs[i], ids[i])
				}
			}
			if (req.Nonce == nil) != (tc.nonce == nil) || !bytes.Equal(req.Nonce, tc.nonce) {
				t.Errorf("nonce %X, want %X", req.Nonce, tc.nonce)
			}
		})
	}
}

func TestCreateRequestErrors(t *testing.T) {
	ca := getPKI(t).ca.cert
	good := mustCertID(t, big.NewInt(7), ca, crypto.SHA256)
	short := good
	short.IssuerKeyHash = short.IssuerKeyHash[:20]
	tests := []struct {
		name  string
		ids   []CertID
		nonce []byte
		is    error
	}{
		{name: "no IDs"},
		{name: "MD5", ids: []CertID{{Hash: crypto.MD5, Serial: big.NewInt(1), IssuerNameHash: make([]byte, 16), IssuerKeyHash: make([]byte, 16)}}, is: certs.ErrUnsupportedAlgorithm},
		{name: "no serial", ids: []CertID{{Hash: crypto.SHA1, IssuerNameHash: make([]byte, 20), IssuerKeyHash: make([]byte, 20)}}},
		{name: "hash length", ids: []CertID{short}},
		{name: "empty nonce", ids: []CertID{good}, nonce: []byte{}},
		{name: "33-byte nonce", ids: []CertID{good}, nonce: make([]byte, 33)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			der, err := CreateRequest(tc.ids, tc.nonce)
			if err == nil || der != nil {
				t.Fatalf("CreateRequest succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
		})
	}
	if _, err := NewCertID(big.NewInt(1), ca, crypto.SHA224); !errors.Is(err, certs.ErrUnsupportedAlgorithm) {
		t.Errorf("NewCertID(SHA-224) = %v", err)
	}
	if _, err := NewCertID(nil, ca, crypto.SHA1); err == nil {
		t.Errorf("NewCertID without serial succeeded")
	}
}

func TestNewNonce(t *testing.T) {
	a, err := NewNonce()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewNonce()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 16 || len(b) != 16 || bytes.Equal(a, b) {
		t.Fatalf("nonces %X %X", a, b)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	p := getPKI(t)
	produced := p.now.Truncate(time.Second).UTC()
	revokedAt := produced.Add(-72 * time.Hour)
	next := produced.Add(12 * time.Hour)
	serial, _ := new(big.Int).SetString("12E3E7B9966D09EB9CDA64251457E815C2A8DDED", 16)
	type pair struct{ issuer, responder keyCert }
	responders := map[string]pair{
		"delegated":       {p.ca, p.delegate},
		"CA-signed":       {p.ca, p.ca},
		"RSA delegated":   {p.rsaCA, p.rsaDelegate},
		"RSA CA-signed":   {p.rsaCA, p.rsaCA},
		"nil responder":   {p.ca, keyCert{key: p.ca.key}},
		"delegated again": {p.ca, p.delegate},
	}
	tests := []struct {
		name      string
		responder string
		hash      crypto.Hash
		single    SingleResponse
		nonce     []byte
	}{
		{"good", "delegated", crypto.SHA256, SingleResponse{Status: Good, Reason: -1}, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"good with nextUpdate", "CA-signed", crypto.SHA1, SingleResponse{Status: Good, Reason: -1, NextUpdate: next}, nil},
		{"revoked superseded", "delegated", crypto.SHA256, SingleResponse{Status: Revoked, RevokedAt: revokedAt, Reason: 4}, bytes.Repeat([]byte{9}, 16)},
		{"revoked unspecified", "CA-signed", crypto.SHA384, SingleResponse{Status: Revoked, RevokedAt: revokedAt, Reason: 0}, nil},
		{"revoked without reason", "RSA delegated", crypto.SHA512, SingleResponse{Status: Revoked, RevokedAt: revokedAt, Reason: -1}, []byte{7}},
		{"unknown", "RSA CA-signed", crypto.SHA256, SingleResponse{Status: Unknown, Reason: -1}, []byte{0xAA, 0xBB}},
		{"nil responder means CA", "nil responder", crypto.SHA256, SingleResponse{Status: Good, Reason: -1}, nil},
		{"thisUpdate before producedAt", "delegated again", crypto.SHA1, SingleResponse{Status: Good, Reason: -1, ThisUpdate: produced.Add(-time.Minute)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr := responders[tc.responder]
			issuer := pr.issuer.cert
			id := mustCertID(t, serial, issuer, tc.hash)
			single := tc.single
			single.ID = id
			der, err := CreateResponse(issuer, pr.responder.cert, pr.responder.key,
				ResponseTemplate{Single: single, Nonce: tc.nonce, ProducedAt: produced})
			if err != nil {
				t.Fatalf("CreateResponse: %v", err)
			}
			r, err := ParseResponse(der)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			wantSigner := pr.responder.cert
			if wantSigner == nil {
				wantSigner = issuer
			}
			if !bytes.Equal(r.ResponderName, wantSigner.RawSubject) {
				t.Errorf("responder name is not the signer's")
			}
			embedded := wantSigner != issuer
			if (len(r.Certificates) == 1) != embedded || embedded && !r.Certificates[0].Equal(wantSigner) {
				t.Errorf("%d certificates embedded, want the responder's only when delegated", len(r.Certificates))
			}
			if !r.ProducedAt.Equal(produced) || !bytes.Equal(r.Nonce, tc.nonce) {
				t.Errorf("producedAt %v nonce %X", r.ProducedAt, r.Nonce)
			}
			if (tc.nonce == nil) != (len(r.Extensions) == 0) {
				t.Errorf("extensions %v", r.Extensions)
			}
			sr, ok := r.Find(id)
			if !ok || len(r.Responses) != 1 {
				t.Fatalf("Find: %v, %d responses", ok, len(r.Responses))
			}
			want := single
			if want.ThisUpdate.IsZero() {
				want.ThisUpdate = produced
			}
			if sr.Status != want.Status || !sr.RevokedAt.Equal(want.RevokedAt) || sr.Reason != want.Reason ||
				!sr.ThisUpdate.Equal(want.ThisUpdate) || !sr.NextUpdate.Equal(want.NextUpdate) {
				t.Errorf("single response %+v, want %+v", *sr, want)
			}
			if _, ok := r.FindFor(serial, issuer); !ok {
				t.Errorf("FindFor failed")
			}
			signer, err := r.Verify(issuer, certs.StdVerifier{}, p.now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !signer.Equal(wantSigner) {
				t.Errorf("signer %q, want %q", signer.Subject, wantSigner.Subject)
			}
		})
	}
}

func TestVerifyRefusesResponder(t *testing.T) {
	p := getPKI(t)
	serial := big.NewInt(0x77)
	mk := func(t *testing.T, issuer *x509.Certificate, responder keyCert) []byte {
		t.Helper()
		der, err := CreateResponse(issuer, responder.cert, responder.key, ResponseTemplate{
			Single: SingleResponse{ID: CertID{Hash: crypto.SHA256, Serial: serial}, Status: Good, Reason: -1},
			Nonce:  []byte{1, 2, 3},
		})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	tests := []struct {
		name      string
		responder keyCert
		verifyCA  *x509.Certificate
		at        time.Time
		mutate    func(*Response)
		wantErr   error
	}{
		{name: "delegated ok", responder: p.delegate},
		{name: "CA ok", responder: p.ca},
		{name: "no OCSPSigning EKU", responder: p.noEKU, wantErr: ErrResponderNotAuthorized},
		{name: "responder of another CA", responder: p.otherDelegate, wantErr: ErrResponderNotIssued},
		{name: "issuer name right, signature wrong", responder: p.forgedDelegate, wantErr: ErrResponderNotIssued},
		{name: "forged CA signs itself", responder: p.forgedCA, wantErr: ErrSignature},
		{name: "delegated, not yet valid", responder: p.delegate, at: p.now.Add(-2 * time.Hour), wantErr: ErrResponderExpired},
		{name: "delegated, expired", responder: p.delegate, at: p.now.Add(25 * time.Hour), wantErr: ErrResponderExpired},
		{name: "CA response checked against another CA", responder: p.ca, verifyCA: p.otherCA.cert, wantErr: ErrNoResponder},
		{name: "delegated cert missing", responder: p.delegate, mutate: func(r *Response) { r.Certificates = nil }, wantErr: ErrNoResponder},
		{name: "responder ID byKey of the CA", responder: p.ca, mutate: func(r *Response) {
			bits, _ := publicKeyBits(p.ca.cert)
			r.ResponderName, r.ResponderKeyHash = nil, hashOf(crypto.SHA1, bits)
		}},
		{name: "responder ID byKey of the delegate", responder: p.delegate, mutate: func(r *Response) {
			bits, _ := publicKeyBits(p.delegate.cert)
			r.ResponderName, r.ResponderKeyHash = nil, hashOf(crypto.SHA1, bits)
		}},
		{name: "responder ID byKey of nobody", responder: p.delegate, mutate: func(r *Response) {
			r.ResponderName, r.ResponderKeyHash = nil, make([]byte, 20)
		}, wantErr: ErrNoResponder},
		{name: "signature algorithm swapped", responder: p.delegate, mutate: func(r *Response) {
			r.SignatureAlgorithm = certs.OIDECDSAWithSHA384
		}, wantErr: ErrSignature},
		{name: "GOST algorithm claimed by an ECDSA responder", responder: p.delegate, mutate: func(r *Response) {
			r.SignatureAlgorithm = certs.OIDGOST2015Signature512
		}, wantErr: ErrSignature},
		{name: "GOST 2015-256 (no НУЦ sample, not implemented)", responder: p.delegate, mutate: func(r *Response) {
			r.SignatureAlgorithm = certs.OIDGOST2015Signature256
		}, wantErr: certs.ErrUnsupportedAlgorithm},
		{name: "unknown algorithm", responder: p.ca, mutate: func(r *Response) {
			r.SignatureAlgorithm = asn1.ObjectIdentifier{1, 2, 3, 4}
		}, wantErr: certs.ErrUnsupportedAlgorithm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(mk(t, p.ca.cert, tc.responder))
			if err != nil {
				t.Fatal(err)
			}
			if tc.mutate != nil {
				tc.mutate(r)
			}
			ca, at := tc.verifyCA, tc.at
			if ca == nil {
				ca = p.ca.cert
			}
			if at.IsZero() {
				at = p.now
			}
			signer, err := r.Verify(ca, certs.StdVerifier{}, at)
			if tc.wantErr == nil {
				if err != nil || !signer.Equal(tc.responder.cert) {
					t.Fatalf("Verify = %v, %v", signer, err)
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

func TestCreateResponseErrors(t *testing.T) {
	p := getPKI(t)
	id := mustCertID(t, big.NewInt(5), p.ca.cert, crypto.SHA256)
	otherID := mustCertID(t, big.NewInt(5), p.otherCA.cert, crypto.SHA256)
	tests := []struct {
		name      string
		responder keyCert
		single    SingleResponse
	}{
		{"key of another certificate", keyCert{p.delegate.cert, p.ca.key}, SingleResponse{ID: id, Reason: -1}},
		{"CertID of another issuer", p.ca, SingleResponse{ID: otherID, Reason: -1}},
		{"no hash", p.ca, SingleResponse{ID: CertID{Serial: big.NewInt(5)}, Reason: -1}},
		{"no serial", p.ca, SingleResponse{ID: CertID{Hash: crypto.SHA256}, Reason: -1}},
		{"revoked without time", p.ca, SingleResponse{ID: id, Status: Revoked, Reason: -1}},
		{"reason 7", p.ca, SingleResponse{ID: id, Status: Revoked, RevokedAt: p.now, Reason: 7}},
		{"bad status", p.ca, SingleResponse{ID: id, Status: Status(9), Reason: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			der, err := CreateResponse(p.ca.cert, tc.responder.cert, tc.responder.key, ResponseTemplate{Single: tc.single})
			if err == nil || der != nil {
				t.Fatalf("CreateResponse succeeded")
			}
			t.Logf("refused: %v", err)
		})
	}
}

// TestXCryptoCertIDAgrees checks that golang.org/x/crypto/ocsp writes the same CertID hashes as
// NewCertID, that what it writes parses and verifies here, and that it reads what CreateResponse
// writes.
func TestXCryptoCertIDAgrees(t *testing.T) {
	p := getPKI(t)
	serial := big.NewInt(0x5eed)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		t.Run(h.String(), func(t *testing.T) {
			now := p.now.Truncate(time.Second).UTC()
			xder, err := xocsp.CreateResponse(p.ca.cert, p.delegate.cert, xocsp.Response{
				Status: xocsp.Revoked, SerialNumber: serial, IssuerHash: h, ThisUpdate: now,
				RevokedAt: now.Add(-time.Hour), RevocationReason: xocsp.KeyCompromise,
				Certificate: p.delegate.cert,
			}, p.delegate.key)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ParseResponse(xder)
			if err != nil {
				t.Fatalf("ParseResponse(x/crypto output): %v", err)
			}
			want := mustCertID(t, serial, p.ca.cert, h)
			if len(r.Responses) != 1 || !r.Responses[0].ID.Equal(want) {
				t.Fatalf("x/crypto CertID %+v, NewCertID %+v", r.Responses, want)
			}
			if sr := r.Responses[0]; sr.Status != Revoked || sr.Reason != xocsp.KeyCompromise {
				t.Errorf("single response %+v", sr)
			}
			if signer, err := r.Verify(p.ca.cert, certs.StdVerifier{}, p.now); err != nil || !signer.Equal(p.delegate.cert) {
				t.Errorf("Verify(x/crypto output) = %v, %v", signer, err)
			}

			ours, err := CreateResponse(p.ca.cert, p.delegate.cert, p.delegate.key, ResponseTemplate{
				Single: SingleResponse{ID: want, Status: Revoked, RevokedAt: now.Add(-time.Hour), Reason: 1},
				Nonce:  []byte("12345678"), ProducedAt: now,
			})
			if err != nil {
				t.Fatal(err)
			}
			xr, err := xocsp.ParseResponse(ours, p.ca.cert)
			if err != nil {
				t.Fatalf("x/crypto cannot read CreateResponse output: %v", err)
			}
			if xr.IssuerHash != h || xr.SerialNumber.Cmp(serial) != 0 || xr.Status != xocsp.Revoked ||
				xr.RevocationReason != 1 || !xr.ProducedAt.Equal(now) {
				t.Errorf("x/crypto read %+v", xr)
			}
		})
	}
}

func TestErrorResponses(t *testing.T) {
	p := getPKI(t)
	tests := []struct {
		in, want ResponseStatus
		name     string
		xcrypto  []byte
	}{
		{MalformedRequest, MalformedRequest, "malformedRequest", xocsp.MalformedRequestErrorResponse},
		{InternalError, InternalError, "internalError", xocsp.InternalErrorErrorResponse},
		{TryLater, TryLater, "tryLater", xocsp.TryLaterErrorResponse},
		{SigRequired, SigRequired, "sigRequired", xocsp.SigRequredErrorResponse},
		{Unauthorized, Unauthorized, "unauthorized", xocsp.UnauthorizedErrorResponse},
		{Successful, InternalError, "internalError", xocsp.InternalErrorErrorResponse},
		{ResponseStatus(4), InternalError, "internalError", xocsp.InternalErrorErrorResponse},
	}
	for _, tc := range tests {
		t.Run(tc.in.String(), func(t *testing.T) {
			der := ErrorResponse(tc.in)
			if !bytes.Equal(der, tc.xcrypto) {
				t.Errorf("ErrorResponse = %X, x/crypto writes %X", der, tc.xcrypto)
			}
			r, err := ParseResponse(der)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.want || r.Status.String() != tc.name || r.Responses != nil || r.Certificates != nil {
				t.Fatalf("parsed %+v", r)
			}
			signer, err := r.Verify(p.ca.cert, certs.StdVerifier{}, p.now)
			var se *StatusError
			if signer != nil || !errors.Is(err, ErrResponseStatus) || !errors.As(err, &se) || se.Status != tc.want {
				t.Fatalf("Verify = %v, %v", signer, err)
			}
			if _, ok := r.FindFor(big.NewInt(1), p.ca.cert); ok {
				t.Errorf("FindFor found something in an error response")
			}
		})
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{Good.String(), "good"}, {Revoked.String(), "revoked"}, {Unknown.String(), "unknown"},
		{Status(7).String(), "Status(7)"},
		{Successful.String(), "successful"}, {ResponseStatus(4).String(), "ResponseStatus(4)"},
		{(&StatusError{TryLater}).Error(), "ocsp: responder answered tryLater"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}

func TestNonceForms(t *testing.T) {
	nonce := []byte{0xB5, 0xE5, 0xC9, 0xB5, 0x52, 0xCB, 0xCA, 0xC4}
	tests := []struct {
		name  string
		exts  []pkix.Extension
		want  []byte
		isNil bool
	}{
		{"wrapped (RFC 8954, NCA, openssl)", []pkix.Extension{{Id: OIDNonce, Value: append([]byte{0x04, 0x08}, nonce...)}}, nonce, false},
		{"raw (lenient)", []pkix.Extension{{Id: OIDNonce, Value: nonce}}, nonce, false},
		{"wrapped with trailing byte is raw", []pkix.Extension{{Id: OIDNonce, Value: append([]byte{0x04, 0x08}, append(nonce, 0)...)}}, append([]byte{0x04, 0x08}, append(nonce, 0)...), false},
		{"absent", []pkix.Extension{{Id: oidExtendedRevoke, Value: []byte{5, 0}}}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := nonceFrom(tc.exts)
			if !bytes.Equal(got, tc.want) || (got == nil) != tc.isNil {
				t.Fatalf("nonce %X, want %X", got, tc.want)
			}
		})
	}
}
