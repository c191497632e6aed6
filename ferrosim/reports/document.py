"""The report's content as a list of blocks, rendered to Markdown and HTML by their modules.

Keeping the content in one place means report.md and report.html always say the same thing.
Inline text may use `code` and **bold**, which both renderers understand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from ferrosim.reports.plotting import SYNTHETIC_TAG, FigureFile
from ferrosim.reports.formatting import format_si
from ferrosim.reports.provenance import config_yaml, software_versions, sweep_facts
from ferrosim.reports.aggregate import energy_models
from ferrosim.reports.tables import TextTable, energy_claim_lines, pareto_lines, summary_tables
from ferrosim.units import pulse_width_text

if TYPE_CHECKING:  # pragma: no cover
    from ferrosim.reports.prepared import Report


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class Banner:
    text: str


@dataclass
class TableBlock:
    table: TextTable


@dataclass
class FigureBlock:
    figure: FigureFile


@dataclass
class Code:
    text: str
    lang: str = ""


@dataclass
class Facts:
    items: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Bullets:
    items: list[str] = field(default_factory=list)


Block = Union[Heading, Para, Banner, TableBlock, FigureBlock, Code, Facts, Bullets]


def synthetic_banner(report: "Report") -> str | None:
    """The warning shown first when any input is synthetic, naming which."""
    flagged = [s.label for s in report.sweeps if s.synthetic]
    if not flagged:
        return None
    files = sorted({info.shown for s in report.sweeps for info in s.device_files if info.synthetic})
    where = f" (device file{'s' if len(files) > 1 else ''} {', '.join(files)})" if files else ""
    return (f"**{SYNTHETIC_TAG}.** The device responses and energies of {', '.join(flagged)}{where} come "
            "from synthetic measurements, not from a real device: use these numbers to test the pipeline, "
            "not as results about a device.")


def build_document(report: "Report") -> list[Block]:
    blocks: list[Block] = [Heading(1, f"ferrosim report: {', '.join(s.label for s in report.sweeps)}")]
    banner = synthetic_banner(report)
    if banner:
        blocks.append(Banner(banner))
    n_runs = len(report.summary)
    n_missing = sum(len(s.missing) + s.missing_unlisted for s in report.sweeps)
    blocks.append(Para(
        f"Generated {report.generated_utc} by ferrosim {software_versions()['ferrosim']} from "
        + ", ".join(f"`{s.folder}`" for s in report.sweeps)
        + f": {n_runs} complete runs"
        + (f", **{n_missing} planned runs missing** (listed below)" if n_missing else "")
        + ". Aggregated over seeds per pulse width and algorithm; the same numbers with full precision "
        "are in `summary_by_pulse_width.csv` (plain SI units: J, fractions)."))
    blocks += _summary(report)
    blocks.append(Heading(2, "Figures"))
    blocks.append(Para("Colours mark pulse widths and are the same in every figure (Okabe-Ito palette, "
                       "colour-blind safe); each figure is also saved as SVG beside the PNG."))
    for fig in report.figures:
        blocks += [Heading(3, fig.title), FigureBlock(fig)]
    blocks += _missing(report)
    blocks += _provenance(report)
    return blocks


def _summary(report: "Report") -> list[Block]:
    blocks: list[Block] = [Heading(2, "Summary by pulse width")]
    models = energy_models(report.summary)
    for label, tables in summary_tables(report.agg, report.variants, report.targets, models):
        if label:
            blocks.append(Heading(3, label))
        for t in tables:
            blocks += [Para(f"**{t.title}** ({t.note})"), TableBlock(t)]
    lines = pareto_lines(report.agg, report.variants)
    if lines:
        blocks.append(Bullets([f"{ln} (energy model: {models['central']})" for ln in lines]))
    from ferrosim.reports.population import by_device_size, size_table_rows

    sizes = by_device_size(report.summary)
    if not sizes.empty:
        blocks += [Heading(3, "By device size"), TableBlock(TextTable(
            "Final accuracy by device size", ["device area", "algorithm", "devices", "runs",
                                              "mean final accuracy", "range", "energy to target (mean where reached)"],
            size_table_rows(sizes), ["l", "l", "r", "r", "r", "r", "r"],
            note="runs: device x pulse width x seed; area from the device file (sidecar geometry or a radius in the name)"))]
    sp = report.symmetry
    if sp is not None:
        table, sentences = sp
        blocks += [Heading(3, "Within the symmetry point's uncertainty"), Para(f"**{table.title}** ({table.note})"),
                   TableBlock(table), Bullets(sentences)]
    claims = energy_claim_lines(report.agg, report.variants, models)
    if claims:
        blocks += [Heading(3, "Do shorter pulses cost less? Under which energy model"), Para(claims[0]),
                   Bullets(claims[1:])]
    return blocks


def _missing(report: "Report") -> list[Block]:
    rows = [[m.sweep, m.run_id, m.label, f"failed: {m.error}" if m.error else "not complete"]
            for s in report.sweeps for m in s.missing]
    unlisted = [(s.label, s.missing_unlisted, s.plan_note) for s in report.sweeps if s.missing_unlisted]
    if not rows and not unlisted:
        return []
    blocks: list[Block] = [Heading(2, "Missing runs"), Para(
        "Planned runs without `run.json` (not run yet, still running, or failed). The tables and "
        "figures use the complete runs only; rerun the same `ferrosim sweep` command to finish them.")]
    if rows:
        blocks.append(TableBlock(TextTable("Missing runs", ["sweep", "run_id", "run", "status"], rows,
                                           align=["l", "l", "l", "l"])))
    for label, count, note in unlisted:
        blocks.append(Para(f"{label}: {count} more planned runs are missing; {note}."))
    return blocks


def _provenance(report: "Report") -> list[Block]:
    blocks: list[Block] = [Heading(2, "Provenance")]
    for s in report.sweeps:
        blocks += [Heading(3, f"Sweep {s.label}"), Facts(sweep_facts(s))]
        used = [f"{d.device} {pulse_width_text(d.pulse_width_s)}: {d.response.get('model')}"
                + (f", {format_si(0.5 * (d.energy_up_J + d.energy_down_J), 'J')} per pulse (stated for the device)"
                   if d.energy_up_J is not None and d.energy_down_J is not None else "")
                + (" (synthetic)" if d.synthetic else "") for d in s.devices]
        if used:
            blocks += [Para("Device responses the runs trained on:"), Bullets(used)]
        blocks += [Para("Sweep config, as recorded in `sweep.yaml`:"), Code(config_yaml(s), "yaml")]
    blocks += [Heading(3, "Software"), Facts(list(software_versions().items()))]
    blocks += [Heading(3, "Files"), Bullets([
        "`summary_by_pulse_width.csv`: one row per sweep, device, pulse width, algorithm (and other swept "
        "key); for each metric `_mean`, `_std` (ddof 1), `_n`, `_ci95_low`, `_ci95_high` (t-interval, "
        "n >= 3); energies in J, accuracies as fractions.",
        "`accuracy_by_epoch.csv`: test accuracy (mean, std, n) and mean cumulative energy (J) per epoch.",
        "`figures/*.png` (150 dpi) and `figures/*.svg`.",
    ])]
    return blocks




__all__ = ["Banner", "Block", "Bullets", "Code", "Facts", "FigureBlock", "Heading", "Para", "TableBlock",
           "build_document", "synthetic_banner"]
