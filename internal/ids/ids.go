// Package ids makes the identifiers the gateway hands out: random (version 4) UUIDs, and ШЭП
// session identifiers, which are UUIDs in braces.
package ids

import (
	"crypto/rand"
	"fmt"
)

// UUID returns a random RFC 4122 version 4 UUID, lower-case.
func UUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Session returns a ШЭП sessionId: "{uuid}".
func Session() string { return "{" + UUID() + "}" }
