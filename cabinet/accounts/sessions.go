package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Sign-in methods.
const (
	MethodPassword    = "password"
	MethodCertificate = "certificate"
)

// Session is a signed-in citizen. Token is set only when the session is created: only its
// SHA-256 is stored. Expires is when the session ends unless used before (the idle expiry as
// last written, capped by the absolute one). CSRF is the value unsafe cookie-authenticated
// requests must carry in the X-CSRF-Token header.
type Session struct {
	Token    string    `json:"token,omitempty"`
	IIN      string    `json:"iin"`
	Name     string    `json:"name"`
	Method   string    `json:"method"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Expires  time.Time `json:"expires"`
	CSRF     string    `json:"csrf"`
}

// sessionRec is the stored session.
type sessionRec struct {
	IIN      string    `json:"iin"`
	Name     string    `json:"name"`
	Method   string    `json:"method"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	CSRF     string    `json:"csrf"`
}

const tokenBytes = 32

// sessionKey returns the store key of token, false when token cannot be one of ours.
func sessionKey(token string) ([]byte, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	return append([]byte(prefixSession), sum[:]...), true
}

// expires is when rec ends: idle or absolute expiry, whichever comes first.
func (s *Service) expires(rec *sessionRec) time.Time {
	idle := rec.LastSeen.Add(s.o.IdleTimeout)
	if abs := rec.Created.Add(s.o.MaxLifetime); abs.Before(idle) {
		return abs
	}
	return idle
}

func (s *Service) public(rec *sessionRec) *Session {
	return &Session{IIN: rec.IIN, Name: rec.Name, Method: rec.Method, Created: rec.Created, LastSeen: rec.LastSeen,
		Expires: s.expires(rec), CSRF: rec.CSRF}
}

// createSession writes a new session in txn and returns it with its token.
func (s *Service) createSession(txn *badger.Txn, iin, name, method string, now time.Time) (*Session, error) {
	token := randomToken(tokenBytes)
	key, _ := sessionKey(token)
	now = now.UTC()
	rec := &sessionRec{IIN: iin, Name: name, Method: method, Created: now, LastSeen: now, CSRF: randomToken(24)}
	if err := setJSON(txn, key, rec); err != nil {
		return nil, err
	}
	out := s.public(rec)
	out.Token = token
	return out, nil
}

// Session returns the session of token and slides its idle expiry (written at most once a
// minute). ErrSessionRequired: no such session (never was, signed out, swept);
// ErrSessionExpired: it has just expired, and is deleted.
func (s *Service) Session(ctx context.Context, token string) (*Session, error) {
	key, ok := sessionKey(token)
	if !ok {
		return nil, ErrSessionRequired
	}
	now := s.o.Now().UTC()
	var out *Session
	var expired bool
	err := s.update(ctx, func(txn *badger.Txn) error {
		out, expired = nil, false
		var rec sessionRec
		found, err := getJSON(txn, key, &rec)
		if err != nil || !found {
			return err
		}
		if !now.Before(s.expires(&rec)) {
			expired = true
			return txn.Delete(key)
		}
		if now.Sub(rec.LastSeen) >= touchEvery {
			rec.LastSeen = now
			if err := setJSON(txn, key, &rec); err != nil {
				return err
			}
		}
		out = s.public(&rec)
		return nil
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("accounts: session: %w", err)
	case expired:
		return nil, ErrSessionExpired
	case out == nil:
		return nil, ErrSessionRequired
	}
	return out, nil
}

// Logout ends the session of token; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	key, ok := sessionKey(token)
	if !ok {
		return nil
	}
	var iin string
	err := s.update(ctx, func(txn *badger.Txn) error {
		var rec sessionRec
		found, err := getJSON(txn, key, &rec)
		if err != nil || !found {
			return err
		}
		iin = rec.IIN
		return txn.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("accounts: logout: %w", err)
	}
	if iin != "" {
		s.log.InfoContext(ctx, "citizen signed out", "iin", iin)
	}
	return nil
}

// Sweep deletes expired sessions and challenges, and failure counters that no longer count,
// and returns how many records it deleted.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.o.Now()
	var keys [][]byte
	err := s.o.DB.View(func(txn *badger.Txn) error {
		for _, prefix := range []string{prefixSession, prefixChallenge, prefixFailures} {
			if err := scanDead(ctx, txn, prefix, func(k, v []byte) (bool, error) { return s.dead(k, v, now) }, &keys); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("accounts: sweep: %w", err)
	}
	// Delete in transactions that look again, so that a record renewed meanwhile stays.
	deleted := 0
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), 500)]
		keys = keys[len(chunk):]
		n := 0
		err := s.update(ctx, func(txn *badger.Txn) error {
			n = 0
			for _, k := range chunk {
				item, err := txn.Get(k)
				if errors.Is(err, badger.ErrKeyNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				var dead bool
				if err := item.Value(func(b []byte) error {
					dead, err = s.dead(k, b, now)
					return err
				}); err != nil {
					return err
				}
				if dead {
					if err := txn.Delete(k); err != nil {
						return err
					}
					n++
				}
			}
			return nil
		})
		if err != nil {
			return deleted, fmt.Errorf("accounts: sweep: %w", err)
		}
		deleted += n
	}
	if deleted > 0 {
		s.log.DebugContext(ctx, "swept expired records", "deleted", deleted)
	}
	return deleted, nil
}

// scanDead appends to keys the keys under prefix whose records are dead.
func scanDead(ctx context.Context, txn *badger.Txn, prefix string, dead func(k, v []byte) (bool, error), keys *[][]byte) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		item := it.Item()
		var d bool
		if err := item.Value(func(b []byte) error {
			var err error
			d, err = dead(item.Key(), b)
			return err
		}); err != nil {
			return err
		}
		if d {
			*keys = append(*keys, item.KeyCopy(nil))
		}
	}
	return nil
}

// dead reports whether the record key=value has expired at now. Accounts never do.
func (s *Service) dead(key, value []byte, now time.Time) (bool, error) {
	switch {
	case bytes.HasPrefix(key, []byte(prefixSession)):
		var rec sessionRec
		if err := json.Unmarshal(value, &rec); err != nil {
			return false, fmt.Errorf("decode session: %w", err)
		}
		return !now.Before(s.expires(&rec)), nil
	case bytes.HasPrefix(key, []byte(prefixChallenge)):
		var rec challengeRec
		if err := json.Unmarshal(value, &rec); err != nil {
			return false, fmt.Errorf("decode challenge: %w", err)
		}
		return !now.Before(rec.Expires), nil
	case bytes.HasPrefix(key, []byte(prefixFailures)):
		var rec failuresRec
		if err := json.Unmarshal(value, &rec); err != nil {
			return false, fmt.Errorf("decode failures: %w", err)
		}
		return !now.Before(rec.LockedUntil) && (rec.Count == 0 || now.Sub(rec.First) >= s.o.LockFor), nil
	}
	return false, nil
}

// RunSweep calls Sweep every interval until ctx is done.
func (s *Service) RunSweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "sweep failed", "err", err)
			}
		}
	}
}
