"""The Python API: what the four commands do, as functions (the CLI is a layer over them).

    import ferrosim
    fit = ferrosim.fit_device("measurements/", "devices/example.yaml")
    result = ferrosim.sweep("configs/pulse_widths.yaml", out="results/default")
    report = ferrosim.report(["results/default"])
    frame = ferrosim.load_results("results/default")      # one row per complete run

Bad input raises `ferrosim.errors.InputError` (what the CLI prints as its one error line) before
anything is written. Nothing here prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Mapping

import pandas as pd

from ferrosim.errors import InputError


def _pulse_width_with_unit(pulse_width: str | None) -> None:
    if pulse_width is None:
        return
    from ferrosim.units import parse_pulse_width

    try:
        float(pulse_width)
    except ValueError:
        pass
    else:  # `1` meant as 1 us would silently be 1 s: a pulse width given here names its unit
        raise InputError(f"--pulse-width {pulse_width}: no unit", hint=f"write {pulse_width}us or {pulse_width}s")
    try:
        parse_pulse_width(pulse_width)
    except ValueError as exc:
        raise InputError(f"--pulse-width: {exc}") from None


def _column_map(columns: Mapping[str, str] | Iterable[str] | None, units: Mapping[str, str] | Iterable[str] | None):
    from ferrosim.io.readers.lab_columns import parse_column_options

    if not columns and not units:
        return None

    def items(value) -> list[str]:
        if value is None:
            return []
        if isinstance(value, Mapping):
            return [f"{k}={v}" for k, v in value.items()]
        return list(value)

    return parse_column_options(items(columns), items(units), complete=False)  # checked whole over the sidecar's


def fit_device(paths: str | Path | list, output: str | Path | None = None, *, model: str = "auto",
               format: str | None = None, pulse_width: str | None = None, read_voltage: float | None = None,
               device: str | None = None, refine: str = "steps", figures: bool = True,
               columns: Mapping[str, str] | Iterable[str] | None = None,
               units: Mapping[str, str] | Iterable[str] | None = None,
               sweep_config: str | Path | None = None, command: str | None = None,
               iv: str | Path | None = None, warn: bool = True,
               directions: Mapping[str, str] | Iterable[str] | None = None, decimal: str | None = None):
    """Fit device response models to measured pulse responses (`ferrosim fit-device`).

    `paths`: a measurement file or folder, or a list of them. `columns` maps a lab export's
    columns (`{"conductance": "G (uS)", ...}` or `["conductance=G (uS)", ...]`, docs/lab-data.md),
    added to or replacing the roles of measurements.yaml `columns:`; `units` the units its names
    do not say. Writes the device file (`output`, default
    devices/<name>.yaml), its figures and, with `sweep_config`, a ready sweep config. `iv`: DC I-V
    sweeps (a file or folder; default measurements.yaml `iv:`), paired with the devices by name
    for the measured conduction during a pulse. `directions`: the files that hold one direction
    only (`{"dev1_dep.csv": "down"}` or `["dev1_dep.csv=down"]`, file names, globs or paths; else
    the name rule `*_pot`/`*_dep` and measurements.yaml `direction:`); `decimal`: the lab tables'
    decimal mark, `.` or `,` (default: detected). Returns a `FitRun` (`.results`, `.device_file`,
    `.output`, `.figures`, `.sweep_config`, `.warnings` (also `.notes`): the CLI's `warning:`
    lines, among them each set of pulse widths without an energy per pulse, each also raised as a
    `ferrosim.FerrosimWarning` unless `warn=False`).
    """
    from ferrosim.device.fit_run import fit_path
    from ferrosim.device.fitting import MODEL_CHOICES

    if model not in MODEL_CHOICES:
        raise InputError(f"--model {model}: choose one of {', '.join(MODEL_CHOICES)}")
    if refine not in ("steps", "traces"):
        raise InputError(f"--refine {refine}: choose steps or traces")
    if read_voltage is not None and not read_voltage > 0:
        raise InputError(f"--read-voltage must be positive, got {read_voltage}")
    _pulse_width_with_unit(pulse_width)
    mapping = _column_map(columns, units)
    from ferrosim.io.sidecar import parse_direction_options

    directions = parse_direction_options(dict(directions) if isinstance(directions, Mapping) else list(directions or []))
    if decimal is not None and decimal not in (".", ","):
        raise InputError(f"--decimal {decimal!r}: the decimal mark is . or ,")
    if output is not None:
        from ferrosim.io.atomic import check_output_file

        check_output_file(Path(output), "-o")  # before fitting, not after it
    if sweep_config is not None:
        from ferrosim.device.sweep_config import check_sweep_config_path

        check_sweep_config_path(Path(sweep_config))
    run = fit_path(paths, output, model=model, fmt=format, pulse_width=pulse_width, read_voltage_V=read_voltage,
                   device=device, refine=refine, figures=figures, columns=mapping, command=command,
                   sweep_config=Path(sweep_config) if sweep_config is not None else None, iv=iv,
                   directions=directions, decimal=decimal)
    if warn:
        import warnings

        from ferrosim.errors import FerrosimWarning

        for line in run.warnings:
            warnings.warn(line, FerrosimWarning, stacklevel=2)
    return run


def sweep(config: str | Path, *, out: str | Path | None = None, overrides: Iterable[str] = (),
          workers: int | None = None, executor: str = "local", scheduler: str | None = None,
          shard: str | tuple[int, int] | None = None, force: bool = False, merge: bool = False,
          threads: int | None = None, on_run: Callable | None = None, on_epoch: Callable | None = None):
    """Train a sweep config's runs (`ferrosim sweep`); finished runs are reused (resume).

    `overrides`: `KEY=VALUE` strings as `--set`. `on_run(outcome, run)` sees each finished run,
    `on_epoch(event)` each epoch of a running one (`ferrosim.sweeps.runner.EpochEvent`). A failed
    run does not raise: its id is in `.failed`. Returns a `SweepResult` (`.out`, `.summary`,
    `.trained`, `.skipped`, `.repriced`, `.failed`).
    """
    from ferrosim.sweeps.session import SweepResult, SweepSession, check_execution

    check_execution(executor, workers, threads)  # before anything is written
    session = SweepSession(config, list(overrides), out, shard, force, merge)
    repriced = session.begin()
    frame = session.execute(workers=workers, executor=executor, scheduler=scheduler, threads=threads,
                            on_done=on_run, on_epoch=on_epoch)
    return SweepResult(out=session.out, summary=frame, trained=session.finished - len(session.failed),
                       skipped=session.skipped, repriced=repriced, failed=list(session.failed))


def report(folders: str | Path | Iterable[str | Path], out: str | Path | None = None):
    """Tables and figures from finished sweeps (`ferrosim report`); several folders side by side.

    Writes summary_by_pulse_width.csv, accuracy_by_epoch.csv, report.md, report.html and
    figures/ under `out` (default <first folder>/report). Returns the `Report` (`.agg`: the
    table by pulse width, `.summary`: every run, `.figures`, `.markdown_path`, `.html_path`).
    """
    from ferrosim.reports import build_report

    folders = [folders] if isinstance(folders, (str, Path)) else list(folders)
    if not folders:
        raise InputError("no results folder given")
    from ferrosim.io.atomic import check_output_folder

    # the folder written to, named or the default, is checked before anything is read
    out = check_output_folder(None if out is None else Path(out), Path(folders[0]) / "report", ("figures",))
    return build_report(folders, out)


def load_results(folders: str | Path | Iterable[str | Path], *, epochs: bool = False) -> pd.DataFrame:
    """Every complete run of one or more sweep folders as a DataFrame (summary.csv's columns).

    Read from the run files, so a sweep still running or split into shards is read as it stands;
    with several folders a `sweep` column says which one a row came from. `epochs=True` gives
    the per-epoch table instead (test accuracy, pulses, energy per epoch, with `run_id`).
    """
    from ferrosim.reports.collect import load_sweeps

    folders = [folders] if isinstance(folders, (str, Path)) else list(folders)
    if not folders:
        raise InputError("no results folder given")
    sweeps = load_sweeps(folders)
    frames = []
    for s in sweeps:
        frame = (s.epochs if epochs else s.summary).copy()
        if len(sweeps) > 1:
            frame.insert(0, "sweep", s.label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)


__all__ = ["fit_device", "load_results", "report", "sweep"]
