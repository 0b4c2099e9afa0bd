"""PyTorch eager baseline for the Sinewich forward pass.

    /usr/bin/python3 tools/reference/bench_pytorch.py --bundle DIR --size H W --threads T \
        --batch N --warmup 3 --iters 10 --task NAME

Loads the bundle with sinewich_ref.load_bundle and prepares the task's weights W_t once, outside
the timed loops. Prints one JSON line:
  forward_ms        the full SPEC forward per call (resize if (H, W) differs from the model input,
                    normalise, backbone, decoder, head, final resize, per-kind outputs);
  backbone_only_ms  torchvision `features` alone on an already normalised model-size input.
Each with median and p90 over --iters timed calls (after --warmup untimed ones).
Install libopenblas0-pthread first, or the numbers measure Debian's reference BLAS.
"""

import argparse
import json
import os
import platform
import sys

import torch

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_timing  # noqa: E402
import sinewich_ref as ref  # noqa: E402


_time = bench_timing.time_calls


def main(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch eager baseline for a Sinewich bundle")
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--size", nargs=2, type=int, metavar=("H", "W"), required=True,
                    help="size of the images as received")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--task", default=None, help="task name (default: the first task)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    model = ref.load_bundle(a.bundle)
    task = a.task or model.task_names[0]
    if task not in model.tasks:
        raise SystemExit(f"unknown task {task}; known: {model.task_names}")
    model.task_features(task)  # W_t materialised once, outside the timed loop
    g = torch.Generator().manual_seed(a.seed)
    images = torch.rand((a.batch, 3, a.size[0], a.size[1]), generator=g)
    with torch.no_grad():
        x = model.preprocess(images)
        feats = model.task_features(task)
        fwd = _time(lambda: model.forward(images, task), a.warmup, a.iters)
        bb = _time(lambda: feats(x), a.warmup, a.iters)
    cfg = model.cfg
    print(json.dumps({
        "engine": f"pytorch-eager {torch.__version__}", "bundle": cfg["name"], "task": task,
        "model_input": [cfg["input"]["height"], cfg["input"]["width"]], "size": a.size,
        "batch": a.batch, "threads": a.threads, "warmup": a.warmup, "iters": a.iters,
        "forward_ms": fwd, "backbone_only_ms": bb,
        "blas": _blas_hint(), "machine": platform.machine(),
    }))


def _blas_hint():
    """Which libblas.so.3 the Debian alternatives system points at (OpenBLAS or reference)."""
    try:
        return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
