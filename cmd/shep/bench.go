package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/loadgen"
)

// maxPool bounds the requests prepared before a run (each is a few KB in memory).
const maxPool = 200_000

const benchUsage = "shep bench --target URL --duration D --concurrency N [--rate R] [--mix FILE] [--json] [--data DIR] [--warmup D] [--pool N]"

func runBench(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "bench")
	target := fs.String("target", "http://127.0.0.1:8080/bip-sync-wss-gost/", "the gateway's SyncChannel URL")
	server := fs.String("server", "", "the gateway's base URL for its admin API (default: scheme and host of --target)")
	token := fs.String("token", e.getenv("SHEP_ADMIN_TOKEN"), "admin token (default $SHEP_ADMIN_TOKEN, else DATA/admin.token)")
	duration := fs.Duration("duration", 10*time.Second, "measured duration")
	warmup := fs.Duration("warmup", time.Second, "load sent before the measured duration, not counted")
	concurrency := fs.Int("concurrency", 8, "workers: requests in flight at most")
	rate := fs.Float64("rate", 0, "requests per second (open loop; latency counted from each request's due time); 0: closed loop")
	mixFile := fs.String("mix", "", `JSON mix: [{"service":"GBDFL_UniversalServiceSync","weight":70,"channel":"system"},{"service":"AKT-3","channel":"portal","weight":20},…] (default 70 % ГБД ФЛ lookups, 20 % AKT-3, 10 % AKT-1 via the portal)`)
	asJSON := fs.Bool("json", false, "print one JSON object")
	pool := fs.Int("pool", -1, "requests signed before the run (default -1: enough for the run, from --rate or half the crypto floor; at most 200000)")
	citizens := fs.Int("citizens", 20, "citizens of ГБД ФЛ given SIGN certificates (cached in DATA/bench/citizens)")
	floorTime := fs.Duration("floor-time", 2*time.Second, "time spent measuring the machine's RSA floor before the run (0: skip)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request timeout")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q; %s", errUsage, fs.Args(), benchUsage)
	}
	switch {
	case *duration <= 0:
		return fmt.Errorf("%w: --duration must be positive", errUsage)
	case *warmup < 0:
		return fmt.Errorf("%w: --warmup must not be negative", errUsage)
	case *concurrency <= 0:
		return fmt.Errorf("%w: --concurrency must be positive", errUsage)
	case *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0):
		return fmt.Errorf("%w: --rate must be a number of requests per second (0: closed loop)", errUsage)
	case *pool < -1:
		return fmt.Errorf("%w: --pool must not be negative", errUsage)
	case *citizens <= 0:
		return fmt.Errorf("%w: --citizens must be positive", errUsage)
	case *floorTime < 0:
		return fmt.Errorf("%w: --floor-time must not be negative", errUsage)
	}
	tu, err := url.Parse(*target)
	if err != nil || (tu.Scheme != "http" && tu.Scheme != "https") || tu.Host == "" {
		return fmt.Errorf("%w: --target %q: want an http(s) URL", errUsage, *target)
	}
	if *server == "" {
		*server = tu.Scheme + "://" + tu.Host
	}

	mix := loadgen.DefaultMix()
	if *mixFile != "" {
		b, err := os.ReadFile(*mixFile)
		if err != nil {
			return fmt.Errorf("%w: --mix: %v", errUsage, err)
		}
		if mix, err = loadgen.ParseMix(b); err != nil {
			return fmt.Errorf("%w: --mix %s: %v", errUsage, *mixFile, err)
		}
	}
	cat, err := catalogue.Load()
	if err != nil {
		return err
	}
	if err := mix.Check(cat); err != nil {
		return fmt.Errorf("%w: --mix: %v", errUsage, err)
	}
	progress := func(f string, a ...any) { fmt.Fprintf(e.stderr, "shep bench: "+f+"\n", a...) }

	// The target must answer before anything is prepared.
	client := &http.Client{Timeout: 10 * time.Second}
	if err := reachable(ctx, client, *target); err != nil {
		return fmt.Errorf("the target is unreachable: %w", err)
	}

	// Identities: the demo information system signs envelopes, the ЦОН operator con applications,
	// citizens of ГБД ФЛ (certificates issued once by the test НУЦ) portal applications.
	authority, err := ca.Open(ctx, ca.Options{Dir: pkiDir(*data)}, false)
	if err != nil {
		return fmt.Errorf("the test НУЦ of %s (start `shep serve --data %s` once): %w", *data, *data, err)
	}
	demo := filepath.Join(*data, "demo")
	system, err := loadgen.LoadIdentity(filepath.Join(demo, "system.crt"), filepath.Join(demo, "system.key"))
	if err != nil {
		return fmt.Errorf("the demo system identity (created by `shep serve` in %s): %w", demo, err)
	}
	var operator *loadgen.Operator
	for _, en := range mix {
		if en.Channel == loadgen.ChannelCON && operator == nil {
			id, err := loadgen.LoadIdentity(filepath.Join(demo, "operator.crt"), filepath.Join(demo, "operator.key"))
			if err != nil {
				return fmt.Errorf("the demo ЦОН operator identity: %w", err)
			}
			who, err := certs.IdentityOf(id.Cert, certs.ParseOptions{})
			if err != nil {
				return fmt.Errorf("the demo ЦОН operator identity: %w", err)
			}
			operator = &loadgen.Operator{Identity: id, IIN: who.IIN, BIN: who.BIN, Name: who.CommonName}
		}
	}
	tok := *token
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(*data, "admin.token"))
		if err != nil {
			return fmt.Errorf("no admin token: give --token or $SHEP_ADMIN_TOKEN (%v)", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	people, cst, err := loadgen.Citizens(ctx, loadgen.CitizenOptions{Server: *server, Token: tok, Client: client, CA: authority,
		Dir: filepath.Join(*data, "bench", "citizens"), N: *citizens})
	if err != nil {
		return err
	}
	progress("%d citizens of ГБД ФЛ (%d certificates cached, %d issued now)", len(people), cst.Cached, cst.Issued)

	// The crypto floor, while the machine is otherwise idle.
	var floor *loadgen.FloorRates
	if *floorTime > 0 {
		key, ok := system.Key.(*rsa.PrivateKey)
		if !ok || key.N.BitLen() != 2048 {
			if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				return err
			}
		}
		f, err := loadgen.MeasureFloor(ctx, key, *floorTime, 0)
		if err != nil {
			return err
		}
		floor = &f
		progress("crypto floor: %.0f RSA-2048 signatures/s, %.0f verifications/s on %d goroutines", f.SignPerSec, f.VerifyPerSec, f.Workers)
	}

	b, err := loadgen.NewBuilder(loadgen.BuilderOptions{Mix: mix, System: system, Citizens: people, Operator: operator})
	if err != nil {
		return err
	}
	n := *pool
	if n < 0 {
		n = defaultPool(*rate, *warmup+*duration, *concurrency, floor, mix)
	}
	progress("signing %d requests before the run…", n)
	t0 := time.Now()
	src, err := loadgen.NewPool(ctx, b.Build, mix.Cycle(), n, 0)
	if err != nil {
		return err
	}
	prepared := time.Since(t0)
	progress("%d requests ready in %.1f s; sending for %s after %s of warm-up", n, prepared.Seconds(), *duration, *warmup)

	res, err := loadgen.Run(ctx, loadgen.Options{Target: *target, Source: src, Entries: len(mix), Concurrency: *concurrency, Rate: *rate,
		Warmup: *warmup, Duration: *duration, Timeout: *timeout})
	if err != nil {
		return err
	}
	rep := loadgen.NewReport(res, loadgen.ReportInfo{Target: *target, Mix: mix, Floor: floor, Pool: n, Generated: src.Generated(),
		Prepare: prepared, Citizens: len(people)})
	if *asJSON {
		err = rep.WriteJSON(e.stdout)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	switch {
	case res.Interrupted:
		fmt.Fprintln(e.stderr, "shep bench: interrupted")
		return errInvalid
	case res.Successes == 0:
		fmt.Fprintf(e.stderr, "shep bench: no request succeeded (%d sent)\n", res.Requests)
		return errInvalid
	}
	return nil
}

// floorShare is the share of the crypto floor a closed loop is expected to reach at most: besides
// its RSA work a gateway parses, canonicalizes, serves HTTP and fsyncs, and the client shares the
// machine (BENCHMARKS.md: whole exchanges reach about 40 % of the floor with nothing else running).
const floorShare = 0.5

// defaultPool is how many requests to sign before a run of length d: with a rate, what it will
// send; in a closed loop, half of what the machine's crypto floor for the mix allows (floorShare);
// without a floor, 2000 per worker. At most maxPool. Should the run need more, they are built on
// the fly and reported (generated_during_run).
func defaultPool(rate float64, d time.Duration, concurrency int, floor *loadgen.FloorRates, mix loadgen.Mix) int {
	var n float64
	switch {
	case rate > 0:
		n = rate*d.Seconds()*1.05 + float64(concurrency)
	case floor != nil:
		n = floorShare*floor.RPS(loadgen.MixCost(mix, nil))*d.Seconds() + float64(concurrency)
	default:
		n = float64(concurrency) * 2000
	}
	return int(min(math.Ceil(n), maxPool))
}

// reachable checks that something answers HTTP at target (any status).
func reachable(ctx context.Context, c *http.Client, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	resp.Body.Close()
	return nil
}
