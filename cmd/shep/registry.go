package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/store"
)

const registryUsage = `shep registry gbdfl get IIN | put FILE.json | delete IIN | list [--after IIN] [--limit N] |
                    import FILE [--format json|csv] | export [--format json|csv] [--out FILE] |
                    generate --n N [--seed S] [--out FILE [--format json|csv]]
shep registry enis  get NUMBER | put FILE.json | delete NUMBER | revoke NUMBER [--at TIME] | list [--after NUMBER] [--limit N] |
                    import FILE [--format json|csv] | export [--format json|csv] [--out FILE] |
                    lookup --principal IIN --representative IIN --service ID [--at TIME]
Every command takes --server URL (a running gateway's admin API) or works on --data DIR's store.`

// runRegistry manages the emulated registries ГБД ФЛ (persons) and ЕНИС (powers of attorney).
func runRegistry(ctx context.Context, e *env, args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%w:\n%s", errUsage, registryUsage)
	}
	switch args[0] {
	case "gbdfl":
		return registryGBDFL(ctx, e, args[1], args[2:])
	case "enis":
		return registryENIS(ctx, e, args[1], args[2:])
	}
	return fmt.Errorf("%w: unknown registry %q:\n%s", errUsage, args[0], registryUsage)
}

// registryCmd is one registry subcommand: its flags, and the store or admin API it works on.
type registryCmd struct {
	e    *env
	fs   *flag.FlagSet
	data *string
	af   adminFlags
	db   *store.DB
}

func newRegistryCmd(e *env, name string) *registryCmd {
	c := &registryCmd{e: e}
	c.fs, c.data = newFlags(e, "registry "+name)
	c.af.register(c.fs, c.data, e)
	return c
}

// parse parses flags and positional arguments in any order and checks the count of the latter.
func (c *registryCmd) parse(args []string, positional ...string) ([]string, error) {
	var pos []string
	for {
		if err := parse(c.fs, args); err != nil {
			return nil, err
		}
		if args = c.fs.Args(); len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != len(positional) {
		want := "no arguments"
		if len(positional) > 0 {
			want = strings.Join(positional, " ")
		}
		return nil, fmt.Errorf("%w: shep %s: want %s, got %q", errUsage, c.fs.Name(), want, pos)
	}
	return pos, nil
}

func (c *registryCmd) remote() bool { return *c.af.server != "" }

// open opens the data dir's store (closed by close).
func (c *registryCmd) open() (*store.DB, error) {
	if c.db == nil {
		db, err := openStore(*c.data)
		if err != nil {
			return nil, err
		}
		c.db = db
	}
	return c.db, nil
}

func (c *registryCmd) close() {
	if c.db != nil {
		c.db.Close()
		c.db = nil
	}
}

func (c *registryCmd) persons() (*gbdfl.Store, error) {
	db, err := c.open()
	if err != nil {
		return nil, err
	}
	return gbdfl.NewStore(db), nil
}

func (c *registryCmd) powers() (*enis.Store, error) {
	db, err := c.open()
	if err != nil {
		return nil, err
	}
	return enis.NewStore(db), nil
}

// raw performs an admin API request with a raw body and copies a successful answer to out.
func (c *registryCmd) raw(ctx context.Context, method, path, contentType string, body io.Reader, out io.Writer) error {
	tok := *c.af.token
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(*c.data, "admin.token"))
		if err != nil {
			return fmt.Errorf("no admin token: give --token or $SHEP_ADMIN_TOKEN (%v)", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(*c.af.server, "/")+path, body)
	if err != nil {
		return fmt.Errorf("%w: --server: %v", errUsage, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			return fmt.Errorf("%s: %s", e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	return nil
}

// output opens --out (stdout when empty); done closes it.
func (c *registryCmd) output(path string) (w io.Writer, done func() error, err error) {
	if path == "" {
		return c.e.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func registryFormat(format, file string) (string, error) {
	if format != "" {
		if format != "json" && format != "csv" {
			return "", fmt.Errorf("%w: --format %q: want json or csv", errUsage, format)
		}
		return format, nil
	}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json", ".jsonl", ".ndjson":
		return "json", nil
	case ".csv":
		return "csv", nil
	}
	return "", fmt.Errorf("%w: give --format json|csv for %s", errUsage, file)
}

var registryContentType = map[string]string{"json": "application/json", "csv": "text/csv; charset=utf-8"}

func (c *registryCmd) printJSON(v any) error {
	enc := json.NewEncoder(c.e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readJSONFile decodes one JSON object from path into v (unknown fields refused).
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func registryGBDFL(ctx context.Context, e *env, cmd string, args []string) error {
	c := newRegistryCmd(e, "gbdfl "+cmd)
	defer c.close()
	const base = "/admin/registries/gbdfl"
	switch cmd {
	case "get":
		pos, err := c.parse(args, "IIN")
		if err != nil {
			return err
		}
		var p *gbdfl.Person
		if c.remote() {
			p = new(gbdfl.Person)
			err = c.af.call(ctx, http.MethodGet, base+"/persons/"+url.PathEscape(pos[0]), nil, p)
		} else {
			s, err2 := c.persons()
			if err2 != nil {
				return err2
			}
			var ok bool
			if p, ok, err = s.Person(ctx, pos[0]); err == nil && !ok {
				err = fmt.Errorf("ГБД ФЛ: no person with ИИН %s", pos[0])
			}
		}
		if err != nil {
			return err
		}
		return c.printJSON(p)
	case "put":
		pos, err := c.parse(args, "FILE.json")
		if err != nil {
			return err
		}
		var p gbdfl.Person
		if err := readJSONFile(pos[0], &p); err != nil {
			return err
		}
		if c.remote() {
			err = c.af.call(ctx, http.MethodPut, base+"/persons/"+url.PathEscape(p.IIN), &p, nil)
		} else {
			s, err2 := c.persons()
			if err2 != nil {
				return err2
			}
			err = s.Put(ctx, &p)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "person %s saved\n", p.IIN)
		return nil
	case "delete":
		pos, err := c.parse(args, "IIN")
		if err != nil {
			return err
		}
		if c.remote() {
			err = c.af.call(ctx, http.MethodDelete, base+"/persons/"+url.PathEscape(pos[0]), nil, nil)
		} else {
			s, err2 := c.persons()
			if err2 != nil {
				return err2
			}
			err = s.Delete(ctx, pos[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "person %s deleted\n", pos[0])
		return nil
	case "list":
		after := c.fs.String("after", "", "start after this ИИН")
		limit := c.fs.Int("limit", 50, "at most this many (1-1000)")
		if _, err := c.parse(args); err != nil {
			return err
		}
		if *limit < 1 || *limit > 1000 {
			return fmt.Errorf("%w: --limit: want 1-1000", errUsage)
		}
		var ps []*gbdfl.Person
		if c.remote() {
			var out struct {
				Persons []*gbdfl.Person `json:"persons"`
			}
			q := url.Values{"after": {*after}, "limit": {strconv.Itoa(*limit)}}
			if err := c.af.call(ctx, http.MethodGet, base+"/persons?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			ps = out.Persons
		} else {
			s, err := c.persons()
			if err != nil {
				return err
			}
			if ps, err = s.List(ctx, *after, *limit); err != nil {
				return err
			}
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ИИН\tФИО\tBORN\tSEX\tREGION\tSTATUS\tFAMILY")
		for _, p := range ps {
			sex, status := "M", "alive"
			if p.Female {
				sex = "F"
			}
			if p.Deceased {
				status = "died " + p.DeathDate.Format(time.DateOnly)
			}
			var fam []string
			for _, l := range []struct{ k, v string }{{"mother", p.MotherIIN}, {"father", p.FatherIIN}, {"spouse", p.SpouseIIN}} {
				if l.v != "" {
					fam = append(fam, l.k+" "+l.v)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.IIN, strings.TrimSpace(p.Surname+" "+p.Name+" "+p.Patronymic),
				p.BirthDate.Format(time.DateOnly), sex, p.Region, status, strings.Join(fam, ", "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(ps) == *limit {
			fmt.Fprintf(e.stderr, "more: --after %s\n", ps[len(ps)-1].IIN)
		}
		return nil
	case "import":
		format := c.fs.String("format", "", "json or csv (default: by the file's extension)")
		pos, err := c.parse(args, "FILE")
		if err != nil {
			return err
		}
		return c.importFile(ctx, pos[0], *format, base+"/import", func(r io.Reader, f string) (int, error) {
			s, err := c.persons()
			if err != nil {
				return 0, err
			}
			return s.Import(ctx, r, f)
		})
	case "export":
		format := c.fs.String("format", "json", "json or csv")
		out := c.fs.String("out", "", "write to this file (default stdout)")
		if _, err := c.parse(args); err != nil {
			return err
		}
		return c.exportTo(ctx, *format, *out, base+"/export", func(w io.Writer, f string) error {
			s, err := c.persons()
			if err != nil {
				return err
			}
			return s.Export(ctx, w, f)
		})
	case "generate":
		n := c.fs.Int("n", 0, "how many persons (required)")
		seed := c.fs.Int64("seed", 1, "generator seed: the same seed gives the same persons")
		at := c.fs.String("now", "", "the generator's today (YYYY-MM-DD; default today)")
		out := c.fs.String("out", "", "write the persons to this file instead of the registry")
		format := c.fs.String("format", "json", "json or csv, with --out")
		if _, err := c.parse(args); err != nil {
			return err
		}
		if *n < 1 {
			return fmt.Errorf("%w: --n: want a positive number", errUsage)
		}
		now := time.Now()
		if *at != "" {
			t, err := time.Parse(time.DateOnly, *at)
			if err != nil {
				return fmt.Errorf("%w: --now: want YYYY-MM-DD", errUsage)
			}
			now = t
		}
		ps := gbdfl.Population(*seed, *n, now)
		if *out != "" {
			return c.writeGenerated(ctx, ps, *out, *format)
		}
		var err error
		if c.remote() {
			var res struct{ Imported int }
			err = c.af.call(ctx, http.MethodPost, base+"/import?format=json", ps, &res)
		} else {
			s, err2 := c.persons()
			if err2 != nil {
				return err2
			}
			err = s.PutBatch(ctx, ps)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "generated %d persons (seed %d) into ГБД ФЛ\n", len(ps), *seed)
		return nil
	}
	return fmt.Errorf("%w: unknown command gbdfl %q:\n%s", errUsage, cmd, registryUsage)
}

// writeGenerated writes persons to a file through a scratch in-memory registry's Export.
func (c *registryCmd) writeGenerated(ctx context.Context, ps []*gbdfl.Person, path, format string) error {
	if format != "json" && format != "csv" {
		return fmt.Errorf("%w: --format %q: want json or csv", errUsage, format)
	}
	db, err := store.Open(store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	s := gbdfl.NewStore(db)
	if err := s.PutBatch(ctx, ps); err != nil {
		return err
	}
	w, done, err := c.output(path)
	if err != nil {
		return err
	}
	if err := s.Export(ctx, w, format); err != nil {
		done()
		return err
	}
	if err := done(); err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "generated %d persons into %s\n", len(ps), path)
	return nil
}

func (c *registryCmd) importFile(ctx context.Context, file, format, path string, local func(io.Reader, string) (int, error)) error {
	format, err := registryFormat(format, file)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var n int
	if c.remote() {
		var buf bytes.Buffer
		if err = c.raw(ctx, http.MethodPost, path+"?format="+format, registryContentType[format], f, &buf); err == nil {
			var res struct{ Imported int }
			if err = json.Unmarshal(buf.Bytes(), &res); err == nil {
				n = res.Imported
			}
		}
	} else {
		n, err = local(f, format)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "imported %d records from %s\n", n, file)
	return nil
}

func (c *registryCmd) exportTo(ctx context.Context, format, out, path string, local func(io.Writer, string) error) error {
	if format != "json" && format != "csv" {
		return fmt.Errorf("%w: --format %q: want json or csv", errUsage, format)
	}
	w, done, err := c.output(out)
	if err != nil {
		return err
	}
	if c.remote() {
		err = c.raw(ctx, http.MethodGet, path+"?format="+format, "", nil, w)
	} else {
		err = local(w, format)
	}
	if derr := done(); err == nil {
		err = derr
	}
	return err
}

func registryENIS(ctx context.Context, e *env, cmd string, args []string) error {
	c := newRegistryCmd(e, "enis "+cmd)
	defer c.close()
	const base = "/admin/registries/enis"
	switch cmd {
	case "get":
		pos, err := c.parse(args, "NUMBER")
		if err != nil {
			return err
		}
		var p *enis.PowerOfAttorney
		if c.remote() {
			p = new(enis.PowerOfAttorney)
			err = c.af.call(ctx, http.MethodGet, base+"/powers/"+url.PathEscape(pos[0]), nil, p)
		} else {
			s, err2 := c.powers()
			if err2 != nil {
				return err2
			}
			p, err = s.Get(ctx, pos[0])
		}
		if err != nil {
			return err
		}
		return c.printJSON(p)
	case "put":
		pos, err := c.parse(args, "FILE.json")
		if err != nil {
			return err
		}
		var p enis.PowerOfAttorney
		if err := readJSONFile(pos[0], &p); err != nil {
			return err
		}
		if c.remote() {
			err = c.af.call(ctx, http.MethodPut, base+"/powers/"+url.PathEscape(p.Number), &p, nil)
		} else {
			s, err2 := c.powers()
			if err2 != nil {
				return err2
			}
			err = s.Put(ctx, &p)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "power of attorney %s saved\n", p.Number)
		return nil
	case "delete":
		pos, err := c.parse(args, "NUMBER")
		if err != nil {
			return err
		}
		if c.remote() {
			err = c.af.call(ctx, http.MethodDelete, base+"/powers/"+url.PathEscape(pos[0]), nil, nil)
		} else {
			s, err2 := c.powers()
			if err2 != nil {
				return err2
			}
			err = s.Delete(ctx, pos[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "power of attorney %s deleted\n", pos[0])
		return nil
	case "revoke":
		at := c.fs.String("at", "", "revoked from (RFC 3339, YYYY-MM-DD or -1d style; default now)")
		pos, err := c.parse(args, "NUMBER")
		if err != nil {
			return err
		}
		when, err := registryWhen(*at)
		if err != nil {
			return err
		}
		var p *enis.PowerOfAttorney
		if c.remote() {
			p = new(enis.PowerOfAttorney)
			err = c.af.call(ctx, http.MethodPost, base+"/powers/"+url.PathEscape(pos[0])+"/revoke?at="+url.QueryEscape(when.Format(time.RFC3339)), nil, p)
		} else {
			s, err2 := c.powers()
			if err2 != nil {
				return err2
			}
			p, err = s.Revoke(ctx, pos[0], when)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "power of attorney %s revoked from %s\n", p.Number, p.RevokedAt.Format(time.RFC3339))
		return nil
	case "list":
		after := c.fs.String("after", "", "start after this number")
		limit := c.fs.Int("limit", 50, "at most this many (1-1000)")
		if _, err := c.parse(args); err != nil {
			return err
		}
		if *limit < 1 || *limit > 1000 {
			return fmt.Errorf("%w: --limit: want 1-1000", errUsage)
		}
		var ps []*enis.PowerOfAttorney
		if c.remote() {
			var out struct {
				Powers []*enis.PowerOfAttorney `json:"powers"`
			}
			q := url.Values{"after": {*after}, "limit": {strconv.Itoa(*limit)}}
			if err := c.af.call(ctx, http.MethodGet, base+"/powers?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			ps = out.Powers
		} else {
			s, err := c.powers()
			if err != nil {
				return err
			}
			if ps, err = s.List(ctx, *after, *limit); err != nil {
				return err
			}
		}
		now := time.Now()
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NUMBER\tPRINCIPAL\tREPRESENTATIVE\tSERVICES\tFROM\tUNTIL\tSTATUS")
		for _, p := range ps {
			status := "valid"
			switch {
			case p.RevokedBy(now):
				status = "revoked"
			case !now.Before(p.Until):
				status = "expired"
			case now.Before(p.From):
				status = "not yet valid"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Number, p.Principal, p.Representative, strings.Join(p.Services, ","),
				p.From.Format(time.DateOnly), p.Until.Format(time.DateOnly), status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(ps) == *limit {
			fmt.Fprintf(e.stderr, "more: --after %s\n", ps[len(ps)-1].Number)
		}
		return nil
	case "import":
		format := c.fs.String("format", "", "json or csv (default: by the file's extension)")
		pos, err := c.parse(args, "FILE")
		if err != nil {
			return err
		}
		return c.importFile(ctx, pos[0], *format, base+"/import", func(r io.Reader, f string) (int, error) {
			s, err := c.powers()
			if err != nil {
				return 0, err
			}
			return s.Import(ctx, r, f)
		})
	case "export":
		format := c.fs.String("format", "json", "json or csv")
		out := c.fs.String("out", "", "write to this file (default stdout)")
		if _, err := c.parse(args); err != nil {
			return err
		}
		return c.exportTo(ctx, *format, *out, base+"/export", func(w io.Writer, f string) error {
			s, err := c.powers()
			if err != nil {
				return err
			}
			return s.Export(ctx, w, f)
		})
	case "lookup":
		principal := c.fs.String("principal", "", "ИИН of the person represented (required)")
		rep := c.fs.String("representative", "", "ИИН of the representative (required)")
		service := c.fs.String("service", "", "serviceId (required)")
		at := c.fs.String("at", "", "at this time (RFC 3339, YYYY-MM-DD or -1d style; default now)")
		if _, err := c.parse(args); err != nil {
			return err
		}
		if *principal == "" || *rep == "" || *service == "" {
			return fmt.Errorf("%w: --principal, --representative and --service are required", errUsage)
		}
		when, err := registryWhen(*at)
		if err != nil {
			return err
		}
		var p *enis.PowerOfAttorney
		if c.remote() {
			p = new(enis.PowerOfAttorney)
			q := url.Values{"principal": {*principal}, "representative": {*rep}, "service": {*service}, "at": {when.Format(time.RFC3339)}}
			err = c.af.call(ctx, http.MethodGet, base+"/lookup?"+q.Encode(), nil, p)
		} else {
			s, err2 := c.powers()
			if err2 != nil {
				return err2
			}
			var ok bool
			if p, ok, err = s.FindAny(ctx, *principal, *rep, *service, when); err == nil && !ok {
				err = fmt.Errorf("ЕНИС: no power of attorney lets %s act for %s in %s at %s", *rep, *principal, *service, when.Format(time.RFC3339))
			}
		}
		if err != nil {
			return err
		}
		return c.printJSON(p)
	}
	return fmt.Errorf("%w: unknown command enis %q:\n%s", errUsage, cmd, registryUsage)
}

func registryWhen(s string) (time.Time, error) {
	now := time.Now()
	if s == "" {
		return now, nil
	}
	t, err := parseWhen(s, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: --at: %v", errUsage, err)
	}
	return t, nil
}
