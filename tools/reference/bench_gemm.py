"""Peak of this machine for the benchmarks' arithmetic: one n x n x n float32 GEMM (default 2048).

    target/bench/venv/bin/python tools/reference/bench_gemm.py --threads 2     # torch 2.13 (MKL), numpy's OpenBLAS, ONNX Runtime (MLAS)
    /usr/bin/python3 tools/reference/bench_gemm.py --threads 2                 # Debian torch 1.13 / numpy (libblas.so.3)

Times C = A @ B (2*n^3 FLOP) with every library it can import (torch, numpy, onnxruntime: a one-node
MatMul graph written here byte by byte, run with IO binding, intra-op threads --threads, inter-op 1), --warmup untimed and
--iters timed calls on --threads threads, and prints one JSON line with GFLOP/s (best call and
median) per library and `peak_gflops`, the best of them. The thread count is set through the
environment (OMP/MKL/OPENBLAS_NUM_THREADS) before the libraries load, and with torch.set_num_threads.
"""

import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_timing  # noqa: E402


def _rate(fn, n, warmup, iters):
    ms = bench_timing.time_calls(fn, warmup, iters)
    flop = 2.0 * n ** 3
    return {"gflops_best": round(flop / ms["min"] / 1e6, 1), "gflops_median": round(flop / ms["median"] / 1e6, 1)}


def _pb_varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def _pb(field, value):
    """One protobuf field: int -> varint, bytes/str -> length-delimited."""
    if isinstance(value, int):
        return _pb_varint(field << 3) + _pb_varint(value)
    if isinstance(value, str):
        value = value.encode()
    return _pb_varint(field << 3 | 2) + _pb_varint(len(value)) + value


def matmul_model(n):
    """An ONNX ModelProto (opset 17) with C = MatMul(A, B), all float32 (n, n)."""
    def tensor_info(name):
        dims = b"".join(_pb(1, _pb(1, n)) for _ in range(2))            # TensorShapeProto.dim.dim_value
        tensor = _pb(1, 1) + _pb(2, dims)                                # elem_type FLOAT, shape
        return _pb(1, name) + _pb(2, _pb(1, tensor))                     # ValueInfoProto name, type.tensor_type
    node = _pb(1, "A") + _pb(1, "B") + _pb(2, "C") + _pb(3, "mm") + _pb(4, "MatMul")
    graph = _pb(1, node) + _pb(2, "gemm") + _pb(11, tensor_info("A")) + _pb(11, tensor_info("B")) \
        + _pb(12, tensor_info("C"))
    return _pb(1, 8) + _pb(7, graph) + _pb(8, _pb(1, "") + _pb(2, 17))  # ir_version, graph, opset_import


def main(argv=None):
    ap = argparse.ArgumentParser(description="float32 GEMM GFLOP/s")
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=10)
    a = ap.parse_args(argv)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[k] = str(a.threads)
    out = {"n": a.n, "threads": a.threads, "python": sys.executable}
    try:
        import torch
        torch.set_num_threads(a.threads)
        g = torch.Generator().manual_seed(0)
        A = torch.rand((a.n, a.n), generator=g)
        B = torch.rand((a.n, a.n), generator=g)
        C = torch.empty((a.n, a.n))
        out["torch"] = {"version": torch.__version__, **_rate(lambda: torch.mm(A, B, out=C), a.n, a.warmup, a.iters)}
    except ImportError:
        pass
    try:
        import numpy as np
        rng = np.random.default_rng(0)
        A = rng.random((a.n, a.n), dtype=np.float32)
        B = rng.random((a.n, a.n), dtype=np.float32)
        C = np.empty((a.n, a.n), dtype=np.float32)
        out["numpy"] = {"version": np.__version__, **_rate(lambda: np.matmul(A, B, out=C), a.n, a.warmup, a.iters)}
    except ImportError:
        pass
    try:
        import numpy as np
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = a.threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(matmul_model(a.n), sess_options=so, providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(0)
        A = rng.random((a.n, a.n), dtype=np.float32)
        B = rng.random((a.n, a.n), dtype=np.float32)
        io = sess.io_binding()
        io.bind_ortvalue_input("A", ort.OrtValue.ortvalue_from_numpy(A))
        io.bind_ortvalue_input("B", ort.OrtValue.ortvalue_from_numpy(B))
        io.bind_ortvalue_output("C", ort.OrtValue.ortvalue_from_shape_and_type([a.n, a.n], np.float32))
        sess.run_with_iobinding(io)
        Cm = io.get_outputs()[0].numpy()
        if not np.allclose(Cm[:4, :4], A[:4] @ B[:, :4], rtol=1e-4):
            raise SystemExit("onnxruntime MatMul gave a wrong result")
        out["onnxruntime"] = {"version": ort.__version__,
                              **_rate(lambda: sess.run_with_iobinding(io), a.n, a.warmup, a.iters)}
    except ImportError:
        pass
    rates = [v["gflops_best"] for k, v in out.items() if isinstance(v, dict)]
    out["peak_gflops"] = max(rates) if rates else None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
