package ocsp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shep-kz/shep/certs"
)

// Errors returned (wrapped) by Verify. A signature that cannot be checked because its algorithm is
// not implemented yields certs.ErrUnsupportedAlgorithm instead.
var (
	// ErrNoResponder: neither the issuer nor an embedded certificate matches the ResponderID.
	ErrNoResponder = errors.New("ocsp: no certificate matches the responder ID")
	// ErrResponderNotIssued: the delegated responder certificate was not issued by the CA.
	ErrResponderNotIssued = errors.New("ocsp: responder certificate not issued by the CA")
	// ErrResponderNotAuthorized: the delegated responder certificate lacks the OCSPSigning
	// extended key usage.
	ErrResponderNotAuthorized = errors.New("ocsp: responder certificate not authorized for OCSP signing")
	// ErrResponderExpired: the delegated responder certificate is not valid at the time given.
	ErrResponderExpired = errors.New("ocsp: responder certificate not valid at the verification time")
	// ErrSignature: the response signature does not verify with the responder's key.
	ErrSignature = errors.New("ocsp: bad response signature")
)

// matchesResponderID reports whether c is the certificate the ResponderID names.
func (r *Response) matchesResponderID(c *x509.Certificate) bool {
	if r.ResponderName != nil {
		return bytes.Equal(r.ResponderName, c.RawSubject)
	}
	if r.ResponderKeyHash != nil {
		key, err := publicKeyBits(c)
		return err == nil && bytes.Equal(r.ResponderKeyHash, hashOf(crypto.SHA1, key))
	}
	return false
}

// Verify checks that the response was signed by the CA issuer itself or by a responder the CA
// authorized, and returns that signer. The signer is issuer when the ResponderID names it (byName
// equal to issuer.RawSubject, or byKey equal to the SHA-1 of its subjectPublicKey); otherwise it is
// an embedded certificate that matches the ResponderID, was issued and signed by issuer, carries
// the OCSPSigning extended key usage and is valid at at. The response signature over
// TBSResponseData is then checked with v. Verify fails closed: a non-successful response gives a
// *StatusError, an algorithm v does not implement an error wrapping certs.ErrUnsupportedAlgorithm,
// and each other failure one of the Err* errors of this package.
//
// Verify does not check that the single responses are about certificates of issuer (use FindFor),
// nor the freshness of thisUpdate/nextUpdate or the nonce; those are the caller's policy.
func (r *Response) Verify(issuer *x509.Certificate, v certs.SignatureVerifier, at time.Time) (signer *x509.Certificate, err error) {
	if r.Status != Successful {
		return nil, &StatusError{Status: r.Status}
	}
	if issuer == nil || v == nil {
		return nil, errors.New("ocsp: Verify needs an issuer and a verifier")
	}
	signer, err = r.responder(issuer, v, at)
	if err != nil {
		return nil, err
	}
	if err := v.VerifySignature(signer, r.SignatureAlgorithm, r.TBSResponseData, r.Signature); err != nil {
		if errors.Is(err, certs.ErrUnsupportedAlgorithm) {
			return nil, fmt.Errorf("ocsp: response signature: %w", err)
		}
		return nil, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	return signer, nil
}

// responder finds the certificate whose key must have signed the response.
func (r *Response) responder(issuer *x509.Certificate, v certs.SignatureVerifier, at time.Time) (*x509.Certificate, error) {
	if r.matchesResponderID(issuer) {
		return issuer, nil
	}
	var firstErr error
	for _, c := range r.Certificates {
		if !r.matchesResponderID(c) {
			continue
		}
		err := checkDelegate(c, issuer, v, at)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, fmt.Errorf("%w (CA [%s], %d certificates embedded)", ErrNoResponder,
		issuer.Subject.String(), len(r.Certificates))
}

// checkDelegate checks a delegated responder certificate (RFC 6960 §4.2.2.2).
func checkDelegate(c, issuer *x509.Certificate, v certs.SignatureVerifier, at time.Time) error {
	name := c.Subject.String()
	if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
		return fmt.Errorf("%w: [%s] is issued by [%s]", ErrResponderNotIssued, name, c.Issuer.String())
	}
	if err := certs.CheckCertificateSignature(v, c, issuer); err != nil {
		if errors.Is(err, certs.ErrUnsupportedAlgorithm) {
			return fmt.Errorf("ocsp: signature on responder certificate [%s]: %w", name, err)
		}
		return fmt.Errorf("%w: signature on [%s]: %w", ErrResponderNotIssued, name, err)
	}
	if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return fmt.Errorf("%w: [%s]", ErrResponderNotAuthorized, name)
	}
	if at.Before(c.NotBefore) || at.After(c.NotAfter) {
		return fmt.Errorf("%w: [%s] is valid from %s to %s, not at %s", ErrResponderExpired, name,
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339),
			at.UTC().Format(time.RFC3339))
	}
	return nil
}
