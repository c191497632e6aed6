"""The summary as a rich table for the terminal (mean ± std over seeds)."""

from __future__ import annotations

import pandas as pd
from rich.markup import escape
from rich.table import Table

from ferrosim.report.formatting import is_missing
from ferrosim.report.tables import cell, reached


def summary_table(agg: pd.DataFrame, axes: list[str], title: str, synthetic: bool,
                  energy_model: str = "unknown") -> Table:
    several = agg["sweep"].nunique() > 1
    table = Table(title=title + (" [bold red](SYNTHETIC device data)[/]" if synthetic else ""),
                  caption=f"mean ± std over seeds; energies under the model {escape(energy_model)} (bands and other "
                  "models: report.md, `ferrosim energy`); full statistics in summary_by_pulse_width.csv")
    lead = (["sweep"] if several else []) + ["pulse width", "algorithm", *axes, "n"]
    for col in lead:
        table.add_column(col, justify="right" if col == "n" else "left")
    for col in ("final acc.", "best acc.", "epochs to target", "reached", "energy/pulse", "total energy",
                "energy to target"):
        table.add_column(col, justify="right")
    previous = None
    for _, row in agg.iterrows():
        group = (row["sweep"], row["pulse_width"])
        if previous is not None and group != previous:
            table.add_section()
        previous = group
        values = ([str(row["sweep"])] if several else []) + [str(row["pulse_width"]), str(row["algorithm"])]
        values += ["-" if is_missing(row.get(a)) else str(row.get(a)) for a in axes]
        values.append(str(int(row["n_runs"])))
        values += [cell(row, "final_accuracy", interval=False), cell(row, "best_accuracy", interval=False),
                   cell(row, "epochs_to_target", interval=False), reached(row),
                   cell(row, "energy_per_pulse_J", interval=False), cell(row, "total_energy_J", interval=False),
                   cell(row, "energy_to_target_J", interval=False)]
        table.add_row(*values)
    return table


__all__ = ["summary_table"]
