package pkcs12

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"math"
	"math/big"
)

// ASN.1 classes as they appear in the identifier octet (bits 8-7).
const (
	classUniversal   = 0
	classContext     = 2
	tagInteger       = 2
	tagOctetString   = 4
	tagNull          = 5
	tagOID           = 6
	tagUTF8String    = 12
	tagSequence      = 16
	tagSet           = 17
	tagBMPString     = 30
	maxOctetsLength  = 1 << 26
	maxIntegerLength = 8
)

// element is one parsed BER TLV. PKCS#12 files in the wild (НУЦ's among them) use BER: indefinite
// lengths and constructed OCTET STRINGs, which encoding/asn1 refuses, hence this small reader.
type element struct {
	class       int
	tag         int
	constructed bool
	content     []byte    // the contents octets (for indefinite lengths: without the end-of-contents)
	children    []element // parsed contents of a constructed element
	raw         []byte    // the whole encoding, identifier to end
}

// berReader parses BER with bounds on nesting and on the number of elements of one Decode call.
type berReader struct {
	maxDepth int
	maxNodes int
	nodes    int
}

// parseOne parses exactly one element that must fill data.
func (r *berReader) parseOne(data []byte, what string) (element, error) {
	e, rest, err := r.parse(data, 0)
	if err != nil {
		return element{}, fmt.Errorf("%w (in %s)", err, what)
	}
	if len(rest) != 0 {
		return element{}, fmt.Errorf("%w: %s: %d bytes of trailing data", ErrMalformed, what, len(rest))
	}
	return e, nil
}

func (r *berReader) parse(data []byte, depth int) (element, []byte, error) {
	if depth > r.maxDepth {
		return element{}, nil, fmt.Errorf("%w: ASN.1 nesting deeper than %d", ErrLimit, r.maxDepth)
	}
	r.nodes++
	if r.nodes > r.maxNodes {
		return element{}, nil, fmt.Errorf("%w: more than %d ASN.1 elements", ErrLimit, r.maxNodes)
	}
	if len(data) < 2 {
		return element{}, nil, fmt.Errorf("%w: truncated ASN.1 element", ErrMalformed)
	}
	var e element
	b := data[0]
	e.class = int(b >> 6)
	e.constructed = b&0x20 != 0
	e.tag = int(b & 0x1f)
	i := 1
	if e.tag == 0x1f {
		e.tag = 0
		for n := 0; ; n++ {
			if i >= len(data) {
				return element{}, nil, fmt.Errorf("%w: truncated ASN.1 tag", ErrMalformed)
			}
			if n == 4 {
				return element{}, nil, fmt.Errorf("%w: ASN.1 tag number too large", ErrMalformed)
			}
			c := data[i]
			i++
			e.tag = e.tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(data) {
		return element{}, nil, fmt.Errorf("%w: truncated ASN.1 length", ErrMalformed)
	}
	lb := data[i]
	i++
	switch {
	case lb < 0x80:
		return r.definite(e, data, i, int(lb), depth)
	case lb == 0x80:
		if !e.constructed {
			return element{}, nil, fmt.Errorf("%w: indefinite length on a primitive ASN.1 element", ErrMalformed)
		}
		return r.indefinite(e, data, i, depth)
	default:
		n := int(lb & 0x7f)
		if n > 4 || i+n > len(data) {
			return element{}, nil, fmt.Errorf("%w: bad ASN.1 length", ErrMalformed)
		}
		length := 0
		for _, c := range data[i : i+n] {
			length = length<<8 | int(c)
		}
		return r.definite(e, data, i+n, length, depth)
	}
}

func (r *berReader) definite(e element, data []byte, start, length, depth int) (element, []byte, error) {
	if length < 0 || length > len(data)-start {
		return element{}, nil, fmt.Errorf("%w: ASN.1 length %d exceeds the %d bytes available", ErrMalformed, length, len(data)-start)
	}
	end := start + length
	e.content = data[start:end]
	e.raw = data[:end]
	if e.constructed {
		rest := e.content
		for len(rest) > 0 {
			child, next, err := r.parse(rest, depth+1)
			if err != nil {
				return element{}, nil, err
			}
			if isEOC(child) {
				return element{}, nil, fmt.Errorf("%w: end-of-contents inside a definite-length element", ErrMalformed)
			}
			e.children = append(e.children, child)
			rest = next
		}
	} else if e.class == classUniversal && e.tag == 0 && length != 0 {
		return element{}, nil, fmt.Errorf("%w: malformed end-of-contents", ErrMalformed)
	}
	return e, data[end:], nil
}

func (r *berReader) indefinite(e element, data []byte, start, depth int) (element, []byte, error) {
	rest := data[start:]
	for {
		if len(rest) < 2 {
			return element{}, nil, fmt.Errorf("%w: indefinite-length element without end-of-contents", ErrMalformed)
		}
		if rest[0] == 0 && rest[1] == 0 {
			end := len(data) - len(rest)
			e.content = data[start:end]
			e.raw = data[:end+2]
			return e, rest[2:], nil
		}
		child, next, err := r.parse(rest, depth+1)
		if err != nil {
			return element{}, nil, err
		}
		e.children = append(e.children, child)
		rest = next
	}
}

func isEOC(e element) bool {
	return e.class == classUniversal && e.tag == 0 && !e.constructed
}

func (e element) is(class, tag int) bool { return e.class == class && e.tag == tag }

// universal reports whether e is the universal type tag.
func (e element) universal(tag int) bool { return e.is(classUniversal, tag) }

// sequence checks that e is a SEQUENCE with at least minChildren children.
func (e element) sequence(what string, minChildren int) error {
	if !e.universal(tagSequence) || !e.constructed {
		return fmt.Errorf("%w: %s: expected a SEQUENCE", ErrMalformed, what)
	}
	if len(e.children) < minChildren {
		return fmt.Errorf("%w: %s: %d elements, want at least %d", ErrMalformed, what, len(e.children), minChildren)
	}
	return nil
}

// explicit returns the single child of the context-specific constructed tag [n] EXPLICIT.
func (e element) explicit(n int, what string) (element, error) {
	if !e.is(classContext, n) || !e.constructed || len(e.children) != 1 {
		return element{}, fmt.Errorf("%w: %s: expected [%d] EXPLICIT with one element", ErrMalformed, what, n)
	}
	return e.children[0], nil
}

// octets returns the value of an OCTET STRING (or of an implicitly tagged one), joining the segments
// of a constructed encoding.
func (e element) octets(what string) ([]byte, error) {
	if !e.constructed {
		return e.content, nil
	}
	var out []byte
	if err := e.appendOctets(&out, what); err != nil {
		return nil, err
	}
	return out, nil
}

func (e element) appendOctets(out *[]byte, what string) error {
	if !e.constructed {
		if len(*out)+len(e.content) > maxOctetsLength {
			return fmt.Errorf("%w: %s: OCTET STRING too long", ErrLimit, what)
		}
		*out = append(*out, e.content...)
		return nil
	}
	for _, c := range e.children {
		if !c.universal(tagOctetString) {
			return fmt.Errorf("%w: %s: a constructed OCTET STRING holds a non-OCTET STRING segment", ErrMalformed, what)
		}
		if err := c.appendOctets(out, what); err != nil {
			return err
		}
	}
	return nil
}

// octetString checks the universal OCTET STRING tag and returns its value.
func (e element) octetString(what string) ([]byte, error) {
	if !e.universal(tagOctetString) {
		return nil, fmt.Errorf("%w: %s: expected an OCTET STRING", ErrMalformed, what)
	}
	return e.octets(what)
}

// oid decodes an OBJECT IDENTIFIER.
func (e element) oid(what string) (asn1.ObjectIdentifier, error) {
	if !e.universal(tagOID) || e.constructed {
		return nil, fmt.Errorf("%w: %s: expected an OBJECT IDENTIFIER", ErrMalformed, what)
	}
	oid, err := decodeOID(e.content)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	return oid, nil
}

func decodeOID(b []byte) (asn1.ObjectIdentifier, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("empty OBJECT IDENTIFIER")
	}
	var arcs []int
	v := 0
	first := true
	for i, c := range b {
		if v == 0 && c == 0x80 {
			return nil, fmt.Errorf("non-minimal OBJECT IDENTIFIER arc")
		}
		if v > (math.MaxInt32 >> 7) {
			return nil, fmt.Errorf("OBJECT IDENTIFIER arc too large")
		}
		v = v<<7 | int(c&0x7f)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return nil, fmt.Errorf("truncated OBJECT IDENTIFIER")
			}
			continue
		}
		if first {
			switch {
			case v < 40:
				arcs = append(arcs, 0, v)
			case v < 80:
				arcs = append(arcs, 1, v-40)
			default:
				arcs = append(arcs, 2, v-80)
			}
			first = false
		} else {
			arcs = append(arcs, v)
		}
		v = 0
	}
	return asn1.ObjectIdentifier(arcs), nil
}

// integer decodes an INTEGER that fits in 63 bits.
func (e element) integer(what string) (int64, error) {
	if !e.universal(tagInteger) || e.constructed || len(e.content) == 0 {
		return 0, fmt.Errorf("%w: %s: expected an INTEGER", ErrMalformed, what)
	}
	if len(e.content) > maxIntegerLength {
		// Accept redundant leading zero (or 0xff) octets, then insist on the value fitting.
		v := new(big.Int).SetBytes(e.content)
		if e.content[0]&0x80 != 0 {
			v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(e.content))))
		}
		if !v.IsInt64() {
			return 0, fmt.Errorf("%w: %s: INTEGER out of range", ErrMalformed, what)
		}
		return v.Int64(), nil
	}
	var v int64
	if e.content[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range e.content {
		v = v<<8 | int64(c)
	}
	return v, nil
}

// text decodes a BMPString (UTF-16BE); a UTF8String is accepted too.
func (e element) text(what string) (string, error) {
	switch {
	case e.universal(tagUTF8String):
		b, err := e.octets(what)
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD"))), err
	case e.universal(tagBMPString):
		b, err := e.octets(what)
		if err != nil {
			return "", err
		}
		if len(b)%2 != 0 {
			return "", fmt.Errorf("%w: %s: BMPString of odd length", ErrMalformed, what)
		}
		return decodeUTF16BE(b), nil
	default:
		return "", fmt.Errorf("%w: %s: expected a BMPString", ErrMalformed, what)
	}
}
