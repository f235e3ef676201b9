package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// serveDebug serves Go's runtime profiles (net/http/pprof: heap, allocations, CPU, goroutines,
// execution trace) on l until ctx is done, to find where the gateway's time and memory go under
// load. It is a listener of its own, never the gateway's: the profiles show the process's
// internals, and its address is for operators.
func serveDebug(ctx context.Context, l net.Listener, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx) // a profile still being taken is cut short: nothing is lost
	}()
	if ip, ok := l.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		log.WarnContext(ctx, "the debug listener is not on a loopback address: whoever reaches it can read the process's profiles", "addr", l.Addr().String())
	}
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.WarnContext(ctx, "the debug listener stopped", "err", err)
	}
}
