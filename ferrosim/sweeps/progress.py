"""What a running sweep shows: a live rich display on a terminal, timestamped lines in batch logs.

Both show the runs done out of the runs to train, the time elapsed and an ETA, and what the
running runs are doing. The ETA weighs the work left in sample-updates (epochs x training
samples of each run, the samples as the runs report them), not in runs, so a sweep of fast
`ideal` runs and slow pulsed ones does not mislead it; it is the finish time extrapolated at
the last event (run started, epoch or run finished) from the work done so far, counting down
between events.

- `bar` (a terminal): an overall bar (runs done/total, elapsed, ETA) and one line per running
  run with its epoch n/N, its last test accuracy, and its own elapsed time and ETA; each
  finished run's one-line summary is printed above the bars.
- `plain` (a batch log): one line per finished run and, for a run still training, one epoch
  line at most every `epoch_every_s` seconds (30 s: a minute-long MNIST epoch shows life, a
  0.5 s digits run prints nothing but its summary). Every line starts with the local time,
  elapsed and ETA: `2026-12-01 07:40:12  elapsed 0:01:10  ETA 0:05:00  ...`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from rich.progress import ProgressColumn

from ferrosim.sweeps.plan import PlannedRun
from ferrosim.sweeps.runner import EpochEvent, RunOutcome

PLAIN_EPOCH_EVERY_S = 30.0
"""Least time between two epoch lines of one run in a batch log."""

MODES = ("auto", "bar", "plain")


def hms(seconds: float | None) -> str:
    """`1:02:03` (hours not padded), `-:--:--` when unknown."""
    if seconds is None:
        return "-:--:--"
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class SweepProgress:
    """The progress of `runs` (the runs to train): feed it `epoch(event)` and
    `finished(outcome, run, line)`, use it as a context manager around the sweep."""

    def __init__(self, runs: list[PlannedRun], console, mode: str = "plain", *,
                 epoch_every_s: float = PLAIN_EPOCH_EVERY_S, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = datetime.now) -> None:
        if mode not in ("bar", "plain"):
            raise ValueError(f"mode {mode!r}: bar or plain")
        self.runs = {r.run_id: r for r in runs}
        self.console, self.mode, self.epoch_every_s = console, mode, epoch_every_s
        self.clock, self.now = clock, now
        self.t0 = clock()
        self.n_done = 0
        self.finish_at: float | None = None  # extrapolated finish (clock time) at the last event
        self.last_line: dict[str, float] = {}  # plain: when a run last had a line (or started)
        # The work model, kept up to date event by event (a sweep may hold thousands of runs):
        # runs whose samples per epoch are known weigh epochs x samples; the others weigh their
        # epochs x the mean samples of known runs on the same data (any data, 1 before any).
        self.n_train: dict[str, int] = {}  # run_id -> samples per epoch, as reported
        self.epochs_done: dict[str, int] = {}  # running runs -> epochs finished
        self.finished_ids: set[str] = set()
        self._known_work = 0.0  # sample-updates of the runs whose samples are known
        self._finished_work = 0.0
        self._unknown_epochs: dict[tuple, int] = {}  # data key -> epochs of runs not reported yet
        self._samples_sum: dict[tuple, float] = {}
        self._samples_count: dict[tuple, int] = {}
        for run in runs:
            key = _data_key(run)
            self._unknown_epochs[key] = self._unknown_epochs.get(key, 0) + run.config.training.epochs
        self._bar = None
        self._overall = None
        self._tasks: dict[str, int] = {}

    # -- the work model --------------------------------------------------------------------
    def _mean_samples(self, key: tuple) -> float:
        if self._samples_count.get(key):
            return self._samples_sum[key] / self._samples_count[key]
        count = sum(self._samples_count.values())
        return sum(self._samples_sum.values()) / count if count else 1.0

    def _samples(self, run_id: str) -> float:
        n = self.n_train.get(run_id)
        return n if n is not None else self._mean_samples(_data_key(self.runs[run_id]))

    def _learn(self, run_id: str, n_train: int | None) -> None:
        """Record a run's samples per epoch (`None`: it finished without reporting them)."""
        if run_id in self.n_train or (n_train is None and run_id not in self.finished_ids):
            return
        run = self.runs[run_id]
        key, epochs = _data_key(run), run.config.training.epochs
        self._unknown_epochs[key] -= epochs
        if n_train is None:  # a failed run: its estimated work, fixed now, leaves the means alone
            self.n_train[run_id] = self._mean_samples(key)
        else:
            self.n_train[run_id] = n_train
            self._samples_sum[key] = self._samples_sum.get(key, 0.0) + n_train
            self._samples_count[key] = self._samples_count.get(key, 0) + 1
        self._known_work += epochs * self.n_train[run_id]

    def _work(self) -> tuple[float, float]:
        """(done, total) sample-updates of the runs to train."""
        total = self._known_work + sum(e * self._mean_samples(k) for k, e in self._unknown_epochs.items() if e)
        done = self._finished_work + sum(e * self._samples(rid) for rid, e in self.epochs_done.items())
        return done, total

    def _update_eta(self) -> None:
        now = self.clock()
        done, total = self._work()
        elapsed = now - self.t0
        if self.n_done == len(self.runs):
            self.finish_at = now
        elif done > 0 and elapsed > 0:
            self.finish_at = now + (total - done) * elapsed / done

    def elapsed_s(self) -> float:
        return self.clock() - self.t0

    def eta_s(self) -> float | None:
        """Seconds left: the finish time extrapolated at the last event, minus now."""
        return None if self.finish_at is None else max(0.0, self.finish_at - self.clock())

    def fraction(self) -> float:
        done, total = self._work()
        return done / total if total else 1.0

    # -- events ----------------------------------------------------------------------------
    def epoch(self, event: EpochEvent) -> None:
        if event.run_id not in self.runs or event.run_id in self.finished_ids:
            return
        self._learn(event.run_id, event.n_train)
        self.epochs_done[event.run_id] = event.epoch
        self._update_eta()
        run = self.runs[event.run_id]
        if self.mode == "bar":
            self._show_epoch(event, run)
            return
        t = self.clock()
        if event.epoch == 0:
            self.last_line[event.run_id] = t
        elif event.epoch < event.epochs and t - self.last_line.get(event.run_id, self.t0) >= self.epoch_every_s:
            self.last_line[event.run_id] = t
            self.log(f"{run.run_id} {run.label}: epoch {event.epoch}/{event.epochs}, test "
                     f"{event.test_accuracy:.4f}, {event.wall_s:.0f}s in")

    def finished(self, outcome: RunOutcome, run: PlannedRun, line: str) -> None:
        """Count a run as done (ok or failed) and show its one-line summary."""
        if run.run_id in self.finished_ids:
            return
        self.n_done += 1
        self.finished_ids.add(run.run_id)
        self._learn(run.run_id, outcome.n_train)
        self._finished_work += run.config.training.epochs * self._samples(run.run_id)
        self.epochs_done.pop(run.run_id, None)
        self.last_line.pop(run.run_id, None)
        self._update_eta()
        if self.mode == "bar":
            task = self._tasks.pop(run.run_id, None)
            if task is not None:
                self._bar.remove_task(task)
            self._bar.console.print(line, markup=False)
            self._refresh_overall()
        else:
            self.log(line)

    def log(self, line: str) -> None:
        """A line of the sweep's log: with the time, elapsed and ETA in plain mode."""
        if self.mode == "bar" and self._bar is not None:
            self._bar.console.print(line, markup=False)
        elif self.mode == "bar":
            self.console.print(line, markup=False)
        else:
            stamp = self.now().strftime("%Y-%m-%d %H:%M:%S")
            self.console.print(f"{stamp}  elapsed {hms(self.elapsed_s())}  ETA {hms(self.eta_s())}  {line}",
                               markup=False)

    # -- the live display ------------------------------------------------------------------
    def __enter__(self):
        if self.mode == "bar" and self.runs:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                                 TimeElapsedColumn(), _EtaColumn(self), console=self.console,
                                 refresh_per_second=4)
            self._overall = self._bar.add_task("runs", total=1.0, info=self._runs_text(), overall=True)
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _runs_text(self) -> str:
        return f"{self.n_done}/{len(self.runs)} runs"

    def _refresh_overall(self) -> None:
        if self._bar is not None:
            self._bar.update(self._overall, completed=self.fraction(), info=self._runs_text())

    def _show_epoch(self, event: EpochEvent, run: PlannedRun) -> None:
        if self._bar is None:
            return
        task = self._tasks.get(run.run_id)
        if task is None:
            task = self._tasks[run.run_id] = self._bar.add_task(f"  {run.label}", total=event.epochs, info="",
                                                                overall=False)
        accuracy = "" if event.test_accuracy is None else f", test {event.test_accuracy:.4f}"
        self._bar.update(task, completed=event.epoch, info=f"epoch {event.epoch}/{event.epochs}{accuracy}")
        self._refresh_overall()


def _data_key(run: PlannedRun) -> tuple:
    d = run.config.dataset
    return d.name, d.data_dir, d.train_subset


class _EtaColumn(ProgressColumn):
    """ETA of the sweep (its work model) on the overall line, rich's per-epoch estimate on a run's."""

    def __init__(self, progress: SweepProgress) -> None:
        super().__init__()
        self.progress = progress

    def render(self, task):
        from rich.text import Text

        seconds = self.progress.eta_s() if task.fields.get("overall") else task.time_remaining
        return Text(f"ETA {hms(seconds)}", style="progress.remaining")


def choose_mode(option: str, stream) -> str:
    """`--progress auto` is `bar` on a terminal, `plain` otherwise (pipes, files, batch jobs)."""
    if option != "auto":
        return option
    try:
        return "bar" if stream.isatty() else "plain"
    except (AttributeError, ValueError):
        return "plain"


__all__ = ["MODES", "PLAIN_EPOCH_EVERY_S", "SweepProgress", "choose_mode", "hms"]
