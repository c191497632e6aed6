"""The `long-csv` reader: the native long table, one row per pulse.

Columns `pulse_width, cycle, direction, pulse, conductance_S` (`LONG_CSV_REQUIRED`), optional
`device, amplitude_V, read_voltage_V, energy_J, pulse_current_A`; one trace per device and
pulse width, one ramp per cycle and direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ferrosim.errors import InputError, closest
from ferrosim.io.cells import cells as _cells
from ferrosim.io.cells import conductance as _conductance
from ferrosim.io.cells import integer as _integer
from ferrosim.io.cells import number as _number
from ferrosim.io.measurement_data import Ramp, Trace
from ferrosim.io.readers.common import EXPECTED, LONG_CSV_OPTIONAL, LONG_CSV_REQUIRED, data_rows
from ferrosim.io.sidecar import Context, file_settings, pick_device, pick_pulse_width
from ferrosim.units import parse_pulse_width


def read(path: Path, text: str, ctx: Context) -> tuple[list[Trace], list[Path]]:
    return list(_read_long_csv(path, text, ctx)), [path]


@dataclass
class _LongRamp:
    cycle: int
    direction: str
    pulses: list[int] = field(default_factory=list)
    g: list[float] = field(default_factory=list)
    amp: list[float] = field(default_factory=list)
    current: list[float] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


@dataclass
class _LongGroup:
    device: str
    pulse_width_s: float
    ramps: dict[tuple[int, str], _LongRamp] = field(default_factory=dict)
    energy: dict[str, list[float]] = field(default_factory=lambda: {"up": [], "down": []})
    read_voltages: list[float] = field(default_factory=list)
    file_device: bool = False


def _read_long_csv(path: Path, text: str, ctx: Context) -> list[Trace]:
    lines = text.splitlines()
    head = next((k for k, ln in enumerate(lines) if ln.strip()), None)
    if head is None:
        raise InputError("empty file", file=path, hint=EXPECTED)
    header_line = head + 1
    names = _cells(lines[head])
    col: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in col:
            raise InputError(f"column '{name}' appears twice", file=path, line=header_line)
        col[name] = j
    for req in LONG_CSV_REQUIRED:
        if req not in col:
            near = closest(req, [n for n in names if n not in LONG_CSV_REQUIRED + LONG_CSV_OPTIONAL])
            hint = f"is '{near}' meant to be '{req}'?" if near else (
                "long CSV columns: " + ", ".join(LONG_CSV_REQUIRED) + " (optional: "
                + ", ".join(LONG_CSV_OPTIONAL) + ")")
            raise InputError(f"missing column '{req}'", file=path, line=header_line, hint=hint)

    s = file_settings(ctx, path)
    fallback_device = s.device if s.device is not None else path.stem
    pw_cache: dict[str, float] = {}
    groups: dict[tuple[str, float], _LongGroup] = {}
    row_index = 0
    for n, cells in data_rows(lines, head, names, path):

        def cell(name: str) -> str:
            return cells[col[name]] if name in col else ""

        pw_text = cell("pulse_width")
        if pw_text not in pw_cache:
            try:
                pw_cache[pw_text] = parse_pulse_width(pw_text)
            except ValueError as exc:
                raise InputError(f"pulse_width: {exc}", file=path, line=n) from None
        pw = pw_cache[pw_text]
        cycle = _integer(cell("cycle"), path, n, "cycle")
        direction = cell("direction").lower()
        if direction not in ("up", "down"):
            raise InputError(f"direction: unknown value {cell('direction')!r}", file=path, line=n,
                             hint="use up (potentiation) or down (depression)")
        pulse = _integer(cell("pulse"), path, n, "pulse")
        g = _conductance(_number(cell("conductance_S"), path, n, "conductance_S"), path, n, "conductance_S")
        amp = _number(cell("amplitude_V"), path, n, "amplitude_V") if cell("amplitude_V") else math.nan
        energy = None
        if cell("energy_J"):
            energy = _number(cell("energy_J"), path, n, "energy_J")
            if energy < 0:
                raise InputError(f"energy_J must be >= 0, got {cell('energy_J')!r}", file=path, line=n)
        current = math.nan
        if cell("pulse_current_A"):
            current = abs(_number(cell("pulse_current_A"), path, n, "pulse_current_A"))
        rv = None
        if cell("read_voltage_V"):
            rv = _number(cell("read_voltage_V"), path, n, "read_voltage_V")
            if rv <= 0:
                raise InputError(f"read_voltage_V must be positive, got {cell('read_voltage_V')!r}",
                                 file=path, line=n)
        dev = cell("device") or fallback_device

        group = groups.get((dev, pw))
        if group is None:
            group = groups[(dev, pw)] = _LongGroup(dev, pw, file_device=bool(cell("device")))
        ramp = group.ramps.get((cycle, direction))
        if ramp is None:
            ramp = group.ramps[(cycle, direction)] = _LongRamp(cycle, direction)
        if pulse in ramp.pulses:
            first = ramp.lines[ramp.pulses.index(pulse)]
            raise InputError(f"pulse {pulse} of cycle {cycle} {direction} appears twice "
                             f"(first on line {first})", file=path, line=n)
        ramp.pulses.append(pulse)
        ramp.g.append(g)
        ramp.amp.append(amp)
        ramp.current.append(current)
        ramp.lines.append(n)
        ramp.rows.append(row_index)
        if energy is not None:
            group.energy[direction].append(energy)
        if rv is not None:
            group.read_voltages.append(rv)
        row_index += 1
    if not groups:
        raise InputError("no data rows after the header", file=path, line=header_line)

    traces = []
    for group in groups.values():
        notes = list(s.notes)
        pick_pulse_width(group.pulse_width_s, s, notes)
        if group.file_device:
            pick_device(group.device, s, group.device, notes)
        ramps: list[Ramp] = []
        prev: _LongRamp | None = None
        for lr in group.ramps.values():
            order = np.argsort(lr.pulses, kind="stable")
            values = np.asarray(lr.g, dtype=np.float64)[order]
            amps = np.asarray(lr.amp, dtype=np.float64)[order]
            currents = np.asarray(lr.current, dtype=np.float64)[order]
            start = None
            # Chain only back-to-back ramps of alternating direction in the same or next cycle:
            # then the previous ramp's last read is this ramp's state before its first pulse.
            contiguous = max(lr.rows) - min(lr.rows) + 1 == len(lr.rows)
            if (prev is not None and contiguous and prev.direction != lr.direction
                    and max(prev.rows) + 1 == min(lr.rows) and lr.cycle in (prev.cycle, prev.cycle + 1)):
                start = float(ramps[-1].values[-1])
            ramps.append(Ramp(direction=lr.direction, values=values, start=start,
                              amplitude_V=None if np.isnan(amps).all() else amps,
                              cycle=lr.cycle, line=min(lr.lines),
                              current_A=None if np.isnan(currents).any() else currents))
            prev = lr
        rv = s.read_voltage_V
        if group.read_voltages:
            file_rv = group.read_voltages[0]
            if any(not math.isclose(v, file_rv) for v in group.read_voltages):
                notes.append(f"several read voltages in the file; using the first, {file_rv:g} V")
            if rv is not None and not math.isclose(rv, file_rv):
                notes.append(f"read voltage {rv:g} V from {s.read_voltage_from} not used: "
                             f"the file gives {file_rv:g} V")
            rv = file_rv
        e_up = float(np.mean(group.energy["up"])) if group.energy["up"] else None
        e_down = float(np.mean(group.energy["down"])) if group.energy["down"] else None
        traces.append(Trace(device=group.device, pulse_width_s=group.pulse_width_s, ramps=ramps,
                            source=path, units="S", format="long-csv", energy_up_J=e_up,
                            energy_down_J=e_down, read_voltage_V=rv, notes=notes))
    return traces
