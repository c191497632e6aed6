"""`update.granularity: aihwkit` is the weight granularity aihwkit 1.2.0 computes
(`calcWeightGranularity`) for every device model ferrosim has (issue 30): numbers made with
aihwkit by docs/aihwkit/aihwkit_granularity_reference.py, stored in tests/reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ferrosim.device.models import LinearDevice, PowStepDevice, SoftBoundsDevice, TableDevice, from_aihwkit

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "reference" / "aihwkit_granularity.json").read_text())
MODELS = {"linear": LinearDevice, "softbounds": SoftBoundsDevice, "powstep": PowStepDevice, "table": TableDevice}


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=[c["aihwkit_device"] for c in REFERENCE["cases"]])
def test_the_aihwkit_granularity_is_aihwkit_s(case):
    device = MODELS[case["ferrosim"]["model"]](**case["ferrosim"])
    if "aihwkit_kind" in case:  # ferrosim's own conversion gives the same device
        assert from_aihwkit(case["aihwkit_kind"], **case["aihwkit_params"]) == device
    # aihwkit computes in float32
    assert device.granularity("aihwkit") == pytest.approx(case["granularity"], rel=2e-7)
    assert device.granularity("aihwkit", 0.0) == device.aihwkit_granularity()


def test_every_model_is_covered_and_the_issue_device_differs_from_the_larger_step():
    assert {c["ferrosim"]["model"] for c in REFERENCE["cases"]} == set(MODELS)
    assert REFERENCE["aihwkit"] == "1.2.0"
    # issue 30's PowStep: pow_gamma 2, pow_up_down 0.5 -> gamma_up 2, gamma_down 1
    dev = from_aihwkit("powstep", dw_min=0.02, pow_gamma=2.0, pow_up_down=0.5, w_min=-1.0, w_max=1.0)
    assert (dev.gamma_up, dev.gamma_down) == (2.0, 1.0)
    assert dev.granularity("aihwkit") == pytest.approx(0.005)  # aihwkit's dw_min * 0.5**2
    assert max(dev.step_up(0.0), dev.step_down(0.0)) == pytest.approx(0.01)  # the rule before issue 30
    # at another weight zero (aihwkit has none) the larger step there, as before
    assert dev.granularity("aihwkit", 0.3) == pytest.approx(max(dev.step_up(0.3), dev.step_down(0.3)))


def test_a_table_that_does_not_move_up_at_mid_range_keeps_a_positive_granularity():
    """PiecewiseStep's rule would give 0 (and divide); ferrosim takes the larger step there."""
    table = TableDevice(g=[-1.0, 0.0, 1.0], mean_up=[0.02, 0.0, 0.0], std_up=[0.0] * 3,
                        mean_down=[0.0, 0.03, 0.05], std_down=[0.0] * 3)
    assert table.granularity("aihwkit") == pytest.approx(0.03)
