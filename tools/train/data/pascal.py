"""PASCAL-Context in the multi-task layout of this line of work ("PASCAL_MT", as read by
Multi-Task-Learning-PyTorch's data/pascal_context.py and the code built on it, MTLoRA included):

  ROOT/JPEGImages/{id}.jpg                  RGB image
  ROOT/ImageSets/Context/{split}.txt        item ids, one a line (train: 4998, val: 5105)
  ROOT/semseg/VOC12/{id}.png                semseg, 21 VOC classes, 255 = ignore; preferred when present,
  ROOT/semseg/pascal-context/{id}.png       else this one
  ROOT/human_parts/{id}.mat                 PASCAL-Part annotation: anno.objects(class, class_ind, mask,
                                            parts(part_name, mask)); person = class_ind 15
  ROOT/normals_distill/{id}.png             distilled normals, RGB, n = 2 v / 255 - 1
  ROOT/sal_distill/{id}.png                 distilled saliency, grey, salient where v / 255 > 0.5
  ROOT/pascal-context/trainval/{id}.mat     LabelMap (the full PASCAL-Context labels): edges are its
                                            label boundaries, and it masks the normals

As the lineage reads them:
  - human parts: the 24 PASCAL-Part person parts grouped into 6 (head, torso, upper arm, lower
    arm + hand, upper leg, lower leg + foot), 0 = background; an image without a person that has
    parts is ignored entirely (label 255), as its AddIgnoreRegions does;
  - edges: pixels where the 4-neighbour Laplacian of LabelMap (reflected border) is non-zero,
    thinned (skimage.morphology.thin);
  - normals: kept only on pixels whose LabelMap class is one the NYUD normals were trained on
    (normals_valid_classes), zero (invalid) elsewhere;
  - saliency thresholded at 0.5.
Ground truths of another size than the image are resized to it by nearest neighbour.
Needs scipy (.mat files) and, for edges, scikit-image (Debian python3-scipy, python3-skimage).
"""

import json
import os

import numpy as np
from PIL import Image

VOC_LABELS = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
              "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
              "tvmonitor"]
PART_LABELS = ["background", "head", "torso", "uarm", "larm", "uleg", "lleg"]
PERSON = 15
_HEAD = ("hair", "head", "lear", "lebrow", "leye", "mouth", "nose", "rear", "rebrow", "reye")
PART_GROUP = dict({p: 1 for p in _HEAD}, neck=2, torso=2, luarm=3, ruarm=3, llarm=4, rlarm=4, lhand=4, rhand=4,
                  luleg=5, ruleg=5, llleg=6, rlleg=6, lfoot=6, rfoot=6)
FIELDS = ("semseg", "human_parts", "normals", "saliency", "edges")


def _loadmat(path):
    import scipy.io
    return scipy.io.loadmat(path)


def label_edges(label_map):
    """Thinned boundaries of a label map: |4-neighbour Laplacian| > 0 (border reflected without
    repeating the edge pixel), then morphological thinning."""
    from skimage.morphology import thin
    m = label_map.astype(np.float64)
    p = np.pad(m, 1, mode="reflect")
    lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * m
    return thin(np.abs(lap) > 0).astype(np.float32)


def human_parts(path, shape):
    """The 6-part map of a PASCAL-Part .mat file, or all-255 when no person has parts."""
    objects = _loadmat(path)["anno"][0][0][1][0]
    target = None
    for obj in objects:
        if int(obj[1][0][0]) != PERSON or len(obj[3]) == 0:
            continue
        if target is None:
            target = np.zeros(obj[2].shape, np.uint8)
        for part in obj[3][0]:
            name = str(part[0][0])
            if name not in PART_GROUP:
                raise ValueError(f"{path}: unknown person part {name!r}")
            target[part[1].astype(bool)] = PART_GROUP[name]
    return np.full(shape, 255, np.uint8) if target is None else target


def valid_normal_classes(spec, where):
    """The LabelMap classes on which distilled normals count: 'db_info:DIR' (the lineage's
    context_classes.json and nyu_classes.json: the context ids of the NYUD class names other than
    'unknown', plus tvmonitor), a list of ids, or 'all' (None = every pixel)."""
    from . import DataError
    if spec == "all":
        return None
    if isinstance(spec, list) and all(isinstance(i, int) for i in spec):
        return set(spec)
    if isinstance(spec, str) and spec.startswith("db_info:"):
        d = spec[len("db_info:"):]
        try:
            with open(os.path.join(d, "context_classes.json"), encoding="utf-8") as f:
                ctx = json.load(f)
            with open(os.path.join(d, "nyu_classes.json"), encoding="utf-8") as f:
                nyu = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise DataError(f"{where}.normals_valid_classes: {e}") from e
        ids = {ctx[n] for n in nyu if n in ctx and n != "unknown"}
        if "tvmonitor" in ctx:
            ids.add(ctx["tvmonitor"])
        return ids
    raise DataError(f"{where}.normals_valid_classes is required for PASCAL-Context normals: 'db_info:DIR' "
                    "(a folder with the lineage's context_classes.json and nyu_classes.json), a list of "
                    "pascal-context label ids, or 'all'")


class PascalContext:
    """Reader of the PASCAL_MT layout (module docstring)."""

    def __init__(self, root, split, fields, normals_valid_classes=None, limit=None, where="data"):
        from . import DataError
        self.root, self.name = root, f"pascal-context-{split}"
        self.fields = list(FIELDS)
        self.labels = {"semseg": VOC_LABELS, "human_parts": PART_LABELS}
        split_file = os.path.join(root, "ImageSets", "Context", split + ".txt")
        if not os.path.isfile(split_file):
            raise DataError(f"{split_file}: missing (the split's item list of the PASCAL_MT layout)")
        with open(split_file, encoding="utf-8") as f:
            ids = [ln.strip() for ln in f if ln.strip()]
        self.ids = ids[:limit] if limit else ids
        self.normal_classes = valid_normal_classes(normals_valid_classes, where) if "normals" in fields else None
        for i in range(len(self.ids)):  # every file up front: a missing one fails now, not hours in
            for f in ["image"] + list(fields):
                p = self.path(f, i)
                if not os.path.isfile(p):
                    raise DataError(f"{p}: missing ({f} of item {self.ids[i]} in {split_file})")

    def path(self, field, i):
        r, n = self.root, self.ids[i]
        if field == "image":
            return os.path.join(r, "JPEGImages", n + ".jpg")
        if field == "semseg":
            voc = os.path.join(r, "semseg", "VOC12", n + ".png")
            return voc if os.path.isfile(voc) else os.path.join(r, "semseg", "pascal-context", n + ".png")
        if field == "human_parts":
            return os.path.join(r, "human_parts", n + ".mat")
        if field == "normals":
            return os.path.join(r, "normals_distill", n + ".png")
        if field == "saliency":
            return os.path.join(r, "sal_distill", n + ".png")
        if field in ("edges", "label_map"):
            return os.path.join(r, "pascal-context", "trainval", n + ".mat")
        raise KeyError(field)

    def load(self, i, fields):
        img = np.array(Image.open(self.path("image", i)).convert("RGB"))
        hw = img.shape[:2]
        out = {"image": img}
        label_map = None
        if "edges" in fields or ("normals" in fields and self.normal_classes is not None):
            label_map = _loadmat(self.path("label_map", i))["LabelMap"]
        for f in fields:
            if f == "semseg":
                out[f] = np.array(Image.open(self.path(f, i))).astype(np.uint8)
            elif f == "human_parts":
                out[f] = human_parts(self.path(f, i), hw)
            elif f == "normals":
                n = np.array(Image.open(self.path(f, i)).convert("RGB")).astype(np.float32) * (2.0 / 255.0) - 1.0
                n = _fit(n, hw)
                if self.normal_classes is not None:
                    keep = np.isin(_fit(label_map, hw), list(self.normal_classes))
                    n = np.where(keep[..., None], n, 0.0).astype(np.float32)
                out[f] = np.ascontiguousarray(n.transpose(2, 0, 1))
            elif f == "saliency":
                s = np.array(Image.open(self.path(f, i)).convert("L")).astype(np.float32) / 255.0
                out[f] = (s > 0.5).astype(np.float32)
            elif f == "edges":
                out[f] = label_edges(label_map)
        for f in fields:
            if f != "normals":
                out[f] = _fit(out[f], hw)
        return out


def _fit(a, hw):
    """Nearest-neighbour resize of the first two axes to hw (the lineage's INTER_NEAREST)."""
    if a.shape[:2] == tuple(hw):
        return a
    ys = np.minimum((np.arange(hw[0]) + 0.5) * a.shape[0] / hw[0], a.shape[0] - 1).astype(int)
    xs = np.minimum((np.arange(hw[1]) + 0.5) * a.shape[1] / hw[1], a.shape[1] - 1).astype(int)
    return a[ys][:, xs]
