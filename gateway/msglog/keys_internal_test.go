package msglog

import (
	"context"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/store"
)

func TestSplitIndexKey(t *testing.T) {
	for _, tc := range []struct {
		name, part, sid string
		ts              uint64
	}{
		{"plain", "931002451325", "{0000-1}", 1_700_000_000_000_000_000},
		{"zero bytes in ts", "x", "s", 0x0000_0100_0000_0001},
		{"ts 0", "x", "s", 0},
		{"NUL and 0xFF in the session", "a\x00b", "\x00\xff\x00\x01", 42},
		{"empty session", "x", "", 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := scanPrefix(tagIIN, tc.part)
			ts, sid, ok := splitIndexKey(indexKey(prefix, tc.ts, tc.sid), prefix)
			if !ok || ts != tc.ts || sid != tc.sid {
				t.Fatalf("got (%d, %q, %v), want (%d, %q)", ts, sid, ok, tc.ts, tc.sid)
			}
		})
	}
	prefix := scanPrefix(tagIIN, "1")
	for name, k := range map[string][]byte{
		"other prefix":      indexKey(scanPrefix(tagIIN, "2"), 1, "s"),
		"short ts":          append(append([]byte{}, prefix...), 1, 2, 3, 0, 1, 's'),
		"dangling 0x00":     append(indexKey(prefix, 1, "s"), 0),
		"bad escape":        append(indexKey(prefix, 1, "s"), 0, 7),
		"a third part":      append(indexKey(prefix, 1, "s"), 0, 1, 'x'),
		"no session at all": appendTS(append([]byte{}, prefix...), 1),
	} {
		if _, _, ok := splitIndexKey(k, prefix); ok {
			t.Errorf("%s: %x accepted", name, k)
		}
	}
}

// diskLogInternal is a Log on a store in a temporary directory, both closed at the end of the test.
func diskLogInternal(t *testing.T) (*store.DB, *Log) {
	t.Helper()
	db, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := Open(db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return db, l
}

// A store written when index entries held the Summary is still read: Query takes the Summary from
// the entry's value when it has one.
func TestQueryReadsSummaryValuedIndexes(t *testing.T) {
	db, l := diskLogInternal(t)
	var err error
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	old := &Record{Sender: "s", MessageID: "old-1", SessionID: "{old}", IIN: "931002451325", ServiceID: "SVC", Received: t0, Status: "SCSS001"}
	neu := &Record{Sender: "s", MessageID: "new-1", SessionID: "{new}", IIN: "931002451325", ServiceID: "SVC", Received: t0.Add(time.Second), Status: "SCSS001"}
	// The old layout: every index entry carries the encoded Summary.
	req := prepareExpiring(context.Background(), old, expiresAt(time.Now().Add(time.Hour)), false)
	sv := encodeSummary(&Summary{Sender: old.Sender, MessageID: old.MessageID, SessionID: old.SessionID, ServiceID: old.ServiceID, IIN: old.IIN, Status: old.Status, Received: old.Received})
	err = db.Update(func(txn *badger.Txn) error {
		for _, e := range req.entries {
			if len(e.Value) == 0 {
				e.Value = sv
			}
			if err := txn.SetEntry(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(context.Background(), neu); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{IIN: old.IIN}, {ServiceID: "SVC"}, {}, {IIN: old.IIN, Status: "SCSS001", Sender: "s"}} {
		items, _, err := l.Query(context.Background(), f)
		if err != nil || len(items) != 2 || items[0].MessageID != "new-1" || items[1].MessageID != "old-1" || items[1].SessionID != "{old}" {
			t.Fatalf("%+v: %+v, %v", f, items, err)
		}
	}
	items, _, err := l.Query(context.Background(), Filter{MessageID: "old-1"})
	if err != nil || len(items) != 1 || items[0].SessionID != "{old}" {
		t.Fatalf("by messageId: %+v, %v", items, err)
	}
}

// Index entries whose session entry is gone are skipped, and the paging cursor still moves past
// them, whatever the scan budget.
func TestQuerySkipsOrphanedIndexEntries(t *testing.T) {
	db, l := diskLogInternal(t)
	var err error
	l.scanBudget = 1
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	kept := &Record{Sender: "s", MessageID: "kept", SessionID: "{kept}", IIN: "931002451325", Received: t0}
	if err := l.Commit(context.Background(), kept); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error { // two newer orphans
		for i, sid := range []string{"{orphan-1}", "{orphan-2}"} {
			k := indexKey(scanPrefix(tagIIN, kept.IIN), tsOf(t0.Add(time.Duration(i+1)*time.Second)), sid)
			if err := txn.Set(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var found []Summary
	f := Filter{IIN: kept.IIN}
	for page := 0; ; page++ {
		if page == 10 {
			t.Fatal("the cursor does not move past the orphans")
		}
		items, next, err := l.Query(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, items...)
		if next == "" {
			break
		}
		f.Before = next
	}
	if len(found) != 1 || found[0].SessionID != "{kept}" {
		t.Fatalf("found %+v", found)
	}
}
