// Package trust assembles the signer validator from configuration: trust anchors and
// intermediates from files or memory (the test НУЦ), CRLs from files and URLs, CDP fetching, OCSP.
package trust

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/validate"
)

// Config describes a trust setup as a command line or configuration file gives it.
type Config struct {
	// AnchorFiles hold PEM or DER certificates, each of which becomes a trust anchor (a root, or an
	// issuing CA trusted directly, as with НУЦ's nca_rsa_test.crt).
	AnchorFiles []string
	// IntermediateFiles hold CA certificates that may complete paths but are not trusted as such.
	IntermediateFiles []string
	// Anchors and Intermediates are added as they are (e.g. the test НУЦ's root and issuing CA).
	Anchors, Intermediates []*x509.Certificate

	// CRLs are file paths or http(s):// URLs of CRLs (full or delta).
	CRLs []string
	// CRLSources are further CRL sources (e.g. the in-process test НУЦ).
	CRLSources []revocation.Source
	// FetchCDP downloads the CRLs that certificates name themselves.
	FetchCDP bool
	// OCSP asks responders first (OCSPURLs, or each certificate's AIA) and falls back to CRLs.
	OCSP     bool
	OCSPURLs []string

	TestIdentities bool // accept НУЦ-style test ИИН/БИН
	// Refresh is the longest time between two fetches of a CRL source (default 1h; a source
	// implementing revocation.Periodic sets its own); Run fetches a source earlier when its CRL
	// nears nextUpdate, and retries failures with backoff (see revocation.CRLOptions).
	Refresh     time.Duration
	CacheTTL    time.Duration // verdict cache (see validate.Options)
	HTTPTimeout time.Duration // CRL and OCSP requests (default 10 s)
	Verifier    certs.SignatureVerifier
	Now         func() time.Time
	Logger      *slog.Logger
}

// Trust is an assembled validator with the CRL store behind it.
type Trust struct {
	Validator *validate.Validator
	CRLs      *revocation.CRLStore
}

// Build loads the files, fetches every CRL source once and returns the validator. A CRL source
// that cannot be loaded is reported in the returned error together with a usable Trust (it fails
// closed for the certificates that source would have covered); file errors for certificates are
// fatal.
func Build(ctx context.Context, cfg Config) (*Trust, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPTimeout == 0 {
		cfg.HTTPTimeout = 10 * time.Second
	}
	anchors := append([]*x509.Certificate(nil), cfg.Anchors...)
	inter := append([]*x509.Certificate(nil), cfg.Intermediates...)
	for _, f := range cfg.AnchorFiles {
		cs, err := certs.ReadCertificates(f)
		if err != nil {
			return nil, fmt.Errorf("trust anchor: %w", err)
		}
		anchors = append(anchors, cs...)
	}
	for _, f := range cfg.IntermediateFiles {
		cs, err := certs.ReadCertificates(f)
		if err != nil {
			return nil, fmt.Errorf("intermediate: %w", err)
		}
		inter = append(inter, cs...)
	}
	if len(anchors) == 0 {
		return nil, fmt.Errorf("trust: %w (give a trust-anchor file or the test НУЦ)", ErrNoAnchors)
	}
	client := &http.Client{Timeout: cfg.HTTPTimeout}
	sources := append([]revocation.Source(nil), cfg.CRLSources...)
	for _, c := range cfg.CRLs {
		if strings.HasPrefix(c, "http://") || strings.HasPrefix(c, "https://") {
			sources = append(sources, revocation.URLSource{URL: c, Client: client})
		} else {
			sources = append(sources, revocation.FileSource(c))
		}
	}
	crls := revocation.NewCRLStore(revocation.CRLOptions{Sources: sources, FetchCDP: cfg.FetchCDP, HTTPClient: client,
		Verifier: cfg.Verifier, Refresh: cfg.Refresh, Now: cfg.Now, Logger: cfg.Logger})
	var checker revocation.Checker = crls
	if cfg.OCSP {
		checker = revocation.Fallback{revocation.NewOCSPChecker(revocation.OCSPOptions{URLs: cfg.OCSPURLs, HTTPClient: client,
			Verifier: cfg.Verifier, Now: cfg.Now, Logger: cfg.Logger}), crls}
	}
	v, err := validate.New(validate.Options{Anchors: anchors, Intermediates: inter, Revocation: checker, Verifier: cfg.Verifier,
		Identity: certs.ParseOptions{TestIdentities: cfg.TestIdentities}, CacheTTL: cfg.CacheTTL, Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	t := &Trust{Validator: v, CRLs: crls}
	if err := crls.Refresh(ctx); err != nil {
		return t, fmt.Errorf("trust: %w", err)
	}
	return t, nil
}

// ErrNoAnchors is wrapped when a configuration names no trust anchor.
var ErrNoAnchors = errors.New("no trust anchor configured")

// Run keeps the CRLs current until ctx is done, fetching each source when it is due
// (revocation.CRLStore.Run). Build has fetched every source once already.
func (t *Trust) Run(ctx context.Context) { t.CRLs.Run(ctx) }
