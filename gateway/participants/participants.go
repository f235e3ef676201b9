// Package participants keeps the gateway's registry of sending systems: sender ID, password
// (bcrypt), allowed services, channel, transport certificate, in the embedded store.
package participants

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/shep-kz/shep/internal/stripe"
	"github.com/shep-kz/shep/store"
)

// Channel is how a sender's requests reach the gateway; it decides the ИИН-match rule.
type Channel string

// Channels (services.md §2).
const (
	// ChannelPortal: the e-government portal. The applicant signs: the ИИН in the request must be
	// the signer's.
	ChannelPortal Channel = "portal"
	// ChannelCON: a ЦОН (State Corporation) workstation. A ЦОН operator signs; the operator's own
	// ИИН must match, the applicant must exist in ГБД ФЛ and a representative needs a power of
	// attorney in ЕНИС.
	ChannelCON Channel = "con"
	// ChannelProvider: a provider's workstation (ИС МИО / АРМ РШЭП); a specialist of the provider signs.
	ChannelProvider Channel = "provider"
	// ChannelSystem: an information system calling a registry service (ГБД ФЛ, ЕНИС): the transport
	// signature is all there is to check.
	ChannelSystem Channel = "system"
)

// Channels lists every channel.
var Channels = []Channel{ChannelPortal, ChannelCON, ChannelProvider, ChannelSystem}

// Sender is a registered sending system.
type Sender struct {
	ID           string   `json:"id"`
	PasswordHash []byte   `json:"password_hash,omitempty"` // bcrypt; empty: no password required
	Services     []string `json:"services,omitempty"`      // allowed serviceIds; empty: every service
	Channel      Channel  `json:"channel"`
	Name         string   `json:"name,omitempty"`
	// TransportCert, when set (DER), is the only certificate allowed to sign its envelopes.
	TransportCert []byte    `json:"transport_cert,omitempty"`
	Disabled      bool      `json:"disabled,omitempty"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
}

// Allows reports whether s may call serviceID.
func (s *Sender) Allows(serviceID string) bool {
	return len(s.Services) == 0 || slices.Contains(s.Services, serviceID)
}

// Certificate parses TransportCert (nil when none is registered).
func (s *Sender) Certificate() (*x509.Certificate, error) {
	if len(s.TransportCert) == 0 {
		return nil, nil
	}
	return x509.ParseCertificate(s.TransportCert)
}

// Errors.
var (
	ErrUnknown  = errors.New("unknown sender")
	ErrPassword = errors.New("wrong sender password")
	ErrDisabled = errors.New("sender disabled")
	ErrInvalid  = errors.New("invalid sender")
)

// Registry is the store of senders. It is safe for concurrent use.
type Registry struct {
	db  *store.DB
	now func() time.Time

	mu   sync.Mutex
	ok   map[string][32]byte // sender → HMAC of the password last verified, until the sender changes
	key  []byte              // per-process HMAC key for ok
	cost int
	// checking serialises the bcrypt comparisons of one sender (by hash), so that the first
	// requests after a start, all missing ok at once, cost one comparison (~60 ms of CPU) and not
	// one each: 32 of them took both cores for a second.
	checking stripe.Mutexes
	compared atomic.Int64 // bcrypt comparisons made (tests)
}

// Options configure a Registry.
type Options struct {
	Now func() time.Time
	// BcryptCost of new password hashes (default bcrypt.DefaultCost).
	BcryptCost int
}

// New returns the registry kept in db.
func New(db *store.DB, opts Options) (*Registry, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = bcrypt.DefaultCost
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &Registry{db: db, now: opts.Now, ok: map[string][32]byte{}, key: key, cost: opts.BcryptCost}, nil
}

func dbKey(id string) []byte { return append([]byte("p\x00"), id...) }

// Spec is what Put changes; nil fields leave the stored value alone.
type Spec struct {
	ID            string
	Password      *string // "" clears the password requirement
	Services      *[]string
	Channel       *Channel
	Name          *string
	TransportCert *[]byte // DER; empty slice clears it
	Disabled      *bool
}

func validID(id string) error {
	if id == "" || id == "-" || len(id) > 128 || !utf8.ValidString(id) || strings.ContainsAny(id, "\x00\r\n") {
		return fmt.Errorf("%w: sender ID %q", ErrInvalid, id)
	}
	return nil
}

// Put creates the sender or updates the fields spec sets, and returns the result.
func (r *Registry) Put(ctx context.Context, spec Spec) (*Sender, error) {
	if err := validID(spec.ID); err != nil {
		return nil, err
	}
	if spec.Channel != nil && !slices.Contains(Channels, *spec.Channel) {
		return nil, fmt.Errorf("%w: channel %q (want one of %v)", ErrInvalid, *spec.Channel, Channels)
	}
	if spec.TransportCert != nil && len(*spec.TransportCert) > 0 {
		if _, err := x509.ParseCertificate(*spec.TransportCert); err != nil {
			return nil, fmt.Errorf("%w: transport certificate: %v", ErrInvalid, err)
		}
	}
	var hash []byte
	if spec.Password != nil && *spec.Password != "" {
		h, err := bcrypt.GenerateFromPassword([]byte(*spec.Password), r.cost)
		if err != nil {
			return nil, fmt.Errorf("%w: password: %v", ErrInvalid, err)
		}
		hash = h
	}
	var out *Sender
	err := r.db.Update(func(txn *badger.Txn) error {
		s, err := get(txn, spec.ID)
		now := r.now().UTC()
		switch {
		case errors.Is(err, ErrUnknown):
			s = &Sender{ID: spec.ID, Channel: ChannelPortal, Created: now}
		case err != nil:
			return err
		}
		if spec.Password != nil {
			s.PasswordHash = hash
		}
		if spec.Services != nil {
			s.Services = slices.Clone(*spec.Services)
			sort.Strings(s.Services)
		}
		if spec.Channel != nil {
			s.Channel = *spec.Channel
		}
		if spec.Name != nil {
			s.Name = *spec.Name
		}
		if spec.TransportCert != nil {
			s.TransportCert = slices.Clone(*spec.TransportCert)
		}
		if spec.Disabled != nil {
			s.Disabled = *spec.Disabled
		}
		s.Updated = now
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		out = s
		return txn.Set(dbKey(spec.ID), b)
	})
	if err != nil {
		return nil, fmt.Errorf("participants: put %s: %w", spec.ID, err)
	}
	r.forget(spec.ID)
	return out, nil
}

func get(txn *badger.Txn, id string) (*Sender, error) {
	item, err := txn.Get(dbKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrUnknown
	}
	if err != nil {
		return nil, err
	}
	var s Sender
	err = item.Value(func(v []byte) error { return json.Unmarshal(v, &s) })
	return &s, err
}

// Get returns the sender id.
func (r *Registry) Get(ctx context.Context, id string) (*Sender, error) {
	var s *Sender
	err := r.db.View(func(txn *badger.Txn) error {
		var err error
		s, err = get(txn, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("participants: %s: %w", id, err)
	}
	return s, nil
}

// Delete removes the sender id.
func (r *Registry) Delete(ctx context.Context, id string) error {
	err := r.db.Update(func(txn *badger.Txn) error {
		if _, err := get(txn, id); err != nil {
			return err
		}
		return txn.Delete(dbKey(id))
	})
	r.forget(id)
	if err != nil {
		return fmt.Errorf("participants: delete %s: %w", id, err)
	}
	return nil
}

// List returns every sender, by ID.
func (r *Registry) List(ctx context.Context) ([]*Sender, error) {
	var out []*Sender
	err := r.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte("p\x00")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var s Sender
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &s) }); err != nil {
				return err
			}
			out = append(out, &s)
		}
		return nil
	})
	return out, err
}

// Authenticate returns the sender id if password is right. A successful bcrypt check is
// remembered (as an HMAC under a per-process key) until the sender is changed, so that the hot
// path pays bcrypt once per sender, not once per message.
func (r *Registry) Authenticate(ctx context.Context, id, password string) (*Sender, error) {
	s, err := r.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.Disabled {
		return nil, fmt.Errorf("participants: %s: %w", id, ErrDisabled)
	}
	if len(s.PasswordHash) == 0 {
		return s, nil
	}
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(id))
	mac.Write([]byte{0})
	mac.Write(s.PasswordHash)
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var sum [32]byte
	copy(sum[:], mac.Sum(nil))
	if r.known(id, sum) {
		return s, nil
	}
	mu := r.checking.For(id)
	mu.Lock()
	defer mu.Unlock()
	if r.known(id, sum) { // verified while this one waited
		return s, nil
	}
	r.compared.Add(1)
	if bcrypt.CompareHashAndPassword(s.PasswordHash, []byte(password)) != nil {
		return nil, fmt.Errorf("participants: %s: %w", id, ErrPassword)
	}
	r.mu.Lock()
	r.ok[id] = sum
	r.mu.Unlock()
	return s, nil
}

// known reports whether sum is the HMAC of the password last verified for id.
func (r *Registry) known(id string, sum [32]byte) bool {
	r.mu.Lock()
	known, ok := r.ok[id]
	r.mu.Unlock()
	return ok && hmac.Equal(known[:], sum[:])
}

func (r *Registry) forget(id string) {
	r.mu.Lock()
	delete(r.ok, id)
	r.mu.Unlock()
}
