"""Slow DC current-voltage sweeps (`IVSweep`): the `DCIV` export of the HZO devices and a plain
two-column CSV.

The DCIV format (`../shared/data/hzo-dciv/README.md`; Keysight B1500 `IV_measR` export):

    line 1-7   tab-separated `key<TAB>value`: Setup title, test date (24.10.2024), test time
               (10:30:15), Device ID (_ID161ZR15000, a leading underscore), Count, pulse amplitude
               and width (both 0: a DC sweep)
    line 8-10  `Measurement parameters`, then comma-separated names and values (..., nPoints, ...)
    line 11    `Measurement Data`
    line 12    `Index, Bias, SMU3 I (nA), SMU3 R (Mohm)`
    then       one row per point: index, bias (V, signed), current (signed, unit from the header),
               R = V/I

The current's unit is read from its column name (`SMU3 I (nA)`) with the unit table of
`lab_columns.DIMENSIONS`; the bias column has no unit in its name and is volts by the format.
Sign convention of the data (README): a negative bias is the potentiating polarity of these
devices; the sweep keeps the signs, and `ferrosim.energy.iv_curve` splits the polarities.

A plain I-V CSV has a header that names each column's unit, `V (V),I (nA)`, `voltage [mV],
current / uA` or `voltage_V,current_A` (the unit after the last underscore), and one row per
point; its device is the file name up to the first underscore (`ID161ZR15000_iv.csv`).

Bad input is one `InputError` at file:line: a non-numeric or NaN value, fewer (or more) rows
than the header's nPoints, a sweep with only one polarity, an unreadable file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ferrosim.errors import InputError
from ferrosim.io.cells import cells, number
from ferrosim.io.readers.common import read_text
from ferrosim.io.readers.lab_columns import DIMENSIONS, unit_in_name

DATA_MARK = "Measurement Data"
PLAIN_HINT = ("a DCIV export (README of ../shared/data/hzo-dciv) or a CSV with a header such as "
              "'V (V),I (nA)' or 'voltage_V,current_A'")


@dataclass(frozen=True)
class IVSweep:
    """One measured DC sweep in SI units, signs kept, in the file's order."""

    device: str
    """Device id without the DCIV export's leading underscore (`ID161ZR15000`)."""
    taken_at: datetime | None
    source: Path
    voltage_V: tuple[float, ...]
    current_A: tuple[float, ...]
    rows: tuple[int, ...]
    """1-based file line of each point (for error messages further on)."""
    declared_points: int | None
    """The header's nPoints (None for a plain CSV)."""


def is_dciv(text: str) -> bool:
    """A DCIV export: a `Measurement Data` line in its first 40 lines."""
    return any(line.strip() == DATA_MARK for line in text.splitlines()[:40])


def read_dciv(path: str | Path) -> IVSweep:
    """One DCIV export (see the module docstring)."""
    path = Path(path)
    lines = read_text(path).splitlines()
    mark = next((k for k, ln in enumerate(lines) if ln.strip() == DATA_MARK), None)
    if mark is None:
        raise InputError(f"no '{DATA_MARK}' line: not a DCIV export", file=path, hint=PLAIN_HINT)
    keys = _header_keys(lines[:mark])
    device = keys.get("device id", (None, ""))[1].strip().lstrip("_") or _device_from_name(path)
    taken_at = _taken_at(keys, path)
    declared = _declared_points(lines[:mark], path)

    header_at = mark + 1
    while header_at < len(lines) and not lines[header_at].strip():
        header_at += 1
    if header_at >= len(lines):
        raise InputError("no column header after 'Measurement Data'", file=path, line=mark + 1,
                         hint="expected 'Index, Bias, SMU3 I (nA), SMU3 R (Mohm)'")
    names = cells(lines[header_at])
    iv = next((k for k, n in enumerate(names) if n.lower().startswith("bias")), None)
    ic = next((k for k, n in enumerate(names) if re.search(r"(^|\s)I\s*[\(\[/]", n)), None)
    if iv is None or ic is None:
        raise InputError(f"header {', '.join(names)!r} lacks a Bias and a current column 'I (unit)'",
                         file=path, line=header_at + 1, hint="expected 'Index, Bias, SMU3 I (nA), SMU3 R (Mohm)'")
    scale_i = _factor("current", names[ic], path, header_at + 1)
    volts, amps, rows = _rows(lines, header_at, (iv, 1.0, names[iv]), (ic, scale_i, names[ic]), path)
    if declared is not None and len(volts) != declared:
        next_line = (rows[-1] if rows else header_at + 1) + 1
        if len(volts) < declared:
            raise InputError(f"missing points: {len(volts)} rows, the header's nPoints is {declared} "
                             f"(point index {len(volts)} on, expected from line {next_line})",
                             file=path, line=next_line, hint="a truncated export? re-export the sweep")
        raise InputError(f"{len(volts)} rows, the header's nPoints is {declared}", file=path, line=rows[declared])
    return _sweep(device, taken_at, path, volts, amps, rows, declared)


def read_plain_iv(path: str | Path) -> IVSweep:
    """A CSV with a voltage and a current column whose header names the units (module docstring)."""
    path = Path(path)
    lines = read_text(path).splitlines()
    header_at = next((k for k, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if header_at is None:
        raise InputError("empty file", file=path, hint=PLAIN_HINT)
    names = cells(lines[header_at])
    found: dict[str, list[tuple[int, float]]] = {"voltage": [], "current": []}
    for k, name in enumerate(names):
        unit = _unit_of(name)
        for dim in found:
            if unit is not None and unit in DIMENSIONS[dim]:
                found[dim].append((k, DIMENSIONS[dim][unit]))
    for dim, hits in found.items():
        if len(hits) != 1:
            what = "no" if not hits else "more than one"
            raise InputError(f"{what} {dim} column with a unit in header {', '.join(names)!r}", file=path,
                             line=header_at + 1, hint=PLAIN_HINT)
    (iv, sv), (ic, si) = found["voltage"][0], found["current"][0]
    volts, amps, rows = _rows(lines, header_at, (iv, sv, names[iv]), (ic, si, names[ic]), path)
    return _sweep(_device_from_name(path), None, path, volts, amps, rows, None)


def read_iv_sweeps(path: str | Path) -> list[IVSweep]:
    """The sweep of a file (DCIV or plain CSV), or of every I-V `*.csv` in a folder (by name;
    other files such as README.md and LICENSE, and CSVs that hold no I-V header, are skipped)."""
    path = Path(path)
    if not path.is_dir():
        return [read_dciv(path) if is_dciv(read_text(path)) else read_plain_iv(path)]
    sweeps = []
    for file in sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file()):
        text = read_text(file)
        if is_dciv(text):
            sweeps.append(read_dciv(file))
        elif _looks_plain(text):
            sweeps.append(read_plain_iv(file))
    if not sweeps:
        raise InputError("no I-V sweep (*.csv) in the folder", file=path, hint=PLAIN_HINT)
    return sweeps


# -- helpers ------------------------------------------------------------------------------------

def _header_keys(lines: list[str]) -> dict[str, tuple[int, str]]:
    """`key<TAB>value` lines, key lower-cased -> (1-based line, value)."""
    out = {}
    for k, line in enumerate(lines):
        key, sep, value = line.partition("\t")
        if sep:
            out[key.strip().lower()] = (k + 1, value.strip())
    return out


def _taken_at(keys: dict[str, tuple[int, str]], path: Path) -> datetime | None:
    if "test date" not in keys:
        return None
    line, date = keys["test date"]
    time = keys.get("test time", (line, "00:00:00"))[1]
    for fmt in ("%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(f"{date} {time}", fmt)
        except ValueError:
            continue
    raise InputError(f"cannot read test date/time {date!r} {time!r}", file=path, line=line,
                     hint="expected e.g. 24.10.2024 and 10:30:15")


def _declared_points(head: list[str], path: Path) -> int | None:
    """nPoints from the parameter names line and the values line under it."""
    for k, line in enumerate(head[:-1]):
        names = cells(line)
        if "nPoints" in names:
            values = cells(head[k + 1])
            j = names.index("nPoints")
            text = values[j] if j < len(values) else ""
            try:
                n = int(float(text))
            except ValueError:
                raise InputError(f"nPoints: not a number: {text!r}", file=path, line=k + 2) from None
            if n < 2:
                raise InputError(f"nPoints is {n}: a sweep needs at least two points", file=path, line=k + 2)
            return n
    return None


def _rows(lines: list[str], header_at: int, volt: tuple[int, float, str], curr: tuple[int, float, str],
          path: Path) -> tuple[list[float], list[float], list[int]]:
    """Voltages (V), currents (A) and 1-based lines of the data rows after `header_at`."""
    volts, amps, rows = [], [], []
    need = max(volt[0], curr[0]) + 1
    for k in range(header_at + 1, len(lines)):
        if not lines[k].strip() or lines[k].lstrip().startswith("#"):
            continue
        row = cells(lines[k])
        if len(row) < need:
            raise InputError(f"expected at least {need} values, got {len(row)}", file=path, line=k + 1)
        volts.append(number(row[volt[0]], path, k + 1, volt[2]) * volt[1])
        amps.append(number(row[curr[0]], path, k + 1, curr[2]) * curr[1])
        rows.append(k + 1)
    return volts, amps, rows


def _sweep(device: str, taken_at: datetime | None, path: Path, volts: list[float], amps: list[float],
           rows: list[int], declared: int | None) -> IVSweep:
    if not volts:
        raise InputError("no data rows", file=path, hint=PLAIN_HINT)
    for sign, what in ((-1.0, "negative"), (1.0, "positive")):
        if not any(v * sign > 0 for v in volts):
            raise InputError(f"only one polarity: no {what} bias in rows at lines {rows[0]}-{rows[-1]}",
                             file=path, line=rows[0], hint="a DC I-V sweep needs both polarities "
                             "(negative bias potentiates, positive depresses)")
    return IVSweep(device, taken_at, path, tuple(volts), tuple(amps), tuple(rows), declared)


def _unit_of(name: str) -> str | None:
    """The unit a column name gives: `I (nA)`, `V [V]`, `I / uA`, or `current_A` (after the last _)."""
    unit = unit_in_name(name)
    if unit is None and "_" in name:
        unit = name.rsplit("_", 1)[1].strip()
    return unit


def _factor(dim: str, name: str, path: Path, line: int) -> float:
    unit = _unit_of(name)
    if unit is None or unit not in DIMENSIONS[dim]:
        accepted = ", ".join(sorted(u for u in DIMENSIONS[dim] if not u.startswith("μ")))
        raise InputError(f"column {name!r}: {'no' if unit is None else repr(unit) + ' is not a'} {dim} unit",
                         file=path, line=line, hint=f"one of: {accepted}")
    return DIMENSIONS[dim][unit]


def _looks_plain(text: str) -> bool:
    """A CSV whose first non-comment line names a voltage and a current unit."""
    head = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    units = [_unit_of(n) for n in cells(head)]
    return any(u in DIMENSIONS["voltage"] for u in units if u) and any(u in DIMENSIONS["current"] for u in units if u)


def _device_from_name(path: Path) -> str:
    return path.stem.split("_", 1)[0].lstrip("_") or path.stem


__all__ = ["IVSweep", "is_dciv", "read_dciv", "read_iv_sweeps", "read_plain_iv"]
