package msglog_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/store/blobs"
)

// diskLog is the gateway's layout: a store on disk, bodies in segment files beside it.
func diskLog(t *testing.T, dir string, opts msglog.Options) *msglog.Log {
	t.Helper()
	opts.BodyDir = filepath.Join(dir, "bodies")
	return openLog(t, openStore(t, filepath.Join(dir, "store")), opts)
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "bodies", "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBodiesInSegments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	big := mkRec(1)
	big.Response = bytes.Repeat([]byte("я"), 70_000)
	big.Request = nil
	recs := []*msglog.Record{mkRec(0), big,
		{Sender: "s", MessageID: "m", SessionID: "{x}", Received: t0},
		{Sender: msglog.Anonymous, MessageID: "claimed", SessionID: "{anon}", Received: t0, Request: []byte("<x/>")}}
	l := diskLog(t, dir, msglog.Options{BodySegmentSize: 1 << 10})
	for _, r := range recs {
		mustCommit(t, l, r)
	}
	for _, r := range recs {
		got, err := l.BySession(ctx, r.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		sameRecord(t, got, r)
		if r.Sender == msglog.Anonymous {
			continue
		}
		if got, err = l.Get(ctx, r.Sender, r.MessageID); err != nil {
			t.Fatal(err)
		}
		sameRecord(t, got, r)
		// The store holds where the record is, not the record.
		v, err := l.RawValue(r.Sender, r.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		if v[0] != 2 || len(v) > 32 {
			t.Fatalf("stored value: version %d, %d bytes", v[0], len(v))
		}
	}
	if n := len(segmentFiles(t, dir)); n < 2 {
		t.Fatalf("%d segment files with BodySegmentSize 1 KiB after a 140 KB body", n)
	}

}

func TestBodiesNeedTheirDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	storeDir := filepath.Join(dir, "store")
	db := openStore(t, storeDir)
	l, err := msglog.Open(db, msglog.Options{BodyDir: filepath.Join(dir, "bodies")})
	if err != nil {
		t.Fatal(err)
	}
	r := mkRec(3)
	mustCommit(t, l, r)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	plain := openLog(t, db, msglog.Options{})
	if got, err := plain.Get(ctx, r.Sender, r.MessageID); err == nil {
		t.Fatalf("a log without BodyDir read a record whose bodies are in segments: %d bytes of response", len(got.Response))
	}
	// Queries through the indexes read summaries only.
	if items, _, err := plain.Query(ctx, msglog.Filter{IIN: r.IIN}); err != nil || len(items) != 1 || items[0].MessageID != r.MessageID {
		t.Fatalf("Query by ИИН without the segments: %v, %v", items, err)
	}
}

func TestDamagedBodyIsAnError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := diskLog(t, dir, msglog.Options{})
	r := mkRec(4)
	mustCommit(t, l, r)
	segs := segmentFiles(t, dir)
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	f, err := os.OpenFile(segs[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("#"), 10); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := l.Get(ctx, r.Sender, r.MessageID); !errors.Is(err, blobs.ErrCorrupt) {
		t.Fatalf("Get of a record whose body was damaged: %v, want blobs.ErrCorrupt", err)
	}
}

// Segments go when every record in them has expired, and not before; a segment no record points
// to (a crash between the write and the commit) goes at the next Open.
func TestBodySegmentsSweep(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// An orphan: bytes appended by a process that died before committing.
	orphan, err := blobs.Open(blobs.Options{Dir: filepath.Join(dir, "bodies")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orphan.Append([]byte("never committed")); err != nil {
		t.Fatal(err)
	}
	orphan.Close()
	if n := len(segmentFiles(t, dir)); n != 1 {
		t.Fatalf("%d segments before Open", n)
	}

	var offset atomic.Int64 // the Log's clock: time.Now() + offset
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	l := diskLog(t, dir, msglog.Options{TTL: time.Hour, Now: now, BodySegmentSize: 1, MaxBatch: 1})
	if n := len(segmentFiles(t, dir)); n != 0 {
		t.Fatalf("the orphan segment survived Open: %d segments", n)
	}
	// Records committed as if two hours ago (expired an hour ago), each in its own segment, then
	// live ones.
	offset.Store(int64(-2 * time.Hour))
	for i := range 3 {
		mustCommit(t, l, mkRec(i))
	}
	offset.Store(0)
	for i := 3; i < 6; i++ {
		mustCommit(t, l, mkRec(i))
	}
	if n := len(segmentFiles(t, dir)); n != 6 {
		t.Fatalf("%d segments, want 6 (one per Append with BodySegmentSize 1)", n)
	}
	if err := l.SweepBodies(time.Now(), false); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, dir)); n != 3 {
		t.Fatalf("%d segments after the sweep, want the 3 live ones", n)
	}
	for i := 3; i < 6; i++ {
		want := mkRec(i)
		got, err := l.Get(ctx, want.Sender, want.MessageID)
		if err != nil {
			t.Fatalf("live record %d after the sweep: %v", i, err)
		}
		sameRecord(t, got, want)
	}
	// Nothing more expires within the hour; an hour and a quarter later every segment but the one
	// being written has.
	if err := l.SweepBodies(time.Now().Add(50*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, dir)); n != 3 {
		t.Fatalf("%d segments after a sweep within the TTL, want 3", n)
	}
	if err := l.SweepBodies(time.Now().Add(75*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentFiles(t, dir)); n != 1 {
		t.Fatalf("%d segments after every record expired, want 1 (the writing one)", n)
	}
}

// Import and Commit together, both appending to the segments: neither fails (they used to
// conflict on the segment notes), and every record reads back.
func TestImportBesideCommit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := diskLog(t, dir, msglog.Options{BodySegmentSize: 64 << 10})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 400; i += 8 {
				if err := l.Commit(ctx, mkRec(i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		var recs []*msglog.Record
		for i := 1000; i < 1400; i++ {
			r := mkRec(i)
			r.Received = time.Now().Add(-time.Minute)
			recs = append(recs, r)
		}
		for k := 0; k < len(recs); k += 40 {
			if _, err := l.Import(ctx, recs[k:k+40]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	for _, i := range []int{0, 399, 1000, 1399} {
		want := mkRec(i)
		got, err := l.Get(ctx, want.Sender, want.MessageID)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !bytes.Equal(got.Request, want.Request) {
			t.Fatalf("record %d: request differs", i)
		}
	}
	if n, err := l.Count(ctx); err != nil || n != 800 {
		t.Fatalf("Count = %d, %v; want 800", n, err)
	}
}
