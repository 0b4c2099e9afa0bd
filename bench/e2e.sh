#!/usr/bin/env bash
# End-to-end latency through the server against the bare forward of the same network, side by side.
#
#   bench/e2e.sh            # from the repository root, after mvn -B -ntp -o package -DskipTests
#
# Per round (ROUNDS, default 3), in rotating order:
#   - bare: dev.sinewich.serve.bench.ForwardBenchmark on the bundle (engine ENGINE, cache policy,
#     batch 1, THREADS intra-op threads), the median of ITERS timed forwards;
#   - server: the packaged server on the same bundle (SINEWICH_MODEL_ENGINE=ENGINE,
#     SINEWICH_INFERENCE_THREADS=THREADS) and ONE closed-loop client sending Open Inference Protocol
#     REST requests with the binary tensor extension (a UINT8 SIZE x SIZE image, task TASK); the p50
#     of the round trips. CLIENT=python (default): bench/e2e_client.py, one keep-alive connection,
#     REQUESTS requests after 10 warm-up ones, a client that costs little on the shared cores;
#     CLIENT=load: bench/load.sh's generator (a second JVM) for DURATION seconds.
# Prints each round and the median over rounds of server p50 / bare median. Client and server share
# the machine's cores; the ratio includes HTTP, JSON, queueing and the scheduler's batching delay
# (SINEWICH_INFERENCE_MAX_DELAY, default as configured).
#
# Settings: SIZE=224 ROUNDS=3 THREADS=2 ENGINE=onnxruntime TASK=semseg CLIENT=python REQUESTS=150
#   DURATION=20 (seconds, CLIENT=load; not SECONDS, which bash itself keeps) ITERS=20
#   BUNDLE=target/bench/swin-t-$SIZE (made with tools/reference/make_bundle.py --preset swin-t when absent)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-224}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
ENGINE=${ENGINE:-onnxruntime}
TASK=${TASK:-semseg}
SECONDS_RUN=${DURATION:-20}
CLIENT=${CLIENT:-python}
REQUESTS=${REQUESTS:-150}
ITERS=${ITERS:-20}
BUNDLE=${BUNDLE:-target/bench/swin-t-$SIZE}
OUT=target/bench/e2e-$(date +%Y%m%d-%H%M%S)
export DJL_OFFLINE=true OPT_OUT_TRACKING=true

[ -f target/quarkus-app/quarkus-run.jar ] || { echo "e2e.sh: run mvn -B -ntp -o package -DskipTests first" >&2; exit 2; }
if [ ! -f "$BUNDLE/sinewich.json" ]; then
  /usr/bin/python3 tools/reference/make_bundle.py --preset swin-t --input "$SIZE" "$SIZE" --out "$BUNDLE" --seed 0
fi
mkdir -p "$OUT" target/bench
[ -f target/test-classes/dev/sinewich/serve/bench/ForwardBenchmark.class ] || mvn -B -q -o test-compile
if [ ! -s target/bench/test-classpath.txt ]; then
  mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/test-classpath.txt >/dev/null
fi
CP="target/test-classes:target/classes:$(cat target/bench/test-classpath.txt)"

bare() {
  java --add-opens java.base/java.lang=ALL-UNNAMED -cp "$CP" dev.sinewich.serve.bench.ForwardBenchmark --bundle "$BUNDLE" --size "$SIZE" "$SIZE" \
    --threads "$THREADS" --batch 1 --warmup 5 --iters "$ITERS" --task "$TASK" --kernels cache --engine "$ENGINE" \
    2>"$OUT/bare-$1.log" | tee "$OUT/bare-$1.json" >/dev/null
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['forward_ms']['median'])" "$OUT/bare-$1.json"
}

server() {
  if [ "$CLIENT" = python ]; then
    server_python "$1"
    return
  fi
  bench/load.sh load --clients 1 --duration "$SECONDS_RUN" --apis rest_oip --sizes "${SIZE}x${SIZE}" \
    --tasks "$TASK" --multi-task-share 0 --out "$OUT/server-$1" \
    --server-env "SINEWICH_MODEL_PATH=$BUNDLE" --server-env "SINEWICH_MODEL_ENGINE=$ENGINE" \
    --server-env "SINEWICH_INFERENCE_THREADS=$THREADS" --server-env "SINEWICH_KERNELS_PRELOAD=$TASK" \
    >"$OUT/server-$1.log" 2>&1 || { tail -20 "$OUT/server-$1.log" >&2; exit 1; }
  python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
def find(o):
    if isinstance(o, dict):
        if 'p50' in o: return o['p50']
        for v in o.values():
            r=find(v)
            if r is not None: return r
    if isinstance(o, list):
        for v in o:
            r=find(v)
            if r is not None: return r
print(find(d))" "$OUT/server-$1/load.json"
}

# The packaged server on free ports, the Python client, then SIGTERM.
server_python() {
  # shellcheck source=.ci/lib/free-ports.sh disable=SC1091
  source .ci/lib/free-ports.sh
  read -r http_port grpc_port management_port < <(free_ports 3)
  SINEWICH_MODEL_PATH="$BUNDLE" SINEWICH_MODEL_ENGINE="$ENGINE" SINEWICH_INFERENCE_THREADS="$THREADS" \
    SINEWICH_KERNELS_PRELOAD="$TASK" QUARKUS_HTTP_PORT="$http_port" QUARKUS_GRPC_SERVER_PORT="$grpc_port" QUARKUS_MANAGEMENT_PORT="$management_port" \
    java -jar target/quarkus-app/quarkus-run.jar >"$OUT/server-$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$management_port/q/health/ready" >/dev/null && break
    sleep 0.5
  done
  local model
  model=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['name'])" "$BUNDLE/sinewich.json")
  python3 bench/e2e_client.py --port "$http_port" --model "$model" --size "$SIZE" --task "$TASK" \
    --requests "$REQUESTS" > "$OUT/server-$1.json" || { kill "$pid"; tail -20 "$OUT/server-$1.log" >&2; exit 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['p50'])" "$OUT/server-$1.json"
}

echo "bundle $BUNDLE, engine $ENGINE, $THREADS threads, task $TASK, $SIZE x $SIZE, one client; results in $OUT"
ratios=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then b=$(bare "$r"); s=$(server "$r"); else s=$(server "$r"); b=$(bare "$r"); fi
  ratio=$(python3 -c "print(round($s / $b, 3))")
  ratios+=("$ratio")
  echo "round $r: bare forward median $b ms, server p50 $s ms, ratio $ratio"
done
python3 -c "import statistics,sys; print('median ratio (server p50 / bare forward):', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
