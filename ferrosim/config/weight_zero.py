"""Where a run puts the weight zero on the device's normalised state (issue 25, items 3 and 4).

A weight is `W = s*(g - g_ref)`; `g_ref`, the state that reads as weight zero, is where every
pulsed algorithm programs its weights around and where plain SGD's asymmetry is measured from.

`device.weight_zero` chooses `g_ref` (docs/physics.md, "The weight zero"):
- `midrange` (default, ferrosim so far): 0, the middle of the fitted conductance range;
- `mean_conductance`: the mean of every measured read of the fit (the precursor study's
  centring; a device file's `fit.mean_state`);
- `symmetry_point`: the fitted model's symmetry point (plain SGD then has no drift at zero);
- a number: that normalised state.

`device.symmetry_point_offset` d then moves it to `g_ref - d`: the run trains as if the device's
symmetry point were d above the fitted model's. Exact, not an approximation: every response is a
function of the state, so a device translated by +d (its bounds too) around a fixed weight zero
is the same device around a weight zero moved by -d. Besides a number, d may name the data's
estimate (`fit.symmetry_point_data` of the device file, ferrosim.device.symmetry): `data`,
`data_68_low`, `data_68_high`, `data_95_low`, `data_95_high` (d = that value - the model's g*),
so one sweep trains the device at the edges and centre of its symmetry point interval. An open
end of an interval (bootstrap draws without a crossing) is taken at the end of the measured range,
+-1: the accuracy there bounds what lies beyond.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SYMMETRY_POINT_NAMES = {
    "data": ("data", None), "data_68_low": ("interval_68", 0), "data_68_high": ("interval_68", 1),
    "data_95_low": ("interval_95", 0), "data_95_high": ("interval_95", 1),
}


@dataclass(frozen=True)
class WeightZero:
    g_ref: float
    """The normalised state that reads as weight zero."""
    base: float
    """`g_ref` before the symmetry point offset."""
    offset: float
    """d: the symmetry point the run trains under is the model's + d."""
    symmetry_point: float
    """The fitted model's symmetry point (normalised)."""

    def record(self, weight_zero: str | float, offset: str | float) -> dict[str, Any]:
        """For run.json: what was asked and what it came to. `symmetry_point_trained`: the
        symmetry point the run stands for, relative to the weight zero's own convention;
        `symmetry_point_minus_g_ref`: the distance plain SGD drifts over (the device's g* - g_ref)."""
        return {"weight_zero": weight_zero, "weight_zero_state": self.base,
                "symmetry_point_offset": offset, "symmetry_point_offset_value": self.offset,
                "symmetry_point_model": self.symmetry_point,
                "symmetry_point_trained": self.symmetry_point + self.offset, "g_ref": self.g_ref,
                "symmetry_point_minus_g_ref": self.symmetry_point - self.g_ref}


def resolve_weight_zero(response, weight_zero: str | float, offset: str | float,
                        fitted: dict | None) -> WeightZero:
    """`g_ref` for a device `response` (ferrosim.device.models) under the two settings;
    `fitted`: the device file's facts for this device and width (`DeviceConfig.fitted`).
    Raises ValueError with the reason when a setting needs what the device lacks."""
    sp = float(response.symmetry_point())
    fitted = fitted or {}
    if weight_zero == "midrange":
        base = 0.0
    elif weight_zero == "symmetry_point":
        base = sp
    elif weight_zero == "mean_conductance":
        if fitted.get("mean_state") is None:
            raise ValueError("mean_conductance needs the mean measured state of a device file fitted from "
                             "measured reads (its fit.mean_state); this device has none: refit it with "
                             "`ferrosim fit-device`, or give the weight zero as a number")
        base = float(fitted["mean_state"])
    else:
        base = float(weight_zero)
    if isinstance(offset, str):
        record = fitted.get("symmetry_point_data") or {}
        key, end = SYMMETRY_POINT_NAMES[offset]
        value = record.get(key)
        if value is None or record.get("data") is None:
            why = record.get("reason") or ("no symmetry point from the data in the device file (a device file "
                                           "fitted before issue 25, or a config without one)")
            raise ValueError(f"{offset}: {why}")
        if end is not None:
            # an open end (bootstrap draws without a crossing: the SP may lie beyond the measured
            # states) is taken at the end of the measured range, +-1: a bound, not an estimate
            value = value[end] if value[end] is not None and abs(value[end]) != float("inf") else (1.0 if end else -1.0)
        d = float(value) - sp
    else:
        d = float(offset)
    g_ref = base - d
    lo, hi = float(response.w_min), float(response.w_max)
    if not lo < g_ref < hi:
        raise ValueError(f"puts the weight zero at {g_ref:+.3g}, outside the device's range "
                         f"[{lo:+.3g}, {hi:+.3g}]")
    return WeightZero(g_ref=g_ref, base=base, offset=d, symmetry_point=sp)
