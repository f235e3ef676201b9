// Package catalogue is the catalogue of the regulations' state services as data: services.json
// (embedded) and the code that loads, validates and answers questions about it.
//
// The data follow reference/services.md: the 27 regulation instances of its §1.2, each tagged with
// its service family F1…F20, with channels (§2.1–2.5), who signs on each electronic channel (§4.3),
// the provider's back-office procedure (§2.4), results (§5.4) and the gateway route (§7.6).
//
// Time limits use one grammar: a term is a positive number and a unit — min (minutes), h (hours),
// wd (working days), cd (calendar days), mo (months) — and a limit is one term or a "+"-joined sum
// of terms ("15min", "9wd+1h", "26cd+30min"). A channel's Total is the term the regulation states
// for a request on that channel, or (TotalDerived) the sum services.md derives from the steps: the
// provider's back-office steps plus the channel-specific legs the regulation times (ГК paper
// hand-offs, akim and Центр legs, the Almaty action tables). The minute steps of the ЦОН
// electronic flow (§2.2) are listed in the channel's Steps but, as in services.md, not added.
//
// Every service carries a refusal result: the regulations foresee a motivated refusal for most
// services, and any provider may refuse on formal grounds (M7); where the seed words none, the
// service's notes say so.
package catalogue

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shep-kz/shep/certs"
)

//go:embed services.json
var servicesJSON []byte

// Target adapters: the provider system a gatewayed service is routed to (§7.6).
const (
	AdapterLabourMarket = "labour-market" // «Рынок труда» ААЖ (AKT-1, AKT-3)
	AdapterESobes       = "e-sobes"       // «Е-собес» АЖ (AKT-6, AKT-8)
	AdapterRSHEP        = "rshep"         // АРМ РШЭП / ЭҮӨШ АЖО / ЭҮАШ АЖО / ИС МИО
)

// Channel codes.
const (
	ChannelPortal   = "portal"   // ПЭП, the e-government portal
	ChannelCON      = "con"      // ЦОН / Госкорпорация
	ChannelProvider = "provider" // the provider (district department) directly
	ChannelAkim     = "akim"     // akim of a settlement, village or rural district
	ChannelCentre   = "centre"   // Центр занятости населения
)

// Signers of the request sent through ШЭП on an electronic channel (§4.3).
const (
	SignerApplicant  = "applicant"  // portal: the recipient's own ЭЦП
	SignerOperator   = "operator"   // ЦОН: the ГК/ЦОН operator's ЭЦП
	SignerSpecialist = "specialist" // provider (Almaty 2012): the district specialist's ЭЦП
)

// Registries consulted through ШЭП in the ЦОН channel.
const (
	RegistryGBDFL = "gbdfl" // ГБД ФЛ (ЖТ МДҚ)
	RegistryENIS  = "enis"  // ЕНИС (БНАЖ)
)

// Result kinds.
const (
	ResultCertificate  = "certificate"  // справка / анықтама / куәлік / удостоверение
	ResultNotification = "notification" // уведомление / хабарлама
	ResultResolution   = "resolution"   // an administrative act: akimat resolution (KRG-1), provider's decision (AKT-2)
	ResultRefusal      = "refusal"      // мотивированный отказ / бас тарту туралы дәлелді жауап
	ResultPayment      = "payment"      // a money transfer as the result (AKT-2 compensation)
)

// Degrees of automation (§7.1).
const (
	AutomationPartial    = "electronic-partial" // электронная (частично автоматизированная) и (или) бумажная
	AutomationFull       = "electronic-full"    // электронная (полностью автоматизированная) и (или) бумажная
	AutomationElectronic = "electronic"         // электронная и (или) бумажная
	AutomationPaper      = "paper"              // бумажная
)

// Units of a limit term.
const (
	UnitMinute      = "min"
	UnitHour        = "h"
	UnitWorkingDay  = "wd"
	UnitCalendarDay = "cd"
	UnitMonth       = "mo"
)

// Step actors.
const (
	ActorApplicant      = "applicant"       // the recipient (услугополучатель)
	ActorCONOperator    = "con_operator"    // ГК / ЦОН employee
	ActorSystem         = "system"          // an information system (ПЭП, ИС ЦОН, ШЭП, АРМ РШЭП, ИС МИО)
	ActorProvider       = "provider"        // the provider as such (услугодатель), as the ЦОН flow names it
	ActorOffice         = "office"          // provider's office (канцелярия / кеңсе)
	ActorHead           = "head"            // provider's head (руководитель / басшы)
	ActorDepartmentHead = "department_head" // head of the provider's department (ZKO-11)
	ActorExecutor       = "executor"        // responsible executor (ответственный исполнитель)
	ActorSpecialist     = "specialist"      // district department specialist working in ИС МИО (Almaty 2012)
	ActorAkimat         = "akimat"          // local executive body issuing a resolution (KRG-1)
	ActorAkimOffice     = "akim_office"     // akim's office
	ActorAkim           = "akim"            // akim of a settlement, village or rural district
	ActorAkimExecutor   = "akim_executor"   // akim's responsible worker
	ActorCentreOffice   = "centre_office"   // Центр занятости office
	ActorCentreHead     = "centre_head"     // head of the Центр
	ActorCentreWorker   = "centre_worker"   // Центр's responsible worker
	ActorCommission     = "commission"      // участковая комиссия (ZKO-3)
)

var (
	adapters     = []string{AdapterLabourMarket, AdapterESobes, AdapterRSHEP}
	channelCodes = []string{ChannelPortal, ChannelCON, ChannelProvider, ChannelAkim, ChannelCentre}
	registries   = []string{RegistryGBDFL, RegistryENIS}
	resultKinds  = []string{ResultCertificate, ResultNotification, ResultResolution, ResultRefusal, ResultPayment}
	automations  = []string{AutomationPartial, AutomationFull, AutomationElectronic, AutomationPaper}
	units        = []string{UnitMinute, UnitHour, UnitWorkingDay, UnitCalendarDay, UnitMonth}
	actors       = []string{ActorApplicant, ActorCONOperator, ActorSystem, ActorProvider, ActorOffice, ActorHead,
		ActorDepartmentHead, ActorExecutor, ActorSpecialist, ActorAkimat, ActorAkimOffice, ActorAkim,
		ActorAkimExecutor, ActorCentreOffice, ActorCentreHead, ActorCentreWorker, ActorCommission}
	// channelSigner is the only signer an electronic channel may have; akim and centre channels
	// are never electronic.
	channelSigner = map[string]string{
		ChannelPortal:   SignerApplicant,
		ChannelCON:      SignerOperator,
		ChannelProvider: SignerSpecialist,
	}

	idRE     = regexp.MustCompile(`^([A-Z]{3})-[1-9][0-9]*$`)
	familyRE = regexp.MustCompile(`^F([1-9][0-9]*)$`)
	seedRE   = regexp.MustCompile(`^[0-9]{3}$`)
	sourceRE = regexp.MustCompile(`^[0-9]{3}:L[0-9]+(-[0-9]+)?$`)
	termRE   = regexp.MustCompile(`^([0-9]+)(min|h|wd|cd|mo)$`)
)

// FamilyCount is the number of service families: F1…F20.
const FamilyCount = 20

// Catalogue is the whole catalogue document.
type Catalogue struct {
	Version  string     `json:"version"`
	Services []Service  `json:"services"`
	Excluded []Excluded `json:"excluded,omitempty"`

	index map[string]int // service ID → position in Services
}

// Excluded is a regulation present in a seed that is not a service: the Almaty ГАСП regulation,
// excluded by a later akimat resolution.
type Excluded struct {
	NameRU  string   `json:"name_ru"`
	NameKZ  string   `json:"name_kz"`
	Region  Region   `json:"region"`
	Seed    string   `json:"seed"`
	Family  string   `json:"family,omitempty"`
	Reason  string   `json:"reason"`
	Sources []string `json:"sources"`
}

// Service is one regulation instance.
type Service struct {
	ID     string `json:"id"`     // "AKT-1"
	Family string `json:"family"` // "F1"
	Seed   string `json:"seed"`   // "000"
	Region Region `json:"region"`
	NameRU string `json:"name_ru"`
	NameKZ string `json:"name_kz"`
	// NameRUTranslated / NameKZTranslated mark a name that is not in the seeds (translated).
	NameRUTranslated bool         `json:"name_ru_translated,omitempty"`
	NameKZTranslated bool         `json:"name_kz_translated,omitempty"`
	Provider         Organisation `json:"provider"`
	Automation       string       `json:"automation"`
	// Target is nil for services without any gateway leg.
	Target     *Target   `json:"target"`
	Channels   []Channel `json:"channels"`
	Registries []string  `json:"registries"` // consulted through ШЭП in the con channel
	Results    []Result  `json:"results"`
	Steps      []Step    `json:"steps"` // provider back-office procedure (§2.4)
	Sources    []string  `json:"sources"`
	Notes      []string  `json:"notes,omitempty"` // drafting errors (§7.9) and other caveats, kept
}

// Region is an oblast or city of republican significance.
type Region struct {
	Code   string `json:"code"`
	NameRU string `json:"name_ru"`
	NameKZ string `json:"name_kz"`
}

// Organisation is a provider (услугодатель). A group of district departments is one emulated
// organisation with one БИН.
type Organisation struct {
	ID               string `json:"id"`
	NameRU           string `json:"name_ru"`
	NameKZ           string `json:"name_kz"`
	NameRUTranslated bool   `json:"name_ru_translated,omitempty"`
	NameKZTranslated bool   `json:"name_kz_translated,omitempty"`
	BIN              string `json:"bin"`
}

// Target is the provider system a gatewayed service is routed to.
type Target struct {
	Adapter  string `json:"adapter"`   // AdapterLabourMarket, AdapterESobes or AdapterRSHEP
	SystemRU string `json:"system_ru"` // the receiving IS as the regulation names it
	SystemKZ string `json:"system_kz"`
}

// Channel is a way to apply and receive the result.
type Channel struct {
	Code string `json:"code"`
	// Electronic reports that the channel passes through ШЭП.
	Electronic bool `json:"electronic"`
	// Signer is who signs the request sent through ШЭП; set exactly when Electronic.
	Signer string `json:"signer,omitempty"`
	// Steps are the channel's own front-office, automated or intermediary steps.
	Steps []Step `json:"steps,omitempty"`
	// Decision is the time of the provider's decision step (the result or refusal is prepared).
	Decision string `json:"decision,omitempty"`
	// Total is the overall term on this channel; TotalDerived when services.md derives it.
	Total        string `json:"total"`
	TotalDerived bool   `json:"total_derived"`
}

// Step is one timed procedure.
type Step struct {
	Actor    string `json:"actor"`
	ActionRU string `json:"action_ru"`
	ActionKZ string `json:"action_kz,omitempty"`
	Limit    string `json:"limit"`
}

// Result is a possible outcome of the service.
type Result struct {
	Kind             string `json:"kind"`
	NameRU           string `json:"name_ru"`
	NameKZ           string `json:"name_kz"`
	NameRUTranslated bool   `json:"name_ru_translated,omitempty"`
	NameKZTranslated bool   `json:"name_kz_translated,omitempty"`
}

// Term is one term of a limit: N units.
type Term struct {
	N    int
	Unit string
}

// Error is a validation failure of a catalogue document.
type Error struct {
	Service string // the service ID, or "" for document-level problems
	Problem string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Service == "" {
		return "catalogue: " + e.Problem
	}
	return "catalogue: service " + e.Service + ": " + e.Problem
}

// Load parses the embedded services.json (validated).
func Load() (*Catalogue, error) {
	c, err := Parse(servicesJSON)
	if err != nil {
		return nil, fmt.Errorf("embedded services.json: %w", err)
	}
	return c, nil
}

// Parse parses and validates a catalogue document. Unknown fields are an error. All validation
// failures are reported, joined; each is an *Error naming the service.
func Parse(data []byte) (*Catalogue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalogue
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalogue: decode: %w", err)
	}
	if dec.More() {
		return nil, &Error{Problem: "trailing data after the document"}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.index = make(map[string]int, len(c.Services))
	for i := range c.Services {
		c.index[c.Services[i].ID] = i
	}
	return &c, nil
}

// JSON returns the catalogue as a pretty-printed JSON document (2-space indent, fields in
// struct order, no HTML escaping): the form services.json is kept in and the gateway serves.
func (c *Catalogue) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("catalogue: encode: %w", err)
	}
	return b.Bytes(), nil
}

// Service returns the service with the given ID.
func (c *Catalogue) Service(id string) (*Service, bool) {
	i, ok := c.index[id]
	if !ok {
		return nil, false
	}
	return &c.Services[i], true
}

// Families returns the families present, in numeric order (F1, F2, …, F20).
func (c *Catalogue) Families() []string {
	seen := map[string]bool{}
	var fs []string
	for i := range c.Services {
		if f := c.Services[i].Family; !seen[f] {
			seen[f] = true
			fs = append(fs, f)
		}
	}
	sort.Slice(fs, func(i, j int) bool { return familyNumber(fs[i]) < familyNumber(fs[j]) })
	return fs
}

// Family returns the services of a family, in catalogue order.
func (c *Catalogue) Family(family string) []*Service {
	var ss []*Service
	for i := range c.Services {
		if c.Services[i].Family == family {
			ss = append(ss, &c.Services[i])
		}
	}
	return ss
}

// RoutedTo returns the gatewayed services whose target is the given adapter, in catalogue order.
func (c *Catalogue) RoutedTo(adapter string) []*Service {
	var ss []*Service
	for i := range c.Services {
		if t := c.Services[i].Target; t != nil && t.Adapter == adapter {
			ss = append(ss, &c.Services[i])
		}
	}
	return ss
}

// Channel returns the service's channel with the given code.
func (s *Service) Channel(code string) (*Channel, bool) {
	for i := range s.Channels {
		if s.Channels[i].Code == code {
			return &s.Channels[i], true
		}
	}
	return nil, false
}

// Gatewayed reports whether the service has a gateway leg (Target != nil).
func (s *Service) Gatewayed() bool { return s.Target != nil }

// ElectronicChannels returns the codes of the channels that pass through ШЭП.
func (s *Service) ElectronicChannels() []string {
	var codes []string
	for _, ch := range s.Channels {
		if ch.Electronic {
			codes = append(codes, ch.Code)
		}
	}
	return codes
}

// HasRegistry reports whether the service consults the registry (RegistryGBDFL, RegistryENIS).
func (s *Service) HasRegistry(name string) bool { return slices.Contains(s.Registries, name) }

// Result returns the service's first result of the given kind.
func (s *Service) Result(kind string) (*Result, bool) {
	for i := range s.Results {
		if s.Results[i].Kind == kind {
			return &s.Results[i], true
		}
	}
	return nil, false
}

// ValidLimit reports whether s is a valid limit.
func ValidLimit(s string) bool {
	_, err := ParseLimit(s)
	return err == nil
}

// ParseLimit parses a limit: one term ("15min") or a "+"-joined sum of terms ("4wd+45min").
// Each term is a positive decimal number followed by min, h, wd, cd or mo; no spaces.
func ParseLimit(s string) ([]Term, error) {
	if s == "" {
		return nil, errors.New("empty limit")
	}
	parts := strings.Split(s, "+")
	terms := make([]Term, 0, len(parts))
	for _, p := range parts {
		m := termRE.FindStringSubmatch(p)
		if m == nil {
			return nil, fmt.Errorf("limit %q: term %q is not <number><min|h|wd|cd|mo>", s, p)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("limit %q: term %q: %w", s, p, err)
		}
		if n <= 0 {
			return nil, fmt.Errorf("limit %q: term %q is not positive", s, p)
		}
		terms = append(terms, Term{N: n, Unit: m[2]})
	}
	return terms, nil
}

// String formats the term as in a limit ("15min").
func (t Term) String() string { return strconv.Itoa(t.N) + t.Unit }

func familyNumber(f string) int {
	m := familyRE.FindStringSubmatch(f)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// validator collects validation failures.
type validator struct{ errs []error }

func (v *validator) add(service, format string, args ...any) {
	v.errs = append(v.errs, &Error{Service: service, Problem: fmt.Sprintf(format, args...)})
}

func (c *Catalogue) validate() error {
	v := &validator{}
	if c.Version == "" {
		v.add("", "version is empty")
	}
	if len(c.Services) == 0 {
		v.add("", "no services")
	}
	ids := map[string]int{}
	families := map[int]bool{}
	orgs := map[string]Organisation{} // provider ID → first definition
	orgByBIN := map[string]string{}   // BIN → provider ID
	for i := range c.Services {
		s := &c.Services[i]
		name := s.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		if n, dup := ids[s.ID]; dup && s.ID != "" {
			v.add(name, "duplicate id (also service #%d)", n)
		} else {
			ids[s.ID] = i + 1
		}
		if n := familyNumber(s.Family); n < 1 || n > FamilyCount {
			v.add(name, "family %q is not F1…F%d", s.Family, FamilyCount)
		} else {
			families[n] = true
		}
		s.validate(v, name)

		p := s.Provider
		if prev, ok := orgs[p.ID]; ok && prev != p && p.ID != "" {
			v.add(name, "provider %q differs from its earlier definition", p.ID)
		} else if !ok {
			orgs[p.ID] = p
		}
		if other, ok := orgByBIN[p.BIN]; ok && other != p.ID && p.BIN != "" {
			v.add(name, "provider %q has the BIN %s of provider %q", p.ID, p.BIN, other)
		} else if !ok {
			orgByBIN[p.BIN] = p.ID
		}
	}
	for n := 1; n <= FamilyCount; n++ {
		if !families[n] {
			v.add("", "family F%d has no service", n)
		}
	}
	for i, e := range c.Excluded {
		if e.NameRU == "" || e.Reason == "" || len(e.Sources) == 0 {
			v.add("", "excluded entry #%d needs name_ru, reason and sources", i+1)
		}
	}
	return errors.Join(v.errs...)
}

func (s *Service) validate(v *validator, name string) {
	m := idRE.FindStringSubmatch(s.ID)
	switch {
	case m == nil:
		v.add(name, "id %q is not <REGION>-<n>", s.ID)
	case m[1] != s.Region.Code:
		v.add(name, "id prefix %q differs from region code %q", m[1], s.Region.Code)
	}
	if !seedRE.MatchString(s.Seed) {
		v.add(name, "seed %q is not three digits", s.Seed)
	}
	if s.Region.Code == "" || s.Region.NameRU == "" || s.Region.NameKZ == "" {
		v.add(name, "region needs code, name_ru and name_kz")
	}
	if s.NameRU == "" {
		v.add(name, "name_ru is empty")
	}
	if s.NameKZ == "" {
		v.add(name, "name_kz is empty")
	}
	p := s.Provider
	if p.ID == "" || p.NameRU == "" || p.NameKZ == "" {
		v.add(name, "provider needs id, name_ru and name_kz")
	}
	if _, err := certs.ParseBIN(p.BIN, certs.ParseOptions{}); err != nil {
		v.add(name, "provider %q: invalid BIN: %v", p.ID, err)
	}
	if !slices.Contains(automations, s.Automation) {
		v.add(name, "automation %q is not one of %v", s.Automation, automations)
	}
	if t := s.Target; t != nil {
		if !slices.Contains(adapters, t.Adapter) {
			v.add(name, "target adapter %q is not one of %v", t.Adapter, adapters)
		}
		if t.SystemRU == "" || t.SystemKZ == "" {
			v.add(name, "target needs system_ru and system_kz")
		}
	}
	s.validateChannels(v, name)

	seenReg := map[string]bool{}
	for _, r := range s.Registries {
		if !slices.Contains(registries, r) {
			v.add(name, "registry %q is not one of %v", r, registries)
		}
		if seenReg[r] {
			v.add(name, "registry %q listed twice", r)
		}
		seenReg[r] = true
	}
	if len(s.Registries) > 0 && s.Target == nil {
		v.add(name, "registries are consulted through ШЭП, but the service has no target")
	}

	hasRefusal, hasPositive := false, false
	for i, r := range s.Results {
		if !slices.Contains(resultKinds, r.Kind) {
			v.add(name, "result #%d: kind %q is not one of %v", i+1, r.Kind, resultKinds)
		}
		if r.NameRU == "" || r.NameKZ == "" {
			v.add(name, "result #%d (%s) needs name_ru and name_kz", i+1, r.Kind)
		}
		if r.Kind == ResultRefusal {
			hasRefusal = true
		} else {
			hasPositive = true
		}
	}
	if !hasPositive {
		v.add(name, "no positive result")
	}
	if !hasRefusal {
		v.add(name, "no refusal result (every service can end in a motivated refusal)")
	}

	validateSteps(v, name, "steps", s.Steps)
	if len(s.Steps) == 0 {
		for _, ch := range s.Channels {
			if len(ch.Steps) == 0 {
				v.add(name, "no back-office steps, and channel %q has no steps either", ch.Code)
			}
		}
	}
	if len(s.Sources) == 0 {
		v.add(name, "no sources")
	}
	for _, src := range s.Sources {
		if !sourceRE.MatchString(src) {
			v.add(name, "source %q is not like 000:L94-100", src)
		}
	}
}

func (s *Service) validateChannels(v *validator, name string) {
	if len(s.Channels) == 0 {
		v.add(name, "no channels")
	}
	seen := map[string]bool{}
	electronic := 0
	for _, ch := range s.Channels {
		where := "channel " + strconv.Quote(ch.Code)
		if !slices.Contains(channelCodes, ch.Code) {
			v.add(name, "%s: unknown code (known: %v)", where, channelCodes)
		}
		if seen[ch.Code] {
			v.add(name, "%s listed twice", where)
		}
		seen[ch.Code] = true
		switch {
		case ch.Electronic && ch.Signer == "":
			v.add(name, "%s is electronic but has no signer", where)
		case !ch.Electronic && ch.Signer != "":
			v.add(name, "%s is not electronic but has signer %q", where, ch.Signer)
		case ch.Electronic:
			electronic++
			want, ok := channelSigner[ch.Code]
			if !ok {
				v.add(name, "%s cannot be electronic", where)
			} else if ch.Signer != want {
				v.add(name, "%s: signer %q, want %q", where, ch.Signer, want)
			}
		}
		if ch.Code == ChannelPortal && !ch.Electronic {
			v.add(name, "%s must be electronic", where)
		}
		validateSteps(v, name, where+" steps", ch.Steps)
		if ch.Decision != "" {
			if _, err := ParseLimit(ch.Decision); err != nil {
				v.add(name, "%s: decision: %v", where, err)
			}
		}
		if _, err := ParseLimit(ch.Total); err != nil {
			v.add(name, "%s: total: %v", where, err)
		}
	}
	switch {
	case s.Target != nil && electronic == 0:
		v.add(name, "gatewayed (target %q) but has no electronic channel", s.Target.Adapter)
	case s.Target == nil && electronic > 0:
		v.add(name, "has electronic channels but no target")
	}
}

func validateSteps(v *validator, name, where string, steps []Step) {
	for i, st := range steps {
		if !slices.Contains(actors, st.Actor) {
			v.add(name, "%s #%d: unknown actor %q", where, i+1, st.Actor)
		}
		if st.ActionRU == "" {
			v.add(name, "%s #%d: action_ru is empty", where, i+1)
		}
		if _, err := ParseLimit(st.Limit); err != nil {
			v.add(name, "%s #%d: %v", where, i+1, err)
		}
	}
}
