// Package accounts keeps the citizens of the личный кабинет: registration and sign-in with ИИН
// and password or an AUTH certificate, and sessions.
//
// Everything lives in the shared badger store under the key prefix 'h':
//
//	h\x00 + ИИН                accounts (JSON; the password only as an scrypt hash)
//	h\x01 + SHA-256(token)     sessions (the token itself is never stored)
//	h\x02 + challenge id       challenges for the certificate sign-in (single use)
//	h\x03 + ИИН                failed password sign-ins (temporary lockout)
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/store"
)

// Persons finds persons in ГБД ФЛ (gbdfl.Registry: *gbdfl.Memory, *gbdfl.Store).
type Persons interface {
	Person(ctx context.Context, iin string) (*gbdfl.Person, bool, error)
}

// CertValidator decides whether a certificate is trusted (*validate.Validator).
type CertValidator interface {
	Validate(ctx context.Context, req validate.Request) (*validate.Verdict, error)
}

// Options configure a Service.
type Options struct {
	DB      *store.DB // required
	Persons Persons   // required: who may register (alive and present in ГБД ФЛ)
	// Validator decides on the certificates of the certificate sign-in; nil disables it
	// (ErrCertLoginDisabled).
	Validator CertValidator
	// Identity says how ИИН are read (TestIdentities accepts НУЦ test identities such as
	// 123456789011) in registration and password sign-in. The certificate sign-in takes the ИИН
	// the Validator's own options accepted.
	Identity certs.ParseOptions

	IdleTimeout  time.Duration // default 20m: a session ends after this long without use
	MaxLifetime  time.Duration // default 8h: and never lives longer
	ChallengeTTL time.Duration // default 5m
	ScryptN      int           // default 1<<15 (r=8, p=1); tests may use 1<<10
	MaxFailures  int           // default 5 failed password sign-ins within LockFor …
	LockFor      time.Duration // … lock the password sign-in of that ИИН for LockFor (default 15m)

	Now    func() time.Time // default time.Now
	Logger *slog.Logger
}

// Service keeps the accounts and sessions. It is safe for concurrent use.
type Service struct {
	o     Options
	log   *slog.Logger
	dummy string // a hash to check against when the ИИН has no password, so that timing tells nothing
}

// Key prefixes (the package owns 'h').
const (
	prefixAccount   = "h\x00"
	prefixSession   = "h\x01"
	prefixChallenge = "h\x02"
	prefixFailures  = "h\x03"
)

// Session refresh: the idle expiry slides on every use, but is written at most this often.
const touchEvery = time.Minute

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.DB == nil {
		return nil, errors.New("accounts: Options.DB is required")
	}
	if o.Persons == nil {
		return nil, errors.New("accounts: Options.Persons is required")
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 20 * time.Minute
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = 8 * time.Hour
	}
	if o.ChallengeTTL <= 0 {
		o.ChallengeTTL = 5 * time.Minute
	}
	if o.ScryptN == 0 {
		o.ScryptN = 1 << 15
	}
	if o.ScryptN < 2 || o.ScryptN&(o.ScryptN-1) != 0 || o.ScryptN > maxScryptN {
		return nil, fmt.Errorf("accounts: ScryptN %d: want a power of two up to %d", o.ScryptN, maxScryptN)
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.LockFor <= 0 {
		o.LockFor = 15 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dummy, err := hashPassword(rand.Text(), o.ScryptN)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return &Service{o: o, log: o.Logger, dummy: dummy}, nil
}

// Account is a registered citizen. HasPassword is false for an account created by a
// certificate sign-in.
type Account struct {
	IIN         string    `json:"iin"`
	Name        string    `json:"name"`
	Phone       string    `json:"phone,omitempty"`
	Email       string    `json:"email,omitempty"`
	Created     time.Time `json:"created"`
	HasPassword bool      `json:"has_password"`
}

// Registration is what a citizen gives to register. Phone and Email are optional.
type Registration struct {
	IIN      string `json:"iin"`
	Password string `json:"password"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
}

// accountRec is the stored account.
type accountRec struct {
	IIN      string    `json:"iin"`
	Name     string    `json:"name"`
	Phone    string    `json:"phone,omitempty"`
	Email    string    `json:"email,omitempty"`
	Created  time.Time `json:"created"`
	Password string    `json:"password,omitempty"` // scrypt$N$r$p$salt$hash
}

func (a *accountRec) public() *Account {
	return &Account{IIN: a.IIN, Name: a.Name, Phone: a.Phone, Email: a.Email, Created: a.Created, HasPassword: a.Password != ""}
}

// failuresRec counts failed password sign-ins of one ИИН.
type failuresRec struct {
	Count       int       `json:"count"`
	First       time.Time `json:"first"` // of the failures counted
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

func accountKey(iin string) []byte  { return []byte(prefixAccount + iin) }
func failuresKey(iin string) []byte { return []byte(prefixFailures + iin) }

// personName is the full name of a ГБД ФЛ record.
func personName(p *gbdfl.Person) string {
	return strings.Join(strings.Fields(p.Surname+" "+p.Name+" "+p.Patronymic), " ")
}

// person returns the living person iin from ГБД ФЛ, ErrPersonNotFound, or ErrRegistryUnavailable.
func (s *Service) person(ctx context.Context, iin string) (*gbdfl.Person, error) {
	p, ok, err := s.o.Persons.Person(ctx, iin)
	if err != nil {
		s.log.WarnContext(ctx, "ГБД ФЛ lookup failed", "err", err)
		return nil, wrapRefusal(ErrRegistryUnavailable, err)
	}
	if !ok || p == nil || p.Deceased {
		return nil, ErrPersonNotFound
	}
	return p, nil
}

// Register creates the account of a living person of ГБД ФЛ with a password.
func (s *Service) Register(ctx context.Context, r Registration) (*Account, error) {
	if _, err := certs.ParseIIN(r.IIN, s.o.Identity); err != nil {
		return nil, ErrIINInvalid
	}
	if err := checkPassword(r.Password, r.IIN); err != nil {
		return nil, err
	}
	phone, err := normalizePhone(r.Phone)
	if err != nil {
		return nil, err
	}
	email, err := normalizeEmail(r.Email)
	if err != nil {
		return nil, err
	}
	p, err := s.person(ctx, r.IIN)
	if err != nil {
		return nil, err
	}
	hash, err := hashPassword(r.Password, s.o.ScryptN)
	if err != nil {
		return nil, fmt.Errorf("accounts: register: %w", err)
	}
	rec := &accountRec{IIN: r.IIN, Name: personName(p), Phone: phone, Email: email, Created: s.o.Now().UTC(), Password: hash}
	err = s.update(ctx, func(txn *badger.Txn) error {
		var old accountRec
		found, err := getJSON(txn, accountKey(r.IIN), &old)
		if err != nil {
			return err
		}
		if found {
			return ErrAlreadyRegistered
		}
		return setJSON(txn, accountKey(r.IIN), rec)
	})
	if err != nil {
		if errors.Is(err, ErrAlreadyRegistered) {
			return nil, err
		}
		return nil, fmt.Errorf("accounts: register: %w", err)
	}
	s.log.InfoContext(ctx, "citizen registered", "iin", r.IIN)
	return rec.public(), nil
}

// Account returns the account of iin, or ErrAccountNotFound.
func (s *Service) Account(ctx context.Context, iin string) (*Account, error) {
	var rec accountRec
	var found bool
	err := s.o.DB.View(func(txn *badger.Txn) error {
		var err error
		found, err = getJSON(txn, accountKey(iin), &rec)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: account: %w", err)
	}
	if !found {
		return nil, ErrAccountNotFound
	}
	return rec.public(), nil
}

// Login signs a citizen in with ИИН and password. An unknown ИИН and a wrong password are the
// same ErrAuthRefused, found in the same time; after MaxFailures failures within LockFor the
// ИИН is locked for LockFor (ErrAccountLocked, the right password included).
func (s *Service) Login(ctx context.Context, iin, password string) (*Session, error) {
	if _, err := certs.ParseIIN(iin, s.o.Identity); err != nil {
		return nil, ErrIINInvalid
	}
	now := s.o.Now()
	var acc accountRec
	var found bool
	var fails failuresRec
	err := s.o.DB.View(func(txn *badger.Txn) error {
		if _, err := getJSON(txn, failuresKey(iin), &fails); err != nil {
			return err
		}
		var err error
		found, err = getJSON(txn, accountKey(iin), &acc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: login: %w", err)
	}
	if now.Before(fails.LockedUntil) {
		s.log.InfoContext(ctx, "password sign-in refused: locked", "iin", iin, "until", fails.LockedUntil)
		return nil, lockedUntil(fails.LockedUntil)
	}
	good := false
	if found && acc.Password != "" {
		good = verifyPassword(acc.Password, password)
	} else {
		verifyPassword(s.dummy, password) // the same work as for a registered ИИН
	}
	if !good {
		return nil, s.failed(ctx, iin, now)
	}
	p, err := s.person(ctx, iin)
	if err != nil {
		s.log.InfoContext(ctx, "password sign-in refused: person", "iin", iin, "err", err)
		return nil, err
	}
	var sess *Session
	err = s.update(ctx, func(txn *badger.Txn) error {
		var f failuresRec
		if _, err := getJSON(txn, failuresKey(iin), &f); err != nil {
			return err
		}
		if now.Before(f.LockedUntil) {
			return lockedUntil(f.LockedUntil)
		}
		if err := deleteKey(txn, failuresKey(iin)); err != nil {
			return err
		}
		var err error
		sess, err = s.createSession(txn, iin, personName(p), MethodPassword, now)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrAccountLocked) {
			return nil, err
		}
		return nil, fmt.Errorf("accounts: login: %w", err)
	}
	s.log.InfoContext(ctx, "citizen signed in", "iin", iin, "method", MethodPassword)
	return sess, nil
}

// failed records a failed password sign-in of iin and returns the refusal: ErrAuthRefused, or
// ErrAccountLocked when this failure reaches MaxFailures. Unknown ИИН are counted too, so that
// the lockout does not tell which ИИН are registered.
func (s *Service) failed(ctx context.Context, iin string, now time.Time) error {
	var refusal error
	err := s.update(ctx, func(txn *badger.Txn) error {
		var f failuresRec
		if _, err := getJSON(txn, failuresKey(iin), &f); err != nil {
			return err
		}
		if now.Before(f.LockedUntil) {
			refusal = lockedUntil(f.LockedUntil)
			return nil
		}
		if f.Count == 0 || now.Sub(f.First) >= s.o.LockFor {
			f = failuresRec{First: now}
		}
		f.Count++
		refusal = ErrAuthRefused
		if f.Count >= s.o.MaxFailures {
			f = failuresRec{LockedUntil: now.Add(s.o.LockFor)}
			refusal = lockedUntil(f.LockedUntil)
		}
		return setJSON(txn, failuresKey(iin), &f)
	})
	if err != nil {
		return fmt.Errorf("accounts: login: %w", err)
	}
	if errors.Is(refusal, ErrAccountLocked) {
		s.log.WarnContext(ctx, "password sign-in locked after failures", "iin", iin, "failures", s.o.MaxFailures)
	} else {
		s.log.InfoContext(ctx, "password sign-in refused", "iin", iin)
	}
	return refusal
}

// update runs fn in a read-write transaction, again when it conflicts with a concurrent one; fn
// must set its results afresh on every run.
func (s *Service) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.o.DB.Update(fn)
		if errors.Is(err, badger.ErrConflict) && i < 20 {
			continue
		}
		return err
	}
}

func getJSON(txn *badger.Txn, key []byte, v any) (bool, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, v) }); err != nil {
		return false, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

func setJSON(txn *badger.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(key, b)
}

func deleteKey(txn *badger.Txn, key []byte) error {
	err := txn.Delete(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	return err
}

// randomToken returns n random bytes, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
