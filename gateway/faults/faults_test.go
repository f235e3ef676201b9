package faults

import (
	"os"
	"strings"
	"testing"
)

// The README's refusal table names every code of the table, and no code is listed twice.
func TestREADMEListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Code]bool{}
	for _, e := range Table() {
		if seen[e.Code] {
			t.Errorf("%s twice in the table", e.Code)
		}
		seen[e.Code] = true
		if !strings.Contains(string(b), "`"+string(e.Code)+"`") {
			t.Errorf("README does not list %s", e.Code)
		}
		if e.Message == "" || e.Doc == "" {
			t.Errorf("%s: no message or doc", e.Code)
		}
	}
}

func TestFromMapsLowLevelCodes(t *testing.T) {
	for low, code := range lowLevel {
		if _, ok := Lookup(code); !ok {
			t.Errorf("%s maps to unknown %s", low, code)
		}
	}
}
