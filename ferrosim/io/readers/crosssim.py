"""The `ramps-csv` reader: CrossSim set/reset ramps, one column per ramp.

A header of ramp names, then read currents (or conductances, `quantity: conductance_S`) down
each column until an empty cell or a zero. The direction comes from the sidecar's `files`
entry, else the file name (`*_set`, `*_reset`, `names.py`), else the trend of the values; a
`*_set.csv` and its `*_reset.csv` sibling give one trace.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferrosim.errors import InputError
from ferrosim.io.cells import cells as _cells
from ferrosim.io.cells import number as _number
from ferrosim.io.detect import detect_text
from ferrosim.io.measurement_data import Ramp, Trace
from ferrosim.io.readers.common import EXPECTED, data_rows, read_text
from ferrosim.io.readers.names import DOWN_WORDS, SIBLING_PAIRS, UP_WORDS, name_direction, strip_words, swap_word
from ferrosim.io.sidecar import Context, Settings, file_settings
from ferrosim.units import format_pulse_width


def read(path: Path, text: str, ctx: Context) -> tuple[list[Trace], list[Path]]:
    trace, used = _read_ramps_pair(path, text, ctx)
    return [trace], used


def _read_ramp_columns(path: Path, text: str) -> list[tuple[str, list[float], int]]:
    """(column name, values until the first empty cell or zero, line of the first value)."""
    lines = text.splitlines()
    head = next((k for k, ln in enumerate(lines) if ln.strip()), None)
    if head is None:
        raise InputError("empty file", file=path, hint=EXPECTED)
    names = _cells(lines[head])
    cols: list[list[float]] = [[] for _ in names]
    first_line = [0] * len(names)
    ended_at = [0] * len(names)
    for n, cells in data_rows(lines, head, names, path, exact=False):
        for j, c in enumerate(cells):
            value = _number(c, path, n, f"column '{names[j]}'") if c else 0.0
            if value == 0.0:  # an empty cell or a zero ends the ramp (CrossSim convention)
                if not ended_at[j]:
                    ended_at[j] = n
                continue
            if ended_at[j]:
                raise InputError(f"column '{names[j]}': value after the end of the ramp "
                                 f"(an empty cell or zero on line {ended_at[j]} ended it)",
                                 file=path, line=n)
            if value < 0:
                raise InputError(f"column '{names[j]}': negative value {c}", file=path, line=n)
            if not cols[j]:
                first_line[j] = n
            cols[j].append(value)
        for j in range(len(cells), len(names)):
            if not ended_at[j]:
                ended_at[j] = n
    return [(names[j], cols[j], first_line[j]) for j in range(len(names)) if cols[j]]


def _ramps_direction(path: Path, columns: list[tuple[str, list[float], int]], s: Settings) -> str:
    if s.direction is not None:
        return s.direction
    by_name = name_direction(path.name)
    if by_name is not None:
        return by_name
    steps = np.concatenate([np.diff(v) for _, v, _ in columns] or [np.zeros(0)])
    mean = float(steps.mean()) if steps.size else 0.0
    if mean == 0.0:
        raise InputError("cannot tell the ramp direction", file=path,
                         hint="name the file *_set/*_reset, or give files: {NAME: {direction: up}} "
                              "in measurements.yaml")
    return "up" if mean > 0 else "down"


def _read_ramps_file(path: Path, text: str, ctx: Context) -> tuple[list[Ramp], Settings, str]:
    s = file_settings(ctx, path)
    columns = _read_ramp_columns(path, text)
    if not columns:
        raise InputError("no values in any column", file=path, hint=EXPECTED)
    direction = _ramps_direction(path, columns, s)
    if s.quantity == "current_A":
        if s.read_voltage_V is None:
            raise InputError("ramp values are read currents and no read voltage is given",
                             file=path,
                             hint="pass --read-voltage VOLTS, or set read_voltage_V in measurements.yaml "
                                  "(quantity: conductance_S if the values are conductances)")
        scale = 1.0 / s.read_voltage_V
    else:
        scale = 1.0
    ramps = [Ramp(direction=direction, values=np.asarray(v, dtype=np.float64) * scale, start=None,
                  cycle=s.cycle + j, line=line)
             for j, (_, v, line) in enumerate(columns)]
    return ramps, s, direction


def _read_ramps_pair(path: Path, text: str, ctx: Context) -> tuple[Trace, list[Path]]:
    ramps, s, direction = _read_ramps_file(path, text, ctx)
    notes: list[str] = []
    used = [path]
    sib_name = swap_word(path.name, SIBLING_PAIRS)
    sibling = path.parent / sib_name if sib_name else None
    sib_ramps: list[Ramp] = []
    if sibling is not None and sibling.is_file():
        sib_text = read_text(sibling)
        if detect_text(sib_text) == "ramps-csv":
            sib_ramps, sib_s, sib_dir = _read_ramps_file(sibling, sib_text, ctx)
            if sib_dir == direction:
                raise InputError(f"this file and its sibling {sibling.name} both hold {direction} ramps",
                                 file=path, hint="set direction per file in measurements.yaml files")
            if (sib_s.pulse_width_s != s.pulse_width_s
                    and None not in (sib_s.pulse_width_s, s.pulse_width_s)):
                raise InputError(f"this file and its sibling {sibling.name} have different pulse widths "
                                 f"({format_pulse_width(s.pulse_width_s)} vs "
                                 f"{format_pulse_width(sib_s.pulse_width_s)})", file=path)
            notes.append(f"{direction} ramps from {path.name} combined with the {sib_dir} ramps "
                         f"of its sibling {sibling.name}")
            used.append(sibling)
            if s.pulse_width_s is None:
                s.pulse_width_s = sib_s.pulse_width_s
    up_first = ramps + sib_ramps if direction == "up" else sib_ramps + ramps
    # The pair's name: the file name without its direction word (crosssim_v2_example).
    stem = strip_words(path.stem, UP_WORDS + DOWN_WORDS) if len(used) == 2 else path.stem
    dev = s.device if s.device is not None else (stem or path.stem)
    source = path if direction == "up" or len(used) == 1 else used[1]
    return Trace(device=dev, pulse_width_s=s.pulse_width_s, ramps=up_first, source=source, units="S",
                 format="ramps-csv", read_voltage_V=s.read_voltage_V if s.quantity == "current_A" else None,
                 notes=notes + s.notes), used
