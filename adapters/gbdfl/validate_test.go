package gbdfl

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// valid returns a valid person to spoil.
func valid() *Person {
	return &Person{IIN: "931002451325", Surname: "ИВАНОВА", Name: "АЙГУЛЬ", Patronymic: "СЕРИКОВНА", BirthDate: date("1993-10-02"), Female: true,
		Region: "AKT", Documents: []Document{{Type: "УДОСТОВЕРЕНИЕ РК", Number: "012345678", IssuedBy: "МВД РК", Issued: date("2019-05-10"), Expires: date("2029-05-09")}}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Person)
		want   string // "" = valid; else a substring of the error
	}{
		{"valid", func(p *Person) {}, ""},
		{"bad checksum", func(p *Person) { p.IIN = "931002451326" }, "check digit"},
		{"short ИИН", func(p *Person) { p.IIN = "93100245132" }, "wrong length"},
		{"letters", func(p *Person) { p.IIN = "93100245132X" }, "not all ASCII digits"},
		{"birth date differs", func(p *Person) { p.BirthDate = date("1993-10-03") }, "differs from the ИИН's 1993-10-02"},
		{"no birth date", func(p *Person) { p.BirthDate = time.Time{} }, "birth_date is required"},
		{"sex differs", func(p *Person) { p.Female = false }, "7th digit says female"},
		{"no surname", func(p *Person) { p.Surname = " " }, "surname is required"},
		{"no name", func(p *Person) { p.Name = "" }, "name is required"},
		{"control character", func(p *Person) { p.RegAddress = "УЛ.\nАБАЯ" }, "reg_address: contains a control character"},
		{"deceased without date", func(p *Person) { p.Deceased = true }, "deceased without death_date"},
		{"death before birth", func(p *Person) { p.Deceased, p.DeathDate = true, date("1990-01-01") }, "before birth_date"},
		{"death on birth day", func(p *Person) { p.Deceased, p.DeathDate = true, date("1993-10-02") }, ""},
		{"death date but alive", func(p *Person) { p.DeathDate = date("2020-01-01") }, "deceased is false"},
		{"bad mother", func(p *Person) { p.MotherIIN = "660427402183" }, "mother_iin"},
		{"male mother", func(p *Person) { p.MotherIIN = "520315301742" }, "mother_iin 520315301742 is not female"},
		{"female father", func(p *Person) { p.FatherIIN = "660427402182" }, "father_iin 660427402182 is not male"},
		{"younger mother", func(p *Person) { p.IIN, p.BirthDate, p.MotherIIN = "660427402182", date("1966-04-27"), "931002451325" }, "not before the person"},
		{"parents", func(p *Person) { p.MotherIIN, p.FatherIIN = "660427402182", "520315301742" }, ""},
		{"own spouse", func(p *Person) { p.SpouseIIN = p.IIN }, "spouse_iin is the person's own ИИН"},
		{"spouse", func(p *Person) { p.SpouseIIN = "941111350315" }, ""},
		{"bad region", func(p *Person) { p.Region = "Актобе" }, "region"},
		{"document without number", func(p *Person) { p.Documents[0].Number = "" }, "documents[0]: type and number are required"},
		{"document before birth", func(p *Person) { p.Documents[0].Issued = date("1990-01-01") }, "before birth"},
		{"document expires before issue", func(p *Person) { p.Documents[0].Expires = date("2019-05-10") }, "not after issued"},
		{"document without issue date", func(p *Person) { p.Documents[0].Issued = time.Time{} }, "issued is required"},
		{"test identity refused without Test", func(p *Person) { p.IIN = "123456789011" }, "check digit"},
		{"test identity", func(p *Person) { p.IIN, p.Test, p.Female = "123456789011", true, false }, ""},
		{"test identity needs a birth date", func(p *Person) { p.IIN, p.Test, p.BirthDate = "123456789011", true, time.Time{} }, "birth_date is required"},
		{"Test does not waive length", func(p *Person) { p.IIN, p.Test = "12345", true }, "wrong length"},
		{"Test with a valid ИИН still checks sex", func(p *Person) { p.Test, p.Female = true, false }, "7th digit says female"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(p)
			err := Validate(p)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want ErrInvalid with %q, got %v", tt.want, err)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	p := valid()
	p.Surname, p.Name, p.Region = "", "", "x"
	err := Validate(p)
	for _, want := range []string{"surname is required", "name is required", "region"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestDemoValid(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range DemoPersons() {
		if err := Validate(p); err != nil {
			t.Errorf("demo person: %v", err)
		}
		seen[p.IIN] = true
	}
	for _, iin := range []string{"931002451325", "660427402182", "941111350315", "123456789011", DemoChildIIN, DemoDeceasedIIN} {
		if !seen[iin] {
			t.Errorf("Demo lacks %s", iin)
		}
	}
	child, ok, _ := Demo().Person(t.Context(), DemoChildIIN)
	if !ok || child.MotherIIN != "931002451325" || child.BirthDate.Year() != 2016 {
		t.Errorf("demo child %+v", child)
	}
	dead, ok, _ := Demo().Person(t.Context(), DemoDeceasedIIN)
	if !ok || !dead.Deceased || dead.DeathDate.IsZero() {
		t.Errorf("demo deceased %+v", dead)
	}
}

func TestPersonJSON(t *testing.T) {
	p := valid()
	p.Deceased, p.DeathDate, p.MotherIIN = true, date("2024-01-02"), "660427402182"
	p.Documents = append(p.Documents, Document{Type: "СВИДЕТЕЛЬСТВО О РОЖДЕНИИ", Number: "1", IssuedBy: "ЗАГС", Issued: date("1993-10-10")})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"iin":"931002451325"`, `"birth_date":"1993-10-02"`, `"death_date":"2024-01-02"`, `"mother_iin":"660427402182"`,
		`"issued":"2019-05-10"`, `"expires":"2029-05-09"`, `"issued_by":"ЗАГС"`, `"region":"AKT"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), `"expires":""`) || strings.Contains(string(b), "father_iin") || strings.Contains(string(b), `"test"`) {
		t.Errorf("JSON %s has empty fields", b)
	}
	var back Person
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(&back)
	if string(b2) != string(b) {
		t.Errorf("round trip:\n%s\n%s", b, b2)
	}
	for _, bad := range []string{`{"iin":"1","birthdate":"1990-01-01"}`, `{"birth_date":"02.10.1993"}`, `{"documents":[{"issued":"x"}]}`,
		`{"documents":[{"typ":"x"}]}`} {
		if err := json.Unmarshal([]byte(bad), new(Person)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}
