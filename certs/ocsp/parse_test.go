package ocsp

import (
	"bytes"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	xocsp "golang.org/x/crypto/ocsp"

	"github.com/shep-kz/shep/certs"
)

// reqParts describes a hand-built OCSP request, for the parts CreateRequest never writes.
type reqParts struct {
	version       int64 // written when >= 0
	requestorName bool
	singleExts    bool
	exts          []pkix.Extension
	signature     bool
	hashOID       asn1.ObjectIdentifier // overrides the CertID hash OID
	noNullParams  bool
	noRequests    bool
}

func buildRequest(t *testing.T, id CertID, p reqParts) []byte {
	t.Helper()
	oid, _ := hashOID(id.Hash)
	if p.hashOID != nil {
		oid = p.hashOID
	}
	b := cryptobyte.NewBuilder(nil)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if p.version >= 0 {
				b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Int64(p.version) })
			}
			if p.requestorName {
				b.AddASN1(tagExplicit1, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(1).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte("rp@example.kz")) })
				})
			}
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				if p.noRequests {
					return
				}
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1ObjectIdentifier(oid)
							if !p.noNullParams {
								b.AddASN1NULL()
							}
						})
						b.AddASN1OctetString(id.IssuerNameHash)
						b.AddASN1OctetString(id.IssuerKeyHash)
						b.AddASN1BigInt(id.Serial)
					})
					if p.singleExts {
						b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								addExt(b, pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 7}, Value: []byte{0x30, 0}})
							})
						})
					}
				})
			})
			if p.exts != nil {
				b.AddASN1(tagExplicit2, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						for _, e := range p.exts {
							addExt(b, e)
						}
					})
				})
			}
		})
		if p.signature {
			b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(certs.OIDECDSAWithSHA256) })
					b.AddASN1BitString([]byte{1, 2, 3})
				})
			})
		}
	})
	der, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func addExt(b *cryptobyte.Builder, e pkix.Extension) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(e.Id)
		if e.Critical {
			b.AddASN1Boolean(true)
		}
		b.AddASN1OctetString(e.Value)
	})
}

func TestParseRequestForms(t *testing.T) {
	ca := getPKI(t).ca.cert
	id := mustCertID(t, big.NewInt(0x1234), ca, crypto.SHA256)
	nonce := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	wrapped := append([]byte{0x04, byte(len(nonce))}, nonce...)
	unknownExt := pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: []byte{5, 0}}
	tests := []struct {
		name      string
		der       []byte
		wantNonce []byte
		wantErr   bool
		is        error
	}{
		{name: "minimal", der: buildRequest(t, id, reqParts{version: -1})},
		{name: "explicit v1, requestor name, single extensions, signature", der: buildRequest(t, id, reqParts{version: 0, requestorName: true, singleExts: true, signature: true, exts: []pkix.Extension{{Id: OIDNonce, Value: wrapped}}}), wantNonce: nonce},
		{name: "hash parameters absent", der: buildRequest(t, id, reqParts{version: -1, noNullParams: true})},
		{name: "raw nonce (lenient)", der: buildRequest(t, id, reqParts{version: -1, exts: []pkix.Extension{{Id: OIDNonce, Value: nonce}}}), wantNonce: nonce},
		{name: "critical nonce", der: buildRequest(t, id, reqParts{version: -1, exts: []pkix.Extension{{Id: OIDNonce, Critical: true, Value: wrapped}}}), wantNonce: nonce},
		{name: "non-critical unknown extension", der: buildRequest(t, id, reqParts{version: -1, exts: []pkix.Extension{unknownExt}})},
		{name: "critical unknown extension", der: buildRequest(t, id, reqParts{version: -1, exts: []pkix.Extension{{Id: unknownExt.Id, Critical: true, Value: unknownExt.Value}}}), wantErr: true},
		{name: "duplicate nonce", der: buildRequest(t, id, reqParts{version: -1, exts: []pkix.Extension{{Id: OIDNonce, Value: wrapped}, {Id: OIDNonce, Value: wrapped}}}), wantErr: true},
		{name: "version 2", der: buildRequest(t, id, reqParts{version: 1}), wantErr: true},
		{name: "no requests", der: buildRequest(t, id, reqParts{version: -1, noRequests: true}), wantErr: true},
		{name: "SHA3-256 CertID", der: buildRequest(t, id, reqParts{version: -1, hashOID: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 8}}), wantErr: true, is: certs.ErrUnsupportedAlgorithm},
		{name: "GOST 34.311 CertID", der: buildRequest(t, id, reqParts{version: -1, hashOID: asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 3, 1, 1, 0}}), wantErr: true, is: certs.ErrUnsupportedAlgorithm},
		{name: "SHA-1 OID with SHA-256 hashes", der: buildRequest(t, id, reqParts{version: -1, hashOID: asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}}), wantErr: true},
		{name: "trailing data", der: append(buildRequest(t, id, reqParts{version: -1}), 0), wantErr: true},
		{name: "truncated", der: buildRequest(t, id, reqParts{version: -1})[:40], wantErr: true},
		{name: "empty", der: nil, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := ParseRequest(tc.der)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseRequest succeeded: %+v", req)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Fatalf("error %v, want %v", err, tc.is)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			if len(req.IDs) != 1 || !req.IDs[0].Equal(id) || !bytes.Equal(req.Nonce, tc.wantNonce) {
				t.Fatalf("parsed %+v", req)
			}
		})
	}
}

func TestParseResponseMalformed(t *testing.T) {
	p := getPKI(t)
	serial := big.NewInt(0x99)
	good, err := CreateResponse(p.ca.cert, p.delegate.cert, p.delegate.key, ResponseTemplate{
		Single: SingleResponse{ID: CertID{Hash: crypto.SHA256, Serial: serial}, Reason: -1},
		Nonce:  []byte{1, 2, 3, 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	xresp := func(ext pkix.Extension) []byte {
		der, err := xocsp.CreateResponse(p.ca.cert, p.ca.cert, xocsp.Response{
			Status: xocsp.Good, SerialNumber: serial, IssuerHash: crypto.SHA256,
			ThisUpdate: time.Now(), ExtraExtensions: []pkix.Extension{ext}, // x/crypto puts these in singleExtensions
		}, p.ca.key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sha256OID := []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}
	sha3OID := []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08}
	basicOID := []byte{0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01}
	otherType := []byte{0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x04}
	unknown := asn1.ObjectIdentifier{1, 2, 3, 4}
	tests := []struct {
		name    string
		der     []byte
		wantErr bool
		is      error
	}{
		{name: "generated", der: good},
		{name: "non-critical unknown single extension", der: xresp(pkix.Extension{Id: unknown, Value: []byte{5, 0}})},
		{name: "critical unknown single extension", der: xresp(pkix.Extension{Id: unknown, Critical: true, Value: []byte{5, 0}}), wantErr: true},
		{name: "critical known-but-unhandled single extension", der: xresp(pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 24}, Critical: true, Value: []byte{0x18, 0x0f, '2', '0', '2', '2', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', 'Z'}}), wantErr: true},
		{name: "trailing data", der: append(append([]byte{}, good...), 0x00), wantErr: true},
		{name: "truncated", der: good[:len(good)-1], wantErr: true},
		{name: "empty", der: []byte{}, wantErr: true},
		{name: "undefined status 4", der: []byte{0x30, 0x03, 0x0a, 0x01, 0x04}, wantErr: true},
		{name: "undefined status 7", der: []byte{0x30, 0x03, 0x0a, 0x01, 0x07}, wantErr: true},
		{name: "successful without body", der: []byte{0x30, 0x03, 0x0a, 0x01, 0x00}, wantErr: true},
		{name: "status as INTEGER", der: []byte{0x30, 0x03, 0x02, 0x01, 0x03}, wantErr: true},
		{name: "unsupported CertID hash", der: bytes.Replace(good, sha256OID, sha3OID, 1), wantErr: true, is: certs.ErrUnsupportedAlgorithm},
		{name: "not a basic response", der: bytes.Replace(good, basicOID, otherType, 1), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(tc.der)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseResponse succeeded: %+v", r)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Fatalf("error %v, want %v", err, tc.is)
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if len(r.Responses) != 1 || r.Responses[0].ID.Serial.Cmp(serial) != 0 {
				t.Fatalf("parsed %+v", r)
			}
		})
	}
}
