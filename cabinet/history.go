package cabinet

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/worktime"
)

// Step is one entry of an application's timeline («История получения услуг»): what happened,
// who acted, how long it took since the step it is measured from, and the regulation's limit.
type Step struct {
	Status string `json:"status"` // submitted, received, in_progress, extended, completed, refused, delivered
	NameRU string `json:"name_ru"`
	NameKZ string `json:"name_kz"`
	// At is regulation time (the scaled clock), Real the wall clock.
	At       time.Time `json:"at"`
	Real     time.Time `json:"real,omitzero"`
	Actor    string    `json:"actor"`
	ActorIIN string    `json:"actor_iin,omitempty"`
	Note     string    `json:"note,omitempty"`
	// From names the step the duration is measured from; Took is that duration in regulation time.
	From        string        `json:"from,omitempty"`
	Took        time.Duration `json:"took_ns"`
	TookText    string        `json:"took"`
	Limit       string        `json:"limit,omitempty"`        // e.g. "1min", "10wd", "1mo"
	LimitSource string        `json:"limit_source,omitempty"` // where the limit comes from
	Deadline    time.Time     `json:"deadline,omitzero"`      // From + Limit on the working calendar
	// Within reports whether the step kept its limit (absent when there is none).
	Within *bool `json:"within,omitempty"`
}

var submittedNames = [2]string{"подано", "берілді"}

// History is the application's timeline. The limits come from the catalogue, for the service on
// the application's channel:
//   - registration («поступившие»), measured from submission: the channel's registration step,
//     else one minute (an automated hop, services.md §7.8);
//   - taken into work, from registration: the channel's «принятие в работу» step, when there is one;
//   - the result (completed or refused), from registration: the term of the service on this channel,
//     as extended, i.e. the application's deadline;
//   - delivery, from the result: the portal puts it in the личный кабинет within a minute (§7.8);
//     the ЦОН hands it over within its last step's limit.
func (s *Service) History(c *cases.Case) []Step {
	svc, _ := s.o.Catalogue.Service(c.ServiceID)
	var ch *catalogue.Channel
	if svc != nil {
		ch, _ = svc.Channel(c.Channel)
	}
	submitted := c.Submitted
	if submitted.IsZero() {
		submitted = c.Received
	}
	out := []Step{{Status: "submitted", NameRU: submittedNames[0], NameKZ: submittedNames[1], At: submitted,
		Actor: submitter(c), Note: "запрос подписан ЭЦП и направлен через ШЭП"}}
	out[0].Real = s.o.Clock.Real(submitted)
	at := map[string]time.Time{"submitted": submitted}
	if len(c.Events) > 0 {
		// The gateway received the request within the registration's own request: its wall-clock
		// time is the registration's minus the regulation time in between, unscaled.
		at["submitted/real"] = s.o.Clock.Real(submitted)
	}
	for _, e := range c.Events {
		st := Step{Status: string(e.Status), NameRU: e.Status.NameRU(), NameKZ: e.Status.NameKZ(), At: e.At, Real: e.Real,
			Actor: e.Actor, ActorIIN: e.ActorIIN, Note: e.Note}
		switch e.Action {
		case cases.ActRegister:
			l, src := stepLimit(ch, "регистрац"), "шаг регламента: регистрация"
			if l == "" {
				l, src = "1min", "автоматизированный шаг (не более 1 минуты)"
			}
			s.measure(&st, "submitted", at, l, src)
		case cases.ActTake:
			if l := stepLimit(ch, "в работу"); l != "" {
				s.measure(&st, "received", at, l, "шаг регламента: принятие в работу")
			} else {
				s.measure(&st, "received", at, "", "")
			}
		case cases.ActExtend:
			s.measure(&st, "received", at, "", "")
		case cases.ActComplete, cases.ActRefuse:
			s.measure(&st, "received", at, "", "")
			if ch != nil && ch.Total != "" {
				st.Limit, st.LimitSource = ch.Total, "срок оказания услуги (канал "+c.Channel+")"
			}
			if !c.Deadline.IsZero() {
				st.Deadline = c.Deadline
				ok := !e.At.After(c.Deadline)
				st.Within = &ok
				if hasExtension(c) {
					st.LimitSource += ", продлён"
				}
			}
			at["decided"], at["decided/real"] = e.At, e.Real
		case cases.ActDeliver:
			l, src := "1min", "доставка в личный кабинет (автоматизированный шаг)"
			if c.Channel != "portal" {
				l, src = lastStepLimit(ch), "выдача результата (последний шаг регламента)"
			}
			s.measure(&st, "decided", at, l, src)
		}
		at[string(e.Status)], at[string(e.Status)+"/real"] = e.At, e.Real
		out = append(out, st)
	}
	return out
}

func (s *Service) measure(st *Step, from string, at map[string]time.Time, limit, source string) {
	start, ok := at[from]
	if !ok {
		return
	}
	realStart := at[from+"/real"]
	st.From, st.Took = from, st.At.Sub(start)
	st.TookText = durationText(st.Took)
	if limit == "" {
		return
	}
	l, err := worktime.ParseLimit(limit)
	if err != nil {
		return
	}
	st.Limit, st.LimitSource = limit, source
	st.Deadline = s.o.Calendar.Deadline(start, l)
	ok = !st.At.After(st.Deadline)
	// A limit of minutes or hours is an operation's own duration (an automated hop, a form filled
	// in): with a scaled regulation clock a real second is many regulation minutes, so such a step
	// is measured on the wall clock when both ends were recorded.
	if d, short := clockLimit(l); short && s.o.Clock.Scaled() && !realStart.IsZero() && !st.Real.IsZero() {
		ok = st.Real.Sub(realStart) <= d
		st.LimitSource += " (по реальному времени)"
	}
	st.Within = &ok
}

// clockLimit returns the duration of a limit made only of minutes and hours.
func clockLimit(l worktime.Limit) (time.Duration, bool) {
	var d time.Duration
	for _, t := range l {
		switch t.Unit {
		case worktime.Minutes:
			d += time.Duration(t.N) * time.Minute
		case worktime.Hours:
			d += time.Duration(t.N) * time.Hour
		default:
			return 0, false
		}
	}
	return d, len(l) > 0
}

func hasExtension(c *cases.Case) bool {
	return slices.ContainsFunc(c.Events, func(e cases.Event) bool { return e.Action == cases.ActExtend })
}

// stepLimit returns the limit of the channel's first step whose Russian action mentions word.
func stepLimit(ch *catalogue.Channel, word string) string {
	if ch == nil {
		return ""
	}
	for _, st := range ch.Steps {
		if strings.Contains(strings.ToLower(st.ActionRU), word) {
			return st.Limit
		}
	}
	return ""
}

func lastStepLimit(ch *catalogue.Channel) string {
	if ch == nil || len(ch.Steps) == 0 {
		return ""
	}
	return ch.Steps[len(ch.Steps)-1].Limit
}

func submitter(c *cases.Case) string {
	switch {
	case c.OperatorIIN != "":
		return "оператор ЦОН, ИИН " + c.OperatorIIN
	case c.Represented != "":
		return "представитель, ИИН " + c.Represented
	default:
		return "услугополучатель, ИИН " + c.Applicant.IIN
	}
}

// durationText writes d in Russian units, coarsely: "45 с", "3 мин", "2 ч 5 мин", "3 дн 4 ч".
func durationText(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d с", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d мин", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d ч %d мин", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%d дн %d ч", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}

func sortNewest(as []*Application) {
	slices.SortStableFunc(as, func(a, b *Application) int { return b.Received.Compare(a.Received) })
}
