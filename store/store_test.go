package store

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// Large values live in the value log on disk, not in the LSM tree; in memory (no value log) they
// are kept too. Both survive what each mode promises.
func TestValuePlacement(t *testing.T) {
	const n, size = 200, 10 << 10
	val := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }
	write := func(t *testing.T, db *DB) {
		for i := range n {
			err := db.Update(func(txn *badger.Txn) error { return txn.Set(fmt.Appendf(nil, "k%03d", i), val(i)) })
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(t *testing.T, db *DB) {
		err := db.View(func(txn *badger.Txn) error {
			for i := range n {
				item, err := txn.Get(fmt.Appendf(nil, "k%03d", i))
				if err != nil {
					return err
				}
				v, err := item.ValueCopy(nil)
				if err != nil || !bytes.Equal(v, val(i)) {
					return fmt.Errorf("k%03d: %d bytes, %v", i, len(v), err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	t.Run("disk", func(t *testing.T) {
		dir := t.TempDir()
		db, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		write(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if db, err = Open(Options{Dir: dir}); err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		check(t, db)
		lsm, vlog := db.Size()
		if vlog < n*size || lsm > n*size/10 {
			t.Fatalf("LSM %d bytes, value log %d bytes: the %d KB values are not in the value log", lsm, vlog, size>>10)
		}
	})
	t.Run("memory", func(t *testing.T) {
		db, err := Open(Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		write(t, db)
		check(t, db)
	})
}
