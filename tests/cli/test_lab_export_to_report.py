"""A lab's own export to a report, by the commands a user types (issue 16, done-when 1).

The export has arbitrary column names and units (a pulse index, the pulse amplitude in mV, the
conductance in uS); the column mapping goes on the command line. fit-device writes the device
file and a sweep config, the sweep trains on it, and the report's tables and figures must agree:
energies present everywhere, the target note matching the table, the pulse widths the same.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ferrosim.reports.energy_note import NO_DEVICE_ENERGIES
from ferrosim.units import pulse_width_text

from .test_cli import ferrosim

REPO = Path(__file__).resolve().parents[2]
EXPORTS = REPO / "measurements" / "examples" / "lab_export"
MAPPING = ["--column", "pulse=idx", "--column", "amplitude=Vp / mV", "--column", "conductance=Conductance [uS]"]


def _relabel(src: Path, dst: Path) -> None:
    """The example export rewritten with other names and units: mV for volts, uS for nS."""
    lines = ["# SYNTHETIC (measurements/examples/make_lab_examples.py), relabelled by this test",
             "idx;Vp / mV;Conductance [uS]"]
    for raw in src.read_text().splitlines():
        if not raw or raw.startswith("#") or raw.startswith("Pulse"):
            continue
        k, v, g = raw.split(",")
        lines.append(f"{k};{float(v) * 1e3:g};{float(g) * 1e-3:.9g}")
    dst.write_text("\n".join(lines) + "\n")


def _svg_texts(path: Path) -> list[str]:
    return [html.unescape(t).strip() for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", path.read_text())
            if t.strip()]


@pytest.fixture(scope="module")
def lab_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    data = tmp / "export"
    data.mkdir()
    for width in ("2us", "20us"):
        _relabel(EXPORTS / f"SYN-HZO-A_{width}_export.csv", data / f"run_{width}.csv")
    sidecar = yaml.safe_load((EXPORTS / "measurements.yaml").read_text())
    del sidecar["columns"]  # the mapping comes from the command line
    sidecar["files"] = {f"run_{w}.csv": {"pulse_width": w} for w in ("2us", "20us")}
    (data / "measurements.yaml").write_text(yaml.safe_dump(sidecar))
    env_rc = tmp / "matplotlibrc"
    env_rc.write_text("svg.fonttype: none\n")  # figure text kept as SVG text, to read it back
    import os

    env = {**os.environ, "MATPLOTLIBRC": str(env_rc)}

    fit = ferrosim("fit-device", str(data), *MAPPING, "-o", str(tmp / "lab.yaml"), "--sweep-config",
                   str(tmp / "sweep.yaml"), "--no-figures", env=env)
    assert fit.returncode == 0, fit.stderr
    assert "warning" not in fit.stderr, fit.stderr
    sweep = ferrosim("sweep", str(tmp / "sweep.yaml"), "--set", "training.epochs=2", "--set", "seed=[0]",
                     "--set", "sweep.algorithm=[ideal, sgd, mixed_precision]", "--set",
                     "training.target_accuracy=0.5", "--out", str(tmp / "results"), "--workers", "1",
                     "--progress", "plain", env=env)
    assert sweep.returncode == 0, sweep.stderr
    report = ferrosim("report", str(tmp / "results"), env=env)
    assert report.returncode == 0, report.stderr
    return tmp, fit, sweep, report


def test_the_device_file_holds_both_widths_with_energies(lab_report):
    tmp, *_ = lab_report
    device = yaml.safe_load((tmp / "lab.yaml").read_text())
    assert device["synthetic"] is True
    widths = device["devices"]["SYN-HZO-A"]["pulse_widths"]
    assert sorted(widths) == ["20us", "2us"]
    for entry in widths.values():
        assert entry["fit"]["quality"] == "good"
        assert entry["energy_per_pulse_J"]["up"] > 0 and entry["energy_per_pulse_J"]["down"] > 0
        assert entry["electrical"]["up"]["amplitude_V"][0] > 1.0  # mV read as mV: volts, not kilovolts


def test_every_device_run_has_energies_and_the_report_table_agrees(lab_report):
    tmp, *_ = lab_report
    summary = pd.read_csv(tmp / "results" / "summary.csv")
    device_runs = summary[summary.algorithm != "ideal"]
    assert len(device_runs) == 4 and device_runs.synthetic_device.all()  # ideal uses no device
    assert device_runs.energy_per_pulse_J.notna().all() and (device_runs.total_energy_J > 0).all()
    table = pd.read_csv(tmp / "results" / "report" / "summary_by_pulse_width.csv")
    for _, row in device_runs.iterrows():
        match = table[(table.algorithm == row.algorithm) & (table.pulse_width_s == row.pulse_width_s)]
        assert len(match) == 1
        assert match.total_energy_J_mean.iloc[0] == pytest.approx(row.total_energy_J)
    reached = device_runs[device_runs.epochs_to_target.notna()]
    assert not reached.empty and reached.energy_to_target_J.notna().all()


def test_figures_show_the_energies_and_agree_with_the_table(lab_report):
    tmp, *_ = lab_report
    figures = tmp / "results" / "report" / "figures"
    texts = {p.stem: _svg_texts(p) for p in figures.glob("*.svg")}
    assert texts, "no figures"
    everything = " ".join(t for ts in texts.values() for t in ts)
    assert NO_DEVICE_ENERGIES not in everything and "no energy estimate" not in everything
    summary = pd.read_csv(tmp / "results" / "summary.csv")
    some_reached = summary[summary.algorithm != "ideal"].epochs_to_target.notna().any()
    assert some_reached and "no setting reached the target" not in everything
    for width_s in (2e-6, 20e-6):  # the table's pulse widths label the figures
        assert pulse_width_text(width_s) in everything
    assert "SYNTHETIC" in everything
    md = (tmp / "results" / "report" / "report.md").read_text()
    assert "SYNTHETIC" in md and "2 µs" in md and "20 µs" in md


def test_the_commands_say_what_to_do_next(lab_report):
    tmp, fit, sweep, report = lab_report
    assert f"ferrosim sweep {tmp / 'sweep.yaml'}" in fit.stdout
    assert sweep.stdout.strip().splitlines()[-1].endswith(f"ferrosim report {tmp / 'results'}")
    assert "report.md" in report.stdout
