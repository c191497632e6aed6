"""The summary tables as rows of text, shared by report.md, report.html and the terminal.

Two tables per compared setting: accuracy and convergence, then energy and pulses. Each cell is
`mean ± std [95% CI]` over seeds (the interval only where n >= 3), energies with SI prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ferrosim.reports.aggregate import METRICS, STATS, pulse_width_shown, select, shortest_width_standing
from ferrosim.energy.claims import ONE_WIDTH, ratio_text
from ferrosim.energy.model import is_partial
from ferrosim.reports.energy_note import (IDEAL_DIGITAL, PARTIAL_ENERGIES, all_missing, no_energy_text,
                                         unmeasured_conduction_text)
from ferrosim.reports.formatting import format_stat, is_missing
from ferrosim.units import pulse_width_text

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


def reached_target(row: pd.Series) -> bool:
    """Whether a setting reached the target: a seed did (the `reached` column shows k/n, k > 0).
    Tables, figures and notes all judge by this."""
    return int(row["runs_reaching_target"]) > 0


def _lead(agg: pd.DataFrame) -> tuple[list[str], callable]:
    """The leading columns: device (when several), pulse width, algorithm, n."""
    several = agg["device"].dropna().nunique() > 1
    headers = (["device"] if several else []) + ["pulse width", "algorithm", "n"]

    def values(row) -> list[str]:
        lead = [str(row["device"]) if not is_missing(row["device"]) else "-"] if several else []
        return lead + [pulse_width_shown(row["pulse_width_s"], row["algorithm"]), str(row["algorithm"]),
                       str(int(row["n_runs"]))]

    return headers, values


def band(row: pd.Series, low: str, high: str) -> str:
    """`lower .. upper` of the seed means, or '-' where the estimates are not recorded."""
    from ferrosim.reports.formatting import format_si

    a, b = row.get(f"{low}_mean"), row.get(f"{high}_mean")
    if is_missing(a) or is_missing(b):
        return "-"
    return f"{format_si(a, 'J')} .. {format_si(b, 'J')}"


def summary_tables(agg: pd.DataFrame, variants: list, target_of: dict[str, float | None],
                   models: dict[str, str] | None = None) -> list[tuple[str, list[TextTable]]]:
    """[(variant label, [accuracy table, energy table])] for every compared setting. `models`
    names the energy models (`energy_models`), so no joule is shown without its model."""
    models = models or {"central": "unknown", "upper": "unknown"}
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
            title=f"Energy and pulses, energy model: {models['central']}",
            headers=headers + ["energy per pulse", "energy per update", "total update energy",
                               "total, lower .. upper", "energy to target", "digital", "pulses"],
            rows=[lead(r) + [cell(r, "energy_per_pulse_J"), cell(r, "energy_per_update_J"),
                             cell(r, "total_energy_J"), band(r, "total_energy_lower_J", "total_energy_upper_J"),
                             cell(r, "energy_to_target_J"), cell(r, "energy_digital_J", interval=False),
                             cell(r, "pulses_total")]
                  for _, r in sub.iterrows()],
            note=(f"{STAT_NOTE}. Joules under the energy model named in the title (docs/physics.md); lower: "
                  "capacitive + conduction at the read conductance (or at a measured I-V curve, its "
                  "conductance held above its highest voltage), no switching; upper: "
                  f"{models['upper']}. Energy per pulse: mean of the up and down pulse energies; per "
                  "update: total over the number of mini-batch updates; total: all programming pulses of "
                  "the training plus the digital accumulator of mixed precision (its own column); to "
                  "target: cumulative until the first epoch at the target. `ideal` uses no device: its 0 J "
                  f"prices no pulse, not its digital work: {IDEAL_DIGITAL}."),
        )
        device = sub[sub["algorithm"] != "ideal"]
        if not device.empty and all_missing(device["total_energy_J_mean"]):
            energy.note = f"{no_energy_text(models['central'])}. {energy.note}"
        elif is_partial(models["central"]):
            energy.note = f"{PARTIAL_ENERGIES[0].upper()}{PARTIAL_ENERGIES[1:]}. {energy.note}"
        elif unmeasured_conduction_text(models["central"]):
            text = unmeasured_conduction_text(models["central"])
            energy.note += f" {text[0].upper()}{text[1:]}."
        if _digital_split_shown(sub):  # mixed precision or Tiki-Taka: what the digital joules are
            at = energy.headers.index("digital") + 1
            energy.headers[at:at] = ["digital: products", "digital: accumulator"]
            for row, (_, r) in zip(energy.rows, sub.iterrows()):
                row[at:at] = [cell(r, "energy_digital_products_J", interval=False),
                              cell(r, "energy_digital_accumulator_J", interval=False)]
            energy.note += (" Digital: products, one multiply-add per weight and sample (the rank-1 "
                            "update's gradient products); accumulator, one read-add-write in SRAM per weight "
                            "and mini-batch (docs/physics.md, the digital term and its technology node).")
        share = "extrapolated_share_mean"
        if share in sub and not all_missing(sub[share]):  # a measured I-V curve priced the conduction
            energy.headers.append("beyond measured I-V")
            for row, (_, r) in zip(energy.rows, sub.iterrows()):
                row.append(cell(r, "extrapolated_share", interval=False))
            energy.note += (" Beyond measured I-V: the share of the pulse energy priced from conduction above "
                            "the highest voltage of the device's DC I-V sweep (the fitted Schottky law; the "
                            "lower estimate holds the last measured conductance instead).")
        for t in (acc, energy):
            t.align = ["l"] * (len(headers) - 1) + ["r"] * (len(t.headers) - len(headers) + 1)
        out.append((label, [acc, energy]))
    return out


def _digital_split_shown(sub: pd.DataFrame) -> bool:
    """The digital energy's split has its columns where a row has digital energy and the summary
    records the split (summaries of earlier ferrosim do not)."""
    cols = ("energy_digital_J_mean", "energy_digital_products_J_mean", "energy_digital_accumulator_J_mean")
    if any(c not in sub for c in cols) or all_missing(sub[cols[1]]):
        return False
    return bool((pd.to_numeric(sub[cols[0]], errors="coerce").fillna(0.0) > 0).any())


CLAIM_METRICS = (("energy_per_pulse", "energy per pulse"), ("total_energy", "total update energy"),
                 ("energy_to_target", "energy to target"))


def energy_claim_lines(agg: pd.DataFrame, variants: list, models: dict[str, str]) -> list[str]:
    """Per compared setting and algorithm: is the shortest pulse width the cheapest, under the
    lower, central and upper estimates? (The paper's claims: shorter pulses cost less per update
    and in total.)"""
    lines = []
    estimates = (("lower", "_lower_J"), ("central", "_J"), ("upper", "_upper_J"))
    for label, values in variants:
        sub = select(agg, values)
        dev = sub[(sub["algorithm"] != "ideal") & sub["pulse_width_s"].notna()]
        prefix = f"{label}, " if label else ""
        if dev["pulse_width_s"].nunique() == 1:
            lines.append(f"{prefix}{ONE_WIDTH} (every run at {pulse_width_text(dev['pulse_width_s'].iloc[0])}): "
                         "the energies are in the table above; sweep two or more widths to compare them.")
            continue
        if dev["pulse_width_s"].nunique() < 2:
            continue
        if is_partial(models["central"]):
            lines.append(f"{prefix}undecided: {PARTIAL_ENERGIES}.")
            continue
        for algorithm, grp in dev.groupby("algorithm", sort=False):
            grp = grp.sort_values("pulse_width_s")
            parts = []
            for metric, name in CLAIM_METRICS:
                verdicts = []
                for est, suffix in estimates:
                    col = f"{metric}{suffix}_mean"
                    if col not in grp:
                        continue
                    y = grp[col].astype(float)
                    if metric == "energy_to_target":
                        y = y.where(grp["runs_reaching_target"] == grp["n_runs"])
                    st = shortest_width_standing(pd.Series(y.to_numpy(), index=grp["pulse_width_s"].to_numpy()))
                    if st["cheapest"] is None:
                        continue
                    first = st["cheapest"] == grp["pulse_width_s"].iloc[0]
                    ratio = ratio_text(pulse_width_text(grp["pulse_width_s"].iloc[0]),
                                       pulse_width_text(grp["pulse_width_s"].iloc[-1]), st["vs_longest"], 2)
                    verdicts.append(f"{est} {'yes' if first else 'no, ' + pulse_width_text(st['cheapest'])}"
                                    + (f" ({ratio})" if ratio else ""))
                if verdicts:
                    parts.append(f"{name}: " + ", ".join(verdicts))
            if parts:
                shortest = pulse_width_text(grp["pulse_width_s"].iloc[0])
                lines.append(f"{prefix}`{algorithm}`: is {shortest} the cheapest width (else which is)? "
                             + "; ".join(parts) + ".")
    if lines:
        lines.insert(0, f"Central model: {models['central']}; lower: capacitive + read conduction, no "
                     f"switching; upper: {models['upper']}. `ferrosim energy` re-prices under any other model "
                     "and scans a parameter for the value where the answer flips.")
    return lines


def pareto_lines(agg: pd.DataFrame, variants: list) -> list[str]:
    """One sentence per compared setting naming the Pareto-optimal settings (total energy)."""
    from ferrosim.reports.aggregate import pareto_mask
    from ferrosim.reports.formatting import format_si

    lines = []
    for label, values in variants:
        sub = select(agg, values)
        dev = sub[(sub["algorithm"] != "ideal") & sub["pulse_width_s"].notna()].reset_index(drop=True)
        if dev.empty:
            continue
        x = dev["total_energy_J_mean"].to_numpy(dtype=float)
        mask = pareto_mask([v if v > 0 else float("nan") for v in x], dev["final_accuracy_mean"])
        front = dev[mask].sort_values("total_energy_J_mean")
        items = [f"{pulse_width_text(r['pulse_width_s'])} {r['algorithm']} ({r['final_accuracy_mean']:.1%}, "
                 f"{format_si(r['total_energy_J_mean'], 'J')})" for _, r in front.iterrows()]
        if items:
            prefix = f"{label}: " if label else ""
            lines.append(f"{prefix}Pareto-optimal (final accuracy vs total update energy): " + "; ".join(items) + ".")
    return lines


__all__ = ["STAT_NOTE", "TextTable", "band", "cell", "energy_claim_lines", "pareto_lines", "reached", "reached_target",
           "stats_of", "summary_tables"]
