// Package adapters connects the gateway to provider systems («Рынок труда», «Е-собес», АРМ РШЭП /
// ИС МИО, remote providers) and to the registries they consult (ГБД ФЛ, ЕНИС). It is built in the
// adapters issue; until then the gateway routes nothing.
package adapters
