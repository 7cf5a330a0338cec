"""Percentiles, medians and the machine the figures came from."""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank: a value that was actually measured."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Latency:
    p50: float  # seconds
    p99: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Latency:
        return cls(statistics.median(samples), percentile(samples, 99), len(samples))


def time_each(items: Sequence[T], run: Callable[[T], object], warmup: int = 10) -> list[float]:
    """Seconds per item, after running the first few untimed so caches and lazy imports are warm."""
    for item in items[:warmup]:
        run(item)
    samples = []
    for item in items:
        start = time.perf_counter()
        run(item)
        samples.append(time.perf_counter() - start)
    return samples


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = f", load average {os.getloadavg()[0]:.1f} at the start" if hasattr(os, "getloadavg") else ""
    system = f"{platform.system()} {platform.release()}"
    return f"{cores} cores (nproc), {cpu}, Python {platform.python_version()}, {system}{busy}"
