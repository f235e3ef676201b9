package cabinet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/internal/metrics"
)

// The regulations' survey (services.md §6.1): two questions, each answered on a three-point scale.
const (
	NotSatisfied       = 1 // не удовлетворен / қанағаттанған жоқпын
	PartiallySatisfied = 2 // частично удовлетворен / ішінара қанағаттанамын
	Satisfied          = 3 // удовлетворен / қанағаттанамын
)

// Questions of the survey, Russian and Kazakh: quality of the process and result, and quality of
// the information about the procedure.
var Questions = [2][2]string{
	{"Удовлетворены ли Вы качеством процесса и результатом оказания электронной государственной услуги?",
		"Электрондық мемлекеттік қызметті көрсету үдерісінің сапасына және нәтижесіне қанағаттанасыз ба?"},
	{"Удовлетворены ли Вы качеством информации о порядке оказания электронной государственной услуги?",
		"Электрондық мемлекеттік қызметті көрсету тәртібі туралы ақпараттың сапасына қанағаттанасыз ба?"},
}

// Answers names the scale, Russian and Kazakh, indexed by answer-1.
var Answers = [3][2]string{
	{"не удовлетворен", "қанағаттанған жоқпын"},
	{"частично удовлетворен", "ішінара қанағаттанамын"},
	{"удовлетворен", "қанағаттанамын"},
}

// Answer is a person's answer to the survey about one application.
type Answer struct {
	Quality     int       `json:"quality"`     // question 1
	Information int       `json:"information"` // question 2
	At          time.Time `json:"at"`
	ServiceID   string    `json:"service_id"`
}

// SurveyStats counts the answers of a service: Quality[i] and Information[i] are the answers i+1.
type SurveyStats struct {
	Quality     [3]int64 `json:"quality"`
	Information [3]int64 `json:"information"`
}

func answerKey(number string) []byte { return append([]byte("q\x01"), number...) }

const surveyShards = 8

func surveyStatsKey(service, number string) []byte {
	h := fnv.New32a()
	h.Write([]byte(number))
	k := append(append([]byte("q\x02"), service...), 0)
	return strconv.AppendInt(k, int64(h.Sum32()%surveyShards), 10)
}

// Answer records iin's answers to the survey about application number, once the result is issued;
// each application is surveyed once.
func (s *Service) Answer(ctx context.Context, iin, number string, quality, information int) (*Answer, error) {
	if quality < NotSatisfied || quality > Satisfied || information < NotSatisfied || information > Satisfied {
		return nil, fmt.Errorf("%w: answers are 1 (не удовлетворен), 2 (частично) or 3 (удовлетворен)", ErrInvalid)
	}
	c, err := s.own(ctx, iin, number)
	if err != nil {
		return nil, err
	}
	if !c.Status.Decided() {
		return nil, fmt.Errorf("%w: %s is %s", ErrSurveyClosed, number, c.Status.NameRU())
	}
	a := &Answer{Quality: quality, Information: information, At: time.Now().UTC(), ServiceID: c.ServiceID}
	ab, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	for range 16 {
		err = s.o.DB.Update(func(txn *badger.Txn) error {
			if _, err := txn.Get(answerKey(number)); err == nil {
				return fmt.Errorf("%w: %s", ErrSurveyDone, number)
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			if err := txn.Set(answerKey(number), ab); err != nil {
				return err
			}
			k := surveyStatsKey(c.ServiceID, number)
			var st SurveyStats
			if it, err := txn.Get(k); err == nil {
				if err := it.Value(func(v []byte) error { return json.Unmarshal(v, &st) }); err != nil {
					return err
				}
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
			st.Quality[quality-1]++
			st.Information[information-1]++
			b, err := json.Marshal(st)
			if err != nil {
				return err
			}
			return txn.Set(k, b)
		})
		if !errors.Is(err, badger.ErrConflict) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.o.Logger.InfoContext(ctx, "survey answered", "application", number, "service", c.ServiceID, "quality", quality, "information", information)
	return a, nil
}

func (s *Service) answer(ctx context.Context, number string) (*Answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var a *Answer
	err := s.o.DB.View(func(txn *badger.Txn) error {
		it, err := txn.Get(answerKey(number))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		a = &Answer{}
		return it.Value(func(v []byte) error { return json.Unmarshal(v, a) })
	})
	return a, err
}

// surveyed reports which of cs were surveyed.
func (s *Service) surveyed(ctx context.Context, cs []*cases.Case) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.o.DB.View(func(txn *badger.Txn) error {
		for _, c := range cs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := txn.Get(answerKey(c.Number)); err == nil {
				out[c.Number] = true
			} else if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Indicator is a service's quality and accessibility («показатели качества и доступности»).
type Indicator struct {
	ServiceID string `json:"service_id"`
	NameRU    string `json:"name_ru"`
	NameKZ    string `json:"name_kz"`
	cases.Stats
	Survey  SurveyStats `json:"survey"`
	Answers int64       `json:"answers"`
	// SLA is the share of results issued within the service's term on their channel.
	SLA *float64 `json:"sla_adherence,omitempty"`
	// Quality is the score of question 1 (satisfied 1, partially 0.5, not 0), averaged.
	Quality *float64 `json:"quality_index,omitempty"`
	// Information is the score of question 2, averaged the same way.
	Information *float64 `json:"information_index,omitempty"`
	// Accessibility is the mean of SLA and Information, or whichever of them exists.
	Accessibility *float64 `json:"accessibility_index,omitempty"`
}

func score(a [3]int64) (float64, int64) {
	n := a[0] + a[1] + a[2]
	if n == 0 {
		return math.NaN(), 0
	}
	return (float64(a[1])*0.5 + float64(a[2])) / float64(n), n
}

func ptr(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

// Indicators computes every service's indicators from the application counters and the survey.
func (s *Service) Indicators(ctx context.Context) ([]Indicator, error) {
	st, err := s.o.Cases.Stats(ctx)
	if err != nil {
		return nil, err
	}
	sv := map[string]SurveyStats{}
	prefix := []byte("q\x02")
	err = s.o.DB.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()[len(prefix):]
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				continue
			}
			var x SurveyStats
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &x) }); err != nil {
				return err
			}
			svc := string(k[:i])
			sum := sv[svc]
			for j := range 3 {
				sum.Quality[j] += x.Quality[j]
				sum.Information[j] += x.Information[j]
			}
			sv[svc] = sum
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for id := range st {
		ids[id] = true
	}
	for id := range sv {
		ids[id] = true
	}
	var out []Indicator
	for id := range ids {
		in := Indicator{ServiceID: id, Stats: st[id], Survey: sv[id]}
		if svc, ok := s.o.Catalogue.Service(id); ok {
			in.NameRU, in.NameKZ = svc.NameRU, svc.NameKZ
		}
		sla := math.NaN()
		if d := in.OnTime + in.Late; d > 0 {
			sla = float64(in.OnTime) / float64(d)
		}
		q, n := score(in.Survey.Quality)
		info, _ := score(in.Survey.Information)
		in.Answers = n
		acc := math.NaN()
		switch {
		case !math.IsNaN(sla) && !math.IsNaN(info):
			acc = (sla + info) / 2
		case !math.IsNaN(sla):
			acc = sla
		case !math.IsNaN(info):
			acc = info
		}
		in.SLA, in.Quality, in.Information, in.Accessibility = ptr(sla), ptr(q), ptr(info), ptr(acc)
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Indicator) int { return cmpString(a.ServiceID, b.ServiceID) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// RegisterMetrics exports the indicators in r (read at every scrape).
func (s *Service) RegisterMetrics(r *metrics.Registry) {
	read := func(f func(Indicator) []metrics.Sample) func() []metrics.Sample {
		return func() []metrics.Sample {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ins, err := s.Indicators(ctx)
			if err != nil {
				s.o.Logger.Warn("indicators for /metrics", "err", err)
				return nil
			}
			var out []metrics.Sample
			for _, in := range ins {
				out = append(out, f(in)...)
			}
			return out
		}
	}
	opt := func(id string, v *float64) []metrics.Sample {
		if v == nil {
			return nil
		}
		return []metrics.Sample{{Labels: []string{id}, Value: *v}}
	}
	r.GaugeVecFunc("shep_service_quality_index", "Quality indicator per service: survey question 1 (satisfied 1, partially 0.5, not 0), averaged.",
		read(func(in Indicator) []metrics.Sample { return opt(in.ServiceID, in.Quality) }), "service")
	r.GaugeVecFunc("shep_service_accessibility_index", "Accessibility indicator per service: mean of SLA adherence and survey question 2.",
		read(func(in Indicator) []metrics.Sample { return opt(in.ServiceID, in.Accessibility) }), "service")
	r.GaugeVecFunc("shep_service_sla_adherence_ratio", "Share of results issued within the service's term on their channel.",
		read(func(in Indicator) []metrics.Sample { return opt(in.ServiceID, in.SLA) }), "service")
	r.GaugeVecFunc("shep_service_applications", "Applications per service by outcome (registered, completed, refused, on_time, late, extended, delivered).",
		read(func(in Indicator) []metrics.Sample {
			v := func(k string, n int64) metrics.Sample {
				return metrics.Sample{Labels: []string{in.ServiceID, k}, Value: float64(n)}
			}
			return []metrics.Sample{v("registered", in.Registered), v("completed", in.Completed), v("refused", in.Refused),
				v("on_time", in.OnTime), v("late", in.Late), v("extended", in.Extended), v("delivered", in.Delivered)}
		}), "service", "outcome")
	r.GaugeVecFunc("shep_service_survey_answers", "Survey answers per service, question (quality, information) and answer (1 not, 2 partially, 3 satisfied).",
		read(func(in Indicator) []metrics.Sample {
			var out []metrics.Sample
			for i := range 3 {
				a := strconv.Itoa(i + 1)
				out = append(out, metrics.Sample{Labels: []string{in.ServiceID, "quality", a}, Value: float64(in.Survey.Quality[i])},
					metrics.Sample{Labels: []string{in.ServiceID, "information", a}, Value: float64(in.Survey.Information[i])})
			}
			return out
		}), "service", "question", "answer")
}
