package signing

import (
	"bytes"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/signing/c14n"
)

// This file holds the parser behind Parse: one pass from the bytes straight into an etree tree,
// built with etree's exported API (AddChild, CreateAttr, SetData), so that parent pointers,
// child indexes and attribute owners are what etree's own reader sets.
//
// The contract is to accept exactly what the earlier implementation accepted and to build exactly
// the tree it built: prescan (parse.go), then encoding/xml's RawToken in strict mode through
// etree's ReadFromBytes (PreserveDuplicateAttrs, MaxDepth), then the prolog and namespace checks.
// That implementation is kept in parse_ref_test.go as parseXMLReference, the oracle of the
// differential tests.
//
// The parser runs in one of two modes.
//
// The fast mode (parseFast) is the normal path. It applies prescan's rules as it reads (no
// directive, the XML declaration as the only processing instruction, no reference to a surrogate,
// the element and attribute limits) and normalizes whitespace in attribute values as prescan does.
// It stops at the first thing it does not accept and reports only that it did not: which refusal
// the earlier implementation made depends on the order of its phases (prescan over the whole
// document first, then encoding/xml's first error, then the checks over the finished tree), not
// on the position of the first fault.
//
// The exact mode (parseExact) runs after prescan has passed and rewritten the input, and
// emulates encoding/xml, etree and the checks without any of prescan's rules: no attribute
// normalization (prescan did it), U+FFFD for a reference to a surrogate, directives and
// processing instructions read and refused later. It stops at the first error encoding/xml or
// etree would return, and records the first refusal of the prolog check and the first of the
// element checks, returned in the reference's order once the input is read. It also reads a
// document whose comment starts with ">" or "->", which prescan's markup scan takes to end early
// (it looks for "-->" from the "<!--" itself): the reference scans and rewrites the rest of such a
// comment as markup, and only this mode reproduces that.
//
// Costs stay linear: the limits are checked as the tags are read (the fast mode gives up at the
// first element or attribute over them, having spent memory only on what the limits allow),
// prefixes are looked up in a stack that gets an index once it is deep (nsScope), duplicate
// attributes are found through a map once there are many, and attributes are created on an empty
// view of their slice so that etree's CreateAttr does not compare each with all the previous ones.
// Nodes are cut from slabs (etree's zero values are usable; AddChild sets parent and index). The
// strings in the tree are copies of the input, names and indentation shared through a small
// cache, and never slices of one copy of the whole input, which anything kept from the tree would
// keep alive.

// slabMax bounds the slabs the nodes are cut from.
const slabMax = 1024

// errFallback is returned by the fast mode for anything it does not accept.
var errFallback = errors.New("signing: not accepted by the fast parser")

// parseFast reads b in the fast mode; ok is false when the document must go through prescan and
// parseExact.
func parseFast(b []byte, lim Limits) (doc *etree.Document, ok bool) {
	p := newXMLParser(b, lim, false)
	doc, err := p.parse()
	return doc, err == nil
}

// parseExact reads b, already through prescan, exactly as encoding/xml and etree did and applies
// the prolog and element checks, refusing with the code the reference implementation returns.
func parseExact(b []byte, lim Limits) (*etree.Document, error) {
	p := newXMLParser(b, lim, true)
	return p.parse()
}

// Byte classes.
const (
	cText  = 1 << iota // needs a look in character data: < & CR ] 0xEF, control characters
	cAttr              // needs a look in an attribute value: quotes < & TAB LF CR 0xEF, controls
	cCData             // needs a look in a CDATA section: CR 0xEF, control characters
	cName              // may be part of a name as encoding/xml reads one
	cSpace             // XML whitespace
)

var xmlClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		if c != '\t' && c != '\n' {
			t[c] |= cText | cCData
		}
		t[c] |= cAttr
	}
	for _, c := range "<&]\r" {
		t[c] |= cText
	}
	for _, c := range "\"'<&" {
		t[c] |= cAttr
	}
	t[0xEF] |= cText | cAttr | cCData // U+FFFE and U+FFFF are not characters
	for c := 0; c < 256; c++ {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == ':' || c == '.' || c == '-' || c >= 0x80 {
			t[c] |= cName
		}
	}
	for _, c := range " \t\r\n" {
		t[c] |= cSpace
	}
	return t
}()

type xmlParser struct {
	s     []byte // the input, read only
	pos   int
	lim   Limits
	exact bool

	doc  *etree.Document
	open []openElement
	toks []etree.Token // children of the open elements and of the document, innermost last
	ns   nsScope

	attrs []rawAttr
	names []attrName
	seen  map[attrName]bool
	buf   []byte
	strs  [2 << internBits]string // copies of names and indentation, see intern

	elements int

	// Slabs the nodes are cut from, a few allocations for the whole tree: the first ones sized
	// from the number of '<' in the input, each next one twice the previous one, up to slabMax.
	elemSlab []etree.Element
	textSlab []etree.CharData
	attrSlab []etree.Attr
	tokSlab  []etree.Token
	elemNext int // size of the next slab of each kind
	textNext int
	attrNext int
	tokNext  int

	// The first backing arrays of the stacks and scratch slices, in the parser's own allocation.
	first struct {
		open        [16]openElement
		toks        [32]etree.Token
		prefix, uri [16]string
		attrs       [8]rawAttr
		names       [8]attrName
	}

	// Exact mode: the state of the checks that run on the finished tree in the reference.
	top       int   // top-level tokens so far
	roots     int   // top-level elements
	build     bool  // still building: nothing has been refused yet
	prologErr error // first refusal of a top-level token
	elemErr   error // first refusal inside the root, in document order
}

type openElement struct {
	name   string // qualified name, as the end tag must repeat it
	el     *etree.Element
	mark   int // len(toks) when the element was opened
	nsMark int
}

type rawAttr struct {
	name, space, local, value string
}

type attrName struct{ space, local string }

func newXMLParser(b []byte, lim Limits, exact bool) *xmlParser {
	p := &xmlParser{s: b, lim: lim, exact: exact, build: true}
	p.doc = etree.NewDocument()
	p.doc.ReadSettings = etree.ReadSettings{PreserveDuplicateAttrs: true, MaxDepth: lim.MaxDepth}
	return p
}

// malformed refuses the document the way encoding/xml or etree would: at once.
func (p *xmlParser) malformed(format string, args ...any) error {
	if !p.exact {
		return errFallback
	}
	return fail(CodeXMLMalformed, format, args...)
}

// refuseTop records the refusal of a top-level token (the reference's checkProlog), which comes
// after any error of encoding/xml however late in the document.
func (p *xmlParser) refuseTop(code Code, format string, args ...any) error {
	if !p.exact {
		return errFallback
	}
	if p.prologErr == nil {
		p.prologErr = fail(code, format, args...)
	}
	p.build = false
	return nil
}

// refuseInside records the refusal of an element or of a token inside one (the reference's
// checkElement), which comes after any error of encoding/xml and any refusal of a top-level token.
func (p *xmlParser) refuseInside(code Code, format string, args ...any) error {
	if !p.exact {
		return errFallback
	}
	if p.elemErr == nil {
		p.elemErr = fail(code, format, args...)
	}
	p.build = false
	return nil
}

// refuse records a refusal of a token at the current level.
func (p *xmlParser) refuse(code Code, format string, args ...any) error {
	if len(p.open) == 0 {
		return p.refuseTop(code, format, args...)
	}
	return p.refuseInside(code, format, args...)
}

func (p *xmlParser) parse() (*etree.Document, error) {
	// About one element per start and end tag pair: the first slabs are cut for that, and never
	// larger than slabMax whatever the input holds.
	elems := bytes.Count(p.s, []byte("<"))/2 + 1
	p.elemNext = min(elems, slabMax)
	p.textNext = min(elems/2+4, slabMax)
	p.attrNext = 16
	p.tokNext = min(elems+4, slabMax)
	p.open = p.first.open[:0]
	p.toks = p.first.toks[:0]
	p.ns.prefix = p.first.prefix[:0]
	p.ns.uri = p.first.uri[:0]
	p.attrs = p.first.attrs[:0]
	p.names = p.first.names[:0]
	s := p.s
	for p.pos < len(s) {
		var err error
		if s[p.pos] != '<' {
			err = p.text()
		} else if p.pos+1 == len(s) {
			err = p.malformed("unexpected end of input after <")
		} else {
			switch s[p.pos+1] {
			case '/':
				err = p.endTag()
			case '?':
				err = p.procInst()
			case '!':
				err = p.bang()
			default:
				err = p.startTag()
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if n := len(p.open); n > 0 {
		return nil, p.malformed("unexpected end of input: <%s> is not closed", p.open[n-1].name)
	}
	if p.prologErr != nil {
		return nil, p.prologErr
	}
	if p.roots != 1 {
		if !p.exact {
			return nil, errFallback
		}
		return nil, fail(CodeXMLMalformed, "%d root elements", p.roots)
	}
	if p.elemErr != nil {
		return nil, p.elemErr
	}
	p.doc.Child = make([]etree.Token, 0, len(p.toks))
	for _, t := range p.toks {
		p.doc.AddChild(t)
	}
	return p.doc, nil
}

// addToken adds t as a child of the innermost open element, or of the document.
func (p *xmlParser) addToken(t etree.Token) {
	p.toks = append(p.toks, t)
}

// text reads character data up to the next '<' or the end of the input.
func (p *xmlParser) text() error {
	s := p.s
	start := p.pos
	i := scanPlain(s, start, cText)
	var data string
	if i == len(s) || s[i] == '<' {
		data = p.own(s[start:i])
	} else {
		var err error
		if data, i, err = p.textSlow(start, i); err != nil {
			return err
		}
	}
	p.pos = i
	return p.charData(data)
}

// textSlow continues text from s[i], a byte of class cText.
func (p *xmlParser) textSlow(start, i int) (string, int, error) {
	s := p.s
	buf := p.buf[:0]
	copying := false
	last := start // with copying, s[last:i] is still to be copied
	for i < len(s) {
		c := s[i]
		if xmlClass[c]&cText == 0 {
			i++
			continue
		}
		switch {
		case c == '<':
			goto done
		case c == ']':
			if hasPrefix(s[i:], "]]>") {
				return "", 0, p.malformed("]]> in character data")
			}
			i++
		case c == 0xEF:
			if nonCharacter(s, i) {
				return "", 0, p.malformed("U+FFFE or U+FFFF in character data")
			}
			i++
		case c == '&', c == '\r':
			if !copying {
				copying = true
				buf = append(buf, s[start:i]...)
			} else {
				buf = append(buf, s[last:i]...)
			}
			if c == '\r' {
				buf = append(buf, '\n')
				i++
				if i < len(s) && s[i] == '\n' {
					i++
				}
			} else {
				var err error
				if buf, i, err = p.reference(buf, i); err != nil {
					return "", 0, err
				}
			}
			last = i
		default:
			return "", 0, p.malformed("control character %#x in character data", c)
		}
	}
done:
	if !copying {
		return p.own(s[start:i]), i, nil
	}
	buf = append(buf, s[last:i]...)
	p.buf = buf
	return string(buf), i, nil
}

// scanPlain returns the position of the first byte of s from i on that is in class, len(s) if
// there is none; eight bytes a step while it can.
func scanPlain(s []byte, i int, class uint8) int {
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8]
		if (xmlClass[b[0]]|xmlClass[b[1]]|xmlClass[b[2]]|xmlClass[b[3]]|
			xmlClass[b[4]]|xmlClass[b[5]]|xmlClass[b[6]]|xmlClass[b[7]])&class != 0 {
			break
		}
	}
	for i < len(s) && xmlClass[s[i]]&class == 0 {
		i++
	}
	return i
}

// nonCharacter reports whether s[i:] starts with U+FFFE or U+FFFF.
func nonCharacter(s []byte, i int) bool {
	return i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF)
}

// reference appends the character that the reference at s[i] ('&') stands for and returns the
// position after it. Only the five predefined entities and character references to XML
// characters are known.
func (p *xmlParser) reference(buf []byte, i int) ([]byte, int, error) {
	s := p.s
	j := i + 1
	if j < len(s) && s[j] == '#' {
		j++
		hex := j < len(s) && s[j] == 'x'
		if hex {
			j++
		}
		digits := j
		var n uint32
		for ; j < len(s); j++ {
			c := s[j]
			var d uint32
			switch {
			case '0' <= c && c <= '9':
				d = uint32(c - '0')
			case hex && 'a' <= c && c <= 'f':
				d = uint32(c-'a') + 10
			case hex && 'A' <= c && c <= 'F':
				d = uint32(c-'A') + 10
			default:
				goto end
			}
			if n <= utf8.MaxRune {
				if hex {
					n = n<<4 | d
				} else {
					n = n*10 + d
				}
			}
		}
	end:
		if j == digits || j == len(s) || s[j] != ';' || n > utf8.MaxRune {
			return nil, 0, p.malformed("invalid character reference %.12q", s[i:min(j+1, len(s))])
		}
		r := rune(n)
		if 0xD800 <= r && r <= 0xDFFF {
			if !p.exact {
				return nil, 0, errFallback
			}
			r = utf8.RuneError // what encoding/xml makes of it
		}
		if !inCharRange(r) {
			return nil, 0, p.malformed("character reference to %U, not an XML character", r)
		}
		return utf8.AppendRune(buf, r), j + 1, nil
	}
	for _, e := range [...]struct {
		ref string
		c   byte
	}{{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&apos;", '\''}, {"&quot;", '"'}} {
		if hasPrefix(s[i:], e.ref) {
			return append(buf, e.c), i + len(e.ref), nil
		}
	}
	k := i + 1
	for k < len(s) && k < i+16 && s[k] != ';' && s[k] != '<' {
		k++
	}
	return nil, 0, p.malformed("unknown entity or malformed reference %q", s[i:k])
}

// inCharRange reports whether r is in XML 1.0's Char production.
func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// charData adds a text node. At the top level only whitespace is allowed.
func (p *xmlParser) charData(data string) error {
	if len(p.open) == 0 {
		p.top++
		if strings.Trim(data, " \t\r\n") != "" {
			if err := p.refuseTop(CodeXMLMalformed, "text outside the root element"); err != nil {
				return err
			}
		}
	}
	if !p.build {
		return nil
	}
	if len(p.textSlab) == 0 {
		p.textSlab = make([]etree.CharData, p.textNext)
		p.textNext = min(2*p.textNext, slabMax)
	}
	t := &p.textSlab[0]
	p.textSlab = p.textSlab[1:]
	t.SetData(data) // sets the whitespace flag as etree's reader does
	p.addToken(t)
	return nil
}

// bang reads what starts with "<!": a comment, a CDATA section or a directive.
func (p *xmlParser) bang() error {
	s := p.s
	i := p.pos + 2
	if i == len(s) {
		return p.malformed("unexpected end of input after <!")
	}
	switch s[i] {
	case '-':
		if i+1 == len(s) || s[i+1] != '-' {
			return p.malformed("<!- does not start a comment")
		}
		return p.comment(i + 2)
	case '[':
		if !hasPrefix(s[i+1:], "CDATA[") {
			return p.malformed("<![ does not start a CDATA section")
		}
		return p.cdata(i + 7)
	}
	return p.directive(i)
}

// comment reads a comment whose text starts at s[i].
func (p *xmlParser) comment(i int) error {
	s := p.s
	k := bytes.Index(s[i:], []byte("--"))
	if k < 0 {
		return p.malformed("unexpected end of input in a comment")
	}
	end := i + k
	if end+2 == len(s) || s[end+2] != '>' {
		return p.malformed("-- inside a comment")
	}
	data := s[i:end]
	if !p.exact && (hasPrefix(data, ">") || hasPrefix(data, "->")) {
		return errFallback // prescan reads this comment differently: see the file comment
	}
	p.pos = end + 3
	if len(p.open) == 0 {
		p.top++
	}
	if p.build {
		p.addToken(etree.NewComment(string(data)))
	}
	return nil
}

// cdata reads a CDATA section whose text starts at s[i]. etree's reader, without PreserveCData,
// makes it a plain CharData, like text.
func (p *xmlParser) cdata(i int) error {
	s := p.s
	k := bytes.Index(s[i:], []byte("]]>"))
	if k < 0 {
		return p.malformed("unexpected end of input in a CDATA section")
	}
	end := i + k
	buf := p.buf[:0]
	copying := false
	last := i
	for j := i; j < end; j++ {
		c := s[j]
		if xmlClass[c]&cCData == 0 {
			continue
		}
		switch {
		case c == 0xEF:
			if nonCharacter(s, j) {
				return p.malformed("U+FFFE or U+FFFF in a CDATA section")
			}
		case c == '\r':
			if !copying {
				copying = true
				buf = append(buf, s[i:j]...)
			} else {
				buf = append(buf, s[last:j]...)
			}
			buf = append(buf, '\n')
			if j+1 < end && s[j+1] == '\n' {
				j++
			}
			last = j + 1
		default:
			return p.malformed("control character %#x in a CDATA section", c)
		}
	}
	var data string
	if !copying {
		data = p.own(s[i:end])
	} else {
		buf = append(buf, s[last:end]...)
		p.buf = buf
		data = string(buf)
	}
	p.pos = end + 3
	return p.charData(data)
}

// directive reads a directive (<!DOCTYPE ...> and the like) from s[i], the byte after "<!", the
// way encoding/xml does: to the first '>' outside quotes and not closing a nested '<', comments
// inside skipped. Only the exact mode gets here; the directive is refused after the parse.
func (p *xmlParser) directive(i int) error {
	if !p.exact {
		return errFallback
	}
	s := p.s
	eof := func() error { return p.malformed("unexpected end of input in a directive") }
	i++ // encoding/xml keeps the first byte without looking at it
	var quote byte
	depth := 0
	for {
		if i == len(s) {
			return eof()
		}
		c := s[i]
		i++
		if quote == 0 && c == '>' && depth == 0 {
			break
		}
	again:
		switch {
		case c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '>':
			depth--
		case c == '<':
			for k := 0; k < 3; k++ {
				if i == len(s) {
					return eof()
				}
				c = s[i]
				i++
				if c != "!--"[k] {
					depth++
					goto again
				}
			}
			k := bytes.Index(s[i:], []byte("-->"))
			if k < 0 {
				return eof()
			}
			i += k + 3
		}
	}
	p.pos = i
	if len(p.open) == 0 {
		p.top++
	}
	return p.refuse(CodeXMLDoctype, "DOCTYPE or other directive")
}

// procInst reads a processing instruction. The fast mode takes only the XML declaration at the
// start of the document.
func (p *xmlParser) procInst() error {
	s := p.s
	if !p.exact && (p.pos != 0 || len(s) < 6 || string(s[:5]) != "<?xml" || xmlClass[s[5]]&cSpace == 0) {
		return errFallback // prescan's rule: the declaration only, first
	}
	t, i, ok := p.name(p.pos + 2)
	if !ok {
		return p.malformed("expected a target name after <?")
	}
	i = skipSpace(s, i)
	k := bytes.Index(s[i:], []byte("?>"))
	if k < 0 {
		return p.malformed("unexpected end of input in a processing instruction")
	}
	target, inst := p.intern(t), string(s[i:i+k])
	p.pos = i + k + 2
	if target == "xml" {
		if v := declParam(inst, "version"); v != "" && v != "1.0" {
			return p.malformed("XML version %q: only 1.0 is supported", v)
		}
	}
	if len(p.open) > 0 {
		return p.refuseInside(CodeXMLMalformed, "processing instruction <?%s?> inside an element", target)
	}
	p.top++
	if p.top != 1 || target != "xml" {
		return p.refuseTop(CodeXMLMalformed, "processing instruction <?%s?>", target)
	}
	if err := checkDeclaration(inst); err != nil {
		if !p.exact {
			return errFallback
		}
		if p.prologErr == nil {
			p.prologErr = err
		}
		p.build = false
		return nil
	}
	if p.build {
		p.addToken(etree.NewProcInst(target, inst))
	}
	return nil
}

// declParam returns the value of the pseudo-attribute name in the content of an <?xml ...?>
// instruction as encoding/xml finds it: the first "name=" followed by a quote, the value up to
// the next same quote, "" when there is none. encoding/xml refuses a version other than 1.0
// found this way, before any check of the declaration's syntax.
func declParam(inst, name string) string {
	key := name + "="
	from := 0
	for from < len(inst) {
		k := strings.Index(inst[from:], key)
		if k < 0 {
			return ""
		}
		at := from + k + len(key) // the byte after '='
		if at >= len(inst) {
			return ""
		}
		if q := inst[at]; q == '"' || q == '\'' {
			end := strings.IndexByte(inst[at+1:], q)
			if end < 0 {
				return ""
			}
			return inst[at+1 : at+1+end]
		}
		from = at + 1
	}
	return ""
}

func skipSpace(s []byte, i int) int {
	for i < len(s) && xmlClass[s[i]]&cSpace != 0 {
		i++
	}
	return i
}

// name reads a name at s[i] as encoding/xml does: the longest run of ASCII name bytes and of
// non-ASCII bytes, which must then match XML 1.0's Name production. ok is false when there is no
// name there, the input ends in it, or it is not a Name.
func (p *xmlParser) name(i int) ([]byte, int, bool) {
	s := p.s
	j := i
	var high byte
	for j < len(s) && xmlClass[s[j]]&cName != 0 {
		high |= s[j]
		j++
	}
	if j == i || j == len(s) {
		return nil, j, false
	}
	n := s[i:j]
	if high < 0x80 {
		c := n[0]
		return n, j, !('0' <= c && c <= '9' || c == '.' || c == '-')
	}
	return n, j, nonASCIIName(n)
}

// nonASCIIName reports whether n, which holds non-ASCII characters, is a Name for encoding/xml:
// its first character a letter, '_' or ':', the others also digits, '.', '-', combining
// characters or extenders, as XML 1.0 (fourth edition) Appendix B classes them.
func nonASCIIName(n []byte) bool {
	for i := 0; i < len(n); {
		r, size := utf8.DecodeRune(n[i:])
		switch {
		case r < utf8.RuneSelf:
			if i == 0 && ('0' <= r && r <= '9' || r == '.' || r == '-') {
				return false
			}
		case i == 0:
			if !unicode.Is(xmlNameStart, r) {
				return false
			}
		default:
			if !unicode.Is(xmlNameChar, r) {
				return false
			}
		}
		i += size
	}
	return true
}

// xmlNameStart and xmlNameChar are the non-ASCII characters encoding/xml takes first in a name
// and after the first. Its tables are not exported: these were made by asking its decoder about
// every code point, and TestParseNameTables asks again.
var xmlNameStart = &unicode.RangeTable{R16: []unicode.Range16{
	{0x00c0, 0x00d6, 1}, {0x00d8, 0x00f6, 1}, {0x00f8, 0x0131, 1}, {0x0134, 0x013e, 1}, {0x0141, 0x0148, 1},
	{0x014a, 0x017e, 1}, {0x0180, 0x01c3, 1}, {0x01cd, 0x01f0, 1}, {0x01f4, 0x01f5, 1}, {0x01fa, 0x0217, 1},
	{0x0250, 0x02a8, 1}, {0x02bb, 0x02c1, 1}, {0x0386, 0x0386, 1}, {0x0388, 0x038a, 1}, {0x038c, 0x038c, 1},
	{0x038e, 0x03a1, 1}, {0x03a3, 0x03ce, 1}, {0x03d0, 0x03d6, 1}, {0x03da, 0x03da, 1}, {0x03dc, 0x03dc, 1},
	{0x03de, 0x03de, 1}, {0x03e0, 0x03e0, 1}, {0x03e2, 0x03f3, 1}, {0x0401, 0x040c, 1}, {0x040e, 0x044f, 1},
	{0x0451, 0x045c, 1}, {0x045e, 0x0481, 1}, {0x0490, 0x04c4, 1}, {0x04c7, 0x04c8, 1}, {0x04cb, 0x04cc, 1},
	{0x04d0, 0x04eb, 1}, {0x04ee, 0x04f5, 1}, {0x04f8, 0x04f9, 1}, {0x0531, 0x0556, 1}, {0x0559, 0x0559, 1},
	{0x0561, 0x0586, 1}, {0x05d0, 0x05ea, 1}, {0x05f0, 0x05f2, 1}, {0x0621, 0x063a, 1}, {0x0641, 0x064a, 1},
	{0x0671, 0x06b7, 1}, {0x06ba, 0x06be, 1}, {0x06c0, 0x06ce, 1}, {0x06d0, 0x06d3, 1}, {0x06d5, 0x06d5, 1},
	{0x06e5, 0x06e6, 1}, {0x0905, 0x0939, 1}, {0x093d, 0x093d, 1}, {0x0958, 0x0961, 1}, {0x0985, 0x098c, 1},
	{0x098f, 0x0990, 1}, {0x0993, 0x09a8, 1}, {0x09aa, 0x09b0, 1}, {0x09b2, 0x09b2, 1}, {0x09b6, 0x09b9, 1},
	{0x09dc, 0x09dd, 1}, {0x09df, 0x09e1, 1}, {0x09f0, 0x09f1, 1}, {0x0a05, 0x0a0a, 1}, {0x0a0f, 0x0a10, 1},
	{0x0a13, 0x0a28, 1}, {0x0a2a, 0x0a30, 1}, {0x0a32, 0x0a33, 1}, {0x0a35, 0x0a36, 1}, {0x0a38, 0x0a39, 1},
	{0x0a59, 0x0a5c, 1}, {0x0a5e, 0x0a5e, 1}, {0x0a72, 0x0a74, 1}, {0x0a85, 0x0a8b, 1}, {0x0a8d, 0x0a8d, 1},
	{0x0a8f, 0x0a91, 1}, {0x0a93, 0x0aa8, 1}, {0x0aaa, 0x0ab0, 1}, {0x0ab2, 0x0ab3, 1}, {0x0ab5, 0x0ab9, 1},
	{0x0abd, 0x0abd, 1}, {0x0ae0, 0x0ae0, 1}, {0x0b05, 0x0b0c, 1}, {0x0b0f, 0x0b10, 1}, {0x0b13, 0x0b28, 1},
	{0x0b2a, 0x0b30, 1}, {0x0b32, 0x0b33, 1}, {0x0b36, 0x0b39, 1}, {0x0b3d, 0x0b3d, 1}, {0x0b5c, 0x0b5d, 1},
	{0x0b5f, 0x0b61, 1}, {0x0b85, 0x0b8a, 1}, {0x0b8e, 0x0b90, 1}, {0x0b92, 0x0b95, 1}, {0x0b99, 0x0b9a, 1},
	{0x0b9c, 0x0b9c, 1}, {0x0b9e, 0x0b9f, 1}, {0x0ba3, 0x0ba4, 1}, {0x0ba8, 0x0baa, 1}, {0x0bae, 0x0bb5, 1},
	{0x0bb7, 0x0bb9, 1}, {0x0c05, 0x0c0c, 1}, {0x0c0e, 0x0c10, 1}, {0x0c12, 0x0c28, 1}, {0x0c2a, 0x0c33, 1},
	{0x0c35, 0x0c39, 1}, {0x0c60, 0x0c61, 1}, {0x0c85, 0x0c8c, 1}, {0x0c8e, 0x0c90, 1}, {0x0c92, 0x0ca8, 1},
	{0x0caa, 0x0cb3, 1}, {0x0cb5, 0x0cb9, 1}, {0x0cde, 0x0cde, 1}, {0x0ce0, 0x0ce1, 1}, {0x0d05, 0x0d0c, 1},
	{0x0d0e, 0x0d10, 1}, {0x0d12, 0x0d28, 1}, {0x0d2a, 0x0d39, 1}, {0x0d60, 0x0d61, 1}, {0x0e01, 0x0e2e, 1},
	{0x0e30, 0x0e30, 1}, {0x0e32, 0x0e33, 1}, {0x0e40, 0x0e45, 1}, {0x0e81, 0x0e82, 1}, {0x0e84, 0x0e84, 1},
	{0x0e87, 0x0e88, 1}, {0x0e8a, 0x0e8a, 1}, {0x0e8d, 0x0e8d, 1}, {0x0e94, 0x0e97, 1}, {0x0e99, 0x0e9f, 1},
	{0x0ea1, 0x0ea3, 1}, {0x0ea5, 0x0ea5, 1}, {0x0ea7, 0x0ea7, 1}, {0x0eaa, 0x0eab, 1}, {0x0ead, 0x0eae, 1},
	{0x0eb0, 0x0eb0, 1}, {0x0eb2, 0x0eb3, 1}, {0x0ebd, 0x0ebd, 1}, {0x0ec0, 0x0ec4, 1}, {0x0f40, 0x0f47, 1},
	{0x0f49, 0x0f69, 1}, {0x10a0, 0x10c5, 1}, {0x10d0, 0x10f6, 1}, {0x1100, 0x1100, 1}, {0x1102, 0x1103, 1},
	{0x1105, 0x1107, 1}, {0x1109, 0x1109, 1}, {0x110b, 0x110c, 1}, {0x110e, 0x1112, 1}, {0x113c, 0x113c, 1},
	{0x113e, 0x113e, 1}, {0x1140, 0x1140, 1}, {0x114c, 0x114c, 1}, {0x114e, 0x114e, 1}, {0x1150, 0x1150, 1},
	{0x1154, 0x1155, 1}, {0x1159, 0x1159, 1}, {0x115f, 0x1161, 1}, {0x1163, 0x1163, 1}, {0x1165, 0x1165, 1},
	{0x1167, 0x1167, 1}, {0x1169, 0x1169, 1}, {0x116d, 0x116e, 1}, {0x1172, 0x1173, 1}, {0x1175, 0x1175, 1},
	{0x119e, 0x119e, 1}, {0x11a8, 0x11a8, 1}, {0x11ab, 0x11ab, 1}, {0x11ae, 0x11af, 1}, {0x11b7, 0x11b8, 1},
	{0x11ba, 0x11ba, 1}, {0x11bc, 0x11c2, 1}, {0x11eb, 0x11eb, 1}, {0x11f0, 0x11f0, 1}, {0x11f9, 0x11f9, 1},
	{0x1e00, 0x1e9b, 1}, {0x1ea0, 0x1ef9, 1}, {0x1f00, 0x1f15, 1}, {0x1f18, 0x1f1d, 1}, {0x1f20, 0x1f45, 1},
	{0x1f48, 0x1f4d, 1}, {0x1f50, 0x1f57, 1}, {0x1f59, 0x1f59, 1}, {0x1f5b, 0x1f5b, 1}, {0x1f5d, 0x1f5d, 1},
	{0x1f5f, 0x1f7d, 1}, {0x1f80, 0x1fb4, 1}, {0x1fb6, 0x1fbc, 1}, {0x1fbe, 0x1fbe, 1}, {0x1fc2, 0x1fc4, 1},
	{0x1fc6, 0x1fcc, 1}, {0x1fd0, 0x1fd3, 1}, {0x1fd6, 0x1fdb, 1}, {0x1fe0, 0x1fec, 1}, {0x1ff2, 0x1ff4, 1},
	{0x1ff6, 0x1ffc, 1}, {0x2126, 0x2126, 1}, {0x212a, 0x212b, 1}, {0x212e, 0x212e, 1}, {0x2180, 0x2182, 1},
	{0x3007, 0x3007, 1}, {0x3021, 0x3029, 1}, {0x3041, 0x3094, 1}, {0x30a1, 0x30fa, 1}, {0x3105, 0x312c, 1},
	{0x4e00, 0x9fa5, 1}, {0xac00, 0xd7a3, 1},
}}
var xmlNameChar = &unicode.RangeTable{R16: []unicode.Range16{
	{0x00b7, 0x00b7, 1}, {0x00c0, 0x00d6, 1}, {0x00d8, 0x00f6, 1}, {0x00f8, 0x0131, 1}, {0x0134, 0x013e, 1},
	{0x0141, 0x0148, 1}, {0x014a, 0x017e, 1}, {0x0180, 0x01c3, 1}, {0x01cd, 0x01f0, 1}, {0x01f4, 0x01f5, 1},
	{0x01fa, 0x0217, 1}, {0x0250, 0x02a8, 1}, {0x02bb, 0x02c1, 1}, {0x02d0, 0x02d1, 1}, {0x0300, 0x0345, 1},
	{0x0360, 0x0361, 1}, {0x0386, 0x038a, 1}, {0x038c, 0x038c, 1}, {0x038e, 0x03a1, 1}, {0x03a3, 0x03ce, 1},
	{0x03d0, 0x03d6, 1}, {0x03da, 0x03da, 1}, {0x03dc, 0x03dc, 1}, {0x03de, 0x03de, 1}, {0x03e0, 0x03e0, 1},
	{0x03e2, 0x03f3, 1}, {0x0401, 0x040c, 1}, {0x040e, 0x044f, 1}, {0x0451, 0x045c, 1}, {0x045e, 0x0481, 1},
	{0x0483, 0x0486, 1}, {0x0490, 0x04c4, 1}, {0x04c7, 0x04c8, 1}, {0x04cb, 0x04cc, 1}, {0x04d0, 0x04eb, 1},
	{0x04ee, 0x04f5, 1}, {0x04f8, 0x04f9, 1}, {0x0531, 0x0556, 1}, {0x0559, 0x0559, 1}, {0x0561, 0x0586, 1},
	{0x0591, 0x05a1, 1}, {0x05a3, 0x05b9, 1}, {0x05bb, 0x05bd, 1}, {0x05bf, 0x05bf, 1}, {0x05c1, 0x05c2, 1},
	{0x05c4, 0x05c4, 1}, {0x05d0, 0x05ea, 1}, {0x05f0, 0x05f2, 1}, {0x0621, 0x063a, 1}, {0x0640, 0x0652, 1},
	{0x0660, 0x0669, 1}, {0x0670, 0x06b7, 1}, {0x06ba, 0x06be, 1}, {0x06c0, 0x06ce, 1}, {0x06d0, 0x06d3, 1},
	{0x06d5, 0x06e8, 1}, {0x06ea, 0x06ed, 1}, {0x06f0, 0x06f9, 1}, {0x0901, 0x0903, 1}, {0x0905, 0x0939, 1},
	{0x093c, 0x094d, 1}, {0x0951, 0x0954, 1}, {0x0958, 0x0963, 1}, {0x0966, 0x096f, 1}, {0x0981, 0x0983, 1},
	{0x0985, 0x098c, 1}, {0x098f, 0x0990, 1}, {0x0993, 0x09a8, 1}, {0x09aa, 0x09b0, 1}, {0x09b2, 0x09b2, 1},
	{0x09b6, 0x09b9, 1}, {0x09bc, 0x09bc, 1}, {0x09be, 0x09c4, 1}, {0x09c7, 0x09c8, 1}, {0x09cb, 0x09cd, 1},
	{0x09d7, 0x09d7, 1}, {0x09dc, 0x09dd, 1}, {0x09df, 0x09e3, 1}, {0x09e6, 0x09f1, 1}, {0x0a02, 0x0a02, 1},
	{0x0a05, 0x0a0a, 1}, {0x0a0f, 0x0a10, 1}, {0x0a13, 0x0a28, 1}, {0x0a2a, 0x0a30, 1}, {0x0a32, 0x0a33, 1},
	{0x0a35, 0x0a36, 1}, {0x0a38, 0x0a39, 1}, {0x0a3c, 0x0a3c, 1}, {0x0a3e, 0x0a42, 1}, {0x0a47, 0x0a48, 1},
	{0x0a4b, 0x0a4d, 1}, {0x0a59, 0x0a5c, 1}, {0x0a5e, 0x0a5e, 1}, {0x0a66, 0x0a74, 1}, {0x0a81, 0x0a83, 1},
	{0x0a85, 0x0a8b, 1}, {0x0a8d, 0x0a8d, 1}, {0x0a8f, 0x0a91, 1}, {0x0a93, 0x0aa8, 1}, {0x0aaa, 0x0ab0, 1},
	{0x0ab2, 0x0ab3, 1}, {0x0ab5, 0x0ab9, 1}, {0x0abc, 0x0ac5, 1}, {0x0ac7, 0x0ac9, 1}, {0x0acb, 0x0acd, 1},
	{0x0ae0, 0x0ae0, 1}, {0x0ae6, 0x0aef, 1}, {0x0b01, 0x0b03, 1}, {0x0b05, 0x0b0c, 1}, {0x0b0f, 0x0b10, 1},
	{0x0b13, 0x0b28, 1}, {0x0b2a, 0x0b30, 1}, {0x0b32, 0x0b33, 1}, {0x0b36, 0x0b39, 1}, {0x0b3c, 0x0b43, 1},
	{0x0b47, 0x0b48, 1}, {0x0b4b, 0x0b4d, 1}, {0x0b56, 0x0b57, 1}, {0x0b5c, 0x0b5d, 1}, {0x0b5f, 0x0b61, 1},
	{0x0b66, 0x0b6f, 1}, {0x0b82, 0x0b83, 1}, {0x0b85, 0x0b8a, 1}, {0x0b8e, 0x0b90, 1}, {0x0b92, 0x0b95, 1},
	{0x0b99, 0x0b9a, 1}, {0x0b9c, 0x0b9c, 1}, {0x0b9e, 0x0b9f, 1}, {0x0ba3, 0x0ba4, 1}, {0x0ba8, 0x0baa, 1},
	{0x0bae, 0x0bb5, 1}, {0x0bb7, 0x0bb9, 1}, {0x0bbe, 0x0bc2, 1}, {0x0bc6, 0x0bc8, 1}, {0x0bca, 0x0bcd, 1},
	{0x0bd7, 0x0bd7, 1}, {0x0be7, 0x0bef, 1}, {0x0c01, 0x0c03, 1}, {0x0c05, 0x0c0c, 1}, {0x0c0e, 0x0c10, 1},
	{0x0c12, 0x0c28, 1}, {0x0c2a, 0x0c33, 1}, {0x0c35, 0x0c39, 1}, {0x0c3e, 0x0c44, 1}, {0x0c46, 0x0c48, 1},
	{0x0c4a, 0x0c4d, 1}, {0x0c55, 0x0c56, 1}, {0x0c60, 0x0c61, 1}, {0x0c66, 0x0c6f, 1}, {0x0c82, 0x0c83, 1},
	{0x0c85, 0x0c8c, 1}, {0x0c8e, 0x0c90, 1}, {0x0c92, 0x0ca8, 1}, {0x0caa, 0x0cb3, 1}, {0x0cb5, 0x0cb9, 1},
	{0x0cbe, 0x0cc4, 1}, {0x0cc6, 0x0cc8, 1}, {0x0cca, 0x0ccd, 1}, {0x0cd5, 0x0cd6, 1}, {0x0cde, 0x0cde, 1},
	{0x0ce0, 0x0ce1, 1}, {0x0ce6, 0x0cef, 1}, {0x0d02, 0x0d03, 1}, {0x0d05, 0x0d0c, 1}, {0x0d0e, 0x0d10, 1},
	{0x0d12, 0x0d28, 1}, {0x0d2a, 0x0d39, 1}, {0x0d3e, 0x0d43, 1}, {0x0d46, 0x0d48, 1}, {0x0d4a, 0x0d4d, 1},
	{0x0d57, 0x0d57, 1}, {0x0d60, 0x0d61, 1}, {0x0d66, 0x0d6f, 1}, {0x0e01, 0x0e2e, 1}, {0x0e30, 0x0e3a, 1},
	{0x0e40, 0x0e4e, 1}, {0x0e50, 0x0e59, 1}, {0x0e81, 0x0e82, 1}, {0x0e84, 0x0e84, 1}, {0x0e87, 0x0e88, 1},
	{0x0e8a, 0x0e8a, 1}, {0x0e8d, 0x0e8d, 1}, {0x0e94, 0x0e97, 1}, {0x0e99, 0x0e9f, 1}, {0x0ea1, 0x0ea3, 1},
	{0x0ea5, 0x0ea5, 1}, {0x0ea7, 0x0ea7, 1}, {0x0eaa, 0x0eab, 1}, {0x0ead, 0x0eae, 1}, {0x0eb0, 0x0eb9, 1},
	{0x0ebb, 0x0ebd, 1}, {0x0ec0, 0x0ec4, 1}, {0x0ec6, 0x0ec6, 1}, {0x0ec8, 0x0ecd, 1}, {0x0ed0, 0x0ed9, 1},
	{0x0f18, 0x0f19, 1}, {0x0f20, 0x0f29, 1}, {0x0f35, 0x0f35, 1}, {0x0f37, 0x0f37, 1}, {0x0f39, 0x0f39, 1},
	{0x0f3e, 0x0f47, 1}, {0x0f49, 0x0f69, 1}, {0x0f71, 0x0f84, 1}, {0x0f86, 0x0f8b, 1}, {0x0f90, 0x0f95, 1},
	{0x0f97, 0x0f97, 1}, {0x0f99, 0x0fad, 1}, {0x0fb1, 0x0fb7, 1}, {0x0fb9, 0x0fb9, 1}, {0x10a0, 0x10c5, 1},
	{0x10d0, 0x10f6, 1}, {0x1100, 0x1100, 1}, {0x1102, 0x1103, 1}, {0x1105, 0x1107, 1}, {0x1109, 0x1109, 1},
	{0x110b, 0x110c, 1}, {0x110e, 0x1112, 1}, {0x113c, 0x113c, 1}, {0x113e, 0x113e, 1}, {0x1140, 0x1140, 1},
	{0x114c, 0x114c, 1}, {0x114e, 0x114e, 1}, {0x1150, 0x1150, 1}, {0x1154, 0x1155, 1}, {0x1159, 0x1159, 1},
	{0x115f, 0x1161, 1}, {0x1163, 0x1163, 1}, {0x1165, 0x1165, 1}, {0x1167, 0x1167, 1}, {0x1169, 0x1169, 1},
	{0x116d, 0x116e, 1}, {0x1172, 0x1173, 1}, {0x1175, 0x1175, 1}, {0x119e, 0x119e, 1}, {0x11a8, 0x11a8, 1},
	{0x11ab, 0x11ab, 1}, {0x11ae, 0x11af, 1}, {0x11b7, 0x11b8, 1}, {0x11ba, 0x11ba, 1}, {0x11bc, 0x11c2, 1},
	{0x11eb, 0x11eb, 1}, {0x11f0, 0x11f0, 1}, {0x11f9, 0x11f9, 1}, {0x1e00, 0x1e9b, 1}, {0x1ea0, 0x1ef9, 1},
	{0x1f00, 0x1f15, 1}, {0x1f18, 0x1f1d, 1}, {0x1f20, 0x1f45, 1}, {0x1f48, 0x1f4d, 1}, {0x1f50, 0x1f57, 1},
	{0x1f59, 0x1f59, 1}, {0x1f5b, 0x1f5b, 1}, {0x1f5d, 0x1f5d, 1}, {0x1f5f, 0x1f7d, 1}, {0x1f80, 0x1fb4, 1},
	{0x1fb6, 0x1fbc, 1}, {0x1fbe, 0x1fbe, 1}, {0x1fc2, 0x1fc4, 1}, {0x1fc6, 0x1fcc, 1}, {0x1fd0, 0x1fd3, 1},
	{0x1fd6, 0x1fdb, 1}, {0x1fe0, 0x1fec, 1}, {0x1ff2, 0x1ff4, 1}, {0x1ff6, 0x1ffc, 1}, {0x20d0, 0x20dc, 1},
	{0x20e1, 0x20e1, 1}, {0x2126, 0x2126, 1}, {0x212a, 0x212b, 1}, {0x212e, 0x212e, 1}, {0x2180, 0x2182, 1},
	{0x3005, 0x3005, 1}, {0x3007, 0x3007, 1}, {0x3021, 0x302f, 1}, {0x3031, 0x3035, 1}, {0x3041, 0x3094, 1},
	{0x3099, 0x309a, 1}, {0x309d, 0x309e, 1}, {0x30a1, 0x30fa, 1}, {0x30fc, 0x30fe, 1}, {0x3105, 0x312c, 1},
	{0x4e00, 0x9fa5, 1}, {0xac00, 0xd7a3, 1},
}}

// qname reads a qualified name and splits it as encoding/xml does: at its colon when there is one
// with something on both sides; a name with two colons is an error.
func (p *xmlParser) qname(i int) (name, space, local string, end int, ok bool) {
	n, end, ok := p.name(i)
	if !ok {
		return
	}
	name = p.intern(n)
	k := strings.IndexByte(name, ':')
	switch {
	case k < 0:
		return name, "", name, end, true
	case strings.IndexByte(name[k+1:], ':') >= 0:
		return "", "", "", end, false
	case k == 0 || k == len(name)-1:
		return name, "", name, end, true
	}
	return name, name[:k], name[k+1:], end, true
}

// intern returns b as a string, the same string for the same bytes as far as a small cache
// keeps them (two ways per set, the newer first): names recur, and so does indentation. The tree holds such copies, never parts of a copy of the whole input: a name or a
// value kept from the tree (a map key, a metrics label) must not keep the document alive.
func (p *xmlParser) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	h := uint64(len(b))
	for _, c := range b {
		h = h*31 + uint64(c)
	}
	set := 2 * ((h * 0x9E3779B97F4A7C15) >> (64 - internBits))
	ways := p.strs[set : set+2 : set+2]
	if ways[0] == string(b) {
		return ways[0]
	}
	if ways[1] == string(b) {
		return ways[1]
	}
	v := string(b)
	ways[0], ways[1] = v, ways[0]
	return v
}

// internBits is the logarithm of the number of sets of intern's cache.
const internBits = 6

// own returns a copy of b, a part of the input; indentation is interned.
func (p *xmlParser) own(b []byte) string {
	if len(b) <= 64 && isSpaceOnly(b) {
		return p.intern(b)
	}
	return string(b)
}

func isSpaceOnly(b []byte) bool {
	for _, c := range b {
		if xmlClass[c]&cSpace == 0 {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// startTag reads a start tag or an empty-element tag.
func (p *xmlParser) startTag() error {
	s := p.s
	name, space, local, i, ok := p.qname(p.pos + 1)
	if !ok {
		return p.malformed("expected an element name after <")
	}
	attrs := p.attrs[:0]
	nattrs := 0
	empty := false
	for {
		i = skipSpace(s, i)
		if i == len(s) {
			return p.malformed("unexpected end of input in the tag <%s>", name)
		}
		c := s[i]
		if c == '>' {
			i++
			break
		}
		if c == '/' {
			if i+1 == len(s) || s[i+1] != '>' {
				return p.malformed("expected /> in the tag <%s>", name)
			}
			i += 2
			empty = true
			break
		}
		aname, aspace, alocal, j, ok := p.qname(i)
		if !ok {
			return p.malformed("expected an attribute name in the tag <%s>", name)
		}
		j = skipSpace(s, j)
		if j == len(s) || s[j] != '=' {
			return p.malformed("attribute %s without a value in the tag <%s>", aname, name)
		}
		j = skipSpace(s, j+1)
		if j == len(s) || s[j] != '"' && s[j] != '\'' {
			return p.malformed("unquoted value of the attribute %s in the tag <%s>", aname, name)
		}
		value, j, err := p.attrValue(j+1, s[j])
		if err != nil {
			return err
		}
		i = j
		nattrs++
		if nattrs > p.lim.MaxAttrs {
			if !p.exact {
				return errFallback
			}
			continue // refused below; the attributes are no longer needed
		}
		attrs = append(attrs, rawAttr{aname, aspace, alocal, value})
	}
	p.attrs = attrs
	p.pos = i
	if len(p.open) >= p.lim.MaxDepth {
		if !p.exact {
			return errFallback
		}
		return fail(CodeXMLLimit, "elements nested deeper than %d", p.lim.MaxDepth)
	}
	top := len(p.open) == 0
	if top {
		p.top++
		p.roots++
		if p.roots > 1 && !p.exact {
			return errFallback
		}
	}
	nsMark := len(p.ns.prefix)
	if p.build {
		if err := p.checkElement(name, space, local, attrs, nattrs); err != nil {
			return err
		}
	}
	var e *etree.Element
	if p.build {
		e = p.element(space, local, attrs)
		p.addToken(e)
	}
	p.open = append(p.open, openElement{name: name, el: e, mark: len(p.toks), nsMark: nsMark})
	if empty {
		p.closeElement()
	}
	return nil
}

// attrValue reads an attribute value from s[i] to the closing quote q. The fast mode normalizes
// literal whitespace as prescan does (a tab, a newline, a carriage return or a CR LF pair becomes
// one space); the exact mode reads prescan's output as encoding/xml does (CR and CR LF become LF).
func (p *xmlParser) attrValue(i int, q byte) (string, int, error) {
	s := p.s
	start := i
	i = scanPlain(s, i, cAttr)
	if i < len(s) && s[i] == q {
		return p.own(s[start:i]), i + 1, nil
	}
	buf := p.buf[:0]
	copying := false
	last := start
	for i < len(s) {
		c := s[i]
		if xmlClass[c]&cAttr == 0 {
			i++
			continue
		}
		var repl byte // what a literal whitespace character becomes
		switch {
		case c == q:
			if !copying {
				return p.own(s[start:i]), i + 1, nil
			}
			buf = append(buf, s[last:i]...)
			p.buf = buf
			return string(buf), i + 1, nil
		case c == '"' || c == '\'':
			i++
			continue
		case c == '<':
			return "", 0, p.malformed("< in an attribute value")
		case c == 0xEF:
			if nonCharacter(s, i) {
				return "", 0, p.malformed("U+FFFE or U+FFFF in an attribute value")
			}
			i++
			continue
		case c == '&':
		case c == '\t' || c == '\n':
			if p.exact {
				i++
				continue
			}
			repl = ' '
		case c == '\r':
			repl = ' '
			if p.exact {
				repl = '\n'
			}
		default:
			return "", 0, p.malformed("control character %#x in an attribute value", c)
		}
		if !copying {
			copying = true
			buf = append(buf, s[start:i]...)
		} else {
			buf = append(buf, s[last:i]...)
		}
		if c == '&' {
			var err error
			if buf, i, err = p.reference(buf, i); err != nil {
				return "", 0, err
			}
		} else {
			buf = append(buf, repl)
			i++
			if c == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
		}
		last = i
	}
	return "", 0, p.malformed("unexpected end of input in an attribute value")
}

// checkElement applies the reference's checks to a start tag, in its order: limits, names,
// namespace declarations, prefixes, duplicate attributes. The element's declarations are added
// to the scope.
func (p *xmlParser) checkElement(name, space, local string, attrs []rawAttr, nattrs int) error {
	p.elements++
	if p.elements > p.lim.MaxElements {
		return p.refuseInside(CodeXMLLimit, "more than %d elements", p.lim.MaxElements)
	}
	if nattrs > p.lim.MaxAttrs {
		return p.refuseInside(CodeXMLLimit, "<%s> has %d attributes, more than %d", name, nattrs, p.lim.MaxAttrs)
	}
	if strings.IndexByte(local, ':') >= 0 || space == "xmlns" {
		return p.refuseInside(CodeXMLMalformed, "element name %q is not namespace-well-formed", name)
	}
	for i := range attrs {
		a := &attrs[i]
		if a.space == "xmlns" {
			switch {
			case a.local == "xmlns", a.local == "xml" && a.value != c14n.XMLNamespace,
				a.local != "xml" && (a.value == c14n.XMLNamespace || a.value == c14n.XMLNSNamespace):
				return p.refuseInside(CodeXMLMalformed, "reserved namespace prefix or name in xmlns:%s", a.local)
			case a.value == "":
				return p.refuseInside(CodeXMLMalformed, "xmlns:%s undeclares a prefix (XML 1.1 only)", a.local)
			}
		} else if a.space == "" && a.local == "xmlns" && (a.value == c14n.XMLNamespace || a.value == c14n.XMLNSNamespace) {
			return p.refuseInside(CodeXMLMalformed, "reserved namespace name as the default namespace")
		}
		if strings.IndexByte(a.local, ':') >= 0 {
			return p.refuseInside(CodeXMLMalformed, "attribute name %q is not namespace-well-formed", a.name)
		}
		if a.space == "xmlns" {
			p.ns.push(a.local, a.value)
		}
	}
	if space != "" && space != "xml" {
		if _, ok := p.ns.lookup(space); !ok {
			return p.refuseInside(CodeXMLMalformed, "undeclared namespace prefix %q on <%s>", space, name)
		}
	}
	if len(attrs) < 2 {
		if len(attrs) == 1 && attrs[0].space != "" && attrs[0].space != "xmlns" && attrs[0].space != "xml" {
			if _, ok := p.ns.lookup(attrs[0].space); !ok {
				return p.refuseInside(CodeXMLMalformed, "undeclared namespace prefix %q on attribute %s", attrs[0].space, attrs[0].name)
			}
		}
		return nil
	}
	// Expanded names, in the reference's terms: declarations apart from attributes.
	names := p.names[:0]
	useMap := len(attrs) > 8
	if useMap {
		if p.seen == nil {
			p.seen = make(map[attrName]bool, len(attrs))
		}
		clear(p.seen)
	}
	for i := range attrs {
		a := &attrs[i]
		var n attrName
		switch {
		case a.space == "xmlns":
			n = attrName{"xmlns:", a.local}
		case a.space == "" && a.local == "xmlns":
			n = attrName{"xmlns", ""}
		case a.space == "":
			n = attrName{"", a.local}
		case a.space == "xml":
			n = attrName{c14n.XMLNamespace, a.local}
		default:
			uri, ok := p.ns.lookup(a.space)
			if !ok {
				return p.refuseInside(CodeXMLMalformed, "undeclared namespace prefix %q on attribute %s", a.space, a.name)
			}
			n = attrName{uri, a.local}
		}
		dup := false
		if useMap {
			dup = p.seen[n]
			p.seen[n] = true
		} else {
			for _, m := range names {
				if m == n {
					dup = true
					break
				}
			}
			names = append(names, n)
		}
		if dup {
			return p.refuseInside(CodeXMLDuplicateAttr, "<%s> has attribute %s twice", name, a.name)
		}
	}
	p.names = names
	return nil
}

// element makes the element node, its attributes in order. Its children are added when it closes.
func (p *xmlParser) element(space, local string, attrs []rawAttr) *etree.Element {
	if len(p.elemSlab) == 0 {
		p.elemSlab = make([]etree.Element, p.elemNext)
		p.elemNext = min(2*p.elemNext, slabMax)
	}
	e := &p.elemSlab[0]
	p.elemSlab = p.elemSlab[1:]
	e.Space, e.Tag = space, local
	n := len(attrs)
	if n == 0 {
		e.Attr = make([]etree.Attr, 0)
		return e
	}
	if len(p.attrSlab) < n {
		p.attrSlab = make([]etree.Attr, max(n, p.attrNext))
		p.attrNext = min(2*p.attrNext, slabMax)
	}
	all := p.attrSlab[:0:n]
	p.attrSlab = p.attrSlab[n:]
	// CreateAttr appends to e.Attr after looking for an attribute of the same name there; the
	// attributes are known to be distinct, so each is created on an empty view of the remaining
	// capacity, which keeps the cost linear in the number of attributes.
	for i := range attrs {
		e.Attr = all[i:i]
		e.CreateAttr(attrs[i].name, attrs[i].value)
	}
	e.Attr = all[:n]
	return e
}

// closeElement closes the innermost open element: its children are attached in order and its
// namespace declarations go out of scope.
func (p *xmlParser) closeElement() {
	o := p.open[len(p.open)-1]
	p.open = p.open[:len(p.open)-1]
	if p.build {
		kids := p.toks[o.mark:]
		if len(kids) == 0 {
			o.el.Child = make([]etree.Token, 0)
		} else {
			if len(p.tokSlab) < len(kids) {
				p.tokSlab = make([]etree.Token, max(len(kids), p.tokNext))
				p.tokNext = min(2*p.tokNext, slabMax)
			}
			o.el.Child = p.tokSlab[:0:len(kids)]
			p.tokSlab = p.tokSlab[len(kids):]
			for _, t := range kids {
				o.el.AddChild(t)
			}
		}
	}
	if len(p.toks) > o.mark {
		p.toks = p.toks[:o.mark]
	}
	p.ns.pop(o.nsMark)
}

// endTag reads an end tag, which must close the innermost open element.
func (p *xmlParser) endTag() error {
	s := p.s
	name, i, ok := p.name(p.pos + 2)
	if k := bytes.IndexByte(name, ':'); !ok || k >= 0 && bytes.IndexByte(name[k+1:], ':') >= 0 {
		return p.malformed("expected an element name after </")
	}
	i = skipSpace(s, i)
	if i == len(s) || s[i] != '>' {
		return p.malformed("unexpected characters in the end tag </%s>", name)
	}
	n := len(p.open)
	if n == 0 {
		return p.malformed("end tag </%s> without a start tag", name)
	}
	if p.open[n-1].name != string(name) {
		return p.malformed("end tag </%s> does not match <%s>", name, p.open[n-1].name)
	}
	p.pos = i + 1
	p.closeElement()
	return nil
}

// nsScope holds the namespace prefixes in scope: a stack of bindings, innermost last, searched
// from the top while it is short and through an index once it grows, so that a lookup never
// costs more than a map access however deep the declarations pile up.
type nsScope struct {
	prefix, uri []string
	index       map[string]int // prefix → position of its innermost binding, once the stack is long
	shadow      []int          // with index: the position each binding hides, -1 for none
}

const nsIndexFrom = 16

func (s *nsScope) push(prefix, uri string) {
	s.prefix = append(s.prefix, prefix)
	s.uri = append(s.uri, uri)
	switch {
	case s.index != nil:
		prev, ok := s.index[prefix]
		if !ok {
			prev = -1
		}
		s.shadow = append(s.shadow, prev)
		s.index[prefix] = len(s.prefix) - 1
	case len(s.prefix) > nsIndexFrom:
		s.index = make(map[string]int, 2*len(s.prefix))
		s.shadow = s.shadow[:0]
		for i, pr := range s.prefix {
			prev, ok := s.index[pr]
			if !ok {
				prev = -1
			}
			s.shadow = append(s.shadow, prev)
			s.index[pr] = i
		}
	}
}

func (s *nsScope) pop(mark int) {
	if s.index != nil {
		for i := len(s.prefix) - 1; i >= mark; i-- {
			if prev := s.shadow[i]; prev < 0 {
				delete(s.index, s.prefix[i])
			} else {
				s.index[s.prefix[i]] = prev
			}
		}
		s.shadow = s.shadow[:mark]
	}
	s.prefix = s.prefix[:mark]
	s.uri = s.uri[:mark]
}

func (s *nsScope) lookup(prefix string) (string, bool) {
	if s.index != nil {
		i, ok := s.index[prefix]
		if !ok {
			return "", false
		}
		return s.uri[i], true
	}
	for i := len(s.prefix) - 1; i >= 0; i-- {
		if s.prefix[i] == prefix {
			return s.uri[i], true
		}
	}
	return "", false
}
