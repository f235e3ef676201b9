package loadgen

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
)

// CitizenOptions configure Citizens.
type CitizenOptions struct {
	// Server is the gateway's base URL (its admin API lists the persons of ГБД ФЛ) and Token its
	// admin token.
	Server, Token string
	Client        *http.Client // default http.DefaultClient
	// CA is the test НУЦ of the gateway's data dir, which issues the SIGN certificates.
	CA *ca.Authority
	// Dir caches the issued identities (IIN.crt, IIN.key) so that reruns do not issue again.
	Dir string
	N   int
	// MinAge and MaxAge bound the persons taken (default 18 and 58: working age for both sexes).
	MinAge, MaxAge int
	Now            func() time.Time
}

// CitizenStats say where the citizens came from.
type CitizenStats struct {
	Cached, Issued int
}

// Citizens returns o.N living adults of working age from the gateway's ГБД ФЛ (the first in ИИН
// order), each with a SIGN certificate of the test НУЦ: the cached one in o.Dir while it is valid,
// issued by this CA and not revoked, otherwise a new one (then cached).
func Citizens(ctx context.Context, o CitizenOptions) ([]Citizen, CitizenStats, error) {
	var st CitizenStats
	if o.N <= 0 {
		return nil, st, errors.New("loadgen: the number of citizens must be positive")
	}
	if o.CA == nil || o.Dir == "" || o.Server == "" {
		return nil, st, errors.New("loadgen: CA, Dir and Server are required")
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinAge == 0 && o.MaxAge == 0 {
		o.MinAge, o.MaxAge = 18, 58
	}
	persons, err := adults(ctx, o)
	if err != nil {
		return nil, st, err
	}
	if len(persons) < o.N {
		return nil, st, fmt.Errorf("loadgen: ГБД ФЛ has %d living persons aged %d–%d, %d wanted", len(persons), o.MinAge, o.MaxAge, o.N)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, st, err
	}
	out := make([]Citizen, o.N)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // key generation is the cost; a few at a time
	for i, p := range persons[:o.N] {
		out[i] = Citizen{IIN: p.IIN, Surname: p.Surname, Name: p.Name, Patronymic: p.Patronymic}
		if id, ok := cached(o, p.IIN); ok {
			out[i].Identity = id
			st.Cached++
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			id, err := issue(ctx, o, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			out[i].Identity = id
			st.Issued++
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, st, firstErr
	}
	return out, st, nil
}

// adults pages through the admin API's persons until enough eligible ones are found.
func adults(ctx context.Context, o CitizenOptions) ([]*gbdfl.Person, error) {
	base := strings.TrimRight(o.Server, "/") + "/admin/registries/gbdfl/persons"
	now := o.Now()
	var out []*gbdfl.Person
	after := ""
	for {
		q := url.Values{"limit": {"1000"}}
		if after != "" {
			q.Set("after", after)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?"+q.Encode(), nil)
		if err != nil {
			return nil, fmt.Errorf("loadgen: persons: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+o.Token)
		resp, err := o.Client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("loadgen: the gateway's admin API: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("loadgen: persons: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("loadgen: GET %s: HTTP %d: %.300s", base, resp.StatusCode, b)
		}
		var page struct {
			Persons []*gbdfl.Person `json:"persons"`
			Next    string          `json:"next"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("loadgen: persons: %w", err)
		}
		for _, p := range page.Persons {
			if p.Deceased || p.Test || p.BirthDate.IsZero() {
				continue
			}
			if a := age(p.BirthDate, now); a >= o.MinAge && a <= o.MaxAge {
				out = append(out, p)
			}
		}
		if len(out) >= o.N || page.Next == "" {
			return out, nil
		}
		after = page.Next
	}
}

func age(birth, now time.Time) int {
	a := now.Year() - birth.Year()
	if now.Month() < birth.Month() || now.Month() == birth.Month() && now.Day() < birth.Day() {
		a--
	}
	return a
}

func paths(dir, iin string) (crt, key string) {
	return filepath.Join(dir, iin+".crt"), filepath.Join(dir, iin+".key")
}

// cached returns the identity kept for iin when it is still good.
func cached(o CitizenOptions, iin string) (Identity, bool) {
	crt, key := paths(o.Dir, iin)
	id, err := LoadIdentity(crt, key)
	if err != nil {
		return Identity{}, false
	}
	c := id.Cert
	if c.Subject.SerialNumber != "IIN"+iin || c.CheckSignatureFrom(o.CA.Issuing()) != nil || o.Now().Add(time.Hour).After(c.NotAfter) ||
		certs.KeyClassOf(c) != certs.KeySign {
		return Identity{}, false
	}
	if st, ok, err := o.CA.Status(c.SerialNumber); err != nil || !ok || st.Revoked {
		return Identity{}, false
	}
	return id, true
}

func issue(ctx context.Context, o CitizenOptions, p *gbdfl.Person) (Identity, error) {
	iss, err := o.CA.Issue(ctx, ca.IssueRequest{Kind: ca.KindIndividual, Usage: ca.UsageSign, IIN: p.IIN,
		Surname: p.Surname, GivenName: p.Name, Patronymic: p.Patronymic})
	if err != nil {
		return Identity{}, fmt.Errorf("loadgen: issuing for %s: %w", p.IIN, err)
	}
	kb, err := ca.PEMPrivateKey(iss.Key)
	if err != nil {
		return Identity{}, err
	}
	crt, key := paths(o.Dir, p.IIN)
	if err := os.WriteFile(key, kb, 0o600); err != nil {
		return Identity{}, err
	}
	if err := os.WriteFile(crt, ca.PEMCertificate(iss.Certificate), 0o644); err != nil {
		return Identity{}, err
	}
	return Identity{Cert: iss.Certificate, Key: iss.Key}, nil
}

// LoadIdentity reads a certificate (the first of crtPath) and its private key.
func LoadIdentity(crtPath, keyPath string) (Identity, error) {
	cs, err := certs.ReadCertificates(crtPath)
	if err != nil {
		return Identity{}, err
	}
	k, err := certs.ReadPrivateKey(keyPath)
	if err != nil {
		return Identity{}, err
	}
	pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cs[0].PublicKey) {
		return Identity{}, fmt.Errorf("loadgen: %s does not match %s", keyPath, crtPath)
	}
	return Identity{Cert: cs[0], Key: k}, nil
}
