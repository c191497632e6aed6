"""Accuracy within the symmetry point's uncertainty, and each claim's verdict (issue 25, item 4).

A sweep over `device.symmetry_point_offset` (ferrosim.config.weight_zero) trains one device at
several symmetry points: the data's estimate and the ends of its bootstrap interval
(`data_68_low`, `data`, `data_68_high`, ...) or numbers. Per sweep, device, pulse width,
algorithm (and any other swept setting): the final accuracy at each position (mean over seeds,
the seeds' range, how many reached the target), the range over all of them, and the verdict of
the claim "reaches the target accuracy" within the symmetry point's uncertainty:
- holds: every seed reached the target at every position;
- fails: no seed reached it at any position;
- undecided: it depends on where in the interval the device's symmetry point lies (or on the seed).
And the paper's energy claims (`energy_claim_verdicts`): at each position, is the shortest pulse
width the cheapest, per energy figure (central model); holds / fails / undecided across them.
"""

from __future__ import annotations

import math

import pandas as pd

from ferrosim.reports.aggregate import axis_columns, pulse_width_shown, shortest_width_standing
from ferrosim.reports.tables import TextTable

SP_AXIS = "device.symmetry_point_offset"
NAMED_ORDER = ("data_95_low", "data_68_low", "data", "data_68_high", "data_95_high")
NAMES = {"data_95_low": "95% low", "data_68_low": "68% low", "data": "data estimate",
         "data_68_high": "68% high", "data_95_high": "95% high"}


def _order(value) -> tuple:
    """Low to high: the interval's low ends, the data's estimate, numbers (offsets, in order),
    the high ends."""
    text = str(value)
    if text in NAMED_ORDER:
        rank = NAMED_ORDER.index(text)
        return (rank if rank < 3 else rank + 1, 0.0)
    try:
        return (3, float(text))
    except ValueError:
        return (6, 0.0)


def _heading(position: str) -> str:
    if position in NAMES:
        return NAMES[position]
    try:
        return "model's g* (offset 0)" if float(position) == 0.0 else f"offset {position}"
    except ValueError:
        return position


def _with_positions(frame: pd.DataFrame) -> pd.DataFrame:
    """The device runs (or aggregated rows) of the sweeps that move the symmetry point, with a
    `_position` column. A run of such a sweep without the axis in its record was trained at the
    default, offset 0 (it was planned by another sweep first, e.g. copied in to be reused: the
    offset enters the run id, so the same id is the same setting)."""
    frame = frame[(frame["algorithm"] != "ideal") & frame["pulse_width_s"].notna()]
    moved = set(frame.loc[frame[SP_AXIS].notna(), "sweep"])
    frame = frame[frame["sweep"].isin(moved)].copy()
    frame["_position"] = [("0.0" if pd.isna(v) else str(v)) for v in frame[SP_AXIS]]
    return frame


def verdict(reached: list[tuple[int, int]]) -> str:
    """holds / fails / undecided from (runs reaching the target, runs) at each position."""
    if all(k == n and n > 0 for k, n in reached):
        return "holds"
    if all(k == 0 for k, _ in reached):
        return "fails"
    return "undecided"


def symmetry_verdicts(summary: pd.DataFrame, infos: dict[str, dict],
                      targets: dict[str, float | None]) -> tuple[TextTable, list[str]] | None:
    """The table and one sentence per group, or None when no sweep moved the symmetry point."""
    if SP_AXIS not in summary.columns:
        return None
    runs = _with_positions(summary)
    if runs.empty:
        return None
    positions = sorted(runs["_position"].unique(), key=_order)
    others = [a for a in axis_columns(summary) if a not in (SP_AXIS, "device.name", "device.pulse_width")]
    several_devices = runs["device"].nunique() > 1 if "device" in runs else False
    keys = ["sweep", *(["device"] if "device" in runs else []), "pulse_width_s", "algorithm", *others]
    rows, sentences = [], []
    for key, grp in runs.groupby(keys, sort=True, dropna=False):
        key = dict(zip(keys, key))
        target = targets.get(key["sweep"])
        cells, reached = [], []
        for pos in positions:
            at = grp[grp["_position"] == pos]
            if at.empty:
                cells.append("-")
                continue
            acc = at["final_accuracy"].astype(float)
            k, n = int(at["epochs_to_target"].notna().sum()), len(at)
            reached.append((k, n))
            trained = [infos.get(r, {}).get("symmetry_point_trained") for r in at["run_id"]]
            trained = [t for t in trained if t is not None]
            where = f"g* {trained[0]:+.2f}: " if trained else ""
            spread = f" ({acc.min():.1%}-{acc.max():.1%})" if n > 1 else ""
            cells.append(f"{where}{acc.mean():.1%}{spread}" + (f", {k}/{n} reached" if target is not None else ""))
        acc = grp["final_accuracy"].astype(float)
        span = f"{acc.min():.1%}-{acc.max():.1%}"
        said = verdict(reached) if target is not None else "n/a (no target)"
        lead = ([str(key["device"])] if several_devices else []) + [
            pulse_width_shown(key["pulse_width_s"], key["algorithm"]), str(key["algorithm"])]
        extra = [str(key[o]) for o in others]
        rows.append(lead + extra + cells + [span, said])
        if target is not None:
            what = ", ".join(f"{o}={key[o]}" for o in others)
            sentences.append(
                f"`{key['algorithm']}` at {pulse_width_shown(key['pulse_width_s'], key['algorithm'])}"
                + (f" on {key['device']}" if several_devices else "") + (f" ({what})" if what else "")
                + f": final accuracy {span} over the symmetry point's positions; reaches "
                f"{target:.0%}: **{said}**.")
    headers = (["device"] if several_devices else []) + ["pulse width", "algorithm", *others,
                                                         *[_heading(p) for p in positions],
                                                         "range", "reaches the target"]
    target_text = ", ".join(sorted({f"{t:.0%}" for t in targets.values() if t is not None and not math.isnan(t)}))
    table = TextTable(
        "Final accuracy within the symmetry point's uncertainty", headers, rows,
        ["l"] * (len(headers) - len(positions) - 2) + ["r"] * len(positions) + ["r", "l"],
        note=("each position: the symmetry point the runs trained under (device.symmetry_point_offset: the "
              "data's estimate and the ends of its bootstrap interval, from the device file), mean final "
              "accuracy over seeds (their range), seeds reaching the target"
              + (f" ({target_text})" if target_text else "") + "; verdict: holds where every seed reached it "
              "at every position, fails where none did, undecided otherwise"))
    return table, sentences


ENERGY_CLAIMS = (("energy_per_pulse_J", "energy per pulse"), ("total_energy_J", "total update energy"),
                 ("energy_to_target_J", "energy to target"))


def energy_claim_verdicts(agg: pd.DataFrame, axes: list[str]) -> list[str]:
    """Per sweep, device, algorithm (and other swept setting, `axes`): is the shortest pulse
    width the cheapest at every position of the symmetry point? One sentence each (empty without
    the axis or with one width)."""
    if SP_AXIS not in agg.columns:
        return []
    dev = _with_positions(agg)
    if dev.empty:
        return []
    others = [a for a in axes if a not in (SP_AXIS, "device.name", "device.pulse_width") and a in dev.columns]
    keys = ["sweep", *(["device"] if "device" in dev else []), "algorithm", *others]
    lines = []
    for key, grp in dev.groupby(keys, sort=True, dropna=False):
        key = dict(zip(keys, key))
        if grp["pulse_width_s"].nunique() < 2:
            continue
        shortest = grp["pulse_width_s"].min()
        parts = []
        for column, name in ENERGY_CLAIMS:
            col = f"{column}_mean"
            if col not in grp:
                continue
            answers = []
            for pos, at in sorted(grp.groupby("_position"), key=lambda kv: _order(kv[0])):
                y = at.set_index("pulse_width_s")[col].astype(float)
                if column == "energy_to_target_J":
                    y = y.where(at.set_index("pulse_width_s")["runs_reaching_target"]
                                == at.set_index("pulse_width_s")["n_runs"])
                st = shortest_width_standing(y)
                if st["cheapest"] is not None:
                    answers.append((_heading(pos), st["cheapest"]))
            if not answers:
                continue
            said = verdict([(1, 1) if c == shortest else (0, 1) for _, c in answers])
            cheapest = sorted({pulse_width_shown(c, key["algorithm"]) for _, c in answers})
            parts.append(f"{name}: **{said}** (cheapest: {', '.join(cheapest)})")
        if parts:
            lead = (f"on {key['device']}, " if "device" in key and dev["device"].nunique() > 1 else "")
            lines.append(f"`{key['algorithm']}` {lead}is {pulse_width_shown(shortest, key['algorithm'])} the cheapest "
                         "width at every "
                         f"position of the symmetry point? " + "; ".join(parts) + ".")
    return lines
