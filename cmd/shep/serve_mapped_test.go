package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"4096", 4096, true},
		{"64KiB", 64 << 10, true},
		{"128MiB", 128 << 20, true},
		{"2GiB", 2 << 30, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5GiB", 0, false},
		{"128MB", 0, false},
		{"MiB", 0, false},
		{"9999999999GiB", 0, false},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// --store-mapped-limit comes from the flag, $SHEP_STORE_MAPPED_LIMIT or the config file, default
// 128MiB; a size that does not parse is a usage error before the server starts.
func TestServeConfigStoreMappedLimit(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "shep.json")
	if err := os.WriteFile(cfgFile, []byte(`{"store_mapped_limit": "1GiB"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, env, flag, want string
	}{
		{"default", "", "", "", "128MiB"},
		{"file", cfgFile, "", "", "1GiB"},
		{"environment over file", cfgFile, "128MiB", "", "128MiB"},
		{"flag over environment", "", "128MiB", "64MiB", "64MiB"},
		{"off", "", "", "0", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serveConfig{StoreMapped: tt.flag}
			set := map[string]bool{"store-mapped-limit": tt.flag != ""}
			getenv := func(k string) string {
				if k == "SHEP_STORE_MAPPED_LIMIT" {
					return tt.env
				}
				return ""
			}
			if err := c.fill(tt.file, getenv, set); err != nil {
				t.Fatal(err)
			}
			if c.StoreMapped != tt.want {
				t.Fatalf("store_mapped_limit %q, want %q", c.StoreMapped, tt.want)
			}
		})
	}
	code, _, errs := shep(t, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--store-mapped-limit", "lots")
	if code != 2 || !strings.Contains(errs, "store-mapped-limit") {
		t.Errorf("--store-mapped-limit lots: exit %d %s", code, errs)
	}
}

// shep serve --store-mapped-limit hands the limit to the store: with a limit of one byte the
// first look, a pause after the start, pages the store out and says so in the log.
func TestServeStoreMappedLimitPagesOut(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MADV_PAGEOUT is Linux's")
	}
	found := make(chan struct{})
	var once sync.Once
	_, stop := startServeWatching(t, t.TempDir(), func(line string) {
		if strings.Contains(line, `"msg":"paged out`) {
			once.Do(func() { close(found) })
		}
	}, "--log-level", "debug", "--store-mapped-limit", "1") // debug: the steps' log level (a page-out to 0 never ends)
	defer stop()
	// A liveness wait, not a timing assertion: the first look is a pause (10 s) after the start.
	select {
	case <-found:
	case <-time.After(time.Minute):
		t.Fatal("no page-out logged within a minute")
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
}
