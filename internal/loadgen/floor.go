package loadgen

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// FloorRates are the RSA operations this machine does per second with every core busy and
// nothing else: no XML, HTTP or storage. They bound what any gateway can do here.
type FloorRates struct {
	SignPerSec   float64 // RSA PKCS#1 v1.5 SHA-256 signatures
	VerifyPerSec float64 // their verifications
	Workers      int     // goroutines, one per GOMAXPROCS
	KeyBits      int
	Elapsed      time.Duration
}

// MeasureFloor runs workers goroutines (GOMAXPROCS when 0) signing with key for half of d, then
// verifying for the other half, and returns the rates. Each operation hashes a fresh 64-byte
// message with SHA-256, as an XML signature hashes its SignedInfo.
func MeasureFloor(ctx context.Context, key *rsa.PrivateKey, d time.Duration, workers int) (FloorRates, error) {
	if key == nil {
		return FloorRates{}, errors.New("loadgen: floor: no RSA key")
	}
	if d <= 0 {
		return FloorRates{}, errors.New("loadgen: floor: the measuring time must be positive")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	key.Precompute()
	msg := make([]byte, 64)
	if _, err := rand.Read(msg); err != nil {
		return FloorRates{}, err
	}
	digest := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		return FloorRates{}, fmt.Errorf("loadgen: floor: %w", err)
	}
	sign := func(m []byte) error {
		h := sha256.Sum256(m)
		_, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
		return err
	}
	verify := func(m []byte) error {
		h := sha256.Sum256(m)
		return rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, h[:], sig)
	}
	start := time.Now()
	s, err := opsPerSec(ctx, workers, d/2, msg, sign)
	if err != nil {
		return FloorRates{}, err
	}
	v, err := opsPerSec(ctx, workers, d-d/2, msg, verify)
	if err != nil {
		return FloorRates{}, err
	}
	return FloorRates{SignPerSec: s, VerifyPerSec: v, Workers: workers, KeyBits: key.N.BitLen(), Elapsed: time.Since(start)}, nil
}

// opsPerSec runs op in workers goroutines for d and returns completions per second.
func opsPerSec(ctx context.Context, workers int, d time.Duration, msg []byte, op func([]byte) error) (float64, error) {
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range workers {
		wg.Go(func() {
			m := append([]byte(nil), msg...)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if err := op(m); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, fmt.Errorf("loadgen: floor: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// Cost is the RSA work one request costs the gateway.
type Cost struct {
	Verifies float64 `json:"verifies"`
	Signs    float64 `json:"signs"`
}

// RPS is the requests per second the machine could serve if it did nothing but c's crypto.
func (f FloorRates) RPS(c Cost) float64 {
	if f.SignPerSec <= 0 || f.VerifyPerSec <= 0 {
		return 0
	}
	t := c.Verifies/f.VerifyPerSec + c.Signs/f.SignPerSec
	if t <= 0 {
		return 0
	}
	return 1 / t
}

// EntryCost is what a request of e costs the gateway in RSA operations, decided being the share
// of its answers that carried the provider's decision:
//   - every request: the WS-Security signature of the envelope verified (1) and the answer signed (1);
//   - an application: its enveloped signature verified (+1); when the provider decides within the
//     request, its result document signed by the provider's official (+decided).
//
// Certificate chains are not counted: the gateway caches its verdicts, and the pool's signers repeat.
// Results decided later (after a delay on the regulation clock) are signed outside the request
// and are not counted either.
func EntryCost(e Entry, decided float64) Cost {
	c := Cost{Verifies: 1, Signs: 1}
	if e.IsApplication() {
		c.Verifies++
		c.Signs += decided
	}
	return c
}

// MixCost is the mix's cost per request, weighted by the entries' weights; decided[i] is the
// share of entry i's answers that carried the decision (missing: 0).
func MixCost(m Mix, decided []float64) Cost {
	var c Cost
	total := 0
	for i, e := range m {
		d := 0.0
		if i < len(decided) {
			d = decided[i]
		}
		ec := EntryCost(e, d)
		c.Verifies += ec.Verifies * float64(e.Weight)
		c.Signs += ec.Signs * float64(e.Weight)
		total += e.Weight
	}
	if total == 0 {
		return Cost{}
	}
	c.Verifies /= float64(total)
	c.Signs /= float64(total)
	return c
}
