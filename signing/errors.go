package signing

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/validate"
)

// Code classifies a refusal.
type Code string

// Refusal codes.
const (
	CodeXMLMalformed     Code = "XML_MALFORMED"
	CodeXMLLimit         Code = "XML_LIMIT"
	CodeXMLDoctype       Code = "XML_DOCTYPE"
	CodeXMLEncoding      Code = "XML_ENCODING"
	CodeXMLDuplicateAttr Code = "XML_DUPLICATE_ATTR"

	CodeSOAPNotEnvelope  Code = "SOAP_NOT_ENVELOPE"
	CodeSOAPNoBody       Code = "SOAP_NO_BODY"
	CodeSOAPMultipleBody Code = "SOAP_MULTIPLE_BODY"

	CodeWSSENoSecurity       Code = "WSSE_NO_SECURITY"
	CodeWSSEMultipleSecurity Code = "WSSE_MULTIPLE_SECURITY"

	CodeSigMissing        Code = "SIG_MISSING"
	CodeSigMultiple       Code = "SIG_MULTIPLE"
	CodeSigMalformed      Code = "SIG_MALFORMED"
	CodeSigReference      Code = "SIG_REFERENCE" // unexpected or unresolvable reference, ID collision
	CodeSigTransform      Code = "SIG_TRANSFORM"
	CodeSigDigestMismatch Code = "SIG_DIGEST_MISMATCH"
	CodeSigInvalid        Code = "SIG_INVALID" // the signature value does not verify
	CodeSigNoCert         Code = "SIG_NO_CERT"

	// Refusals to sign.
	CodeSignNoKey          Code = "SIGN_NO_KEY"          // no private key or no certificate given
	CodeSignCertMismatch   Code = "SIGN_CERT_MISMATCH"   // the certificate is not the key's
	CodeSignMethodMismatch Code = "SIGN_METHOD_MISMATCH" // the SignatureMethod needs another kind of key (RSA, ECDSA, a GOST curve)
	CodeSignFailed         Code = "SIGN_FAILED"          // the key's Sign failed or returned a malformed value

	// CodeAlgorithmNotSupported is the same string as validate.CodeUnsupportedAlgorithm.
	CodeAlgorithmNotSupported = Code(validate.CodeUnsupportedAlgorithm)
)

// Error is a refusal of a document or signature.
type Error struct {
	Code Code
	Msg  string
	Err  error
	// Certificate is the signer certificate when it had been extracted before the refusal (for
	// example a GOST signer refused with CodeAlgorithmNotSupported). It is never set on
	// CodeSigInvalid: anyone can put anyone's certificate in KeyInfo, and that one did not sign.
	Certificate *x509.Certificate
	// Identity is the signer's identity read from Certificate; only Checker fills it in.
	Identity *certs.Identity
}

func (e *Error) Error() string {
	msg := "signing: " + string(e.Code)
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func fail(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of err: a signing Code, else a certs/validate Code, else "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return string(e.Code)
	}
	return string(validate.CodeOf(err))
}

// withCert records the signer certificate on a refusal.
func withCert(err error, cert *x509.Certificate) error {
	var e *Error
	if cert != nil && errors.As(err, &e) && e.Certificate == nil {
		e.Certificate = cert
	}
	return err
}
