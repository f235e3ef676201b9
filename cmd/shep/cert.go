package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
)

func runCert(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "issue" {
		return certIssue(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "show" {
		return fmt.Errorf("%w: shep cert show [--json] FILE | shep cert issue [flags] (see shep cert issue -h)", errUsage)
	}
	fs, _ := newFlags(e, "cert show")
	asJSON := fs.Bool("json", false, "print JSON")
	strict := fs.Bool("strict", false, "refuse ИИН/БИН that fail the checksum (default: show them, marked as test identities)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: shep cert show [--json] FILE", errUsage)
	}
	c, err := readCertificate(fs.Arg(0))
	if err != nil {
		return err
	}
	id, err := certs.IdentityOf(c, certs.ParseOptions{TestIdentities: !*strict})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(identityJSON(id, c.CRLDistributionPoints, c.OCSPServer))
	}
	printIdentity(e.stdout, id)
	if len(c.CRLDistributionPoints) > 0 {
		fmt.Fprintf(e.stdout, "CRL:          %s\n", strings.Join(c.CRLDistributionPoints, ", "))
	}
	if len(c.OCSPServer) > 0 {
		fmt.Fprintf(e.stdout, "OCSP:         %s\n", strings.Join(c.OCSPServer, ", "))
	}
	return nil
}

const certIssueHelp = `Usage: shep cert issue [--data DIR] [--algorithm rsa|gost2015] [--kind KIND] [--iin ИИН] [--bin БИН]
                       [--name "ФАМИЛИЯ ИМЯ ОТЧЕСТВО"] [--usage sign|auth] [--out PREFIX] [--p12 FILE [--password PW]]

Issues a certificate and a fresh key from the test НУЦ of the data dir (created by ` + "`shep pki init`" + ` or the
first ` + "`shep serve`" + `), as НУЦ РК would for the subject: SERIALNUMBER=IIN…, OU=BIN…, key usages, policies
and roles of the kind, CRL/OCSP pointers to the issuing CA's publication points.

--algorithm chooses the key and the hierarchy:
  rsa       RSA 2048, signed by «ҰКО SHEP (RSA TEST)» under «НЕГІЗГІ КО SHEP TEST (RSA)» (default);
  gost2015  GOST R 34.10-2015 512-bit (TC26-512-A, Streebog-512), signed by «ҰКО SHEP (GOST TEST)» under
            «НЕГІЗГІ КО SHEP TEST (GOST)»: the kind of key НУЦ issues since 2024 (GOST512_*.p12). Its CRLs
            and OCSP are published under BASE/pki/gost/.

Output (at least one of --out and --p12):
  --out PREFIX     PREFIX.crt (PEM certificate) and PREFIX.key (PKCS#8 PEM, mode 0600; a GOST key in
                   НУЦ's PKCS#8 layout);
  --p12 FILE       a PKCS#12 key file as НУЦ writes them (3DES key bag, RC2-40 certificates, SHA-1 MAC)
                   holding the key, its certificate and the chain, protected by --password.
The files sign with ` + "`shep sign --p12 FILE --password PW`" + ` (or --cert/--key) and verify with ` + "`shep verify`" + `.

Example (a citizen's GOST signing key):
  shep cert issue --algorithm gost2015 --iin 931002451325 --name "ИВАНОВА АЙГУЛЬ СЕРИКОВНА" \
                  --p12 aigul.p12 --password Qwerty12

Flags:
`

// certIssue issues a certificate and key from the test НУЦ (see certIssueHelp).
func certIssue(ctx context.Context, e *env, args []string) error {
	fs, data := newFlags(e, "cert issue")
	var f issueFlags
	f.register(fs)
	out := fs.String("out", "", "write PREFIX.crt and PREFIX.key (PEM)")
	p12 := fs.String("p12", "", "write a НУЦ-style PKCS#12 key file")
	password := fs.String("password", "Qwerty12", "password of the --p12 file (НУЦ's test keys use Qwerty12)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), certIssueHelp)
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *out == "" && *p12 == "" {
		return fmt.Errorf("%w: give --out PREFIX and/or --p12 FILE", errUsage)
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
	var files []string
	if *out != "" {
		keyPEM, err := ca.PEMPrivateKey(iss.Key)
		if err != nil {
			return err
		}
		if err := writeFileMode(*out+".crt", ca.PEMCertificate(iss.Certificate), 0o644); err != nil {
			return err
		}
		if err := writeFileMode(*out+".key", keyPEM, 0o600); err != nil {
			return err
		}
		files = append(files, *out+".crt", *out+".key")
	}
	if *p12 != "" {
		b, err := nucPKCS12(iss, *password)
		if err != nil {
			return fmt.Errorf("PKCS#12: %w", err)
		}
		if err := writeFileMode(*p12, b, 0o600); err != nil {
			return err
		}
		files = append(files, *p12)
	}
	printIssued(e, iss, req, files...)
	return nil
}

func idCheck(test bool, err error) string {
	if test {
		return fmt.Sprintf(" (test identity: %v)", err)
	}
	return " (checksum ok)"
}

func printIdentity(w io.Writer, id *certs.Identity) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-13s %s\n", k+":", v)
		}
	}
	line("Subject", id.Subject)
	line("Issuer", id.Issuer)
	line("Serial", id.Serial)
	line("Valid", id.NotBefore.UTC().Format(time.RFC3339)+" … "+id.NotAfter.UTC().Format(time.RFC3339))
	if id.IINInfo != nil {
		extra := idCheck(id.IINInfo.Test, id.IINInfo.Err)
		if !id.IINInfo.Test {
			extra = fmt.Sprintf(" (born %s, %s)", id.IINInfo.BirthDate.Format(time.DateOnly), id.IINInfo.Sex)
		}
		line("ИИН", id.IIN+extra)
	}
	if id.BINInfo != nil {
		extra := idCheck(id.BINInfo.Test, id.BINInfo.Err)
		if !id.BINInfo.Test {
			extra = fmt.Sprintf(" (%s, %s)", id.BINInfo.Type, id.BINInfo.Attribute)
		}
		line("БИН", id.BIN+extra)
	}
	line("Name", id.FullName())
	line("Organization", id.Organization)
	line("Email", id.Email)
	line("Country", id.Country)
	line("Key class", string(id.KeyClass))
	line("Subject kind", string(id.Kind))
	for _, r := range id.Roles {
		line("Role", fmt.Sprintf("%s %s — %s", r.OID, r.Name, r.Description))
	}
	for _, p := range id.Policies {
		line("Policy", strings.TrimSuffix(fmt.Sprintf("%s — %s", p.OID, p.Description), " — "))
	}
	line("Key", id.KeyAlgorithm)
	line("Signature", id.SignatureAlgorithm)
	if id.GOST {
		line("Note", "GOST algorithm (Kazakh GOST, verified natively by shep: 34.310-2004 and R 34.10-2015 512)")
	}
}

type identityOut struct {
	IIN                string   `json:"iin,omitempty"`
	BIN                string   `json:"bin,omitempty"`
	IINTest            bool     `json:"iin_test,omitempty"`
	BINTest            bool     `json:"bin_test,omitempty"`
	CommonName         string   `json:"common_name"`
	Surname            string   `json:"surname,omitempty"`
	GivenName          string   `json:"given_name,omitempty"`
	Patronymic         string   `json:"patronymic,omitempty"`
	Organization       string   `json:"organization,omitempty"`
	Email              string   `json:"email,omitempty"`
	Country            string   `json:"country,omitempty"`
	KeyClass           string   `json:"key_class"`
	Kind               string   `json:"kind"`
	Roles              []string `json:"roles,omitempty"`
	Policies           []string `json:"policies,omitempty"`
	KeyAlgorithm       string   `json:"key_algorithm"`
	SignatureAlgorithm string   `json:"signature_algorithm"`
	GOST               bool     `json:"gost"`
	Serial             string   `json:"serial"`
	Subject            string   `json:"subject"`
	Issuer             string   `json:"issuer"`
	NotBefore          string   `json:"not_before"`
	NotAfter           string   `json:"not_after"`
	CRL                []string `json:"crl,omitempty"`
	OCSP               []string `json:"ocsp,omitempty"`
}

func identityJSON(id *certs.Identity, crl, ocsp []string) identityOut {
	o := identityOut{IIN: id.IIN, BIN: id.BIN, CommonName: id.CommonName, Surname: id.Surname, GivenName: id.GivenName,
		Patronymic: id.Patronymic, Organization: id.Organization, Email: id.Email, Country: id.Country,
		KeyClass: string(id.KeyClass), Kind: string(id.Kind), KeyAlgorithm: id.KeyAlgorithm,
		SignatureAlgorithm: id.SignatureAlgorithm, GOST: id.GOST, Serial: id.Serial, Subject: id.Subject, Issuer: id.Issuer,
		NotBefore: id.NotBefore.UTC().Format(time.RFC3339), NotAfter: id.NotAfter.UTC().Format(time.RFC3339), CRL: crl, OCSP: ocsp}
	o.IINTest = id.IINInfo != nil && id.IINInfo.Test
	o.BINTest = id.BINInfo != nil && id.BINInfo.Test
	for _, r := range id.Roles {
		o.Roles = append(o.Roles, r.Name)
	}
	for _, p := range id.Policies {
		o.Policies = append(o.Policies, p.OID.String())
	}
	return o
}
