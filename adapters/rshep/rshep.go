// Package rshep is АРМ РШЭП / ИС МИО, the regional providers' inbox for every other gatewayed
// service: applications are registered with a number and «поступившие», and decided by a specialist
// (admin API, CLI) or, when configured, on their own by the service's rules.
package rshep

import (
	"github.com/shep-kz/shep/adapters/esobes"
	"github.com/shep-kz/shep/adapters/labour"
	"github.com/shep-kz/shep/adapters/provider"
)

// Name of the system in the catalogue.
const Name = "rshep"

// Rules returns the rules of the services whose decision reads a register: the regional
// instances of the labour-market and social-assistance services. Every other service of the
// inbox follows Default.
func Rules(unemployed *labour.Register, asp *esobes.Register) map[string]provider.Rules {
	return map[string]provider.Rules{
		"AKM-1":  labour.Registration{Reg: unemployed},
		"ALM-1":  labour.Certificate{Reg: unemployed},
		"ZKO-9":  esobes.HomeEducation{},
		"ALM-2":  esobes.HomeEducation{},
		"ZKO-10": esobes.ASPCertificate{Reg: asp},
		"KRG-1":  provider.Generic{Required: []string{"identity-document", "guardianship-request"}},
		"ZKO-11": provider.Generic{Required: []string{"identity-document", "repatriate-documents"}},
	}
}

// Default returns the rules of the other services: the applicant in ГБД ФЛ and alive, and a
// package of documents attached.
func Default() provider.Rules { return provider.Generic{} }
