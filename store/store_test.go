package store

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
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

// A store whose tables badger compressed (shep's setting before issue 7 turned compression off)
// opens with today's settings: every key reads back, before and after a compaction rewrites the
// tables uncompressed.
func TestOpenCompressedTables(t *testing.T) {
	dir := t.TempDir()
	bo := badger.DefaultOptions(dir).WithLogger(nil).WithCompression(options.Snappy).
		WithBlockCacheSize(1 << 20).WithMemTableSize(1 << 20).WithValueThreshold(1 << 10).WithNumLevelZeroTables(1)
	old, err := badger.Open(bo)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	val := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 256) } // inline, and compressible
	for i := 0; i < n; i += 250 {
		err := old.Update(func(txn *badger.Txn) error {
			for j := i; j < i+250; j++ {
				if err := txn.Set(fmt.Appendf(nil, "k%05d", j), val(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Flatten(1); err != nil { // out of level 0
		t.Fatal(err)
	}
	// The last memtable, flushed at Close, spans every key: the compaction below rewrites every
	// table.
	err = old.Update(func(txn *badger.Txn) error {
		for i := 0; i < n; i += 500 {
			if err := txn.Set(fmt.Appendf(nil, "k%05d", i), val(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func() {
		t.Helper()
		err := db.View(func(txn *badger.Txn) error {
			for i := range n {
				item, err := txn.Get(fmt.Appendf(nil, "k%05d", i))
				if err != nil {
					return fmt.Errorf("k%05d: %w", i, err)
				}
				if v, err := item.ValueCopy(nil); err != nil || !bytes.Equal(v, val(i)) {
					return fmt.Errorf("k%05d: %q, %v", i, v, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tables := func() (size int) {
		for _, ti := range db.Tables() {
			size += int(ti.OnDiskSize)
		}
		return size
	}
	check()
	compressed := tables()
	if err := db.Flatten(1); err != nil {
		t.Fatal(err)
	}
	check()
	if lsm := tables(); lsm < 3*compressed {
		t.Fatalf("tables %d bytes after the compaction, %d before: not rewritten uncompressed", lsm, compressed)
	}
}
