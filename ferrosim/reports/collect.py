"""Read finished sweep folders: complete runs, their epoch tables, and what is still missing.

A sweep folder (DESIGN.md section 7) is read from its run files, not from `summary.csv`: every
`runs/<id>/run.json` present is a complete run (so shards that share a folder merge by
themselves, and a summary left stale by an interrupted sweep does not matter). The planned
runs are recomputed from the config stored in `sweep.yaml`; those without a `run.json` are
listed as missing (with the error of `failed.json` when the run crashed). When the plan can no
longer be rebuilt (the device file moved, say) only `sweep.yaml`'s planned count is known.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ferrosim.errors import InputError



@dataclass
class MissingRun:
    """A planned run without `run.json`: not run yet, in flight, or failed (`error`)."""

    sweep: str
    run_id: str
    label: str
    error: str | None = None


@dataclass
class DeviceUsed:
    """One fitted response a sweep trained on (device x pulse width), as its runs recorded it."""

    device: str
    pulse_width_s: float
    response: dict[str, Any]
    energy_up_J: float | None
    energy_down_J: float | None
    synthetic: bool
    file: str | None  # device.file as the config wrote it


@dataclass
class DeviceFileInfo:
    """A device file named by a sweep: where it was found and what it says about itself."""

    written: str  # the path as the config wrote it
    path: Path | None  # where it was found; None when it is no longer there
    synthetic: bool | None
    note: str | None
    command: str | None
    energy_sources: list[str] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """Where it is, relative to the working directory when below it; else as written."""
        if self.path is None:
            return self.written
        try:
            return str(self.path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(self.path.resolve())


@dataclass
class SweepData:
    """One results folder: its complete runs and what is known about the rest."""

    folder: Path
    label: str  # unique among the folders of one report
    meta: dict[str, Any]  # sweep.yaml ({} when absent)
    summary: pd.DataFrame  # one row per complete run (summary.csv columns, from run.json)
    epochs: pd.DataFrame  # epochs.csv of every complete run, with run_id
    configs: dict[str, dict]  # run_id -> resolved RunConfig (as JSON)
    infos: dict[str, dict]  # run_id -> run.json's `info` (n_train, layer sizes, ...)
    versions: set[str]  # ferrosim versions that wrote the runs
    planned: int | None  # planned runs (None when unknown)
    missing: list[MissingRun]
    missing_unlisted: int = 0  # missing runs known only by count (plan could not be rebuilt)
    plan_note: str | None = None  # why the missing runs could not be listed
    outside_plan: int = 0  # complete runs not in sweep.yaml's plan (merged from earlier sweeps, --merge)
    device_files: list[DeviceFileInfo] = field(default_factory=list)
    devices: list[DeviceUsed] = field(default_factory=list)

    @property
    def axes(self) -> list[str]:
        """Swept keys besides pulse width, algorithm and seed (extra summary columns)."""
        from ferrosim.sweeps.outputs import RUN_COLUMNS, SUMMARY_COLUMNS

        return [c for c in self.summary.columns if c not in SUMMARY_COLUMNS and c not in RUN_COLUMNS]

    @property
    def synthetic(self) -> bool:
        return bool(self.summary["synthetic_device"].fillna(False).astype(bool).any()) or any(
            d.synthetic for d in self.device_files if d.synthetic)


def load_sweeps(folders: list[Path | str]) -> list[SweepData]:
    """Read every folder (errors: InputError naming the folder); labels are made unique. A run
    found in several folders (the same run id: the same settings, e.g. a copied folder or two
    sweeps that overlap) must hold the same results in each: else an InputError names both."""
    seen: set[Path] = set()
    sweeps: list[SweepData] = []
    for folder in folders:
        folder = Path(folder)
        key = folder.resolve()
        if key in seen:
            continue
        seen.add(key)
        sweeps.append(load_sweep(folder))
    _unique_labels(sweeps)
    first: dict[str, SweepData] = {}
    for s in sweeps:
        for run_id in s.summary["run_id"]:
            other = first.setdefault(run_id, s)
            if other is not s and not _same_results(other, s, run_id):
                raise InputError(f"run {run_id} is in {other.folder / 'runs' / run_id} and "
                                 f"{s.folder / 'runs' / run_id} with different results",
                                 hint="one run id is one set of settings: keep the copy you trust")
    return sweeps


RESULT_COLUMNS = ("epoch", "test_accuracy", "pulses_up", "pulses_down", "digital_ops", "accumulator_updates")
"""What two copies of one run must agree on (the wall time differs between machines)."""


def _same_results(a: SweepData, b: SweepData, run_id: str) -> bool:
    ea, eb = (s.epochs[s.epochs["run_id"] == run_id].reset_index(drop=True) for s in (a, b))
    columns = [c for c in RESULT_COLUMNS if c in ea.columns and c in eb.columns]
    return len(ea) == len(eb) and ea[columns].equals(eb[columns])


def distinct_runs(sweeps: list[SweepData]) -> tuple[list[tuple[SweepData, Any]], list[tuple[SweepData, Any]]]:
    """Every complete run of `sweeps` once, as (sweep, summary row), for what pools runs across
    folders (`ferrosim energy`): a run found in several folders is one run, not another seed
    (`load_sweeps` made sure its copies agree). Second: the copies left out.
    `ferrosim report` keeps each folder apart and never pools: a run shared by two folders (a
    copy, or the `ideal` baseline of two sweeps) is shown with each."""
    seen: set[str] = set()
    runs, repeats = [], []
    for s in sweeps:
        for row in s.summary.itertuples(index=False):
            (repeats if row.run_id in seen else runs).append((s, row))
            seen.add(row.run_id)
    return runs, repeats


def check_folder(folder: Path) -> None:
    """InputError unless `folder` looks like the output of `ferrosim sweep`."""
    if not folder.exists():
        raise InputError(f"{folder}: no such folder", hint="give a folder written by `ferrosim sweep`")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder", hint="give a folder written by `ferrosim sweep`")
    if not (folder / "runs").is_dir() and not (folder / "sweep.yaml").is_file():
        inner = sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / "runs").is_dir())
        hint = (f"it holds the sweeps {', '.join(inner[:5])}: give one or several of them" if inner
                else "give a folder written by `ferrosim sweep CONFIG --out DIR`")
        raise InputError(f"{folder}: not a sweep results folder (no runs/ or sweep.yaml)", hint=hint)


def load_sweep(folder: Path) -> SweepData:
    from ferrosim.sweeps.outputs import build_summary
    from ferrosim.sweeps.run_files import read_run

    check_folder(folder)
    meta = _read_meta(folder)
    summary = build_summary(folder)  # a damaged run.json is an InputError naming it
    configs: dict[str, dict] = {}
    infos: dict[str, dict] = {}
    versions: set[str] = set()
    frames = []
    for run_id in summary["run_id"]:
        record, frame = read_run(folder / "runs" / run_id)  # both checked: InputError names file and key or line
        configs[run_id] = record.get("config", {})
        infos[run_id] = record.get("info", {})
        versions.add(str(record.get("ferrosim_version", "unknown")))
        frame.insert(0, "run_id", run_id)
        frames.append(frame)
    epochs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run_id", "epoch"])
    label = str(meta.get("name") or folder.resolve().name)
    data = SweepData(folder=folder, label=label, meta=meta, summary=summary, epochs=epochs,
                     configs=configs, infos=infos, versions=versions, planned=None, missing=[])
    _find_missing(data)
    if summary.empty:
        hint = ("see runs/<run_id>/failed.json" if any(m.error for m in data.missing)
                else "wait for `ferrosim sweep` to finish some runs")
        raise InputError(f"{folder}: no complete runs yet (no runs/*/run.json)", hint=hint)
    data.devices = _devices_used(data)
    data.device_files = _device_files(data)
    return data


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / "sweep.yaml"
    if not path.is_file():
        return {}
    from ferrosim.io.yaml_source import load_yaml

    meta = load_yaml(path)[0]  # InputError names the file and line
    return meta if isinstance(meta, dict) else {}


def _candidates(folder: Path, written: str | None) -> list[Path]:
    """Where a path written relative to the sweep's working directory may be now."""
    if not written:
        return []
    path = Path(written).expanduser()
    if path.is_absolute():
        return [path]
    # the sweep ran in some directory: usually here, or the project holding results/<name>/
    return [Path.cwd() / path, folder.resolve().parent.parent / path]


def _find_missing(data: SweepData) -> None:
    """Planned runs without run.json, from the config stored in sweep.yaml."""
    from ferrosim.sweeps.plan import expand

    meta = data.meta
    complete = set(data.summary["run_id"])
    failed = {}
    for path in sorted((data.folder / "runs").glob("*/failed.json")):
        try:
            failed[path.parent.name] = json.loads(path.read_text()).get("error")
        except (OSError, json.JSONDecodeError):
            failed[path.parent.name] = "failed (unreadable failed.json)"
    raw = meta.get("config")
    plan = None
    reason = None
    if isinstance(raw, dict):
        sources = [p for p in _candidates(data.folder, meta.get("config_file")) if p.is_file()]
        source = sources[0] if sources else Path(str(meta.get("config_file") or "sweep.yaml"))
        try:
            plan = expand(raw, source, {})
        except Exception as exc:  # noqa: BLE001 - a plan that cannot be rebuilt only loses the list
            reason = " ".join(str(exc).split())
    else:
        reason = "sweep.yaml holds no config"
    if plan is not None:
        data.planned = len(plan.runs)
        data.outside_plan = len(complete - {run.run_id for run in plan.runs})
        for run in plan.runs:
            if run.run_id not in complete:
                data.missing.append(MissingRun(data.label, run.run_id, run.label,
                                               failed.get(run.run_id)))
        return
    planned = meta.get("runs")
    data.planned = int(planned) if isinstance(planned, int) else None
    for run_id, error in failed.items():
        if run_id not in complete:
            data.missing.append(MissingRun(data.label, run_id, "(failed run)", error))
    if data.planned is not None:
        data.missing_unlisted = max(0, data.planned - len(complete) - len(data.missing))
    data.plan_note = f"the planned runs could not be rebuilt from sweep.yaml ({reason})" if reason else None


def _devices_used(data: SweepData) -> list[DeviceUsed]:
    """Each (device, pulse width) response the sweep's device runs used, from their configs."""
    found: dict[tuple, DeviceUsed] = {}
    for row in data.summary.itertuples(index=False):
        if row.algorithm == "ideal" or _missing(row.pulse_width_s):
            continue
        dev = data.configs.get(row.run_id, {}).get("device", {})
        response = dev.get("response")
        if not isinstance(response, dict):
            continue
        name = str(dev.get("name") or response.get("model", "device"))
        key = (name, float(row.pulse_width_s), json.dumps(response, sort_keys=True))
        if key not in found:
            found[key] = DeviceUsed(name, float(row.pulse_width_s), response, dev.get("energy_up_J"),
                                    dev.get("energy_down_J"), bool(dev.get("synthetic")), dev.get("file"))
    return sorted(found.values(), key=lambda d: (d.device, d.pulse_width_s))


def _device_files(data: SweepData) -> list[DeviceFileInfo]:
    """The device files the runs name, resolved like the sweep did (relative to its config)."""
    from ferrosim.device.file import load_device_file

    written = sorted({d.file for d in data.devices if d.file})
    config_file = data.meta.get("config_file")
    bases = [p.parent for p in _candidates(data.folder, config_file)] if config_file else []
    out = []
    for name in written:
        path = Path(name).expanduser()
        tries = [path] if path.is_absolute() else [b / path for b in bases] + _candidates(data.folder, name)
        hit = next((p for p in tries if p.is_file()), None)
        info = DeviceFileInfo(written=name, path=hit, synthetic=None, note=None, command=None)
        if hit is not None:
            try:
                dev = load_device_file(hit)
            except InputError:
                info.note = "could not be read as a device file"
            else:
                info.synthetic = dev.synthetic
                info.note = dev.provenance.get("note")
                info.command = dev.provenance.get("command")
                info.energy_sources = sorted({e.energy_per_pulse_J.source for d in dev.devices.values()
                                              for e in d.pulse_widths.values()})
        else:
            flags = {d.synthetic for d in data.devices if d.file == name}
            info.synthetic = True if True in flags else (False if flags else None)
        out.append(info)
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _unique_labels(sweeps: list[SweepData]) -> None:
    """Two folders of the same sweep name are told apart by their folder names."""
    counts: dict[str, int] = {}
    for s in sweeps:
        counts[s.label] = counts.get(s.label, 0) + 1
    for s in sweeps:
        if counts[s.label] > 1:
            s.label = f"{s.label} ({s.folder})"
    for s in sweeps:
        for m in s.missing:
            m.sweep = s.label


__all__ = ["DeviceFileInfo", "DeviceUsed", "MissingRun", "SweepData", "check_folder", "distinct_runs", "load_sweep",
           "load_sweeps"]
