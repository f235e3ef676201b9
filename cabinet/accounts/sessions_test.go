package accounts

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func TestIdleExpiry(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	s := e.login(t, iinIvanova)
	steps := []struct {
		advance  time.Duration
		wantCode string
	}{
		{19 * time.Minute, ""}, // used: the idle expiry slides
		{19 * time.Minute, ""}, // 38 minutes after sign-in, 19 after the last use
		{19 * time.Minute, ""},
		{20 * time.Minute, "SESSION_EXPIRED"},
		{0, "SESSION_REQUIRED"}, // deleted when found expired
	}
	for i, st := range steps {
		e.clock.Advance(st.advance)
		r := e.call(t, http.MethodGet, "/api/cabinet/me", nil, bearer(s.Token))
		if r.code() != st.wantCode || (st.wantCode == "") != (r.status == http.StatusOK) {
			t.Fatalf("step %d: %d %s, want %q", i, r.status, r.body, st.wantCode)
		}
		if st.wantCode != "" && (r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "") {
			t.Errorf("step %d: %d, WWW-Authenticate %q", i, r.status, r.header.Get("WWW-Authenticate"))
		}
	}
}

func TestAbsoluteExpiry(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxLifetime = 2 * time.Hour })
	e.register(t, iinIvanova)
	s := e.login(t, iinIvanova)
	ctx := context.Background()
	for used := time.Duration(0); used < 2*time.Hour-15*time.Minute; used += 15 * time.Minute {
		e.clock.Advance(15 * time.Minute)
		got, err := e.svc.Session(ctx, s.Token)
		if err != nil {
			t.Fatalf("after %v: %v", used+15*time.Minute, err)
		}
		if end := s.Created.Add(2 * time.Hour); got.Expires.After(end) {
			t.Fatalf("expires %v after the absolute end %v", got.Expires, end)
		}
	}
	e.clock.Set(s.Created.Add(2*time.Hour - time.Second))
	if _, err := e.svc.Session(ctx, s.Token); err != nil {
		t.Fatalf("a second before the end: %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.svc.Session(ctx, s.Token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("at the end: %v, want ErrSessionExpired", err)
	}
}

func TestSessionTouch(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	s := e.login(t, iinIvanova)
	ctx := context.Background()
	e.clock.Advance(30 * time.Second)
	got, err := e.svc.Session(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastSeen.Equal(s.LastSeen) || got.Token != "" {
		t.Errorf("within a minute: last seen %v (was %v), token %q", got.LastSeen, s.LastSeen, got.Token)
	}
	e.clock.Advance(31 * time.Second)
	got, err = e.svc.Session(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now(); !got.LastSeen.Equal(want) || !got.Expires.Equal(want.Add(20*time.Minute)) {
		t.Errorf("after a minute: last seen %v expires %v, want %v", got.LastSeen, got.Expires, want)
	}
	// The write is durable: a restart sees it.
	e.reopen(t)
	got2, err := e.svc.Session(ctx, s.Token)
	if err != nil || !got2.LastSeen.Equal(got.LastSeen) {
		t.Errorf("after restart: %+v, %v", got2, err)
	}
}

func TestSessionSurvivesRestart(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	s := e.login(t, iinIvanova)
	e.reopen(t)
	r := e.call(t, http.MethodGet, "/api/cabinet/me", nil, bearer(s.Token))
	if r.status != http.StatusOK {
		t.Fatalf("after restart: %d %s", r.status, r.body)
	}
	// A registration survives too: the password still signs in.
	e.login(t, iinIvanova)
}

func TestTokenTransportAndMe(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	e.register(t, iinZhumabek)
	s1, s2 := e.login(t, iinIvanova), e.login(t, iinZhumabek)
	cases := []struct {
		name     string
		header   map[string]string
		wantIIN  string
		wantCode string
	}{
		{"bearer 1", bearer(s1.Token), iinIvanova, ""},
		{"bearer 2", bearer(s2.Token), iinZhumabek, ""},
		{"cookie 1", cookieHeader(s1.Token), iinIvanova, ""},
		{"cookie 2", cookieHeader(s2.Token), iinZhumabek, ""},
		{"bearer wins over cookie", map[string]string{"Authorization": "Bearer " + s2.Token, "Cookie": CookieName + "=" + s1.Token}, iinZhumabek, ""},
		{"nothing", nil, "", "SESSION_REQUIRED"},
		{"unknown token", bearer(randomToken(32)), "", "SESSION_REQUIRED"},
		{"malformed token", bearer("not-a-token"), "", "SESSION_REQUIRED"},
		{"the CSRF value is not a token", bearer(s1.CSRF), "", "SESSION_REQUIRED"},
		{"basic auth", map[string]string{"Authorization": "Basic " + s1.Token}, "", "SESSION_REQUIRED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(t, http.MethodGet, "/api/cabinet/me", nil, c.header)
			if r.code() != c.wantCode {
				t.Fatalf("%d %s, want %q", r.status, r.body, c.wantCode)
			}
			if c.wantCode != "" {
				return
			}
			var me struct {
				Account Account
				Session Session
			}
			r.decode(t, &me)
			if me.Account.IIN != c.wantIIN || me.Session.IIN != c.wantIIN || me.Session.Token != "" || !me.Account.HasPassword {
				t.Errorf("me %+v", me)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	s1, s2 := e.login(t, iinIvanova), e.login(t, iinIvanova)
	r := e.call(t, http.MethodPost, "/api/cabinet/logout", nil, cookieHeader(s1.Token))
	if r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if c := r.cookie(CookieName); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("logout cookie %+v", c)
	}
	if r := e.call(t, http.MethodGet, "/api/cabinet/me", nil, bearer(s1.Token)); r.code() != "SESSION_REQUIRED" {
		t.Errorf("after logout: %d %s", r.status, r.body)
	}
	// The other session of the same citizen stays.
	if r := e.call(t, http.MethodGet, "/api/cabinet/me", nil, bearer(s2.Token)); r.status != http.StatusOK {
		t.Errorf("other session: %d %s", r.status, r.body)
	}
	// Logging out again, or without a session, is harmless.
	for _, h := range []map[string]string{bearer(s1.Token), nil} {
		if r := e.call(t, http.MethodPost, "/api/cabinet/logout", nil, h); r.status != http.StatusNoContent {
			t.Errorf("logout again: %d %s", r.status, r.body)
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	s := e.login(t, iinIvanova)
	cases := []struct {
		name     string
		header   map[string]string
		wantCode string
	}{
		{"cookie without CSRF header", cookieHeader(s.Token), "CSRF_INVALID"},
		{"cookie with a wrong CSRF header", map[string]string{"Cookie": CookieName + "=" + s.Token, CSRFHeader: s.Token}, "CSRF_INVALID"},
		{"cookie with the CSRF header", map[string]string{"Cookie": CookieName + "=" + s.Token, CSRFHeader: s.CSRF}, ""},
		{"bearer needs none", bearer(s.Token), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(t, http.MethodPost, "/api/cabinet/test-post", map[string]string{}, c.header)
			if r.code() != c.wantCode || (c.wantCode == "") != (r.status == http.StatusOK) {
				t.Fatalf("%d %s, want %q", r.status, r.body, c.wantCode)
			}
		})
	}
}

func TestCheckCSRF(t *testing.T) {
	sess := &Session{CSRF: "c5rf-value"}
	cases := []struct {
		name   string
		ct     string
		body   string
		header string
		want   bool
	}{
		{"header", "application/json", "{}", "c5rf-value", true},
		{"wrong header", "application/json", "{}", "other", false},
		{"form field", "application/x-www-form-urlencoded", "csrf=c5rf-value&x=1", "", true},
		{"wrong form field", "application/x-www-form-urlencoded", "csrf=other", "", false},
		{"form field in JSON is not read", "application/json", `{"csrf":"c5rf-value"}`, "", false},
		{"none", "application/x-www-form-urlencoded", "x=1", "", false},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		r.Header.Set("Content-Type", c.ct)
		if c.header != "" {
			r.Header.Set(CSRFHeader, c.header)
		}
		if got := CheckCSRF(r, sess); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if CheckCSRF(httptest.NewRequest(http.MethodPost, "/", nil), &Session{}) {
		t.Error("an empty CSRF value matched")
	}
}

func TestTokenNotStored(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	s := e.login(t, iinIvanova)
	n := 0
	err := e.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefixSession)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
			if bytes.Contains(it.Item().Key(), []byte(s.Token)) {
				t.Error("the key holds the token")
			}
			if err := it.Item().Value(func(b []byte) error {
				if bytes.Contains(b, []byte(s.Token)) {
					t.Error("the record holds the token")
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("%d sessions, %v", n, err)
	}
}

func TestCurrent(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	s := e.login(t, iinIvanova)
	req := func(h map[string]string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	if got, err := e.svc.Current(req(cookieHeader(s.Token))); err != nil || got.IIN != iinIvanova {
		t.Errorf("cookie: %+v %v", got, err)
	}
	if _, err := e.svc.Current(req(nil)); !errors.Is(err, ErrSessionRequired) {
		t.Errorf("none: %v", err)
	}
	e.clock.Advance(21 * time.Minute)
	if _, err := e.svc.Current(req(cookieHeader(s.Token))); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("expired: %v", err)
	}
}

func TestSweep(t *testing.T) {
	p := (*pki)(nil)
	e := newEnv(t, func(o *Options) { p = newPKI(t, o.Now); o.Validator = p.val; o.MaxFailures = 2 })
	ctx := context.Background()
	e.register(t, iinIvanova)
	e.register(t, iinZhumabek)
	old := e.login(t, iinIvanova)
	if _, err := e.svc.NewChallenge(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(ctx, iinAkhmetova, "Wrong1"); !errors.Is(err, ErrAuthRefused) {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	fresh := e.login(t, iinZhumabek)
	freshCh, err := e.svc.NewChallenge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.Sweep(ctx); err != nil || n != 1 { // the first challenge
		t.Fatalf("sweep at +10m: %d, %v", n, err)
	}
	e.clock.Advance(11 * time.Minute)
	// The first session (idle 21m) and the failure counter (21m old) are dead; the second
	// session (idle 11m) lives; the second challenge has expired.
	if n, err := e.svc.Sweep(ctx); err != nil || n != 3 {
		t.Fatalf("sweep at +21m: %d, %v", n, err)
	}
	if _, err := e.svc.Session(ctx, old.Token); !errors.Is(err, ErrSessionRequired) {
		t.Errorf("old session: %v, want ErrSessionRequired (swept)", err)
	}
	if _, err := e.svc.Session(ctx, fresh.Token); err != nil {
		t.Errorf("fresh session: %v", err)
	}
	var c challengeRec
	err = e.db.View(func(txn *badger.Txn) error {
		found, err := getJSON(txn, challengeKey(freshCh.ID), &c)
		if found {
			t.Error("the expired challenge is still stored")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, iin := range []string{iinIvanova, iinZhumabek} {
		if _, err := e.svc.Account(ctx, iin); err != nil {
			t.Errorf("account %s: %v", iin, err)
		}
	}
	if n, err := e.svc.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("sweep again: %d, %v", n, err)
	}
}
