"""Property-based tests (hypothesis): device models, the pulse kernel, the config parser."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrosim.config import RunConfig, parse_run_config
from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.crossbar.layer import CrossbarLayer
from ferrosim.device.models import PowStepDevice, SoftBoundsDevice

steps = st.floats(1e-4, 0.3)
lower = st.floats(-3.0, -0.2)
upper = st.floats(0.2, 3.0)
gammas = st.floats(0.2, 4.0)


def softbounds():
    return st.builds(SoftBoundsDevice, a_up=steps, a_down=steps, w_min=lower, w_max=upper,
                     c2c=st.floats(0, 0.5))


def powstep():
    return st.builds(PowStepDevice, a_up=steps, a_down=steps, w_min=lower, w_max=upper,
                     gamma_up=gammas, gamma_down=gammas, c2c=st.floats(0, 0.5))


@settings(max_examples=60, deadline=None)
@given(dev=st.one_of(softbounds(), powstep()), n_up=st.integers(0, 300), n_down=st.integers(0, 300),
       start=st.floats(-1, 1))
def test_pulses_keep_g_within_bounds(dev, n_up, n_down, start):
    g0 = min(max(start, dev.w_min), dev.w_max)
    trace = dev.apply_pulses(g0, n_up, n_down)
    assert np.all(trace >= dev.w_min) and np.all(trace <= dev.w_max)


@settings(max_examples=60, deadline=None)
@given(dev=st.one_of(softbounds(), powstep()))
def test_symmetry_point_is_where_mean_steps_balance(dev):
    g = dev.symmetry_point()
    assert dev.w_min <= g <= dev.w_max
    if dev.w_min < g < dev.w_max:
        # up - down changes sign across g (steps may be steep near a bound: x**0.25)
        delta = 1e-9 * (dev.w_max - dev.w_min)
        lo, hi = max(g - delta, dev.w_min), min(g + delta, dev.w_max)
        assert (dev.step_up(lo) - dev.step_down(lo)) * (dev.step_up(hi) - dev.step_down(hi)) <= 0
    else:  # no crossing: the stronger direction wins everywhere, the device sits at its bound
        inside = np.linspace(dev.w_min, dev.w_max, 101)[1:-1]
        diff = dev.step_up(inside) - dev.step_down(inside)
        assert np.all(diff > 0) if g == dev.w_max else np.all(diff < 0)


@settings(max_examples=40, deadline=None)
@given(dev=st.one_of(softbounds(), powstep()), seed=st.integers(0, 2**31), n_in=st.integers(1, 12),
       n_out=st.integers(1, 6), lr=st.floats(0.001, 1.0))
def test_kernel_zero_input_fires_nothing_and_g_stays_in_bounds(dev, seed, n_in, n_out, lr):
    rng = np.random.default_rng(seed)
    arrays = DeviceArrays.build(dev, (n_out, n_in), rng)
    layer = CrossbarLayer(arrays, 0.0, 1.0, float(dev.granularity("aihwkit")))
    layer.program(rng.normal(0, 0.3, (n_out, n_in)))
    g0 = layer.g.copy()
    zeros_x = np.zeros((1, n_in), dtype=np.float32)
    ds = rng.normal(0, 1, (1, n_out)).astype(np.float32)
    layer.pulsed_update(zeros_x, ds, lr, 31, True, True, np.uint64(seed), 0)
    assert layer.counts.sum() == 0 and np.array_equal(layer.g, g0)
    xs = rng.random((3, n_in)).astype(np.float32)
    layer.pulsed_update(xs, rng.normal(0, 1, (3, n_out)).astype(np.float32), lr, 31, True, True,
                        np.uint64(seed), 1)
    assert np.all(layer.g >= arrays.w_min) and np.all(layer.g <= arrays.w_max)
    # at most one pulse per slot and device (BL 31, 3 samples); no pulses, no change
    assert layer.counts.sum() <= 31 * n_in * n_out * 3
    if layer.counts.sum() == 0:
        assert np.array_equal(layer.g, g0)
    # the weights the network reads follow the devices exactly
    np.testing.assert_array_equal(layer.read(), (layer.g - layer.g_ref).astype(np.float32))


configs = st.fixed_dictionaries({
    "seed": st.integers(0, 2**31),
    "algorithm": st.sampled_from(["ideal", "sgd", "mixed_precision", "sgd_symmetry_shift", "sgd_balanced"]),
    "network": st.fixed_dictionaries({"hidden": st.lists(st.integers(1, 64), min_size=1, max_size=3),
                                      "activation": st.sampled_from(["sigmoid", "tanh", "relu"])}),
    "training": st.fixed_dictionaries({"epochs": st.integers(1, 50), "batch_size": st.integers(1, 128),
                                       "lr": st.floats(1e-4, 2.0), "lr_decay_every": st.none() | st.integers(1, 10)}),
    "device": st.fixed_dictionaries({"model": st.just("softbounds"), "a_up": steps, "a_down": steps,
                                     "w_min": lower, "w_max": upper, "c2c": st.floats(0, 0.5)}),
    "update": st.fixed_dictionaries({"bl": st.integers(1, 63), "granularity": st.sampled_from(["aihwkit", "min", "mean"])}),
})


@settings(max_examples=60, deadline=None)
@given(data=configs)
def test_config_round_trips(data):
    cfg = parse_run_config(data)
    again = parse_run_config(cfg.model_dump(mode="json"))
    assert again == cfg
    assert RunConfig.model_validate_json(cfg.model_dump_json()) == cfg
