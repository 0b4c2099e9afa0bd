"""Export one task of a bundle to ONNX (float32, opset 17) for the ONNX Runtime peer benchmark.

    /usr/bin/python3 tools/reference/export_onnx.py --bundle DIR --task semseg --out M.onnx \
        [--weights-as-inputs] [--ort-python VENV/bin/python] [--torch-out NET.pt] [--threads 2]

Runs under Debian's torch 1.13 (it needs sinewich_ref, i.e. torchvision 0.14). The graph is the full
SPEC forward of one task at the model's input size (H, W) for an input that is already normalised:
  image (N, 3, H, W) float32, N dynamic  ->  backbone, decoder, head, final resize to (H, W),
  per-kind output: `labels` int32 (N, H, W) | `depth`, `saliency`, `edges` float32 (N, H, W) |
  `normals` float32 (N, 3, H, W).
It is sinewich_net.SinewichNet (a torchvision-free transcription of the reference network) loaded
with the reference's weights; its resizes run in float32 (the reference's run in float64, and ONNX
Runtime has no float64 Resize).

Two variants:
  default              the task weights W_t of the adapted linears are constants in the graph;
  --weights-as-inputs  they are graph inputs `wt.<linear path>` (e.g. wt.features.1.1.attn.proj,
                       shape (out, in)), one resident graph for every task, bound per call; their
                       values for --task are written beside the model as M.weights.npz.

Checks, before anything is written under --out's name (a check failure exits with status 1):
  1. the float32 module (torch 1.13) against sinewich_ref's forward on a seeded random batch of
     --check-batch images at (H, W): every output within --tol (1e-4; segmentation labels where the
     reference's top-2 probability margin exceeds 1e-4), and the logits after the final resize;
  2. with --ort-python (a Python with onnxruntime, e.g. target/bench/venv/bin/python): ONNX Runtime
     on the exported graph, and on a companion graph of the same network that outputs those logits,
     against the same reference values (tools/reference/bench_onnxruntime.py --check).
Then it writes M.onnx, M.check.npz (the check batch, normalised, and the reference's outputs, logits
and label margin: bench_onnxruntime.py --check and bench_torch.py --check read it) and, with
--torch-out, the checked module's state (config, task, state_dict; torch.save) for bench_torch.py.
Prints one JSON line (max differences, export seconds, file sizes).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sinewich_ref as ref  # noqa: E402
import sinewich_net  # noqa: E402


def state_from_reference(model: "ref.RefModel", task: str, net: sinewich_net.SinewichNet):
    """The reference's task weights in SinewichNet's names. Returns (state_dict, {adapted name: W_t})."""
    sd = {"features." + k: v.detach().clone() for k, v in model.task_features(task).state_dict().items()}
    adapted = {}
    for name in net.adapted_names:
        adapted[name] = sd[name + ".weight"]
        if net.weights_as_inputs:
            del sd[name + ".weight"]
    t = model.t
    for s in range(model.S):
        sd[f"down_{s}"] = t[f"decoder.down.{s}.weight"]
    sd["fuse_weight"] = t["decoder.fuse.weight"]
    h = f"heads.{task}."
    sd["fuse_bias"] = t[h + "fuse_bias"]
    for p in ("weight", "bias", "running_mean", "running_var"):
        sd[f"bn_{p}"] = t[h + "bn." + p]
    sd["out_weight"] = t[h + "out.weight"]
    sd["out_bias"] = t[h + "out.bias"]
    return sd, adapted


class _Logits(torch.nn.Module):
    """The same network with the logits after the final resize as its output (for the ORT check)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, *ws):
        return self.net.forward_logits(x, *ws)


def reference_values(model, task, images):
    """The reference's forward: normalised input, the per-kind output, logits resized to (H, W)
    (float64 resize, as the reference does it), and the top-2 probability margin."""
    out, dbg = model.forward(images, task, debug=True)
    H, W = images.shape[-2:]
    logits = ref.resize_bilinear(dbg["logits"], (H, W), antialias=False)
    kind = model.tasks[task]["kind"]
    name = sinewich_net.output_name(kind)
    vals = {"image": dbg["model_input"].numpy(), "logits": logits.numpy(), name: out[name].numpy()}
    if kind == "segmentation":
        top = torch.topk(out["probabilities"], 2, dim=1).values
        vals["margin"] = (top[:, 0] - top[:, 1]).numpy()
    return vals


def compare(name, got, want, margin=None):
    """max |difference|; for labels the number of differing labels where margin > 1e-4."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        raise SystemExit(f"{name}: shape {got.shape}, expected {want.shape}")
    if name == "labels":
        confident = margin > 1e-4
        wrong = int(np.count_nonzero((got != want) & confident))
        return {"label_mismatches_where_margin_gt_1e-4": wrong, "confident_pixels": int(confident.sum()),
                "label_mismatches_anywhere": int(np.count_nonzero(got != want)), "ok": wrong == 0}
    d = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64))))
    return {"max_abs_diff": d}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Export one task of a Sinewich bundle to ONNX (float32, opset 17)")
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--task", default=None, help="task name (default: the first task)")
    ap.add_argument("--out", required=True, help="the .onnx file to write")
    ap.add_argument("--weights-as-inputs", action="store_true",
                    help="adapted linears' task weights as graph inputs (default: constants)")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--check-batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=max(1, torch.get_num_threads()))
    ap.add_argument("--ort-python", default=None,
                    help="a Python with onnxruntime: check the exported graph with ONNX Runtime before writing")
    ap.add_argument("--torch-out", default=None,
                    help="also write the checked float32 module (torch.save of config, task, state_dict)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    t_start = time.perf_counter()

    model = ref.load_bundle(a.bundle)
    task = a.task or model.task_names[0]
    if task not in model.tasks:
        raise SystemExit(f"unknown task {task}; known: {model.task_names}")
    cfg = model.cfg
    H, W = cfg["input"]["height"], cfg["input"]["width"]
    kind = model.tasks[task]["kind"]
    out_name = sinewich_net.output_name(kind)

    net = sinewich_net.SinewichNet(cfg, task, weights_as_inputs=a.weights_as_inputs)
    sd, adapted = state_from_reference(model, task, net)
    net.load_state_dict(sd, strict=True)
    net.eval()
    ws = tuple(adapted[n].contiguous() for n in net.adapted_names) if a.weights_as_inputs else ()
    w_inputs = ["wt." + n for n in net.adapted_names] if a.weights_as_inputs else []

    # 1. the float32 module against the reference
    g = torch.Generator().manual_seed(a.seed)
    images = torch.rand((a.check_batch, 3, H, W), generator=g)
    vals = reference_values(model, task, images)
    x = torch.from_numpy(vals["image"])
    with torch.no_grad():
        got_logits = net.forward_logits(x, *ws)
        got = net(x, *ws)
    torch_check = {"logits": compare("logits", got_logits.numpy(), vals["logits"]),
                   out_name: compare(out_name, got.numpy(), vals[out_name], vals.get("margin"))}
    print(f"export_onnx: float32 module (torch {torch.__version__}) vs reference: {json.dumps(torch_check)}",
          file=sys.stderr)
    failures = [k for k, v in torch_check.items() if v.get("max_abs_diff", 0) > a.tol or v.get("ok") is False]
    if failures:
        raise SystemExit(f"export_onnx: the float32 module differs from the reference in {failures} "
                         f"(tolerance {a.tol}): {torch_check}")

    # 2. export into a temporary folder beside --out, check with ONNX Runtime, then move into place
    out = os.path.abspath(a.out)
    base = out[:-5] if out.endswith(".onnx") else out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=os.path.dirname(out))
    try:
        t0 = time.perf_counter()
        tmp_model = os.path.join(tmp, "model.onnx")
        names = ["image"] + w_inputs
        dyn = {"image": {0: "N"}, out_name: {0: "N"}}
        with torch.no_grad():
            torch.onnx.export(net, (x,) + ws, tmp_model, opset_version=a.opset, input_names=names,
                              output_names=[out_name], dynamic_axes=dyn, do_constant_folding=True)
        export_s = time.perf_counter() - t0
        np.savez(os.path.join(tmp, "model.check.npz"), **vals)
        if a.weights_as_inputs:
            np.savez(os.path.join(tmp, "model.weights.npz"),
                     **{"wt." + n: adapted[n].numpy() for n in net.adapted_names})
        ort_check = None
        if a.ort_python:
            t1 = time.perf_counter()
            tmp_logits = os.path.join(tmp, "logits.onnx")
            with torch.no_grad():
                torch.onnx.export(_Logits(net), (x,) + ws, tmp_logits, opset_version=a.opset, input_names=names,
                                  output_names=["logits"], dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
                                  do_constant_folding=True)
            ort_check = {}
            for label, path in (("graph", tmp_model), ("logits_graph", tmp_logits)):
                cmd = [a.ort_python, os.path.join(HERE, "bench_onnxruntime.py"), "--model", path,
                       "--check", os.path.join(tmp, "model.check.npz"), "--threads", str(a.threads),
                       "--tol", str(a.tol)]
                if a.weights_as_inputs:
                    cmd += ["--weights", os.path.join(tmp, "model.weights.npz")]
                r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                if r.returncode != 0:
                    sys.stderr.write(r.stderr)
                    raise SystemExit(f"export_onnx: ONNX Runtime check of the {label} failed: "
                                     f"{r.stdout.strip() or r.stderr.strip()[-2000:]}")
                ort_check[label] = json.loads(r.stdout.strip().splitlines()[-1])["check"]
            print(f"export_onnx: ONNX Runtime vs reference ({time.perf_counter() - t1:.1f} s): "
                  f"{json.dumps(ort_check)}", file=sys.stderr)
        shutil.move(tmp_model, out)
        shutil.move(os.path.join(tmp, "model.check.npz"), base + ".check.npz")
        if a.weights_as_inputs:
            shutil.move(os.path.join(tmp, "model.weights.npz"), base + ".weights.npz")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.torch_out:
        if a.weights_as_inputs:
            raise SystemExit("--torch-out writes the constants variant: leave out --weights-as-inputs")
        tmp_pt = a.torch_out + ".tmp"
        torch.save({"format": "sinewich-net/v1", "config": cfg, "task": task, "state_dict": net.state_dict()},
                   tmp_pt)
        os.replace(tmp_pt, a.torch_out)
    print(json.dumps({
        "onnx": a.out, "task": task, "kind": kind, "output": out_name, "model_input": [H, W],
        "weights_as_inputs": a.weights_as_inputs, "graph_inputs": names, "opset": a.opset,
        "torch": torch.__version__, "check_batch": a.check_batch, "tolerance": a.tol,
        "torch_float32_vs_reference": torch_check, "onnxruntime_vs_reference": ort_check,
        "export_s": round(export_s, 2), "total_s": round(time.perf_counter() - t_start, 2),
        "onnx_bytes": os.path.getsize(out),
    }))


if __name__ == "__main__":
    main()
