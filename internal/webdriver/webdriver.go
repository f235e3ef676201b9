// Package webdriver is a minimal W3C WebDriver client for the browser tests: it starts
// chromedriver, opens a headless Chromium session and drives pages (navigate, find by CSS, click,
// type, read, screenshot, cookies).
package webdriver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// elementKey is the W3C key of a web element reference.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// Error is an error answered by the remote end: Code is the W3C error code ("no such element",
// "stale element reference", "invalid argument", …), Status the HTTP status.
type Error struct {
	Code       string
	Message    string
	Status     int
	Stacktrace string
	Command    string // method and path of the command
}

func (e *Error) Error() string {
	return fmt.Sprintf("webdriver: %s: %s: %s", e.Command, e.Code, firstLine(e.Message))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// CodeOf returns the WebDriver error code of err, "" when it is not one.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// W3C error codes the tests look for.
const (
	CodeNoSuchElement  = "no such element"
	CodeStaleElement   = "stale element reference"
	CodeNotInteractive = "element not interactable"
)

// Client speaks the WebDriver protocol to a remote end at URL (chromedriver's base URL).
type Client struct {
	URL  string
	HTTP *http.Client // default: a client without a timeout (each call is bounded by its context)
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// do sends a command and decodes its "value" into out (nil: ignored).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("webdriver: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	} else if method == http.MethodPost {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("webdriver: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	res, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("webdriver: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("webdriver: %s %s: read the answer: %w", method, path, err)
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("webdriver: %s %s: HTTP %d, not JSON: %.200s", method, path, res.StatusCode, raw)
	}
	if res.StatusCode >= 400 {
		var e struct {
			Error      string `json:"error"`
			Message    string `json:"message"`
			Stacktrace string `json:"stacktrace"`
		}
		_ = json.Unmarshal(env.Value, &e)
		if e.Error == "" {
			e.Error = "unknown error"
		}
		return &Error{Code: e.Error, Message: e.Message, Status: res.StatusCode, Stacktrace: e.Stacktrace, Command: method + " " + path}
	}
	if out == nil || len(env.Value) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Value, out); err != nil {
		return fmt.Errorf("webdriver: %s %s: decode %.200s: %w", method, path, env.Value, err)
	}
	return nil
}

// Ready reports whether the remote end can create sessions (GET /status).
func (c *Client) Ready(ctx context.Context) (bool, error) {
	var st struct {
		Ready   bool   `json:"ready"`
		Message string `json:"message"`
	}
	if err := c.do(ctx, http.MethodGet, "/status", nil, &st); err != nil {
		return false, err
	}
	return st.Ready, nil
}

// Session is a browser session. It is not safe for concurrent use.
type Session struct {
	ID           string
	Capabilities map[string]any
	c            *Client
	cleanup      []func() error
}

// NewSession creates a session with the capabilities to match (W3C "alwaysMatch").
func (c *Client) NewSession(ctx context.Context, alwaysMatch map[string]any) (*Session, error) {
	var out struct {
		SessionID    string         `json:"sessionId"`
		Capabilities map[string]any `json:"capabilities"`
	}
	in := map[string]any{"capabilities": map[string]any{"alwaysMatch": alwaysMatch}}
	if err := c.do(ctx, http.MethodPost, "/session", in, &out); err != nil {
		return nil, err
	}
	if out.SessionID == "" {
		return nil, errors.New("webdriver: new session: no sessionId in the answer")
	}
	return &Session{ID: out.SessionID, Capabilities: out.Capabilities, c: c}, nil
}

func (s *Session) path(p string) string { return "/session/" + url.PathEscape(s.ID) + p }

// Quit ends the session (the browser closes) and then stops what was started for it
// (chromedriver, temporary directories). It is safe to call twice.
func (s *Session) Quit() error {
	var errs []error
	if s.ID != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, s.c.do(ctx, http.MethodDelete, s.path(""), nil, nil))
		cancel()
		s.ID = ""
	}
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		errs = append(errs, s.cleanup[i]())
	}
	s.cleanup = nil
	return errors.Join(errs...)
}

// Navigate loads url and waits for it as the page load strategy says (normal: loaded).
func (s *Session) Navigate(ctx context.Context, u string) error {
	return s.c.do(ctx, http.MethodPost, s.path("/url"), map[string]string{"url": u}, nil)
}

// CurrentURL is the URL of the current page.
func (s *Session) CurrentURL(ctx context.Context) (string, error) {
	var u string
	err := s.c.do(ctx, http.MethodGet, s.path("/url"), nil, &u)
	return u, err
}

// Title is the title of the current page.
func (s *Session) Title(ctx context.Context) (string, error) {
	var t string
	err := s.c.do(ctx, http.MethodGet, s.path("/title"), nil, &t)
	return t, err
}

// Source is the serialized DOM of the current page.
func (s *Session) Source(ctx context.Context) (string, error) {
	var src string
	err := s.c.do(ctx, http.MethodGet, s.path("/source"), nil, &src)
	return src, err
}

// Screenshot is a PNG of the viewport.
func (s *Session) Screenshot(ctx context.Context) ([]byte, error) {
	var b64 string
	if err := s.c.do(ctx, http.MethodGet, s.path("/screenshot"), nil, &b64); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webdriver: screenshot: %w", err)
	}
	return png, nil
}

// FullScreenshot is a PNG of the whole page, beyond the viewport (Chrome DevTools).
func (s *Session) FullScreenshot(ctx context.Context) ([]byte, error) {
	var m struct {
		Content struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	if err := s.ChromeCDP(ctx, "Page.getLayoutMetrics", nil, &m); err != nil {
		return nil, err
	}
	var out struct {
		Data string `json:"data"`
	}
	params := map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": m.Content.Width, "height": m.Content.Height, "scale": 1}}
	if err := s.ChromeCDP(ctx, "Page.captureScreenshot", params, &out); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(out.Data)
	if err != nil {
		return nil, fmt.Errorf("webdriver: full screenshot: %w", err)
	}
	return png, nil
}

// Back goes back in the history.
func (s *Session) Back(ctx context.Context) error {
	return s.c.do(ctx, http.MethodPost, s.path("/back"), nil, nil)
}

// Refresh reloads the current page.
func (s *Session) Refresh(ctx context.Context) error {
	return s.c.do(ctx, http.MethodPost, s.path("/refresh"), nil, nil)
}

// SetWindowSize sets the window's outer size in CSS pixels.
func (s *Session) SetWindowSize(ctx context.Context, width, height int) error {
	return s.c.do(ctx, http.MethodPost, s.path("/window/rect"), map[string]int{"width": width, "height": height}, nil)
}

// Cookie is a cookie of the current browsing context.
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Expiry   int64  `json:"expiry,omitempty"`
	SameSite string `json:"sameSite,omitempty"`
}

// Cookies are the cookies visible to the current page, HttpOnly ones included.
func (s *Session) Cookies(ctx context.Context) ([]Cookie, error) {
	var cs []Cookie
	err := s.c.do(ctx, http.MethodGet, s.path("/cookie"), nil, &cs)
	return cs, err
}

// Element is a reference to an element of the current page.
type Element struct {
	ID string
	s  *Session
}

type elementRef map[string]string

func (s *Session) element(r elementRef) (*Element, error) {
	id := r[elementKey]
	if id == "" {
		return nil, errors.New("webdriver: the answer holds no element reference")
	}
	return &Element{ID: id, s: s}, nil
}

// FindElement finds the first element matching the CSS selector; none is an *Error with
// CodeNoSuchElement.
func (s *Session) FindElement(ctx context.Context, css string) (*Element, error) {
	var r elementRef
	if err := s.c.do(ctx, http.MethodPost, s.path("/element"), map[string]string{"using": "css selector", "value": css}, &r); err != nil {
		return nil, err
	}
	return s.element(r)
}

// FindElements finds every element matching the CSS selector (none: empty, no error).
func (s *Session) FindElements(ctx context.Context, css string) ([]*Element, error) {
	var rs []elementRef
	if err := s.c.do(ctx, http.MethodPost, s.path("/elements"), map[string]string{"using": "css selector", "value": css}, &rs); err != nil {
		return nil, err
	}
	out := make([]*Element, 0, len(rs))
	for _, r := range rs {
		e, err := s.element(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ExecuteScript runs a synchronous script in the page and decodes its result into out.
func (s *Session) ExecuteScript(ctx context.Context, script string, args []any, out any) error {
	if args == nil {
		args = []any{}
	}
	return s.c.do(ctx, http.MethodPost, s.path("/execute/sync"), map[string]any{"script": script, "args": args}, out)
}

// ChromeCDP runs a Chrome DevTools command through chromedriver (goog/cdp/execute).
func (s *Session) ChromeCDP(ctx context.Context, cmd string, params map[string]any, out any) error {
	if params == nil {
		params = map[string]any{}
	}
	return s.c.do(ctx, http.MethodPost, s.path("/goog/cdp/execute"), map[string]any{"cmd": cmd, "params": params}, out)
}

func (e *Element) path(p string) string { return e.s.path("/element/" + url.PathEscape(e.ID) + p) }

// FindElement finds the first descendant of e matching the CSS selector.
func (e *Element) FindElement(ctx context.Context, css string) (*Element, error) {
	var r elementRef
	if err := e.s.c.do(ctx, http.MethodPost, e.path("/element"), map[string]string{"using": "css selector", "value": css}, &r); err != nil {
		return nil, err
	}
	return e.s.element(r)
}

// Click clicks the element (scrolled into view first by the remote end).
func (e *Element) Click(ctx context.Context) error {
	return e.s.c.do(ctx, http.MethodPost, e.path("/click"), nil, nil)
}

// Clear empties an input or a textarea.
func (e *Element) Clear(ctx context.Context) error {
	return e.s.c.do(ctx, http.MethodPost, e.path("/clear"), nil, nil)
}

// SendKeys types text into the element; for <input type=file> text is the path of the file.
func (e *Element) SendKeys(ctx context.Context, text string) error {
	return e.s.c.do(ctx, http.MethodPost, e.path("/value"), map[string]string{"text": text}, nil)
}

// Text is the element's rendered text.
func (e *Element) Text(ctx context.Context) (string, error) {
	var t string
	err := e.s.c.do(ctx, http.MethodGet, e.path("/text"), nil, &t)
	return t, err
}

// Attribute is the element's attribute name, "" when it has none.
func (e *Element) Attribute(ctx context.Context, name string) (string, error) {
	var v *string
	if err := e.s.c.do(ctx, http.MethodGet, e.path("/attribute/"+url.PathEscape(name)), nil, &v); err != nil {
		return "", err
	}
	if v == nil {
		return "", nil
	}
	return *v, nil
}

// Property is the element's DOM property name (e.g. "value", "checked").
func (e *Element) Property(ctx context.Context, name string, out any) error {
	return e.s.c.do(ctx, http.MethodGet, e.path("/property/"+url.PathEscape(name)), nil, out)
}

// Selected reports whether a checkbox, radio button or option is selected.
func (e *Element) Selected(ctx context.Context) (bool, error) {
	var b bool
	err := e.s.c.do(ctx, http.MethodGet, e.path("/selected"), nil, &b)
	return b, err
}

// Wait polls cond every interval until it reports true, fails, or timeout passes (then the
// last condition error or a timeout error).
func Wait(ctx context.Context, timeout, interval time.Duration, cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok && err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("webdriver: waited %s: %w", timeout, last)
			}
			return fmt.Errorf("webdriver: waited %s: %w", timeout, ctx.Err())
		case <-time.After(interval):
		}
	}
}
