"""One sweep from config to summary: what `ferrosim sweep` and `ferrosim.sweep()` both do.

`SweepSession(config, ...)` reads and checks everything (config, overrides, shard, results
folder) and writes nothing; `begin()` creates the folder, records sweep.yaml and re-prices
complete runs whose energy settings changed; `execute()` trains what is left and writes
summary.csv, also when interrupted (then the KeyboardInterrupt goes on to the caller).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from ferrosim.errors import InputError


def parse_shard(shard: str | tuple[int, int] | None, option: str = "--shard") -> tuple[int, int]:
    """`"2/8"` or `(2, 8)` as (index, count), 1-based; None is the whole sweep (1, 1)."""
    if shard is None:
        return 1, 1
    if isinstance(shard, tuple):
        i, n = shard
    else:
        try:
            i, n = (int(x) for x in str(shard).split("/"))
        except ValueError:
            raise InputError(f"{option} {shard}: expected I/N, e.g. 2/8") from None
    if not 1 <= i <= n:
        raise InputError(f"{option} {shard}: I must be between 1 and N")
    return i, n


def check_execution(executor: str, workers: int | None, threads: int | None) -> None:
    """The executor, worker count and threads of a sweep, as an InputError before any work."""
    from ferrosim.training.layer_threads import check_threads

    if executor not in ("local", "dask"):
        raise InputError(f"--executor {executor}: choose local or dask")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    check_threads(threads)


@dataclass
class SweepResult:
    """What one `ferrosim.sweep()` call did."""

    out: Path
    summary: pd.DataFrame
    """summary.csv: one row per complete run in the folder (this call's and earlier ones)."""
    trained: int
    skipped: int
    repriced: int
    failed: list[str] = field(default_factory=list)
    """Run ids that failed (each folder holds failed.json); the others are in `summary`."""


class SweepSession:
    """A checked sweep: `plan`, `out`, this shard's `runs` and the `todo` among them."""

    def __init__(self, config: str | Path, overrides: list[str] | tuple[str, ...] = (), out: str | Path | None = None,
                 shard: str | tuple[int, int] | None = None, force: bool = False, merge: bool = False):
        from ferrosim.io.atomic import check_output_dir
        from ferrosim.sweeps.plan import load_plan
        from ferrosim.sweeps.runner import check_results_folder, pending_runs

        self.config = Path(config)
        self.index, self.count = parse_shard(shard)
        self.plan = load_plan(self.config, list(overrides))
        gc.freeze()  # the plan lives as long as the sweep: later collections need not rescan it
        self.out = Path(out) if out is not None else Path("results") / self.plan.name
        check_output_dir(self.out, "--out")
        check_results_folder(self.plan, self.out, merge)
        self.runs = self.plan.runs if self.count == 1 else self.plan.shard(self.index, self.count)
        self.todo = pending_runs(self.runs, self.out, force)
        self.failed: list[str] = []
        self.finished = 0

    @property
    def skipped(self) -> int:
        return len(self.runs) - len(self.todo)

    def begin(self) -> int:
        """Create the folder, record sweep.yaml, re-price complete runs; the number re-priced."""
        from ferrosim.sweeps.outputs import reprice_complete
        from ferrosim.sweeps.runner import write_sweep_yaml

        self.out.mkdir(parents=True, exist_ok=True)
        write_sweep_yaml(self.plan, self.out)
        pending = {r.run_id for r in self.todo}
        return sum(reprice_complete(r, self.out) for r in self.runs if r.run_id not in pending)

    def execute(self, *, workers: int | None = None, executor: str = "local", scheduler: str | None = None,
                threads: int | None = None, on_done: Callable | None = None,
                on_epoch: Callable | None = None) -> pd.DataFrame:
        """Train the pending runs; summary.csv (also written when interrupted, before re-raising).

        `on_done(outcome, run)` sees each finished run, `on_epoch(EpochEvent)` each epoch of a
        running one (not under dask). Failed run ids collect in `self.failed`. The options are
        checked by `check_execution`, which callers run before `begin()` writes anything.
        """
        from ferrosim.sweeps.outputs import write_summary
        from ferrosim.sweeps.runner import execute
        from ferrosim.training.layer_threads import available_cores

        def done(outcome, run) -> None:
            self.finished += 1
            if not outcome.ok:
                self.failed.append(run.run_id)
            if on_done is not None:
                on_done(outcome, run)

        try:
            execute(self.todo, self.out, workers=workers or available_cores(), executor=executor,
                    scheduler=scheduler, on_done=done, threads=threads, on_epoch=on_epoch)
        except KeyboardInterrupt:
            write_summary(self.out)
            raise
        return write_summary(self.out)


__all__ = ["SweepResult", "SweepSession", "check_execution", "parse_shard"]
