// Package revocation answers "was this certificate revoked at time T?" from CRLs (files, URLs, the
// certificate's own CDP; full and delta; signatures and nextUpdate checked) and OCSP (nonce and
// responder signature checked), failing closed: no current evidence means Unknown, never Good.
package revocation

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// State is a revocation verdict.
type State int

// Verdicts.
const (
	Unknown State = iota // no current, verifiable evidence: callers must reject
	Good
	Revoked
)

func (s State) String() string {
	switch s {
	case Good:
		return "good"
	case Revoked:
		return "revoked"
	default:
		return "unknown"
	}
}

// Status is the answer about one certificate.
type Status struct {
	State     State
	RevokedAt time.Time // Revoked only
	Reason    int       // RFC 5280 CRLReason; -1 when none was given
	Source    string    // where the answer came from, e.g. "crl http://…/full.crl #12 + delta #13" or "ocsp http://…"
	// ThisUpdate and NextUpdate bound the evidence the answer rests on (NextUpdate may be zero).
	ThisUpdate, NextUpdate time.Time
}

// Checker reports the revocation status of cert, issued by issuer, at time at. An error means the
// status could not be established (the returned Status is then Unknown).
type Checker interface {
	Check(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (Status, error)
}

// ErrUnknown is wrapped by every error that leaves the status undetermined.
var ErrUnknown = errors.New("revocation status unknown")

func unknownf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnknown, fmt.Sprintf(format, args...))
}

// Fallback asks each checker in turn and returns the first definite answer (Good or Revoked), so
// that OCSP's tryLater or a network error falls back to CRLs. If none answers, the status is
// Unknown and the error joins every checker's reason.
type Fallback []Checker

// Check implements Checker.
func (f Fallback) Check(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (Status, error) {
	var errs []error
	for _, c := range f {
		st, err := c.Check(ctx, cert, issuer, at)
		if err == nil && st.State != Unknown {
			return st, nil
		}
		if err == nil {
			err = unknownf("%s gave no answer", st.Source)
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return Status{Reason: -1}, unknownf("no revocation source configured")
	}
	return Status{Reason: -1}, errors.Join(errs...)
}
