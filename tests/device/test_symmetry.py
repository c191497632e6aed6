"""The symmetry point from the data (ferrosim.device.symmetry): the crossing, the recovery of a
known SP on synthetic softbounds, powstep and table devices with cycle-to-cycle noise, the
coverage of the bootstrap's 95% interval over 100 synthetic repeats per model, and the estimate
on the measured ID161ZR15000 ramps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ferrosim.device.models import LinearDevice, PowStepDevice, SoftBoundsDevice, TableDevice
from ferrosim.device.symmetry import Curve, crossing, curve, local_linear, symmetry_from_traces
from ferrosim.io.measurement_data import Ramp, Trace

HZO = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "hzo"

SOFT = SoftBoundsDevice(a_up=0.08, a_down=0.05, w_min=-1.0, w_max=1.0)
"""SP (a_up - a_down)/(a_up/w_max - a_down/w_min) = 0.2308."""
POW = PowStepDevice(a_up=0.12, a_down=0.08, gamma_up=2.0, gamma_down=1.3, w_min=-1.0, w_max=1.0)
"""Unequal exponents: SP -0.0242 by Brent's method."""
_UP = [0.03, 0.10, 0.13, 0.11, 0.08, 0.05, 0.03, 0.015, 0.006]
_DOWN = [0.006, 0.02, 0.04, 0.06, 0.065, 0.055, 0.05, 0.035, 0.015]
TABLE = TableDevice(w_min=-1.0, w_max=1.0, g=np.linspace(-1, 1, 9).tolist(), mean_up=_UP, mean_down=_DOWN,
                    std_up=[0.3 * v for v in _UP], std_down=[0.3 * v for v in _DOWN])
"""Shaped like the measured HZO curves (the up step peaks low in the range): SP 0.1875."""
MODELS = {"softbounds": SOFT, "powstep": POW, "table": TABLE}
C2C = 0.3


def ramps(model, cycles: int, n: int, rng: np.random.Generator, c2c: float = C2C) -> list[Ramp]:
    """`cycles` of n up pulses then n down pulses from near w_min, each step the model's mean
    step times (1 + c2c*xi) (table: mean + std*xi, its own noise), clipped to the bounds."""
    g = model.w_min + 0.02 * (model.w_max - model.w_min)
    out, before = [], g
    for c in range(cycles):
        for direction in ("up", "down"):
            values = np.empty(n)
            for k in range(n):
                xi = rng.standard_normal()
                if isinstance(model, TableDevice):
                    mean, std = ((model.mean_up, model.std_up) if direction == "up"
                                 else (model.mean_down, model.std_down))
                    step = float(np.interp(g, model.g, mean) + np.interp(g, model.g, std) * xi)
                else:
                    mean = model.step_up(g) if direction == "up" else model.step_down(g)
                    step = float(mean) * (1 + c2c * xi)
                g = min(max(g + (step if direction == "up" else -step), model.w_min), model.w_max)
                values[k] = g
            out.append(Ramp(direction, values, start=before, cycle=c))
            before = float(values[-1])
    return out


def trace(model, cycles: int, n: int, seed: int, name: str = "syn.csv") -> Trace:
    return Trace("syn", 1e-6, ramps(model, cycles, n, np.random.default_rng(seed)), Path(name),
                 units="normalised")


def true_sp(model, est) -> float:
    """The model's SP in the estimate's normalised map."""
    lo, hi = est.range_source
    return (model.symmetry_point() - lo) * 2.0 / (hi - lo) - 1.0


# -- the pieces -------------------------------------------------------------------------------
def test_local_linear_is_exact_on_a_line_and_a_lone_point_gives_its_value():
    x = np.sort(np.random.default_rng(0).uniform(-1, 1, 50))
    at = np.linspace(-0.9, 0.9, 7)
    assert np.allclose(local_linear(x, 0.3 - 0.2 * x, at, 0.1), 0.3 - 0.2 * at, atol=1e-8)
    # bandwidth far below the spacing: the nearest points still carry the fit (no 0/0)
    assert np.all(np.isfinite(local_linear(x, np.sin(x), at, 1e-6)))
    assert local_linear(np.array([0.5]), np.array([2.0]), np.array([0.5, 0.9]), 0.1) == pytest.approx([2.0, 2.0])


def test_curve_bridges_a_gap_linearly():
    x = np.array([0.0, 0.01, 0.02, 0.03, 0.97, 0.98, 0.99, 1.0])
    c = curve(x, np.where(x < 0.5, 1.0, 3.0), 0.005)
    assert c(0.5) == pytest.approx(2.0, abs=0.05)  # halfway between the ends, no overshoot


def test_crossing_stable_unstable_and_none():
    line = lambda a, b: Curve(np.array([-1.0, 1.0]), np.array([a - b, a + b]))  # noqa: E731  a + b*g
    value, side, n = crossing(line(0.1, -0.1), line(0.05, 0.05), -1.0, 1.0)
    assert (side, n) == (0, 1) and value == pytest.approx(1 / 3)
    # up larger everywhere: no crossing, the SP lies above
    assert crossing(line(0.2, 0.0), line(0.1, 0.0), -1.0, 1.0)[:2] == (None, 1)
    assert crossing(line(0.1, 0.0), line(0.2, 0.0), -1.0, 1.0)[:2] == (None, -1)
    # up - down rising: an unstable balance only
    assert crossing(line(0.1, 0.1), line(0.1, -0.1), -1.0, 1.0)[:2] == (None, 2)
    # two stable crossings: the one with the wider basin wins
    g = np.linspace(-1, 1, 201)
    up = Curve(g, 0.1 + 0.05 * np.sin(3 * np.pi * (g + 1) / 2 + 0.3))
    value, side, n = crossing(up, Curve(g, np.full_like(g, 0.1)), -1.0, 1.0)
    assert side == 0 and n >= 2 and -1.0 < value < 1.0


# -- synthetic devices ------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(MODELS))
def test_recovers_a_known_sp_within_its_interval(name):
    model = MODELS[name]
    est = symmetry_from_traces([trace(model, cycles=6, n=40, seed=7)], n_boot=400, rng=3)
    truth = true_sp(model, est)
    assert est.value == pytest.approx(truth, abs=0.1)
    lo95, hi95 = est.interval_95
    lo68, hi68 = est.interval_68
    assert lo95 <= lo68 <= est.value <= hi68 <= hi95
    assert lo95 <= truth <= hi95
    assert est.n_units == 6 and "6 (file, cycle) units" in est.scheme
    assert est.n_no_crossing == 0


@pytest.mark.parametrize("name", list(MODELS))
def test_95_percent_interval_covers_the_true_sp_in_90_of_100_repeats(name):
    """4 cycles of 30 pulses each way, 200 draws: 96/95/99 of 100 (softbounds/powstep/table);
    the 68% interval 77/72/68. With 1 or 2 cycles 84-91 (the module docstring)."""
    model = MODELS[name]
    hit95 = hit68 = 0
    for i in range(100):
        est = symmetry_from_traces([trace(model, cycles=4, n=30, seed=1000 + i)], n_boot=200, rng=i)
        truth = true_sp(model, est)
        hit95 += est.interval_95[0] <= truth <= est.interval_95[1]
        hit68 += est.interval_68[0] <= truth <= est.interval_68[1]
    assert hit95 >= 90, (hit95, hit68)
    assert hit68 >= 55, (hit95, hit68)  # and the 68% interval is not a 95% one in disguise


def test_deterministic_for_a_seed_or_a_generator():
    tr = trace(SOFT, cycles=3, n=30, seed=1)
    a = symmetry_from_traces([tr], n_boot=100, rng=5)
    b = symmetry_from_traces([tr], n_boot=100, rng=np.random.default_rng(5))
    c = symmetry_from_traces([tr], n_boot=100, rng=6)
    assert np.array_equal(a.draws, b.draws) and a.interval_95 == b.interval_95
    assert not np.array_equal(a.draws, c.draws)
    assert a.value == c.value  # the point estimate does not depend on the draws


def test_files_are_units_and_one_cycle_resamples_pulses_only():
    files = [trace(SOFT, 1, 50, seed=1, name="a.csv"), trace(SOFT, 1, 50, seed=2, name="b.csv")]
    two = symmetry_from_traces(files, n_boot=50)
    assert two.n_units == 2 and two.scheme.startswith("the 2 (file, cycle) units")
    one = symmetry_from_traces([trace(SOFT, 1, 50, seed=1)], n_boot=50)
    assert one.n_units == 1 and one.scheme.startswith("the pulses of each ramp")
    assert one.smoothers["up"].folds == "blocks" and two.smoothers["up"].folds == "ramps"


def test_no_crossing_returns_none_with_the_reason():
    # constant steps, bounds out of reach: the up step is larger at every measured state
    est = symmetry_from_traces([trace(LinearDevice(a_up=0.04, a_down=0.02, w_min=-5, w_max=5), 2, 40, seed=0)])
    assert est.value is None and est.interval_95 is None
    assert "mean up step exceeds the mean down step" in est.reason
    rec = est.record()
    assert rec["data"] is None and rec["reason"] == est.reason


def test_too_few_steps_returns_none():
    few = [Ramp("up", np.array([0.0, 0.1, 0.2]), start=-0.1), Ramp("down", np.array([0.1, 0.0]))]
    tr = Trace("d", 1e-6, few, Path("d.csv"), units="normalised")
    est = symmetry_from_traces([tr])
    assert est.value is None and "at least 4 distinct states" in est.reason


# -- measured data ----------------------------------------------------------------------------
def _id161(width_s: float):
    if not HZO.is_dir():
        pytest.skip("../shared/data/hzo is not here")
    from ferrosim.io.measurements import read_path

    measurements, _, _ = read_path(HZO)
    traces = [m for m in measurements if m.device == "ID161ZR15000" and m.pulse_width_s == width_s]
    if not traces:
        pytest.skip(f"no ID161ZR15000 files at {width_s:g} s")
    return traces


def test_id161_200us_from_the_data():
    """One cycle (one file): 0.309, 68% 0.279 .. 0.322, 95% 0.222 .. 0.340 (the issue's
    independent check: about 0.26, 0.20 .. 0.33). The interval holds the pulses' noise only."""
    est = symmetry_from_traces(_id161(2e-4), n_boot=1000, rng=0)
    lo95, hi95 = est.interval_95
    assert 0.1 < est.value < 0.5
    assert np.isfinite([lo95, hi95]).all() and lo95 <= est.value <= hi95
    assert hi95 < 0.6  # far from the sparse end the binned table model drifts toward
    assert est.n_units == 1 and est.n_no_crossing == 0
    rec = est.record()
    assert set(rec) >= {"data", "interval_68", "interval_95", "n_boot", "n_no_crossing"}


def test_id161_20ns_two_files_are_resampled_as_units():
    """One of the two 20 ns files has the up step larger everywhere: draws that take it twice
    have no crossing (counted above the overlap)."""
    est = symmetry_from_traces(_id161(2e-8), n_boot=300, rng=0)
    assert est.n_units == 2 and est.n_above > 0 and est.value is not None
