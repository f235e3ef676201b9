// Package certs reads the identities that НУЦ РК (the national CA of Kazakhstan) puts into
// certificates: ИИН/БИН with their checksums, names, key class (SIGN/AUTH), policies and roles.
//
// It also defines how signatures made under a certificate's key are checked ([SignatureVerifier],
// [StdVerifier]: the standard library's algorithms plus НУЦ's GOST ones), and reads and writes
// НУЦ GOST keys (gost.go) and key files for the tools ([ReadKeyPair]).
package certs
