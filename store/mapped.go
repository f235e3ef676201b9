package store

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Badger reads and writes its tables, value log and memtable logs through shared memory
// mappings, and has no option not to. Every page it touches stays mapped, so in RSS, until the
// kernel reclaims it under memory pressure: with a million messages in the log the gateway's
// RSS was ~930 MB, ~830 MB of it such pages (BENCHMARKS.md, issue 7). TrimMapped hands them
// back to the kernel before that.

// ErrTrimUnsupported is returned by TrimMapped where the kernel cannot page out a mapping
// (MADV_PAGEOUT: Linux 5.4 and later; tried at start on a page of its own).
var ErrTrimUnsupported = errors.New("store: paging out mapped files is not supported here")

// TrimOptions say when TrimMapped pages the store's mapped files out.
type TrimOptions struct {
	// Limit is the process's resident file-backed memory (RssFile in /proc/self/status: the
	// store's mapped files, and the executable's own pages) above which the store's mappings
	// are paged out, until it is at three quarters of it. Zero or less: never. (A store on
	// tmpfs counts in RssShmem, not RssFile, and is left alone.)
	Limit int64
	// Interval is how often RssFile is read (a few microseconds) and, while it is over the
	// limit, a step paged out; default one second.
	Interval time.Duration
	// Window is the span over which a mapping must have gone (mostly) unused to be paged out:
	// fixed spans one after the other, the referenced bits cleared at the start of each; default
	// ten seconds. A compaction reads and writes its tables at 100 MB/s or more: paging them out
	// under it made it read them again from disk, and requests waited for it (up to 440 ms).
	Window time.Duration
	// Step is how much a step pages out before it stops, default 32 MiB (~30 ms of a core);
	// mappings go whole, so the last one can take a step past it (a 64 MB value-log file).
	// Whole page-outs of 200–300 MB took 100–300 ms of a core at once.
	Step int64
}

// TrimMapped keeps the store's mapped files from piling up in the process's memory. It pages
// out (madvise MADV_PAGEOUT) shared mappings of files in the store's directories that went
// unused for a window, a step every interval while RssFile is over the limit, the least used
// first, until RssFile is at three quarters of the limit.
//
// Unused means that at most a quarter of the mapping's resident pages were read or written:
// at the end of every window it reads how much of each mapping is resident and how much of that
// was referenced since the window began (/proc/self/smaps, after clearing the pages' referenced
// bits at its start: /proc/self/clear_refs), and before each step it checks that the mapping is
// still unused in the current window. So it leaves alone a compaction's tables, the blocks
// requests keep reading, new tables, and the files badger appends to (memtable logs, the
// newest value-log file).
//
// The kernel unmaps the pages it pages out, writes back the dirty ones in its own time and
// drops the clean ones; nothing is lost (the pages are the file's, and badger's msync still
// writes back whatever is dirty in the range), and a page badger reads again is read again from
// the page cache or the disk. MADV_PAGEOUT never discards data, so a range that was unmapped and
// reused between reading /proc/self/smaps and the call is harmless, unlike MADV_DONTNEED, which
// would zero it.
//
// It runs until ctx is done and returns nil then, or ErrTrimUnsupported at once where the kernel
// cannot do it; an in-memory store returns nil at once. A failed step (an unreadable
// /proc/self/smaps) is logged, at most once a window, and tried again at the next interval.
func (d *DB) TrimMapped(ctx context.Context, opts TrimOptions) error {
	if d.Opts().InMemory || opts.Limit <= 0 {
		return nil
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Window <= 0 {
		opts.Window = 10 * time.Second
	}
	if opts.Step <= 0 {
		opts.Step = 32 << 20
	}
	if err := pageOutSupported(); err != nil {
		return err
	}
	if _, err := rssFile(); err != nil {
		return err
	}
	if err := clearRefs(); err != nil {
		return fmt.Errorf("%w: %w", ErrTrimUnsupported, err)
	}
	tr := &trimmer{opts: opts, dirs: d.dirs(), log: d.log, rss: rssFile, windowStart: time.Now()}
	t := time.NewTicker(opts.Interval)
	defer t.Stop()
	var warned time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := tr.tick(ctx, time.Now()); err != nil && time.Since(warned) >= opts.Window {
			// Nothing was lost; the next try is an interval away.
			warned = time.Now()
			d.log.WarnContext(ctx, "cannot page out the store's mapped files", "err", err)
		}
	}
}

// trimmer is TrimMapped's state between ticks.
type trimmer struct {
	opts TrimOptions
	dirs []string
	log  *slog.Logger
	// rss reads RssFile: rssFile, but in tests.
	rss func() (int64, error)
	// windowStart is when the referenced bits were last cleared.
	windowStart time.Time
	// unused holds the mappings that went unused over the last whole window and, as far as the
	// last step saw, still are and are still mapped: the only ones a step may page out.
	unused map[mappingKey]bool
	// paging is the page-out under way since RssFile went over the limit; nil when there is none.
	paging *paging
	// windows counts the windows ended, over those in a row that ended with more in use than
	// the limit; warned, whether that was said.
	windows, over int
	warned        bool
}

type mappingKey struct {
	start uintptr
	path  string
}

// paging adds up the steps of one page-out, for its log line.
type paging struct {
	start           time.Time
	before          int64
	steps, mappings int
	bytes           int64
	took            time.Duration
}

func (tr *trimmer) tick(ctx context.Context, now time.Time) error {
	target := tr.opts.Limit / 4 * 3
	var windowErr error
	if now.Sub(tr.windowStart) >= tr.opts.Window {
		// Even when the look fails: the next one is a window away, not an interval.
		tr.windowStart = now
		tr.windows++
		windowErr = tr.closeWindow(ctx, now, target)
	}
	rss, err := tr.rss()
	if err != nil {
		return errors.Join(windowErr, err)
	}
	if tr.paging == nil {
		if rss <= tr.opts.Limit {
			return windowErr
		}
		tr.paging = &paging{start: now, before: rss}
	}
	if rss <= target {
		tr.endPaging(ctx, now, rss)
		return windowErr
	}
	if len(tr.unused) == 0 {
		// Nothing is known to be unused (no window has ended since RssFile was high, or this
		// window's unused mappings are out already): the next window may tell more. Not even
		// /proc/self/smaps is read: 5–25 ms of a core under load.
		return windowErr
	}
	start := time.Now()
	chosen, left, hot, err := pageOut(tr.dirs, func(m mapping) bool { return tr.unused[m.key()] }, min(tr.opts.Step, rss-target))
	if err != nil && chosen == nil && left == nil {
		// /proc/self/smaps unreadable: the same mappings are tried at the next interval.
		return errors.Join(windowErr, err)
	}
	// What is left unused and still mapped stays eligible; what was unmapped, renamed
	// "(deleted)" or used since is dropped, so that steps stop when nothing is left.
	clear(tr.unused)
	for _, m := range left {
		tr.unused[m.key()] = true
	}
	var bytes int64
	for _, m := range chosen {
		bytes += m.rss
	}
	took := time.Since(start)
	p := tr.paging
	p.mappings += len(chosen)
	p.bytes += bytes
	p.took += took
	if err != nil {
		return errors.Join(windowErr, err)
	}
	p.steps++
	tr.log.DebugContext(ctx, "paged out part of the store's mapped files", "mappings", len(chosen),
		"bytes", bytes, "in_use", hot, "rss_file", rss, "took", took)
	return windowErr
}

func (tr *trimmer) endPaging(ctx context.Context, now time.Time, rss int64) {
	p := tr.paging
	tr.log.InfoContext(ctx, "paged out the store's mapped files", "mappings", p.mappings,
		"bytes", p.bytes, "steps", p.steps, "took", p.took, "rss_file_before", p.before,
		"rss_file_after", rss, "over", now.Sub(p.start))
	tr.paging = nil
}

// closeWindow notes the mappings that went unused over the window now ending (when RssFile is
// high enough for them to matter) and clears the referenced bits for the next window. A
// page-out with nothing left to page out ends here if RssFile is under the limit; if more than
// the limit was in use at the end of two windows in a row (the first one, with the start-up's
// reads, not counted), it says so, once.
func (tr *trimmer) closeWindow(ctx context.Context, now time.Time, target int64) error {
	tr.unused = nil
	rss, err := tr.rss()
	var unused int64
	if err == nil && rss > target {
		var maps []mapping
		if maps, err = readSmaps(tr.dirs); err == nil {
			tr.unused = make(map[mappingKey]bool)
			for _, m := range slices.DeleteFunc(maps, written(maps)) {
				if m.rss > 0 && !m.inUse() {
					tr.unused[m.key()] = true
					unused += m.rss
				}
			}
		}
	}
	if err == nil {
		if tr.paging != nil && len(tr.unused) == 0 && rss <= tr.opts.Limit {
			tr.endPaging(ctx, now, rss)
		}
		if tr.windows > 1 && rss-unused > tr.opts.Limit {
			tr.over++
		} else {
			tr.over = 0
		}
		if tr.over >= 2 && !tr.warned {
			tr.warned = true
			tr.log.WarnContext(ctx, "what stays mapped (pages in use, the files badger appends to, the executable) is above the limit",
				"limit", tr.opts.Limit, "rss_file", rss, "unused", unused, "window", tr.opts.Window)
		}
	}
	return errors.Join(err, clearRefs())
}

// dirs returns the store's directories as /proc/self/smaps names them: absolute, symbolic links
// resolved, each ending in a separator.
func (d *DB) dirs() []string {
	var out []string
	for _, dir := range []string{d.Opts().Dir, d.Opts().ValueDir} {
		abs, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		out = append(out, filepath.Clean(abs)+string(filepath.Separator))
	}
	return out
}

// pageOutChunk is how much of a mapping one madvise call pages out. The kernel holds the
// process's mmap lock for the call, and the page faults of every other thread can queue behind a
// mapping change (badger opening a table, the Go heap growing) that waits for it; a call over a
// whole 64 MB file holds it ~10 ms. In 1 MB calls no single hold is long; a step of 32 MiB
// takes ~30 ms of a core (BENCHMARKS.md, issue 7, item 10).
const pageOutChunk = 1 << 20

// pageOut pages out shared file mappings under dirs for which eligible is true, the least
// referenced since the last clearRefs first, until want bytes are paged out or only mappings in
// use are left (see choose). It returns those it paged out, those eligible and unused it left,
// and the resident bytes of all those in use; after a failed madvise, those paged out before it
// and, as left, the rest.
func pageOut(dirs []string, eligible func(mapping) bool, want int64) (chosen, left []mapping, hot int64, err error) {
	maps, err := readSmaps(dirs)
	if err != nil {
		return nil, nil, 0, err
	}
	maps = slices.DeleteFunc(maps, written(maps))
	for _, m := range maps {
		if m.inUse() {
			hot += m.rss
		}
	}
	chosen, left = choose(slices.DeleteFunc(maps, func(m mapping) bool { return !eligible(m) }), want)
	for i, m := range chosen {
		for a := m.start; a < m.end; a += pageOutChunk {
			if err := madvisePageOut(a, min(pageOutChunk, m.end-a)); err != nil {
				return chosen[:i], slices.Concat(chosen[i:], left), hot, err
			}
		}
	}
	return chosen, left, hot, nil
}

// hotShare: a mapping more than 1/hotShare of whose resident pages were referenced since the
// last look is in use (a compaction reading or writing its table, requests reading its blocks)
// and is not paged out: they would only be read back from the disk, where the log's fsyncs wait
// behind them.
const hotShare = 4

// choose returns the mappings to page out for want bytes, the least referenced share first (the
// larger first among equals), never one in use, and the rest of those not in use. It stops once
// want is reached: the last one chosen may take it past want, a mapping goes whole.
func choose(maps []mapping, want int64) (chosen, rest []mapping) {
	cold := slices.DeleteFunc(maps, func(m mapping) bool { return m.rss == 0 || m.inUse() })
	slices.SortStableFunc(cold, func(a, b mapping) int {
		// a.referenced/a.rss against b.referenced/b.rss, in kB products that cannot overflow.
		if c := cmp.Compare((a.referenced>>10)*(b.rss>>10), (b.referenced>>10)*(a.rss>>10)); c != 0 {
			return c
		}
		return cmp.Compare(b.rss, a.rss)
	})
	var sum int64
	for i, m := range cold {
		if sum >= want {
			return cold[:i], cold[i:]
		}
		sum += m.rss
	}
	return cold, nil
}

// written returns whether a mapping is of a file badger is appending to through it: a
// memtable's write-ahead log (.mem) or the newest value-log file. Paging those out made each
// commit's append fault the page it extends back in from disk, inside the commit that every
// request of the batch waits for.
func written(maps []mapping) func(mapping) bool {
	newest := -1
	for _, m := range maps {
		if n, ok := vlogNumber(m.path); ok && n > newest {
			newest = n
		}
	}
	return func(m mapping) bool {
		if strings.HasSuffix(m.path, ".mem") {
			return true
		}
		n, ok := vlogNumber(m.path)
		return ok && n == newest
	}
}

// vlogNumber returns the number of a value-log file, NNNNNN.vlog.
func vlogNumber(path string) (int, bool) {
	num, ok := strings.CutSuffix(filepath.Base(path), ".vlog")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
}

// mapping is an address range of the process mapping a file, with how many of its bytes are
// resident and how many of those were referenced since the last clearRefs.
type mapping struct {
	start, end      uintptr
	path            string
	rss, referenced int64
}

func (m mapping) key() mappingKey { return mappingKey{m.start, m.path} }

// inUse says whether more than 1/hotShare of the mapping's resident pages were referenced.
func (m mapping) inUse() bool { return m.referenced*hotShare > m.rss }

// parseSmaps reads /proc/PID/smaps and returns the shared mappings of files under one of dirs
// (each ending in a separator). Private mappings are never returned: paging out a private
// page that was written would lose the write.
func parseSmaps(r io.Reader, dirs []string) ([]mapping, error) {
	var out []mapping
	ours := false // whether the fields being read are those of out's last mapping
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 {
			continue
		}
		if key, ok := bytes.CutSuffix(f[0], []byte(":")); ok {
			// Rss:  1234 kB
			if !ours || (string(key) != "Rss" && string(key) != "Referenced") {
				continue
			}
			if len(f) != 3 || string(f[2]) != "kB" {
				return nil, fmt.Errorf("store: unreadable smaps line %q", sc.Bytes())
			}
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil || kb < 0 {
				return nil, fmt.Errorf("store: unreadable smaps line %q", sc.Bytes())
			}
			if m := &out[len(out)-1]; string(key) == "Rss" {
				m.rss = kb << 10
			} else {
				m.referenced = kb << 10
			}
			continue
		}
		// start-end perms offset dev inode path
		ours = false
		if len(f) < 6 || len(f[1]) != 4 || f[1][3] != 's' {
			continue
		}
		path := string(pathField(sc.Bytes()))
		if !underAny(path, dirs) {
			continue
		}
		lo, hi, ok := strings.Cut(string(f[0]), "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("store: unreadable mapping %q", f[0])
		}
		out = append(out, mapping{start: uintptr(start), end: uintptr(end), path: path})
		ours = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("store: reading the process's mappings: %w", err)
	}
	return out, nil
}

// pathField returns what follows the five fields before the path in a line of /proc/PID/maps:
// the path as it is, spaces and all (the kernel pads the column before it).
func pathField(line []byte) []byte {
	for range 5 {
		line = bytes.TrimLeft(line, " \t")
		i := bytes.IndexAny(line, " \t")
		if i < 0 {
			return nil
		}
		line = line[i:]
	}
	return bytes.TrimLeft(line, " \t")
}

func underAny(path string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(path, d) {
			return true
		}
	}
	return false
}

// parseRSSFile returns RssFile, in bytes, from the text of /proc/PID/status.
func parseRSSFile(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("RssFile:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, errors.New("store: no RssFile in the process status")
}
