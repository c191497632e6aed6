"""`ferrosim report`: sweep folders in, a report folder out.

<out>/ (default `<first folder>/report`)
  summary_by_pulse_width.csv   statistics over seeds per sweep x pulse width x algorithm (plain J)
  accuracy_by_epoch.csv        the accuracy curves behind the first figure
  report.md                    tables (J with SI prefixes), figures linked, provenance
  report.html                  the same, one self-contained page (figures embedded)
  figures/<name>.png|.svg      PNG at 150 dpi and SVG
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ferrosim.errors import InputError
from ferrosim.reports.aggregate import (aggregate, axis_columns, combined_summary, energy_models, epoch_curves,
                                       pulse_widths, variants)
from ferrosim.reports.collect import SweepData, load_sweeps
from ferrosim.reports.figures import FigureFile, FigureInputs, make_figures
from ferrosim.reports.provenance import now_utc
from ferrosim.reports.style import PulseWidthStyle

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


def build_report(folders: list[Path | str], out: Path | str | None = None) -> Report:
    """Write the CSVs, figures, report.md and report.html; returns what was written."""
    from ferrosim.reports.document import build_document
    from ferrosim.reports.html import render_html
    from ferrosim.reports.markdown import render_markdown
    from ferrosim.sweeps.outputs import atomic_write

    report = prepare(folders, out)
    report.out.mkdir(parents=True, exist_ok=True)
    atomic_write(report.csv_path, report.agg.to_csv(index=False, float_format=CSV_FLOAT))
    atomic_write(report.curves_path, report.curves.to_csv(index=False, float_format=CSV_FLOAT))
    inputs = FigureInputs(agg=report.agg, curves=report.curves, variants=report.variants,
                          style=PulseWidthStyle(pulse_widths(report.agg)),
                          devices=[(s.label, d) for s in report.sweeps for d in s.devices],
                          targets=report.targets, max_epochs=report.max_epochs, synthetic=report.synthetic,
                          energy_models=energy_models(report.summary), synthetic_sweeps=report.synthetic_sweeps,
                          summary=report.summary)
    report.figures = make_figures(inputs, report.out / "figures")
    blocks = build_document(report)
    atomic_write(report.markdown_path, render_markdown(blocks, report.out))
    title = f"ferrosim report: {', '.join(s.label for s in report.sweeps)}"
    atomic_write(report.html_path, render_html(blocks, title))
    return report


__all__ = ["Report", "build_report", "prepare"]
