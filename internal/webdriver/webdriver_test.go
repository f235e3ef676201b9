package webdriver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRemote answers WebDriver commands from a table of "METHOD path" → (status, value), and
// records the bodies it was sent.
type fakeRemote struct {
	mu      sync.Mutex
	answers map[string]struct {
		status int
		value  any
	}
	got map[string]string
}

func (f *fakeRemote) on(cmd string, status int, value any) {
	f.answers[cmd] = struct {
		status int
		value  any
	}{status, value}
}

func (f *fakeRemote) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	cmd := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.got[cmd] = string(b)
	a, ok := f.answers[cmd]
	f.mu.Unlock()
	if !ok {
		a.status, a.value = http.StatusNotFound, map[string]string{"error": "unknown command", "message": cmd}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"value": a.value})
}

func TestProtocol(t *testing.T) {
	f := &fakeRemote{answers: map[string]struct {
		status int
		value  any
	}{}, got: map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx := context.Background()
	c := &Client{URL: srv.URL}

	f.on("GET /status", 200, map[string]any{"ready": true, "message": "ok"})
	if ok, err := c.Ready(ctx); err != nil || !ok {
		t.Fatalf("ready: %v %v", ok, err)
	}
	f.on("POST /session", 200, map[string]any{"sessionId": "s1", "capabilities": map[string]any{"browserName": "chrome"}})
	s, err := c.NewSession(ctx, map[string]any{"browserName": "chrome"})
	if err != nil || s.ID != "s1" || s.Capabilities["browserName"] != "chrome" {
		t.Fatalf("new session: %+v %v", s, err)
	}
	if got := f.got["POST /session"]; got != `{"capabilities":{"alwaysMatch":{"browserName":"chrome"}}}` {
		t.Errorf("new session body %s", got)
	}

	f.on("POST /session/s1/url", 200, nil)
	if err := s.Navigate(ctx, "http://127.0.0.1/x"); err != nil || f.got["POST /session/s1/url"] != `{"url":"http://127.0.0.1/x"}` {
		t.Errorf("navigate: %v %s", err, f.got["POST /session/s1/url"])
	}
	f.on("POST /session/s1/element", 200, map[string]string{elementKey: "e1"})
	el, err := s.FindElement(ctx, "#iin")
	if err != nil || el.ID != "e1" || f.got["POST /session/s1/element"] != `{"using":"css selector","value":"#iin"}` {
		t.Fatalf("find: %+v %v %s", el, err, f.got["POST /session/s1/element"])
	}
	f.on("POST /session/s1/element/e1/value", 200, nil)
	if err := el.SendKeys(ctx, "931002451325"); err != nil || f.got["POST /session/s1/element/e1/value"] != `{"text":"931002451325"}` {
		t.Errorf("send keys: %v", err)
	}
	f.on("POST /session/s1/element/e1/click", 200, nil)
	if err := el.Click(ctx); err != nil || f.got["POST /session/s1/element/e1/click"] != "{}" {
		t.Errorf("click: %v %q", err, f.got["POST /session/s1/element/e1/click"])
	}
	f.on("GET /session/s1/element/e1/attribute/data-valid", 200, "true")
	if v, err := el.Attribute(ctx, "data-valid"); err != nil || v != "true" {
		t.Errorf("attribute: %q %v", v, err)
	}
	f.on("GET /session/s1/element/e1/attribute/nope", 200, nil)
	if v, err := el.Attribute(ctx, "nope"); err != nil || v != "" {
		t.Errorf("missing attribute: %q %v", v, err)
	}
	f.on("GET /session/s1/element/e1/text", 200, "Войти")
	if v, err := el.Text(ctx); err != nil || v != "Войти" {
		t.Errorf("text: %q %v", v, err)
	}
	png := []byte("\x89PNG\r\n\x1a\nfake")
	f.on("GET /session/s1/screenshot", 200, base64.StdEncoding.EncodeToString(png))
	if b, err := s.Screenshot(ctx); err != nil || !bytes.Equal(b, png) {
		t.Errorf("screenshot: %q %v", b, err)
	}
	f.on("GET /session/s1/cookie", 200, []map[string]any{{"name": "shep_session", "value": "t", "httpOnly": true, "sameSite": "Strict"}})
	if cs, err := s.Cookies(ctx); err != nil || len(cs) != 1 || !cs[0].HTTPOnly || cs[0].SameSite != "Strict" {
		t.Errorf("cookies: %+v %v", cs, err)
	}
	f.on("POST /session/s1/elements", 200, []map[string]string{{elementKey: "a"}, {elementKey: "b"}})
	if els, err := s.FindElements(ctx, "tr"); err != nil || len(els) != 2 || els[1].ID != "b" {
		t.Errorf("find elements: %v %v", els, err)
	}

	// Errors keep the W3C code.
	f.on("POST /session/s1/element", 404, map[string]string{"error": "no such element", "message": "no such element: Unable to locate element\n(Session info: …)"})
	_, err = s.FindElement(ctx, "#missing")
	if CodeOf(err) != CodeNoSuchElement || strings.Contains(err.Error(), "Session info") {
		t.Errorf("no such element: %v", err)
	}
	f.on("GET /session/s1/url", 500, "not an object")
	if _, err := s.CurrentURL(ctx); CodeOf(err) != "unknown error" {
		t.Errorf("a malformed error: %v", err)
	}
	if _, err := s.Title(ctx); CodeOf(err) != "unknown command" {
		t.Errorf("unknown command: %v", err)
	}

	f.on("DELETE /session/s1", 200, nil)
	if err := s.Quit(); err != nil || s.ID != "" {
		t.Errorf("quit: %v", err)
	}
	if err := s.Quit(); err != nil {
		t.Errorf("quit twice: %v", err)
	}
}

func TestWait(t *testing.T) {
	n := 0
	err := Wait(context.Background(), 5*time.Second, time.Millisecond, func(context.Context) (bool, error) { n++; return n == 3, nil })
	if err != nil || n != 3 {
		t.Errorf("wait: %v after %d", err, n)
	}
	err = Wait(context.Background(), 20*time.Millisecond, time.Millisecond, func(context.Context) (bool, error) { return false, fmt.Errorf("not yet") })
	if err == nil || !strings.Contains(err.Error(), "not yet") {
		t.Errorf("timeout: %v", err)
	}
}

// browserOrSkip skips without Chromium and chromedriver, unless SHEP_REQUIRE_BROWSER=1.
func browserOrSkip(t *testing.T) {
	t.Helper()
	for _, p := range []string{DefaultChromium, DefaultChromedriver} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("SHEP_REQUIRE_BROWSER") == "1" {
				t.Fatalf("%s is missing (apt-get install -y chromium chromium-driver)", p)
			}
			t.Skipf("%s is missing (apt-get install -y chromium chromium-driver)", p)
		}
	}
}

// A real headless Chromium: a form posted with typed text and a file, a cookie, a download.
func TestChrome(t *testing.T) {
	browserOrSkip(t)
	upload := filepath.Join(t.TempDir(), "scan.txt")
	if err := os.WriteFile(upload, []byte("scan"), 0o600); err != nil {
		t.Fatal(err)
	}
	posted := make(chan string, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "42", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><title>Тест</title></head><body><h1 id="h">Привет</h1>
<form method="post" action="/post" enctype="multipart/form-data"><input id="name" name="name"><input id="file" type="file" name="file">
<input id="agree" type="checkbox" name="agree" value="true"><button id="go" type="submit">Отправить</button></form>
<a id="dl" href="/file">скачать</a></body></html>`)
	})
	mux.HandleFunc("POST /post", func(w http.ResponseWriter, r *http.Request) {
		f, _, err := r.FormFile("file")
		content := ""
		if err == nil {
			b, _ := io.ReadAll(f)
			content = string(b)
		}
		posted <- r.FormValue("name") + "|" + content + "|" + r.FormValue("agree")
		fmt.Fprint(w, `<!DOCTYPE html><html><body><p id="done" data-ok="yes">Готово</p></body></html>`)
	})
	mux.HandleFunc("GET /file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Disposition", `attachment; filename="doc.xml"`)
		fmt.Fprint(w, `<doc>ok</doc>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := context.Background()
	downloads := t.TempDir()
	var log bytes.Buffer
	s, err := Chrome(ctx, Options{DownloadDir: downloads, Log: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	defer func() {
		if err := s.Quit(); err != nil {
			t.Error(err)
		}
	}()
	if err := s.Navigate(ctx, srv.URL+"/"); err != nil {
		t.Fatal(err)
	}
	if title, err := s.Title(ctx); err != nil || title != "Тест" {
		t.Errorf("title %q %v", title, err)
	}
	h, err := s.FindElement(ctx, "#h")
	if err != nil {
		t.Fatal(err)
	}
	if txt, err := h.Text(ctx); err != nil || txt != "Привет" {
		t.Errorf("text %q %v", txt, err)
	}
	if _, err := s.FindElement(ctx, "#nope"); CodeOf(err) != CodeNoSuchElement {
		t.Errorf("missing element: %v", err)
	}
	cs, err := s.Cookies(ctx)
	if err != nil || len(cs) != 1 || cs[0].Name != "sid" || !cs[0].HTTPOnly {
		t.Errorf("cookies %+v %v", cs, err)
	}
	png, err := s.Screenshot(ctx)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot: %d bytes %v", len(png), err)
	}
	full, err := s.FullScreenshot(ctx)
	if err != nil || !bytes.HasPrefix(full, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("full screenshot: %d bytes %v", len(full), err)
	}
	dl, err := s.FindElement(ctx, "#dl")
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.Click(ctx); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(downloads, "doc.xml")
	err = Wait(ctx, 30*time.Second, 50*time.Millisecond, func(context.Context) (bool, error) {
		b, err := os.ReadFile(target)
		return err == nil && string(b) == "<doc>ok</doc>", nil
	})
	if err != nil {
		entries, _ := os.ReadDir(downloads)
		t.Errorf("download: %v (%v)", err, entries)
	}
	for sel, keys := range map[string]string{"#name": "Айгуль", "#file": upload} {
		el, err := s.FindElement(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		if err := el.SendKeys(ctx, keys); err != nil {
			t.Fatal(err)
		}
	}
	agree, _ := s.FindElement(ctx, "#agree")
	if err := agree.Click(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := agree.Selected(ctx); err != nil || !ok {
		t.Errorf("checkbox: %v %v", ok, err)
	}
	goBtn, _ := s.FindElement(ctx, "#go")
	if err := goBtn.Click(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-posted:
		if got != "Айгуль|scan|true" {
			t.Errorf("posted %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the form was not posted")
	}
	err = Wait(ctx, 30*time.Second, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		el, err := s.FindElement(ctx, "#done")
		if err != nil {
			return false, err
		}
		v, err := el.Attribute(ctx, "data-ok")
		return v == "yes", err
	})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := s.CurrentURL(ctx); err != nil || u != srv.URL+"/post" {
		t.Errorf("url %q %v", u, err)
	}
}
