package msglog

import (
	"bytes"
	"testing"

	"github.com/shep-kz/shep/store/blobs"
)

// A version 2 value decodes to exactly what was encoded; every truncation and any extra byte is
// refused; the blob it points to decodes to the record.
func TestRecordRef(t *testing.T) {
	rec := &Record{Sender: "s", MessageID: "m", SessionID: "{x}", Status: "SCSS001", Request: []byte("<req/>"), Response: []byte("<resp/>"),
		Steps: []Step{{Name: "parse", Outcome: "ok"}}}
	hdr := encodeHeader(rec, 0)
	blob := append(append(append([]byte{}, hdr...), rec.Request...), rec.Response...)
	body := bodyRef{Ref: blobs.Ref{Seg: 1 << 31, Off: 1 << 40, Len: int64(len(blob)), Sum: 0xdeadbeef},
		hdrLen: int64(len(hdr)), reqLen: int64(len(rec.Request))}
	v := encodeRecordRef(body)
	got, err := decodeRef(v)
	if err != nil || *got != body {
		t.Fatalf("decodeRef = %+v, %v; want %+v", got, err, body)
	}
	for n := range len(v) {
		if _, _, err := decodeRecord(v[:n]); err == nil {
			t.Fatalf("a value cut to %d of %d bytes decoded", n, len(v))
		}
	}
	if _, _, err := decodeRecord(append(v, 0)); err == nil {
		t.Fatal("a value with an extra byte decoded")
	}
	r, err := decodeBlob(blob, got)
	if err != nil || r.MessageID != "m" || !bytes.Equal(r.Request, rec.Request) || !bytes.Equal(r.Response, rec.Response) || len(r.Steps) != 1 {
		t.Fatalf("decodeBlob = %+v, %v", r, err)
	}
	if _, err := decodeBlob(blob[:len(blob)-1], got); err == nil {
		t.Fatal("a short blob decoded")
	}
	bad := *got
	bad.hdrLen--
	if _, err := decodeBlob(blob, &bad); err == nil {
		t.Fatal("a blob decoded with the wrong header length")
	}
}

// Whatever a store or a segment holds, decoding a version 2 value and its blob errs or succeeds,
// never panics or slices out of range.
func FuzzDecodeRef(f *testing.F) {
	rec := &Record{Sender: "s", MessageID: "m", SessionID: "{x}", Request: []byte("<a/>"), Response: []byte("<b/>")}
	hdr := encodeHeader(rec, 0)
	blob := append(append(append([]byte{}, hdr...), rec.Request...), rec.Response...)
	f.Add(encodeRecordRef(bodyRef{Ref: blobs.Ref{Seg: 3, Off: 77, Len: int64(len(blob))}, hdrLen: int64(len(hdr)), reqLen: 4}), blob)
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{})
	f.Fuzz(func(t *testing.T, v, blob []byte) {
		r, body, err := decodeRecord(v)
		if err != nil {
			return
		}
		if (r == nil) == (body == nil) {
			t.Fatalf("decodeRecord gave a record %v and a pointer %v", r, body)
		}
		if body == nil {
			return
		}
		if body.hdrLen+body.reqLen > body.Len || body.Len < 0 {
			t.Fatalf("pointer with parts larger than the whole: %+v", body)
		}
		if got, err := decodeBlob(blob, body); err == nil && int64(len(got.Request)+len(got.Response)) != body.Len-body.hdrLen {
			t.Fatalf("decoded bodies of %d+%d bytes from a pointer to %d after a header of %d", len(got.Request), len(got.Response), body.Len, body.hdrLen)
		}
	})
}
