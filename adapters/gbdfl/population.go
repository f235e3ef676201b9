package gbdfl

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/shep-kz/shep/certs"
)

// EnsureDemo loads Demo's persons and Population(1, n, now) into s when s holds nobody, and
// returns how many persons it loaded (0 when s was not empty).
func EnsureDemo(ctx context.Context, s *Store, n int, now time.Time) (loaded int, err error) {
	c, err := s.Count(ctx)
	if err != nil || c > 0 {
		return 0, err
	}
	persons := append(Population(1, n, now), DemoPersons()...)
	if err := s.PutBatch(ctx, persons); err != nil {
		return 0, fmt.Errorf("gbdfl: demo: %w", err)
	}
	return len(persons), nil
}

// Population generates n persons of a realistic demo population, the same for the same seed, n
// and day of now: households sharing an address (couples with 0–4 children, single parents,
// three generations, elderly couples, persons living alone) in Актобе (AKT), Уральск (ZKO),
// Караганда (KRG), Кокшетау (AKM) and Алматы (ALM); children linked to their parents, spouses to
// each other; ages 0–95; about 2% deceased with death dates; Kazakh, Russian and other names with
// gendered surnames and patronymics; citizens of Kazakhstan mostly; an identity card (residence
// permit for foreigners) from 16 years, a birth certificate below. Every ИИН is valid and
// unique, and none is one of Demo's.
func Population(seed int64, n int, now time.Time) []*Person {
	if n <= 0 {
		return nil
	}
	g := &generator{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x5348455020474244)),
		now:    toDay(now),
		used:   map[string]bool{},
		docs:   map[string]bool{},
		member: map[*Person]*home{},
	}
	for _, p := range DemoPersons() {
		g.used[p.IIN] = true
	}
	for len(g.out) < n {
		g.household()
	}
	return g.finish(n)
}

type generator struct {
	rng  *rand.Rand
	now  time.Time
	used map[string]bool // ИИН given out (and Demo's)
	docs map[string]bool // document numbers given out
	out  []*Person
	// elders are couples (husband, wife) of past households whose children may head a household.
	elders [][2]*Person
	// member records the household data of each generated person.
	member map[*Person]*home
}

// home is what the members of a household share.
type home struct {
	region  *region
	address string
	eth     *ethnicity
	citizen string
}

func (g *generator) intn(lo, hi int) int   { return lo + g.rng.IntN(hi-lo+1) } // lo..hi
func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }
func pick[T any](g *generator, s []T) T    { return s[g.rng.IntN(len(s))] }

// birthForAge returns a birth date of someone aged exactly age at g.now.
func (g *generator) birthForAge(age int) time.Time {
	return g.now.AddDate(-age, 0, -g.rng.IntN(365))
}

func ageAt(birth, at time.Time) int {
	a := at.Year() - birth.Year()
	if at.Month() < birth.Month() || (at.Month() == birth.Month() && at.Day() < birth.Day()) {
		a--
	}
	return a
}

// iin allocates a unique valid ИИН.
func (g *generator) iin(birth time.Time, female bool) string {
	sex := certs.SexMale
	if female {
		sex = certs.SexFemale
	}
	serial := g.rng.IntN(9000)
	for range 9000 {
		v, err := certs.NewIIN(birth, sex, serial)
		if err == nil && !g.used[v.Digits] {
			g.used[v.Digits] = true
			return v.Digits
		}
		serial = (serial + 1) % 9000
	}
	panic("gbdfl: no ИИН serial left for " + birth.Format(time.DateOnly)) // 9000 persons born the same day
}

// newPerson makes a person of household h; surname is the masculine form.
func (g *generator) newPerson(h *home, female bool, birth time.Time, surname, fatherName string) *Person {
	p := &Person{
		IIN: g.iin(birth, female), Surname: gendered(surname, female), Name: pick(g, h.eth.names(female)),
		BirthDate: birth, Female: female, Nationality: h.eth.nationality, Citizenship: h.citizen,
		RegAddress: h.address, Region: h.region.code,
	}
	if fatherName == "" {
		fatherName = pick(g, h.eth.male)
	}
	p.Patronymic = patronymic(fatherName, female, h.eth.kazakh && birth.Year() >= 1995 && g.chance(0.12))
	p.BirthPlace = g.birthPlace(h, birth)
	g.out = append(g.out, p)
	g.member[p] = h
	return p
}

func (g *generator) birthPlace(h *home, birth time.Time) string {
	switch {
	case h.citizen != "КАЗАХСТАН" && birth.Before(g.now.AddDate(-18, 0, 0)):
		return pick(g, foreignPlaces[h.citizen])
	case h.eth.abroad != nil && birth.Year() < 1975 && g.chance(0.3):
		return pick(g, h.eth.abroad)
	case g.chance(0.15):
		return "КАЗАХСТАН, " + pick(g, h.region.villages)
	case g.chance(0.12):
		return pick(g, regions).cityLine()
	}
	return h.region.cityLine()
}

func (g *generator) newHome() *home {
	r := pickWeighted(g, regions, func(r *region) int { return r.weight })
	e := pickWeighted(g, ethnicities, func(e *ethnicity) int { return e.weight })
	h := &home{region: r, eth: e, citizen: "КАЗАХСТАН"}
	if e.foreign != "" && g.chance(e.foreignShare) {
		h.citizen = e.foreign
	}
	h.address = g.address(r)
	return h
}

func pickWeighted[T any](g *generator, s []T, w func(T) int) T {
	total := 0
	for _, v := range s {
		total += w(v)
	}
	x := g.rng.IntN(total)
	for _, v := range s {
		if x -= w(v); x < 0 {
			return v
		}
	}
	return s[len(s)-1]
}

func (g *generator) address(r *region) string {
	var b strings.Builder
	b.WriteString(r.cityLine())
	if len(r.districts) > 0 {
		b.WriteString(", " + pick(g, r.districts))
	}
	b.WriteString(", " + pick(g, r.streets))
	fmt.Fprintf(&b, ", Д. %d", g.intn(1, 150))
	if g.chance(0.75) {
		fmt.Fprintf(&b, ", КВ. %d", g.intn(1, 180))
	}
	return b.String()
}

func link(husband, wife *Person) { husband.SpouseIIN, wife.SpouseIIN = wife.IIN, husband.IIN }

// household generates one household.
func (g *generator) household() {
	h := g.newHome()
	switch x := g.rng.Float64(); {
	case x < 0.50:
		g.family(h, g.intn(22, 60), false)
	case x < 0.60:
		g.family(h, g.intn(25, 55), true)
	case x < 0.72:
		g.singleParent(h)
	case x < 0.87:
		age := g.intn(18, 60)
		if g.chance(0.3) {
			age = g.intn(60, 95)
		}
		female := g.chance(0.5)
		g.newPerson(h, female, g.birthForAge(age), pick(g, h.eth.surnames), "")
	default:
		g.elderly(h)
	}
}

// couple makes a husband of husbandAge and a wife, linked; his parents may be given. The wife
// may be the daughter of an elderly couple generated before.
func (g *generator) couple(h *home, husbandAge int, father, mother *Person) (husband, wife *Person) {
	surname, fatherName := pick(g, h.eth.surnames), ""
	if father != nil {
		surname, fatherName = masculine(father.Surname), father.Name
	} else if mother != nil {
		surname = masculine(mother.Surname)
	}
	husband = g.newPerson(h, false, g.birthForAge(husbandAge), surname, fatherName)
	if father != nil {
		husband.FatherIIN = father.IIN
	}
	if mother != nil {
		husband.MotherIIN = mother.IIN
	}
	wb := g.birthForAge(max(husbandAge-g.intn(-2, 6), 20))
	maiden, wifeFather := pick(g, h.eth.surnames), ""
	var parents [2]*Person
	if len(g.elders) > 0 && g.chance(0.35) {
		for range 4 {
			e := g.elders[g.rng.IntN(len(g.elders))]
			if a := ageAt(e[1].BirthDate, wb); a >= 20 && a <= 40 && ageAt(e[0].BirthDate, wb) >= 18 && e[0].Nationality == h.eth.nationality {
				parents = e
				maiden, wifeFather = masculine(e[0].Surname), e[0].Name
				break
			}
		}
	}
	if g.chance(0.75) {
		maiden = surname // she took her husband's name
	}
	wife = g.newPerson(h, true, wb, maiden, wifeFather)
	if parents[0] != nil {
		wife.FatherIIN, wife.MotherIIN = parents[0].IIN, parents[1].IIN
	}
	link(husband, wife)
	return husband, wife
}

// children gives mother and father (either may be nil) up to k children, the first born when
// the mother was 20–30 (the father 22–34), the next every 1–6 years.
func (g *generator) children(h *home, k int, mother, father *Person) {
	ref, lo, hi, limit := mother, 20, 30, 44
	if ref == nil {
		ref, lo, hi, limit = father, 22, 34, 55
	}
	surname, fatherName := masculine(ref.Surname), pick(g, h.eth.male)
	if father != nil {
		surname, fatherName = masculine(father.Surname), father.Name
	}
	birth := ref.BirthDate.AddDate(g.intn(lo, hi), 0, g.rng.IntN(365))
	for range k {
		if birth.After(g.now) || ageAt(ref.BirthDate, birth) > limit {
			return
		}
		c := g.newPerson(h, g.chance(0.49), birth, surname, fatherName)
		if mother != nil {
			c.MotherIIN = mother.IIN
		}
		if father != nil {
			c.FatherIIN = father.IIN
		}
		birth = birth.AddDate(g.intn(1, 5), g.rng.IntN(12), g.rng.IntN(28))
	}
}

func (g *generator) childCount() int {
	return pickWeighted(g, []int{0, 1, 2, 3, 4}, func(k int) int { return []int{14, 24, 34, 18, 10}[k] })
}

// family is a couple with children; withElders adds the husband's mother, with his father
// alive, deceased, or not in the registry.
func (g *generator) family(h *home, husbandAge int, withElders bool) {
	var father, mother *Person
	if withElders {
		mAge := min(husbandAge+g.intn(21, 36), 95)
		sur := pick(g, h.eth.surnames)
		mother = g.newPerson(h, true, g.birthForAge(mAge), sur, "")
		if x := g.rng.Float64(); x < 0.85 {
			father = g.newPerson(h, false, g.birthForAge(min(mAge+g.intn(0, 5), 95)), sur, "")
			father.Deceased = x >= 0.65 // widowed
			link(father, mother)
		}
	}
	husband, wife := g.couple(h, husbandAge, father, mother)
	g.children(h, g.childCount(), wife, husband)
	if !withElders && husbandAge >= 45 && g.chance(0.5) {
		g.elders = append(g.elders, [2]*Person{husband, wife})
	}
}

// singleParent is a mother (mostly) or a father with 1–3 children; a fifth are widowed (the
// deceased spouse is in the registry).
func (g *generator) singleParent(h *home) {
	female := g.chance(0.85)
	age := g.intn(22, 50)
	parent := g.newPerson(h, female, g.birthForAge(age), pick(g, h.eth.surnames), "")
	var other *Person
	if g.chance(0.2) {
		other = g.newPerson(h, !female, g.birthForAge(max(age+g.intn(-3, 6), 20)), masculine(parent.Surname), "")
		other.Deceased = true
		link(parent, other)
	}
	mother, father := parent, other
	if !female {
		mother, father = other, parent
	}
	g.children(h, g.intn(1, 3), mother, father)
}

// elderly is a couple of pensioners, or a widow.
func (g *generator) elderly(h *home) {
	age := g.intn(60, 90)
	husband, wife := g.couple(h, age, nil, nil)
	if g.chance(0.12) {
		husband.Deceased = true // a widow
	}
	g.elders = append(g.elders, [2]*Person{husband, wife})
}

// finish cuts the population to n, clears links to persons left out, decides who died and
// when, and issues documents.
func (g *generator) finish(n int) []*Person {
	out := g.out[:n]
	in := make(map[string]*Person, n)
	for _, p := range out {
		in[p.IIN] = p
	}
	lastChild := map[string]time.Time{}
	for _, p := range out {
		for _, l := range []*string{&p.MotherIIN, &p.FatherIIN, &p.SpouseIIN} {
			if *l != "" && in[*l] == nil {
				*l = ""
			}
		}
		for _, par := range p.parents() {
			if p.BirthDate.After(lastChild[par]) {
				lastChild[par] = p.BirthDate
			}
		}
	}
	for _, p := range out {
		age := ageAt(p.BirthDate, g.now)
		if !p.Deceased && age >= 18 {
			var risk float64
			switch {
			case age >= 80:
				risk = 0.05
			case age >= 65:
				risk = 0.015
			case age >= 50:
				risk = 0.005
			default:
				risk = 0.001
			}
			p.Deceased = g.chance(risk)
		}
		if p.Deceased {
			lo := g.now.AddDate(-12, 0, 0)
			for _, t := range []time.Time{p.BirthDate.AddDate(18, 0, 0), lastChild[p.IIN].AddDate(0, 0, 1)} {
				if t.After(lo) {
					lo = t
				}
			}
			days := int(g.now.Sub(lo).Hours() / 24)
			if days < 1 {
				p.Deceased = false
			} else {
				p.DeathDate = lo.AddDate(0, 0, g.rng.IntN(days))
			}
		}
		g.documents(p)
	}
	return out
}

// documents issues p's identity document: a birth certificate under 16, else an identity card
// (a residence permit for a foreigner), valid 10 years, issued within the last 10 years before
// now (or death).
func (g *generator) documents(p *Person) {
	h := g.member[p]
	end := g.now
	if p.Deceased {
		end = p.DeathDate
	}
	if ageAt(p.BirthDate, end) < 16 {
		issued := p.BirthDate.AddDate(0, 0, g.intn(3, 30))
		if issued.After(g.now) {
			issued = p.BirthDate
		}
		p.Documents = []Document{{Type: "СВИДЕТЕЛЬСТВО О РОЖДЕНИИ", Number: g.docNumber(7),
			IssuedBy: "ОТДЕЛ РЕГИСТРАЦИИ АКТОВ ГРАЖДАНСКОГО СОСТОЯНИЯ " + h.region.city, Issued: issued}}
		return
	}
	lo := p.BirthDate.AddDate(16, 0, 0)
	if t := end.AddDate(-10, 0, 30); t.After(lo) { // renewed before it expires
		lo = t
	}
	issued := lo
	if days := int(end.Sub(lo).Hours() / 24); days > 0 {
		issued = lo.AddDate(0, 0, g.rng.IntN(days+1))
	}
	typ, by := "УДОСТОВЕРЕНИЕ РК", "МВД РК"
	if p.Citizenship != "КАЗАХСТАН" {
		typ = "ВИД НА ЖИТЕЛЬСТВО ИНОСТРАНЦА"
	} else if issued.Year() < 2012 {
		by = "МЮ РК"
	}
	p.Documents = []Document{{Type: typ, Number: g.docNumber(9), IssuedBy: by, Issued: issued, Expires: issued.AddDate(10, 0, -1)}}
}

func (g *generator) docNumber(digits int) string {
	for {
		s := strconv.Itoa(g.rng.IntN(9 * pow10(digits-1)))
		s = strings.Repeat("0", digits-len(s)) + s
		if !g.docs[s] {
			g.docs[s] = true
			return s
		}
	}
}

func pow10(n int) int {
	r := 1
	for range n {
		r *= 10
	}
	return r
}

// gendered returns the surname for a man or a woman: АХМЕТОВ/АХМЕТОВА, ИЛЬИН/ИЛЬИНА,
// КОВАЛЕВСКИЙ/КОВАЛЕВСКАЯ; КИМ or ШЕВЧЕНКО do not change.
func gendered(masc string, female bool) string {
	if !female {
		return masc
	}
	for _, suf := range []string{"ОВ", "ЕВ", "ЁВ", "ИН", "ЫН"} {
		if strings.HasSuffix(masc, suf) {
			return masc + "А"
		}
	}
	for _, suf := range []string{"СКИЙ", "ЦКИЙ"} {
		if strings.HasSuffix(masc, suf) {
			return strings.TrimSuffix(masc, "ИЙ") + "АЯ"
		}
	}
	return masc
}

// masculine undoes gendered.
func masculine(s string) string {
	for _, suf := range []string{"ОВА", "ЕВА", "ЁВА", "ИНА", "ЫНА"} {
		if strings.HasSuffix(s, suf) {
			return strings.TrimSuffix(s, "А")
		}
	}
	if strings.HasSuffix(s, "СКАЯ") || strings.HasSuffix(s, "ЦКАЯ") {
		return strings.TrimSuffix(s, "АЯ") + "ИЙ"
	}
	return s
}

// patronymicStems are the irregular stems of Russian patronymics.
var patronymicStems = map[string]string{
	"ПАВЕЛ": "ПАВЛОВ", "МИХАИЛ": "МИХАЙЛОВ", "ЮРИЙ": "ЮРЬЕВ", "ВАЛЕРИЙ": "ВАЛЕРЬЕВ", "АНАТОЛИЙ": "АНАТОЛЬЕВ",
	"ГЕННАДИЙ": "ГЕННАДЬЕВ", "ЕВГЕНИЙ": "ЕВГЕНЬЕВ", "ВИТАЛИЙ": "ВИТАЛЬЕВ", "ВАСИЛИЙ": "ВАСИЛЬЕВ",
}

// patronymic derives a patronymic from the father's name: СЕРИКОВИЧ/СЕРИКОВНА, СЕРГЕЕВИЧ/СЕРГЕЕВНА,
// or the Kazakh СЕРИКҰЛЫ/СЕРИКҚЫЗЫ.
func patronymic(father string, female, kazakhForm bool) string {
	if kazakhForm {
		if female {
			return father + "ҚЫЗЫ"
		}
		return father + "ҰЛЫ"
	}
	stem, ok := patronymicStems[father]
	if !ok {
		switch {
		case strings.HasSuffix(father, "Й"), strings.HasSuffix(father, "Ь"):
			stem = father[:len(father)-len("Й")] + "ЕВ"
		case strings.HasSuffix(father, "Ж"), strings.HasSuffix(father, "Ш"), strings.HasSuffix(father, "Ц"), strings.HasSuffix(father, "Ч"):
			stem = father + "ЕВ"
		default:
			stem = father + "ОВ"
		}
	}
	if female {
		return stem + "НА"
	}
	return stem + "ИЧ"
}

type region struct {
	code, oblast, city string // city as "Г. АКТОБЕ"
	weight             int
	districts          []string
	streets            []string
	villages           []string // "РАЙОН, С. …" of the oblast
}

// cityLine is "КАЗАХСТАН, АКТЮБИНСКАЯ ОБЛАСТЬ, Г. АКТОБЕ".
func (r *region) cityLine() string {
	if r.oblast == "" {
		return "КАЗАХСТАН, " + r.city
	}
	return "КАЗАХСТАН, " + r.oblast + ", " + r.city
}

var regions = []*region{
	{code: "ALM", city: "Г. АЛМАТЫ", weight: 34,
		districts: []string{"АЛМАЛИНСКИЙ Р-Н", "АУЭЗОВСКИЙ Р-Н", "БОСТАНДЫКСКИЙ Р-Н", "МЕДЕУСКИЙ Р-Н", "ЖЕТЫСУСКИЙ Р-Н", "НАУРЫЗБАЙСКИЙ Р-Н", "ТУРКСИБСКИЙ Р-Н", "АЛАТАУСКИЙ Р-Н"},
		streets: []string{"ПР. АБАЯ", "ПР. АЛЬ-ФАРАБИ", "ПР. ДОСТЫК", "ПР. РАЙЫМБЕКА", "УЛ. ТОЛЕ БИ", "УЛ. ЖАНДОСОВА", "УЛ. ТИМИРЯЗЕВА",
			"УЛ. РОЗЫБАКИЕВА", "УЛ. САТПАЕВА", "УЛ. ГОГОЛЯ", "УЛ. ЖИБЕК ЖОЛЫ", "МКР. САМАЛ-2", "МКР. АКСАЙ-4", "МКР. ОРБИТА-3"},
		villages: []string{"АЛМАТИНСКАЯ ОБЛАСТЬ, КАРАСАЙСКИЙ РАЙОН, С. КАСКЕЛЕН", "АЛМАТИНСКАЯ ОБЛАСТЬ, ТАЛГАРСКИЙ РАЙОН, Г. ТАЛГАР",
			"ЖЕТЫСУСКАЯ ОБЛАСТЬ, Г. ТАЛДЫКОРГАН", "АЛМАТИНСКАЯ ОБЛАСТЬ, ЕНБЕКШИКАЗАХСКИЙ РАЙОН, Г. ЕСИК"}},
	{code: "KRG", oblast: "КАРАГАНДИНСКАЯ ОБЛАСТЬ", city: "Г. КАРАГАНДА", weight: 20,
		streets: []string{"ПР. БУХАР ЖЫРАУ", "ПР. СТРОИТЕЛЕЙ", "ПР. НУРКЕНА АБДИРОВА", "УЛ. ЕРУБАЕВА", "УЛ. ГОГОЛЯ", "УЛ. ЛОБОДЫ",
			"УЛ. АЛИХАНОВА", "УЛ. ГАПЕЕВА", "УЛ. МУКАНОВА", "УЛ. ТЕРЕШКОВОЙ", "МКР. ВОСТОК-2"},
		villages: []string{"КАРАГАНДИНСКАЯ ОБЛАСТЬ, Г. ТЕМИРТАУ", "КАРАГАНДИНСКАЯ ОБЛАСТЬ, Г. ШАХТИНСК", "КАРАГАНДИНСКАЯ ОБЛАСТЬ, БУХАР-ЖЫРАУСКИЙ РАЙОН, П. БОТАКАРА",
			"КАРАГАНДИНСКАЯ ОБЛАСТЬ, АБАЙСКИЙ РАЙОН, Г. АБАЙ"}},
	{code: "AKT", oblast: "АКТЮБИНСКАЯ ОБЛАСТЬ", city: "Г. АКТОБЕ", weight: 17,
		streets: []string{"УЛ. АБАЯ", "УЛ. АЛТЫНСАРИНА", "УЛ. БРАТЬЕВ ЖУБАНОВЫХ", "УЛ. ТОЛСТОГО", "УЛ. МАРЕСЬЕВА", "ПР. САНКИБАЙ БАТЫРА",
			"ПР. АБИЛКАЙЫР ХАНА", "УЛ. ЕСЕТ БАТЫРА", "УЛ. ШЕВЧЕНКО", "ПР. А. МОЛДАГУЛОВОЙ", "МКР. 12", "МКР. 11"},
		villages: []string{"АКТЮБИНСКАЯ ОБЛАСТЬ, МАРТУКСКИЙ РАЙОН, С. МАРТУК", "АКТЮБИНСКАЯ ОБЛАСТЬ, ХРОМТАУСКИЙ РАЙОН, Г. ХРОМТАУ",
			"АКТЮБИНСКАЯ ОБЛАСТЬ, МУГАЛЖАРСКИЙ РАЙОН, Г. КАНДЫАГАШ", "АКТЮБИНСКАЯ ОБЛАСТЬ, ТЕМИРСКИЙ РАЙОН, С. ШУБАРКУДУК"}},
	{code: "ZKO", oblast: "ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ", city: "Г. УРАЛЬСК", weight: 15,
		streets: []string{"УЛ. ДОСТЫК", "ПР. ЕВРАЗИЯ", "УЛ. КУРМАНГАЗЫ", "УЛ. МАХАМБЕТА", "УЛ. ЖАНГИР ХАНА", "УЛ. ИХСАНОВА",
			"УЛ. ГАГАРИНА", "УЛ. ШОЛОХОВА", "УЛ. САРАЙШЫК", "УЛ. ТЕМИР МАСИНА", "МКР. АЛМАГУЛЬ"},
		villages: []string{"ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, БУРЛИНСКИЙ РАЙОН, Г. АКСАЙ", "ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, ЗЕЛЕНОВСКИЙ РАЙОН, С. ПЕРЕМЕТНОЕ",
			"ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, ТЕРЕКТИНСКИЙ РАЙОН, С. ФЕДОРОВКА", "ЗАПАДНО-КАЗАХСТАНСКАЯ ОБЛАСТЬ, АКЖАИКСКИЙ РАЙОН, С. ЧАПАЕВ"}},
	{code: "AKM", oblast: "АКМОЛИНСКАЯ ОБЛАСТЬ", city: "Г. КОКШЕТАУ", weight: 14,
		streets: []string{"УЛ. АБАЯ", "УЛ. АУЭЛЬБЕКОВА", "ПР. АБЫЛАЙ ХАНА", "УЛ. ВАЛИХАНОВА", "УЛ. КУАНЫШЕВА", "УЛ. АКАН СЕРЕ",
			"УЛ. ГОРЬКОГО", "УЛ. СЕЙФУЛЛИНА", "УЛ. ПУШКИНА", "МКР. БОРИКА", "МКР. ЦЕНТРАЛЬНЫЙ"},
		villages: []string{"АКМОЛИНСКАЯ ОБЛАСТЬ, БУРАБАЙСКИЙ РАЙОН, Г. ЩУЧИНСК", "АКМОЛИНСКАЯ ОБЛАСТЬ, ЗЕРЕНДИНСКИЙ РАЙОН, С. ЗЕРЕНДА",
			"АКМОЛИНСКАЯ ОБЛАСТЬ, Г. СТЕПНОГОРСК", "АКМОЛИНСКАЯ ОБЛАСТЬ, АТБАСАРСКИЙ РАЙОН, Г. АТБАСАР"}},
}

type ethnicity struct {
	nationality  string
	weight       int // per mille of households
	male, female []string
	surnames     []string // masculine forms
	kazakh       bool     // the Kazakh patronymic -ҰЛЫ/-ҚЫЗЫ occurs
	abroad       []string // birth places abroad of older persons
	foreign      string   // a citizenship some households keep
	foreignShare float64
}

func (e *ethnicity) names(female bool) []string {
	if female {
		return e.female
	}
	return e.male
}

var (
	russianMale = []string{"АЛЕКСАНДР", "СЕРГЕЙ", "АНДРЕЙ", "ДМИТРИЙ", "ВЛАДИМИР", "НИКОЛАЙ", "ИГОРЬ", "ЮРИЙ", "ВИКТОР", "ОЛЕГ", "ПАВЕЛ",
		"МИХАИЛ", "ЕВГЕНИЙ", "АЛЕКСЕЙ", "ИВАН", "ПЕТР", "АНТОН", "МАКСИМ", "ВАДИМ", "КОНСТАНТИН", "РОМАН", "ДЕНИС", "ВАЛЕРИЙ",
		"АНАТОЛИЙ", "ГЕННАДИЙ", "ВИТАЛИЙ", "ВАСИЛИЙ", "АРТЕМ", "КИРИЛЛ", "ЕГОР"}
	russianFemale = []string{"ЕЛЕНА", "ОЛЬГА", "ТАТЬЯНА", "НАТАЛЬЯ", "ИРИНА", "СВЕТЛАНА", "МАРИНА", "ЮЛИЯ", "АННА", "ЕКАТЕРИНА",
		"ВИКТОРИЯ", "ЛЮДМИЛА", "ГАЛИНА", "ВАЛЕНТИНА", "ОКСАНА", "АЛИНА", "ДАРЬЯ", "ПОЛИНА", "СОФИЯ", "КСЕНИЯ", "НАДЕЖДА", "ЛАРИСА"}
	abroadSlavic = []string{"РОССИЯ, ОРЕНБУРГСКАЯ ОБЛАСТЬ, Г. ОРЕНБУРГ", "РОССИЯ, САРАТОВСКАЯ ОБЛАСТЬ, Г. САРАТОВ", "РОССИЯ, Г. ОМСК",
		"РОССИЯ, Г. САМАРА", "УКРАИНА, Г. ХАРЬКОВ", "УКРАИНА, Г. ДНЕПР", "БЕЛАРУСЬ, Г. МИНСК"}
)

var ethnicities = []*ethnicity{
	{nationality: "КАЗАХ", weight: 690, kazakh: true,
		male: []string{"СЕРИК", "БОЛАТ", "МАРАТ", "ЕРЛАН", "НУРЛАН", "АСХАТ", "ДАУРЕН", "ЕРЖАН", "КАЙРАТ", "БАУЫРЖАН", "ТАЛГАТ", "АЙДОС",
			"АСЕТ", "ДАНИЯР", "ЖАНДОС", "АРМАН", "ЕРБОЛ", "САМАТ", "РУСЛАН", "ТИМУР", "АЛИХАН", "НУРСУЛТАН", "АЗАМАТ", "БЕКЖАН",
			"ЕРАСЫЛ", "ДИАС", "АМАНЖОЛ", "КАНАТ", "МУРАТ", "ЖАНИБЕК", "АБЗАЛ", "ЕРНАР", "АЛМАС", "САКЕН", "ТОКТАР"},
		female: []string{"АЙГУЛЬ", "ГУЛЬНАРА", "АЙГЕРИМ", "ДИНАРА", "САУЛЕ", "ЖАНАР", "АЛИЯ", "МАДИНА", "АСЕЛЬ", "КАРЛЫГАШ", "ДАНА",
			"ЖАННА", "АЙНУР", "ГУЛЬМИРА", "АЙЖАН", "ТОМИРИС", "АРУЖАН", "АЙША", "МЕРУЕРТ", "САЛТАНАТ", "ЖУЛДЫЗ", "БОТАГОЗ", "АКМАРАЛ",
			"ЭЛЬМИРА", "РАУШАН", "АНАР", "КУЛЯШ"},
		surnames: []string{"АХМЕТОВ", "ЖУМАБЕКОВ", "НУРЛАНОВ", "СЕРИКБАЕВ", "ОМАРОВ", "КАСЫМОВ", "ИСКАКОВ", "ТОКТАРОВ", "БЕКОВ",
			"АБДРАХМАНОВ", "САДЫКОВ", "ЕСЕНОВ", "МУХАМЕДЖАНОВ", "КАЛИЕВ", "УТЕПОВ", "ЖАКСЫБЕКОВ", "БАЙМУХАНОВ", "ТУЛЕГЕНОВ",
			"САРСЕНБАЕВ", "КУАНЫШЕВ", "АБЕНОВ", "НУРПЕИСОВ", "ДЖАКУПОВ", "ЕРМЕКОВ", "ИБРАЕВ", "КАРИМОВ", "ТЕМИРХАНОВ", "ЖАНДОСОВ",
			"АЛИМБЕТОВ", "ОРАЗБАЕВ", "МАМЫРБАЕВ", "ШАЙМЕРДЕНОВ"}},
	{nationality: "РУССКИЙ", weight: 200, male: russianMale, female: russianFemale, abroad: abroadSlavic, foreign: "РОССИЯ", foreignShare: 0.05,
		surnames: []string{"ИВАНОВ", "ПЕТРОВ", "СМИРНОВ", "КУЗНЕЦОВ", "ПОПОВ", "ВАСИЛЬЕВ", "СОКОЛОВ", "МИХАЙЛОВ", "НОВИКОВ", "ФЕДОРОВ",
			"МОРОЗОВ", "ВОЛКОВ", "АЛЕКСЕЕВ", "ЛЕБЕДЕВ", "СЕМЕНОВ", "ЕГОРОВ", "ПАВЛОВ", "КОЗЛОВ", "СТЕПАНОВ", "НИКОЛАЕВ", "ОРЛОВ",
			"ИЛЬИН", "ФОМИН", "ЗАЙЦЕВ", "КОВАЛЕВСКИЙ", "ЗАРЕЦКИЙ", "БЕЛОВ", "КОМАРОВ"}},
	{nationality: "УКРАИНЕЦ", weight: 20, male: russianMale, female: russianFemale, abroad: abroadSlavic,
		surnames: []string{"ШЕВЧЕНКО", "БОНДАРЕНКО", "КОВАЛЕНКО", "ТКАЧЕНКО", "КРАВЧЕНКО", "ЛЫСЕНКО", "МЕЛЬНИЧУК", "САВЧУК"}},
	{nationality: "КОРЕЕЦ", weight: 20, male: russianMale, female: russianFemale,
		surnames: []string{"КИМ", "ЦОЙ", "ПАК", "ЛИ", "ТЕН", "ЮН", "ХАН", "ШИН"}},
	{nationality: "ТАТАРИН", weight: 20, abroad: []string{"РОССИЯ, РЕСПУБЛИКА ТАТАРСТАН, Г. КАЗАНЬ", "РОССИЯ, Г. УФА"},
		male:     []string{"РУСТАМ", "РИНАТ", "ИЛЬДАР", "РАФАЭЛЬ", "МАРАТ", "ТИМУР", "РУСЛАН", "АЙДАР", "ФАРИТ", "РАМИЛЬ"},
		female:   []string{"ГУЛЬНАЗ", "АЛЬФИЯ", "ЛЕЙСАН", "ЭЛЬВИРА", "РЕГИНА", "ДИЛЯРА", "ЗУЛЬФИЯ", "РОЗА", "ЛИЛИЯ"},
		surnames: []string{"ГАЙНУЛЛИН", "САФИН", "ХАЙРУЛЛИН", "ГАРИПОВ", "ЗАКИРОВ", "ВАЛИЕВ", "ШАРИПОВ", "ФАТХУЛЛИН"}},
	{nationality: "НЕМЕЦ", weight: 15, male: russianMale, female: russianFemale, abroad: []string{"РОССИЯ, АЛТАЙСКИЙ КРАЙ, Г. БАРНАУЛ"},
		surnames: []string{"ШМИДТ", "ВЕБЕР", "ШУЛЬЦ", "ФИШЕР", "БЕККЕР", "ГЕРЦ", "КЛЕЙН", "РИХТЕР"}},
	{nationality: "УЗБЕК", weight: 30, foreign: "УЗБЕКИСТАН", foreignShare: 0.35,
		male:     []string{"ШЕРЗОД", "АЗИЗ", "ДИЛШОД", "БАХТИЁР", "РУСТАМ", "ФАРРУХ", "УЛУГБЕК", "ЖАХОНГИР", "ОТАБЕК", "САРДОР"},
		female:   []string{"ДИЛНОЗА", "НИГОРА", "ГУЛНОРА", "МАЛИКА", "ШАХНОЗА", "ЗАРИНА", "ФЕРУЗА", "НОДИРА"},
		surnames: []string{"ЮСУПОВ", "КАРИМОВ", "РАХИМОВ", "ТУРСУНОВ", "АЛИМОВ", "ХОДЖАЕВ", "САИДОВ", "УСМАНОВ", "НАЗАРОВ"}},
	{nationality: "КЫРГЫЗ", weight: 5, foreign: "КЫРГЫЗСТАН", foreignShare: 0.5,
		male:     []string{"АЙБЕК", "НУРБЕК", "ЭРЛАН", "БАКЫТ", "АЗАМАТ", "ТАЛАНТ", "МЕЛИС", "УЛАН"},
		female:   []string{"АЙГУЛЬ", "ЖЫПАРГУЛЬ", "НАЗГУЛЬ", "ЧОЛПОН", "АЙПЕРИ", "БЕГАИМ", "ЖАНЫЛ"},
		surnames: []string{"АСАНОВ", "ТОКТОГУЛОВ", "БАКИРОВ", "ЖУСУПОВ", "МАМБЕТОВ", "ОСМОНОВ", "ТУРДУБАЕВ"}},
}

var foreignPlaces = map[string][]string{
	"РОССИЯ":     {"РОССИЯ, ОРЕНБУРГСКАЯ ОБЛАСТЬ, Г. ОРЕНБУРГ", "РОССИЯ, Г. САМАРА", "РОССИЯ, Г. ОМСК", "РОССИЯ, Г. НОВОСИБИРСК"},
	"УЗБЕКИСТАН": {"УЗБЕКИСТАН, Г. ТАШКЕНТ", "УЗБЕКИСТАН, Г. САМАРКАНД", "УЗБЕКИСТАН, ТАШКЕНТСКАЯ ОБЛАСТЬ, Г. ЧИРЧИК"},
	"КЫРГЫЗСТАН": {"КЫРГЫЗСТАН, Г. БИШКЕК", "КЫРГЫЗСТАН, Г. ОШ", "КЫРГЫЗСТАН, ЧУЙСКАЯ ОБЛАСТЬ, Г. ТОКМОК"},
}
