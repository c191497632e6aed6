"""Crash safety and determinism of sweeps (issue 8)."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest

from ferrosim.cli import main
from ferrosim.io import atomic as atomic_io
from ferrosim.sweeps import outputs, runner
from ferrosim.sweeps.plan import load_plan
from ferrosim.sweeps.runner import execute

from .test_sweep import write


def epochs_tables(out: Path) -> dict[str, pd.DataFrame]:
    """Every run's epochs.csv without the timing column, keyed by run id."""
    return {p.parent.name: pd.read_csv(p).drop(columns=["wall_s"]) for p in sorted(out.glob("runs/*/epochs.csv"))}


def assert_same_runs(a: Path, b: Path) -> None:
    ta, tb = epochs_tables(a), epochs_tables(b)
    assert ta.keys() == tb.keys() and len(ta) == 10
    for run_id in ta:
        pd.testing.assert_frame_equal(ta[run_id], tb[run_id], check_exact=True)


def test_bit_identical_across_repeats_workers_and_shards(tmp_path):
    plan = load_plan(write(tmp_path))
    one, again, two, sharded = (tmp_path / n for n in ("one", "again", "two", "sharded"))
    execute(plan.runs, one, workers=1)
    execute(plan.runs, again, workers=1)
    execute(plan.runs, two, workers=2)
    execute(plan.shard(1, 3), sharded, workers=1)
    execute(plan.shard(3, 3), sharded, workers=2)
    execute(plan.shard(2, 3), sharded, workers=1)
    for other in (again, two, sharded):
        assert_same_runs(one, other)


def test_kill_while_writing_run_json_leaves_no_file_a_rerun_would_trust(tmp_path, monkeypatch):
    plan = load_plan(write(tmp_path))
    out = tmp_path / "out"
    real_replace = atomic_io.os.replace

    def killed(src, dst):
        if str(dst).endswith("run.json"):
            raise KeyboardInterrupt  # what a kill between writing and renaming looks like
        real_replace(src, dst)

    monkeypatch.setattr(atomic_io.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        execute(plan.runs[:1], out, workers=1)
    folder = out / "runs" / plan.runs[0].run_id
    assert not (folder / "run.json").exists()
    assert [p.name for p in folder.iterdir()] == ["epochs.csv"]  # no temporary left behind
    assert not outputs.is_complete(out, plan.runs[0].run_id)
    monkeypatch.setattr(atomic_io.os, "replace", real_replace)
    (outcome,) = execute(plan.runs[:1], out, workers=1)  # the rerun trains it again
    assert outcome.ok and outputs.is_complete(out, plan.runs[0].run_id)


def test_disk_full_is_a_clear_error_and_corrupts_nothing(tmp_path, monkeypatch, capsys):
    cfg = write(tmp_path)
    out = tmp_path / "out"
    real = outputs.atomic_write

    def full(path, text):
        if path.name in ("run.json", "epochs.csv", "failed.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(runner, "atomic_write", full)
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", str(cfg), "--out", str(out), "--workers", "1"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "10 of 10 runs failed" in err[-1]
    assert "No space left on device" in " ".join(err)
    assert not list(out.glob("runs/*/run.json")) and not list(out.rglob(".*.tmp"))
    assert pd.read_csv(out / "summary.csv").empty  # a valid, empty summary: nothing half-written
