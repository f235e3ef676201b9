package enis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shep-kz/shep/adapters/gbdfl"
)

// EnsureDemo loads Demo's power of attorney and about 50 more between living adults of persons
// into s when s holds none (it does nothing otherwise). The
// generated ones are dated around the current time: most valid now, some expired, some revoked;
// some cover every service ("*"), others only ZKO-9, ZKO-10, KRG-1, KRG-2, AKT-6 or ALM-2.
func EnsureDemo(ctx context.Context, s *Store, persons []*gbdfl.Person) error {
	c, err := s.Count(ctx)
	if err != nil || c > 0 {
		return err
	}
	if err := s.PutBatch(ctx, append(DemoPowers(), Generate(1, persons, 50, time.Now())...)); err != nil {
		return fmt.Errorf("enis: demo: %w", err)
	}
	return nil
}

// demoServices are the services the generated powers of attorney name.
var demoServices = []string{"ZKO-9", "ZKO-10", "KRG-1", "KRG-2", "AKT-6", "ALM-2"}

var notaries = []string{"СЕМЕНОВА О.В.", "ЖАКИПОВА А.С.", "БЕКТУРОВ Н.К.", "ЛИ Е.А.", "КАРИМОВА Д.Б.", "ОСПАНОВ Е.М.", "ГРИЦЕНКО Т.Н."}

var notaryCities = map[string]string{"AKT": "Г. АКТОБЕ", "ZKO": "Г. УРАЛЬСК", "KRG": "Г. КАРАГАНДА", "AKM": "Г. КОКШЕТАУ",
	"ALM": "Г. АЛМАТЫ", "AST": "Г. АСТАНА"}

// Generate makes n powers of attorney between living adults of persons (none when there are
// fewer than two), the same for the same seed, persons and day of now. Half go to a relative
// (the spouse or an adult child) when there is one. One in five has expired, one in ten is
// revoked; the rest are valid at now. Numbers are ЕНИС-YYYY-1NNNNN.
func Generate(seed int64, persons []*gbdfl.Person, n int, now time.Time) []*PowerOfAttorney {
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	byIIN := map[string]*gbdfl.Person{}
	var adults []*gbdfl.Person
	for _, p := range persons {
		if !p.Deceased && !p.Test && !p.BirthDate.IsZero() && !p.BirthDate.AddDate(18, 0, 0).After(today) {
			adults = append(adults, p)
			byIIN[p.IIN] = p
		}
	}
	if len(adults) < 2 || n <= 0 {
		return nil
	}
	children := map[string][]string{}
	for _, p := range adults {
		for _, par := range []string{p.MotherIIN, p.FatherIIN} {
			if byIIN[par] != nil {
				children[par] = append(children[par], p.IIN)
			}
		}
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x454e4953))
	days := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	out := make([]*PowerOfAttorney, 0, n)
	for i := range n {
		principal := adults[rng.IntN(len(adults))]
		var rep string
		if rng.IntN(2) == 0 {
			var kin []string
			if byIIN[principal.SpouseIIN] != nil {
				kin = append(kin, principal.SpouseIIN)
			}
			kin = append(kin, children[principal.IIN]...)
			if len(kin) > 0 {
				rep = kin[rng.IntN(len(kin))]
			}
		}
		for rep == "" || rep == principal.IIN {
			rep = adults[rng.IntN(len(adults))].IIN
		}
		p := &PowerOfAttorney{Principal: principal.IIN, Representative: rep, Services: []string{"*"}}
		if rng.IntN(10) >= 4 {
			p.Services = []string{demoServices[rng.IntN(len(demoServices))]}
			if s := demoServices[rng.IntN(len(demoServices))]; rng.IntN(3) == 0 && s != p.Services[0] {
				p.Services = append(p.Services, s)
			}
		}
		switch i % 10 {
		case 0, 5: // expired
			p.Until = today.AddDate(0, 0, -days(1, 400))
			p.From = p.Until.AddDate(-days(1, 3), 0, 0)
		default:
			p.From = today.AddDate(0, 0, -days(1, 900))
			p.Until = p.From.AddDate(days(1, 3), 0, 0)
			if !p.Until.After(today.AddDate(0, 0, 30)) {
				p.Until = today.AddDate(0, 0, days(30, 700))
			}
			if i%10 == 3 { // revoked
				p.Revoked = true
				p.RevokedAt = p.From.AddDate(0, 0, rng.IntN(int(today.Sub(p.From).Hours()/24)))
			}
		}
		city := notaryCities[principal.Region]
		if city == "" {
			city = "Г. АСТАНА"
		}
		p.Notary = "НОТАРИУС " + city + " " + notaries[rng.IntN(len(notaries))]
		p.Number = fmt.Sprintf("ЕНИС-%d-%06d", p.From.Year(), 100000+13*i+rng.IntN(13))
		out = append(out, p)
	}
	return out
}
