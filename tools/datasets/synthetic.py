"""Procedural multi-task scenes with exact ground truth, written as a sinewich-dataset/v1 dataset.

Each scene is a ground plane with a few primitives (spheres, boxes, cylinders, cones) standing on
it, textured (plain, checker, stripes, smooth noise), lit by a directional sun plus ambient light
with cast shadows, seen from a random camera (height, pitch, yaw, field of view). Every pixel is
ray cast analytically, so the ground truths are exact for the pixel's centre ray:

- depth:    z-depth along the optical axis in metres (0 = invalid: sky, or beyond MAX_DEPTH = 40 m);
- normals:  unit surface normal in the camera frame (x right, y up, z towards the camera), all-zero
            on the sky;
- semseg:   0 background (sky), 1 ground, 2 sphere, 3 box, 4 cylinder, 5 cone;
- saliency: 255 on the primitives (the foreground objects), 0 elsewhere.

The RGB image alone is anti-aliased (2x2 supersampling); ground truth comes from the centre ray.
Everything is numpy and deterministic: item i of a dataset with seed S uses the random stream
numpy.random.default_rng([S, i]), so any item can be regenerated on its own.

CLI:  /usr/bin/python3 tools/datasets/synthetic.py --out DIR --count N --seed S --size H W
Library: render_scene(rng, height, width) -> dict of arrays; LABELS.
"""

import argparse
import json
import math
import os
import sys
import zlib
import struct

import numpy as np

LABELS = ["background", "ground", "sphere", "box", "cylinder", "cone"]
BACKGROUND, GROUND, SPHERE, BOX, CYLINDER, CONE = range(6)
TASKS = ["semseg", "depth", "normals", "saliency"]
NORMALS_FRAME = "camera: x right, y up, z towards the camera"
_INF = np.float64(np.inf)
MAX_DEPTH = 40.0  # metres: like a range sensor, farther ground (towards the horizon) has no depth
_EPS = 1e-6


# ---------------------------------------------------------------------------------------------
# I/O (no imaging library needed: PNG by zlib, .npy by numpy)
# ---------------------------------------------------------------------------------------------

def write_png(path, arr):
    """8-bit PNG, arr (H, W) grey or (H, W, 3) RGB, uint8."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    h, w = arr.shape[:2]
    colour = 2 if arr.ndim == 3 else 0
    rows = arr.reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def write_npy(path, arr):
    """NumPy format v1.0, little-endian float32, C order."""
    np.save(path, np.ascontiguousarray(arr, dtype="<f4"), allow_pickle=False)


def write_dataset(out, name, source, seed, height, width, items, labels=LABELS, tasks=TASKS):
    """items: list of (id, dict with 'image' and the task arrays). Writes dataset.json last."""
    for sub in ["images"] + list(tasks):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    ids = []
    for item_id, it in items:
        write_png(os.path.join(out, "images", item_id + ".png"), it["image"])
        if "semseg" in tasks:
            write_png(os.path.join(out, "semseg", item_id + ".png"), it["semseg"])
        if "depth" in tasks:
            write_npy(os.path.join(out, "depth", item_id + ".npy"), it["depth"])
        if "normals" in tasks:
            write_npy(os.path.join(out, "normals", item_id + ".npy"), it["normals"])
        if "saliency" in tasks:
            write_png(os.path.join(out, "saliency", item_id + ".png"), it["saliency"])
        ids.append(item_id)
    meta = {"format": "sinewich-dataset/v1", "name": name, "source": source, "seed": seed,
            "height": int(height), "width": int(width), "tasks": list(tasks), "labels": list(labels),
            "ignore_label": 255, "depth_unit": "m", "normals_frame": NORMALS_FRAME, "items": ids}
    with open(os.path.join(out, "dataset.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return meta


# ---------------------------------------------------------------------------------------------
# scene
# ---------------------------------------------------------------------------------------------

def _hsv(h, s, v):
    i = int(h * 6) % 6
    f = h * 6 - math.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i])


def _texture(rng, base_scale):
    """A random texture: kind, two colours, scale, orientation, noise waves."""
    kind = rng.choice(["plain", "checker", "stripes", "noise"], p=[0.25, 0.3, 0.25, 0.2])
    h = rng.random()
    c1 = _hsv(h, rng.uniform(0.3, 0.95), rng.uniform(0.45, 1.0))
    c2 = _hsv((h + rng.uniform(0.1, 0.5)) % 1.0, rng.uniform(0.2, 0.9), rng.uniform(0.15, 0.7))
    waves = rng.normal(size=(4, 3)) * (2.0 / base_scale)
    phases = rng.uniform(0, 2 * np.pi, size=4)
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    return {"kind": kind, "c1": c1, "c2": c2, "scale": base_scale * rng.uniform(0.6, 1.6),
            "axis": axis, "waves": waves, "phases": phases}


def _shade_texture(tex, p):
    """Albedo (N, 3) at local points p (N, 3)."""
    k = tex["kind"]
    if k == "plain":
        m = np.zeros(len(p))
    elif k == "checker":
        q = np.floor(p / tex["scale"]).astype(np.int64)
        m = ((q[:, 0] + q[:, 1] + q[:, 2]) & 1).astype(np.float64)
    elif k == "stripes":
        m = (np.floor(p @ tex["axis"] / tex["scale"]).astype(np.int64) & 1).astype(np.float64)
    else:
        m = np.zeros(len(p))
        for wv, ph in zip(tex["waves"], tex["phases"]):
            m += np.sin(p @ wv + ph)
        m = 0.5 + 0.25 * m
        m = np.clip(m, 0, 1)
    return tex["c1"][None] * (1 - m[:, None]) + tex["c2"][None] * m[:, None]


def _rot_y(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def make_scene(rng, fov_x):
    """Random camera and objects. Returns (camera dict, list of object dicts, light dict)."""
    height = rng.uniform(1.0, 3.2)
    pitch = math.radians(rng.uniform(8, 38))
    yaw = rng.uniform(-math.pi, math.pi)
    fwd = np.array([math.sin(yaw) * math.cos(pitch), -math.sin(pitch), -math.cos(yaw) * math.cos(pitch)])
    right = np.cross(fwd, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    R = np.stack([right, up, -fwd], axis=1)  # camera -> world, columns = camera axes in world
    cam = {"eye": np.array([0.0, height, 0.0]), "R": R, "fov_x": fov_x}
    gdir = np.array([math.sin(yaw), 0.0, -math.cos(yaw)])  # forward on the ground
    gright = np.array([math.cos(yaw), 0.0, math.sin(yaw)])

    objs = []
    n = int(rng.integers(2, 7))
    tries = 0
    while len(objs) < n and tries < 60:
        tries += 1
        kind = int(rng.choice([SPHERE, BOX, CYLINDER, CONE]))
        dist = rng.uniform(2.0, 9.0)
        ang = rng.uniform(-0.45, 0.45) * fov_x
        cx = gdir * dist * math.cos(ang) + gright * dist * math.sin(ang)
        o = {"kind": kind, "rot": _rot_y(rng.uniform(0, 2 * math.pi))}
        if kind == SPHERE:
            r = rng.uniform(0.3, 0.9)
            o.update(center=np.array([cx[0], r, cx[2]]), radius=r, foot=r)
        elif kind == BOX:
            he = rng.uniform([0.25, 0.2, 0.25], [0.8, 0.9, 0.8])
            o.update(center=np.array([cx[0], he[1], cx[2]]), half=he, foot=float(np.hypot(he[0], he[2])))
        elif kind == CYLINDER:
            r, hgt = rng.uniform(0.2, 0.6), rng.uniform(0.5, 2.0)
            o.update(center=np.array([cx[0], 0.0, cx[2]]), radius=r, height=hgt, foot=r)
        else:
            r, hgt = rng.uniform(0.3, 0.8), rng.uniform(0.6, 1.8)
            o.update(center=np.array([cx[0], 0.0, cx[2]]), radius=r, height=hgt, foot=r)
        if any(np.hypot(*(o["center"] - q["center"])[[0, 2]]) < o["foot"] + q["foot"] + 0.1 for q in objs):
            continue
        o["tex"] = _texture(rng, rng.uniform(0.15, 0.45))
        o["spec"] = rng.uniform(0.0, 0.4)
        objs.append(o)
    ground_tex = _texture(rng, rng.uniform(0.4, 1.5))
    ground_tex["c1"] = ground_tex["c1"] * 0.8
    elev = math.radians(rng.uniform(20, 75))
    az = rng.uniform(0, 2 * math.pi)
    light = {"dir": np.array([math.cos(elev) * math.cos(az), math.sin(elev), math.cos(elev) * math.sin(az)]),
             "ambient": rng.uniform(0.2, 0.45), "sun": rng.uniform(0.7, 1.1),
             "tint": 1.0 + rng.uniform(-0.08, 0.08, size=3),
             "sky_top": _hsv(rng.uniform(0.52, 0.68), rng.uniform(0.3, 0.8), rng.uniform(0.6, 1.0)),
             "sky_low": _hsv(rng.uniform(0.5, 0.7), rng.uniform(0.0, 0.3), rng.uniform(0.8, 1.0)),
             "ground_tex": ground_tex}
    return cam, objs, light


# ---------------------------------------------------------------------------------------------
# ray casting; rays o (N,3), d (N,3) in world; returns t (N,), normal (N,3), local point (N,3)
# ---------------------------------------------------------------------------------------------

def _hit_sphere(o, d, ob):
    oc = o - ob["center"]
    a = np.einsum("ij,ij->i", d, d)
    b = np.einsum("ij,ij->i", oc, d)
    c = np.einsum("ij,ij->i", oc, oc) - ob["radius"] ** 2
    disc = b * b - a * c
    ok = disc >= 0
    sq = np.sqrt(np.where(ok, disc, 0))
    t = (-b - sq) / a
    t = np.where(ok & (t > _EPS), t, _INF)
    p = o + np.where(np.isfinite(t), t, 0)[:, None] * d
    n = (p - ob["center"]) / ob["radius"]
    return t, n, (p - ob["center"]) @ ob["rot"]


def _to_local(o, d, ob):
    """World ray -> object frame (rotation about y); rot maps local -> world, so world -> local is rot^T."""
    R = ob["rot"]
    return (o - ob["center"]) @ R, d @ R


def _hit_box(o, d, ob):
    lo, ld = _to_local(o, d, ob)
    he = ob["half"]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.where(np.abs(ld) < 1e-12, 1e-12, ld)
        t1 = (-he - lo) * inv
        t2 = (he - lo) * inv
    tmin = np.minimum(t1, t2)
    tmax = np.maximum(t1, t2)
    tn = tmin.max(axis=1)
    tf = tmax.min(axis=1)
    axis = tmin.argmax(axis=1)
    ok = (tn <= tf) & (tn > _EPS)
    t = np.where(ok, tn, _INF)
    nl = np.zeros_like(lo)
    idx = np.arange(len(lo))
    nl[idx, axis] = -np.sign(ld[idx, axis])
    pl = lo + np.where(ok, tn, 0)[:, None] * ld
    return t, nl @ ob["rot"].T, pl


def _hit_cylinder(o, d, ob):
    lo, ld = _to_local(o, d, ob)
    r, h = ob["radius"], ob["height"]
    a = ld[:, 0] ** 2 + ld[:, 2] ** 2
    b = lo[:, 0] * ld[:, 0] + lo[:, 2] * ld[:, 2]
    c = lo[:, 0] ** 2 + lo[:, 2] ** 2 - r * r
    disc = b * b - a * c
    ok = (disc >= 0) & (a > 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        ts = (-b - np.sqrt(np.where(ok, disc, 0))) / np.where(a > 1e-12, a, 1)
    ys = lo[:, 1] + ts * ld[:, 1]
    ts = np.where(ok & (ts > _EPS) & (ys >= 0) & (ys <= h), ts, _INF)
    with np.errstate(divide="ignore", invalid="ignore"):
        tc = (h - lo[:, 1]) / np.where(np.abs(ld[:, 1]) < 1e-12, 1e-12, ld[:, 1])
    xc = lo[:, 0] + tc * ld[:, 0]
    zc = lo[:, 2] + tc * ld[:, 2]
    tc = np.where((tc > _EPS) & (xc * xc + zc * zc <= r * r) & (ld[:, 1] < 0), tc, _INF)
    side = ts <= tc
    t = np.minimum(ts, tc)
    tt = np.where(np.isfinite(t), t, 0)
    pl = lo + tt[:, None] * ld
    nl = np.where(side[:, None], np.stack([pl[:, 0] / r, np.zeros(len(pl)), pl[:, 2] / r], 1),
                  np.array([0.0, 1.0, 0.0])[None])
    return t, nl @ ob["rot"].T, pl


def _hit_cone(o, d, ob):
    lo, ld = _to_local(o, d, ob)
    r, h = ob["radius"], ob["height"]
    k = r / h
    # x^2 + z^2 = k^2 (h - y)^2
    yo = h - lo[:, 1]
    a = ld[:, 0] ** 2 + ld[:, 2] ** 2 - k * k * ld[:, 1] ** 2
    b = lo[:, 0] * ld[:, 0] + lo[:, 2] * ld[:, 2] + k * k * yo * ld[:, 1]
    c = lo[:, 0] ** 2 + lo[:, 2] ** 2 - k * k * yo * yo
    disc = b * b - a * c
    ok = (disc >= 0) & (np.abs(a) > 1e-12)
    sq = np.sqrt(np.where(ok, disc, 0))
    aa = np.where(np.abs(a) > 1e-12, a, 1)
    best = np.full(len(lo), _INF)
    for sgn in (-1.0, 1.0):
        t = (-b + sgn * sq) / aa
        y = lo[:, 1] + t * ld[:, 1]
        good = ok & (t > _EPS) & (y >= 0) & (y <= h)
        best = np.where(good & (t < best), t, best)
    tt = np.where(np.isfinite(best), best, 0)
    pl = lo + tt[:, None] * ld
    rr = np.sqrt(pl[:, 0] ** 2 + pl[:, 2] ** 2) + 1e-12
    nl = np.stack([pl[:, 0] / rr, np.full(len(pl), k), pl[:, 2] / rr], 1)
    nl /= np.linalg.norm(nl, axis=1, keepdims=True)
    return best, nl @ ob["rot"].T, pl


_HIT = {SPHERE: _hit_sphere, BOX: _hit_box, CYLINDER: _hit_cylinder, CONE: _hit_cone}


def _cast(o, d, objs):
    """Closest hit over ground and objects. Returns t, normal (world), local point, object index
    (-1 ground, -2 sky)."""
    n = len(o)
    with np.errstate(divide="ignore", invalid="ignore"):
        tg = np.where(d[:, 1] < -1e-9, -o[:, 1] / d[:, 1], _INF)
    t = tg
    idx = np.where(np.isfinite(tg), -1, -2)
    nrm = np.tile(np.array([0.0, 1.0, 0.0]), (n, 1))
    loc = o + np.where(np.isfinite(tg), tg, 0)[:, None] * d
    for i, ob in enumerate(objs):
        ti, ni, pi = _HIT[ob["kind"]](o, d, ob)
        closer = ti < t
        t = np.where(closer, ti, t)
        idx = np.where(closer, i, idx)
        nrm = np.where(closer[:, None], ni, nrm)
        loc = np.where(closer[:, None], pi, loc)
    return t, nrm, loc, idx


def _occluded(p, ldir, objs):
    d = np.broadcast_to(ldir, p.shape)
    occ = np.zeros(len(p), bool)
    for ob in objs:
        t, _, _ = _HIT[ob["kind"]](p, d, ob)
        occ |= np.isfinite(t)
    return occ


def _shade(o, d, objs, light):
    t, nrm, loc, idx = _cast(o, d, objs)
    col = np.zeros((len(o), 3))
    sky = idx == -2
    dn = d / np.linalg.norm(d, axis=1, keepdims=True)
    g = np.clip(dn[:, 1], 0, 1)[:, None] ** 0.6
    col[sky] = (light["sky_low"][None] * (1 - g) + light["sky_top"][None] * g)[sky]
    hit = ~sky
    if hit.any():
        p = o[hit] + t[hit, None] * d[hit]
        nh = nrm[hit]
        alb = np.zeros((hit.sum(), 3))
        ih = idx[hit]
        gm = ih == -1
        if gm.any():
            alb[gm] = _shade_texture(light["ground_tex"], p[gm])
        for i, ob in enumerate(objs):
            m = ih == i
            if m.any():
                alb[m] = _shade_texture(ob["tex"], loc[hit][m])
        lam = np.clip(nh @ light["dir"], 0, None)
        shadow = _occluded(p + nh * 1e-4, light["dir"], objs)
        lam = np.where(shadow, 0.0, lam)
        spec = np.zeros(len(p))
        for i, ob in enumerate(objs):
            m = ih == i
            if m.any() and ob["spec"] > 0:
                refl = 2 * (nh[m] @ light["dir"])[:, None] * nh[m] - light["dir"][None]
                spec[m] = ob["spec"] * np.clip(np.einsum("ij,ij->i", refl, -dn[hit][m]), 0, 1) ** 20
        spec = np.where(shadow, 0.0, spec)
        c = alb * (light["ambient"] + light["sun"] * lam[:, None]) * light["tint"][None] + spec[:, None]
        # distance haze towards the horizon colour
        fog = 1.0 - np.exp(-t[hit] / 80.0)
        c = c * (1 - fog[:, None]) + light["sky_low"][None] * fog[:, None]
        col[hit] = c
    return col, t, nrm, idx


def render_scene(rng, height, width, supersample=2):
    """One scene. Returns dict: image (H,W,3) uint8, semseg (H,W) uint8, depth (H,W) f32,
    normals (3,H,W) f32, saliency (H,W) uint8."""
    fov_x = math.radians(rng.uniform(45, 75))
    cam, objs, light = make_scene(rng, fov_x)
    f = (width / 2.0) / math.tan(fov_x / 2.0)
    cx, cy = width / 2.0, height / 2.0

    def rays(offx, offy):
        v, u = np.meshgrid(np.arange(height) + offy, np.arange(width) + offx, indexing="ij")
        dc = np.stack([(u - cx) / f, -(v - cy) / f, -np.ones_like(u)], -1).reshape(-1, 3)  # z = -1: t is z-depth
        return dc, dc @ cam["R"].T

    dc, dw = rays(0.5, 0.5)
    o = np.broadcast_to(cam["eye"], dw.shape)
    col, t, nrm, idx = _shade(o, dw, objs, light)
    if supersample > 1:
        acc = np.zeros_like(col)
        offs = (np.arange(supersample) + 0.5) / supersample
        for oy in offs:
            for ox in offs:
                _, dws = rays(ox, oy)
                acc += _shade(o, dws, objs, light)[0]
        col = acc / supersample ** 2
    col = col + rng.normal(0, 0.01, size=col.shape)
    img = np.clip(np.round(np.clip(col, 0, 1) ** (1 / 1.1) * 255), 0, 255).astype(np.uint8).reshape(height, width, 3)

    sky = idx == -2
    depth = np.where(sky | (t > MAX_DEPTH), 0.0, t).astype(np.float32).reshape(height, width)
    ncam = nrm @ cam["R"]  # world -> camera
    ncam /= np.linalg.norm(ncam, axis=1, keepdims=True)
    ncam[sky] = 0
    normals = ncam.T.reshape(3, height, width).astype(np.float32)
    sem = np.full(len(idx), GROUND, np.uint8)
    sem[sky] = BACKGROUND
    for i, ob in enumerate(objs):
        sem[idx == i] = ob["kind"]
    sem = sem.reshape(height, width)
    sal = np.where(sem >= SPHERE, 255, 0).astype(np.uint8)
    return {"image": img, "semseg": sem, "depth": depth, "normals": normals, "saliency": sal}


def generate(seed, count, height, width, start=0):
    """Yields (id, item) for items start .. start+count-1 of the dataset with this seed."""
    for i in range(start, start + count):
        rng = np.random.default_rng([int(seed), i])
        yield f"{i:06d}", render_scene(rng, height, width)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), default=[96, 96])
    ap.add_argument("--name", default=None)
    a = ap.parse_args(argv)
    h, w = a.size
    name = a.name or f"synthetic-s{a.seed}-{a.count}x{h}x{w}"
    meta = write_dataset(a.out, name, "tools/datasets/synthetic.py (procedural ray-cast scenes)",
                         a.seed, h, w, generate(a.seed, a.count, h, w))
    print(f"wrote {len(meta['items'])} items to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
