package msglog_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/store"
)

const crashDirEnv = "SHEP_MSGLOG_CRASH_DIR"

// TestHelperProcess is the child of TestCrashKeepsAcknowledged: 16 goroutines commit records
// in a loop, and each prints "ok <index>" the moment Commit returns, which is when the
// gateway would send the response. It runs until killed (at most 60 s).
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashKeepsAcknowledged")
	}
	db, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	l, err := msglog.Open(db, crashLogOptions(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	const workers = 16
	for w := range workers {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i += workers {
				if err := l.Commit(ctx, crashRec(i)); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				fmt.Fprintf(os.Stdout, "ok %d\n", i) // one write(2): lines do not interleave
			}
		})
	}
	wg.Wait()
	os.Exit(4) // not killed in time
}

// crashLogOptions is the gateway's layout (bodies in segment files) with small segments, so that
// the kill lands among several.
func crashLogOptions(dir string) msglog.Options {
	return msglog.Options{BodyDir: filepath.Join(dir, "bodies"), BodySegmentSize: 256 << 10}
}

func crashRec(i int) *msglog.Record {
	r := mkRec(i)
	r.Response = bytes.Repeat(fmt.Appendf(nil, "response %d;", i), 200)
	return r
}

// TestCrashKeepsAcknowledged: every record whose Commit returned in a process killed with
// SIGKILL is in the store when it is reopened ("every response a client received is in the
// log"). A killed process keeps what reached the page cache even without fsync, so this checks
// the ordering (acknowledge after the write) and badger's recovery, not power loss.
func TestCrashKeepsAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	for round, killAfter := range []int{50, 700} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []int
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "ok ")
			if !ok {
				continue
			}
			i, err := strconv.Atoi(line)
			if err != nil {
				t.Fatalf("child printed %q", sc.Text())
			}
			acked = append(acked, i)
			if len(acked) == killAfter {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatal(err)
				}
			}
		}
		// Lines printed before the kill landed are acknowledged too: they were read above.
		werr := cmd.Wait()
		if len(acked) < killAfter {
			t.Fatalf("child ended after %d records: %v\n%s", len(acked), werr, stderr.String())
		}

		db, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
		if err != nil {
			t.Fatalf("reopen after SIGKILL: %v", err)
		}
		l, err := msglog.Open(db, crashLogOptions(dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range acked {
			want := crashRec(i)
			got, err := l.Get(context.Background(), want.Sender, want.MessageID)
			if err != nil {
				t.Fatalf("round %d: acknowledged record %d missing after SIGKILL: %v", round, i, err)
			}
			if !bytes.Equal(got.Response, want.Response) || got.SessionID != want.SessionID {
				t.Fatalf("round %d: record %d differs after SIGKILL", round, i)
			}
		}
		n, err := l.Count(context.Background())
		t.Logf("round %d: killed after %d acknowledged records; %d in the store", round, len(acked), n)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
