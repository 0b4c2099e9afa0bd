"""Validation metrics of the network during training, as the server's evaluator computes them.

Each image is taken as stored, resized to the model size (SPEC 4.1), run through the trainer's
forward in eval mode, and the logits are resized to the ground truth's size (SPEC 4.8); the metrics
are those of tools/evaluation/metrics_ref.py (docs/EVALUATION.md), which the Java evaluator is
checked against. Human parts are scored like semseg (mIoU over the 7 part classes, ignored pixels
and part-less images left out). Edges are not scored here (the lineage's optimal-dataset-scale
F-measure needs the SEISM toolbox); their validation loss is not reported either.
"""

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "evaluation"))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import metrics_ref as metrics  # noqa: E402
import sinewich_ref as ref  # noqa: E402

PRIMARY = {"semseg": ("miou", 1), "human_parts": ("miou", 1), "depth": ("rmse", -1), "normals": ("mean", -1),
           "saliency": ("max_iou", 1)}


@torch.no_grad()
def evaluate(net, reader, device, limit=None):
    """Metrics per task on a reader's items; returns {"tasks": {...}, "primary": {...}, "items": n}."""
    was = net.training
    net.eval()
    H, W = net.cfg["input"]["height"], net.cfg["input"]["width"]
    tasks = [t for t in net.task_names if t in PRIMARY]
    gts = {t: [] for t in tasks}
    preds = {t: [] for t in tasks}
    n = min(limit, len(reader.ids)) if limit else len(reader.ids)
    for i in range(n):
        sample = reader.load(i, tasks)
        img = torch.from_numpy(np.ascontiguousarray(sample["image"])).permute(2, 0, 1).float()[None] / 255.0
        h, w = img.shape[-2:]
        x = img if (h, w) == (H, W) else ref.resize_bilinear(img, (H, W), antialias=True)
        outs = net(x.to(device), tasks)
        for t in tasks:
            O = ref.resize_bilinear(outs[t].float().cpu(), (h, w), antialias=False)
            kind = net.cfg["tasks"][net.task_names.index(t)]["kind"]
            if kind == "segmentation":
                preds[t].append(O[0].argmax(0).numpy())
                gts[t].append(sample[t])
            elif kind == "depth":
                preds[t].append(torch.relu(O[0, 0]).numpy())
                gts[t].append(sample[t])
            elif kind == "normals":
                preds[t].append((O[0] / O[0].norm(dim=0, keepdim=True).clamp(min=1e-12)).numpy())
                gts[t].append(sample[t])
            else:
                preds[t].append(torch.sigmoid(O[0, 0]).numpy())
                gts[t].append(np.where(sample[t] > 0.5, 255, 0).astype(np.uint8))
    net.train(was)
    res = {}
    for t in tasks:
        kind = net.cfg["tasks"][net.task_names.index(t)]["kind"]
        if kind == "segmentation":
            labels = net.cfg["tasks"][net.task_names.index(t)]["labels"]
            if any((g != 255).any() for g in gts[t]):
                res[t] = metrics.semseg_metrics(gts[t], preds[t], len(labels), labels, 255)
        elif kind == "depth":
            if any(((g > 0) & np.isfinite(g)).any() for g in gts[t]):
                res[t] = metrics.depth_metrics(gts[t], preds[t])
        elif kind == "normals":
            if any((np.abs(g).sum(0) > 0).any() for g in gts[t]):
                res[t] = metrics.normals_metrics(gts[t], preds[t])
        else:
            res[t] = metrics.saliency_metrics(gts[t], preds[t])
    primary = {t: {"metric": PRIMARY[t][0], "value": float(r[PRIMARY[t][0]]), "higher_is_better": PRIMARY[t][1] > 0}
               for t, r in res.items()}
    return {"tasks": res, "primary": primary, "items": n}


def delta_m(primary, baseline_path):
    """Δm (docs/EVALUATION.md) of primary metrics against a sinewich-evaluation/v1 report (or any
    JSON with tasks.<task>.<metric>), over the tasks both have."""
    import json
    with open(baseline_path, encoding="utf-8") as f:
        base = json.load(f)
    terms, values = {}, {}
    for t, p in primary.items():
        b = base.get("tasks", {}).get(t, {}).get(p["metric"])
        if b is None:
            continue
        if b == 0:
            raise ValueError(f"{baseline_path}: tasks.{t}.{p['metric']} is 0, Δm is undefined")
        s = 1 if p["higher_is_better"] else -1
        terms[t] = s * (p["value"] - b) / b * 100.0
        values[t] = b
    if not terms:
        raise ValueError(f"{baseline_path}: no task in common with the validation metrics ({', '.join(primary)})")
    return {"baseline": baseline_path, "value": sum(terms.values()) / len(terms), "terms": terms,
            "baseline_values": values}
