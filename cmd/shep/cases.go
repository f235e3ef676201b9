package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// runCase is the provider specialist's desk on the command line (АРМ РШЭП and the other built-in
// systems), through a running gateway's admin API.
func runCase(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: shep case list|show|take|extend|complete|refuse|result [flags] [NUMBER]", errUsage)
	}
	fs, data := newFlags(e, "case "+args[0])
	var af adminFlags
	af.register(fs, data, e)
	actorName := fs.String("actor", e.getenv("USER"), "the specialist's name, recorded in the timeline")
	actorIIN := fs.String("actor-iin", "", "the specialist's ИИН")
	var system, service, status, iin, by, reason, basis, text, out string
	var open bool
	var facts listFlag
	switch args[0] {
	case "list":
		fs.StringVar(&system, "system", "", "labour-market, e-sobes or rshep")
		fs.StringVar(&service, "service", "", "serviceId")
		fs.StringVar(&status, "status", "", "received, in_progress, extended, completed, refused, delivered")
		fs.StringVar(&iin, "iin", "", "the applicant's ИИН")
		fs.BoolVar(&open, "open", false, "only applications waiting for a decision")
	case "extend":
		fs.StringVar(&by, "by", "", "how much longer, e.g. 5wd, 1mo (required)")
		fs.StringVar(&reason, "reason", "", "why (required; the applicant is told)")
	case "complete":
		fs.StringVar(&text, "text", "", "the result's statement (default: the service's rules)")
		fs.Var(&facts, "fact", "LABEL=VALUE line of the result (repeatable)")
	case "refuse":
		fs.StringVar(&reason, "reason", "", "the motivated justification (required)")
		fs.StringVar(&basis, "basis", "", "the legal basis cited")
	case "result":
		fs.StringVar(&out, "o", "", "write the signed XML to this file (default stdout)")
	case "show", "take":
	default:
		return fmt.Errorf("%w: unknown case command %q", errUsage, args[0])
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *af.server == "" {
		*af.server = e.getenv("SHEP_SERVER")
		if *af.server == "" {
			*af.server = "http://127.0.0.1:8080"
		}
	}
	if args[0] == "list" {
		q := url.Values{}
		for k, v := range map[string]string{"system": system, "service": service, "status": status, "iin": iin} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if open {
			q.Set("open", "true")
		}
		var res struct {
			Cases []struct {
				Number, System, Status string
				ServiceID              string `json:"service_id"`
				StatusRU               string `json:"status_ru"`
				Applicant              struct{ IIN string }
				Deadline               time.Time
				Overdue                bool
			} `json:"cases"`
		}
		if err := af.call(ctx, http.MethodGet, "/admin/cases?"+q.Encode(), nil, &res); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NUMBER\tSERVICE\tSYSTEM\tAPPLICANT\tSTATUS\tDEADLINE")
		for _, c := range res.Cases {
			dl := c.Deadline.Format("2006-01-02 15:04")
			if c.Overdue {
				dl += " (просрочено)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Number, c.ServiceID, c.System, c.Applicant.IIN, c.StatusRU, dl)
		}
		return tw.Flush()
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: shep case %s NUMBER", errUsage, args[0])
	}
	number := url.PathEscape(fs.Arg(0))
	actor := map[string]string{"name": *actorName, "iin": *actorIIN}
	var body map[string]any
	switch args[0] {
	case "show":
		var c json.RawMessage
		if err := af.call(ctx, http.MethodGet, "/admin/cases/"+number, nil, &c); err != nil {
			return err
		}
		return printJSON(e, c)
	case "result":
		return caseResult(ctx, e, &af, number, out)
	case "take":
		body = map[string]any{"actor": actor}
	case "extend":
		body = map[string]any{"actor": actor, "by": by, "reason": reason}
	case "complete":
		fl := []map[string]string{}
		for _, f := range facts {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return fmt.Errorf("%w: --fact %q: want LABEL=VALUE", errUsage, f)
			}
			fl = append(fl, map[string]string{"label": k, "value": v})
		}
		body = map[string]any{"actor": actor, "text": text, "facts": fl}
	case "refuse":
		body = map[string]any{"actor": actor, "reason": reason, "basis": basis}
	}
	var c struct {
		Number   string
		StatusRU string `json:"status_ru"`
		Deadline time.Time
	}
	if err := af.call(ctx, http.MethodPost, "/admin/cases/"+number+"/"+args[0], body, &c); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s (срок %s)\n", c.Number, c.StatusRU, c.Deadline.Format("2006-01-02 15:04"))
	return nil
}

func printJSON(e *env, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, string(b))
	return err
}

// caseResult downloads the signed result of an application.
func caseResult(ctx context.Context, e *env, af *adminFlags, number, out string) error {
	var c struct {
		Result *struct{ Number string } `json:"result"`
	}
	if err := af.call(ctx, http.MethodGet, "/admin/cases/"+number, nil, &c); err != nil {
		return err
	}
	if c.Result == nil {
		return fmt.Errorf("no result issued yet for %s", number)
	}
	b, err := af.raw(ctx, "/admin/cases/"+number+"/result")
	if err != nil {
		return err
	}
	if out == "" {
		_, err = e.stdout.Write(b)
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
