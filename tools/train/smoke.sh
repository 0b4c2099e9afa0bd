#!/usr/bin/env bash
# End-to-end check of the trainer on a CPU in a few minutes (docs/TRAINING.md, "What is verified"):
#
#   tools/train/smoke.sh OUT_DIR
#
#  0. the unit tests of the trainer's parts (tools/train/test_train.py);
#  1. tiny PASCAL_MT- and NYUD_MT-layout data sets from procedural scenes (tools/datasets/tiny_layouts.py),
#     and their val splits converted to sinewich-dataset/v1 (tools/datasets/to_sinewich.py);
#  2. PASCAL: two ranks under torchrun (gloo) from a torchvision-named backbone checkpoint, two stages,
#     replicas compared bit for bit after every step; the same run halted mid-epoch after 8 steps, its
#     processes killed with SIGKILL and the command rerun: it resumes from the checkpoint and must end
#     with exactly the weights of the uninterrupted run;
#  3. NYUD: two ranks, one stage, one task per step, gradient accumulation;
#  4. every bundle was checked by the trainer against tools/reference/sinewich_ref.py before it was
#     written (max |diff| <= 1e-4, read back here from model_card.json);
#  5. the PASCAL bundle is evaluated on the converted data by the Python reference evaluator and, when
#     the packaged application exists (target/quarkus-app, made by `mvn package`), by the server's
#     evaluator on that classpath (never built here); the metrics must agree with the trainer's. With
#     the packaged application the server is also started on the bundle, and its outputs for the
#     export's held-out images (OIP REST, FP32) must equal the trained network's within 1e-4.
# The PASCAL bundle ends up in OUT_DIR/bundle. Exit status 0 only when every check holds. PYTHON
# picks the interpreter (default Debian's /usr/bin/python3); GPUs are hidden, the check runs on CPUs.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "$1" && cd "$1" && pwd)"
py="${PYTHON:-/usr/bin/python3}"  # any Python with torch, torchvision, scipy and scikit-image
export CUDA_VISIBLE_DEVICES=""     # CPUs and gloo, also on a GPU node
cd "$root"
start=$(date +%s)
step() { echo "== smoke: $* ($(( $(date +%s) - start )) s)"; }
# torchrun (through the wrapper that fixes Debian's PyTorch 1.13 on Python 3.11) with two processes on a
# port the OS picks free for each launch
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
torchrun() { "$py" -B tools/train/torchrun.py --nproc_per_node 2 --master_addr 127.0.0.1 --master_port "$(free_port)" "$@"; }
rm -rf "$out/data" "$out/runs" "$out/bundle" "$out/eval"
mkdir -p "$out/runs" "$out/eval"

step "unit tests (tools/train/test_train.py)"
"$py" -B tools/train/test_train.py

step "data sets in the PASCAL_MT and NYUD_MT layouts"
"$py" -B tools/datasets/tiny_layouts.py --out "$out/data" --train 12 --val 4 --size 48 64
"$py" -B tools/datasets/to_sinewich.py pascal "$out/data/pascal" --split val --out "$out/data/pascal-v1" \
  --normals-valid-classes "db_info:$out/data/pascal/db_info"
"$py" -B tools/datasets/to_sinewich.py nyud "$out/data/nyud" --split val --out "$out/data/nyud-v1"
"$py" -B tools/train/smoke_check.py backbone tools/train/configs/smoke_pascal.json "$out/data/backbone.pth"

pascal=(--config tools/train/configs/smoke_pascal.json
  --set "data.train.root=$out/data/pascal" --set "data.val.root=$out/data/pascal"
  --set "data.train.normals_valid_classes=db_info:$out/data/pascal/db_info"
  --set "data.val.normals_valid_classes=db_info:$out/data/pascal/db_info"
  --set "init.backbone_checkpoint=$out/data/backbone.pth")

step "PASCAL, 2 ranks, uninterrupted"
torchrun tools/train/train.py "${pascal[@]}" --out "$out/runs/pascal"

step "PASCAL, 2 ranks, halted after 8 steps and killed"
setsid "$py" -B tools/train/torchrun.py --nproc_per_node 2 --master_addr 127.0.0.1 --master_port "$(free_port)" \
  tools/train/train.py "${pascal[@]}" --out "$out/runs/pascal-killed" --halt-after-steps 8 &
job=$!
for _ in $(seq 600); do
  [[ -f "$out/runs/pascal-killed/halted" ]] && break
  kill -0 "$job" 2>/dev/null || { echo "smoke: the run to be killed ended on its own" >&2; exit 1; }
  sleep 0.2
done
[[ -f "$out/runs/pascal-killed/halted" ]] || { echo "smoke: the run never reached step 8" >&2; exit 1; }
kill -KILL -- "-$job"
wait "$job" 2>/dev/null || true
echo "killed (SIGKILL) at: $(cat "$out/runs/pascal-killed/checkpoint.json")"
rm "$out/runs/pascal-killed/halted"

step "PASCAL, resumed from the checkpoint"
torchrun tools/train/train.py "${pascal[@]}" --out "$out/runs/pascal-killed"
grep -q "resuming from" "$out/runs/pascal-killed/train.log" || { echo "smoke: the rerun did not resume" >&2; exit 1; }
"$py" -B tools/train/smoke_check.py same-weights "$out/runs/pascal/bundle" "$out/runs/pascal-killed/bundle"

step "NYUD, 2 ranks, round robin, accumulation 2, Δm against a baseline report"
echo '{"tasks": {"depth": {"rmse": 10.0}, "normals": {"mean": 90.0}}}' > "$out/eval/baseline.json"
torchrun tools/train/train.py --config tools/train/configs/smoke_nyud.json \
  --set "data.train.root=$out/data/nyud" --set "data.val.root=$out/data/nyud" --out "$out/runs/nyud" \
  --baseline "$out/eval/baseline.json"

step "export checks and evaluation"
"$py" -B tools/train/smoke_check.py card "$out/runs/pascal/bundle"
"$py" -B tools/train/smoke_check.py card "$out/runs/nyud/bundle"
cp -r "$out/runs/pascal/bundle" "$out/bundle"
"$py" -B tools/train/evaluate.py --bundle "$out/bundle" --data "$out/data/pascal-v1" > "$out/eval/reference.json"
app="$root/target/quarkus-app"
java_report=()
if [[ -f "$app/quarkus-run.jar" ]]; then
  DJL_OFFLINE=true OPT_OUT_TRACKING=true java --add-opens java.base/java.lang=ALL-UNNAMED -Dai.djl.offline=true -cp "$app/app/*:$app/lib/main/*:$app/lib/boot/*" \
    dev.sinewich.serve.evaluation.EvaluateCommand --model "$out/bundle" --data "$out/data/pascal-v1" \
    --out "$out/eval/server.json"
  java_report=("$out/eval/server.json")
  # the server itself, started on the bundle: its OIP REST outputs against the trained network's own
  read -r http_port grpc_port management_port < <("$py" -c 'import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
  model=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$out/bundle/sinewich.json")
  SINEWICH_MODEL_PATH="$out/bundle" QUARKUS_HTTP_PORT="$http_port" QUARKUS_GRPC_SERVER_PORT="$grpc_port" \
    QUARKUS_MANAGEMENT_PORT="$management_port" DJL_OFFLINE=true OPT_OUT_TRACKING=true \
    java -Dai.djl.offline=true -jar "$app/quarkus-run.jar" > "$out/eval/server.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null || true' EXIT
  "$py" -c 'import sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2); sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("smoke: the server on the trained bundle did not become ready")' "http://127.0.0.1:$http_port/v2/health/ready" \
    || { tail -20 "$out/eval/server.log" >&2; exit 1; }
  "$py" -B tools/train/smoke_check.py server "http://127.0.0.1:$http_port" "$model" "$out/runs/pascal/bundle.check.npz"
  kill "$server"
  wait "$server" 2>/dev/null || true
else
  echo "smoke: no packaged application in target/quarkus-app: the server's evaluator is skipped (run mvn package)"
fi
"$py" -B tools/train/smoke_check.py metrics "$out/bundle/model_card.json" "$out/eval/reference.json" "${java_report[@]}"
step "all checks passed; bundle in $out/bundle"
