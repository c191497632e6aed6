"""What the measurement readers share: a file's text, its data rows and number tokens, and the
hint that lists every native layout."""

from __future__ import annotations

import re
from pathlib import Path

from ferrosim.errors import InputError
from ferrosim.io.cells import cells as _cells
from ferrosim.io.text import utf8_text

LONG_CSV_REQUIRED = ("pulse_width", "cycle", "direction", "pulse", "conductance_S")
LONG_CSV_OPTIONAL = ("device", "amplitude_V", "read_voltage_V", "energy_J", "pulse_current_A")
"""The native long table's columns (`long_csv.py` reads them; detection and EXPECTED name them)."""

EXPECTED = (
    "expected a WGFMU *_Summary.dat, a long CSV (columns " + ",".join(LONG_CSV_REQUIRED)
    + "), a ramps CSV (header of ramp names, one column per ramp), a two-column up,down trace "
    "without header, or a CrossSim dG table; or pass --format; any other table: map its columns "
    "with --column ROLE=NAME (docs/lab-data.md)"
)
"""The hint of an unreadable or unrecognised measurement file."""


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a leading byte-order mark dropped); an InputError names a
    missing or unreadable file, or the line of its first byte that is not UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a measurement file", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None
    text = utf8_text(raw, path, hint="a measurement file is text: save it as UTF-8 (a spreadsheet as CSV)",
                     bom=True)
    return text.replace("\r\n", "\n").replace("\r", "\n")  # as read_text's universal newlines did


def data_rows(lines: list[str], header_at: int, names: list[str], path: Path, *, exact: bool = True):
    """(1-based line number, cells) of every non-blank line after the header; a row with more
    cells than the header (or, when `exact`, any other count) is an error at its line."""
    for k in range(header_at + 1, len(lines)):
        if not lines[k].strip():
            continue
        cells = _cells(lines[k])
        if (len(cells) != len(names)) if exact else (len(cells) > len(names)):
            raise InputError(f"expected {len(names)} values ({', '.join(names)}), got {len(cells)}",
                             file=path, line=k + 1)
        yield k + 1, cells


def tokens(line: str) -> list[str]:
    """Non-empty tokens split at commas, semicolons and white space (number lists)."""
    return [t for t in re.split(r"[,;\s]+", line.strip()) if t]
