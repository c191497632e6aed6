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
from ferrosim.energy.iv_curve import conduction_current

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
# Each function returns (central, lower, beyond): the current of every measured pulse of one
# direction, the lower bound of that current, and which pulses lie beyond measured data (their
# current is an extrapolation). Only a measured I-V curve has a band; the other models give
# central = lower and nothing beyond.

def _plain(current: np.ndarray):
    return current, current, np.zeros(current.shape, dtype=bool)


def _read_current(e: PulseElectrical, d: DirectionPulses, p, up: bool):
    g = d.read_conductance_same_polarity_S or d.read_conductance_S
    return _plain(np.asarray(d.amplitude_V) * np.asarray(g))


def _scaled_current(e: PulseElectrical, d: DirectionPulses, p, up: bool):
    return _plain(p.conduction_scale * _read_current(e, d, p, up)[0])


def schottky_params(e: PulseElectrical, p) -> dict:
    """The Schottky law's parameters, the film thickness the device's own (one geometry for every
    term) unless `energy.schottky.thickness_nm` sets one."""
    s = p.schottky.model_dump()
    if s.get("thickness_nm") is None:
        s["thickness_nm"] = e.thickness_nm
    return s


def _schottky_current(e: PulseElectrical, d: DirectionPulses, p, up: bool):
    area_cm2 = e.area_um2 * 1e-8
    return _plain(schottky_current_density(d.amplitude_V, **schottky_params(e, p)) * area_cm2)


def _schottky_read_current(e: PulseElectrical, d: DirectionPulses, p, up: bool):
    """G_read * (J(V)/V) / (J(V_read)/V_read) * V: the measured read, carried to the pulse
    amplitude by the Schottky law's shape (its prefactor cancels)."""
    s = schottky_params(e, p)
    v = np.asarray(d.amplitude_V)
    vr = e.read_voltage_V
    per_volt = schottky_current_density(v, **s) / np.where(v > 0, v, 1.0)
    per_volt_read = float(schottky_current_density(np.array([vr]), **s)[0]) / vr
    return _plain(_read_current(e, d, p, up)[0] * per_volt / per_volt_read)


def _measured_current(e: PulseElectrical, d: DirectionPulses, p, up: bool):
    v = np.asarray(d.amplitude_V)
    if d.current_A is not None:
        return _plain(np.abs(np.asarray(d.current_A)))
    if e.iv_curve is not None:  # the DC sweep of the pulse's own polarity (iv_curve.conduction_current)
        branch = e.iv_curve.potentiating if up else e.iv_curve.depressing
        return conduction_current(branch, v)
    if e.iv_table is not None:
        return _plain(np.interp(v, e.iv_table.voltage_V, e.iv_table.current_A))
    return _plain(v * e.conductance_during_pulse_S)


def _assumed(e: PulseElectrical, d: DirectionPulses) -> bool:
    """True when `measured` prices this direction from measurements.yaml's
    `conductance_during_pulse_S` (the last source `_measured_current` falls back to)."""
    return d.current_A is None and e.iv_curve is None and e.iv_table is None


def conduction_label(model: str, e: PulseElectrical | None) -> str:
    """The name a conduction model's figures carry: `measured` only where a current was measured
    (a current column, an I-V sweep or table); `assumed` where `measured` rests on the
    conductance during the pulse stated in measurements.yaml (an assumption, not a measurement);
    `measured/assumed` where one direction was measured and the other assumed."""
    if model != "measured" or e is None:
        return model
    assumed = [_assumed(e, d) for d in (e.up, e.down)]
    return "assumed" if all(assumed) else "measured/assumed" if any(assumed) else "measured"


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
    if model == "measured" and e.iv_curve is None and e.iv_table is not None and not (
            e.up.current_A is not None and e.down.current_A is not None):
        top = max(max(e.up.amplitude_V), max(e.down.amplitude_V))
        lo, hi = e.iv_table.voltage_V[0], e.iv_table.voltage_V[-1]
        bottom = min(min(e.up.amplitude_V), min(e.down.amplitude_V))
        if bottom < lo or top > hi:
            return (f"the I-V table covers {lo:g}-{hi:g} V but the pulses reach {bottom:g}-{top:g} V "
                    "(no extrapolation)")
    return None


# -- energy per pulse of each term, per direction (J) -------------------------------------------

CAPACITIVE_MODES = {"cv2": 1.0, "half_cv2": 0.5}
"""`cv2`: the energy the driver draws from the supply to charge the device to V (Q V = C V^2; half
is stored, half lost in the driver, and the stored half is lost too when the pulse ends, since
nothing recovers it); `half_cv2`: only the energy stored in the capacitor (a lower bound, reached
only if the charge were recovered). docs/physics.md, "Capacitive term"."""


def capacitive_J(e: PulseElectrical, d: DirectionPulses, mode: str = "cv2") -> float:
    c = capacitance_F(e.area_um2, e.thickness_nm, e.permittivity)
    return float(CAPACITIVE_MODES[mode] * np.mean(c * np.square(d.amplitude_V)))


def conduction_parts(model: str, e: PulseElectrical, d: DirectionPulses, params, up: bool,
                     bound: str = "central") -> tuple[float, float]:
    """(energy per pulse, the part of it from pulses beyond measured data) of one direction (J);
    `up` says which branch of a measured I-V curve applies; `bound` "lower" prices the lower bound
    of a measured I-V curve's extrapolation."""
    if model == "none":
        return 0.0, 0.0
    central, lower, beyond = CONDUCTION_CURRENT[model](e, d, params, up)
    current = lower if bound == "lower" else central
    energy = np.asarray(d.amplitude_V) * current * e.pulse_width_s
    return float(np.mean(energy)), float(np.sum(energy[beyond]) / len(energy))


def conduction_J(model: str, e: PulseElectrical, d: DirectionPulses, params, up: bool | None = None) -> float:
    """Conduction energy per pulse of one direction (J), central; `d` is `e.up` or `e.down`."""
    return conduction_parts(model, e, d, params, d is e.up if up is None else up)[0]


def switching_J(e: PulseElectrical, d: DirectionPulses, polarization_uC_per_cm2: float) -> float:
    """Q*|V| with Q = 2*P_r*A*|dG|/(G_max - G_min): a reversal across the device's polarization
    window (its widest measured conductance range, `switching_window_S`) moves 2*P_r*A."""
    g_min, g_max = e.switching_window_S
    p_r = polarization_uC_per_cm2 * 1e-2  # uC/cm^2 -> C/m^2
    q = 2.0 * p_r * e.area_um2 * 1e-12 * np.asarray(d.step_S) / (g_max - g_min)
    return float(np.mean(q * np.asarray(d.amplitude_V)))
