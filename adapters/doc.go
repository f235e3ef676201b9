// Package adapters connects the gateway to the systems behind it: provider systems and the
// registries they consult (ГБД ФЛ, ЕНИС). An Adapter answers one routed request; a Router picks
// the adapter by serviceId and routeId.
package adapters
