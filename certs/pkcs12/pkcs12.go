// Package pkcs12 reads and writes PKCS#12 (RFC 7292) key files, including НУЦ РК's GOST ones,
// whose private keys crypto/x509 cannot parse: keys come back as raw PKCS#8 PrivateKeyInfo.
package pkcs12

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrIncorrectPassword: the MAC does not verify, or the data does not decrypt, with the password.
	ErrIncorrectPassword = errors.New("pkcs12: incorrect password")
	// ErrUnsupportedKey: the key's algorithm has no crypto.Signer in the standard library (e.g. GOST).
	ErrUnsupportedKey = errors.New("pkcs12: unsupported private key algorithm")
	// ErrUnsupportedAlgorithm: an encryption, MAC or protection mode this package does not implement.
	ErrUnsupportedAlgorithm = errors.New("pkcs12: unsupported algorithm")
	// ErrMalformed: the data is not a well-formed PKCS#12 file.
	ErrMalformed = errors.New("pkcs12: malformed data")
	// ErrLimit: the file exceeds a size, nesting or work limit (see MaxIterations).
	ErrLimit = errors.New("pkcs12: limit exceeded")
)

// Limits applied by Decode so that hostile files fail fast.
const (
	// MaxInputSize is the largest PFX Decode accepts.
	MaxInputSize = 4 << 20
	// MaxIterations is the largest iteration count of one MAC or encryption (Encode too).
	MaxIterations = 10_000_000
	// MaxTotalIterations bounds the iterations one Decode call spends across MAC and decryptions.
	MaxTotalIterations = 4 * MaxIterations
)

// limits are the bounds of one decode; tests and the fuzz target use tighter ones.
type limits struct {
	maxInput           int
	maxIterations      int
	maxTotalIterations int64
	maxDepth           int
	maxNodes           int
	maxSalt            int
	maxBagNesting      int
}

func defaultLimits() limits {
	return limits{
		maxInput:           MaxInputSize,
		maxIterations:      MaxIterations,
		maxTotalIterations: MaxTotalIterations,
		maxDepth:           48,
		maxNodes:           200_000,
		maxSalt:            1024,
		maxBagNesting:      4,
	}
}

// PrivateKey is a decrypted PKCS#8 PrivateKeyInfo; the key algorithm may be one crypto/x509 does not
// know (GOST).
type PrivateKey struct {
	// Algorithm is privateKeyAlgorithm, e.g. 1.2.398.3.10.1.1.2.2 with parameters
	// SEQUENCE{curve OID, hash OID} for НУЦ GOST 2015-512.
	Algorithm pkix.AlgorithmIdentifier
	// Key is the contents of PrivateKeyInfo.privateKey (for НУЦ GOST: the DER of an OCTET STRING
	// holding the 64-byte little-endian scalar).
	Key []byte
	// PKCS8 is the whole PrivateKeyInfo.
	PKCS8 []byte
	// LocalKeyID and FriendlyName are the bag's attributes (empty when absent).
	LocalKeyID   []byte
	FriendlyName string
}

// Signer returns a crypto.Signer for RSA, ECDSA (and Ed25519) keys via x509.ParsePKCS8PrivateKey;
// for other algorithms an error wrapping ErrUnsupportedKey.
func (k *PrivateKey) Signer() (crypto.Signer, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(k.PKCS8)
	if err != nil {
		if knownX509Key(k.Algorithm.Algorithm) {
			return nil, fmt.Errorf("%w: private key %s: %w", ErrMalformed, k.Algorithm.Algorithm, err)
		}
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedKey, k.Algorithm.Algorithm)
	}
	s, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %s keys (%T) cannot sign", ErrUnsupportedKey, k.Algorithm.Algorithm, parsed)
	}
	return s, nil
}

// knownX509Key reports whether crypto/x509 parses PKCS#8 keys of this algorithm.
func knownX509Key(oid asn1.ObjectIdentifier) bool {
	for _, o := range []asn1.ObjectIdentifier{
		{1, 2, 840, 113549, 1, 1, 1}, // rsaEncryption
		{1, 2, 840, 10045, 2, 1},     // id-ecPublicKey
		{1, 3, 101, 112},             // Ed25519
		{1, 3, 101, 110},             // X25519
	} {
		if oid.Equal(o) {
			return true
		}
	}
	return false
}

// publicKey returns the public key of a key crypto/x509 can parse, or nil.
func (k *PrivateKey) publicKey() interface{ Equal(crypto.PublicKey) bool } {
	parsed, err := x509.ParsePKCS8PrivateKey(k.PKCS8)
	if err != nil {
		return nil
	}
	s, ok := parsed.(interface{ Public() crypto.PublicKey })
	if !ok {
		return nil
	}
	pub, _ := s.Public().(interface{ Equal(crypto.PublicKey) bool })
	return pub
}

// File is the content of a PFX: private keys and certificates, in file order.
type File struct {
	Keys         []*PrivateKey
	Certificates []*x509.Certificate

	certKeyIDs map[*x509.Certificate][]byte // localKeyId attributes of certificate bags
}

// Leaf returns the certificate of key k: the one whose localKeyId equals k's; else the one whose
// public key equals k's (keys crypto/x509 knows); else the only non-CA certificate, unless its public
// key provably differs from k's. It returns nil when none fits.
func (f *File) Leaf(k *PrivateKey) *x509.Certificate {
	if k == nil {
		return nil
	}
	if len(k.LocalKeyID) > 0 {
		for _, c := range f.Certificates {
			if id, ok := f.certKeyIDs[c]; ok && bytes.Equal(id, k.LocalKeyID) {
				return c
			}
		}
	}
	pub := k.publicKey()
	if pub != nil {
		for _, c := range f.Certificates {
			if c != nil && pub.Equal(c.PublicKey) {
				return c
			}
		}
	}
	var only *x509.Certificate
	for _, c := range f.Certificates {
		if c == nil || c.IsCA {
			continue
		}
		if only != nil {
			return nil
		}
		only = c
	}
	if only != nil && pub != nil && !pub.Equal(only.PublicKey) {
		return nil
	}
	return only
}

// Decode parses a DER/BER PFX, verifies its MAC and decrypts its keys and certificates. Unknown bag
// types are skipped. An empty password is tried both as the NUL-terminated and as the zero-length
// BMPString; a non-ASCII one also as Latin-1 (older writers).
func Decode(data []byte, password string) (*File, error) {
	return decode(data, password, defaultLimits())
}

type decoder struct {
	lim   limits
	ber   berReader
	spent int64
	// pws are the password readings still possible; one after the MAC (or a decryption) chose it.
	pws []password
	// authenticated is set when the MAC verified.
	authenticated bool
}

func decode(data []byte, pw string, lim limits) (*File, error) {
	if len(data) > lim.maxInput {
		return nil, fmt.Errorf("%w: %d bytes, at most %d accepted", ErrLimit, len(data), lim.maxInput)
	}
	d := &decoder{lim: lim, ber: berReader{maxDepth: lim.maxDepth, maxNodes: lim.maxNodes}, pws: passwordReadings(pw)}
	pfx, err := d.ber.parseOne(data, "PFX")
	if err != nil {
		return nil, err
	}
	if err := pfx.sequence("PFX", 2); err != nil {
		return nil, err
	}
	version, err := pfx.children[0].integer("PFX version")
	if err != nil {
		return nil, err
	}
	if version != 3 {
		return nil, fmt.Errorf("%w: PFX version %d, want 3", ErrMalformed, version)
	}
	typ, content, err := contentInfo(pfx.children[1], "authSafe")
	if err != nil {
		return nil, err
	}
	if !typ.Equal(oidData) {
		return nil, fmt.Errorf("%w: authSafe content type %s", ErrUnsupportedAlgorithm, oidName(typ))
	}
	authSafe, err := content.octetString("authSafe")
	if err != nil {
		return nil, err
	}
	switch len(pfx.children) {
	case 2:
	case 3:
		if err := d.verifyMAC(pfx.children[2], authSafe); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: PFX with %d elements", ErrMalformed, len(pfx.children))
	}
	as, err := d.ber.parseOne(authSafe, "AuthenticatedSafe")
	if err != nil {
		return nil, err
	}
	if err := as.sequence("AuthenticatedSafe", 0); err != nil {
		return nil, err
	}
	f := &File{certKeyIDs: map[*x509.Certificate][]byte{}}
	for i, ci := range as.children {
		what := fmt.Sprintf("AuthenticatedSafe[%d]", i)
		typ, content, err := contentInfo(ci, what)
		if err != nil {
			return nil, err
		}
		var safe []byte
		switch {
		case typ.Equal(oidData):
			if safe, err = content.octetString(what); err != nil {
				return nil, err
			}
		case typ.Equal(oidEncryptedData):
			if safe, err = d.encryptedData(content, what); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: %s: content type %s", ErrUnsupportedAlgorithm, what, oidName(typ))
		}
		if err := d.safeContents(f, safe, what, 0); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// passwordReadings lists the BMPString forms under which pw may have been used.
func passwordReadings(pw string) []password {
	var out []password
	if bmp, err := bmpPassword(pw); err == nil {
		out = append(out, password{bmp: bmp, raw: pw})
	}
	if l := latin1Password(pw); l != nil {
		out = append(out, password{bmp: l, raw: pw})
	}
	if pw == "" {
		out = append(out, password{bmp: []byte{}, raw: ""})
	}
	return out
}

// contentInfo splits a ContentInfo into its type and the element inside [0] EXPLICIT.
func contentInfo(e element, what string) (asn1.ObjectIdentifier, element, error) {
	if err := e.sequence(what+" ContentInfo", 2); err != nil {
		return nil, element{}, err
	}
	typ, err := e.children[0].oid(what + " contentType")
	if err != nil {
		return nil, element{}, err
	}
	content, err := e.children[1].explicit(0, what+" content")
	if err != nil {
		return nil, element{}, err
	}
	return typ, content, nil
}

// verifyMAC checks MacData (RFC 7292 section 4 and appendix B.4) and narrows d.pws to the reading
// of the password that verifies.
func (d *decoder) verifyMAC(m element, content []byte) error {
	if err := m.sequence("MacData", 2); err != nil {
		return err
	}
	di := m.children[0]
	if err := di.sequence("MacData digest", 2); err != nil {
		return err
	}
	if err := di.children[0].sequence("MacData digest algorithm", 1); err != nil {
		return err
	}
	algOID, err := di.children[0].children[0].oid("MacData digest algorithm")
	if err != nil {
		return err
	}
	newHash, ok := macHash(algOID)
	if !ok {
		return fmt.Errorf("%w: MAC digest algorithm %s", ErrUnsupportedAlgorithm, oidName(algOID))
	}
	digest, err := di.children[1].octetString("MacData digest")
	if err != nil {
		return err
	}
	salt, err := d.salt(m.children[1], "MacData")
	if err != nil {
		return err
	}
	iter := int64(1)
	if len(m.children) > 2 {
		if iter, err = m.children[2].integer("MacData iterations"); err != nil {
			return err
		}
	}
	if len(m.children) > 3 {
		return fmt.Errorf("%w: MacData with %d elements", ErrMalformed, len(m.children))
	}
	size := newHash().Size()
	if len(digest) != size {
		return fmt.Errorf("%w: MAC of %d bytes for a %d-byte hash", ErrMalformed, len(digest), size)
	}
	for _, pw := range d.pws {
		if err := d.spend(iter, "MAC"); err != nil {
			return err
		}
		key := pkcs12KDF(newHash, kdfMAC, pw.bmp, salt, int(iter), size)
		mac := hmac.New(newHash, key)
		mac.Write(content)
		if hmac.Equal(mac.Sum(nil), digest) {
			d.pws = []password{pw}
			d.authenticated = true
			return nil
		}
	}
	return fmt.Errorf("%w: the MAC does not verify", ErrIncorrectPassword)
}

// decryptWith decrypts with each remaining password reading until one gives a plaintext that check
// accepts, and keeps that reading for the rest of the file.
func (d *decoder) decryptWith(alg element, ciphertext []byte, what string, check func([]byte) error) ([]byte, error) {
	var last error
	for i, pw := range d.pws {
		plain, err := d.decrypt(alg, ciphertext, pw, what)
		if err == nil {
			if err = check(plain); err == nil {
				d.pws = d.pws[i : i+1]
				return plain, nil
			}
			if d.authenticated {
				// The MAC proved the password; garbage inside means a malformed file.
				return nil, err
			}
			err = fmt.Errorf("%w: %s decrypts to invalid data (%v)", ErrIncorrectPassword, what, err)
		}
		if !errors.Is(err, ErrIncorrectPassword) {
			return nil, err
		}
		last = err
	}
	if last == nil {
		last = fmt.Errorf("%w: %s: the password cannot be encoded", ErrIncorrectPassword, what)
	}
	return nil, last
}

// encryptedData decrypts an EncryptedData (RFC 2315 section 13) holding SafeContents.
func (d *decoder) encryptedData(e element, what string) ([]byte, error) {
	if err := e.sequence(what+" EncryptedData", 2); err != nil {
		return nil, err
	}
	if _, err := e.children[0].integer(what + " EncryptedData version"); err != nil {
		return nil, err
	}
	eci := e.children[1]
	if err := eci.sequence(what+" EncryptedContentInfo", 3); err != nil {
		return nil, err
	}
	typ, err := eci.children[0].oid(what + " EncryptedContentInfo contentType")
	if err != nil {
		return nil, err
	}
	if !typ.Equal(oidData) {
		return nil, fmt.Errorf("%w: %s: encrypted content type %s", ErrUnsupportedAlgorithm, what, oidName(typ))
	}
	enc := eci.children[2]
	if !enc.is(classContext, 0) {
		return nil, fmt.Errorf("%w: %s: expected encryptedContent [0]", ErrMalformed, what)
	}
	ct, err := enc.octets(what + " encryptedContent")
	if err != nil {
		return nil, err
	}
	return d.decryptWith(eci.children[1], ct, what, func(plain []byte) error {
		// A trial parse with a reader of its own, so that the element count is not charged twice.
		r := berReader{maxDepth: d.lim.maxDepth, maxNodes: d.lim.maxNodes}
		sc, err := r.parseOne(plain, what+" SafeContents")
		if err != nil {
			return err
		}
		return sc.sequence(what+" SafeContents", 0)
	})
}

// safeContents reads a SafeContents (SEQUENCE OF SafeBag) into f.
func (d *decoder) safeContents(f *File, data []byte, what string, nesting int) error {
	if nesting > d.lim.maxBagNesting {
		return fmt.Errorf("%w: %s: safeContentsBag nested deeper than %d", ErrLimit, what, d.lim.maxBagNesting)
	}
	sc, err := d.ber.parseOne(data, what+" SafeContents")
	if err != nil {
		return err
	}
	if err := sc.sequence(what+" SafeContents", 0); err != nil {
		return err
	}
	for i, bag := range sc.children {
		bw := fmt.Sprintf("%s bag %d", what, i)
		if err := bag.sequence(bw, 2); err != nil {
			return err
		}
		id, err := bag.children[0].oid(bw + " bagId")
		if err != nil {
			return err
		}
		value, err := bag.children[1].explicit(0, bw+" bagValue")
		if err != nil {
			return err
		}
		var localKeyID []byte
		var friendlyName string
		switch len(bag.children) {
		case 2:
		case 3:
			if localKeyID, friendlyName, err = bagAttributes(bag.children[2], bw); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %s: SafeBag with %d elements", ErrMalformed, bw, len(bag.children))
		}
		switch {
		case id.Equal(oidKeyBag):
			k, err := d.privateKeyInfo(value.raw, bw)
			if err != nil {
				return err
			}
			k.LocalKeyID, k.FriendlyName = localKeyID, friendlyName
			f.Keys = append(f.Keys, k)
		case id.Equal(oidShroudedKeyBag):
			if err := value.sequence(bw+" EncryptedPrivateKeyInfo", 2); err != nil {
				return err
			}
			ct, err := value.children[1].octetString(bw + " encryptedData")
			if err != nil {
				return err
			}
			var k *PrivateKey
			_, err = d.decryptWith(value.children[0], ct, bw, func(plain []byte) error {
				var err error
				k, err = d.privateKeyInfo(plain, bw)
				return err
			})
			if err != nil {
				return err
			}
			k.LocalKeyID, k.FriendlyName = localKeyID, friendlyName
			f.Keys = append(f.Keys, k)
		case id.Equal(oidCertBag):
			if err := value.sequence(bw+" CertBag", 2); err != nil {
				return err
			}
			certID, err := value.children[0].oid(bw + " certId")
			if err != nil {
				return err
			}
			if !certID.Equal(oidX509Certificate) {
				continue // SDSI and other certificate types are not ours to read
			}
			cv, err := value.children[1].explicit(0, bw+" certValue")
			if err != nil {
				return err
			}
			der, err := cv.octetString(bw + " certValue")
			if err != nil {
				return err
			}
			cert, err := x509.ParseCertificate(bytes.Clone(der))
			if err != nil {
				return fmt.Errorf("%w: %s: certificate: %w", ErrMalformed, bw, err)
			}
			f.Certificates = append(f.Certificates, cert)
			if localKeyID != nil {
				f.certKeyIDs[cert] = localKeyID
			}
		case id.Equal(oidSafeContentsBag):
			if err := d.safeContents(f, value.raw, bw, nesting+1); err != nil {
				return err
			}
		default:
			// crlBag, secretBag and unknown bags are skipped.
		}
	}
	return nil
}

// bagAttributes reads localKeyId and friendlyName from a SafeBag's SET OF PKCS12Attribute.
func bagAttributes(set element, what string) (localKeyID []byte, friendlyName string, err error) {
	if !set.universal(tagSet) || !set.constructed {
		return nil, "", fmt.Errorf("%w: %s: bagAttributes is not a SET", ErrMalformed, what)
	}
	for _, a := range set.children {
		if err := a.sequence(what+" attribute", 2); err != nil {
			return nil, "", err
		}
		id, err := a.children[0].oid(what + " attribute type")
		if err != nil {
			return nil, "", err
		}
		values := a.children[1]
		if !values.universal(tagSet) || !values.constructed {
			return nil, "", fmt.Errorf("%w: %s: attribute values are not a SET", ErrMalformed, what)
		}
		if len(values.children) == 0 {
			continue
		}
		switch {
		case id.Equal(oidLocalKeyID):
			v, err := values.children[0].octetString(what + " localKeyId")
			if err != nil {
				return nil, "", err
			}
			localKeyID = bytes.Clone(v)
		case id.Equal(oidFriendlyName):
			if friendlyName, err = values.children[0].text(what + " friendlyName"); err != nil {
				return nil, "", err
			}
		}
	}
	return localKeyID, friendlyName, nil
}

// privateKeyInfo parses a PKCS#8 PrivateKeyInfo (RFC 5208; OneAsymmetricKey of RFC 5958 too).
func (d *decoder) privateKeyInfo(der []byte, what string) (*PrivateKey, error) {
	what += " PrivateKeyInfo"
	e, err := d.ber.parseOne(der, what)
	if err != nil {
		return nil, err
	}
	if err := e.sequence(what, 3); err != nil {
		return nil, err
	}
	version, err := e.children[0].integer(what + " version")
	if err != nil {
		return nil, err
	}
	if version != 0 && version != 1 {
		return nil, fmt.Errorf("%w: %s: version %d", ErrMalformed, what, version)
	}
	alg := e.children[1]
	if err := alg.sequence(what+" privateKeyAlgorithm", 1); err != nil {
		return nil, err
	}
	if len(alg.children) > 2 {
		return nil, fmt.Errorf("%w: %s: privateKeyAlgorithm with %d elements", ErrMalformed, what, len(alg.children))
	}
	oid, err := alg.children[0].oid(what + " privateKeyAlgorithm")
	if err != nil {
		return nil, err
	}
	key, err := e.children[2].octetString(what + " privateKey")
	if err != nil {
		return nil, err
	}
	k := &PrivateKey{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oid},
		Key:       bytes.Clone(key),
		PKCS8:     bytes.Clone(e.raw),
	}
	if len(alg.children) == 2 {
		p := alg.children[1]
		k.Algorithm.Parameters = asn1.RawValue{
			Class:      p.class,
			Tag:        p.tag,
			IsCompound: p.constructed,
			Bytes:      bytes.Clone(p.content),
			FullBytes:  bytes.Clone(p.raw),
		}
	}
	return k, nil
}
