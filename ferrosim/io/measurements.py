"""Measured pulse responses from a file or a folder: `read_path` (and `read_file`).

The entry point of every input format of DESIGN.md section 3 (`ferrosim.io.readers`, one
module per format; `readers.registry.FORMATS`). A file's format is the one given, else
`lab-table` when a column mapping is given (`--column`, `columns:` in the sidecar), else
detected from its content (`ferrosim.io.detect`). Settings from outside the file come from
the command line and the `measurements.yaml` sidecar (`ferrosim.io.sidecar`). In a folder,
every data file is read (`_data_files` says which), and a set/reset or increasing/decreasing
pair once.
"""

from __future__ import annotations

from pathlib import Path

from ferrosim.errors import InputError, closest
from ferrosim.io.detect import detect_format, detect_text
from ferrosim.io.measurement_data import Sidecar, StepTable, Trace
from ferrosim.io.readers.common import EXPECTED, read_text
from ferrosim.io.readers.lab_columns import ColumnMap
from ferrosim.io.readers.registry import FORMATS, READERS
from ferrosim.io.sidecar import Context, make_context

# Folder reading skips these; *.txt is read only when it is a dG table (CrossSim's suffix).
_SKIP_PREFIXES = ("readme", "license", "licence")
_SKIP_SUFFIXES = {".md", ".yaml", ".yml", ".png", ".jpg", ".jpeg", ".svg", ".pdf", ".html",
                  ".py", ".sh", ".ipynb", ".json", ".gz", ".zip"}  # scripts and archives beside data


def read_file(path: str | Path, fmt: str | None = None, sidecar: Sidecar | None = None, *,
              pulse_width: str | float | None = None, read_voltage_V: float | None = None,
              device: str | None = None, quantity: str | None = None,
              columns: ColumnMap | None = None, directions: dict[str, str] | None = None,
              decimal: str | None = None) -> list[Trace | StepTable]:
    """Records of one measurement file (with its set/reset or increasing/decreasing sibling).

    `fmt` is detected when None. `sidecar` defaults to the file folder's `measurements.yaml`.
    `pulse_width`, `read_voltage_V`, `device` and `quantity` are the command-line values
    (`quantity`: `current_A` or `conductance_S`, what ramps-CSV cells hold); `columns` is the
    command line's column mapping (`--column`/`--unit`), over the sidecar's; `directions`
    `--direction` ({file name, glob or path: up|down}); `decimal` `--decimal` (`.` or `,`).
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder, expected a measurement file", file=path,
                         hint="read folders with read_path")
    ctx = make_context(sidecar, path.parent, pulse_width, read_voltage_V, device, quantity, columns,
                       directions, decimal)
    records, _ = _read_one(path, _check_format(fmt) if fmt else None, ctx)
    return records


def read_path(path: str | Path, fmt: str | None = None, sidecar: Sidecar | None = None, *,
              pulse_width: str | float | None = None, read_voltage_V: float | None = None,
              device: str | None = None, quantity: str | None = None, columns: ColumnMap | None = None,
              directions: dict[str, str] | None = None, decimal: str | None = None,
              ) -> tuple[list[Trace | StepTable], Sidecar, list[Path]]:
    """Records of a measurement file or of every data file in a folder (not recursive).

    Returns the records, the sidecar that applied and the files read (siblings included).
    In a folder, README*, LICENSE*, docs, images, YAML and hidden files are skipped, and *.txt
    files unless they are dG tables, and the I-V tables measurements.yaml names (`iv_table`);
    a set/reset (increasing/decreasing) pair gives one record. `directions` and `decimal`:
    as read_file's.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file or folder not found", file=path, hint="check the path")
    fmt = _check_format(fmt) if fmt else None
    if path.is_file():
        ctx = make_context(sidecar, path.parent, pulse_width, read_voltage_V, device, quantity, columns,
                           directions, decimal)
        records, used = _read_one(path, fmt, ctx)
        return records, ctx.sidecar, used
    ctx = make_context(sidecar, path, pulse_width, read_voltage_V, device, quantity, columns, directions, decimal)
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
        raise InputError("no measurement files in folder", file=path, hint=EXPECTED)
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
                text = read_text(file)
            except InputError:
                continue
            if detect_text(text) != "dg-table":
                continue
            out.append((file, "dg-table"))
            continue
        out.append((file, fmt))
    return out


def _read_one(path: Path, fmt: str | None, ctx: Context) -> tuple[list[Trace | StepTable], list[Path]]:
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


def _read_as(path: Path, fmt: str, ctx: Context) -> tuple[list[Trace | StepTable], list[Path]]:
    text = read_text(path)
    reader = READERS.get(fmt)
    if reader is None:
        raise InputError(f"unknown measurement format '{fmt}'", hint=f"one of: {', '.join(FORMATS)}")
    return reader(path, text, ctx)
