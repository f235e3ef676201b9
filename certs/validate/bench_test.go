package validate_test

import (
	"testing"
	"time"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/validate"
)

// BenchmarkValidate measures a verdict on a test НУЦ SIGN certificate: chain of 3, revocation of
// 2 certificates from held full+delta CRLs, identity. "cached" is the gateway's hot path.
func BenchmarkValidate(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"uncached", -1}, {"cached", time.Hour}} {
		b.Run(bc.name, func(b *testing.B) {
			w := newWorld(b, bc.ttl)
			c := w.issue(b, ca.IssueRequest{})
			w.refresh(b)
			req := validate.Request{Cert: c, Usage: validate.UsageSign}
			b.ReportAllocs()
			b.ResetTimer() // the CA, its RSA keys and the CRLs are setup, not the measure
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := w.v.Validate(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
