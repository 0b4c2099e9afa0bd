"""Build a Sinewich bundle (sinewich.json + model.safetensors) with random but "sensitive" weights.

Library: make_random_bundle(config, out_dir, seed, dtype="F32", omega_tasks=(), include_rpi=True)
CLI:     /usr/bin/python3 tools/reference/make_bundle.py --preset {swin-t,tiny} --input H W --out DIR [--seed N]

Magnitudes are chosen so that every part of the forward pass matters at the 1e-4 level:
attention logits O(1) (qkv/proj ~ N(0, 1/in)), relative position bias ~N(0, 0.5^2), LayerNorm
affine 1+N(0,0.1^2) / N(0,0.1^2), LoRA delta ~20 % of W, fused kernel M with std 1 so that
sin(omega*M) is clearly non-linear, omega in ~[0.5, 3], and a calibration pass on a random image
that scales the decoder/heads so BN inputs are O(1), sigmoid outputs spread over (0.05, 0.95),
depth is mostly positive with some zeros, and segmentation probabilities are not degenerate.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sinewich_ref as ref  # noqa: E402


def _randn(g, shape, std=1.0):
    return torch.randn(tuple(shape), generator=g, dtype=torch.float32) * std


def _uniform(g, shape, lo, hi):
    return torch.rand(tuple(shape), generator=g, dtype=torch.float32) * (hi - lo) + lo


def _backbone_tensor(g, name, shape):
    """name is a torchvision state-dict key (without 'backbone.')."""
    if name.endswith("relative_position_bias_table"):
        return _randn(g, shape, 0.5)
    is_bias = name.endswith(".bias")
    if name.startswith("features.0.2.") or ".norm" in name:  # LayerNorms (incl. patch-merging norm)
        return _randn(g, shape, 0.1) if is_bias else 1.0 + _randn(g, shape, 0.1)
    if name.startswith("features.0.0."):  # patch-embedding conv
        fan_in = shape[1] * shape[2] * shape[3] if not is_bias else 1
        return _randn(g, shape, 0.1) if is_bias else _randn(g, shape, 1.0 / math.sqrt(fan_in))
    if ".mlp." in name:
        if is_bias:
            return _randn(g, shape, 0.05)
        bound = math.sqrt(6.0 / (shape[0] + shape[1]))  # xavier_uniform, as torchvision
        return _uniform(g, shape, -bound, bound)
    if is_bias:
        return _randn(g, shape, 0.05)
    # qkv, proj, reduction: N(0, 1/in) so attention logits are O(1)
    return _randn(g, shape, 1.0 / math.sqrt(shape[1]))


def random_tensors(cfg, seed, omega_tasks=(), include_rpi=True):
    """All SPEC tensors (float32, rpi int64), before calibration of decoder and heads."""
    ref.validate_config(cfg)
    g = torch.Generator().manual_seed(int(seed))
    swin = ref.build_swin(cfg)
    sd = swin.state_dict()
    req, opt = ref.expected_tensors(cfg, omega_tasks, include_rpi=include_rpi, swin=swin)
    out = {}
    # backbone base weights first (in state-dict order, deterministic)
    for k in sd:
        name = "backbone." + k
        if name in req:
            if k.endswith("relative_position_index"):
                out[name] = sd[k].to(torch.int64).clone()
            else:
                out[name] = _backbone_tensor(g, k, req[name])
    lora, awb = cfg.get("lora"), cfg["awb"]
    depths = cfg["backbone"]["depths"]
    for s in range(len(depths)):
        for j in range(depths[s]):
            pre = f"backbone.features.{2 * s + 1}.{j}."
            if lora is not None:
                sc = float(lora["alpha"]) / float(lora["rank"])
                for tg in lora["targets"]:
                    p = pre + ref.LINEAR_PATHS[tg]
                    W = out[p + ".weight"]
                    A = _randn(g, req[p + ".lora_A"], 1.0 / math.sqrt(W.shape[1]))
                    B = _randn(g, req[p + ".lora_B"])
                    delta = sc * (B @ A)
                    frac = 0.1 + 0.2 * float(torch.rand((), generator=g))  # 10..30 % of W's scale
                    B = B * (frac * float(W.std()) / float(delta.std()))
                    out[p + ".lora_A"], out[p + ".lora_B"] = A, B
            if j == depths[s] - 1:
                for tg in awb["targets"]:
                    p = pre + ref.LINEAR_PATHS[tg]
                    A = _randn(g, req[p + ".awb_A"])
                    Wm = _randn(g, req[p + ".awb_W"])
                    B = _randn(g, req[p + ".awb_B"])
                    M = B @ Wm @ A
                    c = (1.0 / float(M.std())) ** (1.0 / 3.0)  # std(M) = 1, spread over the 3 factors
                    out[p + ".awb_A"], out[p + ".awb_W"], out[p + ".awb_B"] = A * c, Wm * c, B * c
    Cs = ref.stage_channels(cfg)
    S = len(Cs)
    for s in range(S):
        if f"clock.{s}.weight" in req:
            out[f"clock.{s}.weight"] = _randn(g, (1, Cs[s]), math.sqrt(0.32 / Cs[s]))  # z ~ N(0, 0.4^2)
            out[f"clock.{s}.scale"] = _uniform(g, (1,), 0.9, 1.4)
            out[f"clock.{s}.shift"] = _uniform(g, (1,), 1.2, 1.5)  # omega ~ [0.5, 3]
    for t in cfg["tasks"]:
        n = t["name"]
        if n in omega_tasks:
            out[f"tasks.{n}.omega"] = _uniform(g, (S,), 0.5, 3.0)
        else:
            for s in range(S):
                out[f"tasks.{n}.token.{s}"] = _randn(g, (Cs[s],))
    ch, hidden = cfg["decoder"]["channels"], cfg["decoder"]["hidden"]
    for s in range(S):
        out[f"decoder.down.{s}.weight"] = _randn(g, (ch[s], Cs[s], 1, 1), 1.0 / math.sqrt(Cs[s]))
    out["decoder.fuse.weight"] = _randn(g, (hidden, sum(ch), 1, 1), 1.0 / math.sqrt(sum(ch)))
    for t in cfg["tasks"]:
        h = f"heads.{t['name']}."
        out[h + "fuse_bias"] = _randn(g, (hidden,), 0.1)
        out[h + "bn.weight"] = 1.0 + _randn(g, (hidden,), 0.2)
        out[h + "bn.bias"] = _randn(g, (hidden,), 0.1)
        out[h + "bn.running_mean"] = torch.zeros(hidden)
        out[h + "bn.running_var"] = _uniform(g, (hidden,), 0.5, 2.0)
        out[h + "out.weight"] = _randn(g, (t["outputs"], hidden, 1, 1), 1.0 / math.sqrt(hidden))
        out[h + "out.bias"] = _randn(g, (t["outputs"],), 0.1)
    missing = set(req) - set(out)
    assert not missing, missing
    return out, g


# per-kind target (mean, std) of the logits O, before the final resize
_TARGETS = {"segmentation": (0.0, 2.0), "depth": (1.0, 1.0), "normals": (0.0, 0.7),
            "saliency": (0.0, 1.2), "edges": (0.0, 1.2)}


@torch.no_grad()
def calibrate(cfg, tensors, g, image=None):
    """Scale decoder.fuse so Z is O(1), set BN running_mean near Z's mean, and rescale each head's
    out conv so O has the per-kind target statistics on a random image at the model size."""
    model = ref.RefModel(cfg, tensors)
    H, W = cfg["input"]["height"], cfg["input"]["width"]
    if image is None:
        image = torch.rand((1, 3, H, W), generator=g)
    x = model.preprocess(image)
    feats = {t: model.backbone(x, t) for t in model.task_names}

    def concat(fs):
        gs = []
        for s, f in enumerate(fs):
            gg = F.conv2d(f.permute(0, 3, 1, 2), tensors[f"decoder.down.{s}.weight"])
            if s > 0:
                gg = F.interpolate(gg, size=tuple(gs[0].shape[-2:]), mode="bilinear", align_corners=False)
            gs.append(gg)
        return torch.cat(gs, 1)

    X = {t: concat(feats[t]) for t in model.task_names}
    zstd = torch.stack([F.conv2d(X[t], tensors["decoder.fuse.weight"]).std() for t in model.task_names]).mean()
    tensors["decoder.fuse.weight"] = tensors["decoder.fuse.weight"] / zstd
    for t in cfg["tasks"]:
        n = t["name"]
        h = f"heads.{n}."
        Z = F.conv2d(X[n], tensors["decoder.fuse.weight"]) + tensors[h + "fuse_bias"][None, :, None, None]
        zm = Z.mean(dim=(0, 2, 3))
        tensors[h + "bn.running_mean"] = zm + _randn(g, zm.shape, 0.3)
        rm, rv = tensors[h + "bn.running_mean"], tensors[h + "bn.running_var"]
        Zb = torch.relu((Z - rm[None, :, None, None]) / torch.sqrt(rv + 1e-5)[None, :, None, None]
                        * tensors[h + "bn.weight"][None, :, None, None] + tensors[h + "bn.bias"][None, :, None, None])
        O = F.conv2d(Zb, tensors[h + "out.weight"], tensors[h + "out.bias"])
        om, osd = O.mean(dim=(0, 2, 3)), O.std(dim=(0, 2, 3)).clamp(min=1e-6)
        tm, ts = _TARGETS[t["kind"]]
        k = ts / osd
        offs = torch.full_like(om, tm)
        if t["kind"] == "segmentation":
            offs = offs + _randn(g, om.shape, 0.5)
        elif t["kind"] == "normals":
            # keep |O| away from 0 (O/|O| amplifies float32 error by 1/|O|): mean 2.5 along a random direction
            d = _randn(g, om.shape)
            offs = 2.5 * d / d.norm()
        tensors[h + "out.weight"] = tensors[h + "out.weight"] * k[:, None, None, None]
        tensors[h + "out.bias"] = (tensors[h + "out.bias"] - om) * k + offs
    return tensors


def write_bundle(cfg, tensors, out_dir, dtype="F32"):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "sinewich.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    overrides = {k: dtype for k, v in tensors.items() if v.is_floating_point()}
    ref.write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, overrides,
                          metadata={"format": "pt"})


def make_random_bundle(config, out_dir, seed, dtype="F32", omega_tasks=(), include_rpi=True, calibrate_heads=True):
    """Generate, calibrate and write a bundle. Returns the float32 tensors before dtype rounding."""
    if dtype not in ("F32", "F16", "BF16"):
        raise ValueError(dtype)
    tensors, g = random_tensors(config, seed, omega_tasks, include_rpi)
    if calibrate_heads:
        tensors = calibrate(config, tensors, g)
    write_bundle(config, tensors, out_dir, dtype)
    return tensors


def preset_config(preset, height=None, width=None):
    if preset == "swin-t":
        H, W = height or 448, width or 448
        return {
            "format": "sinewich/v1", "name": "swin-t-random", "version": "1",
            "input": {"height": H, "width": W, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
            "backbone": {"type": "swin", "patch_size": 4, "embed_dim": 96, "depths": [2, 2, 6, 2],
                         "num_heads": [3, 6, 12, 24], "window_size": 7, "mlp_ratio": 4.0},
            "lora": {"rank": 64, "alpha": 64.0, "targets": ["qkv", "proj", "fc1", "fc2"]},
            "awb": {"rank": 64, "targets": ["proj", "fc1", "fc2"], "gain": 0.05,
                    "lowpass": {"size": 7, "sigma": 1.0}},
            "decoder": {"channels": [18, 36, 72, 144], "hidden": 270},
            "tasks": [
                {"name": "semseg", "kind": "segmentation", "outputs": 21, "labels": [f"class{i}" for i in range(21)]},
                {"name": "depth", "kind": "depth", "outputs": 1, "unit": "m"},
                {"name": "normals", "kind": "normals", "outputs": 3},
                {"name": "saliency", "kind": "saliency", "outputs": 1},
            ],
        }
    if preset == "tiny":
        H, W = height or 64, width or 64
        return {
            "format": "sinewich/v1", "name": "tiny-random", "version": "1",
            "input": {"height": H, "width": W, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
            "backbone": {"type": "swin", "patch_size": 4, "embed_dim": 16, "depths": [2, 2, 2],
                         "num_heads": [1, 2, 4], "window_size": 4, "mlp_ratio": 4.0},
            "lora": {"rank": 4, "alpha": 8.0, "targets": ["qkv", "proj", "fc1", "fc2"]},
            "awb": {"rank": 4, "targets": ["proj", "fc1", "fc2"], "gain": 0.1,
                    "lowpass": {"size": 3, "sigma": 1.0}},
            "decoder": {"channels": [8, 16, 32], "hidden": 32},
            "tasks": [
                {"name": "semseg", "kind": "segmentation", "outputs": 6, "labels": [f"class{i}" for i in range(6)]},
                {"name": "depth", "kind": "depth", "outputs": 1, "unit": "m"},
                {"name": "normals", "kind": "normals", "outputs": 3},
                {"name": "saliency", "kind": "saliency", "outputs": 1},
            ],
        }
    raise ValueError(f"unknown preset {preset}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=["swin-t", "tiny"], required=True)
    ap.add_argument("--input", nargs=2, type=int, metavar=("H", "W"), default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32")
    ap.add_argument("--no-rpi", action="store_true", help="omit relative_position_index buffers")
    ap.add_argument("--no-calibrate", action="store_true", help="skip the calibration forward pass")
    ap.add_argument("--name", default=None, help="model name (default: the preset's)")
    ap.add_argument("--version", default=None, help="model version (default: the preset's)")
    a = ap.parse_args(argv)
    H, W = (a.input if a.input else (None, None))
    cfg = preset_config(a.preset, H, W)
    if a.name:
        cfg["name"] = a.name
    if a.version:
        cfg["version"] = a.version
    torch.set_num_threads(max(1, torch.get_num_threads()))
    make_random_bundle(cfg, a.out, a.seed, dtype=a.dtype, include_rpi=not a.no_rpi,
                       calibrate_heads=not a.no_calibrate)
    size = os.path.getsize(os.path.join(a.out, "model.safetensors"))
    print(json.dumps({"out": a.out, "preset": a.preset, "input": [cfg["input"]["height"], cfg["input"]["width"]],
                      "model_safetensors_bytes": size}))


if __name__ == "__main__":
    main()
