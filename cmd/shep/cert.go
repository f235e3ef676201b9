package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shep-kz/shep/certs"
)

func runCert(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "show" {
		return fmt.Errorf("%w: shep cert show [--json] FILE", errUsage)
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
		line("Note", "GOST algorithm: shep reads the identity but cannot verify GOST signatures (algorithm not supported)")
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
