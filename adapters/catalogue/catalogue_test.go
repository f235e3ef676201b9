package catalogue

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shep-kz/shep/certs"
)

var update = flag.Bool("update", false, "rewrite services.json in canonical form (after a successful Load)")

func mustLoad(t *testing.T) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func mustService(t *testing.T, c *Catalogue, id string) *Service {
	t.Helper()
	s, ok := c.Service(id)
	if !ok {
		t.Fatalf("Service(%q) not found", id)
	}
	return s
}

func TestLoad(t *testing.T) {
	c := mustLoad(t)
	if got := len(c.Services); got != 27 {
		t.Errorf("services: got %d, want 27", got)
	}
	var want []string
	for n := 1; n <= FamilyCount; n++ {
		want = append(want, fmt.Sprintf("F%d", n))
	}
	if got := c.Families(); !reflect.DeepEqual(got, want) {
		t.Errorf("Families() = %v, want %v", got, want)
	}
	if len(c.Excluded) != 1 || c.Excluded[0].Region.Code != "ALM" {
		t.Errorf("excluded: got %+v, want the Almaty ГАСП regulation", c.Excluded)
	}
	if _, ok := c.Service("ALM-3"); ok {
		t.Error("the excluded Almaty regulation must not be a service")
	}
	for _, id := range []string{"AKM-1", "KRG-1", "KRG-2", "ALM-1", "ALM-2"} {
		mustService(t, c, id)
	}
	for n := 1; n <= 11; n++ {
		mustService(t, c, fmt.Sprintf("AKT-%d", n))
		mustService(t, c, fmt.Sprintf("ZKO-%d", n))
	}
}

// TestCanonicalJSON keeps services.json pretty-printed in struct order, so that it diffs well.
// Run with -update to rewrite it after editing.
func TestCanonicalJSON(t *testing.T) {
	c := mustLoad(t)
	got, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("services.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, servicesJSON) {
		t.Fatal("services.json is not in canonical form; run go test ./adapters/catalogue -run TestCanonicalJSON -update")
	}
	again, err := Parse(got)
	if err != nil {
		t.Fatalf("Parse(JSON()): %v", err)
	}
	if !reflect.DeepEqual(again.Services, c.Services) {
		t.Error("Parse(JSON()) differs from the loaded catalogue")
	}
}

func TestServices(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		id         string
		family     string
		adapter    string // "" = no target
		electronic []string
		signers    map[string]string
		registries []string
		decisions  map[string]string
		totals     map[string]string
		results    []string
	}{
		{
			id: "AKT-1", family: "F1", adapter: AdapterLabourMarket,
			electronic: []string{ChannelCON, ChannelPortal},
			signers:    map[string]string{ChannelPortal: SignerApplicant, ChannelCON: SignerOperator, ChannelProvider: ""},
			registries: []string{RegistryGBDFL},
			decisions:  map[string]string{ChannelProvider: "5wd", ChannelCON: "5wd", ChannelPortal: "5wd"},
			totals:     map[string]string{ChannelProvider: "5wd+30min", ChannelCON: "5wd+30min", ChannelPortal: "5wd+30min"},
			results:    []string{ResultNotification, ResultRefusal},
		},
		{
			id: "ZKO-10", family: "F4", adapter: AdapterRSHEP,
			electronic: []string{ChannelCON, ChannelPortal},
			signers:    map[string]string{ChannelCON: SignerOperator, ChannelPortal: SignerApplicant, ChannelProvider: "", ChannelCentre: ""},
			registries: []string{RegistryGBDFL, RegistryENIS},
			totals:     map[string]string{ChannelCON: "15min", ChannelProvider: "15min", ChannelPortal: "15min", ChannelCentre: "15min"},
			results:    []string{ResultCertificate, ResultRefusal},
		},
		{
			id: "ALM-1", family: "F2", adapter: AdapterRSHEP,
			electronic: []string{ChannelCON, ChannelPortal, ChannelProvider},
			signers:    map[string]string{ChannelProvider: SignerSpecialist, ChannelCON: SignerOperator, ChannelPortal: SignerApplicant},
			registries: []string{RegistryGBDFL},
			decisions:  map[string]string{ChannelProvider: "10min", ChannelCON: "3wd", ChannelPortal: "1wd"},
			totals:     map[string]string{ChannelProvider: "39min", ChannelCON: "3wd+1h+30min", ChannelPortal: "1wd+22min"},
			results:    []string{ResultCertificate, ResultRefusal},
		},
		{
			id: "AKT-2", family: "F7", adapter: "",
			electronic: nil,
			signers:    map[string]string{ChannelProvider: "", ChannelCON: ""},
			decisions:  map[string]string{ChannelProvider: "20wd", ChannelCON: "20wd"},
			results:    []string{ResultResolution, ResultCertificate, ResultPayment, ResultRefusal},
		},
		{
			id: "KRG-1", family: "F19", adapter: AdapterRSHEP,
			electronic: []string{ChannelCON, ChannelPortal},
			registries: []string{RegistryGBDFL, RegistryENIS},
			totals:     map[string]string{ChannelCON: "26cd+30min", ChannelPortal: "26cd+30min"},
			results:    []string{ResultResolution, ResultRefusal},
		},
		{
			id: "AKT-8", family: "F4", adapter: AdapterESobes,
			electronic: []string{ChannelCON, ChannelPortal},
			signers:    map[string]string{ChannelAkim: ""},
			registries: []string{RegistryGBDFL},
			decisions:  map[string]string{ChannelAkim: "15min"},
			results:    []string{ResultCertificate, ResultRefusal},
		},
		{
			id: "ZKO-3", family: "F5", adapter: "",
			signers: map[string]string{ChannelCentre: "", ChannelAkim: ""},
			totals:  map[string]string{ChannelCentre: "6wd+1h+35min", ChannelAkim: "17wd+1h+5min"},
			results: []string{ResultNotification, ResultRefusal},
		},
		{
			id: "ZKO-11", family: "F6", adapter: AdapterRSHEP,
			electronic: []string{ChannelCON},
			registries: []string{RegistryGBDFL},
			totals:     map[string]string{ChannelCON: "5wd"},
			results:    []string{ResultCertificate, ResultRefusal},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s := mustService(t, c, tt.id)
			if s.Family != tt.family {
				t.Errorf("family %q, want %q", s.Family, tt.family)
			}
			if tt.adapter == "" {
				if s.Gatewayed() || s.Target != nil {
					t.Errorf("target %+v, want none", s.Target)
				}
			} else if !s.Gatewayed() || s.Target.Adapter != tt.adapter {
				t.Errorf("target %+v, want adapter %q", s.Target, tt.adapter)
			}
			got := s.ElectronicChannels()
			slices.Sort(got)
			want := slices.Clone(tt.electronic)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("electronic channels %v, want %v", got, want)
			}
			for code, signer := range tt.signers {
				ch, ok := s.Channel(code)
				if !ok {
					t.Errorf("no channel %q", code)
					continue
				}
				if ch.Signer != signer || ch.Electronic != (signer != "") {
					t.Errorf("channel %q: electronic %v signer %q, want signer %q", code, ch.Electronic, ch.Signer, signer)
				}
			}
			for _, r := range []string{RegistryGBDFL, RegistryENIS} {
				if got, want := s.HasRegistry(r), slices.Contains(tt.registries, r); got != want {
					t.Errorf("HasRegistry(%q) = %v, want %v", r, got, want)
				}
			}
			for code, d := range tt.decisions {
				if ch, ok := s.Channel(code); !ok || ch.Decision != d {
					t.Errorf("channel %q decision: got %+v, want %q", code, ch, d)
				}
			}
			for code, total := range tt.totals {
				if ch, ok := s.Channel(code); !ok || ch.Total != total {
					t.Errorf("channel %q total: got %+v, want %q", code, ch, total)
				}
			}
			for _, kind := range tt.results {
				if r, ok := s.Result(kind); !ok || r.Kind != kind || r.NameRU == "" || r.NameKZ == "" {
					t.Errorf("Result(%q) = %+v, %v", kind, r, ok)
				}
			}
		})
	}
}

// TestRouting checks the whole routing table of services.md §7.6 and the portal list of §2.1.
func TestRouting(t *testing.T) {
	c := mustLoad(t)
	want := map[string]string{
		"AKT-1": AdapterLabourMarket, "AKT-3": AdapterLabourMarket,
		"AKT-6": AdapterESobes, "AKT-8": AdapterESobes,
		"AKT-11": AdapterRSHEP, "KRG-1": AdapterRSHEP, "KRG-2": AdapterRSHEP, "AKM-1": AdapterRSHEP,
		"ALM-1": AdapterRSHEP, "ALM-2": AdapterRSHEP,
		"ZKO-1": AdapterRSHEP, "ZKO-2": AdapterRSHEP, "ZKO-4": AdapterRSHEP, "ZKO-5": AdapterRSHEP,
		"ZKO-6": AdapterRSHEP, "ZKO-7": AdapterRSHEP, "ZKO-8": AdapterRSHEP, "ZKO-9": AdapterRSHEP,
		"ZKO-10": AdapterRSHEP, "ZKO-11": AdapterRSHEP,
	}
	portal := []string{"AKM-1", "KRG-1", "KRG-2", "AKT-1", "AKT-3", "AKT-6", "AKT-8", "AKT-11",
		"ZKO-9", "ZKO-10", "ALM-1", "ALM-2"}
	for i := range c.Services {
		s := &c.Services[i]
		got := ""
		if s.Target != nil {
			got = s.Target.Adapter
		}
		if got != want[s.ID] {
			t.Errorf("%s: adapter %q, want %q", s.ID, got, want[s.ID])
		}
		if _, ok := s.Channel(ChannelPortal); ok != slices.Contains(portal, s.ID) {
			t.Errorf("%s: portal channel present = %v", s.ID, ok)
		}
		if s.Gatewayed() != (len(s.ElectronicChannels()) > 0) {
			t.Errorf("%s: gatewayed %v but electronic channels %v", s.ID, s.Gatewayed(), s.ElectronicChannels())
		}
		if _, ok := s.Result(ResultRefusal); !ok {
			t.Errorf("%s: no refusal result", s.ID)
		}
	}
	var routed []string
	for _, s := range c.RoutedTo(AdapterLabourMarket) {
		routed = append(routed, s.ID)
	}
	if !slices.Equal(routed, []string{"AKT-1", "AKT-3"}) {
		t.Errorf("RoutedTo(labour-market) = %v", routed)
	}
	var f3 []string
	for _, s := range c.Family("F3") {
		f3 = append(f3, s.ID)
	}
	if !slices.Equal(f3, []string{"AKT-6", "ZKO-9", "ALM-2"}) {
		t.Errorf("Family(F3) = %v", f3)
	}
}

// TestProviders checks that one organisation has one БИН and different ones differ.
func TestProviders(t *testing.T) {
	c := mustLoad(t)
	byID := map[string]string{}
	byBIN := map[string]string{}
	for _, s := range c.Services {
		p := s.Provider
		if _, err := certs.ParseBIN(p.BIN, certs.ParseOptions{}); err != nil {
			t.Errorf("%s: %v", s.ID, err)
		}
		if bin, ok := byID[p.ID]; ok && bin != p.BIN {
			t.Errorf("%s: provider %s has BINs %s and %s", s.ID, p.ID, bin, p.BIN)
		}
		if id, ok := byBIN[p.BIN]; ok && id != p.ID {
			t.Errorf("%s: BIN %s shared by %s and %s", s.ID, p.BIN, id, p.ID)
		}
		byID[p.ID], byBIN[p.BIN] = p.BIN, p.ID
	}
	if len(byID) != 8 {
		t.Errorf("got %d provider organisations, want 8", len(byID))
	}
	if p := mustService(t, c, "AKT-11").Provider; p.ID != "gfss-branches" {
		t.Errorf("AKT-11 provider %q, want the ГФСС branches", p.ID)
	}
}

// sumLimits adds limits, carrying minutes into hours; days and months are not converted.
func sumLimits(t *testing.T, limits ...string) map[string]int {
	t.Helper()
	sum := map[string]int{}
	for _, l := range limits {
		terms, err := ParseLimit(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, term := range terms {
			sum[term.Unit] += term.N
		}
	}
	sum[UnitHour] += sum[UnitMinute] / 60
	sum[UnitMinute] %= 60
	for u, n := range sum {
		if n == 0 {
			delete(sum, u)
		}
	}
	return sum
}

func stepLimits(steps []Step) []string {
	var ls []string
	for _, st := range steps {
		ls = append(ls, st.Limit)
	}
	return ls
}

// TestDerivedTotals checks the arithmetic of every derived total: it is the sum of the provider's
// back-office steps, of the channel's own steps, or of both (see the package doc).
func TestDerivedTotals(t *testing.T) {
	c := mustLoad(t)
	checked := 0
	for _, s := range c.Services {
		for _, ch := range s.Channels {
			if !ch.TotalDerived {
				continue
			}
			checked++
			total := sumLimits(t, ch.Total)
			service := sumLimits(t, stepLimits(s.Steps)...)
			channel := sumLimits(t, stepLimits(ch.Steps)...)
			both := sumLimits(t, append(stepLimits(s.Steps), stepLimits(ch.Steps)...)...)
			if !reflect.DeepEqual(total, service) && !reflect.DeepEqual(total, channel) && !reflect.DeepEqual(total, both) {
				t.Errorf("%s/%s: total %s matches neither the back-office sum %v, the channel sum %v nor both %v",
					s.ID, ch.Code, ch.Total, service, channel, both)
			}
			if ch.Decision != "" {
				found := false
				for _, st := range append(slices.Clone(s.Steps), ch.Steps...) {
					found = found || st.Limit == ch.Decision
				}
				if !found {
					t.Errorf("%s/%s: decision %s is no step's limit", s.ID, ch.Code, ch.Decision)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d derived totals checked", checked)
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want []Term
	}{
		{"15min", []Term{{15, UnitMinute}}},
		{"1h", []Term{{1, UnitHour}}},
		{"5wd", []Term{{5, UnitWorkingDay}}},
		{"15cd", []Term{{15, UnitCalendarDay}}},
		{"1mo", []Term{{1, UnitMonth}}},
		{"4wd+45min", []Term{{4, UnitWorkingDay}, {45, UnitMinute}}},
		{"9wd+1h", []Term{{9, UnitWorkingDay}, {1, UnitHour}}},
		{"26cd+30min", []Term{{26, UnitCalendarDay}, {30, UnitMinute}}},
		{"3wd+1h+30min", []Term{{3, UnitWorkingDay}, {1, UnitHour}, {30, UnitMinute}}},
		{"", nil},
		{"15", nil},
		{"min", nil},
		{"15 min", nil},
		{"15mins", nil},
		{"15MIN", nil},
		{"0min", nil},
		{"1.5h", nil},
		{"-1h", nil},
		{"4wd+", nil},
		{"+4wd", nil},
		{"4wd++1h", nil},
		{"4wd + 1h", nil},
		{"4wd,1h", nil},
		{"５min", nil},
		{"5d", nil},
		{"99999999999999999999min", nil},
	}
	for _, tt := range tests {
		got, err := ParseLimit(tt.in)
		if tt.want == nil {
			if err == nil || ValidLimit(tt.in) {
				t.Errorf("ParseLimit(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) || !ValidLimit(tt.in) {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		var parts []string
		for _, term := range got {
			parts = append(parts, term.String())
		}
		if s := strings.Join(parts, "+"); s != tt.in {
			t.Errorf("terms of %q format as %q", tt.in, s)
		}
	}
}

// brokenDoc loads the catalogue, applies mutate and re-marshals it.
func brokenDoc(t *testing.T, mutate func(c *Catalogue)) []byte {
	t.Helper()
	c := mustLoad(t)
	mutate(c)
	b, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hasError reports whether err's tree holds an *Error for service whose problem contains substr.
func hasError(err error, service, substr string) bool {
	var e *Error
	if errors.As(err, &e) && e.Service == service && strings.Contains(e.Problem, substr) {
		return true
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, inner := range j.Unwrap() {
			if hasError(inner, service, substr) {
				return true
			}
		}
	}
	return false
}

func TestParseRejects(t *testing.T) {
	get := func(c *Catalogue, id string) *Service {
		s, ok := c.Service(id)
		if !ok {
			t.Fatalf("no %s", id)
		}
		return s
	}
	tests := []struct {
		name    string
		mutate  func(c *Catalogue)
		service string
		problem string
	}{
		{"duplicate id", func(c *Catalogue) {
			s := get(c, "AKT-3")
			s.ID = "AKT-1"
		}, "AKT-1", "duplicate id"},
		{"bad BIN checksum", func(c *Catalogue) {
			s := get(c, "ZKO-5")
			b := []byte(s.Provider.BIN)
			b[11] = '0' + (b[11]-'0'+1)%10
			s.Provider.BIN = string(b)
		}, "ZKO-5", "invalid BIN"},
		{"BIN not digits", func(c *Catalogue) { get(c, "AKM-1").Provider.BIN = "12345678901X" }, "AKM-1", "invalid BIN"},
		{"same organisation, other BIN", func(c *Catalogue) {
			get(c, "ZKO-2").Provider.BIN = get(c, "ALM-1").Provider.BIN
		}, "ZKO-2", "differs from its earlier definition"},
		{"bad step limit", func(c *Catalogue) { get(c, "AKT-4").Steps[2].Limit = "7 wd" }, "AKT-4", "steps #3"},
		{"bad channel total", func(c *Catalogue) { get(c, "KRG-2").Channels[0].Total = "3wd+1.5h" }, "KRG-2", "total"},
		{"bad decision", func(c *Catalogue) {
			ch, _ := get(c, "ALM-1").Channel(ChannelCON)
			ch.Decision = "3 рабочих дня"
		}, "ALM-1", "decision"},
		{"unknown adapter", func(c *Catalogue) { get(c, "AKT-6").Target.Adapter = "e-sobes-v2" }, "AKT-6", "adapter"},
		{"signer missing on an electronic channel", func(c *Catalogue) {
			ch, _ := get(c, "ZKO-9").Channel(ChannelPortal)
			ch.Signer = ""
		}, "ZKO-9", "electronic but has no signer"},
		{"signer on a paper channel", func(c *Catalogue) {
			ch, _ := get(c, "AKT-5").Channel(ChannelAkim)
			ch.Signer = SignerOperator
		}, "AKT-5", "not electronic but has signer"},
		{"wrong signer", func(c *Catalogue) {
			ch, _ := get(c, "AKT-1").Channel(ChannelCON)
			ch.Signer = SignerApplicant
		}, "AKT-1", `signer "applicant", want "operator"`},
		{"gatewayed service without electronic channel", func(c *Catalogue) {
			s := get(c, "ZKO-1")
			for i := range s.Channels {
				s.Channels[i].Electronic, s.Channels[i].Signer = false, ""
			}
		}, "ZKO-1", "has no electronic channel"},
		{"electronic channel without target", func(c *Catalogue) { get(c, "AKT-3").Target = nil }, "AKT-3", "no target"},
		{"unknown channel code", func(c *Catalogue) { get(c, "AKT-10").Channels[0].Code = "post" }, "AKT-10", "unknown code"},
		{"unknown registry", func(c *Catalogue) { get(c, "KRG-1").Registries[1] = "gbdul" }, "KRG-1", "registry"},
		{"registry without gateway", func(c *Catalogue) { get(c, "AKT-9").Registries = []string{RegistryGBDFL} }, "AKT-9", "registries"},
		{"no refusal", func(c *Catalogue) {
			s := get(c, "ZKO-7")
			s.Results = slices.DeleteFunc(s.Results, func(r Result) bool { return r.Kind == ResultRefusal })
		}, "ZKO-7", "no refusal"},
		{"unknown result kind", func(c *Catalogue) { get(c, "AKT-2").Results[0].Kind = "decree" }, "AKT-2", "kind"},
		{"missing Kazakh name", func(c *Catalogue) { get(c, "ALM-2").NameKZ = "" }, "ALM-2", "name_kz"},
		{"family out of range", func(c *Catalogue) { get(c, "AKT-7").Family = "F21" }, "AKT-7", "family"},
		{"family without service", func(c *Catalogue) { get(c, "AKT-7").Family = "F8" }, "", "F9 has no service"},
		{"unknown actor", func(c *Catalogue) { get(c, "ZKO-11").Steps[0].Actor = "clerk" }, "ZKO-11", "unknown actor"},
		{"bad source", func(c *Catalogue) { get(c, "AKT-1").Sources[0] = "seed 000 line 70" }, "AKT-1", "source"},
		{"id not of its region", func(c *Catalogue) { get(c, "KRG-2").Region = get(c, "AKM-1").Region }, "KRG-2", "region code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(brokenDoc(t, tt.mutate))
			if err == nil {
				t.Fatal("Parse accepted the broken document")
			}
			if !hasError(err, tt.service, tt.problem) {
				t.Fatalf("error does not name service %q with %q:\n%v", tt.service, tt.problem, err)
			}
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":      `{"version":`,
		"unknown field": `{"version":"1","services":[],"extra":1}`,
		"no services":   `{"version":"1","services":[]}`,
		"trailing data": string(servicesJSON) + `{}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

func TestLookupMisses(t *testing.T) {
	c := mustLoad(t)
	if _, ok := c.Service("AKT-12"); ok {
		t.Error("Service(AKT-12) found")
	}
	s := mustService(t, c, "AKT-1")
	if _, ok := s.Channel(ChannelAkim); ok {
		t.Error("AKT-1 has no akim channel")
	}
	if _, ok := s.Result(ResultPayment); ok {
		t.Error("AKT-1 has no payment result")
	}
	if got := c.RoutedTo("nope"); len(got) != 0 {
		t.Errorf("RoutedTo(nope) = %v", got)
	}
}
