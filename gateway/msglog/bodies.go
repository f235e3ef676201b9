package msglog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/store/blobs"
)

// Records in segment files (Options.BodyDir). The committer appends a batch's records (header ‖
// Request ‖ Response, one blob each) to the writing segment, syncs it, and only then commits the
// entries pointing to them, so a committed entry never points to bytes a crash could lose. In the same transaction it records,
// under b ⟨segment⟩, the latest ExpiresAt of the records in that segment: the segment is removed
// once that has passed (plus sweepMargin), when no record in it can be read any more.

const (
	sweepEvery  = 10 * time.Minute
	sweepMargin = 10 * time.Minute // clock steps between the commit and the sweep
)

// bodyKey is b ‖ segment as 4 big-endian bytes (fixed length: no separators or escapes).
func bodyKey(seg uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{tagBodies}, seg)
}

// appendBodies writes the blobs of the requests not yet appended, syncs them and sets their
// records' values. Nothing of reqs may be committed if it fails.
func (l *Log) appendBodies(reqs []*commitReq) error {
	if l.bodies == nil {
		return nil
	}
	var todo []*commitReq
	var bs [][]byte
	for _, r := range reqs {
		if !r.appended {
			todo = append(todo, r)
			bs = append(bs, r.blob)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	refs, err := l.bodies.Append(bs...)
	if err == nil {
		err = l.bodies.Sync()
	}
	if err != nil {
		return fmt.Errorf("msglog: writing bodies: %w", err)
	}
	for i, r := range todo {
		r.ref, r.appended = refs[i], true
		r.entries[0].Value = encodeRecordRef(bodyRef{Ref: r.ref, hdrLen: r.hdrLen, reqLen: r.reqLen})
		r.blob = nil
	}
	return nil
}

// noteSegments records in txn, for each segment the records of reqs point into, the latest
// ExpiresAt among them and the ones already there.
func (l *Log) noteSegments(txn *badger.Txn, reqs []*commitReq) error {
	if l.bodies == nil {
		return nil
	}
	latest := map[uint32]int64{}
	for _, r := range reqs {
		latest[r.ref.Seg] = max(latest[r.ref.Seg], r.exp)
	}
	for seg, exp := range latest {
		k := bodyKey(seg)
		item, err := txn.Get(k)
		switch {
		case err == nil:
			if err := item.Value(func(v []byte) error {
				if len(v) == 8 {
					exp = max(exp, int64(binary.BigEndian.Uint64(v)))
				}
				return nil
			}); err != nil {
				return fmt.Errorf("msglog: segment %08x: %w", seg, err)
			}
		case !errors.Is(err, badger.ErrKeyNotFound):
			return fmt.Errorf("msglog: segment %08x: %w", seg, err)
		}
		if err := txn.Set(k, binary.BigEndian.AppendUint64(nil, uint64(exp))); err != nil {
			return fmt.Errorf("msglog: segment %08x: %w", seg, err)
		}
	}
	return nil
}

// sweepBodies removes the segments whose records have all expired by now. With orphans (at Open,
// before anything is written) it also removes the segments no committed record points to.
func (l *Log) sweepBodies(now time.Time, orphans bool) error {
	l.bodyMu.Lock()
	defer l.bodyMu.Unlock()
	segs, err := l.bodies.Segments()
	if err != nil {
		return fmt.Errorf("msglog: sweep: %w", err)
	}
	latest := map[uint32]int64{}
	err = l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{tagBodies}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) != 5 {
				continue
			}
			seg := binary.BigEndian.Uint32(k[1:])
			if err := it.Item().Value(func(v []byte) error {
				if len(v) == 8 {
					latest[seg] = int64(binary.BigEndian.Uint64(v))
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("msglog: sweep: %w", err)
	}
	cutoff := now.Add(-sweepMargin).Unix()
	var gone []uint32 // segments whose notes go
	present := map[uint32]bool{}
	for _, s := range segs {
		present[s.ID] = true
	}
	if orphans {
		// Notes of segments lost before their note's deletion was written. Only at Open: later a
		// segment may appear, and its note be written, after the list above was taken.
		for seg := range latest {
			if !present[seg] {
				gone = append(gone, seg)
			}
		}
	}
	for _, s := range segs {
		exp, noted := latest[s.ID]
		switch {
		case s.Writing:
			continue
		case noted && exp < cutoff:
		case !noted && orphans:
		default:
			continue
		}
		if err := l.bodies.Remove(s.ID); err != nil && !errors.Is(err, blobs.ErrNotFound) {
			l.log.Warn("removing a body segment", "segment", s.ID, "err", err)
			continue
		}
		if noted {
			gone = append(gone, s.ID)
		}
		l.log.Info("body segment removed", "segment", s.ID, "bytes", s.Size, "expired", noted)
	}
	if len(gone) == 0 {
		return nil
	}
	err = l.db.Update(func(txn *badger.Txn) error {
		for _, seg := range gone {
			if err := txn.Delete(bodyKey(seg)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("msglog: sweep: %w", err)
	}
	return nil
}

func (l *Log) sweepLoop() {
	defer close(l.sweepDone)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-l.sweepStop:
			return
		case <-t.C:
			if err := l.sweepBodies(time.Now(), false); err != nil {
				l.log.Warn("body segments", "err", err)
			}
		}
	}
}

// readBlob reads the record of a version 2 value from its segment.
func (l *Log) readBlob(body *bodyRef) (*Record, error) {
	if l.bodies == nil {
		return nil, fmt.Errorf("%w: the record is in segment files, and this log was opened without a BodyDir", errCorrupt)
	}
	b, err := l.bodies.Read(body.Ref)
	switch {
	case errors.Is(err, blobs.ErrClosed):
		return nil, ErrClosed
	case errors.Is(err, blobs.ErrNotFound), errors.Is(err, blobs.ErrCorrupt):
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	case err != nil:
		return nil, fmt.Errorf("msglog: read record: %w", err)
	}
	return decodeBlob(b, body)
}
