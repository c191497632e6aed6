"""How long a sweep will take, from a short calibration on this machine (`sweep --dry-run`).

The runs are grouped by what sets the cost of a sample-update (algorithm, layer sizes, batch
size, data and analog periphery). For each group, one of its runs is trained in memory for a
few hundred samples to a few thousand (about a third of a second), on as many layer-update
threads as a sweep worker would use:
- one mini-batch, first: this compiles the numba kernels (or loads them from numba's cache);
- the same again: the run's set-up time;
- n_a then n_b samples: the slope is the time of one sample-update;
- one mini-batch with the run's test set: beyond the set-up, the per-epoch test evaluation.
Each timing but the first is the best of 3 when under 0.1 s (other jobs only ever add time);
the test set is left out of all but the last (its time would drown the slope in noise).
A run then takes `setup + epochs * (samples * slope + evaluation)`; the runs are dealt to the
workers in plan order, as the pool does, each worker paying the kernels' first use once; the
estimate is the time its last worker finishes. Each worker first starts (`WORKER_START_S`,
measured: spawning it and importing numpy, numba and ferrosim), loads the data (timed here) and
compiles or loads the kernels (timed here). Other jobs on the same cores are not in it.

A run whose cost changes as it learns (the Tiki-Taka presets fire most of their pulses in their
first samples) fools that calibration, so finished runs in the results folder come first: a run
with a finished seed sibling takes its time (`measured_siblings`), one with a finished run of its
kind at other settings, e.g. another pulse width, that run's time per sample-update
(`measured_kind`); only the rest are calibrated.

Nothing is written: the calibration trains on copies of the runs' configs and keeps no result.
Groups left when `budget_s` is spent are scaled from a calibrated group (same algorithm when
there is one) by their number of weights.
"""

from __future__ import annotations

import heapq
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ferrosim.config import RunConfig
from ferrosim.sweeps.plan import PRICING_DEVICE_KEYS, PlannedRun

TARGET_S = 0.3
"""About how long the longer calibration run of a group trains."""
BUDGET_S = 5.0
"""Calibration time after which the remaining groups are scaled, not trained."""
WORKER_START_S = 0.8
"""Start of a pool worker: spawn, then import numpy, numba and ferrosim (0.7 s measured on a
2-core Linux VM, Python 3.11)."""


@dataclass(frozen=True)
class Calibration:
    label: str  # `sgd 784-256-128-10 batch 64`
    sample_s: float  # one sample-update (forward, backward, update)
    eval_s: float  # per epoch beyond its sample-updates (the test-set evaluation)
    setup_s: float  # per run (network, devices, streams)
    first_use_s: float  # the first run in a process: numba compiles or loads its kernels
    measured: bool = True  # False: scaled from another group (calibration budget spent)
    n_weights: int = 0

    def run_s(self, epochs: int, samples: int) -> float:
        return self.setup_s + epochs * (samples * self.sample_s + self.eval_s)


@dataclass(frozen=True)
class Estimate:
    wall_s: float  # when the last worker finishes
    workers: int
    sample_updates: int
    heaviest: Calibration | None  # the group with the most estimated time (None: every run's time was known)
    groups: dict[tuple, Calibration]
    first_use_s: float  # per worker, included in wall_s
    start_s: float  # per worker before its first run (start, data, kernels), included in wall_s
    calibration_s: float  # what the calibration itself took
    work_s: float  # the runs' time on one worker, without the kernels' first use
    known: int = 0  # runs whose time came from finished runs differing only in the seed


def samples_per_epoch(runs: list[PlannedRun], load_s: dict[tuple, float] | None = None) -> dict[str, int]:
    """Training samples per epoch of each run (loads each data set once; into `load_s`, the
    seconds each load took, when this process had not loaded it yet)."""
    from ferrosim.io.datasets import load_dataset

    sizes: dict[tuple, int] = {}
    out = {}
    for r in runs:
        key = (r.config.dataset.name, r.config.dataset.data_dir)
        if key not in sizes:
            t0 = time.perf_counter()
            sizes[key] = len(load_dataset(*key).y_train)
            if load_s is not None:
                load_s[key] = time.perf_counter() - t0
        out[r.run_id] = min(sizes[key], r.config.dataset.train_subset or sizes[key])
    return out


def cost_key(run: PlannedRun) -> tuple:
    """What sets the time of one sample-update of `run` (not the seed, lr, pulse width ...)."""
    return config_cost_key(run.config)


def config_cost_key(c: RunConfig) -> tuple:
    """`cost_key` of a run configuration."""
    io = None if c.algorithm == "ideal" else c.io.model_dump_json()  # a str: quick to hash and compare
    return (c.algorithm, c.dataset.name, c.dataset.data_dir, c.dataset.test_subset, tuple(c.network.hidden),
            c.network.activation, c.network.digital_bias, c.training.batch_size, io)


def seed_sibling_key(config: dict) -> str:
    """A run's configuration (`model_dump(mode="json")`, as run.json stores it) without its seed
    and its pricing: runs that share it differ only in their random draws, so a finished one's
    time is the best guess of the others' (`measured_siblings`). The energy model and the
    device's pricing facts are left out because `ferrosim energy` rewrites them in run.json
    without training again."""
    cfg = dict(config)
    cfg.pop("seed", None)
    cfg.pop("energy", None)
    cfg["device"] = {k: v for k, v in (cfg.get("device") or {}).items() if k not in PRICING_DEVICE_KEYS}
    return json.dumps(cfg, sort_keys=True, default=str)


class FinishedRun(NamedTuple):
    """A finished run in a results folder, as the estimate uses it."""

    config: dict  # run.json's config, as stored
    wall_s: float
    run_config: RunConfig  # the same, checked
    n_train: int  # training samples per epoch


def finished_times(out: Path) -> list[FinishedRun]:
    """Every finished run in the results folder `out`, in this plan or not (a finished run's time
    beats a calibration; seed 0 may have run under another `--set`). A run.json that cannot be
    read is left out: its runs are calibrated like the others."""
    from ferrosim.errors import InputError
    from ferrosim.sweeps.run_files import read_checked_run

    found = []
    for path in sorted(out.glob("runs/*/run.json")) if out.is_dir() else []:
        try:
            record, checked = read_checked_run(path)
        except InputError:
            continue
        found.append(FinishedRun(record["config"], checked.summary.wall_s, checked.config, checked.info.n_train))
    return found


def measured_siblings(done: list[tuple], todo: list[PlannedRun]) -> dict[str, float]:
    """run_id -> seconds for the runs of `todo` that have finished runs (`done`: each a stored
    configuration with its measured wall time) differing only in the seed: the mean of those
    times. Pulse-heavy runs slow down or speed up as they learn (the Tiki-Taka presets fire most
    pulses early), which a calibration on a run's first samples cannot see; a finished seed can."""
    times: dict[str, list[float]] = {}
    for config, seconds, *_ in done:
        times.setdefault(seed_sibling_key(config), []).append(seconds)
    out = {}
    for run in todo:
        got = times.get(seed_sibling_key(run.config.model_dump(mode="json")))
        if got:
            out[run.run_id] = sum(got) / len(got)
    return out


def measured_kind(done: list[FinishedRun], todo: list[PlannedRun], samples: dict[str, int]) -> dict[str, float]:
    """run_id -> seconds for the runs of `todo` whose kind (`cost_key`: algorithm, layer sizes,
    batch size, data, periphery) has finished runs in `done` at other settings, e.g. another
    pulse width:
    their mean time per sample-update (wall time over epochs x samples, set-up and test
    evaluation included) times the run's sample-updates. Runs whose cost changes as they learn
    (the Tiki-Taka presets fire most of their pulses in their first samples) fool a calibration
    several times over; a finished run of the same kind has seen the whole run. `samples`: the
    training samples per epoch of each run of `todo` (`samples_per_epoch`)."""
    rates: dict[tuple, list[float]] = {}
    for run in done:
        cfg = run.run_config
        rates.setdefault(config_cost_key(cfg), []).append(run.wall_s / (cfg.training.epochs * run.n_train))
    out = {}
    for run in todo:
        got = rates.get(cost_key(run))
        if got:
            out[run.run_id] = sum(got) / len(got) * run.config.training.epochs * samples[run.run_id]
    return out


def estimate(runs: list[PlannedRun], workers: int, threads: int | None = None, *, pool: bool = True,
             samples: dict[str, int] | None = None, data_load_s: float | None = None,
             budget_s: float = BUDGET_S, known: dict[str, float] | None = None) -> Estimate:
    """Calibrate the groups of `runs` and deal the runs to `workers`, in a pool of worker processes
    (`pool`) or in this process. `threads`: layer-update threads of each run, as the sweep will
    give them (None: train's default). `samples` and `data_load_s`: `samples_per_epoch` of the
    runs and what loading their data took, when they were found before (this process then has
    the data in memory). `known`: run_id -> seconds of runs whose time is known already
    (`measured_siblings`); they are not calibrated."""
    t_start = time.perf_counter()
    known = known or {}
    if samples is None or data_load_s is None:
        loads: dict[tuple, float] = {}
        samples = samples_per_epoch(runs, loads)
        data_load_s = sum(loads.values())
    keys = [cost_key(r) for r in runs]
    by_key: dict[tuple, list[PlannedRun]] = {}
    for k, r in zip(keys, runs):
        if r.run_id not in known:
            by_key.setdefault(k, []).append(r)
    # heaviest first (sample-updates x weights), so that a spent budget scales only light groups
    weights = {k: _n_weights(rs[0]) for k, rs in by_key.items()}
    order = sorted(by_key, key=lambda k: -weights[k] * sum(r.config.training.epochs * samples[r.run_id]
                                                              for r in by_key[k]))
    groups: dict[tuple, Calibration] = {}
    for k in order:
        if groups and time.perf_counter() - t_start > budget_s:
            groups[k] = _scaled(k, weights[k], groups)
        else:
            groups[k] = calibrate(by_key[k][0], samples[by_key[k][0].run_id], threads)
    first_use = sum(g.first_use_s for g in groups.values())
    per_run = [known[r.run_id] if r.run_id in known else groups[k].run_s(r.config.training.epochs, samples[r.run_id])
               for k, r in zip(keys, runs)]
    workers = max(1, min(workers, len(runs)))
    group_s: dict[tuple, float] = {}
    for k, r, seconds in zip(keys, runs, per_run):
        if r.run_id not in known:
            group_s[k] = group_s.get(k, 0.0) + seconds
    start = (WORKER_START_S if pool else 0.0) + data_load_s + first_use
    return Estimate(wall_s=makespan(per_run, workers, start), workers=workers,
                    sample_updates=sum(samples[r.run_id] * r.config.training.epochs for r in runs),
                    heaviest=groups[max(group_s, key=group_s.get)] if group_s else None, groups=groups,
                    first_use_s=first_use, start_s=start, calibration_s=time.perf_counter() - t_start,
                    work_s=sum(per_run), known=sum(1 for r in runs if r.run_id in known))


def makespan(durations: list[float], workers: int, start_s: float = 0.0) -> float:
    """When the last of `workers` finishes `durations` (in order, each to the first worker free,
    as the pool hands them out), each worker taking `start_s` before its first run."""
    free = [start_s] * max(1, workers)
    for seconds in durations:
        heapq.heappush(free, heapq.heappop(free) + seconds)
    return max(free)


def calibrate(run: PlannedRun, samples: int, threads: int | None) -> Calibration:
    """Time `run`'s network on its data for a few hundred samples or more (see the module doc)."""
    from ferrosim.io.datasets import load_dataset
    from ferrosim.training.loop import train

    cfg = run.config
    data = load_dataset(cfg.dataset.name, cfg.dataset.data_dir)
    bs = cfg.training.batch_size

    def timed(n: int, test: int | None, best_of: int = 1) -> float:
        """Seconds to train `n` samples for one epoch: the best of `best_of` tries when they are
        short, under 0.1 s (other processes on the cores only ever add time)."""
        sub = cfg.model_copy(update={
            "dataset": cfg.dataset.model_copy(update={"train_subset": n, "test_subset": test}),
            "training": cfg.training.model_copy(update={"epochs": 1})})
        best = float("inf")
        for k in range(best_of):
            t0 = time.perf_counter()
            train(sub, dataset=data, threads=threads)
            best = min(best, time.perf_counter() - t0)
            if best > 0.1:  # long enough for noise not to matter
                break
        return best

    few = max(1, min(samples, bs))
    first = timed(few, 1)
    setup = timed(few, 1, 3)
    n_a = min(samples, max(2 * bs, 64))
    t_a = timed(n_a, 1, 3)
    rate = max(t_a - setup, 1e-6) / max(1, n_a - few)
    n_b = min(samples, max(2 * n_a, round(TARGET_S / rate)))
    if n_b > n_a:
        t_b = timed(n_b, 1, 3)
        slope = sample_slope(setup, n_a, t_a, n_b, t_b)
    else:
        slope = sample_slope(setup, 0, setup, n_a, t_a)
    eval_s = max(0.0, timed(few, cfg.dataset.test_subset, 3) - setup)
    return Calibration(_label(run, data), slope, eval_s, setup, max(0.0, first - setup), True, _n_weights(run, data))


def sample_slope(setup: float, n_a: int, t_a: float, n_b: int, t_b: float) -> float:
    """Seconds per sample-update from two timed trainings (n_a samples in t_a, n_b > n_a in t_b)
    and the set-up time: their slope, at least half the per-sample time of the longer one beyond
    the set-up (timing noise on a busy machine). When noise makes even that zero or negative (a
    longer training timed shorter than the set-up), the longer training's whole time per sample
    stands for it, an overestimate: a negative time per sample-update was printed and summed
    (issue 27, problem 25)."""
    slope = max((t_b - t_a) / (n_b - n_a), 0.5 * (t_b - setup) / n_b)
    return slope if slope > 0 else max(t_b / n_b, 1e-9)


def _scaled(key: tuple, n_weights: int, groups: dict[tuple, Calibration]) -> Calibration:
    measured = [g for k, g in groups.items() if g.measured]
    same = [g for k, g in groups.items() if g.measured and k[0] == key[0]]
    ref = (same or measured)[0]
    f = n_weights / max(1, ref.n_weights)
    return Calibration(f"{key[0]} (scaled)", ref.sample_s * f, ref.eval_s * f, ref.setup_s, 0.0, False, n_weights)


def _sizes(run: PlannedRun, data=None) -> list[int]:
    if data is None:
        from ferrosim.io.datasets import load_dataset

        data = load_dataset(run.config.dataset.name, run.config.dataset.data_dir)
    return [data.x_train.shape[1], *run.config.network.hidden, data.n_classes]


def _n_weights(run: PlannedRun, data=None) -> int:
    sizes = _sizes(run, data)
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


def _label(run: PlannedRun, data) -> str:
    return f"{run.config.algorithm} {'-'.join(map(str, _sizes(run, data)))} batch {run.config.training.batch_size}"


def duration(seconds: float) -> str:
    """`~40 s`, `~6 min`, `~2.5 h`: the precision an estimate has."""
    if seconds < 90:
        return f"~{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"~{round(seconds / 60)} min"
    return f"~{seconds / 3600:.1f} h"


def micro(seconds: float, encoding: str | None = None) -> str:
    """`41 µs` (`41 us` where the output cannot encode µ)."""
    unit = "µs"
    try:
        unit.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        unit = "us"
    return f"{seconds * 1e6:.3g} {unit}"


__all__ = ["BUDGET_S", "Calibration", "Estimate", "calibrate", "config_cost_key", "cost_key", "duration", "estimate",
           "FinishedRun", "finished_times", "makespan", "measured_kind", "measured_siblings", "micro", "sample_slope",
           "samples_per_epoch", "seed_sibling_key"]
