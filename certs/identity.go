package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// KeyClass is what НУЦ РК issued a key for, read from the keyUsage extension.
type KeyClass string

// Key classes, named as NCANode reports them.
const (
	// KeySign: digitalSignature and nonRepudiation (a signing key; any other bits allowed).
	KeySign KeyClass = "SIGN"
	// KeyAuth: digitalSignature and keyEncipherment without nonRepudiation (an authentication key).
	KeyAuth KeyClass = "AUTH"
	// KeyOther: anything else, CA certificates included.
	KeyOther KeyClass = "UNKNOWN"
)

// KeyClassOf classifies the certificate's key by its keyUsage bits.
func KeyClassOf(c *x509.Certificate) KeyClass {
	if c == nil {
		return KeyOther
	}
	ds := c.KeyUsage&x509.KeyUsageDigitalSignature != 0
	nr := c.KeyUsage&x509.KeyUsageContentCommitment != 0
	ke := c.KeyUsage&x509.KeyUsageKeyEncipherment != 0
	switch {
	case ds && nr:
		return KeySign
	case ds && ke:
		return KeyAuth
	}
	return KeyOther
}

// Kind is who holds a certificate, as far as its roles, policies and identifiers tell.
type Kind string

// Kinds of holder.
const (
	KindIndividual Kind = "individual" // a private person
	KindHead       Kind = "head"       // the first head of a legal entity
	KindSigner     Kind = "signer"     // an employee with the right to sign
	KindEmployee   Kind = "employee"   // another employee of a legal entity
	KindSystem     Kind = "system"     // an information system
	KindUnknown    Kind = "unknown"
)

// Role is a key-user role: an extended-key-usage OID under 1.2.398.3.3.4.
type Role struct {
	OID         asn1.ObjectIdentifier
	Name        string // NCANode's name ("INDIVIDUAL", "CEO", …); "" for an OID this package does not know
	Description string // in Russian; "" for an unknown OID
}

// Policy is a certificate policy OID.
type Policy struct {
	OID         asn1.ObjectIdentifier
	Description string // in Russian; "" for an unknown OID
}

// Role OIDs (extended key usage) of НУЦ РК.
var (
	OIDRoleIndividual        = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 1}
	OIDRoleOrganization      = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2}
	OIDRoleCEO               = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 1}
	OIDRoleCanSign           = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 2}
	OIDRoleCanSignFinancial  = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 3}
	OIDRoleHR                = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 4}
	OIDRoleEmployee          = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 5}
	OIDRoleInformationSystem = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 6}
	// OIDRoleIndividualInformationSystem is the information system of an individual.
	OIDRoleIndividualInformationSystem = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 1, 1}
	OIDRoleIdentificationCON           = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 3, 1}
)

// Certificate policy OIDs of НУЦ РК.
var (
	OIDPolicyNCA            = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 1, 1}
	OIDPolicyLegalSign      = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 1}
	OIDPolicyLegalAuth      = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 2}
	OIDPolicyIndividualSign = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 3}
	OIDPolicyIndividualAuth = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 4}
	// OIDPolicyGOST2015 is the policy of the GOST 2015 (2022) generation of certificates.
	OIDPolicyGOST2015 = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2}
)

var oidRoleArc = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4}

type roleInfo struct {
	oid         asn1.ObjectIdentifier
	name        string
	description string
}

// roles lists the known role OIDs with NCANode's names.
var roles = []roleInfo{
	{OIDRoleIndividual, "INDIVIDUAL", "Физическое лицо"},
	{OIDRoleIndividualInformationSystem, "INDIVIDUAL_INFORMATION_SYSTEM", "Информационная система физического лица"},
	{OIDRoleOrganization, "ORGANIZATION", "Юридическое лицо"},
	{OIDRoleCEO, "CEO", "Первый руководитель юридического лица, имеющий право подписи"},
	{OIDRoleCanSign, "CAN_SIGN", "Лицо, наделенное правом подписи"},
	{OIDRoleCanSignFinancial, "CAN_SIGN_FINANCIAL", "Лицо, наделенное правом подписи финансовых документов"},
	{OIDRoleHR, "HR", "Сотрудник отдела кадров, наделенный правом подтверждать заявки на выпуск регистрационных свидетельств, поданные от сотрудников юридического лица"},
	{OIDRoleEmployee, "EMPLOYEE", "Сотрудник организации"},
	{OIDRoleInformationSystem, "INFORMATION_SYSTEM", "Информационная система юридического лица"},
	{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 2}, "NCA_PRIVILEGES", "Полномочия в информационной системе НУЦ РК"},
	{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 2, 1}, "NCA_ADMIN", "Администратор НУЦ РК"},
	{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 2, 2}, "NCA_MANAGER", "Менеджер НУЦ РК"},
	{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 2, 3}, "NCA_OPERATOR", "Оператор НУЦ РК"},
	{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 3}, "IDENTIFICATION", "Владелец ключа идентифицирован"},
	{OIDRoleIdentificationCON, "IDENTIFICATION_CON", "Владелец ключа идентифицирован лично в ЦОН"},
	{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 3, 2}, "IDENTIFICATION_REMOTE", "Владелец ключа идентифицирован удалённо"},
	{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 3, 2, 1}, "IDENTIFICATION_REMOTE_DIGITAL_ID", "Владелец ключа идентифицирован удалённо через Digital ID"},
}

// policies lists the known policy OIDs.
var policies = []struct {
	oid         asn1.ObjectIdentifier
	description string
}{
	{OIDPolicyNCA, "Регламент Национального удостоверяющего центра Республики Казахстан"},
	{OIDPolicyLegalSign, "Политика применения регистрационных свидетельств электронной цифровой подписи юридических лиц Республики Казахстан"},
	{OIDPolicyLegalAuth, "Политика применения регистрационных свидетельств аутентификации юридических лиц Республики Казахстан"},
	{OIDPolicyIndividualSign, "Политика применения регистрационных свидетельств электронной цифровой подписи физических лиц Республики Казахстан"},
	{OIDPolicyIndividualAuth, "Политика применения регистрационных свидетельств аутентификации физических лиц Республики Казахстан"},
	{OIDPolicyGOST2015, "Политика применения регистрационных свидетельств Национального удостоверяющего центра Республики Казахстан"},
}

// Subject attribute types.
var (
	oidCN           = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSurname      = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidCountry      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidLocality     = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidState        = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidStreet       = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrgUnit      = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidTitle        = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidPostalCode   = asn1.ObjectIdentifier{2, 5, 4, 17}
	oidGivenName    = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidEmail        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidDC           = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidUID          = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
)

// Identity is what a certificate says about its holder.
type Identity struct {
	IIN, BIN string // 12 digits each, "" when absent
	IINInfo  *IIN   // parsed ИИН (nil when absent)
	BINInfo  *BIN   // parsed БИН (nil when absent)

	CommonName string // CN, "ТЕСТОВ ТЕСТ"
	Surname    string // SURNAME, "ТЕСТОВ"
	GivenName  string // CN without the surname, "ТЕСТ"
	Patronymic string // the GIVENNAME attribute, which НУЦ uses for the patronymic, "ТЕСТОВИЧ"

	Organization string // O
	Email        string // E (emailAddress), else the first e-mail subject alternative name
	Country      string // C
	Locality     string // L
	State        string // S (ST)

	KeyClass KeyClass
	Kind     Kind
	Roles    []Role   // extended-key-usage OIDs under 1.2.398.3.3.4, in certificate order
	Policies []Policy // certificate policies, in certificate order

	KeyAlgorithm       string // e.g. "RSA", "GOST 34.310-2004"
	SignatureAlgorithm string // e.g. "RSA-SHA256", "GOST 34.310-2004"
	GOST               bool   // key or signature is a Kazakh GOST algorithm (checked by StdVerifier, not by crypto/x509)

	Serial              string // upper-case hex
	Subject, Issuer     string // readable DN, RFC 4514 order
	NotBefore, NotAfter time.Time
}

// FullName returns "Surname GivenName Patronymic" (the parts present), or the common name when
// the certificate has none of them.
func (id *Identity) FullName() string {
	var parts []string
	for _, p := range []string{id.Surname, id.GivenName, id.Patronymic} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return id.CommonName
	}
	return strings.Join(parts, " ")
}

// HasRole reports whether the certificate carries the role oid.
func (id *Identity) HasRole(oid asn1.ObjectIdentifier) bool {
	for _, r := range id.Roles {
		if r.OID.Equal(oid) {
			return true
		}
	}
	return false
}

// HasPolicy reports whether the certificate carries the policy oid.
func (id *Identity) HasPolicy(oid asn1.ObjectIdentifier) bool {
	for _, p := range id.Policies {
		if p.OID.Equal(oid) {
			return true
		}
	}
	return false
}

// IdentityOf reads the holder's identity from an НУЦ РК certificate.
//
// The subject's SERIALNUMBER holds "IIN" or "BIN" followed by 12 digits, and OU may hold
// "BIN…"; other values of these attributes are ignored. An ИИН or БИН that fails validation is an
// error wrapping the [IDError] unless opts.TestIdentities is set; two different ИИН (or БИН)
// values in one subject are an error in any mode.
//
// Kind is decided by the roles first: an information system, then CEO (head), then signing
// rights (signer), then EMPLOYEE, HR or ORGANIZATION (employee), then INDIVIDUAL. Without any of
// these roles: a SERIALNUMBER БИН and no ИИН means a system; a legal-entity policy or any БИН an
// employee; an individual policy or only an ИИН an individual; otherwise unknown.
func IdentityOf(c *x509.Certificate, opts ParseOptions) (*Identity, error) {
	if c == nil {
		return nil, errors.New("certs: IdentityOf: nil certificate")
	}
	id := &Identity{
		KeyClass:  KeyClassOf(c),
		NotBefore: c.NotBefore,
		NotAfter:  c.NotAfter,
		Subject:   formatDN(c.RawSubject, c.Subject),
		Issuer:    formatDN(c.RawIssuer, c.Issuer),
	}
	if c.SerialNumber != nil {
		id.Serial = SerialHex(c.SerialNumber)
	}

	var iinRaw, binRaw string // the attribute values the numbers came from
	binInSerial := false
	setNumber := func(dst, raw *string, attr, value string) error {
		digits := value[3:]
		if *raw != "" && *dst != digits {
			return fmt.Errorf("certs: subject has two different %s values: %q and %q", value[:3], *raw, attr+"="+value)
		}
		*dst, *raw = digits, attr+"="+value
		return nil
	}
	for _, atv := range c.Subject.Names {
		s, ok := atv.Value.(string)
		if !ok {
			continue
		}
		var err error
		switch t := atv.Type; {
		case t.Equal(oidCN):
			setOnce(&id.CommonName, s)
		case t.Equal(oidSurname):
			setOnce(&id.Surname, s)
		case t.Equal(oidGivenName):
			setOnce(&id.Patronymic, s)
		case t.Equal(oidCountry):
			setOnce(&id.Country, s)
		case t.Equal(oidLocality):
			setOnce(&id.Locality, s)
		case t.Equal(oidState):
			setOnce(&id.State, s)
		case t.Equal(oidOrganization):
			setOnce(&id.Organization, s)
		case t.Equal(oidEmail):
			setOnce(&id.Email, s)
		case t.Equal(oidSerialNumber):
			switch {
			case strings.HasPrefix(s, "IIN"):
				err = setNumber(&id.IIN, &iinRaw, "SERIALNUMBER", s)
			case strings.HasPrefix(s, "BIN"):
				err = setNumber(&id.BIN, &binRaw, "SERIALNUMBER", s)
				binInSerial = true
			}
		case t.Equal(oidOrgUnit):
			if strings.HasPrefix(s, "BIN") {
				err = setNumber(&id.BIN, &binRaw, "OU", s)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if id.Email == "" && len(c.EmailAddresses) > 0 {
		id.Email = c.EmailAddresses[0]
	}
	id.GivenName = givenName(id.CommonName, id.Surname, id.Patronymic)

	if iinRaw != "" {
		v, err := ParseIIN(id.IIN, opts)
		if err != nil {
			return nil, fmt.Errorf("certs: subject %s: %w", iinRaw, err)
		}
		id.IINInfo = &v
	}
	if binRaw != "" {
		v, err := ParseBIN(id.BIN, opts)
		if err != nil {
			return nil, fmt.Errorf("certs: subject %s: %w", binRaw, err)
		}
		id.BINInfo = &v
	}

	for _, oid := range c.UnknownExtKeyUsage {
		if len(oid) > len(oidRoleArc) && oid[:len(oidRoleArc)].Equal(oidRoleArc) {
			id.Roles = append(id.Roles, roleOf(oid))
		}
	}
	id.Policies = policiesOf(c)

	keyOID := PublicKeyAlgorithmOID(c)
	sigOID := SignatureAlgorithmOID(c)
	id.KeyAlgorithm = algorithmName(keyOID)
	id.SignatureAlgorithm = algorithmName(sigOID)
	id.GOST = IsGOST(keyOID) || IsGOST(sigOID)

	id.Kind = kindOf(id, binInSerial)
	return id, nil
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func algorithmName(oid asn1.ObjectIdentifier) string {
	if len(oid) == 0 {
		return "unknown"
	}
	return AlgorithmName(oid)
}

// givenName takes the given name from the common name "SURNAME NAME" (or "SURNAME NAME
// PATRONYMIC"). It is "" when the common name does not start with the surname.
func givenName(cn, surname, patronymic string) string {
	if surname == "" {
		return ""
	}
	rest, ok := strings.CutPrefix(cn, surname)
	if !ok || rest == "" || rest[0] != ' ' {
		return ""
	}
	rest = strings.TrimSpace(rest)
	if patronymic != "" {
		if r, ok := strings.CutSuffix(rest, " "+patronymic); ok {
			rest = strings.TrimSpace(r)
		}
	}
	return rest
}

func roleOf(oid asn1.ObjectIdentifier) Role {
	for _, r := range roles {
		if r.oid.Equal(oid) {
			return Role{OID: oid, Name: r.name, Description: r.description}
		}
	}
	return Role{OID: oid}
}

func policyOf(oid asn1.ObjectIdentifier) Policy {
	for _, p := range policies {
		if p.oid.Equal(oid) {
			return Policy{OID: oid, Description: p.description}
		}
	}
	return Policy{OID: oid}
}

// policiesOf reads the certificate policies from Policies (set by the parser), or from
// PolicyIdentifiers for a certificate built in memory. A policy OID with a component too large
// for an int is skipped.
func policiesOf(c *x509.Certificate) []Policy {
	var out []Policy
	if len(c.Policies) > 0 {
		for _, p := range c.Policies {
			if oid, ok := asn1OID(p); ok {
				out = append(out, policyOf(oid))
			}
		}
		return out
	}
	for _, oid := range c.PolicyIdentifiers {
		out = append(out, policyOf(oid))
	}
	return out
}

// asn1OID converts an x509.OID to an asn1.ObjectIdentifier.
func asn1OID(o x509.OID) (asn1.ObjectIdentifier, bool) {
	var oid asn1.ObjectIdentifier
	for part := range strings.SplitSeq(o.String(), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		oid = append(oid, n)
	}
	return oid, true
}

func kindOf(id *Identity, binInSerial bool) Kind {
	has := id.HasRole
	switch {
	case has(OIDRoleInformationSystem), has(OIDRoleIndividualInformationSystem):
		return KindSystem
	case has(OIDRoleCEO):
		return KindHead
	case has(OIDRoleCanSign), has(OIDRoleCanSignFinancial):
		return KindSigner
	case has(OIDRoleEmployee), has(OIDRoleHR), has(OIDRoleOrganization):
		return KindEmployee
	case has(OIDRoleIndividual):
		return KindIndividual
	case binInSerial && id.IIN == "":
		return KindSystem
	case id.HasPolicy(OIDPolicyLegalSign), id.HasPolicy(OIDPolicyLegalAuth), id.BIN != "":
		return KindEmployee
	case id.HasPolicy(OIDPolicyIndividualSign), id.HasPolicy(OIDPolicyIndividualAuth), id.IIN != "":
		return KindIndividual
	}
	return KindUnknown
}

// Readable names of DN attribute types, as KalkanCrypt and Java print them.
var dnNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{oidCN, "CN"},
	{oidSurname, "SURNAME"},
	{oidSerialNumber, "SERIALNUMBER"},
	{oidCountry, "C"},
	{oidLocality, "L"},
	{oidState, "ST"},
	{oidStreet, "STREET"},
	{oidOrganization, "O"},
	{oidOrgUnit, "OU"},
	{oidTitle, "T"},
	{oidPostalCode, "POSTALCODE"},
	{oidGivenName, "GIVENNAME"},
	{oidEmail, "E"},
	{oidDC, "DC"},
	{oidUID, "UID"},
}

type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rawRDNSET is one relative distinguished name; the SET suffix makes encoding/asn1 read a SET.
type rawRDNSET []rawATV

// formatDN renders a DER Name as an RFC 4514 string (last RDN first) with readable names for the
// attributes НУЦ uses and the values decoded. It falls back to name.String() when raw is malformed.
func formatDN(raw []byte, name pkix.Name) string {
	var seq []rawRDNSET
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) != 0 {
		return name.String()
	}
	var b strings.Builder
	for i := len(seq) - 1; i >= 0; i-- {
		if i != len(seq)-1 {
			b.WriteByte(',')
		}
		for j, atv := range seq[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(attrName(atv.Type))
			b.WriteByte('=')
			if s, ok := decodeString(atv.Value); ok {
				b.WriteString(escapeDNValue(s))
			} else {
				b.WriteByte('#')
				b.WriteString(hex.EncodeToString(atv.Value.FullBytes))
			}
		}
	}
	return b.String()
}

func attrName(oid asn1.ObjectIdentifier) string {
	for _, n := range dnNames {
		if n.oid.Equal(oid) {
			return n.name
		}
	}
	return oid.String()
}

// decodeString decodes the ASN.1 string types found in names.
func decodeString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagT61String,
		asn1.TagNumericString, 26 /* VisibleString */ :
		return string(v.Bytes), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// escapeDNValue escapes a value as RFC 4514 section 2.4 requires.
func escapeDNValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == ',' || r == '+' || r == '"' || r == '\\' || r == '<' || r == '>' || r == ';',
			i == 0 && (r == ' ' || r == '#'),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == 0:
			b.WriteString(`\00`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SerialHex formats a certificate serial number as НУЦ and openssl print it: upper-case hex of
// even length.
func SerialHex(n *big.Int) string {
	s := strings.ToUpper(n.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}
