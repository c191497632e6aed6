"""One look for every figure: a colour per pulse width, a marker and line style per algorithm.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), fixed by
the pulse width itself, so 200 ns has the same colour in every figure of every report (issue 28:
by its index among a report's widths, a width changed colour between reports). Widths sit on the
1-2-5 series from 10 ns (10, 20, 50, 100 ns, ...: `series_position`); the position picks the
colour, and each pass through the seven colours the line style. Black is kept for `ideal` (no
device), grey for a device without a pulse width (given by its response, not a device file).
"""

from __future__ import annotations

import math

from ferrosim.units import pulse_width_text

OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "bluish green": "#009E73", "reddish purple": "#CC79A7",
    "vermillion": "#D55E00", "sky blue": "#56B4E9", "yellow": "#F0E442", "black": "#000000",
}
PULSE_WIDTH_COLORS = tuple(v for k, v in OKABE_ITO.items() if k != "black")
IDEAL_COLOR = OKABE_ITO["black"]
NEUTRAL = "#4D4D4D"
NO_WIDTH_COLOR = "#999999"
"""Runs on a device without a pulse width (given by its response, not a device file)."""
_LINESTYLES = ("-", "--", ":", "-.")
ALGORITHM_STYLE = {  # marker, line style
    "sgd": ("o", "-"),
    "mixed_precision": ("s", "--"),
    "sgd_symmetry_shift": ("^", "-."),
    "sgd_balanced": ("D", ":"),
    "tiki_taka_v2": ("v", "-"),
    "chopped_tt_v2": ("P", "--"),
    "agad": ("X", "-."),
}
_EXTRA_MARKERS = ("*", "h", "p", "<", ">")


def series_position(pw: float) -> int:
    """Where a pulse width sits on the 1-2-5 series from 10 ns: 10 ns 0, 20 ns 1, 50 ns 2,
    100 ns 3, ..., 2 us 7, 200 us 13 (three steps a decade, log10 2 and 5 rounded to 1/3, 2/3)."""
    return round(3.0 * math.log10(float(pw) / 1e-8))


class PulseWidthStyle:
    """Colour and line style of each pulse width, fixed by the width (`series_position`); two
    widths of one report that share a position (20 and 25 ns) are told apart by moving the
    longer to the next free position."""

    def __init__(self, pulse_widths: list[float]):
        self.pulse_widths = sorted({float(p) for p in pulse_widths if not self.no_width(p)})
        self._position: dict[float, int] = {}
        taken: set[int] = set()
        for p in self.pulse_widths:
            k = series_position(p)
            while k in taken:
                k += 1
            taken.add(k)
            self._position[p] = k

    @staticmethod
    def no_width(pw: float | None) -> bool:
        return pw is None or math.isnan(float(pw))

    def index(self, pw: float) -> int:
        for p, k in self._position.items():
            if abs(p - float(pw)) <= 1e-9 * p:
                return k
        raise KeyError(pw)

    def color(self, pw: float) -> str:
        if self.no_width(pw):
            return NO_WIDTH_COLOR
        return PULSE_WIDTH_COLORS[self.index(pw) % len(PULSE_WIDTH_COLORS)]

    def linestyle(self, pw: float) -> str:
        if self.no_width(pw):
            return "-"
        return _LINESTYLES[(self.index(pw) // len(PULSE_WIDTH_COLORS)) % len(_LINESTYLES)]

    @classmethod
    def label(cls, pw: float) -> str:
        return "no pulse width" if cls.no_width(pw) else pulse_width_text(float(pw))


def algorithm_style(name: str, others: list[str] | None = None) -> tuple[str, str]:
    """(marker, line style) of an algorithm; unknown ones get the next free marker."""
    if name in ALGORITHM_STYLE:
        return ALGORITHM_STYLE[name]
    rest = sorted(o for o in (others or [name]) if o not in ALGORITHM_STYLE)
    k = rest.index(name) if name in rest else 0
    return _EXTRA_MARKERS[k % len(_EXTRA_MARKERS)], _LINESTYLES[k % len(_LINESTYLES)]


__all__ = ["series_position", "ALGORITHM_STYLE", "IDEAL_COLOR", "NEUTRAL", "NO_WIDTH_COLOR", "OKABE_ITO", "PULSE_WIDTH_COLORS",
           "PulseWidthStyle", "algorithm_style"]
