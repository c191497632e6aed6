"""A device's measured DC I-V curve per polarity, its Schottky fit, and the conduction current at
programming voltages (inside the sweep: measured; above it: extrapolated, with a lower bound).

Physics. Schottky emission over an image-force-lowered barrier (Sze & Ng, Physics of
Semiconductor Devices, 3rd ed. 2007, sec. 4.3 and Table 4.1 of conduction mechanisms):
J ~ T^2 exp(-q phi_B / kT) exp(b sqrt|V|), field E = V/t, with

    b = sqrt(q / (4 pi eps0 eps_r t)) / (kT/q),   so   eps_r*t = q / (4 pi eps0 (b kT/q)^2)

(eps_r the dynamic permittivity of the film, t its thickness: one fit gives only the product).
In an insulator whose electron mean free path is short against the barrier, Simmons (J. G.
Simmons, "Richardson-Schottky effect in solids", Phys. Rev. Lett. 15, 967 (1965)) gives the
same exponent with a prefactor proportional to the field: I = I0 V exp(b sqrt|V|). Both forms
are fitted by least squares on sqrt|V|: `form="simmons"` fits ln(I/V), `form="schottky"` ln I.

What the data show (`../shared/data/hzo-dciv/`, README there; 22 sweeps, -1.6..+1.6 V, 0.16 V
steps): on the potentiating branch of every intact device, ln(I/V) against sqrt|V| from 0.48 V
is a straight line (relative rms of I 0.4-1.3 %; ID161ZR15000: 0.4 %, eps_r*t = 57.5 nm), its
slope is the same on every device (eps_r*t 57.5-60.8 nm) and does not move with where the fit
starts (ID161: 57.1-58.2 nm for a start between 0.32 and 0.8 V). ln I against sqrt|V| is curved on the
same points (ID161: rms 3 %, slope falling from 8.5 to 8.0 /sqrt(V) as the start rises,
eps_r*t 30-34 nm), so its extrapolation would overshoot. Hence the default form is Simmons'.
The depressing branch fits neither form well (rms 4-15 %; ID161: eps_r*t about 127 nm). ID185ZR500
(the README's unstable device) fits on neither branch (rms 24-201 %): its note says so.

Above the sweep (programming pulses reach 3-5 V, the sweep 1.6 V) every figure is an
extrapolation (`conduction_current` marks it): the central value follows the fitted law (through
the last measured point), the lower bound holds the last measured conductance I/V.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator
from scipy import constants

from ferrosim.energy.geometry import device_area
from ferrosim.io.measurement_data import DeviceGeometry
from ferrosim.io.readers.dciv import IVSweep
from ferrosim.io.strict_model import StrictInputModel

Polarity = Literal["potentiating", "depressing"]
Form = Literal["simmons", "schottky"]

DEFAULT_V_MIN = 0.45
"""Lowest |V| (volts) a Schottky fit uses. The sweeps' 0 V readings (offset currents) are 5-85 pA,
and at 0.16 V the smaller devices carry 10-70 pA, so the first points are offset-dominated
(ID185ZR500's potentiating branch has the wrong sign at -0.16 V). Over the intact potentiating
branches the relative rms of a fit from 0.16 V is 1.5-8.8 %, from 0.32 V 1.2-3.4 %, from
0.45 V (0.48 V, the third point) 0.4-1.3 %, with the fitted eps_r*t stable to about 1 nm beyond
that: 0.45 V keeps 8 of the 10 points of each branch."""

ROOM_TEMPERATURE_K = 300.0
POOR_FIT_RMS = 0.10
"""A fit whose relative rms exceeds this is named as poor in the curve's note."""

SYMMETRY_TOL = 0.05
OHMIC_R2 = 0.999
SHORT_DENSITY_A_PER_UM2 = 1e-6
"""Current density (|I|/area, at |V| <= 1.6 V) above which a sweep is shorted whatever its shape.
The intact devices of ../shared/data/hzo-dciv reach at most 4.2e-8 A/um^2 at 1.6 V (ID161ZR15000);
the shorted ID160ZR15000 8.5e-6 and ID186ZR500 2.9e-3."""
DENSITY_CHECK_MAX_V = 1.6 + 1e-9


class _Strict(StrictInputModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SchottkyFit(_Strict):
    """ln I = ln_i0_A [+ ln|V| for form simmons] + slope_per_sqrt_V * sqrt|V| (module docstring)."""

    ln_i0_A: float
    """ln of the prefactor I0: in A for form schottky, in A/V for simmons (I = I0 V exp(...))."""
    slope_per_sqrt_V: float = Field(gt=0)
    eps_r_t_nm: float = Field(gt=0)
    """eps_r * thickness (nm) from the slope at temperature_K."""
    temperature_K: float = Field(gt=0)
    rms_residual: float = Field(ge=0)
    """Relative rms of the measured I against the law, (I - I_law)/I_law, over the fitted points."""
    v_min_V: float = Field(ge=0)
    v_max_V: float = Field(gt=0)
    n_points: int = Field(ge=2)
    form: Form = "simmons"

    def current(self, v_abs) -> np.ndarray:
        """The law's current (A) at |V| = v_abs."""
        v = np.asarray(v_abs, dtype=float)
        ln_i = self.ln_i0_A + self.slope_per_sqrt_V * np.sqrt(v)
        return np.exp(ln_i) * (v if self.form == "simmons" else 1.0)


class IVBranch(_Strict):
    """One polarity of a sweep: |V| increasing (0 V dropped), |I| at each."""

    polarity: Polarity
    voltage_V: list[float]
    current_A: list[float]
    schottky: SchottkyFit | None = None

    @model_validator(mode="after")
    def _magnitudes(self) -> "IVBranch":
        v, i = self.voltage_V, self.current_A
        if len(v) < 2 or len(v) != len(i):
            raise ValueError("a branch needs at least two (voltage_V, current_A) pairs of equal length")
        if v[0] <= 0 or any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError("voltage_V must be positive magnitudes in increasing order")
        if any(x < 0 for x in i):
            raise ValueError("current_A must be magnitudes (>= 0)")
        return self


class IVCurve(_Strict):
    """A device's DC I-V curve as the device file stores it."""

    source: str
    device: str
    taken_at: str
    """ISO 8601 time of the sweep, "" when the file does not say."""
    potentiating: IVBranch
    depressing: IVBranch
    note: str = ""


def eps_r_t_nm(slope_per_sqrt_V: float, temperature_K: float = ROOM_TEMPERATURE_K) -> float:
    """eps_r * t (nm) = q / (4 pi eps0 (b kT/q)^2) from the slope b of ln I on sqrt|V|."""
    thermal_V = constants.k * temperature_K / constants.e
    return constants.e / (4 * math.pi * constants.epsilon_0 * (slope_per_sqrt_V * thermal_V) ** 2) * 1e9


def fit_schottky(v_abs, i_abs, v_min: float = DEFAULT_V_MIN, *, temperature_K: float = ROOM_TEMPERATURE_K,
                 form: Form = "simmons") -> SchottkyFit:
    """Least squares of ln I (form schottky) or ln(I/V) (form simmons, the default) on sqrt|V|,
    over the points with |V| >= v_min (DEFAULT_V_MIN: why 0.45 V) and I > 0. ValueError when
    fewer than three points remain or the slope is not positive (no emission law to fit)."""
    v = np.abs(np.asarray(v_abs, dtype=float))
    i = np.abs(np.asarray(i_abs, dtype=float))
    keep = (v >= v_min) & (v > 0) & (i > 0)
    if keep.sum() < 3:
        raise ValueError(f"{int(keep.sum())} points with |V| >= {v_min:g} V and I > 0: a fit needs 3")
    v, i = v[keep], i[keep]
    x = np.sqrt(v)
    y = np.log(i / v) if form == "simmons" else np.log(i)
    slope, intercept = np.polyfit(x, y, 1)
    if not slope > 0:
        raise ValueError(f"slope {slope:.3g} per sqrt(V) is not positive: current does not rise as exp(sqrt V)")
    law = np.exp(intercept + slope * x) * (v if form == "simmons" else 1.0)
    rms = float(np.sqrt(np.mean((i / law - 1.0) ** 2)))
    return SchottkyFit(ln_i0_A=float(intercept), slope_per_sqrt_V=float(slope),
                       eps_r_t_nm=eps_r_t_nm(float(slope), temperature_K), temperature_K=temperature_K,
                       rms_residual=rms, v_min_V=float(v.min()), v_max_V=float(v.max()),
                       n_points=int(v.size), form=form)


def _branch(sweep: IVSweep, sign: float, polarity: Polarity, v_min: float, temperature_K: float,
            form: Form) -> tuple[IVBranch, list[str]]:
    """The points of one sign as magnitudes (0 V dropped, sorted, repeats averaged) and its fit."""
    points: dict[float, list[float]] = {}
    opposite = 0
    for v, i in zip(sweep.voltage_V, sweep.current_A):
        if v * sign > 0:
            points.setdefault(abs(v), []).append(abs(i))
            opposite += i * sign < 0
    volts = sorted(points)
    amps = [sum(points[v]) / len(points[v]) for v in volts]
    notes = []
    if opposite:
        notes.append(f"{polarity}: {opposite} point(s) with the current's sign opposite to the bias "
                     "(offset-dominated), magnitude taken")
    try:
        fit = fit_schottky(volts, amps, v_min, temperature_K=temperature_K, form=form)
    except ValueError as exc:
        fit = None
        notes.append(f"{polarity}: no Schottky fit ({exc})")
    if fit is not None:
        text = f"{polarity}: eps_r*t {fit.eps_r_t_nm:.1f} nm, rms {100 * fit.rms_residual:.1f} %"
        if fit.rms_residual > POOR_FIT_RMS:
            text += " (poor fit: the extrapolation is unreliable)"
        notes.append(text)
    return IVBranch(polarity=polarity, voltage_V=volts, current_A=amps, schottky=fit), notes


def iv_curve_from_sweep(sweep: IVSweep, polarity_of_negative: Polarity = "potentiating", *,
                        v_min: float = DEFAULT_V_MIN, temperature_K: float = ROOM_TEMPERATURE_K,
                        form: Form = "simmons") -> IVCurve:
    """Split a sweep by the sign of its bias (negative bias is `polarity_of_negative`, the
    potentiating one for the HZO devices, README of the data), one fitted branch each."""
    other: Polarity = "depressing" if polarity_of_negative == "potentiating" else "potentiating"
    neg, neg_notes = _branch(sweep, -1.0, polarity_of_negative, v_min, temperature_K, form)
    pos, pos_notes = _branch(sweep, 1.0, other, v_min, temperature_K, form)
    branches = {polarity_of_negative: (neg, neg_notes), other: (pos, pos_notes)}
    law = "I = I0 V exp(b sqrt V) (Simmons 1965)" if form == "simmons" else "I = I0 exp(b sqrt V) (Sze)"
    notes = [f"Schottky fit {law} from {v_min:g} V at {temperature_K:g} K"]
    notes += branches["potentiating"][1] + branches["depressing"][1]
    vmax = max(abs(v) for v in sweep.voltage_V)
    notes.append(f"measured to {vmax:g} V: conduction above it is an extrapolation")
    shorted = shorted_reason(sweep)
    if shorted:
        notes.insert(0, f"SHORTED: {shorted}")
    return IVCurve(source=str(sweep.source), device=sweep.device,
                   taken_at=sweep.taken_at.isoformat() if sweep.taken_at else "",
                   potentiating=branches["potentiating"][0], depressing=branches["depressing"][0],
                   note="; ".join(notes))


def shorted_reason(sweep: IVSweep, area_um2: float | None = None) -> str | None:
    """Why the sweep is a shorted (ohmic) device, or None for an intact one.

    Shorted when it is both symmetric (|I/V| at the two ends of the sweep within SYMMETRY_TOL
    of each other: intact devices differ about 10x between the polarities) and ohmic (I = V/R
    through the origin with R^2 > OHMIC_R2: intact devices 0.36-0.70), or when its current
    density at |V| <= 1.6 V exceeds SHORT_DENSITY_A_PER_UM2 (area from `area_um2`, else from
    the device name, ZR15000 = a circle of radius 15 um)."""
    v = np.asarray(sweep.voltage_V, dtype=float)
    i = np.asarray(sweep.current_A, dtype=float)
    reasons = []
    lo, hi = int(np.argmin(v)), int(np.argmax(v))
    ratio = abs(i[lo] / v[lo]) / abs(i[hi] / v[hi]) if i[hi] != 0 else math.inf
    g = float(i @ v / (v @ v))
    r2 = 1.0 - float(np.sum((i - g * v) ** 2) / np.sum(i**2)) if np.any(i) else 0.0
    if abs(ratio - 1.0) <= SYMMETRY_TOL and r2 > OHMIC_R2:
        reasons.append(f"symmetric (|I/V| at {v[lo]:g} V over that at +{v[hi]:g} V = {ratio:.3f}) and "
                       f"ohmic (I = V/R through the origin, R^2 = {r2:.5f}, R = {1 / g:.4g} Ohm)")
    if area_um2 is None:
        area_um2 = device_area(DeviceGeometry(), sweep.device)[0]
    if area_um2:
        inside = np.abs(v) <= DENSITY_CHECK_MAX_V
        if inside.any():
            k = int(np.argmax(np.where(inside, np.abs(i), -1.0)))
            density = abs(i[k]) / area_um2
            if density > SHORT_DENSITY_A_PER_UM2:
                reasons.append(f"{density:.2g} A/um^2 at {v[k]:g} V over {area_um2:.4g} um^2 (intact "
                               f"devices of this sample <= 4.2e-08 A/um^2 at 1.6 V)")
    return "; ".join(reasons) if reasons else None


def conduction_current(branch: IVBranch, v_abs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(central_A, lower_A, beyond) at |V| = v_abs (>= 0) on one branch.

    Inside the measured range the conductance G = I/V is interpolated linearly in V between the
    measured points and I = G(V) V (the measured points come back exactly); below the first
    measured voltage G is held at the first point's (I = G_first V, zero at 0 V). Above the range
    (`beyond` True) the lower bound holds G at the last measured point (I = G_last V) and the
    central value follows the branch's fitted law through the last measured point,
    I = I_last law(V)/law(V_last) (continuous at V_last; the unanchored law is
    `SchottkyFit.current`); never below the lower bound. Without a fit, central = lower."""
    v = np.asarray(v_abs, dtype=float)
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError("v_abs must be finite magnitudes (>= 0)")
    vm = np.asarray(branch.voltage_V, dtype=float)
    im = np.asarray(branch.current_A, dtype=float)
    g = np.interp(v, vm, im / vm)  # held at the first and last point outside the range
    lower = g * v
    beyond = v > vm[-1]
    central = lower.copy()
    fit = branch.schottky
    if fit is not None and beyond.any():
        anchored = im[-1] * fit.current(v[beyond]) / fit.current(vm[-1])
        central[beyond] = np.maximum(anchored, lower[beyond])
    return central, lower, beyond


__all__ = ["DEFAULT_V_MIN", "IVBranch", "IVCurve", "SchottkyFit", "conduction_current", "eps_r_t_nm",
           "fit_schottky", "iv_curve_from_sweep", "shorted_reason"]
