"""From the trained network to a SPEC bundle, checked against the independent reference first.

export_bundle() writes the bundle (sinewich.json + model.safetensors) into a temporary directory,
loads it with tools/reference/sinewich_ref.py, runs every task on held-out images through both the
reference and the trainer's own forward (eval mode, float32, CPU) and compares the outputs of SPEC
4.8: segmentation probabilities, depth, unit normals, saliency / edge probabilities. Only when
every difference is within tolerance (depth: tolerance x max(1, max reference depth)) is the
directory renamed into place, with the model card beside the weights (MODEL_CARD.md,
model_card.json and the resolved training configuration).
"""

import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import make_bundle  # noqa: E402
import sinewich_ref as ref  # noqa: E402


class ExportError(RuntimeError):
    """The exported bundle does not reproduce the trained network."""


@torch.no_grad()
def outputs(net, images):
    """The trained network's logits O (N, K, h, w) per task, in eval mode."""
    was = net.training
    net.eval()
    result = {t: net(images, [t])[t] for t in net.task_names}
    net.train(was)
    return result


@torch.no_grad()
def compare(net, bundle_dir, images):
    """Max |difference| per task between the network and the reference on the bundle, and the
    network's own outputs ({task: (output name, tensor)}) for checks against other implementations."""
    rm = ref.load_bundle(bundle_dir)
    diffs, mine = {}, {}
    for t, O in outputs(net, images).items():
        kind = rm.tasks[t]["kind"]
        # SPEC §4.8 on the network's own logits (already at the image size), labels aside
        name, ours = [(k, v) for k, v in rm.head_outputs(O, t, images.shape[-2:]).items() if k != "labels"][0]
        theirs = rm.forward(images, t)[name]
        d = (ours - theirs).abs().max()
        scale = max(1.0, float(theirs.abs().max())) if kind == "depth" else 1.0
        diffs[t] = {"max_abs_diff": float(d), "scale": scale}
        mine[t] = (name, ours)
    return diffs, mine


def export_bundle(net, model_cfg, out_dir, images, tolerance, dtype, card=None):
    """Writes the verified bundle to out_dir; returns the per-task differences. images: (N,3,H,W)
    held-out images at the model size, on the CPU; net must be on the CPU."""
    tmp = out_dir.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    make_bundle.write_bundle(model_cfg, net.export(), tmp, dtype=dtype)
    diffs, mine = compare(net, tmp, images)
    bad = {t: d for t, d in diffs.items() if d["max_abs_diff"] > tolerance * d["scale"]}
    if bad:
        raise ExportError(f"the exported bundle ({tmp}) differs from the trained network by more than "
                          f"{tolerance} on held-out images: {json.dumps(bad)}")
    if card is not None:
        card["verification"] = {"reference": "tools/reference/sinewich_ref.py", "images": int(images.shape[0]),
                                "tolerance": tolerance, "tasks": diffs}
        write_card(tmp, card)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    # the trained network's own outputs on the held-out images, beside the bundle, so that any other
    # implementation (the server: tools/train/smoke_check.py server) can be held against them
    check = {"images": images.numpy()}
    for t, (name, value) in mine.items():
        check[f"{t}/{name}"] = value.numpy()
    np.savez(out_dir.rstrip("/") + ".check.npz", **check)
    return diffs


def _fmt(v):
    return "–" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def write_card(bundle_dir, card):
    """MODEL_CARD.md (for people) and model_card.json (for tools), plus the resolved configuration."""
    with open(os.path.join(bundle_dir, "model_card.json"), "w", encoding="utf-8") as f:
        json.dump(card, f, indent=1, default=float)
        f.write("\n")
    with open(os.path.join(bundle_dir, "training-config.json"), "w", encoding="utf-8") as f:
        json.dump(card["config"], f, indent=1)
        f.write("\n")
    m = card["model"]
    lines = [f"# {m['name']} {m['version']}", "",
             f"A Free Sinewich bundle (SPEC v1) trained by `tools/train/train.py` on {card['created']}.", "",
             "## Data", ""]
    for role, d in card["data"].items():
        if d:
            split = f", split {d['split']}" if d.get("split") else ""
            lines.append(f"- {role}: {d['type']} `{d['where']}`{split}, {d['items']} items")
    lines += ["", "## Command", "", "```sh", card["command"], "```", "",
              f"Configuration: `{card['config_file']}` (resolved copy: `training-config.json`; digest "
              f"`{card['config_digest'][:16]}`). Processes: {card['world_size']} on {card['device']}.", "",
              "## Trainable parameters", "", card["parameters"]["line"], "", "## Validation", ""]
    val = card.get("validation")
    if val:
        lines += ["| task | metric | value |", "| --- | --- | --- |"]
        for t, p in val["primary"].items():
            lines.append(f"| {t} | {p['metric']} | {_fmt(p['value'])} |")
    else:
        lines.append("No validation data set was configured.")
    dm = card.get("delta_m")
    if dm:
        lines += ["", f"Δm against `{dm['baseline']}`: **{dm['value']:+.2f} %** over "
                  f"{', '.join(dm['terms'])} (terms: "
                  + ", ".join(f"{t} {v:+.2f}" for t, v in dm["terms"].items()) + ")."]
    v = card["verification"]
    lines += ["", "## Export check", "",
              f"Outputs of the bundle under {v['reference']} against the trained network on {v['images']} "
              f"held-out images (tolerance {v['tolerance']}, depth × max(1, max depth)): "
              + ", ".join(f"{t} {d['max_abs_diff']:.2e}" for t, d in v["tasks"].items()) + "."]
    with open(os.path.join(bundle_dir, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
