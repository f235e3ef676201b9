package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	nucpkcs12 "github.com/shep-kz/shep/certs/pkcs12"
)

func runPKI(ctx context.Context, e *env, args []string) error {
	subs := map[string]func(context.Context, *env, []string) error{
		"init": pkiInit, "ca": pkiCA, "issue": pkiIssue, "revoke": pkiRevoke, "crl": pkiCRL, "list": pkiList,
	}
	if len(args) == 0 || subs[args[0]] == nil {
		return fmt.Errorf("%w: shep pki init|ca|issue|revoke|crl|list [flags]", errUsage)
	}
	return subs[args[0]](ctx, e, args[1:])
}

func pkiInit(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "pki init")
	base := fs.String("base-url", "", "URL where the gateway publishes the НУЦ (written into certificates; default http://127.0.0.1:8080/pki)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := ca.Open(ctx, ca.Options{Dir: pkiDir(*data), BaseURL: *base}, true)
	if err != nil {
		return err
	}
	if *base != "" { // an existing authority: record the new URL for what is issued from now on
		if err := a.SetBaseURL(ctx, *base); err != nil {
			return err
		}
	}
	// A data dir made before the GOST hierarchy gets it now.
	if err := a.EnsureGOST(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "test НУЦ ready in %s\n  root:         %s (serial %s)\n  issuing:      %s (serial %s)\n"+
		"  GOST root:    %s (serial %s)\n  GOST issuing: %s (serial %s)\n  URLs:         %s (GOST: %s/gost)\n",
		pkiDir(*data), a.Root().Subject.CommonName, certs.SerialHex(a.Root().SerialNumber),
		a.Issuing().Subject.CommonName, certs.SerialHex(a.Issuing().SerialNumber),
		a.GOSTRoot().Subject.CommonName, certs.SerialHex(a.GOSTRoot().SerialNumber),
		a.GOSTIssuing().Subject.CommonName, certs.SerialHex(a.GOSTIssuing().SerialNumber), a.BaseURL(), a.BaseURL())
	return nil
}

func openCA(ctx context.Context, data string) (*ca.Authority, error) {
	a, err := ca.Open(ctx, ca.Options{Dir: pkiDir(data)}, false)
	if errors.Is(err, ca.ErrNotInitialized) {
		return nil, fmt.Errorf("%w in %s", err, pkiDir(data))
	}
	return a, err
}

func pkiCA(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "pki ca")
	out := fs.String("out", "", "write the PEM chain (issuing CA, then root) to FILE (default: stdout)")
	gost := fs.Bool("gost", false, "the GOST hierarchy's chain instead of the RSA one's")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openCA(ctx, *data)
	if err != nil {
		return err
	}
	chain := a.ChainPEM()
	if *gost {
		if chain, err = a.GOSTChainPEM(ctx); err != nil {
			return err
		}
	}
	return writeOut(e, *out, chain, 0o644)
}

func writeOut(e *env, path string, b []byte, mode os.FileMode) error {
	if path == "" || path == "-" {
		_, err := e.stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, mode)
}

// issueFlags are the flags that describe a certificate to issue, shared by `pki issue` and
// `cert issue`.
type issueFlags struct {
	kind, iin, bin, name, org, email, usage, nb, na, alg *string
	testIDs                                              *bool
}

func (f *issueFlags) register(fs *flag.FlagSet) {
	f.kind = fs.String("kind", "individual", "individual|employee|head|operator|official|system")
	f.iin = fs.String("iin", "", "ИИН (12 digits); not for --kind system")
	f.bin = fs.String("bin", "", "БИН of the organisation (legal-entity kinds and system; operator defaults to the State Corporation)")
	f.name = fs.String("name", "", `"ФАМИЛИЯ ИМЯ [ОТЧЕСТВО]", or the system's name for --kind system`)
	f.org = fs.String("org", "", "organisation name (O)")
	f.email = fs.String("email", "", "e-mail (E)")
	f.usage = fs.String("usage", "sign", "sign (digitalSignature+nonRepudiation) or auth (digitalSignature+keyEncipherment)")
	f.nb = fs.String("not-before", "", "validity start: RFC 3339, YYYY-MM-DD, or relative to now (-30d, +2h, -1y)")
	f.na = fs.String("not-after", "", "validity end, same forms (default: one year after the start)")
	f.alg = fs.String("algorithm", "rsa", "rsa (RSA 2048, by «ҰКО SHEP (RSA TEST)») or gost2015 (GOST R 34.10-2015 512-bit, TC26-512-A, by «ҰКО SHEP (GOST TEST)»)")
	f.testIDs = fs.Bool("test-identities", false, "accept ИИН/БИН failing the checksum, as in НУЦ's test certificates")
}

func (f *issueFlags) request(now time.Time) (ca.IssueRequest, error) {
	alg, err := ca.ParseAlgorithm(*f.alg)
	if err != nil {
		return ca.IssueRequest{}, fmt.Errorf("%w: --algorithm: %v", errUsage, err)
	}
	req := ca.IssueRequest{Kind: ca.Kind(*f.kind), Usage: ca.Usage(*f.usage), IIN: *f.iin, BIN: *f.bin,
		Organization: *f.org, Email: *f.email, TestIdentities: *f.testIDs, Algorithm: alg}
	if req.Kind == ca.KindSystem {
		req.CommonName = *f.name
	} else {
		req.Name = *f.name
	}
	if req.NotBefore, err = parseWhen(*f.nb, now); err != nil {
		return req, fmt.Errorf("%w: --not-before: %v", errUsage, err)
	}
	if req.NotAfter, err = parseWhen(*f.na, now); err != nil {
		return req, fmt.Errorf("%w: --not-after: %v", errUsage, err)
	}
	return req, nil
}

// nucPKCS12 writes a PKCS#12 as НУЦ does (certs/pkcs12: 3DES key bag, RC2-40 certificates, SHA-1
// MAC; GOST keys in НУЦ's PKCS#8 layout): the key, its certificate, then the chain.
func nucPKCS12(iss *ca.Issued, password string) ([]byte, error) {
	der, err := ca.MarshalPKCS8(iss.Key)
	if err != nil {
		return nil, err
	}
	return nucpkcs12.Encode(der, append([]*x509.Certificate{iss.Certificate}, iss.Chain...), password, nucpkcs12.EncodeOptions{})
}

func pkiIssue(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "pki issue")
	var f issueFlags
	f.register(fs)
	out := fs.String("out", "", "write PREFIX.crt, PREFIX.key and PREFIX.p12")
	p12pw := fs.String("p12-password", "Qwerty12", "password of PREFIX.p12 (НУЦ's test keys use Qwerty12)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out PREFIX is required", errUsage)
	}
	req, err := f.request(time.Now())
	if err != nil {
		return err
	}
	a, err := openCA(ctx, *data)
	if err != nil {
		return err
	}
	iss, err := a.Issue(ctx, req)
	if err != nil {
		return err
	}
	keyPEM, err := ca.PEMPrivateKey(iss.Key)
	if err != nil {
		return err
	}
	var p12 []byte
	if req.Algorithm == ca.AlgorithmGOST2015 {
		p12, err = nucPKCS12(iss, *p12pw) // go-pkcs12 knows no GOST keys
	} else {
		p12, err = pkcs12.LegacyDES.WithRand(rand.Reader).Encode(iss.Key, iss.Certificate, iss.Chain, *p12pw)
	}
	if err != nil {
		return fmt.Errorf("PKCS#12: %w", err)
	}
	for _, f := range []struct {
		ext  string
		b    []byte
		mode os.FileMode
	}{{".crt", ca.PEMCertificate(iss.Certificate), 0o644}, {".key", keyPEM, 0o600}, {".p12", p12, 0o600}} {
		if err := writeFileMode(*out+f.ext, f.b, f.mode); err != nil {
			return err
		}
	}
	printIssued(e, iss, req, *out+".crt", *out+".key", *out+".p12")
	return nil
}

// printIssued reports an issued certificate and the files written.
func printIssued(e *env, iss *ca.Issued, req ca.IssueRequest, files ...string) {
	c := iss.Certificate
	subject := c.Subject.String()
	if id, err := certs.IdentityOf(c, certs.ParseOptions{TestIdentities: true}); err == nil {
		subject = id.Subject
	}
	fmt.Fprintf(e.stdout, "issued %s certificate (%s), serial %s\n  subject: %s\n  issuer:  %s\n  valid:   %s … %s\n  files:   %s\n",
		strings.ToUpper(string(req.Usage)), certs.AlgorithmName(certs.SignatureAlgorithmOID(c)), certs.SerialHex(c.SerialNumber), subject,
		c.Issuer.CommonName, c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339), strings.Join(files, " "))
}

// writeFileMode replaces path with b, created anew with mode (os.WriteFile would keep the mode
// of an existing file, leaving a key world-readable).
func writeFileMode(path string, b []byte, mode os.FileMode) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var relTime = regexp.MustCompile(`^([+-])(\d+)([smhdy])$`)

// parseWhen reads RFC 3339, a date, or a time relative to now; "" gives the zero time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if m := relTime.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "-" {
			n = -n
		}
		switch m[3] {
		case "s":
			return now.Add(time.Duration(n) * time.Second), nil
		case "m":
			return now.Add(time.Duration(n) * time.Minute), nil
		case "h":
			return now.Add(time.Duration(n) * time.Hour), nil
		case "d":
			return now.AddDate(0, 0, n), nil
		default:
			return now.AddDate(n, 0, 0), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339, YYYY-MM-DD or ±N[smhdy]", s)
}

func pkiRevoke(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "pki revoke")
	certFile := fs.String("cert", "", "certificate to revoke (PEM or DER)")
	serial := fs.String("serial", "", "or its serial number in hex")
	reason := fs.String("reason", "unspecified", "keyCompromise|cACompromise|affiliationChanged|superseded|cessationOfOperation|certificateHold|privilegeWithdrawn|unspecified")
	at := fs.String("at", "", "revocation date (default now): RFC 3339, YYYY-MM-DD or relative (-2d)")
	release := fs.Bool("release", false, "lift a certificateHold instead of revoking")
	if err := parse(fs, args); err != nil {
		return err
	}
	var sn *big.Int
	switch {
	case *certFile != "" && *serial == "":
		c, err := readCertificate(*certFile)
		if err != nil {
			return err
		}
		sn = c.SerialNumber
	case *serial != "" && *certFile == "":
		var ok bool
		if sn, ok = new(big.Int).SetString(strings.TrimPrefix(strings.ToLower(*serial), "0x"), 16); !ok {
			return fmt.Errorf("%w: --serial %q is not hex", errUsage, *serial)
		}
	default:
		return fmt.Errorf("%w: give exactly one of --cert FILE or --serial HEX", errUsage)
	}
	a, err := openCA(ctx, *data)
	if err != nil {
		return err
	}
	if *release {
		if err := a.Release(ctx, sn); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "hold released: %s\n", certs.SerialHex(sn))
		return nil
	}
	r, err := ca.ParseReason(*reason)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	when, err := parseWhen(*at, time.Now())
	if err != nil {
		return fmt.Errorf("%w: --at: %v", errUsage, err)
	}
	if err := a.Revoke(ctx, sn, r, when); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "revoked %s (%s)\n", certs.SerialHex(sn), r)
	return nil
}

func pkiCRL(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "pki crl")
	delta := fs.Bool("delta", false, "issue a delta CRL (changes since the current full CRL)")
	root := fs.Bool("root", false, "issue the root's CRL (covers the issuing CA)")
	gost := fs.Bool("gost", false, "a CRL of the GOST hierarchy (signed with GOST R 34.10-2015) instead of the RSA one")
	out := fs.String("out", "", "write the DER CRL to FILE (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out FILE is required", errUsage)
	}
	if *delta && *root {
		return fmt.Errorf("%w: --delta and --root exclude each other", errUsage)
	}
	kind := ca.CRLFull
	if *delta {
		kind = ca.CRLDelta
	} else if *root {
		kind = ca.CRLRoot
	}
	if *gost {
		kind = ca.GOSTCRL(kind)
	}
	a, err := openCA(ctx, *data)
	if err != nil {
		return err
	}
	der, err := a.IssueCRL(ctx, kind)
	if err != nil {
		return err
	}
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, der, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s CRL #%s: %d entries, thisUpdate %s, nextUpdate %s → %s\n", kind, l.Number,
		len(l.RevokedCertificateEntries), l.ThisUpdate.Format(time.RFC3339), l.NextUpdate.Format(time.RFC3339), *out)
	return nil
}

func pkiList(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "pki list")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openCA(ctx, *data)
	if err != nil {
		return err
	}
	list, err := a.Certificates()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tALG\tKIND\tUSAGE\tИИН\tБИН\tSUBJECT\tNOT AFTER\tSTATUS")
	for _, c := range list {
		status := "valid"
		switch now := time.Now(); {
		case c.Revoked:
			status = fmt.Sprintf("revoked %s (%s)", c.RevokedAt.Format(time.DateOnly), c.Reason)
		case now.After(c.NotAfter):
			status = "expired"
		case now.Before(c.NotBefore):
			status = "not yet valid"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Serial, c.Algorithm, c.Kind, c.Usage, c.IIN, c.BIN, c.Subject,
			c.NotAfter.Format(time.DateOnly), status)
	}
	return tw.Flush()
}

// readCertificate reads the first certificate of a PEM or DER file.
func readCertificate(path string) (*x509.Certificate, error) {
	cs, err := certs.ReadCertificates(path)
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}
