"""The paper's energy claims as comparisons between pulse widths: how the shortest width stands.

One rule for every place that states a verdict (the report's tables, `ferrosim energy`'s claims
and scans), so a table and a scan never disagree about what "the shortest width is cheapest" means.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def shortest_width_standing(energy: pd.Series) -> dict[str, Any]:
    """How the shortest pulse width stands among the others, from one energy figure per width
    (a Series indexed by pulse width; NaN where a width has no figure): `cheapest`, the width of
    the lowest figure (None without figures); `vs_other`, E(shortest) / E(cheapest other width);
    `vs_longest`, E(shortest) / E(longest width); NaN where undefined. The paper's energy claims
    are these comparisons."""
    y = energy.sort_index().astype(float)
    out: dict[str, Any] = {"cheapest": None, "vs_other": math.nan, "vs_longest": math.nan}
    short, rest = y.iloc[0], y.iloc[1:].dropna()
    if pd.isna(short) or rest.empty:
        return out
    out["cheapest"] = y.index[0] if short < rest.min() else rest.idxmin()
    if rest.min() > 0:
        out["vs_other"] = short / rest.min()
    if pd.notna(y.iloc[-1]) and y.iloc[-1] > 0:
        out["vs_longest"] = short / y.iloc[-1]
    return out


ONE_WIDTH = "one pulse width: no comparison"
"""What every verdict, table and scan says where the runs have a single pulse width."""


def ratio_text(shortest: str, longest: str, ratio: float, digits: int = 3) -> str:
    """`2us costs x1.51 of 200us`: the shortest width's figure over the longest's, naming both,
    so a verdict that names the cheapest width never hangs another width's ratio on it; '' for
    NaN."""
    if not math.isfinite(ratio):
        return ""
    return f"{shortest} costs x{ratio:.{digits}g} of {longest}"


__all__ = ["ONE_WIDTH", "ratio_text", "shortest_width_standing"]
