"""Build the checkpoint-conversion fixture for the Java tests.

    /usr/bin/python3 tools/convert/make_fixture.py --out src/test/resources/conversion

A random Sinewich model (torchvision Swin backbone, LoRA, Sine-AWB, Clock Net, decoder, heads) is
exported as a Microsoft/MTLoRA-named PyTorch checkpoint; convert_checkpoint.py turns it into
<out>/ms_swin_mtlora/bundle, and <out>/ms_swin_mtlora/io.safetensors holds the outputs of the
ORIGINAL model (sinewich_ref on the torchvision-named tensors) for one input, in the conformance
layout (tools/reference/README.md). Deterministic: rerunning gives byte-identical files.

Also a library for test_convert.py: fixture_config, random_source, torchvision_state_dict,
microsoft_state_dict.
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile

import torch

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
sys.path.insert(0, os.path.join(_HERE, "..", "reference"))
import sinewich_ref as ref  # noqa: E402
from convert_checkpoint import convert  # noqa: E402
from make_bundle import calibrate, random_tensors  # noqa: E402
from make_fixtures import reference_io  # noqa: E402

CASE = "ms_swin_mtlora"
SEED = 606
_MS_LINEAR = {"attn.qkv": "attn.qkv", "attn.proj": "attn.proj", "mlp.0": "mlp.fc1", "mlp.3": "mlp.fc2"}


def fixture_config(name="converted-ms-swin"):
    """3 stages [2, 1, 2], mlp_ratio 1.7 (not recoverable as hidden/C), window 4 with a padded last stage."""
    return {
        "format": "sinewich/v1", "name": name, "version": "1",
        "input": {"height": 32, "width": 48, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        "backbone": {"type": "swin", "patch_size": 2, "embed_dim": 8, "depths": [2, 1, 2], "num_heads": [1, 2, 2],
                     "window_size": 4, "mlp_ratio": 1.7},
        "lora": {"rank": 3, "alpha": 6.0, "targets": ["qkv", "fc2"]},
        "awb": {"rank": 3, "targets": ["proj", "fc1", "fc2"], "gain": 0.2, "lowpass": {"size": 3, "sigma": 1.0}},
        "decoder": {"channels": [4, 6, 8], "hidden": 12},
        "tasks": [
            {"name": "semseg", "kind": "segmentation", "outputs": 4, "labels": ["background", "road", "car", "tree"]},
            {"name": "depth", "kind": "depth", "outputs": 1, "unit": "m"},
            {"name": "normals", "kind": "normals", "outputs": 3},
            {"name": "saliency", "kind": "saliency", "outputs": 1},
        ],
    }


OMEGA_TASKS = ("depth",)


def converter_config(cfg):
    """What a user gives the converter for this model: everything the tensors do not hold."""
    c = {k: cfg[k] for k in ("name", "version", "input")}
    c["awb"] = {"gain": cfg["awb"]["gain"], "lowpass": cfg["awb"]["lowpass"]}
    c["tasks"] = [dict(t) for t in cfg["tasks"]]
    return c


def random_source(cfg, seed):
    """SPEC-named float32 tensors of a random, calibrated model (relative_position_index included)."""
    tensors, g = random_tensors(cfg, seed, OMEGA_TASKS, include_rpi=True)
    return calibrate(cfg, tensors, g)


def torchvision_state_dict(cfg, tensors, seed):
    """What training code built on torchvision saves: model.state_dict() of a SwinTransformer holding
    the backbone (so with norm.*, head.*, relative_position_index), and the adapters and the
    Sinewich parts under the same names without "backbone."."""
    swin = ref.build_swin(cfg)
    torch.manual_seed(seed)
    for mod in (swin.norm, swin.head):
        for p in mod.parameters():
            torch.nn.init.normal_(p)
    sd = swin.state_dict()
    out = {}
    for k in sd:
        name = "backbone." + k
        out[k] = tensors[name].clone() if name in tensors else sd[k].clone()
    for k, v in tensors.items():
        if not k.startswith("backbone."):
            out[k] = v.clone()
        elif k[len("backbone."):] not in out:
            out[k[len("backbone."):]] = v.clone()
    return out


def microsoft_state_dict(tv_sd, cfg, mtlora_scale=True):
    """The same model as Microsoft Swin-Transformer / MTLoRA names it: patch_embed, layers.{s}.blocks,
    the patch merging moved into the previous layer (layers.{s}.downsample), mlp.fc1/fc2, attention
    shift masks as buffers; LoRA linears wrapped (<L>.linear.weight) with lora_shared_A/B and, when
    mtlora_scale, a trainable lora_shared_scale = alpha/rank."""
    lora = cfg.get("lora")
    lora_paths = {ref.LINEAR_PATHS[t] for t in lora["targets"]} if lora else set()
    ws = cfg["backbone"]["window_size"]
    out = {}
    for k, v in tv_sd.items():
        m = re.fullmatch(r"features\.(\d+)\.(.+)", k)
        if not m:
            out[k] = v.clone()
            continue
        i, rest = int(m.group(1)), m.group(2)
        if i == 0:
            out[{"0": "patch_embed.proj", "2": "patch_embed.norm"}[rest[0]] + rest[1:]] = v.clone()
        elif i % 2 == 0:
            out[f"layers.{i // 2 - 1}.downsample.{rest}"] = v.clone()
        else:
            j, inner = rest.split(".", 1)
            pre = f"layers.{(i - 1) // 2}.blocks.{j}."
            for tv_path, ms_path in _MS_LINEAR.items():
                if inner.startswith(tv_path + "."):
                    suffix = inner[len(tv_path) + 1:]
                    if tv_path in lora_paths:
                        suffix = {"weight": "linear.weight", "bias": "linear.bias", "lora_A": "lora_shared_A",
                                  "lora_B": "lora_shared_B"}.get(suffix, suffix)
                        if suffix == "lora_shared_A" and mtlora_scale:
                            out[pre + ms_path + ".lora_shared_scale"] = torch.tensor([lora["alpha"] / lora["rank"]])
                    inner = ms_path + "." + suffix
                    break
            out[pre + inner] = v.clone()
            if inner == "norm1.weight" and int(j) % 2 == 1:
                out[pre + "attn_mask"] = torch.zeros(4, ws * ws, ws * ws)  # as saved for a 2x2-window map
    return out


def build(out_root):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    cfg = fixture_config()
    source = random_source(cfg, SEED)
    ms = microsoft_state_dict(torchvision_state_dict(cfg, source, SEED), cfg)
    cdir = os.path.join(out_root, CASE)
    if os.path.isdir(cdir):
        shutil.rmtree(cdir)
    os.makedirs(cdir)
    conv_cfg = converter_config(cfg)
    with open(os.path.join(cdir, "convert.json"), "w", encoding="utf-8") as f:
        json.dump(conv_cfg, f, indent=2)
        f.write("\n")
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "mtlora_swin.pth")
        torch.save({"model": ms, "epoch": 1}, ckpt)
        report = convert(ckpt, os.path.join(cdir, "bundle"), conv_cfg, trust_pickle=False, log=lambda m: None)
    assert not report["initialised"], report["initialised"]
    original = ref.RefModel(cfg, source)
    images = torch.rand((1, 3, 12, 20), generator=torch.Generator().manual_seed(SEED + 7), dtype=torch.float32)
    io, _ = reference_io(original, images)
    ref.write_safetensors(os.path.join(cdir, "io.safetensors"), io)
    converted = ref.load_bundle(os.path.join(cdir, "bundle"))
    worst = 0.0
    for t in converted.task_names:
        for k, v in converted.forward(images, t).items():
            worst = max(worst, (v.to(torch.float64) - io[f"{t}/{k}"].to(torch.float64)).abs().max().item())
    assert worst <= 1e-6, f"converted bundle differs from the original by {worst}"
    return cdir, worst


def main(argv=None):
    ap = argparse.ArgumentParser(description="generate the checkpoint-conversion fixture")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    cdir, worst = build(a.out)
    print(f"{cdir}: converted bundle vs original model, max |output diff| = {worst:.3g}")


if __name__ == "__main__":
    main()
