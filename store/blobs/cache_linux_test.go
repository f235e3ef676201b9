package blobs

import (
	"os"
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident reports which pages of the file at path are in the page cache.
func resident(t *testing.T, path string) []bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	// mincore(2), which x/sys/unix wraps only for the BSDs.
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	in := make([]bool, len(vec))
	for i, v := range vec {
		in[i] = v&1 != 0
	}
	return in
}

// waitDrops returns once the dropper has done every span handed to it so far.
func (s *Store) waitDrops() {
	done := make(chan struct{})
	s.drops <- span{done: done}
	<-done
}

// TestSyncedBytesLeaveTheCache: what Syncs made durable is dropped from the page cache once a few
// MB of it are there, also the pages that straddle one Sync and the next (here nearly all of them),
// and a finished segment goes whole.
func TestSyncedBytesLeaveTheCache(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skip("tmpfs: the page cache is the file")
	}
	s := open(t, dir, 8<<20)
	var refs []Ref
	for i := range 1500 { // 1,500 syncs of 3,001 bytes: past dropChunk once
		r, err := s.Append(blob(i, 1501)[:3001])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r...)
		if i == 100 && !slices.Contains(resident(t, s.path(r[0].Seg)), true) {
			t.Skip("this filesystem keeps no written pages in the page cache")
		}
	}
	s.waitDrops()
	page := int64(os.Getpagesize())
	handed := int(s.cached / page) // whole pages handed to the dropper
	in := resident(t, s.path(refs[0].Seg))
	if handed < int(dropChunk/page) {
		t.Fatalf("%d pages handed over after %d bytes synced", handed, s.wsize)
	}
	// Short of the last 2 MB: with large folios, the kernel keeps one that the span covers only in
	// part, and the folio of the next Append's page may reach back that far.
	for i, c := range in[:handed-int((2<<20)/page)] {
		if c {
			t.Fatalf("page %d of %d handed over is still cached", i, handed)
		}
	}
	// Reads still work (from disk).
	mustRead(t, s, refs[7], blob(7, 1501)[:3001])
	// A full segment is dropped whole when the next one starts.
	for i := range 1500 {
		if _, err := s.Append(blob(i, 1501)[:3001]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.waitDrops()
	if refs[0].Seg == s.wseg {
		t.Fatal("no new segment")
	}
	for i, c := range resident(t, s.path(refs[0].Seg)) {
		if c {
			t.Fatalf("page %d of the finished segment still cached", i)
		}
	}
	// And the segment being written, at Close.
	last := s.path(s.wseg)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i, c := range resident(t, last) {
		if c {
			t.Fatalf("page %d of the last segment still cached after Close", i)
		}
	}
}
