package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/shep-kz/shep/gost/gost3410"
)

// CRLKind names one of the authority's revocation lists.
type CRLKind string

// The CRLs the authority publishes.
const (
	CRLFull  CRLKind = "full"  // every revoked certificate of the issuing CA
	CRLDelta CRLKind = "delta" // changes since the current full CRL (RFC 5280 §5.2.4)
	CRLRoot  CRLKind = "root"  // the root's CRL, covering the issuing CA

	// The same three of the GOST hierarchy, signed with GOST R 34.10-2015 by its CAs.
	CRLGOSTFull  CRLKind = "gost-full"
	CRLGOSTDelta CRLKind = "gost-delta"
	CRLGOSTRoot  CRLKind = "gost-root"
)

// GOST reports whether the CRL is one of the GOST hierarchy.
func (k CRLKind) GOST() bool { return k == CRLGOSTFull || k == CRLGOSTDelta || k == CRLGOSTRoot }

// Base returns full, delta or root: the kind without its hierarchy.
func (k CRLKind) Base() CRLKind {
	switch k {
	case CRLGOSTFull:
		return CRLFull
	case CRLGOSTDelta:
		return CRLDelta
	case CRLGOSTRoot:
		return CRLRoot
	}
	return k
}

// GOSTCRL returns the GOST counterpart of full, delta or root.
func GOSTCRL(base CRLKind) CRLKind {
	switch base {
	case CRLFull:
		return CRLGOSTFull
	case CRLDelta:
		return CRLGOSTDelta
	case CRLRoot:
		return CRLGOSTRoot
	}
	return base
}

func (k CRLKind) valid() bool {
	switch k {
	case CRLFull, CRLDelta, CRLRoot, CRLGOSTFull, CRLGOSTDelta, CRLGOSTRoot:
		return true
	}
	return false
}

// full returns the full CRL that deltas of k's hierarchy are based on.
func (k CRLKind) full() CRLKind {
	if k.GOST() {
		return CRLGOSTFull
	}
	return CRLFull
}

// algorithm returns the hierarchy whose certificates the CRL lists.
func (k CRLKind) algorithm() Algorithm {
	if k.GOST() {
		return AlgorithmGOST2015
	}
	return AlgorithmRSA
}

// file is where the CRL is stored, relative to the authority's directory: crl/KIND.crl, and
// gost/crl/KIND.crl for the GOST hierarchy.
func (k CRLKind) file() string {
	if k.GOST() {
		return filepath.Join(gostDir, "crl", string(k.Base())+".crl")
	}
	return filepath.Join("crl", string(k)+".crl")
}

// record returns the last CRL of kind k that was issued (nil: none yet).
func (s *state) record(k CRLKind) *crlRecord {
	if k.GOST() && s.GOST == nil {
		return nil
	}
	return *s.slot(k)
}

// slot returns where the state keeps the last CRL of kind k, making the GOST part if needed.
func (s *state) slot(k CRLKind) **crlRecord {
	if k.GOST() && s.GOST == nil {
		s.GOST = &gostState{}
	}
	switch k {
	case CRLFull:
		return &s.Full
	case CRLDelta:
		return &s.Delta
	case CRLRoot:
		return &s.Root
	case CRLGOSTFull:
		return &s.GOST.Full
	case CRLGOSTDelta:
		return &s.GOST.Delta
	default:
		return &s.GOST.Root
	}
}

// lastRevocation returns the sequence number of the last revocation (or release) of a
// certificate of the hierarchy alg.
func (s *state) lastRevocation(alg Algorithm) int64 {
	var n int64
	for _, c := range s.Certs {
		if c.Revoked != nil && c.alg() == alg && c.Revoked.Seq > n {
			n = c.Revoked.Seq
		}
	}
	return n
}

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
	if !kind.valid() {
		return nil, fmt.Errorf("ca: unknown CRL kind %q", kind)
	}
	if kind.GOST() {
		if _, err := a.ensureGOST(ctx, true); err != nil {
			return nil, err
		}
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
	if kind.Base() == CRLDelta {
		// A delta needs a current base; that full CRL is saved on its own, so that a failure of
		// the delta cannot take back the CRL number it used.
		err = a.withState(true, func(s *state) (bool, error) {
			if s.record(kind.full()) != nil && !a.due(s, kind.full(), now) {
				return false, nil
			}
			_, err := a.issueLocked(ctx, s, kind.full(), now)
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
	b, err := os.ReadFile(a.path(kind.file()))
	if err != nil {
		return nil, err
	}
	a.crlCache[kind] = b
	return b, nil
}

func (a *Authority) validity(kind CRLKind) time.Duration {
	switch kind.Base() {
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
	r := s.record(kind)
	switch kind {
	case CRLDelta:
		if r == nil || s.Full == nil || r.BaseNumber != s.Full.Number || r.RevSeq != s.RevSeq {
			return true
		}
	case CRLGOSTDelta:
		// Revocations share one sequence; only those of GOST certificates make a new delta.
		full := s.record(CRLGOSTFull)
		if r == nil || full == nil || r.BaseNumber != full.Number || s.lastRevocation(AlgorithmGOST2015) > r.RevSeq {
			return true
		}
	}
	if r == nil {
		return true
	}
	half := r.ThisUpdate.Add(r.NextUpdate.Sub(r.ThisUpdate) / 2)
	return !now.Before(half) || now.Before(r.ThisUpdate)
}

// issueLocked signs and stores a CRL; the caller holds the exclusive lock. Each hierarchy numbers
// its CRLs (full, delta and root) in one sequence of its own.
func (a *Authority) issueLocked(ctx context.Context, s *state, kind CRLKind, now time.Time) ([]byte, error) {
	counter, base := &s.CRLNumber, s.BaseURL
	var gh *gostHierarchy
	if kind.GOST() {
		if gh = a.gost.Load(); gh == nil {
			return nil, errors.New("ca: the GOST hierarchy is not loaded")
		}
		s.slot(kind) // makes s.GOST
		counter, base = &s.GOST.CRLNumber, base+"/"+gostDir
	}
	*counter++
	rec := &crlRecord{
		Number:     *counter,
		ThisUpdate: now.UTC().Truncate(time.Second),
		RevSeq:     s.RevSeq,
	}
	rec.NextUpdate = rec.ThisUpdate.Add(a.validity(kind))
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(rec.Number),
		ThisUpdate: rec.ThisUpdate,
		NextUpdate: rec.NextUpdate,
	}
	alg := kind.algorithm()
	var issuer *x509.Certificate
	var key crypto.Signer
	switch {
	case gh == nil && kind == CRLRoot:
		issuer, key = a.root, a.rootKey // the root has issued no other certificate to revoke
	case gh == nil:
		issuer, key = a.ca, a.caKey
	case kind == CRLGOSTRoot:
		issuer, key = gh.root, gh.rootKey
	default:
		issuer, key = gh.ca, gh.caKey
	}
	switch kind.Base() {
	case CRLFull:
		freshest, err := distributionPoints(base + "/crl/delta.crl")
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidExtFreshestCRL, Value: freshest})
		for _, c := range s.Certs {
			if c.alg() == alg && c.Revoked != nil && c.Revoked.Reason != ReasonRemoveFromCRL {
				tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, entry(c))
			}
		}
	case CRLDelta:
		full := s.record(kind.full())
		rec.BaseNumber = full.Number
		ind, err := asn1.Marshal(big.NewInt(full.Number))
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidExtDeltaCRLIndic, Critical: true, Value: ind})
		for _, c := range s.Certs {
			if c.alg() == alg && c.Revoked != nil && c.Revoked.Seq > full.RevSeq {
				tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, entry(c))
			}
		}
	}
	var der []byte
	var err error
	if gh != nil {
		der, err = signGOSTCRL(tmpl, issuer, key.(*gost3410.PrivateKey))
	} else {
		der, err = x509.CreateRevocationList(rand.Reader, tmpl, issuer, key)
	}
	if err != nil {
		return nil, fmt.Errorf("ca: sign %s CRL: %w", kind, err)
	}
	if err := writeFileAtomic(a.path(kind.file()), der, 0o644); err != nil {
		return nil, fmt.Errorf("ca: store %s CRL: %w", kind, err)
	}
	*s.slot(kind) = rec
	a.crlCache[kind] = der
	a.opts.Logger.InfoContext(ctx, "CRL issued", "kind", kind, "number", rec.Number, "entries", len(tmpl.RevokedCertificateEntries),
		"this_update", rec.ThisUpdate, "next_update", rec.NextUpdate)
	return der, nil
}

func entry(c *certRecord) x509.RevocationListEntry {
	n, _ := new(big.Int).SetString(c.Serial, 16)
	return x509.RevocationListEntry{SerialNumber: n, RevocationTime: c.Revoked.At, ReasonCode: int(c.Revoked.Reason)}
}
