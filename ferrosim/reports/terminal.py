"""The summary for the terminal (mean ± std over seeds), readable at 80 columns.

One rich table per compared setting (sweep, or value of another swept key). The columns are
chosen for the width the table is printed at: first what a reader compares (pulse width,
algorithm, final accuracy, epochs to target, seeds that reached it, energy to target), then the
others while they fit (total energy, n, best accuracy, energy per pulse); the caption names the
columns left out. Too narrow even for those, each setting is stacked: its numbers one per line.
`wide=True` (`ferrosim report --wide`) shows every column at its full width. No cell is ever cut
with an ellipsis: names and numbers either fit, wrap at a space, or move to the stacked form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import pandas as pd
from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ferrosim.reports.aggregate import select, variants
from ferrosim.reports.energy_note import all_missing, no_energy_text, unmeasured_conduction_text
from ferrosim.reports.plotting import SYNTHETIC_TAG
from ferrosim.reports.formatting import is_missing
from ferrosim.reports.tables import cell, reached
from ferrosim.units import pulse_width_text


@dataclass(frozen=True)
class Column:
    name: str  # as the caption names it when left out
    header: str  # "\n" breaks a header over two lines, so it is no wider than its numbers
    value: Callable[[pd.Series], str]
    essential: bool = False
    left: bool = False


def _pulse_width(row: pd.Series) -> str:
    return "-" if is_missing(row["pulse_width_s"]) else pulse_width_text(float(row["pulse_width_s"]))


def _stat(column: str) -> Callable[[pd.Series], str]:
    return lambda row: cell(row, column, interval=False)


COLUMNS = (
    Column("pulse width", "pulse\nwidth", _pulse_width, essential=True, left=True),
    Column("algorithm", "algorithm", lambda r: str(r["algorithm"]), essential=True, left=True),
    Column("n", "n", lambda r: str(int(r["n_runs"]))),
    Column("final accuracy", "final\naccuracy", _stat("final_accuracy"), essential=True),
    Column("best accuracy", "best\naccuracy", _stat("best_accuracy")),
    Column("epochs to target", "epochs to\ntarget", _stat("epochs_to_target"), essential=True),
    Column("reached target", "reached\ntarget", reached, essential=True),
    Column("energy per pulse", "energy\nper pulse", _stat("energy_per_pulse_J")),
    Column("total energy", "total\nenergy", _stat("total_energy_J")),
    Column("energy to target", "energy to\ntarget", _stat("energy_to_target_J"), essential=True),
)
OPTIONAL_ORDER = ("total energy", "n", "best accuracy", "energy per pulse")  # added in this order while they fit
_NATURAL = 10_000  # measure a table without a width limit


class SummaryView:
    """A rich renderable: the summary tables laid out for the width they are printed at."""

    def __init__(self, agg: pd.DataFrame, axes: list[str], title: str, synthetic_sweeps: Iterable[str] = (),
                 energy_model: str = "unknown", wide: bool = False):
        self.agg, self.title, self.energy_model, self.wide = agg, title, energy_model, wide
        self.synthetic_sweeps = [str(s) for s in synthetic_sweeps]
        self.groups = [(label, select(agg, values), str(values["sweep"])) for label, values in variants(agg, axes)]

    # -- layout ----------------------------------------------------------------------------
    def columns_for(self, console: Console, width: int) -> list[Column] | None:
        """The columns shown at `width` (every one when wide); None: stacked."""
        if self.wide:
            return list(COLUMNS)
        chosen = {c.name for c in COLUMNS if c.essential}
        if self._natural_width(console, chosen) > width:
            return None
        for name in OPTIONAL_ORDER:
            if self._natural_width(console, chosen | {name}) <= width:
                chosen.add(name)
        return [c for c in COLUMNS if c.name in chosen]

    def natural_width(self, console: Console) -> int:
        """Columns needed to print every column without wrapping (for `--wide`)."""
        return self._natural_width(console, {c.name for c in COLUMNS})

    def _natural_width(self, console: Console, names: set[str]) -> int:
        cols = [c for c in COLUMNS if c.name in names]
        options = console.options.update_width(_NATURAL)
        return max(Measurement.get(console, options, self._table(label, rows, cols, "")).maximum
                   for label, rows, sweep in self.groups)

    # -- rendering -------------------------------------------------------------------------
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        cols = self.columns_for(console, options.max_width)
        flagged = [s for s in dict.fromkeys(sweep for _, _, sweep in self.groups) if s in self.synthetic_sweeps]
        mixed = bool(flagged) and len(flagged) < len({sweep for _, _, sweep in self.groups})
        heading = escape(self.title)
        if flagged:
            heading += f" [bold red]({SYNTHETIC_TAG}{' in ' + escape(', '.join(flagged)) + ' only' if mixed else ''})[/]"
        single = len(self.groups) == 1 and not self.groups[0][0]
        if not single:
            yield Text.from_markup(f"[i]{heading}[/i]", justify="center")
        for k, (label, rows, sweep) in enumerate(self.groups):
            title = heading if single else escape(label) + (
                f" [bold red]({SYNTHETIC_TAG})[/]" if mixed and sweep in self.synthetic_sweeps else "")
            general = self._caption(cols) if k == len(self.groups) - 1 else []
            caption = escape("\n".join(f"{text}." for text in (self._no_energy(rows), "; ".join(general)) if text))
            if cols is None:
                yield self._stacked(title, rows, caption)
            else:
                yield self._table(title, rows, cols, caption)

    def _table(self, title: str, rows: pd.DataFrame, cols: list[Column], caption: str) -> Table:
        # no vertical rules: two spaces between columns, the header ruled off
        table = Table(title=title or None, caption=caption or None, box=box.SIMPLE_HEAD, show_edge=False,
                      padding=(0, 1, 0, 0), pad_edge=False, caption_justify="left")
        for c in cols:
            # as wide as its widest cell in any table, so the tables line up; names never shrink,
            # numbers may wrap at a space but are never cut with "…"
            table.add_column(c.header, justify="left" if c.left else "right", min_width=self._width_of(c),
                             no_wrap=c.left, overflow="fold")
        previous = None
        for _, row in rows.iterrows():
            if previous is not None and row["pulse_width_s"] != previous and not (
                    is_missing(row["pulse_width_s"]) and is_missing(previous)):
                table.add_section()
            previous = row["pulse_width_s"]
            table.add_row(*[c.value(row) for c in cols])
        return table

    def _width_of(self, column: Column) -> int:
        cells = [column.value(r) for _, r in self.agg.iterrows()] + column.header.split("\n")
        return max(cell_len(text) for text in cells)

    def _stacked(self, title: str, rows: pd.DataFrame, caption: str) -> Table:
        """One row per setting: pulse width and algorithm, then every number on its own line."""
        table = Table(title=title or None, caption=caption or None, box=box.SIMPLE_HEAD, pad_edge=False,
                      show_header=False, caption_justify="left")
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for _, row in rows.iterrows():
            lines = [f"{c.name}: {c.value(row)}" for c in COLUMNS if c.name not in ("pulse width", "algorithm")]
            table.add_row(f"{_pulse_width(row)}\n{row['algorithm']}", "\n".join(lines))
            table.add_section()
        return table

    def _no_energy(self, rows: pd.DataFrame) -> str:
        """Why a setting's energy cells are empty, when every one of its device runs has none."""
        device = rows[rows["algorithm"] != "ideal"]
        if device.empty or not all_missing(device["total_energy_J_mean"]):
            return ""
        return no_energy_text(self.energy_model)

    def _caption(self, cols: list[Column] | None) -> list[str]:
        parts = [f"mean ± std over seeds; energies under the model {self.energy_model} (bands and other models: "
                 "report.md, `ferrosim energy`); full statistics in summary_by_pulse_width.csv"]
        if (self.agg["algorithm"] == "ideal").any():
            parts.append("ideal: floating point, no device (pulse width -); 0 J: its digital update is not priced")
        if unmeasured_conduction_text(self.energy_model):
            parts.append(unmeasured_conduction_text(self.energy_model))
        share = self.agg.get("extrapolated_share_mean")
        if share is not None and share.notna().any():
            parts.append(f"{share.min():.0%}-{share.max():.0%} of the pulse energy is priced beyond the devices' "
                         "measured I-V range (an extrapolation; report.md has it per row)")
        if cols is not None and len(cols) < len(COLUMNS):
            left_out = [c.name for c in COLUMNS if c not in cols]
            parts.append(f"not shown at this width: {', '.join(left_out)} (--wide shows every column)")
        return parts


def summary_view(agg: pd.DataFrame, axes: list[str], title: str, synthetic_sweeps: Iterable[str] = (),
                 energy_model: str = "unknown", wide: bool = False) -> SummaryView:
    return SummaryView(agg, axes, title, synthetic_sweeps, energy_model, wide)


def summary_table(agg: pd.DataFrame, axes: list[str], title: str, synthetic: bool,
                  energy_model: str = "unknown") -> SummaryView:
    """The former entry point (one flag for every sweep); `summary_view` flags each sweep."""
    return SummaryView(agg, axes, title, agg["sweep"].unique() if synthetic else (), energy_model)


def print_summary(console: Console, view: SummaryView) -> None:
    """Print `view`; a wide view widens the console as far as its columns need (the terminal
    then wraps long lines, or `less -S` scrolls them)."""
    needed = view.natural_width(console) if view.wide else 0
    if needed <= console.width:
        console.print(view)
        return
    previous = console.width
    console.width = needed
    try:
        console.print(view)
    finally:
        console.width = previous


__all__ = ["COLUMNS", "SummaryView", "print_summary", "summary_table", "summary_view"]
