"""NYUD-v2 in the multi-task layout of this line of work ("NYUD_MT", as read by
Multi-Task-Learning-PyTorch's data/nyud.py and the code built on it):

  ROOT/images/{id}.jpg          RGB image
  ROOT/gt_sets/{split}.txt      item ids, one a line (train: 795, val: 654)
  ROOT/segmentation/{id}.png    40 classes as 1..40, 0 = unlabelled (read as v - 1, 0 -> 255 ignore,
                                "we ignore the background class as other related works")
  ROOT/depth/{id}.npy           float (h, w), metres, 0 = invalid
  ROOT/normals/{id}.npy         float (h, w, 3), unit vectors, all-zero = invalid
  ROOT/edge/{id}.npy            float (h, w), 1 on boundaries

Ground truths of another size than the image are resized to it by nearest neighbour.
"""

import os

import numpy as np
from PIL import Image

from .pascal import _fit

NYU40_LABELS = ["wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf", "picture",
                "counter", "blinds", "desk", "shelves", "curtain", "dresser", "pillow", "mirror", "floor mat",
                "clothes", "ceiling", "books", "refridgerator", "television", "paper", "towel", "shower curtain",
                "box", "whiteboard", "person", "night stand", "toilet", "sink", "lamp", "bathtub", "bag",
                "otherstructure", "otherfurniture", "otherprop"]
FIELDS = ("semseg", "depth", "normals", "edges")
_FILES = {"image": ("images", ".jpg"), "semseg": ("segmentation", ".png"), "depth": ("depth", ".npy"),
          "normals": ("normals", ".npy"), "edges": ("edge", ".npy")}


class NYUD:
    """Reader of the NYUD_MT layout (module docstring)."""

    def __init__(self, root, split, fields, limit=None):
        from . import DataError
        self.root, self.name = root, f"nyud-v2-{split}"
        self.fields = list(FIELDS)
        self.labels = {"semseg": NYU40_LABELS}
        split_file = os.path.join(root, "gt_sets", split + ".txt")
        if not os.path.isfile(split_file):
            raise DataError(f"{split_file}: missing (the split's item list of the NYUD_MT layout)")
        with open(split_file, encoding="utf-8") as f:
            ids = [ln.strip() for ln in f if ln.strip()]
        self.ids = ids[:limit] if limit else ids
        for i in range(len(self.ids)):
            for fld in ["image"] + list(fields):
                p = self.path(fld, i)
                if not os.path.isfile(p):
                    raise DataError(f"{p}: missing ({fld} of item {self.ids[i]} in {split_file})")

    def path(self, field, i):
        sub, ext = _FILES[field]
        return os.path.join(self.root, sub, self.ids[i] + ext)

    def _npy(self, field, i, ndim):
        from . import DataError
        a = np.load(self.path(field, i), allow_pickle=False)
        if a.ndim != ndim:
            raise DataError(f"{self.path(field, i)}: expected {ndim} axes, found shape {a.shape}")
        return a.astype(np.float32)

    def load(self, i, fields):
        img = np.array(Image.open(self.path("image", i)).convert("RGB"))
        hw = img.shape[:2]
        out = {"image": img}
        for f in fields:
            if f == "semseg":
                s = np.array(Image.open(self.path(f, i))).astype(np.int32)
                out[f] = _fit(np.where(s == 0, 255, s - 1).astype(np.uint8), hw)
            elif f == "depth":
                d = self._npy(f, i, 2)
                out[f] = _fit(np.where(np.isfinite(d), d, 0.0).astype(np.float32), hw)
            elif f == "normals":
                out[f] = np.ascontiguousarray(_fit(self._npy(f, i, 3), hw).transpose(2, 0, 1))
            elif f == "edges":
                out[f] = (_fit(self._npy(f, i, 2), hw) > 0.5).astype(np.float32)
        return out
