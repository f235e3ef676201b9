package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/signing"
)

// The sign-in challenge.
const (
	ChallengeNS       = "urn:shep:auth:1.0"
	ChallengeAudience = "shep-cabinet"
	// MaxSignedChallenge bounds the signed challenge LoginSigned reads.
	MaxSignedChallenge = 64 << 10
)

// Challenge is a sign-in challenge for NCALayer to sign with the citizen's AUTH key.
type Challenge struct {
	ID      string    `json:"id"`
	XML     string    `json:"xml"`
	Expires time.Time `json:"expires"`
}

// challengeRec is the stored challenge.
type challengeRec struct {
	Nonce   string    `json:"nonce"`
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`
}

func challengeKey(id string) []byte { return []byte(prefixChallenge + id) }

// NewChallenge issues a single-use challenge, valid for ChallengeTTL:
//
//	<authRequest xmlns="urn:shep:auth:1.0">
//	  <id>32 hex digits</id>
//	  <nonce>base64 of 32 random bytes</nonce>
//	  <issued>RFC 3339, UTC</issued>
//	  <audience>shep-cabinet</audience>
//	</authRequest>
//
// (on one line, without whitespace between the elements). The page has NCALayer sign it as it is
// with the AUTH key (commonUtils signXml with keyType "AUTHENTICATION", or basics sign with format
// "xml" and the clientAuth OID): an enveloped signature of the whole document, Reference URI=""
// (ncalayer.md §1.4). The signed XML goes to LoginSigned.
func (s *Service) NewChallenge(ctx context.Context) (*Challenge, error) {
	if s.o.Validator == nil {
		return nil, ErrCertLoginDisabled
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	idb, nonceb := make([]byte, 16), make([]byte, 32)
	_, _ = rand.Read(idb)
	_, _ = rand.Read(nonceb)
	id, nonce := hex.EncodeToString(idb), base64.StdEncoding.EncodeToString(nonceb)
	rec := &challengeRec{Nonce: nonce, Issued: now, Expires: now.Add(s.o.ChallengeTTL)}
	if err := s.update(ctx, func(txn *badger.Txn) error { return setJSON(txn, challengeKey(id), rec) }); err != nil {
		return nil, fmt.Errorf("accounts: challenge: %w", err)
	}
	xml := fmt.Sprintf(`<authRequest xmlns="%s"><id>%s</id><nonce>%s</nonce><issued>%s</issued><audience>%s</audience></authRequest>`,
		ChallengeNS, id, nonce, now.Format(time.RFC3339), ChallengeAudience)
	return &Challenge{ID: id, XML: xml, Expires: rec.Expires}, nil
}

// LoginSigned signs a citizen in with a challenge of NewChallenge signed with an AUTH key of a
// trusted НУЦ. The signature must cover the whole document (the ds:Signature is a child of the
// root) and verify; id and nonce are read only from what it covers. The challenge must be known,
// unexpired and match; the certificate must be trusted as an AUTH key; its ИИН must be a living
// person of ГБД ФЛ. An account without a password is created when there is none. The challenge
// is deleted in the transaction that creates the session, so it serves once.
func (s *Service) LoginSigned(ctx context.Context, signedXML []byte) (*Session, error) {
	if s.o.Validator == nil {
		return nil, ErrCertLoginDisabled
	}
	lim := signing.Limits{MaxBytes: MaxSignedChallenge, MaxDepth: 16, MaxElements: 256}
	doc, err := signing.Parse(signedXML, lim)
	if err != nil {
		return nil, s.badSignature(ctx, err)
	}
	v, err := signing.VerifyEnvelopedDocument(doc, signing.Options{Limits: lim})
	if err != nil {
		return nil, s.badSignature(ctx, err)
	}
	if !signsRoot(doc.Root()) {
		s.log.InfoContext(ctx, "certificate sign-in refused: the signature does not cover the document")
		return nil, refusal(ErrSignatureInvalid, "Подпись должна охватывать весь запрос на вход, а не его часть")
	}
	id, nonce, err := readChallenge(v.Element)
	if err != nil {
		s.log.InfoContext(ctx, "certificate sign-in refused: not a challenge", "err", err)
		return nil, refusal(ErrChallengeUnknown, "Подписан не запрос на вход, выданный порталом")
	}
	if err := s.checkChallenge(ctx, id, nonce); err != nil {
		return nil, err
	}

	verdict, err := s.o.Validator.Validate(ctx, validate.Request{Cert: v.Certificate, Extra: v.Extra, Usage: validate.UsageAuth})
	if err != nil {
		code := validate.CodeOf(err)
		s.log.InfoContext(ctx, "certificate sign-in refused: certificate", "code", code, "subject", v.Certificate.Subject.CommonName, "err", err)
		if code == validate.CodeWrongKeyUsage {
			return nil, wrapRefusal(ErrCertNotAuth, err)
		}
		if code == "" {
			code = "CERT_INVALID"
		}
		e := refusal(ErrCertRefused, "Сертификат не принят (%s)", code)
		e.Err = err
		return nil, e
	}
	ident := verdict.Identity
	if ident == nil || ident.IIN == "" {
		return nil, refusal(ErrCertRefused, "Сертификат не принят: в нём нет ИИН")
	}
	iin := ident.IIN
	p, err := s.person(ctx, iin)
	if err != nil {
		s.log.InfoContext(ctx, "certificate sign-in refused: person", "iin", iin, "err", err)
		return nil, err
	}

	var sess *Session
	created := false
	err = s.update(ctx, func(txn *badger.Txn) error {
		sess, created = nil, false
		now := s.o.Now()
		if err := matchChallenge(txn, id, nonce, now); err != nil {
			return err
		}
		if err := txn.Delete(challengeKey(id)); err != nil {
			return err
		}
		var acc accountRec
		found, err := getJSON(txn, accountKey(iin), &acc)
		if err != nil {
			return err
		}
		if !found {
			email, _ := normalizeEmail(ident.Email)
			acc = accountRec{IIN: iin, Name: personName(p), Email: email, Created: now.UTC()}
			if err := setJSON(txn, accountKey(iin), &acc); err != nil {
				return err
			}
			created = true
		}
		sess, err = s.createSession(txn, iin, personName(p), MethodCertificate, now)
		return err
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, fmt.Errorf("accounts: certificate sign-in: %w", err)
	}
	if created {
		s.log.InfoContext(ctx, "citizen registered by certificate", "iin", iin)
	}
	s.log.InfoContext(ctx, "citizen signed in", "iin", iin, "method", MethodCertificate, "serial", ident.Serial)
	return sess, nil
}

func (s *Service) badSignature(ctx context.Context, err error) error {
	code := signing.CodeOf(err)
	s.log.InfoContext(ctx, "certificate sign-in refused: signature", "code", code, "err", err)
	if code == "" {
		code = string(signing.CodeSigInvalid)
	}
	e := refusal(ErrSignatureInvalid, "Подпись запроса на вход недействительна (%s)", code)
	e.Err = err
	return e
}

// checkChallenge looks the challenge up before the certificate is checked, so that a replay
// costs nothing; an expired challenge is deleted.
func (s *Service) checkChallenge(ctx context.Context, id, nonce string) error {
	now := s.o.Now()
	err := s.o.DB.View(func(txn *badger.Txn) error { return matchChallenge(txn, id, nonce, now) })
	if errors.Is(err, ErrChallengeExpired) {
		if derr := s.update(ctx, func(txn *badger.Txn) error { return deleteKey(txn, challengeKey(id)) }); derr != nil {
			return fmt.Errorf("accounts: certificate sign-in: %w", derr)
		}
	}
	var e *Error
	if err != nil && !errors.As(err, &e) {
		return fmt.Errorf("accounts: certificate sign-in: %w", err)
	}
	if err != nil {
		s.log.InfoContext(ctx, "certificate sign-in refused: challenge", "code", e.Code)
	}
	return err
}

// matchChallenge checks that challenge id exists, is unexpired at now and has nonce.
func matchChallenge(txn *badger.Txn, id, nonce string, now time.Time) error {
	var rec challengeRec
	found, err := getJSON(txn, challengeKey(id), &rec)
	if err != nil {
		return err
	}
	if !found {
		return ErrChallengeUnknown
	}
	if !now.Before(rec.Expires) {
		return ErrChallengeExpired
	}
	if subtle.ConstantTimeCompare([]byte(nonce), []byte(rec.Nonce)) != 1 {
		return refusal(ErrChallengeUnknown, "Подписанный запрос на вход не совпадает с выданным порталом")
	}
	return nil
}

// signsRoot reports whether the document's root holds the ds:Signature: the only one of the
// document (VerifyEnvelopedDocument checked that), so the signature covers the root.
func signsRoot(root *etree.Element) bool {
	for _, c := range root.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == signing.NSDSig {
			return true
		}
	}
	return false
}

// readChallenge reads id and nonce from a verified authRequest: exactly the children id, nonce,
// issued and audience in this order, in ChallengeNS, text only, the audience ours.
func readChallenge(el *etree.Element) (id, nonce string, err error) {
	if el == nil || el.Tag != "authRequest" || el.NamespaceURI() != ChallengeNS {
		return "", "", errors.New("the signed element is not {" + ChallengeNS + "}authRequest")
	}
	want := []string{"id", "nonce", "issued", "audience"}
	got := map[string]string{}
	i := 0
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return "", "", errors.New("text in authRequest")
			}
		case *etree.Element:
			if i >= len(want) || t.Tag != want[i] || t.NamespaceURI() != ChallengeNS {
				return "", "", fmt.Errorf("unexpected element <%s> in authRequest", t.FullTag())
			}
			txt, err := textOf(t)
			if err != nil {
				return "", "", err
			}
			got[want[i]] = txt
			i++
		}
	}
	if i != len(want) {
		return "", "", errors.New("authRequest lacks " + want[i])
	}
	if got["audience"] != ChallengeAudience {
		return "", "", fmt.Errorf("audience %q is not %q", got["audience"], ChallengeAudience)
	}
	if _, err := time.Parse(time.RFC3339, got["issued"]); err != nil {
		return "", "", fmt.Errorf("issued: %w", err)
	}
	if got["id"] == "" || len(got["id"]) > 64 {
		return "", "", errors.New("bad id")
	}
	return got["id"], got["nonce"], nil
}

// textOf returns the text of an element that holds text only.
func textOf(el *etree.Element) (string, error) {
	var b strings.Builder
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			return "", fmt.Errorf("<%s> holds an element", el.Tag)
		}
	}
	return strings.TrimSpace(b.String()), nil
}
