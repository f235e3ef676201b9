// Package jsonhttp writes JSON answers and coded JSON errors, the one error shape of every
// non-SOAP endpoint: {"error": {"code": "…", "message": "…"}}.
package jsonhttp

import (
	"encoding/json"
	"net/http"
)

// Write sends v as JSON with the given status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error sends a coded error.
func Error(w http.ResponseWriter, status int, code, msg string) {
	Write(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
