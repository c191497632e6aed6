"""Run a sweep plan: skip finished runs, execute the rest locally or on dask, write outputs.

Every run is trained by `run_one`, which writes its own `epochs.csv` and then, atomically and
last, its `run.json`; the parent only schedules, reports progress and rebuilds summary.csv.
So a killed sweep loses at most the runs in flight, any executor can run a run, and shards
that share a folder merge by themselves.

Progress from inside a run: `execute(..., on_epoch=...)` sees an `EpochEvent` when each run
starts (epoch 0) and after each of its epochs, in order, before that run's outcome. In-process
the training loop calls it directly; pool workers send the events through one pipe
(`multiprocessing.SimpleQueue`, handed to each worker when it starts), which the parent reads
between completions. Under dask no epoch events are sent (only outcomes). Reporting reads
figures the loop has already computed, so it changes no number.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import yaml

from ferrosim.version import package_version
from ferrosim.sweeps.outputs import atomic_write, is_complete, run_dir, summary_row
from ferrosim.sweeps.plan import PlannedRun, SweepPlan
from ferrosim.training.layer_threads import THREADS_ENV, available_cores

SINGLE_THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                     "MKL_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


@dataclass
class RunOutcome:
    run_id: str
    ok: bool
    summary: dict | None = None
    error: str | None = None
    wall_s: float = 0.0
    n_train: int | None = None  # training samples per epoch (None when the data did not load)


@dataclass(frozen=True)
class EpochEvent:
    """A run's progress: `epoch` 0 when it starts (data loaded, nothing trained yet), then 1..`epochs`."""

    run_id: str
    epoch: int
    epochs: int
    test_accuracy: float | None  # after this epoch (None at epoch 0)
    n_train: int  # training samples per epoch
    wall_s: float  # since the run started


@dataclass
class SweepOutcome:
    total: int
    skipped: int
    finished: list[RunOutcome] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failed(self) -> list[RunOutcome]:
        return [o for o in self.finished if not o.ok]


def run_one(run: PlannedRun, out: str, threads: int | None = None,
            report: Callable[[EpochEvent], None] | None = None) -> RunOutcome:
    """Train one run and write its files (runs in a worker process or on a dask worker).
    `threads`: layer-update threads of the run (see `train`); never changes its numbers.
    `report` sees the run's `EpochEvent`s; it only reads, and if it raises an Exception, reporting
    stops for this run and the run goes on (a display must not fail a run)."""
    from threadpoolctl import threadpool_limits

    from ferrosim.io.datasets import load_dataset
    from ferrosim.training.loop import train

    folder = run_dir(Path(out), run.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    n_train = None
    try:
        with threadpool_limits(1):  # no BLAS threads beside the workers (train pins BLAS too)
            cfg = run.config
            data = load_dataset(cfg.dataset.name, cfg.dataset.data_dir)
            n_train = len(data.y_train[: cfg.dataset.train_subset])  # as train's subset
            on_epoch = None if report is None else _epoch_reporter(run, n_train, t0, report)
            result = train(cfg, dataset=data, threads=threads, on_epoch=on_epoch)
        atomic_write(folder / "epochs.csv", result.to_frame().to_csv(index=False, float_format="%.10g"))
        row = summary_row(result, run.run_id, run.axes)
        record = {
            "run_id": run.run_id, "ferrosim_version": package_version(), "axes": run.axes,
            "config": cfg.model_dump(mode="json"), "info": _jsonable(result.info), "summary": row,
        }
        (folder / "failed.json").unlink(missing_ok=True)
        atomic_write(folder / "run.json", json.dumps(record, indent=1, sort_keys=False))
        return RunOutcome(run.run_id, True, summary=row, wall_s=time.perf_counter() - t0, n_train=n_train)
    except Exception as exc:  # noqa: BLE001 - a crashed run is recorded and the sweep goes on
        msg = " ".join(str(exc).split()) or type(exc).__name__
        error = f"{type(exc).__name__}: {msg}"
        _record_failure(folder, run.run_id, error, traceback.format_exc())
        return RunOutcome(run.run_id, False, error=error, wall_s=time.perf_counter() - t0, n_train=n_train)


def _record_failure(folder: Path, run_id: str, error: str, trace: str | None) -> None:
    """A failed run's failed.json (its error, and the traceback when there is one), which the
    summary and `ferrosim report` read and the next sweep retries."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "failed.json", json.dumps({"run_id": run_id, "error": error, "traceback": trace},
                                                        indent=1))
    except OSError:
        pass  # e.g. the disk is full: the outcome still carries the error


def _epoch_reporter(run: PlannedRun, n_train: int, t0: float, report: Callable[[EpochEvent], None]):
    """Send the start event now and return the `on_epoch` of `train` that sends the others."""
    epochs = run.config.training.epochs
    live = [True]

    def send(epoch: int, accuracy: float | None) -> None:
        if live[0]:
            try:
                report(EpochEvent(run.run_id, epoch, epochs, accuracy, n_train, time.perf_counter() - t0))
            except Exception:  # noqa: BLE001 - see run_one: progress is display only
                live[0] = False

    send(0, None)
    return lambda record: send(record.epoch, float(record.test_accuracy))


def _jsonable(info: dict) -> dict:
    return json.loads(json.dumps(info, default=lambda o: o.item() if hasattr(o, "item") else str(o)))


def check_results_folder(plan: SweepPlan, out: Path, merge: bool = False) -> None:
    """Refuse a results folder that holds another sweep: a different name, or the same name
    with other settings that change numbers (`fixed_settings`), since its report would
    average runs of both without a word. Edited sweep lists are fine (more seeds, widths,
    algorithms: finished runs with unchanged parameters are reused); so are other `energy:`
    settings (re-priced, not retrained). `merge` accepts other settings on purpose."""
    path = out / "sweep.yaml"
    if not path.is_file():
        return
    from ferrosim.errors import InputError
    from ferrosim.io.yaml_source import load_yaml

    try:
        old = load_yaml(path)[0] or {}
    except InputError as exc:
        raise InputError(f"unreadable sweep.yaml in the results folder: {exc.what}", file=path, line=exc.line,
                         hint="choose another --out or remove the folder") from None
    if not isinstance(old, dict) or old.get("name") != plan.name:
        other = old.get("name") if isinstance(old, dict) else None
        raise InputError(f"results folder {out} holds sweep '{other}', not '{plan.name}'",
                         file=path, hint="choose another --out (or rename the sweep)")
    old_config = old.get("config")
    if merge or not isinstance(old_config, dict):
        return
    (before, swept_before), (now, swept_now) = fixed_settings(old_config), fixed_settings(plan.raw)
    swept = swept_before | swept_now  # a key swept in either (a list that became one value is an edited list)
    changed = sorted(k for k in (before.keys() | now.keys()) - swept if before.get(k, _UNSET) != now.get(k, _UNSET))
    if changed:
        shown = "; ".join(f"{k} {_shown(before.get(k, _UNSET))} -> {_shown(now.get(k, _UNSET))}" for k in changed[:4])
        more = f" and {len(changed) - 4} more" if len(changed) > 4 else ""
        raise InputError(f"results folder {out} holds sweep '{plan.name}' with other settings: {shown}{more}",
                         file=path, hint="choose another --out, or --merge to add these runs to it on purpose")


_UNSET = object()


def _shown(value: Any) -> str:
    return "(unset)" if value is _UNSET else json.dumps(value, default=str)


def fixed_settings(raw: dict) -> tuple[dict[str, Any], set[str]]:
    """The settings of a sweep config that change its runs' numbers, as dotted keys, without
    the name, the energy model (re-priced, never retrained) and where the data lie; and the
    keys it sweeps (under `sweep:`, or a list in place of one value: `swept_in_place`)."""
    from ferrosim.sweeps.plan import SWEEP_ALIASES, canonical_width, leaves, swept_in_place

    out: dict[str, Any] = {}
    swept = {SWEEP_ALIASES.get(k, str(k)) for k in (raw.get("sweep") or {})}
    for loc, value in leaves({k: v for k, v in raw.items() if k not in ("name", "sweep", "energy")}):
        dotted = ".".join(map(str, loc))
        if swept_in_place(loc, value):
            swept.add(dotted)
        else:
            out[dotted] = value
    out.pop("dataset.data_dir", None)
    if "device.pulse_width" in out:  # one width however it is written (`20 ns` = `20ns`)
        out["device.pulse_width"] = canonical_width(out["device.pulse_width"])
    return out, swept


def write_sweep_yaml(plan: SweepPlan, out: Path) -> None:
    """sweep.yaml: the resolved config and provenance; rewritten only when the config changed."""
    path = out / "sweep.yaml"
    body = {"name": plan.name, "config_file": str(plan.source), "config": plan.raw,
            "runs": len(plan.runs), "ferrosim_version": package_version(), "git_commit": _git_commit(),
            "energy": _energy_record(plan)}
    if path.is_file():
        from ferrosim.errors import InputError
        from ferrosim.io.yaml_source import load_yaml

        try:
            old = load_yaml(path)[0]
            if isinstance(old, dict) and {k: old.get(k) for k in body} == body:
                return
        except InputError:
            pass  # rewritten below
    body["started_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    atomic_write(path, yaml.safe_dump(body, sort_keys=False))


def _energy_record(plan: SweepPlan) -> dict:
    """The energy model of the sweep: every setting (defaults included) and the models it resolved
    to for the sweep's devices (central and upper; lower is always capacitive + read conduction)."""
    device_runs = [r for r in plan.runs if r.config.algorithm != "ideal"]
    if not device_runs:
        return {"settings": None, "central_models": [], "upper_models": []}
    plans = [r.config.energy_plan() for r in device_runs]
    return {"settings": device_runs[0].config.energy.model_dump(mode="json"),
            "central_models": sorted({p.name for p in plans}),
            "upper_models": sorted({p.upper_name for p in plans if p.upper_name})}


def _git_commit() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        return proc.stdout.strip() or None if proc.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def pending_runs(runs: list[PlannedRun], out: Path, force: bool) -> list[PlannedRun]:
    return list(runs) if force else [r for r in runs if not is_complete(out, r.run_id)]


def execute(runs: list[PlannedRun], out: Path, *, workers: int = 1, executor: str = "local",
            scheduler: str | None = None, on_done: Callable[[RunOutcome, PlannedRun], None] | None = None,
            threads: int | None = None, on_epoch: Callable[[EpochEvent], None] | None = None) -> list[RunOutcome]:
    """Run `runs`; `on_done` sees each outcome as it arrives. KeyboardInterrupt propagates after
    the executor is shut down (runs in flight are lost; finished ones are on disk).
    `threads`: layer-update threads per run (None: $FERROSIM_THREADS, else the cores shared
    out among the local workers, or 1 under dask).
    `on_epoch` sees every `EpochEvent` of each run, in order, before its outcome reaches
    `on_done`; both are called in this thread. Not under dask (outcomes only)."""
    by_id = {r.run_id: r for r in runs}
    done: list[RunOutcome] = []

    def finish(outcome: RunOutcome) -> None:
        done.append(outcome)
        if on_done is not None:
            on_done(outcome, by_id[outcome.run_id])

    if executor == "dask":
        _execute_dask(runs, out, scheduler, finish, threads)
    elif workers <= 1 or len(runs) <= 1:
        for run in runs:
            finish(run_one(run, str(out), threads, on_epoch))
    else:
        _execute_pool(runs, out, workers, finish, threads, on_epoch)
    return done


def pool_threads(workers: int, threads: int | None) -> int | None:
    """Layer-update threads of each run in a pool of `workers`: `threads` if given, else
    $FERROSIM_THREADS (None: `train` reads it), else the cores shared out among the workers."""
    if threads is None and not os.environ.get(THREADS_ENV):
        return max(1, available_cores() // workers)
    return threads


_PROGRESS = None
"""In a pool worker: the pipe to the parent for EpochEvents (set by `_worker_init`), or None."""


def _run_pooled(run: PlannedRun, out: str, threads: int | None) -> RunOutcome:
    """`run_one` in a pool worker, its epoch events sent to the parent when it listens."""
    return run_one(run, out, threads, None if _PROGRESS is None else _PROGRESS.put)


def _worker_init(parent: int, progress=None) -> None:
    """Set-up of each pool worker: keeps the `progress` pipe to the parent (or None), Ctrl-C is
    the parent's to handle, and the worker dies with its parent. A SIGKILL or SIGTERM of the
    parent runs no clean-up, so each worker watches for itself: on Linux the kernel sends it
    SIGKILL when the parent goes (PR_SET_PDEATHSIG), and everywhere a daemon thread checks every
    half second that its parent is still the one that started it (orphans are re-parented)."""
    import signal
    import threading
    import time

    global _PROGRESS
    _PROGRESS = progress
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent went before the line above took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="ferrosim-parent-watch", daemon=True).start()


LOST_WORKER_RETRIES = 1
"""How often a run whose worker process died (the out-of-memory killer, a segfault, a `kill`)
is tried again before it is recorded as failed."""


def _execute_pool(runs, out: Path, workers: int, finish, threads: int | None, on_epoch) -> None:
    """Run `runs` on `workers` worker processes, each in its own one-process executor (a lane):
    a worker that dies takes only its own run with it, where one shared pool would break and
    fail every run in flight. That run is tried again once on a fresh lane (`LOST_WORKER_RETRIES`),
    at the head of the queue; lost again, it is recorded as failed and the others go on."""
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    os.environ.update(SINGLE_THREAD_ENV)  # inherited by the spawned workers before numpy loads
    ctx = mp.get_context("spawn")
    # A SimpleQueue writes in the worker's own thread: once a run's result is back, every event
    # it sent before is already in the pipe, so draining it first keeps each run's events ahead
    # of its outcome. (A Queue's feeder thread would not; a Manager would be one more process.)
    events = ctx.SimpleQueue() if on_epoch is not None else None

    def lane() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_worker_init,
                                   initargs=(os.getpid(), events))

    def drain() -> None:
        while events is not None and not events.empty():
            on_epoch(events.get())

    # The cores are shared out: each of `workers` runs updates its layers on its share.
    threads = pool_threads(workers, threads)
    lanes = [lane() for _ in range(min(workers, len(runs)))]
    queue, running, lost = deque(runs), {}, {}

    def start(i: int) -> None:
        run = queue.popleft()
        with _spawned_without_callers_main():  # a lane starts its worker at its first submit
            running[lanes[i].submit(_run_pooled, run, str(out), threads)] = (i, run)

    try:
        for i in range(len(lanes)):
            start(i)
        while running:
            done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            drain()
            for fut in done:
                i, run = running.pop(fut)
                try:
                    outcome = fut.result()
                except BrokenProcessPool:
                    how = _how_it_ended(lanes[i])
                    lanes[i].shutdown(wait=False, cancel_futures=True)
                    lanes[i] = lane()
                    lost[run.run_id] = lost.get(run.run_id, 0) + 1
                    if lost[run.run_id] <= LOST_WORKER_RETRIES:
                        queue.appendleft(run)  # tried again first, on the fresh lane
                        outcome = None
                        logging.getLogger(__name__).warning(
                            f"warning: run {run.run_id} lost its worker process ({how}); trying it once more")
                    else:
                        outcome = _lost_run(run, out, f"its worker process was lost {lost[run.run_id]} times "
                                                      f"(the last {how})")
                if outcome is not None:
                    finish(outcome)
                if queue:
                    start(i)
    except BaseException:
        for pool in lanes:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    for pool in lanes:
        pool.shutdown()


@contextmanager
def _spawned_without_callers_main():
    """Start spawned workers without the caller's `__main__`. spawn runs the main script (or
    module) again in each new process to rebuild its functions, so a plain script that calls
    `ferrosim.sweep(..., workers=2)` without `if __name__ == "__main__":` sweeps again in every
    worker and breaks the pool (issue 28). ferrosim's workers run only ferrosim's functions, and
    nothing of the caller's is sent to them, so they need none of it: while a worker starts,
    `__main__` shows spawn neither a file nor a module name (as in Jupyter, where it has none)."""
    main = sys.modules.get("__main__")
    saved = {key: getattr(main, key) for key in ("__file__", "__spec__") if hasattr(main, key)}
    try:
        if "__file__" in saved:
            del main.__file__
        if "__spec__" in saved:
            main.__spec__ = None
        yield
    finally:
        for key, value in saved.items():
            setattr(main, key, value)


def _how_it_ended(pool) -> str:
    """How a lane's worker process ended, for the failure record: `killed by SIGKILL`, ..."""
    import signal

    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.join(timeout=2)
        code = proc.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (the out-of-memory killer sends it)" if name == "SIGKILL" else ""
            return f"killed by {name}{hint}"
        if code is not None:
            return f"exited with status {code}"
    return "ended abruptly"


def _lost_run(run: PlannedRun, out: Path, why: str) -> RunOutcome:
    """The outcome of a run whose worker never came back, with its failed.json (as a crashed
    run's), so the summary and `ferrosim report` say what failed."""
    error = f"WorkerLost: {why}"
    _record_failure(run_dir(Path(out), run.run_id), run.run_id, error, None)
    return RunOutcome(run.run_id, False, error=error)


def _execute_dask(runs, out: Path, scheduler: str | None, finish, threads: int | None) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        from ferrosim.errors import InputError

        raise InputError("--executor dask needs dask.distributed",
                         hint='pip install "ferrosim[dask]"') from None
    if scheduler:
        client = Client(scheduler)
    else:
        with _spawned_without_callers_main():  # a local cluster spawns its workers here
            client = Client(processes=True, threads_per_worker=1, dashboard_address=None)
    futures = []
    try:
        # One thread per run: dask runs as many runs at once as its workers have threads.
        futures = client.map(run_one, runs, out=str(out.resolve()), threads=threads or 1, pure=False)
        by_key = {fut.key: run for fut, run in zip(futures, runs)}
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as exc:  # noqa: BLE001 - dask's KilledWorker: its workers died running it
                msg = " ".join(str(exc).split()) or type(exc).__name__
                outcome = _lost_run(by_key[fut.key], out, f"{type(exc).__name__}: {msg}")
            finish(outcome)
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        client.close()


__all__ = ["SINGLE_THREAD_ENV", "EpochEvent", "RunOutcome", "SweepOutcome", "check_results_folder", "execute",
           "pending_runs", "pool_threads", "run_one", "write_sweep_yaml"]
