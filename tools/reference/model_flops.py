"""Analytic FLOP count of the Sinewich forward per image at a bundle's model input size.

    python3 tools/reference/model_flops.py --bundle DIR [--task NAME]      (any Python 3; no torch)

Counts the multiply-adds of every matrix product and convolution of SPEC section 4 steps 6-8 and
reports FLOP = 2 x MAC (the convention of a GEMM's 2*n^3, so that GFLOP / seconds is comparable
with bench_gemm.py's peak; the "4.5 GFLOPs" usually quoted for Swin-T at 224 counts MACs):
  patch embedding conv      h0*w0 * C0 * 3*p*p
  every block (stage s)     qkv   Hp*Wp * C * 3C        (on the map padded to the window, as torchvision)
                            q@k^T Hp*Wp * N * C         (N = window^2 tokens per window, all heads)
                            a@v   Hp*Wp * N * C
                            proj  Hp*Wp * C * C
                            mlp   h*w * 2 * C * hidden
  patch merging after s     ceil(h/2)*ceil(w/2) * 4C * 2C
  decoder                   down convs sum_s h_s*w_s * C_s * ch_s; fuse h0*w0 * sum(ch) * hidden;
                            head out conv h0*w0 * hidden * outputs
Left out (memory-bound, a few per cent of the time and <1 % of the FLOPs): LayerNorm, softmax,
GELU, bias adds, masks, BN, resizes, per-kind outputs. Prints one JSON line.
"""

import argparse
import json
import os


def count(cfg, task=None):
    bb = cfg["backbone"]
    H, W = cfg["input"]["height"], cfg["input"]["width"]
    p, e, ws = bb["patch_size"], bb["embed_dim"], bb["window_size"]
    S = len(bb["depths"])
    tasks = {t["name"]: t for t in cfg["tasks"]}
    t = tasks[task] if task else cfg["tasks"][0]
    h, w = H // p, W // p
    mac = {"patch_embed": h * w * e * 3 * p * p, "qkv": 0, "attention": 0, "proj": 0, "mlp": 0,
           "patch_merging": 0, "decoder": 0, "head": 0}
    sizes = []
    for s in range(S):
        C = e << s
        hid = int(C * float(bb["mlp_ratio"]))
        hp, wp = -(-h // ws) * ws, -(-w // ws) * ws
        n = ws * ws
        for _ in range(bb["depths"][s]):
            mac["qkv"] += hp * wp * C * 3 * C
            mac["attention"] += 2 * hp * wp * n * C
            mac["proj"] += hp * wp * C * C
            mac["mlp"] += h * w * 2 * C * hid
        sizes.append((h, w))
        if s < S - 1:
            h, w = (h + 1) // 2, (w + 1) // 2
            mac["patch_merging"] += h * w * 4 * C * 2 * C
    ch, hidden = cfg["decoder"]["channels"], cfg["decoder"]["hidden"]
    h0, w0 = sizes[0]
    mac["decoder"] = sum(hs * wsz * (e << s) * ch[s] for s, (hs, wsz) in enumerate(sizes)) + h0 * w0 * sum(ch) * hidden
    mac["head"] = h0 * w0 * hidden * t["outputs"]
    total = sum(mac.values())
    return {"model_input": [H, W], "task": t["name"], "gmac_per_image": round(total / 1e9, 4),
            "gflop_per_image": round(2 * total / 1e9, 4),
            "gflop_parts": {k: round(2 * v / 1e9, 4) for k, v in mac.items()}}


def main(argv=None):
    ap = argparse.ArgumentParser(description="FLOPs of the Sinewich forward per image")
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--task", default=None)
    a = ap.parse_args(argv)
    with open(os.path.join(a.bundle, "sinewich.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    print(json.dumps(count(cfg, a.task)))


if __name__ == "__main__":
    main()
