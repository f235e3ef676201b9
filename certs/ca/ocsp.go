package ca

import (
	"context"
	"time"

	"github.com/shep-kz/shep/certs/ocsp"
)

// OCSP answers a DER OCSP request (RFC 6960) about a certificate of the issuing CA. The answer is
// signed by the delegated responder certificate, echoes the request's nonce, and is valid for
// Options.OCSPValidity. Malformed requests and certificates of other CAs get the corresponding
// error responses; serial numbers this authority never issued are "unknown".
func (a *Authority) OCSP(ctx context.Context, der []byte) []byte {
	req, err := ocsp.ParseRequest(der)
	if err != nil || len(req.IDs) != 1 {
		a.opts.Logger.InfoContext(ctx, "OCSP request refused", "err", err, "ids", reqLen(req))
		return ocsp.ErrorResponse(ocsp.MalformedRequest)
	}
	id := req.IDs[0]
	if !id.IssuedBy(a.ca) {
		return ocsp.ErrorResponse(ocsp.Unauthorized)
	}
	now := a.opts.Now().UTC().Truncate(time.Second)
	single := ocsp.SingleResponse{ID: id, Status: ocsp.Unknown, Reason: -1, ThisUpdate: now, NextUpdate: now.Add(a.opts.OCSPValidity)}
	st, ok, err := a.Status(id.Serial)
	if err != nil {
		a.opts.Logger.ErrorContext(ctx, "OCSP: state", "err", err)
		return ocsp.ErrorResponse(ocsp.InternalError)
	}
	if ok {
		single.Status = ocsp.Good
		if st.Revoked {
			single.Status, single.RevokedAt, single.Reason = ocsp.Revoked, st.RevokedAt, int(st.Reason)
		}
	}
	resp, err := ocsp.CreateResponse(a.ca, a.responder, a.responderKey, ocsp.ResponseTemplate{Single: single, Nonce: req.Nonce, ProducedAt: now})
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
