package msglog

import (
	"context"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Stats reports the transactions the committer wrote (one fsync each with SyncWrites) and the
// records they held.
func (l *Log) Stats() (txns, records uint64) { return l.txns.Load(), l.records.Load() }

// SetBeforeWrite installs a hook the committer calls with each batch's size before writing it.
func (l *Log) SetBeforeWrite(f func(n int)) {
	l.mu.Lock()
	l.beforeWrite = f
	l.mu.Unlock()
}

// QueueLen is the number of Commits waiting for the committer.
func (l *Log) QueueLen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// CommitDirect writes rec in its own transaction from the calling goroutine, bypassing the
// committer (the "no group commit, badger's own write pipeline" baseline of BenchmarkCommit).
func (l *Log) CommitDirect(ctx context.Context, rec *Record) error {
	if err := validate(rec); err != nil {
		return err
	}
	req := l.prepare(ctx, rec)
	l.writeTxn([]*commitReq{req})
	return <-req.done
}

var (
	RecordKey    = recordKey
	EncodeRecord = encodeRecord
)

// DecodeRecord decodes a version 1 record (bodies inline).
func DecodeRecord(v []byte) (*Record, error) {
	rec, body, err := decodeRecord(v)
	if err == nil && body != nil {
		return nil, fmt.Errorf("%w: a version 2 record", errCorrupt)
	}
	return rec, err
}

// RawValue is the store's value under the primary key of (sender, messageID).
func (l *Log) RawValue(sender, messageID string) ([]byte, error) {
	var v []byte
	err := l.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(recordKey(sender, messageID))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	return v, err
}

// SweepBodies runs the body segments' retention sweep at now (orphans: as Open does).
func (l *Log) SweepBodies(now time.Time, orphans bool) error { return l.sweepBodies(now, orphans) }

// IndexKey is the index key of (tag, part, ts, sessionID); part is omitted for the time index.
func IndexKey(tag byte, part string, ts uint64, sessionID string) []byte {
	if tag == tagTime {
		return indexKey(scanPrefix(tag), ts, sessionID)
	}
	return indexKey(scanPrefix(tag, part), ts, sessionID)
}

// SetScanBudget lowers the number of index entries one Query may read.
func (l *Log) SetScanBudget(n int) { l.scanBudget = n }
