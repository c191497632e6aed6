"""Lab exports read through a column mapping: any delimited table with a header, any names, any units.

A lab's own export (`Pulse #, V_pulse (V), G (uS)`, a read current and a read voltage, a
resistance in kohm, ...) is read by naming which column holds what (`ROLES`):

    --column pulse='Pulse #' --column amplitude='V_pulse (V)' --column conductance='G (uS)'

or the same under `columns:` in `measurements.yaml`. A column's unit is read from its name
(`G (uS)`, `I_read [nA]`, `R / kohm`) unless `--unit ROLE=UNIT` (`units:` in the sidecar) gives
it; a quantity with a dimension and no unit is an error, never a guess.

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
- back-to-back ramps chain: a ramp's state before its first pulse is the last read before it.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ferrosim.errors import InputError, closest
from ferrosim.io.cells import cells, number
from ferrosim.io.measurement_data import Ramp, Trace, assign_cycles
from ferrosim.units import parse_pulse_width

# -- roles and units ----------------------------------------------------------------------------

_SI_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "μ": 1e-6,
              "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18}


def _units(base: tuple[str, ...], prefixes: str) -> dict[str, float]:
    return {p + b: _SI_PREFIX[p] for b in base for p in [""] + list(prefixes)}


DIMENSIONS: dict[str, dict[str, float]] = {
    "conductance": _units(("S",), "mµμunp"),
    "resistance": _units(("ohm", "Ohm", "Ω", "ohms", "Ohms"), "kMG"),
    "current": _units(("A",), "mµμunpf"),
    "voltage": _units(("V",), "mµμu"),
    "time": _units(("s",), "mµμunp") | {"sec": 1.0},
    "energy": _units(("J",), "mµμunpfa"),
}
"""Accepted units per dimension, with their factor to the SI unit (µ, μ and u are all micro)."""


@dataclass(frozen=True)
class Role:
    dimension: str | None
    what: str


ROLES: dict[str, Role] = {
    "pulse": Role(None, "pulse number; a restart (a value not above the previous one) starts a new ramp"),
    "conductance": Role("conductance", "conductance read after each pulse"),
    "resistance": Role("resistance", "resistance read after each pulse"),
    "current": Role("current", "read current after each pulse (needs a read voltage)"),
    "read_voltage": Role("voltage", "read voltage of each read (else --read-voltage / read_voltage_V)"),
    "amplitude": Role("voltage", "signed programming-pulse amplitude (its sign gives the direction)"),
    "direction": Role(None, "up/down, set/reset, ltp/ltd, potentiation/depression or +/-"),
    "cycle": Role(None, "cycle number"),
    "pulse_width": Role("time", "pulse width (else --pulse-width / measurements.yaml)"),
    "device": Role(None, "device name (else --device / device_name)"),
    "energy": Role("energy", "measured energy of each pulse"),
    "pulse_current": Role("current", "current through the device during each pulse"),
}
"""What a column can hold (`--column ROLE=NAME`). Exactly one of conductance, resistance and
current is the state."""

STATE_ROLES = ("conductance", "resistance", "current")

_UP = {"up", "set", "ltp", "potentiation", "potentiate", "p", "+", "pot", "inc", "increase"}
_DOWN = {"down", "reset", "ltd", "depression", "depress", "d", "-", "dep", "dec", "decrease"}

_UNIT_IN_NAME = re.compile(r"(?:\(\s*([^()]+?)\s*\)|\[\s*([^\[\]]+?)\s*\]|/\s*([^/\s()\[\]]+))\s*$")


def unit_in_name(name: str) -> str | None:
    """The unit a column name ends with: `G (uS)`, `I_read [nA]`, `R / kohm`; else None."""
    m = _UNIT_IN_NAME.search(name)
    if not m:
        return None
    return next(g for g in m.groups() if g is not None)


def check_role(role: str, unit: str | None = None) -> None:
    """ValueError naming the nearest role for an unknown role, or the accepted units for a bad unit."""
    if role not in ROLES:
        near = closest(role, list(ROLES))
        raise ValueError(f"unknown column role '{role}' "
                         + (f"(did you mean '{near}'?)" if near else f"(roles: {', '.join(ROLES)})"))
    if unit is not None:
        if ROLES[role].dimension is None:
            raise ValueError(f"{role} has no unit")
        unit_factor(role, unit)


def unit_factor(role: str, unit: str) -> float:
    """Factor from `unit` to the SI unit of `role`'s dimension; ValueError names the accepted ones."""
    dim = ROLES[role].dimension
    table = DIMENSIONS[dim]
    text = unit.strip()
    if text in table:
        return table[text]
    if dim == "resistance" and text.lower() in ("ohm", "kohm", "mohm", "gohm"):  # kOhm, MOHM, ...: only the prefix's case matters
        prefix = {"ohm": "", "kohm": "k", "mohm": "M", "gohm": "G"}[text.lower()]
        if text[0] in "kKMG" or prefix == "":
            return _SI_PREFIX[prefix]
    accepted = sorted({u.replace("μ", "µ") for u in table if not u.startswith("μ")}, key=lambda u: table[u])
    raise ValueError(f"unit '{unit}' is not a {dim} unit (one of: {', '.join(accepted)})")


# -- the mapping --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnMap:
    """Which column holds what (`columns`), and units that the column names do not say (`units`)."""

    columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    potentiating_polarity: str | None = None
    source: str = "--column"
    """Where the mapping came from, for error messages (`--column` or `measurements.yaml columns`)."""

    def __bool__(self) -> bool:
        return bool(self.columns)

    def over(self, base: "ColumnMap") -> "ColumnMap":
        """This mapping's roles and units over `base`'s (the command line over the sidecar)."""
        if not self and not self.units:
            return base
        kept = base.columns
        if any(r in self.columns for r in STATE_ROLES):  # the state column named here replaces base's
            kept = {r: c for r, c in kept.items() if r not in STATE_ROLES}
        return ColumnMap({**kept, **self.columns}, {**base.units, **self.units},
                         self.potentiating_polarity or base.potentiating_polarity,
                         self.source if not base else f"{self.source} and {base.source}")

    def check(self) -> None:
        """One InputError for an unknown role, a unit of the wrong dimension, or no state column."""
        for key in (*self.columns, *self.units):
            try:
                check_role(key, self.units.get(key) if key in self.units else None)
            except ValueError as exc:
                raise InputError(f"{self.source}: {exc}") from None
        if not self.columns:
            return
        states = [r for r in STATE_ROLES if r in self.columns]
        if len(states) != 1:
            raise InputError(f"{self.source}: map exactly one of conductance, resistance, current"
                             + (f" (got {', '.join(states)})" if states else ""),
                             hint="e.g. --column conductance='G (uS)'")
        names = list(self.columns.values())
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice is not None:
            raise InputError(f"{self.source}: column '{twice}' is mapped to two roles")


def parse_column_options(columns: list[str], units: list[str]) -> ColumnMap:
    """`--column ROLE=NAME` and `--unit ROLE=UNIT` options as a checked ColumnMap."""

    def pairs(items: list[str], option: str, what: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in items:
            role, sep, value = item.partition("=")
            role, value = role.strip(), value.strip()
            if not sep or not role or not value:
                raise InputError(f"{option} {item!r}: expected ROLE={what}", hint=f"e.g. {option} "
                                 + ("conductance='G (uS)'" if what == "NAME" else "conductance=uS"))
            if role in out:
                raise InputError(f"{option}: role '{role}' given twice")
            out[role] = value
        return out

    mapping = ColumnMap(pairs(columns, "--column", "NAME"), pairs(units, "--unit", "UNIT"))
    mapping.check()
    return mapping


# -- suggestions for an unmapped export ---------------------------------------------------------

_GUESSES: tuple[tuple[str, re.Pattern], ...] = tuple((role, re.compile(rx, re.IGNORECASE)) for role, rx in (
    ("pulse_width", r"width|\bt_?pulse|^pw\b|duration"),
    ("pulse_current", r"(pulse|prog|write)\w*\s*_?(current|\bi\b)|^i_?(pulse|prog|write)"),
    ("read_voltage", r"v_?read|read\w*\s*_?(voltage|\bv\b)"),
    ("energy", r"energy|^e_?(pulse)?\b"),
    ("current", r"^i\b|^i_|current|i_?read"),
    ("pulse", r"pulse\s*(#|no\b|num|nr|number|index|idx|count|n\b)|^#|^n\b|^index\b|^pulse\b"),
    ("amplitude", r"amplitude|v_?pulse|pulse\w*\s*_?(voltage|\bv\b)|^v_?(prog|write|set|app)|^v\b"),
    ("conductance", r"conductance|^g\b|^g_"),
    ("resistance", r"resistance|^r\b|^r_"),
    ("cycle", r"cycle"),
    ("direction", r"direction|^dir\b|polarity|^type\b"),
    ("device", r"device|^dut\b|sample"),
))


def suggest_mapping(names: list[str]) -> dict[str, str]:
    """A guess at the roles of a header's columns (first match per role), for error hints only."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for role, pattern in _GUESSES:
        for name in names:
            if name not in taken and role not in out and pattern.search(name.strip()):
                out[role] = name
                taken.add(name)
    return out


def looks_like_lab_export(names: list[str]) -> bool:
    """A header with a state column and a pulse or amplitude column that no native format has."""
    guess = suggest_mapping(names)
    return any(r in guess for r in STATE_ROLES) and ("pulse" in guess or "amplitude" in guess)


def mapping_hint(names: list[str]) -> str:
    """`--column pulse='Pulse #' ...` for the guessed roles, or the general form."""
    guess = suggest_mapping(names)
    if not any(r in guess for r in STATE_ROLES):
        return "map the columns with --column ROLE=NAME (roles: " + ", ".join(ROLES) + "), docs/lab-data.md"
    return ("map the columns, e.g. " + " ".join(f"--column {shlex.quote(f'{r}={n}')}" for r, n in guess.items())
            + " (or columns: in measurements.yaml; docs/lab-data.md)")


# -- reading ------------------------------------------------------------------------------------

@dataclass
class LabSettings:
    """What the command line and the sidecar say about a file (the file's own columns win)."""

    pulse_width_s: float | None
    device: str
    read_voltage_V: float | None
    read_voltage_from: str
    cycle: int
    notes: list[str]


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


def header_cells(text: str) -> tuple[int, list[str]]:
    """(1-based line, cells) of the first line that is neither blank nor a # comment (detection hints)."""
    return next(((k + 1, cells(ln)) for k, ln in enumerate(text.splitlines()[:50])
                 if ln.strip() and not ln.lstrip().startswith("#")), (1, []))


def _factor(mapping: ColumnMap, role: str, path: Path, line: int) -> float:
    name = mapping.columns[role]
    unit = mapping.units.get(role) or unit_in_name(name)
    if unit is None:
        raise InputError(f"column '{name}' ({role}) has no unit in its name", file=path, line=line,
                         hint=f"give it with --unit {role}=UNIT (or units: {{{role}: UNIT}} in measurements.yaml)")
    try:
        return unit_factor(role, unit)
    except ValueError as exc:
        where = "--unit" if role in mapping.units else "its name"
        raise InputError(f"column '{name}' ({role}): {exc}, from {where}", file=path, line=line,
                         hint=f"give the unit with --unit {role}=UNIT") from None


def read_lab_table(path: Path, text: str, mapping: ColumnMap, s: LabSettings) -> list[Trace]:
    """Traces (one per device and pulse width) of a lab export read through `mapping`."""
    lines = text.splitlines()
    head, names = _header(path, lines, mapping)
    col = {role: names.index(name) for role, name in mapping.columns.items()}
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
        row_cells = cells(raw)
        if len(row_cells) > len(names):
            raise InputError(f"expected {len(names)} values (one per header column), got {len(row_cells)}",
                             file=path, line=n)

        def value(role: str) -> str:
            return row_cells[col[role]] if role in col and col[role] < len(row_cells) else ""

        def quantity(role: str, *, required: bool = False) -> float | None:
            text_ = value(role)
            if not text_:
                if required:
                    raise InputError(f"column '{mapping.columns[role]}' ({role}) is empty", file=path, line=n)
                return None
            return number(text_, path, n, f"column '{mapping.columns[role]}'") * factors.get(role, 1.0)

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
        if g <= 0 or not math.isfinite(g):
            raise InputError(f"column '{mapping.columns[state]}': the conductance must be positive, got {g:g} S",
                             file=path, line=n)
        row = _Row(line=n, g=g)
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
                try:
                    pw_cache[text_] = float(text_) * factors["pulse_width"]
                except ValueError:
                    try:
                        pw_cache[text_] = parse_pulse_width(text_)
                    except ValueError as exc:
                        raise InputError(f"column '{mapping.columns['pulse_width']}': {exc}", file=path,
                                         line=n) from None
                if not pw_cache[text_] > 0:
                    raise InputError(f"column '{mapping.columns['pulse_width']}': pulse width must be positive",
                                     file=path, line=n)
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

    groups: dict[tuple[str, float | None], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.device or s.device, row.pulse_width_s or s.pulse_width_s), []).append(row)
    traces = []
    for (device, pw), group in groups.items():
        notes = list(s.notes) + [f"lab table read through the column mapping of {mapping.source}: "
                                 + ", ".join(f"{r}='{c}'" for r, c in mapping.columns.items())]
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
    last_read: float | None = None
    for row in group:
        if has_amp and row.amplitude == 0:
            last_read = row.g
            continue
        cur = segments[-1][-1] if segments else None
        if (cur is None or (row.direction is not None and row.direction != cur.direction)
                or (row.cycle is not None and row.cycle != cur.cycle)
                or (row.pulse is not None and cur.pulse is not None and row.pulse <= cur.pulse)):
            segments.append([row])
            starts.append(last_read)
        else:
            segments[-1].append(row)
        last_read = row.g
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


__all__ = ["ColumnMap", "DIMENSIONS", "header_cells", "LabSettings", "ROLES", "STATE_ROLES", "looks_like_lab_export",
           "mapping_hint", "parse_column_options", "read_lab_table", "suggest_mapping", "unit_factor",
           "unit_in_name"]
