"""Data sets for the trainer: readers for the PASCAL-Context and NYUD-v2 multi-task layouts and
for sinewich-dataset/v1 (plus procedural scenes generated in memory), one sample format, and the
augmentation that brings a sample to the model's input size.

A reader has `name`, `ids`, `fields` (the ground truths it can give), `labels` (field -> class
names, for segmentation fields) and `load(i, fields)` returning a dict with
  image        uint8 (h, w, 3) RGB
  <seg field>  uint8 (h, w), class index, 255 = ignore            (semseg, human_parts)
  depth        float32 (h, w), metres, 0 or non-finite = invalid
  normals      float32 (3, h, w), unit vectors, all-zero = invalid
  <binary field> float32 (h, w) in [0, 1], -1 = ignore             (saliency, edges)
Every ground truth has the image's size. Model tasks are matched to fields by name.
"""

from .augment import Augmented, collate  # noqa: F401
from .order import EpochPlan  # noqa: F401

FIELD_KINDS = {"semseg": "segmentation", "human_parts": "segmentation", "depth": "depth", "normals": "normals",
               "saliency": "saliency", "edges": "edges"}


class DataError(ValueError):
    """A data set that cannot be read; the message names the file."""


def build(spec, fields, where="data.train"):
    """The reader of a resolved data spec (config.DATA_TYPES), for the listed ground-truth fields."""
    kind = spec["type"]
    if kind == "synthetic":
        from .sinewich import SyntheticScenes
        ds = SyntheticScenes(spec["seed"], spec["count"], spec["height"], spec["width"], spec["start"], spec["cache"])
    elif kind == "sinewich":
        from .sinewich import SinewichDataset
        ds = SinewichDataset(spec["root"], spec["limit"])
    elif kind == "pascal":
        from .pascal import PascalContext
        ds = PascalContext(spec["root"], spec["split"], fields, spec["normals_valid_classes"], spec["limit"], where)
    elif kind == "nyud":
        from .nyud import NYUD
        ds = NYUD(spec["root"], spec["split"], fields, spec["limit"])
    else:
        raise DataError(f"{where}: unknown data set type {kind}")
    missing = [f for f in fields if f not in ds.fields]
    if missing:
        raise DataError(f"{where} ({kind} {getattr(ds, 'root', '')}) has no ground truth for model task(s) "
                        f"{', '.join(missing)}; it provides {', '.join(ds.fields)}")
    if not ds.ids:
        raise DataError(f"{where} ({kind}) holds no items")
    return ds


def check_tasks(model_cfg, ds, where="data.train"):
    """Every model task has a field of its kind in the data set, with as many classes."""
    for t in model_cfg["tasks"]:
        name = t["name"]
        kind = FIELD_KINDS.get(name)
        if kind is None:
            raise DataError(f"model task {name}: the trainer reads ground truths named "
                            f"{', '.join(FIELD_KINDS)}; name the task after its ground truth")
        if kind != t["kind"]:
            raise DataError(f"model task {name} is of kind {t['kind']}, its ground truth {name} is {kind}")
        if kind == "segmentation" and len(ds.labels[name]) != t["outputs"]:
            raise DataError(f"model task {name} has {t['outputs']} outputs, {where} has {len(ds.labels[name])} "
                            f"classes ({', '.join(ds.labels[name][:5])}, ...)")
