package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/scrypt"
)

// Password rules and hashing parameters.
const (
	minPassword = 8
	maxPassword = 128 // characters; longer is refused rather than silently cut
	scryptR     = 8
	scryptP     = 1
	saltLen     = 16
	keyLen      = 32
	maxScryptN  = 1 << 20 // bounds the work a stored hash can ask for
)

// checkPassword applies the password rules: minPassword to maxPassword characters, at least one
// letter and one digit, not the ИИН.
func checkPassword(pw, iin string) error {
	n := utf8.RuneCountInString(pw)
	if !utf8.ValidString(pw) || n < minPassword || n > maxPassword || pw == iin {
		return ErrWeakPassword
	}
	letter, digit := false, false
	for _, r := range pw {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
		if unicode.IsControl(r) {
			return ErrWeakPassword
		}
	}
	if !letter || !digit {
		return ErrWeakPassword
	}
	return nil
}

// hashPassword returns "scrypt$N$r$p$salt$hash", salt and hash in unpadded standard base64.
func hashPassword(pw string, n int) (string, error) {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	key, err := scrypt.Key([]byte(pw), salt, n, scryptR, scryptP, keyLen)
	if err != nil {
		return "", fmt.Errorf("scrypt: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("scrypt$%d$%d$%d$%s$%s", n, scryptR, scryptP, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verifyPassword reports whether pw matches the stored hash (its own parameters), comparing in
// constant time. A malformed hash matches nothing.
func verifyPassword(stored, pw string) bool {
	n, r, p, salt, want, err := parseHash(stored)
	if err != nil {
		return false
	}
	got, err := scrypt.Key([]byte(pw), salt, n, r, p, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

func parseHash(s string) (n, r, p int, salt, key []byte, err error) {
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "scrypt" {
		return 0, 0, 0, nil, nil, errors.New("not an scrypt hash")
	}
	var nums [3]int
	for i, v := range f[1:4] {
		if nums[i], err = strconv.Atoi(v); err != nil || nums[i] <= 0 {
			return 0, 0, 0, nil, nil, errors.New("bad scrypt parameter")
		}
	}
	n, r, p = nums[0], nums[1], nums[2]
	if n > maxScryptN || r > 32 || p > 16 {
		return 0, 0, 0, nil, nil, errors.New("scrypt parameters out of bounds")
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(f[4]); err != nil {
		return 0, 0, 0, nil, nil, err
	}
	if key, err = enc.DecodeString(f[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return 0, 0, 0, nil, nil, errors.New("bad scrypt key")
	}
	return n, r, p, salt, key, nil
}

// normalizePhone accepts a Kazakhstan number ("+7 701 234-56-78", "87012345678") and returns
// it as +7XXXXXXXXXX; "" stays "".
func normalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	var d strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')':
		default:
			return "", refusal(ErrContactInvalid, "Номер телефона указан неверно: нужен номер вида +7 701 234 56 78")
		}
	}
	digits, plus := d.String(), strings.HasPrefix(s, "+")
	switch {
	case len(digits) == 11 && (digits[0] == '7' || digits[0] == '8' && !plus):
		return "+7" + digits[1:], nil
	case len(digits) == 10 && !plus:
		return "+7" + digits, nil
	}
	return "", refusal(ErrContactInvalid, "Номер телефона указан неверно: нужен номер вида +7 701 234 56 78")
}

// normalizeEmail accepts a bare address (no display name); "" stays "".
func normalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", refusal(ErrContactInvalid, "Адрес электронной почты указан неверно")
	}
	return s, nil
}
