package gateway

// PlainFault exposes plainFault to the tests.
var PlainFault = plainFault
