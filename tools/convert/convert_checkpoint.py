"""Convert a PyTorch Swin checkpoint (torchvision or Microsoft names, optionally with LoRA /
Sine-AWB adapters and Sinewich heads) into a Sinewich bundle (docs/SPEC.md).

    /usr/bin/python3 tools/convert/convert_checkpoint.py CHECKPOINT --out DIR [--config conv.json] [flags]

The backbone hyper-parameters are read from the tensors; everything the checkpoint lacks
(adapters, Clock Net, task tokens, decoder, heads) is initialised deterministically from --seed so
that the result is a valid starting bundle. The bundle is validated by loading it with the
reference implementation (tools/reference/sinewich_ref.py). Details: docs/CONVERT.md.
"""

import argparse
import json
import math
import os
import re
import sys
import zlib
from typing import Callable, Dict, List, Optional

import torch

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.insert(0, os.path.join(_HERE, "..", "reference"))
import sinewich_ref as ref  # noqa: E402
from checkpoint_names import ConversionError, load_checkpoint, map_names, strip_prefixes  # noqa: E402
from make_bundle import write_bundle  # noqa: E402

IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
KIND_BY_NAME = {"semseg": "segmentation", "depth": "depth", "normals": "normals", "saliency": "saliency",
                "sal": "saliency", "edges": "edges", "edge": "edges"}
DEFAULT_TASKS = [
    {"name": "semseg", "kind": "segmentation", "outputs": 21},
    {"name": "depth", "kind": "depth", "outputs": 1, "unit": "m"},
    {"name": "normals", "kind": "normals", "outputs": 3},
    {"name": "saliency", "kind": "saliency", "outputs": 1},
]
DEFAULT_AWB = {"rank": 16, "targets": ["proj", "fc1", "fc2"], "gain": 0.05, "lowpass": {"size": 7, "sigma": 1.0}}

# keys the converter's config may hold: sinewich.json's, plus lora.scale and tasks[].omega
_CONFIG_KEYS = {
    "$": {"format", "name", "version", "input", "backbone", "lora", "awb", "decoder", "tasks"},
    "input": {"height", "width", "mean", "std"},
    "backbone": {"type", "patch_size", "embed_dim", "depths", "num_heads", "window_size", "mlp_ratio"},
    "lora": {"rank", "alpha", "scale", "targets"},
    "awb": {"rank", "targets", "gain", "lowpass"},
    "decoder": {"channels", "hidden"},
    "task": {"name", "kind", "outputs", "labels", "unit", "omega"},
}


def _check_keys(obj, where, allowed):
    if not isinstance(obj, dict):
        raise ConversionError(f"config: {where} must be an object")
    bad = sorted(set(obj) - allowed)
    if bad:
        raise ConversionError(f"config: unknown key(s) {', '.join(bad)} in {where} (allowed: {', '.join(sorted(allowed))})")


def check_config(cfg: dict) -> None:
    """Rejects unknown keys in the converter config (typos would otherwise be silently ignored)."""
    _check_keys(cfg, "the top level", _CONFIG_KEYS["$"])
    for part in ("input", "backbone", "lora", "awb", "decoder"):
        if cfg.get(part) is not None:
            _check_keys(cfg[part], part, _CONFIG_KEYS[part])
    for i, t in enumerate(cfg.get("tasks") or []):
        _check_keys(t, f"tasks[{i}]", _CONFIG_KEYS["task"])


# ---------------------------------------------------------------------------------------------
# backbone structure from the tensors
# ---------------------------------------------------------------------------------------------

def _where(scheme, s, j=None):
    if scheme == "microsoft":
        return f"layers.{s}" + ("" if j is None else f".blocks.{j}")
    return f"features.{2 * s + 1}" + ("" if j is None else f".{j}")


def infer_backbone(t: Dict[str, torch.Tensor], scheme: str, given: Optional[dict]) -> dict:
    """embed_dim and patch_size from the patch conv, depths from the block indices, num_heads from
    the relative position bias tables' columns, window_size from their rows, mlp_ratio from fc1."""
    conv = t.get("backbone.features.0.0.weight")
    if conv is None:
        raise ConversionError("missing the patch-embedding conv (features.0.0.weight / patch_embed.proj.weight)")
    if conv.dim() != 4 or conv.shape[1] != 3 or conv.shape[2] != conv.shape[3]:
        raise ConversionError(f"patch-embedding conv: expected shape (embed_dim, 3, p, p), found {list(conv.shape)}")
    embed, patch = int(conv.shape[0]), int(conv.shape[2])
    blocks: Dict[int, set] = {}
    for name in t:
        mt = re.match(r"backbone\.features\.(\d+)\.(\d+)\.", name)
        if mt and int(mt.group(1)) % 2 == 1:
            blocks.setdefault((int(mt.group(1)) - 1) // 2, set()).add(int(mt.group(2)))
    S = len(blocks)
    if S == 0:
        raise ConversionError("no transformer blocks found")
    if sorted(blocks) != list(range(S)):
        missing = sorted(set(range(max(blocks) + 1)) - set(blocks))
        raise ConversionError(f"stage(s) {missing} have no blocks ({', '.join(_where(scheme, s) for s in missing)}), "
                              f"but stage {max(blocks)} has")
    depths = []
    for s in range(S):
        js = sorted(blocks[s])
        if js != list(range(len(js))):
            gap = sorted(set(range(js[-1] + 1)) - set(js))
            raise ConversionError(f"stage {s}: block(s) {gap} missing ({', '.join(_where(scheme, s, j) for j in gap)}); "
                                  f"found blocks {js}")
        depths.append(len(js))
    for name in t:
        mt = re.match(r"backbone\.features\.(\d+)\.", name)
        if mt and int(mt.group(1)) % 2 == 0 and int(mt.group(1)) >= 2 * S:
            raise ConversionError(f"{name}: patch merging after the last stage {S - 1} "
                                  f"({'layers.%d.downsample' % (S - 1) if scheme == 'microsoft' else 'features.%d' % (2 * S)}) "
                                  "is not part of the bundle format"
                                  + (" (this looks like timm >= 0.9, which merges patches at the start of a layer: "
                                     "not supported)" if "backbone.features.2.reduction.weight" not in t else ""))
    heads, windows, hidden = [], set(), []
    for s in range(S):
        C = embed << s
        hs = set()
        for j in range(depths[s]):
            pre = f"backbone.features.{2 * s + 1}.{j}."
            n1 = t.get(pre + "norm1.weight")
            if n1 is not None and tuple(n1.shape) != (C,):
                raise ConversionError(f"{_where(scheme, s, j)}.norm1.weight: expected shape [{C}] (embed_dim {embed} * 2^{s}), "
                                      f"found {list(n1.shape)}: stage widths do not double")
            table = t.get(pre + "attn.relative_position_bias_table")
            if table is None:
                raise ConversionError(f"{_where(scheme, s, j)}: missing attn.relative_position_bias_table")
            rows = int(table.shape[0])
            w = (math.isqrt(rows) + 1) // 2
            if table.dim() != 2 or (2 * w - 1) ** 2 != rows:
                raise ConversionError(f"{_where(scheme, s, j)}.attn.relative_position_bias_table: shape {list(table.shape)} "
                                      "is not ((2w-1)^2, heads)")
            windows.add(w)
            hs.add(int(table.shape[1]))
        if len(hs) != 1:
            raise ConversionError(f"stage {s}: blocks disagree on the number of heads {sorted(hs)}")
        heads.append(hs.pop())
        fc1 = t.get(f"backbone.features.{2 * s + 1}.0.mlp.0.weight")
        if fc1 is None:
            raise ConversionError(f"{_where(scheme, s, 0)}: missing the first MLP linear")
        hidden.append(int(fc1.shape[0]))
    if len(windows) != 1:
        raise ConversionError(f"blocks disagree on the window size {sorted(windows)} (bias table rows (2w-1)^2); "
                              "Microsoft Swin shrinks the window of a stage smaller than the window, which the "
                              "bundle format (torchvision semantics: pad to the window) cannot express")
    bb = {"type": "swin", "patch_size": patch, "embed_dim": embed, "depths": depths, "num_heads": heads,
          "window_size": windows.pop(), "mlp_ratio": _mlp_ratio(embed, hidden, (given or {}).get("mlp_ratio"))}
    for k, v in (given or {}).items():
        if k in bb and v != bb[k] and not (k == "mlp_ratio"):
            raise ConversionError(f"config backbone.{k} = {v} but the checkpoint has {bb[k]}")
    return bb


def _mlp_ratio(embed: int, hidden: List[int], given) -> float:
    """The shortest decimal r with int(C_s * r) == hidden_s for every stage (torchvision's rule)."""
    def fits(r):
        return all(int((embed << s) * r) == h for s, h in enumerate(hidden))
    if given is not None:
        if not fits(float(given)):
            raise ConversionError(f"config backbone.mlp_ratio = {given} does not give the checkpoint's MLP widths {hidden}")
        return float(given)
    lo = max(h / (embed << s) for s, h in enumerate(hidden))
    hi = min((h + 1) / (embed << s) for s, h in enumerate(hidden))
    for digits in range(0, 7):
        r = math.ceil(lo * 10 ** digits - 1e-9) / 10 ** digits
        if r < hi and fits(r):
            return float(r)
    raise ConversionError(f"no mlp_ratio gives the MLP widths {hidden} for stage widths "
                          f"{[embed << s for s in range(len(hidden))]}")


# ---------------------------------------------------------------------------------------------
# deterministic initialisation of what the checkpoint lacks
# ---------------------------------------------------------------------------------------------

class Initialiser:
    """Creates missing tensors; each one from its own generator seeded by (seed, name), so a
    tensor's value does not depend on which other tensors the checkpoint happened to hold."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self.made: Dict[str, List[str]] = {}

    def _g(self, name):
        return torch.Generator().manual_seed((self.seed * 1000003 + zlib.crc32(name.encode("utf-8"))) % (2 ** 63))

    def normal(self, what, name, shape, std):
        self.made.setdefault(what, []).append(name)
        return torch.randn(tuple(shape), generator=self._g(name), dtype=torch.float32) * std

    def uniform(self, what, name, shape, bound):
        self.made.setdefault(what, []).append(name)
        return (torch.rand(tuple(shape), generator=self._g(name), dtype=torch.float32) * 2 - 1) * bound

    def const(self, what, name, shape, value):
        self.made.setdefault(what, []).append(name)
        return torch.full(tuple(shape), float(value), dtype=torch.float32)


def _linear_paths(t, suffix):
    """{(stage, block, target): SPEC prefix} of the block linears that carry <suffix>."""
    out = {}
    for name in t:
        mt = re.fullmatch(r"(backbone\.features\.(\d+)\.(\d+)\.(attn\.qkv|attn\.proj|mlp\.0|mlp\.3))\." + suffix, name)
        if mt and int(mt.group(2)) % 2 == 1:
            out[((int(mt.group(2)) - 1) // 2, int(mt.group(3)), _target(mt.group(4)))] = mt.group(1)
    return out


def _target(path):
    return {v: k for k, v in ref.LINEAR_PATHS.items()}[path]


def _ordered_targets(ts):
    return [x for x in ("qkv", "proj", "fc1", "fc2") if x in ts]


def resolve_lora(t, scales, user, bb_depths, init: Initialiser, warn) -> Optional[dict]:
    """Returns the bundle's lora config and replaces t's LoRA factors by SPEC ones (padded to one
    rank, per-layer scale folded into B, missing linears initialised with B = 0)."""
    A, B = _linear_paths(t, "lora_A"), _linear_paths(t, "lora_B")
    for key in set(A) ^ set(B):
        p = (A.get(key) or B.get(key))
        raise ConversionError(f"{p}: has {'lora_A' if key in A else 'lora_B'} without its partner")
    for p in scales:
        if not any(v == p for v in A.values()):
            raise ConversionError(f"{p}: has a LoRA scale but no LoRA factors")
    has_user = user is not None and "lora" in user
    cfg = user.get("lora") if has_user else None
    if not A:
        if cfg is None:
            return None
        missing = [k for k in ("rank", "targets") if k not in cfg]
        if missing:
            raise ConversionError(f"config lora needs {', '.join(missing)} (the checkpoint has no LoRA tensors)")
        R, alpha, targets = int(cfg["rank"]), float(cfg.get("alpha", cfg["rank"])), _ordered_targets(cfg["targets"])
    else:
        if has_user and cfg is None:
            raise ConversionError("config says lora is null, but the checkpoint has LoRA factors "
                                  f"(e.g. {next(iter(A.values()))}.lora_A)")
        cfg = cfg or {}
        ranks = {}
        for key, p in A.items():
            a, b, w = t[p + ".lora_A"], t[p + ".lora_B"], t.get(p + ".weight")
            if w is None:
                raise ConversionError(f"{p}: LoRA factors without the base weight")
            if a.dim() != 2 or b.dim() != 2 or a.shape[1] != w.shape[1] or b.shape[0] != w.shape[0] or a.shape[0] != b.shape[1]:
                raise ConversionError(f"{p}: LoRA shapes A {list(a.shape)}, B {list(b.shape)} do not fit the weight "
                                      f"{list(w.shape)} (need A (r, {w.shape[1]}), B ({w.shape[0]}, r))")
            ranks[key] = int(a.shape[0])
        R = int(cfg.get("rank", max(ranks.values())))
        if R < max(ranks.values()):
            raise ConversionError(f"config lora.rank = {R} is below the checkpoint's largest LoRA rank {max(ranks.values())}")
        found = {k[2] for k in A}
        targets = _ordered_targets(cfg.get("targets", found))
        if not found <= set(targets):
            raise ConversionError(f"the checkpoint has LoRA on {sorted(found - set(targets))}, not in config lora.targets {targets}")
        if "alpha" in cfg:
            alpha = float(cfg["alpha"])
        elif "scale" in cfg:
            alpha = float(cfg["scale"]) * R
        elif scales and len(set(scales.values())) == 1 and len(scales) == len(A):
            alpha = next(iter(scales.values())) * R
        elif scales and len(scales) == len(A):
            alpha = float(R)
        else:
            raise ConversionError("the checkpoint does not store the LoRA scaling: give lora.alpha "
                                  "(delta = alpha/rank * B A) or lora.scale (MTLoRA: delta = scale * B A)")
        folded = 0
        for key, p in A.items():
            r = ranks[key]
            s_l = scales.get(p, float(cfg["scale"]) if "scale" in cfg else alpha / r)
            a, b = t[p + ".lora_A"].to(torch.float32), t[p + ".lora_B"].to(torch.float32)
            if r < R:
                a = torch.cat([a, torch.zeros(R - r, a.shape[1])], 0)
                b = torch.cat([b, torch.zeros(b.shape[0], R - r)], 1)
            factor = s_l / (alpha / R)
            if factor != 1.0:
                b = b * factor
                folded += 1
            t[p + ".lora_A"], t[p + ".lora_B"] = a, b
        if folded:
            warn(f"LoRA: folded per-layer scale / rank into lora_B of {folded} linear(s) (bundle alpha {alpha}, rank {R})")
    for s, d in enumerate(bb_depths):
        for j in range(d):
            for tg in targets:
                p = f"backbone.features.{2 * s + 1}.{j}.{ref.LINEAR_PATHS[tg]}"
                if p + ".lora_A" not in t:
                    w = t.get(p + ".weight")
                    if w is None:
                        continue  # reported as a missing backbone tensor later
                    t[p + ".lora_A"] = init.uniform("lora_A (kaiming-uniform, 1/sqrt(in))", p + ".lora_A",
                                                    (R, w.shape[1]), 1.0 / math.sqrt(w.shape[1]))
                    t[p + ".lora_B"] = init.const("lora_B = 0 (no change to W)", p + ".lora_B", (w.shape[0], R), 0.0)
    return {"rank": R, "alpha": alpha, "targets": targets}


def resolve_awb(t, user, depths, init: Initialiser, warn) -> dict:
    """The bundle's awb config; missing factors get B = 0 (fused kernel M = 0, so W_t = W)."""
    found = _linear_paths(t, "awb_A")
    for part in ("awb_W", "awb_B"):
        other = _linear_paths(t, part)
        if set(other) != set(found):
            k = next(iter(set(other) ^ set(found)))
            raise ConversionError(f"{(other.get(k) or found.get(k))}: Sine-AWB factors incomplete (need awb_A, awb_W, awb_B)")
    cfg = dict((user or {}).get("awb") or {})
    for (s, j, _), p in found.items():
        if j != depths[s] - 1:
            raise ConversionError(f"{p}: Sine-AWB factors on block {j}, but only the last block of a stage "
                                  f"(block {depths[s] - 1}) has them")
    ranks = {int(t[p + ".awb_A"].shape[0]) for p in found.values()}
    if len(ranks) > 1:
        raise ConversionError(f"Sine-AWB factors have different ranks {sorted(ranks)}")
    if found:
        r = ranks.pop()
        if cfg.get("rank", r) != r:
            raise ConversionError(f"config awb.rank = {cfg['rank']} but the checkpoint's Sine-AWB rank is {r}")
        cfg["rank"] = r
        ft = {k[2] for k in found}
        cfg.setdefault("targets", _ordered_targets(ft))
        if not ft <= set(cfg["targets"]):
            raise ConversionError(f"the checkpoint has Sine-AWB on {sorted(ft - set(cfg['targets']))}, "
                                  f"not in config awb.targets {cfg['targets']}")
        for k in ("gain", "lowpass"):
            if k not in cfg:
                warn(f"awb.{k} is not stored in checkpoints: using the default {DEFAULT_AWB[k]}")
    for k, v in DEFAULT_AWB.items():
        cfg.setdefault(k, v)
    cfg["targets"] = _ordered_targets(cfg["targets"])
    R = int(cfg["rank"])
    for s, d in enumerate(depths):
        for tg in cfg["targets"]:
            p = f"backbone.features.{2 * s + 1}.{d - 1}.{ref.LINEAR_PATHS[tg]}"
            w = t.get(p + ".weight")
            if p + ".awb_A" in t or w is None:
                continue
            t[p + ".awb_A"] = init.normal("awb_A ~ N(0, 1/in)", p + ".awb_A", (R, w.shape[1]), 1.0 / math.sqrt(w.shape[1]))
            t[p + ".awb_W"] = init.const("awb_W = identity", p + ".awb_W", (R, R), 0.0) + torch.eye(R)
            t[p + ".awb_B"] = init.const("awb_B = 0 (fused kernel M = 0: W_t = W)", p + ".awb_B", (w.shape[0], R), 0.0)
    out = {"rank": R, "targets": cfg["targets"], "gain": float(cfg["gain"])}
    if cfg.get("lowpass") is not None:
        out["lowpass"] = {"size": int(cfg["lowpass"]["size"]), "sigma": float(cfg["lowpass"]["sigma"])}
    else:
        out["lowpass"] = None
    return out


# ---------------------------------------------------------------------------------------------
# tasks, Clock Net, decoder and heads
# ---------------------------------------------------------------------------------------------

HEAD_PARTS = ["fuse_bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "out.weight", "out.bias"]


def _checkpoint_tasks(t) -> List[str]:
    names = []
    for n in t:
        m = (re.fullmatch(r"heads\.(.+)\.(fuse_bias|bn\.[a-z_]+|out\.(weight|bias))", n)
             or re.fullmatch(r"tasks\.(.+)\.(token\.\d+|omega)", n))
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


def resolve_tasks(t, user, S, warn):
    """The bundle's task list and the explicit frequencies {task: tensor (S,)}."""
    in_ckpt = _checkpoint_tasks(t)
    given = (user or {}).get("tasks")
    if given is None:
        if in_ckpt:
            given = []
            for n in in_ckpt:
                kind = KIND_BY_NAME.get(n)
                if kind is None:
                    raise ConversionError(f"the checkpoint has a head for task {n!r}: give its kind in the config's tasks")
                given.append({"name": n, "kind": kind})
        else:
            given = [dict(x) for x in DEFAULT_TASKS]
            warn("no tasks configured: using " + ", ".join(f"{x['name']} ({x['kind']})" for x in given))
    extra = [n for n in in_ckpt if n not in {x.get("name") for x in given}]
    if extra:
        raise ConversionError(f"the checkpoint has tensors for task(s) {extra} that the config's tasks do not list")
    tasks, omegas = [], {}
    for x in given:
        x = dict(x)
        n, kind = x.get("name"), x.get("kind")
        if not n or kind not in ref.KIND_OUTPUTS:
            raise ConversionError(f"config task {x}: needs a name and a kind out of {sorted(ref.KIND_OUTPUTS)}")
        ow = t.get(f"heads.{n}.out.weight")
        outputs = x.get("outputs", int(ow.shape[0]) if ow is not None else ref.KIND_OUTPUTS[kind])
        if outputs is None:
            raise ConversionError(f"task {n}: segmentation needs outputs (or labels) in the config")
        if ow is not None and int(ow.shape[0]) != outputs:
            raise ConversionError(f"task {n}: config outputs = {outputs} but heads.{n}.out.weight has {int(ow.shape[0])}")
        task = {"name": n, "kind": kind, "outputs": int(outputs)}
        if kind == "segmentation":
            labels = x.get("labels") or [f"class{i}" for i in range(outputs)]
            if "labels" not in x:
                warn(f"task {n}: no labels configured: using class0..class{outputs - 1}")
            task["labels"] = list(labels)
        if kind == "depth":
            task["unit"] = x.get("unit", "m")
        tasks.append(task)
        om = x.get("omega")
        if om is not None:
            om = torch.tensor([float(om)] * S if isinstance(om, (int, float)) else [float(v) for v in om])
            if om.shape != (S,):
                raise ConversionError(f"task {n}: omega needs one value or {S} (one per stage), found {om.numel()}")
            if any(k.startswith(f"tasks.{n}.token.") for k in t):
                raise ConversionError(f"task {n}: the config gives omega but the checkpoint has Clock Net tokens for it")
            if f"tasks.{n}.omega" in t and not torch.equal(t[f"tasks.{n}.omega"].to(torch.float32), om):
                raise ConversionError(f"task {n}: config omega {om.tolist()} differs from the checkpoint's "
                                      f"{t[f'tasks.{n}.omega'].tolist()}")
            omegas[n] = om
        elif f"tasks.{n}.omega" in t:
            omegas[n] = t[f"tasks.{n}.omega"]
    return tasks, omegas


def resolve_decoder(t, user, Cs, warn) -> dict:
    S = len(Cs)
    down = [t.get(f"decoder.down.{s}.weight") for s in range(S)]
    fuse = t.get("decoder.fuse.weight")
    cfg = dict((user or {}).get("decoder") or {})
    if any(d is not None for d in down):
        if any(d is None for d in down):
            raise ConversionError(f"decoder.down.* incomplete: stages {[s for s in range(S) if down[s] is None]} missing")
        ch = [int(d.shape[0]) for d in down]
        if cfg.get("channels", ch) != ch:
            raise ConversionError(f"config decoder.channels = {cfg['channels']} but the checkpoint has {ch}")
        cfg["channels"] = ch
    if fuse is not None:
        if cfg.get("hidden", int(fuse.shape[0])) != int(fuse.shape[0]):
            raise ConversionError(f"config decoder.hidden = {cfg['hidden']} but decoder.fuse.weight has {int(fuse.shape[0])}")
        cfg["hidden"] = int(fuse.shape[0])
    cfg.setdefault("channels", [max(1, 3 * c // 16) for c in Cs])
    cfg.setdefault("hidden", sum(cfg["channels"]))
    return {"channels": [int(c) for c in cfg["channels"]], "hidden": int(cfg["hidden"])}


def fill_task_tensors(t, cfg, omegas, init: Initialiser, warn):
    """Clock Net, tokens, explicit omegas, decoder and heads: kept from the checkpoint or initialised."""
    Cs = ref.stage_channels(cfg)
    S = len(Cs)
    ch, hidden = cfg["decoder"]["channels"], cfg["decoder"]["hidden"]
    needs_clock = any(x["name"] not in omegas for x in cfg["tasks"])
    for s in range(S):
        names = [f"clock.{s}.weight", f"clock.{s}.scale", f"clock.{s}.shift"]
        if not needs_clock:
            dropped = [n for n in names if t.pop(n, None) is not None]
            if dropped:
                warn(f"every task has an explicit omega: Clock Net tensors {dropped} are not used and not written")
            continue
        if names[0] not in t:
            t[names[0]] = init.normal("Clock Net weight ~ N(0, 0.02^2)", names[0], (1, Cs[s]), 0.02)
        if names[1] not in t:
            t[names[1]] = init.const("Clock Net scale = 1", names[1], (1,), 1.0)
        if names[2] not in t:
            t[names[2]] = init.const("Clock Net shift = 1 (omega ~ 1)", names[2], (1,), 1.0)
    for x in cfg["tasks"]:
        n = x["name"]
        if n in omegas:
            t[f"tasks.{n}.omega"] = omegas[n].to(torch.float32)
            continue
        for s in range(S):
            k = f"tasks.{n}.token.{s}"
            if k not in t:
                t[k] = init.normal("task token ~ N(0, 1)", k, (Cs[s],), 1.0)
    for s in range(S):
        k = f"decoder.down.{s}.weight"
        if k not in t:
            t[k] = init.normal("decoder.down ~ N(0, 1/C_s)", k, (ch[s], Cs[s], 1, 1), 1.0 / math.sqrt(Cs[s]))
    if "decoder.fuse.weight" not in t:
        t["decoder.fuse.weight"] = init.normal("decoder.fuse ~ N(0, 1/sum(channels))", "decoder.fuse.weight",
                                               (hidden, sum(ch), 1, 1), 1.0 / math.sqrt(sum(ch)))
    untrained = []
    for x in cfg["tasks"]:
        h = f"heads.{x['name']}."
        have = [p for p in HEAD_PARTS if h + p in t]
        if have and len(have) != len(HEAD_PARTS):
            raise ConversionError(f"head of task {x['name']} incomplete: missing "
                                  f"{[h + p for p in HEAD_PARTS if h + p not in t]}")
        if have:
            continue
        untrained.append(x["name"])
        for p, v in (("fuse_bias", 0.0), ("bn.bias", 0.0), ("bn.running_mean", 0.0), ("out.bias", 0.0)):
            t[h + p] = init.const("head biases and BN mean = 0", h + p, (hidden if p != "out.bias" else x["outputs"],), v)
        for p in ("bn.weight", "bn.running_var"):
            t[h + p] = init.const("head BN weight and variance = 1", h + p, (hidden,), 1.0)
        t[h + "out.weight"] = init.normal("head out ~ N(0, 1/hidden)", h + "out.weight",
                                          (x["outputs"], hidden, 1, 1), 1.0 / math.sqrt(hidden))
    return untrained


# ---------------------------------------------------------------------------------------------
# assembly, conversion, command line
# ---------------------------------------------------------------------------------------------

def assemble(t, cfg, omegas, source: Dict[str, str]) -> Dict[str, torch.Tensor]:
    """The SPEC tensor set in SPEC order, checked for missing, mis-shaped and unexpected tensors;
    relative_position_index is kept (as I64) only when the checkpoint had it, and must equal the
    computed index."""
    swin = ref.build_swin(cfg)
    computed = swin.state_dict()
    expected, _ = ref.expected_tensors(cfg, set(omegas), include_rpi=True, swin=swin)
    out, missing, bad = {}, [], []
    for name, shape in expected.items():
        src = source.get(name, name)
        if name.endswith("relative_position_index"):
            if name in t:
                want = computed[name[len("backbone."):]]
                if tuple(t[name].shape) != shape or not torch.equal(t[name].to(torch.float64), want.to(torch.float64)):
                    bad.append(f"{src}: differs from the relative position index of a {cfg['backbone']['window_size']}-window")
                out[name] = want.to(torch.int64).clone()
            continue
        if name not in t:
            missing.append(f"{name} {list(shape)}" + ("" if name == src else f" (from {src})"))
        elif tuple(t[name].shape) != shape:
            bad.append(f"{src}: expected shape {list(shape)}, found {list(t[name].shape)}")
        else:
            out[name] = t[name].to(torch.float32)
    unexpected = [source.get(n, n) for n in t if n not in expected]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing tensor(s): " + "; ".join(missing[:20]))
    if bad:
        problems.append(f"{len(bad)} mismatched tensor(s): " + "; ".join(bad[:20]))
    if unexpected:
        problems.append(f"{len(unexpected)} tensor(s) with no place in this configuration: " + "; ".join(unexpected[:20]))
    if problems:
        raise ConversionError("\n".join(problems))
    return out


def _name_from(path) -> str:
    base = os.path.splitext(os.path.basename(str(path)))[0].lower()
    base = re.sub(r"[^a-z0-9._-]+", "-", base).strip("-._")[:63]
    return base if re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,62}", base or "") else "converted"


def convert(checkpoint, out_dir: str, config: Optional[dict] = None, strip=(), ignore_unknown=False,
            seed: int = 0, dtype: str = "F32", trust_pickle=False, log: Callable[[str], None] = print) -> dict:
    """Convert a checkpoint (a path, or a state dict) into the bundle out_dir; returns a report
    {"config", "scheme", "initialised": {what: [names]}, "dropped", "ignored", "untrained_heads", "warnings"}."""
    config = dict(config or {})
    check_config(config)
    warnings = []

    def warn(msg):
        warnings.append(msg)
        log("warning: " + msg)

    sd = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint, trust_pickle)
    mapped = map_names(strip_prefixes(sd, list(strip)))
    if mapped.unknown:
        listing = ", ".join(mapped.unknown[:30]) + (" ..." if len(mapped.unknown) > 30 else "")
        if not ignore_unknown:
            raise ConversionError(f"{len(mapped.unknown)} unknown tensor name(s) (use --ignore-unknown to drop them): {listing}")
        warn(f"dropped {len(mapped.unknown)} unknown tensor(s): {listing}")
    t = {k: (v.to(torch.float32) if v.is_floating_point() else v) for k, v in mapped.tensors.items()}
    bb = infer_backbone(t, mapped.scheme, config.get("backbone"))
    S, Cs = len(bb["depths"]), [bb["embed_dim"] << s for s in range(len(bb["depths"]))]
    init = Initialiser(seed)
    unit = bb["patch_size"] << (S - 1)
    inp = dict(config.get("input") or {})
    side = unit * bb["window_size"]
    cfg = {"format": "sinewich/v1", "name": config.get("name") or _name_from(checkpoint if isinstance(checkpoint, str) else "converted"),
           "version": str(config.get("version", "1")),
           "input": {"height": int(inp.get("height", side)), "width": int(inp.get("width", side)),
                     "mean": [float(v) for v in inp.get("mean", IMAGENET_MEAN)],
                     "std": [float(v) for v in inp.get("std", IMAGENET_STD)]},
           "backbone": bb}
    lora = resolve_lora(t, mapped.lora_scale, config, bb["depths"], init, warn)
    if lora is not None:
        cfg["lora"] = lora
    cfg["awb"] = resolve_awb(t, config, bb["depths"], init, warn)
    cfg["decoder"] = resolve_decoder(t, config, Cs, warn)
    cfg["tasks"], omegas = resolve_tasks(t, config, S, warn)
    try:
        ref.validate_config(cfg)
    except ValueError as e:
        raise ConversionError(f"the resulting configuration is invalid: {e}") from e
    untrained = fill_task_tensors(t, cfg, omegas, init, warn)
    tensors = assemble(t, cfg, omegas, mapped.source)
    write_bundle(cfg, tensors, out_dir, dtype)
    ref.load_bundle(out_dir)  # the written files must pass the reference's validation
    if untrained:
        warn(f"heads of task(s) {untrained} are untrained (initialised from seed {seed}): "
             "their outputs mean nothing until the bundle is trained")
    return {"config": cfg, "scheme": mapped.scheme, "initialised": init.made, "dropped": mapped.dropped,
            "ignored": mapped.unknown if ignore_unknown else [], "untrained_heads": untrained, "warnings": warnings}


def config_from_args(a) -> dict:
    """The JSON config file (if any) with the command-line flags applied on top."""
    cfg = {}
    if a.config:
        with open(a.config, "r", encoding="utf-8") as f:
            cfg = json.load(f)
        check_config(cfg)
    if a.name:
        cfg["name"] = a.name
    if a.version:
        cfg["version"] = a.version
    inp = cfg.setdefault("input", {})
    if a.input:
        inp["height"], inp["width"] = a.input
    if a.mean:
        inp["mean"] = a.mean
    if a.std:
        inp["std"] = a.std
    if a.no_lora:
        cfg["lora"] = None
    elif any(v is not None for v in (a.lora_rank, a.lora_alpha, a.lora_scale, a.lora_targets)):
        lo = cfg.get("lora") or {}
        for k, v in (("rank", a.lora_rank), ("alpha", a.lora_alpha), ("scale", a.lora_scale), ("targets", a.lora_targets)):
            if v is not None:
                lo[k] = v
        cfg["lora"] = lo
    awb = cfg.get("awb") or {}
    for k, v in (("rank", a.awb_rank), ("targets", a.awb_targets), ("gain", a.awb_gain)):
        if v is not None:
            awb[k] = v
    if a.lowpass:
        awb["lowpass"] = {"size": int(a.lowpass[0]), "sigma": float(a.lowpass[1])}
    if a.no_lowpass:
        awb["lowpass"] = None
    if awb:
        cfg["awb"] = awb
    dec = cfg.get("decoder") or {}
    if a.decoder_channels:
        dec["channels"] = a.decoder_channels
    if a.decoder_hidden:
        dec["hidden"] = a.decoder_hidden
    if dec:
        cfg["decoder"] = dec
    if a.task:
        tasks = []
        for spec in a.task:
            parts = spec.split(":")
            if len(parts) not in (2, 3):
                raise ConversionError(f"--task {spec}: expected NAME:KIND[:OUTPUTS]")
            x = {"name": parts[0], "kind": parts[1]}
            if len(parts) == 3:
                x["outputs"] = int(parts[2])
            tasks.append(x)
        cfg["tasks"] = tasks
    return cfg


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="Config JSON keys: those of sinewich.json (any subset) plus lora.scale "
                                        "and tasks[].omega; flags override the file. See docs/CONVERT.md.")
    ap.add_argument("checkpoint", help=".pth/.pt/.bin (torch.save) or .safetensors")
    ap.add_argument("--out", required=True, help="bundle directory to write")
    ap.add_argument("--config", help="JSON file with the settings the tensors do not hold")
    ap.add_argument("--strip-prefix", action="append", default=[], metavar="PREFIX",
                    help="remove this key prefix (repeatable, e.g. backbone. or encoder.); module. is removed "
                         "automatically when every key has it")
    ap.add_argument("--ignore-unknown", action="store_true", help="drop tensors with unknown names instead of failing")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="allow torch.load to unpickle non-tensor objects (only for files you trust)")
    ap.add_argument("--seed", type=int, default=0, help="seed for everything the checkpoint lacks (default 0)")
    ap.add_argument("--dtype", choices=["F32", "F16", "BF16"], default="F32", help="stored float type")
    ap.add_argument("--name")
    ap.add_argument("--version")
    ap.add_argument("--input", nargs=2, type=int, metavar=("H", "W"))
    ap.add_argument("--mean", nargs=3, type=float)
    ap.add_argument("--std", nargs=3, type=float)
    ap.add_argument("--lora-rank", type=int)
    ap.add_argument("--lora-alpha", type=float, help="LoRA alpha (delta = alpha/rank * B A)")
    ap.add_argument("--lora-scale", type=float, help="MTLoRA shared scale (delta = scale * B A)")
    ap.add_argument("--lora-targets", nargs="+", choices=list(ref.LINEAR_PATHS))
    ap.add_argument("--no-lora", action="store_true", help="bundle without shared LoRA")
    ap.add_argument("--awb-rank", type=int)
    ap.add_argument("--awb-targets", nargs="+", choices=list(ref.LINEAR_PATHS))
    ap.add_argument("--awb-gain", type=float)
    ap.add_argument("--lowpass", nargs=2, type=float, metavar=("SIZE", "SIGMA"))
    ap.add_argument("--no-lowpass", action="store_true")
    ap.add_argument("--decoder-channels", nargs="+", type=int)
    ap.add_argument("--decoder-hidden", type=int)
    ap.add_argument("--task", action="append", metavar="NAME:KIND[:OUTPUTS]",
                    help="a task (repeatable; replaces the config's tasks; labels, unit and omega only via --config)")
    a = ap.parse_args(argv)
    try:
        report = convert(a.checkpoint, a.out, config_from_args(a), strip=a.strip_prefix,
                         ignore_unknown=a.ignore_unknown, seed=a.seed, dtype=a.dtype, trust_pickle=a.trust_pickle,
                         log=lambda m: print(m, file=sys.stderr))
    except (ConversionError, OSError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cfg = report["config"]
    print(json.dumps({"out": a.out, "scheme": report["scheme"], "backbone": cfg["backbone"],
                      "lora": cfg.get("lora"), "awb": cfg["awb"], "tasks": [x["name"] for x in cfg["tasks"]],
                      "initialised": {k: len(v) for k, v in report["initialised"].items()},
                      "dropped": len(report["dropped"]), "untrained_heads": report["untrained_heads"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
