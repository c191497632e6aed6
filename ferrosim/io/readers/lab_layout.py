"""How a lab export is laid out beyond its columns: the delimiter and decimal mark of its numbers,
and which direction a file holds when potentiation and depression are exported apart.

- Delimiter: the header's (comma, else semicolon, else tab); every row is split at it, so a row
  `1;0,5;12,3` is three cells, not split at its decimal commas.
- Decimal mark (`decimal_mark`): `--decimal`, else `decimal:` in measurements.yaml, else a comma
  where the cells are not comma-separated and the mapped columns hold numbers like `1,23` (what a
  German or French spreadsheet writes); a file whose mapped numbers use both marks is refused: it
  is not ferrosim's to guess whether `1.234` is a decimal or a thousands mark.
- One-direction files (`file_direction`): `--direction FILE=up|down`, else `direction:` in the
  file's measurements.yaml `files:` entry, else the file-name rule shared with the CrossSim ramps
  (`names.py`: `*_pot`/`*_dep`, `*_up`/`*_down`, `*_set`/`*_reset`, `*_ltp`/`*_ltd`). Such a
  file's partner (`partner_file`) is the same name with the other direction word; both name the
  device without that word (`dev1_100ns_pot.csv` and `dev1_100ns_dep.csv` are `dev1_100ns`).
"""

from __future__ import annotations

import re
from pathlib import Path

from ferrosim.errors import InputError
from ferrosim.io.cells import DECIMAL_COMMA, cells, is_number, separator
from ferrosim.io.readers.names import DOWN_WORDS, SIBLING_PAIRS, UP_WORDS, name_direction, strip_words, swap_word

DECIMAL_HINT = "say which with --decimal , or --decimal . (decimal: in measurements.yaml)"
_COMMA_WITH_UNIT = re.compile(r"([-+]?(?:\d+,\d*|,\d+)(?:[eE][-+]?\d+)?)(\s*[A-Za-zµμ]*)")


def decimal_mark(path: Path, lines: list[str], head: int, columns: list[int], given: str | None,
                 given_from: str) -> tuple[str | None, str]:
    """(delimiter, decimal mark) of a table whose header is `lines[head]`; `columns` are the
    indexes of its mapped columns (only their numbers are weighed), `given` the mark said
    outside the file (`given_from` names where, for errors)."""
    sep = separator(lines[head])
    if given == ",":
        if sep == ",":
            raise InputError(f"{given_from} ',': the cells are separated by commas too", file=path,
                             line=head + 1, hint="save the table with ; between the cells")
        return sep, ","
    if given == "." or sep == ",":
        return sep, "."
    comma = point = None
    for k in range(head + 1, min(len(lines), head + 2001)):
        raw = lines[k]
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        row = cells(raw, sep)
        for j in columns:
            cell = row[j] if j < len(row) else ""
            if comma is None and DECIMAL_COMMA.fullmatch(cell):
                comma = (k + 1, cell)
            elif point is None and "." in cell and is_number(cell):
                point = (k + 1, cell)
        if comma and point:
            raise InputError(f"numbers with a decimal comma (line {comma[0]}: {comma[1]}) and with a decimal "
                             f"point (line {point[0]}: {point[1]}): the decimal mark is not clear", file=path,
                             line=comma[0], hint=DECIMAL_HINT)
    return sep, "," if comma else "."


def with_points(row: list[str]) -> list[str]:
    """The cells of a decimal-comma row with decimal points (`1,23` -> `1.23`, `0,5us` -> `0.5us`);
    cells that are no such number (a device name `A,1`) are left as they are."""
    out = []
    for cell in row:
        m = _COMMA_WITH_UNIT.fullmatch(cell)
        out.append(m.group(1).replace(",", ".") + m.group(2) if m else cell)
    return out


def file_direction(path: Path, given: str | None, given_from: str) -> tuple[str | None, str]:
    """(up|down|None, where from) for a file holding one direction: `given` (--direction or the
    sidecar's `direction:`), else the file-name rule."""
    if given is not None:
        return given, given_from
    by_name = name_direction(path.name)
    return (by_name, "its name") if by_name is not None else (None, "")


def paired_device(path: Path) -> str:
    """The device name of a one-direction file: its name without the direction word."""
    return strip_words(path.stem, UP_WORDS + DOWN_WORDS) or path.stem


def partner_file(path: Path) -> Path | None:
    """The file holding the other direction of `path`'s device by the name rule, where it exists."""
    name = swap_word(path.name, SIBLING_PAIRS)
    other = path.parent / name if name else None
    return other if other is not None and other.is_file() else None


PAIRING_HINT = ("potentiation and depression in separate files are paired by name (*_pot/*_dep, *_up/*_down, "
                "*_set/*_reset), by direction: up|down in the files: entries of measurements.yaml, or by "
                "--direction FILE=up|down; the two files need one device name and pulse width (docs/lab-data.md)")


__all__ = ["DECIMAL_HINT", "PAIRING_HINT", "decimal_mark", "file_direction", "paired_device", "partner_file",
           "with_points"]
