package syncchannel

import (
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Element builds the SendMessageResponse element (prefix ns2 for the Types namespace).
func (r *Response) Element() *etree.Element {
	w := etree.NewElement("ns2:SendMessageResponse")
	w.CreateAttr("xmlns:ns2", NSTypes)
	resp := w.CreateElement("response")
	info := resp.CreateElement("responseInfo")
	info.CreateElement("messageId").SetText(r.Info.MessageID)
	if r.Info.CorrelationID != "" {
		info.CreateElement("correlationId").SetText(r.Info.CorrelationID)
	}
	info.CreateElement("responseDate").SetText(FormatDateTime(r.Info.ResponseDate))
	st := info.CreateElement("status")
	st.CreateElement("code").SetText(r.Info.Status.Code)
	st.CreateElement("message").SetText(truncate(r.Info.Status.Message, maxStatusMessage))
	if r.Info.SessionID != "" {
		info.CreateElement("sessionId").SetText(r.Info.SessionID)
	}
	rd := resp.CreateElement("responseData")
	if r.Data != nil {
		d := r.Data.Copy()
		d.Space, d.Tag = "", "data"
		rd.AddChild(d)
	}
	return w
}

// ParseResponse reads the SendMessageResponse in body.
func ParseResponse(body *etree.Element) (*Response, error) {
	infoEl, data, err := unwrap(body, "SendMessageResponse", "response")
	if err != nil {
		return nil, err
	}
	r := &Response{Data: data}
	s := newSeq("responseInfo", infoEl)
	if r.Info.MessageID, err = s.text("messageId", true); err != nil {
		return nil, err
	}
	if r.Info.CorrelationID, err = s.text("correlationId", false); err != nil {
		return nil, err
	}
	date, err := s.text("responseDate", true)
	if err != nil {
		return nil, err
	}
	if r.Info.ResponseDate, err = ParseDateTime(date); err != nil {
		return nil, bad("responseInfo/responseDate", "%v", err)
	}
	stEl, err := s.next("status", true)
	if err != nil {
		return nil, err
	}
	ss := newSeq("responseInfo/status", stEl)
	if r.Info.Status.Code, err = ss.text("code", true); err != nil {
		return nil, err
	}
	if r.Info.Status.Message, err = ss.text("message", true); err != nil {
		return nil, err
	}
	if err := ss.end(); err != nil {
		return nil, err
	}
	if r.Info.SessionID, err = s.text("sessionId", false); err != nil {
		return nil, err
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	return r, nil
}

// FaultElement is the name of the sync channel's fault detail element.
const FaultElement = "SendMessageFault1_SendMessageFault"

// Element builds the SendMessageFault1_SendMessageFault detail element.
func (e *ErrorInfo) Element() *etree.Element {
	w := etree.NewElement("ns2:" + FaultElement)
	w.CreateAttr("xmlns:ns2", NSTypes)
	e.fill(w)
	return w
}

func (e *ErrorInfo) fill(el *etree.Element) {
	el.CreateElement("errorCode").SetText(e.Code)
	el.CreateElement("errorMessage").SetText(e.Message)
	if e.Data != "" {
		el.CreateElement("errorData").SetText(e.Data)
	}
	date := e.Date
	if date.IsZero() {
		date = time.Now()
	}
	el.CreateElement("errorDate").SetText(FormatDateTime(date))
	if e.Sub != nil {
		e.Sub.fill(el.CreateElement("subError"))
	}
	if e.SessionID != "" {
		el.CreateElement("sessionId").SetText(e.SessionID)
	}
}

// ParseFault reads a SendMessageFault1_SendMessageFault element (the child of the fault's detail).
func ParseFault(el *etree.Element) (*ErrorInfo, error) {
	if el.Tag != FaultElement || el.NamespaceURI() != NSTypes {
		return nil, bad("detail", "expected {%s}%s, found <%s>", NSTypes, FaultElement, qname(el))
	}
	return parseErrorInfo(FaultElement, el, 0)
}

func parseErrorInfo(path string, el *etree.Element, depth int) (*ErrorInfo, error) {
	if depth > 8 {
		return nil, bad(path, "subError nested too deep")
	}
	s := newSeq(path, el)
	e := &ErrorInfo{}
	var err error
	if e.Code, err = s.text("errorCode", true); err != nil {
		return nil, err
	}
	if e.Message, err = s.text("errorMessage", true); err != nil {
		return nil, err
	}
	if e.Data, err = s.text("errorData", false); err != nil {
		return nil, err
	}
	date, err := s.text("errorDate", true)
	if err != nil {
		return nil, err
	}
	if e.Date, err = ParseDateTime(date); err != nil {
		return nil, bad(path+"/errorDate", "%v", err)
	}
	sub, err := s.next("subError", false)
	if err != nil {
		return nil, err
	}
	if sub != nil {
		if e.Sub, err = parseErrorInfo(path+"/subError", sub, depth+1); err != nil {
			return nil, err
		}
	}
	if e.SessionID, err = s.text("sessionId", false); err != nil {
		return nil, err
	}
	return e, s.end()
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
