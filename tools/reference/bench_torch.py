"""PyTorch eager peer benchmark under a current torch wheel (e.g. 2.13.0+cpu in target/bench/venv).

    target/bench/venv/bin/python tools/reference/bench_torch.py --net NET.pt --threads 2 --batch 1 \
        --warmup 3 --iters 10 [--seed 0] [--task NAME]
    target/bench/venv/bin/python tools/reference/bench_torch.py --net NET.pt --check M.check.npz

Why not bench_pytorch.py: sinewich_ref imports torchvision, and torchvision's wheel does not import
with the CPU torch wheel here. NET.pt is written by export_onnx.py --torch-out (under Debian's
torch 1.13, after checking the module against sinewich_ref): the bundle's config, the task, and
the state dict of sinewich_net.SinewichNet (torchvision-free transcription of the same network,
task weights W_t baked in). This script rebuilds that module and runs it eagerly
(torch.inference_mode, intra-op threads --threads, inter-op threads 1), so it times the same
network and weights as the ONNX export: input already normalised at the model size, backbone,
decoder, head, final resize, per-kind output (segmentation: labels only).

Prints one JSON line shaped like bench_pytorch.py's (forward_ms median/p90/min, engine, batch,
threads, warmup, iters, task, model_input, size; backbone_only_ms is the torchvision-layout
`features` alone on the same input). --check NPZ compares against export_onnx.py's reference
values (labels where the top-2 margin > 1e-4, float outputs and logits within --tol) and exits 1
on a mismatch.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_timing  # noqa: E402
import sinewich_net  # noqa: E402


_time = bench_timing.time_calls


def load(path):
    if int(torch.__version__.split(".")[0]) >= 2:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    else:  # torch 1.x's weights-only unpickler rejects this file; it is our own export
        payload = torch.load(path, map_location="cpu")
    if payload.get("format") != "sinewich-net/v1":
        raise SystemExit(f"{path}: not an export_onnx.py --torch-out file")
    return sinewich_net.build(payload)


def check(net, a):
    with np.load(a.check) as z:
        ref = {k: z[k] for k in z.files}
    x = torch.from_numpy(ref["image"])
    with torch.inference_mode():
        got = {"logits": net.forward_logits(x).numpy(), sinewich_net.output_name(net.kind): net(x).numpy()}
    result, ok = {}, True
    for name, g in got.items():
        want = ref[name]
        if name == "labels":
            confident = ref["margin"] > 1e-4
            wrong = int(np.count_nonzero((g != want) & confident))
            result[name] = {"label_mismatches_where_margin_gt_1e-4": wrong, "confident_pixels": int(confident.sum()),
                            "label_mismatches_anywhere": int(np.count_nonzero(g != want))}
            ok = ok and wrong == 0
        else:
            d = float(np.max(np.abs(g.astype(np.float64) - want.astype(np.float64))))
            result[name] = {"max_abs_diff": d}
            ok = ok and d <= a.tol
    result["ok"] = ok
    result["batch"] = int(x.shape[0])
    print(json.dumps({"check": result, "torch": torch.__version__}))
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch eager timings of the exported Sinewich module")
    ap.add_argument("--net", required=True, help="export_onnx.py --torch-out file")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", default=None, help="only checked against the file's task")
    ap.add_argument("--check", default=None, help="compare against export_onnx.py's M.check.npz and exit")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    t0 = time.perf_counter()
    net = load(a.net)
    load_ms = (time.perf_counter() - t0) * 1000.0
    if a.task and a.task != net.task:
        raise SystemExit(f"{a.net} holds task {net.task}, not {a.task}")
    if a.check:
        return check(net, a)
    cfg = net.cfg
    H, W = cfg["input"]["height"], cfg["input"]["width"]
    g = torch.Generator().manual_seed(a.seed)
    images = torch.rand((a.batch, 3, H, W), generator=g)
    mean = torch.tensor(cfg["input"]["mean"], dtype=torch.float32)[None, :, None, None]
    std = torch.tensor(cfg["input"]["std"], dtype=torch.float32)[None, :, None, None]
    x = (images - mean) / std
    with torch.inference_mode():
        fwd = _time(lambda: net(x), a.warmup, a.iters)
        bb = _time(lambda: net.features(x), a.warmup, a.iters)
        out = net(x)
    print(json.dumps({
        "engine": f"pytorch-eager {torch.__version__}", "bundle": cfg["name"], "task": net.task,
        "model_input": [H, W], "size": [H, W], "batch": a.batch, "threads": a.threads, "interop_threads": 1,
        "warmup": a.warmup, "iters": a.iters, "forward_ms": fwd, "backbone_only_ms": bb,
        "load_ms": round(load_ms, 1), "output_checksum": float(out.double().sum()),
        "blas": _blas(), "python": platform.python_version(), "machine": platform.machine(),
    }))
    return 0


def _blas():
    cfg = torch.__config__.show()
    for key in ("BLAS_INFO=", "LAPACK_INFO="):
        if key in cfg:
            return cfg.split(key, 1)[1].split(",", 1)[0].strip()
    return "unknown"


if __name__ == "__main__":
    sys.exit(main())
