// Package cabinet is the личный кабинет: a person's applications with their status history
// against the regulation's limits, notifications, results with their signature verdict, the ЦОН's
// queue of results to hand over, and the quality survey with the indicators it adds up to.
//
// Every read is by the applicant's ИИН: an application of anyone else is reported as not found,
// whoever asks. Citizens reach it through the session-protected API (Routes); testers and admins
// through the token-protected one (AdminRoutes).
package cabinet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/worktime"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

// ResultChecker verifies a result's enveloped signature and its signer's certificate
// (*signing.Checker).
type ResultChecker interface {
	CheckEnveloped(ctx context.Context, doc []byte, at time.Time) (*signing.Result, error)
}

// Options configure a Service.
type Options struct {
	DB        *store.DB // survey answers and notifications read (key tag 'q')
	Cases     *cases.Store
	Catalogue *catalogue.Catalogue
	Clock     *worktime.Clock
	Calendar  *worktime.Calendar
	Checker   ResultChecker
	Logger    *slog.Logger
}

// Service is the личный кабинет. It is safe for concurrent use.
type Service struct {
	o Options
}

// Errors.
var (
	ErrNotFound     = errors.New("cabinet: no such application")
	ErrNoResult     = errors.New("cabinet: no result issued yet")
	ErrSurveyClosed = errors.New("cabinet: the survey opens when the result is issued")
	ErrSurveyDone   = errors.New("cabinet: the survey was already answered")
	ErrInvalid      = errors.New("cabinet: invalid")
	ErrNotQueued    = errors.New("cabinet: the result is not waiting to be handed over")
)

// New checks o and returns the Service.
func New(o Options) (*Service, error) {
	if o.DB == nil || o.Cases == nil || o.Catalogue == nil || o.Clock == nil || o.Calendar == nil || o.Checker == nil {
		return nil, errors.New("cabinet: DB, Cases, Catalogue, Clock, Calendar and Checker are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{o: o}, nil
}

// own returns the application if it is iin's; anybody else's is ErrNotFound, as is a missing one.
func (s *Service) own(ctx context.Context, iin, number string) (*cases.Case, error) {
	c, err := s.o.Cases.Get(ctx, number)
	if errors.Is(err, cases.ErrNotFound) || (err == nil && c.Applicant.IIN != iin) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, number)
	}
	return c, err
}

// Application is an application as the cabinet lists it.
type Application struct {
	Number    string       `json:"number"`
	ServiceID string       `json:"service_id"`
	ServiceRU string       `json:"service_ru"`
	ServiceKZ string       `json:"service_kz"`
	Provider  string       `json:"provider_ru"`
	Channel   string       `json:"channel"`
	ChannelRU string       `json:"channel_ru"`
	ChannelKZ string       `json:"channel_kz"`
	Status    cases.Status `json:"status"`
	StatusRU  string       `json:"status_ru"`
	StatusKZ  string       `json:"status_kz"`
	Submitted time.Time    `json:"submitted"`
	Received  time.Time    `json:"received"`
	Deadline  time.Time    `json:"deadline,omitzero"`
	Overdue   bool         `json:"overdue"`
	// Representative is set when a representative applied on the applicant's behalf.
	Representative string      `json:"representative_iin,omitempty"`
	Result         *ResultInfo `json:"result,omitempty"`
	// SurveyOpen: the result is issued and the quality survey not answered yet.
	SurveyOpen bool `json:"survey_open"`
}

// ResultInfo describes an issued result without its document.
type ResultInfo struct {
	Kind         string    `json:"kind"`
	Positive     bool      `json:"positive"`
	Number       string    `json:"number"`
	Title        string    `json:"title"`
	Reason       string    `json:"reason,omitempty"`
	Issued       time.Time `json:"issued"`
	OfficialName string    `json:"official_name"`
	// Where it was delivered: the личный кабинет, or the ЦОН that hands it over.
	Delivered   bool   `json:"delivered"`
	DeliveredTo string `json:"delivered_to,omitempty"`
}

var channelNames = map[string][2]string{
	"portal":   {"Портал электронного правительства", "Электрондық үкімет порталы"},
	"con":      {"Госкорпорация (ЦОН)", "Мемлекеттік корпорация (ХҚКО)"},
	"provider": {"Услугодатель", "Көрсетілетін қызметті беруші"},
	"akim":     {"Аким", "Әкім"},
	"centre":   {"Центр", "Орталық"},
}

func (s *Service) view(c *cases.Case, surveyed bool) *Application {
	a := &Application{Number: c.Number, ServiceID: c.ServiceID, Channel: c.Channel, Status: c.Status,
		StatusRU: c.Status.NameRU(), StatusKZ: c.Status.NameKZ(), Submitted: c.Submitted, Received: c.Received,
		Deadline: c.Deadline, Overdue: c.Overdue(s.o.Clock.Now()), Representative: c.Represented}
	if a.Submitted.IsZero() {
		a.Submitted = c.Received
	}
	if svc, ok := s.o.Catalogue.Service(c.ServiceID); ok {
		a.ServiceRU, a.ServiceKZ, a.Provider = svc.NameRU, svc.NameKZ, svc.Provider.NameRU
	}
	n := channelNames[c.Channel]
	a.ChannelRU, a.ChannelKZ = n[0], n[1]
	if r := c.Result; r != nil {
		a.Result = &ResultInfo{Kind: r.Kind, Positive: r.Kind != "refusal", Number: r.Number, Title: r.Title, Reason: r.Reason,
			Issued: r.Issued, OfficialName: r.OfficialName, Delivered: c.Status == cases.Delivered}
		for _, e := range c.Events {
			if e.Action == cases.ActDeliver {
				a.Result.DeliveredTo = e.Actor
			}
		}
		a.SurveyOpen = !surveyed
	}
	return a
}

// Applications lists iin's applications, newest first.
func (s *Service) Applications(ctx context.Context, iin string) ([]*Application, error) {
	cs, err := s.o.Cases.List(ctx, cases.Filter{ApplicantIIN: iin, Limit: 10000})
	if err != nil {
		return nil, err
	}
	done, err := s.surveyed(ctx, cs)
	if err != nil {
		return nil, err
	}
	out := make([]*Application, 0, len(cs))
	for i := len(cs) - 1; i >= 0; i-- {
		out = append(out, s.view(cs[i], done[cs[i].Number]))
	}
	sortNewest(out)
	return out, nil
}

// Detail is one application with its timeline.
type Detail struct {
	*Application
	History []Step    `json:"history"`
	Survey  *Answer   `json:"survey,omitempty"`
	Now     time.Time `json:"now"` // regulation time of the answer
}

// Application returns iin's application number with its history.
func (s *Service) Application(ctx context.Context, iin, number string) (*Detail, error) {
	c, err := s.own(ctx, iin, number)
	if err != nil {
		return nil, err
	}
	ans, err := s.answer(ctx, number)
	if err != nil {
		return nil, err
	}
	return &Detail{Application: s.view(c, ans != nil), History: s.History(c), Survey: ans, Now: s.o.Clock.Now()}, nil
}
