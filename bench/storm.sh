#!/usr/bin/env bash
# Memory under a storm of oversized requests (see BENCHMARKS.md, "Memory under a storm").
#
#   bench/storm.sh          # from the repository root, after mvn -B -ntp -o package -DskipTests
#
# Starts the packaged server on its embedded default model with the heap the Helm chart gives it
# (HEAP, default 2g: the chart's 4Gi memory limit at -XX:MaxRAMPercentage=50) and its default limits,
# then runs bench/storm_client.py (CLIENTS threads for DURATION seconds, a mix of 4096x4096 PNG uploads on
# every REST route, 48 MiB FP32 tensors and small good requests) while sampling the server's VmRSS
# every 100 ms. Afterwards: RSS 5 s after the storm, RSS after a full GC (jcmd GC.run), the live
# NDArray / native manager counts against their idle figures, the memory budget's bytes in use,
# and whether a good request and readiness are still answered. Writes target/bench/storm-*/storm.json.
#
# Beside it, GRPC_CLIENTS Node clients (bench/storm_grpc.mjs) send OIP ModelInfer calls over gRPC:
# a 4096x4096 PNG as BYTES and 48 MiB FP32 tensors.
# Settings: CLIENTS=32 GRPC_CLIENTS=16 DURATION=60 (seconds; not SECONDS, which bash itself keeps) HEAP=2g KINDS (storm_client.py kinds, comma-separated; default all) EXTRA_ENV (more VAR=value for the server, space-separated)
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-32}
GRPC_CLIENTS=${GRPC_CLIENTS:-16}
SECONDS_RUN=${DURATION:-60}
HEAP=${HEAP:-2g}
OUT=target/bench/storm-$(date +%Y%m%d-%H%M%S)
[ -f target/quarkus-app/quarkus-run.jar ] || { echo "storm.sh: run mvn -B -ntp -o package -DskipTests first" >&2; exit 2; }
mkdir -p "$OUT"
# shellcheck source=.ci/lib/free-ports.sh disable=SC1091
source .ci/lib/free-ports.sh
read -r http_port grpc_port management_port < <(free_ports 3)
# shellcheck disable=SC2086 # EXTRA_ENV is a list of assignments
env QUARKUS_HTTP_PORT="$http_port" QUARKUS_GRPC_SERVER_PORT="$grpc_port" QUARKUS_MANAGEMENT_PORT="$management_port" DJL_OFFLINE=true ${EXTRA_ENV:-} \
  java "-Xmx$HEAP" -XX:+ExitOnOutOfMemoryError -jar target/quarkus-app/quarkus-run.jar >"$OUT/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$management_port/q/health/ready" >/dev/null && break
  sleep 0.5
done
base="http://127.0.0.1:$http_port"
model=$(curl -sf "$base/v1/models" | python3 -c "import json,sys; d=json.load(sys.stdin); print((d['models'] if isinstance(d, dict) else d)[0]['name'])")
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status"; }
metric() { curl -sf "http://127.0.0.1:$management_port/q/metrics" | awk -v m="$1" '$1 == m && !seen {print $2; seen = 1}'; }
good() {
  python3 - "$http_port" "$model" <<'PY'
import sys, http.client
sys.path.insert(0, "bench")
import storm_client as s
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("POST", "/v2/models/%s/infer" % sys.argv[2], body=s.oip_bytes([s.png(64, 64)], "depth"),
          headers={"Content-Type": "application/json"})
print(c.getresponse().status)
PY
}
good >/dev/null
idle_rss=$(rss); idle_arrays=$(metric sinewich_ndarrays_live); idle_managers=$(metric sinewich_native_managers_live)
( while kill -0 "$pid" 2>/dev/null; do rss >> "$OUT/rss.txt" || true; sleep 0.1; done ) &
sampler=$!
[ -d .ci/grpc-client/node_modules ] || (cd .ci/grpc-client && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
start=$(date +%s)
node bench/storm_grpc.mjs "127.0.0.1:$grpc_port" "$model" "$GRPC_CLIENTS" "$SECONDS_RUN" > "$OUT/grpc.json" &
grpc_client=$!
python3 bench/storm_client.py --port "$http_port" --model "$model" --clients "$CLIENTS" --seconds "$SECONDS_RUN" \
  --kinds "${KINDS:-}" \
  > "$OUT/client.json"
wait "$grpc_client"
took=$(( $(date +%s) - start ))
sleep 5
alive=yes; kill -0 "$pid" 2>/dev/null || alive=no
after_rss=$(rss || echo 0)
budget=$(metric sinewich_inflight_tensor_bytes || true)
jcmd "$pid" GC.run >/dev/null 2>&1 || true
sleep 2
gc_rss=$(rss || echo 0)
kill "$sampler" 2>/dev/null || true
arrays=$(metric sinewich_ndarrays_live); managers=$(metric sinewich_native_managers_live)
good_status=$(good)
ready=$(curl -s -o /dev/null -w '%{http_code}' "$base/v2/health/ready")
peak=$(sort -n "$OUT/rss.txt" | tail -1)
traces=$(grep -c '^\s*at ' "$OUT/server.log" || true)
python3 - "$OUT" <<PY
import json, sys
out = sys.argv[1]
client = json.load(open(out + "/client.json"))
client.update(json.load(open(out + "/grpc.json")))
report = {"heap": "$HEAP", "clients": $CLIENTS, "seconds": $took, "server_alive": "$alive" == "yes",
          "rss_mib": {"idle": $idle_rss, "peak": $peak, "after_5s": $after_rss, "after_full_gc": $gc_rss},
          "ndarrays_live": {"idle": "$idle_arrays", "after": "$arrays"},
          "native_managers_live": {"idle": "$idle_managers", "after": "$managers"},
          "tensor_budget_bytes_in_use_after": "$budget", "good_request_after": $good_status,
          "ready_after": $ready, "stack_trace_lines_in_log": $traces, **client}
json.dump(report, open(out + "/storm.json", "w"), indent=1)
print(json.dumps(report, indent=1))
PY
