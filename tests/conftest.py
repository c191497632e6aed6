"""Test-suite wide settings: the `smoke` subset.

`python -m pytest -m smoke` runs a quick subset (under a minute on 2 cores): the numerics of
every kernel against closed forms, the readers and their bad-input errors, and one command-line
run of each kind. The whole suite (`python -m pytest -q`) takes about 11 minutes on 2 cores (893 tests, 10.9 min measured 2026-12-07).
"""

from __future__ import annotations

import pytest

SMOKE_FILES = {
    "tests/test_config.py",
    "tests/io/test_measurements.py", "tests/io/test_lab_table.py", "tests/io/test_atomic.py",
    "tests/device/test_device_file.py", "tests/io/test_datasets.py",
    "tests/crossbar/test_rng.py", "tests/crossbar/test_sgd.py", "tests/crossbar/test_transfer.py",
    "tests/crossbar/test_deterministic.py",
    "tests/device/test_models.py", "tests/device/test_fitting.py",
    "tests/energy/test_terms.py", "tests/energy/test_model.py", "tests/energy/test_measured_inputs.py",
    "tests/nn/test_mlp.py", "tests/nn/test_periphery.py",
    "tests/training/test_layer_threads.py",
    "tests/cli/test_fit_device_lab.py",
}
"""Whole files in the smoke subset (paths from the repository root)."""

SMOKE_TESTS = {
    "tests/cli/test_cli.py::test_version_and_help",
    "tests/cli/test_cli.py::test_train_prints_table_and_writes_csv",
    "tests/cli/test_cli.py::test_bad_input_exits_2_with_one_line",
}
"""Single tests (or parametrised families) in the smoke subset."""


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        path = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        base = f"{path}::{item.originalname}" if hasattr(item, "originalname") else item.nodeid
        if path in SMOKE_FILES or base in SMOKE_TESTS:
            item.add_marker(pytest.mark.smoke)
