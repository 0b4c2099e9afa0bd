"""The real Middlebury 2014 "Motorcycle" scene as a sinewich-dataset/v1 dataset (depth, normals).

Source: skimage.data.stereo_motorcycle() from Debian's python3-skimage (installed here if missing:
apt-get install -y --no-install-recommends python3-skimage). skimage ships the left image, the right
image and the ground-truth disparity of Motorcycle-perfect, down-sampled by 4 with
downscale_local_mean to 500 x 741; its docstring gives the calibration *for the down-sampled
images*: f = 994.978 px, cx = 311.193, cy = 254.877, doffs = 31.086 px, baseline = 193.001 mm.
These are the Middlebury calib.txt values (f 3979.911, cx 1244.772, cy 1019.507, doffs 124.343,
baseline 193.001, 2964 x 2000) divided by 4, and the shipped disparities (7.2 .. 59.9) are the
full-resolution range (vmin 23, vmax 245) divided by 4, so they are in down-sampled pixels.

- depth  Z = baseline * f / (d + doffs) / 1000 in metres (z-depth along the optical axis),
         0 where the disparity is not finite (occluded / no ground truth: ~7 % of pixels).
- normals: every pixel is back-projected with the intrinsics, P = ((u - cx) Z / f, -(v - cy) Z / f, -Z)
         in the camera frame (x right, y up, z towards the camera); n = (P(v+1) - P(v-1)) x
         (P(u+1) - P(u-1)), normalised, turned to face the camera. All-zero (invalid) on the border,
         where any of the 4 neighbours has no depth, or across a depth discontinuity (a neighbour
         differs from the centre by more than 5 % of Z).
--factor k (integer, default 1) down-samples further: image by block mean, disparity by the
block mean of fully valid blocks (invalid otherwise) divided by k, intrinsics divided by k.

CLI: /usr/bin/python3 tools/datasets/motorcycle.py --out DIR [--factor K]
"""

import argparse
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic  # noqa: E402  (dataset writer)

F_PX, CX, CY, DOFFS, BASELINE_MM = 994.978, 311.193, 254.877, 31.086, 193.001
DISCONTINUITY = 0.05


def load_skimage():
    try:
        import skimage.data  # noqa: F401
    except ImportError:
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "python3-skimage"], check=True)
    import skimage.data
    left, _, disp = skimage.data.stereo_motorcycle()
    return left, disp


def block_mean(a, k):
    h, w = a.shape[0] // k * k, a.shape[1] // k * k
    a = a[:h, :w]
    return a.reshape(h // k, k, w // k, k, *a.shape[2:]).mean(axis=(1, 3))


def depth_from_disparity(disp, f, doffs, baseline_mm):
    valid = np.isfinite(disp) & (disp + doffs > 0)
    z = np.zeros(disp.shape, np.float64)
    z[valid] = baseline_mm * f / (disp[valid] + doffs) / 1000.0
    return z


def normals_from_depth(z, f, cx, cy):
    """(3, H, W) unit normals in the camera frame, zero where undefined."""
    h, w = z.shape
    v, u = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    P = np.stack([(u - cx) * z / f, -(v - cy) * z / f, -z], 0)
    n = np.zeros((3, h, w))
    du = P[:, 1:-1, 2:] - P[:, 1:-1, :-2]
    dv = P[:, 2:, 1:-1] - P[:, :-2, 1:-1]
    c = np.cross(dv, du, axis=0)
    norm = np.linalg.norm(c, axis=0)
    zc = z[1:-1, 1:-1]
    nb = [z[1:-1, 2:], z[1:-1, :-2], z[2:, 1:-1], z[:-2, 1:-1]]
    ok = (zc > 0) & (norm > 0)
    for q in nb:
        ok &= (q > 0) & (np.abs(q - zc) <= DISCONTINUITY * np.maximum(zc, 1e-9))
    c = c / np.where(norm > 0, norm, 1)
    pc = P[:, 1:-1, 1:-1]
    flip = (c * pc).sum(0) > 0  # must face the camera (which sits at the origin)
    c = np.where(flip[None], -c, c)
    n[:, 1:-1, 1:-1] = np.where(ok[None], c, 0)
    return n


def build(factor=1):
    left, disp = load_skimage()
    f, cx, cy, doffs = F_PX, CX, CY, DOFFS
    if factor > 1:
        left = np.round(block_mean(left.astype(np.float64), factor)).astype(np.uint8)
        d = block_mean(np.where(np.isfinite(disp), disp, np.nan).astype(np.float64), factor)  # NaN if any invalid
        disp = d / factor
        # pixel centres: u' = (u + 0.5) / k - 0.5
        f, cx, cy, doffs = f / factor, (cx + 0.5) / factor - 0.5, (cy + 0.5) / factor - 0.5, doffs / factor
    z = depth_from_disparity(disp, f, doffs, BASELINE_MM)
    n = normals_from_depth(z, f, cx, cy)
    return {"image": left, "depth": z.astype(np.float32), "normals": n.astype(np.float32)}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Middlebury 2014 Motorcycle as a sinewich-dataset/v1 dataset")
    ap.add_argument("--out", required=True)
    ap.add_argument("--factor", type=int, default=1)
    a = ap.parse_args(argv)
    it = build(a.factor)
    h, w = it["depth"].shape
    synthetic.write_dataset(a.out, "middlebury2014-motorcycle" + (f"-x{a.factor}" if a.factor > 1 else ""),
                            "Middlebury 2014 Motorcycle-perfect via skimage.data.stereo_motorcycle() "
                            "(down-sampled by 4; GT disparity -> depth, depth -> normals)",
                            None, h, w, [("000000", it)], labels=[], tasks=["depth", "normals"])
    valid = it["depth"] > 0
    print(f"wrote {a.out}: {h}x{w}, depth {it['depth'][valid].min():.3f}..{it['depth'][valid].max():.3f} m, "
          f"{100 * valid.mean():.1f} % valid depth, "
          f"{100 * (np.abs(it['normals']).sum(0) > 0).mean():.1f} % valid normals", file=sys.stderr)


if __name__ == "__main__":
    main()
