package signing

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
)

// CertCache remembers parsed certificates by the SHA-256 of their DER, so that a signer who sends
// many messages is parsed once. It is bounded and safe for concurrent use; a nil *CertCache parses
// every time.
type CertCache struct {
	mu  sync.Mutex
	m   map[[32]byte]*x509.Certificate
	max int
}

// NewCertCache returns a cache of at most max certificates (default 10,000).
func NewCertCache(max int) *CertCache {
	if max <= 0 {
		max = 10000
	}
	return &CertCache{m: make(map[[32]byte]*x509.Certificate), max: max}
}

// Parse returns the certificate of der, parsing it only the first time.
func (c *CertCache) Parse(der []byte) (*x509.Certificate, error) {
	if c == nil {
		return x509.ParseCertificate(der)
	}
	k := sha256.Sum256(der)
	c.mu.Lock()
	cert, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return cert, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = cert
	c.mu.Unlock()
	return cert, nil
}
