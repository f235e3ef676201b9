package ca

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// state is what the authority keeps on disk (state.json, next to the keys). Every mutation happens
// under an exclusive flock of the lock file, so the CLI and a running server can share a data dir.
type state struct {
	Version   int           `json:"version"`
	BaseURL   string        `json:"base_url"`
	CRLNumber int64         `json:"crl_number"` // last number used, shared by full and delta CRLs (RFC 5280 §5.2.3)
	RevSeq    int64         `json:"revocation_seq"`
	Full      *crlRecord    `json:"full_crl,omitempty"`
	Delta     *crlRecord    `json:"delta_crl,omitempty"`
	Root      *crlRecord    `json:"root_crl,omitempty"`
	Certs     []*certRecord `json:"certificates"`
	// GOST holds the CRLs of the GOST hierarchy (absent until its first CRL). Revocations share
	// RevSeq with the RSA hierarchy.
	GOST *gostState `json:"gost,omitempty"`
}

// gostState is the CRL bookkeeping of the GOST hierarchy, whose CAs number their CRLs apart.
type gostState struct {
	CRLNumber int64      `json:"crl_number"`
	Full      *crlRecord `json:"full_crl,omitempty"`
	Delta     *crlRecord `json:"delta_crl,omitempty"`
	Root      *crlRecord `json:"root_crl,omitempty"`
}

// crlRecord describes the last CRL of one kind that was issued; its DER is in crl/<kind>.crl.
type crlRecord struct {
	Number     int64     `json:"number"`
	ThisUpdate time.Time `json:"this_update"`
	NextUpdate time.Time `json:"next_update"`
	BaseNumber int64     `json:"base_number,omitempty"` // delta only: the full CRL it applies to
	RevSeq     int64     `json:"revocation_seq"`        // revocations up to this sequence number are included
}

// certRecord is one issued end-entity certificate.
type certRecord struct {
	Serial    string     `json:"serial"`              // upper-case hex
	Algorithm Algorithm  `json:"algorithm,omitempty"` // "" (certificates issued before GOST existed) is rsa
	Kind      Kind       `json:"kind"`
	Usage     Usage      `json:"usage"`
	Subject   string     `json:"subject"`
	IIN       string     `json:"iin,omitempty"`
	BIN       string     `json:"bin,omitempty"`
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	IssuedAt  time.Time  `json:"issued_at"`
	Revoked   *revRecord `json:"revoked,omitempty"`
}

type revRecord struct {
	At       time.Time `json:"at"`       // revocation date written into CRLs and OCSP answers
	Reason   Reason    `json:"reason"`   // RFC 5280 CRLReason
	Recorded time.Time `json:"recorded"` // when the authority learned of it
	Seq      int64     `json:"seq"`
}

const stateFile = "state.json"

// fileLock is an advisory flock(2) on dir/lock.
type fileLock struct{ f *os.File }

func lockDir(dir string, exclusive bool) (*fileLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &fileLock{f}, nil
}

func (l *fileLock) unlock() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}

// The generation file holds a random token that changes with every save of state.json. It is
// written before state.json, so a process that sees the token it loaded with knows its copy is
// current (file times are too coarse for that: ext4 here ticks every 4 ms).
const generationFile = "generation"

func readGeneration(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, generationFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}

// loadState reads state.json and the generation it belongs to; a missing file yields a nil state.
func loadState(dir string) (*state, string, error) {
	gen, err := readGeneration(dir)
	if err != nil {
		return nil, "", fmt.Errorf("read generation: %w", err)
	}
	p := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, gen, nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read state: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", p, err)
	}
	if s.Version != 1 {
		return nil, "", fmt.Errorf("%s: unsupported state version %d", p, s.Version)
	}
	return &s, gen, nil
}

// writeFileAtomic writes b to path through a temporary file, fsync and rename, so a crash leaves
// either the old or the new content.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// saveState writes a new generation token, then state.json, and returns the token.
func saveState(dir string, s *state) (string, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", err
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return "", err
	}
	gen := hex.EncodeToString(tok)
	if err := writeFileAtomic(filepath.Join(dir, generationFile), []byte(gen), 0o600); err != nil {
		return "", fmt.Errorf("write generation: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, stateFile), b, 0o600); err != nil {
		return "", fmt.Errorf("write state: %w", err)
	}
	return gen, nil
}

// alg returns the algorithm, and so the hierarchy, of the certificate.
func (c *certRecord) alg() Algorithm {
	if c.Algorithm == "" {
		return AlgorithmRSA
	}
	return c.Algorithm
}

func (s *state) find(serialHex string) *certRecord {
	for _, c := range s.Certs {
		if c.Serial == serialHex {
			return c
		}
	}
	return nil
}
