"""Per-task losses on logits at the crop size, with the valid-pixel rules of the data (docs/TRAINING.md).

Valid pixels, from the ground truth's encoding (data/__init__.py):
  segmentation  label != 255
  depth         finite and > 0
  normals       not all-zero (the three components)
  saliency, edges   target >= 0 (targets in [0, 1]; -1 marks padding and unlabelled pixels)

Loss types (config `losses.<task>.type`; the lineage's choices, PAPER.md (L), in brackets):
  cross_entropy  softmax cross-entropy over valid pixels [semseg, human parts]
  l1             |relu-free logit - depth| mean over valid pixels [depth]
  normals_l1     L1 between the unit-normalised prediction and the target, mean over valid pixels
                 and components [normals]
  cosine_l1      (1 - cos) + l1_weight * sum-of-components L1 of the unit prediction (the embedded
                 default model's choice)
  bce            binary cross-entropy with logits, mean over valid pixels
  balanced_bce   HED-style class-balanced BCE: w = pos_weight, or the batch's share of negatives when
                 pos_weight is null; loss = (w * sum_pos + (1 - w) * sum_neg) / valid pixels
                 [saliency: pos_weight null; edges: 0.95]
A batch without a valid pixel for a task gives 0 (times the logits, so every parameter still has a
gradient path and distributed runs stay in step).
"""

import torch
import torch.nn.functional as F


def _empty(O):
    return O.sum() * 0.0


def cross_entropy(O, gt, spec):
    gt = gt.long()
    if not (gt != 255).any():
        return _empty(O)
    return F.cross_entropy(O, gt, ignore_index=255)


def l1(O, gt, spec):
    valid = (gt > 0) & torch.isfinite(gt)
    if not valid.any():
        return _empty(O)
    return (O[:, 0] - gt).abs()[valid].mean()


def _unit(O, eps):
    return O / O.norm(dim=1, keepdim=True).clamp(min=eps)


def normals_l1(O, gt, spec):
    valid = gt.abs().sum(1) > 0
    if not valid.any():
        return _empty(O)
    n = _unit(O, 1e-12)
    return (n - gt).abs().permute(0, 2, 3, 1)[valid].mean()


def cosine_l1(O, gt, spec):
    valid = gt.abs().sum(1) > 0
    if not valid.any():
        return _empty(O)
    n = _unit(O, 1e-6)
    cos = (n * gt).sum(1)
    return (1 - cos)[valid].mean() + (n - gt).abs().sum(1)[valid].mean() * spec["l1_weight"]


def bce(O, gt, spec):
    valid = gt >= 0
    if valid.all():
        return F.binary_cross_entropy_with_logits(O[:, 0], gt)
    if not valid.any():
        return _empty(O)
    return F.binary_cross_entropy_with_logits(O[:, 0][valid], gt[valid])


def balanced_bce(O, gt, spec):
    valid = gt >= 0
    if not valid.any():
        return _empty(O)
    x, y = O[:, 0][valid], (gt[valid] >= 0.5).float()
    per = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    w = spec["pos_weight"]
    if w is None:
        w = (1.0 - y).sum() / y.numel()
    return (w * (per * y).sum() + (1 - w) * (per * (1 - y)).sum()) / y.numel()


LOSSES = {"cross_entropy": cross_entropy, "l1": l1, "normals_l1": normals_l1, "cosine_l1": cosine_l1,
          "bce": bce, "balanced_bce": balanced_bce}


def task_loss(spec, O, gt):
    """The unweighted loss of one task (spec = the resolved losses.<task> entry)."""
    return LOSSES[spec["type"]](O.float(), gt, spec)
