"""Generate the conformance fixtures (small bundles + expected outputs) for the Java server.

    /usr/bin/python3 tools/reference/make_fixtures.py --out src/test/resources/conformance

Deterministic: fixed seeds, one thread. For each case writes <out>/<case>/bundle/{sinewich.json,
model.safetensors} and <out>/<case>/io.safetensors; the expected outputs are computed by loading
the written bundle back with sinewich_ref.load_bundle. Then runs the self-checks:
  (a) a batch of 2 equals two single-image calls, every case and task;
  (b) an independent float64 implementation written from the SPEC text (own Swin without
      torchvision, own resize matrices, own separable low-pass) reproduces model_input, omega,
      every F_s, the logits and every output; plus: with gain = 0 the per-task torchvision
      features equal the plain torchvision features;
  (c) every written safetensors file reads back bit-identical.
"""

import argparse
import copy
import math
import os
import shutil
import sys

import torch

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sinewich_ref as ref  # noqa: E402
from make_bundle import make_random_bundle  # noqa: E402

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def _cfg(name, H, W, patch, embed, depths, heads, window, mlp, lora, awb, channels, hidden, tasks):
    cfg = {"format": "sinewich/v1", "name": name, "version": "1",
           "input": {"height": H, "width": W, "mean": MEAN, "std": STD},
           "backbone": {"type": "swin", "patch_size": patch, "embed_dim": embed, "depths": depths,
                        "num_heads": heads, "window_size": window, "mlp_ratio": mlp}}
    if lora != "absent":
        cfg["lora"] = lora
    cfg.update({"awb": awb, "decoder": {"channels": channels, "hidden": hidden}, "tasks": tasks})
    return cfg


def _seg(name, labels):
    return {"name": name, "kind": "segmentation", "outputs": len(labels), "labels": labels}


CASES = [
    dict(case="s2_lora_lowpass_clock", seed=101, dtype="F32", include_rpi=True, omega_tasks=(),
         image=(1, 32, 32),
         cfg=_cfg("s2-lora-lowpass-clock", 32, 32, 2, 12, [2, 2], [2, 3], 5, 2.0,
                  {"rank": 4, "alpha": 8.0, "targets": ["qkv", "proj", "fc1", "fc2"]},
                  {"rank": 4, "targets": ["proj", "fc1", "fc2"], "gain": 0.2, "lowpass": {"size": 5, "sigma": 1.0}},
                  [4, 6], 16,
                  [_seg("semseg", ["background", "cat", "dog", "person"]),
                   {"name": "depth", "kind": "depth", "outputs": 1, "unit": "m"},
                   {"name": "normals", "kind": "normals", "outputs": 3},
                   {"name": "saliency", "kind": "saliency", "outputs": 1}])),
    dict(case="s3_nolora_omega_batch2", seed=202, dtype="F32", include_rpi=False,
         omega_tasks=("semseg", "depth", "normals", "saliency"), image=(2, 48, 32),
         cfg=_cfg("s3-nolora-omega-batch2", 48, 32, 2, 8, [2, 2, 2], [1, 2, 4], 4, 1.7, "absent",
                  {"rank": 3, "targets": ["qkv", "proj", "fc1", "fc2"], "gain": 0.15, "lowpass": None},
                  [4, 6, 8], 12,
                  [_seg("semseg", ["a", "b", "c"]),
                   {"name": "depth", "kind": "depth", "outputs": 1},
                   {"name": "normals", "kind": "normals", "outputs": 3},
                   {"name": "saliency", "kind": "saliency", "outputs": 1}])),
    dict(case="s4_mixed_downscale", seed=303, dtype="F32", include_rpi=True,
         omega_tasks=("depth", "saliency"), image=(2, 51, 77),
         cfg=_cfg("s4-mixed-downscale", 32, 48, 2, 8, [2, 1, 2, 2], [1, 2, 2, 4], 3, 2.0,
                  {"rank": 2, "alpha": 3.0, "targets": ["qkv", "fc2"]},
                  {"rank": 4, "targets": ["proj", "fc1", "fc2"], "gain": 0.25, "lowpass": {"size": 3, "sigma": 0.8}},
                  [4, 6, 8, 10], 16,
                  [_seg("semseg", ["c0", "c1", "c2", "c3", "c4"]),
                   {"name": "depth", "kind": "depth", "outputs": 1, "unit": "mm"},
                   {"name": "normals", "kind": "normals", "outputs": 3},
                   {"name": "saliency", "kind": "saliency", "outputs": 1},
                   {"name": "edges", "kind": "edges", "outputs": 1}])),
    dict(case="s3_upscale_f16", seed=404, dtype="F16", include_rpi=True, omega_tasks=("depth",),
         image=(1, 21, 27),
         cfg=_cfg("s3-upscale-f16", 32, 48, 4, 12, [2, 2, 2], [2, 4, 4], 4, 2.5,
                  {"rank": 3, "alpha": 6.0, "targets": ["qkv", "proj", "fc1", "fc2"]},
                  {"rank": 3, "targets": ["proj", "fc1", "fc2"], "gain": 0.1, "lowpass": {"size": 5, "sigma": 1.5}},
                  [4, 6, 8], 20,
                  [_seg("semseg", ["sky", "ground", "object"]),
                   {"name": "depth", "kind": "depth", "outputs": 1, "unit": "m"},
                   {"name": "normals", "kind": "normals", "outputs": 3},
                   {"name": "saliency", "kind": "saliency", "outputs": 1}])),
    dict(case="s2_bf16_dotted", seed=505, dtype="BF16", include_rpi=True, omega_tasks=("depth", "edges"),
         image=(1, 24, 31),
         cfg=_cfg("s2-bf16-dotted", 24, 40, 2, 16, [1, 3], [2, 4], 6, 2.0, None,
                  {"rank": 5, "targets": ["proj", "fc2"], "gain": 0.2},
                  [5, 7], 14,
                  [_seg("seg.v2", ["x", "y", "z"]),
                   {"name": "depth", "kind": "depth", "outputs": 1},
                   {"name": "normals", "kind": "normals", "outputs": 3},
                   {"name": "saliency", "kind": "saliency", "outputs": 1},
                   {"name": "edges", "kind": "edges", "outputs": 1}])),
]


# ---------------------------------------------------------------------------------------------
# independent float64 implementation, written from the SPEC text (no torchvision modules, no
# F.interpolate, no F.conv2d)
# ---------------------------------------------------------------------------------------------

# Deliberate deviations from the SPEC, switched on one at a time by the --mutations sensitivity
# check to show that the fixtures detect them (empty for the real check).
MUT = set()


def aa_matrix(n_in, n_out):
    """SPEC 4.1: antialiased bilinear, align_corners=False, as an (n_out, n_in) matrix."""
    scale = n_in / n_out
    r = max(scale, 1.0)
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for i in range(n_out):
        c = scale * (i + 0.5)
        lo, hi = math.floor(c - r + 0.5), math.floor(c + r + 0.5) - 1
        js = range(max(lo, 0), min(hi, n_in - 1) + 1)
        w = [max(0.0, 1.0 - abs(j + 0.5 - c) / r) for j in js]
        s = sum(w)
        for j, wj in zip(js, w):
            m[i, j] = wj / s
    return m


def bilinear_matrix(n_in, n_out):
    """Plain bilinear, align_corners=False, no antialias (source index clamped at 0)."""
    scale = n_in / n_out
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for i in range(n_out):
        src = max(scale * (i + 0.5) - 0.5, 0.0)
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        lam = src - i0
        m[i, i0] += 1.0 - lam
        m[i, i1] += lam
    return m


def align_corners_matrix(n_in, n_out):
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for i in range(n_out):
        src = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        i0 = min(int(math.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        m[i, i0] += 1.0 - (src - i0)
        m[i, i1] += src - i0
    return m


def resize(x, mh, mw):  # x (..., h, w)
    return torch.einsum("ih,...hw,jw->...ij", mh, x, mw)


def band_matrix(n, g):
    """Zero-padded 1-D correlation with g as an (n, n) matrix."""
    c = (len(g) - 1) // 2
    t = torch.zeros(n, n, dtype=torch.float64)
    for i in range(n):
        for k in range(max(0, i - c), min(n, i + c + 1)):
            t[i, k] = g[k - i + c]
    return t


def layer_norm(x, w, b):
    m = x.mean(-1, keepdim=True)
    v = ((x - m) ** 2).mean(-1, keepdim=True)
    return (x - m) / torch.sqrt(v + 1e-5) * w + b


def gelu(x):
    if "gelu_tanh" in MUT:
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def effective_weights(cfg, raw, task):
    """Per-task backbone weights (float64, torchvision names without 'backbone.') and omega."""
    T = {k: v.to(torch.float64) for k, v in raw.items()}
    P = {k[len("backbone."):]: v for k, v in T.items() if k.startswith("backbone.")}
    depths = cfg["backbone"]["depths"]
    S = len(depths)
    lora, awb = cfg.get("lora"), cfg["awb"]
    if f"tasks.{task}.omega" in T:
        omega = T[f"tasks.{task}.omega"]
    else:
        om = []
        for s in range(S):
            tok = T[f"tasks.{task}.token.{s}"]
            tok = tok if "clock_no_relu" in MUT else tok.clamp(min=0)
            z = (T[f"clock.{s}.weight"][0] * tok).sum()
            om.append(T[f"clock.{s}.scale"][0] * (torch.tanh(z) + T[f"clock.{s}.shift"][0]))
        omega = torch.stack(om)
    if "omega_stages_reversed" in MUT:
        omega = omega.flip(0)
    lp = awb.get("lowpass")
    for s in range(S):
        for j in range(depths[s]):
            for tg, path in ref.LINEAR_PATHS.items():
                p = f"features.{2 * s + 1}.{j}.{path}"
                W = P[p + ".weight"]
                if lora is not None and tg in lora["targets"]:
                    sc = lora["alpha"] if "lora_scale_alpha" in MUT else lora["alpha"] / lora["rank"]
                    W = W + sc * (P[p + ".lora_B"] @ P[p + ".lora_A"])
                awb_j = 0 if "awb_first_block" in MUT else depths[s] - 1
                if j == awb_j and tg in awb["targets"] and "no_awb" not in MUT:
                    q = f"features.{2 * s + 1}.{depths[s] - 1}.{path}"  # where the factors live
                    M = P[q + ".awb_B"] @ P[q + ".awb_W"] @ P[q + ".awb_A"]
                    K = torch.sin(omega[s] * M)
                    if lp is not None and "no_lowpass" not in MUT:
                        n, c = lp["size"], (lp["size"] - 1) / 2
                        g = [math.exp(-((i - c) ** 2) / (2 * lp["sigma"] ** 2)) for i in range(n)]
                        g = [v / sum(g) for v in g]
                        K = band_matrix(K.shape[0], g) @ K @ band_matrix(K.shape[1], g).T
                    W = W + awb["gain"] * K
                P[p + ".weight"] = W
    return P, omega, T


def swin_block(x, P, pre, heads, ws, shifted):
    N, h, w, C = x.shape
    y = layer_norm(x, P[pre + "norm1.weight"], P[pre + "norm1.bias"])
    Ph, Pw = -(-h // ws) * ws, -(-w // ws) * ws
    yp = torch.zeros(N, Ph, Pw, C, dtype=x.dtype)
    if "pad_top_left" in MUT:
        yp[:, Ph - h:, Pw - w:] = y
    else:
        yp[:, :h, :w] = y
    sh = ws // 2 if shifted and (Ph > ws or "always_shift" in MUT) else 0
    sw = ws // 2 if shifted and (Pw > ws or "always_shift" in MUT) else 0
    yp = torch.roll(yp, shifts=(-sh, -sw), dims=(1, 2))
    nh, nw, T = Ph // ws, Pw // ws, ws * ws

    def windows(t):  # (N, Ph, Pw, ...) -> (N*nh*nw, T, ...)
        t = t.reshape(t.shape[0], nh, ws, nw, ws, *t.shape[3:])
        t = t.permute(0, 1, 3, 2, 4, *range(5, t.dim()))
        return t.reshape(-1, T, *t.shape[5:])

    win = windows(yp)
    qkv = win @ P[pre + "attn.qkv.weight"].T + P[pre + "attn.qkv.bias"]
    d = C // heads
    qkv = qkv.reshape(-1, T, 3, heads, d).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0] * (C if "scale_by_C" in MUT else d) ** -0.5, qkv[1], qkv[2]
    attn = q @ k.transpose(-2, -1)
    ys, xs = torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    idx = (ys[:, None] - ys[None, :] + ws - 1) * (2 * ws - 1) + (xs[:, None] - xs[None, :] + ws - 1)
    if "rpb_transposed" in MUT:
        idx = idx.T
    table = P[pre + "attn.relative_position_bias_table"]
    attn = attn + table[idx].permute(2, 0, 1)[None]
    if (sh or sw) and "no_mask" not in MUT:
        bh, bw = (h, w) if "mask_unpadded" in MUT else (Ph, Pw)
        rh = torch.tensor([0 if r < bh - ws else 1 if r < bh - sh else 2 for r in range(Ph)])
        rw = torch.tensor([0 if c < bw - ws else 1 if c < bw - sw else 2 for c in range(Pw)])
        rid = windows((rh[:, None] * 3 + rw[None, :])[None])  # (nh*nw, T)
        mask = torch.where(rid[:, :, None] == rid[:, None, :], 0.0,
                           -math.inf if "mask_minus_inf" in MUT else -100.0).to(x.dtype)
        attn = attn.reshape(N, nh * nw, heads, T, T) + mask[None, :, None]
        attn = attn.reshape(-1, heads, T, T)
    attn = torch.softmax(attn, dim=-1)
    o = (attn @ v).transpose(1, 2).reshape(-1, T, C)
    o = o @ P[pre + "attn.proj.weight"].T + P[pre + "attn.proj.bias"]
    o = o.reshape(N, nh, nw, ws, ws, C).permute(0, 1, 3, 2, 4, 5).reshape(N, Ph, Pw, C)
    o = torch.roll(o, shifts=(sh, sw), dims=(1, 2))
    o = o[:, Ph - h:, Pw - w:] if "pad_top_left" in MUT else o[:, :h, :w]
    x = x + o
    y = layer_norm(x, P[pre + "norm2.weight"], P[pre + "norm2.bias"])
    y = gelu(y @ P[pre + "mlp.0.weight"].T + P[pre + "mlp.0.bias"]) @ P[pre + "mlp.3.weight"].T + P[pre + "mlp.3.bias"]
    return x + y


def independent_forward(cfg, raw, images, task):
    """float64 forward from the SPEC text. Returns outputs dict and debug dict like RefModel."""
    P, omega, T = effective_weights(cfg, raw, task)
    bb = cfg["backbone"]
    H, W = cfg["input"]["height"], cfg["input"]["width"]
    x = images.to(torch.float64)
    h, w = x.shape[-2:]
    if (h, w) != (H, W):
        rm = bilinear_matrix if "no_antialias" in MUT else aa_matrix
        x = resize(x, rm(h, H), rm(w, W))
    mean = torch.tensor(cfg["input"]["mean"], dtype=torch.float32).to(torch.float64)[:, None, None]
    std = torch.tensor(cfg["input"]["std"], dtype=torch.float32).to(torch.float64)[:, None, None]
    x = (x - mean) / std
    model_input = x
    p, C0 = bb["patch_size"], bb["embed_dim"]
    N = x.shape[0]
    patches = x.reshape(N, 3, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5).reshape(N, H // p, W // p, 3 * p * p)
    x = patches @ P["features.0.0.weight"].reshape(C0, -1).T + P["features.0.0.bias"]
    x = layer_norm(x, P["features.0.2.weight"], P["features.0.2.bias"])
    feats = []
    S = len(bb["depths"])
    for s in range(S):
        for j in range(bb["depths"][s]):
            x = swin_block(x, P, f"features.{2 * s + 1}.{j}.", bb["num_heads"][s], bb["window_size"], j % 2 == 1)
        feats.append(x)
        if s < S - 1:
            if "merge_order" in MUT:
                x = torch.cat([x[:, 0::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 0::2], x[:, 1::2, 1::2]], -1)
            else:
                x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
            pre = f"features.{2 * s + 2}."
            x = layer_norm(x, P[pre + "norm.weight"], P[pre + "norm.bias"]) @ P[pre + "reduction.weight"].T
    h0, w0 = feats[0].shape[1:3]
    gs = []
    for s, f in enumerate(feats):
        g = torch.einsum("nhwc,oc->nohw", f, T[f"decoder.down.{s}.weight"][:, :, 0, 0])
        if s > 0:
            bm = align_corners_matrix if "decoder_align_corners" in MUT else bilinear_matrix
            g = resize(g, bm(g.shape[-2], h0), bm(g.shape[-1], w0))
        gs.append(g)
    X = torch.cat(gs, 1)
    hp = f"heads.{task}."
    Z = torch.einsum("nchw,oc->nohw", X, T["decoder.fuse.weight"][:, :, 0, 0]) + T[hp + "fuse_bias"][:, None, None]
    bn = [T[hp + "bn." + k][:, None, None] for k in ("running_mean", "running_var", "weight", "bias")]
    eps = 0.0 if "bn_eps_zero" in MUT else 1e-5
    Z = torch.clamp((Z - bn[0]) / torch.sqrt(bn[1] + eps) * bn[2] + bn[3], min=0)
    O = torch.einsum("nchw,oc->nohw", Z, T[hp + "out.weight"][:, :, 0, 0]) + T[hp + "out.bias"][:, None, None]
    Or = resize(O, bilinear_matrix(h0, h), bilinear_matrix(w0, w))
    kind = next(t["kind"] for t in cfg["tasks"] if t["name"] == task)
    if kind == "segmentation":
        out = {"probabilities": torch.softmax(Or, 1), "labels": torch.argmax(Or, 1)}
    elif kind == "depth":
        out = {"depth": Or[:, 0].clamp(min=0)}
    elif kind == "normals":
        out = {"normals": Or / Or.norm(dim=1, keepdim=True).clamp(min=1e-12)}
    else:
        out = {kind: 1.0 / (1.0 + torch.exp(-Or[:, 0]))}
    return out, {"model_input": model_input, "features": feats, "omega": omega, "logits": O}


# ---------------------------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------------------------

def output_stats(out, io, t):
    """One line showing the outputs are not degenerate."""
    if "labels" in out:
        hist = torch.bincount(out["labels"].flatten().to(torch.int64), minlength=out["probabilities"].shape[1])
        m = io[f"{t}/margin"]
        return f"label histogram {hist.tolist()}, margin min {m.min().item():.2g} median {m.median().item():.2g}"
    if "depth" in out:
        d = out["depth"]
        return f"depth zero fraction {(d == 0).float().mean().item():.2f}, max {d.max().item():.2f}"
    if "normals" in out:
        return f"|O| min {io[f'debug/{t}/logits'].norm(dim=1).min().item():.2f}"
    v = next(iter(out.values()))
    return f"fraction in (0.05, 0.95) {((v > 0.05) & (v < 0.95)).float().mean().item():.2f}, range [{v.min().item():.2f}, {v.max().item():.2f}]"


def stage_facts(cfg):
    bb = cfg["backbone"]
    ws = bb["window_size"]
    h, w = cfg["input"]["height"] // bb["patch_size"], cfg["input"]["width"] // bb["patch_size"]
    facts = []
    for s in range(len(bb["depths"])):
        ph, pw = -(-h // ws) * ws, -(-w // ws) * ws
        shifted_blocks = bb["depths"][s] >= 2
        sh = ws // 2 if shifted_blocks and ph > ws else 0
        sw = ws // 2 if shifted_blocks and pw > ws else 0
        facts.append(f"stage{s}: {h}x{w} C={bb['embed_dim'] << s} padded {ph}x{pw}"
                     f"{' (PAD)' if (ph, pw) != (h, w) else ''}, shift "
                     + (f"(h={sh}, w={sw})" if shifted_blocks else "none (depth 1)"))
        h, w = h // 2, w // 2
    return facts


def build_case(c, out_root):
    cdir = os.path.join(out_root, c["case"])
    if os.path.isdir(cdir):
        shutil.rmtree(cdir)
    bdir = os.path.join(cdir, "bundle")
    c["_generated"] = make_random_bundle(c["cfg"], bdir, c["seed"], dtype=c["dtype"],
                                         omega_tasks=c["omega_tasks"], include_rpi=c["include_rpi"])
    model = ref.load_bundle(bdir)  # the files are what is tested
    g = torch.Generator().manual_seed(c["seed"] + 7)
    N, h, w = c["image"]
    images = torch.rand((N, 3, h, w), generator=g, dtype=torch.float32)
    io, results = reference_io(model, images)
    ref.write_safetensors(os.path.join(cdir, "io.safetensors"), io)
    return model, images, io, results, model.task_names[0]


def reference_io(model, images):
    """The io.safetensors tensors of a fixture (layout in tools/reference/README.md): the input, every
    task's outputs, segmentation margins and the debug intermediates. Returns (io, {task: (out, dbg)})."""
    io = {"input": images}
    first = model.task_names[0]
    results = {}
    for i, t in enumerate(model.task_names):
        out, dbg = model.forward(images, t, debug=True)
        results[t] = (out, dbg)
        for k, v in out.items():
            io[f"{t}/{k}"] = v
        if "probabilities" in out:
            top2 = torch.topk(out["probabilities"], 2, dim=1).values
            io[f"{t}/margin"] = top2[:, 0] - top2[:, 1]
        io[f"debug/{t}/omega"] = dbg["omega"]
        if i == 0:
            io["debug/model_input"] = dbg["model_input"]
            for s, f in enumerate(dbg["features"]):
                io[f"debug/{t}/features.{s}"] = f
        io[f"debug/{t}/logits"] = dbg["logits"]
    io = {k: (v.contiguous() if v.dtype == torch.int32 else v.to(torch.float32).contiguous()) for k, v in io.items()}
    return io, results


def check_case(c, out_root, model, images, io, results):
    """Self-checks (a), (b), (c) for one case. Returns a list of report lines; raises on failure."""
    lines = []
    cfg = c["cfg"]
    bdir = os.path.join(out_root, c["case"], "bundle")
    # (c) read back: io.safetensors and model.safetensors
    back = ref.read_safetensors(os.path.join(out_root, c["case"], "io.safetensors"))
    assert set(back) == set(io), "io read-back key set differs"
    for k, v in io.items():
        assert back[k].dtype == v.dtype and torch.equal(back[k], v), f"io read-back differs: {k}"
    raw = ref.read_safetensors(os.path.join(bdir, "model.safetensors"))
    tdt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[c["dtype"]]
    for k, v in raw.items():
        want = torch.int64 if k.endswith("relative_position_index") else tdt
        assert v.dtype == want, f"{k}: stored {v.dtype}, wanted {want}"
    gen = c["_generated"]  # float32 tensors as generated, before rounding to the stored dtype
    assert set(gen) == set(raw), "model.safetensors key set differs from the generated tensors"
    for k, v in gen.items():
        want = v if k.endswith("relative_position_index") else v.to(tdt)
        assert torch.equal(raw[k], want), f"model read-back differs: {k}"
    lines.append(f"(c) read-back identical: io {len(io)} tensors, model {len(raw)} tensors ({c['dtype']})")

    # (a) batch of 2 == two single calls
    worst, where = 0.0, ""
    imgs = images if images.shape[0] >= 2 else torch.cat(
        [images, torch.rand(images.shape, generator=torch.Generator().manual_seed(c["seed"] + 99))])
    for t in model.task_names:
        batch = model.forward(imgs, t)
        for n in range(2):
            single = model.forward(imgs[n:n + 1], t)
            for k in single:
                d = (batch[k][n:n + 1].to(torch.float64) - single[k].to(torch.float64)).abs().max().item()
                if d > worst:
                    worst, where = d, f"{t}/{k}"
    assert worst <= 1e-5, f"batch vs single differ by {worst} at {where}"
    lines.append(f"(a) batch-of-2 vs single calls: max |diff| = {worst:.3g}" + (f" (at {where})" if worst else ""))

    # (b1) gain = 0: per-task torchvision features == plain torchvision features
    cfg0 = copy.deepcopy(cfg)
    cfg0["awb"]["gain"] = 0.0
    m0 = ref.RefModel(cfg0, raw)
    x = m0.preprocess(images)
    with torch.no_grad():
        plain = m0.base.features(x)
        for t in m0.task_names:
            assert torch.equal(m0.backbone(x, t)[-1], plain), "gain=0 per-task features differ from plain"
    lines.append("(b) gain=0: per-task features == plain torchvision features (bitwise), every task")

    # (b2) independent float64 implementation from the SPEC text
    worst = {}
    for t in model.task_names:
        out, dbg = results[t]
        iout, idbg = independent_forward(cfg, raw, images, t)

        def upd(key, a, b):
            worst[key] = max(worst.get(key, 0.0), (a.to(torch.float64) - b.to(torch.float64)).abs().max().item())
        upd("omega", dbg["omega"], idbg["omega"])
        upd("model_input", dbg["model_input"], idbg["model_input"])
        for s, f in enumerate(dbg["features"]):
            upd(f"F{s}", f, idbg["features"][s])
        upd("logits", dbg["logits"], idbg["logits"])
        for k, v in out.items():
            if k == "labels":
                margin = io[f"{t}/margin"]
                bad = ((v.to(torch.int64) != iout["labels"]) & (margin > 1e-4)).sum().item()
                worst["label_mismatch_where_margin>1e-4"] = worst.get("label_mismatch_where_margin>1e-4", 0) + bad
            else:
                upd(k, v, iout[k])
    for key, val in worst.items():
        tol = 0 if key.startswith("label") else 1e-6 if key in ("omega", "model_input") else 2e-5
        assert val <= tol, f"independent float64 check: {key} differs by {val}"
    lines.append("(b) independent float64 SPEC implementation vs reference, max |diff|: "
                 + ", ".join(f"{k}={v:.2g}" for k, v in worst.items()))
    return lines


MUTATIONS = {
    # name: (what it models, cases where it cannot matter)
    "no_awb": "Sine-AWB branch ignored (W_t = W)",
    "no_lowpass": "Gaussian low-pass skipped",
    "awb_first_block": "AWB applied to block 0 instead of the last block of each stage",
    "omega_stages_reversed": "omega indexed by stage in reverse",
    "clock_no_relu": "Clock Net without ReLU on the token",
    "lora_scale_alpha": "LoRA scaled by alpha instead of alpha/rank",
    "no_antialias": "input resize without antialias",
    "always_shift": "shift even where padded size <= window",
    "no_mask": "shifted windows without the attention mask",
    "mask_unpadded": "mask region boundaries from the unpadded size",
    "mask_minus_inf": "mask value -inf instead of torchvision's -100 (expected: not detectable)",
    "pad_top_left": "window padding at top/left instead of bottom/right",
    "merge_order": "patch merging x0,x2,x1,x3 (x1 = rows 0::2, cols 1::2)",
    "rpb_transposed": "relative position index transposed",
    "scale_by_C": "attention scaled by C^-0.5 instead of head_dim^-0.5",
    "gelu_tanh": "tanh-approximate GELU",
    "decoder_align_corners": "decoder upsampling with align_corners=True",
    "bn_eps_zero": "BatchNorm without eps (expected: barely detectable)",
}


def mutation_report(c, out_root, io, model):
    """Max |output difference| between each mutated float64 forward and the fixture, over tasks."""
    raw = ref.read_safetensors(os.path.join(out_root, c["case"], "bundle", "model.safetensors"))
    res = {}
    for name in MUTATIONS:
        MUT.clear()
        MUT.add(name)
        worst, labels = 0.0, 0
        for t in model.task_names:
            out, _ = independent_forward(c["cfg"], raw, io["input"], t)
            for k, v in out.items():
                if k == "labels":
                    labels += ((v != io[f"{t}/labels"].to(torch.int64)) & (io[f"{t}/margin"] > 1e-4)).sum().item()
                else:
                    worst = max(worst, (v - io[f"{t}/{k}"].to(torch.float64)).abs().max().item())
        res[name] = (worst, labels)
    MUT.clear()
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description="generate conformance fixtures")
    ap.add_argument("--out", required=True)
    ap.add_argument("--skip-checks", action="store_true")
    ap.add_argument("--mutations", action="store_true",
                    help="also show that deliberate SPEC deviations change the outputs by > 1e-4")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(a.out, exist_ok=True)
    for c in CASES:
        model, images, io, results, first = build_case(c, a.out)
        cfg = c["cfg"]
        print(f"== {c['case']}: {c['dtype']}, S={len(cfg['backbone']['depths'])} depths={cfg['backbone']['depths']} "
              f"patch={cfg['backbone']['patch_size']} window={cfg['backbone']['window_size']} "
              f"embed={cfg['backbone']['embed_dim']} mlp_ratio={cfg['backbone']['mlp_ratio']}, "
              f"image {tuple(images.shape)} -> model {cfg['input']['height']}x{cfg['input']['width']}, "
              f"lora={'absent' if 'lora' not in cfg else cfg['lora'] and cfg['lora']['targets']}, "
              f"awb={cfg['awb']['targets']} lowpass={cfg['awb'].get('lowpass', 'absent')}, "
              f"rpi={'I64' if c['include_rpi'] else 'absent'}")
        for f in stage_facts(cfg):
            print("   " + f)
        for t in model.task_names:
            src = "omega" if t in c["omega_tasks"] else "clock"
            shapes = {k: list(v.shape) for k, v in results[t][0].items()}
            om = ", ".join(f"{v:.4f}" for v in results[t][1]["omega"].tolist())
            print(f"   task {t!r} ({src}) omega=[{om}] outputs {shapes} {output_stats(results[t][0], io, t)}")
        if not a.skip_checks:
            for line in check_case(c, a.out, model, images, io, results):
                print("   " + line)
        if a.mutations:
            for name, (d, nl) in mutation_report(c, a.out, io, model).items():
                verdict = "detected" if d > 1e-4 or nl > 0 else "NOT detected"
                print(f"   mutation {name:22s} max|diff|={d:.3g} label flips={nl:5d}  {verdict}")
    total = 0
    for root, _, files in os.walk(a.out):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"total fixture bytes: {total}")


if __name__ == "__main__":
    main()
