package ca

import (
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
	Serial    string     `json:"serial"` // upper-case hex
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

// loadState reads state.json; a missing file yields (nil, nil).
func loadState(dir string) (*state, time.Time, error) {
	p := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read state: %w", err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("stat state: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, time.Time{}, fmt.Errorf("parse %s: %w", p, err)
	}
	if s.Version != 1 {
		return nil, time.Time{}, fmt.Errorf("%s: unsupported state version %d", p, s.Version)
	}
	return &s, st.ModTime(), nil
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

func saveState(dir string, s *state) (time.Time, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return time.Time{}, err
	}
	p := filepath.Join(dir, stateFile)
	if err := writeFileAtomic(p, b, 0o600); err != nil {
		return time.Time{}, fmt.Errorf("write state: %w", err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return time.Time{}, err
	}
	return st.ModTime(), nil
}

func (s *state) find(serialHex string) *certRecord {
	for _, c := range s.Certs {
		if c.Serial == serialHex {
			return c
		}
	}
	return nil
}
