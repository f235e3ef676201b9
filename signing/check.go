package signing

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/validate"
)

// CheckerOptions configure a Checker.
type CheckerOptions struct {
	Validator *validate.Validator // required: decides whether the signer certificate is trusted
	Registry  *Registry           // default DefaultRegistry()
	Limits    Limits
	AllowSHA1 bool
	// Identity says how to read the signer's identity for the Error of a refused signature
	// (Error.Identity); accepted signatures get theirs from the Validator.
	Identity certs.ParseOptions
	Logger   *slog.Logger
}

// Checker verifies a signature and then the trust of its signer certificate.
// It is safe for concurrent use.
type Checker struct {
	opts Options
	val  *validate.Validator
	id   certs.ParseOptions
	log  *slog.Logger
}

// Result is an accepted signature: what was signed, by whom, and the certificate verdict.
type Result struct {
	Verified
	Verdict *validate.Verdict
}

// NewChecker returns a Checker.
func NewChecker(opts CheckerOptions) (*Checker, error) {
	if opts.Validator == nil {
		return nil, errors.New("signing: CheckerOptions.Validator is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Checker{
		opts: Options{Registry: opts.Registry, Limits: opts.Limits, AllowSHA1: opts.AllowSHA1, Certs: NewCertCache(0)},
		val:  opts.Validator, id: opts.Identity, log: opts.Logger,
	}, nil
}

// CheckWSSE verifies the WS-Security signature of a SOAP envelope (VerifyWSSE) and the signer
// certificate as a signing key at time at (zero: now). A certificate refusal is the
// *validate.Error, reachable with errors.As or CodeOf.
func (c *Checker) CheckWSSE(ctx context.Context, body []byte, at time.Time) (*Result, error) {
	v, err := VerifyWSSE(body, c.opts)
	return c.trust(ctx, v, err, at)
}

// CheckEnveloped verifies the one enveloped signature of a document (VerifyEnveloped) and the
// signer certificate as a signing key at time at (zero: now).
func (c *Checker) CheckEnveloped(ctx context.Context, doc []byte, at time.Time) (*Result, error) {
	v, err := VerifyEnveloped(doc, c.opts)
	return c.trust(ctx, v, err, at)
}

// CheckEnvelopedAll verifies every enveloped signature of a document and the trust of each
// signer. Each result holds either a Result or that signature's error.
func (c *Checker) CheckEnvelopedAll(ctx context.Context, doc []byte, at time.Time) ([]CheckedSignature, error) {
	rs, err := VerifyEnvelopedAll(doc, c.opts)
	if err != nil {
		c.log.InfoContext(ctx, "document refused", "code", CodeOf(err), "err", err)
		return nil, err
	}
	out := make([]CheckedSignature, len(rs))
	for i, r := range rs {
		out[i].Result, out[i].Err = c.trust(ctx, r.Verified, r.Err, at)
	}
	return out, nil
}

// CheckedSignature is the outcome for one signature of CheckEnvelopedAll.
type CheckedSignature struct {
	Result *Result
	Err    error
}

func (c *Checker) trust(ctx context.Context, v *Verified, err error, at time.Time) (*Result, error) {
	if err != nil {
		var se *Error
		if errors.As(err, &se) && se.Certificate != nil && se.Identity == nil {
			if id, idErr := certs.IdentityOf(se.Certificate, c.id); idErr == nil {
				se.Identity = id
			}
		}
		attrs := []any{"code", CodeOf(err), "err", err}
		if se != nil && se.Identity != nil {
			attrs = append(attrs, "signer_iin", se.Identity.IIN, "signer_bin", se.Identity.BIN)
		}
		c.log.InfoContext(ctx, "signature refused", attrs...)
		return nil, err
	}
	verdict, err := c.val.Validate(ctx, validate.Request{Cert: v.Certificate, Extra: v.Extra, At: at, Usage: validate.UsageSign})
	if err != nil {
		c.log.InfoContext(ctx, "signer certificate refused", "code", CodeOf(err), "subject", v.Certificate.Subject.CommonName, "err", err)
		// The validate.Error stays reachable (errors.As, CodeOf); the signer is reported with it.
		se := &Error{Code: Code(validate.CodeOf(err)), Msg: "signer certificate", Err: err, Certificate: v.Certificate}
		if se.Code == "" {
			se.Code = CodeSigNoCert
		}
		if id, idErr := certs.IdentityOf(v.Certificate, c.id); idErr == nil {
			se.Identity = id
		}
		return nil, se
	}
	c.log.DebugContext(ctx, "signature accepted", "layout", v.Layout.String(), "subject", v.Certificate.Subject.CommonName)
	return &Result{Verified: *v, Verdict: verdict}, nil
}
