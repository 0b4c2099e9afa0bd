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
#   4. for each size, ROUNDS rounds in which every engine runs once: PyTorch eager
#      (tools/reference/bench_pytorch.py) and the Java forward (dev.sinewich.serve.bench.ForwardBenchmark)
#      with each task-kernel policy in KERNELS. The order rotates from round to round so that no engine
#      always runs first or last. Each run is a fresh process: WARMUP untimed and ITERS timed calls,
#      batch BATCH, THREADS intra-op threads, a fixed seeded random image of S x S, task TASK;
#   5. prints a table: per size and Java policy, the median over rounds of each run's median (rounds
#      disturbed by other processes left out, see below), the fastest call, and Java / PyTorch.
#
# Java task-kernel policies (KERNELS): "on-the-fly" derives W_t = W + gain * lowpass(sin(omega * M))
# inside every call (the default of SinewichModel.load); "cache" materialises the task's W_t at load,
# as bench_pytorch.py does before it times (so "cache" is the like-for-like comparison).
#
# The machine may be shared: before each run the script waits (at most QUIET_MAX seconds) until the
# CPUs were at most QUIET_BUSY % busy over one second, and it records with every run that figure, the
# load average and the share of the machine's CPU time that other processes used while it ran
# ("foreign CPU"). The table leaves out rounds with more than QUIET_FOREIGN % foreign CPU when a
# quiet round remains, and also shows the figures over all rounds.
#
#   bench/forward.sh --table target/bench/results-<timestamp>   # reprint a finished run's table
#
# Settings (environment): SIZES="224 448" ROUNDS=3 THREADS=2 BATCH=1 WARMUP=3 ITERS=10 TASK=semseg
#   KERNELS="on-the-fly cache"  QUIET_BUSY=20 QUIET_MAX=300 QUIET_FOREIGN=10
#   PY=/usr/bin/python3  MVN_OFFLINE=-o (set MVN_OFFLINE= to let Maven fetch a missing plugin once)
#   ALLOW_REFERENCE_BLAS=1 (run even though PyTorch uses Debian's slow reference BLAS; not a baseline)
# Raw JSON lines and logs go to target/bench/results-<timestamp>/. BENCHMARKS.md has a measured reading.
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
KERNELS=${KERNELS:-"on-the-fly cache"}
QUIET_BUSY=${QUIET_BUSY:-20}
QUIET_MAX=${QUIET_MAX:-300}
PY=${PY:-/usr/bin/python3}
MVN_OFFLINE=${MVN_OFFLINE--o}
APT="apt-get install -y --no-install-recommends python3-torch python3-torchvision libopenblas0-pthread"

die() { echo "forward.sh: $*" >&2; exit 1; }

# The table, from a results folder's raw files. Each figure is the median over rounds of each run's
# median; rounds in which other processes used more than QUIET_FOREIGN % of the machine are left out
# when at least one quiet round remains (the "rounds used" column says how many were kept).
table() {
    "$PY" - "$1" "${QUIET_FOREIGN:-10}" <<'EOF' | tee "$1/table.md"
import glob, json, os, re, statistics, sys
out, limit = sys.argv[1], float(sys.argv[2])
runs = {}
for path in glob.glob(f"{out}/*-r*.json"):
    engine, size, rnd = re.match(r"(.+)-(\d+)-r(\d+)\.json$", os.path.basename(path)).groups()
    with open(path) as f:
        d = json.load(f)
    with open(path[:-5] + ".noise") as f:
        d["foreign"] = float(f.read().split()[3])
    d["round"] = int(rnd)
    runs.setdefault((engine, int(size)), []).append(d)
sizes = sorted({s for _, s in runs})
javas = sorted({e for e, _ in runs if e.startswith("java-")}, reverse=True)

def fmt(v):
    return "n/a" if v is None else f"{v:.1f}"

def summary(rs):
    rs = sorted(rs, key=lambda r: r["round"])
    quiet = [r for r in rs if r["foreign"] <= limit]
    used = quiet or rs
    return {"median": statistics.median(r["forward_ms"]["median"] for r in used),
            "used": f"{len(quiet)}/{len(rs)}" + ("" if quiet else " (none quiet: all used)"),
            "all": statistics.median(r["forward_ms"]["median"] for r in rs),
            "min": min(r["forward_ms"]["min"] for r in rs),
            "rounds": ", ".join(f"{r['forward_ms']['median']:.0f} ({r['foreign']:.0f}%)" for r in rs)}

print()
print("| size | Java kernels | PyTorch eager (ms) | Java (ms) | **Java / PyTorch** | quiet rounds PyTorch; Java "
      "| all rounds: PyTorch; Java (ms), ratio | fastest call PyTorch; Java (ms) | Java W_t derivation per call (ms) "
      "| per-round medians in ms (foreign CPU) PyTorch; Java |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
verdicts = []
for s in sizes:
    p = summary(runs[("python", s)])
    for engine in javas:
        if (engine, s) not in runs:
            continue
        j = summary(runs[(engine, s)])
        derive = statistics.median(r.get("kernel_derive_ms_per_call", 0.0) for r in runs[(engine, s)])
        ratio = j["median"] / p["median"]
        print(f"| {s}x{s} | {engine[5:]} | {fmt(p['median'])} | {fmt(j['median'])} | **{ratio:.2f}** | {p['used']}; {j['used']} "
              f"| {fmt(p['all'])}; {fmt(j['all'])}, {j['all'] / p['all']:.2f} | {fmt(p['min'])}; {fmt(j['min'])} "
              f"| {fmt(derive)} | {p['rounds']}; {j['rounds']} |")
        verdicts.append(f"{s}x{s} {engine[5:]}: Java/PyTorch = {ratio:.2f} (all rounds {j['all'] / p['all']:.2f}, "
                        f"fastest call {j['min'] / p['min']:.2f}) -> goal <= 1.10 " + ("met" if ratio <= 1.10 else "NOT met"))
print()
py0 = runs[("python", sizes[0])][0]
jv0 = runs[(javas[0], sizes[0])][0] if javas else {"engine": "?", "java": "?"}
print(f"PyTorch: {py0['engine']}, blas {py0['blas']}; Java: {jv0['engine']}, {jv0['java']}")
print("PyTorch backbone only (torchvision features, W_t prepared), median over rounds: "
      + ", ".join(f"{s}x{s} {fmt(statistics.median(r['backbone_only_ms']['median'] for r in runs[('python', s)]))} ms"
                  for s in sizes))
print(f"each run: median of {py0['iters']} timed calls after {py0['warmup']} warm-up; batch {py0['batch']}, "
      f"threads {py0['threads']}, task {py0['task']}; rounds with foreign CPU > {limit:.0f}% left out where a quiet one exists")
for v in verdicts:
    print(v)
EOF
}
if [ "${1:-}" = --table ]; then
    [ -d "${2:-}" ] || die "usage: bench/forward.sh --table target/bench/results-<timestamp>"
    table "$2"
    exit 0
fi

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
for k in $KERNELS; do
    case "$k" in on-the-fly|cache) ;; *) die "KERNELS may hold on-the-fly and cache, found $k" ;; esac
done
command -v java >/dev/null || die "java (17+) is not on PATH"
command -v mvn >/dev/null || die "mvn is not on PATH"

mkdir -p target/bench
OUT="target/bench/results-$(date +%Y%m%d-%H%M%S)"
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
    "$PY" tools/reference/make_bundle.py --preset swin-t --input "$S" "$S" --out "$DIR.tmp" --seed 0 \
        >"$OUT/make-bundle-$S.log"
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
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src differs from it)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "java: $(java -version 2>&1 | head -1)"
    echo "blas: $BLAS"
    echo "settings: sizes=[$SIZES] rounds=$ROUNDS threads=$THREADS batch=$BATCH warmup=$WARMUP iters=$ITERS task=$TASK kernels=[$KERNELS]"
} | tee "$OUT/machine.txt"

# 4. interleaved runs; each writes one JSON line (stdout's last line) and its noise figures
run() { # engine size round; engine = python or java-<policy>
    local log="$OUT/$1-$2-r$3"
    if [ "$1" = python ]; then
        OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" "$PY" tools/reference/bench_pytorch.py \
            --bundle "target/bench/swin-t-$2" --size "$2" "$2" --threads "$THREADS" --batch "$BATCH" \
            --warmup "$WARMUP" --iters "$ITERS" --task "$TASK" >"$log.out" 2>"$log.log"
    else
        OPT_OUT_TRACKING=true DJL_OFFLINE=true java -cp "$CP" \
            -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
            -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 \
            dev.sinewich.serve.bench.ForwardBenchmark --bundle "target/bench/swin-t-$2" --size "$2" "$2" \
            --threads "$THREADS" --batch "$BATCH" --warmup "$WARMUP" --iters "$ITERS" --task "$TASK" \
            --kernels "${1#java-}" >"$log.out" 2>"$log.log"
    fi
}
busy() { # percent of all CPUs busy over one second
    local a b
    a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
    local total=0 idle i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    idle=$((b[4] - a[4] + b[5] - a[5]))
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
wait_quiet() { # prints the busy percentage it settled on
    local waited=0 now
    now=$(busy)
    while [ "$now" -gt "$QUIET_BUSY" ] && [ "$waited" -lt "$QUIET_MAX" ]; do
        sleep 4; waited=$((waited + 5)); now=$(busy)
    done
    echo "$now"
}
cpu_s() { # the CPU seconds in a saved `times` output: its second line, this shell's finished children
    awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } print s }' "$1"
}
one() { # engine size round
    local base="$OUT/$1-$2-r$3" before after quiet s0 s1 t0 t1 total idle i foreign
    quiet=$(wait_quiet)
    before=$(cut -d' ' -f1 /proc/loadavg)
    printf '  %-16s %4s round %s ... ' "$1" "$2" "$3"
    # builtins only between the samples, so that `times` sees this shell's own children
    read -r -a s0 </proc/stat; times >"$OUT/.times0"; t0=$(date +%s%N)
    if ! run "$1" "$2" "$3"; then
        echo "FAILED"
        tail -20 "$base.log" >&2
        die "$1 run failed (log: $base.log)"
    fi
    read -r -a s1 </proc/stat; times >"$OUT/.times1"; t1=$(date +%s%N)
    total=0
    for i in 1 2 3 4 5 6 7 8; do total=$((total + s1[i] - s0[i])); done
    idle=$((s1[4] - s0[4] + s1[5] - s0[5]))
    # foreign CPU = (all busy CPU time - the run's own) / (wall time x CPUs)
    foreign=$(awk -v busy=$((total - idle)) -v hz="$(getconf CLK_TCK)" -v own0="$(cpu_s "$OUT/.times0")" \
        -v own1="$(cpu_s "$OUT/.times1")" -v wall=$(((t1 - t0) / 1000000)) -v n="$(nproc)" \
        'BEGIN { f = (busy / hz - (own1 - own0)) / (wall / 1000 * n) * 100; printf "%.0f", f < 0 ? 0 : f }')
    after=$(cut -d' ' -f1 /proc/loadavg)
    tail -1 "$base.out" >"$base.json"
    echo "$before $after $quiet $foreign" >"$base.noise"
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("forward median %.1f ms, min %.1f (foreign CPU %s%%, busy before %s%%, load %s)" % (d["forward_ms"]["median"], d["forward_ms"]["min"], sys.argv[4], sys.argv[2], sys.argv[3]))' \
        "$base.json" "$quiet" "$before -> $after" "$foreign"
}
ENGINES=(python)
for k in $KERNELS; do ENGINES+=("java-$k"); done
for S in $SIZES; do
    echo "size ${S}x${S}:"
    for R in $(seq 1 "$ROUNDS"); do
        n=${#ENGINES[@]}
        for ((j = 0; j < n; j++)); do one "${ENGINES[(j + R - 1) % n]}" "$S" "$R"; done
    done
done

# 5. table (bench/forward.sh --table target/bench/results-... reprints it from the raw files)
table "$OUT"
echo "raw results: $OUT"
