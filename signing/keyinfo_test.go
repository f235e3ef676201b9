package signing

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestSecurityTokenReferenceX509Data: the KeyInfo layout of zeep's Signature plugin (xmlsec fills
// ds:X509Data, zeep moves it into a wsse:SecurityTokenReference, leaving X509IssuerSerial empty)
// names the signer; anything else inside that X509Data is refused.
func TestSecurityTokenReferenceX509Data(t *testing.T) {
	c := newTestCA(t)
	signed := string(c.signWSSE(t, sendMessage, SignOptions{}))
	ki := signed[strings.Index(signed, "<ds:KeyInfo>") : strings.Index(signed, "</ds:KeyInfo>")+len("</ds:KeyInfo>")]
	b64 := func(der []byte) string { return base64.StdEncoding.EncodeToString(der) }
	cert := `<ds:X509Certificate>` + wrap76(b64(c.issued.Certificate.Raw)) + `</ds:X509Certificate>`
	str := func(inner string) []byte {
		return []byte(strings.Replace(signed, ki, "<ds:KeyInfo><wsse:SecurityTokenReference>"+inner+"</wsse:SecurityTokenReference></ds:KeyInfo>", 1))
	}
	other := newTestCA(t).issued.Certificate
	keyID := `<wsse:KeyIdentifier EncodingType="` + EncodingBase64 + `" ValueType="` + ValueTypeX509v3 + `">` + b64(c.issued.Certificate.Raw) + `</wsse:KeyIdentifier>`
	tests := []struct {
		name string
		doc  []byte
		code Code
	}{
		{"zeep: empty X509IssuerSerial, then the certificate", str("\n<ds:X509Data>\n<ds:X509IssuerSerial/>\n" + cert + "\n</ds:X509Data>\n"), ""},
		{"certificate only", str("<ds:X509Data>" + cert + "</ds:X509Data>"), ""},
		{"issuer serial filled in", str("<ds:X509Data>" + cert + "<ds:X509IssuerSerial><ds:X509IssuerName>CN=x</ds:X509IssuerName><ds:X509SerialNumber>1</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>"), ""},
		{"no certificate", str("<ds:X509Data><ds:X509IssuerSerial/></ds:X509Data>"), CodeSigNoCert},
		{"two certificates", str("<ds:X509Data>" + cert + cert + "</ds:X509Data>"), CodeSigNoCert},
		{"two issuer serials", str("<ds:X509Data><ds:X509IssuerSerial/><ds:X509IssuerSerial/>" + cert + "</ds:X509Data>"), CodeSigNoCert},
		{"subject name", str("<ds:X509Data><ds:X509SubjectName>CN=x</ds:X509SubjectName>" + cert + "</ds:X509Data>"), CodeSigNoCert},
		{"X509Data and a KeyIdentifier", str("<ds:X509Data>" + cert + "</ds:X509Data>" + keyID), CodeSigNoCert},
		{"two X509Data", str("<ds:X509Data>" + cert + "</ds:X509Data><ds:X509Data>" + cert + "</ds:X509Data>"), CodeSigNoCert},
		{"not base64", str("<ds:X509Data><ds:X509Certificate>MII!</ds:X509Certificate></ds:X509Data>"), CodeSigNoCert},
		{"empty certificate", str("<ds:X509Data><ds:X509Certificate/></ds:X509Data>"), CodeSigNoCert},
		{"another signer's certificate", str("<ds:X509Data><ds:X509Certificate>" + b64(other.Raw) + "</ds:X509Certificate></ds:X509Data>"), CodeSigInvalid},
		{"X509Data outside the wsse namespace's reference", []byte(strings.Replace(signed, ki, "<ds:KeyInfo><ds:SecurityTokenReference><ds:X509Data>"+cert+"</ds:X509Data></ds:SecurityTokenReference></ds:KeyInfo>", 1)), CodeSigNoCert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := VerifyWSSE(tc.doc, Options{})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !v.Certificate.Equal(c.issued.Certificate) || len(v.Extra) != 0 {
					t.Fatalf("signer %v, extra %d", v.Certificate.Subject, len(v.Extra))
				}
				return
			}
			wantCode(t, err, tc.code)
		})
	}
}
