"""Evaluate a Sinewich bundle on a sinewich-dataset/v1 dataset with the reference forward.

  /usr/bin/python3 tools/train/evaluate.py --bundle DIR --data DIR [--limit N]

Prints one JSON object. The metrics are those of tools/evaluation/metrics_ref.py, the NumPy
reference the server's evaluator (tools/evaluate.sh, docs/EVALUATION.md) is checked against, so
both give the same figures: semseg mIoU and pixel accuracy pooled over the data set; depth RMSE,
abs-rel and log-RMSE over valid pixels (also median-scaled); normals mean and median angle and
% within 11.25/22.5/30 degrees; saliency max-F (beta^2 = 0.3, pooled) and max-IoU (mean per-image
IoU) over the thresholds 0.20, 0.25, ..., 0.90.
The model sees each image exactly as stored (the server resizes to the model size itself; here the
reference forward does the same, SPEC 4.1) and outputs come back at the image size (SPEC 4.8).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tools", "evaluation"))
import metrics_ref as metrics  # noqa: E402
import sinewich_ref as ref  # noqa: E402


def read_png(path):
    from PIL import Image
    return np.array(Image.open(path))


def evaluate(model, data_dir, limit=None, batch=8):
    with open(os.path.join(data_dir, "dataset.json"), encoding="utf-8") as f:
        meta = json.load(f)
    items = meta["items"][:limit] if limit else meta["items"]
    tasks = [t for t in meta["tasks"] if t in model.tasks]
    gts = {t: [] for t in tasks}
    preds = {t: [] for t in tasks}
    truth = {"semseg": lambda i: read_png(os.path.join(data_dir, "semseg", i + ".png")),
             "depth": lambda i: np.load(os.path.join(data_dir, "depth", i + ".npy")),
             "normals": lambda i: np.load(os.path.join(data_dir, "normals", i + ".npy")),
             "saliency": lambda i: read_png(os.path.join(data_dir, "saliency", i + ".png"))}
    output = {"semseg": "labels", "depth": "depth", "normals": "normals", "saliency": "saliency"}
    for b in range(0, len(items), batch):
        ids = items[b:b + batch]
        imgs = torch.from_numpy(np.stack([read_png(os.path.join(data_dir, "images", i + ".png"))[..., :3]
                                          for i in ids])).permute(0, 3, 1, 2).float() / 255.0
        for t in tasks:
            out = model.forward(imgs, t)[output[t]]
            for k, i in enumerate(ids):
                gts[t].append(truth[t](i))
                preds[t].append(out[k].numpy())
    res = {}
    if "semseg" in tasks:
        labels = meta.get("labels") or []
        res["semseg"] = metrics.semseg_metrics(gts["semseg"], preds["semseg"], len(labels), labels,
                                               meta.get("ignore_label", 255))
    if "depth" in tasks:
        res["depth"] = metrics.depth_metrics(gts["depth"], preds["depth"])
    if "normals" in tasks:
        res["normals"] = metrics.normals_metrics(gts["normals"], preds["normals"])
    if "saliency" in tasks:
        res["saliency"] = metrics.saliency_metrics(gts["saliency"], preds["saliency"])
    res["dataset"] = meta["name"]
    res["items"] = len(items)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description="evaluate a bundle on a sinewich-dataset/v1 dataset")
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    print(json.dumps(evaluate(ref.load_bundle(a.bundle), a.data, a.limit), indent=1, default=float))


if __name__ == "__main__":
    main()
