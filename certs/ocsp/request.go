package ocsp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Request is a parsed OCSP request.
type Request struct {
	IDs   []CertID // the certificates asked about, in request order
	Nonce []byte   // the request nonce, nil if absent
	Raw   []byte   // the whole DER request
}

// ParseRequest parses a DER OCSPRequest. The requestor name, single-request extensions and an
// optional signature are read for well-formedness and otherwise ignored (the signature is not
// checked). Critical request extensions other than the nonce, trailing data, and an empty request
// list are errors; a CertID hash algorithm other than SHA-1/256/384/512 yields an error wrapping
// certs.ErrUnsupportedAlgorithm.
func ParseRequest(der []byte) (*Request, error) {
	raw := bytes.Clone(der)
	in := cryptobyte.String(raw)
	var req, tbs cryptobyte.String
	if !in.ReadASN1(&req, cbasn1.SEQUENCE) {
		return nil, malformed("request")
	}
	if !in.Empty() {
		return nil, errors.New("ocsp: trailing data after request")
	}
	if !req.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, malformed("TBSRequest")
	}
	if req.PeekASN1Tag(tagExplicit0) { // optionalSignature [0] EXPLICIT Signature
		var sig, sigSeq cryptobyte.String
		if !req.ReadASN1(&sig, tagExplicit0) || !sig.ReadASN1(&sigSeq, cbasn1.SEQUENCE) || !sig.Empty() ||
			!sigSeq.SkipASN1(cbasn1.SEQUENCE) || !sigSeq.SkipASN1(cbasn1.BIT_STRING) ||
			!sigSeq.SkipOptionalASN1(tagExplicit0) || !sigSeq.Empty() {
			return nil, malformed("request signature")
		}
	}
	if !req.Empty() {
		return nil, malformed("request: unexpected data after TBSRequest")
	}

	if err := readVersion(&tbs); err != nil {
		return nil, err
	}
	if !tbs.SkipOptionalASN1(tagExplicit1) { // requestorName [1] EXPLICIT GeneralName
		return nil, malformed("requestorName")
	}
	var list cryptobyte.String
	if !tbs.ReadASN1(&list, cbasn1.SEQUENCE) {
		return nil, malformed("requestList")
	}
	exts, err := readOptionalExtensions(&tbs, tagExplicit2)
	if err != nil {
		return nil, err
	}
	if !tbs.Empty() {
		return nil, malformed("TBSRequest: unexpected data")
	}
	if err := checkCritical(exts, "request", OIDNonce); err != nil {
		return nil, err
	}

	r := &Request{Nonce: nonceFrom(exts), Raw: raw}
	for !list.Empty() {
		var one cryptobyte.String
		if !list.ReadASN1(&one, cbasn1.SEQUENCE) {
			return nil, malformed("Request")
		}
		id, err := readCertID(&one)
		if err != nil {
			return nil, err
		}
		if _, err := readOptionalExtensions(&one, tagExplicit0); err != nil {
			return nil, err
		}
		if !one.Empty() {
			return nil, malformed("Request: unexpected data")
		}
		r.IDs = append(r.IDs, id)
	}
	if len(r.IDs) == 0 {
		return nil, malformed("request: no certificates asked about")
	}
	return r, nil
}

// CreateRequest returns a DER OCSPRequest (unsigned, version 1) for ids. A non-nil nonce (1 to 32
// bytes) is sent as the id-pkix-ocsp-nonce request extension, with extnValue the DER OCTET STRING
// of the nonce, as openssl and the НУЦ client do.
func CreateRequest(ids []CertID, nonce []byte) ([]byte, error) {
	if len(ids) == 0 {
		return nil, errors.New("ocsp: no certificates to ask about")
	}
	for _, id := range ids {
		if err := id.validate(); err != nil {
			return nil, err
		}
	}
	if nonce != nil && (len(nonce) == 0 || len(nonce) > maxNonceLen) {
		return nil, fmt.Errorf("ocsp: nonce of %d bytes (want 1 to %d)", len(nonce), maxNonceLen)
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // OCSPRequest
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // TBSRequest
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // requestList
				for _, id := range ids {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { addCertID(b, id) })
				}
			})
			if nonce != nil {
				b.AddASN1(tagExplicit2, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { addNonceExtension(b, nonce) })
				})
			}
		})
	})
	return b.Bytes()
}

// NewNonce returns 16 random bytes from crypto/rand, the nonce size openssl uses.
func NewNonce() ([]byte, error) {
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		return nil, fmt.Errorf("ocsp: nonce: %w", err)
	}
	return n, nil
}
