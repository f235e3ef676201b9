package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/gost/gost3410"
)

// Kind is the kind of subject a certificate is issued to, as НУЦ distinguishes them.
type Kind string

// The kinds of subject the test НУЦ issues to.
const (
	KindIndividual Kind = "individual" // a citizen: ИИН only
	KindEmployee   Kind = "employee"   // an employee of a legal entity: ИИН + БИН + O
	KindHead       Kind = "head"       // the first head of a legal entity
	KindOperator   Kind = "operator"   // a ЦОН operator: employee of the State Corporation
	KindOfficial   Kind = "official"   // a provider official with the right to sign
	KindSystem     Kind = "system"     // an information system (gateway, provider): БИН only
)

// Kinds lists every Kind, for flag help and validation.
var Kinds = []Kind{KindIndividual, KindEmployee, KindHead, KindOperator, KindOfficial, KindSystem}

// Usage is the key class of a certificate: НУЦ issues a SIGN and an AUTH key to every subject.
type Usage string

// Key classes.
const (
	UsageSign Usage = "sign" // digitalSignature + nonRepudiation, EKU emailProtection
	UsageAuth Usage = "auth" // digitalSignature + keyEncipherment, EKU clientAuth
)

// The State Corporation «Правительство для граждан», whose employees are ЦОН operators.
const (
	DefaultOperatorBIN = "160440007161"
	DefaultOperatorOrg = `НАО "ГОСУДАРСТВЕННАЯ КОРПОРАЦИЯ "ПРАВИТЕЛЬСТВО ДЛЯ ГРАЖДАН"`
)

// IssueRequest describes a certificate to issue.
type IssueRequest struct {
	Kind  Kind
	Usage Usage // default UsageSign

	IIN string // required for every kind but KindSystem
	BIN string // required for legal-entity kinds (KindOperator defaults to the State Corporation)

	// Names. Name, when set, is split as "ФАМИЛИЯ ИМЯ [ОТЧЕСТВО]" into the three fields below.
	Name                           string
	Surname, GivenName, Patronymic string
	CommonName                     string // KindSystem: the system's name; otherwise derived from the names
	Organization                   string
	Email                          string
	Locality                       string

	NotBefore, NotAfter time.Time // zero: now-1m and NotBefore+1 year; any window is allowed

	// Algorithm chooses the key and the hierarchy: AlgorithmRSA ("rsa", the default) or
	// AlgorithmGOST2015 ("gost2015": a TC26-512-A key certified by the GOST issuing CA).
	Algorithm Algorithm

	// PublicKey, when set, is certified instead of a freshly generated key: a *gost3410.PublicKey
	// (TC26-512-A) for AlgorithmGOST2015, which it implies when Algorithm is empty.
	PublicKey crypto.PublicKey
	KeyBits   int // RSA size; default Options.KeyBits

	// TestIdentities accepts ИИН/БИН that fail the checksum (as in НУЦ's own test certificates).
	TestIdentities bool
}

func (r *IssueRequest) normalize(now time.Time) error {
	if r.Usage == "" {
		r.Usage = UsageSign
	}
	if r.Usage != UsageSign && r.Usage != UsageAuth {
		return fmt.Errorf("usage %q: want sign or auth", r.Usage)
	}
	_, gostKey := r.PublicKey.(*gost3410.PublicKey)
	if r.Algorithm == "" && gostKey {
		r.Algorithm = AlgorithmGOST2015
	}
	alg, err := ParseAlgorithm(string(r.Algorithm))
	if err != nil {
		return err
	}
	r.Algorithm = alg
	switch {
	case r.PublicKey == nil:
	case alg == AlgorithmGOST2015 && !gostKey:
		return fmt.Errorf("a gost2015 certificate needs a GOST public key, not %T", r.PublicKey)
	case alg == AlgorithmRSA && gostKey:
		return errors.New("a GOST public key needs algorithm gost2015")
	case gostKey && r.PublicKey.(*gost3410.PublicKey).Curve.PointSize() != 64:
		return errors.New("a gost2015 certificate needs a 512-bit (TC26-512-A) key")
	}
	known := false
	for _, k := range Kinds {
		known = known || k == r.Kind
	}
	if !known {
		return fmt.Errorf("kind %q: want one of %v", r.Kind, Kinds)
	}
	opts := certs.ParseOptions{TestIdentities: r.TestIdentities}
	if r.Kind != KindSystem {
		if _, err := certs.ParseIIN(r.IIN, opts); err != nil {
			return fmt.Errorf("ИИН: %w", err)
		}
	} else if r.IIN != "" {
		return fmt.Errorf("an information system certificate carries a БИН, not an ИИН")
	}
	if r.Kind == KindOperator {
		if r.BIN == "" {
			r.BIN = DefaultOperatorBIN
		}
		if r.Organization == "" {
			r.Organization = DefaultOperatorOrg
		}
	}
	switch r.Kind {
	case KindIndividual:
		if r.BIN != "" || r.Organization != "" {
			return fmt.Errorf("an individual's certificate carries no БИН or organisation")
		}
	default:
		if r.BIN == "" {
			return fmt.Errorf("kind %s needs a БИН", r.Kind)
		}
		if _, err := certs.ParseBIN(r.BIN, opts); err != nil {
			return fmt.Errorf("БИН: %w", err)
		}
		if r.Organization == "" {
			r.Organization = "ТОО \"ТЕСТОВАЯ ОРГАНИЗАЦИЯ " + r.BIN + "\""
		}
	}
	if r.Name != "" {
		f := strings.Fields(r.Name)
		r.Surname, r.GivenName, r.Patronymic = f[0], "", ""
		if len(f) > 1 {
			r.GivenName = f[1]
		}
		if len(f) > 2 {
			r.Patronymic = strings.Join(f[2:], " ")
		}
	}
	if r.Kind == KindSystem {
		if r.CommonName == "" {
			r.CommonName = r.Organization
		}
	} else {
		if r.Surname == "" {
			r.Surname, r.GivenName = "ТЕСТОВ", "ТЕСТ"
		}
		if r.CommonName == "" {
			r.CommonName = strings.TrimSpace(r.Surname + " " + r.GivenName)
		}
	}
	if r.NotBefore.IsZero() {
		r.NotBefore = now.Add(-time.Minute)
	}
	if r.NotAfter.IsZero() {
		r.NotAfter = r.NotBefore.AddDate(1, 0, 0)
	}
	if !r.NotAfter.After(r.NotBefore) {
		return fmt.Errorf("validity: not-after %s is not after not-before %s", r.NotAfter.Format(time.RFC3339), r.NotBefore.Format(time.RFC3339))
	}
	return nil
}

// Attribute OIDs of the subject DN that pkix.Name has no field for.
var (
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidEmail     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidSerialNum = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidCountry   = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidCN        = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidLocality  = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidOrg       = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrgUnit   = asn1.ObjectIdentifier{2, 5, 4, 11}

	oidExtFreshestCRL     = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidExtCertPolicies    = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidExtOCSPNoCheck     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidExtDeltaCRLIndic   = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidQualifierCPS       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}
	cpsURL                = "http://pki.gov.kz/cps"
	asn1NULL              = []byte{0x05, 0x00}
	serialNumberMaxBits   = 159
	subjectKeyIDHashedLen = sha1.Size
)

// subject builds the DN in НУЦ's order: CN, SURNAME, SERIALNUMBER, C, L, O, OU, G, E.
func (r *IssueRequest) subject() pkix.Name {
	var rdn []pkix.AttributeTypeAndValue
	add := func(oid asn1.ObjectIdentifier, v string) {
		if v != "" {
			rdn = append(rdn, pkix.AttributeTypeAndValue{Type: oid, Value: v})
		}
	}
	add(oidCN, r.CommonName)
	if r.Kind == KindSystem {
		add(oidSerialNum, "BIN"+r.BIN)
	} else {
		add(oidSurname, r.Surname)
		add(oidSerialNum, "IIN"+r.IIN)
	}
	add(oidCountry, "KZ")
	add(oidLocality, r.Locality)
	add(oidOrg, r.Organization)
	if r.BIN != "" {
		add(oidOrgUnit, "BIN"+r.BIN)
	}
	if r.Kind != KindSystem {
		add(oidGivenName, r.Patronymic)
	}
	add(oidEmail, r.Email)
	return pkix.Name{ExtraNames: rdn}
}

// roles are the EKU role OIDs (1.2.398.3.3.4.x) НУЦ puts into a certificate of this kind.
func (k Kind) roles() []asn1.ObjectIdentifier {
	switch k {
	case KindIndividual:
		return []asn1.ObjectIdentifier{certs.OIDRoleIndividual}
	case KindHead:
		return []asn1.ObjectIdentifier{certs.OIDRoleOrganization, certs.OIDRoleCEO}
	case KindOfficial:
		return []asn1.ObjectIdentifier{certs.OIDRoleOrganization, certs.OIDRoleCanSign}
	case KindSystem:
		return []asn1.ObjectIdentifier{certs.OIDRoleOrganization, certs.OIDRoleInformationSystem}
	default: // employee, operator
		return []asn1.ObjectIdentifier{certs.OIDRoleOrganization, certs.OIDRoleEmployee}
	}
}

func (r *IssueRequest) policy() asn1.ObjectIdentifier {
	legal := r.Kind != KindIndividual
	switch {
	case legal && r.Usage == UsageSign:
		return certs.OIDPolicyLegalSign
	case legal:
		return certs.OIDPolicyLegalAuth
	case r.Usage == UsageSign:
		return certs.OIDPolicyIndividualSign
	default:
		return certs.OIDPolicyIndividualAuth
	}
}

// policiesExtension encodes certificatePolicies with a CPS qualifier, as НУЦ does (crypto/x509
// cannot write qualifiers).
func policiesExtension(oid asn1.ObjectIdentifier) (pkix.Extension, error) {
	type qualifier struct {
		ID  asn1.ObjectIdentifier
		CPS string `asn1:"ia5"`
	}
	type policyInfo struct {
		ID         asn1.ObjectIdentifier
		Qualifiers []qualifier
	}
	b, err := asn1.Marshal([]policyInfo{{ID: oid, Qualifiers: []qualifier{{ID: oidQualifierCPS, CPS: cpsURL}}}})
	return pkix.Extension{Id: oidExtCertPolicies, Value: b}, err
}

// distributionPoints encodes CRLDistributionPoints-shaped content (also used for FreshestCRL).
func distributionPoints(urls ...string) ([]byte, error) {
	type dpName struct {
		FullName []asn1.RawValue `asn1:"optional,tag:0"`
	}
	type dp struct {
		DistributionPoint dpName `asn1:"optional,tag:0"`
	}
	var out []dp
	for _, u := range urls {
		out = append(out, dp{DistributionPoint: dpName{FullName: []asn1.RawValue{{Tag: 6, Class: asn1.ClassContextSpecific, Bytes: []byte(u)}}}})
	}
	return asn1.Marshal(out)
}

func randomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(serialNumberMaxBits)))
		if err != nil {
			return nil, err
		}
		if n.BitLen() > 64 { // 20-byte serials as НУЦ uses, never tiny
			return n, nil
		}
	}
}

// subjectKeyID is the RFC 5280 method-1 key identifier: SHA-1 of the subjectPublicKey bits.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	h := sha1.Sum(spki.Key.Bytes)
	return h[:subjectKeyIDHashedLen], nil
}
