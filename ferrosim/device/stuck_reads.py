"""Reads stuck at an instrument's floor or ceiling, left out of the step fit (`drop_stuck_reads`).

A measured read carries noise in its last digits, so a device's reads are never equal twice in a
row for long. A run of STUCK_RUN or more consecutive identical reads at the lowest or the highest
read of a device at one pulse width (over all its files) is an instrument limit (a clipped range,
a compliance, an open contact), not the device: its steps would be fitted as a device that stops
moving. Those reads are left out; the ramp goes on after them as a new ramp whose first read has
no known state before it, so no step is measured across the gap. The fit's notes say how many
reads, at what value, and in which direction's ramps.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ferrosim.io.measurement_data import Ramp, Trace

STUCK_RUN = 5
"""Consecutive identical reads at the lowest or highest read that count as stuck: four repeats of
one value, which noisy reads (a few significant digits of noise) do not produce at an extreme."""


def _runs(states: np.ndarray, levels: tuple[float, float]) -> list[tuple[int, int]]:
    """[start, end) of every run of >= STUCK_RUN identical states equal to a level."""
    out, k = [], 0
    while k < len(states):
        j = k + 1
        while j < len(states) and states[j] == states[k]:
            j += 1
        if j - k >= STUCK_RUN and states[k] in levels:
            out.append((k, j))
        k = j
    return out


def _split(ramp: Ramp, runs: list[tuple[int, int]]) -> list[Ramp]:
    """The ramp's pieces between its stuck runs (each piece: its first read is its start)."""
    states = ramp.states()
    offset = 1 if ramp.start is not None else 0  # state k follows pulse k - offset
    keep = np.ones(len(states), dtype=bool)
    for a, b in runs:
        keep[a:b] = False
    pieces, k = [], 0
    while k < len(states):
        if not keep[k]:
            k += 1
            continue
        a = k
        while k < len(states) and keep[k]:
            k += 1
        if k - a < 2:
            continue
        lo, hi = a + 1 - offset, k - offset  # the pulses into states a+1 .. k-1

        def cut(x):
            return None if x is None else x[lo:hi]

        pieces.append(replace(ramp, values=states[a + 1:k].copy(), start=float(states[a]),
                              amplitude_V=cut(ramp.amplitude_V), read_polarity_S=cut(ramp.read_polarity_S),
                              current_A=cut(ramp.current_A)))
    return pieces


def drop_stuck_reads(traces: list[Trace]) -> tuple[list[Trace], list[str]]:
    """`traces` (one device, one pulse width) without their stuck reads, and one note per level
    and direction that had some; traces without any are returned as they are."""
    every = np.concatenate([r.states() for t in traces for r in t.ramps] or [np.zeros(0)])
    if every.size == 0:
        return traces, []
    levels = (float(every.min()), float(every.max()))
    counts: dict[tuple[str, str, float], int] = {}
    out = []
    for t in traces:
        ramps, changed = [], False
        for r in t.ramps:
            runs = _runs(r.states(), levels)
            if not runs:
                ramps.append(r)
                continue
            changed = True
            ramps.extend(_split(r, runs))
            for a, b in runs:
                value = float(r.states()[a])
                key = ("floor" if value == levels[0] else "ceiling", r.direction, value)
                counts[key] = counts.get(key, 0) + (b - a)
        out.append(replace(t, ramps=ramps) if changed else t)
    unit = " S" if traces[0].units == "S" else " (normalised)"
    notes = [f"{n} {direction} reads stuck at {value:.6g}{unit} (the {where} of the reads, {STUCK_RUN} or more "
             "identical in a row: an instrument limit, not the device) left out of the step fit"
             for (where, direction, value), n in counts.items()]
    return out, notes


__all__ = ["STUCK_RUN", "drop_stuck_reads"]
