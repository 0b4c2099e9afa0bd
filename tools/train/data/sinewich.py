"""sinewich-dataset/v1 directories (docs/DATASETS.md) and procedural scenes generated in memory
(tools/datasets/synthetic.py), as trainer readers (data/__init__.py)."""

import json
import os
import sys
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tools", "datasets"))
import synthetic  # noqa: E402

V1_FIELDS = ("semseg", "depth", "normals", "saliency")


class SinewichDataset:
    """A sinewich-dataset/v1 directory; depth in cm or mm is converted to metres."""

    def __init__(self, root, limit=None):
        from . import DataError
        self.root = root
        path = os.path.join(root, "dataset.json")
        try:
            with open(path, encoding="utf-8") as f:
                meta = json.load(f)
        except FileNotFoundError as e:
            raise DataError(f"{path}: missing (a sinewich-dataset/v1 directory has a dataset.json)") from e
        except json.JSONDecodeError as e:
            raise DataError(f"{path}: not valid JSON: {e}") from e
        if meta.get("format") != "sinewich-dataset/v1":
            raise DataError(f"{path}: format must be sinewich-dataset/v1, found {meta.get('format')!r}")
        for k in ("name", "tasks", "items"):
            if k not in meta:
                raise DataError(f"{path}: key {k} is missing")
        self.name = meta["name"]
        self.fields = [t for t in meta["tasks"] if t in V1_FIELDS]
        self.labels = {"semseg": list(meta.get("labels") or [])}
        self.ignore = int(meta.get("ignore_label", 255))
        self.depth_scale = {"m": 1.0, "cm": 0.01, "mm": 0.001}[meta.get("depth_unit", "m")]
        self.ids = list(meta["items"])[:limit] if limit else list(meta["items"])

    def _file(self, sub, i, ext):
        from . import DataError
        p = os.path.join(self.root, sub, self.ids[i] + ext)
        if not os.path.isfile(p):
            raise DataError(f"{p}: missing (item {self.ids[i]} of {self.root}/dataset.json)")
        return p

    def load(self, i, fields):
        out = {"image": np.array(Image.open(self._file("images", i, ".png")).convert("RGB"))}
        for f in fields:
            if f == "semseg":
                s = np.array(Image.open(self._file("semseg", i, ".png")))
                out[f] = np.where(s == self.ignore, 255, s).astype(np.uint8)
            elif f == "depth":
                out[f] = np.load(self._file("depth", i, ".npy")).astype(np.float32) * np.float32(self.depth_scale)
            elif f == "normals":
                out[f] = np.load(self._file("normals", i, ".npy")).astype(np.float32)
            elif f == "saliency":
                out[f] = np.array(Image.open(self._file("saliency", i, ".png"))).astype(np.float32) / 255.0
        return out


class SyntheticScenes:
    """Items start .. start+count-1 of tools/datasets/synthetic.py with a seed, rendered once into
    memory (optionally cached in an .npz file keyed by seed, count and size)."""

    def __init__(self, seed, count, height, width, start=0, cache=None, log=print):
        self.name = f"synthetic-s{seed}-{count}x{height}x{width}"
        self.root = self.name
        self.fields = list(V1_FIELDS)
        self.labels = {"semseg": list(synthetic.LABELS)}
        self.ids = [f"{i:06d}" for i in range(start, start + count)]
        data = None
        if cache and os.path.exists(cache):
            z = np.load(cache)
            if z["image"].shape[:3] == (count, height, width):
                data = {k: z[k] for k in z.files}
        if data is None:
            t0 = time.time()
            items = [it for _, it in synthetic.generate(seed, count, height, width, start)]
            data = {k: np.stack([it[k] for it in items]) for k in ("image",) + V1_FIELDS}
            log(f"generated {count} scenes in {time.time() - t0:.0f}s")
            if cache:
                tmp = cache + f".{os.getpid()}.tmp.npz"
                np.savez(tmp, **data)
                os.replace(tmp, cache)
        self.data = data

    def load(self, i, fields):
        d = self.data
        out = {"image": d["image"][i]}
        for f in fields:
            out[f] = d[f][i] if f != "saliency" else d[f][i].astype(np.float32) / 255.0
        return out
