// Package cases is the provider systems' register of applications («журнал регистрации»): each
// application's number, status («поступившие» … «исполненные»), timeline of events and result.
package cases

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/internal/stripe"
	"github.com/shep-kz/shep/store"
)

// Status of an application, as the regulations' tables and the portal name them (services.md §7.7).
type Status string

// Statuses.
const (
	Received   Status = "received"    // registered with a number: «поступившие»
	InProgress Status = "in_progress" // taken into work by the provider's specialist
	Extended   Status = "extended"    // the term was extended (still in work)
	Completed  Status = "completed"   // positive result issued: «исполненные»
	Refused    Status = "refused"     // motivated refusal issued: «исполненные», negative
	Delivered  Status = "delivered"   // the result reached the applicant (личный кабинет or ЦОН)
)

// Names of a status in Russian and Kazakh.
var statusNames = map[Status][2]string{
	Received:   {"поступившие", "түскен"},
	InProgress: {"в работе", "жұмыста"},
	Extended:   {"срок продлён", "мерзімі ұзартылды"},
	Completed:  {"исполненные", "орындалған"},
	Refused:    {"исполненные (мотивированный отказ)", "орындалған (дәлелді бас тарту)"},
	Delivered:  {"выдано", "берілді"},
}

// NameRU returns the status as the portal shows it in Russian.
func (s Status) NameRU() string { return statusNames[s][0] }

// NameKZ returns the status in Kazakh.
func (s Status) NameKZ() string { return statusNames[s][1] }

// Open reports whether the application still waits for a decision.
func (s Status) Open() bool { return s == Received || s == InProgress || s == Extended }

// Decided reports whether a result was issued.
func (s Status) Decided() bool { return s == Completed || s == Refused || s == Delivered }

// Action is what happened to an application.
type Action string

// Actions, each moving the application to a status.
const (
	ActRegister Action = "register" // → received
	ActTake     Action = "take"     // → in_progress
	ActExtend   Action = "extend"   // → extended
	ActComplete Action = "complete" // → completed
	ActRefuse   Action = "refuse"   // → refused
	ActDeliver  Action = "deliver"  // → delivered
)

// next is the status each action leads to, and the statuses it may start from.
var transitions = map[Action]struct {
	to   Status
	from []Status
}{
	ActRegister: {Received, nil},
	ActTake:     {InProgress, []Status{Received}},
	ActExtend:   {Extended, []Status{Received, InProgress, Extended}},
	ActComplete: {Completed, []Status{Received, InProgress, Extended}},
	ActRefuse:   {Refused, []Status{Received, InProgress, Extended}},
	ActDeliver:  {Delivered, []Status{Completed, Refused}},
}

// Event is one entry of an application's timeline.
type Event struct {
	Action Action `json:"action"`
	Status Status `json:"status"`
	// At is regulation time (the scaled clock); Real is the wall clock.
	At       time.Time `json:"at"`
	Real     time.Time `json:"real"`
	Actor    string    `json:"actor"` // who acted: the system's name or the specialist's
	ActorIIN string    `json:"actor_iin,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// Person is the applicant.
type Person struct {
	IIN  string `json:"iin"`
	Name string `json:"name,omitempty"`
}

// Result is the signed output document.
type Result struct {
	Kind         string    `json:"kind"`   // certificate, notification, resolution, refusal
	Number       string    `json:"number"` // registration number of the output document
	Title        string    `json:"title,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Issued       time.Time `json:"issued"`
	OfficialIIN  string    `json:"official_iin"`
	OfficialName string    `json:"official_name"`
	Document     []byte    `json:"document"` // the signed XML
}

// Case is one application in a provider system's register.
type Case struct {
	Number      string `json:"number"`
	ServiceID   string `json:"service_id"`
	System      string `json:"system"`   // the provider system (adapter) that holds it
	Provider    string `json:"provider"` // the provider organisation's id in the catalogue
	Channel     string `json:"channel"`
	SenderID    string `json:"sender_id"`
	SessionID   string `json:"session_id"`
	MessageID   string `json:"message_id"`
	Applicant   Person `json:"applicant"`
	Represented string `json:"representative_iin,omitempty"`
	OperatorIIN string `json:"operator_iin,omitempty"`
	// Regulation times (scaled clock): submission (the gateway received the request),
	// registration, the deadline of the service on this channel, and when the system decides on
	// its own (zero: it waits for a specialist).
	Submitted time.Time `json:"submitted,omitzero"`
	Received  time.Time `json:"received"`
	Deadline  time.Time `json:"deadline"`
	DecideAt  time.Time `json:"decide_at,omitzero"`
	Status    Status    `json:"status"`
	Events    []Event   `json:"events"`
	// Application is the signed application document as received.
	Application []byte  `json:"application,omitempty"`
	Result      *Result `json:"result,omitempty"`
}

// Overdue reports whether the case is (or was, when decided) past its deadline at regulation time now.
func (c *Case) Overdue(now time.Time) bool {
	if c.Deadline.IsZero() {
		return false
	}
	if c.Status.Decided() && c.Result != nil {
		for _, e := range c.Events {
			if e.Action == ActComplete || e.Action == ActRefuse {
				return e.At.After(c.Deadline)
			}
		}
	}
	return now.After(c.Deadline)
}

// Apply appends ev to the timeline if the action is allowed from the current status.
func (c *Case) Apply(ev Event) error {
	t, ok := transitions[ev.Action]
	if !ok {
		return fmt.Errorf("%w: unknown action %q", ErrInvalid, ev.Action)
	}
	if ev.Action == ActRegister {
		if len(c.Events) > 0 {
			return fmt.Errorf("%w: %s is already registered", ErrTransition, c.Number)
		}
	} else if !contains(t.from, c.Status) {
		return fmt.Errorf("%w: cannot %s application %s in status %s", ErrTransition, ev.Action, c.Number, c.Status)
	}
	ev.Status = t.to
	c.Status = t.to
	c.Events = append(c.Events, ev)
	return nil
}

func contains(ss []Status, s Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Errors.
var (
	ErrNotFound   = errors.New("cases: no such application")
	ErrInvalid    = errors.New("cases: invalid")
	ErrTransition = errors.New("cases: action not allowed in this status")
)

// Key layout (tag 'c'):
//
//	c 0x00 number                      → Case (JSON)
//	c 0x01 applicantIIN 0x00 number    → empty (an applicant's applications)
//	c 0x02 system 0x00 number          → empty (open applications of a system)
//	c 0x03 counter name                → uint64 big-endian (application and result numbers)
//	c 0x04 sender 0x00 messageID       → number (a sender's retry finds its application)
//	c 0x05 channel 0x00 number         → empty (decided, not yet handed over: the ЦОН's queue)
//	c 0x06 service 0x00 shard          → Stats (JSON), summed over shards by Stats
//
// Numbers, ИИН and system names never contain 0x00 (checked on Create).
func caseKey(n string) []byte { return append([]byte("c\x00"), n...) }
func applicantKey(iin, n string) []byte {
	return append(append(append([]byte("c\x01"), iin...), 0), n...)
}
func openKey(sys, n string) []byte   { return append(append(append([]byte("c\x02"), sys...), 0), n...) }
func pendingKey(ch, n string) []byte { return append(append(append([]byte("c\x05"), ch...), 0), n...) }
func counterKey(name string) []byte  { return append([]byte("c\x03"), name...) }
func messageKey(sender, id string) []byte {
	return append(append(append([]byte("c\x04"), sender...), 0), id...)
}

// Store keeps cases in the embedded store.
type Store struct {
	db *store.DB
	// counters serialise the reservations of a counter's blocks (take): every application of a
	// service and day, and every result of an organisation and year, draws from one key, and
	// optimistic retries alone starve under concurrent submissions. One lock per counter (by
	// hash), held for one fsync per numberBlock numbers.
	counters stripe.Mutexes
	blocksMu sync.Mutex
	blocks   map[string]*block // reserved numbers not handed out yet, by counter key (each under its counter's lock); a few entries a service a day
	// messages serialise the registrations of one message (by hash of its key).
	messages stripe.Mutexes
}

// New returns a store on db.
func New(db *store.DB) *Store { return &Store{db: db, blocks: map[string]*block{}} }

func clean(parts ...string) error {
	for _, p := range parts {
		if strings.ContainsRune(p, 0) {
			return fmt.Errorf("%w: NUL in %q", ErrInvalid, p)
		}
	}
	return nil
}

// Create registers c: it gets the next number of its service for the day of c.Received
// ("AKT-1-20261122-000001"), status received and the register event ev. A case already registered
// for the same SenderID and MessageID (a retry) is returned instead, with created false.
func (s *Store) Create(ctx context.Context, c *Case, ev Event) (_ *Case, created bool, _ error) {
	return s.CreateWith(ctx, c, ev, nil)
}

// Prepare is given a copy of a case numbered and registered but not yet committed, and returns the
// case to commit in its place (the same application, e.g. decided at once: the copy, changed), or
// nil to commit the registration as it is. It runs outside any transaction, once, while nobody else
// can see the application yet. The copy is shallow beyond its events: the application document is
// the caller's, not to be modified. Prepare runs under the lock that keeps other registrations of
// the same message waiting (and, now and then, of an unrelated one sharing the lock): it should be
// short, and must not register anything itself.
type Prepare func(ctx context.Context, registered *Case) *Case

// CreateWith is Create, with prepare (when not nil) given the numbered case before the commit:
// what it returns is committed instead, in the registration's one transaction. A system that
// decides on receipt so writes the application once, with its result, instead of twice. A retry
// of a message already registered does not call prepare; when another Store on the same db
// registers the message while prepare runs (rare: the lock is per Store), prepare's work is thrown
// away and that registration is returned, with created false.
func (s *Store) CreateWith(ctx context.Context, c *Case, ev Event, prepare Prepare) (_ *Case, created bool, _ error) {
	if c.ServiceID == "" || c.System == "" || c.Applicant.IIN == "" {
		return nil, false, fmt.Errorf("%w: a case needs a service, a system and an applicant", ErrInvalid)
	}
	if err := clean(c.ServiceID, c.System, c.Applicant.IIN, c.SenderID, c.MessageID); err != nil {
		return nil, false, err
	}
	ev.Action = ActRegister
	keyed := c.SenderID != "" && c.MessageID != ""
	mkey := messageKey(c.SenderID, c.MessageID)
	byMessage := func(txn *badger.Txn) (*Case, error) {
		it, err := txn.Get(mkey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		n, err := it.ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		return get(txn, string(n))
	}
	if keyed {
		// One registration of a message at a time, so that a concurrent repeat waits for it and
		// finds its application instead of drawing a number and losing the race for the key. (A
		// striped lock: now and then two unrelated messages share one and wait for each other.)
		mu := s.messages.For(string(mkey))
		mu.Lock()
		defer mu.Unlock()
		// A retry finds its application without using up a number.
		var out *Case
		if err := s.db.View(func(txn *badger.Txn) (err error) { out, err = byMessage(txn); return err }); err != nil || out != nil {
			return out, false, err
		}
	}
	// The number comes from a block reserved beforehand (take), not from an increment in the
	// transaction below: that made every application of a service and day wait for the one before
	// to be committed and fsynced, one at a time, under the counter's lock.
	seq, err := s.take(ctx, c.ServiceID+"\x00"+c.Received.Format("20060102"))
	if err != nil {
		return nil, false, err
	}
	reg := *c
	reg.Events, reg.Result = nil, nil
	reg.Number = fmt.Sprintf("%s-%s-%06d", reg.ServiceID, reg.Received.Format("20060102"), seq)
	if err := reg.Apply(ev); err != nil {
		return nil, false, err
	}
	commit := &reg
	if prepare != nil {
		given := reg
		given.Events = slices.Clone(reg.Events)
		if p := prepare(ctx, &given); p != nil {
			if !sameRegistration(p, &reg) {
				return nil, false, fmt.Errorf("%w: a prepared case must be the registered one, from its register event to its status", ErrInvalid)
			}
			commit = p
		}
	}
	var out *Case
	err = s.retry(ctx, func(txn *badger.Txn) error {
		created = false
		if keyed { // registered meanwhile by a Store of another caller on the same db: found on the retry that follows the conflict
			existing, err := byMessage(txn)
			if existing != nil || err != nil {
				out = existing
				return err
			}
		}
		if err := put(txn, nil, commit); err != nil {
			return err
		}
		if keyed {
			if err := txn.Set(mkey, []byte(commit.Number)); err != nil {
				return err
			}
		}
		out, created = commit, true
		return nil
	})
	return out, created, err
}

// sameRegistration reports whether p is the registration reg, perhaps moved on by later events:
// the same application, the same register event first, the status of its last event.
func sameRegistration(p, reg *Case) bool {
	return p.Number == reg.Number && p.ServiceID == reg.ServiceID && p.System == reg.System && p.Provider == reg.Provider &&
		p.Channel == reg.Channel && p.SenderID == reg.SenderID && p.MessageID == reg.MessageID && p.Applicant == reg.Applicant &&
		p.Received.Equal(reg.Received) && len(p.Events) > 0 && p.Events[0] == reg.Events[0] && p.Status == p.Events[len(p.Events)-1].Status
}

// numberBlock is how many numbers of a counter are reserved in the store at a time.
const numberBlock = 32

// block is the part of a counter reserved in the store and not yet handed out: next…end.
type block struct{ next, end uint64 }

// NextNumber returns the next value of the named counter (e.g. an organisation's output
// documents of a year), starting at 1. A number is never handed out twice, across restarts too:
// numbers are reserved in the store numberBlock at a time (one fsync per block rather than per
// number, which put an fsync under a lock into every decision), so a restart skips the rest of
// the block it reserved last.
func (s *Store) NextNumber(ctx context.Context, name string) (uint64, error) {
	if err := clean(name); err != nil {
		return 0, err
	}
	return s.take(ctx, "n\x00"+name)
}

// take hands out the next number of the counter under key, from the block reserved last or a new
// one. Application numbers (key service NUL day) and NextNumber's counters both come from here.
func (s *Store) take(ctx context.Context, key string) (uint64, error) {
	mu := s.counters.For(key)
	mu.Lock()
	defer mu.Unlock()
	s.blocksMu.Lock()
	b := s.blocks[key]
	s.blocksMu.Unlock()
	if b == nil || b.next > b.end {
		var end uint64
		err := s.retry(ctx, func(txn *badger.Txn) (err error) {
			end, err = add(txn, key, numberBlock)
			return err
		})
		if err != nil {
			return 0, err
		}
		b = &block{next: end - numberBlock + 1, end: end}
		s.blocksMu.Lock()
		s.blocks[key] = b
		s.blocksMu.Unlock()
	}
	n := b.next
	b.next++
	return n, nil
}

// add adds k to the counter name and returns its new value.
func add(txn *badger.Txn, name string, k uint64) (uint64, error) {
	key := counterKey(name)
	var n uint64
	it, err := txn.Get(key)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
	case err != nil:
		return 0, err
	default:
		if err := it.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("cases: counter %q is corrupt", name)
			}
			n = binary.BigEndian.Uint64(v)
			return nil
		}); err != nil {
			return 0, err
		}
	}
	n += k
	return n, txn.Set(key, binary.BigEndian.AppendUint64(nil, n))
}

// put writes c and keeps the indexes in step with the previous version old (nil when new).
func put(txn *badger.Txn, old, c *Case) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := txn.Set(caseKey(c.Number), b); err != nil {
		return err
	}
	if old == nil {
		if err := txn.Set(applicantKey(c.Applicant.IIN, c.Number), nil); err != nil {
			return err
		}
	}
	wasOpen := old != nil && old.Status.Open()
	switch {
	case c.Status.Open() && !wasOpen:
		if err := txn.Set(openKey(c.System, c.Number), nil); err != nil {
			return err
		}
	case !c.Status.Open() && wasOpen:
		if err := txn.Delete(openKey(c.System, c.Number)); err != nil {
			return err
		}
	}
	wasPending := old != nil && old.awaitsHandover()
	switch {
	case c.awaitsHandover() && !wasPending:
		if err := txn.Set(pendingKey(c.Channel, c.Number), nil); err != nil {
			return err
		}
	case !c.awaitsHandover() && wasPending:
		if err := txn.Delete(pendingKey(old.Channel, c.Number)); err != nil {
			return err
		}
	}
	return addStats(txn, old, c)
}

// awaitsHandover reports whether a result was issued and not yet handed over to the applicant.
func (c *Case) awaitsHandover() bool { return c.Status == Completed || c.Status == Refused }

func get(txn *badger.Txn, number string) (*Case, error) {
	it, err := txn.Get(caseKey(number))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, number)
	}
	if err != nil {
		return nil, err
	}
	c := &Case{}
	if err := it.Value(func(v []byte) error { return json.Unmarshal(v, c) }); err != nil {
		return nil, fmt.Errorf("cases: %s: %w", number, err)
	}
	return c, nil
}

// Get returns the case with the given number.
func (s *Store) Get(ctx context.Context, number string) (*Case, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var c *Case
	err := s.db.View(func(txn *badger.Txn) (err error) {
		c, err = get(txn, number)
		return err
	})
	return c, err
}

// Update reads the case, lets fn change it and writes it back in one transaction (retried on a
// conflict, so fn may run more than once and must not have side effects outside c).
func (s *Store) Update(ctx context.Context, number string, fn func(*Case) error) (*Case, error) {
	var out *Case
	err := s.retry(ctx, func(txn *badger.Txn) error {
		old, err := get(txn, number)
		if err != nil {
			return err
		}
		c, err := copyCase(old)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		if c.Number != old.Number || c.System != old.System || c.Applicant.IIN != old.Applicant.IIN {
			return fmt.Errorf("%w: number, system and applicant cannot change", ErrInvalid)
		}
		if err := put(txn, old, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, err
}

func copyCase(c *Case) (*Case, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	out := &Case{}
	return out, json.Unmarshal(b, out)
}

func (s *Store) retry(ctx context.Context, fn func(*badger.Txn) error) error {
	for range 16 {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("cases: too much contention: %w", badger.ErrConflict)
}

// Filter selects cases for List.
type Filter struct {
	ApplicantIIN string // the applicant's cases (in the order of their numbers)
	System       string // with OpenOnly: the open cases of a system
	OpenOnly     bool
	ServiceID    string
	Status       Status
	Limit        int // default 1000
}

// List returns the cases matching f. Without ApplicantIIN or System+OpenOnly it scans every case.
func (s *Store) List(ctx context.Context, f Filter) ([]*Case, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	var prefix []byte
	indexed := true
	switch {
	case f.ApplicantIIN != "":
		prefix = append(append([]byte("c\x01"), f.ApplicantIIN...), 0)
	case f.System != "" && f.OpenOnly:
		prefix = append(append([]byte("c\x02"), f.System...), 0)
	default:
		prefix, indexed = []byte("c\x00"), false
	}
	var out []*Case
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: !indexed})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < f.Limit; it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var c *Case
			if indexed {
				n := bytes.TrimPrefix(it.Item().Key(), prefix)
				var err error
				if c, err = get(txn, string(n)); err != nil {
					return err
				}
			} else {
				c = &Case{}
				if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, c) }); err != nil {
					return err
				}
			}
			if (f.System != "" && c.System != f.System) || (f.OpenOnly && !c.Status.Open()) ||
				(f.ServiceID != "" && c.ServiceID != f.ServiceID) || (f.Status != "" && c.Status != f.Status) {
				continue
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}
