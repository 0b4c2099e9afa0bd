"""ONNX Runtime peer benchmark for a Sinewich graph written by export_onnx.py.

    target/bench/venv/bin/python tools/reference/bench_onnxruntime.py --model M.onnx --threads 2 \
        --batch 1 --warmup 3 --iters 10 [--weights M.weights.npz] [--bundle DIR] [--seed 0]
    target/bench/venv/bin/python tools/reference/bench_onnxruntime.py --model M.onnx --check M.check.npz

Runs in a virtual environment with onnxruntime (1.30.0) and numpy; no torch needed. Session:
intra-op threads --threads, inter-op threads 1, sequential execution, graph optimisation level ALL.
Every call goes through IO binding: the input batch (a fixed, seeded random batch in [0, 1),
normalised with the bundle's mean/std outside the timing) and the output are pre-allocated
OrtValues; with a weights-as-inputs graph the task weights W_t (from --weights, default
M.weights.npz beside the model) are bound again in every call, as a server switching tasks would.

Prints one JSON line shaped like bench_pytorch.py's: forward_ms (median, p90, min over --iters timed
calls after --warmup untimed ones), engine, batch, threads, warmup, iters, task, model_input, size,
and variant ("constants" or "weights-as-inputs"). backbone_only_ms is null (no such figure here).

--check NPZ runs the graph on the check batch export_onnx.py saved and compares each graph output
with the reference values in it (labels where the reference's top-2 margin > 1e-4; float outputs
within --tol); prints one JSON line {"check": {...}} and exits 1 on a mismatch.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort


def _stats(times):
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return {"median": round(statistics.median(times), 3), "p90": round(p90, 3), "min": round(times[0], 3)}


def session(model, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, sess_options=so, providers=["CPUExecutionProvider"])


_NP = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}


def load_weights(sess, model, path):
    names = [i.name for i in sess.get_inputs() if i.name != "image"]
    if not names:
        return {}
    path = path or (model[:-5] if model.endswith(".onnx") else model) + ".weights.npz"
    with np.load(path) as z:
        missing = [n for n in names if n not in z]
        if missing:
            raise SystemExit(f"{path}: no values for graph inputs {missing}")
        return {n: np.ascontiguousarray(z[n], dtype=np.float32) for n in names}


def check(sess, model, a):
    with np.load(a.check) as z:
        ref = {k: z[k] for k in z.files}
    weights = load_weights(sess, model, a.weights)
    feeds = {"image": ref["image"], **weights}
    outs = sess.run(None, feeds)
    result, ok = {}, True
    for o, got in zip(sess.get_outputs(), outs):
        want = ref[o.name]
        if got.shape != want.shape:
            result[o.name] = {"shape": list(got.shape), "expected": list(want.shape)}
            ok = False
        elif o.name == "labels":
            confident = ref["margin"] > 1e-4
            wrong = int(np.count_nonzero((got != want) & confident))
            result[o.name] = {"label_mismatches_where_margin_gt_1e-4": wrong,
                              "confident_pixels": int(confident.sum()),
                              "label_mismatches_anywhere": int(np.count_nonzero(got != want))}
            ok = ok and wrong == 0
        else:
            d = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
            result[o.name] = {"max_abs_diff": d}
            ok = ok and d <= a.tol
    result["ok"] = ok
    result["batch"] = int(ref["image"].shape[0])
    print(json.dumps({"check": result, "model": model, "onnxruntime": ort.__version__}))
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description="ONNX Runtime timings of an exported Sinewich graph")
    ap.add_argument("--model", required=True)
    ap.add_argument("--weights", default=None, help="W_t values for a weights-as-inputs graph (npz)")
    ap.add_argument("--bundle", default=None, help="bundle directory (mean/std, name; optional)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", default=None, help="only recorded in the JSON (the graph holds one task)")
    ap.add_argument("--check", default=None, help="compare against export_onnx.py's M.check.npz and exit")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    sess = session(a.model, a.threads)
    if a.check:
        return check(sess, a.model, a)
    weights = load_weights(sess, a.model, a.weights)
    load_ms = (time.perf_counter() - t0) * 1000.0
    image = sess.get_inputs()[0]
    if image.name != "image" or len(image.shape) != 4:
        raise SystemExit(f"{a.model}: first input is {image.name} {image.shape}, expected image (N,3,H,W)")
    H, W = int(image.shape[2]), int(image.shape[3])
    mean, std, name = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], None
    if a.bundle:
        with open(os.path.join(a.bundle, "sinewich.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        mean, std, name = cfg["input"]["mean"], cfg["input"]["std"], cfg["name"]
    rng = np.random.default_rng(a.seed)
    x = rng.random((a.batch, 3, H, W), dtype=np.float32)
    x = ((x - np.asarray(mean, np.float32)[None, :, None, None]) / np.asarray(std, np.float32)[None, :, None, None])
    x = np.ascontiguousarray(x, dtype=np.float32)

    x_ov = ort.OrtValue.ortvalue_from_numpy(x)
    w_ov = {n: ort.OrtValue.ortvalue_from_numpy(v) for n, v in weights.items()}
    out = sess.get_outputs()[0]
    # the exported graph leaves the output's spatial dimensions symbolic: take them from one
    # untimed plain run (it also does the session's first-run work before the warm-up)
    out_shape = list(sess.run([out.name], {"image": x, **weights})[0].shape)
    out_ov = ort.OrtValue.ortvalue_from_shape_and_type(out_shape, _NP[out.type])
    io = sess.io_binding()
    io.bind_ortvalue_input("image", x_ov)
    io.bind_ortvalue_output(out.name, out_ov)

    def call():
        for n, v in w_ov.items():  # task weights bound per call (a no-op list for the constants graph)
            io.bind_ortvalue_input(n, v)
        sess.run_with_iobinding(io)

    for _ in range(a.warmup):
        call()
    times = []
    for _ in range(a.iters):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000.0)
    result = out_ov.numpy()
    print(json.dumps({
        "engine": f"onnxruntime {ort.__version__}", "variant": "weights-as-inputs" if weights else "constants",
        "bundle": name, "task": a.task, "model": a.model, "model_input": [H, W], "size": [H, W],
        "batch": a.batch, "threads": a.threads, "interop_threads": 1, "warmup": a.warmup, "iters": a.iters,
        "forward_ms": _stats(times), "backbone_only_ms": None, "load_ms": round(load_ms, 1),
        "graph_inputs": [i.name for i in sess.get_inputs()], "output": [out.name, out_shape, out.type],
        "output_checksum": float(np.asarray(result, np.float64).sum()),
        "python": platform.python_version(), "machine": platform.machine(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
