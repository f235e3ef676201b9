package ca

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// CRLKind names one of the authority's revocation lists.
type CRLKind string

// The CRLs the authority publishes.
const (
	CRLFull  CRLKind = "full"  // every revoked certificate of the issuing CA
	CRLDelta CRLKind = "delta" // changes since the current full CRL (RFC 5280 §5.2.4)
	CRLRoot  CRLKind = "root"  // the root's CRL, covering the issuing CA
)

// CRL returns the current CRL of the given kind, issuing a new one when the stored one is due:
// a full or root CRL after half of its validity, a delta after half of its validity or as soon as
// a revocation is not yet in it (so revocations propagate through deltas immediately).
func (a *Authority) CRL(ctx context.Context, kind CRLKind) ([]byte, error) {
	return a.crl(ctx, kind, false)
}

// IssueCRL issues a new CRL of the given kind now, whatever the schedule.
func (a *Authority) IssueCRL(ctx context.Context, kind CRLKind) ([]byte, error) {
	return a.crl(ctx, kind, true)
}

func (a *Authority) crl(ctx context.Context, kind CRLKind, force bool) ([]byte, error) {
	switch kind {
	case CRLFull, CRLDelta, CRLRoot:
	default:
		return nil, fmt.Errorf("ca: unknown CRL kind %q", kind)
	}
	now := a.opts.Now()
	// Fast path under a shared lock: the stored CRL is still current.
	var out []byte
	err := a.withState(false, func(s *state) (bool, error) {
		if !force && !a.due(s, kind, now) {
			b, err := a.readCRL(kind)
			if err == nil {
				out = b
			}
		}
		return false, nil
	})
	if err != nil || out != nil {
		return out, err
	}
	if kind == CRLDelta {
		// A delta needs a current base; that full CRL is saved on its own, so that a failure of
		// the delta cannot take back the CRL number it used.
		err = a.withState(true, func(s *state) (bool, error) {
			if s.Full != nil && !a.due(s, CRLFull, now) {
				return false, nil
			}
			_, err := a.issueLocked(ctx, s, CRLFull, now)
			return err == nil, err
		})
		if err != nil {
			return nil, err
		}
	}
	err = a.withState(true, func(s *state) (bool, error) {
		if !force && !a.due(s, kind, now) { // another process issued it meanwhile
			if b, err := a.readCRL(kind); err == nil {
				out = b
				return false, nil
			}
		}
		b, err := a.issueLocked(ctx, s, kind, now)
		out = b
		return err == nil, err
	})
	return out, err
}

func (a *Authority) readCRL(kind CRLKind) ([]byte, error) {
	if b, ok := a.crlCache[kind]; ok {
		return b, nil
	}
	b, err := os.ReadFile(a.path(filepath.Join("crl", string(kind)+".crl")))
	if err != nil {
		return nil, err
	}
	a.crlCache[kind] = b
	return b, nil
}

func (a *Authority) validity(kind CRLKind) time.Duration {
	switch kind {
	case CRLFull:
		return a.opts.FullCRLValidity
	case CRLDelta:
		return a.opts.DeltaCRLValidity
	default:
		return a.opts.RootCRLValidity
	}
}

// due reports whether a new CRL of kind must be issued at now.
func (a *Authority) due(s *state, kind CRLKind, now time.Time) bool {
	var r *crlRecord
	switch kind {
	case CRLFull:
		r = s.Full
	case CRLDelta:
		r = s.Delta
		if r == nil || s.Full == nil || r.BaseNumber != s.Full.Number || r.RevSeq != s.RevSeq {
			return true
		}
	case CRLRoot:
		r = s.Root
	}
	if r == nil {
		return true
	}
	half := r.ThisUpdate.Add(r.NextUpdate.Sub(r.ThisUpdate) / 2)
	return !now.Before(half) || now.Before(r.ThisUpdate)
}

// issueLocked signs and stores a CRL; the caller holds the exclusive lock.
func (a *Authority) issueLocked(ctx context.Context, s *state, kind CRLKind, now time.Time) ([]byte, error) {
	s.CRLNumber++
	rec := &crlRecord{
		Number:     s.CRLNumber,
		ThisUpdate: now.UTC().Truncate(time.Second),
		RevSeq:     s.RevSeq,
	}
	rec.NextUpdate = rec.ThisUpdate.Add(a.validity(kind))
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(rec.Number),
		ThisUpdate: rec.ThisUpdate,
		NextUpdate: rec.NextUpdate,
	}
	issuer, key := a.ca, a.caKey
	switch kind {
	case CRLRoot:
		issuer, key = a.root, a.rootKey // the root has issued no other certificate to revoke
	case CRLFull:
		freshest, err := distributionPoints(s.BaseURL + "/crl/delta.crl")
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidExtFreshestCRL, Value: freshest})
		for _, c := range s.Certs {
			if c.Revoked != nil && c.Revoked.Reason != ReasonRemoveFromCRL {
				tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, entry(c))
			}
		}
	case CRLDelta:
		base := s.Full
		rec.BaseNumber = base.Number
		ind, err := asn1.Marshal(big.NewInt(base.Number))
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidExtDeltaCRLIndic, Critical: true, Value: ind})
		for _, c := range s.Certs {
			if c.Revoked != nil && c.Revoked.Seq > base.RevSeq {
				tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, entry(c))
			}
		}
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer, key)
	if err != nil {
		return nil, fmt.Errorf("ca: sign %s CRL: %w", kind, err)
	}
	if err := writeFileAtomic(a.path(filepath.Join("crl", string(kind)+".crl")), der, 0o644); err != nil {
		return nil, fmt.Errorf("ca: store %s CRL: %w", kind, err)
	}
	switch kind {
	case CRLFull:
		s.Full = rec
	case CRLDelta:
		s.Delta = rec
	case CRLRoot:
		s.Root = rec
	}
	a.crlCache[kind] = der
	a.opts.Logger.InfoContext(ctx, "CRL issued", "kind", kind, "number", rec.Number, "entries", len(tmpl.RevokedCertificateEntries),
		"this_update", rec.ThisUpdate, "next_update", rec.NextUpdate)
	return der, nil
}

func entry(c *certRecord) x509.RevocationListEntry {
	n, _ := new(big.Int).SetString(c.Serial, 16)
	return x509.RevocationListEntry{SerialNumber: n, RevocationTime: c.Revoked.At, ReasonCode: int(c.Revoked.Reason)}
}
