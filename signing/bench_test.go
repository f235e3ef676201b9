package signing

import (
	"strings"
	"testing"

	"github.com/shep-kz/shep/internal/fixtures"
)

func BenchmarkVerifyWSSEFixture(b *testing.B) {
	doc := fixtures.Read(b, "wsse-rsa-sendmessage-gbdfl.xml")
	b.SetBytes(int64(len(doc)))
	opts := Options{Certs: NewCertCache(0)}
	for b.Loop() {
		if _, err := VerifyWSSE(doc, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyWSSE50KB(b *testing.B) {
	k, cert := ecdsaCert(b)
	body := strings.Repeat("<person><iin>931002451325</iin><name>Тестов Тест</name></person>", 700)
	doc, err := SignWSSE([]byte(strings.Replace(sendMessage, "<iin>931002451325</iin>", body, 1)), k, cert, SignOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := VerifyWSSE(doc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignWSSE(b *testing.B) {
	k, cert := ecdsaCert(b)
	for b.Loop() {
		if _, err := SignWSSE([]byte(sendMessage), k, cert, SignOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
