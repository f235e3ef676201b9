package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/trust"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/signing"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// trustFlags are the flags that say whom to trust, shared by verify and the gateway's tools.
type trustFlags struct {
	anchors, intermediates, crls listFlag
	ocsp, cdp, testIDs           bool
	// now is the validator's clock (nil: the system clock); verify's --now sets it.
	now func() time.Time
}

func (t *trustFlags) register(fs *flag.FlagSet) {
	fs.Var(&t.anchors, "trust-ca", "trust anchor certificate file, PEM or DER (repeatable; default: the test НУЦ of --data)")
	fs.Var(&t.intermediates, "intermediate", "intermediate CA certificate file (repeatable)")
	fs.Var(&t.crls, "crl", "CRL file or http(s) URL, full or delta (repeatable; with the test НУЦ its own CRLs are used)")
	fs.BoolVar(&t.ocsp, "ocsp", false, "ask the OCSP responders named in certificates first, then CRLs")
	fs.BoolVar(&t.cdp, "cdp", false, "download the CRLs named in certificates when none is held")
	fs.BoolVar(&t.testIDs, "test-identities", false, "accept НУЦ test ИИН/БИН that fail the checksum (IIN123456789011)")
}

// build assembles the validator: the given files, or the test НУЦ of data when no anchor is given.
func (t *trustFlags) build(ctx context.Context, data string) (*trust.Trust, error) {
	cfg := trust.Config{AnchorFiles: t.anchors, IntermediateFiles: t.intermediates, CRLs: t.crls,
		OCSP: t.ocsp, FetchCDP: t.cdp, TestIdentities: t.testIDs, Now: t.now}
	if len(t.anchors) == 0 {
		a, err := openCA(ctx, data)
		if err != nil {
			return nil, fmt.Errorf("%w (or give --trust-ca)", err)
		}
		// Both hierarchies of the test НУЦ: RSA and GOST 2015-512 (created on first use).
		if err := a.EnsureGOST(ctx); err != nil {
			return nil, err
		}
		cfg.Anchors = a.Anchors()
		cfg.Intermediates = a.Intermediates()
		for _, k := range a.CRLKinds() {
			cfg.CRLSources = append(cfg.CRLSources, revocation.FuncSource{Label: "test НУЦ " + string(k) + " CRL",
				F: func(ctx context.Context) ([]byte, error) { return a.CRL(ctx, k) }})
		}
	}
	return trust.Build(ctx, cfg)
}

func runVerify(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "verify")
	var tf trustFlags
	tf.register(fs)
	atFlag := fs.String("at", "", "check at this time (RFC 3339) instead of now: the time the signature was made")
	nowFlag := fs.String("now", "", "replay the check as a verifier at this time (RFC 3339) would have made it: CRLs count as current or stale then (default: the system clock)")
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	allowSHA1 := fs.Bool("allow-sha1", false, "accept rsa-sha1/ecdsa-sha1 signatures and SHA-1 digests (old clients); refused by default with ALGORITHM_NOT_SUPPORTED")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: shep verify [flags] FILE", errUsage)
	}
	var at time.Time
	if *atFlag != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, *atFlag); err != nil {
			return fmt.Errorf("%w: --at: %v", errUsage, err)
		}
	}
	if *nowFlag != "" {
		now, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("%w: --now: %v", errUsage, err)
		}
		tf.now = func() time.Time { return now }
	}
	doc, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	tr, err := tf.build(ctx, *data)
	if err != nil && tr == nil {
		return err
	}
	if err != nil { // a CRL could not be loaded: go on, the verdict fails closed where it matters
		fmt.Fprintln(e.stderr, "shep: warning:", err)
	}
	checker, err := signing.NewChecker(signing.CheckerOptions{Validator: tr.Validator, AllowSHA1: *allowSHA1,
		Identity: certs.ParseOptions{TestIdentities: tf.testIDs}})
	if err != nil {
		return err
	}
	rep := verifyDocument(ctx, checker, doc, at)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.print(e.stdout)
	}
	if !rep.Valid {
		return errInvalid
	}
	return nil
}

type verifyReport struct {
	Valid      bool             `json:"valid"`
	Layout     string           `json:"layout"`
	At         string           `json:"checked_at"`
	Error      *codedError      `json:"error,omitempty"` // the document as a whole could not be checked
	Signatures []signatureEntry `json:"signatures"`
}

type codedError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type signatureEntry struct {
	Valid           bool         `json:"valid"`
	Error           *codedError  `json:"error,omitempty"`
	Signer          *identityOut `json:"signer,omitempty"`
	SignedElement   string       `json:"signed_element,omitempty"`
	SignatureMethod string       `json:"signature_method,omitempty"`
	DigestMethod    string       `json:"digest_method,omitempty"`
	Chain           []string     `json:"chain,omitempty"`
	Revocation      []string     `json:"revocation,omitempty"`
}

func coded(err error) *codedError {
	code := signing.CodeOf(err)
	if code == "" {
		code = "ERROR"
	}
	return &codedError{Code: code, Message: err.Error()}
}

// verifyDocument checks a WS-Security envelope or every enveloped signature of a document.
func verifyDocument(ctx context.Context, c *signing.Checker, doc []byte, at time.Time) *verifyReport {
	rep := &verifyReport{At: "now"}
	if !at.IsZero() {
		rep.At = at.UTC().Format(time.RFC3339)
	}
	if isEnvelope(doc) {
		rep.Layout = signing.WSSecurity.String()
		r, err := c.CheckWSSE(ctx, doc, at)
		rep.Signatures = []signatureEntry{entryOf(r, err)}
	} else {
		rep.Layout = signing.Enveloped.String()
		rs, err := c.CheckEnvelopedAll(ctx, doc, at)
		if err != nil {
			rep.Error = coded(err)
			return rep
		}
		for _, r := range rs {
			rep.Signatures = append(rep.Signatures, entryOf(r.Result, r.Err))
		}
	}
	rep.Valid = len(rep.Signatures) > 0
	for _, s := range rep.Signatures {
		rep.Valid = rep.Valid && s.Valid
	}
	return rep
}

// isEnvelope reports whether the document's root is a SOAP 1.1 or 1.2 Envelope.
func isEnvelope(doc []byte) bool {
	d, err := signing.Parse(doc, signing.Limits{})
	if err != nil || d.Root() == nil {
		return false
	}
	r := d.Root()
	ns := r.NamespaceURI()
	return r.Tag == "Envelope" && (ns == "http://schemas.xmlsoap.org/soap/envelope/" || ns == "http://www.w3.org/2003/05/soap-envelope")
}

func entryOf(r *signing.Result, err error) signatureEntry {
	if err != nil {
		s := signatureEntry{Error: coded(err)}
		var se *signing.Error
		if errors.As(err, &se) && se.Identity != nil {
			id := identityJSON(se.Identity, nil, nil)
			s.Signer = &id
		}
		var ve *validate.Error
		if errors.As(err, &ve) {
			s.Error.Code = string(ve.Code)
		}
		return s
	}
	id := identityJSON(r.Verdict.Identity, nil, nil)
	s := signatureEntry{Valid: true, Signer: &id, SignatureMethod: r.SignatureMethod, DigestMethod: r.DigestMethod}
	if r.Element != nil {
		s.SignedElement = r.Element.Tag
		if ns := r.Element.NamespaceURI(); ns != "" {
			s.SignedElement = "{" + ns + "}" + r.Element.Tag
		}
	}
	for _, c := range r.Verdict.Chain {
		s.Chain = append(s.Chain, c.Subject.CommonName)
	}
	for _, st := range r.Verdict.Revocation {
		s.Revocation = append(s.Revocation, st.State.String()+" by "+st.Source)
	}
	return s
}

func (r *verifyReport) print(w io.Writer) {
	verdict := "VALID"
	if !r.Valid {
		verdict = "INVALID"
	}
	fmt.Fprintf(w, "%s (%s, checked at %s)\n", verdict, r.Layout, r.At)
	if r.Error != nil {
		fmt.Fprintf(w, "  %s: %s\n", r.Error.Code, r.Error.Message)
	}
	for i, s := range r.Signatures {
		fmt.Fprintf(w, "signature %d: ", i+1)
		if s.Valid {
			fmt.Fprintf(w, "valid, %s over <%s>\n", s.SignatureMethod, s.SignedElement)
		} else {
			fmt.Fprintf(w, "%s: %s\n", s.Error.Code, s.Error.Message)
		}
		if s.Signer != nil {
			iin := s.Signer.IIN
			if s.Signer.IINTest {
				iin += " (test identity)"
			}
			fmt.Fprintf(w, "  signer:     %s", s.Signer.fullName())
			if iin != "" {
				fmt.Fprintf(w, ", ИИН %s", iin)
			}
			if s.Signer.BIN != "" {
				fmt.Fprintf(w, ", БИН %s", s.Signer.BIN)
				if s.Signer.Organization != "" {
					fmt.Fprintf(w, " (%s)", s.Signer.Organization)
				}
			}
			fmt.Fprintf(w, ", %s key, %s\n", s.Signer.KeyClass, s.Signer.Kind)
		}
		if len(s.Chain) > 0 {
			fmt.Fprintf(w, "  chain:      %s\n", strings.Join(s.Chain, " → "))
		}
		for _, rv := range s.Revocation {
			fmt.Fprintf(w, "  revocation: %s\n", rv)
		}
	}
}

// fullName is the signer's name as the certificate gives it: the CN (surname and given name of a
// person, or a system's name) followed by the patronymic, which НУЦ certificates carry apart.
func (o *identityOut) fullName() string {
	if o.Patronymic == "" || strings.Contains(o.CommonName, o.Patronymic) {
		return o.CommonName
	}
	return o.CommonName + " " + o.Patronymic
}
