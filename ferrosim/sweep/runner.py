"""Run a sweep plan: skip finished runs, execute the rest locally or on dask, write outputs.

Every run is trained by `run_one`, which writes its own `epochs.csv` and then, atomically and
last, its `run.json`; the parent only schedules, reports progress and rebuilds summary.csv.
So a killed sweep loses at most the runs in flight, any executor can run a run, and shards
that share a folder merge by themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import yaml

from ferrosim import __version__
from ferrosim.sweep.outputs import atomic_write, is_complete, run_dir, summary_row
from ferrosim.sweep.plan import PlannedRun, SweepPlan
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


@dataclass
class SweepOutcome:
    total: int
    skipped: int
    finished: list[RunOutcome] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failed(self) -> list[RunOutcome]:
        return [o for o in self.finished if not o.ok]


def run_one(run: PlannedRun, out: str, threads: int | None = None) -> RunOutcome:
    """Train one run and write its files (runs in a worker process or on a dask worker).
    `threads`: layer-update threads of the run (see `train`); never changes its numbers."""
    from threadpoolctl import threadpool_limits

    from ferrosim.io.datasets import load_dataset
    from ferrosim.training.loop import train

    folder = run_dir(Path(out), run.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        with threadpool_limits(1):  # no BLAS threads beside the workers (train pins BLAS too)
            cfg = run.config
            result = train(cfg, dataset=load_dataset(cfg.dataset.name, cfg.dataset.data_dir),
                           threads=threads)
        atomic_write(folder / "epochs.csv", result.to_frame().to_csv(index=False, float_format="%.10g"))
        row = summary_row(result, run.run_id, run.axes)
        record = {
            "run_id": run.run_id, "ferrosim_version": __version__, "axes": run.axes,
            "config": cfg.model_dump(mode="json"), "info": _jsonable(result.info), "summary": row,
        }
        (folder / "failed.json").unlink(missing_ok=True)
        atomic_write(folder / "run.json", json.dumps(record, indent=1, sort_keys=False))
        return RunOutcome(run.run_id, True, summary=row, wall_s=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - a crashed run is recorded and the sweep goes on
        msg = " ".join(str(exc).split()) or type(exc).__name__
        try:
            atomic_write(folder / "failed.json", json.dumps(
                {"run_id": run.run_id, "error": f"{type(exc).__name__}: {msg}",
                 "traceback": traceback.format_exc()}, indent=1))
        except OSError:
            pass  # e.g. the disk is full: the outcome below still carries the error
        return RunOutcome(run.run_id, False, error=f"{type(exc).__name__}: {msg}",
                          wall_s=time.perf_counter() - t0)


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
    from ferrosim.sweep.plan import SWEEP_ALIASES, canonical_width, leaves, swept_in_place

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
            "runs": len(plan.runs), "ferrosim_version": __version__, "git_commit": _git_commit(),
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
            threads: int | None = None) -> list[RunOutcome]:
    """Run `runs`; `on_done` sees each outcome as it arrives. KeyboardInterrupt propagates after
    the executor is shut down (runs in flight are lost; finished ones are on disk).
    `threads`: layer-update threads per run (None: $FERROSIM_THREADS, else the cores shared
    out among the local workers, or 1 under dask)."""
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
            finish(run_one(run, str(out), threads))
    else:
        _execute_pool(runs, out, workers, finish, threads)
    return done


def _worker_init(parent: int) -> None:
    """Set-up of each pool worker: Ctrl-C is the parent's to handle, and the worker dies with
    its parent. A SIGKILL or SIGTERM of the parent runs no clean-up, so each worker watches for
    itself: on Linux the kernel sends it SIGKILL when the parent goes (PR_SET_PDEATHSIG), and
    everywhere a daemon thread checks every half second that its parent is still the one that
    started it (orphans are re-parented)."""
    import signal
    import threading
    import time

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


def _execute_pool(runs, out: Path, workers: int, finish, threads: int | None) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    os.environ.update(SINGLE_THREAD_ENV)  # inherited by the spawned workers before numpy loads
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=_worker_init, initargs=(os.getpid(),))
    try:
        # The cores are shared out: each of `workers` runs updates its layers on its share.
        if threads is None and not os.environ.get(THREADS_ENV):
            threads = max(1, available_cores() // workers)
        futures = [pool.submit(run_one, run, str(out), threads) for run in runs]
        for fut in as_completed(futures):
            finish(fut.result())
    except BaseException:
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _execute_dask(runs, out: Path, scheduler: str | None, finish, threads: int | None) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        from ferrosim.errors import InputError

        raise InputError("--executor dask needs dask.distributed",
                         hint='pip install "ferrosim[dask]"') from None
    client = Client(scheduler) if scheduler else Client(processes=True, threads_per_worker=1,
                                                        dashboard_address=None)
    futures = []
    try:
        # One thread per run: dask runs as many runs at once as its workers have threads.
        futures = client.map(run_one, runs, out=str(out.resolve()), threads=threads or 1, pure=False)
        for fut in as_completed(futures):
            finish(fut.result())
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        client.close()


__all__ = ["check_results_folder", "execute", "pending_runs", "run_one", "write_sweep_yaml", "RunOutcome",
           "SweepOutcome", "SINGLE_THREAD_ENV"]
