package certs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var (
	strict   = ParseOptions{}
	testMode = ParseOptions{TestIdentities: true}
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// The expected check digits below were computed independently of this package.
func TestCheckDigit(t *testing.T) {
	tests := []struct {
		first11 string
		want    int
		kind    error
	}{
		{"93100245132", 5, nil},
		{"66042740218", 2, nil},
		{"94111135031", 5, nil},
		{"12345678901", 3, nil}, // NCA test ИИН 123456789011 has check digit 1: invalid
		{"12345678902", 5, nil}, // NCA test БИН 123456789021 likewise
		{"97124000131", 5, nil},
		{"93100240040", 1, nil}, // first sum is 10; the second weights give 1
		{"85010130069", 0, ErrNoCheckDigit},
		{"85010130220", 0, ErrNoCheckDigit},
		{"15034000009", 0, ErrNoCheckDigit},
		{"", 0, ErrLength},
		{"9310024513", 0, ErrLength},
		{"931002451325", 0, ErrLength},
		{"9310024513a", 0, ErrNotDigits},
		{"9310024513٣", 0, ErrNotDigits}, // Arabic-Indic digit three
	}
	for _, tt := range tests {
		got, err := CheckDigit(tt.first11)
		if tt.kind != nil {
			if !errors.Is(err, tt.kind) {
				t.Errorf("CheckDigit(%q) error = %v, want kind %v", tt.first11, err, tt.kind)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CheckDigit(%q) = %d, %v; want %d", tt.first11, got, err, tt.want)
		}
	}
}

func TestParseIINValid(t *testing.T) {
	tests := []struct {
		in    string
		birth time.Time
		sex   Sex
	}{
		{"931002451325", date(1993, 10, 2), SexFemale},
		{"660427402182", date(1966, 4, 27), SexFemale},
		{"941111350315", date(1994, 11, 11), SexMale},
		{"931002400401", date(1993, 10, 2), SexFemale}, // check digit from the second weights
		{"850101112343", date(1885, 1, 1), SexMale},
		{"991231212348", date(1899, 12, 31), SexFemale},
		{"960229312345", date(1996, 2, 29), SexMale},
		{"000229512349", date(2000, 2, 29), SexMale},
		{"121231612343", date(2012, 12, 31), SexFemale},
		{"991231512347", date(2099, 12, 31), SexMale},
	}
	for _, tt := range tests {
		for _, opts := range []ParseOptions{strict, testMode} {
			got, err := ParseIIN(tt.in, opts)
			if err != nil {
				t.Errorf("ParseIIN(%q, %+v): %v", tt.in, opts, err)
				continue
			}
			want := IIN{Digits: tt.in, BirthDate: tt.birth, Sex: tt.sex}
			if got != want {
				t.Errorf("ParseIIN(%q, %+v) = %+v, want %+v", tt.in, opts, got, want)
			}
		}
	}
}

func TestParseIINInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind error
		msg  string // must appear in the error message
	}{
		{"empty", "", ErrLength, "got 0 characters"},
		{"11 digits", "93100245132", ErrLength, "must be 12 digits, got 11"},
		{"13 digits", "9310024513250", ErrLength, "got 13"},
		{"leading space", " 931002451325", ErrLength, "got 13"},
		{"letter", "93100245132a", ErrNotDigits, "character 12"},
		{"minus", "-93100245132", ErrNotDigits, "character 1"},
		{"fullwidth digit", "93100245132５", ErrNotDigits, "character 12"},
		{"NUL", "9310\x002451325", ErrNotDigits, "character 5"},
		{"bad checksum", "931002451326", ErrChecksum, "digit 12 is 6"},
		{"NCA test IIN", "123456789011", ErrChecksum, "check digit 3"},
		{"no check digit", "850101300690", ErrNoCheckDigit, "digits 1-11"},
		{"century 0", "931002012349", ErrCentury, "digit 7"},
		{"century 7", "931002712343", ErrCentury, "digit 7"},
		{"century 8", "931002812351", ErrCentury, "digit 7"},
		{"century 9", "931002912346", ErrCentury, "digit 7"},
		{"Feb 31", "990231312341", ErrBirthDate, "digits 1-6"},
		{"Feb 30", "990230312346", ErrBirthDate, "1999-02-30"},
		{"Feb 29 of 1999", "990229312340", ErrBirthDate, "1999-02-29"},
		{"Feb 29 of 1900", "000229312346", ErrBirthDate, "1900-02-29"},
		{"Feb 29 of 1800", "000229112343", ErrBirthDate, "1800-02-29"},
		{"month 13", "991301312344", ErrBirthDate, "1999-13-01"},
		{"month 0", "990001312340", ErrBirthDate, "1999-00-01"},
		{"day 0", "990100312349", ErrBirthDate, "1999-01-00"},
		{"day 32", "990132312343", ErrBirthDate, "1999-01-32"},
		{"Apr 31", "990431312349", ErrBirthDate, "1999-04-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIIN(tt.in, strict)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("ParseIIN(%q) error = %v, want kind %v", tt.in, err, tt.kind)
			}
			if got != (IIN{}) {
				t.Errorf("ParseIIN(%q) returned %+v with the error", tt.in, got)
			}
			var e *IDError
			if !errors.As(err, &e) || e.Value != tt.in || e.Kind != tt.kind {
				t.Fatalf("error %#v is not an *IDError for %q of kind %v", err, tt.in, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}

			// Test-identity mode excuses structure and checksum, never length or non-digits.
			got, err = ParseIIN(tt.in, testMode)
			switch tt.kind {
			case ErrLength, ErrNotDigits:
				if !errors.Is(err, tt.kind) {
					t.Errorf("test mode: ParseIIN(%q) error = %v, want kind %v", tt.in, err, tt.kind)
				}
			default:
				if err != nil {
					t.Fatalf("test mode: ParseIIN(%q): %v", tt.in, err)
				}
				if !got.Test || got.Digits != tt.in || !errors.Is(got.Err, tt.kind) ||
					!got.BirthDate.IsZero() || got.Sex != SexUnknown {
					t.Errorf("test mode: ParseIIN(%q) = %+v", tt.in, got)
				}
			}
		})
	}
}

func TestParseIINTestIdentities(t *testing.T) {
	for _, in := range []string{"123456789011", "123456789021"} {
		if _, err := ParseIIN(in, strict); !errors.Is(err, ErrChecksum) {
			t.Errorf("strict ParseIIN(%q) error = %v, want ErrChecksum", in, err)
		}
		got, err := ParseIIN(in, testMode)
		if err != nil {
			t.Fatalf("ParseIIN(%q, test): %v", in, err)
		}
		if !got.Test || got.Digits != in || got.Err == nil || !errors.Is(got.Err, ErrChecksum) {
			t.Errorf("ParseIIN(%q, test) = %+v", in, got)
		}
	}
	for _, in := range []string{"12345678901", "1234567890111", "12345678901x", "IIN123456789011", ""} {
		if _, err := ParseIIN(in, testMode); err == nil {
			t.Errorf("ParseIIN(%q, test) accepted it", in)
		}
		if _, err := ParseBIN(in, testMode); err == nil {
			t.Errorf("ParseBIN(%q, test) accepted it", in)
		}
	}
}

func TestParseBINValid(t *testing.T) {
	tests := []struct {
		in         string
		registered time.Time
		typ        EntityType
		attr       EntityAttribute
	}{
		{"150340123451", date(2015, 3, 1), EntityResident, AttrHeadOffice},
		{"971251123451", date(1997, 12, 1), EntityNonResident, AttrBranch},
		{"890162123458", date(2089, 1, 1), EntityIndividualEntrepreneur, AttrRepresentative},
		{"900643123457", date(1990, 6, 1), EntityResident, AttrFarm},
		{"971240001315", date(1997, 12, 1), EntityResident, AttrHeadOffice},
	}
	for _, tt := range tests {
		for _, opts := range []ParseOptions{strict, testMode} {
			got, err := ParseBIN(tt.in, opts)
			if err != nil {
				t.Errorf("ParseBIN(%q, %+v): %v", tt.in, opts, err)
				continue
			}
			want := BIN{Digits: tt.in, Registered: tt.registered, Type: tt.typ, Attribute: tt.attr}
			if got != want {
				t.Errorf("ParseBIN(%q, %+v) = %+v, want %+v", tt.in, opts, got, want)
			}
		}
		if !IsBINLike(tt.in) {
			t.Errorf("IsBINLike(%q) = false", tt.in)
		}
	}
}

func TestParseBINInvalid(t *testing.T) {
	tests := []struct {
		in   string
		kind error
		msg  string
	}{
		{"15034012345", ErrLength, "must be 12 digits"},
		{"1503401234511", ErrLength, "got 13"},
		{"15034012345x", ErrNotDigits, "character 12"},
		{"150340123452", ErrChecksum, "digit 12 is 2"},
		{"123456789021", ErrChecksum, "check digit 5"},
		{"150340000090", ErrNoCheckDigit, "digits 1-11"},
		{"150040123450", ErrRegistrationDate, "digits 3-4"},
		{"151340123454", ErrRegistrationDate, "are 13"},
		{"150300123453", ErrEntityType, "digit 5"},
		{"150330123457", ErrEntityType, "is 3"},
		{"150370123455", ErrEntityType, "is 7"},
		{"150390123454", ErrEntityType, "is 9"},
		{"150344123453", ErrAttribute, "digit 6"},
		{"150349123450", ErrAttribute, "is 9"},
		{"931002451325", ErrEntityType, "digit 5"}, // a valid ИИН is no БИН
	}
	for _, tt := range tests {
		got, err := ParseBIN(tt.in, strict)
		var e *IDError
		if !errors.Is(err, tt.kind) || !errors.As(err, &e) || e.Value != tt.in {
			t.Errorf("ParseBIN(%q) error = %v, want an IDError of kind %v", tt.in, err, tt.kind)
			continue
		}
		if got != (BIN{}) {
			t.Errorf("ParseBIN(%q) returned %+v with the error", tt.in, got)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseBIN(%q) error %q does not mention %q", tt.in, err, tt.msg)
		}
		got, err = ParseBIN(tt.in, testMode)
		if tt.kind == ErrLength || tt.kind == ErrNotDigits {
			if !errors.Is(err, tt.kind) {
				t.Errorf("test mode: ParseBIN(%q) error = %v, want %v", tt.in, err, tt.kind)
			}
			continue
		}
		if err != nil || !got.Test || got.Digits != tt.in || !errors.Is(got.Err, tt.kind) ||
			!got.Registered.IsZero() || got.Type != 0 {
			t.Errorf("test mode: ParseBIN(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestIsBINLike(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"150340123451", true},
		{"123456789021", true}, // 5th digit 5, although the checksum fails
		{"000060000000", true},
		{"931002451325", false},
		{"123436789021", false},
		{"000070000000", false},
		{"15034012345", false},
		{"1503401234511", false},
		{"1503x0123451", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsBINLike(tt.in); got != tt.want {
			t.Errorf("IsBINLike(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNewIIN(t *testing.T) {
	got, err := NewIIN(date(1993, 10, 2), SexFemale, 5132)
	if err != nil || got.Digits != "931002451325" {
		t.Fatalf("NewIIN(1993-10-02, female, 5132) = %+v, %v; want 931002451325", got, err)
	}
	// The calendar date is read in the time's own location.
	almaty := time.FixedZone("UTC+5", 5*3600)
	got, err = NewIIN(time.Date(1994, 11, 11, 1, 0, 0, 0, almaty), SexMale, 5031)
	if err != nil || got.Digits != "941111350315" || !got.BirthDate.Equal(date(1994, 11, 11)) {
		t.Fatalf("NewIIN(1994-11-11 01:00+05, male, 5031) = %+v, %v; want 941111350315", got, err)
	}
	// 85010130069 has no check digit.
	if _, err := NewIIN(date(1985, 1, 1), SexMale, 69); !errors.Is(err, ErrNoCheckDigit) {
		t.Errorf("NewIIN(1985-01-01, male, 69) error = %v, want ErrNoCheckDigit", err)
	}

	bad := []struct {
		birth  time.Time
		sex    Sex
		serial int
	}{
		{date(1799, 12, 31), SexMale, 1},
		{date(2100, 1, 1), SexMale, 1},
		{date(1990, 1, 1), SexUnknown, 1},
		{date(1990, 1, 1), Sex(3), 1},
		{date(1990, 1, 1), SexMale, -1},
		{date(1990, 1, 1), SexMale, 10000},
	}
	for _, b := range bad {
		if v, err := NewIIN(b.birth, b.sex, b.serial); err == nil {
			t.Errorf("NewIIN(%v, %v, %d) = %+v, want an error", b.birth, b.sex, b.serial, v)
		}
	}

	noCheck := 0
	births := []time.Time{date(1800, 1, 1), date(1899, 12, 31), date(1900, 2, 28), date(1993, 10, 2),
		date(2000, 2, 29), date(2024, 2, 29), date(2099, 12, 31)}
	for _, birth := range births {
		for _, sex := range []Sex{SexMale, SexFemale} {
			for serial := 0; serial < 10000; serial += 37 {
				v, err := NewIIN(birth, sex, serial)
				if errors.Is(err, ErrNoCheckDigit) {
					noCheck++
					continue
				}
				if err != nil {
					t.Fatalf("NewIIN(%v, %v, %d): %v", birth, sex, serial, err)
				}
				p, err := ParseIIN(v.Digits, strict)
				if err != nil {
					t.Fatalf("ParseIIN(NewIIN(%v, %v, %d) = %s): %v", birth, sex, serial, v.Digits, err)
				}
				if p != v || !p.BirthDate.Equal(birth) || p.Sex != sex || p.Digits[7:11] != pad(serial, 4) {
					t.Fatalf("round trip of (%v, %v, %d): NewIIN = %+v, ParseIIN = %+v", birth, sex, serial, v, p)
				}
			}
		}
	}
	if noCheck == 0 {
		t.Error("no serial without a check digit was met; the round trip skips nothing")
	}
}

func TestNewBIN(t *testing.T) {
	got, err := NewBIN(date(2015, 3, 20), EntityResident, AttrHeadOffice, 12345)
	if err != nil || got.Digits != "150340123451" || !got.Registered.Equal(date(2015, 3, 1)) {
		t.Fatalf("NewBIN(2015-03, resident, head office, 12345) = %+v, %v; want 150340123451", got, err)
	}
	if _, err := NewBIN(date(2015, 3, 1), EntityResident, AttrHeadOffice, 9); !errors.Is(err, ErrNoCheckDigit) {
		t.Errorf("NewBIN(2015-03, 4, 0, 9) error = %v, want ErrNoCheckDigit", err)
	}
	bad := []struct {
		reg    time.Time
		typ    EntityType
		attr   EntityAttribute
		serial int
	}{
		{date(1989, 12, 1), EntityResident, AttrHeadOffice, 1},
		{date(2090, 1, 1), EntityResident, AttrHeadOffice, 1},
		{date(2015, 1, 1), EntityType(3), AttrHeadOffice, 1},
		{date(2015, 1, 1), EntityType(7), AttrHeadOffice, 1},
		{date(2015, 1, 1), EntityResident, EntityAttribute(4), 1},
		{date(2015, 1, 1), EntityResident, EntityAttribute(-1), 1},
		{date(2015, 1, 1), EntityResident, AttrHeadOffice, -1},
		{date(2015, 1, 1), EntityResident, AttrHeadOffice, 100000},
	}
	for _, b := range bad {
		if v, err := NewBIN(b.reg, b.typ, b.attr, b.serial); err == nil {
			t.Errorf("NewBIN(%v, %v, %v, %d) = %+v, want an error", b.reg, b.typ, b.attr, b.serial, v)
		}
	}

	noCheck := 0
	for _, reg := range []time.Time{date(1990, 1, 1), date(1999, 12, 1), date(2000, 6, 1), date(2089, 12, 1)} {
		for typ := EntityResident; typ <= EntityIndividualEntrepreneur; typ++ {
			for attr := AttrHeadOffice; attr <= AttrFarm; attr++ {
				for serial := 0; serial < 100000; serial += 997 {
					v, err := NewBIN(reg, typ, attr, serial)
					if errors.Is(err, ErrNoCheckDigit) {
						noCheck++
						continue
					}
					if err != nil {
						t.Fatalf("NewBIN(%v, %v, %v, %d): %v", reg, typ, attr, serial, err)
					}
					p, err := ParseBIN(v.Digits, strict)
					if err != nil {
						t.Fatalf("ParseBIN(%s): %v", v.Digits, err)
					}
					if p != v || !p.Registered.Equal(reg) || p.Type != typ || p.Attribute != attr ||
						p.Digits[6:11] != pad(serial, 5) || !IsBINLike(p.Digits) {
						t.Fatalf("round trip of (%v, %v, %v, %d): NewBIN = %+v, ParseBIN = %+v", reg, typ, attr, serial, v, p)
					}
				}
			}
		}
	}
	if noCheck == 0 {
		t.Error("no serial without a check digit was met; the round trip skips nothing")
	}
}

func pad(n, width int) string { return fmt.Sprintf("%0*d", width, n) }

func TestIDError(t *testing.T) {
	_, err := ParseIIN("931002451326", strict)
	var e *IDError
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *IDError", err)
	}
	if e.Unwrap() != ErrChecksum || e.Value != "931002451326" || e.Detail == "" {
		t.Errorf("IDError = %#v", e)
	}
	want := `"931002451326": check digit mismatch: IIN digit 12 is 6, but digits 1-11 give check digit 5`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if errors.Is(err, ErrBirthDate) {
		t.Error("a checksum error also matches ErrBirthDate")
	}
	if got := (&IDError{Value: "1"}).Error(); got != `"1": invalid identity number` {
		t.Errorf("IDError without kind: %q", got)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{SexMale.String(), "male"},
		{SexFemale.String(), "female"},
		{SexUnknown.String(), "unknown"},
		{Sex(9).String(), "Sex(9)"},
		{EntityResident.String(), "resident legal entity"},
		{EntityNonResident.String(), "non-resident legal entity"},
		{EntityIndividualEntrepreneur.String(), "individual entrepreneur"},
		{EntityType(0).String(), "EntityType(0)"},
		{AttrHeadOffice.String(), "head office"},
		{AttrBranch.String(), "branch"},
		{AttrRepresentative.String(), "representative office"},
		{AttrFarm.String(), "farm"},
		{EntityAttribute(7).String(), "EntityAttribute(7)"},
		{IIN{Digits: "931002451325"}.String(), "931002451325"},
		{BIN{Digits: "150340123451"}.String(), "150340123451"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func FuzzParseIIN(f *testing.F) {
	for _, s := range []string{"931002451325", "660427402182", "941111350315", "123456789011", "123456789021",
		"850101300690", "000229312346", "990231312341", "150340123451", "", "93100245132a", "٣٣٣٣٣٣٣٣٣٣٣٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseIIN(s, strict)
		tv, terr := ParseIIN(s, testMode)
		if err == nil {
			if len(s) != 12 || v.Digits != s || v.Test || v.Err != nil {
				t.Fatalf("ParseIIN(%q) = %+v", s, v)
			}
			cd, err := CheckDigit(s[:11])
			if err != nil || cd != int(s[11]-'0') {
				t.Fatalf("ParseIIN accepted %q, but CheckDigit = %d, %v", s, cd, err)
			}
			if v.Sex != SexMale && v.Sex != SexFemale || v.BirthDate.Year() < 1800 || v.BirthDate.Year() > 2099 {
				t.Fatalf("ParseIIN(%q) = %+v", s, v)
			}
			serial := int(s[7]-'0')*1000 + int(s[8]-'0')*100 + int(s[9]-'0')*10 + int(s[10]-'0')
			if n, err := NewIIN(v.BirthDate, v.Sex, serial); err != nil || n != v {
				t.Fatalf("NewIIN does not rebuild %q: %+v, %v", s, n, err)
			}
			if terr != nil || tv != v {
				t.Fatalf("test mode differs on valid %q: %+v, %v", s, tv, terr)
			}
			return
		}
		var e *IDError
		if !errors.As(err, &e) || e.Value != s {
			t.Fatalf("ParseIIN(%q) error %v is not an *IDError for the value", s, err)
		}
		if errors.Is(err, ErrLength) || errors.Is(err, ErrNotDigits) {
			if terr == nil {
				t.Fatalf("test mode accepted %q", s)
			}
			return
		}
		if terr != nil || !tv.Test || tv.Digits != s || !errors.Is(tv.Err, e.Kind) {
			t.Fatalf("test mode on %q = %+v, %v (strict: %v)", s, tv, terr, err)
		}
		_, _ = ParseBIN(s, strict)
		_ = IsBINLike(s)
	})
}
