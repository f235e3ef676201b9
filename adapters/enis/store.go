package enis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/store"
)

// Errors of the registry; test with errors.Is.
var (
	// ErrNotFound means no power of attorney has the number (or none covers a lookup).
	ErrNotFound = errors.New("not found")
	// ErrInvalid means a record or an import was refused; the message says why and where.
	ErrInvalid = errors.New("invalid")
)

// Keys in the shared store:
//
//	n\x00 number                                  → the power of attorney as JSON
//	n\x01 principal \x00 representative \x00 number → "" (the lookup index, kept by Put and Delete)
const (
	prefixPower = "n\x00"
	prefixPair  = "n\x01"
)

const (
	maxText     = 512
	maxServices = 64
	txnBytes    = 512 << 10
)

func powerKey(number string) []byte { return []byte(prefixPower + number) }

func pairPrefix(principal, representative string) []byte {
	return []byte(prefixPair + principal + "\x00" + representative + "\x00")
}

func pairKey(p *PowerOfAttorney) []byte {
	return append(pairPrefix(p.Principal, p.Representative), p.Number...)
}

// Validate checks p: a number (up to 128 bytes, no '/', control characters or surrounding
// spaces), principal and representative valid and different ИИН, From set and Until after it, at
// least one service (each without spaces, ',' or ';'), and RevokedAt only when Revoked. The error
// wraps ErrInvalid and lists every problem.
func Validate(p *PowerOfAttorney) error {
	if p == nil {
		return fmt.Errorf("%w: no power of attorney", ErrInvalid)
	}
	var probs []string
	bad := func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) }
	switch n := p.Number; {
	case n == "":
		bad("number is required")
	case len(n) > 128 || !utf8.ValidString(n) || strings.TrimSpace(n) != n ||
		strings.ContainsFunc(n, func(r rune) bool { return r < ' ' || r == 0x7f || r == '/' }):
		bad("number %q: want up to 128 bytes of UTF-8 without '/', control characters or surrounding spaces", n)
	}
	for _, f := range []struct{ name, v string }{{"principal", p.Principal}, {"representative", p.Representative}} {
		if _, err := certs.ParseIIN(f.v, certs.ParseOptions{}); err != nil {
			bad("%s: %v", f.name, err)
		}
	}
	if p.Principal != "" && p.Principal == p.Representative {
		bad("principal and representative are the same person")
	}
	switch {
	case p.From.IsZero():
		bad("from is required")
	case !p.Until.After(p.From):
		bad("until %s is not after from %s", p.Until.Format(time.RFC3339), p.From.Format(time.RFC3339))
	}
	if len(p.Services) == 0 {
		bad("at least one service is required (\"*\" for every service)")
	}
	if len(p.Services) > maxServices {
		bad("%d services, at most %d", len(p.Services), maxServices)
	}
	for i, s := range p.Services {
		if s == "" || len(s) > 128 || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == ',' || r == ';' || r == 0x7f }) {
			bad("services[%d] %q: want a serviceId without spaces, ',' or ';'", i, s)
		}
	}
	if len(p.Notary) > maxText || !utf8.ValidString(p.Notary) {
		bad("notary: longer than %d bytes or not UTF-8", maxText)
	}
	if !p.Revoked && !p.RevokedAt.IsZero() {
		bad("revoked_at set but revoked is false")
	}
	if len(probs) > 0 {
		return fmt.Errorf("%w: power of attorney %q: %s", ErrInvalid, p.Number, strings.Join(probs, "; "))
	}
	return nil
}

// Store is ЕНИС kept in the shared badger store. It is safe for concurrent use.
type Store struct {
	db *store.DB
}

// NewStore returns the registry kept in db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

var _ Registry = (*Store)(nil)

func update(db *store.DB, fn func(txn *badger.Txn) error) error {
	for try := 0; ; try++ {
		err := db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || try == 4 {
			return err
		}
	}
}

func getPower(txn *badger.Txn, number string) (*PowerOfAttorney, error) {
	if number == "" {
		return nil, ErrNotFound
	}
	it, err := txn.Get(powerKey(number))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p := new(PowerOfAttorney)
	if err := it.Value(func(b []byte) error { return json.Unmarshal(b, p) }); err != nil {
		return nil, fmt.Errorf("decode %s: %w", number, err)
	}
	return p, nil
}

// Get returns the power of attorney with number, or ErrNotFound.
func (s *Store) Get(ctx context.Context, number string) (*PowerOfAttorney, error) {
	var p *PowerOfAttorney
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		p, err = getPower(txn, number)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enis: %s: %w", number, err)
	}
	return p, nil
}

// Find implements Registry.
func (s *Store) Find(ctx context.Context, number, principal, representative, serviceID string, at time.Time) (*PowerOfAttorney, bool, error) {
	p, err := s.Get(ctx, number)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !p.Covers(principal, representative, serviceID, at) {
		return nil, false, nil
	}
	return p, true, nil
}

// FindAny returns a power of attorney that lets representative act for principal in serviceID
// at time at, whatever its number (the first by number when several do), or ok false.
func (s *Store) FindAny(ctx context.Context, principal, representative, serviceID string, at time.Time) (*PowerOfAttorney, bool, error) {
	var found *PowerOfAttorney
	err := s.db.View(func(txn *badger.Txn) error {
		pre := pairPrefix(principal, representative)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: pre})
		var numbers []string
		for it.Rewind(); it.Valid(); it.Next() {
			numbers = append(numbers, string(it.Item().Key()[len(pre):]))
		}
		it.Close()
		for _, n := range numbers {
			p, err := getPower(txn, n)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if p.Covers(principal, representative, serviceID, at) {
				found = p
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("enis: lookup %s for %s: %w", representative, principal, err)
	}
	return found, found != nil, nil
}

// Put validates p and adds or replaces it.
func (s *Store) Put(ctx context.Context, p *PowerOfAttorney) error {
	if err := Validate(p); err != nil {
		return err
	}
	if err := update(s.db, func(txn *badger.Txn) error { _, err := putPower(txn, p); return err }); err != nil {
		return fmt.Errorf("enis: put %s: %w", p.Number, err)
	}
	return nil
}

func putPower(txn *badger.Txn, p *PowerOfAttorney) (int, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	old, err := getPower(txn, p.Number)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if old != nil && !bytes.Equal(pairKey(old), pairKey(p)) {
		if err := txn.Delete(pairKey(old)); err != nil {
			return 0, err
		}
	}
	if err := txn.Set(powerKey(p.Number), b); err != nil {
		return 0, err
	}
	return len(b) + 128, txn.Set(pairKey(p), nil)
}

// Revoke marks the power of attorney revoked from at (an earlier revocation stands) and returns it.
func (s *Store) Revoke(ctx context.Context, number string, at time.Time) (*PowerOfAttorney, error) {
	var out *PowerOfAttorney
	err := update(s.db, func(txn *badger.Txn) error {
		p, err := getPower(txn, number)
		if err != nil {
			return err
		}
		if !p.Revoked || (!p.RevokedAt.IsZero() && at.Before(p.RevokedAt)) {
			p.Revoked, p.RevokedAt = true, at.UTC().Truncate(time.Second)
			if _, err := putPower(txn, p); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("enis: revoke %s: %w", number, err)
	}
	return out, nil
}

// Delete removes the power of attorney with number (ErrNotFound if there is none).
func (s *Store) Delete(ctx context.Context, number string) error {
	err := update(s.db, func(txn *badger.Txn) error {
		p, err := getPower(txn, number)
		if err != nil {
			return err
		}
		if err := txn.Delete(pairKey(p)); err != nil {
			return err
		}
		return txn.Delete(powerKey(number))
	})
	if err != nil {
		return fmt.Errorf("enis: delete %s: %w", number, err)
	}
	return nil
}

// List returns up to limit powers of attorney (every one when limit <= 0) in number order,
// starting after the number after ("" for the first page).
func (s *Store) List(ctx context.Context, after string, limit int) ([]*PowerOfAttorney, error) {
	var out []*PowerOfAttorney
	err := s.each(ctx, after, func(p *PowerOfAttorney) bool {
		out = append(out, p)
		return limit <= 0 || len(out) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("enis: list: %w", err)
	}
	return out, nil
}

func (s *Store) each(ctx context.Context, after string, f func(*PowerOfAttorney) bool) error {
	return store.Scan(ctx, s.db, []byte(prefixPower), after, f)
}

// Count returns the number of powers of attorney.
func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := store.Count(ctx, s.db, []byte(prefixPower))
	if err != nil {
		return 0, fmt.Errorf("enis: count: %w", err)
	}
	return n, nil
}

// PutBatch validates every power of attorney (the error names the first bad one by its index)
// and, when all are valid and their numbers distinct, writes them. Nothing is written when one
// is invalid.
func (s *Store) PutBatch(ctx context.Context, ps []*PowerOfAttorney) error {
	seen := make(map[string]int, len(ps))
	for i, p := range ps {
		if err := Validate(p); err != nil {
			return fmt.Errorf("enis: record %d: %w", i+1, err)
		}
		if j, dup := seen[p.Number]; dup {
			return fmt.Errorf("enis: %w: record %d: number %s repeats record %d", ErrInvalid, i+1, p.Number, j+1)
		}
		seen[p.Number] = i
	}
	return s.write(ctx, ps)
}

// write stores valid powers of attorney in transactions of about txnBytes each.
func (s *Store) write(ctx context.Context, ps []*PowerOfAttorney) error {
	return store.WriteChunked(ctx, s.db, ps, txnBytes, func(txn *badger.Txn, p *PowerOfAttorney) (int, error) {
		n, err := putPower(txn, p)
		if err != nil && !errors.Is(err, badger.ErrTxnTooBig) {
			return n, fmt.Errorf("enis: write %s: %w", p.Number, err)
		}
		return n, err
	})
}
