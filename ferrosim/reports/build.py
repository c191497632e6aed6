"""`ferrosim report`: sweep folders in, a report folder out.

<out>/ (default `<first folder>/report`)
  summary_by_pulse_width.csv   statistics over seeds per sweep x pulse width x algorithm (plain J)
  accuracy_by_epoch.csv        the accuracy curves behind the first figure
  symmetry_point_verdicts.csv  with a device.symmetry_point_offset axis: accuracy at each position
                               of the symmetry point, its range, holds / fails / undecided
  report.md                    tables (J with SI prefixes), figures linked, provenance
  report.html                  the same, one self-contained page (figures embedded)
  figures/<name>.png|.svg      PNG at 150 dpi and SVG
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ferrosim.reports.aggregate import energy_models, pulse_widths
from ferrosim.reports.document import build_document
from ferrosim.reports.figures import FigureInputs, make_figures
from ferrosim.reports.html import render_html
from ferrosim.reports.markdown import render_markdown
from ferrosim.reports.prepared import CSV_FLOAT, Report, prepare
from ferrosim.reports.style import PulseWidthStyle
from ferrosim.sweeps.outputs import atomic_write


def build_report(folders: list[Path | str], out: Path | str | None = None) -> Report:
    """Write the CSVs, figures, report.md and report.html; returns what was written."""
    report = prepare(folders, out)
    report.out.mkdir(parents=True, exist_ok=True)
    atomic_write(report.csv_path, report.agg.to_csv(index=False, float_format=CSV_FLOAT))
    atomic_write(report.curves_path, report.curves.to_csv(index=False, float_format=CSV_FLOAT))
    sp = report.symmetry
    if sp is not None:
        table, _ = sp
        atomic_write(report.symmetry_csv_path, pd.DataFrame(table.rows, columns=table.headers).to_csv(index=False))
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
