package msglog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/store"
)

func TestBeginCommitReplay(t *testing.T) {
	ctx := context.Background()
	_, l := memLog(t)
	r := mkRec(1)

	existing, release, err := l.Begin(ctx, r.Sender, r.MessageID)
	if err != nil || existing != nil || release == nil {
		t.Fatalf("first Begin = %v, %v", existing, err)
	}
	if _, _, err := l.Begin(ctx, r.Sender, r.MessageID); !errors.Is(err, msglog.ErrInProgress) {
		t.Fatalf("second Begin while claimed: %v, want ErrInProgress", err)
	}
	// Another key is independent.
	_, rel2, err := l.Begin(ctx, r.Sender, "other")
	if err != nil {
		t.Fatal(err)
	}
	rel2()
	mustCommit(t, l, r)
	if _, _, err := l.Begin(ctx, r.Sender, r.MessageID); !errors.Is(err, msglog.ErrInProgress) {
		t.Fatalf("Begin before release: %v, want ErrInProgress", err)
	}
	release()
	release() // harmless

	existing, rel, err := l.Begin(ctx, r.Sender, r.MessageID)
	if err != nil || existing == nil {
		t.Fatalf("Begin after commit = %v, %v; want the record", existing, err)
	}
	sameRecord(t, existing, r)
	rel()
	// No claim is held when a record is returned.
	if existing, _, err := l.Begin(ctx, r.Sender, r.MessageID); err != nil || existing == nil {
		t.Fatalf("Begin again = %v, %v", existing, err)
	}

	if err := l.Commit(ctx, r); !errors.Is(err, msglog.ErrExists) {
		t.Fatalf("second Commit: %v, want ErrExists", err)
	}
	again := mkRec(1)
	again.SessionID = "{a-new-session}"
	if err := l.Commit(ctx, again); !errors.Is(err, msglog.ErrExists) {
		t.Fatalf("Commit of a logged messageId in a new session: %v, want ErrExists", err)
	}
	other := mkRec(2)
	other.SessionID = r.SessionID
	if err := l.Commit(ctx, other); !errors.Is(err, msglog.ErrExists) {
		t.Fatalf("Commit reusing a session: %v, want ErrExists", err)
	}
	if _, err := l.Get(ctx, other.Sender, other.MessageID); !errors.Is(err, msglog.ErrNotFound) {
		t.Fatalf("refused record is readable: %v", err)
	}
}

func TestBeginConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	_, l := memLog(t)
	const goroutines = 32
	for round := range 5 {
		var (
			wg       sync.WaitGroup
			start    = make(chan struct{})
			claimed  atomic.Int32
			busy     atomic.Int32
			mu       sync.Mutex
			releases []func()
		)
		for range goroutines {
			wg.Go(func() {
				<-start
				_, rel, err := l.Begin(ctx, "sender", "same-id")
				switch {
				case err == nil:
					claimed.Add(1)
					mu.Lock()
					releases = append(releases, rel)
					mu.Unlock()
				case errors.Is(err, msglog.ErrInProgress):
					busy.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if claimed.Load() != 1 || busy.Load() != goroutines-1 {
			t.Fatalf("round %d: %d claims, %d ErrInProgress; want 1 and %d", round, claimed.Load(), busy.Load(), goroutines-1)
		}
		releases[0]() // lets the next round claim
	}
}

// Two Commits of the same key in one batch: one is written, the other gets ErrExists.
func TestCommitDuplicateInOneBatch(t *testing.T) {
	_, l := memLog(t)
	first, release := holdCommitter(t, l)
	// The first Commit occupies the committer; the two duplicates queue behind it.
	errs := make(chan error, 3)
	go func() { errs <- l.Commit(context.Background(), mkRec(0)) }()
	first()
	a, b := mkRec(1), mkRec(1)
	b.SessionID = "{other-session}"
	go func() { errs <- l.Commit(context.Background(), a) }()
	go func() { errs <- l.Commit(context.Background(), b) }()
	waitFor(t, func() bool { return l.QueueLen() == 2 })
	release()
	var ok, exists int
	for range 3 {
		switch err := <-errs; {
		case err == nil:
			ok++
		case errors.Is(err, msglog.ErrExists):
			exists++
		default:
			t.Fatal(err)
		}
	}
	if ok != 2 || exists != 1 {
		t.Fatalf("%d written, %d ErrExists; want 2 and 1", ok, exists)
	}
	if txns, recs := l.Stats(); txns != 2 || recs != 2 {
		t.Fatalf("Stats = %d txns, %d records; want 2, 2", txns, recs)
	}
}

// holdCommitter stops the committer before it writes its first batch, until release; first
// waits for the committer to get there and returns that batch's size.
func holdCommitter(t testing.TB, l *msglog.Log) (first func() int, release func()) {
	entered := make(chan int, 1)
	gate := make(chan struct{})
	var once, closeOnce sync.Once
	l.SetBeforeWrite(func(n int) {
		once.Do(func() {
			entered <- n
			<-gate
		})
	})
	var size int
	var got sync.Once
	first = func() int {
		got.Do(func() {
			select {
			case size = <-entered:
			case <-time.After(10 * time.Second):
				t.Fatal("the committer did not start a batch in 10s")
			}
		})
		return size
	}
	release = func() { closeOnce.Do(func() { close(gate) }) }
	t.Cleanup(release) // before the Log's Close
	return first, release
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	full := mkRec(5)
	full.SignerBIN = "180340021791"
	cases := map[string]*msglog.Record{
		"full":    full,
		"minimal": {Sender: "s", MessageID: "m", SessionID: "{x}", Received: t0},
		"odd bytes": {Sender: "a\x00b\xff", MessageID: "ж\x00\x01", SessionID: "\x00", Received: t0.Add(time.Nanosecond),
			Steps:   []msglog.Step{{Name: "", Outcome: "", Detail: "", Duration: -1}},
			Request: []byte{0}, Response: bytes.Repeat([]byte("я"), 70_000), HTTPStatus: -1,
			Responded: time.Date(2261, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := msglog.DecodeRecord(msglog.EncodeRecord(r))
			if err != nil {
				t.Fatal(err)
			}
			sameRecord(t, got, r)
			_, l := memLog(t)
			mustCommit(t, l, r)
			got, err = l.Get(context.Background(), r.Sender, r.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			sameRecord(t, got, r)
			got, err = l.BySession(context.Background(), r.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			sameRecord(t, got, r)
		})
	}
}

func TestDecodeRejectsCorruption(t *testing.T) {
	enc := msglog.EncodeRecord(mkRec(3))
	for n := range len(enc) {
		if _, err := msglog.DecodeRecord(enc[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: decoded", n, len(enc))
		}
	}
	bad := bytes.Clone(enc)
	bad[0] = 2
	if _, err := msglog.DecodeRecord(bad); err == nil {
		t.Fatal("unknown version decoded")
	}
	if _, err := msglog.DecodeRecord(append(bytes.Clone(enc), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func TestCommitValidation(t *testing.T) {
	_, l := memLog(t)
	long := string(bytes.Repeat([]byte("x"), 1025))
	cases := map[string]func(r *msglog.Record){
		"no sender":         func(r *msglog.Record) { r.Sender = "" },
		"no message id":     func(r *msglog.Record) { r.MessageID = "" },
		"no session":        func(r *msglog.Record) { r.SessionID = "" },
		"no received":       func(r *msglog.Record) { r.Received = time.Time{} },
		"received pre-1970": func(r *msglog.Record) { r.Received = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) },
		"received 2262":     func(r *msglog.Record) { r.Received = time.Date(2262, 6, 1, 0, 0, 0, 0, time.UTC) },
		"long message id":   func(r *msglog.Record) { r.MessageID = long },
		"long IIN":          func(r *msglog.Record) { r.IIN = long },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := mkRec(1)
			mutate(r)
			if err := l.Commit(context.Background(), r); !errors.Is(err, msglog.ErrInvalid) {
				t.Fatalf("Commit: %v, want ErrInvalid", err)
			}
		})
	}
	if err := l.Commit(context.Background(), nil); !errors.Is(err, msglog.ErrInvalid) {
		t.Fatalf("Commit(nil): %v", err)
	}
	if _, _, err := l.Begin(context.Background(), "", "x"); !errors.Is(err, msglog.ErrInvalid) {
		t.Fatalf("Begin without sender: %v", err)
	}
	for _, o := range []msglog.Options{{TTL: -time.Second}, {MaxBatch: -1}} {
		if _, err := msglog.Open(openStore(t, ""), o); !errors.Is(err, msglog.ErrInvalid) {
			t.Fatalf("Open(%+v): %v, want ErrInvalid", o, err)
		}
	}
}

// A record is committed durably, whether the log or the store is closed first.
func TestDurabilityAcrossReopen(t *testing.T) {
	for _, tc := range []struct{ logFirst, bodies bool }{{true, false}, {false, false}, {true, true}, {false, true}} {
		logFirst := tc.logFirst
		t.Run(fmt.Sprintf("closeLogFirst=%v,bodyDir=%v", logFirst, tc.bodies), func(t *testing.T) {
			dir := t.TempDir()
			var opts msglog.Options
			if tc.bodies {
				opts.BodyDir = filepath.Join(t.TempDir(), "bodies")
			}
			db, err := store.Open(store.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			l, err := msglog.Open(db, opts)
			if err != nil {
				t.Fatal(err)
			}
			const n = 200
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := g; i < n; i += 8 {
						if err := l.Commit(context.Background(), mkRec(i)); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			if logFirst {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if !logFirst {
				if err := l.Close(); err != nil { // the committer is idle: nothing to write
					t.Fatal(err)
				}
			}
			if err := l.Commit(context.Background(), mkRec(n)); !errors.Is(err, msglog.ErrClosed) {
				t.Fatalf("Commit after Close: %v, want ErrClosed", err)
			}

			l2 := openLog(t, openStore(t, dir), opts)
			for i := range n {
				want := mkRec(i)
				got, err := l2.Get(context.Background(), want.Sender, want.MessageID)
				if err != nil {
					t.Fatalf("record %d after reopen: %v", i, err)
				}
				sameRecord(t, got, want)
			}
			if c, err := l2.Count(context.Background()); err != nil || c != n {
				t.Fatalf("Count = %d, %v; want %d", c, err, n)
			}
		})
	}
}

// Deterministic grouping: while the committer writes the first record, the 63 others queue, and
// the second transaction takes them all.
func TestGroupCommit(t *testing.T) {
	_, l := memLog(t)
	const n = 64
	first, release := holdCommitter(t, l)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := l.Commit(context.Background(), mkRec(i)); err != nil {
				t.Error(err)
			}
		})
	}
	k := first()
	waitFor(t, func() bool { return l.QueueLen()+k == n }) // the committer holds k, the rest wait
	release()
	wg.Wait()
	txns, recs := l.Stats()
	if recs != n || txns != 2 {
		t.Fatalf("%d records in %d transactions (first batch %d); want %d in 2", recs, txns, k, n)
	}
}

// The same on disk with fsync and no hook: 64 goroutines, far fewer transactions than records.
func TestGroupCommitOnDisk(t *testing.T) {
	l := openLog(t, openStore(t, t.TempDir()), msglog.Options{})
	const goroutines, each = 64, 8
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if err := l.Commit(context.Background(), mkRec(g*each+i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	txns, recs := l.Stats()
	t.Logf("%d records in %d transactions (%.1f per fsync)", recs, txns, float64(recs)/float64(txns))
	if recs != goroutines*each || txns*4 > recs {
		t.Fatalf("%d records in %d transactions; want %d records in at most a quarter as many", recs, txns, goroutines*each)
	}
}

// MaxBatch bounds a transaction.
func TestMaxBatch(t *testing.T) {
	db := openStore(t, "")
	l := openLog(t, db, msglog.Options{MaxBatch: 5})
	first, release := holdCommitter(t, l)
	var wg sync.WaitGroup
	for i := range 21 {
		wg.Go(func() { mustCommitErr(t, l, mkRec(i)) })
	}
	k := first()
	if k > 5 {
		t.Fatalf("first batch of %d records; MaxBatch is 5", k)
	}
	waitFor(t, func() bool { return l.QueueLen()+k == 21 })
	release()
	wg.Wait()
	want := 1 + uint64(21-k+4)/5
	if txns, recs := l.Stats(); recs != 21 || txns != want {
		t.Fatalf("%d records in %d transactions; want 21 in %d", recs, txns, want)
	}
}

func mustCommitErr(t testing.TB, l *msglog.Log, r *msglog.Record) {
	if err := l.Commit(context.Background(), r); err != nil {
		t.Error(err)
	}
}

// A batch larger than one badger transaction is split into several.
func TestBatchSplitAndTooLarge(t *testing.T) {
	db := openStore(t, t.TempDir()) // the store's 8 MiB memtables allow ~1.2 MiB per transaction
	l := openLog(t, db, msglog.Options{})
	first, release := holdCommitter(t, l)
	// Bodies go to the value log and count little in a transaction; keys count whole. A record
	// whose sender, messageID, ИИН and service are 1,000 bytes each has ~6 KB of keys.
	const n = 256 // MaxBatch: one batch, ~1.5 MB of keys
	long := func(i int, s string) string { return fmt.Sprintf("%04d", i) + strings.Repeat(s, 996) }
	big := func(i int) *msglog.Record {
		r := mkRec(i)
		r.Sender, r.MessageID, r.IIN, r.ServiceID = long(i, "s"), long(i, "m"), long(i, "i"), long(i, "v")
		r.Request = bytes.Repeat([]byte{byte('a' + i%26)}, 30_000)
		return r
	}
	var wg sync.WaitGroup
	wg.Go(func() { mustCommitErr(t, l, mkRec(1000)) })
	first()
	for i := range n {
		wg.Go(func() { mustCommitErr(t, l, big(i)) })
	}
	waitFor(t, func() bool { return l.QueueLen() == n })
	release()
	wg.Wait()
	txns, recs := l.Stats()
	if recs != n+1 || txns < 3 { // ~1.5 MB of keys cannot fit in one transaction of ≤ 1.2 MiB
		t.Fatalf("%d records in %d transactions; want %d in ≥ 3", recs, txns, n+1)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		got, err := l.Get(context.Background(), big(i).Sender, big(i).MessageID)
		if err != nil || !bytes.Equal(got.Request, big(i).Request) || got.IIN != big(i).IIN {
			t.Fatalf("big record %d: %v", i, err)
		}
	}
	// Values of 1 MiB and more go to badger's value log: a 1.4 MB record is fine on disk.
	huge := mkRec(5000)
	huge.Request = bytes.Repeat([]byte("q"), 700_000)
	huge.Response = bytes.Repeat([]byte("r"), 700_000)
	mustCommit(t, l, huge)
	if got, err := l.Get(context.Background(), huge.Sender, huge.MessageID); err != nil {
		t.Fatal(err)
	} else {
		sameRecord(t, got, huge)
	}
	// In memory badger refuses it; the error reaches the caller and the committer goes on.
	mem := openLog(t, openStore(t, ""), msglog.Options{})
	if err := mem.Commit(context.Background(), huge); err == nil {
		t.Fatal("in-memory store took a 1.4 MB value")
	}
	mustCommit(t, mem, mkRec(51))
}

func TestCloseDrainsQueue(t *testing.T) {
	db := openStore(t, "")
	l, err := msglog.Open(db, msglog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, release := holdCommitter(t, l)
	errs := make(chan error, 10)
	for i := range 10 {
		go func() { errs <- l.Commit(context.Background(), mkRec(i)) }()
	}
	k := first()
	waitFor(t, func() bool { return l.QueueLen()+k == 10 })
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	waitFor(t, func() bool {
		_, rel, err := l.Begin(context.Background(), "probe", "probe")
		if err == nil {
			rel()
		}
		return errors.Is(err, msglog.ErrClosed)
	})
	if err := l.Commit(context.Background(), mkRec(99)); !errors.Is(err, msglog.ErrClosed) {
		t.Fatalf("Commit while closing: %v, want ErrClosed", err)
	}
	release()
	for range 10 {
		if err := <-errs; err != nil {
			t.Fatalf("queued Commit: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); !errors.Is(err, msglog.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := l.Begin(context.Background(), "s", "m"); !errors.Is(err, msglog.ErrClosed) {
		t.Fatalf("Begin after Close: %v", err)
	}
	// Everything queued was written.
	l2 := openLog(t, db, msglog.Options{})
	if n, err := l2.Count(context.Background()); err != nil || n != 10 {
		t.Fatalf("Count = %d, %v; want 10", n, err)
	}
}

func TestCommitContext(t *testing.T) {
	_, l := memLog(t)
	first, release := holdCommitter(t, l)
	go func() { _ = l.Commit(context.Background(), mkRec(0)) }()
	first()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Commit(ctx, mkRec(1)) }()
	waitFor(t, func() bool { return l.QueueLen() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit: %v, want context.Canceled", err)
	}
	if err := l.Commit(ctx, mkRec(2)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a done context: %v", err)
	}
	// The committer skips a record whose caller has gone (it was cancelled while queued).
	release()
	mustCommit(t, l, mkRec(3)) // queued after it: once this is written, the other was handled
	if _, err := l.Get(context.Background(), mkRec(1).Sender, mkRec(1).MessageID); !errors.Is(err, msglog.ErrNotFound) {
		t.Fatalf("cancelled record: %v, want ErrNotFound", err)
	}
}

// TTL with a fake clock: badger compares ExpiresAt with the wall clock, so a clock set back
// by more than the TTL writes records that are already expired; set back by less, they live.
func TestTTLFakeClock(t *testing.T) {
	cases := []struct {
		name    string
		ttl     time.Duration
		back    time.Duration
		present bool
	}{
		{"1h TTL, clock 2h back", time.Hour, 2 * time.Hour, false},
		{"1h TTL, clock 30m back", time.Hour, 30 * time.Minute, true},
		{"default TTL, clock 31 days back", 0, 31 * 24 * time.Hour, false},
		{"default TTL, clock 29 days back", 0, 29 * 24 * time.Hour, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openStore(t, "")
			l := openLog(t, db, msglog.Options{TTL: c.ttl, Now: func() time.Time { return time.Now().Add(-c.back) }})
			r := mkRec(7)
			mustCommit(t, l, r)
			checkPresence(t, db, l, r, c.present)
		})
	}
}

// checkPresence checks that r and all of its index entries are there, or that none is.
func checkPresence(t *testing.T, db *store.DB, l *msglog.Log, r *msglog.Record, present bool) {
	t.Helper()
	ctx := context.Background()
	want := 0
	if present {
		want = 1
	}
	if _, err := l.Get(ctx, r.Sender, r.MessageID); (err == nil) != present {
		t.Errorf("Get: %v", err)
	}
	if _, err := l.BySession(ctx, r.SessionID); (err == nil) != present {
		t.Errorf("BySession: %v", err)
	}
	for _, f := range []msglog.Filter{{}, {MessageID: r.MessageID}, {IIN: r.IIN}, {ServiceID: r.ServiceID}, {SessionID: r.SessionID}} {
		items, _, err := l.Query(ctx, f)
		if err != nil || len(items) != want {
			t.Errorf("Query(%+v) = %d items, %v; want %d", f, len(items), err, want)
		}
	}
	if n, err := l.Count(ctx); err != nil || n != want {
		t.Errorf("Count = %d, %v", n, err)
	}
	existing, release, err := l.Begin(ctx, r.Sender, r.MessageID)
	if err != nil || (existing != nil) != present {
		t.Errorf("Begin = %v, %v", existing, err)
	}
	release()
	if n := len(rawEntries(t, db)); n != 6*want { // m, s, x, i, v, t
		t.Errorf("%d keys in the store; want %d", n, 6*want)
	}
}

// TTL with the real clock: one wait of about two seconds.
func TestTTLExpiresEverything(t *testing.T) {
	db := openStore(t, t.TempDir())
	l := openLog(t, db, msglog.Options{TTL: time.Second})
	r := mkRec(3)
	before := time.Now()
	mustCommit(t, l, r)
	checkPresence(t, db, l, r, true) // expiry is rounded up: at least one second remains
	entries := rawEntries(t, db)
	for k, exp := range entries {
		if exp != entries[string(msglog.RecordKey(r.Sender, r.MessageID))] || exp < uint64(before.Add(time.Second).Unix()) {
			t.Fatalf("key %q expires at %d; want the record's, ≥ %d", k, exp, before.Add(time.Second).Unix())
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := l.Get(context.Background(), r.Sender, r.MessageID); errors.Is(err, msglog.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("record still there after 5 s with a 1 s TTL")
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkPresence(t, db, l, r, false)
	mustCommit(t, l, r) // the key is free again
}

// Anonymous records share a claimed messageId without taking it: each is kept under its session,
// found by messageId and session, never by Get or Begin, and the real sender's record of the same
// messageId is unaffected.
func TestAnonymousRecords(t *testing.T) {
	_, l := memLog(t)
	anon := func(i int) *msglog.Record {
		r := mkRec(i)
		r.Sender, r.MessageID, r.Status = msglog.Anonymous, "claimed-1", "SIGNATURE_INVALID"
		return r
	}
	mustCommit(t, l, anon(1))
	mustCommit(t, l, anon(2)) // the same messageId again: not a duplicate
	real := mkRec(3)
	real.MessageID = "claimed-1"
	mustCommit(t, l, real)

	items, _, err := l.Query(context.Background(), msglog.Filter{MessageID: "claimed-1"})
	if err != nil || len(items) != 3 {
		t.Fatalf("by messageId: %d items, %v", len(items), err)
	}
	items, _, err = l.Query(context.Background(), msglog.Filter{MessageID: "claimed-1", Sender: msglog.Anonymous})
	if err != nil || len(items) != 2 || items[0].Sender != msglog.Anonymous || items[1].Sender != msglog.Anonymous {
		t.Fatalf("by messageId and the anonymous sender: %+v, %v", items, err)
	}
	got, err := l.BySession(context.Background(), anon(2).SessionID)
	if err != nil {
		t.Fatal(err)
	}
	sameRecord(t, got, anon(2))
	if _, err := l.Get(context.Background(), msglog.Anonymous, "claimed-1"); !errors.Is(err, msglog.ErrNotFound) {
		t.Fatalf("Get of an anonymous messageId: %v", err)
	}
	if _, _, err := l.Begin(context.Background(), msglog.Anonymous, "claimed-2"); !errors.Is(err, msglog.ErrInvalid) {
		t.Fatalf("Begin as the anonymous sender: %v", err)
	}
	if got, err := l.Get(context.Background(), real.Sender, "claimed-1"); err != nil {
		t.Fatal(err)
	} else {
		sameRecord(t, got, real)
	}
	if err := l.Commit(context.Background(), anon(1)); !errors.Is(err, msglog.ErrExists) {
		t.Fatalf("the same anonymous session twice: %v", err)
	}
}
