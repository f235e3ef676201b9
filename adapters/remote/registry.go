// Package remote calls provider systems registered by their teams over the SyncChannel: signed
// SendMessage out, signed answer verified against the registered certificate, coded faults back.
package remote

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/store"
)

// Provider is a registered provider system.
type Provider struct {
	ID       string   `json:"id"` // e.g. "mio-zko"
	Name     string   `json:"name,omitempty"`
	Services []string `json:"services"` // serviceIds it serves (non-empty)
	Endpoint string   `json:"endpoint"` // http(s) URL of its SyncChannel endpoint
	// Cert is the DER of its transport certificate: its responses must be WS-Security-signed by
	// exactly this certificate.
	Cert    []byte        `json:"cert"`
	Timeout time.Duration `json:"timeout"` // per attempt (0 when stored: DefaultTimeout)
	// Retries is the number of extra attempts after a transport failure, 0..MaxRetries. The Go
	// value is taken as it is (0: no retry); the admin API and the CLI default to DefaultRetries.
	Retries  int       `json:"retries"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Limits and defaults of a Provider.
const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 5 * time.Minute
	DefaultRetries = 1
	MaxRetries     = 5
)

// Certificate parses Cert.
func (p *Provider) Certificate() (*x509.Certificate, error) { return x509.ParseCertificate(p.Cert) }

// Errors of the registry.
var (
	ErrNotFound = errors.New("provider not found")
	ErrInvalid  = errors.New("invalid provider")
	ErrConflict = errors.New("serviceId already served by another provider")
)

// Registry is the store of provider systems. It is safe for concurrent use.
//
// Keys: "r\x00"+ID holds the provider (JSON); "r\x01"+serviceID+"\x00"+ID (empty value) indexes
// who serves a service.
type Registry struct {
	db  *store.DB
	now func() time.Time
	// mu serializes writers: the one-provider-per-service rule reads an index range, which
	// badger's conflict detection does not protect against phantoms.
	mu sync.Mutex
}

// NewRegistry returns the registry kept in db.
func NewRegistry(db *store.DB) *Registry { return &Registry{db: db, now: time.Now} }

var idSyntax = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func providerKey(id string) []byte { return append([]byte("r\x00"), id...) }

func servicePrefix(service string) []byte {
	return append(append([]byte("r\x01"), service...), 0)
}

func indexKey(service, id string) []byte { return append(servicePrefix(service), id...) }

// check checks p and fills in the defaults; p.Services is sorted and deduplicated.
func check(p *Provider) error {
	if !idSyntax.MatchString(p.ID) {
		return fmt.Errorf("%w: id %q: 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit", ErrInvalid, p.ID)
	}
	if utf8.RuneCountInString(p.Name) > 256 || !utf8.ValidString(p.Name) {
		return fmt.Errorf("%w: name: at most 256 characters of UTF-8", ErrInvalid)
	}
	if len(p.Services) == 0 {
		return fmt.Errorf("%w: %s serves no serviceId", ErrInvalid, p.ID)
	}
	for _, s := range p.Services {
		if s == "" || len(s) > 128 || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return fmt.Errorf("%w: serviceId %q", ErrInvalid, s)
		}
	}
	p.Services = slices.Compact(slices.Sorted(slices.Values(p.Services)))
	u, err := url.Parse(p.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%w: endpoint %q is not an absolute http(s) URL without credentials or fragment", ErrInvalid, p.Endpoint)
	}
	if len(p.Cert) == 0 {
		return fmt.Errorf("%w: %s has no transport certificate", ErrInvalid, p.ID)
	}
	if _, err := x509.ParseCertificate(p.Cert); err != nil {
		return fmt.Errorf("%w: transport certificate: %v", ErrInvalid, err)
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Timeout < 0 || p.Timeout > MaxTimeout {
		return fmt.Errorf("%w: timeout %s: want 0 < timeout <= %s", ErrInvalid, p.Timeout, MaxTimeout)
	}
	if p.Retries < 0 || p.Retries > MaxRetries {
		return fmt.Errorf("%w: retries %d: want 0..%d", ErrInvalid, p.Retries, MaxRetries)
	}
	return nil
}

// Put creates or replaces the provider p.ID and returns what was stored. A serviceId may be
// claimed by one provider only (ErrConflict), disabled or not.
func (r *Registry) Put(ctx context.Context, p *Provider) (*Provider, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil", ErrInvalid)
	}
	np := *p
	np.Services = slices.Clone(p.Services)
	np.Cert = slices.Clone(p.Cert)
	if err := check(&np); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.db.Update(func(txn *badger.Txn) error {
		for _, s := range np.Services {
			if other, err := claimant(txn, s, np.ID); err != nil {
				return err
			} else if other != "" {
				return fmt.Errorf("%w: %q is served by %q", ErrConflict, s, other)
			}
		}
		now := r.now().UTC()
		np.Created, np.Updated = now, now
		old, err := get(txn, np.ID)
		switch {
		case err == nil:
			np.Created = old.Created
			for _, s := range old.Services {
				if err := txn.Delete(indexKey(s, old.ID)); err != nil {
					return err
				}
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		b, err := json.Marshal(&np)
		if err != nil {
			return err
		}
		if err := txn.Set(providerKey(np.ID), b); err != nil {
			return err
		}
		for _, s := range np.Services {
			if err := txn.Set(indexKey(s, np.ID), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("remote: put %s: %w", np.ID, err)
	}
	return &np, nil
}

// claimant returns the ID of a provider other than self that serves service ("" when none).
func claimant(txn *badger.Txn, service, self string) (string, error) {
	prefix := servicePrefix(service)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if id := string(it.Item().Key()[len(prefix):]); id != self {
			return id, nil
		}
	}
	return "", nil
}

func get(txn *badger.Txn, id string) (*Provider, error) {
	item, err := txn.Get(providerKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	var p Provider
	if err := item.Value(func(v []byte) error { return json.Unmarshal(v, &p) }); err != nil {
		return nil, err
	}
	return &p, nil
}

// Get returns the provider id.
func (r *Registry) Get(ctx context.Context, id string) (*Provider, error) {
	var p *Provider
	err := r.db.View(func(txn *badger.Txn) (err error) {
		p, err = get(txn, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	return p, nil
}

// Delete removes the provider id and its service claims.
func (r *Registry) Delete(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.db.Update(func(txn *badger.Txn) error {
		p, err := get(txn, id)
		if err != nil {
			return err
		}
		for _, s := range p.Services {
			if err := txn.Delete(indexKey(s, id)); err != nil {
				return err
			}
		}
		return txn.Delete(providerKey(id))
	})
	if err != nil {
		return fmt.Errorf("remote: delete %s: %w", id, err)
	}
	return nil
}

// List returns every provider, by ID.
func (r *Registry) List(ctx context.Context) ([]*Provider, error) {
	var out []*Provider
	err := r.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, Prefix: []byte("r\x00")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var p Provider
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &p) }); err != nil {
				return err
			}
			out = append(out, &p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("remote: list: %w", err)
	}
	return out, nil
}

// ForService returns the provider that serves serviceID, disabled or not.
func (r *Registry) ForService(ctx context.Context, serviceID string) (*Provider, bool, error) {
	if serviceID == "" || strings.ContainsRune(serviceID, 0) {
		return nil, false, nil // no stored serviceId is empty or holds the index separator
	}
	var p *Provider
	err := r.db.View(func(txn *badger.Txn) error {
		id, err := claimant(txn, serviceID, "")
		if err != nil || id == "" {
			return err
		}
		p, err = get(txn, id)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("remote: service %q: %w", serviceID, err)
	}
	return p, p != nil, nil
}
