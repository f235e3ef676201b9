package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

func TestLogSynth(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	before := time.Now()
	code, out, errs := shep(t, "log", "synth", "--data", data, "--count", "2000", "--span", "48h")
	if code != 0 || !strings.Contains(out, "2000 records") || !strings.Contains(out, "records/s") {
		t.Fatalf("synth: %d %s %s", code, out, errs)
	}
	// A second fill adds to the first (a new seed each time).
	if code, out, errs := shep(t, "log", "synth", "--data", data, "--count", "500", "--services", "AKT-1"); code != 0 {
		t.Fatalf("second synth: %d %s %s", code, out, errs)
	}
	// The existing query command reads them.
	code, out, _ = shep(t, "log", "--data", data, "--service", "AKT-1", "--limit", "1000", "--json")
	var listed []msglog.Summary
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed) < 500 {
		t.Fatalf("shep log --service AKT-1: %d, %d items", code, len(listed))
	}

	db, err := store.Open(store.Options{Dir: filepath.Join(data, "store")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := msglog.Open(db, logOptions(data, msglog.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if n, err := l.Count(ctx); err != nil || n != 2500 {
		t.Fatalf("Count = %d, %v; want 2500", n, err)
	}
	all, _, err := l.Query(ctx, msglog.Filter{Limit: 1000})
	if err != nil || len(all) != 1000 {
		t.Fatalf("Query: %d, %v", len(all), err)
	}
	byService, byStatus := map[string]int{}, map[string]int{}
	for _, s := range all {
		byService[s.ServiceID]++
		byStatus[s.Status]++
		if s.Received.Before(before.Add(-48*time.Hour-time.Minute)) || s.Received.After(time.Now()) {
			t.Fatalf("Received %v outside the span", s.Received)
		}
	}
	// The default mix: 70 % ГБД ФЛ lookups, the rest applications; a few refusals.
	if byService[gbdfl.ServiceID] < 400 || byService["AKT-3"] == 0 || byService["AKT-1"] == 0 || len(byService) != 3 {
		t.Errorf("services: %v", byService)
	}
	if byStatus["SCSS001"] < 900 || byStatus[string(faults.AuthPassword)] == 0 {
		t.Errorf("statuses: %v", byStatus)
	}

	seen := map[string]bool{}
	for _, s := range all[:200] {
		rec, err := l.BySession(ctx, s.SessionID)
		if err != nil {
			t.Fatalf("BySession %s: %v", s.SessionID, err)
		}
		if len(rec.Request) < 3000 || len(rec.Request) > 12000 || len(rec.Response) < 3000 || len(rec.Response) > 12000 {
			t.Errorf("%s: bodies of %d and %d bytes", rec.ServiceID, len(rec.Request), len(rec.Response))
		}
		if len(rec.Steps) < 3 || !rec.Responded.After(rec.Received) {
			t.Errorf("%s: steps %v, received %v, responded %v", rec.SessionID, rec.Steps, rec.Received, rec.Responded)
		}
		// Well-formed SOAP carrying the record's identifiers.
		for _, body := range [][]byte{rec.Request, rec.Response} {
			if _, err := signing.Parse(body, signing.Limits{}); err != nil {
				t.Fatalf("%s: %v\n%.500s", rec.SessionID, err, body)
			}
		}
		if !bytes.Contains(rec.Response, []byte(rec.SessionID)) {
			t.Errorf("%s: the response does not carry the session", rec.SessionID)
		}
		switch {
		case rec.Status == string(faults.AuthPassword):
			// Refused before the sender was known: logged under the session, as the gateway does.
			if rec.Sender != "-" || rec.MessageID != rec.SessionID || rec.HTTPStatus != 500 || !bytes.Contains(rec.Response, []byte("AUTH_PASSWORD")) {
				t.Errorf("refusal record: %+v", rec.Sender)
			}
		case rec.ServiceID == gbdfl.ServiceID:
			if rec.Sender != "smartbridge" || rec.Channel != "system" || len(rec.IIN) != 12 || !bytes.Contains(rec.Request, []byte("<iin>"+rec.IIN+"</iin>")) {
				t.Errorf("ГБД ФЛ record: %s %s %s", rec.Sender, rec.Channel, rec.IIN)
			}
		default:
			if rec.Sender != "portal" || rec.Channel != "portal" || !bytes.Contains(rec.Request, []byte("&lt;app:iin&gt;"+rec.IIN+"&lt;/app:iin&gt;")) {
				t.Errorf("application record: %s %s %s", rec.Sender, rec.Channel, rec.IIN)
			}
		}
		if seen[rec.MessageID] {
			t.Fatalf("messageId %s twice", rec.MessageID)
		}
		seen[rec.MessageID] = true
	}
	// Found by ИИН, as the gateway's own records are.
	if items, _, err := l.Query(ctx, msglog.Filter{IIN: all[0].IIN}); err != nil || len(items) == 0 || items[0].IIN != all[0].IIN {
		t.Errorf("Query by ИИН %s: %v, %v", all[0].IIN, items, err)
	}
}

func TestLogSynthRefusals(t *testing.T) {
	data := t.TempDir()
	// A running gateway holds the store: synth says so instead of badger's lock error alone.
	db, err := store.Open(store.Options{Dir: filepath.Join(data, "store")})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs := shep(t, "log", "synth", "--data", data, "--count", "10")
	db.Close()
	if code != 1 || !strings.Contains(errs, "in use by another process (is shep serve running?)") {
		t.Fatalf("synth on a held store: %d %s", code, errs)
	}
	for _, args := range [][]string{
		{"--count", "0"},
		{"--count", "10", "--services", "NOPE-1"},
		{"--count", "10", "--services", "AKT-3=0"},
		{"--count", "10", "--services", "AKT-3,AKT-3"},
		{"--count", "10", "--span", "800h"},
		{"--count", "10", "extra"},
	} {
		if code, _, errs := shep(t, append([]string{"log", "synth", "--data", data}, args...)...); code != 2 {
			t.Errorf("synth %v: exit %d (%s), want 2", args, code, errs)
		}
	}
}
