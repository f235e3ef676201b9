package cabinet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shep-kz/shep/adapters/results"
	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/certs/validate"
	"github.com/shep-kz/shep/signing"
)

// Result is an issued result: its signed XML and the parsed document.
type Result struct {
	Number   string
	XML      []byte
	Document *results.Document
}

// Result returns the signed result of iin's application number.
func (s *Service) Result(ctx context.Context, iin, number string) (*Result, error) {
	c, err := s.own(ctx, iin, number)
	if err != nil {
		return nil, err
	}
	if c.Result == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoResult, number)
	}
	doc, err := results.Parse(c.Result.Document)
	if err != nil {
		return nil, fmt.Errorf("cabinet: the result of %s: %w", number, err)
	}
	return &Result{Number: c.Result.Number, XML: c.Result.Document, Document: doc}, nil
}

// Signer is who signed a result, as the certificate says.
type Signer struct {
	IIN          string    `json:"iin,omitempty"`
	BIN          string    `json:"bin,omitempty"`
	Name         string    `json:"name"`
	Organization string    `json:"organization,omitempty"`
	KeyClass     string    `json:"key_class"`
	Kind         string    `json:"kind"`
	Serial       string    `json:"serial"`
	Issuer       string    `json:"issuer"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
}

// Verdict is the verification of a result's signature: the XML signature, the signer's
// certificate (chain to the НУЦ, validity, revocation), and that the document is this person's
// result of this application.
type Verdict struct {
	Valid     bool      `json:"valid"`
	Code      string    `json:"code,omitempty"`
	Message   string    `json:"message"`
	Algorithm string    `json:"algorithm,omitempty"`
	Signer    *Signer   `json:"signer,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
	Result    string    `json:"result"`
}

// Verify checks the signature of iin's result of application number, now.
func (s *Service) Verify(ctx context.Context, iin, number string) (*Verdict, error) {
	r, err := s.Result(ctx, iin, number)
	if err != nil {
		return nil, err
	}
	return s.VerifyXML(ctx, r.XML, iin, number), nil
}

// VerifyXML checks a result document: its signature and signer now, and that it is the result of
// application number for iin. Refusals are in the verdict, never an error.
func (s *Service) VerifyXML(ctx context.Context, xml []byte, iin, number string) *Verdict {
	v := &Verdict{CheckedAt: time.Now().UTC()}
	res, err := s.o.Checker.CheckEnveloped(ctx, xml, time.Time{})
	if err != nil {
		v.Code, v.Message = refusal(err)
		return v
	}
	v.Algorithm = res.SignatureMethod
	if res.Verdict != nil && res.Verdict.Identity != nil {
		v.Signer = signerOf(res.Verdict.Identity, res.Verdict)
	}
	if !results.Is(res.Element) {
		v.Code, v.Message = "NOT_A_RESULT", "подписанный документ не является результатом оказания услуги"
		return v
	}
	doc, err := results.ParseElement(res.Element)
	if err != nil {
		v.Code, v.Message = "NOT_A_RESULT", "результат не соответствует схеме: "+err.Error()
		return v
	}
	v.Result = doc.Number
	if doc.Recipient.IIN != iin || doc.ApplicationNumber != number {
		v.Code, v.Message = "NOT_YOURS", "документ выдан по другому заявлению или другому получателю"
		return v
	}
	if v.Signer != nil && v.Signer.IIN != "" && v.Signer.IIN != doc.Official.IIN {
		v.Code, v.Message = "SIGNER_MISMATCH", "ИИН подписавшего не совпадает с должностным лицом в документе"
		return v
	}
	v.Valid, v.Message = true, "подпись действительна: сертификат выдан НУЦ, действует и не отозван"
	return v
}

func refusal(err error) (code, msg string) {
	if c := validate.CodeOf(err); c != "" {
		return string(c), "сертификат подписавшего не принят: " + err.Error()
	}
	var se *signing.Error
	if errors.As(err, &se) {
		return string(se.Code), "подпись недействительна: " + err.Error()
	}
	return "SIGNATURE_INVALID", "подпись недействительна: " + err.Error()
}

func signerOf(id *certs.Identity, vd *validate.Verdict) *Signer {
	sg := &Signer{IIN: id.IIN, BIN: id.BIN, Name: id.CommonName, Organization: id.Organization, KeyClass: string(id.KeyClass), Kind: string(id.Kind)}
	if len(vd.Chain) > 0 {
		c := vd.Chain[0]
		sg.Serial, sg.Issuer, sg.NotBefore, sg.NotAfter = c.SerialNumber.Text(16), c.Issuer.CommonName, c.NotBefore, c.NotAfter
	}
	return sg
}
