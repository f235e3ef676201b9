package main

import (
	"context"
	"errors"
	"expvar"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startDebug serves Go's runtime profiles (net/http/pprof: heap, allocations, CPU, goroutines,
// execution trace) and the process's expvar variables (/debug/vars: the runtime's memory
// statistics and badger's counters, such as the tables being compacted, bytes compacted per
// level and level-0 writes) on l, to find where the gateway's time and memory go under load,
// and returns the function that stops it. It is a listener of its own, never the gateway's: the
// profiles show the process's internals (its command line too), and its address is for
// operators. Requests take ctx as their context, so a CPU profile or trace being taken ends
// with it.
func startDebug(ctx context.Context, l net.Listener, log *slog.Logger) (stop func()) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/debug/vars", expvar.Handler())
	ctx, cancel := context.WithCancel(ctx)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	if ip, ok := l.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		log.WarnContext(ctx, "the debug listener is not on a loopback address: whoever reaches it can read the process's profiles", "addr", l.Addr().String())
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WarnContext(ctx, "the debug listener stopped", "err", err)
		}
	}()
	return func() {
		cancel() // ends the profiles being taken
		sctx, cancelShutdown := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancelShutdown()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		<-done
	}
}
