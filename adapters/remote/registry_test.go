package remote_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shep-kz/shep/adapters/remote"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/internal/testpki"
)

func TestRegistry(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	cert := systemCert(t, a, "ИС МИО ЗКО", 100).Certificate.Raw
	dir := t.TempDir()
	db := openStore(t, dir)
	reg := remote.NewRegistry(db)

	p, err := reg.Put(ctx, &remote.Provider{ID: "mio-zko", Name: "ИС МИО ЗКО", Services: []string{"ZKO-2", "ZKO-1", "ZKO-2"},
		Endpoint: "https://mio.zko.example/sync", Cert: cert})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Services, []string{"ZKO-1", "ZKO-2"}) || p.Timeout != remote.DefaultTimeout || p.Retries != 0 || p.Created.IsZero() {
		t.Fatalf("stored %+v", p)
	}
	if _, err := reg.Put(ctx, &remote.Provider{ID: "mio-akm", Services: []string{"AKM-1"}, Endpoint: "http://127.0.0.1:9/", Cert: cert,
		Timeout: 3 * time.Second, Retries: 5, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	// A serviceId is claimed by one provider only, disabled or not.
	for _, svc := range []string{"ZKO-1", "AKM-1"} {
		if _, err := reg.Put(ctx, &remote.Provider{ID: "intruder", Services: []string{"X", svc}, Endpoint: "http://x/", Cert: cert}); !errors.Is(err, remote.ErrConflict) {
			t.Errorf("claiming %s: %v, want ErrConflict", svc, err)
		}
	}
	if _, err := reg.Get(ctx, "intruder"); !errors.Is(err, remote.ErrNotFound) {
		t.Errorf("a refused put was stored: %v", err)
	}

	// Replacing moves the service claims and keeps Created.
	time.Sleep(time.Millisecond)
	p2, err := reg.Put(ctx, &remote.Provider{ID: "mio-zko", Services: []string{"ZKO-3"}, Endpoint: "https://mio.zko.example/v2", Cert: cert, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !p2.Created.Equal(p.Created) || !p2.Updated.After(p.Updated) {
		t.Errorf("created %v→%v, updated %v→%v", p.Created, p2.Created, p.Updated, p2.Updated)
	}
	if _, ok, err := reg.ForService(ctx, "ZKO-1"); ok || err != nil {
		t.Errorf("ZKO-1 still served after the replace: %v %v", ok, err)
	}
	if _, err := reg.Put(ctx, &remote.Provider{ID: "mio-zko-new", Services: []string{"ZKO-1"}, Endpoint: "http://x/", Cert: cert}); err != nil {
		t.Errorf("ZKO-1 released by the replace cannot be claimed: %v", err)
	}

	// What was stored survives a reopen of the store.
	db.Close()
	db = openStore(t, dir)
	defer db.Close()
	reg = remote.NewRegistry(db)
	got, ok, err := reg.ForService(ctx, "ZKO-3")
	if err != nil || !ok || got.ID != "mio-zko" || got.Endpoint != "https://mio.zko.example/v2" || got.Retries != 2 || !slices.Equal(got.Cert, cert) {
		t.Fatalf("ForService(ZKO-3) = %+v %v %v", got, ok, err)
	}
	if got, ok, _ := reg.ForService(ctx, "AKM-1"); !ok || !got.Disabled || got.Timeout != 3*time.Second {
		t.Errorf("ForService(AKM-1) = %+v %v", got, ok)
	}
	for _, svc := range []string{"", "ZKO", "ZKO-3\x00mio-zko"} {
		if _, ok, err := reg.ForService(ctx, svc); ok || err != nil {
			t.Errorf("ForService(%q) = %v %v", svc, ok, err)
		}
	}
	list, err := reg.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range list {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"mio-akm", "mio-zko", "mio-zko-new"}) {
		t.Errorf("list %v", ids)
	}

	if err := reg.Delete(ctx, "mio-zko"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Get(ctx, "mio-zko"); !errors.Is(err, remote.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if _, ok, _ := reg.ForService(ctx, "ZKO-3"); ok {
		t.Error("ZKO-3 still served after delete")
	}
	if err := reg.Delete(ctx, "mio-zko"); !errors.Is(err, remote.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestRegistryRejects(t *testing.T) {
	a := testpki.NewCA(t, ca.Options{})
	cert := systemCert(t, a, "ИС", 200).Certificate.Raw
	db := openStore(t, t.TempDir())
	defer db.Close()
	reg := remote.NewRegistry(db)
	good := func() *remote.Provider {
		return &remote.Provider{ID: "p", Services: []string{"S"}, Endpoint: "https://p.example/sync", Cert: cert}
	}
	for name, change := range map[string]func(p *remote.Provider){
		"empty id":          func(p *remote.Provider) { p.ID = "" },
		"id with slash":     func(p *remote.Provider) { p.ID = "a/b" },
		"id with space":     func(p *remote.Provider) { p.ID = "a b" },
		"no services":       func(p *remote.Provider) { p.Services = nil },
		"empty service":     func(p *remote.Provider) { p.Services = []string{""} },
		"control in svc":    func(p *remote.Provider) { p.Services = []string{"S\x00T"} },
		"relative endpoint": func(p *remote.Provider) { p.Endpoint = "/sync" },
		"ftp endpoint":      func(p *remote.Provider) { p.Endpoint = "ftp://p.example/" },
		"no host":           func(p *remote.Provider) { p.Endpoint = "http:///sync" },
		"credentials":       func(p *remote.Provider) { p.Endpoint = "https://u:pw@p.example/" },
		"garbage endpoint":  func(p *remote.Provider) { p.Endpoint = "http://[::1" },
		"no cert":           func(p *remote.Provider) { p.Cert = nil },
		"cert not X.509":    func(p *remote.Provider) { p.Cert = []byte("-----BEGIN CERTIFICATE-----") },
		"cert with tail":    func(p *remote.Provider) { p.Cert = append(slices.Clone(cert), 0) },
		"negative timeout":  func(p *remote.Provider) { p.Timeout = -time.Second },
		"huge timeout":      func(p *remote.Provider) { p.Timeout = time.Hour },
		"negative retries":  func(p *remote.Provider) { p.Retries = -1 },
		"too many retries":  func(p *remote.Provider) { p.Retries = remote.MaxRetries + 1 },
	} {
		p := good()
		change(p)
		if _, err := reg.Put(ctx, p); !errors.Is(err, remote.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := reg.Put(ctx, good()); err != nil {
		t.Fatalf("the good provider: %v", err)
	}
	if list, _ := reg.List(ctx); len(list) != 1 {
		t.Errorf("%d providers stored, want only the good one", len(list))
	}
}
