// Package ca is shep's test НУЦ: two hierarchies shaped like НУЦ РК's test PKI, RSA and GOST
// R 34.10-2015 (512-bit, TC26-512-A), each a root and an issuing CA, which issue SIGN/AUTH
// certificates for any ИИН/БИН and validity window, revoke them, and publish full and delta CRLs
// and OCSP answers.
//
// State lives in a directory (keys as 0600 PKCS#8 PEM files, issued certificates, CRLs and
// state.json; the GOST hierarchy in its gost/ subdirectory), guarded by flock(2), so the CLI and a
// running gateway can use the same data dir at once.
package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gost/gost3410"
)

// Default names, in the style of НУЦ's test hierarchy («НЕГІЗГІ КО TEST (RSA)» → «ҰКО 3.0 (RSA TEST)»).
const (
	RootName      = "НЕГІЗГІ КО SHEP TEST (RSA)"
	IssuingName   = "ҰКО SHEP (RSA TEST)"
	ResponderName = "СЕРВИС ПРОВЕРКИ ОНЛАЙН СТАТУСА СЕРТИФИКАТА SHEP TEST"
)

// Options configure an Authority. Zero values take the defaults shown.
type Options struct {
	// Dir holds the authority's files; it is created with mode 0700.
	Dir string
	// BaseURL is the public URL under which pkihttp serves this authority (no trailing slash),
	// written into CDP, FreshestCRL and AIA of issued certificates. It is recorded when the
	// authority is created (default http://127.0.0.1:8080/pki); an existing authority keeps its
	// recorded URL whatever Options say (see SetBaseURL).
	BaseURL string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// KeyBits is the RSA size of generated keys (default 2048).
	KeyBits int
	// FullCRLValidity is thisUpdate→nextUpdate of a full CRL (default 24h); a new one is issued
	// when half of it has passed. DeltaCRLValidity likewise for deltas (default 1h); a delta is
	// also reissued as soon as a revocation is recorded. RootCRLValidity for the root's CRL (30 days).
	FullCRLValidity, DeltaCRLValidity, RootCRLValidity time.Duration
	// OCSPValidity is thisUpdate→nextUpdate of OCSP answers (default 1h).
	OCSPValidity time.Duration
	Logger       *slog.Logger
}

// Authority is an opened test НУЦ. It is safe for concurrent use.
type Authority struct {
	opts Options

	root, ca, responder          *x509.Certificate
	rootKey, caKey, responderKey crypto.Signer
	// gost is the GOST hierarchy once loaded or created (see ensureGOST); set once.
	gost atomic.Pointer[gostHierarchy]

	mu       sync.Mutex // guards st, stGen and crlCache
	st       *state
	stGen    string // generation token st was loaded or saved with; "" forces a reload
	crlCache map[CRLKind][]byte
}

// ErrNotInitialized is returned by Open when the directory holds no authority and create is false.
var ErrNotInitialized = errors.New("test НУЦ is not initialised (run `shep pki init`)")

// Open opens the authority in opts.Dir, creating the hierarchy first if create is true and the
// directory holds none (idempotent: an existing authority is opened unchanged).
func Open(ctx context.Context, opts Options, create bool) (*Authority, error) {
	if opts.Dir == "" {
		return nil, errors.New("ca: Options.Dir is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KeyBits == 0 {
		opts.KeyBits = 2048
	}
	if opts.FullCRLValidity == 0 {
		opts.FullCRLValidity = 24 * time.Hour
	}
	if opts.DeltaCRLValidity == 0 {
		opts.DeltaCRLValidity = time.Hour
	}
	if opts.RootCRLValidity == 0 {
		opts.RootCRLValidity = 30 * 24 * time.Hour
	}
	if opts.OCSPValidity == 0 {
		opts.OCSPValidity = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if err := os.MkdirAll(filepath.Join(opts.Dir, "issued"), 0o700); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(opts.Dir, "crl"), 0o700); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	lk, err := lockDir(opts.Dir, true)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	defer lk.unlock()

	a := &Authority{opts: opts, crlCache: map[CRLKind][]byte{}}
	st, gen, err := loadState(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if st == nil {
		if !create {
			return nil, ErrNotInitialized
		}
		if err := a.create(ctx); err != nil {
			return nil, fmt.Errorf("ca: initialise: %w", err)
		}
		h, err := a.createGOST(ctx, a.st.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("ca: initialise the GOST hierarchy: %w", err)
		}
		a.gost.Store(h)
		opts.Logger.InfoContext(ctx, "test НУЦ created", "dir", opts.Dir, "root", RootName, "issuing", IssuingName,
			"gost_root", GOSTRootName, "gost_issuing", GOSTIssuingName)
		return a, nil
	}
	a.st, a.stGen = st, gen
	if err := a.loadKeys(); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	// A data dir made before the GOST hierarchy existed gets it on first use (ensureGOST). A
	// damaged one leaves the RSA hierarchy usable; GOST operations report the error.
	switch h, err := a.loadGOST(); {
	case err == nil:
		a.gost.Store(h)
	case !errors.Is(err, os.ErrNotExist):
		opts.Logger.ErrorContext(ctx, "the GOST hierarchy of the test НУЦ cannot be read", "dir", a.path(gostDir), "err", err)
	}
	return a, nil
}

func (a *Authority) path(name string) string { return filepath.Join(a.opts.Dir, name) }

// create makes the root, the issuing CA and the OCSP responder; the caller holds the lock.
func (a *Authority) create(ctx context.Context) error {
	if a.opts.BaseURL == "" {
		a.opts.BaseURL = "http://127.0.0.1:8080/pki"
	}
	// The CAs are valid from 2010 so that certificates with any past validity window chain.
	caFrom := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	now := a.opts.Now()
	var err error
	if a.rootKey, err = rsa.GenerateKey(rand.Reader, a.opts.KeyBits); err != nil {
		return err
	}
	if a.caKey, err = rsa.GenerateKey(rand.Reader, a.opts.KeyBits); err != nil {
		return err
	}
	if a.responderKey, err = rsa.GenerateKey(rand.Reader, a.opts.KeyBits); err != nil {
		return err
	}
	ncaPolicy, err := policiesExtension(certs.OIDPolicyNCA)
	if err != nil {
		return err
	}
	rootTmpl := &x509.Certificate{
		Subject:               pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCN, Value: RootName}, {Type: oidCountry, Value: "KZ"}}},
		NotBefore:             caFrom,
		NotAfter:              now.AddDate(30, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
		ExtraExtensions:       []pkix.Extension{ncaPolicy},
	}
	if a.root, err = a.sign(rootTmpl, a.rootKey.Public(), nil, a.rootKey); err != nil {
		return fmt.Errorf("root: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCountry, Value: "KZ"}, {Type: oidCN, Value: IssuingName}}},
		NotBefore:             caFrom,
		NotAfter:              now.AddDate(25, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		CRLDistributionPoints: []string{a.opts.BaseURL + "/crl/root.crl"},
		IssuingCertificateURL: []string{a.opts.BaseURL + "/root.crt"},
		ExtraExtensions:       []pkix.Extension{ncaPolicy},
	}
	if a.ca, err = a.sign(caTmpl, a.caKey.Public(), a.root, a.rootKey); err != nil {
		return fmt.Errorf("issuing CA: %w", err)
	}
	respTmpl := &x509.Certificate{
		Subject:               pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCountry, Value: "KZ"}, {Type: oidCN, Value: ResponderName}}},
		NotBefore:             caFrom,
		NotAfter:              a.ca.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{{Id: oidExtOCSPNoCheck, Value: asn1NULL}},
	}
	if a.responder, err = a.sign(respTmpl, a.responderKey.Public(), a.ca, a.caKey); err != nil {
		return fmt.Errorf("OCSP responder: %w", err)
	}
	for _, f := range []struct {
		name string
		cert *x509.Certificate
		key  crypto.Signer
	}{{"root", a.root, a.rootKey}, {"ca", a.ca, a.caKey}, {"ocsp", a.responder, a.responderKey}} {
		if err := writeFileAtomic(a.path(f.name+".crt"), pemCert(f.cert), 0o644); err != nil {
			return err
		}
		kb, err := pemKey(f.key)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(a.path(f.name+".key"), kb, 0o600); err != nil {
			return err
		}
	}
	a.st = &state{Version: 1, BaseURL: a.opts.BaseURL}
	a.stGen, err = saveState(a.opts.Dir, a.st)
	_ = ctx
	return err
}

// sign issues tmpl for pub, signed by parent/parentKey (self-signed when parent is nil).
func (a *Authority) sign(tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if tmpl.SubjectKeyId == nil {
		if tmpl.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return nil, err
		}
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func (a *Authority) loadKeys() error {
	var err error
	load := func(name string) (*x509.Certificate, crypto.Signer) {
		if err != nil {
			return nil, nil
		}
		var c *x509.Certificate
		var k crypto.Signer
		if c, err = readCertFile(a.path(name + ".crt")); err != nil {
			return nil, nil
		}
		if k, err = readKeyFile(a.path(name + ".key")); err != nil {
			return nil, nil
		}
		return c, k
	}
	a.root, a.rootKey = load("root")
	a.ca, a.caKey = load("ca")
	a.responder, a.responderKey = load("ocsp")
	return err
}

// Root returns the root certificate (the trust anchor).
func (a *Authority) Root() *x509.Certificate { return a.root }

// Issuing returns the issuing CA certificate.
func (a *Authority) Issuing() *x509.Certificate { return a.ca }

// Responder returns the delegated OCSP responder certificate.
func (a *Authority) Responder() *x509.Certificate { return a.responder }

// BaseURL returns the recorded URL that new certificates and CRLs point at.
func (a *Authority) BaseURL() string {
	var u string
	a.withState(false, func(s *state) (bool, error) { u = s.BaseURL; return false, nil })
	return u
}

// SetBaseURL records a new publication URL (no trailing slash) for certificates and CRLs issued
// from now on. Certificates already issued, and the issuing CA's pointer to the root CRL, keep the
// URL they were issued with.
func (a *Authority) SetBaseURL(ctx context.Context, u string) error {
	u = strings.TrimRight(u, "/")
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return fmt.Errorf("ca: base URL %q: want http:// or https://", u)
	}
	return a.withState(true, func(s *state) (bool, error) {
		if s.BaseURL == u {
			return false, nil
		}
		a.opts.Logger.InfoContext(ctx, "publication URL changed", "from", s.BaseURL, "to", u)
		s.BaseURL = u
		return true, nil
	})
}

// ChainPEM returns the issuing CA then the root, PEM-encoded.
func (a *Authority) ChainPEM() []byte { return append(pemCert(a.ca), pemCert(a.root)...) }

// Issued is a newly issued certificate.
type Issued struct {
	Certificate *x509.Certificate
	// Key is nil when the request carried its own public key; a *gost3410.PrivateKey for
	// AlgorithmGOST2015, an *rsa.PrivateKey otherwise.
	Key   crypto.Signer
	Chain []*x509.Certificate // the issuing CA, then the root, of the certificate's hierarchy
}

// Issue issues a certificate as НУЦ would for req: an RSA one by the RSA issuing CA, or, with
// req.Algorithm AlgorithmGOST2015 (or a GOST req.PublicKey), a GOST R 34.10-2015 one by the GOST
// issuing CA, whose CRL and OCSP pointers lead to the GOST CA's own publication points.
func (a *Authority) Issue(ctx context.Context, req IssueRequest) (*Issued, error) {
	now := a.opts.Now()
	if err := req.normalize(now); err != nil {
		return nil, fmt.Errorf("ca: issue: %w", err)
	}
	issuer, chain := a.ca, []*x509.Certificate{a.ca, a.root}
	var gh *gostHierarchy
	if req.Algorithm == AlgorithmGOST2015 {
		var err error
		if gh, err = a.ensureGOST(ctx, true); err != nil {
			return nil, fmt.Errorf("ca: issue: %w", err)
		}
		issuer, chain = gh.ca, []*x509.Certificate{gh.ca, gh.root}
	}
	if req.NotAfter.After(issuer.NotAfter) {
		return nil, fmt.Errorf("ca: issue: not-after %s is beyond the issuing CA's %s", req.NotAfter.Format(time.RFC3339), issuer.NotAfter.Format(time.RFC3339))
	}
	if req.NotBefore.Before(issuer.NotBefore) {
		return nil, fmt.Errorf("ca: issue: not-before %s is before the issuing CA's %s", req.NotBefore.Format(time.RFC3339), issuer.NotBefore.Format(time.RFC3339))
	}
	var key crypto.Signer
	pub := req.PublicKey
	switch {
	case pub != nil:
	case gh != nil:
		k, err := gost3410.GenerateKey(gost3410.TC26512A(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("ca: issue: %w", err)
		}
		key, pub = k, k.Public()
	default:
		bits := req.KeyBits
		if bits == 0 {
			bits = a.opts.KeyBits
		}
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, fmt.Errorf("ca: issue: %w", err)
		}
		key, pub = k, k.Public()
	}
	policy, err := policiesExtension(req.policy())
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		Subject:               req.subject(),
		NotBefore:             req.NotBefore,
		NotAfter:              req.NotAfter,
		UnknownExtKeyUsage:    req.Kind.roles(),
		BasicConstraintsValid: false,
		ExtraExtensions:       []pkix.Extension{policy},
	}
	if req.Usage == UsageSign {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if req.Email != "" {
		tmpl.EmailAddresses = []string{req.Email}
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	lk, err := lockDir(a.opts.Dir, true)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	defer lk.unlock()
	if err := a.refreshLocked(); err != nil {
		return nil, err
	}
	// The publication URLs are the recorded ones, whichever process issues; the GOST CA's are
	// under BASE/gost.
	base := a.st.BaseURL
	if gh != nil {
		base += "/" + gostDir
	}
	freshest, err := distributionPoints(base + "/crl/delta.crl")
	if err != nil {
		return nil, err
	}
	tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidExtFreshestCRL, Value: freshest})
	tmpl.CRLDistributionPoints = []string{base + "/crl/full.crl"}
	tmpl.OCSPServer = []string{base + "/ocsp"}
	tmpl.IssuingCertificateURL = []string{base + "/ca.crt"}
	var cert *x509.Certificate
	if gh != nil {
		cert, err = signGOST(tmpl, pub, gh.ca, gh.caKey)
	} else {
		cert, err = a.sign(tmpl, pub, a.ca, a.caKey)
	}
	if err != nil {
		return nil, fmt.Errorf("ca: issue: %w", err)
	}
	serial := certs.SerialHex(cert.SerialNumber)
	if err := writeFileAtomic(a.path(filepath.Join("issued", serial+".crt")), pemCert(cert), 0o644); err != nil {
		return nil, fmt.Errorf("ca: issue: %w", err)
	}
	rec := &certRecord{
		Serial: serial, Kind: req.Kind, Usage: req.Usage, Subject: req.CommonName,
		IIN: req.IIN, BIN: req.BIN, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, IssuedAt: now,
	}
	if gh != nil {
		rec.Algorithm = AlgorithmGOST2015
	}
	a.st.Certs = append(a.st.Certs, rec)
	if a.stGen, err = saveState(a.opts.Dir, a.st); err != nil {
		a.stGen = ""
		return nil, fmt.Errorf("ca: issue: %w", err)
	}
	a.opts.Logger.InfoContext(ctx, "certificate issued", "serial", serial, "kind", req.Kind, "usage", req.Usage,
		"algorithm", req.Algorithm, "iin", req.IIN, "bin", req.BIN, "not_before", cert.NotBefore, "not_after", cert.NotAfter)
	return &Issued{Certificate: cert, Key: key, Chain: chain}, nil
}

// refreshLocked reloads state.json if another process saved it since we loaded or saved it (or
// if a failed operation left our copy unreliable). The caller holds a.mu and the file lock.
func (a *Authority) refreshLocked() error {
	gen, err := readGeneration(a.opts.Dir)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if a.st != nil && gen != "" && gen == a.stGen {
		return nil
	}
	s, gen, err := loadState(a.opts.Dir)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if s == nil {
		return fmt.Errorf("ca: %s disappeared", a.path(stateFile))
	}
	a.st, a.stGen = s, gen
	a.crlCache = map[CRLKind][]byte{}
	return nil
}

// withState runs f on current state under the in-process mutex and a file lock; if f reports a
// change, the state is saved before the lock is released.
func (a *Authority) withState(exclusive bool, f func(s *state) (changed bool, err error)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	lk, err := lockDir(a.opts.Dir, exclusive)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	defer lk.unlock()
	if err := a.refreshLocked(); err != nil {
		return err
	}
	changed, err := f(a.st)
	if err == nil && changed && !exclusive {
		err = errors.New("ca: internal: state changed under a shared lock")
	}
	if err == nil && changed {
		a.stGen, err = saveState(a.opts.Dir, a.st)
	}
	if err != nil {
		a.stGen = "" // f may have changed our copy: reload it from disk next time
		return err
	}
	return nil
}

// Reason is an RFC 5280 CRLReason.
type Reason int

// CRL reasons (RFC 5280 §5.3.1).
const (
	ReasonUnspecified          Reason = 0
	ReasonKeyCompromise        Reason = 1
	ReasonCACompromise         Reason = 2
	ReasonAffiliationChanged   Reason = 3
	ReasonSuperseded           Reason = 4
	ReasonCessationOfOperation Reason = 5
	ReasonCertificateHold      Reason = 6
	ReasonRemoveFromCRL        Reason = 8
	ReasonPrivilegeWithdrawn   Reason = 9
	ReasonAACompromise         Reason = 10
)

var reasonNames = map[Reason]string{
	ReasonUnspecified: "unspecified", ReasonKeyCompromise: "keyCompromise", ReasonCACompromise: "cACompromise",
	ReasonAffiliationChanged: "affiliationChanged", ReasonSuperseded: "superseded",
	ReasonCessationOfOperation: "cessationOfOperation", ReasonCertificateHold: "certificateHold",
	ReasonRemoveFromCRL: "removeFromCRL", ReasonPrivilegeWithdrawn: "privilegeWithdrawn", ReasonAACompromise: "aACompromise",
}

func (r Reason) String() string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// ParseReason accepts a reason name (keyCompromise, superseded, …, case-insensitive) or its number.
func ParseReason(s string) (Reason, error) {
	for r, n := range reasonNames {
		if strings.EqualFold(n, s) || fmt.Sprint(int(r)) == s {
			if r == ReasonRemoveFromCRL {
				return 0, errors.New("removeFromCRL is not a revocation reason (it only appears in delta CRLs)")
			}
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown revocation reason %q", s)
}

// ErrUnknownCertificate is returned when a serial number was not issued by this authority.
var ErrUnknownCertificate = errors.New("certificate not issued by this authority")

// ErrAlreadyRevoked is returned when revoking a certificate twice.
var ErrAlreadyRevoked = errors.New("certificate already revoked")

// Revoke records the revocation of the certificate with serial, effective at `at` (zero: now).
// The next delta CRL and every OCSP answer from now on report it.
func (a *Authority) Revoke(ctx context.Context, serial *big.Int, reason Reason, at time.Time) error {
	if reason == ReasonRemoveFromCRL {
		return errors.New("ca: revoke: removeFromCRL is not a revocation reason")
	}
	now := a.opts.Now()
	if at.IsZero() {
		at = now
	}
	hex := certs.SerialHex(serial)
	err := a.withState(true, func(s *state) (bool, error) {
		c := s.find(hex)
		if c == nil {
			return false, fmt.Errorf("ca: revoke %s: %w", hex, ErrUnknownCertificate)
		}
		when := at.UTC().Truncate(time.Second)
		if r := c.Revoked; r != nil {
			switch r.Reason {
			case ReasonRemoveFromCRL: // released from hold: good again, may be revoked anew
			case ReasonCertificateHold:
				if reason == ReasonCertificateHold {
					return false, fmt.Errorf("ca: revoke %s: already on hold since %s", hex, r.At.Format(time.RFC3339))
				}
				// A hold made permanent keeps the date the certificate stopped being good.
				when = r.At
			default:
				return false, fmt.Errorf("ca: revoke %s: %w (%s, %s)", hex, ErrAlreadyRevoked, r.Reason, r.At.Format(time.RFC3339))
			}
		}
		s.RevSeq++
		c.Revoked = &revRecord{At: when, Reason: reason, Recorded: now, Seq: s.RevSeq}
		return true, nil
	})
	if err != nil {
		return err
	}
	a.opts.Logger.InfoContext(ctx, "certificate revoked", "serial", hex, "reason", reason.String(), "at", at)
	return nil
}

// Release lifts a certificateHold: the certificate is good again, and the next delta CRL lists it
// with reason removeFromCRL.
func (a *Authority) Release(ctx context.Context, serial *big.Int) error {
	hex := certs.SerialHex(serial)
	return a.withState(true, func(s *state) (bool, error) {
		c := s.find(hex)
		if c == nil {
			return false, fmt.Errorf("ca: release %s: %w", hex, ErrUnknownCertificate)
		}
		if c.Revoked == nil || c.Revoked.Reason != ReasonCertificateHold {
			return false, fmt.Errorf("ca: release %s: the certificate is not on hold", hex)
		}
		s.RevSeq++
		c.Revoked = &revRecord{At: c.Revoked.At, Reason: ReasonRemoveFromCRL, Recorded: a.opts.Now(), Seq: s.RevSeq}
		a.opts.Logger.InfoContext(ctx, "certificate hold released", "serial", hex)
		return true, nil
	})
}

// CertStatus is what the authority knows of one of its certificates.
type CertStatus struct {
	Serial    string
	Algorithm Algorithm // which hierarchy issued it
	Kind      Kind
	Usage     Usage
	Subject   string
	IIN, BIN  string
	NotBefore time.Time
	NotAfter  time.Time
	Revoked   bool
	RevokedAt time.Time
	Reason    Reason
}

// Status returns what the authority knows of serial; ok is false if it did not issue it.
func (a *Authority) Status(serial *big.Int) (st CertStatus, ok bool, err error) {
	hex := certs.SerialHex(serial)
	err = a.withState(false, func(s *state) (bool, error) {
		c := s.find(hex)
		if c == nil {
			return false, nil
		}
		ok = true
		st = c.status()
		return false, nil
	})
	return st, ok, err
}

// Certificates lists every certificate the authority issued, oldest first.
func (a *Authority) Certificates() ([]CertStatus, error) {
	var out []CertStatus
	err := a.withState(false, func(s *state) (bool, error) {
		for _, c := range s.Certs {
			out = append(out, c.status())
		}
		return false, nil
	})
	return out, err
}

func (c *certRecord) status() CertStatus {
	st := CertStatus{Serial: c.Serial, Algorithm: c.alg(), Kind: c.Kind, Usage: c.Usage, Subject: c.Subject, IIN: c.IIN, BIN: c.BIN,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter}
	if c.Revoked != nil && c.Revoked.Reason != ReasonRemoveFromCRL {
		st.Revoked, st.RevokedAt, st.Reason = true, c.Revoked.At, c.Revoked.Reason
	}
	return st
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// pemKey encodes k as PKCS#8 PEM ("PRIVATE KEY"); a GOST key in НУЦ's PKCS#8 layout.
func pemKey(k crypto.Signer) ([]byte, error) {
	der, err := MarshalPKCS8(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPKCS8 encodes a private key as PKCS#8 DER: a *gost3410.PrivateKey in НУЦ's layout
// (certs.MarshalGOSTPKCS8), anything else with x509.MarshalPKCS8PrivateKey.
func MarshalPKCS8(k crypto.Signer) ([]byte, error) {
	if g, ok := k.(*gost3410.PrivateKey); ok {
		return certs.MarshalGOSTPKCS8(g)
	}
	return x509.MarshalPKCS8PrivateKey(k)
}

// PEMCertificate encodes a certificate as PEM.
func PEMCertificate(c *x509.Certificate) []byte { return pemCert(c) }

// PEMPrivateKey encodes a private key as PKCS#8 PEM (a GOST key in НУЦ's PKCS#8 layout).
func PEMPrivateKey(k crypto.Signer) ([]byte, error) { return pemKey(k) }

func readCertFile(p string) (*x509.Certificate, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", p)
	}
	return x509.ParseCertificate(blk.Bytes)
}

// readKeyFile reads a key the authority wrote (PKCS#8 PEM, GOST keys in НУЦ's layout).
func readKeyFile(p string) (crypto.Signer, error) { return certs.ReadPrivateKey(p) }
