"""Which format a measurement file is in, from its name and first lines (`detect_format`).

Detection finds the native formats (`NATIVE_FORMATS`); a lab export (`lab-table`) is read
through a column mapping, never detected: a header that looks like one is an error whose hint
suggests the mapping. The readers are `ferrosim.io.readers`.
"""

from __future__ import annotations

from pathlib import Path

from ferrosim.errors import InputError
from ferrosim.io.cells import cells as _cells
from ferrosim.io.cells import is_number as _is_number
from ferrosim.io.readers.common import EXPECTED, LONG_CSV_REQUIRED, read_text, tokens
from ferrosim.io.readers.lab_columns import header_cells, looks_like_lab_export, mapping_hint

NATIVE_FORMATS: tuple[str, ...] = ("wgfmu", "long-csv", "ramps-csv", "two-column", "dg-table")
"""What detection can find; `lab-table` (ferrosim.io.readers.lab_table) is read through a column mapping."""


def detect_format(path: str | Path) -> str:
    """The format of a measurement file (one of NATIVE_FORMATS), from its name and first lines."""
    path = Path(path)
    if path.name.lower().endswith("_summary.dat"):
        return "wgfmu"
    text = read_text(path)
    fmt = detect_text(text)
    header_line, header = header_cells(text)
    if fmt in (None, "ramps-csv", "dg-table") and looks_like_lab_export(header):
        shown = ", ".join(repr(n) for n in header[:6]) + (", ..." if len(header) > 6 else "")
        guessed = f"its layout alone suggests {fmt}; " if fmt else ""
        raise InputError(f"columns {shown} look like a lab export, which is read through a column mapping "
                         f"({guessed}native formats: {', '.join(NATIVE_FORMATS)})", file=path, line=header_line,
                         hint=mapping_hint(header, path))
    if fmt is None:
        if not text.strip():
            raise InputError("empty file", file=path, hint=EXPECTED)
        raise InputError("unrecognised measurement file format", file=path, line=1, hint=EXPECTED)
    return fmt


def detect_text(text: str) -> str | None:
    """The native format the first lines of `text` suggest, else None."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()][:4]
    if not lines:
        return None
    first = lines[0].strip()
    low = first.lower()
    if low.startswith("test_date"):
        return "wgfmu"
    if "gbins" in low or "cdf" in low:
        return "dg-table"
    cells = _cells(first)
    names = {c.lower() for c in cells}
    if "conductance_s" in names and ("direction" in names or "pulse_width" in names):
        return "long-csv"
    if sum(n in names for n in (c.lower() for c in LONG_CSV_REQUIRED)) >= 3:
        return "long-csv"  # the reader names the missing column
    toks = tokens(first)
    if all(_is_number(t) for t in toks):
        if len(toks) == 2:
            return "two-column"
        # A dG table without its text line: bins, CDF points, then rows as long as the bins.
        if len(lines) >= 3 and len(tokens(lines[2])) == len(toks) and all(
                _is_number(t) for t in tokens(lines[1]) + tokens(lines[2])):
            return "dg-table"
        return None
    if len(lines) < 2:
        return None
    second = _cells(lines[1])
    second_numeric = any(second) and all(_is_number(c) for c in second if c)
    if not second_numeric:
        return None
    if len(second) == len(cells) and all(c and not _is_number(c) for c in cells):
        return "ramps-csv"
    if len(lines) >= 3 and all(_is_number(t) for t in tokens(lines[2])):
        return "dg-table"
    return None
