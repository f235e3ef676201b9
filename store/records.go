package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Scan calls f with every JSON record under prefix whose key sorts after prefix+after ("" for the
// first), in key order, until f returns false or ctx is done.
func Scan[T any](ctx context.Context, db *DB, prefix []byte, after string, f func(*T) bool) error {
	return db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		start := append(append([]byte(nil), prefix...), after...)
		for it.Seek(start); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			if after != "" && bytes.Equal(item.Key(), start) {
				continue
			}
			v := new(T)
			if err := item.Value(func(b []byte) error { return json.Unmarshal(b, v) }); err != nil {
				return fmt.Errorf("decode %q: %w", item.Key()[len(prefix):], err)
			}
			if !f(v) {
				return nil
			}
		}
		return nil
	})
}

// Count returns the number of keys under prefix.
func Count(ctx context.Context, db *DB, prefix []byte) (int, error) {
	n := 0
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// WriteChunked writes items with put, in transactions of about chunk bytes each (put returns the
// bytes it wrote). An item that overflows a transaction is redone in a fresh one, so put must be
// idempotent. Only a store failure can stop it midway; validation belongs before.
func WriteChunked[T any](ctx context.Context, db *DB, items []T, chunk int, put func(*badger.Txn, T) (int, error)) error {
	txn := db.NewTransaction(true)
	defer func() { txn.Discard() }()
	commit := func() error {
		if err := txn.Commit(); err != nil {
			return err
		}
		txn = db.NewTransaction(true)
		return nil
	}
	size := 0
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if size > chunk {
			if err := commit(); err != nil {
				return err
			}
			size = 0
		}
		n, err := put(txn, it)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err := commit(); err != nil {
				return err
			}
			size = 0
			n, err = put(txn, it)
		}
		if err != nil {
			return err
		}
		size += n
	}
	return commit()
}
