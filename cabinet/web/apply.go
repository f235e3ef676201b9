package web

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/cabinet"
	"github.com/shep-kz/shep/cabinet/accounts"
	"github.com/shep-kz/shep/cabinet/portal"
)

type serviceRow struct{ ID, Name, Provider string }

// applyList lists the services that can be applied for on the portal.
func (s *Site) applyList(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	l := lang(w, r)
	var rows []serviceRow
	for _, svc := range s.o.Portal.Services() {
		rows = append(rows, serviceRow{ID: svc.ID, Name: pick(l, [2]string{svc.NameRU, svc.NameKZ}), Provider: pick(l, [2]string{svc.Provider.NameRU, svc.Provider.NameKZ})})
	}
	s.render(w, r, http.StatusOK, "apply_list", &view{Lang: l, Title: "apply.title", Sess: sess, Nav: "apply", Data: rows})
}

type fieldRow struct {
	Name, Label, Kind, Value string
	Required, Checked        bool
}

type attachmentRow struct {
	Type, Label string
	Required    bool
}

type formData struct {
	ID, Name, Provider, Phone string
	Fields                    []fieldRow
	Attachments               []attachmentRow
}

// portalService returns the service id when it can be applied for on the portal.
func (s *Site) portalService(id string) (*catalogue.Service, bool) {
	for _, svc := range s.o.Portal.Services() {
		if svc.ID == id {
			return svc, true
		}
	}
	return nil, false
}

// form is the service's form in lang, filled with values (nil: empty; the phone from the account).
func (s *Site) form(r *http.Request, l string, svc *catalogue.Service, sess *accounts.Session, values map[string]string, phone string) formData {
	spec := portal.FormOf(svc.ID)
	f := formData{ID: svc.ID, Name: pick(l, [2]string{svc.NameRU, svc.NameKZ}), Provider: pick(l, [2]string{svc.Provider.NameRU, svc.Provider.NameKZ}), Phone: phone}
	if values == nil {
		if acc, err := s.o.Accounts.Account(r.Context(), sess.IIN); err == nil {
			f.Phone = acc.Phone
		}
	}
	for _, fs := range spec.Fields {
		v := values[fs.Name]
		f.Fields = append(f.Fields, fieldRow{Name: fs.Name, Label: pick(l, [2]string{fs.LabelRU, fs.LabelKZ}), Kind: fs.Kind, Value: v,
			Required: fs.Required, Checked: fs.Kind == "checkbox" && v == "true"})
	}
	for _, a := range spec.Attachments {
		f.Attachments = append(f.Attachments, attachmentRow{Type: a.Type, Label: pick(l, [2]string{a.LabelRU, a.LabelKZ}), Required: a.Required})
	}
	return f
}

func (s *Site) applyForm(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	svc, ok := s.portalService(mux.Vars(r)["service"])
	if !ok {
		s.fail(w, r, sess, http.StatusNotFound, "SERVICE_NOT_ON_PORTAL")
		return
	}
	l := lang(w, r)
	s.render(w, r, http.StatusOK, "apply_form", &view{Lang: l, Title: "apply.title", Sess: sess, Nav: "apply", Data: s.form(r, l, svc, sess, nil, "")})
}

// applyPost submits the form through the portal: the application is signed for the citizen and
// sent through the gateway. Accepted: to the application's page with a flash; refused: the form
// again with the gateway's code and message.
func (s *Site) applyPost(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	svc, ok := s.portalService(mux.Vars(r)["service"])
	if !ok {
		s.fail(w, r, sess, http.StatusNotFound, "SERVICE_NOT_ON_PORTAL")
		return
	}
	l := lang(w, r)
	spec := portal.FormOf(svc.ID)
	in := portal.Form{ServiceID: svc.ID, Phone: strings.TrimSpace(r.PostForm.Get("phone")), Fields: map[string]string{}}
	for _, fs := range spec.Fields {
		v := strings.TrimSpace(r.PostForm.Get(fs.Name))
		if fs.Kind == "checkbox" {
			if v != "" {
				v = "true"
			}
		}
		if v != "" {
			in.Fields[fs.Name] = v
		}
	}
	again := func(status int, ref *refusal) {
		s.render(w, r, status, "apply_form", &view{Lang: l, Title: "apply.title", Sess: sess, Nav: "apply", Error: ref,
			Data: s.form(r, l, svc, sess, in.Fields, in.Phone)})
	}
	for _, a := range spec.Attachments {
		att, err := attachment(r, a.Type)
		if err != nil {
			again(http.StatusBadRequest, codeRefusal(l, "REQUEST_INVALID"))
			return
		}
		if att != nil {
			in.Attachments = append(in.Attachments, *att)
		}
	}
	for _, a := range spec.Attachments {
		if a.Required && !hasAttachment(in.Attachments, a.Type) {
			ref := codeRefusal(l, "FORM_INCOMPLETE")
			ref.Detail = pick(l, [2]string{a.LabelRU, a.LabelKZ})
			again(http.StatusBadRequest, ref)
			return
		}
	}
	for _, fs := range spec.Fields {
		if fs.Required && in.Fields[fs.Name] == "" {
			ref := codeRefusal(l, "FORM_INCOMPLETE")
			ref.Detail = pick(l, [2]string{fs.LabelRU, fs.LabelKZ})
			again(http.StatusBadRequest, ref)
			return
		}
	}
	out, err := s.o.Portal.Submit(r.Context(), sess.IIN, in)
	switch {
	case errors.Is(err, portal.ErrService):
		s.fail(w, r, sess, http.StatusNotFound, "SERVICE_NOT_ON_PORTAL")
	case errors.Is(err, portal.ErrForm):
		again(http.StatusBadRequest, codeRefusal(l, "FORM_INCOMPLETE"))
	case errors.Is(err, portal.ErrPerson):
		again(http.StatusForbidden, codeRefusal(l, "PERSON_CANNOT_SIGN"))
	case err != nil:
		s.log.ErrorContext(r.Context(), "web: submit", "service", svc.ID, "iin", sess.IIN, "err", err)
		again(http.StatusBadGateway, codeRefusal(l, "SUBMIT_FAILED"))
	case !out.OK || out.Number == "":
		ref := &refusal{Code: out.Code, Text: tr(l, "err.GATEWAY_REFUSED"), Detail: out.Message}
		if ref.Code == "" {
			ref.Code = "GATEWAY_REFUSED"
		}
		s.log.InfoContext(r.Context(), "web: application refused", "service", svc.ID, "code", out.Code, "message", out.Message)
		again(http.StatusUnprocessableEntity, ref)
	default:
		s.log.InfoContext(r.Context(), "web: application accepted", "service", svc.ID, "number", out.Number)
		setFlash(w, r, "accepted:"+out.Number)
		http.Redirect(w, r, "/cabinet/applications/"+out.Number, http.StatusSeeOther)
	}
}

// attachment reads the uploaded file of an attachment type, nil when none was chosen.
func attachment(r *http.Request, typ string) (*portal.Attachment, error) {
	f, h, err := r.FormFile("att-" + typ)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxUpload))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	name := filepath.Base(strings.ReplaceAll(h.Filename, `\`, "/"))
	mt := h.Header.Get("Content-Type")
	if m, _, err := mime.ParseMediaType(mt); err == nil {
		mt = m
	} else {
		mt = http.DetectContentType(b)
		if m, _, err := mime.ParseMediaType(mt); err == nil {
			mt = m
		}
	}
	return &portal.Attachment{Type: typ, Name: name, MediaType: mt, Content: b}, nil
}

func hasAttachment(as []portal.Attachment, typ string) bool {
	for _, a := range as {
		if a.Type == typ {
			return true
		}
	}
	return false
}

type scaleItem struct {
	Value int
	Text  string
}

type indicatorRow struct {
	ID, Name                                               string
	Registered, Completed, Refused, OnTime, Late, Extended int64
	Delivered, Answers                                     int64
	SLA, Quality, Information, Accessibility               string
	Q1, Q2                                                 [3]int64
}

type operatorData struct {
	Rows      []indicatorRow
	Questions []string
	Scale     []scaleItem
}

func percent(v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", *v*100)
}

// operator shows the quality and accessibility indicators of every service.
func (s *Site) operator(w http.ResponseWriter, r *http.Request, sess *accounts.Session) {
	ins, err := s.o.Cabinet.Indicators(r.Context())
	if err != nil {
		s.cabinetFail(w, r, sess, err)
		return
	}
	l := lang(w, r)
	d := operatorData{}
	for _, in := range ins {
		name := pick(l, [2]string{in.NameRU, in.NameKZ})
		d.Rows = append(d.Rows, indicatorRow{ID: in.ServiceID, Name: name, Registered: in.Registered, Completed: in.Completed, Refused: in.Refused,
			OnTime: in.OnTime, Late: in.Late, Extended: in.Extended, Delivered: in.Delivered, Answers: in.Answers,
			SLA: percent(in.SLA), Quality: percent(in.Quality), Information: percent(in.Information), Accessibility: percent(in.Accessibility),
			Q1: in.Survey.Quality, Q2: in.Survey.Information})
	}
	for _, q := range cabinet.Questions {
		d.Questions = append(d.Questions, pick(l, q))
	}
	for i, a := range cabinet.Answers {
		d.Scale = append(d.Scale, scaleItem{Value: i + 1, Text: pick(l, a)})
	}
	nav := "operator"
	s.render(w, r, http.StatusOK, "operator", &view{Lang: l, Title: "operator.title", Sess: sess, Nav: nav, Data: d})
}
