// Package builtin assembles what the gateway routes to: the service catalogue, the registries
// (ГБД ФЛ, ЕНИС), the built-in provider systems, remote providers and fault injection, on one store.
package builtin

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/esobes"
	"github.com/shep-kz/shep/adapters/faultinject"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/labour"
	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/adapters/registryapi"
	"github.com/shep-kz/shep/adapters/remote"
	"github.com/shep-kz/shep/adapters/rshep"
	"github.com/shep-kz/shep/adapters/worktime"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/store"
)

// SystemConfig is how one built-in provider system decides.
type SystemConfig struct {
	Mode        provider.Mode `json:"mode"`         // auto (default) or manual
	DecideAfter string        `json:"decide_after"` // auto: "0s", "30s", or "50%" of the decision limit (default "50%")
}

// Options configure Build.
type Options struct {
	DB *store.DB
	CA *ca.Authority
	// OfficialsDir keeps the providers' officials' certificates and keys.
	OfficialsDir string
	// OfficialKey is the algorithm of the officials' signing keys, which sign the results:
	// ca.AlgorithmRSA (default) or ca.AlgorithmGOST2015.
	OfficialKey ca.Algorithm
	// Gateway identity, which signs the requests sent to remote providers.
	Key  crypto.Signer
	Cert *x509.Certificate
	// Validator, when set, also validates remote providers' certificates on every call.
	Validator *validate.Validator
	// DayLength scales the regulation clock: one day of regulation time lasts DayLength (0: real
	// time; 1m: a working day per minute).
	DayLength time.Duration
	// Systems configure the built-in systems by name; missing ones decide on their own at half
	// of the decision limit.
	Systems map[string]SystemConfig
	// Population is the number of generated persons loaded into an empty ГБД ФЛ (0: demo persons
	// only).
	Population int
	Logger     *slog.Logger
	Now        func() time.Time
}

// Set is the assembled whole.
type Set struct {
	Catalogue  *catalogue.Catalogue
	Persons    *gbdfl.Store
	Powers     *enis.Store
	Cases      *cases.Store
	Unemployed *labour.Register
	ASP        *esobes.Register
	Systems    map[string]*provider.System
	Router     *adapters.Router
	Providers  *remote.Registry
	Remote     *remote.Client
	Faults     *faultinject.Injector
	Clock      *worktime.Clock
	Calendar   *worktime.Calendar
	Desk       *provider.Desk
}

var clockKey = []byte("k\x00clock")

// loadClock anchors the regulation clock on the state kept in the store, and keeps the new state.
func loadClock(db *store.DB, now time.Time, dayLength time.Duration) (worktime.ClockState, error) {
	var prev *worktime.ClockState
	err := db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(clockKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		prev = &worktime.ClockState{}
		return it.Value(func(v []byte) error { return json.Unmarshal(v, prev) })
	})
	if err != nil {
		return worktime.ClockState{}, fmt.Errorf("builtin: clock: %w", err)
	}
	st := worktime.Anchor(now, dayLength, prev)
	b, err := json.Marshal(st)
	if err != nil {
		return st, err
	}
	return st, db.Update(func(txn *badger.Txn) error { return txn.Set(clockKey, b) })
}

// Build assembles the set: loads the catalogue, opens the registries (loading the demo data into
// empty ones), the registers of the systems and the remote providers, and routes every gatewayed
// service of the catalogue to its system.
func Build(ctx context.Context, o Options) (*Set, error) {
	if o.DB == nil || o.CA == nil || o.Key == nil || o.Cert == nil || o.OfficialsDir == "" {
		return nil, errors.New("builtin: DB, CA, Key, Cert and OfficialsDir are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cat, err := catalogue.Load()
	if err != nil {
		return nil, err
	}
	st, err := loadClock(o.DB, o.Now(), o.DayLength)
	if err != nil {
		return nil, err
	}
	s := &Set{Catalogue: cat, Persons: gbdfl.NewStore(o.DB), Powers: enis.NewStore(o.DB), Cases: cases.New(o.DB),
		Unemployed: labour.NewRegister(o.DB), ASP: esobes.NewRegister(o.DB), Systems: map[string]*provider.System{},
		Router: adapters.NewRouter(), Providers: remote.NewRegistry(o.DB), Clock: worktime.NewClock(st, o.Now), Calendar: worktime.Kazakhstan()}
	if _, err := gbdfl.EnsureDemo(ctx, s.Persons, o.Population, o.Now()); err != nil {
		return nil, fmt.Errorf("builtin: ГБД ФЛ demo: %w", err)
	}
	if err := s.ensureDemoPowers(ctx); err != nil {
		return nil, err
	}
	if err := esobes.EnsureDemo(ctx, s.ASP, s.Clock.Now()); err != nil {
		return nil, fmt.Errorf("builtin: АСП demo: %w", err)
	}
	if s.Faults, err = faultinject.New(ctx, o.DB, faultinject.Options{Now: o.Now, Logger: o.Logger.With("component", "faults")}); err != nil {
		return nil, err
	}
	if s.Remote, err = remote.NewClient(s.Providers, remote.ClientOptions{Key: o.Key, Cert: o.Cert, Validator: o.Validator, Now: o.Now,
		Logger: o.Logger.With("component", "remote")}); err != nil {
		return nil, err
	}
	signers := &provider.Officials{CA: o.CA, Dir: o.OfficialsDir, Algorithm: o.OfficialKey}
	rules := map[string]map[string]provider.Rules{
		labour.Name: labour.Rules(s.Unemployed),
		esobes.Name: esobes.Rules(s.ASP),
		rshep.Name:  rshep.Rules(s.Unemployed, s.ASP),
	}
	defaults := map[string]provider.Rules{rshep.Name: rshep.Default()}
	for name, rs := range rules {
		cfg := o.Systems[name]
		sys, err := provider.New(provider.Options{Name: name, Catalogue: cat, Cases: s.Cases, Signers: signers, Clock: s.Clock, Calendar: s.Calendar,
			Persons: s.Persons, Rules: rs, Default: defaults[name], Mode: cfg.Mode, DecideAfter: cfg.DecideAfter, Faults: s.Faults,
			Logger: o.Logger.With("component", name)})
		if err != nil {
			return nil, err
		}
		s.Systems[name] = sys
	}
	s.Router.Handle(gbdfl.ServiceID, s.Faults.Wrap("gbdfl", &gbdfl.Adapter{Registry: s.Persons}))
	s.Router.Handle(provider.StatusServiceID, &provider.StatusAdapter{Cases: s.Cases, Catalogue: cat})
	for _, svc := range cat.Services {
		if svc.Target == nil {
			continue
		}
		sys, ok := s.Systems[svc.Target.Adapter]
		if !ok {
			return nil, fmt.Errorf("builtin: %s targets unknown system %q", svc.ID, svc.Target.Adapter)
		}
		s.Router.Handle(svc.ID, s.Faults.Wrap(sys.Name(), sys))
	}
	s.Desk = &provider.Desk{Cases: s.Cases, Systems: s.Systems}
	return s, nil
}

func (s *Set) ensureDemoPowers(ctx context.Context) error {
	persons, err := s.Persons.List(ctx, "", 2000)
	if err != nil {
		return fmt.Errorf("builtin: ЕНИС demo: %w", err)
	}
	if err := enis.EnsureDemo(ctx, s.Powers, persons); err != nil {
		return fmt.Errorf("builtin: ЕНИС demo: %w", err)
	}
	return nil
}

// Start starts the systems' schedulers (automatic decisions) until ctx is done.
func (s *Set) Start(ctx context.Context) error {
	for _, sys := range s.Systems {
		if err := sys.Start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Queries are the services the gateway answers without an application document on every channel.
func (s *Set) Queries() []string { return []string{provider.StatusServiceID} }

// Close waits for the automatic decisions in flight (once Start's context is done) and writes what
// is kept in memory (fault-injection counters); call it before the store closes.
func (s *Set) Close(ctx context.Context) error {
	for _, sys := range s.Systems {
		sys.Wait()
	}
	return s.Faults.Flush(ctx)
}

// AdminRoutes are the set's admin endpoints: registries, remote providers, the specialists'
// desk and fault injection.
func (s *Set) AdminRoutes() []func(*mux.Router) {
	return []func(*mux.Router){
		func(r *mux.Router) { registryapi.Register(r, s.Persons, s.Powers) },
		func(r *mux.Router) { remote.Routes(r, s.Providers, s.Remote) },
		s.Desk.Routes,
		func(r *mux.Router) { faultinject.Routes(r, s.Faults) },
	}
}
