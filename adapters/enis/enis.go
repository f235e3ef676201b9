// Package enis emulates ЕНИС, the unified notarial information system: notarised powers of
// attorney, looked up by principal, representative and service.
package enis

import (
	"context"
	"slices"
	"sync"
	"time"
)

// PowerOfAttorney is a notarised power of attorney. In JSON the field names are snake_case and
// the times RFC 3339.
type PowerOfAttorney struct {
	Number         string    `json:"number"`
	Principal      string    `json:"principal"`      // ИИН of the person represented
	Representative string    `json:"representative"` // ИИН of the representative
	Services       []string  `json:"services"`       // serviceIds covered; "*" covers every service
	From           time.Time `json:"from"`
	Until          time.Time `json:"until"` // the first moment it no longer covers
	Notary         string    `json:"notary,omitempty"`
	Revoked        bool      `json:"revoked,omitempty"`
	// RevokedAt is when it was revoked; zero with Revoked means revoked from the start.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Covers reports whether p lets representative act for principal in serviceID at time at.
func (p *PowerOfAttorney) Covers(principal, representative, serviceID string, at time.Time) bool {
	return !p.RevokedBy(at) && p.Principal == principal && p.Representative == representative &&
		(slices.Contains(p.Services, "*") || slices.Contains(p.Services, serviceID)) &&
		!at.Before(p.From) && at.Before(p.Until)
}

// RevokedBy reports whether p has been revoked by time at.
func (p *PowerOfAttorney) RevokedBy(at time.Time) bool {
	return p.Revoked && (p.RevokedAt.IsZero() || !at.Before(p.RevokedAt))
}

// Registry finds powers of attorney.
type Registry interface {
	// Find returns a power of attorney number that lets representative act for principal in
	// serviceID at time at, or ok false.
	Find(ctx context.Context, number, principal, representative, serviceID string, at time.Time) (*PowerOfAttorney, bool, error)
}

// Memory is an in-memory Registry.
type Memory struct {
	mu sync.RWMutex
	m  map[string]*PowerOfAttorney
}

// NewMemory returns a registry holding ps.
func NewMemory(ps ...*PowerOfAttorney) *Memory {
	m := &Memory{m: map[string]*PowerOfAttorney{}}
	for _, p := range ps {
		m.m[p.Number] = p
	}
	return m
}

// Put adds or replaces p.
func (m *Memory) Put(p *PowerOfAttorney) {
	m.mu.Lock()
	m.m[p.Number] = p
	m.mu.Unlock()
}

// Find implements Registry.
func (m *Memory) Find(ctx context.Context, number, principal, representative, serviceID string, at time.Time) (*PowerOfAttorney, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.m[number]
	if !ok || !p.Covers(principal, representative, serviceID, at) {
		return nil, false, nil
	}
	return p, true, nil
}

// DemoNumber is the number of Demo's power of attorney.
const DemoNumber = "ЕНИС-2026-000123"

// Demo is a small built-in set: АХМЕТОВА (660427402182) represented by ЖУМАБЕКОВ (941111350315).
func Demo() *Memory { return NewMemory(DemoPowers()...) }

// DemoPowers returns fresh copies of Demo's powers of attorney.
func DemoPowers() []*PowerOfAttorney {
	return []*PowerOfAttorney{{Number: DemoNumber, Principal: "660427402182", Representative: "941111350315",
		Services: []string{"*"}, From: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), Until: time.Date(2031, 1, 15, 0, 0, 0, 0, time.UTC),
		Notary: "НОТАРИУС Г. УРАЛЬСК ИВАНОВА А.А."}}
}
