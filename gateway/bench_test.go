package gateway_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters/builtin"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/adapters/labour"
	"github.com/shep-kz/shep/certs/ca"
)

// BenchmarkSendMessage measures whole exchanges over loopback HTTP: a signed ГБД ФЛ request, every
// check, the registry answer, the response signed with RSA-2048, the exchange fsynced to the log.
// Requests are signed beforehand (the client's cost is not the gateway's).
// Certificate verdicts are cached for a minute, as `shep serve` does.
func BenchmarkSendMessage(b *testing.B) {
	w := newBenchWorld(b)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	const n = 4096
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = w.signed(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, id: fmt.Sprintf("bench-%d", i), data: gbdflData(applicantIIN)}, system)
	}
	var next atomic.Int64
	b.SetParallelism(8) // 8 clients per core: the log's group commit gets company
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)%n]
			resp, err := http.Post(w.url, "text/xml; charset=utf-8", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("HTTP %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkServiceApplication measures a regulation's service end to end: an AKT-3 application
// of the ЦОН channel (operator-signed document inside a signed envelope), ГБД ФЛ consulted,
// «Рынок труда» registering the application, deciding at once and signing the certificate with
// its official's key, the answer signed by the gateway. Each iteration is a new application: run
// with -benchtime Nx, N at most 2048 (the bodies are signed beforehand).
func BenchmarkServiceApplication(b *testing.B) {
	w := newServiceWorld(b, builtin.Options{DayLength: time.Minute, Systems: immediate()})
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	operator := w.issue(ca.IssueRequest{Kind: ca.KindOperator, IIN: operatorIIN})
	p, _ := w.person(false, false)
	if _, err := w.set.Unemployed.Add(ctx, &labour.Record{IIN: p.IIN, Number: "X-1", Application: "X-1", Registered: time.Now()}); err != nil {
		b.Fatal(err)
	}
	app := w.application("AKT-3", "con", p.IIN, `<app:operator><app:iin>`+operatorIIN+`</app:iin><app:bin>`+ca.DefaultOperatorBIN+`</app:bin></app:operator>`, operator)
	const n = 2048
	if b.N > n {
		b.Fatalf("b.N %d > %d: use -benchtime %dx or less", b.N, n, n)
	}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = w.signed(msg{sender: "con", password: "con-password", service: "AKT-3", id: fmt.Sprintf("svc-%d", i), data: app}, system)
	}
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Post(w.url, "text/xml; charset=utf-8", bytes.NewReader(bodies[next.Add(1)-1]))
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`code="completed"`)) {
				b.Fatalf("HTTP %d: %.300s", resp.StatusCode, body)
			}
		}
	})
}
