package gbdfl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/store"
)

// Keys in the shared store:
//
//	g\x00 ИИН                      → the person as JSON
//	g\x01 parentИИН \x00 childИИН  → "" (the children index, kept by Put and Delete)
const (
	prefixPerson = "g\x00"
	prefixChild  = "g\x01"
)

// txnBytes is how much a write transaction collects before it commits (badger refuses
// transactions beyond ~15% of the memtable; the store's memtable is 8 MiB).
const txnBytes = 512 << 10

func personKey(iin string) []byte { return []byte(prefixPerson + iin) }

func childKey(parent, child string) []byte { return []byte(prefixChild + parent + "\x00" + child) }

func childPrefix(parent string) []byte { return []byte(prefixChild + parent + "\x00") }

// parents returns p's distinct parent ИИН.
func (p *Person) parents() []string {
	var out []string
	for _, v := range []string{p.MotherIIN, p.FatherIIN} {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Store is ГБД ФЛ kept in the shared badger store. It is safe for concurrent use.
type Store struct {
	db *store.DB
}

// NewStore returns the registry kept in db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

var _ Registry = (*Store)(nil)

// update runs fn in a read-write transaction, again when a concurrent one conflicted.
func update(db *store.DB, fn func(txn *badger.Txn) error) error {
	for try := 0; ; try++ {
		err := db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || try == 4 {
			return err
		}
	}
}

// Person implements Registry.
func (s *Store) Person(ctx context.Context, iin string) (*Person, bool, error) {
	var p *Person
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		p, err = getPerson(txn, iin)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("gbdfl: person %s: %w", iin, err)
	}
	return p, true, nil
}

func getPerson(txn *badger.Txn, iin string) (*Person, error) {
	if iin == "" {
		return nil, ErrNotFound
	}
	it, err := txn.Get(personKey(iin))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p := new(Person)
	if err := it.Value(func(b []byte) error { return json.Unmarshal(b, p) }); err != nil {
		return nil, fmt.Errorf("decode %s: %w", iin, err)
	}
	return p, nil
}

// Put validates p and adds or replaces it.
func (s *Store) Put(ctx context.Context, p *Person) error {
	if err := Validate(p); err != nil {
		return err
	}
	if err := update(s.db, func(txn *badger.Txn) error { _, err := putPerson(txn, p); return err }); err != nil {
		return fmt.Errorf("gbdfl: put %s: %w", p.IIN, err)
	}
	return nil
}

// putPerson writes p and moves its entries in the children index; it returns about how many
// bytes the transaction grew by.
func putPerson(txn *badger.Txn, p *Person) (int, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	old, err := getPerson(txn, p.IIN)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	keep := p.parents()
	n := len(b) + 64
	if old != nil {
		for _, par := range old.parents() {
			if !slices.Contains(keep, par) {
				if err := txn.Delete(childKey(par, p.IIN)); err != nil {
					return n, err
				}
				n += 64
			}
		}
	}
	if err := txn.Set(personKey(p.IIN), b); err != nil {
		return n, err
	}
	for _, par := range keep {
		if err := txn.Set(childKey(par, p.IIN), nil); err != nil {
			return n, err
		}
		n += 64
	}
	return n, nil
}

// Delete removes the person with iin (ErrNotFound if there is none) and its index entries.
// Children keep their links to a deleted parent.
func (s *Store) Delete(ctx context.Context, iin string) error {
	err := update(s.db, func(txn *badger.Txn) error {
		p, err := getPerson(txn, iin)
		if err != nil {
			return err
		}
		for _, par := range p.parents() {
			if err := txn.Delete(childKey(par, iin)); err != nil {
				return err
			}
		}
		return txn.Delete(personKey(iin))
	})
	if err != nil {
		return fmt.Errorf("gbdfl: delete %s: %w", iin, err)
	}
	return nil
}

// List returns up to limit persons (every one when limit <= 0) in ИИН order, starting after
// the ИИН after ("" for the first page).
func (s *Store) List(ctx context.Context, after string, limit int) ([]*Person, error) {
	var out []*Person
	err := s.each(ctx, after, func(p *Person) bool {
		out = append(out, p)
		return limit <= 0 || len(out) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("gbdfl: list: %w", err)
	}
	return out, nil
}

// each calls f with every person after the ИИН after, in ИИН order, until f returns false.
func (s *Store) each(ctx context.Context, after string, f func(*Person) bool) error {
	return store.Scan(ctx, s.db, []byte(prefixPerson), after, f)
}

// Count returns the number of persons.
func (s *Store) Count(ctx context.Context) (int, error) {
	n, err := store.Count(ctx, s.db, []byte(prefixPerson))
	if err != nil {
		return 0, fmt.Errorf("gbdfl: count: %w", err)
	}
	return n, nil
}

// Children returns the persons whose mother or father is parentIIN, in ИИН order.
func (s *Store) Children(ctx context.Context, parentIIN string) ([]*Person, error) {
	var out []*Person
	err := s.db.View(func(txn *badger.Txn) error {
		pre := childPrefix(parentIIN)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: pre})
		var kids []string
		for it.Rewind(); it.Valid(); it.Next() {
			kids = append(kids, string(it.Item().Key()[len(pre):]))
		}
		it.Close()
		for _, k := range kids {
			p, err := getPerson(txn, k)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gbdfl: children of %s: %w", parentIIN, err)
	}
	return out, nil
}

// PutBatch validates every person (the error names the first bad one by its index) and, when
// all are valid and their ИИН distinct, writes them. Nothing is written when one is invalid.
func (s *Store) PutBatch(ctx context.Context, persons []*Person) error {
	seen := make(map[string]int, len(persons))
	for i, p := range persons {
		if err := Validate(p); err != nil {
			return fmt.Errorf("gbdfl: record %d: %w", i+1, err)
		}
		if j, dup := seen[p.IIN]; dup {
			return fmt.Errorf("gbdfl: %w: record %d: ИИН %s repeats record %d", ErrInvalid, i+1, p.IIN, j+1)
		}
		seen[p.IIN] = i
	}
	return s.write(ctx, persons)
}

// write stores valid persons in transactions of about txnBytes each. Validation has already
// decided that the batch goes in whole; only a store failure can stop it midway.
func (s *Store) write(ctx context.Context, persons []*Person) error {
	return store.WriteChunked(ctx, s.db, persons, txnBytes, func(txn *badger.Txn, p *Person) (int, error) {
		n, err := putPerson(txn, p)
		if err != nil && !errors.Is(err, badger.ErrTxnTooBig) {
			return n, fmt.Errorf("gbdfl: write %s: %w", p.IIN, err)
		}
		return n, err
	})
}
