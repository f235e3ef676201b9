package pkcs12

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// EncodeOptions tune Encode; the zero value is fine.
type EncodeOptions struct {
	// Iterations of the key, certificate and MAC derivations; 0 means 2048. At most MaxIterations.
	Iterations int
	// FriendlyName is put on the key and leaf certificate bags; "" means the hex of their
	// localKeyId, as НУЦ does.
	FriendlyName string
	// Rand supplies the salts; nil means crypto/rand.
	Rand io.Reader
}

const (
	defaultIterations = 2048
	saltLen           = 20 // as НУЦ writes
)

// Encode writes a PFX like НУЦ's: the key in a pkcs8ShroudedKeyBag under
// pbeWithSHAAnd3-KeyTripleDES-CBC (the PKCS#8 exactly as given), the certificates in a SafeContents
// encrypted with pbeWithSHAAnd40BitRC2-CBC, a localKeyId linking the key to certs[0] (its subject key
// identifier, else the SHA-1 of the certificate), and an HMAC-SHA-1 MAC. pkcs8 is any PrivateKeyInfo
// DER, GOST included; certs[0], if any, must be the key's certificate (checked for keys crypto/x509
// knows). OpenSSL 3 reads the result with -legacy (RC2).
func Encode(pkcs8 []byte, certs []*x509.Certificate, password string, o EncodeOptions) ([]byte, error) {
	iter := o.Iterations
	switch {
	case iter == 0:
		iter = defaultIterations
	case iter < 0 || iter > MaxIterations:
		return nil, fmt.Errorf("%w: %d iterations (1..%d)", ErrLimit, iter, MaxIterations)
	}
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	bmp, err := bmpPassword(password)
	if err != nil {
		return nil, err
	}
	return encode(pkcs8, certs, bmp, iter, rnd, o.FriendlyName)
}

// encode is Encode with the password already in its BMPString form.
func encode(pkcs8 []byte, certs []*x509.Certificate, bmp []byte, iter int, rnd io.Reader, friendlyName string) ([]byte, error) {
	d := &decoder{lim: defaultLimits()}
	d.ber = berReader{maxDepth: d.lim.maxDepth, maxNodes: d.lim.maxNodes}
	key, err := d.privateKeyInfo(pkcs8, "pkcs8")
	if err != nil {
		return nil, err
	}
	for i, c := range certs {
		if c == nil || len(c.Raw) == 0 {
			return nil, fmt.Errorf("pkcs12: encode: certificate %d is empty", i)
		}
	}
	var localKeyID []byte
	if len(certs) > 0 {
		if pub := key.publicKey(); pub != nil && !pub.Equal(certs[0].PublicKey) {
			return nil, errors.New("pkcs12: encode: certs[0] is not the certificate of the key")
		}
		localKeyID = certs[0].SubjectKeyId
		if len(localKeyID) == 0 {
			sum := sha1.Sum(certs[0].Raw)
			localKeyID = sum[:]
		}
		if friendlyName == "" {
			friendlyName = hex.EncodeToString(localKeyID)
		}
	}
	if !utf8.ValidString(friendlyName) {
		return nil, errors.New("pkcs12: encode: the friendly name is not valid UTF-8")
	}
	attrs := bagAttributesDER(localKeyID, friendlyName)

	// The key: SafeContents{ pkcs8ShroudedKeyBag } in a data ContentInfo.
	keyScheme, _ := pkcs12Scheme(oidPBEWithSHA1And3DES)
	keySalt, err := randomBytes(rnd, saltLen)
	if err != nil {
		return nil, err
	}
	encKey, err := pkcs12Encrypt(keyScheme, bmp, keySalt, iter, pkcs8)
	if err != nil {
		return nil, err
	}
	keyContents := build(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidShroudedKeyBag)
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						addPBEAlgorithm(b, oidPBEWithSHA1And3DES, keySalt, iter)
						b.AddASN1OctetString(encKey)
					})
				})
				addAttributes(b, attrs)
			})
		})
	})

	// The certificates: SafeContents{ certBag... } in an encryptedData ContentInfo.
	var certContentInfo []byte
	if len(certs) > 0 {
		certContents := build(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for i, c := range certs {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidCertBag)
						b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(oidX509Certificate)
								b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
									b.AddASN1OctetString(c.Raw)
								})
							})
						})
						if i == 0 {
							addAttributes(b, attrs)
						}
					})
				}
			})
		})
		if certContents == nil {
			return nil, errors.New("pkcs12: encode: cannot build the certificate bags")
		}
		certScheme, _ := pkcs12Scheme(oidPBEWithSHA1RC240)
		certSalt, err := randomBytes(rnd, saltLen)
		if err != nil {
			return nil, err
		}
		encCerts, err := pkcs12Encrypt(certScheme, bmp, certSalt, iter, certContents)
		if err != nil {
			return nil, err
		}
		certContentInfo = build(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidEncryptedData)
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // EncryptedData
						b.AddASN1Int64(0)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // EncryptedContentInfo
							b.AddASN1ObjectIdentifier(oidData)
							addPBEAlgorithm(b, oidPBEWithSHA1RC240, certSalt, iter)
							b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddBytes(encCerts)
							})
						})
					})
				})
			})
		})
	}
	if keyContents == nil || (len(certs) > 0 && certContentInfo == nil) {
		return nil, errors.New("pkcs12: encode: cannot build the safe contents")
	}
	authSafe := build(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addDataContentInfo(b, keyContents)
			b.AddBytes(certContentInfo)
		})
	})

	macSalt, err := randomBytes(rnd, saltLen)
	if err != nil {
		return nil, err
	}
	macKey := pkcs12KDF(sha1.New, kdfMAC, bmp, macSalt, iter, sha1.Size)
	mac := hmac.New(sha1.New, macKey)
	mac.Write(authSafe)
	out := build(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(3)
			addDataContentInfo(b, authSafe)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // MacData
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // DigestInfo
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidSHA1)
						b.AddASN1NULL()
					})
					b.AddASN1OctetString(mac.Sum(nil))
				})
				b.AddASN1OctetString(macSalt)
				b.AddASN1Int64(int64(iter))
			})
		})
	})
	if authSafe == nil || out == nil {
		return nil, errors.New("pkcs12: encode: cannot build the PFX")
	}
	return out, nil
}

// build runs a cryptobyte builder and returns its bytes, or nil on a builder error.
func build(f func(*cryptobyte.Builder)) []byte {
	b := cryptobyte.NewBuilder(nil)
	f(b)
	out, err := b.Bytes()
	if err != nil {
		return nil
	}
	return out
}

func addDataContentInfo(b *cryptobyte.Builder, content []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidData)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(content)
		})
	})
}

func addPBEAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, salt []byte, iter int) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(salt)
			b.AddASN1Int64(int64(iter))
		})
	})
}

// bagAttributesDER encodes the localKeyId and friendlyName attributes, sorted as DER's SET OF asks.
func bagAttributesDER(localKeyID []byte, friendlyName string) [][]byte {
	var attrs [][]byte
	if len(localKeyID) > 0 {
		attrs = append(attrs, build(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidLocalKeyID)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1OctetString(localKeyID) })
			})
		}))
	}
	if friendlyName != "" {
		var bmp []byte
		for _, c := range utf16.Encode([]rune(friendlyName)) {
			bmp = append(bmp, byte(c>>8), byte(c))
		}
		attrs = append(attrs, build(func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidFriendlyName)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(tagBMPString), func(b *cryptobyte.Builder) { b.AddBytes(bmp) })
				})
			})
		}))
	}
	slices.SortFunc(attrs, bytes.Compare)
	return attrs
}

func addAttributes(b *cryptobyte.Builder, attrs [][]byte) {
	if len(attrs) == 0 {
		return
	}
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
}

func randomBytes(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("pkcs12: encode: random salt: %w", err)
	}
	return b, nil
}
