package cabinet

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters/cases"
)

// Notification is one «Уведомление»: every status change of an application makes one. They are
// derived from the applications' timelines, so none is ever lost or duplicated; only whether the
// person has read it is stored.
type Notification struct {
	ID          string       `json:"id"` // application number "#" event index
	Application string       `json:"application"`
	ServiceID   string       `json:"service_id"`
	Status      cases.Status `json:"status"`
	At          time.Time    `json:"at"`
	TextRU      string       `json:"text_ru"`
	TextKZ      string       `json:"text_kz"`
	Read        bool         `json:"read"`
}

// Key layout (tag 'q'):
//
//	q 0x00 iin 0x00 notificationID   → empty (read)
//	q 0x01 number                    → Answer (JSON): the survey of an application
//	q 0x02 service 0x00 shard        → SurveyStats (JSON), summed by Indicators
func readKey(iin, id string) []byte {
	return append(append(append([]byte("q\x00"), iin...), 0), id...)
}

func notificationID(number string, i int) string { return number + "#" + strconv.Itoa(i) }

// Notifications returns iin's notifications, newest first (at most limit; 0: all).
func (s *Service) Notifications(ctx context.Context, iin string, unreadOnly bool, limit int) ([]Notification, error) {
	cs, err := s.o.Cases.List(ctx, cases.Filter{ApplicantIIN: iin, Limit: 10000})
	if err != nil {
		return nil, err
	}
	var out []Notification
	err = s.o.DB.View(func(txn *badger.Txn) error {
		for _, c := range cs {
			for i, e := range c.Events {
				n := s.notification(c, i, e)
				if _, err := txn.Get(readKey(iin, n.ID)); err == nil {
					n.Read = true
				} else if err != badger.ErrKeyNotFound {
					return err
				}
				if unreadOnly && n.Read {
					continue
				}
				out = append(out, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Notification) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *Service) notification(c *cases.Case, i int, e cases.Event) Notification {
	nameRU, nameKZ := c.ServiceID, c.ServiceID
	if svc, ok := s.o.Catalogue.Service(c.ServiceID); ok {
		nameRU, nameKZ = svc.NameRU, svc.NameKZ
	}
	n := Notification{ID: notificationID(c.Number, i), Application: c.Number, ServiceID: c.ServiceID, Status: e.Status, At: e.At}
	ru := fmt.Sprintf("Заявление № %s на услугу «%s»: ", c.Number, nameRU)
	kz := fmt.Sprintf("«%s» қызметіне № %s өтініш: ", nameKZ, c.Number)
	switch e.Action {
	case cases.ActRegister:
		ru += "зарегистрировано, статус «поступившие»."
		kz += "тіркелді, мәртебесі «түскен»."
	case cases.ActTake:
		ru += "принято в работу."
		kz += "жұмысқа қабылданды."
	case cases.ActExtend:
		ru += "срок оказания услуги продлён."
		kz += "қызмет көрсету мерзімі ұзартылды."
	case cases.ActComplete:
		ru += "исполнено, результат готов."
		kz += "орындалды, нәтиже дайын."
	case cases.ActRefuse:
		ru += "исполнено: мотивированный отказ."
		kz += "орындалды: дәлелді бас тарту."
	case cases.ActDeliver:
		if c.Channel == "portal" {
			ru += "результат направлен в личный кабинет."
			kz += "нәтиже жеке кабинетке жіберілді."
		} else {
			ru += "результат выдан."
			kz += "нәтиже берілді."
		}
	}
	if e.Note != "" && (e.Action == cases.ActRefuse || e.Action == cases.ActExtend) {
		ru += " " + e.Note
	}
	n.TextRU, n.TextKZ = ru, kz
	return n
}

// MarkRead marks iin's notifications ids (all of them when ids is empty) as read. Ids of other
// people's applications are ignored.
func (s *Service) MarkRead(ctx context.Context, iin string, ids []string) (int, error) {
	ns, err := s.Notifications(ctx, iin, true, 0)
	if err != nil {
		return 0, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	marked := 0
	err = s.o.DB.Update(func(txn *badger.Txn) error {
		for _, n := range ns {
			if len(ids) > 0 && !want[n.ID] {
				continue
			}
			if err := txn.Set(readKey(iin, n.ID), nil); err != nil {
				return err
			}
			marked++
		}
		return nil
	})
	return marked, err
}
