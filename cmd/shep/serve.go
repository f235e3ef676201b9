package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
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
	derived := "http://" + publicAddr(l.Addr().(*net.TCPAddr)) + "/pki"
	newBase := *base
	if newBase == "" {
		newBase = derived
	}
	// A new test НУЦ records newBase; an existing one keeps its recorded URL unless --base-url says otherwise.
	authority, err := ca.Open(ctx, ca.Options{Dir: pkiDir(*data), BaseURL: newBase, Logger: log.With("component", "ca")}, true)
	if err != nil {
		return err
	}
	if *base != "" {
		if err := authority.SetBaseURL(ctx, *base); err != nil {
			return err
		}
	} else if rec := authority.BaseURL(); rec != derived {
		log.Warn("the test НУЦ's certificates point at another address than this server's; pass --base-url to change it for new certificates",
			"recorded", rec, "serving", derived)
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
	log.Info("shep listening", "addr", l.Addr().String(), "data", *data, "pki", authority.BaseURL(),
		"trust_anchor", filepath.Join(pkiDir(*data), "root.crt"))
	fmt.Fprintf(e.stderr, "shep: serving on http://%s (data in %s, test НУЦ at %s)\n", publicAddr(l.Addr().(*net.TCPAddr)), *data, authority.BaseURL())
	return srv.Serve(ctx, l)
}

// publicAddr is host:port of a listener as a client on this machine reaches it: an unspecified
// host (0.0.0.0, ::) becomes 127.0.0.1.
func publicAddr(a *net.TCPAddr) string {
	host := a.IP.String()
	if a.IP == nil || a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(a.Port))
}
