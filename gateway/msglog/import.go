package msglog

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Import writes records in bulk, from the calling goroutine and in as few transactions as the
// store allows: the path for loading a log (a synthetic fill for measurements, a restore), not
// for the gateway, which uses Begin and Commit. Records are written in order; a record and its
// index entries are always in one transaction, the records of one call are not.
//
// Every record is validated as Commit does before anything is written (ErrInvalid). A record
// whose (sender, messageID) or session is already logged, or repeats an earlier record of recs,
// stops the import with ErrExists: the records before it stay written. Import does not take
// Begin's claims. Each record expires TTL after its Received, as if it had been committed when
// received; a record that has expired already is skipped. Durability is the store's: with
// SyncWrites each transaction is fsynced (and the records' segment before it), without it call
// the store's Sync at the end (the Log's Close syncs the segments it wrote).
//
// It returns the number of records written.
func (l *Log) Import(ctx context.Context, recs []*Record) (int, error) {
	if err := l.readable(ctx); err != nil {
		return 0, err
	}
	now := l.now().Unix()
	reqs := make([]*commitReq, 0, len(recs))
	for i, r := range recs {
		if err := validate(r); err != nil {
			return 0, fmt.Errorf("msglog: import record %d: %w", i, err)
		}
		exp := expiresAt(r.Received.Add(l.ttl))
		if exp <= now {
			continue
		}
		reqs = append(reqs, prepareExpiring(ctx, r, exp, l.bodies != nil))
	}
	written := 0
	for written < len(reqs) {
		if err := ctx.Err(); err != nil {
			return written, fmt.Errorf("msglog: import: %w", err)
		}
		if l.db.IsClosed() {
			return written, fmt.Errorf("%w: store closed", ErrClosed)
		}
		l.bodyMu.Lock()
		n, err := l.importTxn(reqs[written:], l.fitting(reqs[written:]))
		l.bodyMu.Unlock()
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// fitting is how many whole records of reqs one transaction holds, by badger's own accounting
// (Txn.checkSize: key, value, 2 meta bytes and 10 for the version, per entry, below MaxBatchSize
// and MaxBatchCount). At least 1: a record too large on its own fails in importTxn.
func (l *Log) fitting(reqs []*commitReq) int {
	maxSize, maxCount := l.db.MaxBatchSize(), l.db.MaxBatchCount()
	var size, count int64
	for i, r := range reqs {
		for _, e := range r.entries {
			size += int64(len(e.Key)+len(e.Value)) + 12
		}
		count += int64(len(r.entries))
		if size >= maxSize || count+1 >= maxCount {
			return max(i, 1)
		}
	}
	return len(reqs)
}

// importTxn writes the first n records of reqs in one transaction and returns how many it
// wrote: n, or fewer when one of them is already logged (ErrExists) or the transaction fails.
func (l *Log) importTxn(reqs []*commitReq, n int) (int, error) {
	if err := l.appendBodies(reqs[:n]); err != nil {
		return 0, err
	}
	txn := l.db.NewTransaction(true)
	defer txn.Discard()
	var stop error
	added := 0
	for _, r := range reqs[:n] {
		if err := taken(txn, r); err != nil {
			stop = err
			break
		}
		for _, e := range r.entries {
			if err := txn.SetEntry(e); err != nil {
				if errors.Is(err, badger.ErrTxnTooBig) && added > 0 {
					// fitting's estimate was short: write the records before r alone.
					txn.Discard()
					return l.importTxn(reqs, added)
				}
				if errors.Is(err, badger.ErrTxnTooBig) {
					err = fmt.Errorf("%w: %q/%q", ErrTooLarge, r.sender, r.msgID)
				} else {
					err = fmt.Errorf("msglog: import %q/%q: %w", r.sender, r.msgID, err)
				}
				return 0, err
			}
		}
		added++
	}
	if added > 0 {
		if err := l.noteSegments(txn, reqs[:added]); err != nil {
			return 0, err
		}
		if err := txn.Commit(); err != nil {
			return 0, fmt.Errorf("msglog: import: %w", err)
		}
		l.txns.Add(1)
		l.records.Add(uint64(added))
	}
	return added, stop
}
