// Package stripe hands out one of a fixed set of mutexes by key: work on one key is serialised,
// work on different keys mostly runs in parallel, and there is no map of locks to grow or clean up.
package stripe

import (
	"hash/fnv"
	"sync"
)

// Mutexes is a set of locks; its zero value is ready. Keys that hash alike share a lock.
type Mutexes [64]sync.Mutex

// For returns the lock of key.
func (m *Mutexes) For(key string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &m[h.Sum32()%uint32(len(m))]
}
