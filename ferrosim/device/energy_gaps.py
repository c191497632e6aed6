"""Why a fitted (device, pulse width) has no energy per pulse, and which inputs would give it one.

`fit-device` takes the energy per pulse from the data (an `energy_J` column) or the sidecar
(`pulse_widths.<pw>.energy_per_pulse_J`); else it estimates it from each pulse's amplitude, the
conductance reads in siemens, the pulse width and the device area (`ferrosim.energy`). Where
none of these is complete, the device file records `source: unknown` with the missing inputs
(`missing:`, codes below) and the command prints one warning line per set of pulse widths
missing the same inputs, so energies are never silently empty in the runs that use it.
"""

from __future__ import annotations

from collections import defaultdict

from ferrosim.device.fitting import FitResult
from ferrosim.energy.geometry import device_area
from ferrosim.device.file import DeviceFile
from ferrosim.io.measurement_data import Sidecar

_AMPLITUDE = ("add an amplitude_V column (a lab table: --column amplitude=NAME), or pulse_widths: {{{pw}: "
              "{{amplitude_V: ...}}}} in measurements.yaml")
GAPS = {
    "step_table": ("the input is a step table, with no per-pulse reads to price", ""),
    "conductance_S": ("no conductance in siemens", "the data are normalised states"),
    "pulse_width": ("no pulse width", "--pulse-width, or pulse_width in measurements.yaml"),
    "pulses_up": ("no up (potentiation) pulses measured", ""),
    "pulses_down": ("no down (depression) pulses measured", ""),
    "amplitude_V": ("no pulse amplitude", _AMPLITUDE),
    "amplitude_V_up": ("no amplitude of the up pulses", _AMPLITUDE),
    "amplitude_V_down": ("no amplitude of the down pulses", _AMPLITUDE),
    "geometry.area_um2": ("no device area",
                          "geometry.area_um2 in measurements.yaml, or a radius in the device name as in ID181ZR1000"),
}
"""Code of a missing input (as recorded in the device file's `energy_per_pulse_J.missing`) ->
(what is missing, where to give it); `{pw}` is a pulse width of the set as measurements.yaml
spells it."""

MEASURED = ("or give measured energies (an energy_J column, or pulse_widths: {{{pw}: "
            "{{energy_per_pulse_J: {{up: ..., down: ...}}}}}} in measurements.yaml)")


def energy_gaps(res: FitResult, sidecar: Sidecar, label: str) -> list[str]:
    """Codes (GAPS) of the inputs the energy estimate of `res` lacks, in the order to fix them."""
    gaps = []
    if not res.ramps:
        gaps.append("step_table")
    elif res.range_units != "S":
        gaps.append("conductance_S")
    if res.pulse_width_s is None:
        gaps.append("pulse_width")  # measured energies, too, are given per pulse width
    if not res.ramps:
        return gaps
    info = sidecar.pulse_widths.get(label)
    from_sidecar = info is not None and info.amplitude_V is not None
    lacking = []
    for direction, is_up in (("up", True), ("down", False)):
        ramps = [r for r in res.ramps if r.up == is_up]
        if not ramps:
            gaps.append(f"pulses_{direction}")
        elif not from_sidecar and not any(r.amplitude_V is not None for r in ramps):
            lacking.append(direction)
    if len(lacking) == 2:
        gaps.append("amplitude_V")
    elif lacking:
        gaps.append(f"amplitude_V_{lacking[0]}")
    if device_area(sidecar.geometry, res.device)[0] is None:
        gaps.append("geometry.area_um2")
    return gaps


def energy_gap_text(gaps: list[str], pulse_width: str) -> str:
    """`no pulse amplitude (...) and no device area (...); or give measured energies (...)`."""
    pw = pulse_width if pulse_width != "unknown" else "<pulse width>"
    parts = [(f"{GAPS[g][0]} ({GAPS[g][1].format(pw=pw)})" if GAPS[g][1] else GAPS[g][0]) if g in GAPS else g
             for g in gaps] or ["the energy model could not price it"]
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{said}; {MEASURED.format(pw=pw)}"


def energy_warnings(data: DeviceFile) -> list[str]:
    """One line per set of (device, pulse width) without an energy per pulse for the same
    missing inputs: `SYN-A: no energy per pulse at 2us, 20us: no pulse amplitude (...) ...`."""
    groups: dict[tuple[str, ...], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, device in data.devices.items():
        for label, entry in device.pulse_widths.items():
            e = entry.energy_per_pulse_J
            if e.up is None or e.down is None:
                groups[tuple(e.missing or ())][name].append(label)
    lines = []
    for gaps, where in groups.items():
        at = "; ".join(f"{name} at {', '.join(labels)}" if labels != ["unknown"] else f"{name} (pulse width unknown)"
                       for name, labels in where.items())
        first = next(iter(where.values()))[0]
        lines.append(f"no energy per pulse for {at} (energies of runs on it will be empty): "
                     f"{energy_gap_text(list(gaps), first)}")
    return lines
