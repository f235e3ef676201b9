package worktime

import (
	"encoding/json"
	"testing"
	"time"
)

// realClock is a settable real clock.
type realClock struct{ t time.Time }

func (r *realClock) now() time.Time          { return r.t }
func (r *realClock) advance(d time.Duration) { r.t = r.t.Add(d) }

func TestClockScaled(t *testing.T) {
	r := &realClock{at("2026-11-22 10:00")}
	c := NewClock(Anchor(r.now(), time.Minute, nil), r.now)
	if !c.Scaled() {
		t.Fatal("DayLength 1m is scaled")
	}
	if !c.Now().Equal(r.now()) {
		t.Fatalf("a fresh clock starts at real time: %v", c.Now())
	}
	r.advance(2 * time.Minute)
	if got, want := c.Now(), at("2026-11-24 10:00"); !got.Equal(want) {
		t.Fatalf("after 2 real minutes: %v, want %v", got, want)
	}
	r.advance(1500 * time.Millisecond) // 1.5 s of a 1-minute day is 36 virtual minutes
	if got, want := c.Now(), at("2026-11-24 10:36"); !got.Equal(want) {
		t.Fatalf("after 2m1.5s: %v, want %v", got, want)
	}
	// A deadline of 5 working days, in virtual time, comes after 7 real minutes (over a weekend).
	start := c.Now() // Tuesday 24 November 10:36
	deadline := Kazakhstan().Deadline(start, Limit{{5, WorkingDays}})
	if !deadline.Equal(at("2026-12-01 10:36")) {
		t.Fatalf("deadline %v", deadline)
	}
	if got := c.Until(deadline); got != 7*time.Minute {
		t.Fatalf("Until = %v, want 7m", got)
	}
	if got := c.Real(deadline); !got.Equal(r.now().Add(7 * time.Minute)) {
		t.Fatalf("Real = %v", got)
	}
	if got := c.Until(start.Add(-time.Hour)); got >= 0 {
		t.Fatalf("Until a past instant = %v", got)
	}
}

func TestClockRoundTrip(t *testing.T) {
	base := at("2026-11-22 10:00")
	xs := []time.Time{
		base, base.Add(1), base.Add(-1), base.Add(123456789 * time.Nanosecond), base.Add(-37 * time.Hour),
		base.Add(90 * 24 * time.Hour), base.AddDate(-3, 0, 0).Add(7), base.AddDate(0, 2, 0).Add(999999999),
	}
	for _, dl := range []time.Duration{time.Minute, 7 * time.Second, time.Hour + 33*time.Minute + 1, time.Millisecond, 0, Day, 48 * time.Hour} {
		s := ClockState{RealStart: base.Add(-5 * time.Minute), VirtualStart: base.AddDate(0, 0, 3), DayLength: dl}
		c := NewClock(s, nil)
		for _, x := range xs {
			v := c.Virtual(x)
			back := c.Real(v)
			if d := back.Sub(x); d < -1 || d > 1 {
				t.Errorf("DayLength %v: Real(Virtual(%v)) off by %v", dl, x, d)
			}
			if x.After(s.RealStart) != v.After(s.VirtualStart) {
				t.Errorf("DayLength %v: Virtual(%v) = %v on the wrong side of the anchor", dl, x, v)
			}
		}
	}
}

// A 1-minute day runs 1440 times faster: a year of real time is 1440 virtual years, beyond what
// time.Duration holds.
func TestClockFarFuture(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(ClockState{RealStart: base, VirtualStart: base, DayLength: time.Minute}, nil)
	v := c.Virtual(base.AddDate(1, 0, 0))
	if want := base.AddDate(0, 0, 365*1440); !v.Equal(want) {
		t.Fatalf("Virtual after a real year = %v, want %v", v, want)
	}
	if back := c.Real(v); !back.Equal(base.AddDate(1, 0, 0)) {
		t.Fatalf("Real = %v", back)
	}
}

func TestClockRealSpeed(t *testing.T) {
	for _, dl := range []time.Duration{0, Day, -time.Minute} {
		r := &realClock{at("2026-11-22 10:00")}
		c := NewClock(Anchor(r.now(), dl, nil), r.now)
		if c.Scaled() {
			t.Fatalf("DayLength %v is real speed", dl)
		}
		for range 3 {
			if !c.Now().Equal(r.now()) || c.Now().Location() != r.now().Location() {
				t.Fatalf("DayLength %v: Now %v, real %v", dl, c.Now(), r.now())
			}
			if d := c.Until(r.now().Add(time.Hour)); d != time.Hour {
				t.Fatalf("Until = %v", d)
			}
			r.advance(36 * time.Hour)
		}
	}
}

// Anchor across restarts: the state a process persisted keeps virtual time monotonic, also when
// the day length changes.
func TestAnchorRestart(t *testing.T) {
	r := &realClock{at("2026-11-22 10:00")}
	s1 := Anchor(r.now(), time.Minute, nil)
	c1 := NewClock(s1, r.now)
	r.advance(3 * time.Minute)
	v1 := c1.Now()
	if !v1.Equal(at("2026-11-25 10:00")) {
		t.Fatalf("v1 %v", v1)
	}

	// Restart 2 real minutes later with the same day length: virtual time went on.
	r.advance(2 * time.Minute)
	s2 := Anchor(r.now(), time.Minute, &s1)
	if s2 != s1 {
		t.Fatalf("same day length re-anchored: %+v", s2)
	}
	c2 := NewClock(s2, r.now)
	if v2 := c2.Now(); !v2.Equal(at("2026-11-27 10:00")) {
		t.Fatalf("after the restart %v", v2)
	}

	// Slower days: re-anchored at the current virtual time.
	r.advance(30 * time.Second) // +12h virtual
	s3 := Anchor(r.now(), 2*time.Minute, &s2)
	if !s3.RealStart.Equal(r.now()) || !s3.VirtualStart.Equal(at("2026-11-27 22:00")) || s3.DayLength != 2*time.Minute {
		t.Fatalf("re-anchor %+v", s3)
	}
	c3 := NewClock(s3, r.now)
	r.advance(time.Minute) // half a day at 2 minutes a day
	if v3 := c3.Now(); !v3.Equal(at("2026-11-28 10:00")) {
		t.Fatalf("after the day length change %v", v3)
	}

	// Back to real speed: the lead stays and time runs at real speed.
	s4 := Anchor(r.now(), 0, &s3)
	c4 := NewClock(s4, r.now)
	if c4.Scaled() || !c4.Now().Equal(at("2026-11-28 10:00")) {
		t.Fatalf("real speed re-anchor %+v: %v", s4, c4.Now())
	}
	r.advance(time.Hour)
	if !c4.Now().Equal(at("2026-11-28 11:00")) {
		t.Fatalf("at real speed %v", c4.Now())
	}
	// 0 and 24h are the same speed: no re-anchor.
	if s5 := Anchor(r.now(), Day, &s4); s5 != s4 {
		t.Fatalf("0 → 24h re-anchored")
	}

	// The real clock went back behind the anchor: virtual time does not go below its start.
	back := s3.RealStart.Add(-time.Hour)
	s6 := Anchor(back, 2*time.Minute, &s3)
	if v := NewClock(s6, func() time.Time { return back }).Now(); v.Before(s3.VirtualStart) {
		t.Fatalf("virtual time went back to %v", v)
	}

	// A fresh anchor returns to real dates.
	if s7 := Anchor(r.now(), 0, nil); !NewClock(s7, r.now).Now().Equal(r.now()) {
		t.Fatal("fresh anchor is not real time")
	}
}

func TestClockStateJSON(t *testing.T) {
	s := ClockState{RealStart: at("2026-11-22 10:00").Add(123), VirtualStart: at("2026-12-01 09:30"), DayLength: time.Minute}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got ClockState
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !got.RealStart.Equal(s.RealStart) || !got.VirtualStart.Equal(s.VirtualStart) || got.DayLength != s.DayLength {
		t.Fatalf("JSON round trip: %s → %+v", b, got)
	}
	x := at("2026-11-22 10:07")
	if a, b := NewClock(s, nil).Virtual(x), NewClock(got, nil).Virtual(x); !a.Equal(b) {
		t.Fatalf("restored clock differs: %v vs %v", a, b)
	}
}
