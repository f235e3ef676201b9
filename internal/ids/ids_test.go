package ids

import (
	"regexp"
	"testing"
)

func TestForms(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		u := UUID()
		if !v4.MatchString(u) || seen[u] {
			t.Fatalf("bad or repeated UUID %q", u)
		}
		seen[u] = true
	}
	if s := Session(); s[0] != '{' || s[len(s)-1] != '}' || !v4.MatchString(s[1:len(s)-1]) {
		t.Fatalf("session %q", s)
	}
}
