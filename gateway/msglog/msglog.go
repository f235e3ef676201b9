// Package msglog is the gateway's durable message log: every request, its response and every check's verdict and timing, written before the response is sent.
// It makes SendMessage idempotent by (sender, messageId) and answers queries by message, session, ИИН, service and time.
package msglog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/store"
	"github.com/shep-kz/shep/store/blobs"
)

// Step is one check or stage of a request's processing.
type Step struct {
	Name     string
	Outcome  string // "ok" or a refusal code
	Detail   string
	Duration time.Duration
}

// MaxKeyPart is the longest sender, messageID, sessionID, IIN or serviceID a record may have, in
// bytes: they are parts of index keys.
const MaxKeyPart = 1024

// Anonymous is the Sender of a record the gateway could not attribute (no sender may be called so): an exchange refused before
// the sender's signature verified, or with a transient error. Its MessageID is the one the request
// claimed (or its SessionID if it had none), which any number of anonymous records may share:
// they are kept under their SessionID, play no part in idempotency, and are found by messageId,
// session, ИИН, service and time like any other.
const Anonymous = "-"

// Record is everything logged about one request.
type Record struct {
	Sender, MessageID                          string // the idempotency key, unless Sender is Anonymous
	SessionID                                  string // "{uuid}", assigned by the gateway; unique
	CorrelationID, ServiceID, RouteID, Channel string
	IIN                                        string // the applicant's ИИН, if any
	SignerIIN, SignerBIN, SignerSubject        string
	Received, Responded                        time.Time // read back in UTC, to the nanosecond
	Status                                     string    // "SCSS001" or the fault code
	HTTPStatus                                 int
	RequestHash                                [32]byte // SHA-256 of the request body as received
	Request, Response                          []byte   // exact bytes received and sent (Response is what the client gets)
	Steps                                      []Step
}

// Options configure a Log.
type Options struct {
	// TTL is the retention: records and their index entries expire together, at least TTL after
	// Commit (expiry is rounded up to the next second). Default 30 days (X-Road's keep-records-for).
	// Expiry ends idempotency too: a messageId reused after TTL is accepted as new.
	TTL time.Duration
	// MaxBatch is the most records one transaction (and one fsync) holds. Default 256; 1 turns
	// group commit off.
	MaxBatch int
	Logger   *slog.Logger
	// Now is the clock for expiry (Commit time + TTL). Badger compares ExpiresAt with the wall
	// clock, so a Now in the past shortens the retention by as much.
	Now func() time.Time
	// BodyDir, when set, keeps each record (header, request, response) in segment files there
	// (package blobs), the store holding its indexes and where it is; empty keeps records in the
	// store (in-memory stores, tests).
	// A segment is removed once every record in it has expired. Every Log opened on a store must
	// be given the same BodyDir.
	BodyDir string
	// BodySegmentSize is the size at which a new body segment is started (default 64 MiB).
	BodySegmentSize int64
}

// Errors. Every error returned wraps one of these, a context error or a store error.
var (
	ErrNotFound   = errors.New("msglog: not found")
	ErrExists     = errors.New("msglog: already logged")
	ErrInProgress = errors.New("msglog: message is being processed")
	ErrInvalid    = errors.New("msglog: invalid argument")
	ErrTooLarge   = errors.New("msglog: record too large for one store transaction")
	ErrClosed     = errors.New("msglog: closed")
)

const (
	defaultTTL      = 30 * 24 * time.Hour
	defaultMaxBatch = 256
	maxKeyPart      = MaxKeyPart
)

// Log is the message log. Its methods are safe for concurrent use. Use one Log per store: the
// claims of Begin live in the Log.
type Log struct {
	db       *store.DB
	ttl      time.Duration
	maxBatch int
	log      *slog.Logger
	now      func() time.Time
	// scanBudget bounds the index entries one Query reads (defaultScanBudget; tests lower it).
	scanBudget int

	claimMu sync.Mutex
	claims  map[string]struct{}

	mu          sync.Mutex
	queue       []*commitReq
	closed      bool
	beforeWrite func(n int) // test hook (export_test.go), called by the committer with each batch's size
	wake        chan struct{}
	stopped     chan struct{}

	txns, records atomic.Uint64 // committed transactions (= WAL fsyncs with SyncWrites) and records

	bodies *blobs.Store // nil: bodies inline in the store
	// bodyMu is held from appending records to their segment to committing the entries that
	// point to them (the committer, Import) and by the sweep: so no Sync reports on another's
	// bytes, no segment is removed under records not yet committed, and the segment notes are
	// never written by two transactions at once.
	bodyMu    sync.Mutex
	sweepStop chan struct{}
	sweepDone chan struct{}
}

// Open starts a Log on db and its committer goroutine. Close the Log before db.
func Open(db *store.DB, opts Options) (*Log, error) {
	switch {
	case db == nil || db.IsClosed():
		return nil, fmt.Errorf("%w: no open store", ErrInvalid)
	case opts.TTL < 0:
		return nil, fmt.Errorf("%w: TTL %v", ErrInvalid, opts.TTL)
	case opts.MaxBatch < 0:
		return nil, fmt.Errorf("%w: MaxBatch %d", ErrInvalid, opts.MaxBatch)
	}
	if opts.TTL == 0 {
		opts.TTL = defaultTTL
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = defaultMaxBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Log{
		db: db, ttl: opts.TTL, maxBatch: opts.MaxBatch, log: opts.Logger.With("component", "msglog"), now: opts.Now,
		scanBudget: defaultScanBudget,
		claims:     make(map[string]struct{}),
		wake:       make(chan struct{}, 1),
		stopped:    make(chan struct{}),
	}
	if opts.BodyDir != "" {
		b, err := blobs.Open(blobs.Options{Dir: opts.BodyDir, SegmentSize: opts.BodySegmentSize,
			NoSync: !db.Opts().SyncWrites, Logger: l.log})
		if err != nil {
			return nil, fmt.Errorf("msglog: %w", err)
		}
		l.bodies = b
		// Nothing is being written yet: a segment no record points to is a crash's leftover.
		if err := l.sweepBodies(time.Now(), true); err != nil {
			b.Close()
			return nil, err
		}
		l.sweepStop, l.sweepDone = make(chan struct{}), make(chan struct{})
		go l.sweepLoop()
	}
	go l.run()
	return l, nil
}

// Close waits for every queued Commit to be written, then stops the committer. It does not close
// the store. Later calls return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	was := l.closed
	l.closed = true
	l.mu.Unlock()
	l.signal()
	<-l.stopped
	if was {
		return ErrClosed
	}
	if l.bodies != nil {
		close(l.sweepStop)
		<-l.sweepDone
		if err := l.bodies.Close(); err != nil {
			l.log.Warn("closing the body segments", "err", err)
		}
	}
	b, r := l.txns.Load(), l.records.Load()
	l.log.Debug("message log closed", "transactions", b, "records", r)
	return nil
}

func (l *Log) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Begin claims (sender, messageID) for processing. If a committed record exists it is returned
// (the caller replays its Response if RequestHash matches, else refuses the reuse) and no claim
// is held. If another request holds the claim, ErrInProgress. Claims are in memory: a crash
// before Commit leaves no trace, and the client, which got no answer, may retry.
//
// When err is nil, release is non-nil: call it once the request is committed or abandoned
// (after Commit returns); extra calls do nothing.
func (l *Log) Begin(ctx context.Context, sender, messageID string) (existing *Record, release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("msglog: begin: %w", err)
	}
	if l.isClosed() {
		return nil, nil, ErrClosed
	}
	if err := checkPart("sender", sender); err != nil {
		return nil, nil, err
	}
	if sender == Anonymous {
		return nil, nil, fmt.Errorf("%w: anonymous records are not claimed", ErrInvalid)
	}
	if err := checkPart("messageID", messageID); err != nil {
		return nil, nil, err
	}
	k := recordKey(sender, messageID)
	ks := string(k)
	l.claimMu.Lock()
	if _, held := l.claims[ks]; held {
		l.claimMu.Unlock()
		return nil, nil, fmt.Errorf("%w: %q/%q", ErrInProgress, sender, messageID)
	}
	l.claims[ks] = struct{}{}
	l.claimMu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			l.claimMu.Lock()
			delete(l.claims, ks)
			l.claimMu.Unlock()
		})
	}
	// Read under the claim: whoever held it before committed (or gave up) before releasing.
	rec, err := l.get(k)
	switch {
	case err == nil:
		release()
		return rec, func() {}, nil
	case errors.Is(err, ErrNotFound):
		return nil, release, nil
	default:
		release()
		return nil, nil, err
	}
}

// Commit stores rec durably (fsync, with the store's SyncWrites) before returning. Concurrent
// Commits are grouped: a single committer goroutine takes whatever is queued, up to MaxBatch,
// writes it in one badger transaction (one fsync) and wakes every waiter. A record and its
// index entries are written atomically. Commit of a (sender, messageID) that is already logged
// fails with ErrExists, as does a SessionID already logged.
//
// rec is encoded before Commit queues it; the caller may reuse it once Commit returns. Sender,
// MessageID, SessionID and Received are required. If ctx ends while the record waits, Commit
// returns the context's error and the record may still be written: a retry's Begin finds it.
func (l *Log) Commit(ctx context.Context, rec *Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("msglog: commit: %w", err)
	}
	if err := validate(rec); err != nil {
		return err
	}
	req := l.prepare(ctx, rec)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.queue = append(l.queue, req)
	l.mu.Unlock()
	l.signal()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("msglog: commit %q/%q: %w (it may still be written)", rec.Sender, rec.MessageID, ctx.Err())
	}
}

func checkPart(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, name)
	case len(v) > maxKeyPart:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, name, maxKeyPart)
	}
	return nil
}

func validate(r *Record) error {
	if r == nil {
		return fmt.Errorf("%w: nil record", ErrInvalid)
	}
	for _, p := range [...]struct{ name, v string }{
		{"sender", r.Sender}, {"messageID", r.MessageID}, {"sessionID", r.SessionID},
	} {
		if err := checkPart(p.name, p.v); err != nil {
			return err
		}
	}
	if len(r.IIN) > maxKeyPart || len(r.ServiceID) > maxKeyPart {
		return fmt.Errorf("%w: IIN or serviceID longer than %d bytes", ErrInvalid, maxKeyPart)
	}
	if r.Received.Before(minTime) || !r.Received.Before(maxTime) {
		return fmt.Errorf("%w: Received %v outside 1970…2262", ErrInvalid, r.Received)
	}
	return nil
}

type commitReq struct {
	ctx     context.Context
	sender  string // for messages
	msgID   string
	sid     string
	key     []byte          // primary
	sess    []byte          // session index
	entries []*badger.Entry // the record's first; its Value is set by appendBodies with a BodyDir
	done    chan error      // buffered: the committer never blocks on a caller that gave up
	dup     error           // set by writeTxn: ErrExists, wrapped

	// With a BodyDir: header ‖ Request ‖ Response (a copy: Commit may return before the
	// committer is done with it), and where appendBodies put it.
	blob     []byte
	hdrLen   int64
	reqLen   int64
	exp      int64
	appended bool
	ref      blobs.Ref
}

// prepare encodes rec and builds its entries, all expiring TTL after now.
func (l *Log) prepare(ctx context.Context, rec *Record) *commitReq {
	return prepareExpiring(ctx, rec, expiresAt(l.now().Add(l.ttl)), l.bodies != nil)
}

// expiresAt is badger's ExpiresAt for exp: Unix seconds, rounded up (never keep less than TTL),
// at least 1 (0 means "never expires" to badger).
func expiresAt(exp time.Time) int64 {
	e := exp.Unix()
	if exp.Nanosecond() > 0 {
		e++
	}
	return max(e, 1)
}

// prepareExpiring encodes rec and builds its entries, all with the given ExpiresAt; with separate
// bodies, the record's value waits for appendBodies.
func prepareExpiring(ctx context.Context, rec *Record, exp int64, separate bool) *commitReq {
	sum := summaryOf(rec)
	sv := encodeSummary(&sum)
	ts := tsOf(rec.Received)
	req := &commitReq{
		ctx: ctx, sender: rec.Sender, msgID: rec.MessageID, sid: rec.SessionID,
		key:  primaryKey(rec.Sender, rec.MessageID, rec.SessionID),
		sess: sessionKey(rec.SessionID),
		done: make(chan error, 1),
	}
	add := func(k, v []byte) {
		req.entries = append(req.entries, &badger.Entry{Key: k, Value: v, ExpiresAt: uint64(exp)})
	}
	if separate {
		n := len(rec.Request) + len(rec.Response)
		req.blob = append(append(encodeHeader(rec, n), rec.Request...), rec.Response...)
		req.hdrLen = int64(len(req.blob) - n)
		req.reqLen = int64(len(rec.Request))
		req.exp = exp
		add(req.key, nil)
	} else {
		add(req.key, encodeRecord(rec))
	}
	add(req.sess, sv)
	// The indexes hold keys only: (ts, sessionID) is in the key, the summary is under the session.
	add(indexKey(scanPrefix(tagMessage, rec.MessageID), ts, rec.SessionID), nil)
	if rec.IIN != "" {
		add(indexKey(scanPrefix(tagIIN, rec.IIN), ts, rec.SessionID), nil)
	}
	if rec.ServiceID != "" {
		add(indexKey(scanPrefix(tagService, rec.ServiceID), ts, rec.SessionID), nil)
	}
	add(indexKey(scanPrefix(tagTime), ts, rec.SessionID), nil)
	return req
}

func (l *Log) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run is the committer: it takes up to maxBatch queued requests at a time, in arrival order, and
// writes them. After Close it drains the queue, then stops.
func (l *Log) run() {
	defer close(l.stopped)
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closed {
			l.mu.Unlock()
			<-l.wake
			l.mu.Lock()
		}
		if len(l.queue) == 0 {
			l.mu.Unlock()
			return
		}
		n := min(len(l.queue), l.maxBatch)
		batch := slices.Clone(l.queue[:n])
		rest := copy(l.queue, l.queue[n:])
		clear(l.queue[rest:])
		l.queue = l.queue[:rest]
		hook := l.beforeWrite
		l.mu.Unlock()
		if hook != nil {
			hook(len(batch))
		}
		l.write(batch)
	}
}

// write answers every request of batch.
func (l *Log) write(batch []*commitReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil { // the caller has returned already
			r.done <- fmt.Errorf("msglog: commit: %w", err)
			continue
		}
		live = append(live, r)
	}
	if l.bodies != nil {
		l.bodyMu.Lock()
		defer l.bodyMu.Unlock()
	}
	if err := l.appendBodies(live); err != nil {
		for _, r := range live {
			r.done <- err
		}
		return
	}
	for len(live) > 0 {
		if l.db.IsClosed() {
			for _, r := range live {
				r.done <- fmt.Errorf("%w: store closed", ErrClosed)
			}
			return
		}
		live = live[l.writeTxn(live):]
	}
}

// writeTxn writes the longest prefix of reqs that fits in one transaction, answers each request
// of that prefix and returns its length (at least 1).
func (l *Log) writeTxn(reqs []*commitReq) int {
	txn := l.db.NewTransaction(true)
	defer txn.Discard()
	var added, dups []*commitReq
	for i, r := range reqs {
		if err := taken(txn, r); err != nil {
			if errors.Is(err, ErrExists) {
				r.dup = err
				dups = append(dups, r) // answered after the commit: it may duplicate one in this batch
			} else {
				r.done <- err
			}
			continue
		}
		for _, e := range r.entries {
			err := txn.SetEntry(e)
			if err == nil {
				continue
			}
			if len(added) > 0 {
				// The transaction now holds part of r: write reqs[:i] alone (it fit) and
				// leave r for the next transaction.
				txn.Discard()
				return l.writeTxn(reqs[:i])
			}
			if errors.Is(err, badger.ErrTxnTooBig) {
				err = fmt.Errorf("%w: %q/%q", ErrTooLarge, r.sender, r.msgID)
			} else {
				err = fmt.Errorf("msglog: commit %q/%q: %w", r.sender, r.msgID, err)
			}
			r.done <- err
			for _, d := range dups { // nothing pending: they duplicate committed records
				d.done <- d.dup
			}
			return i + 1
		}
		added = append(added, r)
	}
	var err error
	if len(added) > 0 {
		err = l.noteSegments(txn, added)
	}
	if len(added) > 0 && err == nil {
		if err = txn.Commit(); err != nil {
			err = fmt.Errorf("msglog: commit: %w", err)
			l.log.Warn("message log write failed", "records", len(added), "err", err)
		} else {
			l.txns.Add(1)
			l.records.Add(uint64(len(added)))
		}
	}
	for _, r := range added {
		r.done <- err
	}
	for _, d := range dups {
		if err == nil {
			d.done <- d.dup
		} else {
			d.done <- err
		}
	}
	return len(reqs)
}

// taken reports ErrExists if r's primary key or session is already in the store or pending in txn.
func taken(txn *badger.Txn, r *commitReq) error {
	for i, k := range [...][]byte{r.key, r.sess} {
		_, err := txn.Get(k)
		switch {
		case err == nil && i == 0:
			return fmt.Errorf("%w: %q/%q", ErrExists, r.sender, r.msgID)
		case err == nil:
			return fmt.Errorf("%w: session %q (logging %q/%q)", ErrExists, r.sid, r.sender, r.msgID)
		case !errors.Is(err, badger.ErrKeyNotFound):
			return fmt.Errorf("msglog: commit %q/%q: %w", r.sender, r.msgID, err)
		}
	}
	return nil
}
