"""A first run in a fresh environment says that it compiles (issue 28: a minute of silence in a
log looked hung); a warm one does not."""

from __future__ import annotations

import os
import subprocess
import sys

from cli.test_cli import ferrosim

from ferrosim.training.kernel_cache import COLD_START_NOTE, kernels_cached


def test_an_empty_numba_cache_is_seen_as_cold(tmp_path):
    code = "from ferrosim.training.kernel_cache import kernels_cached; print(kernels_cached())"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "empty")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_a_warm_cache_says_nothing_and_a_cold_one_says_it_compiles(tmp_path):
    (tmp_path / "s.yaml").write_text("name: k\nseed: [0]\ndataset: {name: digits, train_subset: 40, test_subset: 20}\n"
                                     "network: {hidden: [4]}\ntraining: {epochs: 1, batch_size: 1}\n"
                                     "sweep: {algorithm: [sgd]}\n")
    warm = ferrosim("sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "warm"), "--workers", "1")
    assert warm.returncode == 0, warm.stderr
    assert kernels_cached() and COLD_START_NOTE not in warm.stderr
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "empty")}
    cold = ferrosim("sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "cold"), "--workers", "1", env=env)
    assert cold.returncode == 0, cold.stderr
    assert COLD_START_NOTE in cold.stderr
