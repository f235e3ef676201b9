package main

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/adapters/builtin"
	"github.com/shep-kz/shep/cabinet"
	"github.com/shep-kz/shep/cabinet/accounts"
	"github.com/shep-kz/shep/cabinet/portal"
	"github.com/shep-kz/shep/cabinet/web"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

// cabinetDeps is what the личный кабинет is built on.
type cabinetDeps struct {
	data      string
	db        *store.DB
	authority *ca.Authority
	set       *builtin.Set
	pipe      *gateway.Pipeline
	validator *validate.Validator
	testIDs   bool
	log       *slog.Logger
}

// cabinetSite is the assembled личный кабинет: its public routes and its admin routes.
type cabinetSite struct {
	accounts *accounts.Service
	cabinet  *cabinet.Service
	portal   *portal.Portal
	routes   []func(*mux.Router)
	admin    []func(*mux.Router)
}

// buildCabinet assembles the citizens' accounts, the cabinet over the providers' register, the
// portal that submits for them (as the demo portal sender, WS-Security-signed with the demo
// information system's key), and exports the indicators in /metrics.
func buildCabinet(ctx context.Context, d cabinetDeps) (*cabinetSite, error) {
	acc, err := accounts.New(accounts.Options{DB: d.db, Persons: d.set.Persons, Validator: d.validator,
		Identity: certs.ParseOptions{TestIdentities: d.testIDs}, Logger: d.log.With("component", "accounts")})
	if err != nil {
		return nil, err
	}
	chk, err := signing.NewChecker(signing.CheckerOptions{Validator: d.validator, Logger: d.log})
	if err != nil {
		return nil, err
	}
	cab, err := cabinet.New(cabinet.Options{DB: d.db, Cases: d.set.Cases, Catalogue: d.set.Catalogue, Clock: d.set.Clock,
		Calendar: d.set.Calendar, Checker: chk, Logger: d.log.With("component", "cabinet")})
	if err != nil {
		return nil, err
	}
	cab.RegisterMetrics(d.pipe.Metrics.Registry)
	demo := filepath.Join(d.data, "demo")
	cs, err := certs.ReadCertificates(filepath.Join(demo, "system.crt"))
	if err != nil {
		return nil, err
	}
	key, err := certs.ReadPrivateKey(filepath.Join(demo, "system.key"))
	if err != nil {
		return nil, err
	}
	sender := gateway.DemoSenders[0] // the portal
	prt, err := portal.New(portal.Options{Gateway: d.pipe, Catalogue: d.set.Catalogue, Persons: d.set.Persons, CA: d.authority,
		KeysDir: filepath.Join(d.data, "cabinet", "keys"), SenderID: sender.ID, Password: sender.Password, Key: key, Cert: firstCert(cs)})
	if err != nil {
		return nil, err
	}
	go sweep(ctx, acc, 10*time.Minute, d.log)
	site := &cabinetSite{accounts: acc, cabinet: cab, portal: prt}
	site.routes = []func(*mux.Router){
		acc.Routes,
		func(r *mux.Router) {
			cab.Routes(r, cabinet.Auth{Require: acc.Require, Who: func(req *http.Request) (string, bool) {
				s, ok := accounts.SessionFrom(req.Context())
				if !ok {
					return "", false
				}
				return s.IIN, true
			}})
		},
	}
	webSite, err := web.New(web.Options{Accounts: acc, Cabinet: cab, Portal: prt, Catalogue: d.set.Catalogue, Logger: d.log.With("component", "web")})
	if err != nil {
		return nil, err
	}
	site.routes = append(site.routes, webSite.Routes)
	site.admin = []func(*mux.Router){cab.AdminRoutes}
	return site, nil
}

func firstCert(cs []*x509.Certificate) *x509.Certificate {
	if len(cs) == 0 {
		return nil
	}
	return cs[0]
}

// sweep deletes expired sessions and challenges now and then.
func sweep(ctx context.Context, acc *accounts.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := acc.Sweep(ctx); err != nil {
				log.Warn("sweeping sessions", "err", err)
			} else if n > 0 {
				log.Info("expired sessions removed", "count", n)
			}
		}
	}
}
