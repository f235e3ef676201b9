package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/shep-kz/shep/adapters/gbdfl"
	"github.com/shep-kz/shep/certs"
)

func TestRegister(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		name       string
		in         map[string]string
		wantStatus int
		wantCode   string
	}{
		{"malformed IIN", map[string]string{"iin": "93100245132", "password": goodPassword}, 400, "IIN_INVALID"},
		{"IIN checksum", map[string]string{"iin": "931002451326", "password": goodPassword}, 400, "IIN_INVALID"},
		{"test identity outside test mode", map[string]string{"iin": iinTest, "password": goodPassword}, 400, "IIN_INVALID"},
		{"password too short", map[string]string{"iin": iinIvanova, "password": "abc1234"}, 400, "WEAK_PASSWORD"},
		{"password without digit", map[string]string{"iin": iinIvanova, "password": "abcdefghij"}, 400, "WEAK_PASSWORD"},
		{"password without letter", map[string]string{"iin": iinIvanova, "password": "1234567890"}, 400, "WEAK_PASSWORD"},
		{"password is the IIN", map[string]string{"iin": iinIvanova, "password": iinIvanova}, 400, "WEAK_PASSWORD"},
		{"password too long", map[string]string{"iin": iinIvanova, "password": strings.Repeat("a1", 65)}, 400, "WEAK_PASSWORD"},
		{"bad phone", map[string]string{"iin": iinIvanova, "password": goodPassword, "phone": "+1 555 0100"}, 400, "CONTACT_INVALID"},
		{"bad email", map[string]string{"iin": iinIvanova, "password": goodPassword, "email": "Айгуль <a@b.kz>"}, 400, "CONTACT_INVALID"},
		{"not in ГБД ФЛ", map[string]string{"iin": iinAkhmetova, "password": goodPassword}, 403, "PERSON_NOT_FOUND"},
		{"deceased", map[string]string{"iin": iinDeceased, "password": goodPassword}, 403, "PERSON_NOT_FOUND"},
		{"unknown field", map[string]string{"iin": iinIvanova, "password": goodPassword, "role": "admin"}, 400, "REQUEST_INVALID"},
		{"success", map[string]string{"iin": iinIvanova, "password": goodPassword, "phone": "8 (701) 234-56-78", "email": "aigul@example.kz"}, 201, ""},
		{"duplicate", map[string]string{"iin": iinIvanova, "password": "Another2025"}, 409, "ALREADY_REGISTERED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(t, http.MethodPost, "/api/cabinet/register", c.in, nil)
			if r.status != c.wantStatus || r.code() != c.wantCode {
				t.Fatalf("got %d %s, want %d %q", r.status, r.body, c.wantStatus, c.wantCode)
			}
			if c.wantCode != "" {
				var v struct{ Error struct{ Message string } }
				r.decode(t, &v)
				if v.Error.Message == "" || !strings.ContainsAny(v.Error.Message, "абвгдеёжзийклмнопрстуфхцчшщыьэюя") {
					t.Errorf("message %q is not in Russian", v.Error.Message)
				}
				return
			}
			var acc Account
			r.decode(t, &acc)
			want := Account{IIN: iinIvanova, Name: "ИВАНОВА АЙГУЛЬ СЕРИКОВНА", Phone: "+77012345678", Email: "aigul@example.kz", HasPassword: true}
			acc.Created = time.Time{}
			if acc != want {
				t.Errorf("account %+v, want %+v", acc, want)
			}
		})
	}
	// The refusals left no account behind.
	for _, iin := range []string{iinAkhmetova, iinDeceased, iinZhumabek} {
		if _, err := e.svc.Account(context.Background(), iin); !errors.Is(err, ErrAccountNotFound) {
			t.Errorf("Account(%s) = %v, want ErrAccountNotFound", iin, err)
		}
	}
}

func TestRegisterTestIdentity(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Identity = certs.ParseOptions{TestIdentities: true} })
	acc, err := e.svc.Register(context.Background(), Registration{IIN: iinTest, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Name != "ТЕСТОВ ТЕСТ ТЕСТОВИЧ" {
		t.Errorf("name %q", acc.Name)
	}
	if _, err := e.svc.Register(context.Background(), Registration{IIN: "12345678901x", Password: goodPassword}); !errors.Is(err, ErrIINInvalid) {
		t.Errorf("non-digits in test mode: %v, want ErrIINInvalid", err)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)

	r := e.call(t, http.MethodPost, "/api/cabinet/login", map[string]string{"iin": iinIvanova, "password": goodPassword}, nil)
	if r.status != http.StatusOK {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var s Session
	r.decode(t, &s)
	if s.IIN != iinIvanova || s.Name != "ИВАНОВА АЙГУЛЬ СЕРИКОВНА" || s.Method != MethodPassword || s.CSRF == "" || len(s.Token) != 43 {
		t.Errorf("session %+v", s)
	}
	if want := e.clock.Now().Add(20 * time.Minute); !s.Expires.Equal(want) {
		t.Errorf("expires %v, want %v", s.Expires, want)
	}
	c := r.cookie(CookieName)
	if c == nil || c.Value != s.Token || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie %+v", c)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
	}

	// A wrong password, an ИИН of ГБД ФЛ without an account and an ИИН not in ГБД ФЛ answer alike.
	var bodies [][]byte
	for _, in := range []map[string]string{
		{"iin": iinIvanova, "password": "Wrong2025x"},
		{"iin": iinZhumabek, "password": goodPassword},
		{"iin": iinAkhmetova, "password": goodPassword},
	} {
		r := e.call(t, http.MethodPost, "/api/cabinet/login", in, nil)
		if r.status != http.StatusUnauthorized || r.code() != "AUTH_REFUSED" || r.cookie(CookieName) != nil {
			t.Fatalf("%v: %d %s", in, r.status, r.body)
		}
		bodies = append(bodies, r.body)
	}
	for _, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Errorf("refusals differ:\n%s\n%s", bodies[0], b)
		}
	}

	if r := e.call(t, http.MethodPost, "/api/cabinet/login", map[string]string{"iin": "abc", "password": goodPassword}, nil); r.code() != "IIN_INVALID" {
		t.Errorf("malformed ИИН: %d %s", r.status, r.body)
	}

	// A person who died after registering can no longer sign in.
	e.register(t, iinZhumabek)
	p, _, _ := e.persons.Person(context.Background(), iinZhumabek)
	dead := *p
	dead.Deceased = true
	e.persons.Put(&dead)
	if r := e.call(t, http.MethodPost, "/api/cabinet/login", map[string]string{"iin": iinZhumabek, "password": goodPassword}, nil); r.code() != "PERSON_NOT_FOUND" {
		t.Errorf("deceased: %d %s", r.status, r.body)
	}
}

// failingPersons is a ГБД ФЛ that does not answer.
type failingPersons struct{}

func (failingPersons) Person(context.Context, string) (*gbdfl.Person, bool, error) {
	return nil, false, errors.New("connection refused")
}

func TestRegistryDown(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Persons = failingPersons{} })
	r := e.call(t, http.MethodPost, "/api/cabinet/register", map[string]string{"iin": iinIvanova, "password": goodPassword}, nil)
	if r.status != http.StatusServiceUnavailable || r.code() != "REGISTRY_UNAVAILABLE" || strings.Contains(string(r.body), "refused") {
		t.Errorf("got %d %s", r.status, r.body)
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxFailures = 3; o.LockFor = 15 * time.Minute })
	e.register(t, iinIvanova)
	try := func(iin, pw string) reply {
		return e.call(t, http.MethodPost, "/api/cabinet/login", map[string]string{"iin": iin, "password": pw}, nil)
	}
	steps := []struct {
		name     string
		advance  time.Duration
		iin, pw  string
		wantCode string
	}{
		{"failure 1", 0, iinIvanova, "Wrong1", "AUTH_REFUSED"},
		{"failure 2", time.Minute, iinIvanova, "Wrong2", "AUTH_REFUSED"},
		{"failures older than LockFor no longer count", 15 * time.Minute, iinIvanova, "Wrong3", "AUTH_REFUSED"},
		{"failure 2 of the new window", time.Minute, iinIvanova, "Wrong4", "AUTH_REFUSED"},
		{"failure 3 locks", time.Minute, iinIvanova, "Wrong5", "ACCOUNT_LOCKED"},
		{"the right password is refused while locked", time.Minute, iinIvanova, goodPassword, "ACCOUNT_LOCKED"},
		{"still locked just before the end", 13*time.Minute + 59*time.Second, iinIvanova, goodPassword, "ACCOUNT_LOCKED"},
		{"released after LockFor", time.Second, iinIvanova, goodPassword, ""},
		{"a success resets the count: failure 1", 0, iinIvanova, "Wrong6", "AUTH_REFUSED"},
		{"failure 2", 0, iinIvanova, "Wrong7", "AUTH_REFUSED"},
		{"success", 0, iinIvanova, goodPassword, ""},
		// An unregistered ИИН is locked the same way, so that the lock tells nothing.
		{"unknown 1", 0, iinZhumabek, "Wrong1", "AUTH_REFUSED"},
		{"unknown 2", 0, iinZhumabek, "Wrong1", "AUTH_REFUSED"},
		{"unknown 3", 0, iinZhumabek, "Wrong1", "ACCOUNT_LOCKED"},
		{"the lock is per ИИН", 0, iinIvanova, goodPassword, ""},
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		r := try(s.iin, s.pw)
		if r.code() != s.wantCode || (s.wantCode == "") != (r.status == http.StatusOK) {
			t.Fatalf("%s: %d %s, want %q", s.name, r.status, r.body, s.wantCode)
		}
		if s.wantCode == "ACCOUNT_LOCKED" {
			if r.status != http.StatusTooManyRequests {
				t.Errorf("%s: status %d", s.name, r.status)
			}
			if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n <= 0 || n > 15*60 {
				t.Errorf("%s: Retry-After %q", s.name, r.header.Get("Retry-After"))
			}
			if !strings.Contains(string(r.body), " до ") {
				t.Errorf("%s: message does not say until when: %s", s.name, r.body)
			}
		}
	}
}

func TestStoredPassword(t *testing.T) {
	e := newEnv(t, nil)
	e.register(t, iinIvanova)
	var rec accountRec
	err := e.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(accountKey(iinIvanova))
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			if bytes.Contains(b, []byte(goodPassword)) {
				t.Errorf("the stored record holds the password: %s", b)
			}
			return json.Unmarshal(b, &rec)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(rec.Password, "$")
	if len(f) != 6 || f[0] != "scrypt" || f[1] != "1024" || f[2] != "8" || f[3] != "1" {
		t.Fatalf("stored hash %q", rec.Password)
	}
	if len(f[4]) != 22 { // 16 bytes, unpadded base64
		t.Errorf("salt %q", f[4])
	}
	cases := []struct {
		pw   string
		want bool
	}{
		{goodPassword, true},
		{"secret2025", false},
		{goodPassword + " ", false},
		{"", false},
		{rec.Password, false},
	}
	for _, c := range cases {
		if got := verifyPassword(rec.Password, c.pw); got != c.want {
			t.Errorf("verify(%q) = %v, want %v", c.pw, got, c.want)
		}
	}
	// The same password hashes differently each time (salt), and both verify.
	h2, err := hashPassword(goodPassword, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == rec.Password || !verifyPassword(h2, goodPassword) {
		t.Errorf("second hash %q", h2)
	}
	for _, bad := range []string{"", "scrypt$1024$8$1$x", "bcrypt$1$2$3$4$5", "scrypt$2097152$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + strings.Repeat("A", 43)} {
		if verifyPassword(bad, goodPassword) {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
}

func TestPhone(t *testing.T) {
	cases := []struct{ in, want, code string }{
		{"", "", ""},
		{"+7 701 234 56 78", "+77012345678", ""},
		{"87012345678", "+77012345678", ""},
		{"7012345678", "+77012345678", ""},
		{"+8 701 234 56 78", "", "CONTACT_INVALID"},
		{"+7 701 234 56 7", "", "CONTACT_INVALID"},
		{"+7 701 234 56 78 ext 1", "", "CONTACT_INVALID"},
	}
	for _, c := range cases {
		got, err := normalizePhone(c.in)
		if got != c.want || CodeOf(err) != c.code {
			t.Errorf("normalizePhone(%q) = %q, %v; want %q, %q", c.in, got, err, c.want, c.code)
		}
	}
}
