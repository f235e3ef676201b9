package ocsp

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDNonce is id-pkix-ocsp-nonce (RFC 6960 §4.4.1, RFC 8954).
var OIDNonce = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}

var (
	oidBasicResponse  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidExtendedRevoke = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 9}
)

// maxNonceLen is the largest nonce CreateRequest writes (RFC 8954 §2.1).
const maxNonceLen = 32

// Context-specific tags used by RFC 6960 (its ASN.1 module uses explicit tagging, so every tagged
// field except the CertStatus choices is constructed).
var (
	tagExplicit0 = cbasn1.Tag(0).ContextSpecific().Constructed()
	tagExplicit1 = cbasn1.Tag(1).ContextSpecific().Constructed()
	tagExplicit2 = cbasn1.Tag(2).ContextSpecific().Constructed()
	tagGood      = cbasn1.Tag(0).ContextSpecific()               // good [0] IMPLICIT NULL
	tagRevoked   = cbasn1.Tag(1).ContextSpecific().Constructed() // revoked [1] IMPLICIT RevokedInfo
	tagUnknown   = cbasn1.Tag(2).ContextSpecific()               // unknown [2] IMPLICIT UnknownInfo (NULL)
)

// errMalformed is the base of every structural parse error.
var errMalformed = errors.New("ocsp: malformed")

func malformed(what string) error {
	return fmt.Errorf("%w %s", errMalformed, what)
}

// readGeneralizedTime reads a GeneralizedTime. encoding/asn1 is used for the value because it also
// accepts fractional seconds, which some responders write.
func readGeneralizedTime(in *cryptobyte.String, out *time.Time) bool {
	var elem cryptobyte.String
	if !in.ReadASN1Element(&elem, cbasn1.GeneralizedTime) {
		return false
	}
	rest, err := asn1.UnmarshalWithParams(elem, out, "generalized")
	return err == nil && len(rest) == 0
}

// readVersion reads an optional "[0] EXPLICIT Version DEFAULT v1" and requires v1.
func readVersion(in *cryptobyte.String) error {
	var v cryptobyte.String
	var present bool
	if !in.ReadOptionalASN1(&v, &present, tagExplicit0) {
		return malformed("version")
	}
	if !present {
		return nil
	}
	var n int64
	if !v.ReadASN1Integer(&n) || !v.Empty() {
		return malformed("version")
	}
	if n != 0 {
		return fmt.Errorf("ocsp: unsupported version %d", n+1)
	}
	return nil
}

// parseExtensions parses the contents of an Extensions SEQUENCE OF Extension. An extension may
// appear only once (RFC 5280 §4.2).
func parseExtensions(in cryptobyte.String) ([]pkix.Extension, error) {
	var exts []pkix.Extension
	for !in.Empty() {
		var e cryptobyte.String
		var ext pkix.Extension
		if !in.ReadASN1(&e, cbasn1.SEQUENCE) || !e.ReadASN1ObjectIdentifier(&ext.Id) ||
			e.PeekASN1Tag(cbasn1.BOOLEAN) && !e.ReadASN1Boolean(&ext.Critical) ||
			!e.ReadASN1Bytes(&ext.Value, cbasn1.OCTET_STRING) || !e.Empty() {
			return nil, malformed("extension")
		}
		for _, prev := range exts {
			if prev.Id.Equal(ext.Id) {
				return nil, fmt.Errorf("%w extensions: %s appears twice", errMalformed, ext.Id)
			}
		}
		exts = append(exts, ext)
	}
	return exts, nil
}

// readOptionalExtensions reads an optional "[tag] EXPLICIT Extensions".
func readOptionalExtensions(in *cryptobyte.String, tag cbasn1.Tag) ([]pkix.Extension, error) {
	var wrapper, seq cryptobyte.String
	var present bool
	if !in.ReadOptionalASN1(&wrapper, &present, tag) {
		return nil, malformed("extensions")
	}
	if !present {
		return nil, nil
	}
	if !wrapper.ReadASN1(&seq, cbasn1.SEQUENCE) || !wrapper.Empty() {
		return nil, malformed("extensions")
	}
	return parseExtensions(seq)
}

// checkCritical fails on a critical extension whose OID is not in known.
func checkCritical(exts []pkix.Extension, where string, known ...asn1.ObjectIdentifier) error {
next:
	for _, e := range exts {
		if !e.Critical {
			continue
		}
		for _, k := range known {
			if k.Equal(e.Id) {
				continue next
			}
		}
		return fmt.Errorf("ocsp: unsupported critical %s extension %s", where, e.Id)
	}
	return nil
}

// nonceFrom returns the nonce in exts, or nil. The extnValue should be a DER OCTET STRING holding
// the nonce (RFC 8954); a value that is not one is taken as the raw nonce, as some old responders
// write it.
func nonceFrom(exts []pkix.Extension) []byte {
	for _, e := range exts {
		if !e.Id.Equal(OIDNonce) {
			continue
		}
		s := cryptobyte.String(e.Value)
		var inner []byte
		if s.ReadASN1Bytes(&inner, cbasn1.OCTET_STRING) && s.Empty() {
			return inner
		}
		return e.Value
	}
	return nil
}

// addNonceExtension writes a non-critical nonce Extension whose extnValue is DER OCTET STRING(nonce).
func addNonceExtension(b *cryptobyte.Builder, nonce []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDNonce)
		b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(nonce)
		})
	})
}
