package ocsp

import (
	"bytes"
	"crypto"
	_ "crypto/sha1" // CertID hash algorithms
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shep-kz/shep/certs"
)

// CertID identifies a certificate in a request or a response (RFC 6960 §4.1.1): hashes of its
// issuer's name and key, and its serial number.
type CertID struct {
	Hash           crypto.Hash // crypto.SHA1, SHA256, SHA384 or SHA512
	IssuerNameHash []byte      // hash of the DER issuer Name
	IssuerKeyHash  []byte      // hash of the issuer's subjectPublicKey BIT STRING contents
	Serial         *big.Int
}

var hashOIDs = []struct {
	hash crypto.Hash
	oid  asn1.ObjectIdentifier
}{
	{crypto.SHA1, asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}},
	{crypto.SHA256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}},
	{crypto.SHA384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}},
	{crypto.SHA512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}},
}

func hashOID(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	for _, e := range hashOIDs {
		if e.hash == h {
			return e.oid, true
		}
	}
	return nil, false
}

func hashForOID(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, e := range hashOIDs {
		if e.oid.Equal(oid) {
			return e.hash, true
		}
	}
	return 0, false
}

func checkHash(h crypto.Hash) error {
	if _, ok := hashOID(h); !ok {
		return fmt.Errorf("ocsp: CertID hash %v: %w", h, certs.ErrUnsupportedAlgorithm)
	}
	return nil
}

// publicKeyBits returns the contents of the subjectPublicKey BIT STRING of c, read from
// RawSubjectPublicKeyInfo so that it works for keys crypto/x509 does not understand.
func publicKeyBits(c *x509.Certificate) ([]byte, error) {
	in := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var spki cryptobyte.String
	var bits asn1.BitString
	if !in.ReadASN1(&spki, cbasn1.SEQUENCE) || !in.Empty() ||
		!spki.SkipASN1(cbasn1.SEQUENCE) || !spki.ReadASN1BitString(&bits) || !spki.Empty() ||
		bits.BitLength%8 != 0 {
		return nil, errors.New("ocsp: malformed subjectPublicKeyInfo")
	}
	return bits.Bytes, nil
}

func hashOf(h crypto.Hash, data []byte) []byte {
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

// NewCertID returns the CertID of the certificate with the given serial number issued by issuer,
// hashed with h. The name hash is over issuer.RawSubject, the key hash over the subjectPublicKey
// BIT STRING contents (so it works for GOST issuers, whose PublicKey is nil).
func NewCertID(serial *big.Int, issuer *x509.Certificate, h crypto.Hash) (CertID, error) {
	if serial == nil {
		return CertID{}, errors.New("ocsp: no serial number")
	}
	if issuer == nil {
		return CertID{}, errors.New("ocsp: no issuer certificate")
	}
	if err := checkHash(h); err != nil {
		return CertID{}, err
	}
	key, err := publicKeyBits(issuer)
	if err != nil {
		return CertID{}, err
	}
	return CertID{
		Hash:           h,
		IssuerNameHash: hashOf(h, issuer.RawSubject),
		IssuerKeyHash:  hashOf(h, key),
		Serial:         new(big.Int).Set(serial),
	}, nil
}

// Equal reports whether id and o use the same hash algorithm and have the same hashes and serial.
func (id CertID) Equal(o CertID) bool {
	return id.Hash == o.Hash && id.Serial != nil && o.Serial != nil && id.Serial.Cmp(o.Serial) == 0 &&
		bytes.Equal(id.IssuerNameHash, o.IssuerNameHash) && bytes.Equal(id.IssuerKeyHash, o.IssuerKeyHash)
}

// IssuedBy reports whether id's issuer hashes, recomputed with id.Hash, match issuer.
func (id CertID) IssuedBy(issuer *x509.Certificate) bool {
	if issuer == nil || id.Serial == nil {
		return false
	}
	want, err := NewCertID(id.Serial, issuer, id.Hash)
	return err == nil && id.Equal(want)
}

// readCertID reads a CertID SEQUENCE.
func readCertID(in *cryptobyte.String) (CertID, error) {
	var seq, alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1ObjectIdentifier(&oid) {
		return CertID{}, malformed("CertID")
	}
	// Parameters are absent or NULL for the SHA family.
	if !alg.Empty() && (!alg.SkipASN1(cbasn1.NULL) || !alg.Empty()) {
		return CertID{}, malformed("CertID hash algorithm parameters")
	}
	h, ok := hashForOID(oid)
	if !ok {
		return CertID{}, fmt.Errorf("ocsp: CertID hash algorithm %s: %w", oid, certs.ErrUnsupportedAlgorithm)
	}
	id := CertID{Hash: h, Serial: new(big.Int)}
	if !seq.ReadASN1Bytes(&id.IssuerNameHash, cbasn1.OCTET_STRING) ||
		!seq.ReadASN1Bytes(&id.IssuerKeyHash, cbasn1.OCTET_STRING) ||
		!seq.ReadASN1Integer(id.Serial) || !seq.Empty() {
		return CertID{}, malformed("CertID")
	}
	if len(id.IssuerNameHash) != h.Size() || len(id.IssuerKeyHash) != h.Size() {
		return CertID{}, malformed("CertID: hash length does not match the algorithm")
	}
	return id, nil
}

// addCertID writes id, which must have passed validate.
func addCertID(b *cryptobyte.Builder, id CertID) {
	oid, _ := hashOID(id.Hash)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1NULL()
		})
		b.AddASN1OctetString(id.IssuerNameHash)
		b.AddASN1OctetString(id.IssuerKeyHash)
		b.AddASN1BigInt(id.Serial)
	})
}

// validate checks that id can be written.
func (id CertID) validate() error {
	if err := checkHash(id.Hash); err != nil {
		return err
	}
	if id.Serial == nil {
		return errors.New("ocsp: CertID without serial number")
	}
	if len(id.IssuerNameHash) != id.Hash.Size() || len(id.IssuerKeyHash) != id.Hash.Size() {
		return fmt.Errorf("ocsp: CertID hashes are not %v hashes", id.Hash)
	}
	return nil
}
