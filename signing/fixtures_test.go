package signing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/signing/c14n"
)

// The real fixtures behave as shared/fixtures/real/README.md says.

func TestFixtureWSSERSA(t *testing.T) {
	b := fixtures.Read(t, "wsse-rsa-sendmessage-gbdfl.xml")
	v, err := VerifyWSSE(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !is(v.Element, NSSOAP11, "Body") || v.Layout != WSSecurity {
		t.Fatalf("signed element <%s>, layout %v", v.Element.FullTag(), v.Layout)
	}
	if iin := descendant(v.Element, "iin"); iin == nil || iin.Text() != "931002451325" {
		t.Fatalf("iin not read from the verified Body")
	}
	// Element is a re-parse of exactly the digested bytes, detached from the input tree.
	if again, err := c14n.Canonicalize(v.Element, c14n.Options{Method: c14n.Method{Exclusive: true}}); err != nil || string(again) != string(v.Signed) || v.Element.Parent().Parent() != nil {
		t.Fatalf("Element is not the re-parse of Signed: %v", err)
	}
	if CodeOf(nil) != "" || CodeOf(errors.New("x")) != "" {
		t.Fatal("CodeOf of a foreign error")
	}
	if v.Certificate.Subject.SerialNumber != "IIN123456789011" || v.SignatureMethod != RSASHA256 ||
		v.DigestMethod != DigestSHA256 || v.Canonicalization != NSExcC14N {
		t.Fatalf("%s %s %s %s", v.Certificate.Subject.SerialNumber, v.SignatureMethod, v.DigestMethod, v.Canonicalization)
	}

	c := fixtureChecker(t)
	ctx := context.Background()
	res, err := c.CheckWSSE(ctx, b, at2021)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict.Identity.IIN != "123456789011" {
		t.Fatalf("identity %q", res.Verdict.Identity.IIN)
	}
	if iin := descendant(res.Element, "iin"); iin == nil || iin.Text() != "931002451325" {
		t.Fatal("Result.Element is not the signed Body")
	}

	_, err = c.CheckWSSE(ctx, b, time.Now())
	var ve *validate.Error
	if !errors.As(err, &ve) || ve.Code != validate.CodeExpired || CodeOf(err) != string(validate.CodeExpired) {
		t.Fatalf("checked today: %v, want %s", err, validate.CodeExpired)
	}
}

func TestFixtureWSSERSATampered(t *testing.T) {
	b := fixtures.Read(t, "wsse-rsa-sendmessage-gbdfl.xml")
	tests := []struct {
		name, old, new string
		code           Code
	}{
		{"iin", "<iin>931002451325</iin>", "<iin>931002451326</iin>", CodeSigDigestMismatch},
		{"serviceId", "GBDFL_UniversalServiceSync<", "GBDFL_UniversalServiceSynd<", CodeSigDigestMismatch},
		{"password", "<password>123</password>", "<password>124</password>", CodeSigDigestMismatch},
		{"whitespace in the Body", "<request><requestInfo>", "<request> <requestInfo>", CodeSigDigestMismatch},
		{"element added", "<iin>", "<extra/><iin>", CodeSigDigestMismatch},
		{"attribute added", "<ns3:SendMessage ", `<ns3:SendMessage a="1" `, CodeSigDigestMismatch},
		{"namespace changed", `xmlns:ns3="http://bip.bee.kz/SyncChannel/v10/Types"`, `xmlns:ns3="http://bip.bee.kz/SyncChannel/v11/Types"`, CodeSigDigestMismatch},
		{"xsi:type changed", `xsi:type="cs:Request"`, `xsi:type="cs:Requesu"`, CodeSigDigestMismatch},
		{"DigestValue", "eqb07lP5", "eqb07lP6", CodeSigInvalid},
		{"SignatureValue", "UtsuKUTv", "UtsuKUTw", CodeSigInvalid},
		{"SignedInfo", `<ds:Reference URI`, `<ds:Reference Type="x" URI`, CodeSigInvalid},
		{"Reference URI", `URI="#id-0ace83d4`, `URI="#id-1ace83d4`, CodeSigInvalid},
		{"Body ID", `wsu:Id="id-0ace83d4`, `wsu:Id="id-1ace83d4`, CodeSigReference},
		{"certificate key", "maK+pHxaV71IlHAB", "maK+pHxaV71IlHAC", CodeSigInvalid},
		{"certificate not base64", "MIIF+zCCA+OgAwIBAgIUQnk5", "MIIF+zCCA+OgAwIBAgIUQnk!", CodeSigNoCert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyWSSE(replaceOnce(t, b, tc.old, tc.new), Options{})
			wantCode(t, err, tc.code)
		})
	}
	// The signature holds for a certificate with another serial and the same key, but that
	// certificate is refused: its issuer's signature no longer verifies.
	forged := replaceOnce(t, b, "MIIF+zCCA+OgAwIBAgIUQnk5", "MIIF+zCCA+OgAwIBAgIUQnk6")
	if _, err := VerifyWSSE(forged, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := fixtureChecker(t).CheckWSSE(context.Background(), forged, at2021)
	if CodeOf(err) != string(validate.CodeBrokenChain) {
		t.Fatalf("forged certificate: %v", err)
	}
	// A comment is no signed content of a same-document reference.
	if _, err := VerifyWSSE(replaceOnce(t, b, "<iin>", "<!-- c --><iin>"), Options{}); err != nil {
		t.Errorf("comment in the Body: %v", err)
	}
}

func TestFixtureEnvelopedNCALayer(t *testing.T) {
	b := fixtures.Read(t, "enveloped-rsa-ncalayer-layout.xml")
	v, err := VerifyEnveloped(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(v.Signed) != "<a><b>test</b></a>" || v.Layout != Enveloped {
		t.Fatalf("signed %s", v.Signed)
	}
	c := fixtureChecker(t)
	res, err := c.CheckEnveloped(context.Background(), b, at2021)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict.Identity.IIN != "123456789011" {
		t.Fatalf("identity %q", res.Verdict.Identity.IIN)
	}
	for _, tc := range []struct {
		name, old, new string
		code           Code // "" when it still verifies
	}{
		{"b changed", "<b>test</b>", "<b>tesT</b>", CodeSigDigestMismatch},
		{"b renamed", "<b>test</b>", "<c>test</c>", CodeSigDigestMismatch},
		{"element added", "<b>test</b>", "<b>test</b><b/>", CodeSigDigestMismatch},
		{"comment inserted", "<b>test</b>", "<b>te<!-- inserted -->st</b><!-- another -->", ""},
		{"content after the Signature", "</ds:Signature></a>", "</ds:Signature>x</a>", CodeSigDigestMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.CheckEnveloped(context.Background(), replaceOnce(t, b, tc.old, tc.new), at2021)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(res.Signed), "<!--") || len(res.Element.ChildElements()) != 1 {
					t.Fatalf("comments in the signed content: %s", res.Signed)
				}
				return
			}
			wantCode(t, err, tc.code)
		})
	}
}

func TestFixtureTwoSigners(t *testing.T) {
	b := fixtures.Read(t, "gost/enveloped-rsa-then-gost2015-two-signers.xml")
	_, err := VerifyEnveloped(b, Options{})
	wantCode(t, err, CodeSigMultiple)

	rs, err := VerifyEnvelopedAll(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("%d results", len(rs))
	}
	if rs[0].Err != nil || string(rs[0].Verified.Signed) != "<a><b>test</b></a>" {
		t.Fatalf("first (RSA) signature: %v", rs[0].Err)
	}
	if rs[1].Err != nil || rs[1].Verified.SignatureMethod != GOST2015With512 {
		t.Fatalf("second (GOST) signature: %v", rs[1].Err)
	}

	// With only the RSA PKI trusted, the GOST signer is refused as untrusted, and reported.
	checked, err := fixtureChecker(t).CheckEnvelopedAll(context.Background(), b, at2021)
	if err != nil {
		t.Fatal(err)
	}
	if checked[0].Err != nil || checked[0].Result.Verdict.Identity.IIN != "123456789011" {
		t.Fatalf("first signer: %v", checked[0].Err)
	}
	if CodeOf(checked[1].Err) == "" {
		t.Fatal("second signer accepted under the RSA anchor")
	}
	var e *Error
	if !errors.As(checked[1].Err, &e) || e.Identity == nil || e.Identity.IIN != "123456789012" {
		t.Fatalf("second signer not reported: %v", checked[1].Err)
	}

	// The GOST signature covers the RSA one: the first stays valid only while the document up
	// to it is unchanged.
	rs, err = VerifyEnvelopedAll(replaceOnce(t, b, "<b>test</b>", "<b>tesT</b>"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, rs[0].Err, CodeSigDigestMismatch)
}
