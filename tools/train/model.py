"""The trainable Free Sinewich network: SPEC.md section 4, differentiable.

torchvision's own SwinTransformer runs the backbone; its block linears are rewired so that, with
adapters on, each uses the effective weight W + (alpha/r) B A (shared LoRA) + gain lowpass(sin(omega_t M))
(Sine-AWB, last block of every stage, M = B W A, omega_t from the Clock Net and the task token).
With adapters off the plain backbone runs (the "shared" pass used to train a backbone from scratch).
The decoder and heads are SPEC 4.7; logits are resized to the input size as SPEC 4.8 does.
export() returns every SPEC tensor, so a bundle written from it is exactly this network.

Parameter groups (what a stage can train): backbone, lora, awb, clock, tokens, decoder, heads.
Construction draws from torch's global generator in a fixed order (backbone, adapters per stage,
block and linear, Clock Net, tokens, decoder, heads), so a seed fixes the initial weights.
"""

import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.swin_transformer import shifted_window_attention

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for _p in ("reference", "convert"):
    sys.path.insert(0, os.path.join(ROOT, "tools", _p))
import sinewich_ref as ref  # noqa: E402

TARGETS = ("qkv", "proj", "fc1", "fc2")


def module_key(task):
    """ParameterDict/ModuleDict key of a task (module names cannot hold dots; SPEC task names can)."""
    return task.replace(".", "__")


class SinewichNet(nn.Module):
    """The network of a sinewich.json configuration. forward(images, tasks, shared) -> {task: logits}."""

    def __init__(self, cfg, init):
        super().__init__()
        self.cfg = cfg
        self.task_names = [t["name"] for t in cfg["tasks"]]
        self.swin = ref.build_swin(cfg)
        del self.swin.head, self.swin.norm
        self.S = len(cfg["backbone"]["depths"])
        self.Cs = ref.stage_channels(cfg)
        self.adapters_on = False
        lora, awb = cfg.get("lora"), cfg["awb"]
        self.lora_scale = float(lora["alpha"]) / float(lora["rank"]) if lora else 0.0
        self.gain = float(awb["gain"])
        lp = awb.get("lowpass")
        self.register_buffer("G", ref.gaussian_kernel(lp["size"], lp["sigma"]) if lp else torch.ones(1, 1))
        self.adapters = nn.ParameterDict()
        self.names = {}  # adapter key -> SPEC tensor name
        self.kind_of = {}  # adapter key -> "lora" | "awb"
        depths = cfg["backbone"]["depths"]
        for s in range(self.S):
            for j in range(depths[s]):
                block = self.swin.features[2 * s + 1][j]
                pre = f"backbone.features.{2 * s + 1}.{j}.{{}}"
                for tg in TARGETS:
                    path = ref.LINEAR_PATHS[tg]
                    lin = block.get_submodule(path)
                    out_f, in_f = lin.weight.shape
                    key = f"s{s}b{j}{tg}"
                    spec = []
                    if lora and tg in lora["targets"]:
                        r = lora["rank"]
                        self._param(key + "_lora_A", pre.format(path + ".lora_A"), "lora",
                                    torch.randn(r, in_f) / math.sqrt(in_f))
                        self._param(key + "_lora_B", pre.format(path + ".lora_B"), "lora", torch.zeros(out_f, r))
                        spec.append("lora")
                    if j == depths[s] - 1 and tg in awb["targets"]:
                        r, std = awb["rank"], init["awb_factor_std"]
                        self._param(key + "_awb_A", pre.format(path + ".awb_A"), "awb", torch.randn(r, in_f) * std)
                        self._param(key + "_awb_W", pre.format(path + ".awb_W"), "awb",
                                    torch.eye(r) + init["awb_prior_noise"] * torch.randn(r, r))
                        self._param(key + "_awb_B", pre.format(path + ".awb_B"), "awb", torch.randn(out_f, r) * std)
                        spec.append("awb")
                    self._wire(lin, block, tg, key, spec, s)
        self.clock_w = nn.ParameterList([nn.Parameter(torch.randn(1, C) * (init["clock_weight_gain"] / math.sqrt(C)))
                                         for C in self.Cs])
        self.clock_scale = nn.ParameterList([nn.Parameter(torch.full((1,), float(init["clock_scale"])))
                                             for _ in self.Cs])
        self.clock_shift = nn.ParameterList([nn.Parameter(torch.full((1,), float(init["clock_shift"])))
                                             for _ in self.Cs])
        self.tokens = nn.ParameterDict({f"{module_key(t)}_{s}": nn.Parameter(torch.randn(C) * init["token_std"])
                                        for t in self.task_names for s, C in enumerate(self.Cs)})
        ch, hidden = cfg["decoder"]["channels"], cfg["decoder"]["hidden"]
        self.down = nn.ModuleList([nn.Conv2d(C, c, 1, bias=False) for C, c in zip(self.Cs, ch)])
        self.fuse = nn.Conv2d(sum(ch), hidden, 1, bias=False)
        self.fuse_bias = nn.ParameterDict({module_key(t): nn.Parameter(torch.zeros(hidden)) for t in self.task_names})
        self.bn = nn.ModuleDict({module_key(t): nn.BatchNorm2d(hidden, eps=1e-5) for t in self.task_names})
        self.out = nn.ModuleDict({module_key(t["name"]): nn.Conv2d(hidden, t["outputs"], 1) for t in cfg["tasks"]})
        self.register_buffer("mean", torch.tensor(cfg["input"]["mean"])[None, :, None, None])
        self.register_buffer("std", torch.tensor(cfg["input"]["std"])[None, :, None, None])
        self._omega = None

    def _param(self, key, spec_name, kind, value):
        self.adapters[key] = nn.Parameter(value.float())
        self.names[key] = spec_name
        self.kind_of[key] = kind

    # -- parameter groups ------------------------------------------------------------------------

    def group(self, name):
        """The parameters of one group, in a fixed order."""
        if name == "backbone":
            return list(self.swin.parameters())
        if name in ("lora", "awb"):
            return [p for k, p in self.adapters.items() if self.kind_of[k] == name]
        if name == "clock":
            return list(self.clock_w) + list(self.clock_scale) + list(self.clock_shift)
        if name == "tokens":
            return list(self.tokens.parameters())
        if name == "decoder":
            return list(self.down.parameters()) + list(self.fuse.parameters())
        if name == "heads":
            return list(self.fuse_bias.parameters()) + list(self.bn.parameters()) + list(self.out.parameters())
        raise KeyError(name)

    def trainable(self, groups):
        """Parameters of the listed groups in the network's canonical order (backbone, then the
        adapters as built, Clock Net, tokens, decoder, heads); LoRA and AWB factors keep their
        interleaved construction order when both are listed."""
        out = []
        if "backbone" in groups:
            out += self.group("backbone")
        out += [p for k, p in self.adapters.items() if self.kind_of[k] in groups]
        for g in ("clock", "tokens", "decoder", "heads"):
            if g in groups:
                out += self.group(g)
        return out

    def set_trainable(self, groups):
        """requires_grad on the listed groups only; returns their parameters (canonical order)."""
        for p in self.parameters():
            p.requires_grad_(False)
        params = self.trainable(groups)
        for p in params:
            p.requires_grad_(True)
        return params

    def count(self, groups):
        return sum(p.numel() for p in self.trainable(groups))

    # -- the forward pass ------------------------------------------------------------------------

    def omega(self, task):
        """Clock Net: omega_s = scale_s (tanh(w_s . relu(token_s)) + shift_s), one per stage."""
        k = module_key(task)
        with torch.autocast(device_type=self.clock_w[0].device.type, enabled=False):
            return [self.clock_scale[s] * (torch.tanh(self.clock_w[s] @ torch.relu(self.tokens[f"{k}_{s}"]))
                                           + self.clock_shift[s]) for s in range(self.S)]

    def task_kernel(self, key, s):
        a = self.adapters
        M = a[key + "_awb_B"] @ a[key + "_awb_W"] @ a[key + "_awb_A"]
        K = torch.sin(self._omega[s] * M)
        if self.G.numel() > 1:
            K = F.conv2d(K[None, None], self.G[None, None], padding=(self.G.shape[0] - 1) // 2)[0, 0]
        return K

    def effective(self, lin, key, spec, s):
        """The weight a block linear uses now (computed in float32 even under autocast, as omega is:
        bf16 would round omega * M before the sine)."""
        w = lin.weight
        if self.adapters_on and spec:
            with torch.autocast(device_type=w.device.type, enabled=False):
                if "lora" in spec:
                    w = w + self.lora_scale * (self.adapters[key + "_lora_B"] @ self.adapters[key + "_lora_A"])
                if "awb" in spec:
                    w = w + self.gain * self.task_kernel(key, s)
        return w

    def _wire(self, lin, block, tg, key, spec, s):
        model = self
        if tg in ("fc1", "fc2"):
            lin.forward = lambda x: F.linear(x, model.effective(lin, key, spec, s), lin.bias)
        else:
            attn = block.attn
            if not hasattr(attn, "_sw"):
                attn._sw = {}

                def fwd(x, attn=attn):
                    q, p = attn._sw["qkv"], attn._sw["proj"]
                    return shifted_window_attention(
                        x, model.effective(attn.qkv, *q), model.effective(attn.proj, *p),
                        attn.get_relative_position_bias(), attn.window_size, attn.num_heads,
                        shift_size=attn.shift_size, attention_dropout=attn.attention_dropout,
                        dropout=attn.dropout, qkv_bias=attn.qkv.bias, proj_bias=attn.proj.bias)
                attn.forward = fwd
            attn._sw[tg] = (key, spec, s)

    def features(self, x):
        out = []
        for i, m in enumerate(self.swin.features):
            x = m(x)
            if i % 2 == 1:
                out.append(x)
        return out

    def decode_shared(self, feats):
        gs = []
        for s, f in enumerate(feats):
            g = self.down[s](f.permute(0, 3, 1, 2))
            if s > 0:
                g = F.interpolate(g, size=gs[0].shape[-2:], mode="bilinear", align_corners=False)
            gs.append(g)
        return self.fuse(torch.cat(gs, 1))

    def head(self, Z, task, size):
        k = module_key(task)
        Z = torch.relu(self.bn[k](Z + self.fuse_bias[k][None, :, None, None]))
        O = self.out[k](Z)
        return F.interpolate(O, size=size, mode="bilinear", align_corners=False)

    def forward(self, images, tasks, shared=False):
        """images (N,3,H,W) in [0,1] at the model size; returns {task: logits (N,outputs,H,W)}.
        shared: one backbone pass for every head (adapters must be off); otherwise one pass per
        task with that task's backbone weights."""
        x = (images - self.mean) / self.std
        if shared:
            if self.adapters_on:
                raise RuntimeError("a shared pass needs the adapters off")
            Z = self.decode_shared(self.features(x))
            return {t: self.head(Z, t, images.shape[-2:]) for t in tasks}
        out = {}
        for t in tasks:
            if self.adapters_on:
                self._omega = self.omega(t)
            out[t] = self.head(self.decode_shared(self.features(x)), t, images.shape[-2:])
        return out

    # -- backbone weights and export -------------------------------------------------------------

    def load_backbone(self, path, trust_pickle=False, log=print):
        """Copies a Swin checkpoint's backbone into the network (torchvision or Microsoft names,
        .pth/.pt/.bin or .safetensors, as tools/convert reads them). Shapes must match the
        configuration's backbone exactly."""
        from checkpoint_names import ConversionError, load_checkpoint, map_names
        try:
            mapped = map_names(load_checkpoint(path, trust_pickle=trust_pickle))
        except ConversionError as e:
            raise ValueError(f"init.backbone_checkpoint: {e}") from e
        want = {("backbone." + k): v for k, v in self.swin.state_dict().items()}
        got = {k: v for k, v in mapped.tensors.items() if k in want}
        missing = [k for k in want if k not in got and not k.endswith("relative_position_index")]
        if missing:
            raise ValueError(f"{path}: the checkpoint lacks {len(missing)} backbone tensor(s) of the configured "
                             f"Swin, e.g. {', '.join(missing[:3])} (is model.backbone the checkpoint's size?)")
        for k, v in got.items():
            if tuple(v.shape) != tuple(want[k].shape):
                raise ValueError(f"{path}: tensor {k} has shape {list(v.shape)}, the configured backbone needs "
                                 f"{list(want[k].shape)} (model.backbone must describe the checkpoint's Swin)")
        with torch.no_grad():
            for k, v in got.items():
                if k.endswith("relative_position_index"):
                    if not torch.equal(v.to(torch.int64), want[k].to(torch.int64)):
                        raise ValueError(f"{path}: {k} differs from the index torchvision computes")
                    continue
                want[k].copy_(v.to(want[k].dtype))
        rest = [k for k in mapped.tensors if k not in want]
        log(f"backbone from {path} ({mapped.scheme} names): {len(got)} tensors"
            + (f"; {len(rest)} non-backbone tensors ignored" if rest else "")
            + (f"; {len(mapped.unknown)} unknown keys ignored" if mapped.unknown else ""))

    def export(self):
        """Every SPEC tensor, float32 (relative_position_index as int64), detached copies."""
        out = {}
        for k, v in self.swin.state_dict().items():
            out["backbone." + k] = v.detach().clone() if k.endswith("relative_position_index") \
                else v.detach().float().clone()
        for key, name in self.names.items():
            out[name] = self.adapters[key].detach().float().clone()
        for s in range(self.S):
            out[f"clock.{s}.weight"] = self.clock_w[s].detach().float().clone()
            out[f"clock.{s}.scale"] = self.clock_scale[s].detach().float().clone()
            out[f"clock.{s}.shift"] = self.clock_shift[s].detach().float().clone()
            out[f"decoder.down.{s}.weight"] = self.down[s].weight.detach().float().clone()
            for t in self.task_names:
                out[f"tasks.{t}.token.{s}"] = self.tokens[f"{module_key(t)}_{s}"].detach().float().clone()
        out["decoder.fuse.weight"] = self.fuse.weight.detach().float().clone()
        for t in self.task_names:
            k, h = module_key(t), f"heads.{t}."
            bn = self.bn[k]
            out[h + "fuse_bias"] = self.fuse_bias[k].detach().float().clone()
            out[h + "bn.weight"], out[h + "bn.bias"] = bn.weight.detach().float().clone(), bn.bias.detach().float().clone()
            out[h + "bn.running_mean"] = bn.running_mean.detach().float().clone()
            out[h + "bn.running_var"] = bn.running_var.detach().float().clone()
            out[h + "out.weight"] = self.out[k].weight.detach().float().clone()
            out[h + "out.bias"] = self.out[k].bias.detach().float().clone()
        return out


def parameter_report(net, cfg):
    """Trainable-parameter counts the way the paper counts them (everything that is trained on
    top of the frozen ImageNet backbone: shared LoRA, Sine-AWB factors, Clock Net and task tokens,
    the shared decoder and the per-task heads), with the breakdown; and the frozen backbone."""
    groups = {g: net.count([g]) for g in ("lora", "awb", "clock", "tokens", "decoder", "heads")}
    total = sum(groups.values())
    lora, awb = cfg.get("lora") or {}, cfg["awb"]
    def n(v):
        return f"{v / 1e6:.2f} M" if v >= 100_000 else f"{v:,}"

    line = (f"trainable parameters (paper's count: all but the frozen backbone): {n(total)} = LoRA "
            f"{n(groups['lora'])} (r={lora.get('rank', 0)}) + Sine-AWB {n(groups['awb'])} (r={awb['rank']}) + "
            f"Clock Net {n(groups['clock'])} + task tokens {n(groups['tokens'])} + decoder {n(groups['decoder'])} + "
            f"heads {n(groups['heads'])}; frozen backbone {n(net.count(['backbone']))}")
    return {"trainable": total, "groups": groups, "backbone": net.count(["backbone"]), "line": line}
