package syncchannel

import (
	"unicode/utf8"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// FindWrapper returns the single child of body named local in the Types namespace.
func FindWrapper(body *etree.Element, local string) (*etree.Element, error) {
	kids := children(body)
	if len(kids) != 1 {
		return nil, bad("Body", "exactly one element expected, found %d", len(kids))
	}
	w := kids[0]
	if w.Tag != local || w.NamespaceURI() != NSTypes {
		return nil, bad("Body", "expected {%s}%s, found <%s>", NSTypes, local, qname(w))
	}
	return w, nil
}

// ParseRequest reads the SendMessage in body (the SOAP Body element, as verified). It checks the
// contract's structure, cardinalities, dates and lengths; it does not judge the content (known
// sender, service, …), which is the gateway's job.
func ParseRequest(body *etree.Element) (*Request, error) {
	infoEl, data, err := unwrap(body, "SendMessage", "request")
	if err != nil {
		return nil, err
	}
	r := &Request{Data: data}
	if r.Info, err = parseRequestInfo(infoEl); err != nil {
		return nil, err
	}
	return r, nil
}

// unwrap reads the common shape of both messages, wrapper/inner/{inner}Info + {inner}Data/data?,
// and returns the info element and the data element (detached, nil when absent).
func unwrap(body *etree.Element, wrapper, inner string) (info, data *etree.Element, err error) {
	w, err := FindWrapper(body, wrapper)
	if err != nil {
		return nil, nil, err
	}
	top := newSeq(wrapper, w)
	innerEl, err := top.next(inner, true)
	if err != nil {
		return nil, nil, err
	}
	if err := top.end(); err != nil {
		return nil, nil, err
	}
	rs := newSeq(inner, innerEl)
	if info, err = rs.next(inner+"Info", true); err != nil {
		return nil, nil, err
	}
	dataWrap, err := rs.next(inner+"Data", true)
	if err != nil {
		return nil, nil, err
	}
	if err := rs.end(); err != nil {
		return nil, nil, err
	}
	ds := newSeq(inner+"Data", dataWrap)
	d, err := ds.next("data", false)
	if err != nil {
		return nil, nil, err
	}
	if err := ds.end(); err != nil {
		return nil, nil, err
	}
	if d != nil {
		if data, err = detach(d); err != nil {
			return nil, nil, bad(inner+"Data/data", "%v", err)
		}
	}
	return info, data, nil
}

func parseRequestInfo(el *etree.Element) (RequestInfo, error) {
	var ri RequestInfo
	s := newSeq("requestInfo", el)
	var err error
	if ri.MessageID, err = s.text("messageId", true); err != nil {
		return ri, err
	}
	if ri.CorrelationID, err = s.text("correlationId", false); err != nil {
		return ri, err
	}
	if ri.ServiceID, err = s.text("serviceId", true); err != nil {
		return ri, err
	}
	date, err := s.text("messageDate", true)
	if err != nil {
		return ri, err
	}
	if ri.MessageDate, err = ParseDateTime(date); err != nil {
		return ri, bad("requestInfo/messageDate", "%v", err)
	}
	if ri.RouteID, err = s.text("routeId", false); err != nil {
		return ri, err
	}
	senderEl, err := s.next("sender", true)
	if err != nil {
		return ri, err
	}
	ss := newSeq("requestInfo/sender", senderEl)
	if ri.Sender.ID, err = ss.text("senderId", true); err != nil {
		return ri, err
	}
	if ri.Sender.Password, err = ss.text("password", false); err != nil {
		return ri, err
	}
	if err := ss.end(); err != nil {
		return ri, err
	}
	for {
		p, err := s.next("properties", false)
		if err != nil {
			return ri, err
		}
		if p == nil {
			break
		}
		ps := newSeq("requestInfo/properties", p)
		var prop Property
		if prop.Key, err = ps.text("key", true); err != nil {
			return ri, err
		}
		if prop.Value, err = ps.text("value", true); err != nil {
			return ri, err
		}
		if err := ps.end(); err != nil {
			return ri, err
		}
		if utf8.RuneCountInString(prop.Key) > maxPropertyKey || utf8.RuneCountInString(prop.Value) > maxPropertyValue {
			return ri, bad("requestInfo/properties", "key over %d or value over %d characters", maxPropertyKey, maxPropertyValue)
		}
		ri.Properties = append(ri.Properties, prop)
	}
	if ri.SessionID, err = s.text("sessionId", false); err != nil {
		return ri, err
	}
	if err := s.end(); err != nil {
		return ri, err
	}
	for _, f := range []struct{ name, v string }{{"messageId", ri.MessageID}, {"serviceId", ri.ServiceID}, {"sender/senderId", ri.Sender.ID}} {
		if f.v == "" {
			return ri, bad("requestInfo/"+f.name, "must not be empty")
		}
	}
	return ri, nil
}

// detach copies el out of its document with every namespace declaration it inherits, so that it
// can be read or re-embedded on its own.
func detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(ctx, el)
}

// DataType returns the xsi:type of a data element ("" when absent), e.g. "cs:Request" or
// "xs:string", with its namespace URI resolved.
func DataType(data *etree.Element) (local, ns string) {
	if data == nil {
		return "", ""
	}
	for _, a := range data.Attr {
		if a.Key == "type" && a.NamespaceURI() == NSXSI {
			prefix, name, ok := cutPrefix(a.Value)
			if !ok {
				return a.Value, ""
			}
			uri := lookupNS(data, prefix)
			return name, uri
		}
	}
	return "", ""
}

func cutPrefix(q string) (prefix, local string, ok bool) {
	for i := 0; i < len(q); i++ {
		if q[i] == ':' {
			return q[:i], q[i+1:], true
		}
	}
	return "", q, false
}

// lookupNS resolves a prefix through the element's declarations and its ancestors'.
func lookupNS(el *etree.Element, prefix string) string {
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// IsStringData reports whether data is typed xs:string (a document carried as escaped text).
// Exclusive canonicalization drops namespace declarations used only inside attribute values, so
// in a verified element the prefix of xsi:type="xs:string" may no longer resolve: an unresolved
// prefix with the local name "string" counts too.
func IsStringData(data *etree.Element) bool {
	local, ns := DataType(data)
	return local == "string" && (ns == NSXSD || ns == "")
}

// Element builds the SendMessage element (prefix ns3 for the Types namespace, as KalkanCrypt's
// clients write it).
func (r *Request) Element() *etree.Element {
	w := etree.NewElement("ns3:SendMessage")
	w.CreateAttr("xmlns:ns3", NSTypes)
	req := w.CreateElement("request")
	info := req.CreateElement("requestInfo")
	info.CreateElement("messageId").SetText(r.Info.MessageID)
	if r.Info.CorrelationID != "" {
		info.CreateElement("correlationId").SetText(r.Info.CorrelationID)
	}
	info.CreateElement("serviceId").SetText(r.Info.ServiceID)
	info.CreateElement("messageDate").SetText(FormatDateTime(r.Info.MessageDate))
	if r.Info.RouteID != "" {
		info.CreateElement("routeId").SetText(r.Info.RouteID)
	}
	s := info.CreateElement("sender")
	s.CreateElement("senderId").SetText(r.Info.Sender.ID)
	if r.Info.Sender.Password != "" {
		s.CreateElement("password").SetText(r.Info.Sender.Password)
	}
	for _, p := range r.Info.Properties {
		pe := info.CreateElement("properties")
		pe.CreateElement("key").SetText(p.Key)
		pe.CreateElement("value").SetText(p.Value)
	}
	if r.Info.SessionID != "" {
		info.CreateElement("sessionId").SetText(r.Info.SessionID)
	}
	rd := req.CreateElement("requestData")
	if r.Data != nil {
		d := r.Data.Copy()
		d.Space, d.Tag = "", "data"
		rd.AddChild(d)
	}
	return w
}

// StringData builds a data element carrying doc as escaped text (xsi:type="xs:string").
func StringData(doc string) *etree.Element {
	d := etree.NewElement("data")
	d.CreateAttr("xmlns:xsi", NSXSI)
	d.CreateAttr("xmlns:xs", NSXSD)
	d.CreateAttr("xsi:type", "xs:string")
	d.SetText(doc)
	return d
}
