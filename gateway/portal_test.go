package gateway_test

import (
	"crypto/x509"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shep-kz/shep/adapters/builtin"
	"github.com/shep-kz/shep/adapters/cases"
	"github.com/shep-kz/shep/cabinet"
	"github.com/shep-kz/shep/cabinet/portal"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/signing"
)

// TestPortalToCabinet: the portal submits a citizen's application through the gateway's real
// pipeline; the provider decides at once; the signed result lands in the citizen's личный
// кабинет, with its timeline, notifications and a valid signature verdict.
func TestPortalToCabinet(t *testing.T) {
	w := newServiceWorld(t, builtin.Options{Systems: immediate()})
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	p, err := portal.New(portal.Options{Gateway: w.pipe, Catalogue: w.set.Catalogue, Persons: w.set.Persons, CA: w.ca,
		KeysDir: filepath.Join(w.dir, "keys"), SenderID: "portal", Password: "portal-password", Key: system.Key, Cert: system.Certificate})
	if err != nil {
		t.Fatal(err)
	}
	chk, err := signing.NewChecker(signing.CheckerOptions{Validator: w.verifier})
	if err != nil {
		t.Fatal(err)
	}
	cab, err := cabinet.New(cabinet.Options{DB: w.db, Cases: w.set.Cases, Catalogue: w.set.Catalogue, Clock: w.set.Clock, Calendar: w.set.Calendar, Checker: chk})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range p.Services() {
		ids[s.ID] = true
		if ch, ok := s.Channel("portal"); !ok || !ch.Electronic {
			t.Errorf("%s offered on the portal without an electronic portal channel", s.ID)
		}
	}
	if !ids["AKT-1"] || !ids["AKT-3"] || ids["AKT-2"] {
		t.Fatalf("portal services %v", ids)
	}
	adult, _ := w.person(false, false)
	dead, _ := w.person(true, false)

	out, err := p.Submit(ctx, adult.IIN, portal.Form{ServiceID: "AKT-1", Fields: map[string]string{"neverEmployed": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.OK || out.Number == "" || out.Status != string(cases.Delivered) {
		t.Fatalf("AKT-1 on the portal: %+v", out)
	}
	d, err := cab.Application(ctx, adult.IIN, out.Number)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range d.History {
		steps = append(steps, s.Status)
	}
	if strings.Join(steps, ",") != "submitted,received,completed,delivered" || d.Result == nil || !d.Result.Positive {
		t.Fatalf("timeline %v, result %+v", steps, d.Result)
	}
	v, err := cab.Verify(ctx, adult.IIN, out.Number)
	if err != nil || !v.Valid || v.Signer == nil || v.Signer.BIN == "" {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	// The application in the register is signed by the citizen's own key, as NCALayer would.
	c, _ := w.set.Cases.Get(ctx, out.Number)
	res, err := signing.VerifyEnveloped(c.Application, signing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Certificate.Subject.SerialNumber, adult.IIN) || res.Certificate.KeyUsage&x509.KeyUsageContentCommitment == 0 {
		t.Errorf("application signed by %s", res.Certificate.Subject)
	}

	// Registered already: a motivated refusal, delivered the same way; the key is reused.
	again, err := p.Submit(ctx, adult.IIN, portal.Form{ServiceID: "AKT-1", Fields: map[string]string{"neverEmployed": "true"}})
	if err != nil || !again.OK || again.Status != string(cases.Delivered) {
		t.Fatalf("second AKT-1: %+v %v", again, err)
	}
	if d, _ := cab.Application(ctx, adult.IIN, again.Number); d.Result == nil || d.Result.Positive {
		t.Fatalf("second AKT-1 result %+v", d.Result)
	}
	ns, err := cab.Notifications(ctx, adult.IIN, true, 0)
	if err != nil || len(ns) != 6 {
		t.Fatalf("%d notifications, %v", len(ns), err)
	}

	for name, tc := range map[string]struct {
		iin  string
		form portal.Form
		want error
	}{
		"not on the portal": {adult.IIN, portal.Form{ServiceID: "AKT-2"}, portal.ErrService},
		"unknown service":   {adult.IIN, portal.Form{ServiceID: "NOPE"}, portal.ErrService},
		"required field":    {adult.IIN, portal.Form{ServiceID: "AKT-6"}, portal.ErrForm},
		"deceased":          {dead.IIN, portal.Form{ServiceID: "AKT-3"}, portal.ErrPerson},
		"not in ГБД ФЛ":     {strangerIIN, portal.Form{ServiceID: "AKT-3"}, portal.ErrPerson},
	} {
		if _, err := p.Submit(ctx, tc.iin, tc.form); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// A gateway refusal comes back coded: the portal sender's password changed under it.
	bad, err := portal.New(portal.Options{Gateway: w.pipe, Catalogue: w.set.Catalogue, Persons: w.set.Persons, CA: w.ca,
		KeysDir: filepath.Join(w.dir, "keys"), SenderID: "portal", Password: "wrong", Key: system.Key, Cert: system.Certificate})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := bad.Submit(ctx, adult.IIN, portal.Form{ServiceID: "AKT-3"}); err != nil || out.OK || out.Code == "" || out.Message == "" {
		t.Fatalf("a refused sender: %+v %v", out, err)
	}
}
