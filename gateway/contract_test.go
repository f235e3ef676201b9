package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/shep-kz/shep/adapters"
	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/certs/revocation"
	"github.com/shep-kz/shep/gateway"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/signing"
	"github.com/shep-kz/shep/store"
)

// A signature algorithm the gateway does not implement (GOST R 34.10-2015 256-bit, or a URI it
// does not know) is ALGORITHM_NOT_SUPPORTED, with the signing layer's refusal, naming the
// algorithm, in subError.
func TestAlgorithmNotSupported(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	body := w.signed(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system)
	if !bytes.Contains(body, []byte(`Algorithm="`+signing.RSASHA256+`"`)) {
		t.Fatalf("the request is not signed with %s", signing.RSASHA256)
	}
	for _, uri := range []string{signing.GOST2015With256, "urn:example:signature:unknown"} {
		a := w.send(bytes.Replace(body, []byte(`Algorithm="`+signing.RSASHA256+`"`), []byte(`Algorithm="`+uri+`"`), 1))
		if a.code != "ALGORITHM_NOT_SUPPORTED" || a.status != http.StatusInternalServerError {
			t.Errorf("%s: %q HTTP %d", uri, a.code, a.status)
			continue
		}
		if a.fault.Sub == nil || a.fault.Sub.Code != string(signing.CodeAlgorithmNotSupported) || !strings.Contains(a.fault.Sub.Message, uri) {
			t.Errorf("%s: subError %+v, want the signing code and the URI", uri, a.fault.Sub)
		}
		if a.fault.Data == "" || !strings.Contains(a.fault.Message, "алгоритм подписи не поддерживается") {
			t.Errorf("%s: errorMessage %q, errorData %q", uri, a.fault.Message, a.fault.Data)
		}
	}
}

// Both SyncChannel paths of the real gateway answer SendMessage and serve the WSDL with their own
// address; other methods get a coded JSON error.
func TestSyncChannelPaths(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	for _, path := range []string{"/bip-sync-wss-gost/", "/shep/bip-sync-wss-gost/", "/shep/bip-sync-wss-gost"} {
		a := w.postTo(w.base+path, w.signed(msg{sender: "smartbridge", password: "123", service: gbdfl.ServiceID, data: gbdflData(applicantIIN)}, system), "text/xml; charset=utf-8")
		if a.code != syncchannel.StatusSuccess || a.data == nil || a.data.FindElement(".//surname") == nil {
			t.Errorf("POST %s: %q", path, a.code)
		}
		rec := w.logged(a)
		if rec.Sender != "smartbridge" {
			t.Errorf("POST %s: logged under %q", path, rec.Sender)
		}
		for _, q := range []string{"?wsdl", "?WSDL"} {
			code, body := get(t, w.base+path+q)
			if code != http.StatusOK || !strings.Contains(body, `location="`+w.base+path+`"`) || !strings.Contains(body, "SendMessage") {
				t.Errorf("GET %s%s: %d %.200s", path, q, code, body)
			}
		}
		if code, body := get(t, w.base+path); code != http.StatusMethodNotAllowed || !strings.Contains(body, `"METHOD_NOT_ALLOWED"`) {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
}

// routeId selects the adapter of a route: each of a service's routes answers its own requests,
// and the record keeps the routeId.
func TestRouteID(t *testing.T) {
	w := newWorld(t)
	system := w.issue(ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161"})
	citizen := w.issue(ca.IssueRequest{Kind: ca.KindIndividual, IIN: applicantIIN})
	answering := func(region string) adapters.Adapter {
		return adapters.AdapterFunc(func(ctx context.Context, r *adapters.Request) (*adapters.Response, error) {
			d := etree.NewElement("data")
			d.CreateElement("region").SetText(region)
			d.CreateElement("route").SetText(r.RouteID)
			return &adapters.Response{Data: d}, nil
		})
	}
	w.pipe.Router.HandleRoute("REGIONAL", "R_Akmola", answering("Акмолинская область"))
	w.pipe.Router.HandleRoute("REGIONAL", "R_Almaty", answering("г. Алматы"))
	for route, want := range map[string]string{"R_Akmola": "Акмолинская область", "R_Almaty": "г. Алматы"} {
		a := w.send(w.signed(msg{sender: "smartbridge", password: "123", service: "REGIONAL", route: route}, system))
		if a.code != syncchannel.StatusSuccess || a.data == nil || a.data.FindElement("region").Text() != want || a.data.FindElement("route").Text() != route {
			t.Errorf("%s: %q", route, a.code)
			continue
		}
		if rec := w.logged(a); rec.RouteID != route || rec.ServiceID != "REGIONAL" {
			t.Errorf("%s: logged route %q service %q", route, rec.RouteID, rec.ServiceID)
		}
	}
	if a := w.send(w.signed(msg{sender: "smartbridge", password: "123", service: "REGIONAL", route: "R_Mars"}, system)); a.code != "ROUTE_UNKNOWN" {
		t.Errorf("unknown route: %q", a.code)
	}
	// The route registered by newWorld, with a portal application (its adapter reads it).
	m := msg{sender: "portal", password: "portal-password", service: "ROUTED", route: "R_Akmola", data: w.application("ROUTED", "portal", applicantIIN, "", citizen)}
	a := w.send(w.signed(m, system))
	if a.code != syncchannel.StatusSuccess || a.data == nil || a.data.FindElement("result") == nil || a.data.FindElement("result").SelectAttrValue("applicant", "") != applicantIIN {
		t.Fatalf("ROUTED/R_Akmola: %q", a.code)
	}
	if rec := w.logged(a); rec.RouteID != "R_Akmola" || rec.IIN != applicantIIN {
		t.Errorf("ROUTED/R_Akmola logged with route %q, ИИН %q", rec.RouteID, rec.IIN)
	}
}

// /readyz is 503 while any CRL is not current, and names every one of them, not only the last.
func TestReadyzNamesEveryStaleCRL(t *testing.T) {
	dir := t.TempDir()
	a := testpki.NewCA(t, ca.Options{Dir: filepath.Join(dir, "pki")})
	db, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fullCRL := func(ctx context.Context) ([]byte, error) { return a.CRL(ctx, ca.CRLFull) }
	down := func(ctx context.Context) ([]byte, error) { return nil, errors.New("connection refused") }
	// The clock of the CRL store: now, then two days later, when the full CRL (valid 24 h) has
	// expired.
	clock := testpki.NewClock(time.Now())
	newServer := func(sources ...revocation.Source) string {
		crls := revocation.NewCRLStore(revocation.CRLOptions{Sources: sources, Now: clock.Now})
		_ = crls.Refresh(ctx) // a source that is down is reported by Health
		srv, err := gateway.New(gateway.Options{CA: a, Store: db, CRLs: crls})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(hs.Close)
		return hs.URL
	}
	ready := func(base string) (int, map[string]any) {
		code, body := get(t, base+"/readyz")
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("readyz: %v: %s", err, body)
		}
		return code, out
	}

	good := newServer(revocation.FuncSource{Label: "test НУЦ full CRL", F: fullCRL})
	if code, out := ready(good); code != http.StatusOK || out["ready"] != true {
		t.Fatalf("current CRL: %d %v", code, out)
	}
	mixed := newServer(revocation.FuncSource{Label: "crl-a (down)", F: down}, revocation.FuncSource{Label: "test НУЦ full CRL", F: fullCRL},
		revocation.FuncSource{Label: "crl-b (down)", F: down})
	code, out := ready(mixed)
	crls, _ := out["checks"].(map[string]any)["crls"].(string)
	if code != http.StatusServiceUnavailable || out["ready"] != false || !strings.Contains(crls, "crl-a (down) is not current") ||
		!strings.Contains(crls, "crl-b (down) is not current") || strings.Contains(crls, "test НУЦ") || !strings.Contains(crls, "connection refused") {
		t.Errorf("two sources down: %d %v", code, out)
	}
	if stale, _ := json.Marshal(out["stale_crls"]); string(stale) != `["crl-a (down)","crl-b (down)"]` {
		t.Errorf("stale_crls: %s", stale)
	}
	// Loaded, then expired.
	clock.Advance(48 * time.Hour)
	code, out = ready(good)
	crls, _ = out["checks"].(map[string]any)["crls"].(string)
	if code != http.StatusServiceUnavailable || !strings.Contains(crls, "test НУЦ full CRL is not current (nextUpdate ") {
		t.Errorf("expired CRL: %d %v", code, out)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
