package msglog_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/store"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// openStore opens a store in dir ("" = in memory) and closes it at the end of the test.
func openStore(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !db.IsClosed() {
			_ = db.Close()
		}
	})
	return db
}

// openLog opens a Log on db and closes it at the end of the test (before the store).
func openLog(t testing.TB, db *store.DB, opts msglog.Options) *msglog.Log {
	t.Helper()
	l, err := msglog.Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func memLog(t testing.TB) (*store.DB, *msglog.Log) {
	db := openStore(t, "")
	return db, openLog(t, db, msglog.Options{})
}

// mkRec builds the i-th record of a deterministic data set: 2 senders, 3 services, 4 ИИН,
// every 5th a fault, one minute apart.
func mkRec(i int) *msglog.Record {
	req := fmt.Appendf(nil, `<soap:Envelope><soap:Body><SendMessage><messageId>msg-%04d</messageId><data>Сәлем, әлем %d</data></SendMessage></soap:Body></soap:Envelope>`, i, i)
	r := &msglog.Record{
		Sender:        fmt.Sprintf("sender-%d", i%2),
		MessageID:     fmt.Sprintf("msg-%04d", i),
		SessionID:     fmt.Sprintf("{%08x-0000-4000-8000-000000000000}", i),
		CorrelationID: fmt.Sprintf("corr-%d", i),
		ServiceID:     []string{"GBDFL_INFO", "ENIS_POA", "ZAGS_BIRTH"}[i%3],
		RouteID:       "route-1",
		Channel:       "portal",
		IIN:           fmt.Sprintf("9001013000%02d", i%4),
		SignerIIN:     fmt.Sprintf("9001013000%02d", i%4),
		SignerSubject: "CN=ТЕСТОВ ТЕСТ,SERIALNUMBER=IIN900101300000",
		Received:      t0.Add(time.Duration(i) * time.Minute),
		Responded:     t0.Add(time.Duration(i)*time.Minute + 150*time.Millisecond),
		Status:        "SCSS001",
		HTTPStatus:    200,
		Request:       req,
		Response:      fmt.Appendf(nil, "<soap:Envelope><response n=%q/></soap:Envelope>", fmt.Sprint(i)),
		Steps: []msglog.Step{
			{Name: "transport-signature", Outcome: "ok", Duration: 3 * time.Millisecond},
			{Name: "access", Outcome: "ok", Detail: "service allowed", Duration: time.Millisecond},
		},
	}
	r.RequestHash = sha256.Sum256(req)
	if i%5 == 0 {
		r.Status, r.HTTPStatus = "SE010", 500
		r.Steps = append(r.Steps, msglog.Step{Name: "iin-match", Outcome: "SE010", Detail: "ИИН differs from the signer's"})
	}
	return r
}

func mustCommit(t testing.TB, l *msglog.Log, recs ...*msglog.Record) {
	t.Helper()
	for _, r := range recs {
		if err := l.Commit(context.Background(), r); err != nil {
			t.Fatalf("Commit %s: %v", r.MessageID, err)
		}
	}
}

func sameRecord(t testing.TB, got, want *msglog.Record) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("record differs:\n got %+v\nwant %+v", got, want)
	}
}

// rawEntries lists every live key in db with its ExpiresAt.
func rawEntries(t testing.TB, db *store.DB) map[string]uint64 {
	t.Helper()
	m := map[string]uint64{}
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			m[string(it.Item().KeyCopy(nil))] = it.Item().ExpiresAt()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
