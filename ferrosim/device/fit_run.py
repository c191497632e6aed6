"""`fit-device` from input path to device file: read, group, fit, add energy, write, plot."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ferrosim import __version__
from ferrosim.device import energy as energy_mod
from ferrosim.device.fitting import FitResult, d2d_estimate, fit_step_table, fit_traces
from ferrosim.errors import InputError
from ferrosim.io.device_file import DeviceEntry, DeviceFile, EnergyEntry, PulseWidthEntry, write_device_file
from ferrosim.io.measurement_data import Sidecar, StepTable, Trace
from ferrosim.units import format_pulse_width


@dataclass
class FitRun:
    """What one `fit-device` call produced."""

    results: list[FitResult]
    device_file: DeviceFile
    output: Path
    figures: list[Path] = field(default_factory=list)


def fit_path(path: str | Path | list, output: str | Path | None = None, *, model: str = "auto",
             fmt: str | None = None, pulse_width: str | None = None, read_voltage_V: float | None = None,
             device: str | None = None, refine: str = "steps", figures: bool = True,
             command: str | None = None) -> FitRun:
    """Fit every (device, pulse width) found in `path` (a file, a folder, or a list of them:
    cycles and repeats of one device and pulse width are pooled across all) and write one
    device file. The sidecar of the first path's folder applies."""
    from ferrosim.io.measurements import read_path

    paths = [Path(p) for p in (path if isinstance(path, (list, tuple)) else [path])]
    path = paths[0]
    measurements, sidecar, files = read_path(path, fmt, pulse_width=pulse_width,
                                             read_voltage_V=read_voltage_V, device=device)
    for extra in paths[1:]:
        more, _, more_files = read_path(extra, fmt, sidecar, pulse_width=pulse_width,
                                        read_voltage_V=read_voltage_V, device=device)
        measurements += more
        files += [f for f in more_files if f not in files]
    if not measurements:
        raise InputError("no measurement files found", file=path)
    results = _fit_all(measurements, model, refine)
    entries: dict[str, dict[str, PulseWidthEntry]] = defaultdict(dict)
    by_width: dict[str, list[FitResult]] = defaultdict(list)
    for res in results:
        label = format_pulse_width(res.pulse_width_s)
        entries[res.device][label] = PulseWidthEntry(
            pulse_width_s=res.pulse_width_s, response=res.model,
            conductance_range_S=list(res.range_S) if res.range_S else None,
            energy_per_pulse_J=_energy(res, measurements, sidecar, label),
            fit=_fit_record(res, path),
        )
        by_width[label].append(res)
    d2d = {}
    for label, group in by_width.items():
        if len(group) >= 2:
            d2d[label] = {**d2d_estimate(group), "devices": [r.device for r in group]}
    root = path if path.is_dir() else path.parent
    out = Path(output) if output else Path("devices") / f"{(sidecar.device_name or path.stem) if not path.is_dir() else path.resolve().name}.yaml"
    data = DeviceFile(
        synthetic=sidecar.synthetic,
        provenance={
            "ferrosim_version": __version__,
            "command": command,
            "note": sidecar.provenance,
            "settings": {"model": model, "refine": refine, "format": fmt, "pulse_width": pulse_width,
                         "read_voltage_V": read_voltage_V, "device": device,
                         "normalisation": "measured conductance range -> [-1, 1] per device and pulse width"},
            "inputs": [{"path": _relative(f, root), "sha256": _sha256(f)} for f in files],
        },
        devices={name: DeviceEntry(pulse_widths=dict(sorted(w.items(), key=lambda kv: kv[1].pulse_width_s or 0)))
                 for name, w in entries.items()},
        d2d_estimates=d2d,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_device_file(data, out)
    figs: list[Path] = []
    if figures:
        from ferrosim.device.fit_plots import plot_fits

        figs = plot_fits(results, data, out.with_suffix("").with_name(out.stem + "-figures"))
    return FitRun(results, data, out, figs)


def _fit_all(measurements, model: str, refine: str) -> list[FitResult]:
    groups: dict[tuple[str, float | None], list[Trace]] = defaultdict(list)
    results = []
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
        try:
            results.append(fit_traces(traces, model, refine))
        except ValueError as exc:
            raise InputError(f"cannot fit {name} at {format_pulse_width(pw)}: {exc}", file=traces[0].source) from None
    results.sort(key=lambda r: (r.device, r.pulse_width_s or 0.0))
    return results


def _energy(res: FitResult, measurements, sidecar: Sidecar, label: str) -> EnergyEntry:
    traces = [m for m in measurements if isinstance(m, Trace) and m.device == res.device
              and m.pulse_width_s == res.pulse_width_s]
    measured_up = [t.energy_up_J for t in traces if t.energy_up_J is not None]
    measured_down = [t.energy_down_J for t in traces if t.energy_down_J is not None]
    if measured_up and measured_down:
        return EnergyEntry(up=float(np.mean(measured_up)), down=float(np.mean(measured_down)),
                           source="measured", note="energy_J column of the measurement files")
    info = sidecar.pulse_widths.get(label)
    if info is not None and info.energy_per_pulse_J is not None:
        return EnergyEntry(up=info.energy_per_pulse_J.up, down=info.energy_per_pulse_J.down,
                           source="measured", note="measurements.yaml energy_per_pulse_J")
    if res.range_units != "S" or res.pulse_width_s is None:
        return EnergyEntry(source="unknown", note="needs conductance in siemens and a pulse width")
    cap = energy_mod.capacitance(sidecar.geometry, res.device)
    if cap.farad is None:
        return EnergyEntry(source="unknown", note=cap.note)
    out = {}
    for direction, is_up in (("up", True), ("down", False)):
        amps, cond = [], []
        for r in res.ramps:
            if r.up != is_up or r.conductance_S is None:
                continue
            n = len(r.states) - 1
            a = r.amplitude_V
            if a is None and info is not None and info.amplitude_V is not None:
                a = np.full(n, info.amplitude_V)
            if a is None:
                continue
            amps.append(np.asarray(a)[:n])
            during = info.conductance_during_pulse_S if info is not None else None
            cond.append(np.full(n, during) if during is not None else r.conductance_S[1:])
        if not amps:
            return EnergyEntry(source="unknown", capacitance_F=cap.farad,
                               note="no pulse amplitude: give pulse_widths.<pw>.amplitude_V in measurements.yaml")
        out[direction] = energy_mod.estimate(np.concatenate(amps), np.concatenate(cond), res.pulse_width_s, cap.farad)
    return EnergyEntry(
        up=out["up"]["total_J"], down=out["down"]["total_J"], source="estimated",
        capacitive_up_J=out["up"]["capacitive_J"], resistive_up_J=out["up"]["resistive_J"],
        capacitive_down_J=out["down"]["capacitive_J"], resistive_down_J=out["down"]["resistive_J"],
        amplitude_up_V=out["up"]["mean_abs_amplitude_V"], amplitude_down_V=out["down"]["mean_abs_amplitude_V"],
        capacitance_F=cap.farad,
        note=f"E = C*V^2 + V^2*G*pw, mean over the measured pulses; {cap.note}; G = "
        + ("conductance_during_pulse_S from measurements.yaml" if info is not None and info.conductance_during_pulse_S
           else "the read conductance after each pulse (a lower bound if the device conducts more at "
                "the programming voltage)"),
    )


def _fit_record(res: FitResult, root: Path) -> dict:
    rec = {
        "model": res.model.model,
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
