/**
 * An open-loop load generator for the packaged server (REST native and OIP, typed gRPC), with the
 * overload and soak checks built on it: arrivals are scheduled independently of responses and
 * latency is measured from each request's scheduled send time, so a slow server cannot slow the
 * offered load down (no coordinated omission). Run by {@code bench/load.sh}, {@code
 * bench/overload.sh} and {@code bench/soak.sh}; the failsafe ITs run short versions.
 */
package dev.sinewich.serve.bench.load;
