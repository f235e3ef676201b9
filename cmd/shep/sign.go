package main

import (
	"context"
	"fmt"
	"os"

	"github.com/shep-kz/shep/certs"
	"github.com/shep-kz/shep/signing"
)

func runSign(ctx context.Context, e *env, args []string) error {
	fs, _ := newFlags(e, "sign")
	certFile := fs.String("cert", "", "signer certificate (PEM or DER); further certificates in the file are ignored")
	keyFile := fs.String("key", "", "signer private key (PEM or DER: PKCS#8 — RSA, ECDSA or GOST —, PKCS#1 or SEC 1)")
	p12File := fs.String("p12", "", "signer key and certificate in a PKCS#12 file (НУЦ key files, RSA or GOST), instead of --cert/--key")
	password := fs.String("password", "", "password of the --p12 file")
	wsse := fs.Bool("wsse", false, "sign a SOAP envelope with WS-Security (signature in the Header over the Body)")
	enveloped := fs.Bool("enveloped", false, "sign a document with an enveloped signature (last child of the root)")
	ncalayer := fs.Bool("ncalayer", false, "with --enveloped: NCALayer's layout (C14N 1.0, enveloped + #WithComments)")
	out := fs.String("out", "", "write the signed document to FILE (default: stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	pair := *p12File != "" && *certFile == "" && *keyFile == "" || *p12File == "" && *certFile != "" && *keyFile != ""
	if fs.NArg() != 1 || !pair || *wsse == *enveloped {
		return fmt.Errorf("%w: shep sign (--cert FILE --key FILE | --p12 FILE --password PW) (--wsse | --enveloped) [--out FILE] FILE", errUsage)
	}
	if *ncalayer && !*enveloped {
		return fmt.Errorf("%w: --ncalayer goes with --enveloped", errUsage)
	}
	key, cs, err := certs.ReadKeyPair(*certFile, *keyFile, *p12File, *password)
	if err != nil {
		return err
	}
	in, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var signed []byte
	// The methods follow from the key: rsa-sha256, or the GOST ones KalkanCrypt uses.
	if *wsse {
		signed, err = signing.SignWSSE(in, key, cs[0], signing.SignOptions{})
	} else {
		signed, err = signing.SignEnveloped(in, key, cs[0], signing.SignOptions{NCALayer: *ncalayer})
	}
	if err != nil {
		return err
	}
	return writeOut(e, *out, signed, 0o644)
}
