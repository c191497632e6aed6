"""What a reader sees in `ferrosim report` (issue 16, item 5): a terminal table readable at 80 and
120 columns, figures that say why an energy panel is empty, a target note that agrees with the
table, a synthetic flag per sweep, and pulse widths written `2 µs`."""

from __future__ import annotations

import html
import re
from pathlib import Path

import matplotlib
import pytest
import yaml
from rich.console import Console

from ferrosim.reports import build_report, prepare
from ferrosim.reports.aggregate import energy_models
from ferrosim.reports.energy_note import NO_DEVICE_ENERGIES
from ferrosim.reports.tables import cell, reached
from ferrosim.reports.terminal import COLUMNS, print_summary, summary_view
from ferrosim.units import format_pulse_width, pulse_width_text

from reports.test_report import DEVICE_FILE, TINY, run_sweep

ALGORITHMS = ("ideal", "sgd", "mixed_precision")
ESSENTIAL = ("final_accuracy", "epochs_to_target", "energy_to_target_J")


def without_energies(folder: Path) -> Path:
    """The example device file as `fit-device` writes it from conductance traces alone: no
    energies, no electrical data (and not synthetic, to mix with the synthetic sweep)."""
    data = yaml.safe_load(DEVICE_FILE.read_text())
    data["synthetic"] = False
    for device in data["devices"].values():
        for entry in device["pulse_widths"].values():
            entry.pop("energy_per_pulse_J", None)
            entry.pop("electrical", None)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "conductance-only.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return run_sweep(tmp_path_factory.mktemp("tiny"), TINY)


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """The same sweep on the device file without energies: the same training, no joules."""
    folder = tmp_path_factory.mktemp("plain")
    text = TINY.replace(str(DEVICE_FILE), str(without_energies(folder))).replace("name: tiny", "name: plain")
    return run_sweep(folder, text)


@pytest.fixture(scope="module")
def mixed(tiny, plain, tmp_path_factory):
    """A synthetic sweep with energies beside a real one without; figure text kept as SVG text."""
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        return build_report([tiny, plain], tmp_path_factory.mktemp("mixed") / "report")


def svg_texts(path: Path) -> list[str]:
    """The plain text elements of a figure's SVG, in drawing order (titles after their panel)."""
    found = re.findall(r"<text\b[^>]*>([^<]*)</text>", path.read_text())
    return [html.unescape(t).strip() for t in found if t.strip()]


def figure(report, name: str) -> list[str]:
    return svg_texts(next(f.svg for f in report.figures if f.name == name))


def rendered(view, width: int) -> str:
    console = Console(width=width, record=True, highlight=False, color_system=None)
    print_summary(console, view)
    return console.export_text()


def view_of(report, wide: bool = False):
    return summary_view(report.agg, report.axes, "summary", report.synthetic_sweeps,
                        energy_models(report.summary)["central"], wide=wide)


# -- the terminal table ---------------------------------------------------------------------
@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("which", ["one sweep", "two sweeps"])
def test_terminal_table_fits_without_cutting_a_name_or_number(tiny, plain, which, width):
    report = prepare([tiny] if which == "one sweep" else [tiny, plain])
    text = rendered(view_of(report), width)
    assert "…" not in text and "..." not in text, text
    assert max(len(line) for line in text.splitlines()) <= width
    lines = text.splitlines()
    for _, row in report.agg.iterrows():
        # one line per setting holds its pulse width, full algorithm name and the key numbers
        width_text = "-" if row["algorithm"] == "ideal" else pulse_width_text(row["pulse_width_s"])
        wanted = [width_text, row["algorithm"], reached(row), *(cell(row, c, interval=False) for c in ESSENTIAL)]
        assert any(all(w in line for w in wanted) for line in lines), (wanted, text)
    if width == 120:  # room for more than the essentials
        assert "total" in text and all(cell(r, "total_energy_J", interval=False) in text
                                       for _, r in report.agg.iterrows())
    else:
        assert "not shown at this width" in text and "--wide" in text


def test_wide_shows_every_column_at_its_full_width(tiny):
    report = prepare([tiny])
    text = rendered(view_of(report, wide=True), 80)
    assert "…" not in text
    flat = " ".join(text.split())
    for column in COLUMNS:
        assert all(word in flat for word in column.header.split()), column.name
    for _, row in report.agg.iterrows():
        for metric in ("best_accuracy", "energy_per_pulse_J", "total_energy_J"):
            assert cell(row, metric, interval=False) in text
    assert max(len(line) for line in text.splitlines()) > 80  # wider than the terminal, not cut


def test_too_narrow_for_the_columns_stacks_each_setting(tiny):
    report = prepare([tiny])
    text = rendered(view_of(report), 56)
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 56
    for _, row in report.agg.iterrows():
        assert f"final accuracy: {cell(row, 'final_accuracy', interval=False)}" in text
    for name in ALGORITHMS:
        assert name in text


# -- energies missing, target note, synthetic flags -------------------------------------------
def test_runs_without_energies_say_so_in_every_energy_panel(mixed):
    plain_rows = mixed.agg[(mixed.agg.sweep == "plain") & (mixed.agg.algorithm != "ideal")]
    assert plain_rows.total_energy_J_mean.isna().all()  # the premise: the device file has none
    for name in ("vs_pulse_width", "accuracy_vs_energy"):
        texts = figure(mixed, name)
        # the two energy panels of the plain row, the message wrapped over several lines
        assert " ".join(texts).count(NO_DEVICE_ENERGIES) == 2, texts
        assert "no energies" not in texts
    md = mixed.markdown_path.read_text()
    assert "no energy estimate: the device file has no energies" in md
    terminal = rendered(view_of(mixed), 80)
    assert "no energy estimate: the device file has no energies" in " ".join(terminal.split())


def test_the_target_note_agrees_with_the_reached_column(mixed):
    plain_rows = mixed.agg[(mixed.agg.sweep == "plain") & (mixed.agg.algorithm == "mixed_precision")]
    assert (plain_rows.runs_reaching_target > 0).all()  # the table says mixed precision reached it
    texts = figure(mixed, "accuracy_vs_energy")
    assert "no setting reached the target" not in texts
    # the notes list, per panel, who never reached the target (0/n) and who did but has no energy
    never = _listed(texts, "never reached the target:")
    assert never and all(item.startswith("sgd ") for item in never), never
    assert "mixed_precision (2 widths)" in _listed(texts, "reached the target, no energy:")
    md = mixed.markdown_path.read_text()
    assert "no setting reached the target" not in md
    assert re.search(r"\| 20 ns \| mixed_precision \| 3 \| [^|]+ \| [^|]+ \| [^|]+ \| [1-3]/3 \|", md)


def test_nobody_reaching_the_target_is_still_said(tiny, tmp_path):
    text = TINY.replace("target_accuracy: 0.25", "target_accuracy: 0.99").replace("name: tiny", "name: hard")
    text = text.replace("seed: [0, 1, 2]", "seed: [0]").replace("[20ns, 200us]", "[20ns]")
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        report = build_report([run_sweep(tmp_path / "hard", text)], tmp_path / "report")
    assert (report.agg.runs_reaching_target == 0).all()
    texts = figure(report, "accuracy_vs_energy")
    assert "no setting reached the target" in texts and not any(t.startswith("no energy") for t in texts)


def _listed(texts: list[str], head: str) -> list[str]:
    """The items under every `head` line of a figure's notes."""
    items = []
    for k, t in enumerate(texts):
        if t == head:
            items += [x for x in texts[k + 1:k + 4] if re.fullmatch(r"\w+ \(\d+ widths?\)", x)]
    return items


def test_each_sweep_carries_its_own_synthetic_flag(mixed):
    assert mixed.synthetic_sweeps == ["tiny"]
    for fig in mixed.figures:
        texts = figure(mixed, fig.name)
        assert any(t.endswith("(SYNTHETIC device data in tiny only)") for t in texts), (fig.name, texts)
        assert not any("plain" in t and "SYNTHETIC" in t for t in texts), fig.name
        if fig.name == "device_responses":
            assert any(t.startswith("SYN-HZO-A (tiny) (SYNTHETIC device data)") for t in texts)
            assert "SYN-HZO-A (plain)" in texts
        else:
            assert "tiny (SYNTHETIC device data)" in texts and "plain" in texts
    terminal = rendered(view_of(mixed), 80)
    assert "tiny (SYNTHETIC device data)" in terminal and "SYNTHETIC device data in tiny only" in " ".join(
        terminal.split())


def test_one_flag_in_the_title_when_every_sweep_is_synthetic():
    from ferrosim.reports.figures import SYNTHETIC_TAG, FigureInputs

    def inputs(flagged):
        return FigureInputs(agg=None, curves=None, variants=[("a", {"sweep": "a"}), ("b", {"sweep": "b"})],
                            style=None, devices=[], targets={}, max_epochs={}, synthetic=bool(flagged),
                            synthetic_sweeps=flagged)

    both, one, none = inputs(["a", "b"]), inputs(["b"]), inputs([])
    assert both.title_tag() == SYNTHETIC_TAG and both.row_label("a", {"sweep": "a"}) == "a"
    assert one.title_tag() == f"{SYNTHETIC_TAG} in b only"
    assert one.row_label("a", {"sweep": "a"}) == "a" and one.row_label("b", {"sweep": "b"}) == f"b ({SYNTHETIC_TAG})"
    assert none.title_tag() is None and none.row_label("b", {"sweep": "b"}) == "b"


# -- pulse widths as a reader writes them ----------------------------------------------------
def test_pulse_width_text():
    assert [pulse_width_text(s) for s in (2e-6, 2e-8, 2e-4, 5e-3, 1.0, 2.5e-8)] == \
        ["2 µs", "20 ns", "200 µs", "5 ms", "1 s", "25 ns"]
    assert format_pulse_width(2e-6) == "2us"  # run ids, device-file keys and CSV columns keep it


def test_pulse_widths_read_2_us_in_tables_and_figures_not_in_the_csv(mixed):
    md = mixed.markdown_path.read_text()
    page = mixed.html_path.read_text()
    assert "| 200 µs | mixed_precision |" in md and "<td class=\"l\">200 µs</td>" in page
    assert "200us" not in md.split("## Provenance")[0] and "200us" not in page.split("Provenance")[0]
    for fig in mixed.figures:
        texts = figure(mixed, fig.name)
        assert not any(re.search(r"\d(ns|us)\b", t) for t in texts), (fig.name, texts)
        assert any("200 µs" in t for t in texts), fig.name
    assert "200 µs" in rendered(view_of(mixed), 80)
    csv = mixed.csv_path.read_text()
    assert ",200us," in csv and "µs" not in csv
