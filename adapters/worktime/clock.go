package worktime

import (
	"math/big"
	"time"
)

// Day is the length of a day of real time.
const Day = 24 * time.Hour

// ClockState anchors a regulation clock: at the real instant RealStart the virtual time was
// VirtualStart, and from then on one virtual day passes in DayLength of real time. DayLength 0
// (or 24h, or less than 0) is real speed. It is what a process persists to keep its virtual time
// across restarts (see Anchor).
type ClockState struct {
	RealStart    time.Time     `json:"realStart"`
	VirtualStart time.Time     `json:"virtualStart"`
	DayLength    time.Duration `json:"dayLength"` // nanoseconds in JSON
}

// dayLength is the effective day length: Day for real speed.
func (s ClockState) dayLength() time.Duration {
	if s.DayLength <= 0 {
		return Day
	}
	return s.DayLength
}

// Clock is the regulation clock: virtual time that runs Day/DayLength times faster than real
// time, so that limits of working days can be tested in minutes ("one working day = one minute":
// DayLength 1m). Deadlines are computed in virtual time (Calendar.Deadline of Now()); Real and
// Until tell when, in real time, a virtual instant comes. Conversions are exact to the nanosecond
// (Real(Virtual(x)) is x within 1ns) as long as the times stay within time.Time's range. A Clock is
// immutable and safe for concurrent use.
type Clock struct {
	s       ClockState
	realNow func() time.Time
}

// NewClock returns the clock of s. realNow reads real time (nil: time.Now). At real speed with
// VirtualStart equal to RealStart (a fresh Anchor), virtual time is real time.
func NewClock(s ClockState, realNow func() time.Time) *Clock {
	if realNow == nil {
		realNow = time.Now
	}
	return &Clock{s: s, realNow: realNow}
}

// Anchor returns the state a process should run its clock with when it starts, or when the day
// length is changed, at the real instant realNow:
//
//   - previous nil: a fresh clock, virtual time = real time at realNow, running at dayLength.
//   - previous with the same day length: previous itself; virtual time goes on from where the
//     previous clock would be now, as if the process had never stopped.
//   - previous with another day length: re-anchored at the previous clock's virtual time at
//     realNow, running at dayLength from there.
//
// Virtual time never goes back across an Anchor: switching from a scaled clock to real speed
// keeps the lead virtual time had (the clock then runs at real speed ahead of real time; start
// fresh, with previous nil, to return to real dates), and if the real clock went back behind
// previous.RealStart the new anchor is previous.VirtualStart. Day lengths 0, 24h and negative
// are all real speed and count as the same.
func Anchor(realNow time.Time, dayLength time.Duration, previous *ClockState) ClockState {
	next := ClockState{RealStart: realNow, VirtualStart: realNow, DayLength: dayLength}
	if previous == nil {
		return next
	}
	if realNow.Before(previous.RealStart) {
		next.VirtualStart = previous.VirtualStart
		return next
	}
	if previous.dayLength() == next.dayLength() {
		return *previous
	}
	next.VirtualStart = NewClock(*previous, nil).Virtual(realNow)
	return next
}

// State returns the clock's state, to persist.
func (c *Clock) State() ClockState { return c.s }

// Scaled reports whether virtual time runs at another speed than real time.
func (c *Clock) Scaled() bool { return c.s.dayLength() != Day }

// Now returns the virtual time now.
func (c *Clock) Now() time.Time { return c.Virtual(c.realNow()) }

// Virtual returns the virtual time at the real instant real, in real's location.
func (c *Clock) Virtual(real time.Time) time.Time {
	offset := c.s.VirtualStart.Sub(c.s.RealStart)
	if !c.Scaled() {
		return real.Add(offset)
	}
	v := scale(nanosBetween(c.s.RealStart, real), int64(Day), int64(c.s.dayLength()))
	return addNanos(c.s.VirtualStart, v).In(real.Location())
}

// Real returns the real instant at which virtual time reaches virtual, in virtual's location.
func (c *Clock) Real(virtual time.Time) time.Time {
	if !c.Scaled() {
		return virtual.Add(c.s.RealStart.Sub(c.s.VirtualStart))
	}
	r := scale(nanosBetween(c.s.VirtualStart, virtual), int64(c.s.dayLength()), int64(Day))
	return addNanos(c.s.RealStart, r).In(virtual.Location())
}

// Until returns the real time left until virtual time reaches virtual (≤ 0 when it has).
func (c *Clock) Until(virtual time.Time) time.Duration {
	return c.Real(virtual).Sub(c.realNow())
}

// nanosBetween returns b − a in nanoseconds, exactly (time.Sub saturates at about 292 years,
// which a fast clock reaches in months).
func nanosBetween(a, b time.Time) *big.Int {
	n := big.NewInt(b.Unix() - a.Unix())
	n.Mul(n, big.NewInt(int64(time.Second)))
	return n.Add(n, big.NewInt(int64(b.Nanosecond()-a.Nanosecond())))
}

// scale returns x·num/den rounded to the nearest integer (halves away from zero); den > 0.
func scale(x *big.Int, num, den int64) *big.Int {
	p := new(big.Int).Mul(x, big.NewInt(num))
	half := big.NewInt(den / 2)
	if p.Sign() < 0 {
		p.Sub(p, half)
	} else {
		p.Add(p, half)
	}
	return p.Quo(p, big.NewInt(den))
}

// addNanos returns t + n nanoseconds.
func addNanos(t time.Time, n *big.Int) time.Time {
	if n.IsInt64() {
		return t.Add(time.Duration(n.Int64()))
	}
	sec, ns := new(big.Int).QuoRem(n, big.NewInt(int64(time.Second)), new(big.Int))
	return time.Unix(t.Unix()+sec.Int64(), int64(t.Nanosecond())+ns.Int64()).In(t.Location())
}
