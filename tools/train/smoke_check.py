"""Assertions of tools/train/smoke.sh (each exits 1 with a message when it does not hold).

  smoke_check.py backbone CONFIG OUT.pth          a torchvision-named Swin checkpoint of the config's
                                                  backbone (random weights standing in for ImageNet's)
  smoke_check.py same-weights BUNDLE_A BUNDLE_B   every tensor bit-identical
  smoke_check.py card BUNDLE                      the export check passed (model_card.json) within 1e-4,
                                                  and Δm, when there, follows from the card's metrics
  smoke_check.py metrics CARD PY_REPORT [JAVA_REPORT]
                                                  the trainer's validation metrics, the Python reference
                                                  evaluator's and the server's agree
  smoke_check.py server URL MODEL CHECK.npz       the running server's outputs (OIP REST, FP32 images)
                                                  equal the trained network's own (export's CHECK.npz)
                                                  within 1e-4 (depth: × max(1, max depth))
"""

import json
import os
import sys
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import torch  # noqa: E402

import sinewich_ref as ref  # noqa: E402

# per primary metric: how far two evaluators of the same bundle may be apart (absolute); argmax
# labels and thresholds can flip where two float32 forward passes differ by ~1e-6
TOLERANCE = {"miou": 0.5, "rmse": 1e-3, "mean": 0.05, "max_iou": 0.5}


def fail(msg):
    print(f"smoke check FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def backbone(config_path, out):
    with open(config_path, encoding="utf-8") as f:
        model = json.load(f)["model"]
    torch.manual_seed(123)
    swin = ref.build_swin(model)
    torch.save(swin.state_dict(), out)
    print(f"wrote {out} ({sum(v.numel() for v in swin.state_dict().values())} values, torchvision names)")


def same_weights(a, b):
    ta = ref.read_safetensors(os.path.join(a, "model.safetensors"))
    tb = ref.read_safetensors(os.path.join(b, "model.safetensors"))
    if set(ta) != set(tb):
        fail(f"{a} and {b} hold different tensors: {sorted(set(ta) ^ set(tb))[:5]}")
    bad = [k for k in ta if not torch.equal(ta[k], tb[k])]
    if bad:
        worst = max(float((ta[k].double() - tb[k].double()).abs().max()) for k in bad)
        fail(f"{len(bad)} of {len(ta)} tensors differ between {a} and {b} (e.g. {bad[0]}, max |diff| {worst:.3g})")
    print(f"same weights: {a} == {b} ({len(ta)} tensors, bit for bit)")


def card(bundle):
    with open(os.path.join(bundle, "model_card.json"), encoding="utf-8") as f:
        c = json.load(f)
    v = c["verification"]
    worst = {t: d["max_abs_diff"] / d["scale"] for t, d in v["tasks"].items()}
    if any(x > 1e-4 for x in worst.values()) or set(worst) != {t["name"] for t in c["config"]["model"]["tasks"]}:
        fail(f"{bundle}: export check {worst}")
    ref.load_bundle(bundle)
    dm = c.get("delta_m")
    if dm:  # recomputed from the card's own numbers (docs/EVALUATION.md)
        primary = c["validation"]["primary"]
        terms = [(1 if primary[t]["higher_is_better"] else -1) * (primary[t]["value"] - b) / b * 100
                 for t, b in dm["baseline_values"].items()]
        if abs(sum(terms) / len(terms) - dm["value"]) > 1e-9:
            fail(f"{bundle}: Δm {dm['value']} is not the mean of its terms {terms}")
        print(f"Δm in the model card: {dm['value']:+.2f} % against {dm['baseline']}")
    print(f"export check: {bundle} against the reference on {v['images']} held-out images, max |diff| "
          + ", ".join(f"{t} {d:.1e}" for t, d in worst.items()) + f"; {c['parameters']['line']}")


def metrics(card_path, py_path, java_path=None):
    with open(card_path, encoding="utf-8") as f:
        trainer = {t: (p["metric"], p["value"]) for t, p in json.load(f)["validation"]["primary"].items()}
    with open(py_path, encoding="utf-8") as f:
        py = json.load(f)
    java = None
    if java_path:
        with open(java_path, encoding="utf-8") as f:
            java = json.load(f)["tasks"]
    rows = []
    for t in ("semseg", "depth", "normals", "saliency"):
        if t not in py:
            continue
        metric, tv = trainer[t]
        values = {"trainer": tv, "reference": py[t][metric]}
        if java is not None:
            values["server"] = java[t][metric]
        spread = max(values.values()) - min(values.values())
        rows.append(f"{t}.{metric} " + " ".join(f"{k}={v:.4f}" for k, v in values.items()))
        if spread > TOLERANCE[metric]:
            fail(f"{t}.{metric}: the evaluators disagree by {spread:.4g} (> {TOLERANCE[metric]}): {values}")
    print("metrics agree: " + "; ".join(rows))


def server(url, model, check_path):
    import numpy as np
    check = np.load(check_path)
    images = check["images"].astype(np.float32)
    rows = []
    for key in sorted(k for k in check.files if k != "images"):
        task, name = key.split("/")
        body = json.dumps({"parameters": {"task": task}, "outputs": [{"name": name}],
                           "inputs": [{"name": "image", "datatype": "FP32", "shape": list(images.shape),
                                       "data": images.ravel().tolist()}]}).encode()
        request = urllib.request.Request(f"{url}/v2/models/{model}/infer", data=body,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.load(response)
        out = next((o for o in answer["outputs"] if o["name"] == name), None)
        if out is None:
            fail(f"{task}: the server returned no '{name}' output")
        expected = check[key]
        got = np.asarray(out["data"], dtype=np.float32).reshape(out["shape"])
        if got.shape != expected.shape:
            fail(f"{task}/{name}: shape {got.shape} from the server, {expected.shape} from the trainer")
        scale = max(1.0, float(np.abs(expected).max())) if name == "depth" else 1.0
        diff = float(np.abs(got - expected).max())
        if diff > 1e-4 * scale:
            fail(f"{task}/{name}: the server differs from the trained network by {diff:.3g} (> {1e-4 * scale:.3g})")
        rows.append(f"{task}/{name} {diff:.2e}")
    print("the server's outputs equal the trained network's (max |diff|): " + ", ".join(rows))


def main(argv):
    cmd, args = argv[0], argv[1:]
    {"backbone": backbone, "same-weights": same_weights, "card": card, "metrics": metrics,
     "server": server}[cmd](*args)


if __name__ == "__main__":
    main(sys.argv[1:])
