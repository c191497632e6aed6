"""A sweep survives a lost worker (issue 27, problem 15): a pool worker killed by the
out-of-memory killer, a segfault or a `kill -9` took the whole sweep down with it and left no
record. Now its run is tried once more on a fresh worker, and lost again it is recorded as
failed (runs/<id>/failed.json) while the other runs finish; the sweep then exits non-zero."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_worker_lifetime import _children, _cmdline

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")

CONFIG = """name: lost
seed: [0, 1, 2]
dataset: {name: digits}
training: {epochs: 150}
sweep:
  algorithm: [sgd]
"""


def _workers(pid: int) -> list[int]:
    return [p for p in _children(pid) if "spawn_main" in _cmdline(p)]


def _new_worker(pid: int, known: set[int], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [p for p in _workers(pid) if p not in known]
        if fresh:
            return fresh[0]
        time.sleep(0.05)
    raise AssertionError("no new worker process started")


def _sweep(tmp_path: Path, kills: int):
    (tmp_path / "s.yaml").write_text(CONFIG)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "ferrosim", "sweep", str(tmp_path / "s.yaml"), "--out",
                             str(out), "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        known: set[int] = set()
        victim = _new_worker(proc.pid, known)
        deadline = time.monotonic() + 60  # once runs train (the run folders appear), kill one worker
        while time.monotonic() < deadline and len(list(out.glob("runs/*"))) < 2:
            time.sleep(0.05)
        for k in range(kills):
            known |= set(_workers(proc.pid))
            os.kill(victim, signal.SIGKILL)
            if k + 1 < kills:  # the lost run goes first to the fresh worker that replaces it
                victim = _new_worker(proc.pid, known)
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stdout, stderr, out


def test_a_run_whose_worker_is_killed_is_tried_once_more(tmp_path):
    code, stdout, stderr, out = _sweep(tmp_path, kills=1)
    assert code == 0, stderr
    assert "lost its worker process (killed by SIGKILL" in stderr and "trying it once more" in stderr
    assert len(list(out.glob("runs/*/run.json"))) == 3 and not list(out.glob("runs/*/failed.json"))
    assert "3 complete runs" in stdout


def test_a_run_lost_twice_is_recorded_as_failed_and_the_others_finish(tmp_path):
    code, stdout, stderr, out = _sweep(tmp_path, kills=2)
    assert code == 1, stderr
    failed = list(out.glob("runs/*/failed.json"))
    assert len(failed) == 1
    record = json.loads(failed[0].read_text())
    assert record["error"].startswith("WorkerLost: its worker process was lost 2 times (the last killed by SIGKILL")
    assert not (failed[0].parent / "run.json").exists()
    assert len(list(out.glob("runs/*/run.json"))) == 2  # the other runs finished
    assert f"1 of 3 runs failed ({failed[0].parent.name})" in stderr
    assert "2 complete runs" in stdout
