"""Each energy term against a hand calculation; the Schottky law against its published form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ferrosim.energy import terms
from ferrosim.energy.inputs import DirectionPulses, IVTable, PulseElectrical
from ferrosim.energy.model import DigitalParams, EnergyConfig, EnergyConfigError, digital_energy, resolve

EPS0 = 8.8541878128e-12


def electrical(**over) -> PulseElectrical:
    """Two measured pulses per direction with round numbers."""
    base = dict(
        pulse_width_s=1e-6, area_um2=100.0, thickness_nm=10.0, permittivity=25.0, read_voltage_V=0.1,
        conductance_range_S=[1e-7, 5e-7],
        up=DirectionPulses(amplitude_V=[2.0, 4.0], read_conductance_S=[2e-7, 3e-7], step_S=[4e-8, 2e-8],
                           read_conductance_same_polarity_S=[2.2e-7, 3.3e-7]),
        down=DirectionPulses(amplitude_V=[3.0, 3.0], read_conductance_S=[4e-7, 2e-7], step_S=[1e-8, 3e-8]),
    )
    base.update(over)
    return PulseElectrical(**base)


def test_capacitive_is_c_v2_mean():
    e = electrical()
    c = EPS0 * 25 * 100e-12 / 10e-9
    assert terms.capacitance_F(100.0, 10.0, 25.0) == pytest.approx(c, rel=1e-15)
    assert terms.capacitive_J(e, e.up) == pytest.approx(c * (4 + 16) / 2, rel=1e-14)
    assert terms.capacitive_J(e, e.down) == pytest.approx(c * 9, rel=1e-14)


def test_read_conduction_uses_the_read_at_the_pulse_polarity():
    e = electrical()
    # up: same-polarity reads given; down: only the mean read
    assert terms.conduction_J("read", e, e.up, EnergyConfig()) == pytest.approx(
        (4 * 2.2e-7 + 16 * 3.3e-7) / 2 * 1e-6, rel=1e-14)
    assert terms.conduction_J("read", e, e.down, EnergyConfig()) == pytest.approx(
        (9 * 4e-7 + 9 * 2e-7) / 2 * 1e-6, rel=1e-14)
    scaled = terms.conduction_J("scaled", e, e.down, EnergyConfig(conduction_scale=7.0))
    assert scaled == pytest.approx(7 * (9 * 4e-7 + 9 * 2e-7) / 2 * 1e-6, rel=1e-14)


def test_switching_is_fraction_of_2pr_a_times_v():
    e = electrical()
    p_r = 20e-6 / 1e-4  # 20 uC/cm^2 in C/m^2
    area = 100e-12
    q = [2 * p_r * area * 4e-8 / 4e-7, 2 * p_r * area * 2e-8 / 4e-7]
    assert terms.switching_J(e, e.up, 20.0) == pytest.approx((q[0] * 2 + q[1] * 4) / 2, rel=1e-14)
    # a step across the whole range reverses 2*P_r*A
    full = electrical(down=DirectionPulses(amplitude_V=[1.0], read_conductance_S=[1e-7], step_S=[4e-7]))
    assert terms.switching_J(full, full.down, 20.0) == pytest.approx(2 * p_r * area * 1.0, rel=1e-14)


def published_schottky(v, phi_B=0.19, eps_r=18.2, T=300.0, d_cm=5e-7, alpha=3e-4, mu=8.9e-3):
    """The modified-Schottky law as the precursor study wrote it (PaU1570/msc_project,
    add_energy_to_metrics): eps0 in e^2/(eV cm), k in eV/K, E in V/cm, J in A/cm^2."""
    eps0 = 552634.9406
    k = 8.617e-5
    e_field = v / d_cm
    return alpha * T**1.5 * e_field * mu * math.exp(-(phi_B - math.sqrt(e_field / (4 * math.pi * eps0 * eps_r))) / (k * T))


@pytest.mark.parametrize("v", [0.1, 1.0, 2.0, 3.0, 5.0])
def test_schottky_matches_the_published_form(v):
    ours = terms.schottky_current_density(np.array([v]), phi_B_eV=0.19, eps_r=18.2, temperature_K=300.0,
                                          thickness_nm=5.0, alpha=3e-4, mu=8.9e-3)[0]
    # the precursor's rounded k (8.617e-5 eV/K) moves the exponent by ~4e-5 relative
    assert ours == pytest.approx(published_schottky(v), rel=5e-4)


def test_schottky_values_and_validity_limit():
    j = terms.schottky_current_density(np.array([1.0, 5.0]), phi_B_eV=0.19, eps_r=18.2, temperature_K=300.0,
                                       thickness_nm=5.0, alpha=3e-4, mu=8.9e-3)
    assert j[0] == pytest.approx(2.315e3, rel=2e-3)  # A/cm^2, computed by hand from the formula
    assert j[1] == pytest.approx(4.739e6, rel=2e-3)
    v_c = terms.schottky_barrier_collapse_V(phi_B_eV=0.19, eps_r=18.2, thickness_nm=5.0)
    assert v_c == pytest.approx(2.28, abs=0.01)
    at = terms.schottky_current_density(np.array([v_c]), phi_B_eV=0.19, eps_r=18.2, temperature_K=300.0,
                                        thickness_nm=5.0, alpha=3e-4, mu=8.9e-3)[0]
    # at V_c the barrier is fully lowered: J = alpha T^1.5 E mu exactly
    assert at == pytest.approx(3e-4 * 300**1.5 * (v_c / 5e-7) * 8.9e-3, rel=1e-12)


def test_schottky_current_uses_the_area_and_the_anchored_variant_equals_the_read_at_v_read():
    e = electrical(up=DirectionPulses(amplitude_V=[0.1, 2.0], read_conductance_S=[2e-7, 2e-7], step_S=[1e-8, 1e-8]))
    cfg = EnergyConfig()
    # one geometry (issue 24): the law's field E = V/t uses the device's film thickness
    assert terms.schottky_params(e, cfg)["thickness_nm"] == e.thickness_nm
    j = terms.schottky_current_density(np.array([0.1, 2.0]), **terms.schottky_params(e, cfg))
    assert terms.conduction_J("schottky", e, e.up, cfg) == pytest.approx(
        np.mean(np.array([0.1, 2.0]) * j * 100e-8 * 1e-6), rel=1e-14)
    anchored, lower, beyond = terms.CONDUCTION_CURRENT["schottky_read"](e, e.up, cfg, True)
    assert np.array_equal(anchored, lower) and not beyond.any()  # only a measured I-V curve has a band
    assert anchored[0] == pytest.approx(0.1 * 2e-7, rel=1e-12)  # at the read voltage: the read current
    gain = (j[1] / 2.0) / (j[0] / 0.1)  # the law's conductance ratio between 2 V and 0.1 V
    assert anchored[1] == pytest.approx(2.0 * 2e-7 * gain, rel=1e-12)


def test_measured_current_table_and_stated_conductance():
    up = DirectionPulses(amplitude_V=[2.0, 4.0], read_conductance_S=[2e-7, 3e-7], step_S=[4e-8, 2e-8],
                         current_A=[1e-5, 3e-5])
    e = electrical(up=up)
    assert terms.conduction_J("measured", e, e.up, EnergyConfig()) == pytest.approx((2 * 1e-5 + 4 * 3e-5) / 2 * 1e-6)
    table = electrical(iv_table=IVTable(voltage_V=[0.0, 2.0, 4.0], current_A=[0.0, 1e-6, 5e-6]))
    assert terms.conduction_J("measured", table, table.down, EnergyConfig()) == pytest.approx(3 * 3e-6 * 1e-6)
    stated = electrical(conductance_during_pulse_S=1e-5)
    assert terms.conduction_J("measured", stated, stated.down, EnergyConfig()) == pytest.approx(9 * 1e-5 * 1e-6)


def test_iv_table_must_cover_the_amplitudes():
    short = electrical(iv_table=IVTable(voltage_V=[0.0, 2.5], current_A=[0.0, 1e-6]))
    with pytest.raises(EnergyConfigError, match="covers 0-2.5 V but the pulses reach 2-4 V") as exc:
        resolve(EnergyConfig(conduction="measured"), short)
    assert exc.value.key == "conduction"


def test_digital_is_products_and_accumulator_read_add_writes():
    d = DigitalParams()
    assert d.mac_J == pytest.approx(3.7e-12 + 0.9e-12)
    assert d.accumulator_update_J == pytest.approx(2 * 5e-12 + 0.9e-12)
    assert digital_energy(d, 1000, 10) == pytest.approx(1000 * 4.6e-12 + 10 * 10.9e-12)
    assert digital_energy(None, 1000, 10) == 0.0
