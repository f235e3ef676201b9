package signing

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Limits bound what Parse accepts. Zero fields take the defaults.
type Limits struct {
	MaxBytes    int // input size (default 8 MiB)
	MaxDepth    int // element nesting (default 64)
	MaxElements int // elements in the document (default 200 000)
	MaxAttrs    int // attributes of one element, namespace declarations included (default 128)
}

// Default limits.
const (
	DefaultMaxBytes    = 8 << 20
	DefaultMaxDepth    = 64
	DefaultMaxElements = 200000
	DefaultMaxAttrs    = 128
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = DefaultMaxAttrs
	}
	return l
}

var bom = []byte("\xef\xbb\xbf")

// Parse reads one XML document strictly: UTF-8 only (a leading byte-order mark and whitespace
// before the XML declaration are tolerated), no DOCTYPE or other directive, no processing
// instruction other than the XML declaration, one root element and nothing but comments and
// whitespace around it, namespace-well-formed, no two attributes with the same expanded name, and
// within lim. Attribute values are normalized as XML requires (a literal tab, newline or carriage
// return becomes a space), which encoding/xml does not do by itself.
//
// The document is read in one pass by a hand-written parser (xmlparse.go) that builds the tree
// encoding/xml and etree used to build, token for token, and accepts and refuses the same
// documents with the same codes. A document that pass does not accept (any refusal, or a comment
// starting with ">" or "->", which prescan reads differently) goes through prescan and the
// parser's exact mode, the earlier implementation's phases in their order, so that the refusal
// carries the code it always had. The strings of the tree are copies: none keeps the input alive.
//
// Every refusal is an *Error with one of the XML_* codes.
func Parse(b []byte, lim Limits) (*etree.Document, error) {
	lim = lim.withDefaults()
	b, err := checkInput(b, lim)
	if err != nil {
		return nil, err
	}
	if doc, ok := parseFast(b, lim); ok {
		return doc, nil
	}
	if b, err = prescan(b, lim); err != nil {
		return nil, err
	}
	return parseExact(b, lim)
}

// checkInput applies the size limit and the encoding checks every parse starts with, and returns
// the document without its byte order mark and leading whitespace.
func checkInput(b []byte, lim Limits) ([]byte, error) {
	if len(b) > lim.MaxBytes {
		return nil, fail(CodeXMLLimit, "document of %d bytes exceeds the limit of %d", len(b), lim.MaxBytes)
	}
	b = bytes.TrimPrefix(b, bom)
	if len(b) >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0xff && b[1] == 0xfe) || bytes.IndexByte(b, 0) >= 0 {
		return nil, fail(CodeXMLEncoding, "NUL bytes or UTF-16/UTF-32 input: only UTF-8 is accepted")
	}
	if !utf8.Valid(b) {
		return nil, fail(CodeXMLEncoding, "input is not valid UTF-8")
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	return b, nil
}

// checkDeclaration checks the pseudo-attributes of the XML declaration: version 1.0, encoding (if
// any) UTF-8.
func checkDeclaration(inst string) error {
	rest := inst
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
		name := strings.TrimRight(rest[:eq], " \t\r\n")
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		if rest == "" || rest[0] != '"' && rest[0] != '\'' {
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
		value := rest[1 : 1+end]
		rest = rest[end+2:]
		switch name {
		case "version":
			if value != "1.0" {
				return fail(CodeXMLMalformed, "XML version %q", value)
			}
		case "encoding":
			if !strings.EqualFold(value, "UTF-8") {
				return fail(CodeXMLEncoding, "encoding %q: only UTF-8 is accepted", value)
			}
		case "standalone":
		default:
			return fail(CodeXMLMalformed, "malformed XML declaration")
		}
	}
}

// prescan walks the markup of b before the tree is built: it refuses directives and processing
// instructions early, bounds the number of elements and of attributes per element before any
// memory is spent on them, and normalizes literal whitespace inside attribute values (XML 1.0
// §3.3.3: tab, newline and carriage return, a CR LF pair counting once, become a space). It
// returns b itself when nothing had to change. Malformed markup is left to the parser.
//
// It is the first phase of the earlier implementation, kept as it was: Parse runs it, then
// parseExact, on the documents the fast pass does not accept, so that they are refused as they
// always were (the same code for the same input).
func prescan(b []byte, lim Limits) ([]byte, error) {
	var out []byte // the rewritten input, once something changed
	copied := 0    // b[:copied] is in out
	elements := 0
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if text := b[i:]; j < 0 && surrogateRef(text) || j >= 0 && surrogateRef(text[:j]) {
			return nil, fail(CodeXMLMalformed, "character reference to a surrogate code point")
		}
		if j < 0 {
			break
		}
		i += j
		rest := b[i:]
		skip := func(end string) int {
			k := bytes.Index(rest, []byte(end))
			if k < 0 {
				return len(rest)
			}
			return k + len(end)
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i += skip("-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i += skip("]]>")
		case bytes.HasPrefix(rest, []byte("<!")):
			return nil, fail(CodeXMLDoctype, "DOCTYPE or other directive")
		case bytes.HasPrefix(rest, []byte("<?")):
			if i != 0 || !isDeclaration(rest) {
				return nil, fail(CodeXMLMalformed, "processing instruction other than the XML declaration")
			}
			i += skip("?>")
		case bytes.HasPrefix(rest, []byte("</")):
			i += skip(">")
		default:
			elements++
			if elements > lim.MaxElements {
				return nil, fail(CodeXMLLimit, "more than %d elements", lim.MaxElements)
			}
			attrs := 0
			k := i + 1
			for ; k < len(b) && b[k] != '>'; k++ {
				q := b[k]
				if q != '"' && q != '\'' {
					continue
				}
				attrs++
				if attrs > lim.MaxAttrs {
					return nil, fail(CodeXMLLimit, "an element has more than %d attributes", lim.MaxAttrs)
				}
				start := k + 1
				for k++; k < len(b) && b[k] != q; k++ {
					switch b[k] {
					case '\t', '\n', '\r':
						out = append(out, b[copied:k]...)
						out = append(out, ' ')
						copied = k + 1
						if b[k] == '\r' && k+1 < len(b) && b[k+1] == '\n' {
							k++
							copied = k + 1
						}
					}
				}
				if surrogateRef(b[start:min(k, len(b))]) {
					return nil, fail(CodeXMLMalformed, "character reference to a surrogate code point")
				}
			}
			i = k + 1
		}
	}
	if out == nil {
		return b, nil
	}
	return append(out, b[copied:]...), nil
}

// surrogateRef reports whether s holds a character reference to a surrogate code point (&#xD800;
// to &#xDFFF;), which is not a character: encoding/xml turns it into U+FFFD where libxml2 and
// Xerces refuse the document, so two different inputs would canonicalize alike.
func surrogateRef(s []byte) bool {
	for {
		i := bytes.Index(s, []byte("&#"))
		if i < 0 {
			return false
		}
		s = s[i+2:]
		end := bytes.IndexByte(s, ';')
		if end < 0 {
			return false
		}
		ref, base := string(s[:end]), 10
		if strings.HasPrefix(ref, "x") {
			ref, base = ref[1:], 16
		}
		if n, err := strconv.ParseUint(ref, base, 32); err == nil && n >= 0xD800 && n <= 0xDFFF {
			return true
		}
		s = s[end:]
	}
}

func isDeclaration(b []byte) bool {
	return len(b) > 5 && string(b[:5]) == "<?xml" && strings.IndexByte(" \t\r\n", b[5]) >= 0
}
