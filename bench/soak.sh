#!/usr/bin/env bash
# Soak check (see BENCHMARKS.md): 10,000 mixed requests (REST and gRPC) after 1,000 of warm-up;
# fails (exit 1) on any failed request, a transport error, a live-NDArray count at idle that differs
# after the run, or RSS growth after warm-up over 5 %. Extra options go to bench/load.sh.
#
# The server runs with a fixed, pre-touched heap and two malloc arenas, as a production pod would:
# otherwise RSS grows while the JVM expands its heap towards a quarter of the machine's memory and
# glibc opens an arena per thread, which is growth but not a leak, and would hide one.
exec "$(dirname "$0")/load.sh" soak --out target/bench/soak \
  --server-env "JAVA_TOOL_OPTIONS=-Xms512m -Xmx512m -XX:+AlwaysPreTouch" \
  --server-env MALLOC_ARENA_MAX=2 \
  "$@"
