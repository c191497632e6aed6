"""The column mapping of lab exports: which column holds what (`ROLES`), in which unit.

A lab's own export (`Pulse #, V_pulse (V), G (uS)`, a read current and a read voltage, a
resistance in kohm, ...) is read by naming which column holds what (`ROLES`):

    --column pulse='Pulse #' --column amplitude='V_pulse (V)' --column conductance='G (uS)'

or the same under `columns:` in `measurements.yaml`. A column's unit is read from its name
(`G (uS)`, `I_read [nA]`, `R / kohm`), else from `--unit ROLE=UNIT` (`units:` in the sidecar); a
quantity with a dimension and no unit is an error, never a guess, and so is a unit given for a
column whose name says another (`ColumnMap.check`: which one is right is not ferrosim's to guess).
A pulse-width column may hold text with units (`2us`) instead. Time units are
`ferrosim.units.TIME_UNITS`. The reader that applies a mapping is `lab_table.py`; the
suggestions here (`suggest_mapping`, `mapping_hint`) only word error hints.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ferrosim.errors import InputError, closest
from ferrosim.io.cells import cells
from ferrosim.io.readers.names import width_in_name
from ferrosim.units import TIME_UNITS

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
    "time": TIME_UNITS,
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

UNIT_CONFLICT_HINT = "a unit is given only for a column whose name says none: drop it, or correct the column's name"


def unit_conflict(role: str, name: str, unit: str, given: str) -> str | None:
    """What is wrong with giving `unit` (as `given`, e.g. `--unit conductance=uS`) for column
    `name` whose name says another unit of the role, else None. The same unit spelt otherwise
    (`uS` and `µS`) is no conflict, and a name ending in something that is no unit of the role
    (`G (a.u.)`) is given its unit this way."""
    said = unit_in_name(name)
    if said is None:
        return None
    try:
        if unit_factor(role, said) == unit_factor(role, unit):
            return None
    except ValueError:
        return None
    return f"column '{name}' ({role}) has the unit {said} in its name, and {given} contradicts it"


@dataclass(frozen=True)
class ColumnMap:
    """Which column holds what (`columns`), and units that the column names do not say (`units`)."""

    columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    potentiating_polarity: str | None = None
    source: str = "--column"
    """Where the mapping came from, for error messages (`--column` or `measurements.yaml columns`)."""
    unit_from: dict[str, str] = field(default_factory=dict)
    """Where each unit of `units` came from, for error messages (`--unit conductance=uS`, or
    `units: in measurements.yaml`); a role missing here reads as `the unit given`."""

    def __bool__(self) -> bool:
        return bool(self.columns)

    def over(self, base: "ColumnMap") -> "ColumnMap":
        """This mapping's roles and units over `base`'s (the command line over the sidecar): a
        role named here is added to base's or replaces it, and a state column named here replaces
        base's state column (conductance, resistance or current)."""
        if not self and not self.units:
            return base
        kept = base.columns
        if any(r in self.columns for r in STATE_ROLES):  # the state column named here replaces base's
            kept = {r: c for r, c in kept.items() if r not in STATE_ROLES}
        return ColumnMap({**kept, **self.columns}, {**base.units, **self.units},
                         self.potentiating_polarity or base.potentiating_polarity,
                         self.source if not base else f"{self.source} and {base.source}",
                         {**base.unit_from, **self.unit_from})

    def given_unit(self, role: str) -> str:
        """The unit of `role` as it was given (`--unit conductance=uS`, `units: {conductance: uS}
        in measurements.yaml`), for messages."""
        return self.unit_from.get(role, f"the unit {self.units[role]} given for it")

    def check(self, *, complete: bool = True) -> None:
        """One InputError for an unknown role, a unit of the wrong dimension, a column mapped to
        two roles, a unit given for a column whose name says another, and (when `complete`: the
        whole mapping, not command-line roles still to be laid over the sidecar's) anything but
        exactly one state column."""
        for key in (*self.columns, *self.units):
            try:
                check_role(key, self.units.get(key) if key in self.units else None)
            except ValueError as exc:
                raise InputError(f"{self.source}: {exc}") from None
        states = [r for r in STATE_ROLES if r in self.columns]
        if (complete and self.columns and len(states) != 1) or len(states) > 1:
            raise InputError(f"{self.source}: map exactly one of conductance, resistance, current"
                             + (f" (got {', '.join(states)})" if states else ""),
                             hint="e.g. --column conductance='G (uS)'")
        names = list(self.columns.values())
        twice = next((n for n in names if names.count(n) > 1), None)
        if twice is not None:
            raise InputError(f"{self.source}: column '{twice}' is mapped to two roles")
        for role, name in self.columns.items():
            if role in self.units:
                conflict = unit_conflict(role, name, self.units[role], self.given_unit(role))
                if conflict:
                    raise InputError(conflict, hint=UNIT_CONFLICT_HINT)


def parse_column_options(columns: list[str], units: list[str], *, complete: bool = True) -> ColumnMap:
    """`--column ROLE=NAME` and `--unit ROLE=UNIT` options as a checked ColumnMap; `complete=False`
    for options that will be laid over the sidecar's mapping (`ColumnMap.over`), whose state
    column may come from there (the whole mapping is checked once laid over)."""

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

    unit_pairs = pairs(units, "--unit", "UNIT")
    mapping = ColumnMap(pairs(columns, "--column", "NAME"), unit_pairs,
                        unit_from={r: f"--unit {r}={u}" for r, u in unit_pairs.items()})
    mapping.check(complete=complete)
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


def mapping_hint(names: list[str], path: Path | None = None) -> str:
    """`--column pulse='Pulse #' ...` for the guessed roles, or the general form: options that
    run as printed, so one state column (conductance, else resistance, else current: a mapping
    holds exactly one), and `--pulse-width` where the file's name carries one (`..._100ns.csv`)
    and no column does."""
    guess = suggest_mapping(names)
    if not any(r in guess for r in STATE_ROLES):
        return "map the columns with --column ROLE=NAME (roles: " + ", ".join(ROLES) + "), docs/lab-data.md"
    state = next(r for r in STATE_ROLES if r in guess)
    guess = {r: n for r, n in guess.items() if r == state or r not in STATE_ROLES}
    options = [f"--column {shlex.quote(f'{r}={n}')}" for r, n in guess.items()]
    width = width_in_name(path.name) if path is not None and "pulse_width" not in guess else None
    if width is not None:
        options.append(f"--pulse-width {width}")
    return "map the columns, e.g. " + " ".join(options) + " (or columns: in measurements.yaml; docs/lab-data.md)"


def header_cells(text: str) -> tuple[int, list[str]]:
    """(1-based line, cells) of the first line that is neither blank nor a # comment (detection hints)."""
    return next(((k + 1, cells(ln)) for k, ln in enumerate(text.splitlines()[:50])
                 if ln.strip() and not ln.lstrip().startswith("#")), (1, []))


__all__ = ["ColumnMap", "DIMENSIONS", "ROLES", "Role", "STATE_ROLES", "check_role", "header_cells",
           "looks_like_lab_export", "mapping_hint", "parse_column_options", "suggest_mapping", "unit_conflict",
           "unit_factor", "unit_in_name", "UNIT_CONFLICT_HINT"]
