package signing

import (
	"bytes"
	"testing"
)

func TestDecodeBase64(t *testing.T) {
	want := []byte("shep: ЭЦП \x00\xff")
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"one line", "c2hlcDog0K3QptCfIAD/", true},
		{"LF wrapped", "c2hlcDog\n0K3QptCf\nIAD/\n", true},
		{"CRLF wrapped", "c2hlcDog\r\n0K3QptCf\r\nIAD/", true},
		{"indented", "\n    c2hlcDog0K3Q\n    ptCfIAD/\n  ", true},
		{"tabs", "\tc2hlcDog0K3QptCf\tIAD/", true},
		{"not base64", "c2hlcDog0K3QptCf!AD/", false},
		{"truncated", "c2hlcDog0K3QptCfIAD", false},
		{"other whitespace", "c2hlcDog\v0K3QptCfIAD/", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeBase64(tc.in)
			if !tc.ok {
				if err == nil {
					t.Fatalf("decoded %q, want an error", got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
		})
	}
}
