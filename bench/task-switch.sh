#!/usr/bin/env bash
# Task-switching benchmark (see BENCHMARKS.md): switch overhead per kernel policy, adapter
# overhead, mixed-task batching, multi-task requests (one JVM, runs interleaved), and resident
# memory by policy and task count (one fresh JVM per configuration).
#
#   bench/task-switch.sh [SIZE] [ITERS]      (defaults: 224 15; Swin-T-sized bundle, 4 tasks, 2 threads)
#   ENGINE=onnxruntime|pytorch (default onnxruntime) picks the engine every model of the run uses.
#
# Needs /usr/bin/python3 with Debian's python3-torch to generate the bundle once (into target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-224}"
ITERS="${2:-15}"
OUT=target/bench
BUNDLE="$OUT/swin-t-$SIZE"
mkdir -p "$OUT"
if [ ! -f "$BUNDLE/model.safetensors" ]; then
  /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null || {
    echo "needs Debian python3-torch: apt-get install -y --no-install-recommends python3-torch python3-torchvision libopenblas0-pthread" >&2
    exit 1
  }
  /usr/bin/python3 tools/reference/make_bundle.py --preset swin-t --input "$SIZE" "$SIZE" --out "$BUNDLE" --seed 0
fi
mvn -B -q -o test-compile
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$OUT/classpath.txt" >/dev/null
CP="target/test-classes:target/classes:$(cat "$OUT/classpath.txt")"
MAIN=dev.sinewich.serve.bench.TaskSwitchBenchmark
echo "== ratios (one JVM, interleaved) =="
ENGINE="${ENGINE:-onnxruntime}"
echo "engine: $ENGINE"
java --add-opens java.base/java.lang=ALL-UNNAMED -cp "$CP" "$MAIN" --bundle "$BUNDLE" --iters "$ITERS" --threads 2 --engine "$ENGINE" 2>/dev/null
echo "== resident memory (fresh JVM each) =="
for config in "on-the-fly 1 1" "on-the-fly 4 1" "cache 1 1" "cache 4 1" "on-the-fly 1 4"; do
  java --add-opens java.base/java.lang=ALL-UNNAMED -cp "$CP" "$MAIN" --bundle "$BUNDLE" --threads 2 --engine "$ENGINE" --memory $config 2>/dev/null
done
