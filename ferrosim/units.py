"""Pulse widths as people write them (`20ns`, `2us`, `2e-8`) and back, and the time units
ferrosim reads (`TIME_UNITS`, the one table of them).

`format_pulse_width` gives the compact spelling of run ids, device-file keys and CSV columns
(`2us`); `pulse_width_text` the one printed for a reader (`2 µs`).
"""

from __future__ import annotations

import math
import re

TIME_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "μs": 1e-6, "us": 1e-6, "ns": 1e-9,
                                 "ps": 1e-12, "sec": 1.0}
"""Every time unit ferrosim reads, with its factor to seconds (µ, μ and u are all micro): the
units of a lab table's pulse-width column (`ferrosim.io.readers.lab_columns`)."""

PULSE_WIDTH_UNITS = ("s", "ms", "us", "µs", "ns", "ps")
"""The units a pulse width written as text may end with (`20ns`, `2us`): a subset of TIME_UNITS."""

_PREFIX = {"": 1.0} | {unit: TIME_UNITS[unit] for unit in PULSE_WIDTH_UNITS}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(" + "|".join(PULSE_WIDTH_UNITS) + r")?\s*$")


def parse_pulse_width(value: str | float | int) -> float:
    """Seconds from `20ns`, `0.5 us`, `2e-8` or a number; ValueError with the reason otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _PATTERN.match(str(value))
        if not match:
            raise ValueError(f"cannot read pulse width '{value}' (write e.g. 20ns, 2us, 5ms or 2e-8)")
        seconds = float(match.group(1)) * _PREFIX[match.group(2) or ""]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"pulse width must be positive and finite, got '{value}'")
    return seconds


def format_pulse_width(seconds: float | None) -> str:
    """The shortest exact label: 2e-8 -> '20ns', 5e-4 -> '500us', 2.5e-8 -> '25ns'."""
    if seconds is None:
        return "unknown"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("ps", 1e-12)):
        value = seconds / scale
        if value >= 1 - 1e-9:
            text = f"{value:.6g}"
            return f"{text}{unit}"
    return f"{seconds:g}s"


def pulse_width_text(seconds: float | None) -> str:
    """The label a reader sees in tables and figures: 2e-6 -> '2 µs', 2e-8 -> '20 ns', 5e-4 -> '500 µs'.

    Same value as `format_pulse_width`, with a space and the micro sign (SI style); identifiers
    and CSV columns keep the compact `2us`."""
    compact = format_pulse_width(seconds)
    if seconds is None:
        return compact
    match = re.match(r"^(.*?)(ms|us|ns|ps|s)$", compact)
    return f"{match.group(1)} {match.group(2).replace('us', 'µs')}" if match else compact
