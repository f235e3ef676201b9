package ocsp

import (
	"bytes"
	"crypto"
	"math/big"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/internal/fixtures"
)

func FuzzParseRequest(f *testing.F) {
	p := getPKI(f)
	for i, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		id := mustCertID(f, big.NewInt(int64(0x1000+i)), p.ca.cert, h)
		for _, nonce := range [][]byte{nil, {1}, bytes.Repeat([]byte{0xB5}, 16)} {
			der, err := CreateRequest([]CertID{id, mustCertID(f, big.NewInt(-1), p.otherCA.cert, crypto.SHA1)}, nonce)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(der)
		}
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		req, err := ParseRequest(der)
		if err != nil {
			return
		}
		if len(req.IDs) == 0 || !bytes.Equal(req.Raw, der) {
			t.Fatalf("parsed request without IDs or with another Raw")
		}
		for _, id := range req.IDs {
			id.IssuedBy(p.ca.cert)
		}
		// What parses can be written again and reads back the same.
		if len(req.Nonce) > maxNonceLen {
			return
		}
		nonce := req.Nonce
		if len(nonce) == 0 {
			nonce = nil
		}
		again, err := CreateRequest(req.IDs, nonce)
		if err != nil {
			t.Fatalf("CreateRequest(parsed IDs): %v", err)
		}
		req2, err := ParseRequest(again)
		if err != nil {
			t.Fatalf("ParseRequest(rewritten): %v", err)
		}
		if len(req2.IDs) != len(req.IDs) || !bytes.Equal(req2.Nonce, nonce) {
			t.Fatalf("round trip changed the request")
		}
		for i := range req.IDs {
			if !req2.IDs[i].Equal(req.IDs[i]) {
				t.Fatalf("round trip changed ID %d", i)
			}
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	p := getPKI(f)
	f.Add(fixtures.Read(f, rsaResponseFile))
	f.Add(fixtures.Read(f, gostResponseFile))
	for _, s := range []ResponseStatus{MalformedRequest, InternalError, TryLater, SigRequired, Unauthorized} {
		f.Add(ErrorResponse(s))
	}
	serial := big.NewInt(0xF00D)
	for i, st := range []Status{Good, Revoked, Unknown} {
		responder := p.delegate
		if i == 1 {
			responder = p.ca
		}
		der, err := CreateResponse(p.ca.cert, responder.cert, responder.key, ResponseTemplate{
			Single: SingleResponse{
				ID: CertID{Hash: crypto.SHA256, Serial: serial}, Status: st, Reason: 4,
				RevokedAt: p.now.Add(-time.Hour), NextUpdate: p.now.Add(time.Hour),
			},
			Nonce: []byte{1, 2, 3, 4, 5, 6, 7, 8},
		})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		r, err := ParseResponse(der)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Raw, der) {
			t.Fatalf("Raw differs from the input")
		}
		if r.Status != Successful && (r.Responses != nil || r.Certificates != nil || r.TBSResponseData != nil) {
			t.Fatalf("non-successful response with content")
		}
		r.FindFor(serial, p.ca.cert)
		for _, sr := range r.Responses {
			if got, ok := r.Find(sr.ID); !ok || !got.ID.Equal(sr.ID) {
				t.Fatalf("Find does not find a parsed CertID")
			}
		}
		signer, err := r.Verify(p.ca.cert, certs.StdVerifier{}, p.now)
		if err == nil && signer == nil {
			t.Fatalf("Verify passed without a signer")
		}
	})
}
