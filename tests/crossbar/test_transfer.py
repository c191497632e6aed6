"""Mixed-precision transfer kernel: chi bookkeeping, pulse counts, caps, reproducibility."""

import numpy as np
import pytest

from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.transfer import transfer_pulses
from ferrosim.device.models import LinearDevice, SoftBoundsDevice

EPS = 0.01


def transfer(dev, g, chi, *, max_pulses=0, key=np.uint64(7), index=0, arrays=None):
    arrays = arrays or DeviceArrays.build(dev, g.shape, np.random.default_rng(0))
    counts = np.zeros(2, dtype=np.int64)
    transfer_pulses(g, chi, EPS, max_pulses, key, index, arrays.model_code, arrays.a_up, arrays.a_down,
                    arrays.w_min, arrays.w_max, arrays.gamma_up, arrays.gamma_down, arrays.c2c,
                    arrays.noisy, arrays.t_g0, arrays.t_dg, arrays.t_vals, counts,
                    np.zeros(g.shape, dtype=np.float32), np.zeros(g.shape), 1.0)
    return counts


def test_transfer_moves_whole_quanta_and_keeps_the_remainder():
    dev = LinearDevice(a_up=EPS, a_down=EPS, w_min=-100, w_max=100)
    rng = np.random.default_rng(1)
    chi = rng.normal(0, 0.05, (6, 9))
    chi0 = chi.copy()
    g = np.zeros_like(chi)
    counts = transfer(dev, g, chi)
    n = np.trunc(chi0 / EPS)
    np.testing.assert_allclose(g, n * EPS, atol=1e-12)  # a linear device moves exactly eps per pulse
    np.testing.assert_allclose(chi, chi0 - n * EPS, atol=1e-12)
    assert np.all(np.abs(chi) < EPS)
    assert counts[0] == n[n > 0].sum() and counts[1] == -n[n < 0].sum()


def test_requested_update_is_conserved_over_many_transfers():
    """Sum of requests = applied pulses * eps + what is left in chi, within one eps per weight."""
    dev = LinearDevice(a_up=EPS, a_down=EPS, w_min=-100, w_max=100)
    rng = np.random.default_rng(2)
    g = np.zeros((4, 5))
    chi = np.zeros_like(g)
    requested = np.zeros_like(g)
    for t in range(200):
        dw = rng.normal(0, 0.004, g.shape)
        requested += dw
        chi += dw
        transfer(dev, g, chi, index=t)
    np.testing.assert_allclose(g + chi, requested, atol=1e-9)
    assert np.all(np.abs(g - requested) < EPS)


def test_cap_limits_pulses_and_leaves_the_rest_in_chi():
    dev = LinearDevice(a_up=EPS, a_down=EPS, w_min=-100, w_max=100)
    g = np.zeros((1, 3))
    chi = np.array([[0.095, -0.2, 0.025]])
    counts = transfer(dev, g, chi, max_pulses=3)
    np.testing.assert_allclose(g, [[0.03, -0.03, 0.02]], atol=1e-12)
    np.testing.assert_allclose(chi, [[0.065, -0.17, 0.005]], atol=1e-12)
    assert counts.tolist() == [5, 3]


def test_pulses_follow_the_device_response():
    """Soft bounds: n pulses from g0 land where the closed form says, not at g0 + n*eps."""
    dev = SoftBoundsDevice(a_up=0.05, a_down=0.05, w_min=-1, w_max=1)
    g = np.zeros((1, 1))
    chi = np.array([[20 * EPS + 1e-9]])
    transfer(dev, g, chi)
    expected = 1 - (1 - 0.05) ** 20  # g_n = w_max (1 - (1 - a/w_max)^n) from g = 0
    assert g[0, 0] == pytest.approx(expected, rel=1e-12)
    assert abs(chi[0, 0]) < 1e-8  # debited by the request, not by what the device did


def test_noisy_transfer_is_reproducible_per_key_and_index():
    dev = SoftBoundsDevice(a_up=0.02, a_down=0.02, c2c=0.3)
    chi = np.full((3, 4), 0.1)
    runs = []
    for key, index in ((1, 0), (1, 0), (1, 1), (2, 0)):
        g = np.zeros((3, 4))
        transfer(dev, g, chi.copy(), key=np.uint64(key), index=index)
        runs.append(g)
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2]) and not np.array_equal(runs[0], runs[3])


def test_fused_rank1_path_equals_accumulate_then_transfer():
    """Batch 1: the fused kernel gives exactly what a dense accumulate + transfer gives."""
    from ferrosim.crossbar.transfer import accumulate_rank1_and_transfer, column_work

    dev = SoftBoundsDevice(a_up=0.02, a_down=0.015)
    arrays = DeviceArrays.build(dev, (5, 7), np.random.default_rng(0))
    rng = np.random.default_rng(4)
    g_dense, g_fused = np.zeros((5, 7)), np.zeros((5, 7))
    chi_dense, chi_fused = np.zeros((5, 7)), np.zeros((5, 7))
    c_dense, c_fused = np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64)
    for t in range(300):
        x = rng.normal(size=7) * (rng.random(7) < 0.5)  # sparse inputs, like MNIST pixels
        d = rng.normal(size=5) * 0.5
        chi_dense += -0.1 * np.outer(d, x)
        c_dense += transfer(dev, g_dense, chi_dense, index=t, arrays=arrays)
        accumulate_rank1_and_transfer(g_fused, chi_fused, x, d, -0.1, EPS, 0, np.uint64(7), t,
                                      arrays.model_code, arrays.a_up, arrays.a_down, arrays.w_min,
                                      arrays.w_max, arrays.gamma_up, arrays.gamma_down, arrays.c2c,
                                      arrays.noisy, arrays.t_g0, arrays.t_dg, arrays.t_vals, c_fused,
                                      np.zeros((5, 7), dtype=np.float32), np.zeros((5, 7)), 1.0, column_work(5))
    np.testing.assert_allclose(g_fused, g_dense, atol=1e-12)
    np.testing.assert_allclose(chi_fused, chi_dense, atol=1e-12)
    assert c_fused.tolist() == c_dense.tolist() and c_fused.sum() > 100


@pytest.mark.parametrize("max_pulses", [0, 2])
def test_fused_rank1_path_is_the_same_in_either_layout(max_pulses):
    """Issue 26: the batch-1 kernel adds input-major; a column-major accumulator (the fast
    layout) and a row-major one give the same states, accumulator and counts, bit for bit,
    with capped transfers too, through samples with more hits than rows (the scratch grows)."""
    from ferrosim.crossbar.transfer import accumulate_rank1_and_transfer, column_work

    dev = SoftBoundsDevice(a_up=0.02, a_down=0.015, c2c=0.3)
    shape = (6, 40)
    arrays = DeviceArrays.build(dev, shape, np.random.default_rng(0))
    out = []
    for order in ("C", "F"):
        rng = np.random.default_rng(4)
        g, chi = np.zeros(shape), np.zeros(shape, order=order)
        counts, w, work = np.zeros(2, dtype=np.int64), np.zeros(shape, dtype=np.float32), column_work(shape[0])
        most = 0
        for t in range(200):
            x = rng.random(40) * (rng.random(40) < 0.4)
            d = rng.normal(size=6) * (rng.random(6) < 0.8)  # some rows without error
            before = counts.sum()
            accumulate_rank1_and_transfer(g, chi, x, d, -0.3, EPS, max_pulses, np.uint64(7), t,
                                          arrays.model_code, arrays.a_up, arrays.a_down, arrays.w_min,
                                          arrays.w_max, arrays.gamma_up, arrays.gamma_down, arrays.c2c,
                                          arrays.noisy, arrays.t_g0, arrays.t_dg, arrays.t_vals, counts, w,
                                          np.zeros(shape), 1.0, work)
            most = max(most, counts.sum() - before)
        out.append((g, np.ascontiguousarray(chi), counts))
        assert most > shape[0]  # a sample fired more devices than there are rows
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])
    assert out[0][2].tolist() == out[1][2].tolist()


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("batch", [2, 5])
def test_fused_batch_path_equals_outer_accumulate_then_transfer(order, batch):
    """Issue 26: a mini-batch of a few samples added input-major (only the columns of inputs
    nonzero in some sample) and transferred gives exactly what the dense float32 outer product,
    the float64 add and `transfer_pulses` give: states, accumulator and counts, bit for bit."""
    from ferrosim.crossbar.transfer import accumulate, accumulate_batch_and_transfer, column_work, transfer_pulses
    from ferrosim.training.fused import _outer

    dev = SoftBoundsDevice(a_up=0.02, a_down=0.015, c2c=0.3)
    shape = (7, 30)
    arrays = DeviceArrays.build(dev, shape, np.random.default_rng(0))
    device = (arrays.model_code, arrays.a_up, arrays.a_down, arrays.w_min, arrays.w_max, arrays.gamma_up,
              arrays.gamma_down, arrays.c2c, arrays.noisy, arrays.t_g0, arrays.t_dg, arrays.t_vals)
    rng = np.random.default_rng(4)
    g_dense, g_fused = np.zeros(shape), np.zeros(shape)
    chi_dense, chi_fused = np.zeros(shape), np.zeros(shape, order=order)
    c_dense, c_fused = np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64)
    w_dense, w_fused = np.zeros(shape, dtype=np.float32), np.zeros(shape, dtype=np.float32)
    dw, work, g_ref = np.zeros(shape, dtype=np.float32), column_work(shape[0]), np.zeros(shape)
    for t in range(200):
        xs = (rng.random((batch, 30)) * (rng.random((batch, 30)) < 0.3)).astype(np.float32)
        xs[:, :5] = 0.0  # inputs that are zero in every sample
        ds = (rng.normal(size=(batch, 7)) * (rng.random((batch, 7)) < 0.8)).astype(np.float32)
        _outer(ds, xs, dw)
        accumulate(chi_dense, dw, -0.4)
        transfer_pulses(g_dense, chi_dense, EPS, 0, np.uint64(7), t, *device, c_dense, w_dense, g_ref, 1.0)
        accumulate_batch_and_transfer(g_fused, chi_fused, xs, ds, -0.4, EPS, np.uint64(7), t, *device, c_fused,
                                      w_fused, g_ref, 1.0, work)
    assert np.array_equal(g_fused, g_dense) and np.array_equal(chi_fused, chi_dense)
    assert np.array_equal(w_fused, w_dense)
    assert c_fused.tolist() == c_dense.tolist() and c_fused.sum() > 200


def test_layer_weights_track_every_pulse():
    """The float32 weights the network reads equal s*(g - g_ref) after pulses and transfers."""
    from ferrosim.crossbar.layer import CrossbarLayer

    dev = SoftBoundsDevice(a_up=0.02, a_down=0.01, c2c=0.2, d2d=0.1)
    arrays = DeviceArrays.build(dev, (6, 9), np.random.default_rng(0))
    layer = CrossbarLayer(arrays, np.linspace(-0.2, 0.3, 54).reshape(6, 9), 2.5, 0.01)
    rng = np.random.default_rng(1)
    layer.program(rng.normal(0, 0.3, (6, 9)))
    chi = np.zeros((6, 9))
    for t in range(50):
        xs = rng.random((2, 9)).astype(np.float32)
        ds = rng.normal(0, 0.2, (2, 6)).astype(np.float32)
        layer.pulsed_update(xs, ds, 0.1, 31, True, True, np.uint64(3), 2 * t)
        layer.accumulate(chi, xs, ds, 0.1)
        layer.transfer(chi, 0.01, 0, np.uint64(4), t)
        layer.accumulate_rank1_and_transfer(chi, xs[0], ds[0], 0.1, 0.01, 0, np.uint64(5), t)
    assert layer.counts.sum() > 100
    expected = (2.5 * (layer.g - layer.g_ref)).astype(np.float32)
    np.testing.assert_array_equal(layer.read(), expected)


def stochastic(dev, g, chi, *, eps=EPS, eps_device=EPS, bl_max=31, index=0, arrays=None):
    from ferrosim.crossbar.transfer import stochastic_transfer_pulses

    arrays = arrays or DeviceArrays.build(dev, g.shape, np.random.default_rng(0))
    counts = np.zeros(2, dtype=np.int64)
    stochastic_transfer_pulses(g, chi, eps, 0, eps_device, bl_max, np.uint64(7), index, arrays.model_code,
                               arrays.a_up, arrays.a_down, arrays.w_min, arrays.w_max, arrays.gamma_up,
                               arrays.gamma_down, arrays.c2c, arrays.noisy, arrays.t_g0, arrays.t_dg,
                               arrays.t_vals, counts, np.zeros(g.shape, dtype=np.float32), np.zeros(g.shape),
                               1.0, np.empty(g.shape[1]))
    return counts


def test_stochastic_transfer_fires_a_random_count_with_the_granules_as_mean():
    """aihwkit's transfer: x = n = trunc(chi/eps) per row, d = 1, learning rate eps: device j of a
    row gets Binomial(max|n|, |n_j|/max|n|) pulses; the largest exactly max|n|."""
    dev = LinearDevice(a_up=EPS, a_down=EPS, w_min=-1e6, w_max=1e6)
    row = np.array([[3.4, -2.0, 0.5, 0.0, 1.0]]) * EPS
    reps = 4000
    moved = np.zeros((reps, 5))
    for t in range(reps):
        g, chi = np.zeros((1, 5)), row.copy()
        stochastic(dev, g, chi, index=t)
        moved[t] = g[0] / EPS
        np.testing.assert_allclose(chi[0], [0.4 * EPS, 0.0, 0.5 * EPS, 0.0, 0.0], atol=1e-12)  # granules debited
    assert np.all(moved[:, 0] == 3)  # the row's largest: p = 1 in each of BL = 3 slots
    assert np.all(moved[:, 2] == 0) and np.all(moved[:, 3] == 0)
    assert np.all(moved[:, 1] <= 0) and np.all(moved[:, 1] >= -3)
    for j, n in ((1, -2.0), (4, 1.0)):
        p = abs(n) / 3
        se = np.sqrt(3 * p * (1 - p) / reps)
        assert abs(np.abs(moved[:, j]).mean() - abs(n)) < 4 * se  # mean |n|
        assert np.abs(moved[:, j]).std() == pytest.approx(np.sqrt(3 * p * (1 - p)), rel=0.1)  # binomial spread


def test_stochastic_transfer_scales_by_the_device_step_and_caps_at_bl():
    dev = LinearDevice(a_up=EPS, a_down=EPS, w_min=-1e6, w_max=1e6)
    # granules of half the device step: half a pulse per granule on average (aihwkit lr = eps)
    reps = 3000
    total = 0
    for t in range(reps):
        g, chi = np.zeros((1, 3)), np.array([[6.0, 4.0, 0.0]]) * EPS / 2
        total += stochastic(dev, g, chi, eps=EPS / 2, index=t).sum()
    assert total / reps == pytest.approx((6 + 4) / 2, rel=0.03)
    # 50 granules: at most BL = 31 pulses
    g, chi = np.zeros((1, 2)), np.array([[50.0, 50.0]]) * EPS
    counts = stochastic(dev, g, chi, bl_max=31)
    assert counts[0] <= 2 * 31 and np.all(g <= 31 * EPS + 1e-12)
    assert np.all(chi == 0.0)


def test_stochastic_transfer_skips_the_first_update_as_aihwkit():
    from ferrosim.config import parse_run_config
    from ferrosim.training.algorithms import make_updater

    cfg = parse_run_config({"algorithm": "mixed_precision", "mixed_precision": {"transfer": "stochastic"},
                            "device": {"model": "linear", "a_up": EPS, "a_down": EPS, "w_min": -100, "w_max": 100}})
    up = make_updater(cfg, [np.zeros((2, 3), dtype=np.float32)], np.random.default_rng(0))
    x = np.ones((1, 3), dtype=np.float32)
    d = np.full((1, 2), -1.0, dtype=np.float32)  # requests +lr per weight: 10 granules at lr 0.1
    up.update([x], [d], 0.1)
    assert up.pulse_counts() == (0, 0) and np.abs(up.layers[0].chi).max() == pytest.approx(0.1)
    up.update([x], [d], 0.1)
    assert sum(up.pulse_counts()) > 0 and np.abs(up.layers[0].chi).max() < EPS
    up.end_of_epoch()  # no forced transfer: nothing pending anyway, and none fired
    assert up.describe()["transfer"] == "stochastic"
