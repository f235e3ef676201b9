// Package wsdl serves the SyncChannel v10 WSDL (schemas inline), with the port address of the
// server that serves it.
package wsdl

import (
	"bytes"
	_ "embed"
)

//go:embed SyncChannel.wsdl
var syncChannel []byte

// SyncChannel returns the WSDL with address as the SOAP port's location.
func SyncChannel(address string) []byte {
	var esc bytes.Buffer
	for _, r := range address {
		switch r {
		case '&':
			esc.WriteString("&amp;")
		case '"':
			esc.WriteString("&quot;")
		case '<':
			esc.WriteString("&lt;")
		default:
			esc.WriteRune(r)
		}
	}
	return bytes.Replace(syncChannel, []byte("{{ADDRESS}}"), esc.Bytes(), 1)
}
