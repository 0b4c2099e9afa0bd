"""A torchvision-free float32 copy of the reference network for ONE task at ONE input size.

Used by the benchmarks only (export_onnx.py, bench_torch.py): it imports nothing but torch, so it
runs under Debian's torch 1.13 (where export_onnx.py builds it from sinewich_ref.load_bundle and
exports it to ONNX) and under a current PyTorch wheel whose torchvision does not import (where
bench_torch.py times it eagerly). It is NOT a second reference: sinewich_ref.py stays the one the
fixtures come from, and export_onnx.py checks this module against it before writing anything.

What it computes, for an input x that is already resized and normalised, shape (N, 3, H, W) with
(H, W) the model input size (SPEC section 4 steps 6-8, task weights W_t already in the weights):
  backbone  a transcription of torchvision 0.14's SwinTransformer (v1) `features`: the same
            modules and parameter names (so the reference's state dict loads with strict=True),
            the same ops in the same order (F.pad, torch.roll, window partition, q * d^-0.5,
            q @ k^T, + relative position bias gathered per call, + shift mask, softmax, @ v,
            exact-erf GELU, LayerNorm eps 1e-5, patch merging x0, x1, x2, x3). Differences, none
            of which change a value: feature-map sizes are Python ints fixed at construction
            (from the model input size) instead of being read from x.shape, so that an ONNX
            export has only the batch dimension dynamic; the shift mask, which depends on those
            sizes only, is built once at construction (torchvision rebuilds it every call, with
            the same code); zero pads and dropout/stochastic-depth no-ops are skipped.
  decoder   SPEC step 7 as sinewich_ref.RefModel.decode writes it, with the bilinear resizes in
            float32 (the reference runs them in float64: ONNX Runtime has no float64 Resize).
  outputs   SPEC step 8 at (H, W): segmentation `labels` (argmax over channels, lowest index on
            ties, int32; no probabilities), depth max(0, O), normals O / max(|O|, 1e-12),
            saliency/edges sigmoid(O). forward_logits() returns O after the final resize.

With weights_as_inputs=True the adapted linears (awb targets of the last block of every stage)
have no weight of their own: forward(x, *task_weights) takes their W_t, in the order of
`adapted_names`, so that an ONNX export has them as graph inputs (one resident graph for every
task, bound per call).
"""

from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

LINEAR_PATHS = {"qkv": "attn.qkv", "proj": "attn.proj", "fc1": "mlp.0", "fc2": "mlp.3"}


def stage_sizes(cfg: dict) -> List[tuple]:
    """(h_s, w_s) of every stage's feature map at the model input size."""
    bb = cfg["backbone"]
    h, w = cfg["input"]["height"] // bb["patch_size"], cfg["input"]["width"] // bb["patch_size"]
    out = []
    for s in range(len(bb["depths"])):
        out.append((h, w))
        h, w = (h + 1) // 2, (w + 1) // 2  # torchvision pads odd sizes before merging
    return out


class Permute(nn.Module):
    def __init__(self, dims: Sequence[int]):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return torch.permute(x, self.dims)


class TaskLinear(nn.Module):
    """A linear whose weight (out, in) is handed over per call (weights as graph inputs)."""

    def __init__(self, out_features: int, in_features: int):
        super().__init__()
        self.out_features, self.in_features = out_features, in_features
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.weight_now = None

    def forward(self, x):
        return F.linear(x, self.weight_now, self.bias)


def relative_position_index(w: int) -> torch.Tensor:
    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij"))
    flat = torch.flatten(coords, 1)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += w - 1
    rel[:, :, 1] += w - 1
    rel[:, :, 0] *= 2 * w - 1
    return rel.sum(-1).flatten()


class WindowAttention(nn.Module):
    """torchvision 0.14 ShiftedWindowAttention + shifted_window_attention for a fixed map size."""

    def __init__(self, dim: int, heads: int, window: int, shift: int, height: int, width: int):
        super().__init__()
        self.dim, self.heads, self.window = dim, heads, window
        self.height, self.width = height, width
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer("relative_position_index", relative_position_index(window))
        self.pad_b = (window - height % window) % window
        self.pad_r = (window - width % window) % window
        self.pad_h, self.pad_w = height + self.pad_b, width + self.pad_r
        # no shift along a dimension whose padded size <= window, as torchvision
        self.shift = [0 if window >= self.pad_h else shift, 0 if window >= self.pad_w else shift]
        self.num_windows = (self.pad_h // window) * (self.pad_w // window)
        self.register_buffer("attn_mask", self._mask() if sum(self.shift) > 0 else torch.zeros(0),
                             persistent=False)

    def _mask(self) -> torch.Tensor:
        """torchvision's mask code, run once (it depends on the padded size and shift only)."""
        ws, sh = self.window, self.shift
        attn_mask = torch.zeros((self.pad_h, self.pad_w))
        h_slices = ((0, -ws), (-ws, -sh[0]), (-sh[0], None))
        w_slices = ((0, -ws), (-ws, -sh[1]), (-sh[1], None))
        count = 0
        for h in h_slices:
            for w in w_slices:
                attn_mask[h[0]:h[1], w[0]:w[1]] = count
                count += 1
        attn_mask = attn_mask.view(self.pad_h // ws, ws, self.pad_w // ws, ws)
        attn_mask = attn_mask.permute(0, 2, 1, 3).reshape(self.num_windows, ws * ws)
        attn_mask = attn_mask.unsqueeze(1) - attn_mask.unsqueeze(2)
        return attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))

    def forward(self, x):
        ws, C, heads = self.window, self.dim, self.heads
        N = ws * ws
        nh, nw = self.pad_h // ws, self.pad_w // ws
        bias = self.relative_position_bias_table[self.relative_position_index]
        bias = bias.view(N, N, -1).permute(2, 0, 1).contiguous().unsqueeze(0)
        if self.pad_b or self.pad_r:
            x = F.pad(x, (0, 0, 0, self.pad_r, 0, self.pad_b))
        shifted = sum(self.shift) > 0
        if shifted:
            x = torch.roll(x, shifts=(-self.shift[0], -self.shift[1]), dims=(1, 2))
        x = x.view(-1, nh, ws, nw, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, N, C)
        qkv = self.qkv(x).reshape(-1, N, 3, heads, C // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * (C // heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1))
        attn = attn + bias
        if shifted:
            attn = attn.view(-1, self.num_windows, heads, N, N)
            attn = attn + self.attn_mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, heads, N, N)
        attn = F.softmax(attn, dim=-1)
        x = attn.matmul(v).transpose(1, 2).reshape(-1, N, C)
        x = self.proj(x)
        x = x.view(-1, nh, nw, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, self.pad_h, self.pad_w, C)
        if shifted:
            x = torch.roll(x, shifts=(self.shift[0], self.shift[1]), dims=(1, 2))
        if self.pad_b or self.pad_r:
            x = x[:, :self.height, :self.width, :].contiguous()
        return x


class SwinBlock(nn.Module):
    def __init__(self, dim, heads, window, shift, mlp_ratio, height, width):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = WindowAttention(dim, heads, window, shift, height, width)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        # torchvision's MLP: Linear, GELU, Dropout, Linear, Dropout (keys mlp.0 and mlp.3)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Identity(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class PatchMerging(nn.Module):
    def __init__(self, dim, height, width):
        super().__init__()
        self.odd_h, self.odd_w = height % 2, width % 2
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim, eps=1e-5)

    def forward(self, x):
        if self.odd_h or self.odd_w:
            x = F.pad(x, (0, 0, 0, self.odd_w, 0, self.odd_h))
        x0 = x[:, 0::2, 0::2, :]
        x1 = x[:, 1::2, 0::2, :]
        x2 = x[:, 0::2, 1::2, :]
        x3 = x[:, 1::2, 1::2, :]
        x = torch.cat([x0, x1, x2, x3], -1)
        return self.reduction(self.norm(x))


class SinewichNet(nn.Module):
    """One task of a bundle as a plain float32 module. Build with the bundle's config and the task's
    kind/outputs, then load_state_dict(...) (see state_dict_from_reference in export_onnx.py)."""

    def __init__(self, cfg: dict, task: str, weights_as_inputs: bool = False):
        super().__init__()
        bb = cfg["backbone"]
        self.cfg, self.task = cfg, task
        spec = next(t for t in cfg["tasks"] if t["name"] == task)
        self.kind, self.outputs = spec["kind"], spec["outputs"]
        self.height, self.width = cfg["input"]["height"], cfg["input"]["width"]
        S = len(bb["depths"])
        self.S = S
        p, e, ws = bb["patch_size"], bb["embed_dim"], bb["window_size"]
        sizes = stage_sizes(cfg)
        layers: List[nn.Module] = [nn.Sequential(nn.Conv2d(3, e, kernel_size=(p, p), stride=(p, p)),
                                                 Permute([0, 2, 3, 1]), nn.LayerNorm(e, eps=1e-5))]
        for s in range(S):
            dim = e << s
            h, w = sizes[s]
            layers.append(nn.Sequential(*[
                SwinBlock(dim, bb["num_heads"][s], ws, 0 if j % 2 == 0 else ws // 2, float(bb["mlp_ratio"]), h, w)
                for j in range(bb["depths"][s])]))
            if s < S - 1:
                layers.append(PatchMerging(dim, h, w))
        self.features = nn.Sequential(*layers)
        # the adapted linears: awb targets of every stage's last block (where W_t differs from W)
        self.adapted_names = []
        for s in range(S):
            for tg in cfg["awb"]["targets"]:
                self.adapted_names.append(f"features.{2 * s + 1}.{bb['depths'][s] - 1}.{LINEAR_PATHS[tg]}")
        self.weights_as_inputs = weights_as_inputs
        if weights_as_inputs:
            for name in self.adapted_names:
                parent, leaf = name.rsplit(".", 1)
                old = self.get_submodule(name)
                self.get_submodule(parent)._modules[leaf] = TaskLinear(old.out_features, old.in_features)
        ch, hidden = cfg["decoder"]["channels"], cfg["decoder"]["hidden"]
        for s in range(S):
            self.register_buffer(f"down_{s}", torch.zeros(ch[s], e << s, 1, 1))
        self.register_buffer("fuse_weight", torch.zeros(hidden, sum(ch), 1, 1))
        for n in ("fuse_bias", "bn_weight", "bn_bias", "bn_running_mean", "bn_running_var"):
            self.register_buffer(n, torch.zeros(hidden))
        self.register_buffer("out_weight", torch.zeros(self.outputs, hidden, 1, 1))
        self.register_buffer("out_bias", torch.zeros(self.outputs))

    def adapted_shapes(self) -> Dict[str, tuple]:
        return {n: (self.get_submodule(n).out_features, self.get_submodule(n).in_features)
                for n in self.adapted_names}

    def forward_logits(self, x, *task_weights):
        if self.weights_as_inputs:
            if len(task_weights) != len(self.adapted_names):
                raise ValueError(f"expected {len(self.adapted_names)} task weights, got {len(task_weights)}")
            for name, w in zip(self.adapted_names, task_weights):
                self.get_submodule(name).weight_now = w
        feats = []
        for i, m in enumerate(self.features):
            x = m(x)
            if i % 2 == 1:
                feats.append(x)
        gs = []
        h0, w0 = stage_sizes(self.cfg)[0]
        for s, f in enumerate(feats):
            g = F.conv2d(f.permute(0, 3, 1, 2), getattr(self, f"down_{s}"))
            if s > 0:
                g = F.interpolate(g, size=(h0, w0), mode="bilinear", align_corners=False)
            gs.append(g)
        X = torch.cat(gs, dim=1)
        Z = F.conv2d(X, self.fuse_weight) + self.fuse_bias[None, :, None, None]
        Z = (Z - self.bn_running_mean[None, :, None, None]) / torch.sqrt(self.bn_running_var + 1e-5)[None, :, None, None] \
            * self.bn_weight[None, :, None, None] + self.bn_bias[None, :, None, None]
        Z = torch.relu(Z)
        O = F.conv2d(Z, self.out_weight, self.out_bias)
        return F.interpolate(O, size=(self.height, self.width), mode="bilinear", align_corners=False)

    def forward(self, x, *task_weights):
        O = self.forward_logits(x, *task_weights)
        if self.kind == "segmentation":
            return torch.argmax(O, dim=1).to(torch.int32)
        if self.kind == "depth":
            return torch.relu(O[:, 0])
        if self.kind == "normals":
            n = torch.sqrt(torch.sum(O * O, dim=1, keepdim=True))
            return O / torch.clamp(n, min=1e-12)
        return torch.sigmoid(O[:, 0])  # saliency, edges


def output_name(kind: str) -> str:
    return {"segmentation": "labels", "depth": "depth", "normals": "normals",
            "saliency": "saliency", "edges": "edges"}[kind]


def build(payload: dict) -> SinewichNet:
    """Rebuild the module from export_onnx.py's --torch-out payload (config, task, state_dict)."""
    net = SinewichNet(payload["config"], payload["task"])
    net.load_state_dict(payload["state_dict"], strict=True)
    return net.eval()
