package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func TestParseSmaps(t *testing.T) {
	const smaps = `00400000-00c00000 r-xp 00000000 fd:01 123 /usr/local/bin/shep
Size:               8192 kB
Rss:                4096 kB
Referenced:         4096 kB
7f0000000000-7f0004000000 rw-s 00000000 fd:01 200 /data/store/000001.vlog
Size:              65536 kB
KernelPageSize:        4 kB
Rss:               12288 kB
Pss:               12288 kB
Referenced:         1024 kB
VmFlags: rd wr sh mr mw me ms sd
7f0004000000-7f0004800000 r--s 00000000 fd:01 201 /data/store/000002.sst
Rss:                 512 kB
Referenced:            0 kB
7f0004800000-7f0004900000 rw-p 00000000 fd:01 202 /data/store/000003.sst
Rss:                1024 kB
Referenced:         1024 kB
7f0004900000-7f0004a00000 rw-s 00000000 fd:01 203 /data/storehouse/000004.sst
Rss:                1024 kB
Referenced:         1024 kB
7f0004a00000-7f0004b00000 r--s 00000000 fd:01 204 /data/store/000005.sst (deleted)
Rss:                   4 kB
Referenced:            4 kB
7f0004b00000-7f0004c00000 rw-s 00000000 fd:01 205                      /data/values/a  b.vlog
Rss:                   0 kB
7f0004c00000-7f0004d00000 rw-p 00000000 00:00 0
Rss:                1024 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
Rss:                 132 kB
`
	got, err := parseSmaps(strings.NewReader(smaps), []string{"/data/store/", "/data/values/"})
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{
		{0x7f0000000000, 0x7f0004000000, "/data/store/000001.vlog", 12 << 20, 1 << 20},
		{0x7f0004000000, 0x7f0004800000, "/data/store/000002.sst", 512 << 10, 0},
		// not the private mapping of a store file, nor /data/storehouse
		{0x7f0004a00000, 0x7f0004b00000, "/data/store/000005.sst (deleted)", 4 << 10, 4 << 10},
		{0x7f0004b00000, 0x7f0004c00000, "/data/values/a  b.vlog", 0, 0}, // the path as it is
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	for _, bad := range []string{
		"7f0004000000 r--s 00000000 fd:01 201 /data/store/x.sst",
		"7f0004000000-7f0003000000 r--s 00000000 fd:01 201 /data/store/x.sst",
		"zz-7f0003000000 r--s 00000000 fd:01 201 /data/store/x.sst",
		"7f0004000000-7f0004800000 r--s 00000000 fd:01 201 /data/store/x.sst\nRss: 12 MB",
		"7f0004000000-7f0004800000 r--s 00000000 fd:01 201 /data/store/x.sst\nReferenced: many kB",
		"7f0004000000-7f0004800000 r--s 00000000 fd:01 201 /data/store/x.sst\nRss: -4 kB",
	} {
		if _, err := parseSmaps(strings.NewReader(bad), []string{"/data/store/"}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// The fields of a mapping that is not the store's are not read.
	if got, err := parseSmaps(strings.NewReader("00400000-00c00000 r-xp 00000000 fd:01 123 /bin/x\nRss: odd\n"), []string{"/data/store/"}); err != nil || len(got) != 0 {
		t.Errorf("another file's fields: %v, %v", got, err)
	}
}

func TestChoose(t *testing.T) {
	const mb = 1 << 20
	m := func(path string, rss, referenced int64) mapping {
		return mapping{path: path, rss: rss * mb, referenced: referenced * mb}
	}
	maps := []mapping{
		m("compacted", 8, 8),  // in use: left
		m("quarter", 8, 2),    // a quarter used: not in use, last
		m("cold-small", 2, 0), // unused, smaller
		m("cold-big", 16, 0),  // unused, larger: first
		m("empty", 0, 0),      // nothing resident
		m("warm", 40, 1),      // 1/40 used
		m("hot", 4, 3),        // in use: left
	}
	tests := []struct {
		want int64
		got  string
	}{
		{0, ""},
		{1, "cold-big"},
		{16 * mb, "cold-big"},
		{16*mb + 1, "cold-big cold-small"},
		{18*mb + 1, "cold-big cold-small warm"},
		{1 << 40, "cold-big cold-small warm quarter"},
	}
	for _, tc := range tests {
		chosen, rest := choose(slices.Clone(maps), tc.want)
		var names []string
		for _, c := range chosen {
			names = append(names, c.path)
		}
		var all []string
		for _, c := range append(chosen, rest...) {
			all = append(all, c.path)
		}
		if strings.Join(names, " ") != tc.got || strings.Join(all, " ") != "cold-big cold-small warm quarter" {
			t.Errorf("want %d: %q of %q; want %q", tc.want, names, all, tc.got)
		}
	}
}

func TestParseRSSFile(t *testing.T) {
	tests := []struct {
		status string
		want   int64
		ok     bool
	}{
		{"Name:\tshep\nVmRSS:\t  930000 kB\nRssAnon:\t   98000 kB\nRssFile:\t  832000 kB\nRssShmem:\t0 kB\n", 832000 << 10, true},
		{"RssFile:\t0 kB\n", 0, true},
		{"VmRSS:\t1 kB\n", 0, false},
		{"RssFile:\t12 MB\n", 0, false},
		{"RssFile:\tmany kB\n", 0, false},
	}
	for _, tc := range tests {
		got, err := parseRSSFile([]byte(tc.status))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %d, %v; want %d, ok %v", tc.status, got, err, tc.want, tc.ok)
		}
	}
}

// openSmallFiles opens a store in dir with 1 MB value-log files and memtables, so that a test's
// few MB span many files, as a real store's GBs span many 64 MB ones (pageOut leaves the newest
// value-log file and the memtables' logs alone).
func openSmallFiles(t *testing.T, dir string) *DB {
	t.Helper()
	bo := badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true).
		WithValueThreshold(1 << 10).WithValueLogFileSize(1 << 20).WithMemTableSize(1 << 20)
	db, err := badger.Open(bo)
	if err != nil {
		t.Fatal(err)
	}
	return &DB{DB: db, log: slog.New(slog.DiscardHandler)}
}

func TestWritten(t *testing.T) {
	var maps []mapping
	for _, p := range []string{"/s/000009.vlog", "/s/000010.vlog", "/s/000002.sst", "/s/00003.mem", "/s/000011.vlog (deleted)", "/s/DISCARD"} {
		maps = append(maps, mapping{path: p})
	}
	var kept []string
	for _, m := range slices.DeleteFunc(slices.Clone(maps), written(maps)) {
		kept = append(kept, m.path)
	}
	if want := "/s/000009.vlog /s/000002.sst /s/000011.vlog (deleted) /s/DISCARD"; strings.Join(kept, " ") != want {
		t.Fatalf("paged out %q, want %q", kept, want)
	}
}

// everyMapping makes every mapping eligible for pageOut.
func everyMapping(mapping) bool { return true }

// mappedResident sums the resident bytes of the process's mappings of files under dir, from
// /proc/self/smaps.
func mappedResident(t *testing.T, dir string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sum int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && strings.HasPrefix(fields[5], dir)
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestPageOut: a real store's mapped files leave the process's resident memory when paged out,
// and every value reads back the same, then and after a reopen.
func TestPageOut(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MADV_PAGEOUT is Linux's")
	}
	// Opened through a symbolic link: /proc/self/smaps names the files by their real path.
	real, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(link, "store")
	db := openSmallFiles(t, dir)
	const n, size = 2000, 8 << 10 // 16 MB, in the value log
	val := func(i int) []byte { return bytes.Repeat([]byte{byte(i), byte(i >> 8)}, size/2) }
	var batch []int
	flush := func() {
		err := db.Update(func(txn *badger.Txn) error {
			for _, i := range batch {
				if err := txn.Set(fmt.Appendf(nil, "k%05d", i), val(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range n {
		if batch = append(batch, i); len(batch) == 100 {
			flush()
		}
	}
	check := func(db *DB) {
		t.Helper()
		err := db.View(func(txn *badger.Txn) error {
			for i := range n {
				item, err := txn.Get(fmt.Appendf(nil, "k%05d", i))
				if err != nil {
					return err
				}
				if v, err := item.ValueCopy(nil); err != nil || !bytes.Equal(v, val(i)) {
					return fmt.Errorf("k%05d: %d bytes, %v", i, len(v), err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check(db)
	abs := filepath.Join(real, "store")
	before := mappedResident(t, abs)
	if before < n*size/2 {
		t.Fatalf("only %d bytes of the store's files resident after writing and reading %d", before, n*size)
	}
	// Everything was just used: nothing is paged out until the referenced bits are cleared.
	if out, _, hot, err := pageOut(db.dirs(), everyMapping, math.MaxInt64); err != nil || len(out) != 0 || hot < before/2 {
		t.Fatalf("in use: %d paged out, %d in use, %v", len(out), hot, err)
	}
	if err := clearRefs(); err != nil {
		t.Fatal(err)
	}
	out, _, _, err := pageOut(db.dirs(), everyMapping, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	after := mappedResident(t, abs)
	t.Logf("%d mappings paged out: %d → %d bytes resident", len(out), before, after)
	if len(out) == 0 || after > before/4 {
		t.Fatalf("%d mappings paged out: %d → %d bytes resident", len(out), before, after)
	}
	check(db)
	// Written after a page-out, through pages it unmapped, and durable across a reopen.
	for i := n; i < n+100; i++ {
		batch = append(batch, i)
	}
	flush()
	if err := clearRefs(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := pageOut(db.dirs(), everyMapping, math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openSmallFiles(t, dir)
	defer db.Close()
	check(db)
	err = db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(fmt.Appendf(nil, "k%05d", n+99))
		return err
	})
	if err != nil {
		t.Fatalf("the last value written: %v", err)
	}
}

// TestTrimMapped: the loop pages out once RssFile is over its limit, and stops with its context;
// without a limit, or in memory, it returns at once.
func TestTrimMapped(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MADV_PAGEOUT is Linux's")
	}
	mem, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.TrimMapped(context.Background(), TrimOptions{Limit: 1}); err != nil {
		t.Fatalf("in memory: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "store")
	db := openSmallFiles(t, dir)
	defer db.Close()
	if err := db.TrimMapped(context.Background(), TrimOptions{}); err != nil {
		t.Fatalf("no limit: %v", err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		for i := range 500 {
			if err := txn.Set(fmt.Appendf(nil, "k%05d", i), bytes.Repeat([]byte{1}, 8<<10)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	if r := mappedResident(t, abs); r < 2<<20 {
		t.Fatalf("only %d bytes of the store's files resident after writing 4 MB", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- db.TrimMapped(ctx, TrimOptions{Limit: 1, Interval: 10 * time.Millisecond, Window: 10 * time.Millisecond})
	}()
	// A liveness wait, not a timing assertion: the loop must get there eventually.
	for deadline := time.Now().Add(20 * time.Second); mappedResident(t, abs) >= 2<<20; {
		if time.Now().After(deadline) {
			t.Fatalf("still %d bytes resident", mappedResident(t, abs))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
