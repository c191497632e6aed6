"""`fit-device` from input path to device file: read, group, fit, add energy, write, plot."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ferrosim.version import package_version
from ferrosim.device.energy_gaps import energy_gap_text, energy_gaps, energy_warnings
from ferrosim.device.fitting import FitResult, d2d_estimate, fit_step_table, fit_traces
from ferrosim.energy.geometry import device_area
from ferrosim.energy.inputs import DirectionPulses, PulseElectrical
from ferrosim.energy.model import EnergyConfig, resolve
from ferrosim.energy.terms import capacitance_F
from ferrosim.errors import InputError
from ferrosim.energy.iv_table import read_iv_table
from ferrosim.device.file import DeviceEntry, DeviceFile, EnergyEntry, PulseWidthEntry, write_device_file
from ferrosim.io.measurement_data import Sidecar, StepTable, Trace
from ferrosim.units import format_pulse_width


@dataclass
class FitRun:
    """What one `fit-device` call produced."""

    results: list[FitResult]
    device_file: DeviceFile
    output: Path
    figures: list[Path] = field(default_factory=list)
    sweep_config: Path | None = None
    warnings: list[str] = field(default_factory=list)
    """One line each, for the person running the fit (the CLI prints them as `warning: ...`, the
    API raises them as `ferrosim.FerrosimWarning`): symmetry points outside the data's interval,
    I-V sweeps left out, and each set of pulse widths without an energy per pulse."""

    @property
    def notes(self) -> list[str]:
        """The same lines as `warnings`."""
        return self.warnings


def fit_path(path: str | Path | list, output: str | Path | None = None, *, model: str = "auto",
             fmt: str | None = None, pulse_width: str | None = None, read_voltage_V: float | None = None,
             device: str | None = None, refine: str = "steps", figures: bool = True,
             command: str | None = None, columns=None, sweep_config: str | Path | None = None,
             iv: str | Path | None = None, directions: dict[str, str] | None = None,
             decimal: str | None = None) -> FitRun:
    """Fit every (device, pulse width) found in `path` (a file, a folder, or a list of them:
    cycles and repeats of one device and pulse width are pooled across all) and write one
    device file. The sidecar of the first path's folder applies. `columns`
    (ferrosim.io.readers.lab_columns.ColumnMap) maps the columns of lab exports, over the sidecar's.
    `sweep_config`: also write a sweep config for the device file (ferrosim.device.sweep_config);
    a single device only, and never over an existing file. `iv`: a DC I-V sweep file or folder
    (default: measurements.yaml `iv:`), paired with the devices by name
    (ferrosim.device.iv_pairing): their measured conduction during a pulse. `directions`
    (`--direction`, {file: up|down}) and `decimal` (`--decimal`) say how lab tables are laid out
    (docs/lab-data.md)."""
    from ferrosim.io.measurements import read_path

    paths = [Path(p) for p in (path if isinstance(path, (list, tuple)) else [path])]
    path = paths[0]
    layout = {"directions": directions, "decimal": decimal}
    measurements, sidecar, files = read_path(path, fmt, pulse_width=pulse_width,
                                             read_voltage_V=read_voltage_V, device=device, columns=columns, **layout)
    for extra in paths[1:]:
        more, _, more_files = read_path(extra, fmt, sidecar, pulse_width=pulse_width,
                                        read_voltage_V=read_voltage_V, device=device, columns=columns, **layout)
        measurements += more
        files += [f for f in more_files if f not in files]
    if not measurements:
        raise InputError("no measurement files found", file=path)
    _check_directions(directions or {}, files)
    # every output is checked before the fit, so a bad one costs no fitting and writes nothing
    inputs = _input_files(paths, files, sidecar)
    out = _output_path(output, path, sidecar, inputs)
    if sweep_config is not None:
        from ferrosim.device.sweep_config import check_one_device, check_sweep_config_path

        sweep_config = Path(sweep_config)
        check_sweep_config_path(sweep_config)
        if sweep_config.resolve() in inputs | {out.resolve()}:
            raise InputError(f"--sweep-config {sweep_config}: is "
                             + ("the device file (-o)" if sweep_config.resolve() == out.resolve() else
                                "an input of this fit"), hint="name another file")
        widths: dict[str, list[float | None]] = defaultdict(list)
        for m in measurements:
            widths[m.device].append(m.pulse_width_s)
        check_one_device(widths)
    root = path if path.is_dir() else path.parent
    pairing = _iv_pairing(iv, root, measurements, sidecar)
    if out.resolve() in {Path(f).resolve() for f in pairing.files}:
        raise InputError(f"-o {out}: is an I-V sweep read by this fit", hint="name another file, e.g. devices/<device>.yaml")
    files += [f for f in pairing.files if f not in files]
    results, estimates, stuck = _fit_all(measurements, model, refine)
    entries: dict[str, dict[str, PulseWidthEntry]] = defaultdict(dict)
    by_width: dict[str, list[FitResult]] = defaultdict(list)
    windows = _polarization_windows(results)
    warnings = list(pairing.warnings) + stuck
    for res in results:
        label = format_pulse_width(res.pulse_width_s)
        fit = _fit_record(res, path)
        agrees = _with_data_symmetry(fit, estimates.get((res.device, res.pulse_width_s)))
        if agrees is False:
            iv = fit["symmetry_point_data"]["interval_68"]
            warnings.append(f"{res.device} {label}: the fitted {res.model.model} model's symmetry point "
                            f"{fit['symmetry_point']:+.2f} lies outside the data's 68% interval "
                            f"{iv[0]:+.2f}..{iv[1]:+.2f} (data estimate {fit['symmetry_point_data']['data']:+.2f}); "
                            "plain SGD's accuracy turns on it (docs/fitting.md)")
        electrical = _electrical(res, measurements, sidecar, label, root)
        if electrical is not None:
            electrical = electrical.model_copy(update={"iv_curve": pairing.curves.get(res.device),
                                                       "polarization_window_S": windows.get(res.device)})
        entries[res.device][label] = PulseWidthEntry(
            pulse_width_s=res.pulse_width_s, response=res.model,
            conductance_range_S=list(res.range_S) if res.range_S else None,
            energy_per_pulse_J=_energy(res, measurements, sidecar, label, electrical),
            electrical=electrical,
            fit=fit,
        )
        by_width[label].append(res)
    d2d = {}
    for label, group in by_width.items():
        if len(group) >= 2:
            d2d[label] = {**d2d_estimate(group), "devices": [r.device for r in group]}
    data = DeviceFile(
        synthetic=sidecar.synthetic,
        provenance={
            "ferrosim_version": package_version(),
            "command": command,
            "note": sidecar.provenance,
            "settings": {"model": model, "refine": refine, "format": fmt, "pulse_width": pulse_width,
                         "read_voltage_V": read_voltage_V, "device": device,
                         **({"columns": dict(columns.columns), "units": dict(columns.units)}
                            if columns is not None and (columns or columns.units) else {}),
                         "normalisation": "measured conductance range -> [-1, 1] per device and pulse width"},
            "inputs": [{"path": _relative(f, root), "sha256": _sha256(f)} for f in files],
        },
        devices={name: DeviceEntry(pulse_widths=dict(sorted(w.items(), key=lambda kv: kv[1].pulse_width_s or 0)))
                 for name, w in entries.items()},
        d2d_estimates=d2d,
    )
    if sweep_config is not None:
        from ferrosim.device.sweep_config import sweep_config_text

        config_text = sweep_config_text(data, out, sweep_config, command)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_device_file(data, out)
    if sweep_config is not None:
        from ferrosim.io.atomic import atomic_write

        atomic_write(sweep_config, config_text)
    figs: list[Path] = []
    if figures:
        from ferrosim.device.fit_plots import plot_fits

        figs = plot_fits(results, data, out.with_suffix("").with_name(out.stem + "-figures"))
    return FitRun(results, data, out, figs, sweep_config, [*warnings, *energy_warnings(data)])


SYMMETRY_MAX_STEPS = 5000
"""Above this many measured steps per device and width (a long CrossSim trace: 13,000) the data's
symmetry point is not estimated at fit time: each bootstrap draw refits both mean-step curves
(O(steps x 200 states)), which would take minutes; every HZO file has a few hundred."""
SYMMETRY_BOOT = 500
"""Bootstrap draws of the data's symmetry point per fitted width (ferrosim.device.symmetry; about
0.1-0.5 s each): enough for the 68% and 95% percentile intervals to two decimals."""


def _data_symmetry(traces: list[Trace]):
    """The data's symmetry point estimate of one device and width (ferrosim.device.symmetry), or
    a reason string where it is not estimated."""
    from ferrosim.device.symmetry import symmetry_from_traces

    steps = sum(len(r.values) for t in traces for r in t.ramps)
    if steps > SYMMETRY_MAX_STEPS:
        return (f"not estimated: {steps} steps, more than {SYMMETRY_MAX_STEPS} (the bootstrap's cost "
                "grows with the steps; call ferrosim.device.symmetry.symmetry_from_traces on them directly)")
    return symmetry_from_traces(traces, n_boot=SYMMETRY_BOOT, rng=0)


def _with_data_symmetry(fit: dict, est) -> bool | None:
    """Record the symmetry point from the measured steps beside the model's (issue 25): the
    estimate, its 68% and 95% bootstrap intervals; and whether the model's lies inside the 68%
    interval (None when there is no interval: a step table, or no crossing in the data).
    `est`: `_data_symmetry`'s answer, None for a fit without traces."""
    if est is None or "symmetry_point" not in fit:
        return None
    if isinstance(est, str):
        fit["symmetry_point_data"] = {"model": fit["symmetry_point"], "data": None, "reason": est}
        return None
    record = est.record()
    fit["symmetry_point_data"] = {"model": fit["symmetry_point"], **record}
    iv = record["interval_68"]  # +-inf on a side where draws had no crossing
    if record["data"] is None or iv is None:
        return None
    agrees = bool(iv[0] <= fit["symmetry_point"] <= iv[1])
    fit["symmetry_point_data"]["model_inside_68"] = agrees
    if not agrees:
        fit["quality_flags"] = [*fit.get("quality_flags", []), "model symmetry point outside the data's 68% interval"]
    return agrees


def _traces_of(res: FitResult, measurements) -> list[Trace]:
    """The measured traces behind one fit (its device and pulse width, every file and cycle)."""
    return [m for m in measurements if isinstance(m, Trace) and m.device == res.device
            and m.pulse_width_s == res.pulse_width_s]


def _iv_pairing(iv: str | Path | None, root: Path, measurements, sidecar: Sidecar):
    """The devices' I-V curves from `--iv` (relative to the working directory) or the sidecar's
    `iv:` (relative to its folder); an empty pairing when neither names one."""
    from ferrosim.device.iv_pairing import IVPairing, pair_iv

    if iv is None and sidecar.iv is None:
        return IVPairing()
    where = Path(iv) if iv is not None else root / sidecar.iv
    traces = [m for m in measurements if isinstance(m, Trace)]
    return pair_iv(where, traces, sidecar)


def _polarization_windows(results: list[FitResult]) -> dict[str, list[float]]:
    """Per device, the widest measured conductance range over its pulse widths: the window a full
    polarization reversal spans (the switching charge's normalisation, docs/physics.md)."""
    out: dict[str, list[float]] = {}
    for res in results:
        if res.range_units != "S" or not res.range_S:
            continue
        lo, hi = (float(x) for x in res.range_S)
        best = out.get(res.device)
        if best is None or hi - lo > best[1] - best[0]:
            out[res.device] = [lo, hi]
    return out


def _input_files(paths: list[Path], files: list[Path], sidecar: Sidecar) -> set[Path]:
    """Every file this fit reads or may read (resolved): data files, the sidecars of the input
    folders and the I-V tables they name. No output may replace one of them."""
    from ferrosim.io.sidecar import SIDECAR_NAME

    folders = {(p if p.is_dir() else p.parent).resolve() for p in paths}
    tables = [t for t in [sidecar.iv_table, *(i.iv_table for i in sidecar.pulse_widths.values())] if t]
    return ({Path(f).resolve() for f in files} | {d / SIDECAR_NAME for d in folders}
            | {(d / t).resolve() for d in folders for t in tables})


def _output_path(output: str | Path | None, path: Path, sidecar: Sidecar, inputs: set[Path]) -> Path:
    """`-o`, checked against the inputs; by default devices/<device name in measurements.yaml,
    else the input's name>.yaml, never named like the sidecar nor replacing an input."""
    from ferrosim.io.sidecar import SIDECAR_NAME

    if output is not None:
        out = Path(output)
        if out.resolve() in inputs:
            raise InputError(f"-o {out}: is an input of this fit (a measurement file, measurements.yaml "
                             "or an I-V table)", hint="name another file, e.g. devices/<device>.yaml")
        return out
    stem = sidecar.device_name or (path.resolve().name if path.is_dir() else path.stem)
    name = re.sub(r"[/\\]+", "_", stem).lstrip(".") or "device"  # one file name, not a path
    out = Path("devices") / f"{name}.yaml"
    if out.name == SIDECAR_NAME or out.resolve() in inputs:
        out = out.with_name(f"{out.stem}-device.yaml")
    return out


def _check_directions(directions: dict[str, str], files: list[Path]) -> None:
    """Every `--direction FILE=...` names a file that was read (a typo is not silently unused)."""
    from ferrosim.io.sidecar import direction_matches

    for key, value in directions.items():
        if not any(direction_matches(key, Path(f)) for f in files):
            raise InputError(f"--direction {key}={value}: no file read is named {key}",
                             hint="files read: " + ", ".join(Path(f).name for f in files[:8])
                             + (", ..." if len(files) > 8 else ""))


def _one_direction(name: str, pw: float | None, traces: list[Trace]) -> None:
    """One line for a device whose files hold one direction only (its partner file not found)."""
    from ferrosim.io.readers.lab_layout import PAIRING_HINT

    held = {r.direction for t in traces for r in t.ramps}
    if len(held) != 1:
        return
    have = held.pop()
    files = ", ".join(sorted({Path(t.source).name for t in traces}))
    raise InputError(f"{name} at {format_pulse_width(pw)}: {files} hold{'s' if ', ' not in files else ''} only "
                     f"{have} pulses and no file of this device and pulse width holds "
                     f"{'down' if have == 'up' else 'up'} pulses", file=traces[0].source, hint=PAIRING_HINT)


def _fit_all(measurements, model: str, refine: str) -> tuple[list[FitResult], dict, list[str]]:
    """Every fit, the data's symmetry point of each (device, width) with traces (an `auto` fit
    passes over a model whose g* is outside its 68% interval), and a warning line per device
    and width with reads stuck at an instrument limit (ferrosim.device.stuck_reads)."""
    from ferrosim.device.stuck_reads import drop_stuck_reads

    groups: dict[tuple[str, float | None], list[Trace]] = defaultdict(list)
    results = []
    estimates: dict[tuple[str, float | None], object] = {}
    stuck: list[str] = []
    for m in measurements:
        if isinstance(m, StepTable):
            results.append(fit_step_table(m))
        else:
            groups[(m.device, m.pulse_width_s)].append(m)
    for (name, pw), traces in groups.items():
        units = {t.units for t in traces}
        if len(units) > 1:
            raise InputError(f"{name} at {format_pulse_width(pw)} mixes conductance and normalised data",
                             file=traces[0].source)
        _one_direction(name, pw, traces)
        traces, notes = drop_stuck_reads(traces)
        stuck += [f"{name} {format_pulse_width(pw)}: {note}" for note in notes]
        est = estimates[(name, pw)] = _data_symmetry(traces)
        iv = None if isinstance(est, str) or est.value is None else est.interval_68
        try:
            results.append(fit_traces(traces, model, refine, symmetry_68=iv))
        except ValueError as exc:
            raise InputError(f"cannot fit {name} at {format_pulse_width(pw)}: {exc}", file=traces[0].source) from None
        results[-1].notes[:0] = notes
    results.sort(key=lambda r: (r.device, r.pulse_width_s or 0.0))
    return results, estimates, stuck


def _electrical(res: FitResult, measurements, sidecar: Sidecar, label: str, root: Path) -> PulseElectrical | None:
    """The measured facts the energy model prices (None without siemens, width or amplitudes)."""
    if res.range_units != "S" or res.pulse_width_s is None:
        return None
    traces = _traces_of(res, measurements)
    info = sidecar.pulse_widths.get(label)
    area, area_note = device_area(sidecar.geometry, res.device)
    directions = {}
    for direction, is_up in (("up", True), ("down", False)):
        cols: dict[str, list] = {"amplitude_V": [], "read_conductance_S": [], "read_conductance_same_polarity_S": [],
                                 "step_S": [], "current_A": []}
        for r in res.ramps:
            if r.up != is_up or r.conductance_S is None:
                continue
            n = len(r.states) - 1
            a = r.amplitude_V
            if a is None and info is not None and info.amplitude_V is not None:
                a = np.full(n, info.amplitude_V)
            if a is None:
                continue
            a = np.asarray(a, dtype=float)[:n]
            cols["amplitude_V"].append(np.abs(a))
            cols["read_conductance_S"].append(r.conductance_S[1:])
            cols["step_S"].append(np.abs(np.diff(r.conductance_S)))
            # the read at the pulse's own polarity: column 0 was read at -V_read, column 1 at +V_read
            cols["read_conductance_same_polarity_S"].append(
                None if r.read_polarity_S is None else np.where(a < 0, r.read_polarity_S[:n, 0], r.read_polarity_S[:n, 1]))
            cols["current_A"].append(None if r.current_A is None else np.abs(r.current_A[:n]))
        if not cols["amplitude_V"]:
            return None
        directions[direction] = DirectionPulses(**{
            k: (None if any(v is None for v in vals) else [float(x) for x in np.concatenate(vals)])
            for k, vals in cols.items()})
    read_v = next((t.read_voltage_V for t in traces if t.read_voltage_V is not None), None)
    table_file = (info.iv_table if info is not None and info.iv_table else None) or sidecar.iv_table
    return PulseElectrical(
        pulse_width_s=res.pulse_width_s, area_um2=area, area_note=area_note,
        thickness_nm=sidecar.geometry.thickness_nm, permittivity=sidecar.geometry.permittivity,
        read_voltage_V=read_v, conductance_range_S=list(res.range_S) if res.range_S else None,
        conductance_during_pulse_S=info.conductance_during_pulse_S if info is not None else None,
        iv_table=read_iv_table(root / table_file) if table_file else None,
        up=directions["up"], down=directions["down"],
    )


def _energy(res: FitResult, measurements, sidecar: Sidecar, label: str,
            electrical: PulseElectrical | None) -> EnergyEntry:
    traces = _traces_of(res, measurements)
    measured_up = [t.energy_up_J for t in traces if t.energy_up_J is not None]
    measured_down = [t.energy_down_J for t in traces if t.energy_down_J is not None]
    if measured_up and measured_down:
        return EnergyEntry(up=float(np.mean(measured_up)), down=float(np.mean(measured_down)),
                           source="measured", note="energy_J column of the measurement files")
    info = sidecar.pulse_widths.get(label)
    if info is not None and info.energy_per_pulse_J is not None:
        return EnergyEntry(up=info.energy_per_pulse_J.up, down=info.energy_per_pulse_J.down,
                           source="measured", note="measurements.yaml energy_per_pulse_J")
    if electrical is None or electrical.area_um2 is None:
        gaps = energy_gaps(res, sidecar, label)
        return EnergyEntry(source="unknown", missing=gaps,
                           note=f"no energy per pulse: {energy_gap_text(gaps, label)}")
    # The default energy model, for people reading the file; runs reprice from `electrical`.
    cfg = EnergyConfig(digital=False)  # conduction: measured where the data price it, else read
    plan = resolve(cfg, electrical)
    measured = "conduction[measured]" in plan.name
    assumed = "conduction[assumed]" in plan.name or "conduction[measured/assumed]" in plan.name
    pp = plan.central
    return EnergyEntry(
        up=pp.total[0], down=pp.total[1], source="estimated", model=plan.name,
        capacitive_up_J=pp.capacitive[0], conduction_up_J=pp.conduction[0], switching_up_J=pp.switching[0],
        capacitive_down_J=pp.capacitive[1], conduction_down_J=pp.conduction[1], switching_down_J=pp.switching[1],
        amplitude_up_V=float(np.mean(electrical.up.amplitude_V)),
        amplitude_down_V=float(np.mean(electrical.down.amplitude_V)),
        capacitance_F=capacitance_F(electrical.area_um2, electrical.thickness_nm, electrical.permittivity),
        note=f"{plan.name}, mean over the measured pulses; {electrical.area_note}; thickness "
        f"{electrical.thickness_nm:g} nm, eps_r {electrical.permittivity:g}; P_r {cfg.polarization_uC_per_cm2:g} uC/cm^2; "
        + ("conduction from the measured current" if measured else
           "conduction at the conductance during the pulse stated in measurements.yaml (an assumption, not a "
           "measurement)" if assumed else
           "conduction at the read conductance (a lower bound: the device conducts more at the programming "
           "voltage); runs reprice under their energy: section (docs/physics.md)"),
    )


POOR_FIT_R2 = 0.5
"""A fit whose trace R^2 is below this is flagged poor: the model then explains less than half
of the measured conductance trace's variance (docs/fitting.md)."""


def fit_quality(res: FitResult) -> str:
    """good | poor (trace R^2 below POOR_FIT_R2) | unknown (no trace to compare)."""
    r2 = res.stats.get("trace_r2")
    if r2 is None:
        return "unknown"
    return "poor" if r2 < POOR_FIT_R2 else "good"


def _fit_record(res: FitResult, root: Path) -> dict:
    rec = {
        "model": res.model.model,
        "quality": fit_quality(res),
        "chosen_because": res.reason,
        "heldout_step_rmse": res.candidates or None,
        "parameters": {k: {"value": v, "stderr": s} for k, (v, s) in res.params.items()} or None,
    }
    rec.update({k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in res.stats.items()})
    rec["sources"] = [_relative(Path(s), root if root.is_dir() else root.parent) for s in res.sources]
    rec["notes"] = res.notes or None
    return rec


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return Path(path).name


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
