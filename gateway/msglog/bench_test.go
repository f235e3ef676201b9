package msglog_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/gateway/msglog"
)

// benchRec is a typical SendMessage: ~3 KB request, ~3 KB response, four steps.
func benchRec(i int, req, resp []byte) *msglog.Record {
	return &msglog.Record{
		Sender: "portal-egov", MessageID: fmt.Sprintf("bench-%09d", i), SessionID: fmt.Sprintf("{%032x}", i),
		CorrelationID: "corr", ServiceID: []string{"GBDFL_INFO", "ENIS_POA", "ZAGS_BIRTH"}[i%3], RouteID: "r1",
		Channel: "portal", IIN: fmt.Sprintf("9001013%05d", i%200), SignerIIN: "900101300000",
		SignerSubject: "CN=ТЕСТОВ ТЕСТ,SERIALNUMBER=IIN900101300000",
		Received:      t0.Add(time.Duration(i) * time.Millisecond), Responded: t0.Add(time.Duration(i)*time.Millisecond + 40*time.Millisecond),
		Status: "SCSS001", HTTPStatus: 200, Request: req, Response: resp,
		Steps: []msglog.Step{{"transport-signature", "ok", "", 3 * time.Millisecond}, {"certificate", "ok", "OCSP good", 2 * time.Millisecond},
			{"access", "ok", "", time.Microsecond}, {"provider", "ok", "", 30 * time.Millisecond}},
	}
}

var (
	benchReq  = bytes.Repeat([]byte("<soap:Envelope>…request…</soap:Envelope>"), 75)  // 3 KB
	benchResp = bytes.Repeat([]byte("<soap:Envelope>…response…</soap:Envelope>"), 73) // 3 KB
)

// BenchmarkCommit: 64 goroutines (SetParallelism 32 × GOMAXPROCS 2) commit to a store on disk
// with SyncWrites. grouped is the committer with MaxBatch 256; MaxBatch=1 is the committer
// writing one record per transaction; txn-per-record has every goroutine write its own
// transaction (badger's write pipeline batches them, but syncs the WAL once per transaction).
// "segments" is the gateway's layout: the bodies in segment files (BodyDir), fsynced per batch too.
func BenchmarkCommit(b *testing.B) {
	for _, c := range []struct {
		name     string
		maxBatch int
		direct   bool
		segments bool
	}{{"grouped,segments", 256, false, true}, {"grouped", 256, false, false}, {"MaxBatch=1", 1, false, false}, {"txn-per-record", 0, true, false}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			opts := msglog.Options{MaxBatch: c.maxBatch}
			if c.segments {
				opts.BodyDir = filepath.Join(dir, "bodies")
			}
			l := openLog(b, openStore(b, filepath.Join(dir, "store")), opts)
			var n atomic.Int64
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					r := benchRec(int(n.Add(1)), benchReq, benchResp)
					var err error
					if c.direct {
						err = l.CommitDirect(ctx, r)
					} else {
						err = l.Commit(ctx, r)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			txns, recs := l.Stats()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(recs)/float64(max(txns, 1)), "records/txn")
		})
	}
}

// BenchmarkQueryByIIN: 20 000 records of 200 ИИН on disk; each op reads one ИИН's 100 newest.
func BenchmarkQueryByIIN(b *testing.B) {
	l := openLog(b, openStore(b, b.TempDir()), msglog.Options{})
	const total = 20_000
	for start := 0; start < total; start += 1000 {
		done := make(chan error, 1000)
		for i := start; i < start+1000; i++ {
			go func() { done <- l.Commit(context.Background(), benchRec(i, benchReq, benchResp)) }()
		}
		for range 1000 {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	i, items := 0, 0
	for b.Loop() {
		got, _, err := l.Query(ctx, msglog.Filter{IIN: fmt.Sprintf("9001013%05d", i%200), Limit: 100})
		if err != nil || len(got) != 100 {
			b.Fatalf("%d items, %v", len(got), err)
		}
		i++
		items += len(got)
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "summaries/s")
}
