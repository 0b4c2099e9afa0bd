#!/usr/bin/env bash
# Sizing numbers for docs/DEPLOY.md: starts the packaged server exactly as the image does
# (docker/extract-libtorch.sh, then docker/start.sh) on a Swin-T-sized bundle, once per kernel
# policy, and reports the time to ready, the model's resident memory as the server reports it
# (GET /v1/models/{name}: memory), the process's resident set after every task has run, and the
# latency of single requests at the bundle's input size.
#
#   bench/deploy-sizing.sh [SIZE] [REQUESTS]    (defaults: 224 8; needs target/quarkus-app)
#
# Needs /usr/bin/python3 with Debian's python3-torch to generate the bundle once (into target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-224}"
REQUESTS="${2:-8}"
OUT=target/bench
BUNDLE="$OUT/swin-t-$SIZE"
mkdir -p "$OUT"
if [ ! -f "$BUNDLE/model.safetensors" ]; then
  /usr/bin/python3 tools/reference/make_bundle.py --preset swin-t --input "$SIZE" "$SIZE" --out "$BUNDLE" --seed 0
fi
sh docker/extract-libtorch.sh target/quarkus-app "$OUT/libtorch" >/dev/null
name="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).name)' "$BUNDLE/sinewich.json")"

for policy in cache on-the-fly; do
  log="$OUT/sizing-$policy.log"
  start=$(date +%s.%N)
  SINEWICH_APP_DIR=target/quarkus-app SINEWICH_LIBTORCH_DIR="$OUT/libtorch" SINEWICH_MODEL_PATH="$BUNDLE" \
    SINEWICH_KERNELS_POLICY="$policy" QUARKUS_HTTP_PORT=18681 QUARKUS_GRPC_SERVER_PORT=18682 QUARKUS_MANAGEMENT_PORT=18683 \
    docker/start.sh > "$log" 2>&1 &
  pid=$!
  trap 'kill -TERM "$pid" 2>/dev/null || true' EXIT
  until node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      http://127.0.0.1:18683/q/health/ready; do
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.5
  done
  ready=$(node -e "console.log(($(date +%s.%N) - $start).toFixed(1))")
  node --input-type=module - "$name" "$SIZE" "$REQUESTS" "$policy" "$ready" "$pid" <<'JS'
import { readFileSync } from "node:fs";
const [name, size, requests, policy, ready, pid] = process.argv.slice(2);
const base = "http://127.0.0.1:18681";
const n = Number(size);
const data = Array.from({ length: n * n * 3 }, (_, i) => (i * 37) % 256);
const mib = (b) => (b / 1048576).toFixed(1);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const model = await (await fetch(`${base}/v1/models/${name}`)).json();
const tasks = model.tasks.map((t) => t.name);
const times = [];
for (let r = 0; r < Number(requests); r++) {
  for (const task of tasks) {
    const t0 = performance.now();
    const res = await fetch(`${base}/v2/models/${name}/infer`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ parameters: { task }, inputs: [{ name: "image", datatype: "UINT8", shape: [1, n, n, 3], data }] }) });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${task}: ${res.status}`);
    if (r > 0) times.push(performance.now() - t0);
  }
}
times.sort((a, b) => a - b);
const rssSingle = rss();
// a burst of concurrent requests, tasks mixed, so that the scheduler fills whole batches
const infer = (task) => fetch(`${base}/v2/models/${name}/infer`, { method: "POST", headers: { "content-type": "application/json" },
  body: JSON.stringify({ parameters: { task }, inputs: [{ name: "image", datatype: "UINT8", shape: [1, n, n, 3], data }] }) })
  .then((r) => r.arrayBuffer().then(() => r.status));
const b0 = performance.now();
const burst = await Promise.all(Array.from({ length: 16 }, (_, i) => infer(tasks[i % tasks.length])));
const burstMs = performance.now() - b0;
if (burst.some((s) => s !== 200)) throw new Error(`burst: ${burst}`);
const metrics = await (await fetch("http://127.0.0.1:18683/q/metrics")).text();
const rows = /^sinewich_batch_rows_max\S* (\S+)$/m.exec(metrics);
const after = await (await fetch(`${base}/v1/models/${name}`)).json();
const m = after.memory;
console.log(JSON.stringify({ policy, size: n, ready_s: Number(ready), tasks: tasks.length,
  model_mib: { backbone: mib(m.backbone), fused_kernels: mib(m.fused_kernels), decoder: mib(m.decoder),
    task_weight_cache: mib(m.task_weight_cache), total: mib(m.total) },
  rss_mib_after_single_requests: rssSingle.toFixed(0), rss_mib_after_burst: rss().toFixed(0),
  request_ms_p50: times[Math.floor(times.length / 2)].toFixed(1), request_ms_max: times[times.length - 1].toFixed(1),
  burst_16_ms: burstMs.toFixed(0), largest_batch_rows: rows ? Number(rows[1]) : null }));
JS
  kill -TERM "$pid"; wait "$pid" || true
done
