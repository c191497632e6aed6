"""An I-V table file named by measurements.yaml (`iv_table:`): the device's measured current at
programming voltages, for `energy.conduction: measured`.

CSV with a header `voltage_V,current_A` (more columns are ignored), one row per voltage;
magnitudes are taken (the sign of a sweep's branch is not the question here) and rows are
sorted by voltage. A voltage measured twice is averaged.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from ferrosim.energy.inputs import IVTable
from ferrosim.errors import InputError


def read_iv_table(path: Path) -> IVTable:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("I-V table not found", file=path, hint="iv_table in measurements.yaml is "
                         "relative to the measurement folder") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the I-V table: {exc}", file=path) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise InputError("empty I-V table", file=path, hint="columns voltage_V,current_A")
    header = [c.strip() for c in rows[0]]
    for need in ("voltage_V", "current_A"):
        if need not in header:
            raise InputError(f"I-V table lacks a '{need}' column", file=path, line=1,
                             hint="columns voltage_V,current_A")
    iv, ic = header.index("voltage_V"), header.index("current_A")
    points: dict[float, list[float]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            v, i = abs(float(row[iv])), abs(float(row[ic]))
        except (ValueError, IndexError):
            raise InputError("expected numbers in voltage_V and current_A", file=path, line=n) from None
        if not (math.isfinite(v) and math.isfinite(i)):
            raise InputError("voltage_V and current_A must be finite", file=path, line=n)
        points.setdefault(v, []).append(i)
    if len(points) < 2:
        raise InputError("an I-V table needs at least two voltages", file=path)
    volts = sorted(points)
    return IVTable(voltage_V=volts, current_A=[sum(points[v]) / len(points[v]) for v in volts],
                   source=path.name)
