package cases

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/store"
)

func openStore(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// newStore returns a Store on a fresh db, closed when the test ends.
func newStore(t *testing.T) (*Store, *store.DB) {
	t.Helper()
	db := openStore(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	return New(db), db
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		actions []Action
		want    Status
		bad     bool // the last action is refused
	}{
		{[]Action{ActRegister}, Received, false},
		{[]Action{ActRegister, ActTake, ActExtend, ActComplete, ActDeliver}, Delivered, false},
		{[]Action{ActRegister, ActRefuse, ActDeliver}, Delivered, false},
		{[]Action{ActRegister, ActExtend, ActExtend, ActRefuse}, Refused, false},
		{[]Action{ActRegister, ActDeliver}, Received, true},
		{[]Action{ActRegister, ActComplete, ActRefuse}, Completed, true},
		{[]Action{ActRegister, ActTake, ActTake}, InProgress, true},
		{[]Action{ActRegister, ActRegister}, Received, true},
		{[]Action{ActRegister, "archive"}, Received, true},
	}
	for _, tt := range tests {
		c := &Case{Number: "X"}
		var err error
		for _, a := range tt.actions {
			err = c.Apply(Event{Action: a})
		}
		if (err != nil) != tt.bad || c.Status != tt.want {
			t.Errorf("%v: status %s, err %v; want %s, refused %v", tt.actions, c.Status, err, tt.want, tt.bad)
		}
		if tt.bad && !errors.Is(err, ErrTransition) && !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: error %v is neither ErrTransition nor ErrInvalid", tt.actions, err)
		}
	}
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openStore(t, dir)
	s := New(db)
	day := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var numbers []string
	for i, iin := range []string{"931002451325", "931002451325", "660427402182"} {
		c, created, err := s.Create(ctx, &Case{ServiceID: "AKT-1", System: "labour-market", Applicant: Person{IIN: iin}, Received: day,
			Deadline: day.Add(time.Hour), SenderID: "portal", MessageID: fmt.Sprint("m", i)}, Event{At: day, Actor: "labour-market"})
		if err != nil || !created {
			t.Fatal(err, created)
		}
		want := []string{"AKT-1-20261123-000001", "AKT-1-20261123-000002", "AKT-1-20261123-000003"}[i]
		if c.Number != want || c.Status != Received || len(c.Events) != 1 || c.Events[0].Status != Received {
			t.Fatalf("created %+v, want number %s received", c, want)
		}
		numbers = append(numbers, c.Number)
	}
	if _, _, err := s.Create(ctx, &Case{ServiceID: "AKT-1", System: "labour-market"}, Event{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("case without applicant: %v", err)
	}
	// A sender's retry of the same message finds its application instead of registering another.
	again, created, err := s.Create(ctx, &Case{ServiceID: "AKT-1", System: "labour-market", Applicant: Person{IIN: "931002451325"}, Received: day,
		SenderID: "portal", MessageID: "m0"}, Event{})
	if err != nil || created || again.Number != numbers[0] {
		t.Errorf("retry: %v created=%v number %s, want %s", err, created, again.Number, numbers[0])
	}
	mine, err := s.List(ctx, Filter{ApplicantIIN: "931002451325"})
	if err != nil || len(mine) != 2 || mine[0].Number != numbers[0] || mine[1].Number != numbers[1] {
		t.Fatalf("applicant's cases: %v %v", mine, err)
	}
	// Deciding one takes it off the open index; a refused transition changes nothing.
	if _, err := s.Update(ctx, numbers[0], func(c *Case) error {
		c.Result = &Result{Kind: "notification", Number: "R-1"}
		return c.Apply(Event{Action: ActComplete, At: day.Add(2 * time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, numbers[0], func(c *Case) error { return c.Apply(Event{Action: ActRefuse}) }); !errors.Is(err, ErrTransition) {
		t.Errorf("refusing a completed case: %v", err)
	}
	if _, err := s.Update(ctx, numbers[1], func(c *Case) error { c.Applicant.IIN = "660427402182"; return nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("changing the applicant: %v", err)
	}
	open, err := s.List(ctx, Filter{System: "labour-market", OpenOnly: true})
	if err != nil || len(open) != 2 || open[0].Number != numbers[1] {
		t.Fatalf("open cases: %v %v", open, err)
	}
	done, err := s.Get(ctx, numbers[0])
	if err != nil || done.Status != Completed || done.Result.Number != "R-1" || !done.Overdue(day) {
		t.Fatalf("decided case: %+v %v (decided after its deadline, so overdue)", done, err)
	}
	if _, err := s.Get(ctx, "AKT-1-20261123-999999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown number: %v", err)
	}
	// Counters survive a restart, and concurrent creations get distinct numbers.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openStore(t, dir)
	defer db.Close()
	s = New(db)
	var wg sync.WaitGroup
	got := make(chan string, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := s.Create(ctx, &Case{ServiceID: "AKT-1", System: "labour-market", Applicant: Person{IIN: "941111350315"}, Received: day}, Event{})
			if err != nil {
				t.Error(err)
				return
			}
			got <- c.Number
		}()
	}
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for n := range got {
		if seen[n] {
			t.Errorf("number %s given twice", n)
		}
		seen[n] = true
	}
	// The first run reserved 1…32 and used 1…3: the restart skips the rest of that block.
	if !seen["AKT-1-20261123-000033"] || !seen["AKT-1-20261123-000052"] || len(seen) != 20 {
		t.Errorf("numbers after restart: %v", seen)
	}
	if n, err := s.NextNumber(ctx, "org/2026"); err != nil || n != 1 {
		t.Errorf("NextNumber: %d %v", n, err)
	}
	if n, err := s.NextNumber(ctx, "org/2026"); err != nil || n != 2 {
		t.Errorf("NextNumber: %d %v", n, err)
	}
}

// The same message registered by several callers at once makes one application; the others get
// it back, and none of them uses up a number.
func TestCreateSameMessageConcurrently(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	day := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	create := func(msg string) (*Case, bool, error) {
		return s.Create(ctx, &Case{ServiceID: "AKT-3", System: "e-sobes", Applicant: Person{IIN: "931002451325"}, Received: day,
			SenderID: "portal", MessageID: msg}, Event{At: day})
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	made, numbers := 0, map[string]bool{}
	for range 16 {
		wg.Go(func() {
			c, created, err := create("same")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			numbers[c.Number] = true
			if created {
				made++
			}
		})
	}
	wg.Wait()
	if made != 1 || len(numbers) != 1 {
		t.Fatalf("16 registrations of one message: %d created, numbers %v", made, numbers)
	}
	// A retry afterwards takes no number either: the next message gets the next one.
	again, created, err := create("same")
	if err != nil || created || !numbers[again.Number] {
		t.Fatalf("retry: %v created=%v %s", err, created, again.Number)
	}
	next, created, err := create("other")
	if err != nil || !created || !numbers["AKT-3-20261123-000001"] || next.Number != "AKT-3-20261123-000002" {
		t.Fatalf("next message: %v created=%v %s", err, created, next.Number)
	}
	list, err := s.List(ctx, Filter{ApplicantIIN: "931002451325"})
	if err != nil || len(list) != 2 {
		t.Fatalf("applicant's cases: %d, %v", len(list), err)
	}
}

// Result numbers: consecutive within a run, never repeated, also by concurrent callers and across
// a restart (which skips the rest of the reserved block).
func TestNextNumber(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openStore(t, dir)
	s := New(db)
	seen := map[uint64]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				n, err := s.NextNumber(ctx, "org/2026")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("number %d handed out twice", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for n := uint64(1); n <= 80; n++ {
		if !seen[n] {
			t.Fatalf("80 numbers in one run are not 1…80: %d missing", n)
		}
	}
	if n, err := s.NextNumber(ctx, "other/2026"); err != nil || n != 1 {
		t.Fatalf("another counter: %d, %v", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openStore(t, dir)
	defer db.Close()
	s = New(db)
	n, err := s.NextNumber(ctx, "org/2026")
	if err != nil || n <= 80 || n > 80+numberBlock {
		t.Fatalf("first number after a restart: %d, %v; want 81…%d", n, err, 80+numberBlock)
	}
	if m, err := s.NextNumber(ctx, "org/2026"); err != nil || m != n+1 {
		t.Fatalf("next: %d, %v; want %d", m, err, n+1)
	}
}

// CreateWith commits what prepare returns in the registration's one transaction: the application
// is written once, with its indexes and counters as they would be after Create and Update.
func TestCreateWith(t *testing.T) {
	ctx := context.Background()
	s, db := newStore(t)
	day := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	refuse := func(_ context.Context, c *Case) *Case {
		if err := c.Apply(Event{Action: ActRefuse, At: day}); err != nil {
			t.Error(err)
		}
		c.DecideAt, c.Result = time.Time{}, &Result{Kind: "refusal", Number: "R-1", Document: []byte("<result/>")}
		return c
	}
	tests := []struct {
		name    string
		prepare Prepare
		status  Status // committed; "" when nothing is
		open    bool   // in its system's open applications
		pending bool   // in its channel's queue of results to hand over
	}{
		{"nothing to add", func(context.Context, *Case) *Case { return nil }, Received, true, false},
		{"decided at once", refuse, Refused, false, true},
		{"decided and delivered", func(ctx context.Context, c *Case) *Case {
			c = refuse(ctx, c)
			if err := c.Apply(Event{Action: ActDeliver, At: day}); err != nil {
				t.Error(err)
			}
			return c
		}, Delivered, false, false},
		{"the copy changed, nil returned", func(_ context.Context, c *Case) *Case {
			c.Status, c.Events[0].Note = Refused, "changed"
			return nil
		}, Received, true, false},
		{"another number", func(_ context.Context, c *Case) *Case { c.Number += "9"; return c }, "", false, false},
		{"without its registration", func(_ context.Context, c *Case) *Case { c.Events = c.Events[1:]; return c }, "", false, false},
		{"another register event", func(_ context.Context, c *Case) *Case { c.Events[0].Actor = "someone"; return c }, "", false, false},
		{"a status without its event", func(_ context.Context, c *Case) *Case { c.Status = Completed; return c }, "", false, false},
		{"another message", func(_ context.Context, c *Case) *Case { c.MessageID += "'"; return c }, "", false, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iin := fmt.Sprintf("9310024513%02d", i)
			calls := 0
			prepare := func(ctx context.Context, c *Case) *Case {
				calls++
				if c.Number == "" || len(c.Events) != 1 || c.Status != Received {
					t.Errorf("prepare given %+v", c)
				}
				return tt.prepare(ctx, c)
			}
			in := &Case{ServiceID: "AKT-3", System: "e-sobes", Channel: "con", Applicant: Person{IIN: iin}, Received: day,
				DecideAt: day, SenderID: "con", MessageID: tt.name}
			c, created, err := s.CreateWith(ctx, in, Event{At: day}, prepare)
			if tt.status == "" {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("a foreign case committed: %+v, %v", c, err)
				}
				if list, err := s.List(ctx, Filter{ApplicantIIN: iin}); err != nil || len(list) != 0 {
					t.Fatalf("after a refused prepare the applicant has %d cases, %v", len(list), err)
				}
				return
			}
			if err != nil || !created || c.Status != tt.status {
				t.Fatalf("created %v, status %s, %v; want %s", created, c.Status, err, tt.status)
			}
			got, err := s.Get(ctx, c.Number)
			if err != nil || got.Status != tt.status || len(got.Events) != len(c.Events) {
				t.Fatalf("stored %+v, %v", got, err)
			}
			if (got.Result != nil) != tt.status.Decided() || got.Events[0].Note != "" {
				t.Errorf("stored result %+v and register event %+v for status %s", got.Result, got.Events[0], got.Status)
			}
			versions := 0
			if err := db.View(func(txn *badger.Txn) error {
				it := txn.NewIterator(badger.IteratorOptions{AllVersions: true})
				defer it.Close()
				for it.Seek(caseKey(c.Number)); it.ValidForPrefix(caseKey(c.Number)); it.Next() {
					versions++
				}
				return nil
			}); err != nil || versions != 1 {
				t.Errorf("the application was written %d times, %v", versions, err)
			}
			open, err := s.List(ctx, Filter{System: "e-sobes", OpenOnly: true, Limit: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			isOpen := false
			for _, o := range open {
				isOpen = isOpen || o.Number == c.Number
			}
			pending, err := s.AwaitingHandover(ctx, "con", 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			isPending := false
			for _, p := range pending {
				isPending = isPending || p.Number == c.Number
			}
			if isOpen != tt.open || isPending != tt.pending {
				t.Errorf("open %v, awaiting handover %v; want %v and %v", isOpen, isPending, tt.open, tt.pending)
			}
			// A retry of the message finds the application and does not prepare again.
			again, created, err := s.CreateWith(ctx, in, Event{At: day}, prepare)
			if err != nil || created || again.Number != c.Number || calls != 1 {
				t.Errorf("retry: %v, created %v, %s, prepare called %d times", err, created, again.Number, calls)
			}
		})
	}
	// The counters count each event once: four registrations, two refusals, one delivery.
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st["AKT-3"]; got.Registered != 4 || got.Refused != 2 || got.Delivered != 1 {
		t.Errorf("stats %+v", got)
	}
}
