// Package gateway is the ШЭП emulator's HTTP front: one gorilla/mux router carrying the test
// НУЦ's publication points (/pki), the operational endpoints and, as they are built, the channels.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/pkihttp"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/internal/jsonhttp"
	"github.com/shep-kz/shep/store"
)

// Options configure a Server.
type Options struct {
	CA     *ca.Authority // the test НУЦ, published under /pki
	Store  *store.DB
	Logger *slog.Logger
	// Pipeline answers SendMessage on the SyncChannel paths; nil leaves them unrouted.
	Pipeline *Pipeline
	// CRLs, when set, is reported by /readyz (every held CRL must be current).
	CRLs CRLHealth
	// AdminToken protects /admin (Authorization: Bearer TOKEN); empty disables the admin API.
	AdminToken string
	// AdminRoutes mount further admin endpoints (registries, providers, cases, faults) on the
	// token-protected /admin router.
	AdminRoutes []func(*mux.Router)
	// Routes mount further public endpoints (the личный кабинет and its pages) on the root router;
	// they protect themselves.
	Routes []func(*mux.Router)
	// Catalogue, when set, is served at GET /api/services.
	Catalogue any
	// MaxBody bounds a request body (default 8 MiB).
	MaxBody int
	// ShutdownTimeout bounds the graceful shutdown (default 10 s).
	ShutdownTimeout time.Duration
}

// CRLHealth reports the CRLs the validator holds.
type CRLHealth interface {
	Health() []revocation.SourceHealth
}

// SyncChannel paths, as on the real gateway.
var syncPaths = []string{"/bip-sync-wss-gost/", "/bip-sync-wss-gost", "/shep/bip-sync-wss-gost/", "/shep/bip-sync-wss-gost"}

// Server is the gateway's HTTP server.
type Server struct {
	opts   Options
	router *mux.Router
}

// New wires the routes.
func New(opts Options) (*Server, error) {
	if opts.CA == nil || opts.Store == nil {
		return nil, errors.New("gateway: CA and Store are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	// SkipClean: OCSP GET requests carry base64 (with '/') in the path, which cleaning would mangle.
	s := &Server{opts: opts, router: mux.NewRouter().SkipClean(true)}
	if opts.MaxBody == 0 {
		opts.MaxBody = 8 << 20
	}
	s.opts = opts
	pkihttp.Register(s.router.PathPrefix("/pki").Subrouter(), opts.CA, opts.Logger)
	s.router.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	s.router.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
	if opts.Pipeline != nil {
		for _, p := range syncPaths {
			s.router.HandleFunc(p, s.sendMessage).Methods(http.MethodPost)
			s.router.HandleFunc(p, s.wsdl).Methods(http.MethodGet)
		}
		s.router.HandleFunc("/metrics", s.metrics).Methods(http.MethodGet)
		s.router.HandleFunc("/schemas/application.xsd", s.applicationXSD).Methods(http.MethodGet)
		if opts.AdminToken != "" {
			admin := s.router.PathPrefix("/admin").Subrouter()
			s.registerAdmin(admin)
			for _, f := range opts.AdminRoutes {
				f(admin)
			}
		}
		if opts.Catalogue != nil {
			s.router.HandleFunc("/api/services", func(w http.ResponseWriter, r *http.Request) {
				jsonhttp.Write(w, http.StatusOK, opts.Catalogue)
			}).Methods(http.MethodGet)
		}
	}
	for _, f := range opts.Routes {
		f(s.router)
	}
	s.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Error(w, http.StatusNotFound, "NOT_FOUND", "no such endpoint: "+r.URL.Path)
	})
	s.router.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Error(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.Method+" is not allowed on "+r.URL.Path)
	})
	s.router.Use(s.logRequests)
	return s, nil
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.router }

// Serve serves on l until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("gateway: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	s.opts.Logger.Info("shutting down", "timeout", s.opts.ShutdownTimeout)
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("gateway: shutdown: %w", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	jsonhttp.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	var stale, why []string // the sources of the CRLs that are not current, and why
	ok := true
	if err := s.opts.Store.Ping(); err != nil {
		checks["store"], ok = err.Error(), false
	} else {
		checks["store"] = "ok"
	}
	if _, err := s.opts.CA.CRL(r.Context(), ca.CRLFull); err != nil {
		checks["pki"], ok = err.Error(), false
	} else {
		checks["pki"] = "ok"
	}
	if p := s.opts.Pipeline; p != nil {
		if p.Identity.Key == nil || time.Now().After(p.Identity.Certificate.NotAfter) {
			checks["gateway_key"], ok = "the gateway's certificate or key is missing or expired", false
		} else {
			checks["gateway_key"] = "ok"
		}
	}
	if s.opts.CRLs != nil {
		// Every CRL that is not current is named, each with its nextUpdate and last fetch error.
		for _, h := range s.opts.CRLs.Health() {
			if h.Current {
				continue
			}
			state := "never loaded"
			if !h.NextUpdate.IsZero() {
				state = "nextUpdate " + h.NextUpdate.Format(time.RFC3339)
			}
			if h.LastError != "" {
				state += "; last fetch: " + h.LastError
			}
			stale, why = append(stale, h.Source), append(why, fmt.Sprintf("%s is not current (%s)", h.Source, state))
		}
		checks["crls"] = "ok"
		if len(stale) > 0 {
			checks["crls"], ok = strings.Join(why, "; "), false
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	out := map[string]any{"ready": ok, "checks": checks}
	if len(stale) > 0 {
		out["stale_crls"] = stale
	}
	jsonhttp.Write(w, status, out)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "http", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", rec.status), slog.Duration("took", time.Since(start)))
	})
}
