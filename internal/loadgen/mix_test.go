package loadgen

import (
	"strings"
	"testing"

	"github.com/shep-kz/shep/adapters/catalogue"
)

func TestParseMix(t *testing.T) {
	cat, err := catalogue.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, in string
		want     Mix      // when valid
		errs     []string // substrings of the error (parse, structure or catalogue)
	}{
		{name: "the brief's example", in: `[{"service":"GBDFL_UniversalServiceSync","weight":70,"channel":"system"},{"service":"AKT-3","channel":"portal","weight":20},{"service":"AKT-1","channel":"con","weight":10}]`,
			want: Mix{{"GBDFL_UniversalServiceSync", "system", 70, "smartbridge", "123"}, {"AKT-3", "portal", 20, "portal", "portal-password"}, {"AKT-1", "con", 10, "con", "con-password"}}},
		{name: "default channels and a sender of one's own", in: `[{"service":"GBDFL_UniversalServiceSync","weight":1,"sender":"my-is","password":"pw"},{"service":"AKT-3","weight":2}]`,
			want: Mix{{"GBDFL_UniversalServiceSync", "system", 1, "my-is", "pw"}, {"AKT-3", "portal", 2, "portal", "portal-password"}}},
		{name: "channel case and spaces", in: `[{"service":" AKT-3 ","channel":" CON ","weight":5}]`, want: Mix{{"AKT-3", "con", 5, "con", "con-password"}}},
		{name: "not JSON", in: `70% GBDFL`, errs: []string{"want a JSON array"}},
		{name: "an object, not an array", in: `{"service":"AKT-3","weight":1}`, errs: []string{"want a JSON array"}},
		{name: "empty", in: `[]`, errs: []string{"no entries"}},
		{name: "unknown field", in: `[{"service":"AKT-3","weight":1,"ratio":3}]`, errs: []string{`unknown field "ratio"`}},
		{name: "fractional weight", in: `[{"service":"AKT-3","weight":0.5}]`, errs: []string{`"weight" must be an integer, found a JSON number 0.5`}},
		{name: "weight as a string", in: `[{"service":"AKT-3","weight":"10"}]`, errs: []string{`"weight" must be an integer, found a JSON string`}},
		{name: "zero and negative weights, no service", in: `[{"service":"AKT-3","weight":0},{"weight":-1}]`,
			errs: []string{`entry 1 (AKT-3): "weight" must be a positive integer, got 0`, `entry 2: "service" is required`, "got -1"}},
		{name: "unknown channel", in: `[{"service":"AKT-3","channel":"fax","weight":1}]`, errs: []string{`unknown channel "fax"`}},
		{name: "provider channel", in: `[{"service":"ALM-1","channel":"provider","weight":1}]`, errs: []string{"mix entry 1 (ALM-1): channel provider is not supported by the load generator (system, portal or con)"}},
		{name: "twice", in: `[{"service":"AKT-3","weight":1},{"service":"AKT-3","channel":"portal","weight":2}]`, errs: []string{"AKT-3/portal is listed twice (entries 1 and 2)"}},
		{name: "weights too large", in: `[{"service":"AKT-3","weight":900000},{"service":"AKT-1","weight":900000}]`, errs: []string{"sum to 1800000"}},
		{name: "trailing data", in: `[{"service":"AKT-3","weight":1}] []`, errs: []string{"data after the JSON array"}},
		{name: "unknown service", in: `[{"service":"AKT-99","weight":1}]`, errs: []string{"AKT-99): unknown service"}},
		{name: "ГБД ФЛ through the portal", in: `[{"service":"GBDFL_UniversalServiceSync","channel":"portal","weight":1}]`, errs: []string{"goes through channel system"}},
		{name: "an application service by the system channel", in: `[{"service":"AKT-3","channel":"system","weight":1}]`, errs: []string{"needs an application: channel portal or con (electronic here: con, portal)"}},
		{name: "paper-only service", in: `[{"service":"AKT-2","weight":1}]`, errs: []string{"AKT-2): the service does not pass through ШЭП"}},
		{name: "channel not electronic for the service", in: `[{"service":"ZKO-11","channel":"portal","weight":1}]`, errs: []string{"channel portal does not pass through ШЭП for this service (electronic: con)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMix([]byte(tt.in))
			if err == nil {
				err = m.Check(cat)
			}
			if len(tt.errs) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(m) != len(tt.want) {
					t.Fatalf("got %+v, want %+v", m, tt.want)
				}
				for i := range m {
					if m[i] != tt.want[i] {
						t.Errorf("entry %d: %+v, want %+v", i, m[i], tt.want[i])
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", m)
			}
			for _, s := range tt.errs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
	if err := DefaultMix().Check(cat); err != nil {
		t.Errorf("the default mix: %v", err)
	}
}

// The cycle holds each entry in proportion to its weight, spread evenly: any prefix is within one
// request of the exact share.
func TestMixCycle(t *testing.T) {
	for _, m := range []Mix{
		DefaultMix(),
		{{Service: "A", Weight: 3}, {Service: "B", Weight: 1}},
		{{Service: "A", Weight: 1}},
		{{Service: "A", Weight: 997}, {Service: "B", Weight: 2}, {Service: "C", Weight: 1}},
		{{Service: "A", Weight: 40}, {Service: "B", Weight: 40}, {Service: "C", Weight: 20}},
	} {
		c := m.Cycle()
		total, g := 0, 0
		for _, e := range m {
			total += e.Weight
			g = gcd(g, e.Weight)
		}
		if len(c) != total/g {
			t.Fatalf("%v: cycle of %d, want %d", m, len(c), total/g)
		}
		counts := make([]int, len(m))
		for k := 1; k <= 3*len(c); k++ {
			counts[c[(k-1)%len(c)]]++
			for i, e := range m {
				share := float64(k) * float64(e.Weight) / float64(total)
				if d := float64(counts[i]) - share; d > 1 || d < -1 {
					t.Fatalf("%v: after %d requests entry %d has %d, share %.2f", m, k, i, counts[i], share)
				}
			}
		}
	}
}
