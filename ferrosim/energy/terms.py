"""The energy terms of one programming pulse, each a plain function of measured facts.

docs/physics.md ("Energy") gives every formula with its units, parameters, defaults and
sources. Per direction, a term's energy per pulse is the mean over the measured pulses of that
direction (`PulseElectrical.up` / `.down`), each pulse with its own amplitude and state.

- capacitive: `C*V^2`, C = eps0*eps_r*A/t (charging the device to the amplitude; half is
  stored, half lost in the driver, both drawn from the supply).
- conduction during the pulse, `|V|*I(|V|)*pw`, with I from one of the CONDUCTION models.
- switching: the ferroelectric charge moved by the step, `Q = 2*P_r*A*|dG|/(G_max - G_min)`,
  priced at `Q*|V|`.
The digital accumulator term is priced per operation in `ferrosim.energy.model`.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ferrosim.energy.inputs import DirectionPulses, PulseElectrical

EPS0 = 8.8541878128e-12  # vacuum permittivity, F/m (CODATA 2018)
Q_E = 1.602176634e-19  # elementary charge, C (exact, SI 2019)
K_B_EV = 8.617333262e-5  # Boltzmann constant, eV/K (CODATA 2018)

CONDUCTION_MODELS = ("none", "read", "scaled", "schottky", "schottky_read", "measured")
"""none: no conduction term; read: the read conductance (a lower bound); scaled: k x read;
schottky: modified-Schottky emission at the pulse amplitude (Simmons 1965, the precursor
study's parameters); schottky_read: the read conductance carried to the pulse amplitude by the
Schottky law's field dependence (an extrapolation); measured: a current measured during the
pulse, an I-V table, or measurements.yaml's conductance_during_pulse_S."""


def capacitance_F(area_um2: float, thickness_nm: float, permittivity: float) -> float:
    """Parallel-plate capacitance `eps0*eps_r*A/t` (F)."""
    return EPS0 * permittivity * area_um2 * 1e-12 / (thickness_nm * 1e-9)


def schottky_current_density(v: np.ndarray, *, phi_B_eV: float, eps_r: float, temperature_K: float,
                             thickness_nm: float, alpha: float, mu: float) -> np.ndarray:
    """Modified-Schottky (Simmons) current density (A/cm^2) through a film at |V| = v.

        J = alpha * T^(3/2) * E * mu * exp(-(phi_B - sqrt(q*E/(4*pi*eps_r*eps0))) / (k*T))

    E = |V|/t in V/cm, alpha in A s cm^-3 K^-3/2, mu (the mobility times (m*/m0)^(3/2)) in
    cm^2/(V s), phi_B in eV (J. G. Simmons, Phys. Rev. Lett. 15, 967 (1965); F.-C. Chiu,
    Adv. Mater. Sci. Eng. 2014, 578168, eq. for modified Schottky emission). The barrier
    lowering sqrt(qE/(4 pi eps)) is in volts with E in V/m, which is its value in eV.
    """
    v = np.abs(np.asarray(v, dtype=float))
    e_v_per_cm = v / (thickness_nm * 1e-7)
    lowering_eV = np.sqrt(Q_E * (e_v_per_cm * 100.0) / (4.0 * math.pi * eps_r * EPS0))
    return alpha * temperature_K**1.5 * e_v_per_cm * mu * np.exp(-(phi_B_eV - lowering_eV)
                                                                 / (K_B_EV * temperature_K))


def schottky_barrier_collapse_V(*, phi_B_eV: float, eps_r: float, thickness_nm: float, **_) -> float:
    """|V| above which the image-force lowering exceeds the barrier (the law's validity ends)."""
    e_v_per_m = phi_B_eV**2 * 4.0 * math.pi * eps_r * EPS0 / Q_E
    return e_v_per_m * thickness_nm * 1e-9


# -- conduction current during the pulse, per pulse (A) ----------------------------------------

def _read_current(e: PulseElectrical, d: DirectionPulses, p) -> np.ndarray:
    g = d.read_conductance_same_polarity_S or d.read_conductance_S
    return np.asarray(d.amplitude_V) * np.asarray(g)


def _scaled_current(e: PulseElectrical, d: DirectionPulses, p) -> np.ndarray:
    return p.conduction_scale * _read_current(e, d, p)


def _schottky_current(e: PulseElectrical, d: DirectionPulses, p) -> np.ndarray:
    area_cm2 = e.area_um2 * 1e-8
    return schottky_current_density(d.amplitude_V, **p.schottky.model_dump()) * area_cm2


def _schottky_read_current(e: PulseElectrical, d: DirectionPulses, p) -> np.ndarray:
    """G_read * (J(V)/V) / (J(V_read)/V_read) * V: the measured read, carried to the pulse
    amplitude by the Schottky law's shape (its prefactor cancels)."""
    s = p.schottky.model_dump()
    v = np.asarray(d.amplitude_V)
    vr = e.read_voltage_V
    per_volt = schottky_current_density(v, **s) / np.where(v > 0, v, 1.0)
    per_volt_read = float(schottky_current_density(np.array([vr]), **s)[0]) / vr
    return _read_current(e, d, p) * per_volt / per_volt_read


def _measured_current(e: PulseElectrical, d: DirectionPulses, p) -> np.ndarray:
    v = np.asarray(d.amplitude_V)
    if d.current_A is not None:
        return np.abs(np.asarray(d.current_A))
    if e.iv_table is not None:
        return np.interp(v, e.iv_table.voltage_V, e.iv_table.current_A)
    return v * e.conductance_during_pulse_S


CONDUCTION_CURRENT: dict[str, Callable] = {
    "read": _read_current, "scaled": _scaled_current, "schottky": _schottky_current,
    "schottky_read": _schottky_read_current, "measured": _measured_current,
}


def conduction_needs(model: str, e: PulseElectrical | None) -> str | None:
    """Why `model` cannot be priced for `e` (None when it can)."""
    if model == "none":
        return None
    if e is None:
        return "the device has no electrical data (refit it with this ferrosim's fit-device)"
    if model in ("schottky",) and e.area_um2 is None:
        return "needs the device area (measurements.yaml geometry.area_um2)"
    if model == "schottky_read" and e.read_voltage_V is None:
        return "needs the read voltage (measurements.yaml read_voltage_V)"
    if model == "measured" and not e.has_current():
        return ("the measurement files give no current during the pulse (a pulse_current_A column, "
                "an iv_table or conductance_during_pulse_S in measurements.yaml)")
    if model == "measured" and e.iv_table is not None and not (
            e.up.current_A is not None and e.down.current_A is not None):
        top = max(max(e.up.amplitude_V), max(e.down.amplitude_V))
        lo, hi = e.iv_table.voltage_V[0], e.iv_table.voltage_V[-1]
        bottom = min(min(e.up.amplitude_V), min(e.down.amplitude_V))
        if bottom < lo or top > hi:
            return (f"the I-V table covers {lo:g}-{hi:g} V but the pulses reach {bottom:g}-{top:g} V "
                    "(no extrapolation)")
    return None


# -- energy per pulse of each term, per direction (J) -------------------------------------------

def capacitive_J(e: PulseElectrical, d: DirectionPulses) -> float:
    c = capacitance_F(e.area_um2, e.thickness_nm, e.permittivity)
    return float(np.mean(c * np.square(d.amplitude_V)))


def conduction_J(model: str, e: PulseElectrical, d: DirectionPulses, params) -> float:
    if model == "none":
        return 0.0
    current = CONDUCTION_CURRENT[model](e, d, params)
    return float(np.mean(np.asarray(d.amplitude_V) * current * e.pulse_width_s))


def switching_J(e: PulseElectrical, d: DirectionPulses, polarization_uC_per_cm2: float) -> float:
    """Q*|V| with Q = 2*P_r*A*|dG|/(G_max - G_min): a full sweep of the range reverses 2*P_r*A."""
    g_min, g_max = e.conductance_range_S
    p_r = polarization_uC_per_cm2 * 1e-2  # uC/cm^2 -> C/m^2
    q = 2.0 * p_r * e.area_um2 * 1e-12 * np.asarray(d.step_S) / (g_max - g_min)
    return float(np.mean(q * np.asarray(d.amplitude_V)))
