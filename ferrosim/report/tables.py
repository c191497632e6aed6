"""The summary tables as rows of text, shared by report.md, report.html and the terminal.

Two tables per compared setting: accuracy and convergence, then energy and pulses. Each cell is
`mean ± std [95% CI]` over seeds (the interval only where n >= 3), energies with SI prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ferrosim.report.aggregate import METRICS, STATS, select
from ferrosim.report.formatting import format_stat, is_missing

STAT_NOTE = "mean ± std [95% t-interval, where n ≥ 3] over seeds"
_BY_COLUMN = {m.column: m for m in METRICS}


@dataclass
class TextTable:
    title: str
    headers: list[str]
    rows: list[list[str]]
    align: list[str] = field(default_factory=list)  # "l" or "r" per column
    note: str = ""


def stats_of(row: pd.Series, column: str) -> dict:
    return {s: row.get(f"{column}_{s}") for s in STATS}


def cell(row: pd.Series, column: str, *, interval: bool = True) -> str:
    return format_stat(stats_of(row, column), _BY_COLUMN[column].unit, interval=interval)


def reached(row: pd.Series) -> str:
    return f"{int(row['runs_reaching_target'])}/{int(row['n_runs'])}"


def _lead(agg: pd.DataFrame) -> tuple[list[str], callable]:
    """The leading columns: device (when several), pulse width, algorithm, n."""
    several = agg["device"].dropna().nunique() > 1
    headers = (["device"] if several else []) + ["pulse width", "algorithm", "n"]

    def values(row) -> list[str]:
        lead = [str(row["device"]) if not is_missing(row["device"]) else "-"] if several else []
        return lead + [str(row["pulse_width"]), str(row["algorithm"]), str(int(row["n_runs"]))]

    return headers, values


def summary_tables(agg: pd.DataFrame, variants: list, target_of: dict[str, float | None]) -> list[tuple[str, list[TextTable]]]:
    """[(variant label, [accuracy table, energy table])] for every compared setting."""
    out = []
    for label, values in variants:
        sub = select(agg, values)
        headers, lead = _lead(sub)
        target = target_of.get(str(values["sweep"]))
        target_text = f"{target:.0%}" if target is not None else "target"
        acc = TextTable(
            title="Accuracy and convergence",
            headers=headers + ["final accuracy", "best accuracy", f"epochs to {target_text}", "reached target"],
            rows=[lead(r) + [cell(r, "final_accuracy"), cell(r, "best_accuracy"), cell(r, "epochs_to_target"),
                             reached(r)] for _, r in sub.iterrows()],
            note=f"{STAT_NOTE}; test accuracy in percent; epochs to target over the runs that reached it.",
        )
        energy = TextTable(
            title="Energy and pulses",
            headers=headers + ["energy per pulse", "energy per update", "total update energy",
                               "energy to target", "pulses"],
            rows=[lead(r) + [cell(r, "energy_per_pulse_J"), cell(r, "energy_per_update_J"),
                             cell(r, "total_energy_J"), cell(r, "energy_to_target_J"), cell(r, "pulses_total")]
                  for _, r in sub.iterrows()],
            note=(f"{STAT_NOTE}. Energy per pulse: mean of the device file's up and down pulse energies; per "
                  "update: total over the number of mini-batch updates; total: all programming pulses of "
                  "the training; to target: cumulative until the first epoch at the target. `ideal` uses no "
                  "device (0 J)."),
        )
        for t in (acc, energy):
            t.align = ["l"] * (len(headers) - 1) + ["r"] * (len(t.headers) - len(headers) + 1)
        out.append((label, [acc, energy]))
    return out


def pareto_lines(agg: pd.DataFrame, variants: list) -> list[str]:
    """One sentence per compared setting naming the Pareto-optimal settings (total energy)."""
    from ferrosim.report.aggregate import pareto_mask
    from ferrosim.report.formatting import format_si

    lines = []
    for label, values in variants:
        sub = select(agg, values)
        dev = sub[(sub["algorithm"] != "ideal") & sub["pulse_width_s"].notna()].reset_index(drop=True)
        if dev.empty:
            continue
        x = dev["total_energy_J_mean"].to_numpy(dtype=float)
        mask = pareto_mask([v if v > 0 else float("nan") for v in x], dev["final_accuracy_mean"])
        front = dev[mask].sort_values("total_energy_J_mean")
        items = [f"{r['pulse_width']} {r['algorithm']} ({r['final_accuracy_mean']:.1%}, "
                 f"{format_si(r['total_energy_J_mean'], 'J')})" for _, r in front.iterrows()]
        if items:
            prefix = f"{label}: " if label else ""
            lines.append(f"{prefix}Pareto-optimal (final accuracy vs total update energy): " + "; ".join(items) + ".")
    return lines


__all__ = ["STAT_NOTE", "TextTable", "cell", "pareto_lines", "reached", "stats_of", "summary_tables"]
