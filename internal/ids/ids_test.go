package ids

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

var (
	v4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	v7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func TestUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		u := UUID()
		if !v4.MatchString(u) || seen[u] {
			t.Fatalf("bad or repeated UUID %q", u)
		}
		seen[u] = true
	}
}

// RFC 9562's example of a version 4 UUID (appendix A.3), from its random bits.
func TestUUIDv4Example(t *testing.T) {
	random := [16]byte{0x91, 0x91, 0x08, 0xf7, 0x52, 0xd1, 0x03, 0x20, 0x1b, 0xac, 0xf8, 0x47, 0xdb, 0x41, 0x48, 0xa8}
	if got, want := UUIDv4(random), "919108f7-52d1-4320-9bac-f847db4148a8"; got != want {
		t.Fatalf("UUIDv4 %s, want %s", got, want)
	}
}

// RFC 9562's example of a version 7 UUID (appendix A.6): 2022-02-22 14:22:22 EST.
func TestUUIDv7Example(t *testing.T) {
	at := time.Date(2022, 2, 22, 14, 22, 22, 0, time.FixedZone("EST", -5*3600))
	random := [10]byte{0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f}
	if got, want := UUIDv7(at, random), "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"; got != want {
		t.Fatalf("UUIDv7 %s, want %s", got, want)
	}
}

// Session IDs are version 7 UUIDs in braces, and later ones sort after earlier ones.
func TestSession(t *testing.T) {
	var ids []string
	for i := range 50 {
		s := Session()
		if s[0] != '{' || s[len(s)-1] != '}' || !v7.MatchString(s[1:len(s)-1]) {
			t.Fatalf("session %q", s)
		}
		ids = append(ids, s)
		if i%10 == 9 {
			time.Sleep(2 * time.Millisecond) // the next ones are in a later millisecond
		}
	}
	// Within a millisecond the order is random; across the sleeps it is the time's.
	for g := 10; g < len(ids); g += 10 {
		if prev, next := slices.Max(ids[g-10:g]), slices.Min(ids[g:g+10]); prev >= next {
			t.Fatalf("sessions out of time order: %s, then %s", prev, next)
		}
	}
}
