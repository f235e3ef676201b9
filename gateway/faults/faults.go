// Package faults is the gateway's one table of refusal codes: every check and refusal of the
// regulations (services.md §3, §7.5) and every technical failure, with its Russian message, SOAP
// fault code and HTTP status, and the mapping of internal errors (signing, validate, …) onto it.
package faults

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/gateway/syncchannel"
	"github.com/shep-kz/shep/signing"
)

// Code is a refusal code, as it appears in ErrorInfo/errorCode.
type Code string

// Family groups codes by the regulations' message they stand for.
type Family string

// Families: the regulations' messages M1–M9 (services.md §3.2) and the gateway's own.
const (
	FamilyAuth      Family = "M1-M3 authorization refused"
	FamilySignature Family = "M4 ЭЦП not confirmed"
	FamilyGBDFL     Family = "M5 no data in ГБД ФЛ"
	FamilyENIS      Family = "M6 no power of attorney in ЕНИС"
	FamilyRouting   Family = "routing"
	FamilyProvider  Family = "provider"
	FamilyRequest   Family = "malformed request"
	FamilyGateway   Family = "gateway"
)

// Entry describes one code.
type Entry struct {
	Code    Code
	Family  Family
	Message string // errorMessage, Russian
	Client  bool   // the sender's fault (soap:Client) rather than the gateway's or provider's (soap:Server)
	Doc     string // what it means, in English, for the documentation
}

// The codes.
const (
	AuthSenderUnknown     Code = "AUTH_SENDER_UNKNOWN"
	AuthPassword          Code = "AUTH_PASSWORD"
	AuthServiceForbidden  Code = "AUTH_SERVICE_FORBIDDEN"
	AuthTransportCert     Code = "AUTH_TRANSPORT_CERT"
	SignatureMissing      Code = "SIGNATURE_MISSING"
	SignatureInvalid      Code = "SIGNATURE_INVALID"
	SignatureMalformed    Code = "SIGNATURE_MALFORMED"
	CertExpired           Code = "CERT_EXPIRED"
	CertNotYetValid       Code = "CERT_NOT_YET_VALID"
	CertRevoked           Code = "CERT_REVOKED"
	CertUntrusted         Code = "CERT_UNTRUSTED"
	CertRevocationUnknown Code = "CERT_REVOCATION_UNKNOWN"
	CertKeyUsage          Code = "CERT_KEY_USAGE"
	CertIdentity          Code = "CERT_IDENTITY"
	IINMismatch           Code = "IIN_MISMATCH"
	SignerNotAllowed      Code = "SIGNER_NOT_ALLOWED"
	AlgorithmNotSupported Code = "ALGORITHM_NOT_SUPPORTED"
	GBDFLNoData           Code = "GBDFL_NO_DATA"
	ENISNoPowerOfAttorney Code = "ENIS_NO_POWER_OF_ATTORNEY"
	ServiceUnknown        Code = "SERVICE_UNKNOWN"
	RouteUnknown          Code = "ROUTE_UNKNOWN"
	ChannelNotAllowed     Code = "CHANNEL_NOT_ALLOWED"
	ProviderUnavailable   Code = "PROVIDER_UNAVAILABLE"
	ProviderTimeout       Code = "PROVIDER_TIMEOUT"
	ProviderBadResponse   Code = "PROVIDER_BAD_RESPONSE"
	ProviderFault         Code = "PROVIDER_FAULT"
	ServiceNotElectronic  Code = "SERVICE_NOT_ELECTRONIC"
	ApplicationNotFound   Code = "APPLICATION_NOT_FOUND"
	RequestMalformed      Code = "REQUEST_MALFORMED"
	RequestTooLarge       Code = "REQUEST_TOO_LARGE"
	ApplicationInvalid    Code = "APPLICATION_INVALID"
	MessageInProgress     Code = "MESSAGE_IN_PROGRESS"
	MessageIDReused       Code = "MESSAGE_ID_REUSED"
	GatewayUnavailable    Code = "GATEWAY_UNAVAILABLE"
	InternalError         Code = "INTERNAL_ERROR"
)

const m4 = "Отказ в запрашиваемой услуге в связи с неподтверждением подлинности ЭЦП: "

var table = []Entry{
	{AuthSenderUnknown, FamilyAuth, "Отказ в авторизации: отправитель не зарегистрирован в ШЭП", true, "senderId is not a registered participant"},
	{AuthPassword, FamilyAuth, "Отказ в авторизации: неверный пароль отправителя", true, "the sender's password is missing or wrong"},
	{AuthServiceForbidden, FamilyAuth, "Отказ в авторизации: отправителю не разрешён вызов сервиса", true, "the sender may not call this serviceId"},
	{AuthTransportCert, FamilyAuth, "Отказ в авторизации: сообщение подписано не транспортным сертификатом отправителя", true, "the WS-Security signer is not the sender's registered transport certificate"},
	{SignatureMissing, FamilySignature, m4 + "подпись отсутствует", true, "no WS-Security signature, or no signature on a document that needs one"},
	{SignatureInvalid, FamilySignature, m4 + "подпись не соответствует содержимому", true, "digest or signature value does not verify: the message was altered"},
	{SignatureMalformed, FamilySignature, m4 + "структура подписи неверна", true, "signature structure, reference, transform or ID rules violated (including wrapping attempts)"},
	{CertExpired, FamilySignature, m4 + "срок действия регистрационного свидетельства истёк", true, "the signer's (or a CA's) certificate has expired"},
	{CertNotYetValid, FamilySignature, m4 + "срок действия регистрационного свидетельства не наступил", true, "the signer's certificate is not valid yet"},
	{CertRevoked, FamilySignature, m4 + "регистрационное свидетельство отозвано", true, "the certificate is in the list of revoked certificates"},
	{CertUntrusted, FamilySignature, m4 + "регистрационное свидетельство выдано не доверенным удостоверяющим центром", true, "no path to a trusted НУЦ certificate (unknown issuer or broken chain)"},
	{CertRevocationUnknown, FamilySignature, m4 + "невозможно проверить отзыв регистрационного свидетельства", false, "no current CRL or OCSP answer: the gateway fails closed"},
	{CertKeyUsage, FamilySignature, m4 + "ключ аутентификации (AUTH) не может использоваться для подписи", true, "an AUTH key was used to sign; a SIGN key is required"},
	{CertIdentity, FamilySignature, m4 + "ИИН/БИН в регистрационном свидетельстве некорректен", true, "the certificate's ИИН/БИН fails the checksum"},
	{IINMismatch, FamilySignature, m4 + "ИИН в запросе не совпадает с ИИН в регистрационном свидетельстве", true, "the request's ИИН differs from the signer's"},
	{SignerNotAllowed, FamilySignature, m4 + "подписавший не имеет права подписи в данном канале", true, "the signer's kind does not fit the channel (e.g. not an operator of the ЦОН organisation)"},
	{AlgorithmNotSupported, FamilySignature, m4 + "алгоритм подписи не поддерживается", true, "the signature or certificate algorithm is not implemented (e.g. GOST R 34.10-2015 256-bit, or an unknown URI/OID)"},
	{GBDFLNoData, FamilyGBDFL, "Невозможность получения данных в связи с отсутствием данных услугополучателя в ГБД ФЛ", true, "the applicant is not in ГБД ФЛ"},
	{ENISNoPowerOfAttorney, FamilyENIS, "Невозможность получения данных в связи с отсутствием данных доверенности в ЕНИС", true, "no valid notarised power of attorney for this representative and service"},
	{ServiceUnknown, FamilyRouting, "Сервис не найден в реестре взаимодействий ШЭП", true, "unknown serviceId"},
	{RouteUnknown, FamilyRouting, "Маршрут не найден в реестре взаимодействий ШЭП", true, "unknown routeId for this service"},
	{ServiceNotElectronic, FamilyRouting, "Услуга оказывается только в бумажной форме, без участия ШЭП", true, "the service is in the catalogue but has no gateway leg (paper only)"},
	{ChannelNotAllowed, FamilyRouting, "Услуга не оказывается по данному каналу", true, "the service is not available through this sender's channel"},
	{ProviderUnavailable, FamilyProvider, "Информационная система услугодателя недоступна", false, "the provider system could not be reached or failed"},
	{ProviderTimeout, FamilyProvider, "Истекло время ожидания ответа информационной системы услугодателя", false, "the provider did not answer in time"},
	{ProviderBadResponse, FamilyProvider, "Ответ информационной системы услугодателя не прошёл проверку", false, "the provider's answer is malformed or its signature does not verify"},
	{ProviderFault, FamilyProvider, "Информационная система услугодателя вернула ошибку", false, "the provider answered with a signed SOAP fault; its code is in subError"},
	{RequestMalformed, FamilyRequest, "Сообщение не соответствует формату ШЭП", true, "not well-formed XML, not SOAP, or not the SyncChannel contract"},
	{RequestTooLarge, FamilyRequest, "Размер сообщения превышает допустимый", true, "the message exceeds the size, depth or element limits"},
	{ApplicationNotFound, FamilyRequest, "Заявление с таким номером не найдено", true, "no application with this number was submitted by this sender (SHEP_ApplicationStatus)"},
	{ApplicationInvalid, FamilyRequest, "Заявление не соответствует установленной форме", true, "the application document does not follow its schema"},
	{MessageInProgress, FamilyRequest, "Сообщение с таким идентификатором уже обрабатывается", true, "the same (sender, messageId) is being processed: retry later"},
	{MessageIDReused, FamilyRequest, "Идентификатор сообщения уже использован для другого сообщения", true, "the (sender, messageId) was used before for a different message"},
	{GatewayUnavailable, FamilyGateway, "ШЭП временно недоступен", false, "the gateway cannot accept messages now (store unavailable, shutting down)"},
	{InternalError, FamilyGateway, "Внутренняя ошибка ШЭП", false, "an unexpected failure; the log has the details"},
}

// Table returns every code, in documentation order.
func Table() []Entry { return append([]Entry(nil), table...) }

// Lookup returns the entry of code; unknown codes give the InternalError entry with ok false.
func Lookup(code Code) (Entry, bool) {
	for _, e := range table {
		if e.Code == code {
			return e, true
		}
	}
	return table[len(table)-1], false
}

// Error is a refusal on its way to becoming a SOAP fault.
type Error struct {
	Code   Code
	Detail string // errorData: technical detail, in English
	// Sub is the lower-level cause reported as subError (e.g. the signing or validation code).
	Sub   *SubError
	Cause error
}

// SubError is the cause reported in ErrorInfo/subError.
type SubError struct {
	Code, Message string
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// New makes a refusal with a detail.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Wrap makes a refusal caused by err.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...), Cause: err}
}

// From maps any error onto the table: an *Error as it is; signing and certificate errors by
// their codes (with the original code as subError); context deadlines as provider timeouts is
// the caller's call — everything unrecognised is InternalError.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	low := signing.CodeOf(err)
	if low == "" {
		return &Error{Code: InternalError, Cause: err}
	}
	code, ok := lowLevel[low]
	if !ok {
		code = SignatureMalformed
	}
	return &Error{Code: code, Cause: err, Detail: detailOf(err), Sub: &SubError{Code: low, Message: err.Error()}}
}

func detailOf(err error) string {
	var ve *validate.Error
	if errors.As(err, &ve) {
		return ve.Error()
	}
	return err.Error()
}

// lowLevel maps the codes of signing and certs/validate.
var lowLevel = map[string]Code{
	string(signing.CodeXMLMalformed):          RequestMalformed,
	string(signing.CodeXMLDoctype):            RequestMalformed,
	string(signing.CodeXMLEncoding):           RequestMalformed,
	string(signing.CodeXMLDuplicateAttr):      RequestMalformed,
	string(signing.CodeXMLLimit):              RequestTooLarge,
	string(signing.CodeSOAPNotEnvelope):       RequestMalformed,
	string(signing.CodeSOAPNoBody):            RequestMalformed,
	string(signing.CodeSOAPMultipleBody):      SignatureMalformed,
	string(signing.CodeWSSENoSecurity):        SignatureMissing,
	string(signing.CodeWSSEMultipleSecurity):  SignatureMalformed,
	string(signing.CodeSigMissing):            SignatureMissing,
	string(signing.CodeSigMultiple):           SignatureMalformed,
	string(signing.CodeSigMalformed):          SignatureMalformed,
	string(signing.CodeSigReference):          SignatureMalformed,
	string(signing.CodeSigTransform):          SignatureMalformed,
	string(signing.CodeSigDigestMismatch):     SignatureInvalid,
	string(signing.CodeSigInvalid):            SignatureInvalid,
	string(signing.CodeSigNoCert):             SignatureMalformed,
	string(validate.CodeUnsupportedAlgorithm): AlgorithmNotSupported,
	string(validate.CodeMalformed):            CertUntrusted,
	string(validate.CodeExpired):              CertExpired,
	string(validate.CodeNotYetValid):          CertNotYetValid,
	string(validate.CodeRevoked):              CertRevoked,
	string(validate.CodeUntrustedIssuer):      CertUntrusted,
	string(validate.CodeBrokenChain):          CertUntrusted,
	string(validate.CodeWrongKeyUsage):        CertKeyUsage,
	string(validate.CodeRevocationUnknown):    CertRevocationUnknown,
	string(validate.CodeIdentity):             CertIdentity,
}

// HTTPStatus is the status of a fault response: SOAP 1.1 sends every fault with 500 (WS-I BP);
// a client error in SOAP 1.2 is 400.
func (e *Error) HTTPStatus(soap12 bool) int {
	if soap12 {
		if ent, _ := Lookup(e.Code); ent.Client {
			return http.StatusBadRequest
		}
	}
	return http.StatusInternalServerError
}

// ErrorInfo renders the refusal as the contract's ErrorInfo.
func (e *Error) ErrorInfo(sessionID string, now time.Time) *syncchannel.ErrorInfo {
	ent, _ := Lookup(e.Code)
	info := &syncchannel.ErrorInfo{Code: string(e.Code), Message: ent.Message, Data: e.Detail, Date: now, SessionID: sessionID}
	if e.Sub != nil {
		info.Sub = &syncchannel.ErrorInfo{Code: e.Sub.Code, Message: e.Sub.Message, Date: now}
	}
	return info
}
