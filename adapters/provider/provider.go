// Package provider is the engine of the built-in provider systems («Рынок труда», «Е-собес», АРМ
// РШЭП): register an application, check it, decide by the service's rules or wait for a specialist,
// and issue the result signed by the provider's official, on the scaled regulation clock.
package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/adapters/worktime"
	"github.com/shep-kz/shep/gateway/application"
	"github.com/shep-kz/shep/gateway/faults"
	"github.com/shep-kz/shep/internal/stripe"
)

// Input is what rules decide on.
type Input struct {
	Case    *cases.Case
	App     *application.Application
	Service *catalogue.Service
	Now     time.Time // regulation time
	Persons gbdfl.Registry
	// Person is the applicant's ГБД ФЛ record (nil when not found).
	Person *gbdfl.Person
}

// Decision is a service's answer to an application: a result to issue, or a motivated refusal.
type Decision struct {
	Refuse bool
	Kind   results.Kind // for a positive result; default: the service's first positive result kind
	Title  string       // default: the result's name in the catalogue
	Text   string
	Facts  []results.Fact
	Reason string // the refusal's justification (Refuse)
	Basis  string
	// Effect runs once the decision is taken, before the result is issued (e.g. entering a
	// register). It must be idempotent: a crash between it and the result repeats it.
	Effect func(ctx context.Context) error
}

// Refusal is a motivated refusal with the given justification.
func Refusal(basis, format string, args ...any) *Decision {
	return &Decision{Refuse: true, Reason: fmt.Sprintf(format, args...), Basis: basis}
}

// Rules are a service's rules in a provider system. On receipt, Check (and Decide, when the system
// decides at once) see the application numbered but not yet in the register: it is committed with
// their answer.
type Rules interface {
	// Check is the provider's formal check of the package (services.md K12), done on receipt: a
	// refusal (M7) is issued at once; nil means the package is in order.
	Check(ctx context.Context, in *Input) (*Decision, error)
	// Decide is the decision on the merits, taken after the delay or by a specialist.
	Decide(ctx context.Context, in *Input) (*Decision, error)
}

// Mode is how a system decides.
type Mode string

// Modes.
const (
	Auto   Mode = "auto"   // decide on its own after DecideAfter
	Manual Mode = "manual" // wait for a specialist (admin API, CLI)
)

// Options configure a System.
type Options struct {
	Name      string // the adapter's name in the catalogue ("labour-market", "e-sobes", "rshep")
	Catalogue *catalogue.Catalogue
	Cases     *cases.Store
	Signers   Signers
	Clock     *worktime.Clock
	Calendar  *worktime.Calendar
	Persons   gbdfl.Registry
	// Rules by serviceId; Default answers the other services of the catalogue routed here.
	Rules   map[string]Rules
	Default Rules
	Mode    Mode
	// DecideAfter (Auto): a real delay ("0s": at once, in the answer to the request) or a share of
	// the service's decision limit on the regulation clock ("50%").
	DecideAfter string
	// Faults, when set, can force a refusal (fault injection for testers).
	Faults interface {
		Refusal(adapter, service string) (string, bool)
	}
	Logger *slog.Logger
}

// System is one provider system.
type System struct {
	o       Options
	delay   time.Duration
	share   float64
	mu      sync.Mutex
	base    context.Context // set by Start; nil before
	timers  map[string]timer
	gen     uint64
	running sync.WaitGroup // automatic decisions in flight
	// caseMu serialise the decisions and specialists' actions on one application, so that it is
	// decided once; different applications are decided in parallel (one lock for the whole system
	// held the result's signature and two fsyncs: a few hundred decisions a second at most).
	caseMu stripe.Mutexes
}

// New checks opts and returns the system.
func New(o Options) (*System, error) {
	if o.Name == "" || o.Catalogue == nil || o.Cases == nil || o.Signers == nil || o.Clock == nil || o.Calendar == nil || o.Persons == nil {
		return nil, errors.New("provider: Name, Catalogue, Cases, Signers, Clock, Calendar and Persons are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Mode == "" {
		o.Mode = Auto
	}
	s := &System{o: o, timers: map[string]timer{}}
	switch {
	case o.Mode == Manual:
	case strings.HasSuffix(o.DecideAfter, "%"):
		var pct float64
		if _, err := fmt.Sscanf(strings.TrimSuffix(o.DecideAfter, "%"), "%g", &pct); err != nil || pct < 0 || pct > 100 {
			return nil, fmt.Errorf("provider %s: DecideAfter %q: want 0%%..100%%", o.Name, o.DecideAfter)
		}
		s.share = pct / 100
	case o.DecideAfter == "":
		s.share = 0.5
	default:
		d, err := time.ParseDuration(o.DecideAfter)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("provider %s: DecideAfter %q: want a duration or a percentage", o.Name, o.DecideAfter)
		}
		s.delay, s.share = d, -1
	}
	if o.Mode != Auto && o.Mode != Manual {
		return nil, fmt.Errorf("provider %s: mode %q: want auto or manual", o.Name, o.Mode)
	}
	return s, nil
}

// Name returns the system's name.
func (s *System) Name() string { return s.o.Name }

func (s *System) rules(serviceID string) Rules {
	if r, ok := s.o.Rules[serviceID]; ok {
		return r
	}
	return s.o.Default
}

// Handle implements adapters.Adapter: it numbers the application, runs the formal check and, when
// the system decides at once, the decision, and registers the application («поступившие») with
// their result in one write (a decision with an effect is issued after the registration); the
// answer is the application's status with the signed result when there is one.
func (s *System) Handle(ctx context.Context, req *adapters.Request) (*adapters.Response, error) {
	svc, ok := s.o.Catalogue.Service(req.ServiceID)
	if !ok || svc.Target == nil || svc.Target.Adapter != s.o.Name {
		return nil, faults.New(faults.ServiceUnknown, "%s does not provide %q", s.o.Name, req.ServiceID)
	}
	rules := s.rules(req.ServiceID)
	if rules == nil {
		return nil, faults.New(faults.ServiceUnknown, "%s has no rules for %q", s.o.Name, req.ServiceID)
	}
	app := req.Application
	if app == nil {
		return nil, faults.New(faults.ApplicationInvalid, "%s needs a signed application document", req.ServiceID)
	}
	now := s.o.Clock.Now()
	c := &cases.Case{ServiceID: svc.ID, System: s.o.Name, Provider: svc.Provider.ID, Channel: req.Channel, SenderID: req.SenderID,
		SessionID: req.SessionID, MessageID: req.Info.MessageID, Received: now, Submitted: submitted(s.o.Clock, req.Received, now), Applicant: cases.Person{IIN: app.Applicant.IIN, Name: personName(app.Applicant)},
		Application: req.Document}
	if app.Representative != nil {
		c.Represented = app.Representative.IIN
	}
	if app.Operator != nil {
		c.OperatorIIN = app.Operator.IIN
	}
	ch, _ := svc.Channel(req.Channel)
	if ch != nil {
		total, decision := limitOf(ch.Total), limitOf(ch.Decision)
		if total != nil {
			c.Deadline = s.o.Calendar.Deadline(now, total)
		}
		if s.o.Mode == Auto {
			c.DecideAt = now
			switch {
			case s.share < 0:
				c.DecideAt = s.o.Clock.Virtual(s.o.Clock.Real(now).Add(s.delay))
			case decision != nil:
				c.DecideAt = now.Add(time.Duration(float64(s.o.Calendar.Deadline(now, decision).Sub(now)) * s.share))
			case total != nil:
				c.DecideAt = now.Add(time.Duration(float64(c.Deadline.Sub(now)) * s.share))
			}
		}
	}
	// What the system answers on receipt (the formal check's refusal, or the decision when it is
	// due at once) is worked out on the numbered application before its commit, and committed with
	// it: one write of the application instead of two.
	var (
		failure  error     // the check or decision failed: the application is registered all the same
		deferred *Decision // a decision with an effect, issued after the registration's commit
		auto     bool      // deferred is the system's own decision, not the formal check's refusal
	)
	prepare := func(ctx context.Context, reg *cases.Case) *cases.Case {
		d, in, isAuto, err := s.onReceipt(ctx, reg, svc, rules, app)
		if err != nil || d == nil {
			failure = err
			return nil
		}
		if d.Effect != nil && !d.Refuse {
			// The effect (entering a register) must not precede the application it answers.
			deferred, auto = d, isAuto
			return nil
		}
		apply, err := s.result(ctx, reg, svc, Actor{Name: s.o.Name}, d, in)
		if err == nil {
			err = apply(reg)
		}
		if err != nil {
			failure = err
			return nil
		}
		return reg
	}
	c, created, err := s.o.Cases.CreateWith(ctx, c, cases.Event{At: now, Real: time.Now(), Actor: s.o.Name, Note: "заявление зарегистрировано"}, prepare)
	if err != nil {
		return nil, fmt.Errorf("%s: register: %w", s.o.Name, err)
	}
	if !created {
		// A retry of a message whose answer was lost: the application registered then, as it is now.
		if c.Status.Open() && !c.DecideAt.IsZero() {
			s.schedule(c)
		}
		return &adapters.Response{Data: StatusData(c, svc)}, nil
	}
	// From here on the application exists: whatever fails, it stays registered and scheduled.
	defer func() {
		if c != nil && c.Status.Open() && !c.DecideAt.IsZero() {
			s.schedule(c)
		}
	}()
	log := s.o.Logger.With("system", s.o.Name, "application", c.Number, "service", c.ServiceID)
	log.InfoContext(ctx, "application registered", "deadline", c.Deadline, "decide_at", c.DecideAt)
	switch {
	case failure != nil:
		return nil, failure
	case deferred != nil:
		issued, err := s.issue(ctx, c.Number, Actor{Name: s.o.Name}, deferred, auto)
		if err != nil {
			return nil, err
		}
		c = issued
	case c.Result != nil:
		log.InfoContext(ctx, "result issued", "kind", c.Result.Kind, "result", c.Result.Number, "by", s.o.Name)
	}
	return &adapters.Response{Data: StatusData(c, svc)}, nil
}

// onReceipt is the system's answer to a new application c: the formal check's refusal, or the
// automatic decision when it is due at once (auto), or nil when the application waits; with the
// input they were taken on.
func (s *System) onReceipt(ctx context.Context, c *cases.Case, svc *catalogue.Service, rules Rules, app *application.Application) (_ *Decision, _ *Input, auto bool, _ error) {
	in, err := s.input(ctx, c, svc, app)
	if err != nil {
		return nil, nil, false, err
	}
	d, err := rules.Check(ctx, in)
	if err != nil {
		return nil, nil, false, fmt.Errorf("%s: check: %w", s.o.Name, err)
	}
	if d != nil {
		if !d.Refuse {
			return nil, nil, false, fmt.Errorf("%s: the formal check of %s returned a positive decision", s.o.Name, c.ServiceID)
		}
		return d, in, false, nil
	}
	if c.DecideAt.IsZero() || s.o.Clock.Real(c.DecideAt).After(time.Now()) {
		return nil, in, false, nil
	}
	d, err = s.decision(ctx, c, svc, in)
	return d, in, true, err
}

func personName(p application.Person) string {
	return strings.TrimSpace(strings.Join([]string{p.Surname, p.Name, p.Patronymic}, " "))
}

func limitOf(s string) worktime.Limit {
	if s == "" {
		return nil
	}
	l, err := worktime.ParseLimit(s)
	if err != nil {
		return nil // the catalogue is validated on load
	}
	return l
}

// input gathers what the rules read: app when the caller has it parsed, else the stored document.
func (s *System) input(ctx context.Context, c *cases.Case, svc *catalogue.Service, app *application.Application) (*Input, error) {
	in := &Input{Case: c, Service: svc, Now: s.o.Clock.Now(), Persons: s.o.Persons, App: app}
	if app == nil && len(c.Application) > 0 {
		app, err := ParseApplication(c.Application)
		if err != nil {
			return nil, fmt.Errorf("%s: application of %s: %w", s.o.Name, c.Number, err)
		}
		in.App = app
	}
	p, ok, err := s.o.Persons.Person(ctx, c.Applicant.IIN)
	if err != nil {
		return nil, faults.Wrap(faults.ProviderUnavailable, err, "ГБД ФЛ")
	}
	if ok {
		in.Person = p
	}
	return in, nil
}

// Start schedules the open applications the system decides on its own, and every new one, until
// ctx is done.
func (s *System) Start(ctx context.Context) error {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
	open, err := s.o.Cases.List(ctx, cases.Filter{System: s.o.Name, OpenOnly: true, Limit: 1 << 30})
	if err != nil {
		return fmt.Errorf("%s: pending applications: %w", s.o.Name, err)
	}
	for _, c := range open {
		if !c.DecideAt.IsZero() {
			s.schedule(c)
		}
	}
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for n, t := range s.timers {
			if t.t.Stop() {
				s.running.Done()
			}
			delete(s.timers, n)
		}
	})
	return nil
}

type timer struct {
	t   *time.Timer
	gen uint64
}

// retryAfter is how long a failed automatic decision waits before it is tried again.
const retryAfter = 10 * time.Second

func (s *System) schedule(c *cases.Case) { s.scheduleIn(c.Number, s.o.Clock.Until(c.DecideAt)) }

func (s *System) scheduleIn(number string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base == nil || s.base.Err() != nil {
		return // picked up by Start
	}
	if old, ok := s.timers[number]; ok {
		old.t.Stop()
	}
	s.gen++
	ctx, gen := s.base, s.gen
	s.running.Add(1)
	t := time.AfterFunc(d, func() {
		defer s.running.Done()
		s.mu.Lock()
		if cur, ok := s.timers[number]; ok && cur.gen == gen {
			delete(s.timers, number)
		}
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if _, err := s.decide(ctx, number); err != nil && ctx.Err() == nil {
			s.o.Logger.ErrorContext(ctx, "automatic decision failed; retrying", "system", s.o.Name, "application", number, "in", retryAfter, "err", err)
			s.scheduleIn(number, retryAfter)
		}
	})
	s.timers[number] = timer{t: t, gen: gen}
}

// Wait waits for the automatic decisions in flight (after the context given to Start is done).
func (s *System) Wait() {
	s.mu.Lock()
	for n, t := range s.timers {
		if t.t.Stop() {
			s.running.Done() // its callback will not run
		}
		delete(s.timers, n)
	}
	s.mu.Unlock()
	s.running.Wait()
}

func (s *System) unschedule(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.timers[number]; ok {
		if t.t.Stop() {
			s.running.Done()
		}
		delete(s.timers, number)
	}
}

// decide takes the automatic decision on an open application.
func (s *System) decide(ctx context.Context, number string) (*cases.Case, error) {
	c, err := s.o.Cases.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if !c.Status.Open() || c.DecideAt.IsZero() {
		return c, nil // a specialist took it over, or it was decided
	}
	return s.decideWith(ctx, c, Actor{Name: s.o.Name}, nil, true)
}

// decideWith runs the service's rules (or the fault injector's forced refusal) and issues the
// result; override, when set, adjusts the decision (a specialist's text and facts) or stops it.
// auto marks the system's own decision, which yields to a specialist who took the case meanwhile.
func (s *System) decideWith(ctx context.Context, c *cases.Case, by Actor, override func(*Decision) error, auto bool) (*cases.Case, error) {
	svc, ok := s.o.Catalogue.Service(c.ServiceID)
	if !ok {
		return nil, fmt.Errorf("%s: service %s left the catalogue", s.o.Name, c.ServiceID)
	}
	d, err := s.decision(ctx, c, svc, nil)
	if err != nil {
		return nil, err
	}
	if override != nil {
		if err := override(d); err != nil {
			return nil, err
		}
	}
	return s.issue(ctx, c.Number, by, d, auto)
}

// decision is the decision on the merits of c: the fault injector's forced refusal, or the
// service's rules on in (gathered here when nil).
func (s *System) decision(ctx context.Context, c *cases.Case, svc *catalogue.Service, in *Input) (*Decision, error) {
	if s.o.Faults != nil {
		if reason, ok := s.o.Faults.Refusal(s.o.Name, c.ServiceID); ok {
			return Refusal("", "%s", reason), nil
		}
	}
	if in == nil {
		var err error
		if in, err = s.input(ctx, c, svc, nil); err != nil {
			return nil, err
		}
	}
	d, err := s.rules(c.ServiceID).Decide(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("%s: decide %s: %w", s.o.Name, c.Number, err)
	}
	if d == nil {
		return nil, fmt.Errorf("%s: the rules of %s gave no decision", s.o.Name, c.ServiceID)
	}
	return d, nil
}

// issue runs the decision's effect, signs its result and records it, moving the application to
// completed or refused.
func (s *System) issue(ctx context.Context, number string, by Actor, d *Decision, auto bool) (*cases.Case, error) {
	mu := s.caseMu.For(number)
	mu.Lock()
	defer mu.Unlock()
	c, err := s.o.Cases.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if auto && (c.Status != cases.Received || c.DecideAt.IsZero()) {
		return c, nil // a specialist took it into work, or extended it, since the decision began
	}
	if !c.Status.Open() {
		return nil, fmt.Errorf("%w: %s is already %s", cases.ErrTransition, number, c.Status)
	}
	svc, ok := s.o.Catalogue.Service(c.ServiceID)
	if !ok {
		return nil, fmt.Errorf("%s: service %s left the catalogue", s.o.Name, c.ServiceID)
	}
	if d.Effect != nil && !d.Refuse {
		if err := d.Effect(ctx); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", s.o.Name, number, err)
		}
	}
	apply, err := s.result(ctx, c, svc, by, d, nil)
	if err != nil {
		return nil, err
	}
	if c, err = s.o.Cases.Update(ctx, number, apply); err != nil {
		return nil, err
	}
	s.unschedule(number)
	s.o.Logger.InfoContext(ctx, "result issued", "system", s.o.Name, "application", number, "kind", c.Result.Kind, "result", c.Result.Number, "by", by.Name)
	return c, nil
}

// result signs the result of decision d on the open application c (its effect already run) and
// returns the change that records it: the decision's event (and the delivery to the личный
// кабинет on the portal), with the signed document. in, when not nil, is the input the decision
// was just taken on, whose ГБД ФЛ record names the recipient (nil: looked up here).
func (s *System) result(ctx context.Context, c *cases.Case, svc *catalogue.Service, by Actor, d *Decision, in *Input) (func(*cases.Case) error, error) {
	signer, err := s.o.Signers.Signer(ctx, svc.Provider)
	if err != nil {
		return nil, fmt.Errorf("%s: signer of %s: %w", s.o.Name, svc.Provider.ID, err)
	}
	// The recipient as ГБД ФЛ names them (the application's spelling otherwise).
	recipient := c.Applicant.Name
	var person *gbdfl.Person
	if in != nil {
		person = in.Person
	} else if p, ok, err := s.o.Persons.Person(ctx, c.Applicant.IIN); err != nil {
		return nil, faults.Wrap(faults.ProviderUnavailable, err, "ГБД ФЛ")
	} else if ok {
		person = p
	}
	if person != nil {
		recipient = FullName(person)
	}
	if recipient == "" {
		recipient = "ИИН " + c.Applicant.IIN
	}
	now := s.o.Clock.Now()
	seq, err := s.o.Cases.NextNumber(ctx, fmt.Sprintf("%s/%d", svc.Provider.ID, now.Year()))
	if err != nil {
		return nil, err
	}
	doc := &results.Document{Number: fmt.Sprintf("%s-%d-%06d", strings.ToUpper(svc.Provider.ID), now.Year(), seq), ApplicationNumber: c.Number,
		ServiceID: svc.ID, ServiceNameRU: svc.NameRU, ServiceNameKZ: svc.NameKZ, Issued: now,
		Provider:  results.Organisation{NameRU: svc.Provider.NameRU, NameKZ: svc.Provider.NameKZ, BIN: svc.Provider.BIN},
		Recipient: results.Person{IIN: c.Applicant.IIN, Name: recipient}, Text: d.Text, Facts: d.Facts, Basis: d.Basis,
		Official: signer.Official}
	action := cases.ActComplete
	if d.Refuse {
		action, doc.Kind, doc.Reason = cases.ActRefuse, results.Refusal, d.Reason
		if r, ok := svc.Result(string(results.Refusal)); ok {
			doc.TitleRU, doc.TitleKZ = r.NameRU, r.NameKZ
		}
		if doc.Text == "" {
			doc.Text = fmt.Sprintf("По заявлению № %s об оказании государственной услуги «%s» принято решение об отказе.", c.Number, svc.NameRU)
		}
	} else {
		doc.Kind = d.Kind
		if doc.Kind == "" {
			doc.Kind = positiveKind(svc)
		}
		if r, ok := svc.Result(string(doc.Kind)); ok {
			doc.TitleRU, doc.TitleKZ = r.NameRU, r.NameKZ
		}
		if d.Title != "" {
			doc.TitleRU = d.Title
		}
	}
	if doc.Basis == "" {
		// Every result cites its ground: a refusal the Standard's grounds, any other the Standard.
		doc.Basis = "Стандарт государственной услуги «" + svc.NameRU + "»"
		if d.Refuse {
			doc.Basis = BasisGrounds
		}
	}
	signed, err := results.Sign(doc, signer.Key, signer.Cert)
	if err != nil {
		return nil, fmt.Errorf("%s: sign the result of %s: %w", s.o.Name, c.Number, err)
	}
	note := doc.TitleRU
	if d.Refuse {
		note = d.Reason
	}
	apply := func(c *cases.Case) error {
		if err := c.Apply(cases.Event{Action: action, At: now, Real: time.Now(), Actor: by.label(signer), ActorIIN: by.IIN, Note: note}); err != nil {
			return err
		}
		c.DecideAt = time.Time{}
		if c.Channel == ChannelPortal {
			// The portal puts the result into the applicant's личный кабинет at once; on the
			// other channels it waits in the queue of whoever hands it over (the ЦОН operator).
			if err := c.Apply(cases.Event{Action: cases.ActDeliver, At: now, Real: time.Now(), Actor: PortalCabinet, Note: "результат направлен в личный кабинет"}); err != nil {
				return err
			}
		}
		c.Result = &cases.Result{Kind: string(doc.Kind), Number: doc.Number, Title: doc.TitleRU, Reason: doc.Reason, Issued: now,
			OfficialIIN: signer.Official.IIN, OfficialName: signer.Official.Name, Document: signed}
		return nil
	}
	return apply, nil
}

// ChannelPortal is the catalogue's code of the portal channel, and PortalCabinet the actor that
// delivers its results.
const (
	ChannelPortal = "portal"
	PortalCabinet = "ПЭП: личный кабинет"
)

// submitted is the regulation time at which the gateway received the request (received, wall
// clock), or now when it is unknown or later than now.
func submitted(clock *worktime.Clock, received, now time.Time) time.Time {
	if received.IsZero() {
		return now
	}
	if t := clock.Virtual(received); !t.After(now) {
		return t
	}
	return now
}

func positiveKind(svc *catalogue.Service) results.Kind {
	for _, r := range svc.Results {
		if r.Kind != string(results.Refusal) {
			return results.Kind(r.Kind)
		}
	}
	return results.Notification
}

// Actor is who acts on an application: the system itself or a specialist.
type Actor struct {
	Name, IIN string
}

func (a Actor) label(s *Signer) string {
	if a.Name != "" {
		return a.Name
	}
	return s.Official.Name
}

// Take records that a specialist took the application into work; the system stops deciding it
// on its own.
func (s *System) Take(ctx context.Context, number string, by Actor) (*cases.Case, error) {
	return s.act(ctx, number, func(c *cases.Case) error {
		c.DecideAt = time.Time{}
		return c.Apply(cases.Event{Action: cases.ActTake, At: s.o.Clock.Now(), Real: time.Now(), Actor: by.Name, ActorIIN: by.IIN, Note: "принято в работу"})
	})
}

// Extend extends the application's term by l (e.g. "1mo"), with the reason the applicant is
// notified of.
func (s *System) Extend(ctx context.Context, number string, by Actor, l worktime.Limit, reason string) (*cases.Case, error) {
	if len(l) == 0 || strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%w: an extension needs a term and a reason", cases.ErrInvalid)
	}
	return s.act(ctx, number, func(c *cases.Case) error {
		base := c.Deadline
		if base.IsZero() {
			base = s.o.Clock.Now()
		}
		c.Deadline = s.o.Calendar.Deadline(base, l)
		c.DecideAt = time.Time{}
		return c.Apply(cases.Event{Action: cases.ActExtend, At: s.o.Clock.Now(), Real: time.Now(), Actor: by.Name, ActorIIN: by.IIN,
			Note: fmt.Sprintf("срок продлён на %s до %s: %s", l, c.Deadline.Format("02.01.2006 15:04"), reason)})
	})
}

func (s *System) act(ctx context.Context, number string, fn func(*cases.Case) error) (*cases.Case, error) {
	c, err := s.o.Cases.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if c.System != s.o.Name {
		return nil, fmt.Errorf("%w: %s belongs to %s", cases.ErrNotFound, number, c.System)
	}
	mu := s.caseMu.For(number)
	mu.Lock() // not while an automatic decision on it is being issued
	c, err = s.o.Cases.Update(ctx, number, fn)
	mu.Unlock()
	if err == nil {
		s.unschedule(number)
	}
	return c, err
}

// Complete issues the positive result on a specialist's decision: the service's rules give its
// content; text and facts, when given, replace theirs. When the rules find a ground for refusal
// the specialist must refuse instead (ErrRulesRefuse).
func (s *System) Complete(ctx context.Context, number string, by Actor, text string, facts []results.Fact) (*cases.Case, error) {
	c, err := s.own(ctx, number)
	if err != nil {
		return nil, err
	}
	return s.decideWith(ctx, c, by, func(d *Decision) error {
		if d.Refuse {
			return fmt.Errorf("%w: %s", ErrRulesRefuse, d.Reason)
		}
		if text != "" {
			d.Text = text
		}
		if len(facts) > 0 {
			d.Facts = facts
		}
		return nil
	}, false)
}

// ErrRulesRefuse reports that the service's rules refused where a specialist completed.
var ErrRulesRefuse = errors.New("the service's rules found a ground for refusal")

// Refuse issues a motivated refusal on a specialist's decision.
func (s *System) Refuse(ctx context.Context, number string, by Actor, reason, basis string) (*cases.Case, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%w: a refusal needs its justification", cases.ErrInvalid)
	}
	if _, err := s.own(ctx, number); err != nil {
		return nil, err
	}
	return s.issue(ctx, number, by, Refusal(basis, "%s", reason), false)
}

func (s *System) own(ctx context.Context, number string) (*cases.Case, error) {
	c, err := s.o.Cases.Get(ctx, number)
	if err != nil {
		return nil, err
	}
	if c.System != s.o.Name {
		return nil, fmt.Errorf("%w: %s belongs to %s", cases.ErrNotFound, number, c.System)
	}
	return c, nil
}

// ParseApplication reads a stored signed application document (already verified on receipt).
func ParseApplication(doc []byte) (*application.Application, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, err
	}
	return application.Parse(d.Root())
}
