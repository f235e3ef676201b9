package cabinet

import (
	"context"
	"fmt"
	"time"

	"github.com/shep-kz/shep/adapters/cases"
)

// Queued is a result waiting at the ЦОН to be handed over.
type Queued struct {
	*Application
	ApplicantIIN  string `json:"applicant_iin"`
	ApplicantName string `json:"applicant_name"`
	OperatorIIN   string `json:"operator_iin,omitempty"`
}

// Queue lists the results of channel (the ЦОН: "con") waiting to be handed over, oldest first.
func (s *Service) Queue(ctx context.Context, channel string, limit int) ([]Queued, error) {
	cs, err := s.o.Cases.AwaitingHandover(ctx, channel, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Queued, 0, len(cs))
	for _, c := range cs {
		out = append(out, Queued{Application: s.view(c, true), ApplicantIIN: c.Applicant.IIN, ApplicantName: c.Applicant.Name, OperatorIIN: c.OperatorIIN})
	}
	return out, nil
}

// Operator is who hands a result over.
type Operator struct {
	Name string `json:"name"`
	IIN  string `json:"iin"`
}

// HandOver records that the operator handed the result of application number to the applicant
// (status «выдано»). The applicant's ИИН must be given, as the operator checks the identity document.
func (s *Service) HandOver(ctx context.Context, number, applicantIIN string, by Operator) (*Application, error) {
	if by.Name == "" {
		return nil, fmt.Errorf("%w: the operator's name is required", ErrInvalid)
	}
	c, err := s.o.Cases.Get(ctx, number)
	if err != nil || c.Applicant.IIN != applicantIIN {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, number)
	}
	c, err = s.o.Cases.Update(ctx, number, func(c *cases.Case) error {
		if c.Status != cases.Completed && c.Status != cases.Refused {
			return fmt.Errorf("%w: %s is %s", ErrNotQueued, number, c.Status.NameRU())
		}
		return c.Apply(cases.Event{Action: cases.ActDeliver, At: s.o.Clock.Now(), Real: time.Now(), Actor: "ЦОН: " + by.Name, ActorIIN: by.IIN,
			Note: "результат выдан услугополучателю"})
	})
	if err != nil {
		return nil, err
	}
	s.o.Logger.InfoContext(ctx, "result handed over", "application", number, "operator", by.Name)
	return s.view(c, true), nil
}
