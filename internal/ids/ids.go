// Package ids makes the identifiers the gateway hands out: random (version 4) UUIDs, and ШЭП
// session identifiers, which are time-ordered (version 7) UUIDs in braces.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// UUID returns a random RFC 9562 version 4 UUID, lower-case.
func UUID() string {
	var b [16]byte
	rand.Read(b[:])
	return UUIDv4(b)
}

// UUIDv4 returns the RFC 9562 version 4 UUID of the 122 random bits taken from random (a
// deterministic generator's, for synthetic data).
func UUIDv4(random [16]byte) string {
	random[6] = random[6]&0x0f | 0x40
	random[8] = random[8]&0x3f | 0x80
	return format(random)
}

// UUIDv7 returns the RFC 9562 version 7 UUID of time t and the 74 random bits taken from
// random: its first 48 bits are t in Unix milliseconds, so such UUIDs sort as text in the order
// of their times (within a millisecond, at random).
func UUIDv7(t time.Time, random [10]byte) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	copy(b[6:], random[:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return format(b)
}

// Session returns a new ШЭП sessionId: "{uuid}", a version 7 UUID of the current time (the
// wall clock's, not a gateway's test clock). Session IDs handed out in a later millisecond sort
// after earlier ones, so the message log's session index grows at its end instead of
// everywhere: badger's compactions rewrite only its newest tables (issue 7).
func Session() string {
	var r [10]byte
	rand.Read(r[:])
	return "{" + UUIDv7(time.Now(), r) + "}"
}

func format(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
