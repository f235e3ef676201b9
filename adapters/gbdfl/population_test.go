package gbdfl

import (
	"strings"
	"testing"
	"time"

	"github.com/shep-kz/shep/certs"
)

func TestPopulationDeterministic(t *testing.T) {
	a := jsonOf(t, Population(42, 500, testNow))
	if b := jsonOf(t, Population(42, 500, testNow.Add(3*time.Hour))); a != b {
		t.Error("same seed and day, different population")
	}
	if c := jsonOf(t, Population(43, 500, testNow)); a == c {
		t.Error("different seeds, same population")
	}
	if ps := Population(1, 0, testNow); len(ps) != 0 {
		t.Errorf("n=0 gave %d", len(ps))
	}
	// A smaller n is a prefix of a larger one (households are generated in the same order).
	small, large := Population(5, 100, testNow), Population(5, 1000, testNow)
	if small[50].IIN != large[50].IIN {
		t.Error("n changes the early households")
	}
}

func TestPopulation(t *testing.T) {
	const n = 5000
	ps := Population(1, n, testNow)
	if len(ps) != n {
		t.Fatalf("%d persons", len(ps))
	}
	demo := map[string]bool{}
	for _, p := range DemoPersons() {
		demo[p.IIN] = true
	}
	byIIN := map[string]*Person{}
	for _, p := range ps {
		if byIIN[p.IIN] != nil {
			t.Fatalf("ИИН %s twice", p.IIN)
		}
		if demo[p.IIN] {
			t.Fatalf("ИИН %s is Demo's", p.IIN)
		}
		byIIN[p.IIN] = p
	}
	var deceased, children, married, kazakhForm, foreign, maxAge, minAge = 0, 0, 0, 0, 0, 0, 200
	regions := map[string]int{}
	for _, p := range ps {
		if err := Validate(p); err != nil {
			t.Fatal(err)
		}
		if _, err := certs.ParseIIN(p.IIN, certs.ParseOptions{}); err != nil {
			t.Fatal(err)
		}
		if p.Test {
			t.Fatalf("%s is a test identity", p.IIN)
		}
		if p.BirthDate.After(testNow) {
			t.Fatalf("%s born in the future", p.IIN)
		}
		age := ageAt(p.BirthDate, testNow)
		maxAge, minAge = max(maxAge, age), min(minAge, age)
		regions[p.Region]++
		if p.Deceased {
			deceased++
			if p.DeathDate.After(testNow) {
				t.Errorf("%s dies in the future", p.IIN)
			}
		}
		if p.Citizenship != "КАЗАХСТАН" {
			foreign++
		}
		if strings.HasSuffix(p.Patronymic, "ҰЛЫ") || strings.HasSuffix(p.Patronymic, "ҚЫЗЫ") {
			kazakhForm++
		}
		// Patronymics and surnames agree with the sex.
		switch {
		case strings.HasSuffix(p.Patronymic, "ИЧ"), strings.HasSuffix(p.Patronymic, "ҰЛЫ"):
			if p.Female {
				t.Errorf("%s: female with patronymic %s", p.IIN, p.Patronymic)
			}
		case strings.HasSuffix(p.Patronymic, "НА"), strings.HasSuffix(p.Patronymic, "ҚЫЗЫ"):
			if !p.Female {
				t.Errorf("%s: male with patronymic %s", p.IIN, p.Patronymic)
			}
		default:
			t.Errorf("%s: patronymic %q", p.IIN, p.Patronymic)
		}
		if gendered(masculine(p.Surname), p.Female) != p.Surname {
			t.Errorf("%s: surname %s for female=%t", p.IIN, p.Surname, p.Female)
		}
		if !p.Female && (strings.HasSuffix(p.Surname, "ОВА") || strings.HasSuffix(p.Surname, "ЕВА") || strings.HasSuffix(p.Surname, "СКАЯ")) {
			t.Errorf("%s: male with surname %s", p.IIN, p.Surname)
		}
		// Documents.
		if len(p.Documents) != 1 {
			t.Fatalf("%s: %d documents", p.IIN, len(p.Documents))
		}
		d := p.Documents[0]
		end := testNow
		if p.Deceased {
			end = p.DeathDate
		}
		switch adult := ageAt(p.BirthDate, end) >= 16; {
		case !adult && d.Type != "СВИДЕТЕЛЬСТВО О РОЖДЕНИИ":
			t.Errorf("%s aged %d has %s", p.IIN, age, d.Type)
		case adult && p.Citizenship == "КАЗАХСТАН" && d.Type != "УДОСТОВЕРЕНИЕ РК":
			t.Errorf("%s aged %d has %s", p.IIN, age, d.Type)
		case adult && !p.Deceased && !d.Expires.After(testNow):
			t.Errorf("%s: document expired %s", p.IIN, day(d.Expires))
		case d.Issued.After(testNow):
			t.Errorf("%s: document issued in the future", p.IIN)
		}
		// Family links point at existing persons and agree.
		for _, l := range []struct {
			name, iin string
		}{{"mother", p.MotherIIN}, {"father", p.FatherIIN}, {"spouse", p.SpouseIIN}} {
			if l.iin == "" {
				continue
			}
			rel := byIIN[l.iin]
			if rel == nil {
				t.Fatalf("%s: %s %s is not in the population", p.IIN, l.name, l.iin)
			}
			switch l.name {
			case "mother", "father":
				if rel.Deceased && rel.DeathDate.Before(p.BirthDate) {
					t.Errorf("%s born after %s's death", p.IIN, l.name)
				}
				if rel.RegAddress != p.RegAddress && l.name == "mother" && age < 16 {
					t.Errorf("%s: child lives apart from its mother", p.IIN)
				}
			case "spouse":
				if rel.SpouseIIN != p.IIN {
					t.Errorf("%s: spouse %s does not link back", p.IIN, l.iin)
				}
				if rel.Female == p.Female {
					t.Errorf("%s: spouse of the same sex", p.IIN)
				}
			}
		}
		if p.MotherIIN != "" || p.FatherIIN != "" {
			children++
		}
		if p.SpouseIIN != "" {
			married++
		}
	}
	share := float64(deceased) / n
	t.Logf("deceased %d, with parents %d, married %d, -ҰЛЫ/-ҚЫЗЫ %d, foreigners %d, ages %d-%d, regions %v",
		deceased, children, married, kazakhForm, foreign, minAge, maxAge, regions)
	if share < 0.01 || share > 0.04 {
		t.Errorf("deceased share %.3f, want about 2%%", share)
	}
	if children < n/4 || married < n/4 || kazakhForm == 0 || foreign == 0 || foreign > n/10 {
		t.Errorf("household structure off: children %d, married %d, kazakh form %d, foreign %d", children, married, kazakhForm, foreign)
	}
	if minAge != 0 || maxAge < 90 || maxAge > 95 {
		t.Errorf("ages %d-%d, want 0-95", minAge, maxAge)
	}
	for _, r := range []string{"AKT", "ZKO", "KRG", "AKM", "ALM"} {
		if regions[r] < n/20 {
			t.Errorf("region %s has %d persons", r, regions[r])
		}
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ father, m, f string }{
		{"СЕРИК", "СЕРИКОВИЧ", "СЕРИКОВНА"}, {"СЕРГЕЙ", "СЕРГЕЕВИЧ", "СЕРГЕЕВНА"}, {"НИКОЛАЙ", "НИКОЛАЕВИЧ", "НИКОЛАЕВНА"},
		{"ИГОРЬ", "ИГОРЕВИЧ", "ИГОРЕВНА"}, {"ЮРИЙ", "ЮРЬЕВИЧ", "ЮРЬЕВНА"}, {"ПАВЕЛ", "ПАВЛОВИЧ", "ПАВЛОВНА"}, {"ДМИТРИЙ", "ДМИТРИЕВИЧ", "ДМИТРИЕВНА"},
	} {
		if got := patronymic(tt.father, false, false); got != tt.m {
			t.Errorf("son of %s: %s", tt.father, got)
		}
		if got := patronymic(tt.father, true, false); got != tt.f {
			t.Errorf("daughter of %s: %s", tt.father, got)
		}
	}
	if patronymic("НУРЛАН", false, true) != "НУРЛАНҰЛЫ" || patronymic("НУРЛАН", true, true) != "НУРЛАНҚЫЗЫ" {
		t.Error("Kazakh patronymic")
	}
	for _, tt := range [][2]string{{"АХМЕТОВ", "АХМЕТОВА"}, {"ИЛЬИН", "ИЛЬИНА"}, {"КОВАЛЕВСКИЙ", "КОВАЛЕВСКАЯ"}, {"КИМ", "КИМ"}, {"ШЕВЧЕНКО", "ШЕВЧЕНКО"}, {"СЕРИКБАЕВ", "СЕРИКБАЕВА"}} {
		if got := gendered(tt[0], true); got != tt[1] || masculine(got) != tt[0] {
			t.Errorf("%s: %s / %s", tt[0], got, masculine(got))
		}
	}
}
