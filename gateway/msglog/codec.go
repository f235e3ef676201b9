package msglog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shep-kz/shep/store/blobs"
)

// Record encoding, version 1 (all integers are encoding/binary varints):
//
//	0x01                      version
//	uvarint hdrLen, header:   12 strings (uvarint length ‖ bytes): Sender, MessageID, SessionID,
//	                          CorrelationID, ServiceID, RouteID, Channel, IIN, SignerIIN,
//	                          SignerBIN, SignerSubject, Status;
//	                          Received, Responded (varint Unix seconds, uvarint nanoseconds);
//	                          varint HTTPStatus; 32 bytes RequestHash;
//	                          uvarint len(Steps), each Name, Outcome, Detail, varint Duration
//	uvarint len ‖ Request     as received
//	uvarint len ‖ Response    as sent
//
// Version 2, when the Log keeps bodies in segment files (Options.BodyDir): only where the record
// is, header ‖ Request ‖ Response as one blob in a segment (the store keeps ~20 bytes a record
// instead of ~1 KB of header: less for badger to flush, compact and map):
//
//	0x02, uvarint segment, uvarint offset, uvarint len(header), uvarint len(Request),
//	uvarint len(Response), 4 bytes CRC-32C of the blob
//
// Decoding reads the value once into an owned buffer: Request and Response are sub-slices of it
// (no second copy) and every string of the header is a substring of a single string conversion
// of the header, so a decoded record costs about four allocations whatever its size.
//
// Summary encoding, version 1 (the value of every index entry): 0x01, then Sender, MessageID,
// SessionID, ServiceID, IIN, Status as strings, varint Received UnixNano, varint Took.
const (
	codecVersion    = 1
	codecVersionRef = 2
)

var errCorrupt = errors.New("msglog: corrupt value")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func encodeRecord(r *Record) []byte {
	hdr := encodeHeader(r, len(r.Request)+len(r.Response))
	out := make([]byte, 0, 1+binary.MaxVarintLen64*3+len(hdr)+len(r.Request)+len(r.Response))
	out = append(out, codecVersion)
	out = binary.AppendUvarint(out, uint64(len(hdr)))
	out = append(out, hdr...)
	out = binary.AppendUvarint(out, uint64(len(r.Request)))
	out = append(out, r.Request...)
	out = binary.AppendUvarint(out, uint64(len(r.Response)))
	return append(out, r.Response...)
}

// bodyRef is where a version 2 record's header ‖ Request ‖ Response is.
type bodyRef struct {
	blobs.Ref
	hdrLen, reqLen int64
}

// encodeRecordRef is the version 2 value of the record at body.
func encodeRecordRef(body bodyRef) []byte {
	out := make([]byte, 0, 1+binary.MaxVarintLen64*5+4)
	out = append(out, codecVersionRef)
	out = binary.AppendUvarint(out, uint64(body.Seg))
	out = binary.AppendUvarint(out, uint64(body.Off))
	out = binary.AppendUvarint(out, uint64(body.hdrLen))
	out = binary.AppendUvarint(out, uint64(body.reqLen))
	out = binary.AppendUvarint(out, uint64(body.Len-body.hdrLen-body.reqLen))
	return binary.BigEndian.AppendUint32(out, body.Sum)
}

// decodeRef decodes a version 2 value.
func decodeRef(v []byte) (*bodyRef, error) {
	r := reader{b: v, off: 1}
	seg, off, hdrLen, reqLen, respLen := r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint()
	i, j := r.span(4)
	if r.err == nil && (seg > math.MaxUint32 || off > math.MaxInt64 || hdrLen > math.MaxInt32 ||
		reqLen > math.MaxInt32 || respLen > math.MaxInt32 || r.off != len(v)) {
		r.fail()
	}
	if r.err != nil {
		return nil, r.err
	}
	return &bodyRef{Ref: blobs.Ref{Seg: uint32(seg), Off: int64(off), Len: int64(hdrLen + reqLen + respLen),
		Sum: binary.BigEndian.Uint32(v[i:j])}, hdrLen: int64(hdrLen), reqLen: int64(reqLen)}, nil
}

// encodeHeader encodes everything of r but its bodies; extra is room to leave for them.
func encodeHeader(r *Record, extra int) []byte {
	n := 64 + extra + len(r.Sender) + len(r.MessageID) + len(r.SessionID) +
		len(r.CorrelationID) + len(r.ServiceID) + len(r.RouteID) + len(r.Channel) + len(r.IIN) +
		len(r.SignerIIN) + len(r.SignerBIN) + len(r.SignerSubject) + len(r.Status) + 32
	for _, s := range r.Steps {
		n += 16 + len(s.Name) + len(s.Outcome) + len(s.Detail)
	}
	hdr := make([]byte, 0, n)
	for _, s := range [...]string{r.Sender, r.MessageID, r.SessionID, r.CorrelationID, r.ServiceID,
		r.RouteID, r.Channel, r.IIN, r.SignerIIN, r.SignerBIN, r.SignerSubject, r.Status} {
		hdr = appendString(hdr, s)
	}
	hdr = appendTime(hdr, r.Received)
	hdr = appendTime(hdr, r.Responded)
	hdr = binary.AppendVarint(hdr, int64(r.HTTPStatus))
	hdr = append(hdr, r.RequestHash[:]...)
	hdr = binary.AppendUvarint(hdr, uint64(len(r.Steps)))
	for _, s := range r.Steps {
		hdr = appendString(hdr, s.Name)
		hdr = appendString(hdr, s.Outcome)
		hdr = appendString(hdr, s.Detail)
		hdr = binary.AppendVarint(hdr, int64(s.Duration))
	}
	return hdr
}

// reader decodes varints and length-prefixed fields from b; str returns substrings of s, which
// holds the same bytes as b (so strings cost no allocation each). The first error sticks.
type reader struct {
	b   []byte
	s   string
	off int
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

// span returns the bounds of the next n bytes.
func (r *reader) span(n uint64) (int, int) {
	if r.err != nil || n > uint64(len(r.b)-r.off) {
		r.fail()
		return 0, 0
	}
	i := r.off
	r.off += int(n)
	return i, r.off
}

func (r *reader) bytes() []byte {
	i, j := r.span(r.uvarint())
	if i == j {
		return nil
	}
	return r.b[i:j:j]
}

func (r *reader) str() string {
	i, j := r.span(r.uvarint())
	return r.s[i:j]
}

func (r *reader) time() time.Time {
	sec, nsec := r.varint(), r.uvarint()
	if nsec >= 1e9 {
		r.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// decodeRecord decodes v, which the Record then owns (Request and Response alias it). Of a
// version 2 value it returns only where the record is (decodeBlob reads it from there).
func decodeRecord(v []byte) (*Record, *bodyRef, error) {
	if len(v) > 0 && v[0] == codecVersionRef {
		body, err := decodeRef(v)
		return nil, body, err
	}
	if len(v) == 0 || v[0] != codecVersion {
		return nil, nil, fmt.Errorf("%w: unknown version", errCorrupt)
	}
	outer := reader{b: v, off: 1}
	i, j := outer.span(outer.uvarint())
	if outer.err != nil {
		return nil, nil, outer.err
	}
	rec, err := decodeHeader(v[i:j])
	rec.Request = outer.bytes()
	rec.Response = outer.bytes()
	if outer.err == nil && outer.off != len(v) {
		outer.fail()
	}
	if err := errors.Join(err, outer.err); err != nil {
		return nil, nil, err
	}
	return rec, nil, nil
}

// decodeBlob decodes the record of a version 2 value from its blob b (blobs checked its CRC).
func decodeBlob(b []byte, body *bodyRef) (*Record, error) {
	if int64(len(b)) != body.Len {
		return nil, errCorrupt
	}
	rec, err := decodeHeader(b[:body.hdrLen])
	if err != nil {
		return nil, err
	}
	if n := body.hdrLen + body.reqLen; body.reqLen > 0 {
		rec.Request = b[body.hdrLen:n:n]
	}
	if n := body.hdrLen + body.reqLen; int64(len(b)) > n {
		rec.Response = b[n:]
	}
	return rec, nil
}

// decodeHeader decodes a header (encodeHeader); the Record's strings share one copy of it. The
// Record is never nil, its fields partial on error.
func decodeHeader(hdr []byte) (*Record, error) {
	h := reader{b: hdr, s: string(hdr)}
	rec := &Record{}
	for _, p := range [...]*string{&rec.Sender, &rec.MessageID, &rec.SessionID, &rec.CorrelationID,
		&rec.ServiceID, &rec.RouteID, &rec.Channel, &rec.IIN, &rec.SignerIIN, &rec.SignerBIN,
		&rec.SignerSubject, &rec.Status} {
		*p = h.str()
	}
	rec.Received = h.time()
	rec.Responded = h.time()
	rec.HTTPStatus = int(h.varint())
	if a, b := h.span(32); h.err == nil {
		copy(rec.RequestHash[:], h.b[a:b])
	}
	// Each step takes at least 4 bytes: bound the allocation by what is left.
	if n := h.uvarint(); n > uint64(len(h.b)-h.off)/4 {
		h.fail()
	} else if n > 0 {
		rec.Steps = make([]Step, n)
		for k := range rec.Steps {
			s := &rec.Steps[k]
			s.Name, s.Outcome, s.Detail = h.str(), h.str(), h.str()
			s.Duration = time.Duration(h.varint())
		}
	}
	if h.err == nil && h.off != len(h.b) {
		h.fail()
	}
	return rec, h.err
}

func summaryOf(r *Record) Summary {
	s := Summary{Sender: r.Sender, MessageID: r.MessageID, SessionID: r.SessionID, ServiceID: r.ServiceID,
		IIN: r.IIN, Status: r.Status, Received: r.Received}
	if !r.Responded.IsZero() {
		s.Took = r.Responded.Sub(r.Received)
	}
	return s
}

func encodeSummary(s *Summary) []byte {
	b := make([]byte, 0, 1+6+len(s.Sender)+len(s.MessageID)+len(s.SessionID)+len(s.ServiceID)+
		len(s.IIN)+len(s.Status)+2*binary.MaxVarintLen64)
	b = append(b, codecVersion)
	for _, f := range [...]string{s.Sender, s.MessageID, s.SessionID, s.ServiceID, s.IIN, s.Status} {
		b = appendString(b, f)
	}
	b = binary.AppendVarint(b, s.Received.UnixNano())
	return binary.AppendVarint(b, int64(s.Took))
}

// decodeSummary decodes v; v may be badger's buffer, valid only during the call: the strings
// are copied (one allocation for all of them).
func decodeSummary(v []byte) (Summary, error) {
	var s Summary
	if len(v) == 0 || v[0] != codecVersion {
		return s, fmt.Errorf("%w: unknown summary version", errCorrupt)
	}
	r := reader{b: v, s: string(v), off: 1}
	for _, p := range [...]*string{&s.Sender, &s.MessageID, &s.SessionID, &s.ServiceID, &s.IIN, &s.Status} {
		*p = r.str()
	}
	s.Received = time.Unix(0, r.varint()).UTC()
	s.Took = time.Duration(r.varint())
	if r.err == nil && r.off != len(v) {
		r.fail()
	}
	return s, r.err
}
