"""`ferrosim report --wide`: every column of the summary table, whatever the terminal's width."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ferrosim.reports import prepare
from ferrosim.reports.tables import cell

from reports.test_report import TINY, run_sweep
from reports.test_report_reading import ESSENTIAL


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return run_sweep(tmp_path_factory.mktemp("tiny"), TINY)


@pytest.mark.parametrize("wide", [False, True])
def test_report_command_at_80_columns_with_and_without_wide(tiny, tmp_path, monkeypatch, wide):
    from rich.console import Console
    from typer.testing import CliRunner

    import ferrosim.cli as cli

    terminal = Console(width=80, file=io.StringIO(), highlight=False, color_system=None)
    monkeypatch.setattr(cli, "out_console", terminal)  # an 80-column terminal
    args = ["report", str(tiny), "--out", str(tmp_path / "r")] + (["--wide"] if wide else [])
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    text = terminal.file.getvalue()
    assert "…" not in text and "mixed_precision" in text
    agg = prepare([tiny]).agg
    shown = ("best_accuracy", "energy_per_pulse_J", "total_energy_J", *ESSENTIAL) if wide else ESSENTIAL
    for _, row in agg.iterrows():
        for metric in shown:
            assert cell(row, metric, interval=False) in text, metric
    widest = max(len(line) for line in text.splitlines())
    if wide:  # every column at full width, wider than the terminal
        assert widest > 80 and "not shown at this width" not in text
    else:
        assert widest <= 80 and "not shown at this width" in text and "--wide" in text
