package loadgen

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// Source hands out the requests to send, each once.
type Source interface {
	Next() (*Request, error)
}

// BuildFunc makes a new request of mix entry i.
type BuildFunc func(i int) (*Request, error)

// Pool is a Source of requests prepared beforehand, so that the client's signing stays out of the
// measurement. Requests are never sent twice (the gateway would answer a repeated messageId from
// its log): when the prepared ones run out, new ones are built on the fly and counted.
type Pool struct {
	build     BuildFunc
	cycle     []int
	reqs      []*Request
	next      atomic.Int64
	generated atomic.Int64
}

// NewPool prepares n requests with build, in parallel on workers goroutines (GOMAXPROCS when 0),
// the i-th of mix entry cycle[i % len(cycle)] (see Mix.Cycle).
func NewPool(ctx context.Context, build BuildFunc, cycle []int, n, workers int) (*Pool, error) {
	if len(cycle) == 0 {
		return nil, errors.New("loadgen: empty request cycle")
	}
	if n < 0 {
		n = 0
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := &Pool{build: build, cycle: cycle, reqs: make([]*Request, n)}
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				r, err := build(cycle[i%len(cycle)])
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				p.reqs[i] = r
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Next returns the next prepared request, or a new one when they have run out.
func (p *Pool) Next() (*Request, error) {
	i := p.next.Add(1) - 1
	if i < int64(len(p.reqs)) {
		r := p.reqs[i]
		p.reqs[i] = nil // sent once; let it go
		return r, nil
	}
	p.generated.Add(1)
	return p.build(p.cycle[i%int64(len(p.cycle))])
}

// Size is the number of requests prepared beforehand.
func (p *Pool) Size() int { return len(p.reqs) }

// Generated is the number of requests built during the run because the prepared ones ran out.
func (p *Pool) Generated() int64 { return p.generated.Load() }

// Used is the number of requests handed out.
func (p *Pool) Used() int64 { return p.next.Load() }
