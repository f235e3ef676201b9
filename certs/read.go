package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/shep-kz/shep/certs/pkcs12"
	"github.com/shep-kz/shep/gost/gost3410"
)

// ParseCertificates reads every certificate in b: one or more PEM CERTIFICATE blocks, or a
// single DER certificate. A leading UTF-8 byte-order mark (as in some НУЦ files) is ignored.
func ParseCertificates(b []byte) ([]*x509.Certificate, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return nil, err
		}
		return []*x509.Certificate{c}, nil
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate found")
	}
	return out, nil
}

// ReadCertificates reads the certificates in a PEM or DER file.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cs, err := ParseCertificates(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

// ParsePrivateKey reads a private key, PEM or DER: PKCS#8 ("PRIVATE KEY": RSA, ECDSA, Ed25519 or
// a НУЦ GOST key), PKCS#1 ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY").
func ParsePrivateKey(b []byte) (crypto.Signer, error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	var k any
	var err error
	if blk, _ := pem.Decode(b); blk != nil {
		switch blk.Type {
		case "PRIVATE KEY":
			k, err = parsePKCS8(blk.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(blk.Bytes)
		default:
			return nil, fmt.Errorf("PEM block %q is not a private key", blk.Type)
		}
	} else if bytes.Contains(b, []byte("-----BEGIN")) {
		return nil, errors.New("no PEM private key found")
	} else {
		// DER: try the three layouts in turn.
		if k, err = parsePKCS8(b); err != nil {
			if k1, err1 := x509.ParsePKCS1PrivateKey(b); err1 == nil {
				k, err = k1, nil
			} else if k2, err2 := x509.ParseECPrivateKey(b); err2 == nil {
				k, err = k2, nil
			}
		}
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%T cannot sign", k)
	}
	return s, nil
}

// parsePKCS8 reads a PKCS#8 key with crypto/x509, or as a НУЦ GOST key.
func parsePKCS8(der []byte) (any, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err == nil {
		return k, nil
	}
	var p pkcs8
	if _, perr := asn1.Unmarshal(der, &p); perr == nil && IsGOST(p.Algorithm.Algorithm) {
		return ParseGOSTPKCS8(der)
	}
	return nil, err
}

// ReadPrivateKey reads a private key file (PEM or DER, see ParsePrivateKey).
func ReadPrivateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ReadKeyPair reads a signing key and its certificate for the tools: either certFile and keyFile
// (PEM or DER; further certificates in certFile are returned after the first), or a PKCS#12 file
// p12File opened with password (НУЦ key files: RSA, ECDSA or GOST keys). The returned certificates
// start with the key's own; the key is checked to match it.
func ReadKeyPair(certFile, keyFile, p12File, password string) (crypto.Signer, []*x509.Certificate, error) {
	switch {
	case p12File != "" && (certFile != "" || keyFile != ""):
		return nil, nil, errors.New("give either a PKCS#12 file or a certificate and key, not both")
	case p12File != "":
		b, err := os.ReadFile(p12File)
		if err != nil {
			return nil, nil, err
		}
		key, cs, err := ParsePKCS12KeyPair(b, password)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p12File, err)
		}
		return key, cs, nil
	case certFile == "" || keyFile == "":
		return nil, nil, errors.New("a certificate and its key (or a PKCS#12 file) are required")
	}
	cs, err := ReadCertificates(certFile)
	if err != nil {
		return nil, nil, err
	}
	key, err := ReadPrivateKey(keyFile)
	if err != nil {
		return nil, nil, err
	}
	if err := keyMatches(key, cs[0]); err != nil {
		return nil, nil, fmt.Errorf("%s and %s: %w", certFile, keyFile, err)
	}
	return key, cs, nil
}

// ParsePKCS12KeyPair decodes a PKCS#12 file holding one private key (RSA, ECDSA, Ed25519 or НУЦ
// GOST) and returns it with its certificate first, then the file's other certificates.
func ParsePKCS12KeyPair(data []byte, password string) (crypto.Signer, []*x509.Certificate, error) {
	f, err := pkcs12.Decode(data, password)
	if err != nil {
		return nil, nil, err
	}
	if len(f.Keys) != 1 {
		return nil, nil, fmt.Errorf("the PKCS#12 file holds %d private keys, want 1", len(f.Keys))
	}
	k := f.Keys[0]
	var key crypto.Signer
	if IsGOST(k.Algorithm.Algorithm) {
		key, err = GOSTPrivateKeyFromPKCS8(k.Algorithm, k.Key)
	} else {
		key, err = k.Signer()
	}
	if err != nil {
		return nil, nil, err
	}
	leaf := f.Leaf(k)
	if leaf == nil {
		return nil, nil, errors.New("the PKCS#12 file holds no certificate of its key")
	}
	if err := keyMatches(key, leaf); err != nil {
		return nil, nil, err
	}
	out := []*x509.Certificate{leaf}
	for _, c := range f.Certificates {
		if c != leaf {
			out = append(out, c)
		}
	}
	return key, out, nil
}

// keyMatches checks that c certifies the public key of key.
func keyMatches(key crypto.Signer, c *x509.Certificate) error {
	var certKey crypto.PublicKey = c.PublicKey
	if _, ok := key.Public().(*gost3410.PublicKey); ok {
		g, err := GOSTPublicKey(c)
		if err != nil {
			return fmt.Errorf("the certificate does not match the GOST key: %w", err)
		}
		certKey = g
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || certKey == nil || !pub.Equal(certKey) {
		return errors.New("the certificate does not match the key")
	}
	return nil
}
