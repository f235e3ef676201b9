package gbdfl

import (
	"context"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
)

func lookup(t *testing.T, reg Registry, iin string) *etree.Element {
	t.Helper()
	d := etree.NewElement("data")
	d.CreateElement("iin").SetText(iin)
	d.CreateElement("messageId").SetText("req-1")
	resp, err := (&Adapter{Registry: reg, Now: func() time.Time { return testNow }}).Handle(context.Background(), &adapters.Request{Data: d, SenderID: "smartbridge"})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Data
}

func TestAdapterFromStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := EnsureDemo(ctx, s, 50, testNow); err != nil {
		t.Fatal(err)
	}
	d := lookup(t, s, DemoChildIIN)
	text := func(path string) string {
		if el := d.FindElement(path); el != nil {
			return el.Text()
		}
		return ""
	}
	if text("messageResult/code") != ResultOK || text("persons/person/iin") != DemoChildIIN || text("persons/person/motherIin") != "931002451325" ||
		text("requestId") != "req-1" || text("receiver/code") != "smartbridge" {
		t.Errorf("child: %s %s %s", text("messageResult/code"), text("persons/person/iin"), text("persons/person/motherIin"))
	}
	if d.FindElement("persons/person/fatherIin") != nil || d.FindElement("persons/person/documents/document/endDate") != nil {
		t.Error("empty father or birth certificate end date written")
	}
	if text("persons/person/documents/document/type") != "СВИДЕТЕЛЬСТВО О РОЖДЕНИИ" {
		t.Errorf("document %q", text("persons/person/documents/document/type"))
	}
	d = lookup(t, s, DemoDeceasedIIN)
	if text("persons/person/lifeStatus/code") != "2" || text("persons/person/deathDate") != "2024-11-20" {
		t.Errorf("deceased: %s %s", text("persons/person/lifeStatus/code"), text("persons/person/deathDate"))
	}
	d = lookup(t, s, "931002451325")
	if text("persons/person/documents/document/endDate") != "2029-05-09" || d.FindElement("persons/person/motherIin") != nil {
		t.Error("ИВАНОВА")
	}
	// A generated spouse shows the link.
	ps, _ := s.List(ctx, "", 0)
	for _, p := range ps {
		if p.SpouseIIN != "" {
			d = lookup(t, s, p.IIN)
			if text("persons/person/spouseIin") != p.SpouseIIN {
				t.Errorf("spouse of %s: %q", p.IIN, text("persons/person/spouseIin"))
			}
			break
		}
	}
	d = lookup(t, s, "000000000000")
	if text("messageResult/code") != ResultNotFound || d.FindElement("persons") != nil {
		t.Error("unknown ИИН")
	}
}
