package msglog_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/store"
)

func TestZZMemProbe(t *testing.T) {
	dir := os.Getenv("PROBE_DIR")
	if dir == "" {
		t.Skip()
	}
	bo := badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true).
		WithMemTableSize(8 << 20).WithNumMemtables(2).WithBlockCacheSize(16 << 20).WithIndexCacheSize(16 << 20).
		WithValueLogFileSize(64 << 20).WithNumCompactors(2).WithNumLevelZeroTables(2).WithNumLevelZeroTablesStall(4)
	if v := os.Getenv("VT"); v != "" {
		n, _ := strconv.Atoi(v)
		bo = bo.WithValueThreshold(int64(n))
	}
	if os.Getenv("NOCOMP") != "" {
		bo = bo.WithCompression(options.None)
	}
	if v := os.Getenv("BTS"); v != "" {
		n, _ := strconv.Atoi(v)
		bo = bo.WithBaseTableSize(int64(n) << 20)
	}
	if v := os.Getenv("TSM"); v != "" {
		n, _ := strconv.Atoi(v)
		bo.TableSizeMultiplier = n
	}
	bdb, err := badger.Open(bo)
	if err != nil {
		t.Fatal(err)
	}
	db := &store.DB{DB: bdb}
	defer db.Close()
	l, _ := msglog.Open(db, msglog.Options{})
	defer l.Close()
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	n, _ := strconv.Atoi(os.Getenv("N"))
	t0 := time.Now()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range n / 16 {
				r := recentRec(1000000+g*1000+i, 4500)
				r.MessageID = fmt.Sprintf("probe-%d-%d", g, i)
				r.SessionID = "{" + r.MessageID + "}"
				if err := l.Commit(context.Background(), r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(t0)
	time.Sleep(3 * time.Second) // compactions after the load
	close(stop)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("VT=%s NOCOMP=%s BTS=%s TSM=%s: %d commits in %.1fs (%.0f/s); peak heap inuse %d MB, sys %d MB", os.Getenv("VT"), os.Getenv("NOCOMP"), os.Getenv("BTS"), os.Getenv("TSM"), n, el.Seconds(), float64(n)/el.Seconds(), peak.Load()>>20, ms.Sys>>20)
}
