// Package loadgen is the engine of `shep bench`: it prepares WS-Security-signed SendMessage requests
// for a mix of services, sends them to a gateway in a closed or open loop and measures the answers.
//
// Requests are signed before the run (a Pool) so that the client's RSA work stays out of the
// measurement; every request has its own messageId, so none is sent twice, and when the prepared
// ones run out new ones are built during the run and counted. Latency is kept in a log-linear
// histogram (0.8 % resolution). MeasureFloor times the RSA operations a request costs the gateway,
// with nothing else, giving the machine's crypto floor to compare the throughput with.
package loadgen
