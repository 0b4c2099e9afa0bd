"""Tiny PASCAL-Context (PASCAL_MT) and NYUD-v2 (NYUD_MT) layout data sets made from procedural
scenes, so that the trainer's readers are tested on files in the real layouts and formats.

  /usr/bin/python3 tools/datasets/tiny_layouts.py --out DIR [--train 8] [--val 4] [--size 48 64] [--seed 11]

writes DIR/pascal (PASCAL_MT) and DIR/nyud (NYUD_MT); the layouts are described in
tools/train/data/pascal.py and data/nyud.py and in docs/DATASETS.md. From each scene of
tools/datasets/synthetic.py (classes background/sky, ground, sphere, box, cylinder, cone):

PASCAL_MT
  JPEGImages/{id}.jpg           the scene (JPEG, quality 95)
  semseg/pascal-context/{id}.png  VOC classes: sky and ground 0 (background), sphere 15 (person),
                                box 9 (chair), cylinder 5 (bottle), cone 16 (pottedplant); 255 on a
                                one-pixel band where the class changes (VOC-style void boundaries)
  pascal-context/trainval/{id}.mat  LabelMap with made-up "full context" ids (sky 1, ground 2,
                                sphere 3, box 4, cylinder 5, cone 6)
  human_parts/{id}.mat          PASCAL-Part struct: every sphere region is a person (class_ind 15)
                                whose upper half is the part "head" and lower half "torso"; scenes
                                without a sphere have only non-person objects (so are ignored)
  normals_distill/{id}.png      the camera-frame normals as RGB, v = round((n + 1) / 2 * 255)
  sal_distill/{id}.png          saliency 0 / 255 (the primitives)
  ImageSets/Context/{train,val}.txt
  db_info/context_classes.json, db_info/nyu_classes.json   made-up class tables in the lineage's
                                format: normals count on ground, box and cylinder only
NYUD_MT
  images/{id}.jpg, segmentation/{id}.png (sky 0 = unlabelled, ground 2 floor, sphere 40 otherprop,
  box 29 box, cylinder 35 lamp, cone 39 otherfurniture), depth/{id}.npy (metres), normals/{id}.npy
  (h, w, 3), edge/{id}.npy (label boundaries), gt_sets/{train,val}.txt
"""

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synthetic  # noqa: E402

VOC_OF = np.array([0, 0, 15, 9, 5, 16], np.uint8)
CONTEXT_OF = np.array([1, 2, 3, 4, 5, 6], np.uint16)
NYU_OF = np.array([0, 2, 40, 29, 35, 39], np.uint8)
CONTEXT_CLASSES = {"sky": 1, "ground": 2, "sphere": 3, "box": 4, "cylinder": 5, "cone": 6, "tvmonitor": 99}
NYU_CLASSES = {"ground": 11, "box": 26, "cylinder": 6, "unknown": 20}
PERSON, CHAIR = 15, 9


def boundaries(labels):
    """Pixels whose 4-neighbourhood holds another label."""
    b = np.zeros(labels.shape, bool)
    b[:-1] |= labels[:-1] != labels[1:]
    b[1:] |= labels[1:] != labels[:-1]
    b[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    b[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    return b


def _struct_array(rows, fields):
    """A MATLAB 1 x N struct array for scipy.io.savemat."""
    arr = np.zeros((1, len(rows)), dtype=[(f, object) for f in fields])
    for i, r in enumerate(rows):
        for f in fields:
            arr[0, i][f] = r[f]
    return arr


def parts_annotation(item_id, sem):
    """PASCAL-Part's anno struct: spheres as persons with head/torso parts, boxes as chairs."""
    from scipy import ndimage
    objects = []
    for kind, cls in ((synthetic.SPHERE, PERSON), (synthetic.BOX, CHAIR)):
        regions, n = ndimage.label(sem == kind)
        for r in range(1, n + 1):
            mask = (regions == r).astype(np.uint8)
            parts = np.zeros((0, 0))
            if cls == PERSON:
                rows = np.nonzero(mask.any(1))[0]
                mid = (rows[0] + rows[-1] + 1) // 2
                head, torso = mask.copy(), mask.copy()
                head[mid:] = 0
                torso[:mid] = 0
                parts = _struct_array([{"part_name": "head", "mask": head}, {"part_name": "torso", "mask": torso}],
                                      ("part_name", "mask"))
            objects.append({"class": "person" if cls == PERSON else "chair", "class_ind": np.array([[cls]]),
                            "mask": mask, "parts": parts})
    return {"imname": item_id, "objects": _struct_array(objects, ("class", "class_ind", "mask", "parts"))}


def write_pascal(root, split_ids, items):
    import scipy.io
    for sub in ("JPEGImages", "semseg/pascal-context", "pascal-context/trainval", "human_parts", "normals_distill",
                "sal_distill", "ImageSets/Context", "db_info"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for item_id, it in items:
        sem = it["semseg"]
        Image.fromarray(it["image"]).save(os.path.join(root, "JPEGImages", item_id + ".jpg"), quality=95)
        voc = VOC_OF[sem]
        voc[boundaries(sem) & (voc != 0) | boundaries(voc)] = 255
        Image.fromarray(voc).save(os.path.join(root, "semseg", "pascal-context", item_id + ".png"))
        scipy.io.savemat(os.path.join(root, "pascal-context", "trainval", item_id + ".mat"),
                         {"LabelMap": CONTEXT_OF[sem]})
        scipy.io.savemat(os.path.join(root, "human_parts", item_id + ".mat"),
                         {"anno": parts_annotation(item_id, sem)})
        rgb = np.round((it["normals"].transpose(1, 2, 0) + 1.0) / 2.0 * 255.0).clip(0, 255).astype(np.uint8)
        Image.fromarray(rgb).save(os.path.join(root, "normals_distill", item_id + ".png"))
        Image.fromarray(it["saliency"]).save(os.path.join(root, "sal_distill", item_id + ".png"))
    for split, ids in split_ids.items():
        with open(os.path.join(root, "ImageSets", "Context", split + ".txt"), "w", encoding="utf-8") as f:
            f.write("".join(i + "\n" for i in ids))
    with open(os.path.join(root, "db_info", "context_classes.json"), "w", encoding="utf-8") as f:
        json.dump(CONTEXT_CLASSES, f)
    with open(os.path.join(root, "db_info", "nyu_classes.json"), "w", encoding="utf-8") as f:
        json.dump(NYU_CLASSES, f)


def write_nyud(root, split_ids, items):
    for sub in ("images", "segmentation", "depth", "normals", "edge", "gt_sets"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for item_id, it in items:
        sem = it["semseg"]
        Image.fromarray(it["image"]).save(os.path.join(root, "images", item_id + ".jpg"), quality=95)
        Image.fromarray(NYU_OF[sem]).save(os.path.join(root, "segmentation", item_id + ".png"))
        np.save(os.path.join(root, "depth", item_id + ".npy"), it["depth"].astype(np.float32))
        np.save(os.path.join(root, "normals", item_id + ".npy"),
                np.ascontiguousarray(it["normals"].transpose(1, 2, 0), dtype=np.float32))
        np.save(os.path.join(root, "edge", item_id + ".npy"), boundaries(sem).astype(np.float32))
    for split, ids in split_ids.items():
        with open(os.path.join(root, "gt_sets", split + ".txt"), "w", encoding="utf-8") as f:
            f.write("".join(i + "\n" for i in ids))


def main(argv=None):
    ap = argparse.ArgumentParser(description="tiny PASCAL_MT and NYUD_MT layout data sets from synthetic scenes")
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=8)
    ap.add_argument("--val", type=int, default=4)
    ap.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), default=[48, 64])
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args(argv)
    h, w = a.size
    scenes = list(synthetic.generate(a.seed, a.train + a.val, h, w))
    pascal = [(f"2008_{int(i):06d}", it) for i, it in scenes]
    nyud = [(f"{int(i) + 1:04d}", it) for i, it in scenes]
    for name, items, writer in (("pascal", pascal, write_pascal), ("nyud", nyud, write_nyud)):
        ids = [i for i, _ in items]
        writer(os.path.join(a.out, name), {"train": ids[:a.train], "val": ids[a.train:]}, items)
    print(f"wrote {a.out}/pascal and {a.out}/nyud ({a.train} train + {a.val} val items, {h}x{w})", file=sys.stderr)


if __name__ == "__main__":
    main()
