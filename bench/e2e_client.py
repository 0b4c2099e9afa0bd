"""One closed-loop client for bench/e2e.sh: Open Inference Protocol REST with the binary tensor
extension over one keep-alive connection, a fixed random UINT8 image, nothing else running in the
client, so that its own cost on a shared machine stays small. Prints one JSON line: p50/p90/min of
the round trips after the warm-up ones.

    python3 bench/e2e_client.py --port 8080 --model NAME --size 224 --task semseg --requests 150 --warmup 10
"""

import argparse
import http.client
import json
import os
import statistics
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--task", default="semseg")
    ap.add_argument("--requests", type=int, default=150)
    ap.add_argument("--warmup", type=int, default=10)
    a = ap.parse_args()
    rgb = os.urandom(a.size * a.size * 3)
    header = json.dumps({"parameters": {"task": a.task, "binary_data_output": True},
                         "inputs": [{"name": "image", "datatype": "UINT8", "shape": [1, a.size, a.size, 3],
                                     "parameters": {"binary_data_size": len(rgb)}}]}).encode()
    body = header + rgb
    headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}
    conn = http.client.HTTPConnection("127.0.0.1", a.port)
    times = []
    for i in range(a.warmup + a.requests):
        t0 = time.perf_counter()
        conn.request("POST", "/v2/models/%s/infer" % a.model, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise SystemExit("HTTP %d: %s" % (resp.status, data[:300]))
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    print(json.dumps({"requests": len(times), "p50": round(statistics.median(times), 3),
                      "p90": round(times[int(round(0.9 * (len(times) - 1)))], 3), "min": round(times[0], 3)}))


if __name__ == "__main__":
    main()
