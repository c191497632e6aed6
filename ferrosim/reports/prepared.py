"""What a report holds, read and aggregated from sweep folders: `prepare` writes nothing.

`build` writes it out (CSVs, figures, report.md/html); `document` lays out its content; both
read the `Report` defined here, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ferrosim.errors import InputError
from ferrosim.reports.aggregate import aggregate, axis_columns, combined_summary, epoch_curves, variants
from ferrosim.reports.collect import SweepData, load_sweeps
from ferrosim.reports.plotting import FigureFile
from ferrosim.reports.provenance import now_utc
from ferrosim.reports.symmetry_verdicts import energy_claim_verdicts, symmetry_verdicts

CSV_FLOAT = "%.12g"


@dataclass
class Report:
    sweeps: list[SweepData]
    summary: pd.DataFrame  # every complete run (summary.csv rows of every sweep, with `sweep`)
    agg: pd.DataFrame  # summary_by_pulse_width.csv
    curves: pd.DataFrame  # accuracy_by_epoch.csv
    axes: list[str]  # other swept keys
    variants: list[tuple[str, dict[str, Any]]]
    targets: dict[str, float | None]
    max_epochs: dict[str, int]
    out: Path
    generated_utc: str
    figures: list[FigureFile] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return any(s.synthetic for s in self.sweeps)

    @property
    def synthetic_sweeps(self) -> list[str]:
        """Labels of the sweeps with synthetic inputs (flagged apart when not all are)."""
        return [s.label for s in self.sweeps if s.synthetic]

    @cached_property
    def symmetry(self):
        """(table, sentences) of the runs within the symmetry point's uncertainty, or None
        (ferrosim.reports.symmetry_verdicts); made once, read by the CSV, report.md and the CLI."""
        infos = {r: i for s in self.sweeps for r, i in s.infos.items()}
        found = symmetry_verdicts(self.summary, infos, self.targets)
        if found is None:
            return None
        table, sentences = found
        return table, sentences + energy_claim_verdicts(self.agg, self.axes)

    @property
    def symmetry_csv_path(self) -> Path:
        return self.out / "symmetry_point_verdicts.csv"

    @property
    def csv_path(self) -> Path:
        return self.out / "summary_by_pulse_width.csv"

    @property
    def curves_path(self) -> Path:
        return self.out / "accuracy_by_epoch.csv"

    @property
    def markdown_path(self) -> Path:
        return self.out / "report.md"

    @property
    def html_path(self) -> Path:
        return self.out / "report.html"

    @property
    def missing(self) -> list:
        return [m for s in self.sweeps for m in s.missing]

    @property
    def missing_count(self) -> int:
        return sum(len(s.missing) + s.missing_unlisted for s in self.sweeps)


def _per_sweep(sweep: SweepData, section: str, key: str) -> list:
    values = []
    for cfg in sweep.configs.values():
        value = (cfg.get(section) or {}).get(key)
        if value is not None:
            values.append(value)
    return values


def prepare(folders: list[Path | str], out: Path | str | None = None) -> Report:
    """Read and aggregate; writes nothing."""
    if not folders:
        raise InputError("give at least one results folder", hint="ferrosim report results/<sweep>")
    sweeps = load_sweeps(folders)
    out = Path(out) if out is not None else Path(folders[0]) / "report"
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    summary = combined_summary(sweeps)
    agg = aggregate(summary)
    axes = axis_columns(summary)
    targets = {}
    for s in sweeps:
        found = _per_sweep(s, "training", "target_accuracy")
        targets[s.label] = float(found[0]) if found and len(set(found)) == 1 else None
    max_epochs = {s.label: int(max(_per_sweep(s, "training", "epochs") or [0])) for s in sweeps}
    return Report(sweeps=sweeps, summary=summary, agg=agg, curves=epoch_curves(sweeps, summary), axes=axes,
                  variants=variants(agg, axes), targets=targets, max_epochs=max_epochs, out=out,
                  generated_utc=now_utc())
