"""Issue 28: honest energies without a device area, energy wording, and one-width sweeps.

A lab's first sweep on its own device is often one pulse width of a device whose area nobody
wrote down. fit-device warns, and the sweep config it writes promises, that the energy columns
"will be empty": they are (the CLI, the API and the report say why the same way), and a term
named by the user is a partial estimate with an open upper bound whose verdicts are undecided.
Each verdict names the width its ratio belongs to, an assumed conductance is `assumed`, the
energy report shows pulse and digital energy apart (and says `ideal`'s digital work is
unpriced), and one pulse width says "one pulse width: no comparison" while drawing what it can.
"""

from __future__ import annotations

import math
import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import ferrosim
from ferrosim.cli import main
from ferrosim.energy.claims import ONE_WIDTH
from ferrosim.energy.model import NO_AREA, EnergyConfig, resolve, summary_energy
from ferrosim.energy.reprice import claims
from ferrosim.reports.energy_note import IDEAL_DIGITAL, NO_AREA_ENERGIES
from ferrosim.reports.tables import energy_claim_lines
from tests.energy.test_terms import electrical

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "measurements" / "examples" / "lab_export"
SWEEP = """\
name: first-day
seed: [0]
dataset: {name: digits, train_subset: 100, test_subset: 50}
network: {hidden: [4]}
training: {epochs: 2, batch_size: 10, lr: 0.1, target_accuracy: 0.15}
device: {file: dev.yaml, name: SYN-HZO-A}
sweep:
  pulse_width: [2us]
  algorithm: [ideal, sgd, mixed_precision]
"""


def _one_width_without_area(folder: Path) -> Path:
    """The bundled lab export at 2 us only, with no device area in measurements.yaml."""
    shutil.copytree(LAB, folder)
    (folder / "SYN-HZO-A_20us_export.csv").unlink()
    text = (folder / "measurements.yaml").read_text()
    text = text.replace("  area_um2: 5\n", "")
    text = re.sub(r'  "\*_20us_export.csv".*\n', "", text)
    text = re.sub(r"  20us:\n    conductance_during_pulse_S: 7.40e-07\n", "", text)
    assert "area_um2" not in text and "20us" not in text
    (folder / "measurements.yaml").write_text(text)
    return folder


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in argv])
    captured = capsys.readouterr()
    return done.value.code, captured.out, captured.err


@pytest.fixture(scope="module")
def first_day(tmp_path_factory) -> dict:
    """fit-device (API) on a one-width device without an area, with the warnings it raised;
    then a small sweep on it (ideal, sgd, mixed precision at 2 us)."""
    tmp = tmp_path_factory.mktemp("first_day")
    data = _one_width_without_area(tmp / "data")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = ferrosim.fit_device(data, tmp / "dev.yaml", figures=False, sweep_config=tmp / "generated.yaml")
    (tmp / "small.yaml").write_text(SWEEP)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library warning on the way
        ferrosim.sweep(tmp / "small.yaml", out=tmp / "out", workers=1)
    return {"tmp": tmp, "fit": fit, "caught": caught, "out": tmp / "out"}


# -- 1. energy without a device area ------------------------------------------------------------

def test_the_api_returns_and_raises_the_missing_area_warning(first_day):
    fit, caught = first_day["fit"], first_day["caught"]
    said = [ln for ln in fit.notes if ln.startswith("no energy per pulse for SYN-HZO-A at 2us")]
    assert len(said) == 1 and "no device area" in said[0] and "will be empty" in said[0]
    assert fit.notes == fit.warnings
    raised = [w for w in caught if issubclass(w.category, ferrosim.FerrosimWarning)]
    assert [str(w.message) for w in raised] == fit.warnings
    assert issubclass(ferrosim.FerrosimWarning, UserWarning)


def test_the_cli_prints_the_same_warning_as_the_api(first_day, capsys, tmp_path):
    code, _, err = run_cli(capsys, "fit-device", first_day["tmp"] / "data", "-o", tmp_path / "d.yaml",
                           "--no-figures")
    assert code == 0
    lines = [ln for ln in err.splitlines() if ln.startswith("warning: no energy per pulse")]
    assert lines == [f"warning: {w}" for w in first_day["fit"].warnings if w.startswith("no energy per pulse")]


def test_a_sweep_without_an_area_leaves_the_energy_columns_empty_as_promised(first_day):
    assert "the energy columns of those runs will be empty" in (first_day["tmp"] / "generated.yaml").read_text()
    summary = pd.read_csv(first_day["out"] / "summary.csv")
    device = summary[summary["algorithm"] != "ideal"]
    assert len(device) == 2 and set(device["energy_model"]) == {NO_AREA + " + digital"}
    for col in ("energy_per_pulse_J", "total_energy_J", "pulse_energy_J", "energy_conduction_J",
                "energy_per_pulse_lower_J", "energy_per_pulse_upper_J", "total_energy_lower_J",
                "total_energy_upper_J"):
        assert device[col].isna().all(), col


def test_the_report_and_the_energy_command_say_why_the_energies_are_empty(first_day, capsys):
    out = first_day["out"]
    code, _, err = run_cli(capsys, "report", out)
    assert code == 0, err
    assert NO_AREA_ENERGIES in (out / "report" / "report.md").read_text()
    code, stdout, err = run_cli(capsys, "energy", out, "--out", out / "energy-default")
    assert code == 0, err
    assert NO_AREA_ENERGIES in stdout
    assert NO_AREA_ENERGIES in (out / "energy-default" / "energy.md").read_text()


def test_a_named_term_without_an_area_is_a_partial_estimate_with_an_open_upper_bound():
    plan = resolve(EnergyConfig(conduction="read"), electrical(area_um2=None))
    assert "conduction[read] (partial: no device area" in plan.name
    assert plan.upper is None and plan.upper_name.startswith("open")
    row = summary_energy(plan, [10], [10], [0], [0], 1, 1)
    assert row["energy_per_pulse_J"] > 0 and row["energy_capacitive_J"] == 0
    assert row["energy_per_pulse_upper_J"] is None and row["total_energy_upper_J"] is None
    # and a sweep's default settings leave such a device unpriced
    assert resolve(EnergyConfig(), electrical(area_um2=None)).central is None


def _by_width(model: str, widths_and_energies) -> pd.DataFrame:
    rows = []
    for width, e in widths_and_energies:
        rows.append({"model": model, "algorithm": "sgd", "pulse_width_s": width, "n": 2, "reached": 2,
                     **{f"{m}_mean": e for m in ("energy_per_pulse_J", "energy_per_update_J", "total_energy_J",
                                                 "energy_to_target_J")}})
    return pd.DataFrame(rows)


def test_the_verdicts_of_a_partial_estimate_are_undecided():
    frame = _by_width("conduction[read] (partial: no device area, capacitive and switching not priced) + digital",
                      [(2e-6, 1.51), (2e-5, 1.0), (2e-4, 1.0 + 1e-9)])
    verdicts = claims(frame, ["model", "algorithm"]).iloc[0]
    assert all(verdicts[m].startswith("undecided") for m in ("energy_per_pulse_J", "total_energy_J"))


# -- 2. energy wording ----------------------------------------------------------------------------

def test_each_verdict_names_the_width_its_ratio_belongs_to():
    frame = _by_width("m", [(2e-6, 1.51), (2e-5, 1.0), (2e-4, 1.0 + 1e-9)])
    verdict = claims(frame, ["model", "algorithm"]).iloc[0]["total_energy_J"]
    assert verdict == "does not hold: 20us is cheapest (2us costs x1.51 of 200us)"
    agg = pd.DataFrame({"algorithm": "sgd", "pulse_width_s": [2e-6, 2e-5, 2e-4], "runs_reaching_target": 2,
                        "n_runs": 2, "total_energy_J_mean": [1.51, 1.0, 1.0 + 1e-9]})
    lines = energy_claim_lines(agg, [("", {})], {"central": "m", "upper": "u"})
    assert "central no, 20 µs (2 µs costs x1.5 of 200 µs)" in lines[1]


def test_an_assumed_conductance_is_named_assumed(first_day, tmp_path):
    # the bundled lab export prices conduction at measurements.yaml's conductance_during_pulse_S
    fit = ferrosim.fit_device(LAB, tmp_path / "lab.yaml", figures=False, warn=False)
    for entry in fit.device_file.devices["SYN-HZO-A"].pulse_widths.values():
        e = entry.energy_per_pulse_J
        assert "conduction[assumed]" in e.model and "measured" not in e.model
        assert "an assumption" in e.note
    measured = electrical(conductance_during_pulse_S=1e-5)
    measured = measured.model_copy(update={
        "up": measured.up.model_copy(update={"current_A": [1e-6] * len(measured.up.amplitude_V)}),
        "down": measured.down.model_copy(update={"current_A": [1e-6] * len(measured.down.amplitude_V)})})
    assert "conduction[measured]" in resolve(EnergyConfig(), measured).name


def test_pulse_and_digital_energy_are_shown_apart_and_ideal_says_its_digital_work_is_unpriced(first_day, capsys):
    out = first_day["out"]
    code, _, err = run_cli(capsys, "energy", out, "--set", "energy.conduction=read", "--out", out / "energy-read")
    assert code == 0, err
    folder = out / "energy-read"
    assert (folder / "figures" / "energy_split.png").stat().st_size > 0
    md = folder / "energy.md"
    assert "## Pulse and digital energy apart" in md.read_text() and IDEAL_DIGITAL in md.read_text()
    if not (out / "report" / "report.md").exists():
        run_cli(capsys, "report", out)
    assert IDEAL_DIGITAL in (out / "report" / "report.md").read_text()


# -- 3. one pulse width ---------------------------------------------------------------------------

def test_one_width_energy_md_says_no_comparison(first_day, capsys):
    out = first_day["out"]
    code, stdout, err = run_cli(capsys, "energy", out, "--set", "energy.conduction=read", "--out", out / "energy-one")
    assert code == 0, err
    md = (out / "energy-one" / "energy.md").read_text()
    section = md.split("## Do shorter pulses cost less?", 1)[1].split("\n## ", 1)[0]
    assert "One pulse width: no comparison" in section and "every run is at 2us" in section
    by_model = [ln for ln in section.splitlines() if ln.startswith("| configured: conduction[read]")]
    assert by_model and all(ln.count(ONE_WIDTH) == 4 for ln in by_model)
    assert f"note: {ONE_WIDTH}" in stdout


def test_one_width_scan_draws_energy_against_the_scanned_value(first_day, monkeypatch):
    from ferrosim.reports import energy_report

    drawn = []
    monkeypatch.setattr(energy_report, "write_figure", lambda fig, path, **kw: drawn.append((fig, path)) or path)
    r = energy_report.reprice([first_day["out"]], ["energy.conduction=scaled"], "energy.conduction_scale=1:100:5:log")
    energy_report.scan_figure(r.scan, first_day["tmp"] / "scan")
    fig = drawn[0][0]
    axes = fig.axes
    first = axes[0]
    assert first.get_xlabel() == "energy.conduction_scale" and first.get_xscale() == "log"
    (line,) = first.get_lines()
    assert len(line.get_xdata()) == 5 and (line.get_ydata()[1:] > line.get_ydata()[:-1]).all()
    texts = " ".join(t.get_text() for t in axes[3].texts).replace("\n", " ")
    assert ONE_WIDTH in texts
    assert ONE_WIDTH in fig._suptitle.get_text()
    md = energy_report.markdown(r)
    assert f"- {ONE_WIDTH}: the figure draws each energy at 2us against energy.conduction_scale." in md


def test_one_width_report_says_no_comparison(first_day, capsys):
    out = first_day["out"]
    code, _, err = run_cli(capsys, "report", out, "--out", out / "report-one")
    assert code == 0, err
    md = (out / "report-one" / "report.md").read_text()
    assert f"{ONE_WIDTH} (every run at 2 µs)" in md
    assert "one pulse width: no comparison" in md.split("vs_pulse_width", 1)[1]


@pytest.mark.parametrize("scan", ["energy.conduction_scale=1:100:4:log", "energy.digital.node=45nm_fp32,7nm_int8",
                                  "energy.polarization_uC_per_cm2=1:40:3"])
def test_no_library_warning_reaches_the_user(first_day, capsys, scan):
    out = first_day["out"]
    code, _, err = run_cli(capsys, "energy", out, "--set", "energy.conduction=read", "--scan", scan,
                           "--out", out / "energy-warn")
    assert code == 0, err
    code, _, err2 = run_cli(capsys, "report", out, "--out", out / "report-warn")
    assert code == 0, err2
    for text in (err, err2):
        assert not [ln for ln in text.splitlines() if re.match(r"warning: \w*(Warning|Error):", ln)], text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from ferrosim.reports.energy_report import reprice, write_repricing

        write_repricing(reprice([out], ["energy.conduction=read"], scan), out / "energy-warn-api")
        ferrosim.report(out, out / "report-warn-api")
    assert not math.isnan(pd.read_csv(out / "energy-warn-api" / "energy_by_run.csv")["total_energy_J"].iloc[0])
