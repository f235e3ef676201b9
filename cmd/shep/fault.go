package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shep-kz/shep/adapters/faultinject"
)

const faultUsage = "shep fault set|list|clear [ID] --server URL [flags]"

// runFault sets, lists and clears a running gateway's injected faults (its admin API /admin/faults).
func runFault(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, faultUsage)
	}
	fs, data := newFlags(e, "fault "+args[0])
	var af adminFlags
	af.register(fs, data, e)
	needServer := func() error {
		if *af.server == "" {
			return fmt.Errorf("%w: shep fault works on a running gateway: give --server URL", errUsage)
		}
		return nil
	}
	switch args[0] {
	case "set":
		id := fs.String("id", "", "the rule's ID (default: a new random one; an existing ID replaces that rule)")
		adapter := fs.String("adapter", "", "adapter name (labour-market, e-sobes, rshep, gbdfl, enis, a provider id…; default: any)")
		service := fs.String("service", "", "serviceId (default: any)")
		latency := fs.Duration("latency", 0, "delay added before the adapter runs (e.g. 2s; at most 10m)")
		jitter := fs.Duration("jitter", 0, "random extra delay, 0..this")
		rate := fs.Float64("error-rate", 0, "share of calls failing with PROVIDER_UNAVAILABLE, 0..1")
		timeout := fs.Bool("timeout", false, "the adapter never answers (the gateway gives PROVIDER_TIMEOUT)")
		refuse := fs.String("refuse", "", "forced motivated refusal with this reason")
		noData := fs.Bool("no-data", false, "forced \"no data\" (GBDFL_NO_DATA)")
		count := fs.Int("count", 0, "apply to this many matching calls, then remove the rule (default: until cleared)")
		forD := fs.Duration("for", 0, "remove the rule after this long (e.g. 10m; default: never)")
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		if err := needServer(); err != nil {
			return err
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		spec := map[string]any{}
		for _, f := range []struct {
			flag, key string
			v         any
		}{
			{"id", "id", *id}, {"adapter", "adapter", *adapter}, {"service", "service", *service},
			{"latency", "latency", latency.String()}, {"jitter", "jitter", jitter.String()}, {"error-rate", "error_rate", *rate},
			{"timeout", "timeout", *timeout}, {"refuse", "refuse", *refuse}, {"no-data", "no_data", *noData},
			{"count", "remaining", *count}, {"for", "for", forD.String()},
		} {
			if set[f.flag] {
				spec[f.key] = f.v
			}
		}
		var r faultinject.Rule
		if err := af.call(ctx, http.MethodPost, "/admin/faults", spec, &r); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "fault rule %s set: %s/%s: %s%s\n", r.ID, anyName(r.Adapter), anyName(r.Service), faultinject.Effects(r), faultLimits(r))
		return nil
	case "list":
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		if err := needServer(); err != nil {
			return err
		}
		var out struct {
			Faults []faultinject.Rule `json:"faults"`
		}
		if err := af.call(ctx, http.MethodGet, "/admin/faults", nil, &out); err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out.Faults)
		}
		if len(out.Faults) == 0 {
			fmt.Fprintln(e.stdout, "no fault rules")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tADAPTER\tSERVICE\tEFFECTS\tLEFT\tEXPIRES\tHITS")
		for _, r := range out.Faults {
			left, expires := "∞", "never"
			if r.Remaining > 0 {
				left = fmt.Sprint(r.Remaining)
			}
			if !r.Expires.IsZero() {
				expires = r.Expires.Local().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, anyName(r.Adapter), anyName(r.Service), faultinject.Effects(r), left, expires, r.Hits)
		}
		return tw.Flush()
	case "clear":
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if err := needServer(); err != nil {
			return err
		}
		if len(pos) == 1 {
			if err := af.call(ctx, http.MethodDelete, "/admin/faults/"+url.PathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "fault rule %s cleared\n", pos[0])
			return nil
		}
		var out struct {
			Cleared int `json:"cleared"`
		}
		if err := af.call(ctx, http.MethodDelete, "/admin/faults", nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d fault rule(s) cleared\n", out.Cleared)
		return nil
	}
	return fmt.Errorf("%w: %s", errUsage, faultUsage)
}

// parseArgs parses flags placed before, between or after at most max positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, max int) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		if len(pos) > max {
			return nil, fmt.Errorf("%w: unexpected argument %q (%s)", errUsage, fs.Arg(0), faultUsage)
		}
		args = fs.Args()[1:]
	}
}

func anyName(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

func faultLimits(r faultinject.Rule) string {
	var s []string
	if r.Remaining > 0 {
		s = append(s, fmt.Sprintf("next %d call(s)", r.Remaining))
	}
	if !r.Expires.IsZero() {
		s = append(s, "until "+r.Expires.Local().Format(time.RFC3339))
	}
	if len(s) == 0 {
		return ""
	}
	return " (" + strings.Join(s, ", ") + ")"
}
