// Command shep is the ШЭП (SmartBridge) emulator: the gateway server, its test НУЦ, and tools
// for testers. Run `shep help` for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// errUsage marks a usage error (exit code 2).
var errUsage = errors.New("usage error")

type command struct {
	name, summary string
	run           func(ctx context.Context, env *env, args []string) error
}

// env is what every subcommand gets: the streams and the environment, never globals.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"serve", "run the gateway (embedded store and test НУЦ, created on first start)", runServe},
		{"pki", "manage the test НУЦ: init, ca, issue, revoke, crl, list", runPKI},
		{"cert", "certificates: cert show FILE, cert issue (RSA or GOST 2015-512, PEM or .p12)", runCert},
		{"verify", "verify a signed SOAP envelope (WS-Security) or document (enveloped) and its signer", runVerify},
		{"sign", "sign a SOAP envelope (--wsse) or a document (--enveloped)", runSign},
		{"send", "build, sign and send a SendMessage to a gateway, and show the answer", runSend},
		{"bench", "load-test a gateway: signed requests of a mix of services; throughput, latency, crypto floor", runBench},
		{"sender", "manage the gateway's senders: sender add|list|remove", runSender},
		{"log", "query the message log: log [filters] | log show SESSION", runLog},
		{"registry", "ГБД ФЛ and ЕНИС: registry gbdfl|enis get|put|delete|list|import|export|generate", runRegistry},
		{"case", "the provider specialist's desk: case list|show|take|extend|complete|refuse|result", runCase},
		{"provider", "remote provider systems: provider add|list|remove", runProvider},
		{"provider-example", "run the example remote provider system (for provider teams)", runProviderExample},
		{"fault", "fault injection for testers: fault set|list|clear", runFault},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintln(e.stderr, "shep:", err)
				return 2
			case errors.Is(err, errInvalid):
				return 1 // the command printed its verdict
			default:
				fmt.Fprintln(e.stderr, "shep:", err)
				return 1
			}
		}
	}
	fmt.Fprintf(e.stderr, "shep: unknown command %q\n", args[0])
	usage(e.stderr)
	return 2
}

// errInvalid is returned by commands that printed a negative verdict themselves (exit code 1).
var errInvalid = errors.New("invalid")

func usage(w io.Writer) {
	fmt.Fprintln(w, "shep — emulator of Kazakhstan's e-government gateway (ШЭП / SmartBridge)")
	fmt.Fprintln(w, "\nUsage: shep COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nCommands that use a data dir take --data DIR (default ./shep-data, or $SHEP_DATA). `shep COMMAND -h` for its flags.")
}

// newFlagSet makes a flag set that reports errors instead of exiting.
func newFlagSet(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// newFlags is newFlagSet with the common --data flag.
func newFlags(e *env, name string) (*flag.FlagSet, *string) {
	fs := newFlagSet(e, name)
	def := e.getenv("SHEP_DATA")
	if def == "" {
		def = "shep-data"
	}
	data := fs.String("data", def, "data directory (store, test НУЦ)")
	return fs, data
}

// parse parses args, mapping flag errors to errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func pkiDir(data string) string { return filepath.Join(data, "pki") }

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q", errUsage, level)
	}
	o := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return nil, fmt.Errorf("%w: --log-format %q (json or text)", errUsage, format)
}
