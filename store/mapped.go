package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	// are paged out. Zero or less: never.
	Limit int64
	// Interval is how often RssFile is read (a few microseconds); default one second.
	Interval time.Duration
	// Pause is the least time between two page-outs; default ten seconds. A compaction reads
	// and writes its tables at 100 MB/s or more: paging them out every second under it made
	// it read them again from disk, and requests waited for it (up to 440 ms).
	Pause time.Duration
}

// TrimMapped keeps the store's mapped files from piling up in the process's memory: every
// interval, when RssFile is over the limit and the last page-out is a pause ago, it asks the
// kernel to page out every shared mapping of a file in the store's directories (madvise
// MADV_PAGEOUT) but those badger appends to. The kernel unmaps those pages,
// writes back the dirty ones in its own time and drops the clean ones; nothing is lost (the
// pages are the file's, and badger's msync still writes back whatever is dirty in the range),
// and a page badger reads again is read again from the page cache or the disk. MADV_PAGEOUT
// never discards data, so a range that was unmapped and reused between reading
// /proc/self/maps and the call is harmless, unlike MADV_DONTNEED, which would zero it.
//
// It runs until ctx is done and returns nil then, or ErrTrimUnsupported at once where the kernel
// cannot do it; an in-memory store returns nil at once. A page-out that fails (an unreadable
// /proc/self/maps) is logged and tried again a pause later.
func (d *DB) TrimMapped(ctx context.Context, opts TrimOptions) error {
	if d.Opts().InMemory || opts.Limit <= 0 {
		return nil
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Pause <= 0 {
		opts.Pause = 10 * time.Second
	}
	if err := pageOutSupported(); err != nil {
		return err
	}
	if _, err := rssFile(); err != nil {
		return err
	}
	dirs := d.dirs()
	t := time.NewTicker(opts.Interval)
	defer t.Stop()
	var last time.Time
	warned := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if time.Since(last) < opts.Pause {
			continue
		}
		before, err := rssFile()
		if err == nil && before <= opts.Limit {
			continue
		}
		start := time.Now()
		last = start
		var n int
		if err == nil {
			n, err = pageOut(dirs)
		}
		if err != nil {
			// Nothing was lost; the next try is a pause away.
			d.log.WarnContext(ctx, "cannot page out the store's mapped files", "err", err)
			continue
		}
		after, _ := rssFile()
		d.log.InfoContext(ctx, "paged out the store's mapped files", "mappings", n,
			"rss_file_before", before, "rss_file_after", after, "took", time.Since(start))
		if after > opts.Limit && !warned {
			warned = true
			d.log.WarnContext(ctx, "the limit is below what stays mapped (the executable, the files badger appends to): a page-out every pause",
				"limit", opts.Limit, "rss_file", after, "pause", opts.Pause)
		}
	}
}

// dirs returns the store's directories as /proc/self/maps names them: absolute, symbolic links
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
// whole 64 MB file holds it ~10 ms. In 1 MB calls no single hold is long, though a page-out as a
// whole still takes 40–110 ms of a core (BENCHMARKS.md, issue 7, item 9).
const pageOutChunk = 1 << 20

// pageOut pages out the shared file mappings under dirs but those being written (see
// written) and returns how many it paged out.
func pageOut(dirs []string) (int, error) {
	maps, err := readMaps(dirs)
	if err != nil {
		return 0, err
	}
	maps = slices.DeleteFunc(maps, written(maps))
	for _, m := range maps {
		for a := m.start; a < m.end; a += pageOutChunk {
			if err := madvisePageOut(a, min(pageOutChunk, m.end-a)); err != nil {
				return 0, err
			}
		}
	}
	return len(maps), nil
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

// mapping is an address range of the process mapping a file.
type mapping struct {
	start, end uintptr
	path       string
}

// parseMaps reads /proc/PID/maps and returns the shared mappings of files under one of dirs
// (each ending in a separator). Private mappings are never returned: paging out a private
// page that was written would lose the write.
func parseMaps(r io.Reader, dirs []string) ([]mapping, error) {
	var out []mapping
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := bytes.Fields(sc.Bytes())
		if len(f) < 6 || len(f[1]) != 4 || f[1][3] != 's' {
			continue
		}
		// A path with spaces is split; the kernel writes it last, so join the rest.
		path := string(bytes.Join(f[5:], []byte(" ")))
		if !underAny(path, dirs) {
			continue
		}
		lo, hi, ok := strings.Cut(string(f[0]), "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("store: unreadable mapping %q", f[0])
		}
		out = append(out, mapping{uintptr(start), uintptr(end), path})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("store: reading the process's mappings: %w", err)
	}
	return out, nil
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
