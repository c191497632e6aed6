"""What the report says where it has no joules to show, instead of a blank panel or column.

Runs price their pulses from the device file (`electrical:` or stated `energy_per_pulse_J`). A
device file fitted from conductance traces alone has neither, the runs record the energy model
"unknown (no electrical data for the device)" and every energy is empty: the report names that
cause and the way out (docs/fitting.md, "Energy per pulse").
"""

from __future__ import annotations

from typing import Iterable

from ferrosim.reports.formatting import is_missing

NO_DEVICE_ENERGIES = ("no energy estimate: the device file has no energies (fit-device needs the pulse "
                      "amplitudes and the device geometry; see docs/fitting.md, Energy per pulse)")


NO_AREA_ENERGIES = ("no energy estimate: the device has no area (geometry.area_um2 in measurements.yaml, or a "
                    "radius in the device name), so its capacitive and switching energies cannot be priced; "
                    "`ferrosim energy --set energy.conduction=read` prices the conduction alone as a partial "
                    "estimate with an open upper bound (docs/physics.md, Energy)")
PARTIAL_ENERGIES = ("partial estimate: the device has no area, so only the named terms are priced (no capacitive "
                    "or switching energy) and the upper estimate is open; no claim about energy can be decided")


IDEAL_DIGITAL = ("the float baseline's weight update (one multiply-add per weight and sample, one weight "
                 "read-add-write per mini-batch: the same digital work as mixed precision's products and "
                 "accumulator) is not priced, so compare pulse and digital energy apart, not ideal's total")
"""Why `ideal` shows 0 J beside mixed precision's digital energy: it has no device, and its
digital arithmetic is left unpriced (issue 28); every table that shows it says so."""


def no_energy_text(energy_model: str) -> str:
    """Why a set of runs has no energies, from the energy model their summaries name (several
    models: the runs without electrical data are the ones without energies)."""
    if "no device area" in energy_model and energy_model.startswith("unknown"):
        return NO_AREA_ENERGIES
    if energy_model.startswith("unknown") or "no electrical data" in energy_model:
        return NO_DEVICE_ENERGIES
    return f"no energy estimate under the energy model {energy_model}"


UNMEASURED_CONDUCTION = ("conduction during the pulse unmeasured: priced at the read conductance, a "
                         "lower bound (a DC I-V sweep of the device, fit-device --iv, measures it)")


def unmeasured_conduction_text(energy_model: str) -> str | None:
    """What to say when (some) runs priced conduction at the read conductance because their
    device has no measured I-V (issue 24); None when every run's conduction was measured or set."""
    if "conduction[read]" not in energy_model:
        return None
    several = ";" in energy_model  # runs of several devices, some with a measured I-V
    return f"for the runs priced with conduction[read], {UNMEASURED_CONDUCTION}" if several else UNMEASURED_CONDUCTION


def all_missing(values: Iterable) -> bool:
    """True when no value is a number (every energy of a panel or table column is empty)."""
    return all(is_missing(v) for v in values)


__all__ = ["IDEAL_DIGITAL", "NO_AREA_ENERGIES", "NO_DEVICE_ENERGIES", "PARTIAL_ENERGIES", "UNMEASURED_CONDUCTION", "all_missing", "no_energy_text", "unmeasured_conduction_text"]
