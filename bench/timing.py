"""The benchmarks' one way to time a piece of work: the best of several runs (the least disturbed by the machine)."""

from __future__ import annotations

import time


def best(fn, repeat: int) -> float:
    """Seconds of the fastest of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)
