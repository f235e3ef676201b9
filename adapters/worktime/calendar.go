package worktime

import (
	"fmt"
	"sort"
	"time"
)

// day is a calendar date, read in the location of the time it came from.
type day struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day{y, m, d}
}

// noon is the date as a time (noon UTC: its weekday is the date's).
func (d day) noon() time.Time { return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC) }

// Calendar tells working days from days off: Monday to Friday are working days unless they are
// days off (holidays and the days off they were moved to), and a Saturday or Sunday is a working
// day only when declared one (a day transferred by the Government). The zero value is a calendar
// of weekends only. A Calendar is not changed after it is made and is safe for concurrent use.
type Calendar struct {
	off   map[day]bool
	extra map[day]bool
}

// NewCalendar returns a calendar with the given days off and extra working days (dates read in
// each time's own location; the clock time is ignored). A date in both lists is a working day.
func NewCalendar(daysOff []time.Time, extraWorkdays []time.Time) *Calendar {
	c := &Calendar{off: make(map[day]bool, len(daysOff)), extra: make(map[day]bool, len(extraWorkdays))}
	for _, t := range daysOff {
		c.off[dayOf(t)] = true
	}
	for _, t := range extraWorkdays {
		c.extra[dayOf(t)] = true
	}
	return c
}

// holiday is a row of the holiday table.
type holiday struct {
	date      string // "MM-DD": every year of the table; "YYYY-MM-DD": that year only
	name      string
	religious bool // religious holidays are not moved off a weekend
}

// The public days off of Kazakhstan, for the years kzFirstYear..kzLastYear.
//
// Sources:
//   - Закон Республики Казахстан от 13 декабря 2001 года № 267-II «О праздниках в Республике
//     Казахстан»: national holidays (Independence Day 16 December; Republic Day 25 October, made a
//     national holiday again by the amendments of 2022, which also left 17 December a working
//     day), state holidays (New Year 1–2 January, International Women's Day 8 March, Наурыз мейрамы
//     21–23 March, Unity Day 1 May, Defender of the Fatherland Day 7 May, Victory Day 9 May,
//     Capital Day 6 July, Constitution Day 30 August) and the religious days off (Orthodox
//     Christmas 7 January; the first day of Курбан айт, whose date the Government sets every year
//     on the proposal of the religious authority; the dates below are the announced or expected
//     ones).
//   - Трудовой кодекс Республики Казахстан от 23 ноября 2015 года № 414-V, статья 85: when a
//     day off coincides with a holiday, the day off moves to the next working day after the
//     holiday; this does not apply to the religious holidays.
//
// Not included: the one-off transfers of days off that the Government decrees each year
// (постановление Правительства о переносе выходных дней); add them with NewCalendar.
var kazakhstanHolidays = []holiday{
	{"01-01", "Новый год", false},
	{"01-02", "Новый год", false},
	{"01-07", "Православное Рождество", true},
	{"03-08", "Международный женский день", false},
	{"03-21", "Наурыз мейрамы", false},
	{"03-22", "Наурыз мейрамы", false},
	{"03-23", "Наурыз мейрамы", false},
	{"05-01", "Праздник единства народа Казахстана", false},
	{"05-07", "День защитника Отечества", false},
	{"05-09", "День Победы", false},
	{"07-06", "День Столицы", false},
	{"08-30", "День Конституции Республики Казахстан", false},
	{"10-25", "День Республики", false},
	{"12-16", "День Независимости", false},
	{"2024-06-16", "Курбан айт", true},
	{"2025-06-06", "Курбан айт", true},
	{"2026-05-27", "Курбан айт", true},
	{"2027-05-16", "Курбан айт", true},
	{"2028-05-05", "Курбан айт", true},
}

const kzFirstYear, kzLastYear = 2024, 2028

// Kazakhstan returns the working calendar of Kazakhstan for 2024–2028: the public holidays of
// the table above, and for each secular holiday on a Saturday or Sunday a day off on the next
// working day after it. Outside those years only weekends are days off.
func Kazakhstan() *Calendar {
	type dated struct {
		day
		religious bool
	}
	var hs []dated
	for y := kzFirstYear; y <= kzLastYear; y++ {
		for _, h := range kazakhstanHolidays {
			s := h.date
			if len(s) == len("MM-DD") {
				s = fmt.Sprintf("%04d-%s", y, s)
			} else if s[:4] != fmt.Sprintf("%04d", y) {
				continue
			}
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				panic("worktime: bad holiday table entry " + h.date) // the table is a constant
			}
			hs = append(hs, dated{dayOf(t), h.religious})
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].noon().Before(hs[j].noon()) })
	c := &Calendar{off: make(map[day]bool), extra: make(map[day]bool)}
	for _, h := range hs {
		c.off[h.day] = true
	}
	// Labour Code art. 85, in date order so that two weekend holidays take two days.
	for _, h := range hs {
		if h.religious || !weekend(h.noon()) {
			continue
		}
		t := h.noon().AddDate(0, 0, 1)
		for weekend(t) || c.off[dayOf(t)] {
			t = t.AddDate(0, 0, 1)
		}
		c.off[dayOf(t)] = true
	}
	return c
}

func weekend(t time.Time) bool {
	wd := t.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// Workday reports whether the date of t, in t's own location, is a working day.
func (c *Calendar) Workday(t time.Time) bool {
	d := dayOf(t)
	if c.extra[d] {
		return true
	}
	return !c.off[d] && !weekend(d.noon())
}

// AddWorkdays returns the same clock time n working days later (n < 0: earlier). When t is on a
// non-working day, counting starts from the next (n < 0: previous) working day: a Saturday plus
// one working day is the Tuesday, and plus zero the Monday.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for !c.Workday(t) {
		t = t.AddDate(0, 0, step)
	}
	for n > 0 {
		t = t.AddDate(0, 0, step)
		if c.Workday(t) {
			n--
		}
	}
	return t
}

// Deadline applies the terms of l to start in order: minutes and hours as durations, working
// days with AddWorkdays, calendar days as 24-hour days, months as calendar months on the same day
// and clock time (the last day of the month when the month is shorter, as the Civil Code counts
// terms of months: 31 January + 1 month is 28 or 29 February).
func (c *Calendar) Deadline(start time.Time, l Limit) time.Time {
	t := start
	for _, term := range l {
		switch term.Unit {
		case Minutes:
			t = t.Add(time.Duration(term.N) * time.Minute)
		case Hours:
			t = t.Add(time.Duration(term.N) * time.Hour)
		case WorkingDays:
			t = c.AddWorkdays(t, term.N)
		case CalendarDays:
			t = t.Add(time.Duration(term.N) * 24 * time.Hour)
		case Months:
			t = addMonths(t, term.N)
		}
	}
	return t
}

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	last := time.Date(y, m+time.Month(n)+1, 0, 0, 0, 0, 0, t.Location()).Day()
	if d > last {
		d = last
	}
	return time.Date(y, m+time.Month(n), d, hh, mm, ss, t.Nanosecond(), t.Location())
}

// WorkdaysBetween counts the working days after the date of a up to and including the date of b
// (both read in a's location); it is negative when b is before a. For a on a working day,
// WorkdaysBetween(a, c.AddWorkdays(a, n)) == n.
func (c *Calendar) WorkdaysBetween(a, b time.Time) int {
	from, to := dayOf(a).noon(), dayOf(b.In(a.Location())).noon()
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for t := from.AddDate(0, 0, 1); !t.After(to); t = t.AddDate(0, 0, 1) {
		if c.Workday(t) {
			n++
		}
	}
	return sign * n
}
