package store

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mapFile writes size bytes to dir/name, syncs them, and maps the file shared and read-only for
// the test's duration.
func mapFile(t *testing.T, dir, name string, size int) []byte {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, bytes.Repeat([]byte(name[:1]), size), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return b
}

// touch reads every page of b, and checks what it read so that the reads are not left out.
func touch(t *testing.T, b []byte) {
	t.Helper()
	sum := 0
	for i := 0; i < len(b); i += os.Getpagesize() {
		sum += int(b[i])
	}
	if want := int(b[0]) * len(b) / os.Getpagesize(); sum != want {
		t.Fatalf("read %d, want %d", sum, want)
	}
}

func realTempDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPageOutLeavesUsed: of two mapped files, both read, then one of them read again after the
// referenced bits were cleared, only the other is paged out.
func TestPageOutLeavesUsed(t *testing.T) {
	dir := realTempDir(t)
	const size = 4 << 20
	used, unused := mapFile(t, dir, "used", size), mapFile(t, dir, "unused", size)
	touch(t, used)
	touch(t, unused)
	if err := clearRefs(); err != nil {
		t.Fatal(err)
	}
	touch(t, used)
	out, hot, err := pageOut([]string{dir + string(filepath.Separator)}, everyMapping, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	u, n := mappedResident(t, filepath.Join(dir, "used")), mappedResident(t, filepath.Join(dir, "unused"))
	if len(out) != 1 || out[0].path != filepath.Join(dir, "unused") || out[0].rss != size || hot != size || u != size || n != 0 {
		t.Fatalf("paged out %v, %d in use; resident: used %d, unused %d bytes of %d", out, hot, u, n, size)
	}
}

// TestTrimmerTick: a step pages out only what went unused over the whole last window and still
// is, at most a step at a time.
func TestTrimmerTick(t *testing.T) {
	dir := realTempDir(t)
	const size = 4 << 20
	used := mapFile(t, dir, "used", size)
	cold := []string{"a-cold", "b-cold"}
	for _, name := range cold {
		touch(t, mapFile(t, dir, name, size))
	}
	touch(t, used)
	ctx := context.Background()
	start := time.Now()
	tr := &trimmer{
		opts: TrimOptions{Limit: 1, Interval: time.Second, Window: time.Hour, Step: size},
		dirs: []string{dir + string(filepath.Separator)}, log: slog.New(slog.DiscardHandler), windowStart: start,
	}
	if err := clearRefs(); err != nil {
		t.Fatal(err)
	}
	touch(t, used)
	// Within the window nothing is known to be unused yet.
	if err := tr.tick(ctx, start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	resident := func() (out []int64) {
		for _, name := range append([]string{"used", "late"}, cold...) {
			out = append(out, mappedResident(t, filepath.Join(dir, name)))
		}
		return out
	}
	if r := resident(); r[0] != size || r[2] != size || r[3] != size {
		t.Fatalf("paged out within the first window: %v", r)
	}
	// The window ends: "used" was used in it. "late" is mapped and read after it.
	if err := tr.tick(ctx, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	touch(t, mapFile(t, dir, "late", size))
	if r := resident(); r[0] != size || r[1] != size || r[2]+r[3] != size {
		t.Fatalf("after the first step: %v (used, late, cold…), want one of the cold ones out", r)
	}
	for range 2 {
		if err := tr.tick(ctx, start.Add(time.Hour+time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if r := resident(); r[0] != size || r[1] != size || r[2] != 0 || r[3] != 0 {
		t.Fatalf("after three steps: %v (used, late, cold…), want the cold ones out and the rest in", r)
	}
	// Two steps: none before the window ended, none once its unused mappings were out.
	if tr.paging == nil || tr.paging.steps != 2 || tr.paging.mappings != 2 || tr.paging.bytes != 2*size {
		t.Fatalf("paging %+v", tr.paging)
	}
}
