package msglog

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Key layout. Every key is a one-byte tag followed by its parts, each part preceded by the
// separator 0x00 0x01 and escaped so that a 0x00 byte inside a part is written as 0x00 0xFF:
//
//	m ⟨sender⟩ ⟨messageID⟩                  → the encoded Record (codec.go)
//	m ⟨"-"⟩ ⟨sessionID⟩                     → an Anonymous Record
//	s ⟨sessionID⟩                           → encoded Summary
//	x ⟨messageID⟩ ⟨ts⟩ ⟨sessionID⟩           → empty (messageID without sender)
//	i ⟨iin⟩ ⟨ts⟩ ⟨sessionID⟩                 → empty
//	v ⟨serviceID⟩ ⟨ts⟩ ⟨sessionID⟩           → empty
//	t ⟨ts⟩ ⟨sessionID⟩                      → empty
//	b segment (4 bytes, big-endian)         → latest ExpiresAt of the records whose bodies are
//	                                          in that segment file (bodies.go); no TTL
//
// where ⟨p⟩ is 0x00 0x01 followed by escape(p), and ts is Received as 8 big-endian bytes of
// UnixNano (Received is kept within 1970…2261, so it is non-negative), escaped like any part.
//
// The session entry's value is the record's Summary, which carries Sender and MessageID and so
// points to the primary key. The other indexes are keys only (empty values; stores written before
// held the Summary there too, and Query still reads it when present): Query takes (ts, sessionID)
// from the key and the Summary from the session entry, and never reads a body. A record and its
// index entries are written in one transaction with the same ExpiresAt.
//
// Why this cannot collide: escaped content never contains 0x00 0x01, so the separators are
// found unambiguously and the key decodes to exactly one tuple of parts. ("a\x00b", "c") is
// m·a\x00\xffb·c and ("a", "b\x00c") is m·a·b\x00\xffc. The encoding is also order-preserving
// (a shorter part sorts before its extensions, 0x00 0xFF sorts after the separator and before
// any other byte), so within one index prefix keys sort by (ts, sessionID) and a reverse scan
// yields newest first. And prefix(tag, p) ends with a separator, so scanning ИИН "1" never
// visits ИИН "12".
const (
	tagRecord  = 'm'
	tagSession = 's'
	tagMessage = 'x'
	tagIIN     = 'i'
	tagService = 'v'
	tagTime    = 't'
	tagBodies  = 'b'
)

// appendPart appends the separator and the escaped part.
func appendPart(dst []byte, p string) []byte {
	return appendEscaped(append(dst, 0x00, 0x01), p)
}

func appendEscaped(dst []byte, p string) []byte {
	for i := 0; i < len(p); i++ {
		if p[i] == 0 {
			dst = append(dst, 0x00, 0xFF)
		} else {
			dst = append(dst, p[i])
		}
	}
	return dst
}

// appendTS appends the escaped ts, without a separator.
func appendTS(dst []byte, ts uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ts)
	return appendEscaped(dst, string(b[:]))
}

func key(tag byte, parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += 2 + len(p) + 2 // room for a few escapes
	}
	k := make([]byte, 1, n)
	k[0] = tag
	for _, p := range parts {
		k = appendPart(k, p)
	}
	return k
}

func recordKey(sender, messageID string) []byte { return key(tagRecord, sender, messageID) }

// primaryKey is where a record (or its summary) lives: under (sender, messageID), or, for an
// Anonymous record, under (Anonymous, sessionID).
func primaryKey(sender, messageID, sessionID string) []byte {
	if sender == Anonymous {
		return recordKey(Anonymous, sessionID)
	}
	return recordKey(sender, messageID)
}
func sessionKey(sessionID string) []byte { return key(tagSession, sessionID) }

// indexKey is prefix (from scanPrefix) ‖ escape(ts) ‖ ⟨sessionID⟩.
func indexKey(prefix []byte, ts uint64, sessionID string) []byte {
	k := make([]byte, 0, len(prefix)+24+len(sessionID))
	k = appendTS(append(k, prefix...), ts)
	return appendPart(k, sessionID)
}

// splitIndexKey reads (ts, sessionID) from an index key k under prefix (from scanPrefix).
func splitIndexKey(k, prefix []byte) (ts uint64, sid string, ok bool) {
	if len(k) < len(prefix) || string(k[:len(prefix)]) != string(prefix) {
		return 0, "", false
	}
	rest := k[len(prefix):]
	var parts [2][]byte
	n := 0
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c != 0 {
			parts[n] = append(parts[n], c)
			continue
		}
		if i+1 == len(rest) {
			return 0, "", false
		}
		switch rest[i+1] {
		case 0xFF:
			parts[n] = append(parts[n], 0)
		case 0x01:
			if n == 1 {
				return 0, "", false
			}
			n++
		default:
			return 0, "", false
		}
		i++
	}
	if n != 1 || len(parts[0]) != 8 {
		return 0, "", false
	}
	return binary.BigEndian.Uint64(parts[0]), string(parts[1]), true
}

// scanPrefix is the prefix shared by every entry under tag and parts, ending with a separator
// (the ts part's, for an index), so that it never matches a longer part.
func scanPrefix(tag byte, parts ...string) []byte { return append(key(tag, parts...), 0x00, 0x01) }

// Allowed range of Received: UnixNano must be representable and non-negative.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Unix(0, math.MaxInt64)
)

func tsOf(t time.Time) uint64 { return uint64(t.UnixNano()) }

// clampTS maps a filter bound to the ts space.
func clampTS(t time.Time) uint64 {
	switch {
	case !t.After(minTime):
		return 0
	case !t.Before(maxTime):
		return math.MaxUint64
	}
	return tsOf(t)
}

// cursor is the (ts, sessionID) of the last entry a page covered; the next page starts strictly
// before it. It is the same for every index, since every index sorts by (ts, sessionID).
type cursor struct {
	ts  uint64
	sid string
}

func (c cursor) String() string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(c.sid)), c.ts)
	return base64.RawURLEncoding.EncodeToString(append(b, c.sid...))
}

func parseCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 9 {
		return nil, fmt.Errorf("%w: bad cursor", ErrInvalid)
	}
	return &cursor{ts: binary.BigEndian.Uint64(b), sid: string(b[8:])}, nil
}

// after reports whether (ts, sid) is at or after c in index order.
func (c *cursor) after(ts uint64, sid string) bool {
	return ts > c.ts || ts == c.ts && sid >= c.sid
}
