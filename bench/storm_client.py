#!/usr/bin/env python3
"""A storm of oversized and hostile requests against a running server, for bench/storm.sh.

Threads (--clients) each send, for --seconds, a rotating mix of requests that each decode or make
as much as the server lets one request hold:
  oip_5x4096   OIP JSON, five BYTES 4096x4096 PNGs (84 M pixels: over the per-request cap)
  oip_4096     OIP JSON, one BYTES 4096x4096 PNG, depth as JSON text
  oip_4096_bin the same with binary outputs
  v1_4096      /v1 raw 4096x4096 PNG, depth as JSON with data
  fp32_2048    OIP binary extension, FP32 (1, 3, 2048, 2048) tensor (48 MiB body), depth binary
  good         OIP JSON, one 64x64 PNG
Prints one JSON object: counts of status codes per kind and the transport errors.
Standard library only.
"""
import argparse
import base64
import http.client
import json
import struct
import sys
import threading
import time
import zlib


def png(height, width):
    """A grey PNG that compresses to a few tens of kilobytes however large it is."""
    row = b"\x00" + bytes([128]) * (3 * width)
    raw = zlib.compress(row * height, 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def oip_bytes(files, task, extra=""):
    data = ",".join('"' + base64.b64encode(f).decode() + '"' for f in files)
    return ('{"parameters": {"task": "%s"%s}, "inputs": [{"name": "image", "datatype": "BYTES", '
            '"shape": [%d], "data": [%s]}]}' % (task, extra, len(files), data)).encode()


def fp32_binary(size, task):
    header = json.dumps({"parameters": {"task": task, "binary_data_output": True},
                         "inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 3, size, size],
                                     "parameters": {"binary_data_size": 12 * size * size}}]}).encode()
    return header, header + bytes(12 * size * size)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--task", default="depth")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--kinds", default="", help="comma-separated kinds to send (default: all)")
    a = p.parse_args()

    big = png(4096, 4096)
    fp_header, fp_body = fp32_binary(2048, a.task)
    infer = "/v2/models/%s/infer" % a.model
    kinds = [
        ("oip_5x4096", "POST", infer, oip_bytes([big] * 5, a.task), {"Content-Type": "application/json"}),
        ("oip_4096", "POST", infer, oip_bytes([big], a.task), {"Content-Type": "application/json"}),
        ("oip_4096_bin", "POST", infer, oip_bytes([big], a.task, ', "binary_data_output": true'),
         {"Content-Type": "application/json"}),
        ("v1_4096", "POST", "/v1/models/%s/predict?task=%s&include=data" % (a.model, a.task), big,
         {"Content-Type": "image/png", "Accept": "application/json"}),
        ("fp32_2048", "POST", infer, fp_body, {"Content-Type": "application/octet-stream",
                                               "Inference-Header-Content-Length": str(len(fp_header))}),
        ("good", "POST", infer, oip_bytes([png(64, 64)], a.task), {"Content-Type": "application/json"}),
    ]
    if a.kinds:
        kinds = [k for k in kinds if k[0] in a.kinds.split(",")]
    counts = {k[0]: {} for k in kinds}
    errors = {k[0]: 0 for k in kinds}
    lock = threading.Lock()
    end = time.time() + a.seconds

    def client(index):
        i = index
        while time.time() < end:
            name, method, path, body, headers = kinds[i % len(kinds)]
            i += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=120)
                c.request(method, path, body=body, headers=headers)
                r = c.getresponse()
                r.read()
                c.close()
                with lock:
                    counts[name][r.status] = counts[name].get(r.status, 0) + 1
                if r.status in (429, 503):
                    time.sleep(0.05)
            except Exception:  # noqa: BLE001 - a transport error is what is counted
                with lock:
                    errors[name] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump({"counts": {k: {str(s): n for s, n in v.items()} for k, v in counts.items()},
               "transport_errors": errors}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
