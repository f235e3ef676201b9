package blobs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func open(t *testing.T, dir string, size int64) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, SegmentSize: size})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func blob(i, n int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%d;", i)), n)
}

func mustRead(t *testing.T, s *Store, ref Ref, want []byte) {
	t.Helper()
	got, err := s.Read(ref)
	if err != nil {
		t.Fatalf("Read(%+v): %v", ref, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Read(%+v) = %d bytes, want %d", ref, len(got), len(want))
	}
}

func TestAppendReadRotateReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 1000)
	var refs []Ref
	var want [][]byte
	maxAppend := 0
	for i := range 30 {
		bs := [][]byte{blob(i, 40), blob(i+100, 1), {}}
		maxAppend = max(maxAppend, len(bs[0])+len(bs[1]))
		r, err := s.Append(bs...)
		if err != nil {
			t.Fatal(err)
		}
		if r[0].Seg != r[1].Seg || r[1].Seg != r[2].Seg {
			t.Fatalf("one Append split between segments: %+v", r)
		}
		refs = append(refs, r...)
		want = append(want, bs...)
		if i%7 == 0 {
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, r := range refs {
		mustRead(t, s, r, want[i])
	}
	segs, err := s.Segments()
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 || !segs[len(segs)-1].Writing || segs[0].Writing {
		t.Fatalf("segments after 30 appends of ~%d bytes with SegmentSize 1000: %+v", len(want[0]), segs)
	}
	for _, sg := range segs[:len(segs)-1] {
		if sg.Size < 1000 || sg.Size >= 1000+int64(maxAppend) {
			t.Fatalf("segment %d holds %d bytes", sg.ID, sg.Size)
		}
	}
	last := segs[len(segs)-1].ID
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(refs[0]); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if _, err := s.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}

	// Reopened: everything reads back, and writing goes to a new segment.
	s2 := open(t, dir, 1000)
	for i, r := range refs {
		mustRead(t, s2, r, want[i])
	}
	r, err := s2.Append([]byte("after reopen"))
	if err != nil {
		t.Fatal(err)
	}
	if r[0].Seg != last+1 || r[0].Off != 0 {
		t.Fatalf("first Append after reopen went to %+v, want a new segment %d", r[0], last+1)
	}
	mustRead(t, s2, r[0], []byte("after reopen"))
}

func TestDamageIsCaught(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(path string, ref Ref) error
		want   error
	}{
		{"flipped byte", func(p string, ref Ref) error {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte{'#'}, ref.Off+3)
			return err
		}, ErrCorrupt},
		{"truncated", func(p string, ref Ref) error { return os.Truncate(p, ref.Off+ref.Len-1) }, ErrCorrupt},
		{"deleted", func(p string, ref Ref) error { return os.Remove(p) }, ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, 0)
			refs, err := s.Append(blob(1, 100), blob(2, 100))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			p := filepath.Join(dir, "00000000.seg")
			if err := tc.damage(p, refs[1]); err != nil {
				t.Fatal(err)
			}
			s2 := open(t, dir, 0)
			if _, err := s2.Read(refs[1]); !errors.Is(err, tc.want) {
				t.Fatalf("Read of a damaged blob: %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("forged ref", func(t *testing.T) {
		s := open(t, t.TempDir(), 0)
		refs, err := s.Append(blob(1, 10))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []Ref{
			{Seg: refs[0].Seg, Off: 1, Len: refs[0].Len - 1, Sum: refs[0].Sum},
			{Seg: refs[0].Seg, Off: -1, Len: 1},
			{Seg: refs[0].Seg, Off: 0, Len: -1},
			{Seg: refs[0].Seg, Off: 0, Len: 1 << 62},
			{Seg: refs[0].Seg, Off: 1 << 62, Len: 1},
			{Seg: refs[0].Seg + 7, Len: 1},
		} {
			if _, err := s.Read(r); err == nil {
				t.Fatalf("Read(%+v) succeeded", r)
			}
		}
	})
}

func TestRemove(t *testing.T) {
	s := open(t, t.TempDir(), 10)
	a, err := s.Append(blob(1, 10))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(a[0].Seg); !errors.Is(err, ErrWriting) {
		t.Fatalf("Remove of the writing segment: %v", err)
	}
	b, err := s.Append(blob(2, 10)) // full: a new segment
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Seg == a[0].Seg {
		t.Fatalf("no rotation: %+v %+v", a, b)
	}
	if err := s.Remove(a[0].Seg); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(a[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read of a removed segment: %v", err)
	}
	if err := s.Remove(a[0].Seg); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Remove: %v", err)
	}
	mustRead(t, s, b[0], blob(2, 10))
	if _, err := os.Stat(s.path(a[0].Seg)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("removed segment's file: %v", err)
	}
}

func TestOtherFilesIgnored(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"notes.txt", "0000000g.seg", "000000001.seg"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, dir, 0)
	if segs, err := s.Segments(); err != nil || len(segs) != 0 {
		t.Fatalf("Segments() = %+v, %v", segs, err)
	}
}

// Readers run while the writer appends and rotates (go test -race).
func TestConcurrentReadWrite(t *testing.T) {
	s := open(t, t.TempDir(), 4096)
	var mu sync.Mutex
	var refs []Ref
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 300 {
			r, err := s.Append(blob(i, 50))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			refs = append(refs, r[0])
			mu.Unlock()
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 300 {
				mu.Lock()
				n := len(refs)
				var r Ref
				if n > 0 {
					r = refs[n/2]
				}
				mu.Unlock()
				if n == 0 {
					continue
				}
				if _, err := s.Read(r); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Segments beyond maxOpen are opened when read, and the oldest handles closed.
func TestManySegments(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SegmentSize: 1, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var refs []Ref
	for i := range maxOpen + 30 {
		r, err := s.Append(blob(i, 3))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r[0])
	}
	for round := range 2 {
		for i, r := range refs {
			mustRead(t, s, r, blob(i, 3))
		}
		s.mu.RLock()
		n := len(s.handles)
		s.mu.RUnlock()
		if n > maxOpen {
			t.Fatalf("round %d: %d files open, at most %d wanted", round, n, maxOpen)
		}
	}
	if err := s.Close(); err != nil { // NoSync: syncs every segment written, then closes
		t.Fatal(err)
	}
	s2 := open(t, dir, 1)
	for i, r := range refs {
		mustRead(t, s2, r, blob(i, 3))
	}
}

// One caller's unsynced blobs lost to another's failed write make the next Sync fail; the failing
// caller's own blobs are refused with its Append; later Appends go to a new segment.
func TestLostAppendsFailSync(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	a, err := s.Append([]byte("caller A"))
	if err != nil {
		t.Fatal(err)
	}
	s.wmu.Lock()
	s.w.Close() // the next write fails, as on a full or failing disk
	s.wmu.Unlock()
	if _, err := s.Append([]byte("caller B")); err == nil {
		t.Fatal("Append to a failing segment succeeded")
	}
	if err := s.Sync(); err == nil {
		t.Fatal("Sync succeeded although caller A's blob was never synced")
	}
	c, err := s.Append([]byte("caller C"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync after the failure was reported: %v", err)
	}
	if c[0].Seg == a[0].Seg {
		t.Fatalf("appended to the abandoned segment %d again", a[0].Seg)
	}
	mustRead(t, s, c[0], []byte("caller C"))
}

// A failed Append alone (nothing else unsynced) refuses only its own blobs.
func TestFailedAppendAlone(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	if _, err := s.Append([]byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.wmu.Lock()
	s.w.Close()
	s.wmu.Unlock()
	if _, err := s.Append([]byte("refused")); err == nil {
		t.Fatal("Append to a failing segment succeeded")
	}
	if _, err := s.Append([]byte("next")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync after a failed Append that lost nothing else: %v", err)
	}
}
