package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// Stats counts a service's applications by what happened to them. The counters are kept in the
// same transaction as the applications, so they are exact.
type Stats struct {
	Registered int64 `json:"registered"`
	Completed  int64 `json:"completed"` // positive results issued
	Refused    int64 `json:"refused"`   // motivated refusals issued
	OnTime     int64 `json:"on_time"`   // results issued by the deadline of the service on its channel
	Late       int64 `json:"late"`      // results issued after it
	Extended   int64 `json:"extended"`  // term extensions
	Delivered  int64 `json:"delivered"` // results handed over (личный кабинет or ЦОН)
}

// Decided is the number of results issued.
func (s Stats) Decided() int64 { return s.Completed + s.Refused }

func (s *Stats) add(o Stats) {
	s.Registered += o.Registered
	s.Completed += o.Completed
	s.Refused += o.Refused
	s.OnTime += o.OnTime
	s.Late += o.Late
	s.Extended += o.Extended
	s.Delivered += o.Delivered
}

// statShards spreads one service's counters over several keys, so that concurrent updates of
// different applications rarely conflict (a conflict is a retry: another commit and fsync). Stats
// sums whatever shards it finds, so the number can change between versions of a store.
const statShards = 64

func statsKey(service string, shard int) []byte {
	k := append(append([]byte("c\x06"), service...), 0)
	return strconv.AppendInt(k, int64(shard), 10)
}

// delta is what the events appended since old add to the counters.
func delta(old, c *Case) (d Stats) {
	from := 0
	if old != nil {
		from = len(old.Events)
	}
	if from > len(c.Events) {
		return d
	}
	for _, e := range c.Events[from:] {
		switch e.Action {
		case ActRegister:
			d.Registered++
		case ActExtend:
			d.Extended++
		case ActDeliver:
			d.Delivered++
		case ActComplete, ActRefuse:
			if e.Action == ActComplete {
				d.Completed++
			} else {
				d.Refused++
			}
			if c.Deadline.IsZero() || !e.At.After(c.Deadline) {
				d.OnTime++
			} else {
				d.Late++
			}
		}
	}
	return d
}

func addStats(txn *badger.Txn, old, c *Case) error {
	d := delta(old, c)
	if d == (Stats{}) {
		return nil
	}
	h := fnv.New32a()
	h.Write([]byte(c.Number))
	k := statsKey(c.ServiceID, int(h.Sum32()%statShards))
	var cur Stats
	it, err := txn.Get(k)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
	case err != nil:
		return err
	default:
		if err := it.Value(func(v []byte) error { return json.Unmarshal(v, &cur) }); err != nil {
			return err
		}
	}
	cur.add(d)
	b, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

// Stats returns the counters of every service that has applications.
func (s *Store) Stats(ctx context.Context) (map[string]Stats, error) {
	out := map[string]Stats{}
	prefix := []byte("c\x06")
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := it.Item().Key()[len(prefix):]
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				continue
			}
			var st Stats
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &st) }); err != nil {
				return err
			}
			svc := string(k[:i])
			sum := out[svc]
			sum.add(st)
			out[svc] = sum
		}
		return nil
	})
	return out, err
}

// AwaitingHandover returns the applications of a channel whose result was issued and not yet
// handed over (the ЦОН's queue of results to give out), oldest number first.
func (s *Store) AwaitingHandover(ctx context.Context, channel string, limit int) ([]*Case, error) {
	if err := clean(channel); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 1000
	}
	prefix := append(append([]byte("c\x05"), channel...), 0)
	var out []*Case
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < limit; it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, err := get(txn, string(it.Item().Key()[len(prefix):]))
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}
