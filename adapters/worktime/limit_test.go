package worktime

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParseLimit(t *testing.T) {
	good := []struct {
		in   string
		want Limit
	}{
		{"15min", Limit{{15, Minutes}}},
		{"1h", Limit{{1, Hours}}},
		{"5wd", Limit{{5, WorkingDays}}},
		{"15cd", Limit{{15, CalendarDays}}},
		{"1mo", Limit{{1, Months}}},
		{"0min", Limit{{0, Minutes}}},
		{"9wd+1h", Limit{{9, WorkingDays}, {1, Hours}}},
		{"1mo+3wd+30min", Limit{{1, Months}, {3, WorkingDays}, {30, Minutes}}},
	}
	for _, tc := range good {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLimit(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
			if got.String() != tc.in {
				t.Fatalf("String() = %q", got.String())
			}
		})
	}
	// Leading zeros are read but not written back.
	if l, err := ParseLimit("05wd"); err != nil || l.String() != "5wd" {
		t.Fatalf("05wd: %v %v", l, err)
	}
	bad := []string{"", "wd", "5", "5 wd", " 5wd", "5wd ", "5d", "5WD", "5wd+", "+5wd", "5wd++1h", "-1h", "1.5h",
		"5wd,1h", "99999999999999999999min", "1h+x"}
	for _, s := range bad {
		t.Run("bad "+s, func(t *testing.T) {
			if l, err := ParseLimit(s); !errors.Is(err, ErrLimit) {
				t.Fatalf("ParseLimit(%q) = %v, %v; want ErrLimit", s, l, err)
			}
		})
	}
}

func TestLimitText(t *testing.T) {
	type svc struct {
		Limit Limit `json:"limit"`
	}
	in := svc{Limit{{9, WorkingDays}, {1, Hours}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"limit":"9wd+1h"}` {
		t.Fatalf("json: %s", b)
	}
	var out svc
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip: %v %#v", err, out)
	}
	if err := json.Unmarshal([]byte(`{"limit":"9 wd"}`), &out); !errors.Is(err, ErrLimit) {
		t.Fatalf("bad limit accepted: %v", err)
	}
	for _, l := range []Limit{nil, {{-1, Hours}}, {{1, "d"}}} {
		if _, err := l.MarshalText(); !errors.Is(err, ErrLimit) {
			t.Fatalf("MarshalText(%#v) = %v", l, err)
		}
	}
}
