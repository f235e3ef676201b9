package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/store"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "serve")
	defAddr := e.getenv("SHEP_ADDR")
	if defAddr == "" {
		defAddr = "127.0.0.1:8080"
	}
	addr := fs.String("addr", defAddr, "listen address (or $SHEP_ADDR)")
	base := fs.String("base-url", "", "public URL of /pki written into new certificates (default http://ADDR/pki)")
	level := fs.String("log-level", "info", "debug|info|warn|error")
	format := fs.String("log-format", "json", "json|text")
	if err := parse(fs, args); err != nil {
		return err
	}
	log, err := newLogger(e.stderr, *level, *format)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer l.Close()
	if *base == "" {
		*base = "http://" + l.Addr().String() + "/pki"
	}
	authority, err := ca.Open(ctx, ca.Options{Dir: pkiDir(*data), BaseURL: *base, Logger: log.With("component", "ca")}, true)
	if err != nil {
		return err
	}
	db, err := store.Open(store.Options{Dir: filepath.Join(*data, "store"), Logger: log.With("component", "store")})
	if err != nil {
		return err
	}
	defer db.Close()
	go db.RunGC(ctx, 10*time.Minute)
	srv, err := gateway.New(gateway.Options{CA: authority, Store: db, Logger: log})
	if err != nil {
		return err
	}
	log.Info("shep listening", "addr", l.Addr().String(), "data", *data, "pki", *base,
		"trust_anchor", filepath.Join(pkiDir(*data), "root.crt"))
	fmt.Fprintf(e.stderr, "shep: serving on http://%s (data in %s, test НУЦ at %s)\n", l.Addr(), *data, *base)
	return srv.Serve(ctx, l)
}
