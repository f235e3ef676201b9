package provider

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/shep-kz/shep/adapters/catalogue"
	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gost/gost3410"
)

// Signer is the provider official who signs results: an employee of the provider organisation
// (its БИН) with a SIGN key.
type Signer struct {
	Key      crypto.Signer
	Cert     *x509.Certificate
	Official results.Official
}

// Signers gives the official of a provider organisation.
type Signers interface {
	Signer(ctx context.Context, org catalogue.Organisation) (*Signer, error)
}

// Officials issues, from the test НУЦ, one official per provider organisation and keeps the
// certificate and key in Dir (ORG.crt, ORG.key, mode 0600; ORG-gost.crt, ORG-gost.key for GOST
// keys), renewing them 30 days before expiry.
type Officials struct {
	CA  *ca.Authority
	Dir string
	// Algorithm of the officials' signing keys: ca.AlgorithmRSA (default) or ca.AlgorithmGOST2015,
	// whose certificates the GOST issuing CA signs, so that results are GOST-signed.
	Algorithm ca.Algorithm

	mu    sync.Mutex
	cache map[string]*Signer
}

// officialNames are the demo officials, one picked per organisation.
var officialNames = []string{
	"СЕРИКБАЕВА АЙНУР КАНАТОВНА", "ТУЛЕГЕНОВ МАРАТ СЕРИКОВИЧ", "КАСЫМОВА ДИНАРА АСКАРОВНА", "ПЕТРЕНКО ОЛЬГА ВИКТОРОВНА",
	"ЖАКСЫБЕКОВ НУРЛАН ЕРМЕКОВИЧ", "АБДРАХМАНОВА САУЛЕ ТАЛГАТОВНА", "ИСКАКОВ ДАУРЕН БОЛАТОВИЧ", "ЕРМЕКОВА ГУЛЬМИРА ОРАЛОВНА",
}

var orgIDSyntax = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// Signer implements Signers.
func (o *Officials) Signer(ctx context.Context, org catalogue.Organisation) (*Signer, error) {
	if !orgIDSyntax.MatchString(org.ID) {
		return nil, fmt.Errorf("provider: organisation id %q", org.ID)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.cache[org.ID]; ok && time.Until(s.Cert.NotAfter) > 30*24*time.Hour {
		return s, nil
	}
	alg, err := ca.ParseAlgorithm(string(o.Algorithm))
	if err != nil {
		return nil, fmt.Errorf("provider: officials: %w", err)
	}
	name := org.ID
	if alg == ca.AlgorithmGOST2015 {
		name += "-gost"
	}
	crtPath, keyPath := filepath.Join(o.Dir, name+".crt"), filepath.Join(o.Dir, name+".key")
	var s *Signer
	if cs, err := certs.ReadCertificates(crtPath); err == nil {
		// The key must be the certificate's (a crash between writing the two leaves a mismatch).
		if k, err := certs.ReadPrivateKey(keyPath); err == nil && time.Until(cs[0].NotAfter) > 30*24*time.Hour && samePublic(k, cs[0]) {
			id, err := certs.IdentityOf(cs[0], certs.ParseOptions{})
			if err == nil && id.BIN == org.BIN {
				s = &Signer{Key: k, Cert: cs[0], Official: official(id)}
			}
		}
	}
	if s == nil {
		if s, err = o.issue(ctx, org, alg, crtPath, keyPath); err != nil {
			return nil, err
		}
	}
	if o.cache == nil {
		o.cache = map[string]*Signer{}
	}
	o.cache[org.ID] = s
	return s, nil
}

func official(id *certs.Identity) results.Official {
	name := id.CommonName
	if id.Patronymic != "" {
		name += " " + id.Patronymic
	}
	return results.Official{IIN: id.IIN, Name: name, Position: "Руководитель"}
}

func (o *Officials) issue(ctx context.Context, org catalogue.Organisation, alg ca.Algorithm, crtPath, keyPath string) (*Signer, error) {
	// A stable, valid ИИН per organisation, so that results keep naming the same official.
	h := sha256.Sum256([]byte(org.ID))
	n := binary.BigEndian.Uint32(h[:4])
	name := officialNames[n%uint32(len(officialNames))]
	sex := certs.SexMale
	if strings.HasSuffix(name, "ВНА") {
		sex = certs.SexFemale
	}
	birth := time.Date(1970+int(n%25), time.Month(1+n%12), 1+int(n%28), 0, 0, 0, 0, time.UTC)
	var iin certs.IIN
	var err error
	for serial := int(n % 9000); ; serial++ {
		if iin, err = certs.NewIIN(birth, sex, serial); err == nil {
			break
		}
		if serial > 9999 {
			return nil, fmt.Errorf("provider: no ИИН for %s: %w", org.ID, err)
		}
	}
	iss, err := o.CA.Issue(ctx, ca.IssueRequest{Kind: ca.KindOfficial, IIN: iin.Digits, BIN: org.BIN, Name: name, Organization: org.NameRU, Algorithm: alg})
	if err != nil {
		return nil, fmt.Errorf("provider: official of %s: %w", org.ID, err)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}
	kb, err := ca.PEMPrivateKey(iss.Key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, kb, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(crtPath, ca.PEMCertificate(iss.Certificate), 0o644); err != nil {
		return nil, err
	}
	id, err := certs.IdentityOf(iss.Certificate, certs.ParseOptions{})
	if err != nil {
		return nil, err
	}
	return &Signer{Key: iss.Key, Cert: iss.Certificate, Official: official(id)}, nil
}

// samePublic reports whether c certifies k (GOST keys are read from the certificate's raw
// SubjectPublicKeyInfo, which crypto/x509 leaves unparsed).
func samePublic(k crypto.Signer, c *x509.Certificate) bool {
	var certKey crypto.PublicKey = c.PublicKey
	if _, ok := k.(*gost3410.PrivateKey); ok {
		g, err := certs.GOSTPublicKey(c)
		if err != nil {
			return false
		}
		certKey = g
	}
	pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && certKey != nil && pub.Equal(certKey)
}
