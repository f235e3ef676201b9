package accounts

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
)

// sign signs xml as NCALayer does, with iss's key.
func sign(t *testing.T, xml string, iss *ca.Issued) []byte {
	t.Helper()
	b, err := signing.SignEnveloped([]byte(xml), iss.Key, iss.Certificate, signing.SignOptions{NCALayer: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stripDecl removes an XML declaration, to embed a signed document in another.
func stripDecl(b []byte) string {
	s := string(b)
	if strings.HasPrefix(s, "<?xml") {
		s = s[strings.Index(s, "?>")+2:]
	}
	return strings.TrimSpace(s)
}

func TestCertificateLogin(t *testing.T) {
	var p *pki
	e := newEnv(t, func(o *Options) { p = newPKI(t, o.Now); o.Validator = p.val })
	auth := p.issue(t, iinIvanova, ca.UsageAuth)
	signKey := p.issue(t, iinIvanova, ca.UsageSign)
	strangerAuth := p.issue(t, iinAkhmetova, ca.UsageAuth)
	deceasedAuth := p.issue(t, iinDeceased, ca.UsageAuth)
	expiredAuth := testpki.Issue(t, p.a, ca.IssueRequest{Kind: ca.KindIndividual, Usage: ca.UsageAuth, IIN: iinZhumabek,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})

	challenge := func(t *testing.T) *Challenge {
		t.Helper()
		r := e.call(t, http.MethodGet, "/api/cabinet/login/challenge", nil, nil)
		if r.status != http.StatusOK {
			t.Fatalf("challenge: %d %s", r.status, r.body)
		}
		var c Challenge
		r.decode(t, &c)
		return &c
	}
	submit := func(t *testing.T, doc []byte) reply {
		t.Helper()
		return e.call(t, http.MethodPost, "/api/cabinet/login/certificate", doc, nil)
	}

	cases := []struct {
		name     string
		doc      func(t *testing.T) []byte
		wantCode string
		wantIn   string // in the message
	}{
		{"AUTH certificate", func(t *testing.T) []byte { return sign(t, challenge(t).XML, auth) }, "", ""},
		{"SIGN certificate", func(t *testing.T) []byte { return sign(t, challenge(t).XML, signKey) }, "CERT_NOT_AUTH", ""},
		{"expired certificate", func(t *testing.T) []byte { return sign(t, challenge(t).XML, expiredAuth) }, "CERT_REFUSED", "CERT_EXPIRED"},
		{"ИИН not in ГБД ФЛ", func(t *testing.T) []byte { return sign(t, challenge(t).XML, strangerAuth) }, "PERSON_NOT_FOUND", ""},
		{"deceased", func(t *testing.T) []byte { return sign(t, challenge(t).XML, deceasedAuth) }, "PERSON_NOT_FOUND", ""},
		{"unsigned", func(t *testing.T) []byte { return []byte(challenge(t).XML) }, "SIGNATURE_INVALID", "SIG_MISSING"},
		{"not XML", func(t *testing.T) []byte { return []byte("{}") }, "SIGNATURE_INVALID", ""},
		{"unknown challenge", func(t *testing.T) []byte {
			c := challenge(t)
			return sign(t, strings.Replace(c.XML, c.ID, strings.Repeat("0", 32), 1), auth)
		}, "CHALLENGE_UNKNOWN", ""},
		{"tampered nonce", func(t *testing.T) []byte {
			c := challenge(t)
			signed := sign(t, c.XML, auth)
			nonce := between(c.XML, "<nonce>", "</nonce>")
			return bytes.Replace(signed, []byte(nonce), []byte(otherNonce(t)), 1)
		}, "SIGNATURE_INVALID", "SIG_DIGEST_MISMATCH"},
		{"validly signed, but another nonce", func(t *testing.T) []byte {
			c := challenge(t)
			return sign(t, strings.Replace(c.XML, between(c.XML, "<nonce>", "</nonce>"), otherNonce(t), 1), auth)
		}, "CHALLENGE_UNKNOWN", ""},
		{"another audience", func(t *testing.T) []byte {
			return sign(t, strings.Replace(challenge(t).XML, ChallengeAudience, "other-portal", 1), auth)
		}, "CHALLENGE_UNKNOWN", ""},
		{"another namespace", func(t *testing.T) []byte {
			return sign(t, strings.Replace(challenge(t).XML, ChallengeNS, "urn:other", 1), auth)
		}, "CHALLENGE_UNKNOWN", ""},
		{"a second, unsigned authRequest beside the signed one", func(t *testing.T) []byte {
			// The signature covers a (valid, unused) challenge A with an Id; the root is an
			// unsigned authRequest carrying challenge B.
			a, b := challenge(t), challenge(t)
			signedA := sign(t, strings.Replace(a.XML, "<authRequest ", `<authRequest Id="signed" `, 1), auth)
			return []byte(strings.Replace(b.XML, "</authRequest>", stripDecl(signedA)+"</authRequest>", 1))
		}, "SIGNATURE_INVALID", ""},
		{"the signed authRequest wrapped with an unsigned one", func(t *testing.T) []byte {
			a, b := challenge(t), challenge(t)
			signedA := sign(t, strings.Replace(a.XML, "<authRequest ", `<authRequest Id="signed" `, 1), auth)
			return []byte("<wrapper>" + b.XML + stripDecl(signedA) + "</wrapper>")
		}, "SIGNATURE_INVALID", ""},
		{"an unsigned authRequest inserted into the signed one", func(t *testing.T) []byte {
			a, b := challenge(t), challenge(t)
			signedA := sign(t, a.XML, auth)
			return bytes.Replace(signedA, []byte("<ds:Signature"), []byte(b.XML+"<ds:Signature"), 1)
		}, "SIGNATURE_INVALID", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := submit(t, c.doc(t))
			if r.code() != c.wantCode || (c.wantCode == "") != (r.status == http.StatusOK) {
				t.Fatalf("%d %s, want %q", r.status, r.body, c.wantCode)
			}
			if !strings.Contains(string(r.body), c.wantIn) {
				t.Errorf("%s does not mention %s", r.body, c.wantIn)
			}
			if c.wantCode != "" {
				if r.cookie(CookieName) != nil {
					t.Error("a refusal set the cookie")
				}
				return
			}
			var s Session
			r.decode(t, &s)
			if s.IIN != iinIvanova || s.Method != MethodCertificate || s.Token == "" || r.cookie(CookieName) == nil {
				t.Errorf("session %+v", s)
			}
			if me := e.call(t, http.MethodGet, "/api/cabinet/me", nil, bearer(s.Token)); me.status != http.StatusOK {
				t.Errorf("me: %d %s", me.status, me.body)
			}
		})
	}

	// The certificate sign-in created an account without a password: the password sign-in
	// refuses it like an unknown ИИН, and registering it with a password is refused too.
	acc, err := e.svc.Account(context.Background(), iinIvanova)
	if err != nil || acc.HasPassword || acc.Name != "ИВАНОВА АЙГУЛЬ СЕРИКОВНА" {
		t.Fatalf("account %+v, %v", acc, err)
	}
	if _, err := e.svc.Login(context.Background(), iinIvanova, ""); !errors.Is(err, ErrAuthRefused) {
		t.Errorf("password sign-in of a certificate account: %v", err)
	}
	if _, err := e.svc.Register(context.Background(), Registration{IIN: iinIvanova, Password: goodPassword}); !errors.Is(err, ErrAlreadyRegistered) {
		t.Errorf("register over a certificate account: %v", err)
	}
	// No refused attempt created an account.
	for _, iin := range []string{iinAkhmetova, iinDeceased, iinZhumabek} {
		if _, err := e.svc.Account(context.Background(), iin); !errors.Is(err, ErrAccountNotFound) {
			t.Errorf("account %s: %v", iin, err)
		}
	}

	t.Run("replay", func(t *testing.T) {
		doc := sign(t, challenge(t).XML, auth)
		if r := submit(t, doc); r.status != http.StatusOK {
			t.Fatalf("first: %d %s", r.status, r.body)
		}
		if r := submit(t, doc); r.code() != "CHALLENGE_UNKNOWN" {
			t.Fatalf("replay: %d %s", r.status, r.body)
		}
	})
	t.Run("refused attempt leaves the challenge usable", func(t *testing.T) {
		c := challenge(t)
		if r := submit(t, sign(t, c.XML, signKey)); r.code() != "CERT_NOT_AUTH" {
			t.Fatalf("SIGN key: %d %s", r.status, r.body)
		}
		if r := submit(t, sign(t, c.XML, auth)); r.status != http.StatusOK {
			t.Fatalf("then AUTH key: %d %s", r.status, r.body)
		}
	})
	t.Run("expired challenge", func(t *testing.T) {
		c := challenge(t)
		doc := sign(t, c.XML, auth)
		if want := e.clock.Now().Add(5 * time.Minute); !c.Expires.Equal(want) {
			t.Errorf("expires %v, want %v", c.Expires, want)
		}
		e.clock.Advance(5 * time.Minute)
		if r := submit(t, doc); r.code() != "CHALLENGE_EXPIRED" {
			t.Fatalf("expired: %d %s", r.status, r.body)
		}
		if r := submit(t, doc); r.code() != "CHALLENGE_UNKNOWN" { // deleted
			t.Fatalf("again: %d %s", r.status, r.body)
		}
	})
	t.Run("JSON body", func(t *testing.T) {
		doc := sign(t, challenge(t).XML, auth)
		r := e.call(t, http.MethodPost, "/api/cabinet/login/certificate", map[string]string{"xml": string(doc)}, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

// TestCertificateLoginConcurrentReplay submits one signed challenge at once many times: exactly
// one sign-in succeeds.
func TestCertificateLoginConcurrentReplay(t *testing.T) {
	var p *pki
	e := newEnv(t, func(o *Options) { p = newPKI(t, o.Now); o.Validator = p.val })
	auth := p.issue(t, iinIvanova, ca.UsageAuth)
	c, err := e.svc.NewChallenge(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	doc := sign(t, c.XML, auth)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = e.svc.LoginSigned(context.Background(), doc) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrChallengeUnknown):
			t.Errorf("unexpected refusal: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d sign-ins succeeded, want 1", ok)
	}
}

func TestCertificateLoginDisabled(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.call(t, http.MethodGet, "/api/cabinet/login/challenge", nil, nil); r.code() != "CERT_LOGIN_DISABLED" {
		t.Errorf("challenge: %d %s", r.status, r.body)
	}
	if r := e.call(t, http.MethodPost, "/api/cabinet/login/certificate", []byte("<x/>"), nil); r.code() != "CERT_LOGIN_DISABLED" {
		t.Errorf("certificate: %d %s", r.status, r.body)
	}
}

func TestChallengeShape(t *testing.T) {
	var p *pki
	e := newEnv(t, func(o *Options) { p = newPKI(t, o.Now); o.Validator = p.val })
	c, err := e.svc.NewChallenge(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := base64.StdEncoding.DecodeString(between(c.XML, "<nonce>", "</nonce>"))
	if err != nil || len(nonce) != 32 {
		t.Errorf("nonce %x, %v", nonce, err)
	}
	want := `<authRequest xmlns="urn:shep:auth:1.0"><id>` + c.ID + `</id><nonce>` + base64.StdEncoding.EncodeToString(nonce) +
		`</nonce><issued>` + e.clock.Now().UTC().Format(time.RFC3339) + `</issued><audience>shep-cabinet</audience></authRequest>`
	if c.XML != want {
		t.Errorf("challenge\n%s\nwant\n%s", c.XML, want)
	}
	c2, err := e.svc.NewChallenge(context.Background())
	if err != nil || c2.ID == c.ID || between(c2.XML, "<nonce>", "</nonce>") == between(c.XML, "<nonce>", "</nonce>") {
		t.Errorf("second challenge %+v, %v", c2, err)
	}
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

func otherNonce(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
