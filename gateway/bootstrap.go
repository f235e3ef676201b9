package gateway

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/gost/gost3410"
)

// The gateway's own information system, as the test НУЦ certifies it.
const (
	GatewayBIN  = "000740000470"
	GatewayName = "ШЛЮЗ ЭЛЕКТРОННОГО ПРАВИТЕЛЬСТВА (SHEP TEST)"
	GatewayOrg  = `АО "НАЦИОНАЛЬНЫЕ ИНФОРМАЦИОННЫЕ ТЕХНОЛОГИИ"`
)

// EnsureIdentity loads the gateway's RSA certificate and key from dir (gateway.crt, gateway.key),
// issuing them from the test НУЦ when absent or when less than 30 days of validity remain.
func EnsureIdentity(ctx context.Context, a *ca.Authority, dir string) (Identity, error) {
	return EnsureIdentityFor(ctx, a, dir, ca.AlgorithmRSA)
}

// IdentityFiles returns the certificate and key files of the gateway's identity of algorithm alg
// in dir: gateway.{crt,key} for RSA, gateway-gost.{crt,key} for GOST R 34.10-2015, so that either
// can be chosen at each start without losing the other.
func IdentityFiles(dir string, alg ca.Algorithm) (crt, key string) {
	name := "gateway"
	if alg == ca.AlgorithmGOST2015 {
		name = "gateway-gost"
	}
	return filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
}

// EnsureIdentityFor loads the gateway's information-system certificate and key of algorithm alg
// from dir (see IdentityFiles), issuing them from the test НУЦ — a GOST one by the GOST issuing
// CA — when absent, when they do not match, or when less than 30 days of validity remain. The
// pipeline signs its WS-Security answers with whichever it is given.
func EnsureIdentityFor(ctx context.Context, a *ca.Authority, dir string, alg ca.Algorithm) (Identity, error) {
	alg, err := ca.ParseAlgorithm(string(alg))
	if err != nil {
		return Identity{}, fmt.Errorf("gateway identity: %w", err)
	}
	crtPath, keyPath := IdentityFiles(dir, alg)
	if cs, err := certs.ReadCertificates(crtPath); err == nil {
		if k, err := certs.ReadPrivateKey(keyPath); err == nil && time.Until(cs[0].NotAfter) > 30*24*time.Hour && keyOf(k, cs[0], alg) {
			return Identity{Certificate: cs[0], Key: k}, nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Identity{}, err
	}
	iss, err := a.Issue(ctx, ca.IssueRequest{Kind: ca.KindSystem, BIN: GatewayBIN, CommonName: GatewayName, Organization: GatewayOrg, Algorithm: alg})
	if err != nil {
		return Identity{}, fmt.Errorf("gateway identity: %w", err)
	}
	kb, err := ca.PEMPrivateKey(iss.Key)
	if err != nil {
		return Identity{}, err
	}
	if err := os.WriteFile(keyPath, kb, 0o600); err != nil {
		return Identity{}, err
	}
	if err := os.WriteFile(crtPath, ca.PEMCertificate(iss.Certificate), 0o644); err != nil {
		return Identity{}, err
	}
	return Identity{Certificate: iss.Certificate, Key: iss.Key}, nil
}

// keyOf reports whether k is the key certified by c, of algorithm alg.
func keyOf(k crypto.Signer, c *x509.Certificate, alg ca.Algorithm) bool {
	var certKey crypto.PublicKey = c.PublicKey
	if _, gost := k.(*gost3410.PrivateKey); gost != (alg == ca.AlgorithmGOST2015) {
		return false
	} else if gost {
		g, err := certs.GOSTPublicKey(c)
		if err != nil {
			return false
		}
		certKey = g
	}
	pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && certKey != nil && pub.Equal(certKey)
}

// DemoSender is a participant created on first start so that the gateway can be tried at once.
type DemoSender struct {
	ID, Password string
	Channel      participants.Channel
	Name         string
}

// DemoSenders are created by EnsureDemoSenders (README lists them).
var DemoSenders = []DemoSender{
	{"portal", "portal-password", participants.ChannelPortal, "Портал электронного правительства (демо)"},
	{"con", "con-password", participants.ChannelCON, "ИС ЦОН, Государственная корпорация (демо)"},
	{"provider", "provider-password", participants.ChannelProvider, "ИС МИО / АРМ РШЭП (демо)"},
	{"smartbridge", "123", participants.ChannelSystem, "Информационная система (демо, как в примерах НУЦ)"},
}

// EnsureDemoSenders creates the demo senders that do not exist yet (existing ones are left as
// they are, whatever was changed since).
func EnsureDemoSenders(ctx context.Context, r *participants.Registry) error {
	for _, d := range DemoSenders {
		if _, err := r.Get(ctx, d.ID); err == nil {
			continue
		} else if !errors.Is(err, participants.ErrUnknown) {
			return err
		}
		pw, ch, name := d.Password, d.Channel, d.Name
		if _, err := r.Put(ctx, participants.Spec{ID: d.ID, Password: &pw, Channel: &ch, Name: &name}); err != nil {
			return err
		}
	}
	return nil
}

// EnsureAdminToken returns the admin token kept in path, creating a random one (mode 0600) when
// the file does not exist.
func EnsureAdminToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return string(b), nil
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return "", err
	}
	s := hex.EncodeToString(tok)
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		return "", err
	}
	return s, nil
}

// DemoIdentity is a certificate and key created on first start for trying the channels.
type DemoIdentity struct {
	Name string // file prefix in the demo directory
	Req  ca.IssueRequest
	What string
}

// DemoIdentities are issued by EnsureDemoIdentities into DATA/demo (README lists them).
var DemoIdentities = []DemoIdentity{
	{"citizen", ca.IssueRequest{Kind: ca.KindIndividual, IIN: "931002451325", Name: "ИВАНОВА АЙГУЛЬ СЕРИКОВНА"}, "a citizen in ГБД ФЛ (SIGN key): signs portal applications"},
	{"citizen-auth", ca.IssueRequest{Kind: ca.KindIndividual, Usage: ca.UsageAuth, IIN: "931002451325", Name: "ИВАНОВА АЙГУЛЬ СЕРИКОВНА"}, "the same citizen's AUTH key (refused as a signer)"},
	{"operator", ca.IssueRequest{Kind: ca.KindOperator, IIN: "941111350315", Name: "ЖУМАБЕКОВ ЕРЛАН МАРАТОВИЧ"}, "a ЦОН operator of the State Corporation: signs con applications"},
	{"system", ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ДЕМО ИНФОРМАЦИОННАЯ СИСТЕМА", Organization: ca.DefaultOperatorOrg}, "an information system: signs envelopes (WS-Security)"},
}

// EnsureDemoIdentities issues the demo identities that dir does not hold yet, as NAME.crt and
// NAME.key (0600).
func EnsureDemoIdentities(ctx context.Context, a *ca.Authority, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range DemoIdentities {
		crt, key := filepath.Join(dir, d.Name+".crt"), filepath.Join(dir, d.Name+".key")
		if _, err := os.Stat(crt); err == nil {
			continue
		}
		iss, err := a.Issue(ctx, d.Req)
		if err != nil {
			return fmt.Errorf("demo identity %s: %w", d.Name, err)
		}
		kb, err := ca.PEMPrivateKey(iss.Key)
		if err != nil {
			return err
		}
		if err := os.WriteFile(key, kb, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(crt, ca.PEMCertificate(iss.Certificate), 0o644); err != nil {
			return err
		}
	}
	return nil
}
