"""Fitting recovers closed-form softbounds/powstep parameters; tables, model choice, energy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ferrosim.device.fitting import (PARAMS, TABLE_GRID, choose_model, fit_step_table, fit_table, fit_traces, ramp_index,
                                     normalise, rescaled, steps_of)
from ferrosim.device.models import PowStepDevice, SoftBoundsDevice
from ferrosim.io.measurement_data import Ramp, StepTable, Trace

SOFT = SoftBoundsDevice(a_up=0.03, a_down=0.02, w_min=-1.2, w_max=1.1)
POW = PowStepDevice(a_up=0.04, a_down=0.03, gamma_up=1.5, gamma_down=0.8, w_min=-1.1, w_max=1.2)


def make_trace(model, cycles=1, n=200, c2c=0.0, seed=0, to_siemens=None, pw=2e-8, device="dev"):
    """Alternating up/down ramps of identical pulses from near w_min, by the DESIGN rule."""
    rng = np.random.default_rng(seed)
    g = model.w_min * 0.95
    ramps, prev = [], None
    for c in range(cycles):
        for direction in ("up", "down"):
            values = np.empty(n)
            for k in range(n):
                mean = model.step_up(g) if direction == "up" else -model.step_down(g)
                g = min(max(g + float(mean) * (1 + c2c * rng.standard_normal()), model.w_min), model.w_max)
                values[k] = g
            if to_siemens:
                values = to_siemens(values)
            ramps.append(Ramp(direction, values, start=prev, cycle=c))
            prev = float(values[-1])
    return Trace(device, pw, ramps, Path(f"{device}.csv"), units="S" if to_siemens else "normalised")


def relative_errors(result, truth):
    lo, hi = result.range_source
    expected = rescaled(truth, lo, hi)
    return {k: result.params[k][0] / getattr(expected, k) - 1 for k in PARAMS[truth.model]}


@pytest.mark.parametrize("truth", [SOFT, POW], ids=["softbounds", "powstep"])
def test_noise_free_parameters_recovered_within_2_percent(truth):
    res = fit_traces([make_trace(truth)], truth.model)
    errors = relative_errors(res, truth)
    assert max(abs(e) for e in errors.values()) < 0.02, errors
    assert res.stats["c2c"] < 1e-3
    assert res.stats["trace_r2"] > 0.9999


@pytest.mark.parametrize("truth", [SOFT, POW], ids=["softbounds", "powstep"])
def test_noisy_parameters_recovered_within_10_percent(truth):
    res = fit_traces([make_trace(truth, cycles=10, c2c=0.3, seed=1)], truth.model)
    errors = relative_errors(res, truth)
    assert max(abs(e) for e in errors.values()) < 0.10, errors
    assert res.stats["c2c"] == pytest.approx(0.3, rel=0.1)
    # the standard errors are honest: every parameter within 4 of them
    lo, hi = res.range_source
    expected = rescaled(truth, lo, hi)
    for k, (value, se) in res.params.items():
        assert abs(value - getattr(expected, k)) < 4 * se + 1e-12, (k, value, se)


def test_siemens_traces_give_the_range_and_step_in_siemens():
    to_s = lambda g: 1e-9 * (3.0 + g)  # noqa: E731  (g = -1.2 .. 1.1 -> 1.8 .. 4.1 nS)
    res = fit_traces([make_trace(SOFT, to_siemens=to_s)], "softbounds")
    lo, hi = res.range_S
    assert 1.8e-9 <= lo < hi <= 4.1e-9
    # mean step at the weight zero in siemens = normalised step * half the range
    s = res.stats
    assert s["mean_step_at_zero_S"] == pytest.approx(s["mean_step_at_zero"] * (hi - lo) / 2)


def test_symmetry_point_and_ratio_of_fit_match_the_model():
    res = fit_traces([make_trace(SOFT)], "softbounds")
    lo, hi = res.range_source
    expected = rescaled(SOFT, lo, hi)
    assert res.stats["symmetry_point"] == pytest.approx(expected.symmetry_point(), abs=2e-3)
    assert res.stats["step_ratio_at_zero"] == pytest.approx(expected.step_ratio(0.0), rel=0.02)
    assert res.stats["n_states"] == pytest.approx(expected.n_states("aihwkit"), rel=0.02)


def test_cycles_and_repeat_files_are_pooled():
    a = make_trace(SOFT, cycles=2, seed=1, c2c=0.1)
    b = make_trace(SOFT, cycles=2, seed=2, c2c=0.1)
    b.source = Path("dev-repeat.csv")
    res = fit_traces([a, b], "softbounds")
    assert res.stats["n_ramps"] == 8 and res.stats["n_files"] == 2
    assert res.stats["n_pulses_up"] == 4 * 200 - 2  # each file's first read has no state before it


def test_auto_prefers_the_generating_model():
    soft = fit_traces([make_trace(SOFT, cycles=3, c2c=0.1)], "auto")
    assert soft.model.model == "softbounds"
    strong = PowStepDevice(a_up=0.05, a_down=0.04, gamma_up=2.5, gamma_down=2.5, w_min=-1.0, w_max=1.0)
    pw = fit_traces([make_trace(strong, cycles=3, c2c=0.1)], "auto")
    assert pw.model.model == "powstep"
    assert pw.candidates["powstep"] < pw.candidates["softbounds"]
    assert "held-out" in pw.reason


def test_choose_model_parsimony():
    assert choose_model({"softbounds": 1.01, "powstep": 1.0, "table": 1.0})[0] == "softbounds"
    name, why = choose_model({"softbounds": 1.5, "powstep": 1.0, "table": 0.99})
    assert name == "powstep" and "simpler" in why


def test_table_follows_the_mean_step():
    trace = make_trace(SOFT, cycles=10, c2c=0.2, seed=3)
    ramps, _ = normalise([trace])
    g, dg, up = steps_of(ramps)
    table = fit_table(g, dg, up)
    res = fit_traces([trace], "softbounds")
    grid = np.linspace(-0.6, 0.6, 13)
    np.testing.assert_allclose(table.step_up(grid), res.model.step_up(grid), rtol=0.08)
    np.testing.assert_allclose(table.step_down(grid), res.model.step_down(grid), rtol=0.08)
    # the std of the steps about the smoothed mean is the c2c spread: std/mean ~ 0.2 in the middle
    mid = len(table.g) // 2
    assert table.std_up[mid] / table.mean_up[mid] == pytest.approx(0.2, abs=0.05)
    # and its symmetry point is the true model's, in the same coordinates (issue 25: bins dragged
    # it toward the sparse end)
    truth = rescaled(SOFT, *normalise([trace])[1]).symmetry_point()
    assert table.symmetry_point() == pytest.approx(truth, abs=0.05)


def test_table_kernel_is_chosen_per_ramp_when_ramps_are_given():
    """With ramp ids, whole ramps are held out to choose the kernel; the table still follows
    the model and has its symmetry point."""
    trace = make_trace(SOFT, cycles=6, c2c=0.3, seed=5)
    ramps, span = normalise([trace])
    table = fit_table(*steps_of(ramps), *ramp_index(ramps))
    assert len(table.g) == TABLE_GRID
    assert table.symmetry_point() == pytest.approx(rescaled(SOFT, *span).symmetry_point(), abs=0.05)


def test_step_table_is_normalised_onto_minus_one_one():
    g = np.linspace(1e-3, 2e-3, 5)
    t = StepTable("enode", None, g, np.full(5, 1e-5), np.full(5, 2e-6), np.full(5, 5e-6), np.full(5, 1e-6),
                  [Path("x_increasing.txt")])
    res = fit_step_table(t)
    assert res.model.g[0] == -1.0 and res.model.g[-1] == 1.0
    assert res.model.mean_up[0] == pytest.approx(1e-5 * 2 / 1e-3)
    assert res.stats["step_ratio_at_zero"] == pytest.approx(2.0)
    assert res.range_S == (1e-3, 2e-3)
