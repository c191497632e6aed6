"""The `wgfmu` reader: Keysight WGFMU `*_Summary.dat` pulsed amplitude sweeps (the HZO devices
of `../shared/data/hzo/`).

A header block of alternating name and value lines, then `Pulse Number, index, Pulse Amplitude
(V), R_low (ohm), R_high (ohm)` rows. G = mean(1/R_low, 1/R_high); negative amplitude
potentiates, so a ramp ends where the amplitude's sign changes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferrosim.errors import InputError
from ferrosim.io.cells import cells as _cells
from ferrosim.io.cells import conductance as _conductance
from ferrosim.io.cells import number as _number
from ferrosim.io.measurement_data import Ramp, Trace, assign_cycles
from ferrosim.io.readers.common import data_rows
from ferrosim.io.sidecar import Context, file_settings, pick_device, pick_pulse_width

WGFMU_READ_VOLTAGE_V = 0.1


def read(path: Path, text: str, ctx: Context) -> tuple[list[Trace], list[Path]]:
    return [_read_wgfmu(path, text, ctx)], [path]


def _read_wgfmu(path: Path, text: str, ctx: Context) -> Trace:
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
    for n, cells in data_rows(lines, header_at, header, path):
        values = [_number(c, path, n, header[j]) for j, c in enumerate(cells)]
        r_low, r_high = values[cols["rlo"]], values[cols["rhi"]]
        if r_low <= 0 or r_high <= 0:
            raise InputError(f"resistance must be positive, got R_low={cells[cols['rlo']]}, "
                             f"R_high={cells[cols['rhi']]}", file=path, line=n)
        amps.append(values[cols["amp"]])
        g.append(_conductance(0.5 * (1.0 / r_low + 1.0 / r_high), path, n,  # two reads of the same state
                              "R_low, R_high: the conductance"))  # (hzo README)
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

    s = file_settings(ctx, path)
    notes: list[str] = ["WGFMU pulsed amplitude sweep: the amplitude changes every pulse "
                        "(Ramp.amplitude_V); negative amplitude potentiates"]
    pw = pick_pulse_width(file_pw, s, notes)
    fallback = path.name.split("_run")[0] if "_run" in path.name else path.name.removesuffix("_Summary.dat")
    dev = pick_device(file_device, s, fallback, notes)

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
