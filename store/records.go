package store

import (
	"bytes"
	"context"
	"encoding/json"
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
