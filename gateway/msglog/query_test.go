package msglog_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shep-kz/shep/gateway/msglog"
)

// queryData is 40 records from mkRec plus two that reuse messageId msg-0003 from other senders.
func queryData() []*msglog.Record {
	var recs []*msglog.Record
	for i := range 40 {
		recs = append(recs, mkRec(i))
	}
	for j, sender := range []string{"other", "third"} {
		r := mkRec(100 + j)
		r.Sender, r.MessageID = sender, "msg-0003"
		recs = append(recs, r)
	}
	return recs
}

// expect filters recs by f the slow way, newest first.
func expect(recs []*msglog.Record, f msglog.Filter) []string {
	var out []*msglog.Record
	for _, r := range recs {
		if (f.MessageID == "" || f.MessageID == r.MessageID) && (f.SessionID == "" || f.SessionID == r.SessionID) &&
			(f.IIN == "" || f.IIN == r.IIN) && (f.ServiceID == "" || f.ServiceID == r.ServiceID) &&
			(f.Sender == "" || f.Sender == r.Sender) && (f.Status == "" || f.Status == r.Status) &&
			(f.From.IsZero() || !r.Received.Before(f.From)) && (f.To.IsZero() || r.Received.Before(f.To)) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *msglog.Record) int {
		return cmp.Or(b.Received.Compare(a.Received), cmp.Compare(b.SessionID, a.SessionID))
	})
	ids := []string{}
	for _, r := range out {
		ids = append(ids, r.SessionID)
	}
	return ids
}

func sessions(items []msglog.Summary) []string {
	ids := []string{}
	for _, s := range items {
		ids = append(ids, s.SessionID)
	}
	return ids
}

func queryFilters() map[string]msglog.Filter {
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	return map[string]msglog.Filter{
		"everything":              {},
		"session":                 {SessionID: mkRec(7).SessionID},
		"session, other IIN":      {SessionID: mkRec(7).SessionID, IIN: mkRec(8).IIN},
		"unknown session":         {SessionID: "{nope}"},
		"message, any sender":     {MessageID: "msg-0003"},
		"message and sender":      {MessageID: "msg-0003", Sender: "other"},
		"message, wrong sender":   {MessageID: "msg-0004", Sender: "other"},
		"IIN":                     {IIN: mkRec(1).IIN},
		"IIN prefix only":         {IIN: mkRec(1).IIN[:11]},
		"service":                 {ServiceID: "ENIS_POA"},
		"sender":                  {Sender: "sender-1"},
		"status":                  {Status: "SE010"},
		"time range":              {From: at(10), To: at(20)},
		"from only":               {From: at(35)},
		"to only":                 {To: at(3)},
		"range boundary, exact":   {From: at(10), To: at(11)},
		"empty range":             {From: at(10), To: at(10)},
		"before 1970":             {To: time.Unix(-5, 0)},
		"IIN and range":           {IIN: mkRec(2).IIN, From: at(5), To: at(30)},
		"service and status":      {ServiceID: "GBDFL_INFO", Status: "SE010"},
		"IIN, service and sender": {IIN: mkRec(0).IIN, ServiceID: "GBDFL_INFO", Sender: "sender-0"},
		"message and range":       {MessageID: "msg-0003", From: at(50)},
	}
}

func TestQuery(t *testing.T) {
	ctx := context.Background()
	recs := queryData()
	_, l := memLog(t)
	mustCommit(t, l, recs...)
	for name, f := range queryFilters() {
		t.Run(name, func(t *testing.T) {
			want := expect(recs, f)
			items, next, err := l.Query(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sessions(items), want) || next != "" {
				t.Fatalf("Query = %v (next %q)\nwant %v", sessions(items), next, want)
			}
			// Paging by 3: every record once, newest first.
			var paged []string
			f.Limit = 3
			for pages := 0; ; pages++ {
				if pages > len(recs) {
					t.Fatal("paging does not end")
				}
				items, next, err := l.Query(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(items) > 3 {
					t.Fatalf("page of %d items with Limit 3", len(items))
				}
				paged = append(paged, sessions(items)...)
				if next == "" {
					break
				}
				f.Before = next
			}
			if !slices.Equal(paged, want) {
				t.Fatalf("pages = %v\n want %v", paged, want)
			}
		})
	}
	// Summaries carry the fields and no body.
	items, _, err := l.Query(ctx, msglog.Filter{SessionID: mkRec(5).SessionID})
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	r := mkRec(5)
	want := msglog.Summary{Sender: r.Sender, MessageID: r.MessageID, SessionID: r.SessionID, ServiceID: r.ServiceID,
		IIN: r.IIN, Status: "SE010", Received: r.Received, Took: 150 * time.Millisecond}
	if items[0] != want {
		t.Fatalf("summary %+v\nwant    %+v", items[0], want)
	}
}

// With a tiny scan budget a filter the index does not cover returns short (even empty) pages
// with a cursor, and paging still yields each match once.
func TestQueryScanBudget(t *testing.T) {
	ctx := context.Background()
	recs := queryData()
	_, l := memLog(t)
	mustCommit(t, l, recs...)
	l.SetScanBudget(4)
	f := msglog.Filter{Status: "SE010"}
	var got []string
	pages := 0
	for ; ; pages++ {
		items, next, err := l.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, sessions(items)...)
		if next == "" {
			break
		}
		f.Before = next
	}
	if want := expect(recs, msglog.Filter{Status: "SE010"}); !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if pages < len(recs)/4-1 {
		t.Fatalf("%d pages: the budget of 4 entries was not applied", pages)
	}
}

func TestQueryLimitsAndErrors(t *testing.T) {
	ctx := context.Background()
	_, l := memLog(t)
	var recs []*msglog.Record
	for i := range 150 {
		recs = append(recs, mkRec(i))
	}
	mustCommit(t, l, recs...)
	for _, c := range []struct{ limit, want int }{{0, 100}, {-1, 100}, {7, 7}, {5000, 150}} {
		items, _, err := l.Query(ctx, msglog.Filter{Limit: c.limit})
		if err != nil || len(items) != c.want {
			t.Fatalf("Limit %d: %d items, %v; want %d", c.limit, len(items), err, c.want)
		}
	}
	for _, f := range []msglog.Filter{
		{Before: "!!"},
		{Before: "AAAA"},
		{From: t0.Add(time.Hour), To: t0},
	} {
		if _, _, err := l.Query(ctx, f); !errors.Is(err, msglog.ErrInvalid) {
			t.Fatalf("Query(%+v): %v, want ErrInvalid", f, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := l.Query(cctx, msglog.Filter{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Query with a done context: %v", err)
	}
	if _, err := l.Count(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Count with a done context: %v", err)
	}
}

// Key parts containing the separator bytes do not collide: each (sender, messageID) and each
// ИИН is its own.
func TestKeyCollisions(t *testing.T) {
	ctx := context.Background()
	pairs := [][2]string{
		{"a\x00b", "c"}, {"a", "b\x00c"}, {"a\x00", "bc"}, {"a", "\x00bc"},
		{"a\x00\x01b", "c"}, {"a", "b\x00\x01c"}, {"a\x00\x01", "b\x00c"}, {"a\x00\xffb", "c"},
		{"a\x00\x00", "b"}, {"a", "\x00\x00b"}, {"\xff\xfe", "x"}, {"ы\x00", "ж"}, {"ы", "\x00ж"}, {"a", "b"},
	}
	iins := []string{"1", "12", "1\x00", "1\x00\x01", "1\x00\xff", "\x001"}
	seen := map[string]int{}
	for i, p := range pairs {
		k := string(msglog.RecordKey(p[0], p[1]))
		if j, dup := seen[k]; dup {
			t.Fatalf("%q and %q have the same key", pairs[j], p)
		}
		seen[k] = i
	}
	_, l := memLog(t)
	for i, p := range pairs {
		r := mkRec(i)
		r.Sender, r.MessageID, r.IIN = p[0], p[1], iins[i%len(iins)]
		mustCommit(t, l, r)
	}
	for i, p := range pairs {
		got, err := l.Get(ctx, p[0], p[1])
		if err != nil || got.SessionID != mkRec(i).SessionID {
			t.Fatalf("Get(%q) = %v, %v", p, got, err)
		}
		items, _, err := l.Query(ctx, msglog.Filter{Sender: p[0], MessageID: p[1]})
		if err != nil || len(items) != 1 || items[0].SessionID != mkRec(i).SessionID {
			t.Fatalf("Query(%q) = %v, %v", p, items, err)
		}
	}
	for _, iin := range iins {
		items, _, err := l.Query(ctx, msglog.Filter{IIN: iin})
		if err != nil {
			t.Fatal(err)
		}
		var want int
		for i := range pairs {
			if iins[i%len(iins)] == iin {
				want++
			}
		}
		for _, it := range items {
			if it.IIN != iin {
				t.Fatalf("Query(IIN %q) returned ИИН %q", iin, it.IIN)
			}
		}
		if len(items) != want {
			t.Fatalf("Query(IIN %q) = %d items, want %d", iin, len(items), want)
		}
	}
}

// FuzzKeys: two (sender, messageID) pairs share a key only if they are equal, and an index key
// starts with its own part's prefix only.
func FuzzKeys(f *testing.F) {
	f.Add("a\x00b", "c", "a", "b\x00c")
	f.Add("a\x00\x01", "b", "a", "\x00\x01b")
	f.Add("", "\x00", "\x00", "")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		if bytes.Equal(msglog.RecordKey(a, b), msglog.RecordKey(c, d)) != (a == c && b == d) {
			t.Fatalf("(%q,%q) vs (%q,%q)", a, b, c, d)
		}
		ka, kc := msglog.IndexKey('i', a, 7, b), msglog.IndexKey('i', c, 7, d)
		if bytes.Equal(ka, kc) != (a == c && b == d) {
			t.Fatalf("index (%q,%q) vs (%q,%q)", a, b, c, d)
		}
		// Order: same part, the key order follows (ts, sessionID).
		k1, k2 := msglog.IndexKey('i', a, 7, b), msglog.IndexKey('i', a, 8, d)
		if bytes.Compare(k1, k2) >= 0 {
			t.Fatalf("ts 7 key not below ts 8 key for part %q", a)
		}
		if got, want := bytes.Compare(msglog.IndexKey('t', "", 9, b), msglog.IndexKey('t', "", 9, d)), cmp.Compare(b, d); got != want {
			t.Fatalf("sessions %q, %q compare %d, keys %d", b, d, want, got)
		}
	})
}

// FuzzDecodeRecord: no input makes the decoder panic, and what decodes re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(msglog.EncodeRecord(mkRec(5)))
	f.Add(msglog.EncodeRecord(&msglog.Record{}))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := msglog.DecodeRecord(bytes.Clone(b))
		if err != nil {
			return
		}
		if again := msglog.EncodeRecord(r); !bytes.Equal(again, b) {
			// Varints have one canonical form, so a decoded value re-encodes identically
			// unless the input used a non-minimal varint, which Uvarint accepts.
			r2, err := msglog.DecodeRecord(again)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(r2) != fmt.Sprint(r) {
				t.Fatalf("round trip differs")
			}
		}
	})
}
