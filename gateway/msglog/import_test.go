package msglog_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shep-kz/shep/gateway/msglog"
)

// recentRec is mkRec(i) received recently (badger expires entries by the wall clock) and, when
// body > 0, with request and response bodies of that size.
func recentRec(i, body int) *msglog.Record {
	r := mkRec(i)
	shift := time.Now().UTC().Truncate(time.Second).Add(-time.Hour).Sub(t0)
	r.Received, r.Responded = r.Received.Add(shift), r.Responded.Add(shift)
	if body > 0 {
		r.Request = append(r.Request, bytes.Repeat([]byte("<person>ТЕСТОВ</person>"), body/26)...)
		r.Response = bytes.Repeat([]byte("<answer>Ответ</answer>"), body/24)
	}
	return r
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, t.TempDir())
	const ttl = 30 * 24 * time.Hour
	l := openLog(t, db, msglog.Options{TTL: ttl})
	// 400 records of ~9 KB: more than one transaction holds (store.Open's 8 MiB memtable allows
	// ~1.2 MB per transaction).
	const n = 400
	recs := make([]*msglog.Record, n)
	for i := range recs {
		recs[i] = recentRec(i, 4500)
	}
	got, err := l.Import(ctx, recs)
	if err != nil || got != n {
		t.Fatalf("Import = %d, %v; want %d", got, err, n)
	}
	txns, written := l.Stats()
	if written != n || txns < 2 || txns > n/10 {
		t.Errorf("Stats: %d records in %d transactions; want %d records in a few transactions", written, txns, n)
	}
	if c, err := l.Count(ctx); err != nil || c != n {
		t.Fatalf("Count = %d, %v", c, err)
	}
	for _, i := range []int{0, 1, 199, n - 1} {
		rec, err := l.Get(ctx, recs[i].Sender, recs[i].MessageID)
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
		sameRecord(t, rec, recs[i])
		if rec, err = l.BySession(ctx, recs[i].SessionID); err != nil || rec.MessageID != recs[i].MessageID {
			t.Fatalf("BySession %d: %v, %v", i, rec, err)
		}
	}
	// Every index answers: 4 ИИН, 3 services, the time index; newest first.
	for _, f := range []msglog.Filter{{IIN: recs[1].IIN}, {ServiceID: recs[2].ServiceID}, {MessageID: recs[3].MessageID}, {Limit: 1000}} {
		items, _, err := l.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, r := range recs {
			if (f.IIN == "" || r.IIN == f.IIN) && (f.ServiceID == "" || r.ServiceID == f.ServiceID) && (f.MessageID == "" || r.MessageID == f.MessageID) {
				want++
			}
		}
		limit := 100 // Query's default
		if f.Limit > 0 {
			limit = f.Limit
		}
		if want == 0 || len(items) != min(want, limit) {
			t.Errorf("Query %+v: %d items, want %d", f, len(items), want)
		}
		for k := 1; k < len(items); k++ {
			if items[k].Received.After(items[k-1].Received) {
				t.Fatalf("Query %+v: not newest first", f)
			}
		}
	}
	// Each record expires TTL after its Received, rounded up to the second.
	entries := rawEntries(t, db)
	exp := uint64(recs[5].Received.Add(ttl).Unix())
	if recs[5].Received.Nanosecond() > 0 {
		exp++
	}
	if got := entries[string(msglog.RecordKey(recs[5].Sender, recs[5].MessageID))]; got != exp {
		t.Errorf("ExpiresAt = %d, want %d (Received + TTL)", got, exp)
	}
	// Commit sees imported records.
	if err := l.Commit(ctx, recentRec(7, 0)); !errors.Is(err, msglog.ErrExists) {
		t.Errorf("Commit of an imported record: %v, want ErrExists", err)
	}
	if existing, _, err := l.Begin(ctx, recs[8].Sender, recs[8].MessageID); err != nil || existing == nil {
		t.Errorf("Begin of an imported record: %v, %v", existing, err)
	}
}

func TestImportStops(t *testing.T) {
	ctx := context.Background()
	batch := func(ids ...int) []*msglog.Record {
		var out []*msglog.Record
		for _, i := range ids {
			out = append(out, recentRec(i, 0))
		}
		return out
	}
	sameSession := batch(20, 21, 22)
	sameSession[2].SessionID = sameSession[0].SessionID
	invalid := batch(30, 31, 32)
	invalid[2].Sender = ""
	// In memory, badger refuses a value over 1 MiB (on disk it would go to the value log).
	tooLarge := batch(40, 41)
	tooLarge[1].Request = bytes.Repeat([]byte("x"), 2<<20)
	errAny := errors.New("any error")
	old := batch(50, 51, 52)
	old[1].Received = time.Now().Add(-40 * 24 * time.Hour)

	for _, tc := range []struct {
		name      string
		committed []*msglog.Record
		recs      []*msglog.Record
		want      int
		err       error
		present   []int // indexes of recs readable afterwards
	}{
		{name: "a record twice", recs: batch(1, 2, 3, 2, 4), want: 3, err: msglog.ErrExists, present: []int{0, 1, 2}},
		{name: "a session twice", recs: sameSession, want: 2, err: msglog.ErrExists, present: []int{0, 1}},
		{name: "already committed", committed: batch(12), recs: batch(10, 11, 12, 13), want: 2, err: msglog.ErrExists, present: []int{0, 1}},
		{name: "invalid: nothing written", recs: invalid, want: 0, err: msglog.ErrInvalid},
		{name: "refused by the store", recs: tooLarge, want: 1, err: errAny, present: []int{0}},
		{name: "expired skipped", recs: old, want: 2, present: []int{0, 2}},
		{name: "empty", want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, l := memLog(t)
			mustCommit(t, l, tc.committed...)
			n, err := l.Import(ctx, tc.recs)
			if n != tc.want || (tc.err != errAny && !errors.Is(err, tc.err)) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Import = %d, %v; want %d, %v", n, err, tc.want, tc.err)
			}
			if c, _ := l.Count(ctx); c != len(tc.committed)+len(tc.present) {
				t.Errorf("Count = %d, want %d", c, len(tc.committed)+len(tc.present))
			}
			for _, i := range tc.present {
				if _, err := l.Get(ctx, tc.recs[i].Sender, tc.recs[i].MessageID); err != nil {
					t.Errorf("record %d: %v", i, err)
				}
			}
		})
	}
}

func TestImportClosed(t *testing.T) {
	_, l := memLog(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Import(context.Background(), []*msglog.Record{recentRec(1, 0)}); !errors.Is(err, msglog.ErrClosed) {
		t.Fatalf("Import after Close: %v, want ErrClosed", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, l2 := memLog(t)
	if _, err := l2.Import(ctx, []*msglog.Record{recentRec(1, 0)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Import with a cancelled context: %v", err)
	}
}
