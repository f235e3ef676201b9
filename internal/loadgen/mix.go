package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/gbdfl"
)

// Channels a mix entry can use: an information system's registry lookup, the portal (the applicant
// signs the application) and a ЦОН workstation (the ЦОН operator signs).
const (
	ChannelSystem = "system"
	ChannelPortal = "portal"
	ChannelCON    = "con"
)

// MaxTotalWeight bounds the sum of a mix's weights (the request order repeats every sum/gcd).
const MaxTotalWeight = 1_000_000

// Entry is one kind of request of a mix: a service sent through a channel, with its share.
type Entry struct {
	Service string `json:"service"`
	// Channel is system (GBDFL_UniversalServiceSync only), portal or con; default system for
	// GBDFL_UniversalServiceSync, portal for the catalogue's services.
	Channel string `json:"channel,omitempty"`
	Weight  int    `json:"weight"`
	// Sender and Password default to the gateway's demo sender of the channel.
	Sender   string `json:"sender,omitempty"`
	Password string `json:"password,omitempty"`
}

// Name is "service/channel".
func (e Entry) Name() string { return e.Service + "/" + e.Channel }

// IsApplication reports whether the entry sends a signed application document.
func (e Entry) IsApplication() bool { return e.Channel == ChannelPortal || e.Channel == ChannelCON }

// Mix is the requests a run sends, in proportion to their weights.
type Mix []Entry

// demoSenders are the gateway's demo senders by channel (gateway.DemoSenders).
var demoSenders = map[string][2]string{
	ChannelSystem: {"smartbridge", "123"},
	ChannelPortal: {"portal", "portal-password"},
	ChannelCON:    {"con", "con-password"},
}

// DefaultMix is 70 % ГБД ФЛ lookups by an information system and 30 % applications through the
// portal: AKT-3 (the certificate to an unemployed citizen) and AKT-1 (registration as unemployed).
func DefaultMix() Mix {
	m := Mix{
		{Service: gbdfl.ServiceID, Channel: ChannelSystem, Weight: 70},
		{Service: "AKT-3", Channel: ChannelPortal, Weight: 20},
		{Service: "AKT-1", Channel: ChannelPortal, Weight: 10},
	}
	m.normalize()
	return m
}

// ParseMix reads a mix from JSON: an array of {"service", "weight", "channel", "sender",
// "password"}. It fills the defaults and checks the structure (see Validate); Check compares it
// with the catalogue.
func ParseMix(b []byte) (Mix, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Mix
	if err := dec.Decode(&m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			want := te.Type.String()
			if te.Type.Kind() == reflect.Int {
				want = "an integer"
			}
			return nil, fmt.Errorf("mix: %q must be %s, found a JSON %s", te.Field, want, te.Value)
		}
		return nil, fmt.Errorf("mix: want a JSON array of {\"service\", \"weight\", \"channel\"}: %w", err)
	}
	if dec.More() {
		return nil, errors.New("mix: data after the JSON array")
	}
	m.normalize()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m Mix) normalize() {
	for i := range m {
		e := &m[i]
		e.Service, e.Channel = strings.TrimSpace(e.Service), strings.ToLower(strings.TrimSpace(e.Channel))
		if e.Channel == "" {
			e.Channel = ChannelPortal
			if e.Service == gbdfl.ServiceID {
				e.Channel = ChannelSystem
			}
		}
		if d, ok := demoSenders[e.Channel]; ok && e.Sender == "" {
			e.Sender = d[0]
			if e.Password == "" {
				e.Password = d[1]
			}
		}
	}
}

// Validate checks the mix's structure: at least one entry, each with a service, a known channel
// and a positive weight, no (service, channel) twice, and weights summing to at most
// MaxTotalWeight. Every problem is reported.
func (m Mix) Validate() error {
	if len(m) == 0 {
		return errors.New("mix: no entries")
	}
	var errs []error
	seen := map[string]int{}
	total := 0
	for i, e := range m {
		at := fmt.Sprintf("mix entry %d", i+1)
		if e.Service != "" {
			at += " (" + e.Service + ")"
		}
		if e.Service == "" {
			errs = append(errs, fmt.Errorf("%s: \"service\" is required", at))
		}
		switch e.Channel {
		case ChannelSystem, ChannelPortal, ChannelCON:
		case "provider":
			errs = append(errs, fmt.Errorf("%s: channel provider is not supported by the load generator (system, portal or con)", at))
		default:
			errs = append(errs, fmt.Errorf("%s: unknown channel %q (system, portal or con)", at, e.Channel))
		}
		if e.Weight <= 0 {
			errs = append(errs, fmt.Errorf("%s: \"weight\" must be a positive integer, got %d", at, e.Weight))
		} else {
			total += e.Weight
		}
		if _, known := demoSenders[e.Channel]; known && e.Sender == "" {
			errs = append(errs, fmt.Errorf("%s: \"sender\" is required for channel %q", at, e.Channel))
		}
		if j, ok := seen[e.Name()]; ok && e.Service != "" {
			errs = append(errs, fmt.Errorf("%s: %s is listed twice (entries %d and %d): merge their weights", at, e.Name(), j+1, i+1))
		}
		seen[e.Name()] = i
	}
	if total > MaxTotalWeight {
		errs = append(errs, fmt.Errorf("mix: the weights sum to %d, more than %d", total, MaxTotalWeight))
	}
	return errors.Join(errs...)
}

// Check compares the mix with the service catalogue: GBDFL_UniversalServiceSync goes through the
// system channel; any other service must be a gatewayed service of the catalogue whose channel
// passes through ШЭП.
func (m Mix) Check(cat *catalogue.Catalogue) error {
	var errs []error
	for i, e := range m {
		at := fmt.Sprintf("mix entry %d (%s)", i+1, e.Service)
		if e.Service == gbdfl.ServiceID {
			if e.Channel != ChannelSystem {
				errs = append(errs, fmt.Errorf("%s: a ГБД ФЛ lookup goes through channel system, not %q", at, e.Channel))
			}
			continue
		}
		svc, ok := cat.Service(e.Service)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown service (%s or a service of the catalogue, e.g. AKT-1, AKT-3)", at, gbdfl.ServiceID))
			continue
		}
		if !svc.Gatewayed() {
			errs = append(errs, fmt.Errorf("%s: the service does not pass through ШЭП (paper only)", at))
			continue
		}
		if e.Channel == ChannelSystem {
			errs = append(errs, fmt.Errorf("%s: a service of the catalogue needs an application: channel portal or con (electronic here: %s)",
				at, strings.Join(svc.ElectronicChannels(), ", ")))
			continue
		}
		if ch, ok := svc.Channel(e.Channel); !ok || !ch.Electronic {
			errs = append(errs, fmt.Errorf("%s: channel %s does not pass through ШЭП for this service (electronic: %s)",
				at, e.Channel, strings.Join(svc.ElectronicChannels(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// Cycle is the order in which entries are sent: indexes into m, each entry appearing in
// proportion to its weight and spread evenly (smooth weighted round robin), repeating every
// len(Cycle()) requests. Any prefix of the repeated cycle follows the mix closely.
func (m Mix) Cycle() []int {
	g := 0
	for _, e := range m {
		g = gcd(g, e.Weight)
	}
	if g == 0 {
		return nil
	}
	total := 0
	w := make([]int, len(m))
	for i, e := range m {
		w[i] = e.Weight / g
		total += w[i]
	}
	cur := make([]int, len(m))
	out := make([]int, 0, total)
	for range total {
		best := 0
		for i := range w {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, best)
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
