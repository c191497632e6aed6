"""Energy per programming pulse: measured when given, else estimated (DESIGN.md section 3).

Estimate per pulse: `E = C*V^2 + V^2*G*pw`
- `C*V^2`: charging the device capacitance `C = eps0*eps_r*A/t` to the pulse amplitude `V`
  (half is stored, half dissipated in the driver; both are drawn from the supply);
- `V^2*G*pw`: Joule heating of the conduction current through conductance `G` during `pw`.
Per direction, the mean over the measured pulses of that direction (each with its own amplitude
and the device conductance read after it). Not included: the ferroelectric switching charge
(2*P_r*A*V) and the peripheral circuit; so the number is a lower bound for a real array.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ferrosim.io.measurement_data import DeviceGeometry

EPS0 = 8.8541878128e-12  # F/m (CODATA 2018)
_RADIUS = re.compile(r"([A-Z])R(\d+(?:\.\d+)?)")


@dataclass
class Capacitance:
    farad: float | None
    area_um2: float | None
    note: str


def capacitance(geometry: DeviceGeometry, device_name: str) -> Capacitance:
    """Device capacitance from the sidecar geometry, or from a radius in the device name."""
    area = geometry.area_um2
    note = "area from measurements.yaml"
    if area is None:
        match = _RADIUS.search(device_name)
        if match is None:
            return Capacitance(None, None, "no device area: give geometry.area_um2 in measurements.yaml")
        radius_um = float(match.group(2)) / 1000.0  # names give the radius in nm (ZR15000 = 15 um)
        area = math.pi * radius_um**2
        shape = "circle" if match.group(1) == "Z" else f"{match.group(1)}R shape taken as a circle"
        note = f"area {area:.4g} um^2 from the device name ({shape} of radius {radius_um:g} um)"
    c = EPS0 * geometry.permittivity * area * 1e-12 / (geometry.thickness_nm * 1e-9)
    note += f"; thickness {geometry.thickness_nm:g} nm, eps_r {geometry.permittivity:g}"
    return Capacitance(c, area, note)


def estimate(amplitude_V: np.ndarray, conductance_S: np.ndarray, pulse_width_s: float,
             capacitance_F: float) -> dict[str, float]:
    """Mean capacitive and resistive energy per pulse over the given pulses (J)."""
    v2 = np.asarray(amplitude_V, dtype=float) ** 2
    cap = float(np.mean(capacitance_F * v2))
    res = float(np.mean(v2 * np.asarray(conductance_S, dtype=float) * pulse_width_s))
    return {"capacitive_J": cap, "resistive_J": res, "total_J": cap + res,
            "mean_abs_amplitude_V": float(np.mean(np.sqrt(v2)))}
