#!/usr/bin/env bash
# Cold start of the CPU image as KServe starts it after a scale from zero: the time from
# `docker run` to the first 200 of /v2/health/ready (the ServingRuntime's readiness probe), with
# the KServe arguments (--model_name, --model_dir=/mnt/models, --http_port, --grpc_port), a
# read-only root filesystem and the bundle in a read-only /mnt/models. Two models: the default
# bundle shipped in the image (no --model_dir), and a Swin-T-sized bundle (tools/reference/
# make_bundle.py --preset swin-t, 224², made once into target/bench). Also splits each start into
# the JVM and Quarkus start and the model's load and warm-up, from the server's own log.
#
#   bench/coldstart.sh [ROUNDS]      (default 3; needs the image sinewich-serve:ci that
#                                     .ci/image/run.sh builds, and its Docker daemon)
#
# Not counted (they depend on the cluster, not the server): scheduling the pod, pulling the image
# (about 1 GiB), the storage initializer's download of the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
OUT=target/bench/coldstart
IMAGE=sinewich-serve:ci
NAME=sinewich-coldstart
BUNDLE=target/bench/swin-t-224
mkdir -p "$OUT"
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "coldstart: build $IMAGE first (.ci/image/run.sh)" >&2; exit 2; }
if [ ! -f "$BUNDLE/model.safetensors" ]; then
  /usr/bin/python3 tools/reference/make_bundle.py --preset swin-t --input 224 224 --out "$BUNDLE" --seed 0
fi
chmod -R a+rX "$BUNDLE"
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true' EXIT

# run_once LABEL [docker options...] -- [server args...]: prints "total_ms quarkus_s load_ms"
run_once() {
  local label="$1"; shift
  local opts=() args=()
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done; shift
  args=("$@")
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  local t0 t1
  t0=$(date +%s%3N)
  docker run -d --name "$NAME" --network host --read-only --tmpfs /tmp "${opts[@]}" "$IMAGE" \
    --http_port=18780 --grpc_port=18781 "${args[@]}" >/dev/null
  until curl -fs http://127.0.0.1:18780/v2/health/ready >/dev/null 2>&1; do
    sleep 0.05
    if [ $(( $(date +%s%3N) - t0 )) -gt 300000 ]; then docker logs "$NAME" | tail -20 >&2; exit 1; fi
  done
  t1=$(date +%s%3N)
  docker logs "$NAME" >"$OUT/$label.log" 2>&1
  local quarkus load
  quarkus=$(grep -oE 'started in [0-9.]+s' "$OUT/$label.log" | grep -oE '[0-9.]+' | head -1)
  load=$(grep -oE 'Loaded model .* in [0-9]+ ms' "$OUT/$label.log" | grep -oE '[0-9]+ ms' | grep -oE '[0-9]+' | head -1)
  echo "$(( t1 - t0 )) ${quarkus:-?} ${load:-?}"
  docker rm -f "$NAME" >/dev/null
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "| model | round | docker run → ready (ms) | Quarkus 'started in' (s) | model load + warm-up (ms) |"
echo "| --- | --- | --- | --- | --- |"
for label in default swin-t-224; do
  : >"$OUT/$label.totals"
  for r in $(seq 1 "$ROUNDS"); do
    if [ "$label" = default ]; then
      line=$(run_once "$label-$r" -e QUARKUS_MANAGEMENT_PORT=18782 -- --model_name=sinewich-demo)
    else
      line=$(run_once "$label-$r" -e QUARKUS_MANAGEMENT_PORT=18782 -v "$PWD/$BUNDLE:/mnt/models:ro" -- \
        --model_name=sinewich-demo --model_dir=/mnt/models)
    fi
    read -r total quarkus load <<<"$line"
    echo "$total" >>"$OUT/$label.totals"
    echo "| $label | $r | $total | $quarkus | $load |"
  done
  echo "| $label | **median** | **$(median <"$OUT/$label.totals")** | | |"
done
