#!/usr/bin/python3
"""Independent NumPy reference for the evaluation metrics (docs/EVALUATION.md).

Usage (run with Debian's /usr/bin/python3, which has NumPy and PIL):
  /usr/bin/python3 tools/evaluation/metrics_ref.py generate <dir>   # write the fixture, then expected.json
  /usr/bin/python3 tools/evaluation/metrics_ref.py expected <dir>   # recompute <dir>/expected.json

The fixture is a small sinewich-dataset/v1 directory with random ground truths (including ignored,
invalid and empty cases) plus random predictions under predictions/<task>/ (semseg as an 8-bit PNG of
data-set class indices, values >= K meaning "no data-set class"; depth, normals and saliency as
.npy). expected.json holds the metrics computed here from the files on disk; the Java test
EvaluationCrossCheckTest feeds the same files to the Java accumulators and must agree to 1e-6.
"""
import json
import os
import sys

import numpy as np
from PIL import Image

LABELS = ["c0", "c1", "c2", "c3", "c4"]
IGNORE = 255
H, W = 6, 8
ITEMS = ["a000", "a001", "a002", "a003"]
THRESHOLDS = [(20 + 5 * i) / 100 for i in range(15)]
LOG_EPS = 1e-3


def save_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def save_npy(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array, dtype="<f4"))


def generate(root):
    rng = np.random.default_rng(20261127)
    for n, item in enumerate(ITEMS):
        save_png(f"{root}/images/{item}.png", rng.integers(0, 256, (H, W, 3), dtype=np.uint8))
        # segmentation: classes 0, 1, 2 labelled, 3 never labelled nor predicted, 4 only predicted
        gt = rng.integers(0, 3, (H, W)).astype(np.uint8)
        gt[rng.random((H, W)) < 0.1] = IGNORE
        pred = np.where(rng.random((H, W)) < 0.6, gt, rng.integers(0, 3, (H, W))).astype(np.uint8)
        pred[pred == IGNORE] = 0
        pred[rng.random((H, W)) < 0.05] = 4
        pred[rng.random((H, W)) < 0.05] = 9  # a model class with no data-set class
        save_png(f"{root}/semseg/{item}.png", gt)
        save_png(f"{root}/predictions/semseg/{item}.png", pred)
        # depth: metres, with zeros and non-finite values marking invalid pixels
        depth = rng.uniform(0.5, 10.0, (H, W)).astype(np.float32)
        depth[rng.random((H, W)) < 0.1] = 0
        depth[0, 0] = np.nan
        depth[0, 1] = np.inf
        pd = (depth * (0.5 + n * 0.3) + rng.normal(0, 0.5, (H, W))).astype(np.float32)
        pd = np.nan_to_num(np.maximum(pd, 0), nan=1.0, posinf=1.0)
        pd[rng.random((H, W)) < 0.05] = 0  # zero predictions exercise the log floor
        save_npy(f"{root}/depth/{item}.npy", depth)
        save_npy(f"{root}/predictions/depth/{item}.npy", pd)
        # normals: unit ground truth, all-zero where invalid; predictions not normalised
        g = rng.normal(0, 1, (3, H, W))
        g /= np.linalg.norm(g, axis=0, keepdims=True)
        g = g.astype(np.float32)
        g[:, rng.random((H, W)) < 0.1] = 0
        p = (g + rng.normal(0, 0.4, (3, H, W)) * rng.uniform(0.5, 2.0)).astype(np.float32)
        p[:, 1, 1] = -g[:, 1, 1]  # opposite: 180 degrees
        p[:, 2, 2] = 0  # zero prediction: 90 degrees
        save_npy(f"{root}/normals/{item}.npy", g)
        save_npy(f"{root}/predictions/normals/{item}.npy", p)
        # saliency: the last image has no salient pixel
        sal = (rng.random((H, W)) < 0.3).astype(np.uint8) * 255
        if n == len(ITEMS) - 1:
            sal[:] = 0
        ps = np.clip(sal / 255.0 * 0.5 + rng.uniform(0, 0.6, (H, W)), 0, 1).astype(np.float32)
        if n == len(ITEMS) - 1:
            ps = (ps * 0.3).astype(np.float32)
        ps[0, :4] = np.float32(0.25)  # exactly on a threshold: not above it
        save_png(f"{root}/saliency/{item}.png", sal)
        save_npy(f"{root}/predictions/saliency/{item}.npy", ps)
    manifest = {
        "format": "sinewich-dataset/v1", "name": "metrics-cross-check", "source": "tools/evaluation/metrics_ref.py",
        "seed": 20261127, "height": H, "width": W, "tasks": ["semseg", "depth", "normals", "saliency"],
        "labels": LABELS, "ignore_label": IGNORE, "depth_unit": "m",
        "normals_frame": "camera: x right, y up, z towards the camera", "items": ITEMS,
    }
    with open(f"{root}/dataset.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def load_png(path):
    return np.asarray(Image.open(path))


def semseg_metrics(gts, preds, k, labels=None, ignore=IGNORE):
    labels = LABELS if labels is None else labels
    conf = np.zeros((k, k + 1), dtype=np.int64)
    for gt, pred in zip(gts, preds):
        valid = gt != ignore
        g = gt[valid].astype(np.int64)
        p = pred[valid].astype(np.int64)
        p = np.where((p >= 0) & (p < k), p, k)
        np.add.at(conf, (g, p), 1)
    tp = np.diag(conf[:, :k]).astype(np.float64)
    union = conf.sum(axis=1) + conf[:, :k].sum(axis=0) - tp
    iou = [None if u == 0 else 100.0 * t / u for t, u in zip(tp, union)]
    present = [v for v in iou if v is not None]
    return {"miou": float(np.mean(present)), "pixel_accuracy": 100.0 * tp.sum() / conf.sum(),
            "per_class_iou": dict(zip(labels, iou)), "pixels": int(conf.sum())}


def depth_errors(g, p):
    d = p - g
    lg = np.log(np.maximum(p, LOG_EPS)) - np.log(g)
    return {"rmse": float(np.sqrt(np.mean(d * d))), "abs_rel": float(np.mean(np.abs(d) / g)),
            "log_rmse": float(np.sqrt(np.mean(lg * lg)))}


def depth_metrics(gts, preds):
    gs, ps, scaled = [], [], []
    for gt, pred in zip(gts, preds):
        valid = np.isfinite(gt) & (gt > 0)
        if not valid.any():
            continue
        g = gt[valid].astype(np.float64)
        p = pred[valid].astype(np.float64)
        s = np.median(g) / max(np.median(p), LOG_EPS)
        gs.append(g)
        ps.append(p)
        scaled.append(p * s)
    g, p = np.concatenate(gs), np.concatenate(ps)
    out = depth_errors(g, p)
    out["median_scaled"] = depth_errors(g, np.concatenate(scaled))
    out["valid_pixels"] = int(g.size)
    out["images"] = len(gs)
    return out


def normals_metrics(gts, preds):
    angles = []
    for gt, pred in zip(gts, preds):
        g = gt.reshape(3, -1).astype(np.float64)
        p = pred.reshape(3, -1).astype(np.float64)
        gn = np.linalg.norm(g, axis=0)
        valid = np.isfinite(gn) & (gn > 0)
        g, p, gn = g[:, valid], p[:, valid], gn[valid]
        pn = np.linalg.norm(p, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = np.where(pn == 0, 0.0, (g * p).sum(axis=0) / (gn * pn))
        angles.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    a = np.concatenate(angles)
    return {"mean": float(a.mean()), "median": float(np.median(a)), "within_11_25": 100.0 * np.mean(a < 11.25),
            "within_22_5": 100.0 * np.mean(a < 22.5), "within_30": 100.0 * np.mean(a < 30),
            "valid_pixels": int(a.size)}


def saliency_metrics(gts, preds):
    t = len(THRESHOLDS)
    tp, fp, fn, iou = np.zeros(t), np.zeros(t), np.zeros(t), np.zeros(t)
    for gt, pred in zip(gts, preds):
        g = gt.astype(np.float64) / 255.0 > 0.5
        for i, th in enumerate(THRESHOLDS):
            p = pred.astype(np.float64) > th
            tp[i] += np.sum(g & p)
            fp[i] += np.sum(~g & p)
            fn[i] += np.sum(g & ~p)
            union = np.sum(g | p)
            iou[i] += 1.0 if union == 0 else np.sum(g & p) / union
    iou /= len(gts)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(tp + fp == 0, 0, tp / (tp + fp))
        rec = np.where(tp + fn == 0, 0, tp / (tp + fn))

        def f(b2):
            den = b2 * prec + rec
            return np.where(den == 0, 0, (1 + b2) * prec * rec / den)
    f03, f1 = f(0.3), f(1.0)
    return {"max_f": 100.0 * f03.max(), "max_f_threshold": THRESHOLDS[int(np.argmax(f03))],
            "max_f1": 100.0 * f1.max(), "max_iou": 100.0 * iou.max(),
            "max_iou_threshold": THRESHOLDS[int(np.argmax(iou))], "images": len(gts)}


def expected(root):
    with open(f"{root}/dataset.json") as f:
        manifest = json.load(f)
    ids = manifest["items"]
    out = {
        "semseg": semseg_metrics([load_png(f"{root}/semseg/{i}.png") for i in ids],
                                 [load_png(f"{root}/predictions/semseg/{i}.png") for i in ids],
                                 len(manifest["labels"])),
        "depth": depth_metrics([np.load(f"{root}/depth/{i}.npy") for i in ids],
                               [np.load(f"{root}/predictions/depth/{i}.npy") for i in ids]),
        "normals": normals_metrics([np.load(f"{root}/normals/{i}.npy") for i in ids],
                                   [np.load(f"{root}/predictions/normals/{i}.npy") for i in ids]),
        "saliency": saliency_metrics([load_png(f"{root}/saliency/{i}.png") for i in ids],
                                     [np.load(f"{root}/predictions/saliency/{i}.npy") for i in ids]),
    }
    with open(f"{root}/expected.json", "w") as f:
        json.dump(out, f, indent=1, default=float)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("generate", "expected"):
        sys.exit(__doc__)
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
    expected(sys.argv[2])
