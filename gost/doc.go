// Package gost groups the Kazakh/Russian GOST algorithms shep implements from public specifications:
// subpackages streebog (GOST R 34.11-2012 / KZ 34.11-2015), gost341194 (GOST R 34.11-94 / KZ 34.311-95) and gost3410.
package gost
