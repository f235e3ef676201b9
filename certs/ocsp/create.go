package ocsp

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shep-kz/shep/certs"
)

// ResponseTemplate describes the response CreateResponse writes.
type ResponseTemplate struct {
	// Single is the answer. Single.ID.Hash and Single.ID.Serial are required; the issuer hashes are
	// recomputed from the issuer, and if Single.ID carries hashes they must match. Reason is written
	// for a revoked certificate when it is 0 or more (-1: no reason). A zero ThisUpdate means
	// ProducedAt; a zero NextUpdate is left out.
	Single SingleResponse
	// Nonce, when non-empty, is echoed as the id-pkix-ocsp-nonce response extension.
	Nonce []byte
	// ProducedAt defaults to the current time.
	ProducedAt time.Time
}

// CreateResponse returns a successful DER OCSP response about one certificate of issuer, signed by
// key on behalf of responder. responder is issuer itself (or nil) for a CA-signed response, or a
// delegated responder certificate, which is then embedded. The ResponderID is byName. Times are
// written in UTC with whole seconds. RSA keys sign with SHA-256, ECDSA keys with the hash that
// matches the curve, Ed25519 keys with Ed25519.
//
// The response is built here rather than by golang.org/x/crypto/ocsp.CreateResponse, which cannot
// write response extensions (it puts ExtraExtensions into the single response, where no client
// looks for the nonce) and ignores the producedAt asked for. Its CertID hashes are the ones NewCertID
// computes (checked by the tests).
func CreateResponse(issuer, responder *x509.Certificate, key crypto.Signer, tmpl ResponseTemplate) ([]byte, error) {
	if issuer == nil || key == nil {
		return nil, errors.New("ocsp: CreateResponse needs an issuer and a key")
	}
	if responder == nil {
		responder = issuer
	}
	if pub, ok := responder.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("ocsp: the key does not belong to responder [%s]", responder.Subject.String())
	}
	sigHash, sigAlg, sigParamsNull, err := signingParams(key.Public())
	if err != nil {
		return nil, err
	}

	s := tmpl.Single
	if s.ID.Serial == nil {
		return nil, errors.New("ocsp: response without serial number")
	}
	id, err := NewCertID(s.ID.Serial, issuer, s.ID.Hash)
	if err != nil {
		return nil, err
	}
	if (len(s.ID.IssuerNameHash) != 0 || len(s.ID.IssuerKeyHash) != 0) && !s.ID.Equal(id) {
		return nil, fmt.Errorf("ocsp: the CertID asked about is not of issuer [%s]", issuer.Subject.String())
	}
	produced := tmpl.ProducedAt
	if produced.IsZero() {
		produced = time.Now()
	}
	produced = produced.UTC().Truncate(time.Second)
	thisUpdate := s.ThisUpdate
	if thisUpdate.IsZero() {
		thisUpdate = produced
	}
	switch s.Status {
	case Good, Unknown:
	case Revoked:
		if s.RevokedAt.IsZero() {
			return nil, errors.New("ocsp: revoked without revocation time")
		}
		if s.Reason != -1 && !validReason(s.Reason) {
			return nil, fmt.Errorf("ocsp: CRL reason %d is not defined", s.Reason)
		}
	default:
		return nil, fmt.Errorf("ocsp: certificate status %v", s.Status)
	}

	tb := cryptobyte.NewBuilder(nil)
	tb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ResponseData
		b.AddASN1(tagExplicit1, func(b *cryptobyte.Builder) { b.AddBytes(responder.RawSubject) })
		b.AddASN1GeneralizedTime(produced)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // responses
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SingleResponse
				addCertID(b, id)
				switch s.Status {
				case Good:
					b.AddASN1(tagGood, func(*cryptobyte.Builder) {})
				case Unknown:
					b.AddASN1(tagUnknown, func(*cryptobyte.Builder) {})
				case Revoked:
					b.AddASN1(tagRevoked, func(b *cryptobyte.Builder) {
						b.AddASN1GeneralizedTime(s.RevokedAt.UTC().Truncate(time.Second))
						if s.Reason >= 0 {
							b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Enum(int64(s.Reason)) })
						}
					})
				}
				b.AddASN1GeneralizedTime(thisUpdate.UTC().Truncate(time.Second))
				if !s.NextUpdate.IsZero() {
					b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
						b.AddASN1GeneralizedTime(s.NextUpdate.UTC().Truncate(time.Second))
					})
				}
			})
		})
		if len(tmpl.Nonce) > 0 {
			b.AddASN1(tagExplicit1, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { addNonceExtension(b, tmpl.Nonce) })
			})
		}
	})
	tbs, err := tb.Bytes()
	if err != nil {
		return nil, fmt.Errorf("ocsp: encoding ResponseData: %w", err)
	}

	digest := tbs
	if sigHash != 0 {
		digest = hashOf(sigHash, tbs)
	}
	sig, err := key.Sign(rand.Reader, digest, sigHash)
	if err != nil {
		return nil, fmt.Errorf("ocsp: signing: %w", err)
	}

	bb := cryptobyte.NewBuilder(nil)
	bb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // BasicOCSPResponse
		b.AddBytes(tbs)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(sigAlg)
			if sigParamsNull {
				b.AddASN1NULL()
			}
		})
		b.AddASN1BitString(sig)
		if !bytes.Equal(responder.Raw, issuer.Raw) {
			b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(responder.Raw) })
			})
		}
	})
	basic, err := bb.Bytes()
	if err != nil {
		return nil, fmt.Errorf("ocsp: encoding BasicOCSPResponse: %w", err)
	}

	ob := cryptobyte.NewBuilder(nil)
	ob.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // OCSPResponse
		b.AddASN1Enum(int64(Successful))
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ResponseBytes
				b.AddASN1ObjectIdentifier(oidBasicResponse)
				b.AddASN1OctetString(basic)
			})
		})
	})
	return ob.Bytes()
}

// signingParams picks the signature algorithm for a responder key: the hash to sign with, the
// AlgorithmIdentifier OID, and whether its parameters are NULL.
func signingParams(pub crypto.PublicKey) (crypto.Hash, asn1.ObjectIdentifier, bool, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return crypto.SHA256, certs.OIDSHA256WithRSA, true, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return crypto.SHA256, certs.OIDECDSAWithSHA256, false, nil
		case elliptic.P384():
			return crypto.SHA384, certs.OIDECDSAWithSHA384, false, nil
		case elliptic.P521():
			return crypto.SHA512, certs.OIDECDSAWithSHA512, false, nil
		}
	case ed25519.PublicKey:
		return 0, certs.OIDEd25519, false, nil
	}
	return 0, nil, false, fmt.Errorf("ocsp: signing with a %T key: %w", pub, certs.ErrUnsupportedAlgorithm)
}

// ErrorResponse returns the DER OCSP response carrying only the status s (malformedRequest,
// internalError, tryLater, sigRequired, unauthorized). Successful, which needs a body, and
// undefined values give internalError.
func ErrorResponse(s ResponseStatus) []byte {
	if s == Successful || !s.defined() {
		s = InternalError
	}
	// SEQUENCE { ENUMERATED s }
	return []byte{0x30, 0x03, 0x0a, 0x01, byte(s)}
}
