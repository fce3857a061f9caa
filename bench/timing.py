"""Shared by the benchmarks: the median time of a call, in milliseconds."""
from __future__ import annotations

import gc
import statistics
import time


def median_ms(fn, repeat: int = 1, warmup: int = 0, collect: bool = False) -> float:
    """Median of `repeat` timed calls after `warmup` untimed ones (gc.collect() before each if `collect`)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        if collect:
            gc.collect()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
