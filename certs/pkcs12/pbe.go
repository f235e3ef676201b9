package pkcs12

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"hash"
)

// password is one reading of the user's password.
type password struct {
	bmp []byte // BMPString with NUL for the PKCS#12 KDF (PBE and MAC)
	raw string // the bytes as given, for PBKDF2 (PBES2), as OpenSSL does
}

// pbeCipher describes a PKCS#12 PBE scheme (RFC 7292 appendix C): SHA-1 KDF, a CBC block cipher.
type pbeCipher struct {
	name     string
	keyLen   int
	newBlock func(key []byte) (cipher.Block, error)
}

func pkcs12Scheme(oid asn1.ObjectIdentifier) (pbeCipher, bool) {
	switch {
	case oid.Equal(oidPBEWithSHA1And3DES):
		return pbeCipher{"pbeWithSHAAnd3-KeyTripleDES-CBC", 24, des.NewTripleDESCipher}, true
	case oid.Equal(oidPBEWithSHA1And2DES):
		return pbeCipher{"pbeWithSHAAnd2-KeyTripleDES-CBC", 16, func(k []byte) (cipher.Block, error) {
			return des.NewTripleDESCipher(append(append([]byte{}, k...), k[:8]...))
		}}, true
	case oid.Equal(oidPBEWithSHA1RC2128):
		return pbeCipher{"pbeWithSHAAnd128BitRC2-CBC", 16, func(k []byte) (cipher.Block, error) { return newRC2(k, 128) }}, true
	case oid.Equal(oidPBEWithSHA1RC240):
		return pbeCipher{"pbeWithSHAAnd40BitRC2-CBC", 5, func(k []byte) (cipher.Block, error) { return newRC2(k, 40) }}, true
	}
	return pbeCipher{}, false
}

// macHash maps a MAC digest algorithm to its hash.
func macHash(oid asn1.ObjectIdentifier) (func() hash.Hash, bool) {
	switch {
	case oid.Equal(oidSHA1):
		return sha1.New, true
	case oid.Equal(oidSHA224):
		return sha256.New224, true
	case oid.Equal(oidSHA256):
		return sha256.New, true
	case oid.Equal(oidSHA384):
		return sha512.New384, true
	case oid.Equal(oidSHA512):
		return sha512.New, true
	}
	return nil, false
}

// prfHash maps a PBKDF2 PRF to its hash.
func prfHash(oid asn1.ObjectIdentifier) (func() hash.Hash, bool) {
	switch {
	case oid.Equal(oidHMACSHA1):
		return sha1.New, true
	case oid.Equal(oidHMACSHA224):
		return sha256.New224, true
	case oid.Equal(oidHMACSHA256):
		return sha256.New, true
	case oid.Equal(oidHMACSHA384):
		return sha512.New384, true
	case oid.Equal(oidHMACSHA512):
		return sha512.New, true
	}
	return nil, false
}

// spend charges an iteration count against the limits of this Decode call.
func (d *decoder) spend(iterations int64, what string) error {
	if iterations < 1 {
		return fmt.Errorf("%w: %s: iteration count %d", ErrMalformed, what, iterations)
	}
	if iterations > int64(d.lim.maxIterations) {
		return fmt.Errorf("%w: %s: iteration count %d exceeds %d", ErrLimit, what, iterations, d.lim.maxIterations)
	}
	d.spent += iterations
	if d.spent > d.lim.maxTotalIterations {
		return fmt.Errorf("%w: %s: more than %d iterations in total", ErrLimit, what, d.lim.maxTotalIterations)
	}
	return nil
}

func (d *decoder) salt(e element, what string) ([]byte, error) {
	s, err := e.octetString(what + " salt")
	if err != nil {
		return nil, err
	}
	if len(s) > d.lim.maxSalt {
		return nil, fmt.Errorf("%w: %s: salt of %d bytes", ErrLimit, what, len(s))
	}
	return s, nil
}

// decrypt decrypts ciphertext under the AlgorithmIdentifier alg. A wrong password shows as a
// padding failure: ErrIncorrectPassword.
func (d *decoder) decrypt(alg element, ciphertext []byte, pw password, what string) ([]byte, error) {
	if err := alg.sequence(what+" encryption algorithm", 1); err != nil {
		return nil, err
	}
	oid, err := alg.children[0].oid(what + " encryption algorithm")
	if err != nil {
		return nil, err
	}
	if oid.Equal(oidPBES2) {
		if len(alg.children) != 2 {
			return nil, fmt.Errorf("%w: %s: PBES2 without parameters", ErrMalformed, what)
		}
		return d.decryptPBES2(alg.children[1], ciphertext, pw, what)
	}
	scheme, ok := pkcs12Scheme(oid)
	if !ok {
		return nil, fmt.Errorf("%w: %s: encryption algorithm %s", ErrUnsupportedAlgorithm, what, oidName(oid))
	}
	if len(alg.children) != 2 {
		return nil, fmt.Errorf("%w: %s: %s without parameters", ErrMalformed, what, scheme.name)
	}
	p := alg.children[1]
	if err := p.sequence(what+" PBE parameters", 2); err != nil {
		return nil, err
	}
	salt, err := d.salt(p.children[0], what)
	if err != nil {
		return nil, err
	}
	iter, err := p.children[1].integer(what + " iterations")
	if err != nil {
		return nil, err
	}
	if err := d.spend(iter, what); err != nil {
		return nil, err
	}
	key := pkcs12KDF(sha1.New, kdfKey, pw.bmp, salt, int(iter), scheme.keyLen)
	iv := pkcs12KDF(sha1.New, kdfIV, pw.bmp, salt, int(iter), 8)
	block, err := scheme.newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s: %w", ErrMalformed, what, scheme.name, err)
	}
	return cbcDecrypt(block, iv, ciphertext, what)
}

func (d *decoder) decryptPBES2(params element, ciphertext []byte, pw password, what string) ([]byte, error) {
	if err := params.sequence(what+" PBES2 parameters", 2); err != nil {
		return nil, err
	}
	kdf, enc := params.children[0], params.children[1]
	if err := kdf.sequence(what+" PBES2 key derivation", 2); err != nil {
		return nil, err
	}
	kdfOID, err := kdf.children[0].oid(what + " PBES2 key derivation")
	if err != nil {
		return nil, err
	}
	if !kdfOID.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: %s: PBES2 key derivation %s", ErrUnsupportedAlgorithm, what, oidName(kdfOID))
	}
	kp := kdf.children[1]
	if err := kp.sequence(what+" PBKDF2 parameters", 2); err != nil {
		return nil, err
	}
	if !kp.children[0].universal(tagOctetString) {
		return nil, fmt.Errorf("%w: %s: PBKDF2 salt from another source", ErrUnsupportedAlgorithm, what)
	}
	salt, err := d.salt(kp.children[0], what)
	if err != nil {
		return nil, err
	}
	iter, err := kp.children[1].integer(what + " PBKDF2 iterations")
	if err != nil {
		return nil, err
	}
	keyLength := int64(-1)
	prf := sha1.New // the default PRF is hmacWithSHA1
	for _, c := range kp.children[2:] {
		switch {
		case c.universal(tagInteger) && keyLength < 0:
			if keyLength, err = c.integer(what + " PBKDF2 key length"); err != nil {
				return nil, err
			}
		case c.universal(tagSequence) && len(c.children) >= 1:
			prfOID, err := c.children[0].oid(what + " PBKDF2 PRF")
			if err != nil {
				return nil, err
			}
			var ok bool
			if prf, ok = prfHash(prfOID); !ok {
				return nil, fmt.Errorf("%w: %s: PBKDF2 PRF %s", ErrUnsupportedAlgorithm, what, oidName(prfOID))
			}
		default:
			return nil, fmt.Errorf("%w: %s: unexpected PBKDF2 parameter", ErrMalformed, what)
		}
	}
	if err := enc.sequence(what+" PBES2 encryption scheme", 2); err != nil {
		return nil, err
	}
	encOID, err := enc.children[0].oid(what + " PBES2 encryption scheme")
	if err != nil {
		return nil, err
	}
	var keyLen int
	var newBlock func([]byte) (cipher.Block, error)
	switch {
	case encOID.Equal(oidAES128CBC):
		keyLen, newBlock = 16, aes.NewCipher
	case encOID.Equal(oidAES192CBC):
		keyLen, newBlock = 24, aes.NewCipher
	case encOID.Equal(oidAES256CBC):
		keyLen, newBlock = 32, aes.NewCipher
	case encOID.Equal(oidDESEDE3CBC):
		keyLen, newBlock = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("%w: %s: PBES2 encryption scheme %s", ErrUnsupportedAlgorithm, what, oidName(encOID))
	}
	if keyLength >= 0 && keyLength != int64(keyLen) {
		return nil, fmt.Errorf("%w: %s: PBKDF2 key length %d for a %d-byte key", ErrMalformed, what, keyLength, keyLen)
	}
	iv, err := enc.children[1].octetString(what + " IV")
	if err != nil {
		return nil, err
	}
	if err := d.spend(iter, what); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(prf, pw.raw, salt, int(iter), keyLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: PBKDF2: %w", ErrUnsupportedAlgorithm, what, err)
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
	if len(iv) != block.BlockSize() {
		return nil, fmt.Errorf("%w: %s: IV of %d bytes", ErrMalformed, what, len(iv))
	}
	return cbcDecrypt(block, iv, ciphertext, what)
}

// cbcDecrypt decrypts CBC with PKCS#7 padding into a new slice.
func cbcDecrypt(block cipher.Block, iv, ciphertext []byte, what string) ([]byte, error) {
	bs := block.BlockSize()
	if len(ciphertext) == 0 || len(ciphertext)%bs != 0 {
		return nil, fmt.Errorf("%w: %s: ciphertext of %d bytes is not a whole number of %d-byte blocks", ErrMalformed, what, len(ciphertext), bs)
	}
	out := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ciphertext)
	n := int(out[len(out)-1])
	bad := n == 0 || n > bs
	if !bad {
		for _, c := range out[len(out)-n:] {
			bad = bad || int(c) != n
		}
	}
	if bad {
		return nil, fmt.Errorf("%w: %s does not decrypt", ErrIncorrectPassword, what)
	}
	return out[:len(out)-n], nil
}

// cbcEncrypt pads (PKCS#7) and encrypts CBC into a new slice.
func cbcEncrypt(block cipher.Block, iv, plaintext []byte) []byte {
	bs := block.BlockSize()
	n := bs - len(plaintext)%bs
	out := make([]byte, len(plaintext)+n)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(n)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, out)
	return out
}

// pkcs12Encrypt encrypts with a PKCS#12 PBE scheme.
func pkcs12Encrypt(scheme pbeCipher, bmp, salt []byte, iterations int, plaintext []byte) ([]byte, error) {
	key := pkcs12KDF(sha1.New, kdfKey, bmp, salt, iterations, scheme.keyLen)
	iv := pkcs12KDF(sha1.New, kdfIV, bmp, salt, iterations, 8)
	block, err := scheme.newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("pkcs12: %s: %w", scheme.name, err)
	}
	return cbcEncrypt(block, iv, plaintext), nil
}
