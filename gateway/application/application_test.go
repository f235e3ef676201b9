package application_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/gateway/application"
)

func root(t *testing.T, s string) *etree.Element {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

func example(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExamples(t *testing.T) {
	a, err := application.Parse(root(t, example(t, "portal.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if a.Channel != application.Portal || a.Applicant.IIN != "931002451325" || a.Field("dismissalDate") != "2026-10-01" ||
		len(a.Attachments) != 1 || string(a.Attachments[0].Content) != "%PDF-1.4\n" || a.ServiceID != "AKT-1" {
		t.Fatalf("portal: %+v", a)
	}
	c, err := application.Parse(root(t, example(t, "con-representative.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if c.Channel != application.CON || c.Representative == nil || c.Representative.IIN != "941111350315" ||
		c.Representative.PowerOfAttorney != "ЕНИС-2026-000123" || c.Operator.IIN != "941111350315" || c.Operator.BIN != "160440007161" {
		t.Fatalf("con: %+v %+v %+v", c, c.Representative, c.Operator)
	}
}

func TestRejects(t *testing.T) {
	portal := example(t, "portal.xml")
	con := example(t, "con-representative.xml")
	for name, doc := range map[string]string{
		"wrong namespace":            strings.Replace(portal, "urn:shep:application:1.0", "urn:other", 1),
		"no applicant":               strings.Replace(portal, "<app:iin>931002451325</app:iin>", "", 1),
		"short ИИН":                  strings.Replace(portal, "931002451325", "93100245132", 1),
		"bad channel":                strings.Replace(portal, ">portal<", ">fax<", 1),
		"no zone in date":            strings.Replace(portal, "2026-11-22T10:00:00+05:00", "2026-11-22T10:00:00", 1),
		"unknown element":            strings.Replace(portal, "<app:fields>", "<app:evil/><app:fields>", 1),
		"field without name":         strings.Replace(portal, `name="lastEmployer"`, "", 1),
		"bad base64":                 strings.Replace(portal, "JVBERi0xLjQK", "не base64", 1),
		"portal with operator":       strings.Replace(portal, "</app:applicant>", "</app:applicant><app:operator><app:iin>931002451325</app:iin></app:operator>", 1),
		"con without operator":       con[:strings.Index(con, "<app:operator>")] + "</app:application>",
		"junk inside representative": strings.Replace(con, "<app:powerOfAttorney", "<app:evil/><app:powerOfAttorney", 1),
		"no power of attorney":       strings.Replace(con, `<app:powerOfAttorney number="ЕНИС-2026-000123" date="2026-01-15"/>`, "", 1),
	} {
		if _, err := application.Parse(root(t, doc)); !errors.Is(err, application.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The examples are valid against application.xsd, checked by libxml2 (python3-lxml).
func TestExamplesAgainstSchema(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import lxml").Run(); err != nil {
		t.Fatalf("python3-lxml is required (installed by .ci/run): %v", err)
	}
	script := `
import sys, lxml.etree as E
xsd = E.XMLSchema(E.parse(sys.argv[1]))
for f in sys.argv[2:]:
    d = E.parse(f)
    if not xsd.validate(d):
        print(f, xsd.error_log); sys.exit(1)
print("valid")
`
	examples, _ := filepath.Glob("examples/*.xml")
	out, err := exec.Command(py, append([]string{"-c", script, "application.xsd"}, examples...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("schema validation: %v\n%s", err, out)
	}
}
