"""Cells of delimited text lines and the numbers in them, with one-line errors at file:line.

Shared by the measurement readers (`ferrosim.io.readers`) and format detection (`ferrosim.io.detect`):
the one place where a cell becomes a number, and a number a measured conductance (`conductance`),
so that every reader refuses the same values in the same words.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from ferrosim.errors import InputError

MIN_CONDUCTANCE_S = 1e-30
"""Smallest conductance a measurement may hold: far below any device (1e-30 S is 1e30 ohm), and
far above the subnormal floats whose arithmetic would turn the fit into warnings and NaN."""


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def separator(line: str) -> str | None:
    """The delimiter of a line: comma, else semicolon, else tab; None for one cell."""
    return next((sep for sep in (",", ";", "\t") if sep in line), None)


def cells(line: str, sep: str | None = None) -> list[str]:
    """Cells of a delimited line, stripped: split at `sep` when given (a table's rows split at
    its header's delimiter), else at the line's own `separator`."""
    sep = sep or separator(line)
    if sep is None or sep not in line:
        return [line.strip()]
    return [c.strip() for c in next(csv.reader([line], delimiter=sep))]


DECIMAL_COMMA = re.compile(r"[-+]?(\d+,\d*|,\d+)([eE][-+]?\d+)?")
"""A number written with a decimal comma (`1,23`, `-4,5E-09`): what a German or French
spreadsheet writes, with `;` between the cells."""


def number(text: str, path: Path, line: int, what: str) -> float:
    """`text` as a finite float, else an InputError naming `what` at path:line."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{what}: not a number: {text!r}", file=path, line=line) from None
    if not math.isfinite(value):
        raise InputError(f"{what}: not a finite number: {text!r}", file=path, line=line)
    return value


def integer(text: str, path: Path, line: int, what: str) -> int:
    """`text` as a whole number >= 0, else an InputError naming `what` at path:line."""
    value = number(text, path, line, what)
    if not value.is_integer() or value < 0:
        raise InputError(f"{what}: expected a whole number >= 0, got {text!r}", file=path, line=line)
    return int(value)


def conductance(g: float, path: Path, line: int, what: str) -> float:
    """`g` (S) as a measured conductance: positive, finite and at least MIN_CONDUCTANCE_S, else an
    InputError naming `what` (`conductance_S`, `column 'G (nS)': the conductance`) at path:line."""
    if not g > 0 or not math.isfinite(g):
        raise InputError(f"{what} must be positive and finite, got {g:g} S", file=path, line=line)
    if g < MIN_CONDUCTANCE_S:
        raise InputError(f"{what} {g:g} S is below {MIN_CONDUCTANCE_S:g} S: not a measured conductance",
                         file=path, line=line, hint="check the unit and the column")
    return g
