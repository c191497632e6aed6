"""Readers for measured pulse responses: every input format of DESIGN.md section 3.

Each reader turns one file (or a file and its sibling) into `Trace`/`StepTable` records
(`ferrosim.io.measurement_data`) in physical units, and reports bad input as a one-line
`InputError` with the file and the 1-based line. Formats (`FORMATS`):

- `wgfmu`: Keysight WGFMU `*_Summary.dat` amplitude sweeps (the HZO devices of
  `../shared/data/hzo/`): G = mean(1/R_low, 1/R_high); negative amplitude potentiates.
- `long-csv`: the native long table (`pulse_width, cycle, direction, pulse, conductance_S`, ...).
- `ramps-csv`: CrossSim style, one column per ramp, read currents (or conductances).
- `two-column`: aihwkit style, state after each up pulse / after each down pulse (normalised).
- `dg-table`: CrossSim dG-vs-G lookup tables (`*_increasing` + `*_decreasing`).
- `lab-table`: any other table with a header, read through a column mapping (`--column`,
  `columns:` in the sidecar; `ferrosim.io.lab_table`). A mapping makes every data file of the
  folder a lab table.

Where a setting comes from (pulse width, device name, read voltage): what the file itself says
wins; where the file is silent, the command line, then the `measurements.yaml` entry for that
file (`Sidecar.files`), then the sidecar's global value. A command-line or sidecar value that
contradicts the file is not used, and the record's `notes` say so.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ferrosim.errors import InputError, closest
from ferrosim.io.cells import cells as _cells
from ferrosim.io.cells import integer as _integer
from ferrosim.io.cells import is_number as _is_number
from ferrosim.io.cells import number as _number
from ferrosim.io.lab_table import ColumnMap, LabSettings, check_role, header_cells, looks_like_lab_export, mapping_hint, read_lab_table
from ferrosim.io.measurement_data import Ramp, Sidecar, StepTable, Trace, assign_cycles
from ferrosim.io.validation import validation_error
from ferrosim.io.yaml_source import Loc, line_of, load_yaml
from ferrosim.units import format_pulse_width, parse_pulse_width

FORMATS: tuple[str, ...] = ("wgfmu", "long-csv", "ramps-csv", "two-column", "dg-table", "lab-table")
NATIVE_FORMATS = FORMATS[:-1]
"""What detection can find; `lab-table` (ferrosim.io.lab_table) is read through a column mapping."""

SIDECAR_NAME = "measurements.yaml"

LONG_CSV_REQUIRED = ("pulse_width", "cycle", "direction", "pulse", "conductance_S")
LONG_CSV_OPTIONAL = ("device", "amplitude_V", "read_voltage_V", "energy_J", "pulse_current_A")

_EXPECTED = (
    "expected a WGFMU *_Summary.dat, a long CSV (columns " + ",".join(LONG_CSV_REQUIRED)
    + "), a ramps CSV (header of ramp names, one column per ramp), a two-column up,down trace "
    "without header, or a CrossSim dG table; or pass --format; any other table: map its columns "
    "with --column ROLE=NAME (docs/lab-data.md)"
)

# Folder reading skips these; *.txt is read only when it is a dG table (CrossSim's suffix).
_SKIP_PREFIXES = ("readme", "license", "licence")
_SKIP_SUFFIXES = {".md", ".yaml", ".yml", ".png", ".jpg", ".jpeg", ".svg", ".pdf", ".html",
                  ".py", ".sh", ".ipynb", ".json", ".gz", ".zip"}  # scripts and archives beside data

# File-name words that give a one-direction file's direction (CrossSim set = potentiation).
_UP_WORDS = ("set", "potentiation", "ltp", "up")
_DOWN_WORDS = ("reset", "depression", "ltd", "down")
_SIBLING_PAIRS = (("set", "reset"), ("potentiation", "depression"), ("ltp", "ltd"), ("up", "down"))
_DG_PAIR = ("increasing", "decreasing")


MIN_CONDUCTANCE_S = 1e-30
"""Smallest conductance a long CSV may hold: far below any device (1e-30 S is 1e30 ohm), and
far above the subnormal floats whose arithmetic would turn the fit into warnings and NaN."""


# -- sidecar ------------------------------------------------------------------------------------


def load_sidecar(folder: str | Path) -> Sidecar:
    """`measurements.yaml` of a measurement folder (or of a file's folder); defaults when absent.

    Invalid content raises InputError naming the file, the line and the key.
    """
    folder = Path(folder)
    if folder.is_file():
        folder = folder.parent
    path = folder / SIDECAR_NAME
    if not path.is_file():
        return Sidecar()
    data, lines = load_yaml(path)
    if data is None:
        return Sidecar()
    if not isinstance(data, dict):
        raise InputError("expected a mapping of keys (synthetic, provenance, pulse_width, ...)",
                         file=path, line=1)
    try:
        sidecar = Sidecar.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, Sidecar, path, lines, key_of=_key) from None
    # Pulse widths are free text in the schema: check them here, where the line is known.
    checks: list[tuple[Loc, Any]] = [(("pulse_width",), sidecar.pulse_width)]
    checks += [(("pulse_widths", key), key) for key in sidecar.pulse_widths]
    checks += [(("files", key, "pulse_width"), info.pulse_width) for key, info in sidecar.files.items()]
    for loc, value in checks:
        if value is None:
            continue
        try:
            parse_pulse_width(value)
        except ValueError as exc:
            raise InputError(f"{_key(loc)}: {exc}", file=path, line=line_of(lines, loc)) from None
    # The column mapping: each role and unit at its line, then the mapping as a whole.
    for section in ("columns", "units"):
        for role, value in getattr(sidecar, section).items():
            try:
                check_role(role, value if section == "units" else None)
            except ValueError as exc:
                raise InputError(f"{section}.{role}: {exc}", file=path, line=line_of(lines, (section, role))) from None
    if sidecar.columns:
        try:
            ColumnMap(dict(sidecar.columns), dict(sidecar.units), source="columns").check()
        except InputError as exc:
            raise InputError(exc.what, file=path, line=line_of(lines, ("columns",)), hint=exc.hint) from None
    return sidecar


def _key(loc: Loc) -> str:
    """`files['x.csv'].direction`: names that are dict keys (file names, pulse widths) quoted."""
    out = ""
    for i, part in enumerate(loc):
        if i > 0 and loc[i - 1] in ("files", "pulse_widths"):
            out += f"[{str(part)!r}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "sidecar"


# -- settings: file > command line > sidecar files entry > sidecar -----------------------------

@dataclass
class _Context:
    sidecar: Sidecar
    sidecar_file: Path | None
    pulse_width_s: float | None
    read_voltage_V: float | None
    device: str | None
    quantity: str | None
    mapping: ColumnMap
    cli_mapping: bool


@dataclass
class _Settings:
    """What is known about one file from outside it, with where each value came from."""

    pulse_width_s: float | None = None
    pulse_width_from: str = ""
    device: str | None = None
    device_from: str = ""
    direction: str | None = None
    cycle: int = 0
    read_voltage_V: float | None = None
    read_voltage_from: str = ""
    quantity: str = "current_A"
    notes: list[str] = field(default_factory=list)


def _context(sidecar: Sidecar | None, folder: Path, pulse_width: Any, read_voltage_V: Any,
             device: str | None, quantity: str | None, columns: ColumnMap | None = None) -> _Context:
    if sidecar is None:
        sidecar = load_sidecar(folder)
    sidecar_map = ColumnMap(dict(sidecar.columns), dict(sidecar.units), sidecar.potentiating_polarity,
                            source="measurements.yaml columns")
    mapping = (columns or ColumnMap()).over(sidecar_map)
    mapping.check()
    sidecar_file = folder / SIDECAR_NAME
    pw = None
    if pulse_width is not None:
        try:
            pw = parse_pulse_width(pulse_width)
        except ValueError as exc:
            raise InputError(f"--pulse-width: {exc}") from None
    rv = None
    if read_voltage_V is not None:
        try:
            rv = float(read_voltage_V)
        except (TypeError, ValueError):
            rv = math.nan
        if not math.isfinite(rv) or rv <= 0:
            raise InputError(f"--read-voltage must be a positive number of volts, got {read_voltage_V!r}")
    if quantity is not None and quantity not in ("conductance_S", "current_A"):
        raise InputError(f"quantity must be conductance_S or current_A, got {quantity!r}")
    return _Context(sidecar, sidecar_file if sidecar_file.is_file() else None, pw, rv,
                    device or None, quantity, mapping, bool(columns))


def _settings(ctx: _Context, path: Path) -> _Settings:
    """Command-line values, then the sidecar entries matching this file, then sidecar defaults."""
    sc = ctx.sidecar
    s = _Settings()
    # Sidecar `files` entries: glob patterns in the order written, then the exact name (wins).
    entries = [(k, v) for k, v in sc.files.items() if k != path.name and fnmatch.fnmatchcase(path.name, k)]
    entries += [(k, v) for k, v in sc.files.items() if k == path.name]
    info: dict[str, tuple[Any, str]] = {}
    for key, entry in entries:
        for name, value in entry.model_dump(exclude_none=True).items():
            info[name] = (value, f"measurements.yaml files['{key}']")

    if ctx.pulse_width_s is not None:
        s.pulse_width_s, s.pulse_width_from = ctx.pulse_width_s, "--pulse-width"
    elif "pulse_width" in info:
        s.pulse_width_s = _sidecar_pulse_width(ctx, info["pulse_width"][0], info["pulse_width"][1])
        s.pulse_width_from = info["pulse_width"][1]
    elif sc.pulse_width is not None:
        s.pulse_width_s = _sidecar_pulse_width(ctx, sc.pulse_width, "measurements.yaml pulse_width")
        s.pulse_width_from = "measurements.yaml"

    if ctx.device is not None:
        s.device, s.device_from = ctx.device, "--device"
    elif "device" in info:
        s.device, s.device_from = info["device"]
    elif sc.device_name is not None:
        s.device, s.device_from = sc.device_name, "measurements.yaml"

    if ctx.read_voltage_V is not None:
        s.read_voltage_V, s.read_voltage_from = ctx.read_voltage_V, "--read-voltage"
    elif sc.read_voltage_V is not None:
        s.read_voltage_V, s.read_voltage_from = sc.read_voltage_V, "measurements.yaml"

    s.quantity = ctx.quantity or sc.quantity or "current_A"
    if "direction" in info:
        s.direction = info["direction"][0]
    if "cycle" in info:
        s.cycle = int(info["cycle"][0])
    return s


def _sidecar_pulse_width(ctx: _Context, value: Any, where: str) -> float:
    try:
        return parse_pulse_width(value)
    except ValueError as exc:
        raise InputError(f"{where}: {exc}", file=ctx.sidecar_file) from None


def _pick_pulse_width(file_value: float | None, s: _Settings, notes: list[str]) -> float | None:
    if file_value is None:
        return s.pulse_width_s
    if s.pulse_width_s is not None and not math.isclose(s.pulse_width_s, file_value, rel_tol=1e-9):
        notes.append(f"pulse width {format_pulse_width(s.pulse_width_s)} from {s.pulse_width_from} "
                     f"not used: the file gives {format_pulse_width(file_value)}")
    return file_value


def _pick_device(file_value: str | None, s: _Settings, fallback: str, notes: list[str]) -> str:
    if file_value:
        if s.device is not None and s.device != file_value:
            notes.append(f"device name '{s.device}' from {s.device_from} not used: "
                         f"the file names the device '{file_value}'")
        return file_value
    return s.device if s.device is not None else fallback


# -- format detection ---------------------------------------------------------------------------

def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a measurement file", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not a text file", file=path, hint=_EXPECTED) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None


def _data_rows(lines: list[str], header_at: int, names: list[str], path: Path, *, exact: bool = True):
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


def _tokens(line: str) -> list[str]:
    """Non-empty tokens split at commas, semicolons and white space (number lists)."""
    return [t for t in re.split(r"[,;\s]+", line.strip()) if t]


def detect_format(path: str | Path) -> str:
    """The format of a measurement file (one of FORMATS), from its name and first lines."""
    path = Path(path)
    if path.name.lower().endswith("_summary.dat"):
        return "wgfmu"
    text = _read_text(path)
    fmt = _detect_text(text)
    header_line, header = header_cells(text)
    if fmt in (None, "ramps-csv", "dg-table") and looks_like_lab_export(header):
        shown = ", ".join(repr(n) for n in header[:6]) + (", ..." if len(header) > 6 else "")
        guessed = f"its layout alone suggests {fmt}; " if fmt else ""
        raise InputError(f"columns {shown} look like a lab export, which is read through a column mapping "
                         f"({guessed}native formats: {', '.join(NATIVE_FORMATS)})", file=path, line=header_line,
                         hint=mapping_hint(header))
    if fmt is None:
        if not text.strip():
            raise InputError("empty file", file=path, hint=_EXPECTED)
        raise InputError("unrecognised measurement file format", file=path, line=1, hint=_EXPECTED)
    return fmt


def _detect_text(text: str) -> str | None:
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
    toks = _tokens(first)
    if all(_is_number(t) for t in toks):
        if len(toks) == 2:
            return "two-column"
        # A dG table without its text line: bins, CDF points, then rows as long as the bins.
        if len(lines) >= 3 and len(_tokens(lines[2])) == len(toks) and all(
                _is_number(t) for t in _tokens(lines[1]) + _tokens(lines[2])):
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
    if len(lines) >= 3 and all(_is_number(t) for t in _tokens(lines[2])):
        return "dg-table"
    return None


# -- public entry points ------------------------------------------------------------------------

def read_file(path: str | Path, fmt: str | None = None, sidecar: Sidecar | None = None, *,
              pulse_width: str | float | None = None, read_voltage_V: float | None = None,
              device: str | None = None, quantity: str | None = None,
              columns: ColumnMap | None = None) -> list[Trace | StepTable]:
    """Records of one measurement file (with its set/reset or increasing/decreasing sibling).

    `fmt` is detected when None. `sidecar` defaults to the file folder's `measurements.yaml`.
    `pulse_width`, `read_voltage_V`, `device` and `quantity` are the command-line values
    (`quantity`: `current_A` or `conductance_S`, what ramps-CSV cells hold); `columns` is the
    command line's column mapping (`--column`/`--unit`), over the sidecar's.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, expected a measurement file", file=path,
                         hint="read folders with read_path")
    ctx = _context(sidecar, path.parent, pulse_width, read_voltage_V, device, quantity, columns)
    records, _ = _read_one(path, _check_format(fmt) if fmt else None, ctx)
    return records


def read_path(path: str | Path, fmt: str | None = None, sidecar: Sidecar | None = None, *,
              pulse_width: str | float | None = None, read_voltage_V: float | None = None,
              device: str | None = None, quantity: str | None = None, columns: ColumnMap | None = None,
              ) -> tuple[list[Trace | StepTable], Sidecar, list[Path]]:
    """Records of a measurement file or of every data file in a folder (not recursive).

    Returns the records, the sidecar that applied and the files read (siblings included).
    In a folder, README*, LICENSE*, docs, images, YAML and hidden files are skipped, and *.txt
    files unless they are dG tables, and the I-V tables measurements.yaml names (`iv_table`);
    a set/reset (increasing/decreasing) pair gives one record.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file or folder not found", file=path, hint="check the path")
    fmt = _check_format(fmt) if fmt else None
    if path.is_file():
        ctx = _context(sidecar, path.parent, pulse_width, read_voltage_V, device, quantity, columns)
        records, used = _read_one(path, fmt, ctx)
        return records, ctx.sidecar, used
    ctx = _context(sidecar, path, pulse_width, read_voltage_V, device, quantity, columns)
    records: list[Trace | StepTable] = []
    done: list[Path] = []
    # I-V tables the sidecar names are device data for the energy model, not pulse responses
    tables = {(path / t).resolve() for t in [ctx.sidecar.iv_table, *(i.iv_table for i in ctx.sidecar.pulse_widths.values())] if t}
    for file, file_fmt in _data_files(path, fmt, bool(ctx.mapping)):
        if file in done or file.resolve() in tables:
            continue  # already read as the sibling of an earlier file, or an I-V table
        recs, used = _read_one(file, file_fmt, ctx)
        records.extend(recs)
        done.extend(u for u in used if u not in done)
    if not done:
        raise InputError("no measurement files in folder", file=path, hint=_EXPECTED)
    return records, ctx.sidecar, done


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        near = closest(fmt, FORMATS)
        hint = f"did you mean '{near}'?" if near else f"one of: {', '.join(FORMATS)}"
        raise InputError(f"unknown measurement format '{fmt}'", hint=hint)
    return fmt


def _data_files(folder: Path, fmt: str | None, mapped: bool = False) -> list[tuple[Path, str | None]]:
    out = []
    for file in sorted(folder.iterdir()):
        name = file.name.lower()
        if not file.is_file() or name.startswith(".") or name.startswith(_SKIP_PREFIXES):
            continue
        if file.suffix.lower() in _SKIP_SUFFIXES:
            continue
        if file.suffix.lower() == ".txt" and not (mapped and fmt in (None, "lab-table")):
            if fmt is not None and fmt != "dg-table":
                continue
            try:
                text = _read_text(file)
            except InputError:
                continue
            if _detect_text(text) != "dg-table":
                continue
            out.append((file, "dg-table"))
            continue
        out.append((file, fmt))
    return out


def _read_one(path: Path, fmt: str | None, ctx: _Context) -> tuple[list[Trace | StepTable], list[Path]]:
    if ctx.cli_mapping and fmt not in (None, "lab-table"):
        raise InputError(f"--column maps the columns of lab tables; --format {fmt} is not one",
                         hint="drop --format, or --format lab-table")
    if fmt is None and ctx.mapping:
        fmt = "lab-table"  # a column mapping says how to read the file
    if fmt is not None:
        return _read_as(path, fmt, ctx)
    fmt = detect_format(path)
    try:
        return _read_as(path, fmt, ctx)
    except InputError as exc:  # a guess that failed: say what was guessed and what else there is
        others = ", ".join(f for f in FORMATS if f != fmt)
        raise InputError(f"{exc.what} (read as {fmt}, detected from its content)", file=exc.file, line=exc.line,
                         hint=(f"{exc.hint}; " if exc.hint else "") + f"other formats: {others}, chosen with "
                         "--format; their layouts: README, Fitting measured devices; a lab export: "
                         "--column ROLE=NAME, docs/lab-data.md") from None


def _read_as(path: Path, fmt: str, ctx: _Context) -> tuple[list[Trace | StepTable], list[Path]]:
    text = _read_text(path)
    if fmt == "wgfmu":
        return [_read_wgfmu(path, text, ctx)], [path]
    if fmt == "long-csv":
        return list(_read_long_csv(path, text, ctx)), [path]
    if fmt == "two-column":
        return [_read_two_column(path, text, ctx)], [path]
    if fmt == "ramps-csv":
        trace, used = _read_ramps_pair(path, text, ctx)
        return [trace], used
    if fmt == "dg-table":
        table, used = _read_dg_pair(path, text, ctx)
        return [table], used
    if fmt == "lab-table":
        if not ctx.mapping:
            raise InputError("a lab table is read through a column mapping and none is given", file=path,
                             hint=mapping_hint(header_cells(text)[1]))
        s = _settings(ctx, path)
        settings = LabSettings(pulse_width_s=s.pulse_width_s, device=s.device if s.device is not None else path.stem,
                               read_voltage_V=s.read_voltage_V, read_voltage_from=s.read_voltage_from,
                               cycle=s.cycle, notes=s.notes)
        return list(read_lab_table(path, text, ctx.mapping, settings)), [path]
    raise InputError(f"unknown measurement format '{fmt}'", hint=f"one of: {', '.join(FORMATS)}")


# -- helpers shared by the readers --------------------------------------------------------------

def _word_pattern(word: str) -> re.Pattern:
    # A name word, bounded by non-letters: 'set' in 'example_set' but not in 'reset'.
    return re.compile(rf"(?<![A-Za-z]){word}(?![A-Za-z])", re.IGNORECASE)


def _name_direction(name: str) -> str | None:
    stem = Path(name).stem
    up = any(_word_pattern(w).search(stem) for w in _UP_WORDS)
    down = any(_word_pattern(w).search(stem) for w in _DOWN_WORDS)
    if up != down:
        return "up" if up else "down"
    return None


def _swap_word(name: str, pairs: tuple[tuple[str, str], ...]) -> str | None:
    """`name` with its one direction word swapped for the other direction's (set <-> reset)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    found = []
    for a, b in pairs:
        for src, dst in ((a, b), (b, a)):
            for m in _word_pattern(src).finditer(stem):
                found.append((m.start(), m.end(), dst))
    if len(found) != 1:
        return None
    start, end, dst = found[0]
    word = stem[start:end]
    dst = dst.upper() if word.isupper() else (dst.capitalize() if word[:1].isupper() else dst)
    return stem[:start] + dst + stem[end:] + suffix


def _strip_words(stem: str, words: tuple[str, ...]) -> str:
    for w in words:
        stem = _word_pattern(w).sub("", stem)
    stem = re.sub(r"[_\-. ]{2,}", "_", stem).strip("_-. ")
    return stem


# -- WGFMU _Summary.dat -------------------------------------------------------------------------

WGFMU_READ_VOLTAGE_V = 0.1


def _read_wgfmu(path: Path, text: str, ctx: _Context) -> Trace:
    lines = text.splitlines()
    meta: dict[str, tuple[str, int]] = {}
    i, header_at = 0, None
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        names = _cells(lines[i])
        if any(n.lower().startswith("pulse amplitude") for n in names):
            header_at = i
            break
        # A header block: a line of names, then a line of values.
        if i + 1 >= len(lines) or not lines[i + 1].strip():
            raise InputError("header line without a line of values below it", file=path, line=i + 1,
                             hint="WGFMU summaries alternate name and value lines")
        values = _cells(lines[i + 1])
        if len(values) != len(names):
            raise InputError(f"header block: {len(names)} names on line {i + 1} but {len(values)} values",
                             file=path, line=i + 2)
        for name, value in zip(names, values):
            meta.setdefault(name, (value, i + 2))
        i += 2
    if header_at is None:
        raise InputError("no data header 'Pulse Number,index,Pulse Amplitude (V),R_low (ohm),R_high (ohm)'",
                         file=path, line=len(lines) or 1,
                         hint="is this a WGFMU pulsed amplitude sweep summary?")
    header = _cells(lines[header_at])
    cols = {}
    for key, prefix in (("amp", "pulse amplitude"), ("rlo", "r_low"), ("rhi", "r_high")):
        idx = [j for j, n in enumerate(header) if n.lower().startswith(prefix)]
        if not idx:
            raise InputError(f"data header lacks a '{prefix}' column", file=path, line=header_at + 1)
        cols[key] = idx[0]

    amps, g, pairs, rows_line = [], [], [], []
    for n, cells in _data_rows(lines, header_at, header, path):
        values = [_number(c, path, n, header[j]) for j, c in enumerate(cells)]
        r_low, r_high = values[cols["rlo"]], values[cols["rhi"]]
        if r_low <= 0 or r_high <= 0:
            raise InputError(f"resistance must be positive, got R_low={cells[cols['rlo']]}, "
                             f"R_high={cells[cols['rhi']]}", file=path, line=n)
        amps.append(values[cols["amp"]])
        g.append(0.5 * (1.0 / r_low + 1.0 / r_high))  # two reads of the same state (hzo README)
        pairs.append((1.0 / r_low, 1.0 / r_high))  # R_low read at -0.1 V, R_high at +0.1 V
        rows_line.append(n)
    if not g:
        raise InputError("no data rows after the header", file=path, line=header_at + 1)

    file_pw = None
    for key in ("twidth (s)", "pulseWidth"):
        if key in meta:
            value, n = meta[key]
            file_pw = _number(value, path, n, key)
            if file_pw <= 0:
                raise InputError(f"{key}: pulse width must be positive, got {value!r}", file=path, line=n)
            break
    file_device = meta.get("device_id", ("", 0))[0] or None

    s = _settings(ctx, path)
    notes: list[str] = ["WGFMU pulsed amplitude sweep: the amplitude changes every pulse "
                        "(Ramp.amplitude_V); negative amplitude potentiates"]
    pw = _pick_pulse_width(file_pw, s, notes)
    fallback = path.name.split("_run")[0] if "_run" in path.name else path.name.removesuffix("_Summary.dat")
    dev = _pick_device(file_device, s, fallback, notes)

    # Split at sign changes: positive amplitude depresses (down), negative potentiates (up).
    # A zero amplitude (no programming) joins the ramp it sits in.
    amp = np.asarray(amps, dtype=np.float64)
    gv = np.asarray(g, dtype=np.float64)
    pv = np.asarray(pairs, dtype=np.float64)
    sign = np.sign(amp)
    nz = np.flatnonzero(sign)
    if nz.size == 0:
        raise InputError("all pulse amplitudes are zero: no direction", file=path, line=rows_line[0])
    for j in range(len(sign)):  # zeros take the sign of the previous pulse (or the first one)
        if sign[j] == 0:
            sign[j] = sign[j - 1] if j > 0 else sign[nz[0]]
    bounds = [0] + [j for j in range(1, len(sign)) if sign[j] != sign[j - 1]] + [len(sign)]
    ramps: list[Ramp] = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        start = float(ramps[-1].values[-1]) if ramps else None
        ramps.append(Ramp(direction="down" if sign[a] > 0 else "up", values=gv[a:b].copy(),
                          start=start, amplitude_V=amp[a:b].copy(), line=rows_line[a],
                          read_polarity_S=pv[a:b].copy()))
    assign_cycles(ramps, s.cycle)
    read_v = s.read_voltage_V
    if read_v is None:
        # The lab's SMU reads each state with a 4-point sweep from -0.1 V to +0.1 V: R_low is its
        # -0.1 V end, R_high its +0.1 V end (the precursor study's raw IV_measR files).
        read_v = WGFMU_READ_VOLTAGE_V
        notes.append("read voltage 0.1 V (R_low at -0.1 V, R_high at +0.1 V: the WGFMU summaries' SMU read)")
    return Trace(device=dev, pulse_width_s=pw, ramps=ramps, source=path, units="S", format="wgfmu",
                 read_voltage_V=read_v, notes=notes + s.notes)


# -- long CSV -----------------------------------------------------------------------------------

@dataclass
class _LongRamp:
    cycle: int
    direction: str
    pulses: list[int] = field(default_factory=list)
    g: list[float] = field(default_factory=list)
    amp: list[float] = field(default_factory=list)
    current: list[float] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


@dataclass
class _LongGroup:
    device: str
    pulse_width_s: float
    ramps: dict[tuple[int, str], _LongRamp] = field(default_factory=dict)
    energy: dict[str, list[float]] = field(default_factory=lambda: {"up": [], "down": []})
    read_voltages: list[float] = field(default_factory=list)
    file_device: bool = False


def _read_long_csv(path: Path, text: str, ctx: _Context) -> list[Trace]:
    lines = text.splitlines()
    head = next((k for k, ln in enumerate(lines) if ln.strip()), None)
    if head is None:
        raise InputError("empty file", file=path, hint=_EXPECTED)
    header_line = head + 1
    names = _cells(lines[head])
    col: dict[str, int] = {}
    for j, name in enumerate(names):
        if name in col:
            raise InputError(f"column '{name}' appears twice", file=path, line=header_line)
        col[name] = j
    for req in LONG_CSV_REQUIRED:
        if req not in col:
            near = closest(req, [n for n in names if n not in LONG_CSV_REQUIRED + LONG_CSV_OPTIONAL])
            hint = f"is '{near}' meant to be '{req}'?" if near else (
                "long CSV columns: " + ", ".join(LONG_CSV_REQUIRED) + " (optional: "
                + ", ".join(LONG_CSV_OPTIONAL) + ")")
            raise InputError(f"missing column '{req}'", file=path, line=header_line, hint=hint)

    s = _settings(ctx, path)
    fallback_device = s.device if s.device is not None else path.stem
    pw_cache: dict[str, float] = {}
    groups: dict[tuple[str, float], _LongGroup] = {}
    row_index = 0
    for n, cells in _data_rows(lines, head, names, path):

        def cell(name: str) -> str:
            return cells[col[name]] if name in col else ""

        pw_text = cell("pulse_width")
        if pw_text not in pw_cache:
            try:
                pw_cache[pw_text] = parse_pulse_width(pw_text)
            except ValueError as exc:
                raise InputError(f"pulse_width: {exc}", file=path, line=n) from None
        pw = pw_cache[pw_text]
        cycle = _integer(cell("cycle"), path, n, "cycle")
        direction = cell("direction").lower()
        if direction not in ("up", "down"):
            raise InputError(f"direction: unknown value {cell('direction')!r}", file=path, line=n,
                             hint="use up (potentiation) or down (depression)")
        pulse = _integer(cell("pulse"), path, n, "pulse")
        g = _number(cell("conductance_S"), path, n, "conductance_S")
        if g <= 0:
            raise InputError(f"conductance_S must be positive, got {cell('conductance_S')!r}",
                             file=path, line=n)
        if g < MIN_CONDUCTANCE_S:
            raise InputError(f"conductance_S {cell('conductance_S')} is below {MIN_CONDUCTANCE_S:g} S: "
                             "not a measured conductance", file=path, line=n,
                             hint="check the unit (siemens) and the column")
        amp = _number(cell("amplitude_V"), path, n, "amplitude_V") if cell("amplitude_V") else math.nan
        energy = None
        if cell("energy_J"):
            energy = _number(cell("energy_J"), path, n, "energy_J")
            if energy < 0:
                raise InputError(f"energy_J must be >= 0, got {cell('energy_J')!r}", file=path, line=n)
        current = math.nan
        if cell("pulse_current_A"):
            current = abs(_number(cell("pulse_current_A"), path, n, "pulse_current_A"))
        rv = None
        if cell("read_voltage_V"):
            rv = _number(cell("read_voltage_V"), path, n, "read_voltage_V")
            if rv <= 0:
                raise InputError(f"read_voltage_V must be positive, got {cell('read_voltage_V')!r}",
                                 file=path, line=n)
        dev = cell("device") or fallback_device

        group = groups.get((dev, pw))
        if group is None:
            group = groups[(dev, pw)] = _LongGroup(dev, pw, file_device=bool(cell("device")))
        ramp = group.ramps.get((cycle, direction))
        if ramp is None:
            ramp = group.ramps[(cycle, direction)] = _LongRamp(cycle, direction)
        if pulse in ramp.pulses:
            first = ramp.lines[ramp.pulses.index(pulse)]
            raise InputError(f"pulse {pulse} of cycle {cycle} {direction} appears twice "
                             f"(first on line {first})", file=path, line=n)
        ramp.pulses.append(pulse)
        ramp.g.append(g)
        ramp.amp.append(amp)
        ramp.current.append(current)
        ramp.lines.append(n)
        ramp.rows.append(row_index)
        if energy is not None:
            group.energy[direction].append(energy)
        if rv is not None:
            group.read_voltages.append(rv)
        row_index += 1
    if not groups:
        raise InputError("no data rows after the header", file=path, line=header_line)

    traces = []
    for group in groups.values():
        notes = list(s.notes)
        _pick_pulse_width(group.pulse_width_s, s, notes)
        if group.file_device:
            _pick_device(group.device, s, group.device, notes)
        ramps: list[Ramp] = []
        prev: _LongRamp | None = None
        for lr in group.ramps.values():
            order = np.argsort(lr.pulses, kind="stable")
            values = np.asarray(lr.g, dtype=np.float64)[order]
            amps = np.asarray(lr.amp, dtype=np.float64)[order]
            currents = np.asarray(lr.current, dtype=np.float64)[order]
            start = None
            # Chain only back-to-back ramps of alternating direction in the same or next cycle:
            # then the previous ramp's last read is this ramp's state before its first pulse.
            contiguous = max(lr.rows) - min(lr.rows) + 1 == len(lr.rows)
            if (prev is not None and contiguous and prev.direction != lr.direction
                    and max(prev.rows) + 1 == min(lr.rows) and lr.cycle in (prev.cycle, prev.cycle + 1)):
                start = float(ramps[-1].values[-1])
            ramps.append(Ramp(direction=lr.direction, values=values, start=start,
                              amplitude_V=None if np.isnan(amps).all() else amps,
                              cycle=lr.cycle, line=min(lr.lines),
                              current_A=None if np.isnan(currents).any() else currents))
            prev = lr
        rv = s.read_voltage_V
        if group.read_voltages:
            file_rv = group.read_voltages[0]
            if any(not math.isclose(v, file_rv) for v in group.read_voltages):
                notes.append(f"several read voltages in the file; using the first, {file_rv:g} V")
            if rv is not None and not math.isclose(rv, file_rv):
                notes.append(f"read voltage {rv:g} V from {s.read_voltage_from} not used: "
                             f"the file gives {file_rv:g} V")
            rv = file_rv
        e_up = float(np.mean(group.energy["up"])) if group.energy["up"] else None
        e_down = float(np.mean(group.energy["down"])) if group.energy["down"] else None
        traces.append(Trace(device=group.device, pulse_width_s=group.pulse_width_s, ramps=ramps,
                            source=path, units="S", format="long-csv", energy_up_J=e_up,
                            energy_down_J=e_down, read_voltage_V=rv, notes=notes))
    return traces


# -- ramps CSV (CrossSim set/reset) -------------------------------------------------------------

def _read_ramp_columns(path: Path, text: str) -> list[tuple[str, list[float], int]]:
    """(column name, values until the first empty cell or zero, line of the first value)."""
    lines = text.splitlines()
    head = next((k for k, ln in enumerate(lines) if ln.strip()), None)
    if head is None:
        raise InputError("empty file", file=path, hint=_EXPECTED)
    names = _cells(lines[head])
    cols: list[list[float]] = [[] for _ in names]
    first_line = [0] * len(names)
    ended_at = [0] * len(names)
    for n, cells in _data_rows(lines, head, names, path, exact=False):
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


def _ramps_direction(path: Path, columns: list[tuple[str, list[float], int]], s: _Settings) -> str:
    if s.direction is not None:
        return s.direction
    by_name = _name_direction(path.name)
    if by_name is not None:
        return by_name
    steps = np.concatenate([np.diff(v) for _, v, _ in columns] or [np.zeros(0)])
    mean = float(steps.mean()) if steps.size else 0.0
    if mean == 0.0:
        raise InputError("cannot tell the ramp direction", file=path,
                         hint="name the file *_set/*_reset, or give files: {NAME: {direction: up}} "
                              "in measurements.yaml")
    return "up" if mean > 0 else "down"


def _read_ramps_file(path: Path, text: str, ctx: _Context) -> tuple[list[Ramp], _Settings, str]:
    s = _settings(ctx, path)
    columns = _read_ramp_columns(path, text)
    if not columns:
        raise InputError("no values in any column", file=path, hint=_EXPECTED)
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


def _read_ramps_pair(path: Path, text: str, ctx: _Context) -> tuple[Trace, list[Path]]:
    ramps, s, direction = _read_ramps_file(path, text, ctx)
    notes: list[str] = []
    used = [path]
    sib_name = _swap_word(path.name, _SIBLING_PAIRS)
    sibling = path.parent / sib_name if sib_name else None
    sib_ramps: list[Ramp] = []
    if sibling is not None and sibling.is_file():
        sib_text = _read_text(sibling)
        if _detect_text(sib_text) == "ramps-csv":
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
    stem = _strip_words(path.stem, _UP_WORDS + _DOWN_WORDS) if len(used) == 2 else path.stem
    dev = s.device if s.device is not None else (stem or path.stem)
    source = path if direction == "up" or len(used) == 1 else used[1]
    return Trace(device=dev, pulse_width_s=s.pulse_width_s, ramps=up_first, source=source, units="S",
                 format="ramps-csv", read_voltage_V=s.read_voltage_V if s.quantity == "current_A" else None,
                 notes=notes + s.notes), used


# -- two-column trace (aihwkit) -----------------------------------------------------------------

def _read_two_column(path: Path, text: str, ctx: _Context) -> Trace:
    up, down, first = [], [], None
    for k, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        n = k + 1
        toks = _tokens(raw)
        if len(toks) != 2:
            raise InputError(f"expected 2 values (state after an up pulse, after a down pulse), "
                             f"got {len(toks)}", file=path, line=n)
        up.append(_number(toks[0], path, n, "column 1 (up)"))
        down.append(_number(toks[1], path, n, "column 2 (down)"))
        first = first or n
    if not up:
        raise InputError("empty file", file=path, hint=_EXPECTED)
    s = _settings(ctx, path)
    up_v = np.asarray(up, dtype=np.float64)
    ramps = [Ramp("up", up_v, start=None, cycle=s.cycle, line=first),
             Ramp("down", np.asarray(down, dtype=np.float64), start=float(up_v[-1]), cycle=s.cycle,
                  line=first)]
    dev = s.device if s.device is not None else path.stem
    return Trace(device=dev, pulse_width_s=s.pulse_width_s, ramps=ramps, source=path,
                 units="normalised", format="two-column",
                 notes=["aihwkit two-column trace: column 1 after each up pulse, column 2 after each "
                        "down pulse (the down ramp starts where the up ramp ends)"] + s.notes)


# -- CrossSim dG lookup table -------------------------------------------------------------------

def _read_dg_matrix(path: Path, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(G bins, CDF points, dG matrix rows=CDF x cols=bins) of one CrossSim table."""
    numbered = [(k + 1, ln) for k, ln in enumerate(text.splitlines()) if ln.strip()]
    if numbered and not all(_is_number(t) for t in _tokens(numbered[0][1])):
        numbered = numbered[1:]  # the text header line
    if len(numbered) < 3:
        raise InputError("a dG table needs a G-bins line, a CDF line and the dG matrix",
                         file=path, line=numbered[-1][0] if numbered else 1)

    def numbers(n: int, raw: str, what: str) -> np.ndarray:
        return np.asarray([_number(t, path, n, what) for t in _tokens(raw)], dtype=np.float64)

    (n_bins, raw_bins), (n_cdf, raw_cdf) = numbered[0], numbered[1]
    bins = numbers(n_bins, raw_bins, "G bins")
    cdf = numbers(n_cdf, raw_cdf, "CDF points")
    if bins.size < 1 or np.any(np.diff(bins) <= 0):
        raise InputError("G bins must increase", file=path, line=n_bins)
    if cdf.size < 2 or np.any(np.diff(cdf) < 0) or cdf[0] < 0 or cdf[-1] > 1 or cdf[-1] <= cdf[0]:
        raise InputError("CDF points must be non-decreasing values in [0, 1]", file=path, line=n_cdf)
    rows = numbered[2:]
    matrix = np.empty((len(rows), bins.size))
    for r, (n, raw) in enumerate(rows):
        if r >= cdf.size:
            raise InputError(f"more matrix rows than CDF points ({cdf.size}, line {n_cdf})",
                             file=path, line=n)
        row = numbers(n, raw, "dG")
        if row.size != bins.size:
            raise InputError(f"dG matrix row has {row.size} values, expected one per G bin "
                             f"({bins.size}, line {n_bins})", file=path, line=n)
        matrix[r] = row
    if len(rows) != cdf.size:
        raise InputError(f"dG matrix has {len(rows)} rows, expected one per CDF point "
                         f"({cdf.size}, line {n_cdf})", file=path, line=rows[-1][0])
    return bins, cdf, matrix


_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # renamed in numpy 2.0


def dg_moments(cdf: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin mean and std of dG from a quantile table: row i holds the dG quantile at CDF
    value cdf[i], so E[dG] = int_0^1 Q(p) dp and E[dG^2] = int_0^1 Q(p)^2 dp (trapezoid rule,
    normalised by the CDF span in case the points do not reach 0 and 1)."""
    span = cdf[-1] - cdf[0]
    mean = _trapezoid(matrix, cdf, axis=0) / span
    second = _trapezoid(matrix**2, cdf, axis=0) / span
    std = np.sqrt(np.maximum(second - mean**2, 0.0))
    return mean, std


def _read_dg_pair(path: Path, text: str, ctx: _Context) -> tuple[StepTable, list[Path]]:
    s = _settings(ctx, path)
    stem = path.stem
    inc = _word_pattern("increasing").search(stem) is not None
    dec = _word_pattern("decreasing").search(stem) is not None
    if inc == dec:
        if s.direction is None:
            raise InputError("cannot tell whether this dG table is the increasing or the decreasing one",
                             file=path, hint="name the files *_increasing.txt and *_decreasing.txt")
        inc = s.direction == "up"
    sib_name = _swap_word(path.name, (_DG_PAIR,))
    sibling = path.parent / sib_name if sib_name else None
    if sibling is None or not sibling.is_file():
        missing = sib_name or ("the _decreasing table" if inc else "the _increasing table")
        raise InputError(f"the sibling dG table {missing} is missing", file=path,
                         hint="a dG table needs both the _increasing and the _decreasing file")
    files = (path, sibling) if inc else (sibling, path)
    texts = (text, _read_text(sibling)) if inc else (_read_text(sibling), text)
    (g_up, cdf_up, m_up), (g_dn, cdf_dn, m_dn) = (_read_dg_matrix(f, t) for f, t in zip(files, texts))
    if g_up.shape != g_dn.shape or not np.allclose(g_up, g_dn, rtol=1e-9, atol=0):
        raise InputError(f"G bins differ from those of {files[0].name}", file=files[1], line=None)
    notes = [f"CrossSim dG table: up from {files[0].name}, down from {files[1].name}; mean and std "
             "of the step per G bin integrated over the CDF"]
    mean_up, std_up = dg_moments(cdf_up, m_up)
    mean_dn, std_dn = dg_moments(cdf_dn, m_dn)
    # The decreasing table holds negative steps; a table already written as magnitudes is kept.
    if float(np.mean(mean_dn)) < 0:
        mean_dn = -mean_dn
    else:
        notes.append(f"{files[1].name} holds positive steps: read as magnitudes")
    for label, mean in (("up", mean_up), ("down", mean_dn)):
        wrong = int(np.sum(mean < 0))
        if wrong:
            notes.append(f"{wrong} G bins have a mean {label} step of the opposite sign")
    dev = s.device if s.device is not None else (_strip_words(stem, _DG_PAIR + ("dG",)) or stem)
    return StepTable(device=dev, pulse_width_s=s.pulse_width_s, g=g_up, mean_up=mean_up, std_up=std_up,
                     mean_down=mean_dn, std_down=std_dn, sources=list(files), units="S",
                     format="dg-table", notes=notes + s.notes), [path, sibling]
