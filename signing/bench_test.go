package signing

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/fixtures"
	"github.com/shep-kz/shep/internal/testpki"
)

// benchMessage is a SendMessage of about size bytes once signed: the ГБД ФЛ request of the
// fixtures with its data padded by person records (Cyrillic text, as real payloads have).
func benchMessage(size int) string {
	const person = "<person><iin>931002451325</iin><surname>Тестов</surname><name>Тест</name><birthDate>1993-10-02</birthDate></person>"
	n := (size - 3000) / len(person)
	return strings.Replace(sendMessage, "<iin>931002451325</iin>", "<iin>931002451325</iin>"+strings.Repeat(person, max(n, 0)), 1)
}

// BenchmarkVerifyWSSE verifies WS-Security envelopes signed with RSA-2048 by a test НУЦ
// certificate (parse, checks, canonicalization, digest, signature, re-parse of the signed Body).
// Run with -cpu 1,2: the loop is parallel.
func BenchmarkVerifyWSSE(b *testing.B) {
	a := testpki.NewCA(b, ca.Options{})
	iss := testpki.Issue(b, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "BENCH"})
	for _, size := range []int{3 << 10, 50 << 10} {
		doc, err := SignWSSE([]byte(benchMessage(size)), iss.Key, iss.Certificate, SignOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			opts := Options{Certs: NewCertCache(0)}
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := VerifyWSSE(doc, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkSignWSSE signs the same envelopes (parse, Body ID, canonicalization, RSA-2048 sign,
// serialization).
func BenchmarkSignWSSE(b *testing.B) {
	a := testpki.NewCA(b, ca.Options{})
	iss := testpki.Issue(b, a, ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "BENCH"})
	for _, size := range []int{3 << 10, 50 << 10} {
		msg := []byte(benchMessage(size))
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := SignWSSE(msg, iss.Key, iss.Certificate, SignOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkVerifyEnvelopedNCALayer verifies a document in NCALayer's layout (C14N 1.0,
// #WithComments, Signature as the last child). Only the verification is timed: the test НУЦ and
// the signature are made before the timer is reset.
func BenchmarkVerifyEnvelopedNCALayer(b *testing.B) {
	a := testpki.NewCA(b, ca.Options{})
	iss := testpki.Issue(b, a, ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325"})
	doc, err := SignEnveloped(benchDocument(), iss.Key, iss.Certificate, SignOptions{NCALayer: true})
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Certs: NewCertCache(0)}
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := VerifyEnveloped(doc, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyWSSEFixture verifies the real KalkanCrypt message of the fixtures.
func BenchmarkVerifyWSSEFixture(b *testing.B) {
	doc := fixtures.Read(b, "wsse-rsa-sendmessage-gbdfl.xml")
	opts := Options{Certs: NewCertCache(0)}
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := VerifyWSSE(doc, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
