package participants_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/shep-kz/shep/certs/ca"
	"github.com/shep-kz/shep/gateway/participants"
	"github.com/shep-kz/shep/internal/testpki"
	"github.com/shep-kz/shep/store"
)

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

// newRegistry is a registry on a store in a temporary directory, with cheap password hashes.
func newRegistry(t *testing.T) *participants.Registry {
	t.Helper()
	db, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r, err := participants.New(db, participants.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistry(t *testing.T) {
	r := newRegistry(t)
	cert := testpki.Issue(t, testpki.NewCA(t, ca.Options{}), ca.IssueRequest{Kind: ca.KindSystem, BIN: "160440007161", CommonName: "ПОРТАЛ"}).Certificate
	s, err := r.Put(ctx, participants.Spec{ID: "portal", Password: ptr("s3cret"), Services: ptr([]string{"B", "A"}),
		Channel: ptr(participants.ChannelPortal), TransportCert: ptr(cert.Raw)})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Allows("A") || s.Allows("C") || s.Services[0] != "A" {
		t.Errorf("services %v", s.Services)
	}
	if c, err := s.Certificate(); err != nil || !c.Equal(cert) {
		t.Errorf("transport certificate: %v", err)
	}
	for _, tt := range []struct {
		id, pw string
		want   error
	}{
		{"portal", "s3cret", nil}, {"portal", "s3cret", nil}, // the second from the cache
		{"portal", "wrong", participants.ErrPassword}, {"portal", "", participants.ErrPassword},
		{"nobody", "x", participants.ErrUnknown},
	} {
		if _, err := r.Authenticate(ctx, tt.id, tt.pw); !errors.Is(err, tt.want) {
			t.Errorf("Authenticate(%q, %q) = %v, want %v", tt.id, tt.pw, err, tt.want)
		}
	}
	// A password change takes effect at once, cache or not.
	if _, err := r.Put(ctx, participants.Spec{ID: "portal", Password: ptr("new")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, "portal", "s3cret"); !errors.Is(err, participants.ErrPassword) {
		t.Errorf("old password after change: %v", err)
	}
	if got, _ := r.Get(ctx, "portal"); !got.Allows("B") || len(got.TransportCert) == 0 {
		t.Error("a partial update lost other fields")
	}
	if _, err := r.Put(ctx, participants.Spec{ID: "portal", Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, "portal", "new"); !errors.Is(err, participants.ErrDisabled) {
		t.Errorf("disabled: %v", err)
	}
	// No password: any password is accepted (the transport signature authenticates).
	if _, err := r.Put(ctx, participants.Spec{ID: "gbdfl-client", Channel: ptr(participants.ChannelSystem)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Authenticate(ctx, "gbdfl-client", ""); err != nil {
		t.Error(err)
	}
	for name, spec := range map[string]participants.Spec{
		"empty id":    {ID: ""},
		"NUL in id":   {ID: "a\x00b"},
		"reserved id": {ID: "-"}, // the message log's anonymous sender
		"bad channel": {ID: "x", Channel: ptr(participants.Channel("fax"))},
		"bad cert":    {ID: "x", TransportCert: ptr([]byte("not a certificate"))},
	} {
		if _, err := r.Put(ctx, spec); !errors.Is(err, participants.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	list, err := r.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "gbdfl-client" {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := r.Delete(ctx, "portal"); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, "portal"); !errors.Is(err, participants.ErrUnknown) {
		t.Errorf("second delete: %v", err)
	}
}

// The first requests of a sender after a start all miss the cache at once: one bcrypt comparison
// serves them all; wrong passwords are each compared, and refused.
func TestAuthenticateConcurrentFirst(t *testing.T) {
	r := newRegistry(t)
	if _, err := r.Put(ctx, participants.Spec{ID: "portal", Password: ptr("s3cret")}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			pw, want := "s3cret", error(nil)
			if i%8 == 7 {
				pw, want = "wrong", participants.ErrPassword
			}
			if _, err := r.Authenticate(ctx, "portal", pw); !errors.Is(err, want) {
				t.Errorf("Authenticate(%q) = %v, want %v", pw, err, want)
			}
		})
	}
	wg.Wait()
	if n := r.Compared(); n != 1+4 {
		t.Fatalf("%d bcrypt comparisons for 28 right and 4 wrong passwords, want 5", n)
	}
}
