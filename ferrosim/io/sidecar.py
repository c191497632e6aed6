"""The `measurements.yaml` sidecar of a measurement folder, and what it and the command line
say about each file.

Where a setting comes from (pulse width, device name, read voltage): what the file itself says
wins; where the file is silent, the command line, then the `measurements.yaml` entry for that
file (`Sidecar.files`), then the sidecar's global value. A command-line or sidecar value that
contradicts the file is not used, and the record's `notes` say so. The readers
(`ferrosim.io.readers`) ask `file_settings` for a file's values and `pick_pulse_width` /
`pick_device` to weigh them against the file's own.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ferrosim.errors import InputError
from ferrosim.io.measurement_data import Sidecar
from ferrosim.io.readers.lab_columns import UNIT_CONFLICT_HINT, ColumnMap, check_role, unit_conflict
from ferrosim.io.validation import validation_error
from ferrosim.io.yaml_source import Loc, line_of, load_yaml
from ferrosim.units import format_pulse_width, parse_pulse_width

SIDECAR_NAME = "measurements.yaml"


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
    for role, unit in sidecar.units.items():  # a unit for a column whose name says another
        name = sidecar.columns.get(role)
        conflict = name is not None and unit_conflict(role, name, unit, f"units.{role}: {unit}")
        if conflict:
            raise InputError(conflict, file=path, line=line_of(lines, ("units", role)), hint=UNIT_CONFLICT_HINT)
    if sidecar.columns:  # complete or not: --column may add the state column (make_context checks the whole)
        try:
            ColumnMap(dict(sidecar.columns), dict(sidecar.units), source="columns").check(complete=False)
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
class Context:
    """The command line and the sidecar, once for every file of one read (`make_context`)."""

    sidecar: Sidecar
    sidecar_file: Path | None
    pulse_width_s: float | None
    read_voltage_V: float | None
    device: str | None
    quantity: str | None
    mapping: ColumnMap
    cli_mapping: bool
    directions: dict[str, str] = field(default_factory=dict)
    """`--direction FILE=up|down`: a file name, glob or path -> the direction its pulses go."""
    decimal: str | None = None
    """The decimal mark of lab tables (`--decimal`, else the sidecar's `decimal`), None to detect."""


@dataclass
class Settings:
    """What is known about one file from outside it, with where each value came from."""

    pulse_width_s: float | None = None
    pulse_width_from: str = ""
    device: str | None = None
    device_from: str = ""
    direction: str | None = None
    direction_from: str = ""
    cycle: int = 0
    read_voltage_V: float | None = None
    read_voltage_from: str = ""
    quantity: str = "current_A"
    notes: list[str] = field(default_factory=list)


def make_context(sidecar: Sidecar | None, folder: Path, pulse_width: Any, read_voltage_V: Any,
                 device: str | None, quantity: str | None, columns: ColumnMap | None = None,
                 directions: dict[str, str] | None = None, decimal: str | None = None) -> Context:
    """The command-line values, checked, with the sidecar (`folder`'s when None) and the column
    mapping of both (the command line's roles added to the sidecar's or replacing them), checked
    as a whole. `directions`: `--direction` (parse_direction_options); `decimal`: `--decimal`."""
    if sidecar is None:
        sidecar = load_sidecar(folder)
    sidecar_map = ColumnMap(dict(sidecar.columns), dict(sidecar.units), sidecar.potentiating_polarity,
                            source="measurements.yaml columns",
                            unit_from={r: f"units: {{{r}: {u}}} in measurements.yaml"
                                       for r, u in sidecar.units.items()})
    mapping = (columns or ColumnMap()).over(sidecar_map)
    sidecar_file = folder / SIDECAR_NAME
    try:
        mapping.check()
    except InputError as exc:
        if mapping is not sidecar_map or not sidecar_file.is_file():
            raise
        _, lines = load_yaml(sidecar_file)  # the sidecar's mapping alone: point at its columns
        raise InputError("columns: " + exc.what.removeprefix(f"{sidecar_map.source}: "), file=sidecar_file,
                         line=line_of(lines, ("columns",)), hint=exc.hint) from None
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
    if decimal is not None and decimal not in (".", ","):
        raise InputError(f"--decimal {decimal!r}: the decimal mark is . or ,")
    return Context(sidecar, sidecar_file if sidecar_file.is_file() else None, pw, rv,
                   device or None, quantity, mapping, bool(columns), dict(directions or {}),
                   decimal if decimal is not None else sidecar.decimal)


def parse_direction_options(items: list[str] | dict[str, str] | None) -> dict[str, str]:
    """`--direction FILE=up|down` options (or a {file: direction} dict) as {file: up|down}; FILE is
    a file name, a glob (`*_dep.csv`) or a path. One InputError naming the bad option."""
    pairs = list(items.items()) if isinstance(items, dict) else [
        tuple(part.strip() for part in item.rpartition("=")[::2]) for item in (items or [])]
    out: dict[str, str] = {}
    for key, value in pairs:
        if not key or value not in ("up", "down"):
            raise InputError(f"--direction {key}={value}: expected FILE=up or FILE=down",
                             hint="e.g. --direction dev1_dep.csv=down (up: potentiation, down: depression)")
        if key in out:
            raise InputError(f"--direction: {key} given twice")
        out[key] = value
    return out


def direction_matches(key: str, path: Path) -> bool:
    """Whether `--direction KEY=...` names `path`: its name, a glob of names, or the path itself."""
    return (key == path.name or fnmatch.fnmatchcase(path.name, key)
            or Path(key).expanduser().resolve() == path.resolve())


def file_settings(ctx: Context, path: Path) -> Settings:
    """Command-line values, then the sidecar entries matching this file, then sidecar defaults."""
    sc = ctx.sidecar
    s = Settings()
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
    given = [v for k, v in ctx.directions.items() if direction_matches(k, path)]
    if len(set(given)) > 1:
        raise InputError("--direction gives this file both up and down", file=path)
    if given:
        s.direction, s.direction_from = given[0], "--direction"
    elif "direction" in info:
        s.direction, s.direction_from = info["direction"]
    if "cycle" in info:
        s.cycle = int(info["cycle"][0])
    return s


def _sidecar_pulse_width(ctx: Context, value: Any, where: str) -> float:
    try:
        return parse_pulse_width(value)
    except ValueError as exc:
        raise InputError(f"{where}: {exc}", file=ctx.sidecar_file) from None


def pick_pulse_width(file_value: float | None, s: Settings, notes: list[str]) -> float | None:
    if file_value is None:
        return s.pulse_width_s
    if s.pulse_width_s is not None and not math.isclose(s.pulse_width_s, file_value, rel_tol=1e-9):
        notes.append(f"pulse width {format_pulse_width(s.pulse_width_s)} from {s.pulse_width_from} "
                     f"not used: the file gives {format_pulse_width(file_value)}")
    return file_value


def pick_device(file_value: str | None, s: Settings, fallback: str, notes: list[str]) -> str:
    if file_value:
        if s.device is not None and s.device != file_value:
            notes.append(f"device name '{s.device}' from {s.device_from} not used: "
                         f"the file names the device '{file_value}'")
        return file_value
    return s.device if s.device is not None else fallback

