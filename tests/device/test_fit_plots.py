"""The fit figures read at 100% zoom: legends on every panel, units on every axis, the device,
pulse width, model and R^2 in the titles, no text under 10 pt; saved at the stated DPI, with the
caller's matplotlib settings untouched."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

from ferrosim.device.fit_plots import DPI, MIN_FONT_PT, fit_figures, plot_fits
from ferrosim.device.fit_run import fit_path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
UNIT = re.compile(r"\((pS|nS|µS|mS|S|normalised|s|J)\)")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return fit_path(REPO / "measurements", tmp_path_factory.mktemp("fit") / "d.yaml", figures=False)


def check_figure(fig, device: str) -> list:
    """Assert the rules on one figure; returns its visible axes."""
    fig.canvas.draw()  # tick labels exist once drawn
    assert device in fig.get_suptitle()
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert axes
    for ax in axes:
        legend = ax.get_legend()
        assert legend is not None and [t.get_text() for t in legend.get_texts() if t.get_text()], ax.get_title()
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            assert UNIT.search(label) or label.startswith("pulse number"), label  # a count has no unit
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            assert text.get_fontsize() >= MIN_FONT_PT, (text.get_text(), text.get_fontsize())
    return axes


def test_trace_and_step_figures_follow_the_rules(synthetic):
    figures = dict(fit_figures(synthetic.results, synthetic.device_file))
    try:
        assert set(figures) == {"SYN-HZO-A_traces.png", "SYN-HZO-A_steps.png", "SYN-HZO-A_summary.png"}
        for kind in ("traces", "steps"):
            axes = check_figure(figures[f"SYN-HZO-A_{kind}.png"], "SYN-HZO-A")
            assert len(axes) == 5
            for ax, res in zip(axes, synthetic.results):
                title = ax.get_title()
                assert "SYN-HZO-A" in title and res.model.model in title
                r2 = res.stats["trace_r2" if kind == "traces" else "step_r2"]
                assert f"R² = {r2:.3f}" in title
            titles = [ax.get_title() for ax in axes]
            for width in ("20 ns", "200 ns", "2 µs", "20 µs", "200 µs"):
                assert sum(f", {width}\n" in t for t in titles) == 1, (width, titles)
            # conductance in siemens (pS for this ~0.1-0.8 nS device), never an unlabelled "step"
            assert axes[0].get_ylabel() == ("conductance (pS)" if kind == "traces" else "conductance step per pulse (pS)")
            assert axes[0].get_xlabel() == ("pulse number (ramps in measured order)" if kind == "traces"
                                            else "conductance before the pulse (pS)")
            labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
            assert any("measured" in t for t in labels) and any("fit (softbounds)" in t for t in labels)
        summary = check_figure(figures["SYN-HZO-A_summary.png"], "SYN-HZO-A")
        suptitle = figures["SYN-HZO-A_summary.png"].get_suptitle()
        assert "softbounds" in suptitle and "R²" in suptitle and "SYNTHETIC" in suptitle
        assert summary[2].get_ylabel() == "energy per pulse (J)"
    finally:
        for fig in figures.values():
            plt.close(fig)


def test_unknown_energy_is_explained_in_the_summary(tmp_path):
    """Conductance traces without amplitudes or area: the energy panel's legend names why."""
    folder = tmp_path / "m"
    folder.mkdir()
    for width in ("2us", "20us"):
        lines = (REPO / "measurements" / f"SYN-HZO-A_{width}.csv").read_text().splitlines()
        header = lines[0].split(",")
        keep = [header.index(c) for c in ("device", "pulse_width", "cycle", "direction", "pulse", "conductance_S")]
        (folder / f"{width}.csv").write_text("\n".join(",".join(row.split(",")[k] for k in keep) for row in lines) + "\n")
    run = fit_path(folder, tmp_path / "d.yaml", figures=False)
    figures = dict(fit_figures(run.results, run.device_file))
    try:
        energy = check_figure(figures["SYN-HZO-A_summary.png"], "SYN-HZO-A")[2]
        legend = " ".join(t.get_text() for t in energy.get_legend().get_texts())
        assert "no energy at 2us, 20us" in legend and "no pulse amplitude" in legend and "no device area" in legend
    finally:
        for fig in figures.values():
            plt.close(fig)


@pytest.mark.skipif(not (SHARED / "devices").is_dir(), reason="../shared/data not present")
def test_normalised_data_say_normalised(tmp_path):
    """aihwkit's two-column trace holds normalised states and no pulse width."""
    run = fit_path(SHARED / "devices" / "aihwkit_gong_et_al.csv", tmp_path / "d.yaml", figures=False)
    figures = dict(fit_figures(run.results, run.device_file))
    try:
        steps = check_figure(figures["aihwkit_gong_et_al_steps.png"], "aihwkit_gong_et_al")[0]
        assert steps.get_ylabel() == "conductance step per pulse (normalised)"
        assert "pulse width unknown" in steps.get_title() and "R² = " in steps.get_title()
        check_figure(figures["aihwkit_gong_et_al_traces.png"], "aihwkit_gong_et_al")
        check_figure(figures["aihwkit_gong_et_al_summary.png"], "aihwkit_gong_et_al")
    finally:
        for fig in figures.values():
            plt.close(fig)


def test_saved_at_the_stated_dpi_without_touching_global_settings(synthetic, tmp_path):
    before = dict(matplotlib.rcParams)
    paths = plot_fits(synthetic.results, synthetic.device_file, tmp_path / "figs")
    assert [p.name for p in paths] == ["SYN-HZO-A_traces.png", "SYN-HZO-A_steps.png", "SYN-HZO-A_summary.png"]
    assert dict(matplotlib.rcParams) == before
    assert plt.get_fignums() == []  # every figure closed
    from PIL import Image

    for path in paths:
        with Image.open(path) as im:
            assert round(im.info["dpi"][0]) == DPI
            assert im.size[0] >= 1000  # panels of ~5 inches: 10 pt text is ~14 pixels high
