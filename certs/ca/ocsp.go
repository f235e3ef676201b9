package ca

import (
	"context"
	"time"

	"github.com/shep-kz/shep/certs/ocsp"
)

// OCSP answers a DER OCSP request (RFC 6960) about a certificate of either issuing CA. The answer
// is signed by that CA's delegated responder certificate (for the GOST CA, an RSA key certified
// by the GOST CA), echoes the request's nonce, and is valid for Options.OCSPValidity. Malformed
// requests and certificates of other CAs get the corresponding error responses; serial numbers
// the CA never issued are "unknown".
func (a *Authority) OCSP(ctx context.Context, der []byte) []byte {
	req, err := ocsp.ParseRequest(der)
	if err != nil || len(req.IDs) != 1 {
		a.opts.Logger.InfoContext(ctx, "OCSP request refused", "err", err, "ids", reqLen(req))
		return ocsp.ErrorResponse(ocsp.MalformedRequest)
	}
	id := req.IDs[0]
	issuer, responder, key, alg := a.ca, a.responder, a.responderKey, AlgorithmRSA
	if !id.IssuedBy(a.ca) {
		// Another process may have created the GOST hierarchy; a question never creates it.
		h, err := a.ensureGOST(ctx, false)
		if err != nil {
			a.opts.Logger.ErrorContext(ctx, "OCSP: GOST hierarchy", "err", err)
			return ocsp.ErrorResponse(ocsp.InternalError)
		}
		if h == nil || !id.IssuedBy(h.ca) {
			return ocsp.ErrorResponse(ocsp.Unauthorized)
		}
		issuer, responder, key, alg = h.ca, h.responder, h.responderKey, AlgorithmGOST2015
	}
	now := a.opts.Now().UTC().Truncate(time.Second)
	single := ocsp.SingleResponse{ID: id, Status: ocsp.Unknown, Reason: -1, ThisUpdate: now, NextUpdate: now.Add(a.opts.OCSPValidity)}
	st, ok, err := a.Status(id.Serial)
	if err != nil {
		a.opts.Logger.ErrorContext(ctx, "OCSP: state", "err", err)
		return ocsp.ErrorResponse(ocsp.InternalError)
	}
	if ok && st.Algorithm == alg { // a serial of the other hierarchy is not this CA's
		single.Status = ocsp.Good
		if st.Revoked {
			single.Status, single.RevokedAt, single.Reason = ocsp.Revoked, st.RevokedAt, int(st.Reason)
		}
	}
	resp, err := ocsp.CreateResponse(issuer, responder, key, ocsp.ResponseTemplate{Single: single, Nonce: req.Nonce, ProducedAt: now})
	if err != nil {
		a.opts.Logger.ErrorContext(ctx, "OCSP: sign", "err", err)
		return ocsp.ErrorResponse(ocsp.InternalError)
	}
	return resp
}

func reqLen(r *ocsp.Request) int {
	if r == nil {
		return 0
	}
	return len(r.IDs)
}
