package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/enis"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/certs/trust"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/gateway/msglog"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

// crashDataEnv, set, makes TestCrashServerProcess serve the gateway kept in that data directory.
const crashDataEnv = "SHEP_GATEWAY_CRASH_DATA"

// crashListening prefixes the line the child prints with its base URL.
const crashListening = "shep-crash-child listening on "

// TestCrashServerProcess is the child of TestCrashKeepsAnsweredMessages: the gateway as `shep
// serve` assembles it (test НУЦ, badger store, demo senders, message log, ГБД ФЛ) from the data
// directory in $SHEP_GATEWAY_CRASH_DATA, on a real 127.0.0.1 port, until it is killed (at most 60 s).
func TestCrashServerProcess(t *testing.T) {
	data := os.Getenv(crashDataEnv)
	if data == "" {
		t.Skip("child process of TestCrashKeepsAnsweredMessages")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := serveCrashChild(ctx, data); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	os.Exit(4) // not killed in time
}

func serveCrashChild(ctx context.Context, data string) error {
	authority, err := ca.Open(ctx, ca.Options{Dir: filepath.Join(data, "pki")}, true)
	if err != nil {
		return err
	}
	identity, err := gateway.EnsureIdentity(ctx, authority, filepath.Join(data, "gateway"))
	if err != nil {
		return err
	}
	db, err := store.Open(store.Options{Dir: filepath.Join(data, "store")})
	if err != nil {
		return err
	}
	senders, err := participants.New(db, participants.Options{BcryptCost: 4})
	if err != nil {
		return err
	}
	if err := gateway.EnsureDemoSenders(ctx, senders); err != nil {
		return err
	}
	mlog, err := msglog.Open(db, msglog.Options{BodyDir: filepath.Join(data, "bodies")})
	if err != nil {
		return err
	}
	var srcs []revocation.Source
	for _, k := range []ca.CRLKind{ca.CRLFull, ca.CRLDelta, ca.CRLRoot} {
		srcs = append(srcs, revocation.FuncSource{Label: string(k), F: func(ctx context.Context) ([]byte, error) { return authority.CRL(ctx, k) }})
	}
	tr, err := trust.Build(ctx, trust.Config{Anchors: []*x509.Certificate{authority.Root()}, Intermediates: []*x509.Certificate{authority.Issuing()}, CRLSources: srcs})
	if err != nil {
		return err
	}
	persons := gbdfl.Demo()
	router := adapters.NewRouter()
	router.Handle(gbdfl.ServiceID, &gbdfl.Adapter{Registry: persons})
	pipe := &gateway.Pipeline{Senders: senders, Log: mlog, Validator: tr.Validator, Router: router, Persons: persons, Powers: enis.Demo(),
		Identity: identity, CONBIN: ca.DefaultOperatorBIN, ProviderTimeout: 30 * time.Second, Limits: signing.Limits{MaxBytes: 1 << 20},
		Certs: signing.NewCertCache(0), Now: time.Now, Logger: discard(), Metrics: gateway.NewMetrics()}
	token, err := gateway.EnsureAdminToken(filepath.Join(data, "admin.token"))
	if err != nil {
		return err
	}
	srv, err := gateway.New(gateway.Options{CA: authority, Store: db, Pipeline: pipe, CRLs: tr.CRLs, AdminToken: token, MaxBody: 1 << 20})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "%shttp://%s\n", crashListening, l.Addr())
	return srv.Serve(ctx, l)
}

// crashChild is a running child gateway.
type crashChild struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port; "" if the child ended before listening
	stderr *bytes.Buffer
}

func startCrashChild(t *testing.T, data string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashServerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDataEnv+"="+data)
	c := &crashChild{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.kill(t) })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), crashListening); ok && !found {
				addr <- u
				found = true
			}
		}
		if !found {
			addr <- "" // the child ended (at the latest after its 60 s) without listening
		}
	}()
	c.base = <-addr
	if c.base == "" {
		c.kill(t)
		t.Fatalf("the child gateway did not start: %v\n%s", c.cmd.ProcessState, c.stderr)
	}
	return c
}

// kill sends SIGKILL and reaps the child; further calls do nothing.
func (c *crashChild) kill(t *testing.T) {
	if c.cmd.ProcessState != nil {
		return
	}
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Error(err)
	}
	c.cmd.Wait()
}

// TestCrashKeepsAnsweredMessages: the gateway process is SIGKILLed while 8 clients are sending;
// after a restart on the same data directory every message a client got an answer for is in the
// log, and resending it returns the same bytes from the log (one record, not processed again).
func TestCrashKeepsAnsweredMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	data := t.TempDir()
	// The data directory's test НУЦ is created here and issues the clients' certificate; the child
	// opens the same one (the НУЦ is shared between processes under flock, as with `shep pki`).
	authority, err := ca.Open(ctx, ca.Options{Dir: filepath.Join(data, "pki")}, true)
	if err != nil {
		t.Fatal(err)
	}
	signer := testpki.Issue(t, authority, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ИС НАГРУЗКА"})

	child := startCrashChild(t, data)
	endpoint := child.base + "/bip-sync-wss-gost/"

	const (
		clients     = 8
		maxRequests = 2000 // bound on the whole load
		killAfter   = 250  // complete answers received before SIGKILL
	)
	type sent struct {
		body, answer []byte
	}
	var (
		mu          sync.Mutex
		answered    = map[string]sent{} // messageId → request and the complete answer received
		unanswered  = map[string][]byte{}
		next        atomic.Int64
		killed      atomic.Bool
		killOnce    sync.Once
		earlyErrors []string
	)
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > maxRequests {
					return
				}
				id := fmt.Sprintf("crash-%06d", i)
				body, err := signing.SignWSSE(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, id: id, data: gbdflData(applicantIIN)}.envelope(),
					signer.Key, signer.Certificate, signing.SignOptions{})
				if err != nil {
					panic(err)
				}
				answer, err := post(hc, endpoint, body)
				mu.Lock()
				if err != nil {
					unanswered[id] = body
					if !killed.Load() {
						earlyErrors = append(earlyErrors, fmt.Sprintf("%s: %v", id, err))
					}
					mu.Unlock()
					return // the server is gone (or broken: reported below)
				}
				answered[id] = sent{body, answer}
				n := len(answered)
				mu.Unlock()
				if n == killAfter {
					killOnce.Do(func() {
						killed.Store(true)
						if err := child.cmd.Process.Kill(); err != nil { // SIGKILL, while the other clients are mid-request
							t.Error(err)
						}
					})
				}
			}
		})
	}
	wg.Wait()
	child.kill(t)
	if len(earlyErrors) > 0 {
		t.Fatalf("%d requests failed before the kill, e.g. %s\n%s", len(earlyErrors), earlyErrors[0], child.stderr)
	}
	if !killed.Load() {
		t.Fatalf("only %d answers before the load ended; the server was never killed", len(answered))
	}
	t.Logf("SIGKILL after %d answers; %d answered in all, %d requests without an answer", killAfter, len(answered), len(unanswered))

	// Every answer received was a signed success.
	for id, s := range answered {
		v, err := signing.VerifyWSSE(s.answer, signing.Options{})
		if err != nil {
			t.Fatalf("%s: answer signature: %v\n%s", id, err, s.answer)
		}
		r, err := syncchannel.ParseResponse(v.Element)
		if err != nil || r.Info.Status.Code != syncchannel.StatusSuccess || r.Info.CorrelationID != id {
			t.Fatalf("%s: answer %v %+v\n%s", id, err, r, s.answer)
		}
	}

	restarted := startCrashChild(t, data) // on the data directory of the killed one
	endpoint = restarted.base + "/bip-sync-wss-gost/"
	token, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	logged := func(id string) []msglog.Summary {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, restarted.base+"/admin/log?sender=smartbridge&message_id="+url.QueryEscape(id), nil)
		req.Header.Set("Authorization", "Bearer "+string(token))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct{ Items []msglog.Summary }
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("/admin/log for %s: HTTP %d %v", id, resp.StatusCode, err)
		}
		return page.Items
	}

	// (a) Every answered message is in the log, before anything is resent.
	for id := range answered {
		if items := logged(id); len(items) != 1 || items[0].Status != syncchannel.StatusSuccess {
			t.Errorf("answered message %s: log holds %+v after the crash", id, items)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// (b) Resending answered requests returns the very bytes first received, from the log: still
	// one record each, whose session is the one of the first answer.
	checked := 0
	for id, s := range answered {
		again, err := post(hc, endpoint, s.body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, s.answer) {
			t.Fatalf("%s: resent after the crash, the answer differs:\n%s\n---\n%s", id, s.answer, again)
		}
		if items := logged(id); len(items) != 1 || !bytes.Contains(s.answer, []byte(items[0].SessionID)) {
			t.Fatalf("%s: after the resend the log holds %+v", id, items)
		}
		if checked++; checked == 50 {
			break
		}
	}

	// A request that got no answer may be retried: it is processed (or, had it been logged
	// before the kill, replayed), never left "in progress".
	committed := 0
	for id := range unanswered {
		committed += len(logged(id))
	}
	t.Logf("%d of the %d requests without an answer had been logged before the kill", committed, len(unanswered))
	for id, body := range unanswered {
		again, err := post(hc, endpoint, body)
		if err != nil {
			t.Fatal(err)
		}
		v, err := signing.VerifyWSSE(again, signing.Options{})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if r, err := syncchannel.ParseResponse(v.Element); err != nil || r.Info.Status.Code != syncchannel.StatusSuccess {
			t.Fatalf("unanswered %s retried: %v\n%s", id, err, again)
		}
		if items := logged(id); len(items) != 1 {
			t.Fatalf("unanswered %s retried: log holds %+v", id, items)
		}
	}
}

// post sends a SOAP 1.1 request and returns the complete answer body, or an error if the answer
// (status line, headers and every byte of the body) did not arrive.
func post(hc *http.Client, endpoint string, body []byte) ([]byte, error) {
	resp, err := hc.Post(endpoint, "text/xml; charset=utf-8", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
		return nil, fmt.Errorf("short body: %d of %d bytes", len(b), resp.ContentLength)
	}
	return b, nil
}
