package blobs

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident counts the pages of the file at path that are in the page cache.
func resident(t *testing.T, path string) (in, all int) {
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
	for _, v := range vec {
		in += int(v & 1)
	}
	return in, len(vec)
}

// TestSyncedBytesLeaveTheCache: what a Sync made durable is dropped from the page cache, also the
// pages that straddle one Sync and the next, and a finished segment goes whole.
func TestSyncedBytesLeaveTheCache(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skip("tmpfs: the page cache is the file")
	}
	s := open(t, dir, 1<<20)
	var refs []Ref
	for i := range 100 { // 100 syncs of 3,001 bytes: most pages straddle two of them
		r, err := s.Append(blob(i, 1501)[:3001])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r...)
	}
	in, all := resident(t, s.path(refs[0].Seg))
	if all < 70 || in > 1 { // only the partial last page may stay
		t.Fatalf("%d of %d pages of the writing segment cached after the syncs", in, all)
	}
	// Reads still work (from disk), and bring pages back only as read.
	mustRead(t, s, refs[7], blob(7, 1501)[:3001])
	// A full segment is dropped whole when the next one starts.
	for i := range 400 {
		if _, err := s.Append(blob(i, 1501)[:3001]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	first, _ := resident(t, s.path(refs[0].Seg))
	if first != 0 {
		t.Fatalf("%d pages of the finished segment still cached", first)
	}
}
