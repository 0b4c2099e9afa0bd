"""Train the server's embedded default model (a small Free Sinewich) on procedural scenes.

Recipe (Free Sinewich, two stages):
  stage 1  the Swin backbone + shared decoder + per-task heads are trained on every task
           (one backbone pass, four heads), then the backbone is frozen;
  stage 2  shared LoRA (every block: qkv, proj, fc1, fc2) + Sine-AWB (last block of every stage:
           proj, fc1, fc2; factors A, W, B fused M = B.W.A, task kernel lowpass(sin(omega_t M)),
           gain) + Clock Net (task tokens -> omega) + decoder + heads are trained on every task.
Losses: cross-entropy (semseg), L1 in metres (depth), 1 - cosine + L1 (normals), BCE (saliency).

The training-time forward is SPEC.md section 4 (differentiable): LoRA and AWB are applied as
effective weights W + (alpha/r) B A + gain lowpass(sin(omega M)) inside torchvision's own Swin.
After export the bundle is loaded with tools/reference/sinewich_ref.py and compared to the
training module on held-out images.

Reproduce (about 25 min on a shared 2-core CPU, about 15 min when it is idle):
  /usr/bin/python3 tools/train/train_default.py --out src/main/resources/default-model
  /usr/bin/python3 tools/train/make_default_fixture.py      # the server's conformance fixture
Everything is seeded (--seed, default 0; data seed 7); torch uses 2 threads. The stage-1 weights
are checkpointed in /tmp and restored when present, so stage 2 can be rerun on its own.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.swin_transformer import shifted_window_attention

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tools", "datasets"))
import sinewich_ref as ref  # noqa: E402
import make_bundle  # noqa: E402
import synthetic  # noqa: E402

TASKS = ["semseg", "depth", "normals", "saliency"]


def default_config(size):
    return {
        "format": "sinewich/v1",
        "name": "sinewich-default",
        "version": "1.1.0-synthetic",
        "input": {"height": size, "width": size, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        "backbone": {"type": "swin", "patch_size": 4, "embed_dim": 32, "depths": [2, 2, 2],
                     "num_heads": [2, 4, 8], "window_size": 4, "mlp_ratio": 4.0},
        "lora": {"rank": 8, "alpha": 16.0, "targets": ["qkv", "proj", "fc1", "fc2"]},
        "awb": {"rank": 8, "targets": ["proj", "fc1", "fc2"], "gain": 0.05,
                "lowpass": {"size": 3, "sigma": 1.0}},
        "decoder": {"channels": [32, 32, 64], "hidden": 64},
        "tasks": [
            {"name": "semseg", "kind": "segmentation", "outputs": len(synthetic.LABELS),
             "labels": list(synthetic.LABELS)},
            {"name": "depth", "kind": "depth", "outputs": 1, "unit": "m"},
            {"name": "normals", "kind": "normals", "outputs": 3},
            {"name": "saliency", "kind": "saliency", "outputs": 1},
        ],
    }


# ---------------------------------------------------------------------------------------------
# the model (SPEC section 4, differentiable)
# ---------------------------------------------------------------------------------------------

class Sinewich(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.swin = ref.build_swin(cfg)
        del self.swin.head, self.swin.norm
        self.S = len(cfg["backbone"]["depths"])
        self.Cs = ref.stage_channels(cfg)
        self.stage = 1
        self.task = None
        lora, awb = cfg["lora"], cfg["awb"]
        self.lora_scale = float(lora["alpha"]) / float(lora["rank"])
        self.gain = float(awb["gain"])
        lp = awb.get("lowpass")
        self.register_buffer("G", ref.gaussian_kernel(lp["size"], lp["sigma"]) if lp else torch.ones(1, 1))
        self.adapters = nn.ParameterDict()
        self.names = {}  # parameter-dict key -> SPEC tensor name
        depths = cfg["backbone"]["depths"]
        for s in range(self.S):
            for j in range(depths[s]):
                block = self.swin.features[2 * s + 1][j]
                pre = f"backbone.features.{2 * s + 1}.{j}."
                for tg in ["qkv", "proj", "fc1", "fc2"]:
                    lin = block.get_submodule(ref.LINEAR_PATHS[tg])
                    out_f, in_f = lin.weight.shape
                    key = f"s{s}b{j}{tg}"
                    spec = []
                    if tg in lora["targets"]:
                        self._param(key + "_lora_A", pre + ref.LINEAR_PATHS[tg] + ".lora_A",
                                    torch.randn(lora["rank"], in_f) / math.sqrt(in_f))
                        self._param(key + "_lora_B", pre + ref.LINEAR_PATHS[tg] + ".lora_B",
                                    torch.zeros(out_f, lora["rank"]))
                        spec.append("lora")
                    if j == depths[s] - 1 and tg in awb["targets"]:
                        r = awb["rank"]
                        self._param(key + "_awb_A", pre + ref.LINEAR_PATHS[tg] + ".awb_A", torch.randn(r, in_f) * 0.3)
                        self._param(key + "_awb_W", pre + ref.LINEAR_PATHS[tg] + ".awb_W",
                                    torch.eye(r) + 0.1 * torch.randn(r, r))
                        self._param(key + "_awb_B", pre + ref.LINEAR_PATHS[tg] + ".awb_B", torch.randn(out_f, r) * 0.3)
                        spec.append("awb")
                    self._wire(lin, block, tg, key, spec, s)
        self.clock_w = nn.ParameterList([nn.Parameter(torch.randn(1, C) * (0.5 / math.sqrt(C))) for C in self.Cs])
        self.clock_scale = nn.ParameterList([nn.Parameter(torch.ones(1)) for _ in self.Cs])
        self.clock_shift = nn.ParameterList([nn.Parameter(torch.full((1,), 1.5)) for _ in self.Cs])
        self.tokens = nn.ParameterDict({f"{t}_{s}": nn.Parameter(torch.randn(C)) for t in TASKS
                                        for s, C in enumerate(self.Cs)})
        ch, hidden = cfg["decoder"]["channels"], cfg["decoder"]["hidden"]
        self.down = nn.ModuleList([nn.Conv2d(C, c, 1, bias=False) for C, c in zip(self.Cs, ch)])
        self.fuse = nn.Conv2d(sum(ch), hidden, 1, bias=False)
        self.fuse_bias = nn.ParameterDict({t: nn.Parameter(torch.zeros(hidden)) for t in TASKS})
        self.bn = nn.ModuleDict({t: nn.BatchNorm2d(hidden, eps=1e-5) for t in TASKS})
        self.out = nn.ModuleDict({t["name"]: nn.Conv2d(hidden, t["outputs"], 1) for t in cfg["tasks"]})
        self.register_buffer("mean", torch.tensor(cfg["input"]["mean"])[None, :, None, None])
        self.register_buffer("std", torch.tensor(cfg["input"]["std"])[None, :, None, None])

    def _param(self, key, spec_name, value):
        self.adapters[key] = nn.Parameter(value.float())
        self.names[key] = spec_name

    def omega(self, task):
        """Clock Net: omega_s = scale_s (tanh(w_s . relu(token_s)) + shift_s)."""
        return [self.clock_scale[s] * (torch.tanh(self.clock_w[s] @ torch.relu(self.tokens[f"{task}_{s}"]))
                                       + self.clock_shift[s]) for s in range(self.S)]

    def task_kernel(self, key, s):
        a = self.adapters
        M = a[key + "_awb_B"] @ a[key + "_awb_W"] @ a[key + "_awb_A"]
        K = torch.sin(self._omega[s] * M)
        if self.G.numel() > 1:
            K = F.conv2d(K[None, None], self.G[None, None], padding=(self.G.shape[0] - 1) // 2)[0, 0]
        return K

    def effective(self, lin, key, spec, s):
        w = lin.weight
        if self.stage >= 2:
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
        Z = torch.relu(self.bn[task](Z + self.fuse_bias[task][None, :, None, None]))
        O = self.out[task](Z)
        return F.interpolate(O, size=size, mode="bilinear", align_corners=False)

    def forward(self, images, task):
        """images (N,3,H,W) in [0,1] at the model size; returns logits O resized to (H, W)."""
        x = (images - self.mean) / self.std
        if self.stage >= 2:
            self._omega = self.omega(task)
        return self.head(self.decode_shared(self.features(x)), task, images.shape[-2:])

    def forward_all(self, images):
        """Stage 1: one backbone pass, every head."""
        x = (images - self.mean) / self.std
        Z = self.decode_shared(self.features(x))
        return {t: self.head(Z, t, images.shape[-2:]) for t in TASKS}

    def export(self):
        """Every SPEC tensor, float32 (relative_position_index as int64)."""
        out = {}
        for k, v in self.swin.state_dict().items():
            out["backbone." + k] = v.detach().clone() if k.endswith("relative_position_index") else v.detach().float().clone()
        for key, name in self.names.items():
            out[name] = self.adapters[key].detach().clone()
        for s in range(self.S):
            out[f"clock.{s}.weight"] = self.clock_w[s].detach().clone()
            out[f"clock.{s}.scale"] = self.clock_scale[s].detach().clone()
            out[f"clock.{s}.shift"] = self.clock_shift[s].detach().clone()
            out[f"decoder.down.{s}.weight"] = self.down[s].weight.detach().clone()
            for t in TASKS:
                out[f"tasks.{t}.token.{s}"] = self.tokens[f"{t}_{s}"].detach().clone()
        out["decoder.fuse.weight"] = self.fuse.weight.detach().clone()
        for t in TASKS:
            h = f"heads.{t}."
            out[h + "fuse_bias"] = self.fuse_bias[t].detach().clone()
            bn = self.bn[t]
            out[h + "bn.weight"], out[h + "bn.bias"] = bn.weight.detach().clone(), bn.bias.detach().clone()
            out[h + "bn.running_mean"], out[h + "bn.running_var"] = bn.running_mean.clone(), bn.running_var.clone()
            out[h + "out.weight"], out[h + "out.bias"] = self.out[t].weight.detach().clone(), self.out[t].bias.detach().clone()
        return out


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------

def load_data(seed, count, size, cache):
    if cache and os.path.exists(cache):
        z = np.load(cache)
        if z["image"].shape[0] == count and z["image"].shape[1] == size:
            return {k: z[k] for k in z.files}
    t0 = time.time()
    items = [it for _, it in synthetic.generate(seed, count, size, size)]
    data = {k: np.stack([it[k] for it in items]) for k in ["image", "semseg", "depth", "normals", "saliency"]}
    print(f"generated {count} scenes in {time.time() - t0:.0f}s", flush=True)
    if cache:
        np.savez(cache, **data)
    return data


def to_batch(data, idx, flip):
    img = torch.from_numpy(data["image"][idx]).permute(0, 3, 1, 2).float() / 255.0
    sem = torch.from_numpy(data["semseg"][idx]).long()
    dep = torch.from_numpy(data["depth"][idx])
    nrm = torch.from_numpy(data["normals"][idx])
    sal = torch.from_numpy(data["saliency"][idx]).float() / 255.0
    if flip is not None and flip.any():
        f = torch.from_numpy(flip)
        img[f] = img[f].flip(-1)
        sem[f] = sem[f].flip(-1)
        dep[f] = dep[f].flip(-1)
        n = nrm[f].flip(-1)
        n[:, 0] = -n[:, 0]
        nrm[f] = n
        sal[f] = sal[f].flip(-1)
    return img, {"semseg": sem, "depth": dep, "normals": nrm, "saliency": sal}


def task_loss(task, O, gt):
    if task == "semseg":
        return F.cross_entropy(O, gt, ignore_index=255)
    if task == "depth":
        valid = (gt > 0) & torch.isfinite(gt)
        return (O[:, 0] - gt).abs()[valid].mean() * 0.25  # metres; 0.25 balances it against the others
    if task == "normals":
        valid = gt.abs().sum(1) > 0
        n = O / O.norm(dim=1, keepdim=True).clamp(min=1e-6)
        cos = (n * gt).sum(1)
        return (1 - cos)[valid].mean() + (n - gt).abs().sum(1)[valid].mean() * 0.5
    if task == "saliency":
        return F.binary_cross_entropy_with_logits(O[:, 0], gt)
    raise ValueError(task)


def lr_at(step, total, base, warm=50):
    if step < warm:
        return base * (step + 1) / warm
    return base * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


def run_stage(model, params, data, epochs, batch, lr, wd, stage, rng, log, on_epoch=None):
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    n = data["image"].shape[0]
    steps = n // batch
    total = steps * epochs
    step = 0
    for ep in range(epochs):
        model.train()
        perm = rng.permutation(n)
        sums = {t: 0.0 for t in TASKS}
        counts = {t: 0 for t in TASKS}
        t0 = time.time()
        for b in range(steps):
            idx = np.sort(perm[b * batch:(b + 1) * batch])
            img, gt = to_batch(data, idx, rng.random(len(idx)) < 0.5)
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total, lr)
            opt.zero_grad(set_to_none=True)
            if stage == 1:
                outs = model.forward_all(img)
                losses = {t: task_loss(t, outs[t], gt[t]) for t in TASKS}
                sum(losses.values()).backward()
            else:
                # task-specific backbone weights: one task per step, round robin
                t = TASKS[step % len(TASKS)]
                losses = {t: task_loss(t, model(img, t), gt[t])}
                losses[t].backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            opt.step()
            for t in losses:
                sums[t] += float(losses[t])
                counts[t] += 1
            step += 1
        msg = (f"stage {stage} epoch {ep + 1}/{epochs} "
               + " ".join(f"{t}={sums[t] / max(1, counts[t]):.4f}" for t in TASKS) + f" time={time.time() - t0:.0f}s")
        if stage == 2:
            msg += " omega=" + ",".join("/".join(f"{float(w):.2f}" for w in model.omega(t)) for t in TASKS)
        log(msg)
        if on_epoch:
            on_epoch(ep)


# ---------------------------------------------------------------------------------------------
# export and verification
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def verify(model, bundle_dir, images):
    """Compare the training module (eval mode) with the reference loader on the exported bundle."""
    model.eval()
    rm = ref.load_bundle(bundle_dir)
    worst = {}
    for t in TASKS:
        O = model(images, t)
        kind = rm.tasks[t]["kind"]
        theirs = rm.forward(images, t)
        if kind == "segmentation":
            p = torch.softmax(O, 1)
            d = (p - theirs["probabilities"]).abs().max()
            agree = float((O.argmax(1).int() == theirs["labels"]).float().mean())
            worst[t] = (float(d), agree)
        elif kind == "depth":
            worst[t] = (float((torch.relu(O[:, 0]) - theirs["depth"]).abs().max()), None)
        elif kind == "normals":
            n = O / O.norm(dim=1, keepdim=True).clamp(min=1e-12)
            worst[t] = (float((n - theirs["normals"]).abs().max()), None)
        else:
            worst[t] = (float((torch.sigmoid(O[:, 0]) - theirs["saliency"]).abs().max()), None)
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description="train the embedded default Sinewich model")
    ap.add_argument("--out", required=True, help="bundle directory to write")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--train-count", type=int, default=2400)
    ap.add_argument("--data-seed", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs1", type=int, default=24)
    ap.add_argument("--epochs2", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=None, help="scene cache (default: one /tmp file per data seed, count, size)")
    ap.add_argument("--log", default=None)
    ap.add_argument("--checkpoint", default=None, help="stage-1 weights, restored when present (default: one /tmp file per setting)")
    a = ap.parse_args(argv)
    tag = f"{a.data_seed}-{a.train_count}-{a.size}-{a.seed}-{a.epochs1}-{a.batch}"
    if a.cache is None:
        a.cache = f"/tmp/sinewich-train-cache-{a.data_seed}-{a.train_count}-{a.size}.npz"
    if a.checkpoint is None:
        a.checkpoint = f"/tmp/sinewich-train-stage1-{tag}.pt"

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    logf = open(a.log, "a", encoding="utf-8") if a.log else None

    def log(m):
        line = time.strftime("%H:%M:%S ") + m
        print(line, flush=True)
        if logf:
            logf.write(line + "\n")
            logf.flush()

    t_start = time.time()
    cfg = default_config(a.size)
    ref.validate_config(cfg)
    data = load_data(a.data_seed, a.train_count, a.size, a.cache)
    model = Sinewich(cfg)
    n_backbone = sum(p.numel() for p in model.swin.parameters())
    log(f"config {json.dumps(cfg['backbone'])} input {a.size} train items {a.train_count} backbone params {n_backbone}")

    # stage 1: backbone + decoder + heads, all tasks, no adapters
    model.stage = 1
    stage1 = list(model.swin.parameters()) + list(model.down.parameters()) + list(model.fuse.parameters()) \
        + list(model.fuse_bias.parameters()) + list(model.bn.parameters()) + list(model.out.parameters())
    if a.checkpoint and os.path.exists(a.checkpoint):
        model.load_state_dict(torch.load(a.checkpoint))
        log(f"stage 1 restored from {a.checkpoint}")
    else:
        run_stage(model, stage1, data, a.epochs1, a.batch, 2e-3, 0.05, 1, rng, log)
        if a.checkpoint:
            torch.save(model.state_dict(), a.checkpoint)
    make_bundle.write_bundle(cfg, model.export(), a.out, dtype="F32")  # a loadable bundle already

    # stage 2: freeze the backbone; shared LoRA + Sine-AWB + Clock Net + decoder + heads
    for p in model.swin.parameters():
        p.requires_grad_(False)
    model.stage = 2
    stage2 = list(model.adapters.parameters()) + list(model.clock_w) + list(model.clock_scale) \
        + list(model.clock_shift) + list(model.tokens.parameters()) + list(model.down.parameters()) \
        + list(model.fuse.parameters()) + list(model.fuse_bias.parameters()) + list(model.bn.parameters()) \
        + list(model.out.parameters())
    n_trainable = sum(p.numel() for p in model.adapters.parameters()) + sum(p.numel() for p in model.tokens.parameters())
    log(f"stage 2: backbone frozen; adapter+token params {n_trainable}")
    def snapshot(ep):
        was = model.training
        model.eval()
        make_bundle.write_bundle(cfg, model.export(), a.out, dtype="F32")
        model.train(was)

    # stage 2 draws from its own stream, so a run that restores the stage-1 checkpoint is the same run
    run_stage(model, stage2, data, a.epochs2, a.batch, 1e-3, 0.0, 2, np.random.default_rng([a.seed, 2]), log,
              on_epoch=snapshot)

    model.eval()
    snapshot(None)
    size = os.path.getsize(os.path.join(a.out, "model.safetensors"))
    log(f"wrote {a.out} ({size / 1e6:.2f} MB)")
    held = [it for _, it in synthetic.generate(1000, 8, a.size, a.size)]
    imgs = torch.from_numpy(np.stack([it["image"] for it in held])).permute(0, 3, 1, 2).float() / 255.0
    worst = verify(model, a.out, imgs)
    log("verify vs tools/reference/sinewich_ref.py: " + json.dumps(worst))
    bad = [t for t, (d, _) in worst.items() if d > 1e-4 * (50.0 if t == "depth" else 1.0)]
    log(f"total time {(time.time() - t_start) / 60:.1f} min")
    if bad:
        log(f"VERIFY FAILED for {bad}")
        sys.exit(1)


if __name__ == "__main__":
    main()
