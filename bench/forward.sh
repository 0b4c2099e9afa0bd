#!/usr/bin/env bash
# Forward-pass benchmark: the Java runtime (DJL + libtorch 2.7.1, CPU) against the PyTorch eager
# reference (Debian python3-torch 1.13 + OpenBLAS), side by side, on a Swin-T-sized random bundle.
#
#   bench/forward.sh                      # from anywhere; works in the repository root
#
# What it does, with no network access:
#   1. checks that /usr/bin/python3 has torch + torchvision and that libblas.so.3 is OpenBLAS;
#   2. makes one bundle per size, target/bench/swin-t-<S> (preset swin-t, model input S x S, seed 0),
#      skipping bundles that already exist (the model's input size is fixed by its bundle);
#   3. compiles (mvn -B -q -o test-compile) and resolves the runtime classpath offline;
#   4. for each size, ROUNDS rounds of: Java forward, PyTorch forward (the order alternates per
#      round so that neither always runs second), each a fresh process with WARMUP untimed and ITERS
#      timed calls, batch BATCH, THREADS intra-op threads, on a fixed seeded random image of S x S;
#   5. prints a table: per size the median over rounds of each round's median, min, and Java/PyTorch.
#
# Settings (environment): SIZES="224 448" ROUNDS=3 THREADS=2 BATCH=1 WARMUP=3 ITERS=10 TASK=semseg
#   PY=/usr/bin/python3  MVN_OFFLINE=-o (set MVN_OFFLINE= to let Maven fetch a missing plugin once)
#   ALLOW_REFERENCE_BLAS=1 (run even though PyTorch uses Debian's slow reference BLAS; not a baseline)
# Raw JSON lines and logs go to target/bench/results-<timestamp>/.
#
# The Java forward derives each task's weights W_t = W + gain * lowpass(sin(omega * M)) inside every
# call; bench_pytorch.py prepares W_t once before timing. See BENCHMARKS.md for a measured reading.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZES=${SIZES:-"224 448"}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
BATCH=${BATCH:-1}
WARMUP=${WARMUP:-3}
ITERS=${ITERS:-10}
TASK=${TASK:-semseg}
PY=${PY:-/usr/bin/python3}
MVN_OFFLINE=${MVN_OFFLINE--o}
APT="apt-get install -y --no-install-recommends python3-torch python3-torchvision libopenblas0-pthread"

die() { echo "forward.sh: $*" >&2; exit 1; }

# 1. prerequisites
if [ ! -x "$PY" ] || ! "$PY" -c 'import torch, torchvision' >/dev/null 2>&1; then
    die "$PY cannot import torch and torchvision (the PyTorch baseline needs them). Install with:
    $APT"
fi
BLAS=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo missing)
case "$BLAS" in
    *openblas*) ;;
    *)
        if [ "${ALLOW_REFERENCE_BLAS:-0}" != 1 ]; then
            die "libblas.so.3 is $BLAS, not OpenBLAS: PyTorch eager would be ~30x slower and no baseline.
Install with:
    $APT
(or set ALLOW_REFERENCE_BLAS=1 to run anyway)"
        fi
        ;;
esac
command -v java >/dev/null || die "java (17+) is not on PATH"
command -v mvn >/dev/null || die "mvn is not on PATH"

mkdir -p target/bench
STAMP=$(date +%Y%m%d-%H%M%S)
OUT="target/bench/results-$STAMP"
mkdir -p "$OUT"

# 2. bundles (one per size; made atomically so that an interrupted run leaves none half-written)
for S in $SIZES; do
    DIR="target/bench/swin-t-$S"
    if [ -f "$DIR/sinewich.json" ] && [ -f "$DIR/model.safetensors" ]; then
        echo "bundle $DIR: present"
        continue
    fi
    echo "bundle $DIR: making (swin-t, ${S}x${S}, seed 0)"
    rm -rf "$DIR.tmp"
    "$PY" tools/reference/make_bundle.py --preset swin-t --input "$S" "$S" --out "$DIR.tmp" --seed 0 >"$OUT/make-bundle-$S.log"
    rm -rf "$DIR"
    mv "$DIR.tmp" "$DIR"
done

# 3. compile and classpath
echo "compiling (mvn -B -q $MVN_OFFLINE test-compile)"
if ! mvn -B -q $MVN_OFFLINE test-compile >"$OUT/mvn.log" 2>&1; then
    cat "$OUT/mvn.log" >&2
    die "compilation failed (log: $OUT/mvn.log). If Maven reports a plugin or dependency missing from
~/.m2 in offline mode, run once with network: MVN_OFFLINE= bench/forward.sh"
fi
if ! mvn -B -q $MVN_OFFLINE dependency:build-classpath -Dmdep.includeScope=runtime \
        -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" >"$OUT/mvn-classpath.log" 2>&1; then
    cat "$OUT/mvn-classpath.log" >&2
    die "could not resolve the classpath offline (log: $OUT/mvn-classpath.log)"
fi
CP="target/test-classes:target/classes:$(cat "$OUT/classpath.txt")"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src has uncommitted changes)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "java: $(java -version 2>&1 | head -1)"
    echo "blas: $BLAS"
    echo "settings: sizes=[$SIZES] rounds=$ROUNDS threads=$THREADS batch=$BATCH warmup=$WARMUP iters=$ITERS task=$TASK"
} | tee "$OUT/machine.txt"

# 4. interleaved runs; each writes one JSON line (stdout's last line) plus the load average around it
run_java() { # size round
    OPT_OUT_TRACKING=true DJL_OFFLINE=true java -cp "$CP" \
        -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
        -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 \
        dev.sinewich.serve.bench.ForwardBenchmark --bundle "target/bench/swin-t-$1" --size "$1" "$1" \
        --threads "$THREADS" --batch "$BATCH" --warmup "$WARMUP" --iters "$ITERS" --task "$TASK" \
        >"$OUT/java-$1-r$2.out" 2>"$OUT/java-$1-r$2.log"
}
run_python() { # size round
    OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" "$PY" tools/reference/bench_pytorch.py \
        --bundle "target/bench/swin-t-$1" --size "$1" "$1" --threads "$THREADS" --batch "$BATCH" \
        --warmup "$WARMUP" --iters "$ITERS" --task "$TASK" \
        >"$OUT/python-$1-r$2.out" 2>"$OUT/python-$1-r$2.log"
}
one() { # engine size round
    local before after
    before=$(cut -d' ' -f1 /proc/loadavg)
    printf '  %-6s %4s round %s ... ' "$1" "$2" "$3"
    if ! "run_$1" "$2" "$3"; then
        echo "FAILED"
        tail -20 "$OUT/$1-$2-r$3.log" >&2
        die "$1 run failed (log: $OUT/$1-$2-r$3.log)"
    fi
    after=$(cut -d' ' -f1 /proc/loadavg)
    tail -1 "$OUT/$1-$2-r$3.out" >"$OUT/$1-$2-r$3.json"
    echo "$before $after" >"$OUT/$1-$2-r$3.load"
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("forward median %.1f ms (load %s)" % (d["forward_ms"]["median"], sys.argv[2]))' \
        "$OUT/$1-$2-r$3.json" "$before -> $after"
}
for S in $SIZES; do
    echo "size ${S}x${S}:"
    for R in $(seq 1 "$ROUNDS"); do
        if [ $((R % 2)) -eq 1 ]; then one java "$S" "$R"; one python "$S" "$R"
        else one python "$S" "$R"; one java "$S" "$R"; fi
    done
done

# 5. table
"$PY" - "$OUT" "$ROUNDS" "$SIZES" <<'EOF' | tee "$OUT/table.md"
import json, statistics, sys
out, rounds, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()

def load(engine, s):
    runs = []
    for r in range(1, rounds + 1):
        with open(f"{out}/{engine}-{s}-r{r}.json") as f:
            d = json.load(f)
        with open(f"{out}/{engine}-{s}-r{r}.load") as f:
            d["load"] = [float(x) for x in f.read().split()]
        runs.append(d)
    return runs

def med(runs, key):
    vals = [r[key]["median"] for r in runs if r.get(key)]
    return statistics.median(vals) if vals else None

def fmt(v):
    return "n/a" if v is None else f"{v:.1f}"

print()
print("| size | PyTorch eager forward (ms) | Java forward (ms) | Java / PyTorch | PyTorch min | Java min "
      "| PyTorch backbone only | Java backbone only (incl. W_t derivation) | per-round medians PyTorch; Java | load avg |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
verdicts = []
for s in sizes:
    py, jv = load("python", s), load("java", s)
    pm, jm = med(py, "forward_ms"), med(jv, "forward_ms")
    ratio = jm / pm
    pmin = min(r["forward_ms"]["min"] for r in py)
    jmin = min(r["forward_ms"]["min"] for r in jv)
    loads = [x for r in py + jv for x in r["load"]]
    rounds_txt = ", ".join(fmt(r["forward_ms"]["median"]) for r in py) + "; " + \
        ", ".join(fmt(r["forward_ms"]["median"]) for r in jv)
    print(f"| {s}x{s} | {fmt(pm)} | {fmt(jm)} | {ratio:.2f} | {fmt(pmin)} | {fmt(jmin)} "
          f"| {fmt(med(py, 'backbone_only_ms'))} | {fmt(med(jv, 'backbone_only_ms'))} | {rounds_txt} "
          f"| {min(loads):.2f}-{max(loads):.2f} |")
    verdicts.append(f"{s}x{s}: Java/PyTorch = {ratio:.2f} (min/min {jmin / pmin:.2f}) -> goal <= 1.10 "
                    + ("met" if ratio <= 1.10 else "NOT met"))
print()
py0 = load("python", sizes[0])[0]
jv0 = load("java", sizes[0])[0]
print(f"PyTorch: {py0['engine']}, blas {py0['blas']}; Java: {jv0['engine']}, {jv0['java']}")
print(f"medians are the median over rounds of each run's median of {py0['iters']} timed calls "
      f"(after {py0['warmup']} warm-up), batch {py0['batch']}, threads {py0['threads']}, task {py0['task']}")
for v in verdicts:
    print(v)
EOF
echo "raw results: $OUT"
