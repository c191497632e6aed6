"""The pulsed SGD kernel: unbiased in the linear regime, counts every pulse, reproducible."""

import math

import numpy as np
import pytest

from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.rng import derive_key, next_uniform, root_key, seed_state
from ferrosim.crossbar.sgd import pulse_train_scales, pulsed_sgd_update, scratch_buffers
from ferrosim.device.models import LinearDevice, SoftBoundsDevice

EPS = 0.01
LINEAR_WIDE = LinearDevice(a_up=EPS, a_down=EPS, w_min=-100.0, w_max=100.0)


def run_kernel(dev, g, xs, ds, lr, *, bl=31, um=True, blm=True, key=np.uint64(1), sample0=0, arrays=None,
               p_up=None, p_down=None):
    arrays = arrays or DeviceArrays.build(dev, g.shape, np.random.default_rng(0))
    counts = np.zeros(2, dtype=np.int64)
    ones = np.ones(g.shape)
    pulsed_sgd_update(g, xs.astype(np.float32), ds.astype(np.float32), lr, EPS, bl, um, blm, key,
                      sample0, arrays.model_code, arrays.a_up, arrays.a_down, arrays.w_min,
                      arrays.w_max, arrays.gamma_up, arrays.gamma_down, arrays.c2c, arrays.noisy,
                      arrays.t_g0, arrays.t_dg, arrays.t_vals, *scratch_buffers(bl, g.shape[1]), counts,
                      ones if p_up is None else p_up, ones if p_down is None else p_down,
                      np.zeros(g.shape, dtype=np.float32), np.zeros(g.shape), 1.0)
    return counts


@pytest.mark.parametrize("um,blm,lr", [(True, True, 0.1), (True, False, 0.1), (False, False, 0.05),
                                       (True, True, 0.9)])
def test_mean_update_equals_minus_lr_d_xT(um, blm, lr):
    """Linear device, wide bounds: E[dW] = -lr d x^T within 3 standard errors, per weight."""
    x = np.array([0.9, -0.4, 0.05, 0.0, 1.0], dtype=np.float32)
    d = np.array([0.3, -0.12, 0.02], dtype=np.float32)
    n = 4000
    samples = np.empty((n, 3, 5))
    for s in range(n):
        g = np.zeros((3, 5))  # fresh devices: 4000 updates in a row would reach the bounds
        run_kernel(LINEAR_WIDE, g, x[None], d[None], lr, um=um, blm=blm, sample0=s)
        samples[s] = g
    target = -lr * np.outer(d, x)
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / math.sqrt(n)
    nonzero = target != 0
    assert np.all(np.abs(mean - target)[nonzero] <= 3 * se[nonzero])
    # Where an input is zero no pulse may ever reach that column.
    assert np.all(samples[:, :, x == 0] == 0)


def test_update_saturates_when_pulse_train_is_too_short():
    """k = lr*max|x|*max|d|/eps above BL caps probabilities at 1: the update falls short.

    This is aihwkit's behaviour too; ferrosim reproduces it rather than hiding it.
    """
    x = np.array([[1.0]], dtype=np.float32)
    d = np.array([[1.0]], dtype=np.float32)
    g = np.zeros((1, 1))
    counts = run_kernel(LINEAR_WIDE, g, x, d, 1.0)  # k = 100 > BL = 31
    assert counts[1] == 31 and g[0, 0] == pytest.approx(-0.31)


def test_bl_management_implies_update_management_as_in_aihwkit():
    assert pulse_train_scales(0.1, 1.0, 0.3, EPS, 31, False, True) == pulse_train_scales(
        0.1, 1.0, 0.3, EPS, 31, True, True)


def test_probabilities_never_exceed_one_with_bl_management():
    for lr, xm, dm in [(0.1, 1.0, 0.5), (1.0, 1.0, 1.0), (0.001, 0.2, 0.01), (5.0, 1.0, 0.9)]:
        bl, a, b = pulse_train_scales(lr, xm, dm, EPS, 31, True, True)
        assert 1 <= bl <= 31
        k = lr * xm * dm / EPS
        assert bl == min(max(math.ceil(k), 1), 31)
        assert b * xm <= 1 + 1e-12  # the input side never saturates
        if k <= 31:
            assert a * dm <= 1 + 1e-12
            # The expected pulse count of the largest coincidence is lr*xm*dm/eps.
            assert bl * (a * dm) * (b * xm) == pytest.approx(k)
        else:
            assert a * dm > 1  # the error side saturates: at most BL pulses


def reference_pulses(g, x, d, lr, key, sample, bl_max=31):
    """Plain-Python replay of one sample (same streams): states and (up, down) counts."""
    g = g.copy()
    x_max, d_max = np.abs(x).max(), np.abs(d).max()
    bl, a_s, b_s = pulse_train_scales(lr, float(x_max), float(d_max), EPS, bl_max, True, True)
    skey = np.uint64(derive_key(key, np.uint64(sample)))
    st = np.uint64(seed_state(np.uint64(derive_key(skey, np.uint64(0)))))
    fires = []
    for _t in range(bl):
        row = []
        for j in range(len(x)):
            if x[j] == 0:
                continue
            st, u = next_uniform(st)
            st = np.uint64(st)
            if u < b_s * abs(x[j]):
                row.append(j)
        fires.append(row)
    up = down = coincidences = 0
    for i in range(len(d)):
        if d[i] == 0:
            continue
        rs = np.uint64(seed_state(np.uint64(derive_key(skey, np.uint64(i + 1)))))
        for t in range(bl):
            rs, u = next_uniform(rs)
            rs = np.uint64(rs)
            if u >= a_s * abs(d[i]):
                continue
            for j in fires[t]:
                coincidences += 1
                if (x[j] > 0) == (d[i] > 0):
                    g[i, j] -= EPS
                    down += 1
                else:
                    g[i, j] += EPS
                    up += 1
    return g, up, down, coincidences


def test_pulse_count_equals_coincidence_count_and_replays_exactly():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, 7).astype(np.float32)
    x[2] = 0.0
    d = rng.uniform(-0.5, 0.5, 4).astype(np.float32)
    g = np.zeros((4, 7))
    key = root_key(11)
    ref_g, up, down, coincidences = reference_pulses(g, x.astype(np.float64), d.astype(np.float64), 0.5, key, 3)
    counts = run_kernel(LINEAR_WIDE, g, x[None], d[None], 0.5, key=key, sample0=3)
    assert coincidences > 50
    assert counts[0] + counts[1] == coincidences
    assert (counts[0], counts[1]) == (up, down)
    np.testing.assert_allclose(g, ref_g, atol=1e-12)


def test_zero_input_or_error_gives_no_pulses():
    g = np.zeros((3, 4))
    counts = run_kernel(LINEAR_WIDE, g, np.zeros((2, 4)), np.ones((2, 3)), 0.1)
    assert counts.sum() == 0 and not g.any()
    counts = run_kernel(LINEAR_WIDE, g, np.ones((2, 4)), np.zeros((2, 3)), 0.1)
    assert counts.sum() == 0 and not g.any()


def test_reproducible_for_a_key_and_different_for_another():
    rng = np.random.default_rng(0)
    xs = rng.uniform(0, 1, (16, 20))
    ds = rng.normal(0, 0.2, (16, 8))
    dev = SoftBoundsDevice(a_up=0.01, a_down=0.01, c2c=0.3)
    results = []
    for key in (np.uint64(5), np.uint64(5), np.uint64(6)):
        g = np.zeros((8, 20))
        counts = run_kernel(dev, g, xs, ds, 0.1, key=key)
        results.append((g, counts))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert not np.array_equal(results[0][0], results[2][0])


def test_down_pulse_when_x_and_d_share_sign():
    g = np.zeros((1, 1))
    counts = run_kernel(LINEAR_WIDE, g, np.array([[1.0]]), np.array([[0.5]]), 0.3)
    assert counts[0] == 0 and counts[1] > 0 and g[0, 0] < 0
    g = np.zeros((1, 1))
    counts = run_kernel(LINEAR_WIDE, g, np.array([[1.0]]), np.array([[-0.5]]), 0.3)
    assert counts[1] == 0 and counts[0] > 0 and g[0, 0] > 0


def test_pulses_respect_device_bounds():
    dev = SoftBoundsDevice(a_up=0.2, a_down=0.2, c2c=0.5)
    g = np.zeros((5, 5))
    rng = np.random.default_rng(1)
    run_kernel(dev, g, rng.uniform(-1, 1, (200, 5)), rng.uniform(-1, 1, (200, 5)), 1.0)
    assert g.min() >= -1.0 and g.max() <= 1.0
