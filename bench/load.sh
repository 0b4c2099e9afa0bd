#!/usr/bin/env bash
# Open-loop load generator for the packaged server (see BENCHMARKS.md, "Load, overload and soak").
#
#   bench/load.sh load     [--rate 20] [--duration 30] | [--clients 8 --duration 30]
#   bench/load.sh overload [--overload-seconds 60] [--factor 2] [--queue 16] [--deadline-ms 5000] [--clients 24]
#                          [--capacity-seconds 20] [--baseline-seconds 20] [--recovery-seconds 20] [--strict true]
#   bench/load.sh soak     [--requests 10000] [--warmup-requests 1000] [--clients 4] [--max-rss-growth 0.05|none]
#
# Common options:
#   --jar target/quarkus-app/quarkus-run.jar   the server it starts (free ports; log in --out/server.log)
#   --server-env KEY=VALUE                     extra server environment, repeatable (e.g. SINEWICH_MODEL_PATH=...)
#   --url http://host:8080 --grpc-port 9000 [--pid N]   target a running server instead (pid: RSS readings)
#   --apis rest_native,rest_oip,grpc_native    --sizes 64x64,160x120,320x240 (width x height)
#   --tasks a,b (default: the model's)         --multi-task-share 0.2   --seed 42
#   --out target/bench/load                    JSON and text reports go there
# Exit status: 0 when every property holds, 1 when one fails, 2 on a usage error.
# Needs the packaged jar: mvn -B -ntp -o package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/.."
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
if [ ! -f target/quarkus-app/quarkus-run.jar ]; then
  echo "no target/quarkus-app/quarkus-run.jar: run mvn -B -ntp -o package -DskipTests first" >&2
  exit 2
fi
mkdir -p target/bench
if [ ! -f target/test-classes/dev/sinewich/serve/bench/load/LoadTool.class ]; then
  mvn -B -q -o test-compile
fi
if [ ! -s target/bench/test-classpath.txt ]; then
  mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/test-classpath.txt >/dev/null
fi
CP="target/test-classes:target/classes:$(cat target/bench/test-classpath.txt)"
exec java -Xmx512m -cp "$CP" dev.sinewich.serve.bench.load.LoadTool "$@"
