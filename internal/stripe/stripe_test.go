package stripe

import (
	"fmt"
	"sync"
	"testing"
)

func TestFor(t *testing.T) {
	var m Mutexes
	if m.For("AKT-1-20261122-000001") != m.For("AKT-1-20261122-000001") {
		t.Fatal("one key, two locks")
	}
	used := map[*sync.Mutex]bool{}
	for i := range 1000 {
		used[m.For(fmt.Sprint("key-", i))] = true
	}
	if len(used) != len(m) {
		t.Fatalf("1000 keys use %d of the %d locks", len(used), len(m))
	}
}
