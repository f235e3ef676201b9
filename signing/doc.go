// Package signing verifies and makes the XML signatures of ШЭП traffic: WS-Security signatures on
// SOAP envelopes and enveloped signatures on business documents, safe against signature wrapping
// by construction.
//
// Every input is parsed strictly ([Parse]); the signed element is located by structure, never by
// searching; its canonical form (package c14n) is digested; and the caller gets back only the
// tree of exactly the bytes that were digested, what re-parsing them would give
// ([Verified].Element; a WS-Security Body is rewritten into it in place). Algorithms are looked up
// in a [Registry] by URI; anything unknown is refused with [CodeAlgorithmNotSupported].
// [DefaultRegistry] holds RSA, ECDSA and the Kazakh GOST methods of KalkanCrypt (ГОСТ 34.310-2004
// and ГОСТ Р 34.10-2015 512, whose SignatureValue is r_LE ‖ s_LE as in X.509, checked by
// certs.StdVerifier); signing with a GOST key picks them by itself. Certificate trust is decided
// by [Checker] through certs/validate, on the same paths for RSA and GOST signers.
package signing
