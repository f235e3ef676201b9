package cabinet

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 description of the личный кабинет's API (accounts, applications,
// results, notifications, survey, indicators, and the admin routes), served at
// /api/cabinet/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(OpenAPI)
}
