"""A sample at the model's input size: the inference view plus random scale, crop and flip.

The image is first brought to the model size (H, W) the way the server does at inference (SPEC
4.1: bilinear, antialiased) and the ground truths with it (nearest neighbour, so labels and
invalid markers are never blended). With random scaling (data.augment.scale = [min, max]) that
view is scaled by s: for s > 1 an H x W window is cropped at the drawn position, for s < 1 the
view is padded at the drawn position to H x W, the padding ignored by every loss (label 255, zero
depth and normals, -1 for binary maps); depth is divided by s when depth_divide_by_scale is set (a
closer look means closer objects, as the lineage's ScaleNRotate does). A horizontal flip mirrors
everything and negates the normals' x component.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

SEG_FIELDS = ("semseg", "human_parts")
BINARY_FIELDS = ("saliency", "edges")


def _gt_tensor(field, a):
    if field in SEG_FIELDS:
        return torch.from_numpy(np.ascontiguousarray(a))
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def _resize_gt(field, t, size):
    if tuple(t.shape[-2:]) == tuple(size):
        return t
    x = t[None, None] if t.dim() == 2 else t[None]
    y = F.interpolate(x.float(), size=size, mode="nearest-exact")
    y = y[0, 0] if t.dim() == 2 else y[0]
    return y.to(t.dtype)


def _fill(field):
    return 255 if field in SEG_FIELDS else (-1.0 if field in BINARY_FIELDS else 0.0)


def _place(t, size, top, left, fill):
    """Crop (negative offsets) or pad (positive offsets) t's last two axes into size."""
    H, W = size
    out = torch.full(t.shape[:-2] + (H, W), fill, dtype=t.dtype)
    h, w = t.shape[-2:]
    y0, x0 = max(0, top), max(0, left)
    sy, sx = max(0, -top), max(0, -left)
    hh, ww = min(H - y0, h - sy), min(W - x0, w - sx)
    out[..., y0:y0 + hh, x0:x0 + ww] = t[..., sy:sy + hh, sx:sx + ww]
    return out


def transform(sample, key, size, depth_divide_by_scale=True):
    """sample: a reader's dict; key: (index, flip, scale or None, u, v) from EpochPlan; size (H, W).
    Returns (image float32 (3,H,W) in [0,1], {field: tensor at (H, W)})."""
    _, flip, scale, u, v = key
    img = torch.from_numpy(np.ascontiguousarray(sample["image"])).permute(2, 0, 1).float() / 255.0
    gts = {f: _gt_tensor(f, a) for f, a in sample.items() if f != "image"}
    if tuple(img.shape[-2:]) != tuple(size):
        img = F.interpolate(img[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0]
        gts = {f: _resize_gt(f, t, size) for f, t in gts.items()}
    if scale is not None and scale != 1.0:
        H, W = size
        sh, sw = max(1, int(round(H * scale))), max(1, int(round(W * scale)))
        img = F.interpolate(img[None], size=(sh, sw), mode="bilinear", align_corners=False,
                            antialias=scale < 1)[0].clamp(0, 1)
        gts = {f: _resize_gt(f, t, (sh, sw)) for f, t in gts.items()}
        if "depth" in gts and depth_divide_by_scale:
            gts["depth"] = gts["depth"] / scale
        # offset of the scaled view inside the window: a crop (negative) or a pad (positive)
        top = -int(math.floor(u * (sh - H + 1))) if sh >= H else int(math.floor(u * (H - sh + 1)))
        left = -int(math.floor(v * (sw - W + 1))) if sw >= W else int(math.floor(v * (W - sw + 1)))
        img = _place(img, size, top, left, 0.0)
        gts = {f: _place(t, size, top, left, _fill(f)) for f, t in gts.items()}
    if flip:
        img = img.flip(-1)
        gts = {f: t.flip(-1) for f, t in gts.items()}
        if "normals" in gts:
            n = gts["normals"].clone()
            n[0] = -n[0]
            gts["normals"] = n
    return img, gts


class Augmented(torch.utils.data.Dataset):
    """A reader seen through transform(): items are addressed by EpochPlan keys."""

    def __init__(self, reader, fields, size, depth_divide_by_scale=True):
        self.reader, self.fields, self.size = reader, list(fields), tuple(size)
        self.depth_divide_by_scale = depth_divide_by_scale

    def __len__(self):
        return len(self.reader.ids)

    def __getitem__(self, key):
        return transform(self.reader.load(key[0], self.fields), key, self.size, self.depth_divide_by_scale)


def collate(items):
    """[(image, gts)] -> (images (N,3,H,W) in channels-last memory order, {field: (N, ...)}).
    Channels-last is the layout an (N,H,W,3) uint8 batch has after permute(0,3,1,2).float(), which
    is what the first trainer fed the patch embedding; kept so its runs reproduce bit for bit."""
    imgs = torch.stack([i for i, _ in items]).contiguous(memory_format=torch.channels_last)
    return imgs, {f: torch.stack([g[f] for _, g in items]) for f in items[0][1]}
