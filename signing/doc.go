// Package signing verifies and makes the XML signatures of ШЭП traffic: WS-Security signatures on
// SOAP envelopes and enveloped signatures on business documents, safe against signature wrapping
// by construction.
//
// Every input is parsed strictly ([Parse]); the signed element is located by structure, never by
// searching; its canonical form (package c14n) is digested; and the caller gets back only a
// re-parse of exactly the bytes that were digested ([Verified].Element). Algorithms are looked up
// in a [Registry] by URI, so that GOST can be added by another package; anything unknown is
// refused with [CodeAlgorithmNotSupported]. Certificate trust is decided by [Checker] through
// certs/validate.
package signing
