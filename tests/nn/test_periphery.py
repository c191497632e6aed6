"""The analog periphery (io:) against closed forms and against aihwkit 1.2.0's own products
(tests/reference/aihwkit_io.json, made by docs/aihwkit/aihwkit_io_reference.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ferrosim
from ferrosim.config import parse_run_config
from ferrosim.io.datasets import load_dataset
from ferrosim.nn.mlp import MLP
from ferrosim.nn.periphery import IOPass, Periphery, analog_mvm, resolution_step

REF = json.loads((Path(__file__).parents[1] / "reference" / "aihwkit_io.json").read_text())
F32 = np.float32


def passes(io) -> tuple[IOPass, IOPass]:
    cfg = parse_run_config({"io": io}).io
    return IOPass.from_config(cfg.forward, forward=True), IOPass.from_config(cfg.backward, forward=False)


def reference_arrays():
    return (np.array(REF["w"], F32), np.array(REF["x"], F32), np.array(REF["d"], F32))


def test_resolution_is_a_fraction_of_the_full_range_or_a_number_of_steps():
    assert resolution_step(1 / 126, 1.0) == pytest.approx(2 / 126)
    assert resolution_step(126, 1.0) == pytest.approx(2 / 126)  # above 1: a number of steps
    assert resolution_step(1 / 510, 12.0) == pytest.approx(24 / 510)
    assert resolution_step(0.0, 1.0) == 0.0
    fwd, _ = passes("aihwkit_default")
    assert fwd.max_reduction == pytest.approx(0.25 / (2 / 126))  # 15.75: reductions 1, 2, 4, 8, 16


def test_exact_products_match_aihwkit_bit_for_bit():
    """Out noise 0: DAC, ADC, clipping, noise and bound management are deterministic, so the
    products must be aihwkit's own numbers (up to float32 summation order at a rounding edge)."""
    w, x, d = reference_arrays()
    fwd, bwd = passes({"preset": "aihwkit_default", "forward": {"out_noise": 0}, "backward": {"out_noise": 0}})
    rng = np.random.default_rng(0)
    for got, ref, inp in ((analog_mvm(x, w.T, fwd, rng), REF["forward"], x),
                          (analog_mvm(d, w, bwd, rng), REF["backward"], d)):
        ref = np.array(ref, F32)
        assert np.mean(got == ref) >= 0.95
        amax = np.abs(inp).max(axis=1, keepdims=True)
        assert np.all(np.abs(got - ref) <= 16 * (24 / 510) * amax + 1e-6)  # at most one ADC step
    y = analog_mvm(x, w.T, fwd, rng)
    assert 17.5 < y[0, 0] < 18.5  # 20 x 0.9 = 18 > 12: recovered by halving the input (DAC step 1.6%)
    assert np.all(y[2] == 0)  # an all-zero input gives exactly zero


def test_read_noise_statistics_match_aihwkit():
    w, x, d = reference_arrays()
    fwd, bwd = passes("aihwkit_default")
    noise = REF["noise"]
    n = noise["repeats"]
    rng = np.random.default_rng(7)
    for rows, inp, wt, io, key in ((noise["forward_rows"], x, w.T, fwd, "forward"),
                                   (noise["backward_rows"], d, w, bwd, "backward")):
        got = analog_mvm(np.repeat(inp[rows], n, axis=0), wt, io, rng).reshape(len(rows), n, -1)
        ref_mean, ref_std = np.array(noise[f"{key}_mean"]), np.array(noise[f"{key}_std"])
        # both means scatter by std/sqrt(n); the ADC adds a step's worth of rounding
        np.testing.assert_allclose(got.mean(axis=1), ref_mean, atol=6 * ref_std.max() / np.sqrt(n) + 1e-6)
        np.testing.assert_allclose(got.std(axis=1), ref_std, rtol=0.1)


def test_read_noise_scales_with_the_managed_input():
    """out_noise is added to the product of the normalised input: the output noise of a vector
    is out_noise * max|x| (times the bound-management factor)."""
    fwd, _ = passes({"forward": {"out_noise": 0.06, "inp_bound": 1, "noise_management": "abs_max"}})
    rng = np.random.default_rng(3)
    w = rng.uniform(-0.1, 0.1, (8, 30)).astype(F32)
    x = np.repeat(rng.uniform(-2, 2, (1, 30)).astype(F32), 20000, axis=0)
    y = analog_mvm(x, w.T, fwd, rng)
    np.testing.assert_allclose(y.std(axis=0), 0.06 * np.abs(x[0]).max(), rtol=0.03)
    np.testing.assert_allclose(y.mean(axis=0), x[0] @ w.T, atol=4 * 0.06 * 2 / np.sqrt(20000))


def test_dac_and_adc_are_round_to_nearest_with_clipping():
    fwd, _ = passes({"forward": {"inp_res": 0.1, "inp_bound": 1.0, "out_res": 0.05, "out_bound": 2.0}})
    rng = np.random.default_rng(0)
    x = np.array([[0.04, 0.16, -0.55, 1.7]], F32)
    w = np.eye(4, dtype=F32) * 3
    xq = np.clip(np.rint(x / F32(0.2)) * F32(0.2), -1, 1)  # step 0.1 of the range 2
    yq = np.clip(np.rint(xq @ w.T / F32(0.2)) * F32(0.2), -2, 2)  # step 0.05 of the range 4
    np.testing.assert_allclose(analog_mvm(x, w.T, fwd, rng), yq, atol=1e-6)


def test_bound_management_halves_until_nothing_clips():
    w = np.full((1, 10), 1.0, F32)
    x = np.ones((1, 10), F32)  # exact output 10
    plain, _ = passes({"forward": {"inp_bound": 1, "noise_management": "abs_max", "out_bound": 4}})
    managed, _ = passes({"forward": {"inp_bound": 1, "noise_management": "abs_max", "out_bound": 4,
                                     "bound_management": "iterative"}})
    rng = np.random.default_rng(0)
    assert analog_mvm(x, w.T, plain, rng)[0, 0] == pytest.approx(4.0)  # clipped
    assert analog_mvm(x, w.T, managed, rng)[0, 0] == pytest.approx(10.0)  # 10/4 = 2.5 < 4
    limited, _ = passes({"forward": {"inp_bound": 1, "noise_management": "abs_max", "out_bound": 0.5,
                                     "bound_management": "iterative", "max_bm_factor": 4}})
    # factors 1, 2, 4, 8: the try at 8 > max_bm_factor is the last, still clipped (0.5 * 8)
    assert analog_mvm(x, w.T, limited, rng)[0, 0] == pytest.approx(4.0)


def test_digital_bias_is_added_after_the_analog_product():
    """With a digital bias the DAC and noise management see the inputs alone: the bias column's
    1 does not set the scale, and the bias itself is not quantised."""
    fwd, bwd = passes({"forward": {"inp_res": 0.1, "inp_bound": 1, "noise_management": "abs_max"}})
    rng = np.random.default_rng(0)
    a = np.array([[0.02, 0.05, 1.0]], F32)  # two inputs, then the bias column
    w = np.array([[2.0, -1.0, 0.123]], F32)
    digital = Periphery(fwd, bwd, 0.0, True, rng).forward(0, a, w)
    scaled = np.rint(np.array([0.4, 1.0], F32) / F32(0.2)) * F32(0.2) * F32(0.05)  # max|x| = 0.05
    assert digital[0, 0] == pytest.approx(float(scaled @ w[0, :2]) + 0.123, rel=1e-6)
    analog = Periphery(fwd, bwd, 0.0, False, rng).forward(0, a, w)
    assert analog[0, 0] == pytest.approx(0.123, abs=0.011)  # inputs 0.02, 0.05 round to 0 next to 1


def test_training_with_noisy_io_is_reproducible_and_stays_apart_from_the_test_set():
    cfg = {"algorithm": "sgd", "io": "aihwkit_default", "training": {"epochs": 2},
           "dataset": {"train_subset": 200, "test_subset": 100}}
    data = load_dataset("digits")
    a = ferrosim.train(cfg, dataset=data)
    b = ferrosim.train(cfg, dataset=data)
    assert [r.test_accuracy for r in a.records] == [r.test_accuracy for r in b.records]
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa, wb)
    exact = ferrosim.train({**cfg, "io": "perfect"}, dataset=data)
    assert any(not np.array_equal(wa, we) for wa, we in zip(a.weights, exact.weights))
    assert "abs-max noise management" in a.info["analog_io"] and exact.info["analog_io"] == "exact"
    ideal = ferrosim.train({**cfg, "algorithm": "ideal"}, dataset=data)
    assert ideal.info["analog_io"] == "exact"  # the floating-point reference has no periphery


def test_noisy_io_costs_a_little_accuracy_on_digits():
    """aihwkit's default periphery on the digits network: training still works (the DAC and
    ADC steps are far below the signals noise management gives them)."""
    data = load_dataset("digits")
    cfg = {"algorithm": "mixed_precision", "training": {"epochs": 10, "lr": 0.1}, "network": {"hidden": [32]}}
    clean = ferrosim.train(cfg, dataset=data).best_accuracy
    noisy = ferrosim.train({**cfg, "io": "aihwkit_default"}, dataset=data).best_accuracy
    assert noisy > 0.85 and abs(noisy - clean) < 0.05


def test_presets_and_overrides():
    cfg = parse_run_config({"io": {"preset": "aihwkit_default", "forward": {"out_noise": 0.1}}}).io
    assert cfg.forward.out_noise == 0.1 and cfg.backward.out_noise == 0.06
    assert cfg.forward.bound_management == "iterative" and cfg.forward.inp_res == pytest.approx(1 / 126)
    assert parse_run_config({}).io.is_exact and parse_run_config({"io": "perfect"}).io.is_exact
    perfect = parse_run_config({"io": "aihwkit_perfect"}).io
    assert not perfect.is_exact and perfect.forward.is_perfect and perfect.forward.out_bound == 12
    p = Periphery.from_config(perfect, False, np.random.default_rng(0))
    net = MLP((4, 3, 2))
    weights = net.init_weights(np.random.default_rng(1))
    x = np.random.default_rng(2).uniform(0, 1, (5, 4))
    np.testing.assert_array_equal(net.forward(weights, x, p)[1], net.forward(weights, x)[1])


def test_noise_stream_hands_out_the_generators_draws_in_order():
    """Drawing ahead on a helper thread changes when draws are made, never which: the stream is
    np.random.default_rng(seed).standard_normal(float32), across block boundaries too."""
    from ferrosim.nn.periphery import GaussianStream

    stream = GaussianStream(np.random.default_rng(11))
    sizes = [(1, 7), (3, 100), (2, GaussianStream.BLOCK // 2), (1, GaussianStream.BLOCK + 5), (4, 9)]
    got = np.concatenate([stream.take(s).ravel() for s in sizes])
    expected = np.random.default_rng(11).standard_normal(got.size, dtype=np.float32)
    np.testing.assert_array_equal(got, expected)
