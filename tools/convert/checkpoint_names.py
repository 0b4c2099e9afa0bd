"""Reading PyTorch / safetensors checkpoints and mapping their tensor names to SPEC names.

Two backbone naming schemes are recognised (auto-detected, never mixed):
  torchvision  features.0.0 (patch conv), features.0.2 (patch norm), features.{2s+1}.{j}.<block>,
               features.{2s+2}.reduction/norm (patch merging after stage s), norm, head
  microsoft    patch_embed.proj, patch_embed.norm, layers.{s}.blocks.{j}.<block>,
               layers.{s}.downsample.reduction/norm (merging at the end of stage s), norm, head
               (Microsoft Swin-Transformer and code built on it, such as MTLoRA)
Inside a block, a linear may be wrapped (<L>.linear.weight, MTLoRA) and may carry LoRA factors
(<L>.lora_A/lora_B, or MTLoRA's <L>.lora_shared_A/lora_shared_B and <L>.lora_shared_scale) and
Sine-AWB factors (<L>.awb_A/awb_W/awb_B). Tensors outside the backbone are accepted under their
SPEC names (clock.*, tasks.*, decoder.*, heads.*). See docs/CONVERT.md for the full table.
"""

import re
from typing import Dict, List, Tuple

import torch

import sinewich_ref as ref


class ConversionError(ValueError):
    """A checkpoint that cannot be converted; the message says which tensor and why."""


CONTAINER_KEYS = ("model", "state_dict", "module")

# block-internal module names: microsoft -> torchvision
_MS_BLOCK = {"norm1": "norm1", "norm2": "norm2", "attn.qkv": "attn.qkv", "attn.proj": "attn.proj",
             "mlp.fc1": "mlp.0", "mlp.fc2": "mlp.3"}
_TV_LINEARS = {"attn.qkv", "attn.proj", "mlp.0", "mlp.3"}
TARGET_OF_PATH = {v: k for k, v in ref.LINEAR_PATHS.items()}  # attn.qkv -> qkv

# parameter suffix of a block linear -> SPEC suffix (None: handled separately)
_LINEAR_SUFFIX = {
    "weight": "weight", "bias": "bias", "linear.weight": "weight", "linear.bias": "bias",
    "lora_A": "lora_A", "lora_B": "lora_B", "lora_shared_A": "lora_A", "lora_shared_B": "lora_B",
    "awb_A": "awb_A", "awb_W": "awb_W", "awb_B": "awb_B", "lora_shared_scale": None,
}

_SPEC_OTHER = [
    re.compile(r"clock\.\d+\.(weight|scale|shift)"),
    re.compile(r"tasks\..+\.(token\.\d+|omega)"),
    re.compile(r"decoder\.(down\.\d+|fuse)\.weight"),
    re.compile(r"heads\..+\.(fuse_bias|bn\.(weight|bias|running_mean|running_var)|out\.(weight|bias))"),
]
_BN_COUNTER = re.compile(r"heads\..+\.bn\.num_batches_tracked")


def load_checkpoint(path: str, trust_pickle: bool = False) -> Dict[str, torch.Tensor]:
    """The state dict of a .safetensors file or of a torch.save file (.pth/.pt/.bin); a state dict
    nested under "model", "state_dict" or "module" is unwrapped."""
    if path.endswith(".safetensors"):
        return ref.read_safetensors(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except Exception as e:  # noqa: BLE001 - torch raises many kinds; the message is what matters
        hint = "" if trust_pickle else (" (if the file holds Python objects besides tensors and you trust it, "
                                        "rerun with --trust-pickle)")
        raise ConversionError(f"{path}: cannot read the checkpoint: {e}{hint}") from e
    for _ in range(3):  # {"model": {"state_dict": {...}}} happens
        if isinstance(obj, dict) and not _all_tensors(obj):
            inner = next((obj[k] for k in CONTAINER_KEYS if isinstance(obj.get(k), dict)), None)
            if inner is None:
                break
            obj = inner
    if not isinstance(obj, dict) or not obj:
        raise ConversionError(f"{path}: no state dict found (top level or under {'/'.join(CONTAINER_KEYS)})")
    bad = sorted(k for k, v in obj.items() if not isinstance(v, torch.Tensor))
    if bad:
        raise ConversionError(f"{path}: the state dict holds non-tensor entries: {', '.join(map(str, bad[:10]))}")
    return dict(obj)


def _all_tensors(d: dict) -> bool:
    return all(isinstance(v, torch.Tensor) for v in d.values())


def strip_prefixes(sd: Dict[str, torch.Tensor], prefixes: List[str]) -> Dict[str, torch.Tensor]:
    """Removes each prefix (in order) from the keys that start with it; "module." is removed
    automatically when every key has it (DistributedDataParallel)."""
    prefixes = list(prefixes)
    if sd and all(k.startswith("module.") for k in sd) and "module." not in prefixes:
        prefixes.insert(0, "module.")
    out = {}
    for k, v in sd.items():
        n = k
        for p in prefixes:
            if n.startswith(p):
                n = n[len(p):]
        if n in out:
            raise ConversionError(f"two tensors map to {n!r} after stripping prefixes {prefixes}")
        out[n] = v
    return out


def detect_scheme(keys) -> str:
    tv = any(re.match(r"(backbone\.)?features\.\d+\.", k) for k in keys)
    ms = any(re.match(r"(layers\.\d+\.|patch_embed\.)", k) for k in keys)
    if tv and ms:
        raise ConversionError("the checkpoint mixes torchvision (features.*) and Microsoft "
                              "(patch_embed.*, layers.*) backbone names")
    if not tv and not ms:
        sample = ", ".join(sorted(keys)[:5])
        raise ConversionError("no Swin backbone tensors found (expected features.* or patch_embed.*/layers.*; "
                              f"keys look like: {sample}); use --strip-prefix to remove a wrapper prefix")
    return "torchvision" if tv else "microsoft"


class Mapped:
    """Result of name mapping: SPEC-named tensors, per-linear LoRA scales, what was dropped and
    what was not understood."""

    def __init__(self, scheme: str):
        self.scheme = scheme
        self.tensors: Dict[str, torch.Tensor] = {}
        self.source: Dict[str, str] = {}       # SPEC name -> original key
        self.lora_scale: Dict[str, float] = {}  # "backbone.features.1.0.attn.qkv" -> scale
        self.dropped: List[Tuple[str, str]] = []  # (key, reason)
        self.unknown: List[str] = []

    def put(self, name: str, key: str, t: torch.Tensor):
        if name in self.tensors:
            raise ConversionError(f"{key} and {self.source[name]} both map to {name}")
        self.tensors[name] = t
        self.source[name] = key


def _block_param(mapped: Mapped, key: str, t, base: str, rest: str, modules: Dict[str, str]) -> bool:
    """rest is the part after the block prefix; base the SPEC block prefix. True if understood."""
    if rest in ("attn.relative_position_bias_table", "attn.relative_position_index"):
        mapped.put(base + rest, key, t)
        return True
    if rest == "attn_mask":
        mapped.dropped.append((key, "shift mask buffer (recomputed by the forward pass)"))
        return True
    for src, dst in modules.items():
        if rest.startswith(src + "."):
            suffix = rest[len(src) + 1:]
            if dst in ("norm1", "norm2"):
                if suffix in ("weight", "bias"):
                    mapped.put(f"{base}{dst}.{suffix}", key, t)
                    return True
                return False
            if suffix not in _LINEAR_SUFFIX:
                return False
            spec = _LINEAR_SUFFIX[suffix]
            if spec is None:  # lora_shared_scale
                if t.numel() != 1:
                    raise ConversionError(f"{key}: a LoRA scale must hold one value, found shape {list(t.shape)}")
                mapped.lora_scale[base + dst] = float(t.reshape(-1)[0])
            else:
                mapped.put(f"{base}{dst}.{spec}", key, t)
            return True
    return False


def map_names(sd: Dict[str, torch.Tensor]) -> Mapped:
    """Maps every key to its SPEC name, drops the ones that have no place in a bundle (classifier
    head and final norm, shift masks, BN counters) and collects the rest as unknown."""
    scheme = detect_scheme(sd.keys())
    m = Mapped(scheme)
    tv_modules = {p: p for p in ("norm1", "norm2", *sorted(_TV_LINEARS))}
    for key, t in sd.items():
        k = key
        if any(p.fullmatch(k) for p in _SPEC_OTHER):
            m.put(k, key, t)
            continue
        if _BN_COUNTER.fullmatch(k):
            m.dropped.append((key, "BatchNorm step counter"))
            continue
        if re.fullmatch(r"(norm|head)(\.fc)?\.(weight|bias)", k):
            m.dropped.append((key, "classifier head / final norm (not used by dense prediction)"))
            continue
        ok = False
        if scheme == "torchvision":
            k = k[len("backbone."):] if k.startswith("backbone.features.") else k
            mt = re.fullmatch(r"features\.(\d+)\.(.+)", k)
            if mt:
                i, rest = int(mt.group(1)), mt.group(2)
                if i == 0:
                    ok = rest in ("0.weight", "0.bias", "2.weight", "2.bias")
                    if ok:
                        m.put("backbone." + k, key, t)
                elif i % 2 == 1:
                    mb = re.fullmatch(r"(\d+)\.(.+)", rest)
                    ok = bool(mb) and _block_param(m, key, t, f"backbone.features.{i}.{mb.group(1)}.",
                                                   mb.group(2), tv_modules)
                else:
                    ok = rest in ("reduction.weight", "norm.weight", "norm.bias")
                    if ok:
                        m.put("backbone." + k, key, t)
        else:
            if k == "absolute_pos_embed":
                raise ConversionError(f"{key}: absolute position embeddings (ape=True) are not part of "
                                      "torchvision's Swin, which the bundle format uses")
            mp = re.fullmatch(r"patch_embed\.(proj|norm)\.(weight|bias)", k)
            mb = re.fullmatch(r"layers\.(\d+)\.blocks\.(\d+)\.(.+)", k)
            md = re.fullmatch(r"layers\.(\d+)\.downsample\.(reduction\.weight|norm\.weight|norm\.bias)", k)
            if mp:
                m.put(f"backbone.features.0.{0 if mp.group(1) == 'proj' else 2}.{mp.group(2)}", key, t)
                ok = True
            elif mb:
                s, j = int(mb.group(1)), int(mb.group(2))
                ok = _block_param(m, key, t, f"backbone.features.{2 * s + 1}.{j}.", mb.group(3), _MS_BLOCK)
            elif md:
                m.put(f"backbone.features.{2 * int(md.group(1)) + 2}.{md.group(2)}", key, t)
                ok = True
        if not ok:
            m.unknown.append(key)
    return m
