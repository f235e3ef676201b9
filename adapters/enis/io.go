package enis

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxImport is the largest input Import reads.
const MaxImport = 64 << 20

// CSVColumns are the columns of the CSV format, in the order Export writes them. Import needs a
// header row naming number, principal, representative, services, from and until; notary, revoked
// and revoked_at may be left out, and the order is free. services are serviceIds separated by
// ';' (or ',' or spaces), "*" for every service; times are RFC 3339 or YYYY-MM-DD (midnight UTC);
// revoked is true/false (also 1/0, да/нет, empty = false). The delimiter is a comma, or a
// semicolon when the header row has more semicolons than commas.
var CSVColumns = []string{"number", "principal", "representative", "services", "from", "until", "notary", "revoked", "revoked_at"}

var csvRequired = []string{"number", "principal", "representative", "services", "from", "until"}

// Import reads powers of attorney in format "json" or "csv" and stores them all, or none: every
// record is parsed and validated before anything is written, and the first problem is returned
// naming its line (and, for JSON, the record number). A number may appear once per import; an
// existing power of attorney with that number is replaced. It returns how many were stored.
//
// JSON is either an array of powers of attorney or objects one after another (JSON Lines), with
// the fields of PowerOfAttorney's JSON (unknown fields are refused). CSV is described at
// CSVColumns.
func (s *Store) Import(ctx context.Context, r io.Reader, format string) (int, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImport+1))
	if err != nil {
		return 0, fmt.Errorf("enis: import: %w", err)
	}
	if len(b) > MaxImport {
		return 0, fmt.Errorf("enis: import: %w: input larger than %d MiB", ErrInvalid, MaxImport>>20)
	}
	var ps []*PowerOfAttorney
	var where []string
	switch strings.ToLower(format) {
	case "json":
		ps, where, err = decodeJSON(b)
	case "csv":
		ps, where, err = decodeCSV(b)
	default:
		err = fmt.Errorf("%w: format %q (want json or csv)", ErrInvalid, format)
	}
	if err != nil {
		return 0, fmt.Errorf("enis: import: %w", err)
	}
	seen := make(map[string]int, len(ps))
	for i, p := range ps {
		if err := Validate(p); err != nil {
			return 0, fmt.Errorf("enis: import: %s: %w", where[i], err)
		}
		if j, dup := seen[p.Number]; dup {
			return 0, fmt.Errorf("enis: import: %w: %s: number %s repeats %s", ErrInvalid, where[i], p.Number, where[j])
		}
		seen[p.Number] = i
	}
	if err := s.write(ctx, ps); err != nil {
		return 0, err
	}
	return len(ps), nil
}

var bom = []byte("\xef\xbb\xbf")

func lineAt(b []byte, off int) int { return bytes.Count(b[:min(off, len(b))], []byte("\n")) + 1 }

func decodeJSON(b []byte) ([]*PowerOfAttorney, []string, error) {
	b = bytes.TrimPrefix(b, bom)
	dec := json.NewDecoder(bytes.NewReader(b))
	syntax := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: line %d: %v", ErrInvalid, lineAt(b, int(se.Offset)), err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: line %d: unexpected end of input", ErrInvalid, lineAt(b, len(b)))
		}
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	array := len(trimmed) > 0 && trimmed[0] == '['
	if array {
		if _, err := dec.Token(); err != nil {
			return nil, nil, syntax(err)
		}
	}
	var ps []*PowerOfAttorney
	var where []string
	for i := 1; ; i++ {
		if array && !dec.More() {
			break
		}
		start := int(dec.InputOffset())
		for start < len(b) && strings.IndexByte(" \t\r\n,", b[start]) >= 0 {
			start++
		}
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF && !array {
			break
		}
		if err != nil {
			return nil, nil, syntax(err)
		}
		at := fmt.Sprintf("record %d (line %d)", i, lineAt(b, start))
		if len(raw) == 0 || raw[0] != '{' {
			return nil, nil, fmt.Errorf("%w: %s: not a JSON object", ErrInvalid, at)
		}
		p := new(PowerOfAttorney)
		rd := json.NewDecoder(bytes.NewReader(raw))
		rd.DisallowUnknownFields()
		if err := rd.Decode(p); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrInvalid, at, err)
		}
		ps = append(ps, p)
		where = append(where, at)
	}
	if array {
		if _, err := dec.Token(); err != nil {
			return nil, nil, syntax(err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, nil, fmt.Errorf("%w: line %d: data after the JSON array", ErrInvalid, lineAt(b, int(dec.InputOffset())))
		}
	}
	return ps, where, nil
}

func decodeCSV(b []byte) ([]*PowerOfAttorney, []string, error) {
	b = bytes.TrimPrefix(b, bom)
	first, _, _ := bytes.Cut(b, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(b))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%w: line 1: empty input, want a header row", ErrInvalid)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	cols := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(CSVColumns, h) {
			return nil, nil, fmt.Errorf("%w: line 1: unknown column %q (known: %s)", ErrInvalid, h, strings.Join(CSVColumns, ","))
		}
		if _, dup := cols[h]; dup {
			return nil, nil, fmt.Errorf("%w: line 1: column %q twice", ErrInvalid, h)
		}
		cols[h] = i
	}
	for _, c := range csvRequired {
		if _, ok := cols[c]; !ok {
			return nil, nil, fmt.Errorf("%w: line 1: column %q is required", ErrInvalid, c)
		}
	}
	var ps []*PowerOfAttorney
	var where []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return ps, where, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		line, _ := r.FieldPos(0)
		get := func(c string) string {
			if i, ok := cols[c]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p, err := powerFromRow(get)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: line %d: %v", ErrInvalid, line, err)
		}
		ps = append(ps, p)
		where = append(where, "line "+strconv.Itoa(line))
	}
}

// ParseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC); "" is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
}

func powerFromRow(get func(string) string) (*PowerOfAttorney, error) {
	p := &PowerOfAttorney{Number: get("number"), Principal: get("principal"), Representative: get("representative"), Notary: get("notary"),
		Services: strings.FieldsFunc(get("services"), func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' })}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &p.From}, {"until", &p.Until}, {"revoked_at", &p.RevokedAt}} {
		t, err := ParseTime(get(f.name))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f.name, err)
		}
		*f.dst = t
	}
	switch v := strings.ToLower(get("revoked")); v {
	case "", "false", "0", "no", "нет":
	case "true", "1", "yes", "да":
		p.Revoked = true
	default:
		return nil, fmt.Errorf("revoked: %q is not true or false", v)
	}
	return p, nil
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// Export writes every power of attorney in number order in format "json" (an array, one a line)
// or "csv" (see CSVColumns), which Import reads back.
func (s *Store) Export(ctx context.Context, w io.Writer, format string) error {
	format = strings.ToLower(format)
	if format != "json" && format != "csv" {
		return fmt.Errorf("enis: export: %w: format %q (want json or csv)", ErrInvalid, format)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	var werr error
	n := 0
	if format == "json" {
		_, werr = bw.WriteString("[")
	} else {
		werr = cw.Write(CSVColumns)
	}
	err := s.each(ctx, "", func(p *PowerOfAttorney) bool {
		if werr != nil {
			return false
		}
		if format == "csv" {
			werr = cw.Write([]string{p.Number, p.Principal, p.Representative, strings.Join(p.Services, ";"), rfc3339(p.From),
				rfc3339(p.Until), p.Notary, strconv.FormatBool(p.Revoked), rfc3339(p.RevokedAt)})
			return werr == nil
		}
		b, err := json.Marshal(p)
		if err != nil {
			werr = err
			return false
		}
		sep := ",\n"
		if n == 0 {
			sep = "\n"
		}
		n++
		if _, werr = bw.WriteString(sep); werr == nil {
			_, werr = bw.Write(b)
		}
		return werr == nil
	})
	if err == nil && werr == nil {
		if format == "json" {
			end := "\n]\n"
			if n == 0 {
				end = "]\n"
			}
			_, werr = bw.WriteString(end)
		} else {
			cw.Flush()
			werr = cw.Error()
		}
	}
	if err == nil && werr == nil {
		werr = bw.Flush()
	}
	if err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("enis: export: %w", err)
	}
	return nil
}
