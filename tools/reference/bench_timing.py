"""The timing loop every Python benchmark here shares: warm-up calls, then timed calls, summarised
as median, p90 (round-half-even index, as ForwardBenchmark does) and min, in milliseconds."""

import statistics
import time


def time_calls(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return {"median": round(statistics.median(times), 3), "p90": round(p90, 3),
            "min": round(times[0], 3)}
