package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Kind is what became of a request.
type Kind int

// Outcomes.
const (
	Success Kind = iota // SendMessageResponse with status SCSS001
	Refusal             // a SOAP fault with the gateway's ErrorInfo errorCode
	Failure             // a transport error, an HTTP error without a SOAP fault, or an unreadable answer
)

// Outcome classifies one answer.
type Outcome struct {
	Kind Kind
	// Code is the errorCode of a Refusal, the kind of a Failure ("HTTP 503", "transport: timeout",
	// …), empty for a Success.
	Code string
	// AppStatus is the application's status in a Success answer to an application
	// (c:ApplicationStatus: received, completed, refused, …), empty otherwise.
	AppStatus string
}

// Decided reports whether the answer carries the provider's decision: the new application's
// status is final (completed, refused, or delivered to the applicant's cabinet), so its result
// document was signed while the request was processed.
func (o Outcome) Decided() bool {
	return o.AppStatus == "completed" || o.AppStatus == "refused" || o.AppStatus == "delivered"
}

// Classify reads an answer without parsing the XML or verifying its signature (the client's CPU is
// not what is measured): the fault's first errorCode, or the response's status code and the
// application status. err is the transport error of the exchange, if any.
func Classify(status int, body []byte, err error) Outcome {
	if err != nil {
		return Outcome{Kind: Failure, Code: "transport: " + transportKind(err)}
	}
	if code, ok := element(body, "errorCode"); ok && bytes.Contains(body, []byte("SendMessageFault1_SendMessageFault")) {
		if code == "" {
			code = "(empty errorCode)"
		}
		return Outcome{Kind: Refusal, Code: code}
	}
	if status != 200 {
		return Outcome{Kind: Failure, Code: fmt.Sprintf("HTTP %d", status)}
	}
	i := bytes.Index(body, []byte("SendMessageResponse"))
	if i < 0 {
		return Outcome{Kind: Failure, Code: "unreadable answer"}
	}
	st := bytes.Index(body[i:], []byte("<status>"))
	if st < 0 {
		return Outcome{Kind: Failure, Code: "unreadable answer"}
	}
	code, _ := element(body[i+st:], "code")
	if code != "SCSS001" {
		return Outcome{Kind: Failure, Code: "status " + code}
	}
	return Outcome{Kind: Success, AppStatus: attr(body, "status code=\"")}
}

// element returns the text of the first <name>…</name> (unprefixed, as the contract has it).
func element(b []byte, name string) (string, bool) {
	open := []byte("<" + name + ">")
	i := bytes.Index(b, open)
	if i < 0 {
		return "", false
	}
	rest := b[i+len(open):]
	j := bytes.Index(rest, []byte("</"+name+">"))
	if j < 0 {
		return "", false
	}
	return string(bytes.TrimSpace(rest[:j])), true
}

// attr returns the value after the first occurrence of prefix (which ends with `="`).
func attr(b []byte, prefix string) string {
	i := bytes.Index(b, []byte(prefix))
	if i < 0 {
		return ""
	}
	rest := b[i+len(prefix):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 64 {
		return ""
	}
	return string(rest[:j])
}

// transportKind names a transport error briefly.
func transportKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op
	}
	return "error"
}
