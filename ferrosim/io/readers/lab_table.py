"""The `lab-table` reader: a lab export read through a column mapping (`lab_columns.py`).

Any delimited table with a header, any names, any units: the mapping (`--column ROLE=NAME`,
`columns:` in `measurements.yaml`) says which column holds what; see `lab_columns.py` for the
roles and units.

How rows become ramps (the pulse trains the fitter reads), in file order:

- the state after each pulse is the conductance, or 1/resistance, or |read current / read
  voltage| (the read voltage from its column, else `--read-voltage` / `read_voltage_V`);
- each pulse's direction comes from the `direction` column (up/down, set/reset, ltp/ltd,
  potentiation/depression, +/-), else from the sign of `amplitude`: the sign whose pulses raise
  the conductance on average potentiates (or `potentiating_polarity` in the sidecar says so),
  else from the trend of each ramp when the `pulse` column restarts at every ramp;
- a new ramp starts where the direction changes, where the `pulse` count restarts, and where
  the `cycle` column changes; a row with amplitude 0 is a read without a pulse: its state is the
  state before the next pulse, not a step;
- back-to-back ramps chain: a ramp's state before its first pulse is the last read before it,
  except in a file holding one direction only, whose next ramp follows pulses of the other
  direction that are not in the file (no step is measured across them).

Potentiation and depression in separate files of one device, the delimiter and the decimal
mark: `lab_layout.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ferrosim.errors import InputError, closest
from ferrosim.io.cells import DECIMAL_COMMA, cells, conductance, number
from ferrosim.io.measurement_data import Ramp, Trace, assign_cycles
from ferrosim.io.readers.lab_columns import (
    ROLES,
    STATE_ROLES,
    ColumnMap,
    header_cells,
    mapping_hint,
    unit_factor,
    unit_in_name,
)
from ferrosim.io.readers.lab_layout import (
    DECIMAL_HINT,
    decimal_mark,
    file_direction,
    paired_device,
    partner_file,
    with_points,
)
from ferrosim.io.sidecar import Context, file_settings
from ferrosim.units import parse_pulse_width

_UP = {"up", "set", "ltp", "potentiation", "potentiate", "p", "+", "pot", "inc", "increase"}
_DOWN = {"down", "reset", "ltd", "depression", "depress", "d", "-", "dep", "dec", "decrease"}


def read(path: Path, text: str, ctx: Context) -> tuple[list[Trace], list[Path]]:
    """The traces of a lab export through the mapping of the command line and the sidecar."""
    if not ctx.mapping:
        raise InputError("a lab table is read through a column mapping and none is given", file=path,
                         hint=mapping_hint(header_cells(text)[1], path))
    traces = _read_file(path, text, ctx)
    traces, by_name = traces
    partner = partner_file(path) if by_name else None
    if partner is None:
        return traces, [path]
    from ferrosim.io.readers.common import read_text

    return traces + _read_file(partner, read_text(partner), ctx)[0], [path, partner]


def _read_file(path: Path, text: str, ctx: Context) -> tuple[list[Trace], bool]:
    """The file's traces, and whether the file-name rule made it a one-direction file (whose
    partner, the name with the other direction word, is then read with it)."""
    s = file_settings(ctx, path)
    direction, direction_from = file_direction(path, s.direction, s.direction_from)
    settings = LabSettings(pulse_width_s=s.pulse_width_s, device=s.device if s.device is not None else path.stem,
                           read_voltage_V=s.read_voltage_V, read_voltage_from=s.read_voltage_from,
                           cycle=s.cycle, notes=s.notes, direction=direction, direction_from=direction_from,
                           device_given=s.device is not None, decimal=ctx.decimal,
                           decimal_from="--decimal" if ctx.decimal is not None and ctx.decimal != ctx.sidecar.decimal
                           else "measurements.yaml decimal")
    traces = read_lab_table(path, text, ctx.mapping, settings)
    return traces, settings.one_way is not None and direction_from == "its name"


@dataclass
class LabSettings:
    """What the command line and the sidecar say about a file (the file's own columns win)."""

    pulse_width_s: float | None
    device: str
    read_voltage_V: float | None
    read_voltage_from: str
    cycle: int
    notes: list[str]
    direction: str | None = None
    """The direction every pulse of the file goes (a one-direction file), where known."""
    direction_from: str = ""
    """`--direction`, `measurements.yaml files[...]` or `its name` (the name rule gives way to the
    file's own direction column and to amplitudes of both signs)."""
    device_given: bool = False
    decimal: str | None = None
    decimal_from: str = "--decimal"
    one_way: str | None = None
    """Set by the reader: the direction the file's pulses were given from `direction`, if any."""


@dataclass
class _Row:
    line: int
    g: float
    amplitude: float = math.nan
    direction: str | None = None
    pulse: float | None = None
    cycle: int | None = None
    pulse_width_s: float | None = None
    device: str | None = None
    energy: float | None = None
    pulse_current: float = math.nan
    read_voltage: float | None = None


def _header(path: Path, lines: list[str], mapping: ColumnMap) -> tuple[int, list[str]]:
    """(index, names) of the first line that holds every mapped column name (preamble lines skipped)."""
    wanted = list(mapping.columns.values())
    best: tuple[int, int, list[str]] | None = None  # (mapped names found, index, names)
    for k, raw in enumerate(lines[:200]):
        if not raw.strip():
            continue
        names = cells(raw)
        if all(w in names for w in wanted):  # a header may start with '#' (a column named '#')
            twice = next((w for w in wanted if names.count(w) > 1), None)
            if twice is not None:
                raise InputError(f"column '{twice}' appears twice in the header: which one is mapped is not "
                                 "clear", file=path, line=k + 1, hint="rename one of them")
            return k, names
        if raw.lstrip().startswith("#"):
            continue
        found = sum(w in names for w in wanted)
        if best is None or found > best[0]:
            best = (found, k, names)
    if best is None:
        raise InputError("no header line (only blank or # comment lines)", file=path)
    _, k, names = best
    missing = next(w for w in wanted if w not in names)
    near = closest(missing, names)
    raise InputError(f"no header line holds the mapped column '{missing}' ({mapping.source})", file=path,
                     line=k + 1, hint=(f"did you mean '{near}'? " if near else "")
                     + "columns on this line: " + ", ".join(repr(n) for n in names))


def _factor(mapping: ColumnMap, role: str, path: Path, line: int) -> float | None:
    """The factor to SI of a mapped column's unit (from its name, else given for it; the two
    never disagree: ColumnMap.check). None for a pulse-width column without one: its cells then
    say their unit (`2us`)."""
    name = mapping.columns[role]
    unit = mapping.units.get(role) or unit_in_name(name)
    if unit is None:
        if role == "pulse_width":
            return None
        raise InputError(f"column '{name}' ({role}) has no unit in its name", file=path, line=line,
                         hint=_UNIT_HINT.format(role=role))
    try:
        return unit_factor(role, unit)
    except ValueError as exc:
        where = mapping.given_unit(role) if role in mapping.units else "its name"
        raise InputError(f"column '{name}' ({role}): {exc}, from {where}", file=path, line=line,
                         hint=f"give the unit with --unit {role}=UNIT") from None


_UNIT_HINT = "give it with --unit {role}=UNIT (or units: {{{role}: UNIT}} in measurements.yaml)"


def _pulse_width(text: str, factor: float | None, name: str, path: Path, line: int) -> float:
    """Seconds from a pulse-width cell: a number in the column's unit, or text with its own
    unit (`2us`, `20 ns`); through parse_pulse_width, the check of every pulse width read."""
    try:
        value = float(text)
    except ValueError:
        value = None
    try:
        if value is None:
            return parse_pulse_width(text)
        if factor is None:
            raise InputError(f"column '{name}' (pulse_width): {text} has no unit, and the column's name "
                             "says none", file=path, line=line,
                             hint=f"write it as {text}us (say), or " + _UNIT_HINT.format(role="pulse_width"))
        return parse_pulse_width(value * factor)
    except ValueError as exc:
        raise InputError(f"column '{name}': {exc}", file=path, line=line) from None


def read_lab_table(path: Path, text: str, mapping: ColumnMap, s: LabSettings) -> list[Trace]:
    """Traces (one per device and pulse width) of a lab export read through `mapping`."""
    lines = text.splitlines()
    head, names = _header(path, lines, mapping)
    col = {role: names.index(name) for role, name in mapping.columns.items()}
    sep, decimal = decimal_mark(path, lines, head, list(col.values()), s.decimal, s.decimal_from)
    factors = {role: _factor(mapping, role, path, head + 1) for role in col if ROLES[role].dimension}
    state = next(r for r in STATE_ROLES if r in col)
    if state == "current" and "read_voltage" not in col and s.read_voltage_V is None:
        raise InputError(f"column '{mapping.columns['current']}' holds read currents and no read voltage is given",
                         file=path, line=head + 1, hint="map a read_voltage column, or pass --read-voltage VOLTS "
                         "(read_voltage_V in measurements.yaml)")
    if not ({"direction", "amplitude", "pulse"} & col.keys()):
        raise InputError("cannot tell where ramps start and which way they go", file=path, line=head + 1,
                         hint="map a direction or amplitude column, or a pulse column that restarts at every ramp")

    rows: list[_Row] = []
    pw_cache: dict[str, float] = {}
    for k in range(head + 1, len(lines)):
        raw = lines[k]
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        n = k + 1
        row_cells = cells(raw, sep)
        if len(row_cells) > len(names):
            raise InputError(f"expected {len(names)} values (one per header column), got {len(row_cells)}",
                             file=path, line=n, hint="numbers with decimal commas need ; or tabs between the cells"
                             if sep == "," else None)
        if decimal == ",":
            row_cells = with_points(row_cells)

        def value(role: str) -> str:
            return row_cells[col[role]] if role in col and col[role] < len(row_cells) else ""

        def quantity(role: str, *, required: bool = False) -> float | None:
            text_ = value(role)
            if not text_:
                if required:
                    raise InputError(f"column '{mapping.columns[role]}' ({role}) is empty", file=path, line=n)
                return None
            try:
                return number(text_, path, n, f"column '{mapping.columns[role]}'") * factors.get(role, 1.0)
            except InputError as exc:
                if DECIMAL_COMMA.fullmatch(text_):  # a decimal comma read with a decimal point
                    raise InputError(exc.what, file=path, line=n, hint=DECIMAL_HINT) from None
                raise

        raw_state = quantity(state, required=True)
        if state == "conductance":
            g = raw_state
        elif state == "resistance":
            if raw_state <= 0:
                raise InputError(f"column '{mapping.columns[state]}': resistance must be positive", file=path, line=n)
            g = 1.0 / raw_state
        else:
            rv = quantity("read_voltage") if "read_voltage" in col else s.read_voltage_V
            if not rv:
                raise InputError(f"read voltage is {'zero' if rv == 0 else 'missing'}: no conductance from "
                                 "the read current", file=path, line=n)
            g = abs(raw_state / rv)
        row = _Row(line=n, g=conductance(g, path, n, f"column '{mapping.columns[state]}': the conductance"))
        amp = quantity("amplitude")
        row.amplitude = math.nan if amp is None else amp
        if "direction" in col and value("direction"):
            word = value("direction").strip().lower()
            if word not in _UP | _DOWN:
                raise InputError(f"column '{mapping.columns['direction']}': unknown direction {value('direction')!r}",
                                 file=path, line=n, hint="up/down, set/reset, ltp/ltd, potentiation/depression, +/-")
            row.direction = "up" if word in _UP else "down"
        if "pulse" in col and value("pulse"):
            row.pulse = number(value("pulse"), path, n, f"column '{mapping.columns['pulse']}'")
        if "cycle" in col and value("cycle"):
            row.cycle = int(number(value("cycle"), path, n, f"column '{mapping.columns['cycle']}'"))
        if "pulse_width" in col and value("pulse_width"):
            text_ = value("pulse_width")
            if text_ not in pw_cache:
                pw_cache[text_] = _pulse_width(text_, factors["pulse_width"], mapping.columns["pulse_width"], path, n)
            row.pulse_width_s = pw_cache[text_]
        if "device" in col and value("device"):
            row.device = value("device")
        energy = quantity("energy")
        if energy is not None:
            if energy < 0:
                raise InputError(f"column '{mapping.columns['energy']}': energy must be >= 0", file=path, line=n)
            row.energy = energy
        current = quantity("pulse_current")
        row.pulse_current = math.nan if current is None else abs(current)
        if "read_voltage" in col:
            row.read_voltage = quantity("read_voltage")
        rows.append(row)
    if not rows:
        raise InputError("no data rows after the header", file=path, line=head + 1)

    s.one_way = _one_way(path, s, col, rows)
    default_device = paired_device(path) if s.one_way is not None and not s.device_given else s.device
    groups: dict[tuple[str, float | None], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.device or default_device, row.pulse_width_s or s.pulse_width_s), []).append(row)
    traces = []
    for (device, pw), group in groups.items():
        notes = list(s.notes) + [f"lab table read through the column mapping of {mapping.source}: "
                                 + ", ".join(f"{r}='{c}'" for r, c in mapping.columns.items())]
        if decimal == ",":
            notes.append(f"{path.name}: numbers with decimal commas, cells separated by {sep!r}")
        if s.one_way is not None:
            notes.append(f"every pulse of {path.name} is {s.one_way} (from {s.direction_from}); its ramps do "
                         "not chain: pulses of the other direction come between them")
            for row in group:
                if math.isnan(row.amplitude) or row.amplitude != 0:
                    row.direction = s.one_way
        if s.pulse_width_s is not None and group[0].pulse_width_s is not None \
                and not math.isclose(s.pulse_width_s, group[0].pulse_width_s):
            notes.append("the pulse width given outside the file is not used: the file has a pulse width column")
        ramps = _ramps(path, group, mapping, notes)
        if not any(r.cycle is not None for r in group):
            assign_cycles(ramps, s.cycle)
        rvs = [r.read_voltage for r in group if r.read_voltage is not None]
        rv = abs(rvs[0]) if rvs else (s.read_voltage_V if state == "current" else None)
        e_up = [r.energy for r in group if r.energy is not None and r.direction == "up"]
        e_down = [r.energy for r in group if r.energy is not None and r.direction == "down"]
        traces.append(Trace(device=device, pulse_width_s=pw, ramps=ramps, source=path, units="S",
                            format="lab-table", energy_up_J=float(np.mean(e_up)) if e_up else None,
                            energy_down_J=float(np.mean(e_down)) if e_down else None,
                            read_voltage_V=rv, notes=notes))
    return traces


def _one_way(path: Path, s: LabSettings, col: dict[str, int], rows: list[_Row]) -> str | None:
    """The direction of every pulse of a one-direction file (`s.direction`), or None: the
    file's own direction column wins, and the name rule gives way to amplitudes of both signs."""
    if s.direction is None:
        return None
    if "direction" in col:
        if s.direction_from != "its name":
            s.notes.append(f"direction {s.direction} from {s.direction_from} not used: the file has a direction column")
        return None
    signs = {math.copysign(1.0, r.amplitude) for r in rows if not math.isnan(r.amplitude) and r.amplitude != 0}
    if s.direction_from == "its name" and len(signs) > 1:
        return None
    return s.direction


def _ramps(path: Path, group: list[_Row], mapping: ColumnMap, notes: list[str]) -> list[Ramp]:
    """Split a device's rows (file order) into ramps and give every pulse its direction."""
    has_dir = any(r.direction for r in group)
    has_amp = any(not math.isnan(r.amplitude) for r in group)
    if not has_dir and has_amp:
        _direction_from_sign(path, group, mapping, notes)
    # Segments: a new one where the direction, the cycle or the pulse count says so. A read
    # without a pulse (amplitude 0) changes no state: it only gives the next segment its start.
    segments: list[list[_Row]] = []
    starts: list[float | None] = []
    chained: list[bool] = []  # the start is the last pulse's read (not a read without a pulse)
    last_read: float | None = None
    after_pulse = False
    for row in group:
        if has_amp and row.amplitude == 0:
            last_read, after_pulse = row.g, False
            continue
        cur = segments[-1][-1] if segments else None
        if (cur is None or (row.direction is not None and row.direction != cur.direction)
                or (row.cycle is not None and row.cycle != cur.cycle)
                or (row.pulse is not None and cur.pulse is not None and row.pulse <= cur.pulse)):
            segments.append([row])
            starts.append(last_read)
            chained.append(after_pulse)
        else:
            segments[-1].append(row)
        last_read, after_pulse = row.g, True
    directions = {r.direction for r in group if not (has_amp and r.amplitude == 0)}
    if len(directions) == 1 and None not in directions:  # one direction: the other's pulses are elsewhere
        starts = [None if c else st for st, c in zip(starts, chained)]
    ramps: list[Ramp] = []
    for seg, start in zip(segments, starts):
        if not seg:
            continue
        direction = seg[0].direction
        if direction is None:  # only a restarting pulse column: the ramp's trend says which way
            values = [start] * (start is not None) + [r.g for r in seg]
            trend = values[-1] - values[0] if len(values) > 1 else 0.0
            if trend == 0:
                raise InputError("cannot tell the direction of the ramp starting here", file=path, line=seg[0].line,
                                 hint="map a direction or amplitude column")
            direction = "up" if trend > 0 else "down"
            for r in seg:
                r.direction = direction
        amps = np.array([r.amplitude for r in seg])
        currents = np.array([r.pulse_current for r in seg])
        ramps.append(Ramp(direction=direction, values=np.array([r.g for r in seg]), start=start,
                          amplitude_V=None if np.isnan(amps).all() else amps,
                          cycle=seg[0].cycle if seg[0].cycle is not None else 0, line=seg[0].line,
                          current_A=None if np.isnan(currents).any() else currents))
    return ramps


def _direction_from_sign(path: Path, group: list[_Row], mapping: ColumnMap, notes: list[str]) -> None:
    """Give each pulse its direction from its amplitude's sign: which sign potentiates is
    `potentiating_polarity`, else the sign whose pulses raise the conductance on average."""
    polarity = mapping.potentiating_polarity
    if polarity is None:
        steps = {-1.0: [], 1.0: []}
        for a, b in zip(group[:-1], group[1:]):
            if b.amplitude and not math.isnan(b.amplitude):
                steps[math.copysign(1.0, b.amplitude)].append(b.g - a.g)
        mean = {k: float(np.mean(v)) if v else math.nan for k, v in steps.items()}
        if not math.isnan(mean[-1.0]) and not math.isnan(mean[1.0]):
            polarity = "negative" if mean[-1.0] > mean[1.0] else "positive"
        elif not math.isnan(mean[-1.0]) or not math.isnan(mean[1.0]):
            only = -1.0 if not math.isnan(mean[-1.0]) else 1.0
            polarity = ("negative" if only < 0 else "positive") if mean[only] > 0 else (
                "positive" if only < 0 else "negative")
        else:
            raise InputError("every pulse amplitude is zero: no pulses", file=path, line=group[0].line)
        notes.append(f"{polarity} amplitudes potentiate (the sign whose pulses raise the conductance on average; "
                     "set potentiating_polarity in measurements.yaml to say otherwise)")
    up_sign = -1.0 if polarity == "negative" else 1.0
    for row in group:
        if row.amplitude and not math.isnan(row.amplitude):
            row.direction = "up" if math.copysign(1.0, row.amplitude) == up_sign else "down"



__all__ = ["LabSettings", "read", "read_lab_table"]
