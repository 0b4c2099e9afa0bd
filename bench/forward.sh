#!/usr/bin/env bash
# Forward-pass benchmark: the Java runtime against the peers a user would pick instead, measured side
# by side in one run on a Swin-T-sized random bundle:
#   ort-const    ONNX Runtime 1.30 (Python), the reference network exported to ONNX (float32, opset 17),
#                task weights W_t as constants                  (tools/reference/bench_onnxruntime.py)
#   ort-inputs   the same graph with the 12 adapted linears' W_t as graph inputs, bound in every call
#   pytorch213   PyTorch 2.13 eager (CPU wheel: MKL, oneDNN), the same network and weights
#                (tools/reference/bench_torch.py; torchvision-free module, see below)
#   pytorch113   PyTorch 1.13 eager (Debian python3-torch + OpenBLAS) running sinewich_ref itself
#                (tools/reference/bench_pytorch.py): kept as history, the baseline of earlier runs
#   java-<engine>-<kernels>  the Java forward (dev.sinewich.serve.bench.ForwardBenchmark
#                --engine <engine> --kernels <kernels>) for every ENGINES x KERNELS
#
#   bench/forward.sh                      # from anywhere; works in the repository root
#   SIZES=224 BATCHES="1 8" ROUNDS=2 bench/forward.sh
#   SKIP_JAVA=1 bench/forward.sh          # the peers alone (no Maven, no Java)
#   bench/forward.sh --table target/bench/results-<timestamp>   # reprint a finished run's table
#
# What it does, with no network access beyond the local pip mirror:
#   1. checks that /usr/bin/python3 has torch + torchvision and that libblas.so.3 is OpenBLAS;
#   2. makes a virtual environment target/bench/venv on first use (python3 -m venv with the python3 on
#      PATH, then pip install onnxruntime==1.30.0 numpy==2.4.6 torch==2.13.0+cpu; ~2-3 min here, pip
#      prints retry warnings for the unreachable public index); a stamp file holds the requirement
#      list, and a venv without it (interrupted, or other versions) is made again;
#   3. makes one bundle per size, target/bench/swin-t-<S> (preset swin-t, model input S x S, seed 0),
#      skipping bundles that already exist (the model's input size is fixed by its bundle);
#   4. exports, once per size and task, into target/bench/onnx-<S>-<TASK>/ (tools/reference/export_onnx.py
#      under Debian's torch 1.13): const.onnx (W_t constants), inputs.onnx + inputs.weights.npz
#      (W_t inputs) and net.pt (the checked float32 module for PyTorch 2.13). Each export first checks
#      the float32 module against the reference forward, then ONNX Runtime on the exported graph (and
#      on a companion graph with the logits as output) within 1e-4 (labels where the top-2 margin
#      > 1e-4); net.pt is then checked under PyTorch 2.13 too. The reports land in export-*.json there
#      and in the results folder. A stamp (hash of the export code and the bundle) triggers a new export
#      when either changes;
#   5. measures the machine: a 2048^3 float32 GEMM on THREADS threads with every BLAS in play, once
#      before and once after the runs (the peak is the best call of either)
#      (tools/reference/bench_gemm.py: torch 2.13/MKL, numpy/OpenBLAS and ONNX Runtime's MatMul/MLAS in
#      the venv, torch 1.13 and numpy on Debian's OpenBLAS) and the model's FLOPs per image at each size
#      (tools/reference/model_flops.py, analytic: 2 x multiply-adds of every matrix product/conv);
#   6. compiles the Java side (mvn -B -q -o test-compile) and resolves its runtime classpath offline,
#      unless SKIP_JAVA=1. If that fails, the Java runs are left out and the peers still run;
#   7. for each size and batch in BATCHES, ROUNDS rounds in which every engine runs once, in an order
#      that rotates from round to round so that no engine always runs first or last. Each run is a fresh
#      process: WARMUP untimed and ITERS timed calls on a fixed seeded random batch of S x S images,
#      THREADS intra-op threads (1 inter-op), task TASK. A failing Java run is recorded (.failed) and
#      the benchmark goes on; a failing peer run stops it;
#   8. prints two tables: per size, batch and engine the median over rounds of each run's median, per
#      image, the achieved GFLOP/s and its share of the GEMM peak; and per Java run, Java / each peer.
#
# What each engine's forward_ms covers (one call, batch N, images of the model's size):
#   pytorch113: normalise, backbone, decoder, head, final resize, labels AND softmax probabilities
#               (sinewich_ref's forward; it also times torchvision `features` alone: backbone_only_ms).
#   pytorch213, ort-*: an already normalised input -> backbone, decoder, head, final resize, labels
#               (int32; no probabilities); bilinear resizes in float32. Output stays in the engine's
#               buffer (ORT: IO binding with pre-allocated OrtValues).
#   java-*:     ForwardBenchmark's SinewichModel.predict: normalise, ..., labels copied back to Java.
# The normalisation (3 x S x S) and the probabilities are small next to the backbone; the like-for-like
# peers for Java are the ORT and PyTorch 2.13 columns.
#
# Java runs (ENGINES x KERNELS): --engine onnxruntime|pytorch selects the Java forward's engine;
# ENGINES=- runs a ForwardBenchmark without that option (the runs are then named java-<kernels>).
# Task-kernel policies: "on-the-fly" derives W_t = W + gain * lowpass(sin(omega * M)) inside every call
# (the default of SinewichModel.load); "cache" materialises the task's W_t at load, as the peers do
# before they time (so "cache" is the like-for-like comparison).
#
# The machine may be shared: before each run the script waits (at most QUIET_MAX seconds) until the
# CPUs were at most QUIET_BUSY % busy over one second, and it records with every run that figure, the
# load average and the share of the machine's CPU time that other processes used while it ran
# ("foreign CPU"). The tables leave out rounds with more than QUIET_FOREIGN % foreign CPU when a
# quiet round remains, and also show the per-round figures.
#
# Settings (environment): SIZES="224 448" BATCHES="1" (or BATCH=1) ROUNDS=3 THREADS=2 WARMUP=3 ITERS=10
#   TASK=semseg  PEERS="pytorch113 pytorch213 ort-const ort-inputs" (any subset)
#   ENGINES="onnxruntime pytorch" KERNELS="on-the-fly cache" SKIP_JAVA=0
#   QUIET_BUSY=20 QUIET_MAX=300 QUIET_FOREIGN=10
#   PY=/usr/bin/python3  VENV=target/bench/venv  VENV_PYTHON=python3 (the interpreter the venv is made from)
#   MVN_OFFLINE=-o (set MVN_OFFLINE= to let Maven fetch a missing plugin once)
#   ALLOW_REFERENCE_BLAS=1 (run even though PyTorch 1.13 uses Debian's slow reference BLAS; not a baseline)
# Raw JSON lines and logs go to target/bench/results-<timestamp>/ (<engine>-<size>-b<batch>-r<round>.*,
# machine.txt, gemm-{venv,debian}[-end].json, flops-<size>.json, export-*.json, table.md). BENCHMARKS.md has a reading.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZES=${SIZES:-"224 448"}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
BATCHES=${BATCHES:-${BATCH:-1}}
WARMUP=${WARMUP:-3}
ITERS=${ITERS:-10}
TASK=${TASK:-semseg}
PEERS=${PEERS:-"pytorch113 pytorch213 ort-const ort-inputs"}
ENGINES=${ENGINES:-"onnxruntime pytorch"}
KERNELS=${KERNELS:-"on-the-fly cache"}
SKIP_JAVA=${SKIP_JAVA:-0}
QUIET_BUSY=${QUIET_BUSY:-20}
QUIET_MAX=${QUIET_MAX:-300}
PY=${PY:-/usr/bin/python3}
VENV=${VENV:-target/bench/venv}
VENV_PYTHON=${VENV_PYTHON:-python3}
VENV_REQS="onnxruntime==1.30.0 numpy==2.4.6 torch==2.13.0+cpu"
MVN_OFFLINE=${MVN_OFFLINE--o}
APT="apt-get install -y --no-install-recommends python3-torch python3-torchvision libopenblas0-pthread"

die() { echo "forward.sh: $*" >&2; exit 1; }

# The tables, from a results folder's raw files. Each figure is the median over rounds of each run's
# median; rounds in which other processes used more than QUIET_FOREIGN % of the machine are left out
# when at least one quiet round remains (the "quiet rounds" column says how many were kept).
table() {
    "$PY" - "$1" "${QUIET_FOREIGN:-10}" <<'EOF' | tee "$1/table.md"
import glob, json, os, re, statistics, sys
out, limit = sys.argv[1], float(sys.argv[2])
runs, failed = {}, {}
for path in sorted(glob.glob(f"{out}/*-r*.json")) + sorted(glob.glob(f"{out}/*-r*.failed")):
    name = os.path.basename(path)
    m = re.match(r"(.+)-(\d+)-b(\d+)-r(\d+)\.(json|failed)$", name)
    if m:
        engine, size, batch, rnd, ext = m.groups()
    else:  # results of the earlier layout: <engine>-<size>-r<round>.json, engine python = PyTorch 1.13
        m = re.match(r"(.+)-(\d+)-r(\d+)\.(json|failed)$", name)
        if not m:
            continue
        engine, size, rnd, ext = m.groups()
        batch = None
    engine = "pytorch113" if engine == "python" else engine
    if ext == "failed":
        failed.setdefault((engine, int(size), int(batch or 1)), []).append(int(rnd))
        continue
    with open(path) as f:
        d = json.load(f)
    with open(path[:-5] + ".noise") as f:
        d["foreign"] = float(f.read().split()[3])
    d["round"] = int(rnd)
    runs.setdefault((engine, int(size), int(batch or d.get("batch", 1))), []).append(d)

def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None

# GEMM peak: each library's best call over the measurements before and after the runs
gemm = {}  # (library, version, where) -> [best GFLOP/s of each measurement]
gemm_shape = None
for k in ("venv", "debian", "venv-end", "debian-end"):
    g = load(f"gemm-{k}.json")
    if g:
        gemm_shape = (g["n"], g["threads"])
        for lib, v in g.items():
            if isinstance(v, dict):
                gemm.setdefault((lib, v["version"], k.split("-")[0]), []).append(v["gflops_best"])
peak = max([max(v) for v in gemm.values()] or [0]) or None
keys = set(runs) | set(failed)
cases = sorted({(s, b) for _, s, b in keys})
flops = {s: load(f"flops-{s}.json") for s, _ in cases}
PEERS = [("ort-const", "ORT const"), ("ort-inputs", "ORT inputs"), ("pytorch213", "PyTorch 2.13"),
         ("pytorch113", "PyTorch 1.13 (history)")]
LABEL = {"ort-const": "ONNX Runtime, W_t constants", "ort-inputs": "ONNX Runtime, W_t inputs",
         "pytorch213": "PyTorch 2.13 eager", "pytorch113": "PyTorch 1.13 eager + OpenBLAS (history)"}
javas = sorted({e for e, _, _ in keys if e.startswith("java-")})
order = [p for p, _ in PEERS] + javas

def fmt(v, d=1):
    return "n/a" if v is None else f"{v:.{d}f}"

def summary(rs):
    rs = sorted(rs, key=lambda r: r["round"])
    quiet = [r for r in rs if r["foreign"] <= limit]
    used = quiet or rs
    return {"median": statistics.median(r["forward_ms"]["median"] for r in used),
            "used": f"{len(quiet)}/{len(rs)}" + ("" if quiet else " (none quiet: all used)"),
            "min": min(r["forward_ms"]["min"] for r in rs),
            "rounds": ", ".join(f"{r['forward_ms']['median']:.0f} ({r['foreign']:.0f}%)" for r in rs)}

S = {k: summary(v) for k, v in runs.items()}
print()
print("| size | batch | engine | median (ms) | per image (ms) | images/s | GFLOP/s | % of GEMM peak "
      "| fastest call (ms) | quiet rounds | per-round medians in ms (foreign CPU) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for s, b in cases:
    gf = flops[s]["gflop_per_image"] if flops.get(s) else None
    for e in order:
        if (e, s, b) in S:
            x = S[(e, s, b)]
            per = x["median"] / b
            rate = gf * 1000.0 / per if gf else None
            share = 100.0 * rate / peak if rate and peak else None
            over = " (!)" if share and share > 100 else ""
            print(f"| {s}x{s} | {b} | {LABEL.get(e, e)} | {fmt(x['median'])} | {fmt(per)} | {fmt(1000.0 / per)} "
                  f"| {fmt(rate)} | {fmt(share, 0)}{over} | {fmt(x['min'])} | {x['used']} | {x['rounds']} |")
        elif (e, s, b) in failed:
            print(f"| {s}x{s} | {b} | {LABEL.get(e, e)} | failed | | | | | | | rounds {sorted(failed[(e, s, b)])} failed |")
print()
print("| size | batch | Java run | Java (ms) | " + " | ".join(f"**Java / {l}**" for _, l in PEERS)
      + " | Java W_t derivation per call (ms) |")
print("| --- | --- | --- | --- | " + " | ".join("---" for _ in PEERS) + " | --- |")
verdicts = []
for s, b in cases:
    for e in javas:
        if (e, s, b) not in S:
            if (e, s, b) in failed:
                print(f"| {s}x{s} | {b} | {e[5:]} | failed | " + " | ".join("" for _ in PEERS) + " | |")
            continue
        j = S[(e, s, b)]
        ratios = []
        for p, _ in PEERS:
            ratios.append(None if (p, s, b) not in S else j["median"] / S[(p, s, b)]["median"])
        derive = statistics.median(r.get("kernel_derive_ms_per_call", 0.0) or 0.0 for r in runs[(e, s, b)])
        print(f"| {s}x{s} | {b} | {e[5:]} | {fmt(j['median'])} | "
              + " | ".join(f"**{fmt(r, 2)}**" for r in ratios) + f" | {fmt(derive)} |")
        peers = [(S[(p, s, b)]["median"], l) for p, l in PEERS if (p, s, b) in S]
        if peers:
            best, label = min(peers)
            verdicts.append(f"{s}x{s} batch {b} {e[5:]}: Java / fastest peer ({label}) = {j['median'] / best:.2f}")
print()
for p, _ in PEERS:
    rs = [r for (e, _, _), v in runs.items() if e == p for r in v]
    if rs:
        extra = f", blas {rs[0]['blas']}" if rs[0].get("blas") else ""
        print(f"{LABEL[p]}: {rs[0]['engine']}{extra}")
for e in javas:
    rs = [r for (x, _, _), v in runs.items() if x == e for r in v]
    if rs:
        print(f"Java {e[5:]}: {rs[0].get('engine', '?')}, {rs[0].get('java', '?')}")
if gemm:
    print(f"GEMM {gemm_shape[0]}^3 fp32, {gemm_shape[1]} threads, best call in GFLOP/s (measured before; after the runs): "
          + ", ".join(f"{lib} {ver} ({where}) {max(v):.0f} ({'; '.join(f'{x:.0f}' for x in v)})"
                      for (lib, ver, where), v in gemm.items()))
if peak:
    print(f"GEMM peak used for '% of GEMM peak': {peak:.0f} GFLOP/s (the best of those; (!) marks a share above 100 %: "
          "the engine beat every measured GEMM, most likely because the GEMMs ran while the machine was busy)")
for s in sorted(flops):
    if flops[s]:
        print(f"model FLOPs at {s}x{s}: {flops[s]['gflop_per_image']:.2f} GFLOP per image "
              f"({flops[s]['gmac_per_image']:.2f} G multiply-adds; analytic, tools/reference/model_flops.py)")
bb = {(s, b): statistics.median(r["backbone_only_ms"]["median"]
                                for r in ([r for r in v if r["foreign"] <= limit] or v))
      for (e, s, b), v in runs.items() if e == "pytorch113" and v[0].get("backbone_only_ms")}
if bb:
    print("PyTorch 1.13 backbone only (torchvision features, W_t prepared), median over the quiet rounds: "
          + ", ".join(f"{s}x{s} b{b} {fmt(v)} ms" for (s, b), v in sorted(bb.items())))
any_run = next(iter(runs.values()))[0] if runs else None
if any_run:
    print(f"each run: median of {any_run['iters']} timed calls after {any_run['warmup']} warm-up; "
          f"threads {any_run['threads']}, task {any_run['task']}; rounds with foreign CPU > {limit:.0f}% "
          "left out where a quiet one exists")
skipped = os.path.join(out, "java-skipped.txt")
if os.path.exists(skipped):
    print("Java runs left out: " + open(skipped).read().strip())
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
for p in $PEERS; do
    case "$p" in pytorch113|pytorch213|ort-const|ort-inputs) ;; *) die "PEERS may hold pytorch113, pytorch213, ort-const and ort-inputs, found $p" ;; esac
done
if [ ! -x "$PY" ] || ! "$PY" -c 'import torch, torchvision' >/dev/null 2>&1; then
    die "$PY cannot import torch and torchvision (the bundles, the ONNX export and the PyTorch 1.13 baseline need
them). Install with:
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
for e in $ENGINES; do
    case "$e" in onnxruntime|pytorch|-) ;; *) die "ENGINES may hold onnxruntime, pytorch and -, found $e" ;; esac
done
if [ "$SKIP_JAVA" != 1 ]; then
    command -v java >/dev/null || die "java (17+) is not on PATH (SKIP_JAVA=1 runs the peers alone)"
    command -v mvn >/dev/null || die "mvn is not on PATH (SKIP_JAVA=1 runs the peers alone)"
fi

mkdir -p target/bench
OUT="target/bench/results-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

# 2. the virtual environment of the peers (made in place; the stamp is written last)
VPY="$VENV/bin/python"
if [ ! -x "$VPY" ] || [ "$(cat "$VENV/.forward-sh-stamp" 2>/dev/null)" != "$VENV_REQS" ]; then
    command -v "$VENV_PYTHON" >/dev/null || die "$VENV_PYTHON (for python3 -m venv) is not on PATH; set VENV_PYTHON"
    echo "venv $VENV: making ($VENV_PYTHON -m venv; pip install $VENV_REQS; a few minutes, retry warnings are expected)"
    rm -rf "$VENV"
    "$VENV_PYTHON" -m venv "$VENV" >"$OUT/venv.log" 2>&1 || { cat "$OUT/venv.log" >&2; die "python3 -m venv failed"; }
    if ! "$VPY" -m pip install --disable-pip-version-check $VENV_REQS >>"$OUT/venv.log" 2>&1; then
        tail -30 "$OUT/venv.log" >&2
        die "pip install $VENV_REQS failed (log: $OUT/venv.log)"
    fi
    echo "$VENV_REQS" >"$VENV/.forward-sh-stamp"
else
    echo "venv $VENV: present ($VENV_REQS)"
fi
"$VPY" -c 'import onnxruntime, numpy, torch' 2>"$OUT/venv-import.log" \
    || { cat "$OUT/venv-import.log" >&2; die "$VPY cannot import onnxruntime, numpy and torch (rm -rf $VENV to remake it)"; }

# 3. bundles (one per size; made atomically so that an interrupted run leaves none half-written)
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

# 4. ONNX graphs and the PyTorch 2.13 module (one set per size and task, checked against the reference)
export_stamp() { # size
    {
        cat tools/reference/export_onnx.py tools/reference/sinewich_net.py tools/reference/sinewich_ref.py \
            "target/bench/swin-t-$1/sinewich.json"
        stat -c '%s %Y' "target/bench/swin-t-$1/model.safetensors"
        echo "$TASK $VENV_REQS"
    } | sha256sum | cut -d' ' -f1
}
for S in $SIZES; do
    D="target/bench/onnx-$S-$TASK"
    stamp=$(export_stamp "$S")
    if [ -f "$D/stamp" ] && [ "$(cat "$D/stamp")" = "$stamp" ]; then
        echo "onnx $D: present"
    else
        echo "onnx $D: exporting (task $TASK; constants, weights as inputs; checked against the reference)"
        rm -rf "$D.tmp"
        mkdir -p "$D.tmp"
        OMP_NUM_THREADS="$THREADS" "$PY" tools/reference/export_onnx.py --bundle "target/bench/swin-t-$S" --task "$TASK" \
            --out "$D.tmp/const.onnx" --ort-python "$VPY" --torch-out "$D.tmp/net.pt" --threads "$THREADS" \
            >"$D.tmp/export-const.json" 2>"$D.tmp/export-const.log" \
            || { tail -20 "$D.tmp/export-const.log" >&2; die "ONNX export (constants) failed (log: $D.tmp/export-const.log)"; }
        OMP_NUM_THREADS="$THREADS" "$PY" tools/reference/export_onnx.py --bundle "target/bench/swin-t-$S" --task "$TASK" \
            --out "$D.tmp/inputs.onnx" --weights-as-inputs --ort-python "$VPY" --threads "$THREADS" \
            >"$D.tmp/export-inputs.json" 2>"$D.tmp/export-inputs.log" \
            || { tail -20 "$D.tmp/export-inputs.log" >&2; die "ONNX export (weights as inputs) failed (log: $D.tmp/export-inputs.log)"; }
        "$VPY" tools/reference/bench_torch.py --net "$D.tmp/net.pt" --check "$D.tmp/const.check.npz" \
            --threads "$THREADS" >"$D.tmp/export-torch213-check.json" 2>"$D.tmp/export-torch213-check.log" \
            || { cat "$D.tmp/export-torch213-check.json" "$D.tmp/export-torch213-check.log" >&2; die "PyTorch 2.13 check of net.pt failed"; }
        echo "$stamp" >"$D.tmp/stamp"
        rm -rf "$D"
        mv "$D.tmp" "$D"
    fi
    for f in export-const export-inputs export-torch213-check; do cp "$D/$f.json" "$OUT/$f-$S.json"; done
    "$PY" - "$OUT" "$S" <<'EOF'
import json, sys
out, s = sys.argv[1], sys.argv[2]
c = json.load(open(f"{out}/export-const-{s}.json"))
i = json.load(open(f"{out}/export-inputs-{s}.json"))
t = json.load(open(f"{out}/export-torch213-check-{s}.json"))["check"]
def diffs(d):
    return ", ".join(f"{k} " + (f"max |diff| {v['max_abs_diff']:.2e}" if "max_abs_diff" in v else
                                f"{v['label_mismatches_where_margin_gt_1e-4']} confident labels differ")
                     for k, v in d.items() if isinstance(v, dict))
print(f"  check vs reference at {s}: torch {c['torch']} float32 module: {diffs(c['torch_float32_vs_reference'])}")
for n, e in (("constants", c), ("weights as inputs", i)):
    o = e["onnxruntime_vs_reference"]
    print(f"  check vs reference at {s}: ONNX Runtime, {n}: graph {diffs(o['graph'])}; logits graph {diffs(o['logits_graph'])}")
print(f"  check vs reference at {s}: PyTorch 2.13 eager: {diffs(t)}")
EOF
done

# quiet-machine helpers (used before the GEMM measurement and before every run)
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
# 5. the machine's GEMM peak (each measured once the CPUs are quiet, see wait_quiet) and the model's FLOPs
echo "gemm: measuring (2048^3 fp32, $THREADS threads; venv and Debian libraries)"
wait_quiet >"$OUT/gemm-venv.busy"
"$VPY" tools/reference/bench_gemm.py --threads "$THREADS" --iters 20 >"$OUT/gemm-venv.json" 2>"$OUT/gemm-venv.log" || true
wait_quiet >"$OUT/gemm-debian.busy"
"$PY" tools/reference/bench_gemm.py --threads "$THREADS" --iters 20 >"$OUT/gemm-debian.json" 2>"$OUT/gemm-debian.log" || true
for S in $SIZES; do
    "$PY" tools/reference/model_flops.py --bundle "target/bench/swin-t-$S" --task "$TASK" >"$OUT/flops-$S.json"
done

# 6. Java: compile and classpath (a failure leaves the Java runs out; the peers still run)
JAVA_OK=0
if [ "$SKIP_JAVA" = 1 ]; then
    echo "SKIP_JAVA=1" >"$OUT/java-skipped.txt"
else
    echo "compiling (mvn -B -q $MVN_OFFLINE test-compile)"
    if ! mvn -B -q $MVN_OFFLINE test-compile >"$OUT/mvn.log" 2>&1; then
        tail -20 "$OUT/mvn.log" >&2
        echo "forward.sh: compilation failed (log: $OUT/mvn.log); the Java runs are left out. If Maven reports a
plugin or dependency missing from ~/.m2 in offline mode, run once with network: MVN_OFFLINE= bench/forward.sh" >&2
        echo "compilation failed (mvn.log)" >"$OUT/java-skipped.txt"
    elif ! mvn -B -q $MVN_OFFLINE dependency:build-classpath -Dmdep.includeScope=runtime \
            -Dmdep.outputFile="$ROOT/$OUT/classpath.txt" >"$OUT/mvn-classpath.log" 2>&1; then
        tail -20 "$OUT/mvn-classpath.log" >&2
        echo "forward.sh: could not resolve the classpath offline (log: $OUT/mvn-classpath.log); the Java runs are left out" >&2
        echo "classpath not resolved (mvn-classpath.log)" >"$OUT/java-skipped.txt"
    else
        JAVA_OK=1
        CP="target/test-classes:target/classes:$(cat "$OUT/classpath.txt")"
    fi
fi

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src differs from it)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]' /proc/cpuinfo | cut -d: -f2 | tr -d ' '); 25 = Zen 3/4, 26 = Zen 5)"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "java: $( [ "$JAVA_OK" = 1 ] && java -version 2>&1 | head -1 || echo "left out ($(cat "$OUT/java-skipped.txt"))")"
    echo "blas (Debian): $BLAS"
    echo "venv: $VENV ($("$VPY" --version 2>&1); $VENV_REQS)"
    "$PY" - "$OUT" $SIZES <<'EOF'
import json, sys
out = sys.argv[1]
for k in ("venv", "debian"):
    try:
        g = json.load(open(f"{out}/gemm-{k}.json"))
    except (OSError, ValueError):
        print(f"gemm ({k}): failed, see gemm-{k}.log")
        continue
    libs = ", ".join(f"{n} {v['version']} {v['gflops_best']:.0f} GFLOP/s (median {v['gflops_median']:.0f})"
                     for n, v in g.items() if isinstance(v, dict))
    print(f"gemm {g['n']}^3 fp32, {g['threads']} threads ({k}): {libs}")
for s in sys.argv[2:]:
    f = json.load(open(f"{out}/flops-{s}.json"))
    print(f"model at {s}x{s}: {f['gflop_per_image']:.2f} GFLOP per image ({f['gmac_per_image']:.2f} G multiply-adds)")
EOF
    echo "settings: sizes=[$SIZES] batches=[$BATCHES] rounds=$ROUNDS threads=$THREADS warmup=$WARMUP iters=$ITERS task=$TASK peers=[$PEERS] engines=[$ENGINES] kernels=[$KERNELS]"
} | tee "$OUT/machine.txt"

# 7. interleaved runs; each writes one JSON line (stdout's last line) and its noise figures
run() { # engine size batch round
    local log="$OUT/$1-$2-b$3-r$4" D="target/bench/onnx-$2-$TASK"
    case "$1" in
        pytorch113)
            OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" "$PY" tools/reference/bench_pytorch.py \
                --bundle "target/bench/swin-t-$2" --size "$2" "$2" --threads "$THREADS" --batch "$3" \
                --warmup "$WARMUP" --iters "$ITERS" --task "$TASK" >"$log.out" 2>"$log.log" ;;
        pytorch213)
            OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" "$VPY" tools/reference/bench_torch.py \
                --net "$D/net.pt" --threads "$THREADS" --batch "$3" --warmup "$WARMUP" --iters "$ITERS" \
                --task "$TASK" >"$log.out" 2>"$log.log" ;;
        ort-const|ort-inputs)
            OMP_NUM_THREADS="$THREADS" "$VPY" tools/reference/bench_onnxruntime.py --model "$D/${1#ort-}.onnx" \
                --bundle "target/bench/swin-t-$2" --threads "$THREADS" --batch "$3" --warmup "$WARMUP" \
                --iters "$ITERS" --task "$TASK" >"$log.out" 2>"$log.log" ;;
        java-*)
            local rest=${1#java-} engine=() kernels
            kernels=${rest##*-}
            [ "$kernels" = fly ] && kernels=on-the-fly
            if [ "$rest" != "$kernels" ]; then engine=(--engine "${rest%-"$kernels"}"); fi
            OPT_OUT_TRACKING=true DJL_OFFLINE=true java --add-opens java.base/java.lang=ALL-UNNAMED -cp "$CP" \
                -Dai.djl.offline=true -DOPT_OUT_TRACKING=true \
                -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 \
                dev.sinewich.serve.bench.ForwardBenchmark --bundle "target/bench/swin-t-$2" --size "$2" "$2" \
                --threads "$THREADS" --batch "$3" --warmup "$WARMUP" --iters "$ITERS" --task "$TASK" \
                --kernels "$kernels" "${engine[@]}" >"$log.out" 2>"$log.log" ;;
        *) die "unknown engine $1" ;;
    esac
}
cpu_s() { # the CPU seconds in a saved `times` output: its second line, this shell's finished children
    awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } print s }' "$1"
}
valid_json() { # the run's last stdout line is a JSON object with forward_ms
    "$PY" -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); d["forward_ms"]["median"]' \
        "$1" >/dev/null 2>&1
}
one() { # engine size batch round
    local base="$OUT/$1-$2-b$3-r$4" before after quiet s0 s1 t0 t1 total idle i foreign ok=1
    quiet=$(wait_quiet)
    before=$(cut -d' ' -f1 /proc/loadavg)
    printf '  %-26s %4s b%-2s round %s ... ' "$1" "$2" "$3" "$4"
    # builtins only between the samples, so that `times` sees this shell's own children
    read -r -a s0 </proc/stat; times >"$OUT/.times0"; t0=$(date +%s%N)
    run "$1" "$2" "$3" "$4" || ok=0
    read -r -a s1 </proc/stat; times >"$OUT/.times1"; t1=$(date +%s%N)
    if [ "$ok" = 1 ] && ! valid_json "$base.out"; then ok=0; fi
    if [ "$ok" = 0 ]; then
        echo "FAILED (log: $base.log)"
        tail -20 "$base.log" >&2
        case "$1" in
            java-*) touch "$base.failed"; return 0 ;;  # the Java side may be mid-change: go on with the peers
            *) die "$1 run failed (log: $base.log)" ;;
        esac
    fi
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
RUNS=()
for p in $PEERS; do RUNS+=("$p"); done
if [ "$JAVA_OK" = 1 ]; then
    for e in $ENGINES; do
        for k in $KERNELS; do
            if [ "$e" = - ]; then RUNS+=("java-$k"); else RUNS+=("java-$e-$k"); fi
        done
    done
fi
[ ${#RUNS[@]} -gt 0 ] || die "nothing to run (PEERS empty and no Java runs)"
for S in $SIZES; do
    for B in $BATCHES; do
        echo "size ${S}x${S}, batch $B:"
        for R in $(seq 1 "$ROUNDS"); do
            n=${#RUNS[@]}
            for ((j = 0; j < n; j++)); do one "${RUNS[(j + R - 1) % n]}" "$S" "$B" "$R"; done
        done
    done
done

# the GEMM once more (the peak is the best of both measurements: a busy moment lowers one of them)
wait_quiet >"$OUT/gemm-venv-end.busy"
"$VPY" tools/reference/bench_gemm.py --threads "$THREADS" --iters 20 >"$OUT/gemm-venv-end.json" 2>"$OUT/gemm-venv-end.log" || true
wait_quiet >"$OUT/gemm-debian-end.busy"
"$PY" tools/reference/bench_gemm.py --threads "$THREADS" --iters 20 >"$OUT/gemm-debian-end.json" 2>"$OUT/gemm-debian-end.log" || true

# 8. tables (bench/forward.sh --table target/bench/results-... reprints them from the raw files)
table "$OUT"
echo "raw results: $OUT"
