"""Reference outputs of the embedded default model, for the server's conformance test.

  /usr/bin/python3 tools/train/make_default_fixture.py [--out DIR]

Loads src/main/resources/default-model with tools/reference/sinewich_ref.py, runs every task on
two held-out synthetic images (src/test/resources/eval/synthetic-heldout items 000000, 000001, as
FP32 at their stored size) and writes src/test/resources/conformance/default_model/io.safetensors
(or DIR/io.safetensors) with make_fixtures.reference_io, in the layout of the conformance fixtures (input,
{task}/{output}, {task}/margin and the debug intermediates). Run it again whenever the default model is retrained.
"""

import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import make_fixtures  # noqa: E402
import sinewich_ref as ref  # noqa: E402

BUNDLE = os.path.join(ROOT, "src", "main", "resources", "default-model")
HELD_OUT = os.path.join(ROOT, "src", "test", "resources", "eval", "synthetic-heldout")
OUT = os.path.join(ROOT, "src", "test", "resources", "conformance", "default_model")


def main():
    from PIL import Image
    torch.set_num_threads(2)
    model = ref.load_bundle(BUNDLE)
    imgs = [np.array(Image.open(os.path.join(HELD_OUT, "images", f"{i:06d}.png")).convert("RGB")) for i in (0, 1)]
    images = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float().div(255.0).contiguous()
    io, _ = make_fixtures.reference_io(model, images)
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else OUT
    os.makedirs(out, exist_ok=True)
    ref.write_safetensors(os.path.join(out, "io.safetensors"), io)
    print(f"wrote {out}/io.safetensors", file=sys.stderr)


if __name__ == "__main__":
    main()
