// Package blobs keeps immutable byte strings in append-only segment files beside the badger store:
// the message log's records (header, request, response), written with write(2), read with pread(2).
//
// Badger writes its value log through a memory mapping, so every body logged stayed resident as
// page cache counted in the gateway's RSS (2.3 GB after a million messages), and each fsync made
// the kernel write-protect and re-fault the mapped pages. Here the records go through the page cache
// like any file, outside the process, and the store keeps only a Ref of a few bytes per record.
//
// A Store has one writing segment at a time; segments are never rewritten, only removed whole (the
// message log removes a segment once every record pointing into it has expired). What Append wrote
// is durable once a later Sync succeeds; a caller that must not lose it appends and syncs without
// another appender in between, or it cannot tell whose failure a failed Sync reports. A crash can
// leave bytes that no record points to at the end of a segment; they are never read, and go with
// their segment.
//
// Written bytes leave the page cache once they are durable (posix_fadvise DONTNEED, by a goroutine
// of the Store, every few MB synced, and a whole segment once written no further: full, abandoned
// after a failed write, or at Close, the NoSync ones after their fsync there): a record is read
// back rarely (a query, a repeated messageId), and a gigabyte of freshly logged bodies would
// otherwise sit in the cache, charged to the gateway's memory cgroup, crowding out the store's
// tables. Off the Sync path, because the kernel may drain every CPU's page lists first.
package blobs

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Ref locates one blob.
type Ref struct {
	Seg uint32 // segment number
	Off int64  // offset in the segment
	Len int64
	Sum uint32 // CRC-32C of the blob: a damaged or truncated file is caught on read
}

// Options configure a Store.
type Options struct {
	// Dir holds the segment files (created if missing, mode 0700).
	Dir string
	// SegmentSize: once the writing segment holds this many bytes, the next Append starts a new
	// one. Default 64 MiB. An Append is never split between segments.
	SegmentSize int64
	// NoSync makes Sync a no-op (bulk loads: a crash may then lose what was appended); Close
	// syncs every segment written and the directory.
	NoSync bool
	Logger *slog.Logger
}

// Errors.
var (
	ErrNotFound = errors.New("blobs: segment not found")
	ErrCorrupt  = errors.New("blobs: blob damaged or truncated")
	ErrWriting  = errors.New("blobs: segment is being written")
	ErrClosed   = errors.New("blobs: closed")
)

const (
	defaultSegmentSize = 64 << 20
	suffix             = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxOpen is how many segments a Store keeps open for reading at a time (others are opened when
// read): a month of retention at a few MB/s is thousands of segments.
const maxOpen = 64

// Store is a set of segment files. Its methods are safe for concurrent use; Appends are serialised.
type Store struct {
	dir  string
	opts Options
	log  *slog.Logger

	wmu     sync.Mutex // Append, Sync, rotation
	w       *os.File   // the writing segment, nil until the first Append (or after a failed write)
	wseg    uint32
	wsize   int64
	dirty   bool  // written since the last Sync
	cached  int64 // the writing segment's bytes before this offset were handed to the dropper
	drops   chan span
	dropped chan struct{} // closed when the dropper has stopped
	lost    error         // set when bytes appended since the last Sync were abandoned: the next Sync fails
	next    uint32
	written []uint32 // with NoSync: the segments this Store wrote, synced at Close

	mu      sync.RWMutex // known, handles, order, closed; readers hold it shared during a read
	known   map[uint32]bool
	handles map[uint32]*os.File // open for reading, at most maxOpen
	order   []uint32            // handles' segments, oldest opened first
	closed  bool
}

// Open lists the segments in opts.Dir. Writing starts in a new segment at the first Append: a
// segment left by an earlier process (possibly torn at its end) is never appended to.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("blobs: no directory")
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = defaultSegmentSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	s := &Store{dir: opts.Dir, opts: opts, log: opts.Logger, known: map[uint32]bool{}, handles: map[uint32]*os.File{},
		drops: make(chan span, 16), dropped: make(chan struct{})}
	ids, err := s.list()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		s.known[id] = true
		s.next = max(s.next, id+1)
	}
	go s.dropper()
	return s, nil
}

// span is a part of a segment to drop from the page cache (n = 0: to its end); a span with done
// set drops nothing and closes done once the spans before it are dropped.
type span struct {
	seg    uint32
	off, n int64
	done   chan struct{}
}

// dropChunk is how many synced bytes make a span: one fadvise per few hundred records.
const dropChunk = 4 << 20

// drop hands sp to the dropper without waiting, and tells whether it did: when the dropper is
// behind, a part of the writing segment waits for the next Sync.
func (s *Store) drop(sp span) bool {
	select {
	case s.drops <- sp:
		return true
	default:
		return false
	}
}

// dropSegment hands a whole finished segment to the dropper, waiting if it is 16 spans behind
// (once a segment: it must not be skipped).
func (s *Store) dropSegment(seg uint32) { s.drops <- span{seg: seg} }

// dropper runs the spans until Close closes drops. It opens the segment by name: the writer may
// have closed its handle, and a segment removed meanwhile has nothing left to drop.
func (s *Store) dropper() {
	defer close(s.dropped)
	for sp := range s.drops {
		if sp.done != nil {
			close(sp.done)
			continue
		}
		if f, err := os.Open(s.path(sp.seg)); err == nil {
			dropCache(f, sp.off, sp.n)
			f.Close()
		}
	}
}

func (s *Store) path(id uint32) string {
	return filepath.Join(s.dir, fmt.Sprintf("%08x%s", id, suffix))
}

// list returns the segment numbers in the directory, in order; other files are left alone.
func (s *Store) list() ([]uint32, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	var ids []uint32
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), suffix)
		if !ok || len(name) != 8 || !e.Type().IsRegular() {
			continue
		}
		id, err := strconv.ParseUint(name, 16, 32)
		if err != nil {
			continue
		}
		ids = append(ids, uint32(id))
	}
	slices.Sort(ids)
	return ids, nil
}

// Append writes each blob of bs, in order, to the writing segment (all to the same one) and
// returns their Refs. They are readable at once and durable after Sync.
func (s *Store) Append(bs ...[]byte) ([]Ref, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return nil, ErrClosed
	}
	if s.w == nil || s.wsize >= s.opts.SegmentSize {
		if err := s.rotate(); err != nil {
			return nil, err
		}
	}
	prior := s.dirty // appended by earlier calls and not yet synced
	refs := make([]Ref, len(bs))
	for i, b := range bs {
		if _, err := s.w.Write(b); err != nil {
			// The segment may now end with part of b: write the next Append elsewhere.
			// This call's own blobs are refused with it; earlier calls' unsynced ones are lost.
			err = fmt.Errorf("blobs: write segment %08x: %w", s.wseg, err)
			s.dirty = prior
			s.abandon(err)
			return nil, err
		}
		refs[i] = Ref{Seg: s.wseg, Off: s.wsize, Len: int64(len(b)), Sum: crc32.Checksum(b, castagnoli)}
		s.wsize += int64(len(b))
		s.dirty = true
	}
	return refs, nil
}

// rotate starts a new writing segment: the old one is synced (unless NoSync) and kept for reading,
// the new file's directory entry made durable before anything points into it.
func (s *Store) rotate() error {
	if s.w != nil {
		if err := s.syncLocked(); err != nil {
			return err
		}
		s.dropSegment(s.wseg) // all of it, the last partial page too (NoSync: what is clean already)
		s.w.Close()
		s.w = nil
	}
	id := s.next
	p := s.path(id)
	w, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("blobs: %w", err)
	}
	if !s.opts.NoSync {
		if err := syncPath(s.dir); err != nil {
			w.Close()
			os.Remove(p)
			return fmt.Errorf("blobs: new segment %08x: %w", id, err)
		}
	} else {
		s.written = append(s.written, id)
	}
	s.mu.Lock()
	s.known[id] = true
	s.mu.Unlock()
	s.next = id + 1
	s.w, s.wseg, s.wsize, s.cached, s.dirty = w, id, 0, 0, false
	s.log.Debug("new segment", "segment", id)
	return nil
}

// abandon stops writing to the current segment after a failed write or sync (err): what it holds
// stays readable, the next Append starts a new one, and the next Sync fails if anything appended
// since the last one was in it.
func (s *Store) abandon(err error) {
	if s.dirty && s.lost == nil {
		s.lost = err
	}
	s.dropSegment(s.wseg) // written no further: what is clean of it can go
	s.w.Close()
	s.w, s.dirty = nil, false
}

// syncPath fsyncs the file or directory at path (Linux syncs through a read-only descriptor).
func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Sync makes everything appended so far durable (fsync of the writing segment; the segments
// before it were synced when it started), or fails: also when some of it was lost to an earlier
// caller's failed write or sync.
func (s *Store) Sync() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	return s.syncLocked()
}

func (s *Store) syncLocked() error {
	if err := s.lost; err != nil {
		s.lost = nil
		return fmt.Errorf("blobs: appended data lost: %w", err)
	}
	if s.w == nil || !s.dirty || s.opts.NoSync {
		return nil
	}
	if err := s.w.Sync(); err != nil {
		// After a failed fsync the kernel may have dropped the dirty pages: nothing written since
		// the last good Sync can be trusted, so no caller may commit a Ref to it.
		err = fmt.Errorf("blobs: sync segment %08x: %w", s.wseg, err)
		s.abandon(err)
		s.lost = nil // reported here
		return err
	}
	s.dirty = false
	// From the start of the page holding the first byte not handed over yet: that page was partly
	// written then, it is whole (and clean) now. (A partial last page may go too, the span ending
	// at the end of the file: the next Append reads it back, once a span.)
	if from := s.cached &^ int64(os.Getpagesize()-1); s.wsize-from >= dropChunk {
		if s.drop(span{seg: s.wseg, off: from, n: s.wsize - from}) {
			s.cached = s.wsize
		}
	}
	return nil
}

// Read returns the blob ref points to, checked against its CRC.
func (s *Store) Read(ref Ref) ([]byte, error) {
	if ref.Len < 0 || ref.Off < 0 {
		return nil, fmt.Errorf("%w: ref %+v", ErrCorrupt, ref)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, err := s.handle(ref.Seg)
	if err != nil {
		return nil, err
	}
	// A damaged ref must not make us allocate what the file cannot hold.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("blobs: segment %08x: %w", ref.Seg, err)
	}
	if ref.Off > fi.Size() || ref.Len > fi.Size()-ref.Off {
		return nil, fmt.Errorf("%w: segment %08x ends before %d+%d", ErrCorrupt, ref.Seg, ref.Off, ref.Len)
	}
	b := make([]byte, ref.Len)
	if _, err := f.ReadAt(b, ref.Off); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: segment %08x ends before %d+%d", ErrCorrupt, ref.Seg, ref.Off, ref.Len)
		}
		return nil, fmt.Errorf("blobs: read segment %08x: %w", ref.Seg, err)
	}
	if crc32.Checksum(b, castagnoli) != ref.Sum {
		return nil, fmt.Errorf("%w: checksum mismatch in segment %08x at %d", ErrCorrupt, ref.Seg, ref.Off)
	}
	return b, nil
}

// handle returns an open file of segment id, opening it if needed. The caller holds s.mu shared;
// to open a file handle takes it exclusively for a moment (and so waits for the reads in flight).
func (s *Store) handle(id uint32) (*os.File, error) {
	for {
		if s.closed {
			return nil, ErrClosed
		}
		if !s.known[id] {
			return nil, fmt.Errorf("%w: %08x", ErrNotFound, id)
		}
		if f := s.handles[id]; f != nil {
			return f, nil
		}
		s.mu.RUnlock()
		err := s.open(id)
		s.mu.RLock()
		if err != nil {
			return nil, err
		}
	}
}

// open opens segment id for reading, closing the oldest handle beyond maxOpen.
func (s *Store) open(id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.known[id] || s.handles[id] != nil {
		return nil // handle looks again
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		return fmt.Errorf("blobs: segment %08x: %w", id, err)
	}
	s.handles[id] = f
	s.order = append(s.order, id)
	for len(s.order) > maxOpen {
		old := s.order[0]
		s.order = s.order[1:]
		if h := s.handles[old]; h != nil {
			h.Close()
			delete(s.handles, old)
		}
	}
	return nil
}

// Segment describes one segment file.
type Segment struct {
	ID      uint32
	Size    int64
	Writing bool // the segment Appends go to: it cannot be removed
}

// Segments lists the segments, in order.
func (s *Store) Segments() ([]Segment, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	out := make([]Segment, 0, len(s.known))
	for id := range s.known {
		seg := Segment{ID: id, Writing: s.w != nil && id == s.wseg}
		if fi, err := os.Stat(s.path(id)); err == nil {
			seg.Size = fi.Size()
		}
		out = append(out, seg)
	}
	slices.SortFunc(out, func(a, b Segment) int { return int(int64(a.ID) - int64(b.ID)) })
	return out, nil
}

// Remove deletes segment id. Reads of it then fail with ErrNotFound. The writing segment cannot
// be removed (ErrWriting).
func (s *Store) Remove(id uint32) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.w != nil && id == s.wseg {
		return fmt.Errorf("%w: %08x", ErrWriting, id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if !s.known[id] {
		return fmt.Errorf("%w: %08x", ErrNotFound, id)
	}
	delete(s.known, id)
	if f := s.handles[id]; f != nil {
		f.Close()
		delete(s.handles, id)
		s.order = slices.DeleteFunc(s.order, func(x uint32) bool { return x == id })
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blobs: %w", err)
	}
	return nil
}

// Close syncs the writing segment (with NoSync: every segment this Store wrote, and the directory)
// and closes every file. Later calls return ErrClosed.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	var err error
	if s.w != nil {
		if s.dirty && !s.opts.NoSync {
			err = s.w.Sync()
		}
		s.w.Close()
		s.w = nil
		s.dropSegment(s.wseg)
	}
	// A bulk load (NoSync) wants its bytes on disk once it is done, and then out of the cache.
	for _, id := range s.written {
		if e := syncPath(s.path(id)); e != nil && !errors.Is(e, os.ErrNotExist) {
			err = errors.Join(err, e)
		}
		s.dropSegment(id)
	}
	if len(s.written) > 0 {
		err = errors.Join(err, syncPath(s.dir))
	}
	s.closeAll()
	close(s.drops)
	<-s.dropped
	if err != nil {
		return fmt.Errorf("blobs: close: %w", err)
	}
	return nil
}

func (s *Store) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.handles {
		f.Close()
	}
	s.handles, s.order = map[uint32]*os.File{}, nil
	s.closed = true
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}
