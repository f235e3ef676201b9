package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/store"
)

// adminFlags choose between a running gateway's admin API (--server) and the data dir's store.
type adminFlags struct {
	data, server, token *string
}

func (a *adminFlags) register(fs *flag.FlagSet, data *string, e *env) {
	a.data = data
	a.server = fs.String("server", "", "a running gateway's base URL (e.g. http://127.0.0.1:8080): use its admin API instead of the data dir")
	a.token = fs.String("token", e.getenv("SHEP_ADMIN_TOKEN"), "admin token for --server (default $SHEP_ADMIN_TOKEN, else DATA/admin.token)")
}

// call performs an admin API request and decodes the JSON answer into out.
func (a *adminFlags) call(ctx context.Context, method, path string, in, out any) error {
	b, err := a.do(ctx, method, path, in)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// raw GETs path and returns the answer's bytes (e.g. a signed XML document).
func (a *adminFlags) raw(ctx context.Context, path string) ([]byte, error) {
	return a.do(ctx, http.MethodGet, path, nil)
}

func (a *adminFlags) do(ctx context.Context, method, path string, in any) ([]byte, error) {
	tok := *a.token
	if tok == "" {
		b, err := os.ReadFile(filepath.Join(*a.data, "admin.token"))
		if err != nil {
			return nil, fmt.Errorf("no admin token: give --token or $SHEP_ADMIN_TOKEN (%v)", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(*a.server, "/")+path, body)
	if err != nil {
		return nil, fmt.Errorf("%w: --server: %v", errUsage, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			return nil, fmt.Errorf("%s: %s", e.Error.Code, e.Error.Message)
		}
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return b, nil
}

// openSenders opens the data dir's sender registry; close releases the store.
func openSenders(data string) (reg *participants.Registry, close func(), err error) {
	db, err := openStore(data)
	if err != nil {
		return nil, nil, err
	}
	if reg, err = participants.New(db, participants.Options{}); err != nil {
		db.Close()
		return nil, nil, err
	}
	return reg, func() { db.Close() }, nil
}

// logOptions is the message log's layout in a data directory: the store in DATA/store, the
// requests and responses in segment files in DATA/bodies. Whatever opens the log must use it.
func logOptions(data string, o msglog.Options) msglog.Options {
	o.BodyDir = filepath.Join(data, "bodies")
	return o
}

// openStore opens the data dir's store, explaining the lock a running gateway holds.
func openStore(data string) (*store.DB, error) {
	db, err := store.Open(store.Options{Dir: filepath.Join(data, "store")})
	if err != nil && strings.Contains(err.Error(), "lock") {
		return nil, fmt.Errorf("the store in %s is in use (is shep serve running?): use --server URL to go through its admin API (%w)", data, err)
	}
	return db, err
}

func runSender(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: shep sender add|list|remove [flags]", errUsage)
	}
	fs, data := newFlags(e, "sender "+args[0])
	var af adminFlags
	af.register(fs, data, e)
	switch args[0] {
	case "add":
		id := fs.String("id", "", "senderId (required)")
		pw := fs.String("password", "", "password (empty: none required)")
		var services listFlag
		fs.Var(&services, "service", "allowed serviceId (repeatable; none: every service)")
		channel := fs.String("channel", "", "portal|con|provider|system (default portal for a new sender)")
		name := fs.String("name", "", "a readable name")
		tc := fs.String("transport-cert", "", "the only certificate allowed to sign its envelopes (PEM or DER)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *id == "" {
			return fmt.Errorf("%w: --id is required", errUsage)
		}
		spec := map[string]any{"id": *id}
		pspec := participants.Spec{ID: *id}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["password"] {
			spec["password"], pspec.Password = *pw, pw
		}
		if set["service"] {
			s := []string(services)
			spec["services"], pspec.Services = s, &s
		}
		if set["channel"] {
			c := participants.Channel(*channel)
			spec["channel"], pspec.Channel = *channel, &c
		}
		if set["name"] {
			spec["name"], pspec.Name = *name, name
		}
		if *tc != "" {
			cs, err := readCertificate(*tc)
			if err != nil {
				return err
			}
			der := cs.Raw
			spec["transport_cert"], pspec.TransportCert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), &der
		}
		if *af.server != "" {
			var out map[string]any
			if err := af.call(ctx, http.MethodPost, "/admin/senders", spec, &out); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "sender %s saved (channel %v, services %v)\n", *id, out["channel"], out["services"])
			return nil
		}
		reg, closeStore, err := openSenders(*data)
		if err != nil {
			return err
		}
		defer closeStore()
		s, err := reg.Put(ctx, pspec)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "sender %s saved (channel %s, services %v)\n", s.ID, s.Channel, servicesText(s.Services))
		return nil
	case "list":
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		type row struct {
			ID, Channel, Name string
			Services          []string
			HasPassword       bool `json:"has_password"`
			Disabled          bool
		}
		var rows []row
		if *af.server != "" {
			var out struct {
				Senders []row `json:"senders"`
			}
			if err := af.call(ctx, http.MethodGet, "/admin/senders", nil, &out); err != nil {
				return err
			}
			rows = out.Senders
		} else {
			reg, closeStore, err := openSenders(*data)
			if err != nil {
				return err
			}
			defer closeStore()
			list, err := reg.List(ctx)
			if err != nil {
				return err
			}
			for _, s := range list {
				rows = append(rows, row{ID: s.ID, Channel: string(s.Channel), Name: s.Name, Services: s.Services, HasPassword: len(s.PasswordHash) > 0, Disabled: s.Disabled})
			}
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SENDER\tCHANNEL\tPASSWORD\tSERVICES\tNAME")
		for _, r := range rows {
			pw := "yes"
			if !r.HasPassword {
				pw = "none"
			}
			if r.Disabled {
				pw += " (disabled)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Channel, pw, servicesText(r.Services), r.Name)
		}
		return tw.Flush()
	case "remove":
		id := fs.String("id", "", "senderId (required)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *id == "" {
			return fmt.Errorf("%w: --id is required", errUsage)
		}
		if *af.server != "" {
			if err := af.call(ctx, http.MethodDelete, "/admin/senders/"+url.PathEscape(*id), nil, nil); err != nil {
				return err
			}
		} else {
			reg, closeStore, err := openSenders(*data)
			if err != nil {
				return err
			}
			defer closeStore()
			if err := reg.Delete(ctx, *id); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stdout, "sender %s removed\n", *id)
		return nil
	}
	return fmt.Errorf("%w: shep sender add|list|remove", errUsage)
}

func servicesText(s []string) string {
	if len(s) == 0 {
		return "every service"
	}
	return strings.Join(s, ",")
}

func runLog(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "synth" {
		return runLogSynth(ctx, e, args[1:]) // log.go
	}
	show := len(args) > 0 && args[0] == "show"
	if show {
		args = args[1:]
	}
	fs, data := newFlags(e, "log")
	var af adminFlags
	af.register(fs, data, e)
	var f msglog.Filter
	fs.StringVar(&f.MessageID, "message-id", "", "messageId")
	fs.StringVar(&f.SessionID, "session-id", "", "sessionId ({uuid})")
	fs.StringVar(&f.IIN, "iin", "", "the applicant's ИИН")
	fs.StringVar(&f.ServiceID, "service", "", "serviceId")
	fs.StringVar(&f.Sender, "sender", "", "senderId")
	fs.StringVar(&f.Status, "status", "", "SCSS001 or a refusal code")
	from := fs.String("from", "", "received at or after (RFC 3339 or -1h style)")
	to := fs.String("to", "", "received before")
	fs.IntVar(&f.Limit, "limit", 50, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if f.From, err = parseWhen(*from, time.Now()); err != nil {
		return fmt.Errorf("%w: --from: %v", errUsage, err)
	}
	if f.To, err = parseWhen(*to, time.Now()); err != nil {
		return fmt.Errorf("%w: --to: %v", errUsage, err)
	}
	if show && fs.NArg() != 1 {
		return fmt.Errorf("%w: shep log show SESSION", errUsage)
	}
	var items []msglog.Summary
	var rec *msglog.Record
	if *af.server != "" {
		if show {
			var out struct {
				*msglog.Record
				Request, Response string
			}
			if err := af.call(ctx, http.MethodGet, "/admin/log/"+url.PathEscape(fs.Arg(0)), nil, &out); err != nil {
				return err
			}
			rec = out.Record
			rec.Request, rec.Response = []byte(out.Request), []byte(out.Response)
		} else {
			q := url.Values{}
			for k, v := range map[string]string{"message_id": f.MessageID, "session_id": f.SessionID, "iin": f.IIN, "service_id": f.ServiceID,
				"sender": f.Sender, "status": f.Status} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if !f.From.IsZero() {
				q.Set("from", f.From.Format(time.RFC3339))
			}
			if !f.To.IsZero() {
				q.Set("to", f.To.Format(time.RFC3339))
			}
			q.Set("limit", fmt.Sprint(f.Limit))
			var out struct {
				Items []msglog.Summary `json:"items"`
			}
			if err := af.call(ctx, http.MethodGet, "/admin/log?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			items = out.Items
		}
	} else {
		db, err := openStore(*data)
		if err != nil {
			return err
		}
		defer db.Close()
		l, err := msglog.Open(db, logOptions(*data, msglog.Options{}))
		if err != nil {
			return err
		}
		defer l.Close()
		if show {
			if rec, err = l.BySession(ctx, fs.Arg(0)); err != nil {
				return err
			}
		} else if items, _, err = l.Query(ctx, f); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if show {
			return enc.Encode(struct {
				*msglog.Record
				Request, Response string
			}{rec, string(rec.Request), string(rec.Response)})
		}
		return enc.Encode(items)
	}
	if show {
		fmt.Fprintf(e.stdout, "session %s: %s/%s %s → %s (HTTP %d)\n  service %s, channel %s, ИИН %s, signer %s\n  received %s, answered in %s\n",
			rec.SessionID, rec.Sender, rec.MessageID, rec.ServiceID, rec.Status, rec.HTTPStatus, rec.ServiceID, rec.Channel, rec.IIN,
			rec.SignerSubject, rec.Received.Format(time.RFC3339Nano), rec.Responded.Sub(rec.Received))
		for _, s := range rec.Steps {
			fmt.Fprintf(e.stdout, "  %-12s %-28s %8s  %s\n", s.Name, s.Outcome, s.Duration.Round(time.Microsecond), s.Detail)
		}
		fmt.Fprintf(e.stdout, "--- request\n%s\n--- response\n%s\n", rec.Request, rec.Response)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tSENDER\tMESSAGE\tSERVICE\tИИН\tSTATUS\tTOOK\tSESSION")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Received.Format(time.RFC3339), it.Sender, it.MessageID, it.ServiceID, it.IIN, it.Status,
			it.Took.Round(time.Microsecond), it.SessionID)
	}
	return tw.Flush()
}
