"""Evaluate a Sinewich bundle on a sinewich-dataset/v1 dataset with the reference forward.

  /usr/bin/python3 tools/train/evaluate.py --bundle DIR --data DIR [--limit N]

Prints one JSON object. Definitions (all pooled over every pixel of every item, not per image):
- semseg:   confusion matrix over pixels whose label != ignore_label; IoU_c = TP/(TP+FP+FN) for
            classes with TP+FP+FN > 0; mIoU = mean of those (in %); pixel accuracy (%).
- depth:    over pixels with finite GT > 0: RMSE (m), abs-rel = mean(|pred - gt| / gt).
- normals:  over pixels whose GT is non-zero: angle = acos(clamp(pred . gt, -1, 1)) in degrees;
            mean angle, median angle, % of pixels below 11.25 deg.
- saliency: GT = value > 127; for thresholds k/100, k = 1..99, pred = saliency > threshold;
            precision, recall and IoU pooled over the dataset; max-F with beta^2 = 0.3 and max-IoU
            over the thresholds (in %).
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
import sinewich_ref as ref  # noqa: E402


def read_png(path):
    from PIL import Image
    return np.array(Image.open(path))


class Metrics:
    def __init__(self, n_classes, ignore):
        self.conf = np.zeros((n_classes, n_classes), np.int64)
        self.ignore = ignore
        self.d_se = self.d_rel = 0.0
        self.d_n = 0
        self.angles = []
        self.th = np.arange(1, 100) / 100.0
        self.tp = np.zeros(len(self.th))
        self.fp = np.zeros(len(self.th))
        self.fn = np.zeros(len(self.th))

    def semseg(self, pred, gt):
        m = gt != self.ignore
        k = self.conf.shape[0]
        self.conf += np.bincount(gt[m].astype(np.int64) * k + pred[m], minlength=k * k).reshape(k, k)

    def depth(self, pred, gt):
        m = np.isfinite(gt) & (gt > 0)
        e = pred[m].astype(np.float64) - gt[m]
        self.d_se += float((e * e).sum())
        self.d_rel += float((np.abs(e) / gt[m]).sum())
        self.d_n += int(m.sum())

    def normals(self, pred, gt):
        m = np.abs(gt).sum(0) > 0
        cos = np.clip((pred[:, m] * gt[:, m]).sum(0), -1, 1)
        self.angles.append(np.degrees(np.arccos(cos)))

    def saliency(self, pred, gt):
        g = gt > 127
        for i, t in enumerate(self.th):
            p = pred > t
            self.tp[i] += np.sum(p & g)
            self.fp[i] += np.sum(p & ~g)
            self.fn[i] += np.sum(~p & g)

    def result(self, tasks):
        out = {}
        if "semseg" in tasks:
            tp = np.diag(self.conf).astype(np.float64)
            union = self.conf.sum(0) + self.conf.sum(1) - tp
            present = union > 0
            out["semseg"] = {"mIoU": 100 * float(np.mean(tp[present] / union[present])),
                             "pixel_acc": 100 * float(tp.sum() / max(1, self.conf.sum())),
                             "iou_per_class": [round(100 * float(a / b), 2) if b > 0 else None
                                               for a, b in zip(tp, union)]}
        if "depth" in tasks:
            out["depth"] = {"rmse": float(np.sqrt(self.d_se / max(1, self.d_n))),
                            "abs_rel": float(self.d_rel / max(1, self.d_n)), "pixels": self.d_n}
        if "normals" in tasks:
            a = np.concatenate(self.angles) if self.angles else np.zeros(0)
            out["normals"] = {"mean_angle": float(a.mean()), "median_angle": float(np.median(a)),
                              "pct_below_11_25": 100 * float((a < 11.25).mean()), "pixels": int(a.size)}
        if "saliency" in tasks:
            prec = self.tp / np.maximum(1, self.tp + self.fp)
            rec = self.tp / np.maximum(1, self.tp + self.fn)
            f = 1.3 * prec * rec / np.maximum(1e-12, 0.3 * prec + rec)
            iou = self.tp / np.maximum(1, self.tp + self.fp + self.fn)
            out["saliency"] = {"max_F": 100 * float(f.max()), "max_IoU": 100 * float(iou.max())}
        return out


def evaluate(model, data_dir, limit=None, batch=8):
    with open(os.path.join(data_dir, "dataset.json"), encoding="utf-8") as f:
        meta = json.load(f)
    items = meta["items"][:limit] if limit else meta["items"]
    tasks = [t for t in meta["tasks"] if t in model.tasks]
    seg = [t for t in tasks if model.tasks[t]["kind"] == "segmentation"]
    M = Metrics(len(meta.get("labels") or [0, 1]), meta.get("ignore_label", 255))
    for b in range(0, len(items), batch):
        ids = items[b:b + batch]
        imgs = torch.from_numpy(np.stack([read_png(os.path.join(data_dir, "images", i + ".png"))[..., :3]
                                          for i in ids])).permute(0, 3, 1, 2).float() / 255.0
        for t in tasks:
            out = model.forward(imgs, t)
            for k, i in enumerate(ids):
                if t in seg:
                    M.semseg(out["labels"][k].numpy().astype(np.int64), read_png(os.path.join(data_dir, "semseg", i + ".png")))
                elif t == "depth":
                    M.depth(out["depth"][k].numpy(), np.load(os.path.join(data_dir, "depth", i + ".npy")))
                elif t == "normals":
                    M.normals(out["normals"][k].numpy(), np.load(os.path.join(data_dir, "normals", i + ".npy")))
                elif t == "saliency":
                    M.saliency(out["saliency"][k].numpy(), read_png(os.path.join(data_dir, "saliency", i + ".png")))
    res = M.result(tasks)
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
    print(json.dumps(evaluate(ref.load_bundle(a.bundle), a.data, a.limit), indent=1))


if __name__ == "__main__":
    main()
