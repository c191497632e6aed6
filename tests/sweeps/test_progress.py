"""A long sweep shows life: epoch events from inside running runs, timestamped log lines with an
ETA when not on a terminal, live bars on one, and a time estimate from `--dry-run` (issue 16, 4)."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pandas as pd
import pytest
from cli.test_cli import ferrosim

from ferrosim.sweeps.estimate import duration, makespan
from ferrosim.sweeps.plan import load_plan
from ferrosim.sweeps.progress import SweepProgress, hms
from ferrosim.sweeps.runner import EpochEvent, RunOutcome, execute

from .test_reliability import epochs_tables
from .test_sweep import write

TINY = """\
name: tiny
seed: [0, 1]
dataset: {name: digits, train_subset: 120, test_subset: 60}
network: {hidden: [8]}
training: {epochs: 2, batch_size: 1, lr: 0.1}
sweep:
  algorithm: [ideal, sgd]
"""
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  elapsed \d+:\d\d:\d\d  ETA (\d+:\d\d:\d\d|-:--:--)  ")


@pytest.mark.parametrize("workers", [1, 2])
def test_every_epoch_of_every_run_arrives_in_order_before_its_outcome(tmp_path, workers):
    plan = load_plan(write(tmp_path, TINY))
    log: list = []
    outcomes = execute(plan.runs, tmp_path / "out", workers=workers, on_epoch=log.append,
                       on_done=lambda outcome, run: log.append(outcome))
    assert len(outcomes) == 4 and all(o.ok for o in outcomes)
    for run in plan.runs:
        mine = [x for x in log if x.run_id == run.run_id]
        assert [x.epoch for x in mine[:-1]] == [0, 1, 2]  # started, then each epoch in order
        assert isinstance(mine[-1], RunOutcome)  # the outcome comes after all its events
        assert all(e.epochs == 2 and e.n_train == 120 for e in mine[:-1])
        assert mine[-1].n_train == 120
        # the accuracy reported is the one written to epochs.csv
        table = pd.read_csv(tmp_path / "out" / "runs" / run.run_id / "epochs.csv")
        assert [e.test_accuracy for e in mine[1:-1]] == pytest.approx(list(table.test_accuracy), rel=1e-9)  # csv: 10 digits
        assert mine[0].test_accuracy is None


def test_reporting_progress_changes_no_number(tmp_path):
    plan = load_plan(write(tmp_path))
    quiet, in_process, pooled = tmp_path / "quiet", tmp_path / "in_process", tmp_path / "pooled"
    execute(plan.runs, quiet, workers=2)
    execute(plan.runs, in_process, workers=1, on_epoch=lambda e: None)
    execute(plan.runs, pooled, workers=2, on_epoch=lambda e: None)
    a = epochs_tables(quiet)
    assert len(a) == 10
    for other in (in_process, pooled):
        b = epochs_tables(other)
        assert a.keys() == b.keys()  # same run ids
        for run_id in a:
            pd.testing.assert_frame_equal(a[run_id], b[run_id], check_exact=True)


def test_a_failing_display_does_not_fail_the_run(tmp_path):
    plan = load_plan(write(tmp_path, TINY))

    def broken(event):
        raise RuntimeError("display bug")

    (outcome,) = execute(plan.runs[:1], tmp_path / "out", workers=1, on_epoch=broken)
    assert outcome.ok


def test_batch_log_lines_have_a_timestamp_elapsed_and_eta(tmp_path):
    out = tmp_path / "out"
    proc = ferrosim("sweep", str(write(tmp_path, TINY)), "--out", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and all(STAMP.match(ln) for ln in lines), proc.stderr
    assert "4 to train on 2 workers" in lines[0]
    done = [ln for ln in lines if re.search(r"\[\d/4\] ", ln)]
    assert len(done) == 4
    assert all("ETA -:--:--" not in ln for ln in done)  # known once a run has finished
    assert "ETA 0:00:00" in done[-1]
    last = proc.stdout.strip().splitlines()[-1]
    assert str(out / "summary.csv") in last and f"ferrosim report {out}" in last


def test_plain_mode_prints_an_epoch_line_at_most_every_30_s_per_run():
    """Fake clock: a minute-long epoch shows in the log, a fast one does not; the ETA is the finish
    extrapolated from the work done (sample-updates), counting down between events."""
    runs = load_plan_runs(epochs=5)
    a, b = runs[0].run_id, runs[1].run_id
    t = [100.0]
    text = io.StringIO()
    from rich.console import Console

    console = Console(file=text, width=300, soft_wrap=True)
    p = SweepProgress(runs[:2], console, "plain", clock=lambda: t[0], now=lambda: datetime(2026, 12, 1, 7, 40, 12))

    def at(when, event):
        t[0] = 100.0 + when
        p.epoch(event)

    at(0, EpochEvent(a, 0, 5, None, 100, 0.0))
    at(10, EpochEvent(a, 1, 5, 0.5, 100, 10.0))  # 10 s after its start: no line
    assert text.getvalue() == ""
    at(31, EpochEvent(a, 2, 5, 0.625, 100, 31.0))  # 31 s: a line
    # 200 of 1,000 sample-updates in 31 s: 800 more take 124 s
    assert text.getvalue() == ("2026-12-01 07:40:12  elapsed 0:00:31  ETA 0:02:04  "
                               f"{a} {runs[0].label}: epoch 2/5, test 0.6250, 31s in\n")
    t[0] = 100.0 + 41
    assert p.eta_s() == pytest.approx(114)  # counts down between events
    at(45, EpochEvent(a, 3, 5, 0.7, 100, 45.0))  # 14 s after its last line: none
    at(62, EpochEvent(a, 4, 5, 0.7, 100, 62.0))  # a line
    at(95, EpochEvent(a, 5, 5, 0.7, 100, 95.0))  # the last epoch: the run's summary line follows
    lines = text.getvalue().splitlines()
    assert len(lines) == 2 and "epoch 4/5" in lines[1]
    t[0] = 196.0
    p.finished(RunOutcome(a, True, n_train=100), runs[0], "[1/2] done")
    assert text.getvalue().splitlines()[-1].endswith("elapsed 0:01:36  ETA 0:01:36  [1/2] done")
    p.finished(RunOutcome(b, False, n_train=None), runs[1], "[2/2] failed")
    assert text.getvalue().splitlines()[-1].endswith("ETA 0:00:00  [2/2] failed")
    assert hms(None) == "-:--:--" and hms(3725) == "1:02:05"


def test_bar_mode_draws_bars_and_prints_each_finished_run():
    from rich.console import Console

    runs = load_plan_runs()
    text = io.StringIO()
    console = Console(file=text, width=140, force_terminal=True, highlight=False)
    with SweepProgress(runs[:1], console, "bar") as p:
        p.epoch(EpochEvent(runs[0].run_id, 0, 2, None, 120, 0.0))
        p.epoch(EpochEvent(runs[0].run_id, 1, 2, 0.5, 120, 0.1))
        p._bar.refresh()
        assert "epoch 1/2" in text.getvalue() and "0/1 runs" in text.getvalue()
        p.finished(RunOutcome(runs[0].run_id, True, n_train=120), runs[0], "[1/1] the run's line")
    assert "[1/1] the run's line" in text.getvalue() and "1/1 runs" in text.getvalue()


def load_plan_runs(epochs: int = 2):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        return load_plan(write(Path(tmp), TINY.replace("epochs: 2", f"epochs: {epochs}"))).runs


def test_dry_run_prints_an_estimated_time_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = ferrosim("sweep", str(write(tmp_path, TINY)), "--out", str(out), "--dry-run", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "4 of 4 runs to train: 960 sample-updates in all" in proc.stdout
    match = re.search(r"estimated time: ~\d+ s with 2 workers \(calibrated on this machine: [\d.]+ (µs|us) "
                      r"per sample-update for (sgd|ideal) 64-8-10 batch 1, 1 other kind of run\)", proc.stdout)
    assert match, proc.stdout
    assert "wrote nothing" in proc.stdout and not out.exists()


def test_a_finished_seed_times_its_siblings_in_the_estimate(tmp_path):
    """Issue 26: runs that differ from a finished run only in the seed take its measured time
    (a calibration on a run's first samples misjudges runs whose cost changes as they learn)."""

    from ferrosim.sweeps.estimate import measured_siblings

    runs = load_plan(write(tmp_path, TINY)).runs  # seeds 0, 1 x ideal, sgd
    done = [(r.config.model_dump(mode="json"), 50.0 + 10 * r.config.seed) for r in runs if r.config.seed == 0]
    known = measured_siblings(done, [r for r in runs if r.config.seed == 1])
    assert sorted(known.values()) == [50.0, 50.0]
    assert {r.config.algorithm for r in runs if r.run_id in known} == {"ideal", "sgd"}
    # a re-priced run.json (`ferrosim energy` rewrites the energy model) is still a sibling;
    # a run with other training settings is not
    repriced = [({**c, "energy": {"model": "other"}}, s) for c, s in done]
    assert sorted(measured_siblings(repriced, runs).values()) == [50.0] * 4
    longer = [({**c, "training": {**c["training"], "epochs": 99}}, s) for c, s in done]
    assert measured_siblings(longer, runs) == {}
    # the CLI: seed 0's runs finished, with a recorded time of 1000 s each
    config = write(tmp_path, TINY)
    out = tmp_path / "out"
    first = ferrosim("sweep", str(config), "--out", str(out), "--set", "seed=0")
    proc = dry_run_after_finished_runs_of(first, config, out)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 4 runs to train" in proc.stdout
    assert re.search(r"estimated time: ~(33|34) min with 1 worker \(2 runs timed by their finished runs that "
                     r"differ only in the seed\)", " ".join(proc.stdout.split())), proc.stdout
    # the seeds still to run, asked for on their own (`--set seed=1`): seed 0 is not in this plan,
    # but its finished runs in the folder still time them
    alone = ferrosim("sweep", str(config), "--out", str(out), "--dry-run", "--workers", "1", "--merge",
                     "--set", "seed=1")
    assert alone.returncode == 0, alone.stderr
    assert "2 of 2 runs to train" in alone.stdout
    assert re.search(r"estimated time: ~(33|34) min with 1 worker \(2 runs timed by their finished runs that "
                     r"differ only in the seed\)", " ".join(alone.stdout.split())), alone.stdout


def test_runs_of_a_kind_with_a_finished_run_are_timed_by_its_time_per_sample_update(tmp_path):
    """Issue 26: a Tiki-Taka preset fires most of its pulses in its first samples, so a calibration
    said 21-23 h for a sweep whose runs took about 9 h; a finished run of the same kind (algorithm,
    network, batch, data) at another pulse width has seen a whole run and times the others."""
    from ferrosim.sweeps.estimate import FinishedRun, finished_times, measured_kind

    config = write(tmp_path, TINY.replace("algorithm: [ideal, sgd]", "algorithm: [ideal, sgd]\n  pulse_width: [20ns, 2us]")
                   .replace("name: tiny", "name: tiny\ndevice: {model: softbounds, dw_min: 0.01}"))
    runs = load_plan(config).runs
    samples = {r.run_id: 120 for r in runs}
    sgd_20ns = [r for r in runs if r.config.algorithm == "sgd" and r.pulse_width_s == 2e-8 and r.config.seed == 0]
    cfg = sgd_20ns[0].config
    done = [FinishedRun(cfg.model_dump(mode="json"), 480.0, cfg, 120)]  # 2 epochs x 120 samples: 2 s each
    todo = [r for r in runs if r.run_id != sgd_20ns[0].run_id]
    timed = measured_kind(done, todo, samples)
    assert {r.config.algorithm for r in todo if r.run_id in timed} == {"sgd"}  # ideal is another kind
    assert len(timed) == 3 and set(timed.values()) == {480.0}
    half = [r for r in todo if r.config.algorithm == "sgd"][0]
    assert measured_kind(done, [half], {half.run_id: 60})[half.run_id] == 240.0  # half the samples
    # the CLI: one finished sgd run at 20 ns (seed 0) with 1000 s recorded; its seed sibling is
    # timed as itself, the other sgd runs by its time per sample-update, ideal by a calibration
    out = tmp_path / "out"
    first = ferrosim("sweep", str(config), "--out", str(out), "--set", "seed=0", "--set", "sweep.pulse_width=[20ns]",
                     "--set", "sweep.algorithm=[sgd]")
    proc = dry_run_after_finished_runs_of(first, config, out)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "5 of 6 runs to train" in text
    assert re.search(r"estimated time: ~5[01] min with 1 worker \(calibrated on this machine: .* for ideal .*; "
                     r"1 run timed by its finished runs that differ only in the seed; 2 by the time per "
                     r"sample-update of finished runs of the same kind at other settings\)", text), text
    # a run.json that cannot be read gives no time: the folder's readable runs still do
    (out / "runs" / "deadbeef0000").mkdir()
    (out / "runs" / "deadbeef0000" / "run.json").write_text("{")
    found = finished_times(out)
    assert [(f.wall_s, f.n_train, f.run_config.algorithm) for f in found] == [(1000.0, 120, "sgd")]


def dry_run_after_finished_runs_of(first, config, out):
    """`sweep --dry-run --workers 1 --merge` of `config` into `out`, after the sweep `first` (its
    process) has finished there, with each finished run's recorded wall time set to 1000 s."""
    assert first.returncode == 0, first.stderr
    for path in out.glob("runs/*/run.json"):
        record = json.loads(path.read_text())
        record["summary"]["wall_s"] = 1000.0
        path.write_text(json.dumps(record))
    return ferrosim("sweep", str(config), "--out", str(out), "--dry-run", "--workers", "1", "--merge")


def test_timing_noise_never_gives_a_negative_time_per_sample_update():
    """Issue 27, problem 25: a longer calibration timed shorter than the set-up gave a negative
    slope, printed and summed into the estimate."""
    from ferrosim.sweeps.estimate import sample_slope

    assert sample_slope(0.20, 64, 0.25, 640, 0.19) == pytest.approx(0.19 / 640)  # noise: the whole time
    assert sample_slope(0.20, 64, 0.21, 640, 0.50) == pytest.approx(0.29 / 576)  # the slope
    assert sample_slope(0.20, 0, 0.20, 64, 0.20) > 0  # nothing beyond the set-up


def test_the_estimate_deals_runs_to_workers_as_the_pool_does():
    assert makespan([3, 1, 1, 1], 2, 0.5) == 3.5  # the first worker keeps the long run
    assert makespan([1, 1, 1, 3], 2, 0.5) == 4.5  # the long run comes last
    assert makespan([1, 1, 1], 1) == 3 and makespan([2], 4, 1.0) == 3
    assert (duration(12.4), duration(400), duration(2.6 * 3600)) == ("~12 s", "~7 min", "~2.6 h")


def test_a_bad_progress_option_is_one_error_line_and_writes_nothing(tmp_path):
    from cli.test_cli import one_error_line

    proc = ferrosim("sweep", str(write(tmp_path, TINY)), "--out", str(tmp_path / "out"), "--progress", "fancy")
    assert proc.returncode == 2 and "--progress fancy: choose auto, bar, plain" in one_error_line(proc)
    assert not (tmp_path / "out").exists()
