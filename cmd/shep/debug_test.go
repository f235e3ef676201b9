package main

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// shep serve --debug-addr serves the runtime profiles and the expvar variables on a listener of
// its own; the gateway's listener serves neither.
func TestServeDebugAddr(t *testing.T) {
	found := make(chan string, 1)
	re := regexp.MustCompile(`runtime profiles on (http://[0-9.:]+)/debug/pprof/`)
	base, stop := startServeWatching(t, t.TempDir(), func(line string) {
		if m := re.FindStringSubmatch(line); m != nil {
			select {
			case found <- m[1]:
			default:
			}
		}
	}, "--debug-addr", "127.0.0.1:0")
	defer stop()
	var debug string
	select {
	case debug = <-found:
	case <-time.After(time.Minute): // a liveness wait, not a timing assertion
		t.Fatal("no debug address printed")
	}
	if code, body := httpGet(t, debug+"/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(string(body), "heap profile:") {
		t.Fatalf("debug listener: %d %.200s", code, body)
	}
	// badger's counters (it publishes them through expvar) and the runtime's memory.
	if code, body := httpGet(t, debug+"/debug/vars"); code != http.StatusOK ||
		!strings.Contains(string(body), `"badger_compaction_current_num_lsm"`) || !strings.Contains(string(body), `"memstats"`) {
		t.Fatalf("debug vars: %d %.300s", code, body)
	}
	for _, path := range []string{"/debug/pprof/heap?debug=1", "/debug/vars"} {
		if code, body := httpGet(t, base+path); code == http.StatusOK {
			t.Fatalf("the gateway's listener serves %s: %d %.200s", path, code, body)
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
}

// --debug-addr comes from the flag, $SHEP_DEBUG_ADDR or the config file; none by default.
func TestServeConfigDebugAddr(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "shep.json")
	if err := os.WriteFile(cfgFile, []byte(`{"debug_addr": "127.0.0.1:6060"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, env, want string
	}{
		{"default", "", "", ""},
		{"file", cfgFile, "", "127.0.0.1:6060"},
		{"environment over file", cfgFile, "127.0.0.1:6061", "127.0.0.1:6061"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			getenv := func(k string) string {
				if k == "SHEP_DEBUG_ADDR" {
					return tt.env
				}
				return ""
			}
			if err := c.fill(tt.file, getenv, map[string]bool{}); err != nil {
				t.Fatal(err)
			}
			if c.DebugAddr != tt.want {
				t.Fatalf("debug_addr %q, want %q", c.DebugAddr, tt.want)
			}
		})
	}
}

// A serve that fails after opening the debug listener stops it cleanly: no warning that it
// stopped on its own.
func TestServeDebugAddrFailedStart(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := shep(t, "serve", "--data", notADir, "--addr", "127.0.0.1:0", "--debug-addr", "127.0.0.1:0")
	if code == 0 || strings.Contains(errs, "debug listener") {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
}

// startDebug warns when its listener is reachable from other hosts, and only then. (Every
// case listens on loopback; the address startDebug sees is the case's.)
func TestStartDebugWarnsOffLoopback(t *testing.T) {
	tests := []struct {
		addr string
		warn bool
	}{
		{"127.0.0.1:6060", false},
		{"[::1]:6060", false},
		{"0.0.0.0:6060", true},
		{"10.0.0.5:6060", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			shown, err := net.ResolveTCPAddr("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			stop := startDebug(t.Context(), addrListener{l, shown}, slog.New(slog.NewTextHandler(&buf, nil)))
			code, _ := httpGet(t, "http://"+l.Addr().String()+"/debug/pprof/cmdline")
			stop()
			if code != http.StatusOK {
				t.Fatalf("cmdline: %d", code)
			}
			if got := strings.Contains(buf.String(), "not on a loopback address"); got != tt.warn {
				t.Fatalf("warned %v, want %v:\n%s", got, tt.warn, buf.String())
			}
		})
	}
}

// addrListener is a listener that reports another address than its own.
type addrListener struct {
	net.Listener
	addr net.Addr
}

func (l addrListener) Addr() net.Addr { return l.addr }
