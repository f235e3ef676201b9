// Package validate decides whether a certificate may be trusted as a signer at a given time: a
// path to a configured trust anchor, validity, key class (SIGN vs AUTH) and revocation of every
// certificate on the path. Every refusal carries its own Code; anything undetermined is refused.
package validate

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/revocation"
)

// Code classifies a refusal.
type Code string

// Refusal codes.
const (
	CodeMalformed            Code = "CERT_MALFORMED"
	CodeExpired              Code = "CERT_EXPIRED"
	CodeNotYetValid          Code = "CERT_NOT_YET_VALID"
	CodeRevoked              Code = "CERT_REVOKED"
	CodeUntrustedIssuer      Code = "CERT_UNTRUSTED_ISSUER"
	CodeBrokenChain          Code = "CERT_BROKEN_CHAIN"
	CodeWrongKeyUsage        Code = "CERT_WRONG_KEY_USAGE"
	CodeRevocationUnknown    Code = "CERT_REVOCATION_UNKNOWN"
	CodeUnsupportedAlgorithm Code = "ALGORITHM_NOT_SUPPORTED"
	CodeIdentity             Code = "CERT_IDENTITY_INVALID"
)

// Error is a refusal. Subject names the certificate concerned (the signer or a CA on its path).
type Error struct {
	Code      Code
	Subject   string
	RevokedAt time.Time // CodeRevoked
	Reason    int       // CodeRevoked: RFC 5280 CRLReason, -1 when unknown
	Err       error
}

func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Subject != "" {
		msg += " «" + e.Subject + "»"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the Code of err, or "" if err is not (and does not wrap) an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func refuse(code Code, c *x509.Certificate, format string, args ...any) *Error {
	e := &Error{Code: code, Reason: -1, Err: fmt.Errorf(format, args...)}
	if c != nil {
		e.Subject = c.Subject.CommonName
	}
	return e
}

// Usage is what the certificate is about to be used for.
type Usage int

// Usages.
const (
	UsageAny  Usage = iota // no key-class requirement
	UsageSign              // a signature: the certificate must be a SIGN key (digitalSignature + nonRepudiation)
	UsageAuth              // authentication: an AUTH key
)

// Options configure a Validator.
type Options struct {
	// Anchors are the trust anchors; a path must end in one of them. Intermediates help build paths.
	Anchors, Intermediates []*x509.Certificate
	// Revocation checks every certificate on the path below the anchor. It is required unless
	// SkipRevocation is set explicitly.
	Revocation     revocation.Checker
	SkipRevocation bool
	Verifier       certs.SignatureVerifier // default certs.StdVerifier
	Identity       certs.ParseOptions      // how ИИН/БИН in certificates are checked
	// CacheTTL bounds how long a verdict for the present time is reused (default 1 min; negative
	// disables the cache). A verdict is never reused past the certificate's notAfter or the
	// nextUpdate of its revocation evidence.
	CacheTTL    time.Duration
	MaxChainLen int // default 6
	Now         func() time.Time
	Logger      *slog.Logger
}

// Validator validates signer certificates. It is safe for concurrent use.
type Validator struct {
	opts Options

	mu    sync.Mutex
	cache map[cacheKey]cached
}

type cacheKey struct {
	cert  [32]byte
	usage Usage
}

type cached struct {
	v       *Verdict
	expires time.Time
}

const (
	maxCache = 50000
	// maxFuture tolerates clock skew in a requested time of interest.
	maxFuture = 5 * time.Minute
	// maxSignatureChecks bounds path building, whose candidates may come from the message itself.
	maxSignatureChecks = 100
)

// New returns a Validator.
func New(opts Options) (*Validator, error) {
	if len(opts.Anchors) == 0 {
		return nil, errors.New("validate: no trust anchors")
	}
	if opts.Revocation == nil && !opts.SkipRevocation {
		return nil, errors.New("validate: no revocation checker (set SkipRevocation to do without, explicitly)")
	}
	if opts.Verifier == nil {
		opts.Verifier = certs.StdVerifier{}
	}
	if opts.CacheTTL == 0 {
		opts.CacheTTL = time.Minute
	}
	if opts.MaxChainLen == 0 {
		opts.MaxChainLen = 6
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Validator{opts: opts, cache: map[cacheKey]cached{}}, nil
}

// Request asks for a verdict on Cert.
type Request struct {
	Cert *x509.Certificate
	// Extra are certificates that came with the signature (for example from X509Data) and may
	// serve as intermediates; they are never trusted as anchors.
	Extra []*x509.Certificate
	// At is the time of interest (zero: now). For a past time, a CRL issued later that does not
	// list the certificate (or lists it as revoked after At) is valid evidence.
	At    time.Time
	Usage Usage
}

// Verdict is an accepted certificate.
type Verdict struct {
	Chain      []*x509.Certificate // Cert first, the anchor last
	Identity   *certs.Identity
	Revocation []revocation.Status // one per chain certificate below the anchor; empty when skipped
	At         time.Time
	Cached     bool
}

// Validate returns a verdict on req.Cert, or an *Error saying why it must be refused.
func (v *Validator) Validate(ctx context.Context, req Request) (*Verdict, error) {
	if req.Cert == nil {
		return nil, refuse(CodeMalformed, nil, "no certificate")
	}
	now := v.opts.Now()
	if req.At.After(now.Add(maxFuture)) {
		return nil, refuse(CodeMalformed, req.Cert, "the time of interest %s is in the future", req.At.UTC().Format(time.RFC3339))
	}
	present := req.At.IsZero()
	at := req.At
	if present {
		at = now
	}
	key := cacheKey{sha256.Sum256(req.Cert.Raw), req.Usage}
	if present && v.opts.CacheTTL > 0 {
		v.mu.Lock()
		c, ok := v.cache[key]
		v.mu.Unlock()
		if ok && now.Before(c.expires) {
			out := *c.v
			out.Cached, out.At = true, at
			return &out, nil
		}
	}
	verdict, err := v.validate(ctx, req, at)
	if err != nil {
		v.opts.Logger.DebugContext(ctx, "certificate refused", "subject", req.Cert.Subject.CommonName, "err", err)
		return nil, err
	}
	if present && v.opts.CacheTTL > 0 {
		exp := now.Add(v.opts.CacheTTL)
		for _, c := range verdict.Chain {
			if c.NotAfter.Before(exp) {
				exp = c.NotAfter
			}
		}
		for _, st := range verdict.Revocation {
			if !st.NextUpdate.IsZero() && st.NextUpdate.Before(exp) {
				exp = st.NextUpdate
			}
		}
		v.mu.Lock()
		if len(v.cache) >= maxCache {
			clear(v.cache)
		}
		v.cache[key] = cached{v: verdict, expires: exp}
		v.mu.Unlock()
	}
	return verdict, nil
}

// Flush forgets every cached verdict (for example after a revocation the caller knows of).
func (v *Validator) Flush() {
	v.mu.Lock()
	clear(v.cache)
	v.mu.Unlock()
}

func (v *Validator) validate(ctx context.Context, req Request, at time.Time) (*Verdict, error) {
	c := req.Cert
	if err := checkTime(c, at, "certificate"); err != nil {
		return nil, err
	}
	b := &builder{v: v, extra: req.Extra, at: at, budget: maxSignatureChecks, checked: map[[2][32]byte]error{}}
	chain, err := b.build(c, 0, nil)
	if err != nil {
		return nil, err
	}
	for _, cc := range chain[:len(chain)-1] {
		if len(cc.UnhandledCriticalExtensions) > 0 {
			return nil, refuse(CodeMalformed, cc, "unsupported critical extension %v", cc.UnhandledCriticalExtensions)
		}
	}
	switch class := certs.KeyClassOf(c); {
	case req.Usage == UsageSign && class != certs.KeySign:
		return nil, refuse(CodeWrongKeyUsage, c, "a %s key cannot sign: a SIGN key (digitalSignature + nonRepudiation) is required", class)
	case req.Usage == UsageAuth && class != certs.KeyAuth:
		return nil, refuse(CodeWrongKeyUsage, c, "a %s key cannot authenticate: an AUTH key is required", class)
	}
	verdict := &Verdict{Chain: chain, At: at}
	if !v.opts.SkipRevocation {
		for i := 0; i < len(chain)-1; i++ {
			st, err := v.opts.Revocation.Check(ctx, chain[i], chain[i+1], at)
			if err != nil || st.State == revocation.Unknown {
				if err == nil {
					err = revocation.ErrUnknown
				}
				return nil, &Error{Code: CodeRevocationUnknown, Subject: chain[i].Subject.CommonName, Reason: -1, Err: err}
			}
			if st.State == revocation.Revoked {
				return nil, &Error{Code: CodeRevoked, Subject: chain[i].Subject.CommonName, RevokedAt: st.RevokedAt, Reason: st.Reason,
					Err: fmt.Errorf("revoked at %s (reason %d) according to %s", st.RevokedAt.UTC().Format(time.RFC3339), st.Reason, st.Source)}
			}
			verdict.Revocation = append(verdict.Revocation, st)
		}
	}
	id, err := certs.IdentityOf(c, v.opts.Identity)
	if err != nil {
		return nil, &Error{Code: CodeIdentity, Subject: c.Subject.CommonName, Reason: -1, Err: err}
	}
	verdict.Identity = id
	return verdict, nil
}

func checkTime(c *x509.Certificate, at time.Time, what string) *Error {
	if at.Before(c.NotBefore) {
		return refuse(CodeNotYetValid, c, "%s valid from %s, checked at %s", what, c.NotBefore.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if at.After(c.NotAfter) {
		return refuse(CodeExpired, c, "%s expired at %s, checked at %s", what, c.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	return nil
}

func (v *Validator) isAnchor(c *x509.Certificate) bool {
	for _, a := range v.opts.Anchors {
		if a.Equal(c) {
			return true
		}
	}
	return false
}

// issuers lists candidate issuers of c: anchors first, then intermediates, then extra.
func (v *Validator) issuers(c *x509.Certificate, extra []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, pool := range [][]*x509.Certificate{v.opts.Anchors, v.opts.Intermediates, extra} {
		for _, p := range pool {
			if p.Equal(c) || string(p.RawSubject) != string(c.RawIssuer) {
				continue
			}
			if len(c.AuthorityKeyId) > 0 && len(p.SubjectKeyId) > 0 && string(c.AuthorityKeyId) != string(p.SubjectKeyId) {
				continue
			}
			dup := false
			for _, o := range out {
				dup = dup || o.Equal(p)
			}
			if !dup {
				out = append(out, p)
			}
		}
	}
	return out
}

// builder searches for a path. Candidates may come from the message, so the search is bounded:
// a budget of signature checks, each (child, parent) pair checked once, and no certificate (by
// subject and key) twice on a path.
type builder struct {
	v       *Validator
	extra   []*x509.Certificate
	at      time.Time
	budget  int
	checked map[[2][32]byte]error
}

func (b *builder) checkSignature(c, p *x509.Certificate) error {
	k := [2][32]byte{sha256.Sum256(c.Raw), sha256.Sum256(p.Raw)}
	if err, ok := b.checked[k]; ok {
		return err
	}
	if b.budget <= 0 {
		return errBudget
	}
	b.budget--
	err := certs.CheckCertificateSignature(b.v.opts.Verifier, c, p)
	b.checked[k] = err
	return err
}

var errBudget = errors.New("path building gave up: too many candidate issuers")

func sameEntity(a, c *x509.Certificate) bool {
	return string(a.RawSubject) == string(c.RawSubject) && string(a.RawSubjectPublicKeyInfo) == string(c.RawSubjectPublicKeyInfo)
}

// build returns a path from c (at position depth of the path, the end entity being 0) to an
// anchor; above lists the certificates below c on the path being built.
func (b *builder) build(c *x509.Certificate, depth int, above []*x509.Certificate) ([]*x509.Certificate, error) {
	v := b.v
	if v.isAnchor(c) {
		return []*x509.Certificate{c}, nil
	}
	if depth >= v.opts.MaxChainLen {
		return nil, refuse(CodeBrokenChain, c, "no path to a trust anchor within %d certificates", v.opts.MaxChainLen)
	}
	cands := v.issuers(c, b.extra)
	if len(cands) == 0 {
		return nil, refuse(CodeUntrustedIssuer, c, "issuer %q is not a trusted CA and no certificate of it is known", c.Issuer.String())
	}
	var best *Error
	keep := func(e *Error) {
		if best == nil || best.Code == CodeUntrustedIssuer || best.Code == CodeBrokenChain && e.Code != CodeUntrustedIssuer {
			best = e
		}
	}
	path := append(above[:len(above):len(above)], c) // a copy: siblings must not share it
	for _, p := range cands {
		loop := false
		for _, q := range path {
			loop = loop || sameEntity(p, q)
		}
		if loop {
			keep(refuse(CodeBrokenChain, p, "issuer already on the path (a loop)"))
			continue
		}
		if err := b.checkSignature(c, p); err != nil {
			code := CodeBrokenChain
			if errors.Is(err, certs.ErrUnsupportedAlgorithm) {
				code = CodeUnsupportedAlgorithm
			}
			keep(refuse(code, c, "signature by issuer «%s» does not verify: %w", p.Subject.CommonName, err))
			if errors.Is(err, errBudget) {
				return nil, best
			}
			continue
		}
		if !p.BasicConstraintsValid || !p.IsCA {
			keep(refuse(CodeBrokenChain, p, "issuer is not a CA (basicConstraints)"))
			continue
		}
		if p.KeyUsage != 0 && p.KeyUsage&x509.KeyUsageCertSign == 0 {
			keep(refuse(CodeBrokenChain, p, "issuer's key usage does not allow signing certificates"))
			continue
		}
		// depth CA certificates stand between p and the end entity (pathLenConstraint, RFC 5280 §4.2.1.9).
		if (p.MaxPathLen > 0 || p.MaxPathLenZero) && depth > p.MaxPathLen {
			keep(refuse(CodeBrokenChain, p, "path length constraint %d exceeded", p.MaxPathLen))
			continue
		}
		if err := checkTime(p, b.at, "issuer certificate"); err != nil {
			keep(err)
			continue
		}
		rest, err := b.build(p, depth+1, path)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				keep(e)
				if errors.Is(e, errBudget) {
					return nil, best
				}
			}
			continue
		}
		return append([]*x509.Certificate{c}, rest...), nil
	}
	return nil, best
}
