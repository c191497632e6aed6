"""The `two-column` reader: aihwkit style traces, the normalised state after each up pulse
(column 1) and after each down pulse (column 2), without a header."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferrosim.errors import InputError
from ferrosim.io.cells import number as _number
from ferrosim.io.measurement_data import Ramp, Trace
from ferrosim.io.readers.common import EXPECTED, tokens
from ferrosim.io.sidecar import Context, file_settings


def read(path: Path, text: str, ctx: Context) -> tuple[list[Trace], list[Path]]:
    return [_read_two_column(path, text, ctx)], [path]


def _read_two_column(path: Path, text: str, ctx: Context) -> Trace:
    up, down, first = [], [], None
    for k, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        n = k + 1
        toks = tokens(raw)
        if len(toks) != 2:
            raise InputError(f"expected 2 values (state after an up pulse, after a down pulse), "
                             f"got {len(toks)}", file=path, line=n)
        up.append(_number(toks[0], path, n, "column 1 (up)"))
        down.append(_number(toks[1], path, n, "column 2 (down)"))
        first = first or n
    if not up:
        raise InputError("empty file", file=path, hint=EXPECTED)
    s = file_settings(ctx, path)
    up_v = np.asarray(up, dtype=np.float64)
    ramps = [Ramp("up", up_v, start=None, cycle=s.cycle, line=first),
             Ramp("down", np.asarray(down, dtype=np.float64), start=float(up_v[-1]), cycle=s.cycle,
                  line=first)]
    dev = s.device if s.device is not None else path.stem
    return Trace(device=dev, pulse_width_s=s.pulse_width_s, ramps=ramps, source=path,
                 units="normalised", format="two-column",
                 notes=["aihwkit two-column trace: column 1 after each up pulse, column 2 after each "
                        "down pulse (the down ramp starts where the up ramp ends)"] + s.notes)
