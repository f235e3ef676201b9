package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/internal/fixtures"
)

// Expected roles and policies, spelled out here rather than taken from the package's tables.
var (
	roleIndividual   = Role{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 1}, "INDIVIDUAL", "Физическое лицо"}
	roleOrganization = Role{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2}, "ORGANIZATION", "Юридическое лицо"}
	roleCEO          = Role{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 1}, "CEO",
		"Первый руководитель юридического лица, имеющий право подписи"}
	roleCanSignFinancial = Role{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 3}, "CAN_SIGN_FINANCIAL",
		"Лицо, наделенное правом подписи финансовых документов"}
	roleSystem = Role{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 1, 2, 6}, "INFORMATION_SYSTEM",
		"Информационная система юридического лица"}
	roleIdentificationCON = Role{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 3, 1}, "IDENTIFICATION_CON",
		"Владелец ключа идентифицирован лично в ЦОН"}

	policyNCA = Policy{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 1, 1},
		"Регламент Национального удостоверяющего центра Республики Казахстан"}
	policyLegalSign = Policy{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 1},
		"Политика применения регистрационных свидетельств электронной цифровой подписи юридических лиц Республики Казахстан"}
	policyIndividualSign = Policy{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 3},
		"Политика применения регистрационных свидетельств электронной цифровой подписи физических лиц Республики Казахстан"}
	policyIndividualAuth = Policy{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 4},
		"Политика применения регистрационных свидетельств аутентификации физических лиц Республики Казахстан"}
	policyGOST2015 = Policy{asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2},
		"Политика применения регистрационных свидетельств Национального удостоверяющего центра Республики Казахстан"}
)

func TestOIDs(t *testing.T) {
	tests := []struct {
		oid  asn1.ObjectIdentifier
		want string
	}{
		{OIDRoleIndividual, "1.2.398.3.3.4.1.1"},
		{OIDRoleOrganization, "1.2.398.3.3.4.1.2"},
		{OIDRoleCEO, "1.2.398.3.3.4.1.2.1"},
		{OIDRoleCanSign, "1.2.398.3.3.4.1.2.2"},
		{OIDRoleCanSignFinancial, "1.2.398.3.3.4.1.2.3"},
		{OIDRoleHR, "1.2.398.3.3.4.1.2.4"},
		{OIDRoleEmployee, "1.2.398.3.3.4.1.2.5"},
		{OIDRoleInformationSystem, "1.2.398.3.3.4.1.2.6"},
		{OIDRoleIndividualInformationSystem, "1.2.398.3.3.4.1.1.1"},
		{OIDRoleIdentificationCON, "1.2.398.3.3.4.3.1"},
		{OIDPolicyNCA, "1.2.398.3.3.1.1"},
		{OIDPolicyLegalSign, "1.2.398.3.3.2.1"},
		{OIDPolicyLegalAuth, "1.2.398.3.3.2.2"},
		{OIDPolicyIndividualSign, "1.2.398.3.3.2.3"},
		{OIDPolicyIndividualAuth, "1.2.398.3.3.2.4"},
		{OIDPolicyGOST2015, "1.2.398.3.3.2"},
	}
	for _, tt := range tests {
		if tt.oid.String() != tt.want {
			t.Errorf("OID %s, want %s", tt.oid, tt.want)
		}
	}
}

func TestKeyClassOf(t *testing.T) {
	const (
		ds = x509.KeyUsageDigitalSignature
		nr = x509.KeyUsageContentCommitment
		ke = x509.KeyUsageKeyEncipherment
		ka = x509.KeyUsageKeyAgreement
	)
	tests := []struct {
		ku   x509.KeyUsage
		want KeyClass
	}{
		{ds | nr, KeySign},
		{ds | nr | ka, KeySign}, // the 2022 generation's single key
		{ds | nr | ke, KeySign},
		{ds | ke, KeyAuth},
		{ds, KeyOther},
		{nr, KeyOther},
		{ke, KeyOther},
		{nr | ke, KeyOther},
		{x509.KeyUsageCertSign | x509.KeyUsageCRLSign, KeyOther},
		{0, KeyOther},
	}
	for _, tt := range tests {
		if got := KeyClassOf(&x509.Certificate{KeyUsage: tt.ku}); got != tt.want {
			t.Errorf("KeyClassOf(keyUsage %b) = %s, want %s", tt.ku, got, tt.want)
		}
	}
	if got := KeyClassOf(nil); got != KeyOther {
		t.Errorf("KeyClassOf(nil) = %s", got)
	}
}

// loadCert reads a PEM or DER certificate from the shared fixtures.
func loadCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	data := fixtures.Read(t, name)
	if b, _ := pem.Decode(data); b != nil {
		data = b.Bytes
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

// compareIdentity compares every field except IINInfo and BINInfo, which the callers check.
func compareIdentity(t *testing.T, got, want *Identity) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		if name == "IINInfo" || name == "BINInfo" {
			continue
		}
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gt, ok := g.(time.Time); ok {
			if !gt.Equal(w.(time.Time)) {
				t.Errorf("%s = %v, want %v", name, g, w)
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", name, g, w)
		}
	}
}

func utc(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.UTC)
}

func TestIdentityFixtures(t *testing.T) {
	const (
		testSubject = "GIVENNAME=ТЕСТОВИЧ,C=KZ,SERIALNUMBER=IIN123456789011,SURNAME=ТЕСТОВ,CN=ТЕСТОВ ТЕСТ"
		rsaIssuer   = "CN=ҰКО 3.0 (RSA TEST),C=KZ"
	)
	tests := []struct {
		file       string
		want       Identity
		strictKind error // kind of the error in strict mode; nil when strict mode succeeds
		testIIN    bool  // IINInfo is a test identity
		testBIN    bool
	}{
		{
			file: "individual_valid_sign_2004_rsa.cer",
			want: Identity{
				IIN: "123456789011", CommonName: "ТЕСТОВ ТЕСТ", Surname: "ТЕСТОВ", GivenName: "ТЕСТ",
				Patronymic: "ТЕСТОВИЧ", Country: "KZ", KeyClass: KeySign, Kind: KindIndividual,
				Roles: []Role{roleIndividual}, Policies: []Policy{policyIndividualSign},
				KeyAlgorithm: "RSA", SignatureAlgorithm: "RSA-SHA256",
				Serial:  "41E45CC8A04C705963E5CD6769848A934D8EAEF5",
				Subject: testSubject, Issuer: rsaIssuer,
				NotBefore: utc(2022, 1, 18, 4, 38, 50), NotAfter: utc(2023, 1, 18, 4, 38, 50),
			},
			strictKind: ErrChecksum, testIIN: true,
		},
		{
			file: "individual_valid_sign_2004_rsa_auth.cer",
			want: Identity{
				IIN: "123456789011", CommonName: "ТЕСТОВ ТЕСТ", Surname: "ТЕСТОВ", GivenName: "ТЕСТ",
				Patronymic: "ТЕСТОВИЧ", Country: "KZ", KeyClass: KeyAuth, Kind: KindIndividual,
				Roles: []Role{roleIndividual}, Policies: []Policy{policyIndividualAuth},
				KeyAlgorithm: "RSA", SignatureAlgorithm: "RSA-SHA256",
				Serial:  "247C3FDA89FA641EA226987393CDAF3F5BAF24B3",
				Subject: testSubject, Issuer: rsaIssuer,
				NotBefore: utc(2022, 1, 18, 4, 38, 49), NotAfter: utc(2023, 1, 18, 4, 38, 49),
			},
			strictKind: ErrChecksum, testIIN: true,
		},
		{
			file: "ceo_valid_sign_2004_gost.cer",
			want: Identity{
				IIN: "123456789011", BIN: "123456789021", CommonName: "ТЕСТОВ ТЕСТ", Surname: "ТЕСТОВ",
				GivenName: "ТЕСТ", Patronymic: "ТЕСТОВИЧ", Organization: `АО "ТЕСТ"`, Country: "KZ",
				KeyClass: KeySign, Kind: KindHead,
				Roles: []Role{roleOrganization, roleCEO}, Policies: []Policy{policyLegalSign},
				KeyAlgorithm: "GOST 34.310-2004", SignatureAlgorithm: "GOST 34.310-2004", GOST: true,
				Serial: "6CBD4560A33A58C0B07C3363C9AE0674A0838E58",
				Subject: `GIVENNAME=ТЕСТОВИЧ,OU=BIN123456789021,O=АО \"ТЕСТ\",C=KZ,SERIALNUMBER=IIN123456789011,` +
					"SURNAME=ТЕСТОВ,CN=ТЕСТОВ ТЕСТ",
				Issuer:    "CN=ҰКО 3.0 (GOST TEST),C=KZ",
				NotBefore: utc(2022, 1, 18, 4, 45, 35), NotAfter: utc(2023, 1, 18, 4, 45, 35),
			},
			strictKind: ErrChecksum, testIIN: true, testBIN: true,
		},
		{
			file: "nca_gost2015_test.cer",
			want: Identity{
				CommonName: "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022", Country: "KZ",
				KeyClass: KeyOther, Kind: KindUnknown, Policies: []Policy{policyGOST2015},
				KeyAlgorithm: "GOST R 34.10-2015 512", SignatureAlgorithm: "GOST R 34.10-2015 512", GOST: true,
				Serial:    "7AD24B1BA3A0C961FE1CA8503E6AA2BB450DB8A3",
				Subject:   "C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022",
				Issuer:    "C=KZ,CN=НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022",
				NotBefore: utc(2022, 7, 7, 9, 55, 23), NotAfter: utc(2032, 7, 4, 9, 55, 23),
			},
		},
		{
			file: "nca_rsa_test.crt",
			want: Identity{
				CommonName: "ҰКО 3.0 (RSA TEST)", Country: "KZ", KeyClass: KeyOther, Kind: KindUnknown,
				Policies: []Policy{policyNCA}, KeyAlgorithm: "RSA", SignatureAlgorithm: "RSA-SHA256",
				Serial:  "452A6437611C183FBF1EC5A1BA4920DD72148A9B",
				Subject: rsaIssuer, Issuer: "C=KZ,CN=НЕГІЗГІ КО TEST (RSA)",
				NotBefore: utc(2019, 3, 15, 3, 42, 17), NotAfter: utc(2024, 3, 13, 3, 42, 17),
			},
		},
		{
			file: "nca_gost_test.crt",
			want: Identity{
				CommonName: "ҰКО 3.0 (GOST TEST)", Country: "KZ", KeyClass: KeyOther, Kind: KindUnknown,
				Policies: []Policy{policyNCA}, KeyAlgorithm: "GOST 34.310-2004", SignatureAlgorithm: "GOST 34.310-2004",
				GOST: true, Serial: "1236E8F1619123D1E96F00E56791F855E2DCB457",
				Subject: "CN=ҰКО 3.0 (GOST TEST),C=KZ", Issuer: "C=KZ,CN=НЕГІЗГІ КО TEST (GOST)",
				NotBefore: utc(2019, 3, 14, 11, 34, 7), NotAfter: utc(2024, 3, 12, 11, 34, 7),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := loadCert(t, tt.file)

			id, err := IdentityOf(c, strict)
			if tt.strictKind != nil {
				var e *IDError
				if !errors.Is(err, tt.strictKind) || !errors.As(err, &e) || e.Value != "123456789011" {
					t.Fatalf("strict IdentityOf error = %v, want an IDError of kind %v for 123456789011", err, tt.strictKind)
				}
				if id != nil {
					t.Errorf("strict IdentityOf returned %+v with the error", id)
				}
				if !strings.Contains(err.Error(), "SERIALNUMBER=IIN123456789011") {
					t.Errorf("error %q does not name the attribute", err)
				}
			} else if err != nil {
				t.Fatalf("strict IdentityOf: %v", err)
			}

			id, err = IdentityOf(c, testMode)
			if err != nil {
				t.Fatalf("IdentityOf(test identities): %v", err)
			}
			compareIdentity(t, id, &tt.want)

			switch {
			case tt.want.IIN == "":
				if id.IINInfo != nil {
					t.Errorf("IINInfo = %+v, want nil", id.IINInfo)
				}
			case id.IINInfo == nil:
				t.Error("IINInfo is nil")
			case id.IINInfo.Digits != tt.want.IIN || id.IINInfo.Test != tt.testIIN ||
				tt.testIIN && !errors.Is(id.IINInfo.Err, ErrChecksum):
				t.Errorf("IINInfo = %+v", *id.IINInfo)
			}
			switch {
			case tt.want.BIN == "":
				if id.BINInfo != nil {
					t.Errorf("BINInfo = %+v, want nil", id.BINInfo)
				}
			case id.BINInfo == nil:
				t.Error("BINInfo is nil")
			case id.BINInfo.Digits != tt.want.BIN || id.BINInfo.Test != tt.testBIN ||
				tt.testBIN && !errors.Is(id.BINInfo.Err, ErrChecksum):
				t.Errorf("BINInfo = %+v", *id.BINInfo)
			}
		})
	}
}

// opensslCert makes a self-signed certificate with the openssl command line, the way НУЦ lays
// out its subjects. key is an argument of -newkey.
func opensslCert(t *testing.T, key, subj string, exts ...string) *x509.Certificate {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("the openssl command is required: %v", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "openssl.cnf")
	if err := os.WriteFile(conf, []byte("[req]\ndistinguished_name = dn\n[dn]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cert.pem")
	args := []string{"req", "-config", conf, "-x509", "-newkey", key, "-nodes",
		"-keyout", filepath.Join(dir, "key.pem"), "-out", out, "-days", "1", "-set_serial", "0x0A1B2C3D4E",
		"-utf8", "-subj", subj}
	for _, e := range exts {
		args = append(args, "-addext", e)
	}
	if msg, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("openssl wrote no PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	// openssl reads the clock once for each bound: a second can pass between the two.
	if d := c.NotAfter.Sub(c.NotBefore); d < 24*time.Hour || d > 24*time.Hour+time.Second {
		t.Fatalf("validity %v .. %v is not one day", c.NotBefore, c.NotAfter)
	}
	return c
}

const (
	ec      = "ec:" // completed with a parameter file by ecKey
	rsa2048 = "rsa:2048"
	kuSign  = "keyUsage=critical,digitalSignature,nonRepudiation"
	kuAuth  = "keyUsage=critical,digitalSignature,keyEncipherment"
)

// ecKey returns a -newkey argument for a P-256 key.
func ecKey(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p256.pem")
	if msg, err := exec.Command("openssl", "ecparam", "-name", "prime256v1", "-out", p).CombinedOutput(); err != nil {
		t.Fatalf("openssl ecparam: %v\n%s", err, msg)
	}
	return ec + p
}

func TestIdentityOpenSSL(t *testing.T) {
	p256 := ecKey(t)
	tests := []struct {
		name    string
		key     string
		subj    string
		exts    []string
		want    Identity
		iin     *IIN
		bin     *BIN
		full    string
		keyAlgs [2]string
	}{
		{
			name: "individual SIGN",
			key:  rsa2048,
			subj: "/C=KZ/CN=ИВАНОВ ИВАН/SN=ИВАНОВ/GN=ИВАНОВИЧ/serialNumber=IIN941111350315",
			exts: []string{kuSign, "extendedKeyUsage=emailProtection,1.2.398.3.3.4.1.1",
				"certificatePolicies=1.2.398.3.3.2.3"},
			want: Identity{
				IIN: "941111350315", CommonName: "ИВАНОВ ИВАН", Surname: "ИВАНОВ", GivenName: "ИВАН",
				Patronymic: "ИВАНОВИЧ", Country: "KZ", KeyClass: KeySign, Kind: KindIndividual,
				Roles: []Role{roleIndividual}, Policies: []Policy{policyIndividualSign},
				KeyAlgorithm: "RSA", SignatureAlgorithm: "RSA-SHA256",
				Subject: "SERIALNUMBER=IIN941111350315,GIVENNAME=ИВАНОВИЧ,SURNAME=ИВАНОВ,CN=ИВАНОВ ИВАН,C=KZ",
			},
			iin:  &IIN{Digits: "941111350315", BirthDate: date(1994, 11, 11), Sex: SexMale},
			full: "ИВАНОВ ИВАН ИВАНОВИЧ",
		},
		{
			name: "legal entity head",
			key:  p256,
			subj: `/C=KZ/L=АЛМАТЫ/ST=АЛМАТЫ/O=ТОО "РОМАШКА"/OU=BIN150340123451/CN=ПЕТРОВА АННА/SN=ПЕТРОВА` +
				"/GN=СЕРГЕЕВНА/serialNumber=IIN660427402182/emailAddress=anna@example.kz",
			exts: []string{kuSign,
				"extendedKeyUsage=emailProtection,1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.1,1.2.398.3.3.4.3.1",
				"certificatePolicies=1.2.398.3.3.2.1"},
			want: Identity{
				IIN: "660427402182", BIN: "150340123451", CommonName: "ПЕТРОВА АННА", Surname: "ПЕТРОВА",
				GivenName: "АННА", Patronymic: "СЕРГЕЕВНА", Organization: `ТОО "РОМАШКА"`,
				Email: "anna@example.kz", Country: "KZ", Locality: "АЛМАТЫ", State: "АЛМАТЫ",
				KeyClass: KeySign, Kind: KindHead,
				Roles:    []Role{roleOrganization, roleCEO, roleIdentificationCON},
				Policies: []Policy{policyLegalSign}, KeyAlgorithm: "ECDSA", SignatureAlgorithm: "ECDSA-SHA256",
				Subject: `E=anna@example.kz,SERIALNUMBER=IIN660427402182,GIVENNAME=СЕРГЕЕВНА,SURNAME=ПЕТРОВА,` +
					`CN=ПЕТРОВА АННА,OU=BIN150340123451,O=ТОО \"РОМАШКА\",ST=АЛМАТЫ,L=АЛМАТЫ,C=KZ`,
			},
			iin:  &IIN{Digits: "660427402182", BirthDate: date(1966, 4, 27), Sex: SexFemale},
			bin:  &BIN{Digits: "150340123451", Registered: date(2015, 3, 1), Type: EntityResident, Attribute: AttrHeadOffice},
			full: "ПЕТРОВА АННА СЕРГЕЕВНА",
		},
		{
			name: "individual AUTH",
			key:  p256,
			subj: "/CN=ИВАНОВА АЙГУЛЬ/SN=ИВАНОВА/serialNumber=IIN931002451325/C=KZ",
			exts: []string{kuAuth, "extendedKeyUsage=clientAuth,1.2.398.3.3.4.1.1", "certificatePolicies=1.2.398.3.3.2.4"},
			want: Identity{
				IIN: "931002451325", CommonName: "ИВАНОВА АЙГУЛЬ", Surname: "ИВАНОВА", GivenName: "АЙГУЛЬ",
				Country: "KZ", KeyClass: KeyAuth, Kind: KindIndividual,
				Roles: []Role{roleIndividual}, Policies: []Policy{policyIndividualAuth},
				KeyAlgorithm: "ECDSA", SignatureAlgorithm: "ECDSA-SHA256",
				Subject: "C=KZ,SERIALNUMBER=IIN931002451325,SURNAME=ИВАНОВА,CN=ИВАНОВА АЙГУЛЬ",
			},
			iin:  &IIN{Digits: "931002451325", BirthDate: date(1993, 10, 2), Sex: SexFemale},
			full: "ИВАНОВА АЙГУЛЬ",
		},
		{
			name: "information system",
			key:  p256,
			subj: `/CN=ИНФОРМАЦИОННАЯ СИСТЕМА "ПОСТАВЩИК"/serialNumber=BIN971251123451/C=KZ/O=АО "ПОСТАВЩИК"`,
			exts: []string{kuSign, "extendedKeyUsage=emailProtection,1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.6",
				"certificatePolicies=1.2.398.3.3.2.1"},
			want: Identity{
				BIN: "971251123451", CommonName: `ИНФОРМАЦИОННАЯ СИСТЕМА "ПОСТАВЩИК"`, Organization: `АО "ПОСТАВЩИК"`,
				Country: "KZ", KeyClass: KeySign, Kind: KindSystem,
				Roles: []Role{roleOrganization, roleSystem}, Policies: []Policy{policyLegalSign},
				KeyAlgorithm: "ECDSA", SignatureAlgorithm: "ECDSA-SHA256",
				Subject: `O=АО \"ПОСТАВЩИК\",C=KZ,SERIALNUMBER=BIN971251123451,CN=ИНФОРМАЦИОННАЯ СИСТЕМА \"ПОСТАВЩИК\"`,
			},
			bin:  &BIN{Digits: "971251123451", Registered: date(1997, 12, 1), Type: EntityNonResident, Attribute: AttrBranch},
			full: `ИНФОРМАЦИОННАЯ СИСТЕМА "ПОСТАВЩИК"`,
		},
		{
			name: "employee with the right to sign financial documents",
			key:  p256,
			subj: "/CN=СЕРІКОВ ДӘУЛЕТ/SN=СЕРІКОВ/serialNumber=IIN941111350315/O=ИП СЕРІКОВ/OU=BIN890162123458",
			exts: []string{kuSign, "extendedKeyUsage=emailProtection,1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.3",
				"certificatePolicies=1.2.398.3.3.2.1,1.2.3.4", "subjectAltName=email:d@example.kz"},
			want: Identity{
				IIN: "941111350315", BIN: "890162123458", CommonName: "СЕРІКОВ ДӘУЛЕТ", Surname: "СЕРІКОВ",
				GivenName: "ДӘУЛЕТ", Organization: "ИП СЕРІКОВ", Email: "d@example.kz",
				KeyClass: KeySign, Kind: KindSigner,
				Roles:        []Role{roleOrganization, roleCanSignFinancial},
				Policies:     []Policy{policyLegalSign, {OID: asn1.ObjectIdentifier{1, 2, 3, 4}}},
				KeyAlgorithm: "ECDSA", SignatureAlgorithm: "ECDSA-SHA256",
				Subject: "OU=BIN890162123458,O=ИП СЕРІКОВ,SERIALNUMBER=IIN941111350315,SURNAME=СЕРІКОВ,CN=СЕРІКОВ ДӘУЛЕТ",
			},
			iin:  &IIN{Digits: "941111350315", BirthDate: date(1994, 11, 11), Sex: SexMale},
			bin:  &BIN{Digits: "890162123458", Registered: date(2089, 1, 1), Type: EntityIndividualEntrepreneur, Attribute: AttrRepresentative},
			full: "СЕРІКОВ ДӘУЛЕТ",
		},
		{
			name: "unknown roles kept, foreign EKU ignored",
			key:  p256,
			subj: "/CN=ТЕСТ/OU=ОТДЕЛ",
			exts: []string{"keyUsage=digitalSignature",
				"extendedKeyUsage=1.2.398.5.19.1.2.2.1,1.2.398.3.3.4.9.9,1.2.398.3.3.4,1.2.398.3.3.4.3.2.1",
				"certificatePolicies=1.2.398.3.3.2.9,1.2.3.4294967296"},
			want: Identity{
				CommonName: "ТЕСТ", KeyClass: KeyOther, Kind: KindUnknown,
				Roles: []Role{{OID: asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 9, 9}},
					{OID: asn1.ObjectIdentifier{1, 2, 398, 3, 3, 4, 3, 2, 1}, Name: "IDENTIFICATION_REMOTE_DIGITAL_ID",
						Description: "Владелец ключа идентифицирован удалённо через Digital ID"}},
				// The second policy has a component beyond int32, which PolicyIdentifiers leaves out.
				Policies: []Policy{{OID: asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 9}},
					{OID: asn1.ObjectIdentifier{1, 2, 3, 4294967296}}},
				KeyAlgorithm: "ECDSA", SignatureAlgorithm: "ECDSA-SHA256",
				Subject: "OU=ОТДЕЛ,CN=ТЕСТ",
			},
			full: "ТЕСТ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := opensslCert(t, tt.key, tt.subj, tt.exts...)
			id, err := IdentityOf(c, strict)
			if err != nil {
				t.Fatalf("IdentityOf: %v", err)
			}
			want := tt.want
			want.Issuer = want.Subject
			want.Serial = "0A1B2C3D4E"
			want.NotBefore, want.NotAfter = c.NotBefore, c.NotAfter
			compareIdentity(t, id, &want)
			if !reflect.DeepEqual(id.IINInfo, tt.iin) {
				t.Errorf("IINInfo = %+v, want %+v", id.IINInfo, tt.iin)
			}
			if !reflect.DeepEqual(id.BINInfo, tt.bin) {
				t.Errorf("BINInfo = %+v, want %+v", id.BINInfo, tt.bin)
			}
			if got := id.FullName(); got != tt.full {
				t.Errorf("FullName() = %q, want %q", got, tt.full)
			}
			// A valid certificate gives the same identity in test-identity mode.
			tid, err := IdentityOf(c, testMode)
			if err != nil || !reflect.DeepEqual(tid, id) {
				t.Errorf("test mode: %+v, %v; want %+v", tid, err, id)
			}
		})
	}
}

func TestIdentityKind(t *testing.T) {
	p256 := ecKey(t)
	eku := func(oids ...string) string {
		return "extendedKeyUsage=emailProtection," + strings.Join(oids, ",")
	}
	pol := func(oid string) string { return "certificatePolicies=" + oid }
	tests := []struct {
		name string
		subj string
		exts []string
		want Kind
	}{
		{"system role beats CEO", "/CN=X/serialNumber=IIN941111350315/OU=BIN150340123451",
			[]string{eku("1.2.398.3.3.4.1.2.1", "1.2.398.3.3.4.1.2.6")}, KindSystem},
		{"individual system role", "/CN=X/serialNumber=IIN941111350315", []string{eku("1.2.398.3.3.4.1.1.1")}, KindSystem},
		{"CEO beats CAN_SIGN", "/CN=X", []string{eku("1.2.398.3.3.4.1.2.2", "1.2.398.3.3.4.1.2.1")}, KindHead},
		{"CAN_SIGN", "/CN=X", []string{eku("1.2.398.3.3.4.1.2", "1.2.398.3.3.4.1.2.2")}, KindSigner},
		{"CAN_SIGN beats EMPLOYEE", "/CN=X", []string{eku("1.2.398.3.3.4.1.2.5", "1.2.398.3.3.4.1.2.2")}, KindSigner},
		{"EMPLOYEE", "/CN=X", []string{eku("1.2.398.3.3.4.1.2.5")}, KindEmployee},
		{"HR", "/CN=X", []string{eku("1.2.398.3.3.4.1.2.4")}, KindEmployee},
		{"ORGANIZATION", "/CN=X/serialNumber=IIN941111350315", []string{eku("1.2.398.3.3.4.1.2")}, KindEmployee},
		{"ORGANIZATION beats INDIVIDUAL", "/CN=X", []string{eku("1.2.398.3.3.4.1.1", "1.2.398.3.3.4.1.2")}, KindEmployee},
		{"INDIVIDUAL beats a legal policy", "/CN=X/OU=BIN150340123451",
			[]string{eku("1.2.398.3.3.4.1.1"), pol("1.2.398.3.3.2.1")}, KindIndividual},
		{"identification role only: falls through", "/CN=X/serialNumber=IIN941111350315",
			[]string{eku("1.2.398.3.3.4.3.1")}, KindIndividual},
		{"no role, serialNumber BIN, no IIN", "/CN=X/serialNumber=BIN150340123451", nil, KindSystem},
		{"no role, serialNumber BIN, legal policy", "/CN=X/serialNumber=BIN150340123451",
			[]string{pol("1.2.398.3.3.2.2")}, KindSystem},
		{"no role, serialNumber BIN and serialNumber IIN", "/CN=X/serialNumber=BIN150340123451/serialNumber=IIN941111350315",
			nil, KindEmployee},
		{"no role, OU BIN only", "/CN=X/OU=BIN150340123451", nil, KindEmployee},
		{"no role, IIN and OU BIN", "/CN=X/serialNumber=IIN941111350315/OU=BIN150340123451", nil, KindEmployee},
		{"no role, IIN and legal sign policy", "/CN=X/serialNumber=IIN941111350315", []string{pol("1.2.398.3.3.2.1")}, KindEmployee},
		{"no role, IIN and legal auth policy", "/CN=X/serialNumber=IIN941111350315", []string{pol("1.2.398.3.3.2.2")}, KindEmployee},
		{"no role, individual policy", "/CN=X", []string{pol("1.2.398.3.3.2.4")}, KindIndividual},
		{"no role, only IIN", "/CN=X/serialNumber=IIN941111350315", nil, KindIndividual},
		{"no role, NCA policy", "/CN=X", []string{pol("1.2.398.3.3.1.1")}, KindUnknown},
		{"nothing", "/CN=X", nil, KindUnknown},
		{"serialNumber without prefix is ignored", "/CN=X/serialNumber=941111350315", nil, KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := IdentityOf(opensslCert(t, p256, tt.subj, tt.exts...), strict)
			if err != nil {
				t.Fatalf("IdentityOf: %v", err)
			}
			if id.Kind != tt.want {
				t.Errorf("Kind = %s, want %s (roles %v, policies %v, IIN %q, BIN %q)",
					id.Kind, tt.want, id.Roles, id.Policies, id.IIN, id.BIN)
			}
		})
	}
}

func TestIdentityRejects(t *testing.T) {
	p256 := ecKey(t)
	tests := []struct {
		name     string
		subj     string
		kind     error // nil: a non-IDError error
		testMode bool  // the error persists with TestIdentities
		msg      string
	}{
		{"IIN checksum", "/CN=X/serialNumber=IIN941111350316", ErrChecksum, false, "SERIALNUMBER=IIN941111350316"},
		{"IIN date", "/CN=X/serialNumber=IIN990231312341", ErrBirthDate, false, "digits 1-6"},
		{"BIN entity type in OU", "/CN=X/OU=BIN150370123455", ErrEntityType, false, "OU=BIN150370123455"},
		{"BIN attribute in serialNumber", "/CN=X/serialNumber=BIN150344123453", ErrAttribute, false, "digit 6"},
		{"IIN too short", "/CN=X/serialNumber=IIN94111135031", ErrLength, true, "got 11"},
		{"IIN with a letter", "/CN=X/serialNumber=IIN94111135031X", ErrNotDigits, true, "character 12"},
		{"BIN empty", "/CN=X/OU=BIN", ErrLength, true, "got 0"},
		{"two BINs", "/CN=X/serialNumber=BIN150340123451/OU=BIN971251123451", nil, true, "two different BIN"},
		{"two IINs", "/CN=X/serialNumber=IIN941111350315/serialNumber=IIN931002451325", nil, true, "two different IIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := opensslCert(t, p256, tt.subj)
			id, err := IdentityOf(c, strict)
			if err == nil || id != nil {
				t.Fatalf("IdentityOf = %+v, %v; want an error", id, err)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("error %v is not of kind %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "certs: ") {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
			id, err = IdentityOf(c, testMode)
			if tt.testMode {
				if err == nil {
					t.Errorf("test mode accepted it: %+v", id)
				}
				return
			}
			if err != nil {
				t.Fatalf("test mode: %v", err)
			}
			info := any(id.IINInfo)
			test, ierr := false, error(nil)
			switch {
			case id.IINInfo != nil:
				test, ierr = id.IINInfo.Test, id.IINInfo.Err
			case id.BINInfo != nil:
				info, test, ierr = id.BINInfo, id.BINInfo.Test, id.BINInfo.Err
			}
			if !test || !errors.Is(ierr, tt.kind) {
				t.Errorf("test mode: info %+v is not a test identity of kind %v", info, tt.kind)
			}
		})
	}

	if _, err := IdentityOf(nil, strict); err == nil {
		t.Error("IdentityOf(nil) succeeded")
	}
}

func TestFullName(t *testing.T) {
	tests := []struct {
		id   Identity
		want string
	}{
		{Identity{CommonName: "ТЕСТОВ ТЕСТ", Surname: "ТЕСТОВ", GivenName: "ТЕСТ", Patronymic: "ТЕСТОВИЧ"}, "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"},
		{Identity{CommonName: "ТЕСТОВ ТЕСТ", Surname: "ТЕСТОВ", GivenName: "ТЕСТ"}, "ТЕСТОВ ТЕСТ"},
		{Identity{CommonName: "ТЕСТОВ", Surname: "ТЕСТОВ", Patronymic: "ТЕСТОВИЧ"}, "ТЕСТОВ ТЕСТОВИЧ"},
		{Identity{CommonName: "СИСТЕМА"}, "СИСТЕМА"},
		{Identity{}, ""},
	}
	for _, tt := range tests {
		if got := tt.id.FullName(); got != tt.want {
			t.Errorf("FullName(%+v) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestGivenName(t *testing.T) {
	tests := []struct{ cn, surname, patronymic, want string }{
		{"ТЕСТОВ ТЕСТ", "ТЕСТОВ", "ТЕСТОВИЧ", "ТЕСТ"},
		{"ТЕСТОВ ТЕСТ ТЕСТОВИЧ", "ТЕСТОВ", "ТЕСТОВИЧ", "ТЕСТ"},
		{"ТЕСТОВ  ТЕСТ ", "ТЕСТОВ", "", "ТЕСТ"},
		{"ТЕСТОВА ТЕСТ", "ТЕСТОВ", "", ""}, // the surname must be a whole word
		{"ТЕСТ ТЕСТОВ", "ТЕСТОВ", "", ""},
		{"ТЕСТОВ", "ТЕСТОВ", "", ""},
		{"ТЕСТОВ ТЕСТ", "", "", ""},
	}
	for _, tt := range tests {
		if got := givenName(tt.cn, tt.surname, tt.patronymic); got != tt.want {
			t.Errorf("givenName(%q, %q, %q) = %q, want %q", tt.cn, tt.surname, tt.patronymic, got, tt.want)
		}
	}
}

func TestFormatDN(t *testing.T) {
	utf8Val := func(s string) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(s)}
	}
	bmp := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagBMPString, Bytes: []byte{0x04, 0x22, 0x04, 0x15, 0x00, 0x21}}
	seq := []rawRDNSET{
		{{Type: oidCountry, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagPrintableString, Bytes: []byte("KZ")}}},
		{{Type: oidOrganization, Value: utf8Val(` a,b+c;d<e>f\g "h"#`)}},
		{{Type: oidOrgUnit, Value: utf8Val("#x ")}, {Type: oidTitle, Value: bmp}},
		{{Type: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagInteger, Bytes: []byte{5}}}},
		{{Type: oidCN, Value: utf8Val("nul\x00")}},
	}
	raw, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	want := `CN=nul\00,1.2.3.4=#020105,OU=\#x\ +T=ТЕ!,O=\ a\,b\+c\;d\<e\>f\\g \"h\"#,C=KZ`
	if got := formatDN(raw, pkix.Name{}); got != want {
		t.Errorf("formatDN = %s\nwant         %s", got, want)
	}
	fallback := pkix.Name{CommonName: "x"}
	for _, bad := range [][]byte{nil, {0x30, 0x03}, append(raw, 0)} {
		if got := formatDN(bad, fallback); got != "CN=x" {
			t.Errorf("formatDN(malformed %x) = %q, want the fallback", bad, got)
		}
	}
}

// TestIdentityGOSTFlag checks that either a GOST key or a GOST signature marks the certificate.
func TestIdentityGOSTFlag(t *testing.T) {
	rsa := loadCert(t, "individual_valid_sign_2004_rsa.cer")
	gost := loadCert(t, "ceo_valid_sign_2004_gost.cer")

	gostKey := *rsa // RSA-signed, GOST key
	gostKey.RawSubjectPublicKeyInfo = gost.RawSubjectPublicKeyInfo
	rsaKey := *gost // GOST-signed, RSA key
	rsaKey.RawSubjectPublicKeyInfo = rsa.RawSubjectPublicKeyInfo

	tests := []struct {
		name   string
		c      *x509.Certificate
		key    string
		sig    string
		isGOST bool
	}{
		{"RSA", rsa, "RSA", "RSA-SHA256", false},
		{"GOST key only", &gostKey, "GOST 34.310-2004", "RSA-SHA256", true},
		{"GOST signature only", &rsaKey, "RSA", "GOST 34.310-2004", true},
		{"GOST", gost, "GOST 34.310-2004", "GOST 34.310-2004", true},
	}
	for _, tt := range tests {
		id, err := IdentityOf(tt.c, testMode)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if id.KeyAlgorithm != tt.key || id.SignatureAlgorithm != tt.sig || id.GOST != tt.isGOST {
			t.Errorf("%s: key %q, signature %q, GOST %v; want %q, %q, %v",
				tt.name, id.KeyAlgorithm, id.SignatureAlgorithm, id.GOST, tt.key, tt.sig, tt.isGOST)
		}
	}

	// Malformed raw parts give "unknown" rather than a panic or an empty name.
	broken := *rsa
	broken.Raw, broken.RawSubjectPublicKeyInfo = nil, nil
	id, err := IdentityOf(&broken, testMode)
	if err != nil || id.KeyAlgorithm != "unknown" || id.SignatureAlgorithm != "unknown" || id.GOST {
		t.Errorf("broken certificate: %+v, %v", id, err)
	}
}

// TestPoliciesInMemory checks a certificate built in memory, which has PolicyIdentifiers only.
func TestPoliciesInMemory(t *testing.T) {
	c := &x509.Certificate{PolicyIdentifiers: []asn1.ObjectIdentifier{OIDPolicyIndividualAuth, {1, 2, 3}}}
	id, err := IdentityOf(c, strict)
	if err != nil {
		t.Fatal(err)
	}
	want := []Policy{policyIndividualAuth, {OID: asn1.ObjectIdentifier{1, 2, 3}}}
	if !reflect.DeepEqual(id.Policies, want) || id.Kind != KindIndividual {
		t.Errorf("policies %+v, kind %s; want %+v, individual", id.Policies, id.Kind, want)
	}
}
