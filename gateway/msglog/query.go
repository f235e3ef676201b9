package msglog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Get returns the record of (sender, messageID), or ErrNotFound. Anonymous records are not found
// this way (many may share a messageID): use Query or BySession.
func (l *Log) Get(ctx context.Context, sender, messageID string) (*Record, error) {
	if err := l.readable(ctx); err != nil {
		return nil, err
	}
	if sender == Anonymous {
		return nil, fmt.Errorf("%w: anonymous records are found by session or query", ErrNotFound)
	}
	return l.get(recordKey(sender, messageID))
}

func (l *Log) get(k []byte) (*Record, error) {
	var rec *Record
	err := l.db.View(func(txn *badger.Txn) error {
		var err error
		rec, err = l.getRecord(txn, k)
		return err
	})
	return rec, err
}

func (l *Log) getRecord(txn *badger.Txn, k []byte) (*Record, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("msglog: get: %w", err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return nil, fmt.Errorf("msglog: get: %w", err)
	}
	rec, body, err := decodeRecord(v)
	if err == nil && body != nil {
		rec, err = l.readBlob(body)
	}
	if err != nil {
		return nil, fmt.Errorf("msglog: get %x: %w", k, err)
	}
	return rec, nil
}

// BySession returns the record the gateway logged under sessionID, or ErrNotFound.
func (l *Log) BySession(ctx context.Context, sessionID string) (*Record, error) {
	if err := l.readable(ctx); err != nil {
		return nil, err
	}
	var rec *Record
	err := l.db.View(func(txn *badger.Txn) error {
		s, err := getSummary(txn, sessionKey(sessionID))
		if err != nil {
			return err
		}
		rec, err = l.getRecord(txn, primaryKey(s.Sender, s.MessageID, s.SessionID))
		return err
	})
	return rec, err
}

func getSummary(txn *badger.Txn, k []byte) (Summary, error) {
	var s Summary
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return s, ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("msglog: get: %w", err)
	}
	err = item.Value(func(v []byte) error {
		s, err = decodeSummary(v)
		return err
	})
	if err != nil {
		return s, fmt.Errorf("msglog: get %x: %w", k, err)
	}
	return s, nil
}

func (l *Log) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("msglog: %w", err)
	}
	if l.isClosed() {
		return ErrClosed
	}
	return nil
}

// Filter selects records for Query. Empty fields do not filter. From is inclusive, To exclusive.
type Filter struct {
	MessageID, SessionID, IIN, ServiceID, Sender, Status string
	From, To                                             time.Time
	Limit                                                int    // default 100, at most 1000
	Before                                               string // opaque cursor: the next page of an earlier Query
}

// Summary is a record without bodies.
type Summary struct {
	Sender, MessageID, SessionID, ServiceID, IIN, Status string
	Received                                             time.Time
	Took                                                 time.Duration // Responded - Received; 0 if not responded
}

const (
	defaultLimit = 100
	maxLimit     = 1000
	// defaultScanBudget bounds the index entries one Query reads. A filter that the chosen index
	// does not cover (Sender, Status) may need more: Query then returns what it found with a cursor.
	defaultScanBudget = 50_000
)

// Query returns the summaries matching f, newest first (by Received, then SessionID). It
// reads the most selective index the filter allows: session, then sender+message (the primary
// key), message, ИИН, service, time, and checks the other fields on the index entries, which
// hold the summary; no body is read.
//
// next is non-empty when there may be more: pass it as Filter.Before with the same filter. A
// page may hold fewer than Limit items, even none, with a non-empty next when Query stopped
// after scanning its budget of index entries (a filter on Sender or Status alone over a long
// retention); each record appears on exactly one page.
func (l *Log) Query(ctx context.Context, f Filter) (items []Summary, next string, err error) {
	if err := l.readable(ctx); err != nil {
		return nil, "", err
	}
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		return nil, "", fmt.Errorf("%w: From after To", ErrInvalid)
	}
	cur, err := parseCursor(f.Before)
	if err != nil {
		return nil, "", err
	}
	q := query{ctx: ctx, f: f, limit: limit, cur: cur, budget: l.scanBudget}
	err = l.db.View(func(txn *badger.Txn) error {
		switch {
		case f.SessionID != "":
			return q.one(getSummary(txn, sessionKey(f.SessionID)))
		case f.MessageID != "" && f.Sender != "" && f.Sender != Anonymous:
			rec, err := l.getRecord(txn, recordKey(f.Sender, f.MessageID))
			if err != nil {
				return q.one(Summary{}, err)
			}
			return q.one(summaryOf(rec), nil)
		case f.MessageID != "":
			return q.scan(txn, scanPrefix(tagMessage, f.MessageID))
		case f.IIN != "":
			return q.scan(txn, scanPrefix(tagIIN, f.IIN))
		case f.ServiceID != "":
			return q.scan(txn, scanPrefix(tagService, f.ServiceID))
		default:
			return q.scan(txn, scanPrefix(tagTime))
		}
	})
	if err != nil {
		return nil, "", err
	}
	return q.items, q.next, nil
}

type query struct {
	ctx    context.Context
	f      Filter
	limit  int
	cur    *cursor
	budget int
	items  []Summary
	next   string
}

func (q *query) match(s *Summary) bool {
	f := &q.f
	return (f.MessageID == "" || f.MessageID == s.MessageID) &&
		(f.SessionID == "" || f.SessionID == s.SessionID) &&
		(f.IIN == "" || f.IIN == s.IIN) &&
		(f.ServiceID == "" || f.ServiceID == s.ServiceID) &&
		(f.Sender == "" || f.Sender == s.Sender) &&
		(f.Status == "" || f.Status == s.Status) &&
		(f.From.IsZero() || !s.Received.Before(f.From)) &&
		(f.To.IsZero() || s.Received.Before(f.To)) &&
		(q.cur == nil || !q.cur.after(tsOf(s.Received), s.SessionID))
}

// one handles a point lookup.
func (q *query) one(s Summary, err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if q.match(&s) {
		q.items = append(q.items, s)
	}
	return nil
}

// scan walks the index entries under base backwards from min(To, cursor) down to From.
func (q *query) scan(txn *badger.Txn, base []byte) error {
	upper := uint64(math.MaxUint64)
	if !q.f.To.IsZero() {
		upper = clampTS(q.f.To)
	}
	// base ‖ escape(upper) is above every key under base whose ts < upper and below the others
	// (for upper 0, below every key: nothing to scan).
	start := appendTS(bytes.Clone(base), upper)
	var ck []byte
	if q.cur != nil {
		ck = indexKey(base, q.cur.ts, q.cur.sid)
		if bytes.Compare(ck, start) < 0 {
			start = ck
		}
	}
	it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: base})
	defer it.Close()
	var last cursor // the last entry scanned, from its key
	scanned := 0
	for it.Seek(start); it.Valid(); it.Next() {
		item := it.Item()
		if ck != nil && bytes.Compare(item.Key(), ck) >= 0 {
			continue // the cursor's own entry
		}
		if scanned%1024 == 0 {
			if err := q.ctx.Err(); err != nil {
				return fmt.Errorf("msglog: query: %w", err)
			}
		}
		if scanned == q.budget {
			q.next = last.String()
			return nil
		}
		scanned++
		ts, sid, ok := splitIndexKey(item.Key(), base)
		if !ok {
			return fmt.Errorf("msglog: query: malformed index key %x", item.Key())
		}
		if !q.f.From.IsZero() && ts < clampTS(q.f.From) {
			return nil
		}
		last = cursor{ts, sid}
		s, found, err := q.summary(txn, item, sid)
		if err != nil {
			return err
		}
		if !found { // expired between the index entry and the session entry
			continue
		}
		if !q.match(&s) {
			continue
		}
		if len(q.items) == q.limit { // one more matches: there is a next page
			end := &q.items[len(q.items)-1]
			q.next = cursor{tsOf(end.Received), end.SessionID}.String()
			return nil
		}
		q.items = append(q.items, s)
	}
	return nil
}

// summary is the Summary an index entry points to: its value (stores written before the indexes
// became keys only), else the session entry named in its key. found is false when the session
// entry has expired already.
func (q *query) summary(txn *badger.Txn, item *badger.Item, sid string) (s Summary, found bool, err error) {
	if item.ValueSize() > 0 {
		err = item.Value(func(v []byte) error {
			s, err = decodeSummary(v)
			return err
		})
		if err != nil {
			return s, false, fmt.Errorf("msglog: query %x: %w", item.Key(), err)
		}
		return s, true, nil
	}
	s, err = getSummary(txn, sessionKey(sid))
	if errors.Is(err, ErrNotFound) {
		return s, false, nil
	}
	return s, err == nil, err
}

// Count returns the number of unexpired records. It walks the primary keys of one read
// snapshot (keys only, no values decoded), so it is O(records) and only approximate while
// commits and expiries happen; ctx cancels it.
func (l *Log) Count(ctx context.Context) (int, error) {
	if err := l.readable(ctx); err != nil {
		return 0, err
	}
	n := 0
	err := l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: scanPrefix(tagRecord)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("msglog: count: %w", err)
				}
			}
			n++
		}
		return nil
	})
	return n, err
}
