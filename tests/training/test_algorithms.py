"""Training algorithms on a strongly asymmetric device (issue 4, DESIGN.md section 4).

Device: soft bounds, up 0.03*(1-g), down 0.01*(1+g): up/down ratio 3 at the weight zero,
symmetry point +0.5. aihwkit 1.2.0 on exactly this device (64-32-10 sigmoid, batch 1, 30
epochs, best lr of 0.05/0.1/0.2): mixed precision 95.6%, plain SGD 10%, shifted SGD 62%.
"""

import numpy as np
import pytest

import ferrosim
from ferrosim.config import parse_run_config
from ferrosim.crossbar.devices import DeviceArrays
from ferrosim.device.models import PowStepDevice, SoftBoundsDevice
from ferrosim.io.datasets import load_dataset
from ferrosim.training.algorithms import make_updater

ASYM = {"model": "softbounds", "a_up": 0.03, "a_down": 0.01, "w_min": -1.0, "w_max": 1.0}


def run(algorithm, seed, epochs=30, lr=0.05, **extra):
    cfg = {"algorithm": algorithm, "seed": seed, "network": {"hidden": [32]},
           "training": {"epochs": epochs, "batch_size": 1, "lr": lr}, "device": ASYM, **extra}
    return ferrosim.train(cfg, dataset=load_dataset("digits"))


@pytest.fixture(scope="module")
def best():
    """Best test accuracy over 30 epochs, mean of seeds 0 and 1 (single epochs are noisy)."""
    return {alg: np.mean([run(alg, s).best_accuracy for s in (0, 1)])
            for alg in ("sgd", "mixed_precision", "sgd_symmetry_shift")}


def test_mixed_precision_beats_plain_sgd_by_15_points(best):
    assert best["mixed_precision"] > 0.93
    assert best["mixed_precision"] - best["sgd"] >= 0.15


def test_symmetry_shift_recovers_a_third_of_the_gap(best):
    gap = best["mixed_precision"] - best["sgd"]
    assert best["sgd_symmetry_shift"] - best["sgd"] >= gap / 3


def _updater(algorithm, device, **extra):
    cfg = parse_run_config({"algorithm": algorithm, "device": device, **extra})
    w0 = [np.zeros((4, 6), dtype=np.float32), np.zeros((3, 5), dtype=np.float32)]
    return make_updater(cfg, w0, np.random.default_rng(0))


def test_symmetry_shift_reference_is_each_devices_symmetry_point():
    up = _updater("sgd_symmetry_shift", {**ASYM, "d2d": 0.2})
    for layer in up.layers:
        d = layer.devices
        expected = (d.a_up - d.a_down) / (d.a_up / d.w_max - d.a_down / d.w_min)
        np.testing.assert_allclose(layer.g_ref, expected, rtol=1e-12)
        assert layer.g_ref.std() > 0.01  # per device, not one number
        np.testing.assert_allclose(layer.read(), 0.0, atol=1e-6)  # zero weights sit at g*
    assert up.describe()["symmetry_point_method"] == "closed form per device"
    assert up.eps == pytest.approx(SoftBoundsDevice(**{k: v for k, v in ASYM.items() if k != "model"})
                                   .step_up(0.5))


def test_symmetry_shift_step_at_g_star_or_aihwkits_dw_min():
    # steps at g* = +0.5: up 0.03*(1-0.5) = down 0.01*(1+0.5) = 0.015; aihwkit's dw_min is 0.03
    assert _updater("sgd_symmetry_shift", ASYM).eps == pytest.approx(0.015)
    aih = _updater("sgd_symmetry_shift", ASYM, symmetry={"granularity": "aihwkit"})
    assert aih.eps == pytest.approx(0.03)
    assert aih.describe()["eps_at"] == "aihwkit"
    # in another update.granularity mode, at g = 0: the smaller step
    low = _updater("sgd_symmetry_shift", ASYM, symmetry={"granularity": "aihwkit"}, update={"granularity": "min"})
    assert low.eps == pytest.approx(0.01)


def test_symmetry_point_by_alternating_pulses_matches_the_root():
    dev = PowStepDevice(a_up=0.02, a_down=0.01, gamma_up=1.5, gamma_down=0.7)
    arrays = DeviceArrays.build(dev, (3, 4), np.random.default_rng(0))
    by_pulses = arrays.symmetry_points_by_pulses(2000, 200)
    np.testing.assert_allclose(by_pulses, dev.symmetry_point(), atol=0.25 * dev.step_up(dev.symmetry_point()))
    up = _updater("sgd_symmetry_shift", {"model": "powstep", "a_up": 0.02, "a_down": 0.01,
                                         "gamma_up": 1.5, "gamma_down": 0.7})
    assert "alternating" in up.describe()["symmetry_point_method"]


def test_balanced_thins_the_stronger_direction():
    up = _updater("sgd_balanced", ASYM)
    layer = up.layers[0]
    np.testing.assert_allclose(layer.p_up, 1 / 3)
    np.testing.assert_allclose(layer.p_down, 1.0)
    assert up.eps == pytest.approx(0.01)
    # statistically: the mean pulses up vs down for a symmetric request are in ratio 1/3
    x = np.ones((1, 6), dtype=np.float32)
    for s in range(300):
        d = np.full((1, 4), 0.05 if s % 2 else -0.05, dtype=np.float32)
        layer.pulsed_update(x, d, 0.1, 31, True, True, np.uint64(3), s)
    n_up, n_down = layer.counts
    assert n_up / n_down == pytest.approx(1 / 3, rel=0.1)


def test_mixed_precision_counts_digital_ops_and_transfers():
    res = run("mixed_precision", 0, epochs=2, lr=0.1,
              mixed_precision={"transfer_every": 4, "max_pulses": 2},
              energy={"digital_costs": {"fp_mult_J": 1e-15, "fp_add_J": 0.0, "sram_access_J": 2e-15}},
              dataset={"train_subset": 101, "test_subset": 50})
    frame = res.to_frame()
    weights = 65 * 32 + 33 * 10
    assert (frame.digital_ops == 101 * weights).all()  # one product per weight and sample
    assert (frame.accumulator_updates == 101 * weights).all()  # one read-add-write per weight and batch (1)
    # products x (mult + add) + read-add-writes x (2 accesses + add)
    assert frame.digital_energy_J.iloc[0] == pytest.approx(101 * weights * 1e-15 + 101 * weights * 4e-15)
    assert res.info["transfers"] == 2 * 26  # ceil(101/4) per epoch: the last partial one too
    assert (frame.pulses_up + frame.pulses_down > 0).all()


def test_lr_step_decay():
    res = ferrosim.train(
        {"algorithm": "ideal", "training": {"epochs": 5, "lr": 0.2, "lr_decay_every": 2},
         "dataset": {"train_subset": 50, "test_subset": 20}})
    assert res.to_frame().lr.tolist() == [0.2, 0.2, 0.1, 0.1, 0.05]


def test_output_bound_gradient_is_what_collapses_plain_sgd():
    """aihwkit zeroes the backward error of outputs at its forward out_bound (12) even with
    perfect I/O; on this device the output layer's weights drift to g* = +0.5, outputs pass 12
    and the masked errors push the hidden layer into saturation: plain SGD ends at chance. With
    the bound (`io: aihwkit_perfect`, out_bound 12) ferrosim does the same as aihwkit; without it, both
    keep the weights' spread (tests/reference/aihwkit_plain_sgd_asym.json, made by aihwkit 1.2.0
    on the same split, initial weights and sample order; docs/algorithms.md)."""
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parents[1] / "reference" / "aihwkit_plain_sgd_asym.json").read_text())
    epoch = 15

    def aihwkit(bounded: bool, key: str) -> list[float]:
        return [r[key][epoch - 1] for r in ref["runs"] if (r["out_bound"] > 0) == bounded]

    for seed in (0, 1):
        bounded = run("sgd", seed, epochs=epoch, io="aihwkit_perfect")
        free = run("sgd", seed, epochs=epoch)
        # with the bound: at chance like every aihwkit run, with aihwkit's narrow weight spread
        assert bounded.final_accuracy <= max(aihwkit(True, "test_accuracy")) + 0.01
        assert bounded.weights[1][:, :-1].std() == pytest.approx(np.mean(aihwkit(True, "layer2_weight_std")), rel=0.2)
        # without: aihwkit's wider spread (its four seeds span 0.070-0.089 here)
        assert free.weights[1][:, :-1].std() == pytest.approx(np.mean(aihwkit(False, "layer2_weight_std")), rel=0.25)


def test_reference_offset_and_spread_as_aihwkits_reference_device():
    exact = _updater("sgd_symmetry_shift", ASYM)
    noisy = _updater("sgd_symmetry_shift", ASYM, symmetry={"reference_mean": 0.1, "reference_std": 0.05})
    for e, n in zip(exact.layers, noisy.layers):
        offset = n.g_ref - e.g_ref
        assert offset.mean() == pytest.approx(0.1, abs=0.05)
        assert offset.std() == pytest.approx(0.05, rel=0.5)  # 24 and 15 devices
        np.testing.assert_allclose(n.read(), 0.0, atol=1e-6)  # zero weights still sit at the reference
    # the spread has its own generator: the devices and their steps are the same draws
    np.testing.assert_array_equal(noisy.layers[0].devices.a_up, exact.layers[0].devices.a_up)
    again = _updater("sgd_symmetry_shift", ASYM, symmetry={"reference_mean": 0.1, "reference_std": 0.05})
    np.testing.assert_array_equal(again.layers[0].g_ref, noisy.layers[0].g_ref)  # reproducible


@pytest.mark.parametrize("algorithm", ["sgd", "mixed_precision", "sgd_symmetry_shift"])
def test_digital_bias_is_a_float_sgd_parameter_and_its_devices_get_no_pulse(algorithm):
    cfg = parse_run_config({"algorithm": algorithm, "network": {"hidden": [4], "digital_bias": True},
                            "device": {**ASYM}})
    rng = np.random.default_rng(0)
    w0 = [rng.uniform(-0.3, 0.3, (4, 6)).astype(np.float32), rng.uniform(-0.3, 0.3, (3, 5)).astype(np.float32)]
    up = make_updater(cfg, w0, np.random.default_rng(0), threads=1)
    g_bias = [layer.g[:, -1].copy() for layer in up.layers]
    expect = [w[:, -1].astype(np.float32).copy() for w in w0]
    for step in range(20):
        x = [np.concatenate([rng.uniform(0, 1, (2, n - 1)), np.ones((2, 1))], 1).astype(np.float32) for n in (6, 5)]
        d = [rng.normal(0, 0.5, (2, m)).astype(np.float32) for m in (4, 3)]
        up.update(x, d, 0.1)
        for k in range(2):
            expect[k] -= np.float32(0.1) * d[k].sum(axis=0)
    up.end_of_epoch()
    for k, layer in enumerate(up.layers):
        np.testing.assert_array_equal(layer.g[:, -1], g_bias[k])  # the bias devices never moved
        np.testing.assert_allclose(up.weights()[k][:, -1], expect[k], rtol=1e-6)  # plain float SGD
    assert sum(up.pulse_counts()) > 0  # the other devices did


@pytest.mark.parametrize("algorithm,device", [("mixed_precision", "asym"), ("sgd", "asym"), ("mixed_precision", "sym")])
def test_default_io_matches_aihwkit_on_digits(algorithm, device):
    """With every option at aihwkit's choice (its default analog I/O, digital bias, stochastic
    transfer), the mean final and best accuracy over seeds 0-3 is within 1.5 points of aihwkit
    1.2.0's on the same split, weights and sample order (tests/reference/aihwkit_digits_default_io.json).
    The noisier rows (plain SGD and shifting on the symmetric device, shifting on the asymmetric
    one) need 24-48 seeds: docs/algorithms.md has them."""
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parents[1] / "reference" / "aihwkit_digits_default_io.json").read_text())
    theirs = [r for r in ref["runs"] if r["algorithm"] == algorithm and r["device"] == device]
    assert sorted(r["seed"] for r in theirs) == [0, 1, 2, 3]
    steps = {"asym": {"a_up": 0.03, "a_down": 0.01}, "sym": {"a_up": 0.02, "a_down": 0.02}}[device]
    ours = [ferrosim.train({"algorithm": algorithm, "seed": r["seed"], "io": "aihwkit_default",
                            "training": {"epochs": 30, "batch_size": 1, "lr": r["lr"]},
                            "network": {"hidden": [32], "digital_bias": True},
                            "device": {"model": "softbounds", "w_min": -1.0, "w_max": 1.0, **steps},
                            "mixed_precision": {"transfer": "stochastic"}}, dataset=load_dataset("digits"))
            for r in theirs]
    assert np.mean([o.final_accuracy for o in ours]) == pytest.approx(np.mean([r["final"] for r in theirs]), abs=0.015)
    assert np.mean([o.best_accuracy for o in ours]) == pytest.approx(np.mean([r["best"] for r in theirs]), abs=0.015)
