package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shep-kz/shep/adapters/remote"
	"github.com/shep-kz/shep/adapters/remote/example"
	"github.com/shep-kz/shep/certs"
)

// runProviderExample runs the example provider system (adapters/remote/example) until ctx is done.
func runProviderExample(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "provider-example")
	addr := fs.String("addr", "127.0.0.1:9090", "listen address (port 0: any free port)")
	certFile := fs.String("cert", "", "the provider's transport certificate, PEM or DER (required)")
	keyFile := fs.String("key", "", "its private key, PEM (required)")
	gwFile := fs.String("gateway-cert", "", "the gateway's certificate: only requests it signed are accepted (required; DATA/gateway/gateway.crt)")
	service := fs.String("service", example.DemoServiceID, "the serviceId the demo service answers")
	logLevel := fs.String("log-level", "info", "debug|info|warn|error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *certFile == "" || *keyFile == "" || *gwFile == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: shep provider-example --cert FILE --key FILE --gateway-cert FILE [--addr HOST:PORT] [--service ID]", errUsage)
	}
	log, err := newLogger(e.stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	cert, err := readCertificate(*certFile)
	if err != nil {
		return err
	}
	key, err := certs.ReadPrivateKey(*keyFile)
	if err != nil {
		return err
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return fmt.Errorf("%w: --key is not the key of --cert", errUsage)
	}
	gw, err := readCertificate(*gwFile)
	if err != nil {
		return err
	}
	h := example.New(example.Options{Key: key, Cert: cert, GatewayCert: gw, Handler: example.Demo(*service, time.Now), Logger: log})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(e.stdout, "listening on %s\n", ln.Addr())
	log.Info("example provider", "endpoint", "http://"+ln.Addr().String()+"/", "service", *service, "certificate", cert.Subject.CommonName,
		"gateway", gw.Subject.CommonName)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openProviders opens the data dir's provider registry; close releases the store.
func openProviders(data string) (*remote.Registry, func(), error) {
	db, err := openStore(data)
	if err != nil {
		return nil, nil, err
	}
	return remote.NewRegistry(db), func() { db.Close() }, nil
}

func runProvider(ctx context.Context, e *env, args []string) error {
	const usage = "shep provider add --id ID --service S... --endpoint URL --cert FILE [--timeout 10s] [--retries 1] [--name N] [--disabled] | list | remove ID"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	fs, data := newFlags(e, "provider "+args[0])
	var af adminFlags
	af.register(fs, data, e)
	switch args[0] {
	case "add":
		id := fs.String("id", "", "provider ID, e.g. mio-zko (required)")
		var services listFlag
		fs.Var(&services, "service", "serviceId it serves (repeatable, at least one)")
		endpoint := fs.String("endpoint", "", "its SyncChannel URL, http(s) (required)")
		certFile := fs.String("cert", "", "its transport certificate, PEM or DER: its answers must be signed by it (required)")
		timeout := fs.Duration("timeout", remote.DefaultTimeout, "per-attempt timeout")
		retries := fs.Int("retries", remote.DefaultRetries, fmt.Sprintf("extra attempts after a transport failure (0..%d)", remote.MaxRetries))
		name := fs.String("name", "", "a readable name")
		disabled := fs.Bool("disabled", false, "registered but not routed to")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *id == "" || len(services) == 0 || *endpoint == "" || *certFile == "" || fs.NArg() != 0 {
			return fmt.Errorf("%w: %s", errUsage, usage)
		}
		cert, err := readCertificate(*certFile)
		if err != nil {
			return err
		}
		p := &remote.Provider{ID: *id, Name: *name, Services: services, Endpoint: *endpoint, Cert: cert.Raw, Timeout: *timeout,
			Retries: *retries, Disabled: *disabled}
		if *af.server != "" {
			spec := remote.ProviderSpec{ID: p.ID, Name: p.Name, Services: p.Services, Endpoint: p.Endpoint, Timeout: p.Timeout.String(),
				Retries: &p.Retries, Disabled: p.Disabled, Cert: pemCertificate(cert)}
			var out remote.ProviderJSON
			if err := af.call(ctx, http.MethodPost, "/admin/providers", spec, &out); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "provider %s saved (services %s, endpoint %s)\n", out.ID, strings.Join(out.Services, ","), out.Endpoint)
			return nil
		}
		reg, closeStore, err := openProviders(*data)
		if err != nil {
			return err
		}
		defer closeStore()
		if p, err = reg.Put(ctx, p); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "provider %s saved (services %s, endpoint %s)\n", p.ID, strings.Join(p.Services, ","), p.Endpoint)
		return nil
	case "list":
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		var rows []remote.ProviderJSON
		if *af.server != "" {
			var out struct {
				Providers []remote.ProviderJSON `json:"providers"`
			}
			if err := af.call(ctx, http.MethodGet, "/admin/providers", nil, &out); err != nil {
				return err
			}
			rows = out.Providers
		} else {
			reg, closeStore, err := openProviders(*data)
			if err != nil {
				return err
			}
			defer closeStore()
			list, err := reg.List(ctx)
			if err != nil {
				return err
			}
			for _, p := range list {
				rows = append(rows, remote.ProviderJSON{ID: p.ID, Name: p.Name, Services: p.Services, Endpoint: p.Endpoint,
					Timeout: p.Timeout.String(), Retries: p.Retries, Disabled: p.Disabled})
			}
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROVIDER\tSERVICES\tENDPOINT\tTIMEOUT\tRETRIES\tSTATE\tNAME")
		for _, r := range rows {
			state := "enabled"
			if r.Disabled {
				state = "disabled"
			} else if r.Breaker != nil && r.Breaker.State != remote.StateClosed {
				state = "circuit " + r.Breaker.State
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, strings.Join(r.Services, ","), r.Endpoint, r.Timeout, r.Retries, state, r.Name)
		}
		return tw.Flush()
	case "remove":
		id := fs.String("id", "", "provider ID (or give it as the argument)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *id == "" && fs.NArg() > 0 { // remove ID [flags]
			*id = fs.Arg(0)
			if err := parse(fs, fs.Args()[1:]); err != nil {
				return err
			}
		}
		if *id == "" || fs.NArg() != 0 {
			return fmt.Errorf("%w: shep provider remove ID", errUsage)
		}
		if *af.server != "" {
			if err := af.call(ctx, http.MethodDelete, "/admin/providers/"+url.PathEscape(*id), nil, nil); err != nil {
				return err
			}
		} else {
			reg, closeStore, err := openProviders(*data)
			if err != nil {
				return err
			}
			defer closeStore()
			if err := reg.Delete(ctx, *id); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "provider %s removed\n", *id)
		return nil
	}
	return fmt.Errorf("%w: %s", errUsage, usage)
}

func pemCertificate(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}
