package gbdfl

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
)

// MaxImport is the largest input Import reads.
const MaxImport = 64 << 20

// CSVColumns are the columns of the CSV format, in the order Export writes them. Import needs a
// header row naming iin, surname, name, birth_date and sex; the other columns may be left out,
// and their order is free. Dates are YYYY-MM-DD; sex is M or F (also М/Ж, male/female, 1/2);
// deceased and test are true/false (also 1/0, да/нет, empty = false). The doc_* columns carry one
// identity document (only the first one on Export; use JSON for more). The delimiter is a comma,
// or a semicolon when the header row has more semicolons than commas.
var CSVColumns = []string{"iin", "surname", "name", "patronymic", "birth_date", "sex", "nationality", "citizenship",
	"birth_place", "reg_address", "region", "deceased", "death_date", "mother_iin", "father_iin", "spouse_iin", "test",
	"doc_type", "doc_number", "doc_issued_by", "doc_issued", "doc_expires"}

var csvRequired = []string{"iin", "surname", "name", "birth_date", "sex"}

// Import reads persons in format "json" or "csv" and stores them all, or none: every record is
// parsed and validated before anything is written, and the first problem is returned naming its
// line (and, for JSON, the record number). A ИИН may appear once per import; an existing person
// with that ИИН is replaced. It returns how many persons were stored.
//
// JSON is either an array of persons or persons one after another (one object a line, JSON
// Lines); the fields are those of Person's JSON. The CSV format is described at CSVColumns.
func (s *Store) Import(ctx context.Context, r io.Reader, format string) (int, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImport+1))
	if err != nil {
		return 0, fmt.Errorf("gbdfl: import: %w", err)
	}
	if len(b) > MaxImport {
		return 0, fmt.Errorf("gbdfl: import: %w: input larger than %d MiB", ErrInvalid, MaxImport>>20)
	}
	persons, where, err := decode(b, format)
	if err != nil {
		return 0, fmt.Errorf("gbdfl: import: %w", err)
	}
	seen := make(map[string]int, len(persons))
	for i, p := range persons {
		if err := Validate(p); err != nil {
			return 0, fmt.Errorf("gbdfl: import: %s: %w", where[i], err)
		}
		if j, dup := seen[p.IIN]; dup {
			return 0, fmt.Errorf("gbdfl: import: %w: %s: ИИН %s repeats %s", ErrInvalid, where[i], p.IIN, where[j])
		}
		seen[p.IIN] = i
	}
	if err := s.write(ctx, persons); err != nil {
		return 0, err
	}
	return len(persons), nil
}

// decode parses b; where[i] names the place of record i.
func decode(b []byte, format string) (persons []*Person, where []string, err error) {
	switch strings.ToLower(format) {
	case "json":
		raws, where, err := jsonRecords(b)
		if err != nil {
			return nil, nil, err
		}
		persons = make([]*Person, len(raws))
		for i, raw := range raws {
			p := new(Person)
			if err := json.Unmarshal(raw, p); err != nil {
				return nil, nil, fmt.Errorf("%w: %s: %v", ErrInvalid, where[i], err)
			}
			persons[i] = p
		}
		return persons, where, nil
	case "csv":
		return decodeCSV(b)
	}
	return nil, nil, fmt.Errorf("%w: format %q (want json or csv)", ErrInvalid, format)
}

var bom = []byte("\xef\xbb\xbf")

// jsonRecords splits a JSON array of objects, or a stream of objects, into its objects and
// names their places ("record 3 (line 12)").
func jsonRecords(b []byte) ([]json.RawMessage, []string, error) {
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
	var raws []json.RawMessage
	var where []string
	for i := 1; ; i++ {
		if array && !dec.More() {
			break
		}
		start := skipSeparators(b, int(dec.InputOffset()))
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
		raws = append(raws, raw)
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
	return raws, where, nil
}

func skipSeparators(b []byte, i int) int {
	for i < len(b) && strings.IndexByte(" \t\r\n,", b[i]) >= 0 {
		i++
	}
	return i
}

// lineAt returns the 1-based line of byte offset off.
func lineAt(b []byte, off int) int { return bytes.Count(b[:min(off, len(b))], []byte("\n")) + 1 }

// csvTable is a CSV input with a header row.
type csvTable struct {
	r    *csv.Reader
	cols map[string]int
}

// newCSVTable reads the header row, which must name only known columns, each once, and every
// required one.
func newCSVTable(b []byte, known, required []string) (*csvTable, error) {
	b = bytes.TrimPrefix(b, bom)
	first, _, _ := bytes.Cut(b, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(b))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: line 1: empty input, want a header row", ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	t := &csvTable{r: r, cols: map[string]int{}}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(known, h) {
			return nil, fmt.Errorf("%w: line 1: unknown column %q (known: %s)", ErrInvalid, h, strings.Join(known, ","))
		}
		if _, dup := t.cols[h]; dup {
			return nil, fmt.Errorf("%w: line 1: column %q twice", ErrInvalid, h)
		}
		t.cols[h] = i
	}
	for _, c := range required {
		if _, ok := t.cols[c]; !ok {
			return nil, fmt.Errorf("%w: line 1: column %q is required", ErrInvalid, c)
		}
	}
	return t, nil
}

// next returns the next row as a lookup of trimmed values and its line; io.EOF at the end.
func (t *csvTable) next() (func(col string) string, int, error) {
	rec, err := t.r.Read()
	if err == io.EOF {
		return nil, 0, err
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	line, _ := t.r.FieldPos(0)
	return func(col string) string {
		if i, ok := t.cols[col]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}, line, nil
}

func parseBool(field, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "false", "0", "no", "нет":
		return false, nil
	case "true", "1", "yes", "да":
		return true, nil
	}
	return false, fmt.Errorf("%s: %q is not true or false", field, s)
}

func parseSex(s string) (female bool, err error) {
	switch strings.ToUpper(s) {
	case "M", "М", "MALE", "МУЖ", "МУЖСКОЙ", "1":
		return false, nil
	case "F", "Ж", "FEMALE", "ЖЕН", "ЖЕНСКИЙ", "2":
		return true, nil
	}
	return false, fmt.Errorf("sex: %q is not M or F", s)
}

func decodeCSV(b []byte) ([]*Person, []string, error) {
	t, err := newCSVTable(b, CSVColumns, csvRequired)
	if err != nil {
		return nil, nil, err
	}
	var persons []*Person
	var where []string
	for {
		get, line, err := t.next()
		if err == io.EOF {
			return persons, where, nil
		}
		if err != nil {
			return nil, nil, err
		}
		p, err := personFromRow(get)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: line %d: %v", ErrInvalid, line, err)
		}
		persons = append(persons, p)
		where = append(where, "line "+strconv.Itoa(line))
	}
}

func personFromRow(get func(string) string) (*Person, error) {
	p := &Person{IIN: get("iin"), Surname: get("surname"), Name: get("name"), Patronymic: get("patronymic"),
		Nationality: get("nationality"), Citizenship: get("citizenship"), BirthPlace: get("birth_place"), RegAddress: get("reg_address"),
		Region: get("region"), MotherIIN: get("mother_iin"), FatherIIN: get("father_iin"), SpouseIIN: get("spouse_iin")}
	var err error
	if p.BirthDate, err = parseDay("birth_date", get("birth_date")); err != nil {
		return nil, err
	}
	if p.DeathDate, err = parseDay("death_date", get("death_date")); err != nil {
		return nil, err
	}
	if p.Female, err = parseSex(get("sex")); err != nil {
		return nil, err
	}
	if p.Deceased, err = parseBool("deceased", get("deceased")); err != nil {
		return nil, err
	}
	if p.Test, err = parseBool("test", get("test")); err != nil {
		return nil, err
	}
	if d := (Document{Type: get("doc_type"), Number: get("doc_number"), IssuedBy: get("doc_issued_by")}); d.Type != "" || d.Number != "" ||
		d.IssuedBy != "" || get("doc_issued") != "" || get("doc_expires") != "" {
		if d.Issued, err = parseDay("doc_issued", get("doc_issued")); err != nil {
			return nil, err
		}
		if d.Expires, err = parseDay("doc_expires", get("doc_expires")); err != nil {
			return nil, err
		}
		p.Documents = []Document{d}
	}
	return p, nil
}

func personRow(p *Person) []string {
	sex := "M"
	if p.Female {
		sex = "F"
	}
	var d Document
	if len(p.Documents) > 0 {
		d = p.Documents[0]
	}
	return []string{p.IIN, p.Surname, p.Name, p.Patronymic, day(p.BirthDate), sex, p.Nationality, p.Citizenship,
		p.BirthPlace, p.RegAddress, p.Region, strconv.FormatBool(p.Deceased), day(p.DeathDate), p.MotherIIN, p.FatherIIN, p.SpouseIIN,
		strconv.FormatBool(p.Test), d.Type, d.Number, d.IssuedBy, day(d.Issued), day(d.Expires)}
}

// Export writes every person in ИИН order in format "json" (an array, one person a line) or
// "csv" (see CSVColumns), which Import reads back.
func (s *Store) Export(ctx context.Context, w io.Writer, format string) error {
	format = strings.ToLower(format)
	if format != "json" && format != "csv" {
		return fmt.Errorf("gbdfl: export: %w: format %q (want json or csv)", ErrInvalid, format)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var werr error
	n := 0
	if format == "json" {
		_, werr = bw.WriteString("[")
	}
	cw := csv.NewWriter(bw)
	if format == "csv" {
		werr = cw.Write(CSVColumns)
	}
	err := s.each(ctx, "", func(p *Person) bool {
		if format == "csv" {
			werr = cw.Write(personRow(p))
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
		return fmt.Errorf("gbdfl: export: %w", err)
	}
	return nil
}
