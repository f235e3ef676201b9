// Package certs reads the identities that НУЦ РК (the national CA of Kazakhstan) puts into
// certificates: ИИН/БИН with their checksums, names, key class (SIGN/AUTH), policies and roles.
//
// It also defines how signatures made under a certificate's key are checked ([SignatureVerifier]),
// so that algorithms the standard library lacks (GOST) can be plugged in without changing callers.
package certs
