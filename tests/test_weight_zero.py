"""The weight zero and the symmetry point offset (issue 25, items 3 and 4): each convention puts
`g_ref` where it says, the offset moves the symmetry point a run trains under by exactly its
value, and a setting the device cannot honour is a one-line error."""

from __future__ import annotations

import numpy as np
import pytest

from ferrosim.config import parse_run_config
from ferrosim.config.weight_zero import resolve_weight_zero
from ferrosim.device.models import SoftBoundsDevice, TableDevice
from ferrosim.errors import InputError
from ferrosim.sweeps.plan import run_id_of

SOFT = SoftBoundsDevice(a_up=0.02, a_down=0.01, w_min=-1.0, w_max=1.0)  # g* = 1/3
RECORD = {"data": 0.30, "interval_68": [0.25, 0.36], "interval_95": [0.20, None]}
FITTED = {"mean_state": -0.17, "symmetry_point_data": RECORD}


def test_each_weight_zero_convention_puts_g_ref_where_it_says():
    sp = SOFT.symmetry_point()
    assert sp == pytest.approx(1 / 3)
    assert resolve_weight_zero(SOFT, "midrange", 0.0, None).g_ref == 0.0
    assert resolve_weight_zero(SOFT, "symmetry_point", 0.0, None).g_ref == pytest.approx(sp)
    assert resolve_weight_zero(SOFT, "mean_conductance", 0.0, FITTED).g_ref == pytest.approx(-0.17)
    assert resolve_weight_zero(SOFT, 0.125, 0.0, None).g_ref == 0.125
    # the distance from the weight zero to the symmetry point is what plain SGD feels
    wz = resolve_weight_zero(SOFT, "mean_conductance", 0.0, FITTED)
    assert wz.record("mean_conductance", 0.0)["symmetry_point_minus_g_ref"] == pytest.approx(sp + 0.17)


def test_the_offset_moves_the_trained_symmetry_point_by_its_value():
    sp = SOFT.symmetry_point()
    for offset in (-0.2, 0.0, 0.15):
        wz = resolve_weight_zero(SOFT, "midrange", offset, None)
        assert wz.g_ref == pytest.approx(-offset)
        assert wz.record("midrange", offset)["symmetry_point_minus_g_ref"] == pytest.approx(sp + offset)
    # by name: the data's estimate and its interval's ends, relative to the model's g*
    for name, target in (("data", 0.30), ("data_68_low", 0.25), ("data_68_high", 0.36), ("data_95_low", 0.20)):
        wz = resolve_weight_zero(SOFT, "midrange", name, FITTED)
        assert wz.offset == pytest.approx(target - sp)
        assert wz.record("midrange", name)["symmetry_point_trained"] == pytest.approx(target)
    # an open end (draws without a crossing) is taken at the end of the measured range
    assert resolve_weight_zero(SOFT, "midrange", "data_95_high", FITTED).offset == pytest.approx(1.0 - sp)


def test_moving_the_weight_zero_is_translating_the_device():
    """A table device translated by +d, weight zero 0, steps the same at every weight as the
    untranslated device with its weight zero at -d: the offset is exact."""
    g = np.linspace(-1.0, 1.0, 9)
    up, down = 0.02 * (1 - g) + 0.001, 0.01 * (1 + g) + 0.001
    base = TableDevice(g=g.tolist(), mean_up=up.tolist(), mean_down=down.tolist(), std_up=[0] * 9, std_down=[0] * 9)
    d = 0.2
    moved = TableDevice(g=(g + d).tolist(), mean_up=up.tolist(), mean_down=down.tolist(), std_up=[0] * 9,
                        std_down=[0] * 9, w_min=-1.0 + d, w_max=1.0 + d)
    assert moved.symmetry_point() == pytest.approx(base.symmetry_point() + d)
    g_ref = resolve_weight_zero(base, "midrange", d, None).g_ref
    w = np.linspace(-0.5, 0.5, 11)  # weights (scale 1): states g_ref + w on the base device, w on the moved one
    np.testing.assert_allclose(base.step_up(g_ref + w), moved.step_up(w), rtol=1e-12)
    np.testing.assert_allclose(base.step_down(g_ref + w), moved.step_down(w), rtol=1e-12)


def test_what_the_device_cannot_honour_is_refused():
    with pytest.raises(ValueError, match="mean_conductance needs the mean measured state"):
        resolve_weight_zero(SOFT, "mean_conductance", 0.0, None)
    with pytest.raises(ValueError, match="data_68_low: no symmetry point from the data"):
        resolve_weight_zero(SOFT, "midrange", "data_68_low", {"mean_state": 0.0})
    with pytest.raises(ValueError, match="outside the device's range"):
        resolve_weight_zero(SOFT, "midrange", 1.5, None)
    with pytest.raises(InputError, match="device.weight_zero: mean_conductance needs"):
        parse_run_config({"device": {"model": "softbounds", "weight_zero": "mean_conductance"}})
    with pytest.raises(InputError, match="device.symmetry_point_offset: puts the weight zero"):
        parse_run_config({"device": {"model": "softbounds", "symmetry_point_offset": -2.0}})
    with pytest.raises(InputError, match="device.weight_zero"):
        parse_run_config({"device": {"weight_zero": "centre"}})


def test_defaults_keep_run_ids_and_a_moved_zero_changes_them():
    base = {"device": {"model": "softbounds", "a_up": 0.02, "a_down": 0.01}}
    rid = run_id_of(parse_run_config(base))
    assert run_id_of(parse_run_config({"device": {**base["device"], "weight_zero": "midrange",
                                                  "symmetry_point_offset": 0.0}})) == rid
    moved = {run_id_of(parse_run_config({"device": {**base["device"], "symmetry_point_offset": v}})) for v in (0.1, 0.2)}
    assert len(moved) == 2 and rid not in moved
    assert run_id_of(parse_run_config({"device": {**base["device"], "weight_zero": "symmetry_point"}})) != rid


def test_training_programs_the_weights_around_the_moved_zero():
    """The updater's layers read g_ref from the setting, its run.json record says so, and the
    initial weights come back as programmed (the states are g_ref + w/s)."""
    from ferrosim.training.algorithms import make_updater

    cfg = parse_run_config({"device": {"model": "softbounds", "a_up": 0.02, "a_down": 0.01,
                                       "symmetry_point_offset": 0.1}, "algorithm": "sgd"})
    w0 = [np.full((3, 4), 0.05)]
    up = make_updater(cfg, w0, np.random.default_rng(0))
    layer = up.layers[0]
    assert np.all(layer.g_ref == pytest.approx(-0.1))
    np.testing.assert_allclose(layer.g, -0.1 + 0.05, rtol=1e-12)
    info = up.describe()
    assert info["g_ref"] == pytest.approx(-0.1) and info["symmetry_point_offset"] == 0.1
    assert info["symmetry_point_trained"] == pytest.approx(SOFT.symmetry_point() + 0.1)
