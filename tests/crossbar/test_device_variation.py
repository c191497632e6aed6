"""Device-to-device spread of the bounds as aihwkit draws it (issue 30, part 1): at aihwkit's
default `w_max_dtod = w_min_dtod = 0.3`, about 1 factor in 2,300 is below 0. Clipped to 0, such
a bound divided soft bounds' step by zero (`error: division by zero` on MNIST's first layer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cli.test_cli import ferrosim

from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.device.models import SoftBoundsDevice

SHARED_MNIST = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"


def test_bounds_are_spread_reflected_and_swapped_as_aihwkit_does():
    shape = (256, 785)  # MNIST's first layer with its bias column: 200,960 devices
    dev = SoftBoundsDevice(a_up=0.001, a_down=0.001, w_min=-0.6, w_max=0.6, c2c=0.3, d2d_bounds=0.3)
    arrays = DeviceArrays.build(dev, shape, np.random.default_rng(7))
    # aihwkit 1.2.0, PulsedRPUDevice::populate with enforce_consistency: bound*(1 + dtod*N)
    # unclipped; if w_min > w_max swap; then w_max = |w_max|, w_min = -|w_min|
    rng = np.random.default_rng(7)
    lo = -0.6 * (1 + 0.3 * rng.standard_normal(shape))
    hi = 0.6 * (1 + 0.3 * rng.standard_normal(shape))
    negative = (lo > 0).sum() + (hi < 0).sum()
    assert 100 < negative < 300  # P(N < -1/0.3) = 4.3e-4 per bound: about 170 of 401,920
    for i, j in zip(*np.nonzero(lo > hi)):
        lo[i, j], hi[i, j] = hi[i, j], lo[i, j]
    assert np.array_equal(arrays.w_max, np.abs(hi)) and np.array_equal(arrays.w_min, -np.abs(lo))
    assert arrays.w_max.min() > 0 and arrays.w_min.max() < 0  # no bound at 0: nothing divides by it
    up, down = arrays.mean_steps(np.zeros(shape))
    assert np.all(np.isfinite(up)) and np.all(np.isfinite(down))


def test_without_spread_the_bounds_are_the_model_s():
    arrays = DeviceArrays.build(SoftBoundsDevice(w_min=-0.6, w_max=0.7), (3, 4), np.random.default_rng(0))
    assert np.all(arrays.w_min == -0.6) and np.all(arrays.w_max == 0.7)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist not present")
def test_aihwkit_s_default_bound_spread_trains_on_mnist(tmp_path):
    """The issue's case: `ferrosim train` on MNIST's 784-256-128-10 with d2d_bounds 0.3."""
    (tmp_path / "run.yaml").write_text(
        f"seed: 0\ndataset: {{name: mnist, data_dir: {SHARED_MNIST.resolve()}, train_subset: 300, "
        "test_subset: 100}\nnetwork: {hidden: [256, 128]}\ntraining: {epochs: 1, batch_size: 1, lr: 0.1}\n"
        "algorithm: sgd\ndevice: {model: softbounds, dw_min: 0.001, w_min: -0.6, w_max: 0.6, c2c: 0.3, "
        "d2d_bounds: 0.3}\n")
    proc = ferrosim("train", str(tmp_path / "run.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "final test accuracy" in proc.stdout
