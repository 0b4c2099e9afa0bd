"""Compare regenerated conformance fixtures with the committed ones, for .ci/fixtures/run.sh.

  /usr/bin/python3 tools/reference/compare_fixtures.py REGENERATED COMMITTED [--tolerance 1e-5]

Every safetensors file under either folder must exist in both, with the same tensor names, dtypes
and shapes; integer tensors must be equal (labels may differ only where the committed margin is at
most 1e-4, as the conformance tests allow); floating-point tensors must agree within
tolerance · (1 + |committed|). Byte equality is not asked for: the reference runs on Debian's
PyTorch, whose kernels round differently from one CPU or package version to the next (~1e-6),
while any change to the generator's logic moves values by far more. Other files must be equal
byte for byte. Exits 1 naming every difference.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = body[start:end]
        if info["dtype"] == "BF16":
            values = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, DTYPES[info["dtype"]])
        tensors[name] = (info["dtype"], tuple(info["shape"]), values)
    return tensors


def compare(new_path, old_path, tolerance, problems):
    new, old = read(new_path), read(old_path)
    if set(new) != set(old):
        problems.append(f"{old_path}: tensors differ: {sorted(set(new) ^ set(old))}")
        return
    for name, (dtype, shape, values) in old.items():
        ndtype, nshape, nvalues = new[name]
        if (ndtype, nshape) != (dtype, shape):
            problems.append(f"{old_path}: {name} is {ndtype} {nshape} now, {dtype} {shape} committed")
        elif values.dtype.kind in "iub":
            differ = values != nvalues
            if name.endswith("/labels") and differ.any():
                margin_name = name[: -len("labels")] + "margin"
                margin = old[margin_name][2].reshape(-1) if margin_name in old else None
                if margin is not None and margin.size == differ.size:
                    differ &= margin > 1e-4
            if differ.any():
                problems.append(f"{old_path}: {name}: {int(differ.sum())} of {differ.size} values differ")
        else:
            a, b = nvalues.astype(np.float64), values.astype(np.float64)
            excess = np.abs(a - b) - tolerance * (1 + np.abs(b))
            if excess.size and excess.max() > 0:
                i = int(excess.argmax())
                problems.append(f"{old_path}: {name}: |diff| {abs(a[i] - b[i]):.3g} at {i} over the tolerance")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("regenerated")
    ap.add_argument("committed")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    a = ap.parse_args()
    problems = []
    files = set()
    for root in (a.regenerated, a.committed):
        for folder, _, names in os.walk(root):
            files.update(os.path.relpath(os.path.join(folder, n), root) for n in names)
    files.discard("README.md")
    for rel in sorted(files):
        new, old = os.path.join(a.regenerated, rel), os.path.join(a.committed, rel)
        if not os.path.exists(new) or not os.path.exists(old):
            problems.append(f"{rel}: only in {'the committed' if os.path.exists(old) else 'the regenerated'} fixtures")
        elif rel.endswith(".safetensors"):
            compare(new, old, a.tolerance, problems)
        elif open(new, "rb").read() != open(old, "rb").read():
            problems.append(f"{old}: differs from the regenerated file")
    for p in problems:
        print("fixtures: " + p)
    if problems:
        sys.exit(1)
    print(f"fixtures: {len(files)} files regenerated, equal to the committed ones "
          f"(floating point within {a.tolerance:g} relative)")


if __name__ == "__main__":
    main()
