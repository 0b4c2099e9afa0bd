#!/usr/bin/env bash
# Overload check (see BENCHMARKS.md): capacity, then 2x capacity for 60 s, then recovery at 0.5x.
# Fails (exit 1) unless every response is a success or an explicit 429/503, no request gets a
# transport error, accepted requests finish within the deadline, the server survives and the
# recovery p50 is within 1.5x the baseline's. Extra options go to bench/load.sh.
exec "$(dirname "$0")/load.sh" overload --out target/bench/overload "$@"
