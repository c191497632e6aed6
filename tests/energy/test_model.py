"""The energy model: defaults, lower/central/upper, stated energies, errors, and pricing."""

from __future__ import annotations

import math

import pytest

from ferrosim.energy import terms
from ferrosim.energy.model import EnergyConfig, EnergyConfigError, price, resolve, summary_energy
from tests.energy.test_terms import electrical


def test_default_model_prices_capacitive_read_and_switching():
    e = electrical()
    plan = resolve(EnergyConfig(), e)
    assert plan.name == "capacitive + conduction[read] + switching + digital"
    cfg = EnergyConfig()
    expect_up = (terms.capacitive_J(e, e.up) + terms.conduction_J("read", e, e.up, cfg)
                 + terms.switching_J(e, e.up, 20.0))
    assert plan.central.total[0] == pytest.approx(expect_up, rel=1e-14)
    # lower: capacitive + read, no switching
    assert plan.lower.total[0] == pytest.approx(expect_up - terms.switching_J(e, e.up, 20.0), rel=1e-14)
    # upper: the most conductive of read and the default schottky_read, with switching
    assert plan.upper_name == "capacitive + conduction[schottky_read] + switching + digital"
    assert plan.upper.total[0] > plan.central.total[0] > plan.lower.total[0]
    # the raw Schottky law is an upper only where it is named
    named = resolve(EnergyConfig(upper=["schottky"]), e)
    assert named.upper_name == "capacitive + conduction[schottky] + switching + digital"


def test_terms_switch_off_and_the_upper_takes_the_largest_configured():
    e = electrical()
    plan = resolve(EnergyConfig(capacitive=False, switching=False, conduction="scaled", conduction_scale=3.0,
                                upper=["read"]), e)
    assert plan.name == "conduction[scaled x3] + digital"
    assert plan.central.capacitive == (0.0, 0.0) and plan.central.switching == (0.0, 0.0)
    # upper = max(scaled x3, read) with switching: the scaled one
    assert plan.upper_name == "conduction[scaled x3] + switching + digital"


def test_measured_current_is_the_default_conduction_where_the_data_have_it():
    # measurements.yaml's conductance_during_pulse_S is an assumption: priced by the `measured`
    # model, named `assumed` (issue 28)
    assert resolve(EnergyConfig(), electrical(conductance_during_pulse_S=1e-5)).name == \
        "capacitive + conduction[assumed] + switching + digital"


def test_stated_energy_is_used_as_is_unless_terms_are_named():
    plan = resolve(EnergyConfig(), None, (2e-12, 3e-12), "measured")
    assert plan.name == "measured energy per pulse + digital" and plan.central.total == (2e-12, 3e-12)
    assert plan.lower.total == plan.upper.total == (2e-12, 3e-12)
    with pytest.raises(EnergyConfigError) as exc:
        resolve(EnergyConfig(capacitive=True), None, (2e-12, 3e-12))
    assert exc.value.key == "capacitive"


def test_without_electrical_data_the_energy_is_unknown():
    plan = resolve(EnergyConfig(), None)
    assert not plan.known
    row = summary_energy(plan, [10], [10], [0], [0], None, 5)
    assert row["total_energy_J"] is None and row["energy_per_pulse_J"] is None


@pytest.mark.parametrize("cfg, key", [
    (dict(conduction="measured"), "conduction"),
    (dict(upper=["measured"]), "upper"),
    (dict(capacitive=True), "capacitive"),
    (dict(switching=True), "switching"),
])
def test_settings_the_data_cannot_price_name_their_key(cfg, key):
    no_area = electrical(area_um2=None)
    with pytest.raises(EnergyConfigError) as exc:
        resolve(EnergyConfig(**cfg), no_area)
    assert exc.value.key == key


def test_price_per_epoch_and_totals():
    e = electrical()
    plan = resolve(EnergyConfig(), e)
    up, down = plan.central.total
    res = price(plan, [10, 20], [5, 0], [100, 100], [7, 7])
    dig = 100 * plan.digital.mac_J + 7 * plan.digital.accumulator_update_J
    assert res.epoch_pulse_J.tolist() == [10 * up + 5 * down, 20 * up]
    assert res.cumulative_J[-1] == pytest.approx(30 * up + 5 * down + 2 * dig, rel=1e-14)
    assert res.terms_J["switching"] == pytest.approx(30 * plan.central.switching[0] + 5 * plan.central.switching[1])
    assert res.terms_J["digital"] == pytest.approx(2 * dig)
    row = summary_energy(plan, [10, 20], [5, 0], [100, 100], [7, 7], 2, 4)
    assert row["energy_to_target_J"] == row["total_energy_J"] == res.cumulative_J[-1]
    assert row["energy_per_update_J"] == pytest.approx(row["total_energy_J"] / 4)
    assert row["total_energy_lower_J"] < row["total_energy_J"] < row["total_energy_upper_J"]
    assert row["pulse_energy_J"] + row["energy_digital_J"] == pytest.approx(row["total_energy_J"], rel=1e-14)
    assert math.isclose(row["energy_capacitive_J"] + row["energy_conduction_J"] + row["energy_switching_J"],
                        row["pulse_energy_J"], rel_tol=1e-14)


def test_lower_never_exceeds_the_configured_model():
    e = electrical()
    plan = resolve(EnergyConfig(conduction="none", switching=False), e)
    assert plan.lower.total == plan.central.total
    assert plan.upper.total[0] > plan.central.total[0]


def test_an_iv_table_that_does_not_cover_the_pulses_falls_back_to_read_unless_asked_for():
    from ferrosim.energy.inputs import IVTable

    short = electrical(iv_table=IVTable(voltage_V=[0.0, 2.5], current_A=[0.0, 1e-6]))
    assert "conduction[read]" in resolve(EnergyConfig(), short).name
    with pytest.raises(EnergyConfigError):
        resolve(EnergyConfig(conduction="measured"), short)
