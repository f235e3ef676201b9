package certs

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Kinds of [IDError]. Test for them with errors.Is.
var (
	// ErrLength means the value is not 12 characters long (11 for CheckDigit).
	ErrLength = errors.New("wrong length")
	// ErrNotDigits means the value contains a character that is not an ASCII digit.
	ErrNotDigits = errors.New("not all ASCII digits")
	// ErrChecksum means the 12th digit differs from the check digit of the first 11.
	ErrChecksum = errors.New("check digit mismatch")
	// ErrNoCheckDigit means both weighted sums of the first 11 digits are 10 modulo 11, so no check
	// digit exists and no valid number starts with these digits.
	ErrNoCheckDigit = errors.New("no check digit exists")
	// ErrCentury means the 7th digit of an ИИН (century and sex) is not 1–6.
	ErrCentury = errors.New("invalid century/sex digit")
	// ErrBirthDate means the first six digits of an ИИН are not a calendar date.
	ErrBirthDate = errors.New("invalid birth date")
	// ErrEntityType means the 5th digit of a БИН (entity type) is not 4, 5 or 6.
	ErrEntityType = errors.New("invalid entity type digit")
	// ErrAttribute means the 6th digit of a БИН (entity attribute) is not 0–3.
	ErrAttribute = errors.New("invalid entity attribute digit")
	// ErrRegistrationDate means digits 3–4 of a БИН (registration month) are not 01–12.
	ErrRegistrationDate = errors.New("invalid registration month")
)

// IDError reports why a value is not a valid ИИН or БИН.
type IDError struct {
	Kind   error  // one of the Err* kinds of this package
	Value  string // the rejected value
	Detail string // what exactly is wrong, naming the digit positions (1-based)
}

// Error implements error.
func (e *IDError) Error() string {
	kind := "invalid identity number"
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	s := strconv.Quote(e.Value) + ": " + kind
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the kind, so that errors.Is(err, ErrChecksum) and the like work.
func (e *IDError) Unwrap() error { return e.Kind }

// ParseOptions controls how strictly ИИН and БИН values are checked.
type ParseOptions struct {
	// TestIdentities accepts 12-digit numbers that fail the structure/checksum rules, as the NCA
	// test certificates use (IIN123456789011). Such values are returned with Test=true and matched exactly.
	TestIdentities bool
}

// Sex is the sex encoded in the 7th digit of an ИИН.
type Sex int

// Values of Sex. The zero value is SexUnknown (a test identity carries no sex).
const (
	SexUnknown Sex = iota
	SexMale
	SexFemale
)

// String returns "male", "female" or "unknown".
func (s Sex) String() string {
	switch s {
	case SexMale:
		return "male"
	case SexFemale:
		return "female"
	case SexUnknown:
		return "unknown"
	}
	return "Sex(" + strconv.Itoa(int(s)) + ")"
}

// IIN is an individual identification number (ИИН): YYMMDD birth date, a century/sex digit
// (1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd = male), a 4-digit serial and a check digit.
type IIN struct {
	Digits    string    // 12 digits
	BirthDate time.Time // UTC midnight (zero when Test)
	Sex       Sex
	Test      bool  // accepted only because of ParseOptions.TestIdentities; Err holds why it is not a valid ИИН
	Err       error // set only when Test
}

// String returns the digits.
func (v IIN) String() string { return v.Digits }

// EntityType is the 5th digit of a БИН.
type EntityType int

// Values of EntityType; each equals the digit that encodes it. The zero value means unknown.
const (
	EntityResident               EntityType = 4 // resident legal entity
	EntityNonResident            EntityType = 5 // non-resident legal entity
	EntityIndividualEntrepreneur EntityType = 6 // individual entrepreneur (joint entrepreneurship)
)

// String describes the entity type in English.
func (t EntityType) String() string {
	switch t {
	case EntityResident:
		return "resident legal entity"
	case EntityNonResident:
		return "non-resident legal entity"
	case EntityIndividualEntrepreneur:
		return "individual entrepreneur"
	}
	return "EntityType(" + strconv.Itoa(int(t)) + ")"
}

// EntityAttribute is the 6th digit of a БИН.
type EntityAttribute int

// Values of EntityAttribute; each equals the digit that encodes it.
const (
	AttrHeadOffice     EntityAttribute = 0
	AttrBranch         EntityAttribute = 1
	AttrRepresentative EntityAttribute = 2
	AttrFarm           EntityAttribute = 3
)

// String describes the attribute in English.
func (a EntityAttribute) String() string {
	switch a {
	case AttrHeadOffice:
		return "head office"
	case AttrBranch:
		return "branch"
	case AttrRepresentative:
		return "representative office"
	case AttrFarm:
		return "farm"
	}
	return "EntityAttribute(" + strconv.Itoa(int(a)) + ")"
}

// BIN is a business identification number (БИН): YYMM registration, an entity type digit, an
// attribute digit, a 5-digit serial and a check digit.
//
// The year has two digits; 90–99 are read as 1990–1999 and 00–89 as 2000–2089.
type BIN struct {
	Digits     string
	Registered time.Time // year and month (day 1, UTC); zero when Test
	Type       EntityType
	Attribute  EntityAttribute
	Test       bool  // accepted only because of ParseOptions.TestIdentities; Err holds why it is not a valid БИН
	Err        error // set only when Test
}

// String returns the digits.
func (v BIN) String() string { return v.Digits }

// binPivot is the first two-digit year read as 19YY in a БИН.
const binPivot = 90

var (
	weights1 = [11]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	weights2 = [11]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2}
)

// CheckDigit returns the check digit of an ИИН or БИН from its first 11 digits: the sum of the
// digits weighted 1..11, modulo 11; if that is 10, the sum weighted 3,4,…,11,1,2, modulo 11. If
// that is 10 too, no check digit exists and the error is ErrNoCheckDigit.
func CheckDigit(first11 string) (int, error) {
	if err := checkForm("first 11 digits", first11, 11); err != nil {
		return 0, err
	}
	c, ok := checkDigit(first11)
	if !ok {
		return 0, errNoCheckDigit("", first11)
	}
	return c, nil
}

// errNoCheckDigit reports that the first 11 digits of value admit no check digit.
func errNoCheckDigit(what, value string) error {
	if what != "" {
		what += " "
	}
	return &IDError{Kind: ErrNoCheckDigit, Value: value,
		Detail: what + "digits 1-11 admit no check digit: both weighted sums are 10 modulo 11"}
}

// checkDigit computes the check digit of a string known to start with 11 ASCII digits; ok is
// false when there is none.
func checkDigit(s string) (c int, ok bool) {
	var s1, s2 int
	for i := range 11 {
		d := int(s[i] - '0')
		s1 += d * weights1[i]
		s2 += d * weights2[i]
	}
	if c := s1 % 11; c != 10 {
		return c, true
	}
	if c := s2 % 11; c != 10 {
		return c, true
	}
	return 0, false
}

// checkForm checks that s is exactly n ASCII digits; what names the value in messages.
func checkForm(what, s string, n int) error {
	if got := utf8.RuneCountInString(s); got != n {
		return &IDError{Kind: ErrLength, Value: s,
			Detail: fmt.Sprintf("%s must be %d digits, got %d characters", what, n, got)}
	}
	pos := 0
	for _, r := range s {
		pos++
		if r < '0' || r > '9' {
			return &IDError{Kind: ErrNotDigits, Value: s,
				Detail: fmt.Sprintf("%s: character %d (%q) is not an ASCII digit", what, pos, r)}
		}
	}
	return nil
}

// checkChecksum checks the 12th digit of the 12-digit s.
func checkChecksum(what, s string) error {
	want, ok := checkDigit(s)
	if !ok {
		return errNoCheckDigit(what, s)
	}
	if got := int(s[11] - '0'); got != want {
		return &IDError{Kind: ErrChecksum, Value: s,
			Detail: fmt.Sprintf("%s digit 12 is %d, but digits 1-11 give check digit %d", what, got, want)}
	}
	return nil
}

// num2 returns the two-digit number at s[i:i+2]; s is known to be ASCII digits.
func num2(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

// ParseIIN parses and validates a 12-digit ИИН: the check digit, then the century/sex digit, then
// the birth date. Whether the date lies in the future is not checked.
//
// With opts.TestIdentities, a value that is 12 ASCII digits but fails those checks is returned
// with Test set and the reason in Err, and a nil error. The length and digit checks always apply.
func ParseIIN(s string, opts ParseOptions) (IIN, error) {
	if err := checkForm("IIN", s, 12); err != nil {
		return IIN{}, err
	}
	v, err := parseIIN(s)
	if err != nil {
		if opts.TestIdentities {
			return IIN{Digits: s, Test: true, Err: err}, nil
		}
		return IIN{}, err
	}
	return v, nil
}

func parseIIN(s string) (IIN, error) {
	if err := checkChecksum("IIN", s); err != nil {
		return IIN{}, err
	}
	c := int(s[6] - '0')
	if c < 1 || c > 6 {
		return IIN{}, &IDError{Kind: ErrCentury, Value: s,
			Detail: fmt.Sprintf("IIN digit 7 (century and sex) is %d, must be 1-6", c)}
	}
	year := 1800 + 100*((c-1)/2) + num2(s, 0)
	month, day := num2(s, 2), num2(s, 4)
	date, ok := calendarDate(year, month, day)
	if !ok {
		return IIN{}, &IDError{Kind: ErrBirthDate, Value: s,
			Detail: fmt.Sprintf("IIN digits 1-6 (%s) are not a calendar date: %04d-%02d-%02d does not exist",
				s[:6], year, month, day)}
	}
	sex := SexFemale
	if c%2 == 1 {
		sex = SexMale
	}
	return IIN{Digits: s, BirthDate: date, Sex: sex}, nil
}

// calendarDate returns UTC midnight of year-month-day and whether that date exists.
func calendarDate(year, month, day int) (time.Time, bool) {
	if month < 1 || month > 12 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || int(t.Month()) != month {
		return time.Time{}, false
	}
	return t, true
}

// ParseBIN parses and validates a 12-digit БИН: the check digit, then the registration month, the
// entity type and the attribute. Options work as for [ParseIIN].
func ParseBIN(s string, opts ParseOptions) (BIN, error) {
	if err := checkForm("BIN", s, 12); err != nil {
		return BIN{}, err
	}
	v, err := parseBIN(s)
	if err != nil {
		if opts.TestIdentities {
			return BIN{Digits: s, Test: true, Err: err}, nil
		}
		return BIN{}, err
	}
	return v, nil
}

func parseBIN(s string) (BIN, error) {
	if err := checkChecksum("BIN", s); err != nil {
		return BIN{}, err
	}
	yy, month := num2(s, 0), num2(s, 2)
	if month < 1 || month > 12 {
		return BIN{}, &IDError{Kind: ErrRegistrationDate, Value: s,
			Detail: fmt.Sprintf("BIN digits 3-4 (registration month) are %s, must be 01-12", s[2:4])}
	}
	t := EntityType(s[4] - '0')
	if t < EntityResident || t > EntityIndividualEntrepreneur {
		return BIN{}, &IDError{Kind: ErrEntityType, Value: s,
			Detail: fmt.Sprintf("BIN digit 5 (entity type) is %d, must be 4, 5 or 6", t)}
	}
	a := EntityAttribute(s[5] - '0')
	if a < AttrHeadOffice || a > AttrFarm {
		return BIN{}, &IDError{Kind: ErrAttribute, Value: s,
			Detail: fmt.Sprintf("BIN digit 6 (entity attribute) is %d, must be 0-3", a)}
	}
	year := 2000 + yy
	if yy >= binPivot {
		year = 1900 + yy
	}
	return BIN{
		Digits:     s,
		Registered: time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC),
		Type:       t,
		Attribute:  a,
	}, nil
}

// IsBINLike reports whether s is 12 ASCII digits whose 5th digit is 4, 5 or 6. That is how
// public helpers tell a БИН from an ИИН, whose 5th digit starts the day of birth (0–3). It does
// not validate the number.
func IsBINLike(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[4] >= '4' && s[4] <= '6'
}

// NewIIN builds a valid ИИН for a person born on the calendar date of birth (read in birth's own
// location) with the given sex and a serial number 0..9999. The birth year must be 1800–2099.
// Some serials admit no check digit: then the error is an [IDError] of kind ErrNoCheckDigit and
// the caller may try the next serial.
func NewIIN(birth time.Time, sex Sex, serial int) (IIN, error) {
	y, m, d := birth.Date()
	if y < 1800 || y > 2099 {
		return IIN{}, fmt.Errorf("certs: NewIIN: birth year %d outside 1800-2099", y)
	}
	if sex != SexMale && sex != SexFemale {
		return IIN{}, fmt.Errorf("certs: NewIIN: sex must be SexMale or SexFemale, got %v", sex)
	}
	if serial < 0 || serial > 9999 {
		return IIN{}, fmt.Errorf("certs: NewIIN: serial %d outside 0-9999", serial)
	}
	c := (y-1800)/100*2 + 1
	if sex == SexFemale {
		c++
	}
	first11 := fmt.Sprintf("%02d%02d%02d%d%04d", y%100, int(m), d, c, serial)
	cd, ok := checkDigit(first11)
	if !ok {
		return IIN{}, errNoCheckDigit("IIN", first11)
	}
	return IIN{
		Digits:    first11 + strconv.Itoa(cd),
		BirthDate: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		Sex:       sex,
	}, nil
}

// NewBIN builds a valid БИН registered in the year and month of registered (read in its own
// location; the year must be 1990–2089, see [BIN]), with the given type and attribute and a serial
// number 0..99999. Some serials admit no check digit: then the error is an [IDError] of kind
// ErrNoCheckDigit and the caller may try the next serial.
func NewBIN(registered time.Time, t EntityType, a EntityAttribute, serial int) (BIN, error) {
	y, m, _ := registered.Date()
	if y < 1900+binPivot || y >= 2000+binPivot {
		return BIN{}, fmt.Errorf("certs: NewBIN: registration year %d outside %d-%d", y, 1900+binPivot, 1999+binPivot)
	}
	if t < EntityResident || t > EntityIndividualEntrepreneur {
		return BIN{}, fmt.Errorf("certs: NewBIN: invalid entity type %d", int(t))
	}
	if a < AttrHeadOffice || a > AttrFarm {
		return BIN{}, fmt.Errorf("certs: NewBIN: invalid entity attribute %d", int(a))
	}
	if serial < 0 || serial > 99999 {
		return BIN{}, fmt.Errorf("certs: NewBIN: serial %d outside 0-99999", serial)
	}
	first11 := fmt.Sprintf("%02d%02d%d%d%05d", y%100, int(m), int(t), int(a), serial)
	cd, ok := checkDigit(first11)
	if !ok {
		return BIN{}, errNoCheckDigit("BIN", first11)
	}
	return BIN{
		Digits:     first11 + strconv.Itoa(cd),
		Registered: time.Date(y, m, 1, 0, 0, 0, 0, time.UTC),
		Type:       t,
		Attribute:  a,
	}, nil
}
