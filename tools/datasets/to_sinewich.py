"""Convert a PASCAL-Context (PASCAL_MT) or NYUD-v2 (NYUD_MT) split to sinewich-dataset/v1, so the
server's evaluator (tools/evaluate.sh) scores exactly the data the trainer validates on.

  /usr/bin/python3 tools/datasets/to_sinewich.py pascal ROOT --split val --out DIR \
      [--normals-valid-classes db_info:DIR|all] [--limit N]
  /usr/bin/python3 tools/datasets/to_sinewich.py nyud ROOT --split val --out DIR [--limit N]

The ground truths are read by the trainer's own readers (tools/train/data), with the same
conventions (NYUD labels shifted to 0..39 with 0 -> ignore, PASCAL normals masked, saliency
thresholded). JPEG images are decoded once here and stored as PNG, so every evaluator sees the
same pixels. sinewich-dataset/v1 holds semseg, depth, normals and saliency; human parts and edges
have no place in it and are left out (the command says so).
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
import synthetic  # noqa: E402
from data import DataError  # noqa: E402
from data.nyud import NYUD  # noqa: E402
from data.pascal import PascalContext  # noqa: E402

V1 = ("semseg", "depth", "normals", "saliency")
FRAMES = {"pascal": "as in PASCAL_MT normals_distill (2 v / 255 - 1), unchanged",
          "nyud": "as in NYUD_MT normals/*.npy, unchanged"}


def convert(kind, root, split, out, normals_valid_classes=None, limit=None):
    """Writes the split as sinewich-dataset/v1; returns (dataset.json dict, left-out fields)."""
    if kind == "pascal":
        fields = ["semseg", "normals", "saliency"]
        reader = PascalContext(root, split, fields, normals_valid_classes, limit, where="--normals-valid-classes")
    else:
        fields = ["semseg", "depth", "normals"]
        reader = NYUD(root, split, fields, limit)
    left_out = [f for f in reader.fields if f not in V1]

    def items():
        for i, item_id in enumerate(reader.ids):
            s = reader.load(i, fields)
            if "saliency" in s:
                s["saliency"] = np.where(s["saliency"] > 0.5, 255, 0).astype(np.uint8)
            yield item_id, s

    meta = synthetic.write_dataset(out, f"{reader.name}", f"{kind} layout at {root}, split {split}", None,
                                   *_size(reader), items(), labels=reader.labels["semseg"], tasks=fields)
    _set_frame(out, meta, FRAMES[kind])
    return meta, left_out


def _size(reader):
    img = reader.load(0, [])["image"]
    return img.shape[0], img.shape[1]


def _set_frame(out, meta, frame):
    import json
    meta["normals_frame"] = frame
    with open(os.path.join(out, "dataset.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description="convert a PASCAL_MT / NYUD_MT split to sinewich-dataset/v1")
    ap.add_argument("layout", choices=["pascal", "nyud"])
    ap.add_argument("root")
    ap.add_argument("--split", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--normals-valid-classes", default=None,
                    help="pascal: db_info:DIR (the lineage's class tables), or all")
    ap.add_argument("--limit", type=int, default=None)
    a = ap.parse_args(argv)
    try:
        meta, left_out = convert(a.layout, a.root, a.split, a.out, a.normals_valid_classes, a.limit)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {len(meta['items'])} items ({', '.join(meta['tasks'])}) to {a.out}"
          + (f"; not representable in sinewich-dataset/v1, left out: {', '.join(left_out)}" if left_out else ""),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
