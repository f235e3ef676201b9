package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/syncchannel"
)

// logBuffer collects the pipeline's log output (the server writes from its own goroutines).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines whose msg is msg.
func (b *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON log line: %v: %s", err, sc.Text())
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// line returns the one line of msg for session, failing the test if there is none or several.
func (b *logBuffer) line(t *testing.T, msg, session string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, m := range b.lines(t, msg) {
		if m["session_id"] == session {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %q log lines for session %s, want 1", len(found), msg, session)
	}
	return found[0]
}

// captureLog makes the pipeline log JSON into the returned buffer.
func (w *world) captureLog() *logBuffer {
	b := &logBuffer{}
	w.pipe.Logger = slog.New(slog.NewJSONHandler(b, nil))
	return b
}

// logged returns the record of an answered exchange, found by the sessionId of its answer.
func (w *world) logged(a answer) *msglog.Record {
	w.t.Helper()
	if !syncchannel.ValidSessionID(a.session) {
		w.t.Fatalf("answer %q without a sessionId", a.code)
	}
	rec, err := w.log.BySession(ctx, a.session)
	if err != nil {
		w.t.Fatalf("session %s not in the log: %v", a.session, err)
	}
	if !bytes.Equal(rec.Response, a.body) || rec.HTTPStatus != a.status || rec.Status != a.code {
		w.t.Fatalf("the log has %s (HTTP %d, %d bytes), the client got %s (HTTP %d, %d bytes)", rec.Status, rec.HTTPStatus, len(rec.Response),
			a.code, a.status, len(a.body))
	}
	return rec
}

// Answers given before the pipeline parses anything (a body over the limit, a body that cannot be
// read) and the answer to a panic are logged like any other: by session, anonymous, with the
// fault that was sent and the step that failed.
func TestTooLargeLogged(t *testing.T) {
	w := newWorld(t)
	logs := w.captureLog()
	for _, soap12 := range []bool{false, true} {
		body := bytes.Repeat([]byte("<x/>"), 1<<19+1) // 2 MiB + 4 bytes; the limit is 1 MiB
		ct := "text/xml; charset=utf-8"
		wantHTTP := http.StatusInternalServerError
		if soap12 {
			ct, wantHTTP = "application/soap+xml; charset=utf-8", http.StatusBadRequest
		}
		a := w.post(body, ct)
		if a.code != "REQUEST_TOO_LARGE" || a.status != wantHTTP || a.soap12 != soap12 {
			t.Fatalf("SOAP 1.2 %v: %q HTTP %d", soap12, a.code, a.status)
		}
		rec := w.logged(a)
		if rec.Sender != msglog.Anonymous || rec.MessageID != a.session {
			t.Errorf("logged under %q/%q, want %q/%q", rec.Sender, rec.MessageID, msglog.Anonymous, a.session)
		}
		if len(rec.Request) != 1<<20 || !bytes.Equal(rec.Request, body[:1<<20]) {
			t.Errorf("logged request: %d bytes, want the first %d bytes of the body", len(rec.Request), 1<<20)
		}
		if len(rec.Steps) != 1 || rec.Steps[0].Name != "read" || rec.Steps[0].Outcome != "REQUEST_TOO_LARGE" || !strings.Contains(rec.Steps[0].Detail, "truncated") {
			t.Errorf("steps: %+v", rec.Steps)
		}
		if items, _, err := w.log.Query(ctx, msglog.Filter{Status: "REQUEST_TOO_LARGE", SessionID: a.session}); err != nil || len(items) != 1 {
			t.Errorf("query by status and session: %d, %v", len(items), err)
		}
		if l := logs.line(t, "SendMessage", a.session); l["message_id"] != a.session || l["status"] != "REQUEST_TOO_LARGE" {
			t.Errorf("log line: %v", l)
		}
	}
}

func TestUnreadableBodyLogged(t *testing.T) {
	w := newWorld(t)
	// A chunked body whose second chunk size is not hex: the server reads "<soap:" and fails.
	c, err := net.Dial("tcp", strings.TrimPrefix(w.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /bip-sync-wss-gost/ HTTP/1.1\r\nHost: gateway\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n<soap:\r\nzz\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := w.read(resp)
	if a.code != "REQUEST_MALFORMED" || a.status != http.StatusInternalServerError {
		t.Fatalf("%q HTTP %d", a.code, a.status)
	}
	rec := w.logged(a)
	if rec.Sender != msglog.Anonymous || rec.MessageID != a.session || string(rec.Request) != "<soap:" {
		t.Errorf("record %q/%q, request %q", rec.Sender, rec.MessageID, rec.Request)
	}
	if len(rec.Steps) != 1 || rec.Steps[0].Name != "read" || rec.Steps[0].Outcome != "REQUEST_MALFORMED" || !strings.Contains(rec.Steps[0].Detail, "could not be read") {
		t.Errorf("steps: %+v", rec.Steps)
	}
}

func TestPanicLogged(t *testing.T) {
	w := newWorld(t)
	logs := w.captureLog()
	var calls atomic.Int32
	w.pipe.Router.Handle("PANIC", adapters.AdapterFunc(func(ctx context.Context, r *adapters.Request) (*adapters.Response, error) {
		calls.Add(1)
		var m map[string]int
		m["boom"]++ // a nil map: the adapter panics
		return nil, nil
	}))
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	body := w.signed(msg{sender: "smartbridge", password: "123", service: "PANIC", id: "panic-1"}, system)
	a := w.send(body)
	if a.code != "INTERNAL_ERROR" || a.status != http.StatusInternalServerError || !strings.Contains(a.fault.Data, "panic") {
		t.Fatalf("%q HTTP %d: %+v", a.code, a.status, a.fault)
	}
	rec := w.logged(a)
	// It was parsed: logged anonymously (a transient failure holds no messageId) under the
	// messageId it claimed, with the steps up to the one that panicked.
	if rec.Sender != msglog.Anonymous || rec.MessageID != "panic-1" || !bytes.Equal(rec.Request, body) {
		t.Errorf("record %q/%q", rec.Sender, rec.MessageID)
	}
	last := rec.Steps[len(rec.Steps)-1]
	if len(rec.Steps) < 6 || last.Name != "provider" || last.Outcome != "INTERNAL_ERROR" || !strings.Contains(last.Detail, "assignment to entry in nil map") {
		t.Errorf("steps: %+v", rec.Steps)
	}
	if l := logs.line(t, "panic in SendMessage", a.session); l["message_id"] != "panic-1" || l["step"] != "provider" || !strings.Contains(fmt.Sprint(l["stack"]), "logged_test.go") {
		t.Errorf("panic log line: %v", l)
	}
	// Not final: a retry is processed again (and fails again), and is logged again.
	b := w.send(body)
	if b.code != "INTERNAL_ERROR" || calls.Load() != 2 || b.session == a.session {
		t.Fatalf("retry: %q, adapter called %d times", b.code, calls.Load())
	}
	if items, _, err := w.log.Query(ctx, msglog.Filter{MessageID: "panic-1"}); err != nil || len(items) != 2 {
		t.Errorf("by messageId: %d records, %v", len(items), err)
	}
}

// The pipeline's JSON log lines carry the session and the message: the messageId the client sent,
// for an authenticated exchange and for a refusal alike.
func TestLogLinesCarrySessionAndMessage(t *testing.T) {
	w := newWorld(t)
	logs := w.captureLog()
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	for _, tt := range []struct {
		m              msg
		code, sender   string
		wantMessageID  string
		wantHTTPStatus float64
	}{
		{msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, id: "log-ok", data: gbdflData(applicantIIN)}, syncchannel.StatusSuccess, "smartbridge", "log-ok", 200},
		{msg{sender: "smartbridge", password: "wrong", service: gbdfl.ServiceID, id: "log-refused", data: gbdflData(applicantIIN)}, "AUTH_PASSWORD", msglog.Anonymous, "log-refused", 500},
	} {
		a := w.send(w.signed(tt.m, system))
		if a.code != tt.code {
			t.Fatalf("%s: %q", tt.m.id, a.code)
		}
		l := logs.line(t, "SendMessage", a.session)
		if l["message_id"] != tt.wantMessageID || l["sender"] != tt.sender || l["status"] != tt.code || l["service"] != gbdfl.ServiceID ||
			l["http_status"] != tt.wantHTTPStatus || l["level"] != "INFO" {
			t.Errorf("%s: log line %v", tt.m.id, l)
		}
	}
}

// A panic outside the pipeline's steps (here the clock, read when the request arrives) is
// answered with a signed INTERNAL_ERROR and logged anonymously under the session of the answer.
func TestPanicOutsideStepsLogged(t *testing.T) {
	w := newWorld(t)
	logs := w.captureLog()
	var calls atomic.Int32
	w.pipe.Now = func() time.Time {
		if calls.Add(1) == 1 {
			panic("clock failure")
		}
		return time.Now()
	}
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	a := w.send(w.signed(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system))
	if a.code != "INTERNAL_ERROR" || a.status != http.StatusInternalServerError {
		t.Fatalf("%q HTTP %d", a.code, a.status)
	}
	rec := w.logged(a)
	if rec.Sender != msglog.Anonymous || rec.MessageID != a.session || len(rec.Steps) != 1 || rec.Steps[0].Name != "panic" ||
		rec.Steps[0].Outcome != "INTERNAL_ERROR" || rec.Steps[0].Detail != "panic: clock failure" {
		t.Errorf("record %q/%q, steps %+v", rec.Sender, rec.MessageID, rec.Steps)
	}
	if l := logs.line(t, "SendMessage", a.session); l["status"] != "INTERNAL_ERROR" {
		t.Errorf("log line: %v", l)
	}
}

// Claimed fields too long for the log's index keys are refused as malformed and logged, not lost
// behind a GATEWAY_UNAVAILABLE; an ИИН that is not one is not indexed.
func TestOverlongKeysLogged(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	long := strings.Repeat("x", msglog.MaxKeyPart+1)
	for name, m := range map[string]msg{
		"serviceId": {sender: "smartbridge", password: "wrong", service: long},
		"messageId": {sender: "smartbridge", password: "123", service: gbdfl.ServiceID, id: long, data: gbdflData(applicantIIN)},
	} {
		a := w.send(w.signed(m, system))
		if a.code != "REQUEST_MALFORMED" {
			t.Fatalf("%s over %d bytes: %q", name, msglog.MaxKeyPart, a.code)
		}
		rec, err := w.log.BySession(ctx, a.session)
		if err != nil || rec.Status != "REQUEST_MALFORMED" || rec.Sender != msglog.Anonymous {
			t.Fatalf("%s over %d bytes, in the log: %v", name, msglog.MaxKeyPart, err)
		}
	}
	a := w.send(w.signed(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: gbdflData(strings.Repeat("9", 2000))}, system))
	if a.code == "GATEWAY_UNAVAILABLE" || a.session == "" {
		t.Fatalf("a 2,000-digit ИИН: %q", a.code)
	}
	if rec, err := w.log.BySession(ctx, a.session); err != nil || rec.IIN != "" {
		t.Fatalf("a 2,000-digit ИИН in the log: %v", err)
	}
}

// A signed document whose XML-DSig namespace is written with a character reference is still
// found and checked: the pre-filter looks for the element name, which cannot be so written.
func TestDocumentSignatureNamespaceByReference(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	doc := `<doc xmlns:ds="http://www.w3.org/2000/09/xmldsig&#35;"><v>1</v><ds:Signature><ds:SignedInfo/></ds:Signature></doc>`
	data := etree.NewElement("data")
	data.SetText(doc)
	a := w.send(w.signed(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: data}, system))
	if !strings.HasPrefix(a.code, "SIGNATURE_") {
		t.Fatalf("a bogus signature behind a referenced namespace: %q", a.code)
	}
}

// The answer of last resort parses as a SOAP fault with the code and the session, in both versions.
func TestPlainFault(t *testing.T) {
	for _, soap12 := range []bool{false, true} {
		b := gateway.PlainFault(soap12, "INTERNAL_ERROR", "{s-1}")
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(b); err != nil {
			t.Fatalf("soap12=%v: %v\n%s", soap12, err, b)
		}
		code, sid := doc.FindElement("//ErrorInfo/errorCode"), doc.FindElement("//ErrorInfo/sessionId")
		if code == nil || code.Text() != "INTERNAL_ERROR" || sid == nil || sid.Text() != "{s-1}" || doc.FindElement("//Fault") == nil {
			t.Fatalf("soap12=%v:\n%s", soap12, b)
		}
	}
}

// Data mixing elements with an escaped signed document beside them is refused, not left unchecked.
func TestMixedSignedDataRefused(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	data := gbdflData(applicantIIN)
	data.CreateText(`<doc><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></doc>`)
	if a := w.send(w.signed(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: data}, system)); a.code != "REQUEST_MALFORMED" {
		t.Fatalf("mixed data with an escaped signed document: %q", a.code)
	}
}
