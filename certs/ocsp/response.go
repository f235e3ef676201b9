package ocsp

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Status is the status of one certificate in a response.
type Status int

// Certificate statuses (RFC 6960 §4.2.1 CertStatus).
const (
	Good Status = iota
	Revoked
	Unknown
)

func (s Status) String() string {
	switch s {
	case Good:
		return "good"
	case Revoked:
		return "revoked"
	case Unknown:
		return "unknown"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// ResponseStatus is the OCSPResponseStatus of a response.
type ResponseStatus int

// Response statuses (RFC 6960 §4.2.1). 4 is not used.
const (
	Successful       ResponseStatus = 0
	MalformedRequest ResponseStatus = 1
	InternalError    ResponseStatus = 2
	TryLater         ResponseStatus = 3
	SigRequired      ResponseStatus = 5
	Unauthorized     ResponseStatus = 6
)

func (s ResponseStatus) String() string {
	switch s {
	case Successful:
		return "successful"
	case MalformedRequest:
		return "malformedRequest"
	case InternalError:
		return "internalError"
	case TryLater:
		return "tryLater"
	case SigRequired:
		return "sigRequired"
	case Unauthorized:
		return "unauthorized"
	}
	return "ResponseStatus(" + strconv.Itoa(int(s)) + ")"
}

func (s ResponseStatus) defined() bool {
	return s >= Successful && s <= Unauthorized && s != 4
}

// ErrResponseStatus is wrapped by the *StatusError that Verify returns for a response whose status
// is not successful.
var ErrResponseStatus = errors.New("ocsp: responder did not answer successfully")

// StatusError reports a non-successful response status (tryLater is common with the НУЦ responder).
type StatusError struct {
	Status ResponseStatus
}

func (e *StatusError) Error() string { return "ocsp: responder answered " + e.Status.String() }

// Unwrap returns ErrResponseStatus.
func (e *StatusError) Unwrap() error { return ErrResponseStatus }

// SingleResponse is the status of one certificate.
type SingleResponse struct {
	ID         CertID
	Status     Status
	RevokedAt  time.Time // set when Status is Revoked
	Reason     int       // RFC 5280 CRLReason when Revoked and given; -1 when absent
	ThisUpdate time.Time
	NextUpdate time.Time // zero when absent
}

// Response is a parsed OCSP response. Parsing checks nothing but the encoding; see Verify.
type Response struct {
	Status ResponseStatus // when not Successful, only Raw is set besides it

	ProducedAt       time.Time
	ResponderName    []byte // the DER Name when the ResponderID is byName, else nil
	ResponderKeyHash []byte // the SHA-1 key hash when the ResponderID is byKey, else nil
	Responses        []SingleResponse
	Nonce            []byte           // from the response extensions, nil if absent
	Extensions       []pkix.Extension // all response extensions, the nonce included

	Certificates       []*x509.Certificate // certificates embedded in the response
	SignatureAlgorithm asn1.ObjectIdentifier
	Signature          []byte
	TBSResponseData    []byte // the DER ResponseData, i.e. the signed bytes

	Raw []byte // the whole DER response
}

// ParseResponse parses a DER OCSPResponse holding a BasicOCSPResponse. It checks no signature.
// Unknown critical response or single-response extensions, trailing data, undefined status values,
// CRL reasons outside RFC 5280, and CertID hash algorithms other than SHA-1/256/384/512 (wrapping
// certs.ErrUnsupportedAlgorithm) are errors. Embedded certificates are parsed with
// x509.ParseCertificate, which accepts GOST certificates.
func ParseResponse(der []byte) (*Response, error) {
	raw := bytes.Clone(der)
	in := cryptobyte.String(raw)
	var outer cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) {
		return nil, malformed("response")
	}
	if !in.Empty() {
		return nil, errors.New("ocsp: trailing data after response")
	}
	var st int
	if !outer.ReadASN1Enum(&st) {
		return nil, malformed("response status")
	}
	r := &Response{Status: ResponseStatus(st), Raw: raw}
	if !r.Status.defined() {
		return nil, fmt.Errorf("ocsp: undefined response status %d", st)
	}
	var rb cryptobyte.String
	var present bool
	if !outer.ReadOptionalASN1(&rb, &present, tagExplicit0) || !outer.Empty() {
		return nil, malformed("response")
	}
	if r.Status != Successful {
		// responseBytes must be absent (RFC 6960 §4.2.1); whatever is there is ignored.
		return r, nil
	}
	if !present {
		return nil, malformed("response: successful without responseBytes")
	}
	var rbSeq cryptobyte.String
	var typ asn1.ObjectIdentifier
	var basic []byte
	if !rb.ReadASN1(&rbSeq, cbasn1.SEQUENCE) || !rb.Empty() ||
		!rbSeq.ReadASN1ObjectIdentifier(&typ) || !rbSeq.ReadASN1Bytes(&basic, cbasn1.OCTET_STRING) ||
		!rbSeq.Empty() {
		return nil, malformed("responseBytes")
	}
	if !typ.Equal(oidBasicResponse) {
		return nil, fmt.Errorf("ocsp: response type %s not supported", typ)
	}
	if err := r.parseBasic(basic); err != nil {
		return nil, err
	}
	return r, nil
}

// parseBasic parses a BasicOCSPResponse.
func (r *Response) parseBasic(der []byte) error {
	in := cryptobyte.String(der)
	var b, tbs, alg cryptobyte.String
	var sig asn1.BitString
	if !in.ReadASN1(&b, cbasn1.SEQUENCE) || !in.Empty() {
		return malformed("BasicOCSPResponse")
	}
	if !b.ReadASN1Element(&tbs, cbasn1.SEQUENCE) {
		return malformed("ResponseData")
	}
	if !b.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&r.SignatureAlgorithm) {
		return malformed("signature algorithm")
	}
	if !b.ReadASN1BitString(&sig) || sig.BitLength%8 != 0 {
		return malformed("signature")
	}
	r.Signature = sig.Bytes
	var certsWrapper cryptobyte.String
	var present bool
	if !b.ReadOptionalASN1(&certsWrapper, &present, tagExplicit0) || !b.Empty() {
		return malformed("BasicOCSPResponse")
	}
	if present {
		var list cryptobyte.String
		if !certsWrapper.ReadASN1(&list, cbasn1.SEQUENCE) || !certsWrapper.Empty() {
			return malformed("certificates")
		}
		for !list.Empty() {
			var c cryptobyte.String
			if !list.ReadASN1Element(&c, cbasn1.SEQUENCE) {
				return malformed("certificate")
			}
			cert, err := x509.ParseCertificate(c)
			if err != nil {
				return fmt.Errorf("ocsp: embedded certificate: %w", err)
			}
			r.Certificates = append(r.Certificates, cert)
		}
	}
	r.TBSResponseData = tbs
	return r.parseResponseData(tbs)
}

// parseResponseData parses the ResponseData SEQUENCE element tbs.
func (r *Response) parseResponseData(tbs cryptobyte.String) error {
	var d cryptobyte.String
	if !tbs.ReadASN1(&d, cbasn1.SEQUENCE) {
		return malformed("ResponseData")
	}
	if err := readVersion(&d); err != nil {
		return err
	}
	var rid cryptobyte.String
	var tag cbasn1.Tag
	if !d.ReadAnyASN1(&rid, &tag) {
		return malformed("ResponderID")
	}
	switch tag {
	case tagExplicit1: // byName [1] Name
		var name cryptobyte.String
		if !rid.ReadASN1Element(&name, cbasn1.SEQUENCE) || !rid.Empty() {
			return malformed("ResponderID byName")
		}
		r.ResponderName = name
	case tagExplicit2: // byKey [2] KeyHash
		if !rid.ReadASN1Bytes(&r.ResponderKeyHash, cbasn1.OCTET_STRING) || !rid.Empty() {
			return malformed("ResponderID byKey")
		}
	default:
		return malformed("ResponderID")
	}
	if !readGeneralizedTime(&d, &r.ProducedAt) {
		return malformed("producedAt")
	}
	var list cryptobyte.String
	if !d.ReadASN1(&list, cbasn1.SEQUENCE) {
		return malformed("responses")
	}
	for !list.Empty() {
		sr, err := readSingleResponse(&list)
		if err != nil {
			return err
		}
		r.Responses = append(r.Responses, sr)
	}
	exts, err := readOptionalExtensions(&d, tagExplicit1)
	if err != nil {
		return err
	}
	if !d.Empty() {
		return malformed("ResponseData: unexpected data")
	}
	if err := checkCritical(exts, "response", OIDNonce, oidExtendedRevoke); err != nil {
		return err
	}
	r.Extensions = exts
	r.Nonce = nonceFrom(exts)
	return nil
}

func validReason(n int) bool { return n >= 0 && n <= 10 && n != 7 }

func readSingleResponse(in *cryptobyte.String) (SingleResponse, error) {
	sr := SingleResponse{Reason: -1}
	var s cryptobyte.String
	if !in.ReadASN1(&s, cbasn1.SEQUENCE) {
		return sr, malformed("SingleResponse")
	}
	var err error
	if sr.ID, err = readCertID(&s); err != nil {
		return sr, err
	}
	var status cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&status, &tag) {
		return sr, malformed("certStatus")
	}
	switch tag {
	case tagGood:
		sr.Status = Good
	case tagUnknown:
		sr.Status = Unknown
	case tagRevoked:
		sr.Status = Revoked
		if !readGeneralizedTime(&status, &sr.RevokedAt) {
			return sr, malformed("revocationTime")
		}
		if status.PeekASN1Tag(tagExplicit0) {
			var reason cryptobyte.String
			if !status.ReadASN1(&reason, tagExplicit0) || !reason.ReadASN1Enum(&sr.Reason) ||
				!reason.Empty() || !validReason(sr.Reason) {
				return sr, malformed("revocationReason")
			}
		}
	default:
		return sr, malformed("certStatus")
	}
	if !status.Empty() {
		return sr, malformed("certStatus")
	}
	if !readGeneralizedTime(&s, &sr.ThisUpdate) {
		return sr, malformed("thisUpdate")
	}
	if s.PeekASN1Tag(tagExplicit0) {
		var next cryptobyte.String
		if !s.ReadASN1(&next, tagExplicit0) || !readGeneralizedTime(&next, &sr.NextUpdate) || !next.Empty() {
			return sr, malformed("nextUpdate")
		}
	}
	exts, err := readOptionalExtensions(&s, tagExplicit1)
	if err != nil {
		return sr, err
	}
	if !s.Empty() {
		return sr, malformed("SingleResponse: unexpected data")
	}
	if err := checkCritical(exts, "single response"); err != nil {
		return sr, err
	}
	return sr, nil
}

// Find returns the single response for id (same hash algorithm, hashes and serial). It finds
// nothing in a non-successful response.
func (r *Response) Find(id CertID) (*SingleResponse, bool) {
	for i := range r.Responses {
		if r.Responses[i].ID.Equal(id) {
			return &r.Responses[i], true
		}
	}
	return nil, false
}

// FindFor returns the single response for the certificate with the given serial issued by issuer,
// whatever hash algorithm the response's CertID uses.
func (r *Response) FindFor(serial *big.Int, issuer *x509.Certificate) (*SingleResponse, bool) {
	if serial == nil {
		return nil, false
	}
	for i := range r.Responses {
		id := r.Responses[i].ID
		if id.Serial != nil && id.Serial.Cmp(serial) == 0 && id.IssuedBy(issuer) {
			return &r.Responses[i], true
		}
	}
	return nil, false
}
