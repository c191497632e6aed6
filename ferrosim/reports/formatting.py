"""Numbers as a reader wants them: SI prefixes for energies, percent for accuracies.

The CSV keeps plain SI units (J, fractions); these strings are for report.md, report.html and
the terminal.
"""

from __future__ import annotations

import math
from typing import Any

_PREFIXES = ((1e-24, "y"), (1e-21, "z"), (1e-18, "a"), (1e-15, "f"), (1e-12, "p"), (1e-9, "n"),
             (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "G"), (1e12, "T"))


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def si_scale(value: float) -> tuple[float, str]:
    """(factor, prefix) that puts |value| in [1, 1000): 2.5e-12 -> (1e-12, 'p')."""
    if is_missing(value) or value == 0:
        return 1.0, ""
    mag = abs(value)
    chosen = _PREFIXES[0]
    for factor, prefix in _PREFIXES:
        if mag >= factor * (1 - 1e-9):
            chosen = (factor, prefix)
    return chosen


def format_si(value: float | None, unit: str, digits: int = 3) -> str:
    """`2.02e-12, 'J'` -> '2.02 pJ'; missing -> '-'; zero -> '0 J'; above the largest prefix
    (1000 T and up) or infinite, in exponent form ('2.04e+288 J', 'inf J'), never hundreds of
    digits."""
    if is_missing(value):
        return "-"
    if value == 0:
        return f"0 {unit}"
    rounded = float(f"{value:.{digits - 1}e}")  # 999.96e-9 -> 1.00 µJ, not 1000 nJ
    if not abs(rounded) < 1000 * _PREFIXES[-1][0]:  # also inf
        return f"{value:.{digits - 1}e} {unit}"
    factor, prefix = si_scale(rounded)
    return f"{_sig(value / factor, digits)} {prefix}{unit}"


def _sig(x: float, digits: int) -> str:
    """`digits` significant figures without exponent for 1 <= |x| < 1000."""
    if x == 0:
        return "0"
    x = float(f"{x:.{digits - 1}e}")  # round first: 0.99999 -> 1.00, not 1.000
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return f"{x:.{decimals}f}"


def format_stat(stats: dict[str, Any], unit: str, *, interval: bool = True, digits: int = 3) -> str:
    """'mean ± std [low–high] unit' with one SI prefix for all; '%' shows fractions as percent.

    Only what exists is shown: n = 1 gives the value alone, std = 0 drops '± 0'.
    """
    mean, std = stats.get("mean"), stats.get("std")
    low, high = stats.get("ci95_low"), stats.get("ci95_high")
    if is_missing(mean):
        return "-"
    if unit == "%":
        scale, suffix, fmt = 100.0, " %", lambda v: f"{v:.1f}"
    elif unit == "":
        scale, suffix = 1.0, ""
        fmt = (lambda v: f"{v:,.0f}") if abs(mean) >= 1000 else (lambda v: f"{v:.1f}")
    elif unit == "count" and abs(mean) < 1000:
        scale, suffix, fmt = 1.0, "", lambda v: f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"
    elif unit == "count":  # 2.89 M: counts with a prefix and no unit
        factor, prefix = si_scale(float(f"{mean:.{digits - 1}e}"))
        scale, suffix = 1.0 / factor, f" {prefix}"
        fmt = lambda v: _sig(v, digits) if v != 0 else "0"  # noqa: E731
    else:
        ref = mean if mean != 0 else (std or 0.0)
        factor, prefix = si_scale(float(f"{ref:.{digits - 1}e}"))
        scale, suffix = 1.0 / factor, f" {prefix}{unit}"
        fmt = lambda v: _sig(v, digits) if v != 0 else "0"  # noqa: E731
    spread = not is_missing(std) and std > 0
    text = f"{mean:.0f}" if unit == "" and not spread and float(mean).is_integer() else fmt(mean * scale)
    if spread:
        sd = std * scale
        prefixed = unit == "J" or suffix.strip() not in ("", "%")  # std to 2 significant figures
        text += f" ± {_sig(sd, 2) if prefixed else _fmt_spread(sd, fmt)}"
    if interval and spread and not is_missing(low) and not is_missing(high):
        text += f" [{fmt(low * scale)}–{fmt(high * scale)}]"
    return text + suffix


def _fmt_spread(value: float, fmt) -> str:
    text = fmt(value)
    if float(text.replace(",", "") or 0) == 0:  # too small for the mean's digits: show 1 sig. figure
        return f"{value:.1g}"
    return text


__all__ = ["format_si", "format_stat", "is_missing", "si_scale"]
