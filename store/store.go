// Package store opens shep's embedded key-value store (badger) with durable, memory-frugal
// settings, routes badger's logging to slog and runs value-log garbage collection.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Options configure the store.
type Options struct {
	// Dir is the database directory; empty means an in-memory store (tests only).
	Dir string
	// NoSync skips the fsync of every commit (faster, but power loss can drop acknowledged writes).
	NoSync bool
	Logger *slog.Logger
}

// DB is an open store.
type DB struct {
	*badger.DB
	log *slog.Logger
}

// Open opens (creating if needed) the store in opts.Dir.
func Open(opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.Dir == "").
		WithSyncWrites(!opts.NoSync && opts.Dir != "").
		WithLogger(badgerLogger{opts.Logger}).
		// Small settings: peak RSS ~270 MB instead of ~410 MB with the defaults (libraries.md §1.4),
		// but room for 4 level-0 tables before a compaction and 10 before writes stall: with 2 and
		// 4 every other memtable flush rewrote level 1 (issue 7: half the compactions, and the
		// gateway's fsyncs waiting behind their writes half as often).
		WithMemTableSize(8 << 20).
		WithNumMemtables(4).
		// Tables uncompressed, read straight from their mapping with no block cache: with
		// Snappy every compaction's table builder held each block twice and ran goroutines to
		// compress it, and every read of a block decompressed a copy. Measured with 1 M messages
		// logged (BENCHMARKS.md, issue 7, item 11): the heap's peaks about half, the same
		// throughput, tables ~28 % larger on disk. Tables written compressed still read (the
		// manifest records each table's compression) until compactions rewrite them.
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(16 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2).
		WithNumLevelZeroTables(4).
		WithNumLevelZeroTablesStall(10)
	if opts.Dir != "" {
		// Values over 1 KiB (the message log's ~10 KB bodies, applications, results) go to the
		// value log; the LSM tree keeps keys, small values and pointers. Inline bodies made every
		// compaction rewrite them: −30 % throughput and GBs of heap (BENCHMARKS.md, issue 7).
		// (In memory there is no value log: badger would refuse values over the threshold.)
		bo = bo.WithValueThreshold(1 << 10)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", opts.Dir, err)
	}
	return &DB{DB: db, log: opts.Logger}, nil
}

// RunGC runs value-log garbage collection every interval until ctx is done.
func (d *DB) RunGC(ctx context.Context, interval time.Duration) {
	if d.Opts().InMemory {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				err := d.RunValueLogGC(0.5)
				if err == nil {
					continue
				}
				if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
					d.log.WarnContext(ctx, "value log GC", "err", err)
				}
				break
			}
		}
	}
}

// Ping reports whether the store answers a read.
func (d *DB) Ping() error {
	if d.IsClosed() {
		return errors.New("store: closed")
	}
	return d.View(func(txn *badger.Txn) error {
		_, err := txn.Get([]byte("\x00ping"))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	})
}

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Infof(f string, a ...any) {
	b.l.Debug(fmt.Sprintf(f, a...), "component", "badger")
}
func (b badgerLogger) Debugf(f string, a ...any) {
	b.l.Debug(fmt.Sprintf(f, a...), "component", "badger")
}
