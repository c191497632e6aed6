"""Update the layers of a network at the same time, one group of layers per thread.

Each layer's pulses touch only that layer's devices and draw from that layer's own random
streams (`derive_key(seed, layer)`), and its counters are its own. So the layers can be
updated in any order, or at once, and every state, weight and count is the same, bit for bit,
as when they are updated one after the other. The numba kernels release the GIL
(`nogil=True`), so plain threads run them on separate cores.

How many threads: the caller's count (`train(..., threads=N)`, `--threads`; a sweep passes
its workers' share of the cores), else `FERROSIM_THREADS` when set, else the cores this process
may use. Threads are only worth their hand-off (about 25 us) when a mini-batch carries enough
work, so batches smaller than `MIN_BATCH` run on one thread.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Callable

from ferrosim.errors import InputError

MIN_BATCH = 16
"""Smallest mini-batch updated on several threads. Measured (sgd, MNIST 784-256-128-10, 6,000
samples, best of 2, one thread vs two): batch 1 0.85 vs 1.93 s, batch 8 0.38 vs 0.44 s,
batch 16 0.28 vs 0.26 s, batch 32 0.19 vs 0.17 s."""

THREADS_ENV = "FERROSIM_THREADS"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def thread_count() -> int:
    """`FERROSIM_THREADS` if set (a positive integer), else `available_cores()`."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return available_cores()
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise InputError(f"{THREADS_ENV}={raw!r}: not a positive integer", hint=f"unset it or set e.g. {THREADS_ENV}=2")
    return n


def check_threads(threads: int | None) -> None:
    """`--threads`, or $FERROSIM_THREADS when it is left out, as an InputError before any work."""
    if threads is None:
        thread_count()  # a bad $FERROSIM_THREADS is one error line, before anything is printed
    elif threads < 1:
        raise InputError(f"--threads must be at least 1, got {threads}")


def layer_cost(n_out: int, n_in: int) -> int:
    """Rough relative time of one layer's pulse update per sample: random draws for each
    input and each row (a row also seeds its stream), which dominate the pulses themselves."""
    return n_in + 2 * n_out


def partition(costs: list[int], groups: int) -> list[list[int]]:
    """Layer indices in at most `groups` groups of similar total cost (largest first, each to
    the lightest group), each group in index order. Empty groups are dropped."""
    bins: list[list[int]] = [[] for _ in range(max(1, min(groups, len(costs))))]
    load = [0] * len(bins)
    for k in sorted(range(len(costs)), key=lambda k: (-costs[k], k)):
        b = min(range(len(bins)), key=lambda b: (load[b], b))
        bins[b].append(k)
        load[b] += costs[k]
    return [sorted(b) for b in bins if b]


@lru_cache(maxsize=None)
def _executor(workers: int) -> ThreadPoolExecutor:
    # One pool per size for the whole process, reused by every run (threads are cheap to keep).
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ferrosim-layer")


class LayerThreads:
    """Runs `job(k)` for every layer k, spread over up to `threads` threads."""

    def __init__(self, shapes: list[tuple[int, int]], threads: int | None = None) -> None:
        self.threads = thread_count() if threads is None else max(1, int(threads))
        self.groups = partition([layer_cost(*s) for s in shapes], self.threads)
        self._n = len(shapes)

    @property
    def parallel(self) -> bool:
        return len(self.groups) > 1

    def run(self, job: Callable[[int], None], batch: int) -> None:
        """`job(k)` for each layer: at once when `batch >= MIN_BATCH`, else in layer order."""
        if not self.parallel or batch < MIN_BATCH:
            for k in range(self._n):
                job(k)
            return
        pool = _executor(len(self.groups) - 1)
        futures = [pool.submit(_run_group, job, g) for g in self.groups[1:]]
        try:
            _run_group(job, self.groups[0])  # the calling thread does the first group itself
        finally:
            for f in futures:
                f.result()  # waits for all, and re-raises a worker's exception here


def _run_group(job: Callable[[int], None], group: list[int]) -> None:
    for k in group:
        job(k)
