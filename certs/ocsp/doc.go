// Package ocsp reads and writes OCSP (RFC 6960) requests and responses, with nonces, for both the
// client and the responder side. Parsing never verifies; Verify checks the responder with a
// pluggable certs.SignatureVerifier, so GOST responses can be checked once an implementation exists.
//
// The wire format is handled here directly (with cryptobyte) rather than through
// golang.org/x/crypto/ocsp, because that package checks the embedded responder certificate's
// signature while parsing (which fails for GOST), cannot read or write request nonces, writes its
// ExtraExtensions into the single response instead of the response extensions, and always sets
// producedAt to the current time.
//
// Only DER is accepted. Everything parsed from a message refers to a private copy of the input.
package ocsp
