package store

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
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

// resident and evicted say whether a mapped file is resident or paged out, leaving room for a page the
// kernel keeps or a huge folio it does not split.
func resident(t *testing.T, path string, size int) bool {
	return mappedResident(t, path) >= int64(size)*3/4
}

func evicted(t *testing.T, path string, size int) bool {
	return mappedResident(t, path) <= int64(size)/4
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
	chosen, _, hot, err := pageOut([]string{dir + string(filepath.Separator)}, everyMapping, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	if len(chosen) != 1 || chosen[0].path != filepath.Join(dir, "unused") || hot < size*3/4 ||
		!resident(t, filepath.Join(dir, "used"), size) || !evicted(t, filepath.Join(dir, "unused"), size) {
		t.Fatalf("paged out %v, %d in use; resident: used %d, unused %d bytes of %d", chosen, hot,
			mappedResident(t, filepath.Join(dir, "used")), mappedResident(t, filepath.Join(dir, "unused")), size)
	}
}

// testTrimmer is a trimmer of the files under dir whose RssFile is *rss, logging to log.
func testTrimmer(dir string, rss *int64, log *bytes.Buffer, start time.Time) *trimmer {
	return &trimmer{
		opts: TrimOptions{Limit: 100 << 20, Interval: time.Second, Window: time.Hour, Step: 4 << 20},
		dirs: []string{dir + string(filepath.Separator)},
		log:  slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		rss:  func() (int64, error) { return *rss, nil }, windowStart: start,
	}
}

// TestTrimmerTick: a step pages out only what went unused over the whole last window and still
// is, a step at a time, forgets what was unmapped meanwhile, and the page-out ends, with its
// log line, once RssFile is at three quarters of the limit.
func TestTrimmerTick(t *testing.T) {
	dir := realTempDir(t)
	const size = 4 << 20
	path := func(name string) string { return filepath.Join(dir, name) }
	used := mapFile(t, dir, "used", size)
	touch(t, used)
	for _, name := range []string{"a-cold", "b-cold"} {
		touch(t, mapFile(t, dir, name, size))
	}
	gone := mapFile(t, dir, "gone", size/2) // smaller: chosen last
	touch(t, gone)
	ctx := context.Background()
	start := time.Now()
	rss := int64(200 << 20)
	var log bytes.Buffer
	tr := testTrimmer(dir, &rss, &log, start)
	if err := clearRefs(); err != nil {
		t.Fatal(err)
	}
	touch(t, used)
	// Within the first window nothing is known to be unused yet.
	if err := tr.tick(ctx, start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if tr.paging == nil || tr.paging.steps != 0 || !resident(t, path("a-cold"), size) || !resident(t, path("b-cold"), size) {
		t.Fatalf("within the first window: paging %+v", tr.paging)
	}
	// The window ends, "used" was used in it: one step, one of the cold files.
	if err := tr.tick(ctx, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if evicted(t, path("a-cold"), size) == evicted(t, path("b-cold"), size) || len(tr.unused) != 2 {
		t.Fatalf("after the first step: a-cold %d, b-cold %d bytes resident, %d unused left",
			mappedResident(t, path("a-cold")), mappedResident(t, path("b-cold")), len(tr.unused))
	}
	// "gone" is unmapped; "late" is mapped after the window ended and looks unused in this one.
	if err := unix.Munmap(gone); err != nil {
		t.Fatal(err)
	}
	touch(t, mapFile(t, dir, "late", size))
	if err := clearRefs(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := tr.tick(ctx, start.Add(time.Hour+time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if !evicted(t, path("a-cold"), size) || !evicted(t, path("b-cold"), size) || !resident(t, path("used"), size) || !resident(t, path("late"), size) {
		t.Fatalf("after the steps: used %d, late %d, a-cold %d, b-cold %d bytes resident",
			mappedResident(t, path("used")), mappedResident(t, path("late")),
			mappedResident(t, path("a-cold")), mappedResident(t, path("b-cold")))
	}
	// Two steps: none before the window ended, none once nothing unused was left.
	if tr.paging == nil || tr.paging.steps != 2 || tr.paging.mappings != 2 || tr.paging.bytes < size || len(tr.unused) != 0 {
		t.Fatalf("paging %+v, %d unused", tr.paging, len(tr.unused))
	}
	if strings.Contains(log.String(), `"level":"INFO"`) {
		t.Fatalf("logged before the end: %s", log.String())
	}
	rss = 75 << 20 // three quarters of the limit
	if err := tr.tick(ctx, start.Add(time.Hour+2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if tr.paging != nil || !strings.Contains(log.String(), `"msg":"paged out the store's mapped files","mappings":2,`) {
		t.Fatalf("the page-out did not end: %+v\n%s", tr.paging, log.String())
	}
}

// TestTrimmerWindows: a page-out with nothing left to page out ends with a window when RssFile
// is under the limit, and more than the limit in use is said once, at the end of the second
// window in a row with it, the first window (the start-up's) not counted.
func TestTrimmerWindows(t *testing.T) {
	dir := realTempDir(t)
	touch(t, mapFile(t, dir, "used", 1<<20))
	ctx := context.Background()
	start := time.Now()
	rss := int64(90 << 20) // over three quarters of the limit, under it
	var log bytes.Buffer
	tr := testTrimmer(dir, &rss, &log, start)
	tr.paging = &paging{start: start, before: 120 << 20}
	if err := tr.tick(ctx, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if tr.paging != nil || !strings.Contains(log.String(), `"msg":"paged out the store's mapped files","mappings":0,`) {
		t.Fatalf("the page-out did not end with the window: %+v\n%s", tr.paging, log.String())
	}

	const over, under = 200 << 20, 90 << 20
	tests := []struct {
		name  string
		rss   []int64 // RssFile at the end of each window
		warns []int   // warnings logged by then
	}{
		{"the first window not counted", []int64{over, over, over, over}, []int{0, 0, 1, 1}},
		{"a passing spike", []int64{over, over, under, over, over}, []int{0, 0, 0, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			var rss int64
			tr := testTrimmer(dir, &rss, &log, start)
			for i, r := range tc.rss {
				rss = r
				if err := tr.tick(ctx, start.Add(time.Duration(i+1)*time.Hour)); err != nil {
					t.Fatal(err)
				}
				if got := strings.Count(log.String(), `"level":"WARN"`); got != tc.warns[i] {
					t.Fatalf("window %d: %d warnings, want %d\n%s", i+1, got, tc.warns[i], log.String())
				}
			}
		})
	}
}
