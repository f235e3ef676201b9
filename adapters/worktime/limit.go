// Package worktime measures the regulations' time limits (minutes, hours, working days, calendar
// days, months) on Kazakhstan's working calendar, by a regulation clock that may run faster than real time.
package worktime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Unit is the unit of one term of a limit.
type Unit string

// Units of limits, as the regulations write them (services.md §6.3, §7.8).
const (
	Minutes      Unit = "min" // «минут» / «минут»
	Hours        Unit = "h"   // «часов» / «сағат»
	WorkingDays  Unit = "wd"  // «рабочих дней» / «жұмыс күні»
	CalendarDays Unit = "cd"  // «календарных дней» / «күнтізбелік күн»
	Months       Unit = "mo"  // «месяц» / «ай»
)

func (u Unit) valid() bool {
	switch u {
	case Minutes, Hours, WorkingDays, CalendarDays, Months:
		return true
	}
	return false
}

// Term is N units.
type Term struct {
	N    int
	Unit Unit
}

func (t Term) String() string { return strconv.Itoa(t.N) + string(t.Unit) }

// Limit is a sum of terms applied in order, e.g. "9wd+1h". A valid limit has at least one term,
// and every term a known unit and N ≥ 0.
type Limit []Term

// ErrLimit is wrapped by the errors of ParseLimit, UnmarshalText and MarshalText.
var ErrLimit = errors.New("worktime: invalid limit")

// ParseLimit parses a limit: term ("+" term)*, where a term is [0-9]+ followed by a unit (min, h,
// wd, cd, mo), with no spaces: "15min", "5wd", "9wd+1h", "1mo". The empty string is an error.
func ParseLimit(s string) (Limit, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrLimit)
	}
	parts := strings.Split(s, "+")
	l := make(Limit, 0, len(parts))
	for _, p := range parts {
		i := 0
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		if i == 0 {
			return nil, fmt.Errorf("%w: %q: term %q does not start with a number", ErrLimit, s, p)
		}
		n, err := strconv.Atoi(p[:i])
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrLimit, s, err)
		}
		u := Unit(p[i:])
		if !u.valid() {
			return nil, fmt.Errorf("%w: %q: unit %q is not one of min, h, wd, cd, mo", ErrLimit, s, u)
		}
		l = append(l, Term{N: n, Unit: u})
	}
	return l, nil
}

// String writes the limit in the syntax ParseLimit reads ("" for an empty limit).
func (l Limit) String() string {
	parts := make([]string, len(l))
	for i, t := range l {
		parts[i] = t.String()
	}
	return strings.Join(parts, "+")
}

func (l Limit) validate() error {
	if len(l) == 0 {
		return fmt.Errorf("%w: empty", ErrLimit)
	}
	for _, t := range l {
		if t.N < 0 || !t.Unit.valid() {
			return fmt.Errorf("%w: term %d%q", ErrLimit, t.N, t.Unit)
		}
	}
	return nil
}

// MarshalText writes the limit as String does; an empty or invalid limit is an error, so that
// what is written can be read back.
func (l Limit) MarshalText() ([]byte, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	return []byte(l.String()), nil
}

// UnmarshalText reads a limit with ParseLimit.
func (l *Limit) UnmarshalText(b []byte) error {
	v, err := ParseLimit(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
