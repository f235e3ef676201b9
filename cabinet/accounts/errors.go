package accounts

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is a refusal with a code and a message for the citizen (in Russian). A refusal carrying
// details is a copy of one of the Err… values below with its own Message; errors.Is matches them
// by Code.
type Error struct {
	Code    string
	Message string
	Status  int       // the HTTP status the refusal is answered with
	Until   time.Time // ErrAccountLocked: when the lock ends
	Err     error     // the cause, when there is one
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Is reports whether target is a refusal with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of a refusal, or "" when err is none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Refusals.
var (
	// Registration (services.md §2.1 P0).
	ErrIINInvalid = &Error{Code: "IIN_INVALID", Status: http.StatusBadRequest,
		Message: "ИИН указан неверно: нужно 12 цифр с верной контрольной цифрой"}
	ErrPersonNotFound = &Error{Code: "PERSON_NOT_FOUND", Status: http.StatusForbidden,
		Message: "Сведения о лице с указанным ИИН не получены из ГБД ФЛ: вход и регистрация на портале невозможны"}
	ErrAlreadyRegistered = &Error{Code: "ALREADY_REGISTERED", Status: http.StatusConflict,
		Message: "Пользователь с указанным ИИН уже зарегистрирован на портале"}
	ErrWeakPassword = &Error{Code: "WEAK_PASSWORD", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Пароль должен содержать от %d до %d символов, хотя бы одну букву и одну цифру и не совпадать с ИИН", minPassword, maxPassword)}
	ErrContactInvalid = &Error{Code: "CONTACT_INVALID", Status: http.StatusBadRequest,
		Message: "Номер телефона или адрес электронной почты указан неверно"}

	// Sign-in (P1/C1, refusal P2).
	ErrAuthRefused = &Error{Code: "AUTH_REFUSED", Status: http.StatusUnauthorized,
		Message: "Отказ в авторизации: неверный ИИН или пароль"}
	ErrAccountLocked = &Error{Code: "ACCOUNT_LOCKED", Status: http.StatusTooManyRequests,
		Message: "Вход по паролю временно заблокирован из-за неудачных попыток входа"}
	ErrAccountNotFound = &Error{Code: "ACCOUNT_NOT_FOUND", Status: http.StatusNotFound,
		Message: "Учётная запись не найдена"}

	// Certificate sign-in.
	ErrCertLoginDisabled = &Error{Code: "CERT_LOGIN_DISABLED", Status: http.StatusNotFound,
		Message: "Вход с помощью ЭЦП не настроен"}
	ErrChallengeUnknown = &Error{Code: "CHALLENGE_UNKNOWN", Status: http.StatusUnauthorized,
		Message: "Запрос на вход не найден или уже использован: получите новый"}
	ErrChallengeExpired = &Error{Code: "CHALLENGE_EXPIRED", Status: http.StatusUnauthorized,
		Message: "Срок действия запроса на вход истёк: получите новый"}
	ErrSignatureInvalid = &Error{Code: "SIGNATURE_INVALID", Status: http.StatusUnauthorized,
		Message: "Подпись запроса на вход недействительна"}
	ErrCertNotAuth = &Error{Code: "CERT_NOT_AUTH", Status: http.StatusUnauthorized,
		Message: "Для входа нужен ключ аутентификации (AUTH), а не ключ подписи"}
	ErrCertRefused = &Error{Code: "CERT_REFUSED", Status: http.StatusUnauthorized,
		Message: "Сертификат не принят"}

	// Sessions.
	ErrSessionRequired = &Error{Code: "SESSION_REQUIRED", Status: http.StatusUnauthorized,
		Message: "Требуется вход в личный кабинет"}
	ErrSessionExpired = &Error{Code: "SESSION_EXPIRED", Status: http.StatusUnauthorized,
		Message: "Сеанс завершён по истечении времени: войдите снова"}
	ErrCSRF = &Error{Code: "CSRF_INVALID", Status: http.StatusForbidden,
		Message: "Запрос отклонён: нет или неверен заголовок " + CSRFHeader}

	// Others.
	ErrRequestInvalid = &Error{Code: "REQUEST_INVALID", Status: http.StatusBadRequest,
		Message: "Неверный формат запроса"}
	ErrRegistryUnavailable = &Error{Code: "REGISTRY_UNAVAILABLE", Status: http.StatusServiceUnavailable,
		Message: "ГБД ФЛ временно недоступна: повторите попытку позже"}
)

// refusal returns a copy of base with its own message.
func refusal(base *Error, format string, args ...any) *Error {
	e := *base
	e.Message = fmt.Sprintf(format, args...)
	return &e
}

// wrapRefusal returns a copy of base with a cause (kept out of the message the citizen sees).
func wrapRefusal(base *Error, cause error) *Error {
	e := *base
	e.Err = cause
	return &e
}

// almaty is the time of Kazakhstan (a single zone, UTC+5, since 1 March 2024).
var almaty = time.FixedZone("UTC+5", 5*60*60)

func lockedUntil(t time.Time) *Error {
	e := refusal(ErrAccountLocked, "Вход по паролю временно заблокирован из-за неудачных попыток входа до %s (время Астаны)",
		t.In(almaty).Format("02.01.2006 15:04"))
	e.Until = t
	return e
}
