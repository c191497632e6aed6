"""Pair each device of a fit with its measured DC I-V sweep (fit-device `--iv`, measurements.yaml
`iv:`), so the energy model prices conduction during a pulse from what the device conducted.

Rules (issue 24):
- by device name: a sweep is used for the pulse files of the device it names;
- several sweeps of one device: the one taken nearest before that device's first pulse run (the
  sweep's header time against the time stamp in the pulse files' names); if every sweep was
  taken after the pulse runs, the earliest of them, and the note says so;
- a shorted or ohmic sweep (`iv_curve.shorted_reason`) gets one warning line and is not used;
- which branch potentiates comes from the pulse data's own sign convention: the sign of the
  up (potentiating) pulses' amplitudes, else measurements.yaml `potentiating_polarity`; never a
  guess (an InputError when neither says).
A sweep file naming a device no pulse file holds, or a folder with no sweep of any fitted
device, is bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ferrosim.energy.iv_curve import IVCurve, iv_curve_from_sweep, shorted_reason
from ferrosim.errors import InputError
from ferrosim.io.measurement_data import Sidecar, Trace
from ferrosim.io.readers.dciv import IVSweep, read_iv_sweeps

_STAMP = re.compile(r"(?<!\d)(20\d{6})_?(\d{6})(?!\d)")


@dataclass
class IVPairing:
    """The I-V curve of each paired device and what was said about the choice."""

    curves: dict[str, IVCurve] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """device -> which sweep was used and why (copied into the device file)."""
    warnings: list[str] = field(default_factory=list)
    """One line each: shorted sweeps left out, devices without a usable sweep."""
    files: list[Path] = field(default_factory=list)
    """Every sweep file read (inputs of the fit)."""


def file_time(path: Path) -> datetime | None:
    """The time stamp in a measurement file's name (`..._20241024104937_Summary.dat`)."""
    m = _STAMP.search(Path(path).name)
    if m is None:
        return None
    try:
        return datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def potentiating_sign(traces: list[Trace], sidecar: Sidecar) -> float | None:
    """-1.0 when negative pulses potentiate, +1.0 when positive ones do; from the signed
    amplitudes of the up ramps (else the down ramps), else the sidecar; None when unknown."""
    for want_up in (True, False):
        amps = [np.asarray(r.amplitude_V, dtype=float) for t in traces for r in t.ramps
                if (r.direction == "up") == want_up and r.amplitude_V is not None]
        values = np.concatenate(amps) if amps else np.array([])
        values = values[values != 0]
        if values.size and (np.all(values < 0) or np.all(values > 0)):
            sign = float(np.sign(values[0]))
            return sign if want_up else -sign
    if sidecar.potentiating_polarity is not None:
        return -1.0 if sidecar.potentiating_polarity == "negative" else 1.0
    return None


def _choose(sweeps: list[IVSweep], start: datetime | None) -> tuple[IVSweep, str]:
    timed = [s for s in sweeps if s.taken_at is not None]
    if start is not None and timed:
        before = [s for s in timed if s.taken_at <= start]
        if before:
            pick = max(before, key=lambda s: s.taken_at)
            why = f"taken {pick.taken_at:%Y-%m-%d %H:%M:%S}, the nearest before the pulse runs ({start:%H:%M:%S})"
        else:
            pick = min(timed, key=lambda s: s.taken_at)
            why = (f"taken {pick.taken_at:%Y-%m-%d %H:%M:%S}, AFTER the pulse runs ({start:%H:%M:%S}): "
                   "no sweep of this device precedes them")
    else:
        pick = max(sweeps, key=lambda s: (s.taken_at or datetime.min, s.source.name))
        why = "the latest sweep (no time stamp to compare with the pulse runs)"
    others = len(sweeps) - 1
    return pick, why + (f"; {others} other sweep(s) of this device not used" if others else "")


def pair_iv(iv_path: Path, traces: list[Trace], sidecar: Sidecar) -> IVPairing:
    """Read `iv_path` (a sweep file or a folder of them) and pair it with the fitted devices."""
    iv_path = Path(iv_path)
    if not iv_path.exists():
        raise InputError("I-V sweep file or folder not found", file=iv_path,
                         hint="--iv FILE|DIR, or iv: in measurements.yaml (relative to its folder)")
    sweeps = read_iv_sweeps(iv_path)
    devices = sorted({t.device for t in traces})
    by_device: dict[str, list[IVSweep]] = {}
    for s in sweeps:
        by_device.setdefault(s.device, []).append(s)
    matched = [d for d in devices if d in by_device]
    if not iv_path.is_dir() and not matched:
        raise InputError(f"the I-V sweep is of device {sweeps[0].device}, which no pulse file holds",
                         file=iv_path, line=None,
                         hint=f"the pulse files hold {', '.join(devices) or 'no device'}")
    if iv_path.is_dir() and not matched:
        raise InputError(f"no I-V sweep in the folder is of a fitted device ({', '.join(devices)})",
                         file=iv_path, hint="sweeps are paired by the device id in their header or name")
    out = IVPairing(files=[s.source for s in sweeps if s.device in matched])
    for device in matched:
        own = [t for t in traces if t.device == device]
        intact = []
        for s in by_device[device]:
            why = shorted_reason(s)
            if why:
                out.warnings.append(f"I-V sweep {s.source.name} of {device} is shorted or ohmic, not used: {why}")
            else:
                intact.append(s)
        if not intact:
            out.warnings.append(f"{device}: no usable I-V sweep; its conduction stays unmeasured")
            continue
        sign = potentiating_sign(own, sidecar)
        if sign is None:
            raise InputError(f"{device}: cannot tell which I-V polarity potentiates (the pulse files give "
                             "amplitude magnitudes only)", file=own[0].source,
                             hint="give potentiating_polarity: negative|positive in measurements.yaml")
        times = [t for t in (file_time(t.source) for t in own) if t is not None]
        pick, why = _choose(intact, min(times) if times else None)
        curve = iv_curve_from_sweep(pick, "potentiating" if sign < 0 else "depressing")
        out.notes[device] = (f"I-V sweep {pick.source.name}: {why}; "
                             f"{'negative' if sign < 0 else 'positive'} bias potentiates (from the pulse data)")
        out.curves[device] = curve.model_copy(update={"source": pick.source.name,
                                                      "note": f"{out.notes[device]}; {curve.note}"})
    return out


__all__ = ["IVPairing", "file_time", "pair_iv", "potentiating_sign"]
