"""Independent PyTorch reference of the Sinewich bundle format and forward pass (SPEC.md v1).

The backbone is torchvision's own SwinTransformer (v1); everything else is a literal transcription
of SPEC.md section 4 in float32 torch ops. Used to generate the conformance fixtures that the Java
server is tested against, and as a speed baseline.

Run with /usr/bin/python3 (Debian python3-torch 1.13 + python3-torchvision 0.14).
"""

import copy
import json
import math
import os
import re
import struct
import zipfile
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.models.swin_transformer import SwinTransformer

# ---------------------------------------------------------------------------------------------
# safetensors, by hand
# ---------------------------------------------------------------------------------------------

# name -> (torch dtype, little-endian numpy dtype used for the bytes, item size)
_ST_DTYPES = {
    "F32": (torch.float32, "<f4", 4),
    "F16": (torch.float16, "<f2", 2),
    "BF16": (torch.bfloat16, "<i2", 2),  # numpy has no bf16: move the raw 16 bits
    "I32": (torch.int32, "<i4", 4),
    "I64": (torch.int64, "<i8", 8),
}
_TORCH_TO_ST = {v[0]: k for k, v in _ST_DTYPES.items()}


def _parse_safetensors(data: bytes, source: str) -> Dict[str, torch.Tensor]:
    if len(data) < 8:
        raise ValueError(f"{source}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{source}: header length {n} exceeds file size {len(data)}")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = info["dtype"]
        if dt not in _ST_DTYPES:
            raise ValueError(f"{source}: tensor {name}: unsupported dtype {dt}")
        tdt, npdt, size = _ST_DTYPES[dt]
        shape = [int(d) for d in info["shape"]]
        b, e = info["data_offsets"]
        count = int(np.prod(shape)) if shape else 1
        if e - b != count * size or base + e > len(data):
            raise ValueError(f"{source}: tensor {name}: data_offsets {b},{e} do not fit shape {shape} {dt}")
        arr = np.frombuffer(data, dtype=npdt, count=count, offset=base + b).copy()
        t = torch.from_numpy(arr.astype(npdt[1:], copy=False))
        if dt == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = t.reshape(shape)
    return out


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """Read a safetensors file; tensors keep their stored dtype (F32, F16, BF16, I32, I64)."""
    with open(path, "rb") as f:
        data = f.read()
    return _parse_safetensors(data, path)


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor],
                      dtype_overrides: Optional[Dict[str, str]] = None,
                      metadata: Optional[Dict[str, str]] = None) -> None:
    """Write tensors; dtype_overrides maps a name to "F32"/"F16"/"BF16"/"I32"/"I64" (rounded
    to nearest even). Tensors are laid out largest item size first so every tensor is aligned."""
    dtype_overrides = dtype_overrides or {}
    entries = []
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        dt = dtype_overrides.get(name)
        if dt is None:
            if t.dtype == torch.float64:
                dt = "F32"
            elif t.dtype in _TORCH_TO_ST:
                dt = _TORCH_TO_ST[t.dtype]
            else:
                raise ValueError(f"tensor {name}: unsupported dtype {t.dtype}")
        tdt, npdt, size = _ST_DTYPES[dt]
        t = t.to(tdt)
        if dt == "BF16":
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(npdt).tobytes()
        entries.append((name, dt, list(t.shape), raw, size))
    entries.sort(key=lambda e: -e[4])  # stable: keeps insertion order within an item size
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    off = 0
    for name, dt, shape, raw, _ in entries:
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for e in entries:
            f.write(e[3])


# ---------------------------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------------------------

KIND_OUTPUTS = {"segmentation": None, "depth": 1, "normals": 3, "saliency": 1, "edges": 1}
LINEAR_PATHS = {"qkv": "attn.qkv", "proj": "attn.proj", "fc1": "mlp.0", "fc2": "mlp.3"}
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


def _keys(obj, where, required, optional=()):
    if not isinstance(obj, dict):
        raise ValueError(f"sinewich.json: {where} must be an object")
    for k in obj:
        if k not in required and k not in optional:
            raise ValueError(f"sinewich.json: unknown key {where}.{k}")
    for k in required:
        if k not in obj:
            raise ValueError(f"sinewich.json: missing key {where}.{k}")


def validate_config(cfg: dict) -> None:
    """The rules of SPEC section 2 (enough to catch generator mistakes)."""
    _keys(cfg, "$", ["format", "name", "version", "input", "backbone", "awb", "decoder", "tasks"], ["lora"])
    if cfg["format"] != "sinewich/v1":
        raise ValueError("sinewich.json: format must be sinewich/v1")
    if not _NAME_RE.fullmatch(cfg["name"]):
        raise ValueError(f"sinewich.json: bad name {cfg['name']!r}")
    _keys(cfg["input"], "input", ["height", "width", "mean", "std"])
    bb = cfg["backbone"]
    _keys(bb, "backbone", ["type", "patch_size", "embed_dim", "depths", "num_heads", "window_size", "mlp_ratio"])
    if bb["type"] != "swin":
        raise ValueError("backbone.type must be swin")
    S = len(bb["depths"])
    if not 1 <= S <= 4 or min(bb["depths"]) < 1 or sum(bb["depths"]) < 2:
        raise ValueError(f"bad depths {bb['depths']}")
    if len(bb["num_heads"]) != S or len(cfg["decoder"]["channels"]) != S:
        raise ValueError("num_heads and decoder.channels need one entry per stage")
    for s in range(S):
        if (bb["embed_dim"] << s) % bb["num_heads"][s]:
            raise ValueError(f"C_{s} not divisible by num_heads[{s}]")
    m = bb["patch_size"] << (S - 1)
    if cfg["input"]["height"] % m or cfg["input"]["width"] % m:
        raise ValueError(f"input size must be a multiple of {m}")
    lora = cfg.get("lora")
    if lora is not None:
        _keys(lora, "lora", ["rank", "alpha", "targets"])
        if not set(lora["targets"]) <= set(LINEAR_PATHS):
            raise ValueError("bad lora.targets")
    awb = cfg["awb"]
    _keys(awb, "awb", ["rank", "targets", "gain"], ["lowpass"])
    if not set(awb["targets"]) <= set(LINEAR_PATHS):
        raise ValueError("bad awb.targets")
    if awb.get("lowpass") is not None:
        _keys(awb["lowpass"], "awb.lowpass", ["size", "sigma"])
        if awb["lowpass"]["size"] % 2 != 1 or awb["lowpass"]["sigma"] <= 0:
            raise ValueError("lowpass size must be odd and sigma > 0")
    _keys(cfg["decoder"], "decoder", ["channels", "hidden"])
    names = set()
    for i, t in enumerate(cfg["tasks"]):
        opt = ["labels"] if t.get("kind") == "segmentation" else ["unit"] if t.get("kind") == "depth" else []
        _keys(t, f"tasks[{i}]", ["name", "kind", "outputs"], opt)
        if not _NAME_RE.fullmatch(t["name"]) or t["name"] in names:
            raise ValueError(f"bad or duplicate task name {t['name']!r}")
        names.add(t["name"])
        if t["kind"] not in KIND_OUTPUTS:
            raise ValueError(f"unknown kind {t['kind']}")
        want = KIND_OUTPUTS[t["kind"]]
        if want is None:
            if t["outputs"] < 2 or "labels" not in t or len(t["labels"]) != t["outputs"]:
                raise ValueError(f"task {t['name']}: segmentation needs outputs >= 2 and as many labels")
        elif t["outputs"] != want:
            raise ValueError(f"task {t['name']}: {t['kind']} has {want} outputs")


def build_swin(cfg: dict) -> SwinTransformer:
    bb = cfg["backbone"]
    p, w = bb["patch_size"], bb["window_size"]
    model = SwinTransformer(patch_size=[p, p], embed_dim=bb["embed_dim"], depths=list(bb["depths"]),
                            num_heads=list(bb["num_heads"]), window_size=[w, w],
                            mlp_ratio=float(bb["mlp_ratio"]), stochastic_depth_prob=0.0, num_classes=1)
    return model.eval()


def stage_channels(cfg: dict) -> List[int]:
    bb = cfg["backbone"]
    return [bb["embed_dim"] << s for s in range(len(bb["depths"]))]


def linear_shape(cfg: dict, s: int, target: str):
    C = stage_channels(cfg)[s]
    hid = int(C * float(cfg["backbone"]["mlp_ratio"]))
    return {"qkv": (3 * C, C), "proj": (C, C), "fc1": (hid, C), "fc2": (C, hid)}[target]


def expected_tensors(cfg: dict, omega_tasks=(), include_rpi=False, swin: Optional[SwinTransformer] = None):
    """Every tensor name of SPEC section 3 with its shape, built from the config.
    Returns (required: dict name->shape, optional: dict name->shape) where optional holds the
    relative_position_index buffers (unless include_rpi)."""
    swin = swin if swin is not None else build_swin(cfg)
    req, opt = {}, {}
    for k, v in swin.state_dict().items():
        if k.startswith("head.") or k.startswith("norm."):
            continue
        name = "backbone." + k
        if k.endswith("relative_position_index") and not include_rpi:
            opt[name] = tuple(v.shape)
        else:
            req[name] = tuple(v.shape)
    depths = cfg["backbone"]["depths"]
    S = len(depths)
    Cs = stage_channels(cfg)
    lora, awb = cfg.get("lora"), cfg["awb"]
    for s in range(S):
        for j in range(depths[s]):
            pre = f"backbone.features.{2 * s + 1}.{j}."
            if lora is not None:
                for tg in lora["targets"]:
                    o, i = linear_shape(cfg, s, tg)
                    req[pre + LINEAR_PATHS[tg] + ".lora_A"] = (lora["rank"], i)
                    req[pre + LINEAR_PATHS[tg] + ".lora_B"] = (o, lora["rank"])
            if j == depths[s] - 1:
                r = awb["rank"]
                for tg in awb["targets"]:
                    o, i = linear_shape(cfg, s, tg)
                    req[pre + LINEAR_PATHS[tg] + ".awb_A"] = (r, i)
                    req[pre + LINEAR_PATHS[tg] + ".awb_W"] = (r, r)
                    req[pre + LINEAR_PATHS[tg] + ".awb_B"] = (o, r)
    tasks = [t["name"] for t in cfg["tasks"]]
    if any(t not in omega_tasks for t in tasks):
        for s in range(S):
            req[f"clock.{s}.weight"] = (1, Cs[s])
            req[f"clock.{s}.scale"] = (1,)
            req[f"clock.{s}.shift"] = (1,)
    for t in tasks:
        if t in omega_tasks:
            req[f"tasks.{t}.omega"] = (S,)
        else:
            for s in range(S):
                req[f"tasks.{t}.token.{s}"] = (Cs[s],)
    ch, hidden = cfg["decoder"]["channels"], cfg["decoder"]["hidden"]
    for s in range(S):
        req[f"decoder.down.{s}.weight"] = (ch[s], Cs[s], 1, 1)
    req["decoder.fuse.weight"] = (hidden, sum(ch), 1, 1)
    for t in cfg["tasks"]:
        n = t["name"]
        req[f"heads.{n}.fuse_bias"] = (hidden,)
        for p in ("weight", "bias", "running_mean", "running_var"):
            req[f"heads.{n}.bn.{p}"] = (hidden,)
        req[f"heads.{n}.out.weight"] = (t["outputs"], hidden, 1, 1)
        req[f"heads.{n}.out.bias"] = (t["outputs"],)
    return req, opt


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    c = (size - 1) / 2.0
    g = torch.tensor([math.exp(-((i - c) ** 2) / (2.0 * sigma * sigma)) for i in range(size)], dtype=torch.float64)
    g = g / g.sum()
    return torch.outer(g, g).to(torch.float32)


def resize_bilinear(x: torch.Tensor, size, antialias: bool) -> torch.Tensor:
    """F.interpolate bilinear, align_corners=False, evaluated in float64 and rounded to float32.

    Precision choice: torch's float32 CPU kernels compute the scale and the tap centres in float32
    (e.g. 77/48), which puts the antialiased downscale up to ~2e-6 away from the SPEC 4.1 formula
    on [0, 1] inputs (~1e-5 after normalisation, ~1e-4 on the outputs after the network). Running
    the same torch kernel in float64 keeps the reference within ~1e-7 of the exact formula."""
    y = F.interpolate(x.to(torch.float64), size=tuple(size), mode="bilinear", align_corners=False,
                      antialias=antialias)
    return y.to(torch.float32)


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------

class RefModel:
    """A loaded bundle. forward() follows SPEC section 4 literally, in float32."""

    def __init__(self, cfg: dict, tensors: Dict[str, torch.Tensor], source: str = "model.safetensors"):
        validate_config(cfg)
        self.cfg = cfg
        self.S = len(cfg["backbone"]["depths"])
        self.tasks = {t["name"]: t for t in cfg["tasks"]}
        self.task_names = [t["name"] for t in cfg["tasks"]]
        self.base = build_swin(cfg)
        omega_tasks = {t for t in self.task_names if f"tasks.{t}.omega" in tensors}
        req, opt = expected_tensors(cfg, omega_tasks, swin=self.base)
        for name, shape in req.items():
            if name not in tensors:
                raise ValueError(f"{source}: missing tensor {name}, expected shape {list(shape)}")
            if tuple(tensors[name].shape) != shape:
                raise ValueError(f"{source}: tensor {name}: expected shape {list(shape)}, found {list(tensors[name].shape)}")
        for name, t in tensors.items():
            if name not in req and name not in opt:
                raise ValueError(f"{source}: unexpected tensor {name}")
        sd = self.base.state_dict()
        for name, shape in opt.items():
            if name in tensors:
                if tuple(tensors[name].shape) != shape or not torch.equal(
                        tensors[name].to(torch.float64), sd[name[len("backbone."):]].to(torch.float64)):
                    raise ValueError(f"{source}: tensor {name} differs from the computed index")
        f32 = {k: v.to(torch.float32) for k, v in tensors.items() if not k.endswith("relative_position_index")}
        self.t = f32

        # step 2: shared LoRA merged once
        new_sd = {}
        for k in sd:
            if k.startswith("head.") or k.startswith("norm.") or k.endswith("relative_position_index"):
                new_sd[k] = sd[k]
            else:
                new_sd[k] = f32["backbone." + k].clone()
        lora = cfg.get("lora")
        depths = cfg["backbone"]["depths"]
        if lora is not None:
            sc = float(lora["alpha"]) / float(lora["rank"])
            for s in range(self.S):
                for j in range(depths[s]):
                    for tg in lora["targets"]:
                        p = f"features.{2 * s + 1}.{j}.{LINEAR_PATHS[tg]}"
                        A = f32[f"backbone.{p}.lora_A"]
                        B = f32[f"backbone.{p}.lora_B"]
                        new_sd[p + ".weight"] = new_sd[p + ".weight"] + sc * (B @ A)
        self.base.load_state_dict(new_sd, strict=True)
        self.base.eval()

        # step 3: fused kernels M = B W A
        self.M = {}
        for s in range(self.S):
            j = depths[s] - 1
            for tg in cfg["awb"]["targets"]:
                p = f"backbone.features.{2 * s + 1}.{j}.{LINEAR_PATHS[tg]}"
                self.M[(s, tg)] = f32[p + ".awb_B"] @ f32[p + ".awb_W"] @ f32[p + ".awb_A"]

        # step 4: frequencies
        self.omega = {}
        for t in self.task_names:
            if t in omega_tasks:
                self.omega[t] = f32[f"tasks.{t}.omega"].clone()
            else:
                om = []
                for s in range(self.S):
                    w = f32[f"clock.{s}.weight"][0]
                    tok = f32[f"tasks.{t}.token.{s}"]
                    z = torch.sum(w * torch.relu(tok))
                    om.append(f32[f"clock.{s}.scale"][0] * (torch.tanh(z) + f32[f"clock.{s}.shift"][0]))
                self.omega[t] = torch.stack(om)
        lp = cfg["awb"].get("lowpass")
        self.G = None if lp is None else gaussian_kernel(int(lp["size"]), float(lp["sigma"]))
        self._features = {}

    # step 5
    def task_kernel(self, task: str, s: int, target: str) -> torch.Tensor:
        K = torch.sin(self.omega[task][s] * self.M[(s, target)])
        if self.G is not None:
            pad = (self.G.shape[0] - 1) // 2
            K = F.conv2d(K[None, None], self.G[None, None], padding=pad)[0, 0]
        return K

    def task_features(self, task: str) -> torch.nn.Sequential:
        """torchvision `features` with W_t = W + gain*K in the adapted linears (cached)."""
        if task not in self._features:
            if task not in self.tasks:
                raise KeyError(f"unknown task {task}; known: {self.task_names}")
            feats = copy.deepcopy(self.base.features).eval()
            gain = float(self.cfg["awb"]["gain"])
            depths = self.cfg["backbone"]["depths"]
            for s in range(self.S):
                block = feats[2 * s + 1][depths[s] - 1]
                for tg in self.cfg["awb"]["targets"]:
                    lin = block.get_submodule(LINEAR_PATHS[tg])
                    with torch.no_grad():
                        lin.weight.copy_(lin.weight + gain * self.task_kernel(task, s, tg))
            self._features[task] = feats
        return self._features[task]

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        H, W = self.cfg["input"]["height"], self.cfg["input"]["width"]
        x = images.to(torch.float32)
        if tuple(x.shape[-2:]) != (H, W):
            x = resize_bilinear(x, (H, W), antialias=True)
        mean = torch.tensor(self.cfg["input"]["mean"], dtype=torch.float32)[None, :, None, None]
        std = torch.tensor(self.cfg["input"]["std"], dtype=torch.float32)[None, :, None, None]
        return (x - mean) / std

    def backbone(self, x: torch.Tensor, task: str) -> List[torch.Tensor]:
        """Runs features module by module; returns F_s (N, h_s, w_s, C_s) per stage."""
        out = []
        for i, m in enumerate(self.task_features(task)):
            x = m(x)
            if i % 2 == 1:
                out.append(x)
        return out

    def decode(self, feats: List[torch.Tensor], task: str) -> torch.Tensor:
        """Step 7: returns the logits O (N, outputs, h0, w0)."""
        t = self.t
        g0 = None
        gs = []
        for s, f in enumerate(feats):
            g = F.conv2d(f.permute(0, 3, 1, 2), t[f"decoder.down.{s}.weight"])
            if s == 0:
                g0 = g
            else:
                g = resize_bilinear(g, tuple(g0.shape[-2:]), antialias=False)
            gs.append(g)
        X = torch.cat(gs, dim=1)
        h = f"heads.{task}."
        Z = F.conv2d(X, t["decoder.fuse.weight"]) + t[h + "fuse_bias"][None, :, None, None]
        rm, rv = t[h + "bn.running_mean"], t[h + "bn.running_var"]
        bw, bb = t[h + "bn.weight"], t[h + "bn.bias"]
        Z = (Z - rm[None, :, None, None]) / torch.sqrt(rv + 1e-5)[None, :, None, None] * bw[None, :, None, None] \
            + bb[None, :, None, None]
        Z = torch.relu(Z)
        return F.conv2d(Z, t[h + "out.weight"], t[h + "out.bias"])

    def head_outputs(self, O: torch.Tensor, task: str, size) -> Dict[str, torch.Tensor]:
        """Step 8: final resize to the received size and the per-kind outputs."""
        O = resize_bilinear(O, tuple(size), antialias=False)
        kind = self.tasks[task]["kind"]
        if kind == "segmentation":
            K = O.shape[1]
            is_max = O == O.max(dim=1, keepdim=True).values
            idx = torch.arange(K, dtype=torch.int64)[None, :, None, None].expand_as(O)
            labels = torch.where(is_max, idx, torch.full_like(idx, K)).min(dim=1).values.to(torch.int32)
            return {"labels": labels, "probabilities": torch.softmax(O, dim=1)}
        if kind == "depth":
            return {"depth": torch.relu(O[:, 0])}
        if kind == "normals":
            n = torch.sqrt(torch.sum(O * O, dim=1, keepdim=True))
            return {"normals": O / torch.clamp(n, min=1e-12)}
        if kind in ("saliency", "edges"):
            return {kind: torch.sigmoid(O[:, 0])}
        raise ValueError(kind)

    @torch.no_grad()
    def forward(self, images: torch.Tensor, task: str, debug: bool = False):
        """images (N,3,h,w) float in [0,1]. Returns the SPEC 4.8 outputs of the task's kind, and
        with debug=True also a dict: model_input (N,3,H,W), features [F_s (N,h_s,w_s,C_s)],
        omega (S,), logits O (N,outputs,h0,w0)."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be (N,3,h,w), got {tuple(images.shape)}")
        x = self.preprocess(images)
        feats = self.backbone(x, task)
        O = self.decode(feats, task)
        out = self.head_outputs(O, task, images.shape[-2:])
        if debug:
            return out, {"model_input": x, "features": feats, "omega": self.omega[task].clone(), "logits": O}
        return out


def load_bundle(path: str) -> RefModel:
    """Load a bundle directory (or a .zip of its contents)."""
    if os.path.isdir(path):
        with open(os.path.join(path, "sinewich.json"), "r", encoding="utf-8") as f:
            cfg = json.load(f)
        tensors = read_safetensors(os.path.join(path, "model.safetensors"))
        src = os.path.join(path, "model.safetensors")
    else:
        with zipfile.ZipFile(path) as z:
            cfg = json.loads(z.read("sinewich.json").decode("utf-8"))
            tensors = _parse_safetensors(z.read("model.safetensors"), path + "!model.safetensors")
        src = path + "!model.safetensors"
    return RefModel(cfg, tensors, source=src)
