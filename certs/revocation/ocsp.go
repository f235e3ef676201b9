package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ocsp"
)

// OCSPOptions configure an OCSPChecker.
type OCSPOptions struct {
	// URLs are the responders to ask, in order; empty means the certificate's AIA OCSP URLs.
	URLs       []string
	HTTPClient *http.Client            // default: 5 s timeout
	Verifier   certs.SignatureVerifier // default certs.StdVerifier
	// Hash is the CertID hash (default SHA-256, as НУЦ's responder expects).
	Hash crypto.Hash
	// MaxAge bounds the age of an answer that has no nextUpdate (default 1h).
	MaxAge time.Duration
	// Skew tolerates small clock differences with the responder (default 5 min).
	Skew time.Duration
	// AllowMissingNonce accepts answers that do not echo the request's nonce (default: refuse them,
	// since such an answer may be replayed).
	AllowMissingNonce bool
	Now               func() time.Time
	Logger            *slog.Logger
}

// OCSPChecker asks OCSP responders (RFC 6960) with a fresh nonce and checks the answer: the
// responder's signature (the CA itself or a delegated OCSPSigning certificate issued by it), the
// echoed nonce, the CertID and the answer's freshness.
type OCSPChecker struct{ opts OCSPOptions }

// ErrTryLater is wrapped when a responder answers tryLater.
var ErrTryLater = errors.New("OCSP responder answered tryLater")

// NewOCSPChecker returns a checker with opts.
func NewOCSPChecker(opts OCSPOptions) *OCSPChecker {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.Verifier == nil {
		opts.Verifier = certs.StdVerifier{}
	}
	if opts.Hash == 0 {
		opts.Hash = crypto.SHA256
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = time.Hour
	}
	if opts.Skew == 0 {
		opts.Skew = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &OCSPChecker{opts: opts}
}

// Check implements Checker. The answer describes the certificate now; it is valid evidence for
// any earlier time at, since a certificate revoked after at was good at at.
func (o *OCSPChecker) Check(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (Status, error) {
	if now := o.opts.Now(); at.After(now.Add(o.opts.Skew)) {
		return Status{Reason: -1}, unknownf("the time of interest %s is in the future", at.UTC().Format(time.RFC3339))
	}
	urls := o.opts.URLs
	if len(urls) == 0 {
		urls = cert.OCSPServer
	}
	if len(urls) == 0 {
		return Status{Reason: -1}, unknownf("no OCSP responder for %q", cert.Subject.CommonName)
	}
	var errs []error
	for _, u := range urls {
		st, err := o.ask(ctx, u, cert, issuer, at)
		if err == nil {
			return st, nil
		}
		o.opts.Logger.InfoContext(ctx, "OCSP query failed", "url", u, "err", err)
		errs = append(errs, fmt.Errorf("%w: OCSP %s: %w", ErrUnknown, u, err))
	}
	return Status{Reason: -1}, errors.Join(errs...)
}

func (o *OCSPChecker) ask(ctx context.Context, url string, cert, issuer *x509.Certificate, at time.Time) (Status, error) {
	id, err := ocsp.NewCertID(cert.SerialNumber, issuer, o.opts.Hash)
	if err != nil {
		return Status{}, err
	}
	nonce, err := ocsp.NewNonce()
	if err != nil {
		return Status{}, err
	}
	reqDER, err := ocsp.CreateRequest([]ocsp.CertID{id}, nonce)
	if err != nil {
		return Status{}, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqDER))
	if err != nil {
		return Status{}, err
	}
	hreq.Header.Set("Content-Type", "application/ocsp-request")
	hreq.Header.Set("Accept", "application/ocsp-response")
	hresp, err := o.opts.HTTPClient.Do(hreq)
	if err != nil {
		return Status{}, err
	}
	defer hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK {
		return Status{}, fmt.Errorf("HTTP %s", hresp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(hresp.Body, 1<<20))
	if err != nil {
		return Status{}, err
	}
	resp, err := ocsp.ParseResponse(body)
	if err != nil {
		return Status{}, err
	}
	if resp.Status == ocsp.TryLater {
		return Status{}, ErrTryLater
	}
	if resp.Status != ocsp.Successful {
		return Status{}, fmt.Errorf("responder status %s", resp.Status)
	}
	now := o.opts.Now()
	signer, err := resp.Verify(issuer, o.opts.Verifier, now)
	if err != nil {
		return Status{}, err
	}
	if resp.Nonce == nil && !o.opts.AllowMissingNonce {
		return Status{}, errors.New("answer carries no nonce")
	}
	if resp.Nonce != nil && !bytes.Equal(resp.Nonce, nonce) {
		return Status{}, errors.New("answer's nonce does not match the request's")
	}
	single, ok := resp.FindFor(cert.SerialNumber, issuer)
	if !ok {
		return Status{}, errors.New("answer does not cover the certificate asked about")
	}
	if single.ThisUpdate.After(now.Add(o.opts.Skew)) {
		return Status{}, fmt.Errorf("thisUpdate %s is in the future", single.ThisUpdate.Format(time.RFC3339))
	}
	next := single.NextUpdate
	if next.IsZero() {
		next = single.ThisUpdate.Add(o.opts.MaxAge)
	}
	if !next.After(now) {
		return Status{}, fmt.Errorf("answer is stale (valid until %s)", next.Format(time.RFC3339))
	}
	st := Status{Reason: -1, Source: "ocsp " + url + " (signed by " + signer.Subject.CommonName + ")",
		ThisUpdate: single.ThisUpdate, NextUpdate: next}
	switch single.Status {
	case ocsp.Good:
		st.State = Good
	case ocsp.Revoked:
		if single.RevokedAt.After(at) {
			st.State = Good
		} else {
			st.State, st.RevokedAt, st.Reason = Revoked, single.RevokedAt, single.Reason
		}
	default:
		return Status{}, errors.New("responder does not know the certificate")
	}
	return st, nil
}
