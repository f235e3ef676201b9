// Package syncchannel reads and writes the messages of ШЭП's SyncChannel v10 contract:
// SendMessage requests, SendMessageResponse answers and SendMessageFault1_SendMessageFault errors.
//
// Only the wrapper elements are namespace-qualified; their children are unqualified, as the
// contract's schemas (no elementFormDefault) and real traffic have them.
package syncchannel

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Namespaces of the contract.
const (
	NSTypes      = "http://bip.bee.kz/SyncChannel/v10/Types"
	NSInterfaces = "http://bip.bee.kz/SyncChannel/v10/Interfaces"
	NSXSI        = "http://www.w3.org/2001/XMLSchema-instance"
	NSXSD        = "http://www.w3.org/2001/XMLSchema"
)

// StatusSuccess is the status code of a processed message.
const (
	StatusSuccess        = "SCSS001"
	StatusSuccessMessage = "Message has been processed successfully"
)

// Property is an agreed key/value (key ≤ 30, value ≤ 500 characters).
type Property struct{ Key, Value string }

// Sender identifies the sending system.
type Sender struct{ ID, Password string }

// RequestInfo is SyncMessageInfo.
type RequestInfo struct {
	MessageID     string
	CorrelationID string
	ServiceID     string
	MessageDate   time.Time
	RouteID       string
	Sender        Sender
	Properties    []Property
	SessionID     string // filled by ШЭП; senders leave it empty
}

// Request is a SendMessage.
type Request struct {
	Info RequestInfo
	// Data is requestData/data (nil when absent), detached from the message with the namespace
	// declarations it uses; its xsi:type says how to read it (typed XML or an escaped document).
	Data *etree.Element
}

// Status is StatusInfo.
type Status struct{ Code, Message string }

// ResponseInfo is SyncMessageInfoResponse.
type ResponseInfo struct {
	MessageID     string
	CorrelationID string
	ResponseDate  time.Time
	Status        Status
	SessionID     string
}

// Response is a SendMessageResponse.
type Response struct {
	Info ResponseInfo
	Data *etree.Element // responseData/data, or nil
}

// ErrorInfo is the fault detail of every operation.
type ErrorInfo struct {
	Code, Message, Data string
	Date                time.Time
	Sub                 *ErrorInfo
	SessionID           string
}

// Limits of the contract's simple types.
const (
	maxPropertyKey   = 30
	maxPropertyValue = 500
	maxStatusMessage = 250
)

// FormatError describes a message that does not follow the contract. Field names the element.
type FormatError struct {
	Field string
	Msg   string
}

func (e *FormatError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Msg) }

// ErrFormat is wrapped by every *FormatError (errors.Is).
var ErrFormat = errors.New("message does not follow the SyncChannel contract")

func (e *FormatError) Unwrap() error { return ErrFormat }

func bad(field, format string, args ...any) error {
	return &FormatError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var guid = regexp.MustCompile(`^\{[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}\}$`)

// ValidSessionID reports whether s has the contract's guid form, "{uuid}".
func ValidSessionID(s string) bool { return guid.MatchString(s) }

// children returns the element children of el.
func children(el *etree.Element) []*etree.Element { return el.ChildElements() }

// unqualified reports whether el is an unqualified child named local. KalkanCrypt-era clients
// qualify data with the Interfaces namespace (<ns4:data xmlns:ns4=".../Interfaces">, as in real
// traffic); that spelling is accepted too.
func unqualified(el *etree.Element, local string) bool {
	if el.Tag != local {
		return false
	}
	ns := el.NamespaceURI()
	return ns == "" || local == "data" && ns == NSInterfaces
}

// seq walks a parent's children in schema order.
type seq struct {
	path string
	kids []*etree.Element
	i    int
}

func newSeq(path string, el *etree.Element) *seq { return &seq{path: path, kids: children(el)} }

// next returns the next child if it is named local (nil otherwise); required children that are
// missing are an error.
func (s *seq) next(local string, required bool) (*etree.Element, error) {
	if s.i < len(s.kids) && unqualified(s.kids[s.i], local) {
		s.i++
		return s.kids[s.i-1], nil
	}
	if required {
		found := "nothing"
		if s.i < len(s.kids) {
			found = "<" + qname(s.kids[s.i]) + ">"
		}
		return nil, bad(s.path+"/"+local, "required element missing (found %s)", found)
	}
	return nil, nil
}

// text returns the text of the next child named local, or "" when it is optional and absent.
func (s *seq) text(local string, required bool) (string, error) {
	el, err := s.next(local, required)
	if err != nil || el == nil {
		return "", err
	}
	if len(el.ChildElements()) > 0 {
		return "", bad(s.path+"/"+local, "simple content expected, found child elements")
	}
	return strings.TrimSpace(el.Text()), nil
}

// end fails if unexpected children remain.
func (s *seq) end() error {
	if s.i < len(s.kids) {
		return bad(s.path, "unexpected element <%s>", qname(s.kids[s.i]))
	}
	return nil
}

func qname(el *etree.Element) string {
	if ns := el.NamespaceURI(); ns != "" {
		return "{" + ns + "}" + el.Tag
	}
	return el.Tag
}

// ParseDateTime reads an xsd:dateTime; a value without a zone is taken as UTC.
func ParseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an xsd:dateTime", s)
}

// FormatDateTime writes an xsd:dateTime with milliseconds and the zone offset, as ШЭП does.
func FormatDateTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }
