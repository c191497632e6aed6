"""Pulse widths as people write them (`20ns`, `2us`, `2e-8`) and back."""

from __future__ import annotations

import math
import re

_PREFIX = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}
_PATTERN = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(s|ms|us|µs|ns|ps)?\s*$")


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
        raise ValueError(f"pulse width must be positive, got '{value}'")
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
