package provider

import (
	"context"
	"errors"
	"strings"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/gateway/syncchannel"
)

// NSStatus is the namespace of the application status carried in responseData/data.
const NSStatus = "urn:shep:case:1.0"

// StatusServiceID is the gateway's service that answers an application's status (and its
// result, once issued) to the sender that submitted it.
const StatusServiceID = "SHEP_ApplicationStatus"

// StatusData renders the application's status as typed data (xsi:type c:ApplicationStatus): the
// number, status in Russian and Kazakh, regulation times, the timeline and, once issued, the
// signed result carried as an escaped string (so that its bytes, and its signature, stay intact).
func StatusData(c *cases.Case, svc *catalogue.Service) *etree.Element {
	d := etree.NewElement("data")
	d.CreateAttr("xmlns:xsi", syncchannel.NSXSI)
	d.CreateAttr("xmlns:c", NSStatus)
	d.CreateAttr("xsi:type", "c:ApplicationStatus")
	d.CreateElement("c:applicationNumber").SetText(c.Number)
	d.CreateElement("c:serviceId").SetText(c.ServiceID)
	if svc != nil {
		d.CreateElement("c:serviceName").SetText(svc.NameRU)
		d.CreateElement("c:provider").SetText(svc.Provider.NameRU)
	}
	d.CreateElement("c:system").SetText(c.System)
	st := d.CreateElement("c:status")
	st.CreateAttr("code", string(c.Status))
	st.CreateAttr("nameKz", c.Status.NameKZ())
	st.SetText(c.Status.NameRU())
	d.CreateElement("c:registered").SetText(syncchannel.FormatDateTime(c.Received))
	if !c.Deadline.IsZero() {
		d.CreateElement("c:deadline").SetText(syncchannel.FormatDateTime(c.Deadline))
	}
	tl := d.CreateElement("c:timeline")
	for _, e := range c.Events {
		ev := tl.CreateElement("c:event")
		ev.CreateAttr("action", string(e.Action))
		ev.CreateAttr("status", string(e.Status))
		ev.CreateAttr("at", syncchannel.FormatDateTime(e.At))
		ev.CreateAttr("actor", e.Actor)
		if e.Note != "" {
			ev.SetText(e.Note)
		}
	}
	if r := c.Result; r != nil {
		re := d.CreateElement("c:result")
		re.CreateAttr("kind", r.Kind)
		re.CreateAttr("number", r.Number)
		if r.Reason != "" {
			re.CreateElement("c:reason").SetText(r.Reason)
		}
		re.CreateElement("c:document").SetText(string(r.Document))
	}
	return d
}

// StatusAdapter answers SHEP_ApplicationStatus: data holds applicationNumber and iin, the ИИН of
// the person asking (as the sender authenticated them: the citizen logged in to the portal, the
// applicant at the ЦОН counter). It must be the applicant's or the representative's; the sender must
// be the one that submitted the application, or the portal (the citizen's «История получения
// услуг» shows applications of every channel).
type StatusAdapter struct {
	Cases     *cases.Store
	Catalogue *catalogue.Catalogue
}

// Handle implements adapters.Adapter.
func (a *StatusAdapter) Handle(ctx context.Context, req *adapters.Request) (*adapters.Response, error) {
	var number, iin string
	if req.Data != nil {
		if el := req.Data.SelectElement("applicationNumber"); el != nil {
			number = strings.TrimSpace(el.Text())
		}
		if el := req.Data.SelectElement("iin"); el != nil {
			iin = strings.TrimSpace(el.Text())
		}
	}
	if number == "" || iin == "" {
		return nil, faults.New(faults.RequestMalformed, "%s needs data/applicationNumber and data/iin", StatusServiceID)
	}
	c, err := a.Cases.Get(ctx, number)
	switch {
	case errors.Is(err, cases.ErrNotFound) || err == nil && (iin != c.Applicant.IIN && iin != c.Represented ||
		c.SenderID != req.SenderID && req.Channel != "portal"):
		// Another sender's application is answered as unknown: its existence is not disclosed.
		return nil, faults.New(faults.ApplicationNotFound, "application %q", number)
	case err != nil:
		return nil, err
	}
	svc, _ := a.Catalogue.Service(c.ServiceID)
	return &adapters.Response{Data: StatusData(c, svc)}, nil
}
