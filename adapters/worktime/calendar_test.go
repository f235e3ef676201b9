package worktime

import (
	"testing"
	"time"
)

// kz is Kazakhstan's time (UTC+5 since 1 March 2024), without depending on tzdata.
var kz = time.FixedZone("+05", 5*60*60)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, kz)
	if err != nil {
		panic(err)
	}
	return t
}

func date(s string) time.Time { return at(s + " 10:00") }

func TestKazakhstanWorkday(t *testing.T) {
	c := Kazakhstan()
	tests := []struct {
		date string
		want bool
		why  string
	}{
		{"2026-03-20", true, "Friday before Наурыз"},
		{"2026-03-21", false, "Наурыз, Saturday"},
		{"2026-03-22", false, "Наурыз, Sunday"},
		{"2026-03-23", false, "Наурыз, Monday"},
		{"2026-03-24", false, "Наурыз 21 March moved from Saturday"},
		{"2026-03-25", false, "Наурыз 22 March moved from Sunday"},
		{"2026-03-26", true, "Thursday after Наурыз"},
		{"2026-03-09", false, "8 March 2026 is a Sunday: moved to Monday"},
		{"2026-05-27", false, "Курбан айт 2026"},
		{"2026-05-28", true, "the day after Курбан айт"},
		{"2024-06-16", false, "Курбан айт 2024, Sunday"},
		{"2024-06-17", true, "Курбан айт is religious: not moved off the Sunday"},
		{"2024-01-08", true, "Orthodox Christmas 2024 on a Sunday is not moved"},
		{"2028-01-07", false, "Orthodox Christmas 2028, Friday"},
		{"2024-07-08", false, "Capital Day 6 July 2024 is a Saturday: moved to Monday"},
		{"2025-07-07", false, "Capital Day 6 July 2025 is a Sunday: moved to Monday"},
		{"2026-07-06", false, "Capital Day 2026, Monday"},
		{"2026-07-07", true, "Capital Day 2026 was on a weekday: nothing moved"},
		{"2028-12-16", false, "Independence Day 2028, Saturday"},
		{"2028-12-18", false, "Independence Day 2028 moved to Monday"},
		{"2026-12-17", true, "17 December is a working day since 2022"},
		{"2026-10-26", false, "Republic Day 25 October 2026 is a Sunday: moved to Monday"},
		{"2025-10-24", true, "Friday before Republic Day 2025"},
		{"2025-10-27", false, "Republic Day 25 October 2025 is a Saturday: moved to Monday"},
		{"2025-09-01", false, "Constitution Day 2025 is a Saturday: moved to Monday"},
		{"2027-03-24", false, "Наурыз 21 March 2027 is a Sunday: moved past 22–23 March"},
		{"2027-03-25", true, "only one Наурыз day of 2027 is on a weekend"},
		{"2027-01-04", false, "2 January 2027 is a Saturday: moved to Monday"},
		{"2028-01-03", false, "1 January 2028 is a Saturday"},
		{"2028-01-04", false, "2 January 2028 is a Sunday"},
		{"2028-01-05", true, "Wednesday after the New Year of 2028"},
		{"2028-05-08", false, "Defender of the Fatherland Day 2028 is a Sunday"},
		{"2028-05-09", false, "Victory Day 2028"},
		{"2028-05-10", true, "Wednesday after Victory Day 2028"},
		{"2026-11-21", false, "Saturday"},
		{"2026-11-23", true, "Monday"},
		{"2023-01-02", true, "outside the table only weekends are days off"},
	}
	for _, tc := range tests {
		t.Run(tc.date, func(t *testing.T) {
			if got := c.Workday(date(tc.date)); got != tc.want {
				t.Fatalf("Workday(%s) = %v, want %v (%s)", tc.date, got, tc.want, tc.why)
			}
		})
	}
}

// Workday reads the date in the time's own location.
func TestWorkdayLocation(t *testing.T) {
	c := Kazakhstan()
	// 2026-03-20 20:00 UTC is Saturday 21 March 01:00 in Kazakhstan.
	u := time.Date(2026, 3, 20, 20, 0, 0, 0, time.UTC)
	if !c.Workday(u) || c.Workday(u.In(kz)) {
		t.Fatalf("Workday: UTC %v, +05 %v", c.Workday(u), c.Workday(u.In(kz)))
	}
}

func TestNewCalendar(t *testing.T) {
	c := NewCalendar([]time.Time{date("2026-11-18")}, []time.Time{date("2026-11-21")})
	for d, want := range map[string]bool{
		"2026-11-17": true, "2026-11-18": false, "2026-11-21": true, "2026-11-22": false,
		"2026-03-23": true, // not Kazakhstan's calendar
	} {
		if got := c.Workday(date(d)); got != want {
			t.Errorf("Workday(%s) = %v", d, got)
		}
	}
	// Fri 20 + 1 → the extra working Saturday 21.
	if got := c.AddWorkdays(date("2026-11-20"), 1); !got.Equal(date("2026-11-21")) {
		t.Errorf("AddWorkdays = %v", got)
	}
	var zero Calendar
	if !zero.Workday(date("2026-03-23")) || zero.Workday(date("2026-03-22")) {
		t.Error("the zero Calendar is weekends only")
	}
}

func TestAddWorkdays(t *testing.T) {
	c := Kazakhstan()
	tests := []struct {
		name, from string
		n          int
		want       string
	}{
		{"over a weekend", "2026-11-20 10:00", 1, "2026-11-23 10:00"},
		{"zero on a working day", "2026-11-20 10:00", 0, "2026-11-20 10:00"},
		{"from a Saturday counting starts on Monday", "2026-11-21 10:00", 1, "2026-11-24 10:00"},
		{"zero from a Saturday", "2026-11-21 10:00", 0, "2026-11-23 10:00"},
		{"over Наурыз 2026", "2026-03-18 09:00", 5, "2026-03-30 09:00"},
		{"over Independence Day 2026", "2026-12-15 18:00", 2, "2026-12-18 18:00"},
		{"over Курбан айт 2026", "2026-05-26 23:59", 1, "2026-05-28 23:59"},
		{"over Independence Day 2028 moved", "2028-12-15 10:00", 1, "2028-12-19 10:00"},
		{"from a holiday", "2026-03-23 12:00", 1, "2026-03-27 12:00"},
		{"backwards over Наурыз", "2026-03-30 09:00", -5, "2026-03-18 09:00"},
		{"backwards from a Sunday", "2026-11-22 10:00", -1, "2026-11-19 10:00"},
		{"over the New Year 2028", "2027-12-31 10:00", 1, "2028-01-05 10:00"},
		{"ten working days", "2026-11-18 10:00", 10, "2026-12-02 10:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.AddWorkdays(at(tc.from), tc.n)
			if !got.Equal(at(tc.want)) {
				t.Fatalf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, got.Format(time.DateTime), tc.want)
			}
			if got.Location() != kz {
				t.Fatalf("location %v", got.Location())
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	c := Kazakhstan()
	tests := []struct {
		limit, from, want string
	}{
		{"5wd", "2026-11-18 10:00", "2026-11-25 10:00"},
		{"15cd", "2026-11-18 10:00", "2026-12-03 10:00"},
		{"10min", "2026-11-18 10:00", "2026-11-18 10:10"},
		{"9wd+1h", "2026-11-18 10:00", "2026-12-01 11:00"},
		{"1mo", "2026-11-18 10:00", "2026-12-18 10:00"},
		{"1mo", "2026-01-31 10:00", "2026-02-28 10:00"},
		{"1mo", "2028-01-31 10:00", "2028-02-29 10:00"},
		{"3mo", "2026-11-30 10:00", "2027-02-28 10:00"},
		{"1h+1wd", "2026-11-20 17:30", "2026-11-23 18:30"},
		{"3wd", "2026-03-19 09:00", "2026-03-27 09:00"},
		{"1wd", "2028-12-15 10:00", "2028-12-19 10:00"},
		{"1mo+3wd", "2026-02-20 10:00", "2026-03-30 10:00"},
		{"0min", "2026-11-22 10:00", "2026-11-22 10:00"},
	}
	for _, tc := range tests {
		t.Run(tc.limit+" from "+tc.from, func(t *testing.T) {
			l, err := ParseLimit(tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Deadline(at(tc.from), l); !got.Equal(at(tc.want)) {
				t.Fatalf("Deadline = %s, want %s", got.Format(time.DateTime), tc.want)
			}
		})
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := Kazakhstan()
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-03-18 09:00", "2026-03-30 18:00", 5},
		{"2026-03-30 09:00", "2026-03-18 09:00", -5},
		{"2026-11-18 10:00", "2026-11-18 23:00", 0},
		{"2026-11-21 10:00", "2026-11-24 10:00", 2},
		{"2026-03-20 10:00", "2026-03-25 10:00", 0},
		{"2026-01-01 10:00", "2027-01-01 10:00", 246},
	}
	for _, tc := range tests {
		t.Run(tc.a+" → "+tc.b, func(t *testing.T) {
			if got := c.WorkdaysBetween(at(tc.a), at(tc.b)); got != tc.want {
				t.Fatalf("WorkdaysBetween = %d, want %d", got, tc.want)
			}
		})
	}
	// The inverse of AddWorkdays from every working day of 2026, for 0–25 days.
	for d := date("2026-01-01"); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		if !c.Workday(d) {
			continue
		}
		for n := 0; n <= 25; n++ {
			if got := c.WorkdaysBetween(d, c.AddWorkdays(d, n)); got != n {
				t.Fatalf("from %s: WorkdaysBetween(AddWorkdays(%d)) = %d", d.Format(time.DateOnly), n, got)
			}
		}
	}
}
