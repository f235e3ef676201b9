package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shep-kz/shep/adapters/builtin"
	"github.com/shep-kz/shep/adapters/provider"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/trust"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

// serveConfig is what `shep serve` can be told, by flags, by environment (SHEP_*) or by a JSON
// file (--config); flags win over the environment, which wins over the file.
type serveConfig struct {
	Addr            string   `json:"addr"`
	BaseURL         string   `json:"base_url"`
	LogLevel        string   `json:"log_level"`
	LogFormat       string   `json:"log_format"`
	TrustCA         []string `json:"trust_ca"`
	CRL             []string `json:"crl"`
	Retention       string   `json:"retention"`
	ProviderTimeout string   `json:"provider_timeout"`
	TestIdentities  bool     `json:"test_identities"`
	AllowSHA1       bool     `json:"allow_sha1"`
	CONBIN          string   `json:"con_bin"`
	MaxBody         int      `json:"max_body"`
	DayLength       string   `json:"day_length"`
	Systems         []string `json:"systems"`
	Population      int      `json:"population"`
	GatewayKey      string   `json:"gateway_key"`
	OfficialKey     string   `json:"official_key"`
	StoreMapped     string   `json:"store_mapped_limit"`
	DebugAddr       string   `json:"debug_addr"`
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "serve")
	cfgFile := fs.String("config", "", "JSON configuration file (keys: addr, base_url, log_level, log_format, trust_ca, crl, retention, provider_timeout, test_identities, allow_sha1, con_bin, max_body, day_length, systems, population, gateway_key, official_key, store_mapped_limit, debug_addr)")
	var c serveConfig
	var trustCA, crls, systems listFlag
	fs.StringVar(&c.Addr, "addr", "", "listen address (default 127.0.0.1:8080; $SHEP_ADDR)")
	fs.StringVar(&c.BaseURL, "base-url", "", "public URL of /pki for new certificates (default http://ADDR/pki)")
	fs.StringVar(&c.LogLevel, "log-level", "", "debug|info|warn|error (default info; $SHEP_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", "", "json|text (default json)")
	fs.Var(&trustCA, "trust-ca", "further trust anchor file, PEM or DER, e.g. НУЦ's real CAs (repeatable; the test НУЦ is always trusted)")
	fs.Var(&crls, "crl", "CRL file or URL for those anchors (repeatable)")
	fs.StringVar(&c.Retention, "retention", "", "how long the message log keeps exchanges (default 720h)")
	fs.StringVar(&c.ProviderTimeout, "provider-timeout", "", "how long a provider may take to answer (default 30s)")
	fs.BoolVar(&c.TestIdentities, "test-identities", false, "accept НУЦ test ИИН/БИН failing the checksum (IIN123456789011)")
	fs.BoolVar(&c.AllowSHA1, "allow-sha1", false, "accept rsa-sha1 and ecdsa-sha1 signatures and SHA-1 digests from clients (refused by default; $SHEP_ALLOW_SHA1=true)")
	fs.StringVar(&c.CONBIN, "con-bin", "", "БИН of the ЦОН organisation whose employees sign on the con channel (default "+ca.DefaultOperatorBIN+")")
	fs.IntVar(&c.MaxBody, "max-body", 0, "largest request body in bytes (default 8 MiB)")
	fs.StringVar(&c.DayLength, "day-length", "", "real duration of one day of regulation time (default 1m: a working day per minute; 24h: real time)")
	fs.Var(&systems, "system", "how a built-in provider system decides: NAME=auto[:DELAY] or NAME=manual, DELAY a duration (0s: at once) or a share of the service's decision limit (default 50%); NAME labour-market, e-sobes or rshep (repeatable)")
	fs.IntVar(&c.Population, "population", -1, "generated persons loaded into an empty ГБД ФЛ on first start (default 5000)")
	fs.StringVar(&c.GatewayKey, "gateway-key", "", "algorithm of the gateway's own certificate, which signs every answer (WS-Security): rsa (default; DATA/gateway/gateway.{crt,key}) or gost2015 (GOST R 34.10-2015 512-bit from the test НУЦ's GOST CA; DATA/gateway/gateway-gost.{crt,key}) ($SHEP_GATEWAY_KEY)")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "listen address of Go's runtime profiles (/debug/pprof/: heap, CPU, goroutines) and expvar variables (/debug/vars: memory, badger's counters), a listener of its own; keep it on loopback (default none; $SHEP_DEBUG_ADDR)")
	fs.StringVar(&c.StoreMapped, "store-mapped-limit", "", "resident file-backed memory (mostly the store's memory-mapped tables and logs) above which the store pages out, ~32 MiB a second, the mappings that went unused for a 10 s window, until it is at three quarters of it: bytes, or with KiB, MiB or GiB; 0 never (default 128MiB: RSS ~220–260 MB after a load with a million messages logged, 675–790 MB without; Linux 5.4 or later; $SHEP_STORE_MAPPED_LIMIT)")
	fs.StringVar(&c.OfficialKey, "official-key", "", "algorithm of the providers' officials' keys, which sign the results: rsa (default) or gost2015 (DATA/officials/ORG-gost.{crt,key}) ($SHEP_OFFICIAL_KEY)")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c.TrustCA, c.CRL, c.Systems = trustCA, crls, systems
	if err := c.fill(*cfgFile, e.getenv, set); err != nil {
		return err
	}
	retention, err := time.ParseDuration(c.Retention)
	if err != nil {
		return fmt.Errorf("%w: retention: %v", errUsage, err)
	}
	providerTimeout, err := time.ParseDuration(c.ProviderTimeout)
	if err != nil {
		return fmt.Errorf("%w: provider-timeout: %v", errUsage, err)
	}
	dayLength, err := time.ParseDuration(c.DayLength)
	if err != nil || dayLength <= 0 {
		return fmt.Errorf("%w: day-length %q: want a positive duration", errUsage, c.DayLength)
	}
	sysCfg, err := parseSystems(c.Systems)
	if err != nil {
		return err
	}
	gatewayKey, err := ca.ParseAlgorithm(c.GatewayKey)
	if err != nil {
		return fmt.Errorf("%w: --gateway-key: %v", errUsage, err)
	}
	mappedLimit, err := parseSize(c.StoreMapped)
	if err != nil {
		return fmt.Errorf("%w: --store-mapped-limit: %v", errUsage, err)
	}
	officialKey, err := ca.ParseAlgorithm(c.OfficialKey)
	if err != nil {
		return fmt.Errorf("%w: --official-key: %v", errUsage, err)
	}
	log, err := newLogger(e.stderr, c.LogLevel, c.LogFormat)
	if err != nil {
		return err
	}

	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	defer l.Close()
	var debugAddr string
	if c.DebugAddr != "" {
		dl, err := net.Listen("tcp", c.DebugAddr)
		if err != nil {
			return fmt.Errorf("--debug-addr: %w", err)
		}
		debugAddr = dl.Addr().String()
		defer startDebug(ctx, dl, log.With("component", "debug"))()
	}
	derived := "http://" + publicAddr(l.Addr().(*net.TCPAddr)) + "/pki"
	newBase := c.BaseURL
	if newBase == "" {
		newBase = derived
	}
	// The test НУЦ: created on first start with newBase; an existing one keeps its recorded URL
	// unless --base-url says otherwise.
	authority, err := ca.Open(ctx, ca.Options{Dir: pkiDir(*data), BaseURL: newBase, Logger: log.With("component", "ca")}, true)
	if err != nil {
		return err
	}
	if c.BaseURL != "" {
		if err := authority.SetBaseURL(ctx, c.BaseURL); err != nil {
			return err
		}
	} else if rec := authority.BaseURL(); rec != derived {
		log.Warn("the test НУЦ's certificates point at another address than this server's; pass --base-url to change it for new certificates",
			"recorded", rec, "serving", derived)
	}
	// Both hierarchies are trusted: a data dir made before the GOST one gets it now.
	if err := authority.EnsureGOST(ctx); err != nil {
		return err
	}
	identity, err := gateway.EnsureIdentityFor(ctx, authority, filepath.Join(*data, "gateway"), gatewayKey)
	if err != nil {
		return err
	}
	if err := gateway.EnsureDemoIdentities(ctx, authority, filepath.Join(*data, "demo")); err != nil {
		return err
	}
	db, err := store.Open(store.Options{Dir: filepath.Join(*data, "store"), Logger: log.With("component", "store")})
	if err != nil {
		return err
	}
	defer db.Close()
	go db.RunGC(ctx, 10*time.Minute)
	go func() {
		err := db.TrimMapped(ctx, store.TrimOptions{Limit: mappedLimit})
		switch {
		case errors.Is(err, store.ErrTrimUnsupported):
			// Not Linux, or a kernel before 5.4: nothing to do about it, and on by default.
			log.Info("the store's mapped files stay in memory until the kernel needs it", "err", err)
		case err != nil:
			log.Warn("the store's mapped files stay in memory until the kernel needs it", "err", err)
		}
	}()
	senders, err := participants.New(db, participants.Options{})
	if err != nil {
		return err
	}
	if err := gateway.EnsureDemoSenders(ctx, senders); err != nil {
		return err
	}
	mlog, err := msglog.Open(db, logOptions(*data, msglog.Options{TTL: retention, Logger: log.With("component", "msglog")}))
	if err != nil {
		return err
	}
	defer mlog.Close()

	// Trust: the test НУЦ's RSA and GOST hierarchies (their CRLs read in process), plus whatever
	// was configured. The test НУЦ's CRLs are asked for every minute (cheap, in process: a
	// revocation made with `shep pki revoke` reaches the validator within a minute); other sources
	// are fetched when due: near their CRL's nextUpdate, at the latest every hour, with backoff
	// after a failure (revocation.CRLOptions).
	tcfg := trust.Config{AnchorFiles: c.TrustCA, CRLs: c.CRL, Anchors: authority.Anchors(),
		Intermediates: authority.Intermediates(), TestIdentities: c.TestIdentities, Logger: log.With("component", "trust")}
	for _, k := range authority.CRLKinds() {
		tcfg.CRLSources = append(tcfg.CRLSources, revocation.FuncSource{Label: "test НУЦ " + string(k) + " CRL",
			F: func(ctx context.Context) ([]byte, error) { return authority.CRL(ctx, k) }, Every: time.Minute})
	}
	tr, err := trust.Build(ctx, tcfg)
	if tr == nil {
		return err
	}
	if err != nil {
		log.Warn("some CRLs could not be loaded: certificates they cover are refused until they are", "err", err)
	}
	go tr.Run(ctx)

	adapterSet, err := builtin.Build(ctx, builtin.Options{DB: db, CA: authority, OfficialsDir: filepath.Join(*data, "officials"), OfficialKey: officialKey, Key: identity.Key,
		Cert: identity.Certificate, Validator: tr.Validator, DayLength: dayLength, Systems: sysCfg, Population: c.Population, Logger: log})
	if err != nil {
		return err
	}
	defer adapterSet.Close(context.WithoutCancel(ctx))
	if err := adapterSet.Start(ctx); err != nil {
		return err
	}
	pipe := &gateway.Pipeline{Senders: senders, Log: mlog, Validator: tr.Validator, Router: adapterSet.Router, Catalogue: adapterSet.Catalogue,
		Remote: adapterSet.Remote, Faults: adapterSet.Faults, Queries: adapterSet.Queries(), Persons: adapterSet.Persons, Powers: adapterSet.Powers,
		Identity: identity, CONBIN: c.CONBIN, ProviderTimeout: providerTimeout,
		Limits: signing.Limits{MaxBytes: c.MaxBody}, Certs: signing.NewCertCache(0), AllowSHA1: c.AllowSHA1, Now: time.Now, Logger: log, Metrics: gateway.NewMetrics()}
	token := e.getenv("SHEP_ADMIN_TOKEN")
	if token == "" {
		if token, err = gateway.EnsureAdminToken(filepath.Join(*data, "admin.token")); err != nil {
			return err
		}
	}
	site, err := buildCabinet(ctx, cabinetDeps{data: *data, db: db, authority: authority, set: adapterSet, pipe: pipe, validator: tr.Validator,
		testIDs: c.TestIdentities, log: log})
	if err != nil {
		return err
	}
	srv, err := gateway.New(gateway.Options{CA: authority, Store: db, Logger: log, Pipeline: pipe, CRLs: tr.CRLs, AdminToken: token, MaxBody: c.MaxBody,
		AdminRoutes: append(adapterSet.AdminRoutes(), site.admin...), Routes: site.routes, Catalogue: adapterSet.Catalogue})
	if err != nil {
		return err
	}
	addr := publicAddr(l.Addr().(*net.TCPAddr))
	log.Info("shep listening", "addr", addr, "data", *data, "pki", authority.BaseURL(), "trust_anchor", filepath.Join(pkiDir(*data), "root.crt"),
		"gost_trust_anchor", filepath.Join(pkiDir(*data), "gost", "root.crt"), "gateway_key", gatewayKey, "official_key", officialKey)
	fmt.Fprintf(e.stderr, "shep: serving on http://%s (data in %s, test НУЦ at %s, SyncChannel at http://%s/bip-sync-wss-gost/)\n",
		addr, *data, authority.BaseURL(), addr)
	if debugAddr != "" {
		fmt.Fprintf(e.stderr, "shep: runtime profiles on http://%s/debug/pprof/\n", debugAddr)
	}
	return srv.Serve(ctx, l)
}

// fill completes c from the environment, then the file, then defaults; flags already set win.
func (c *serveConfig) fill(file string, getenv func(string) string, set map[string]bool) error {
	var f serveConfig
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return fmt.Errorf("%w: --config %s: %v", errUsage, file, err)
		}
	}
	pick := func(dst *string, flag, env, fromFile, def string) {
		switch {
		case set[flag]:
		case env != "" && getenv(env) != "":
			*dst = getenv(env)
		case fromFile != "":
			*dst = fromFile
		default:
			*dst = def
		}
	}
	pick(&c.Addr, "addr", "SHEP_ADDR", f.Addr, "127.0.0.1:8080")
	pick(&c.BaseURL, "base-url", "SHEP_BASE_URL", f.BaseURL, "")
	pick(&c.LogLevel, "log-level", "SHEP_LOG_LEVEL", f.LogLevel, "info")
	pick(&c.LogFormat, "log-format", "SHEP_LOG_FORMAT", f.LogFormat, "json")
	pick(&c.Retention, "retention", "SHEP_RETENTION", f.Retention, "720h")
	pick(&c.ProviderTimeout, "provider-timeout", "SHEP_PROVIDER_TIMEOUT", f.ProviderTimeout, "30s")
	pick(&c.CONBIN, "con-bin", "SHEP_CON_BIN", f.CONBIN, ca.DefaultOperatorBIN)
	pick(&c.DayLength, "day-length", "SHEP_DAY_LENGTH", f.DayLength, "1m")
	pick(&c.GatewayKey, "gateway-key", "SHEP_GATEWAY_KEY", f.GatewayKey, string(ca.AlgorithmRSA))
	pick(&c.OfficialKey, "official-key", "SHEP_OFFICIAL_KEY", f.OfficialKey, string(ca.AlgorithmRSA))
	pick(&c.StoreMapped, "store-mapped-limit", "SHEP_STORE_MAPPED_LIMIT", f.StoreMapped, "128MiB")
	pick(&c.DebugAddr, "debug-addr", "SHEP_DEBUG_ADDR", f.DebugAddr, "")
	if !set["system"] {
		c.Systems = f.Systems
	}
	if !set["population"] {
		c.Population = f.Population
		if v := getenv("SHEP_POPULATION"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%w: SHEP_POPULATION: %v", errUsage, err)
			}
			c.Population = n
		}
		if c.Population == 0 && f.Population == 0 && getenv("SHEP_POPULATION") == "" {
			c.Population = 5000
		}
	}
	if !set["trust-ca"] {
		c.TrustCA = f.TrustCA
	}
	if !set["crl"] {
		c.CRL = f.CRL
	}
	if !set["test-identities"] {
		c.TestIdentities = f.TestIdentities || getenv("SHEP_TEST_IDENTITIES") == "true"
	}
	if !set["allow-sha1"] {
		c.AllowSHA1 = f.AllowSHA1 || getenv("SHEP_ALLOW_SHA1") == "true"
	}
	if !set["max-body"] {
		c.MaxBody = f.MaxBody
		if v := getenv("SHEP_MAX_BODY"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%w: SHEP_MAX_BODY: %v", errUsage, err)
			}
			c.MaxBody = n
		}
	}
	if c.MaxBody == 0 {
		c.MaxBody = 8 << 20
	}
	return nil
}

// parseSize reads a size in bytes: a whole number, optionally followed by KiB, MiB or GiB.
func parseSize(s string) (int64, error) {
	num, shift := s, 0
	for _, u := range []struct {
		suffix string
		shift  int
	}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, shift = n, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("size %q: want a whole number of bytes, KiB, MiB or GiB", s)
	}
	return n << shift, nil
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

// parseSystems reads --system NAME=auto[:DELAY] | NAME=manual.
func parseSystems(specs []string) (map[string]builtin.SystemConfig, error) {
	out := map[string]builtin.SystemConfig{}
	for _, spec := range specs {
		name, how, ok := strings.Cut(spec, "=")
		mode, delay, _ := strings.Cut(how, ":")
		if !ok || name == "" || (mode != string(provider.Auto) && mode != string(provider.Manual)) || (mode == string(provider.Manual) && delay != "") {
			return nil, fmt.Errorf("%w: --system %q: want NAME=auto[:DELAY] or NAME=manual", errUsage, spec)
		}
		out[name] = builtin.SystemConfig{Mode: provider.Mode(mode), DecideAfter: delay}
	}
	return out, nil
}
