package gateway_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs/ca"
)

// BenchmarkSendMessage measures whole exchanges over loopback HTTP: a signed ГБД ФЛ request, every
// check, the registry answer, the response signed with RSA-2048, the exchange fsynced to the log.
// Requests are signed beforehand (the client's cost is not the gateway's).
func BenchmarkSendMessage(b *testing.B) {
	w := newWorld(b)
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
