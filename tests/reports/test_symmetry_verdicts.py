"""The symmetry point as a sweep axis and the report's verdicts within its uncertainty (issue 25,
item 4): a sweep over `device.symmetry_point_offset` by name trains at the data's estimate and
the ends of its interval, run.json says where, and the report gives the accuracy range and
holds / fails / undecided."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ferrosim.device.file import load_device_file
from ferrosim.device.fit_run import fit_path
from ferrosim.reports import build_report
from ferrosim.reports.symmetry_verdicts import symmetry_verdicts, verdict

from reports.test_report import run_sweep

REPO = Path(__file__).resolve().parents[2]


def test_verdict_is_holds_fails_or_undecided():
    assert verdict([(3, 3), (3, 3), (3, 3)]) == "holds"
    assert verdict([(0, 3), (0, 3)]) == "fails"
    assert verdict([(3, 3), (0, 3)]) == "undecided"  # the answer turns on where g* lies
    assert verdict([(3, 3), (2, 3)]) == "undecided"  # or on the seed


def test_the_table_orders_positions_and_judges_each_group():
    rows = []
    for pw, accs in ((2e-8, {"data_68_low": 0.96, "data": 0.97, "data_68_high": 0.96}),
                     (2e-4, {"data_68_low": 0.97, "data": 0.40, "data_68_high": 0.10})):
        for pos, acc in accs.items():
            for seed in (0, 1):
                rows.append({"sweep": "s", "run_id": f"{pw}{pos}{seed}", "device": "D", "pulse_width_s": pw,
                             "algorithm": "sgd", "seed": seed, "final_accuracy": acc + 0.001 * seed,
                             "epochs_to_target": 3.0 if acc >= 0.95 else float("nan"),
                             "device.symmetry_point_offset": pos})
    summary = pd.DataFrame(rows)
    infos = {r["run_id"]: {"symmetry_point_trained": {"data_68_low": 0.2, "data": 0.3, "data_68_high": 0.4}[
        r["device.symmetry_point_offset"]]} for r in rows}
    table, sentences = symmetry_verdicts(summary, infos, {"s": 0.95})
    assert table.headers[-5:] == ["68% low", "data estimate", "68% high", "range", "reaches the target"]
    assert [r[-1] for r in table.rows] == ["holds", "undecided"]
    assert table.rows[1][2].startswith("g* +0.20: 97.0%") and "2/2 reached" in table.rows[1][2]
    assert table.rows[1][-2] == "10.0%-97.1%"
    assert "**undecided**" in sentences[1]
    assert symmetry_verdicts(summary.drop(columns="device.symmetry_point_offset"), infos, {"s": 0.95}) is None


@pytest.fixture(scope="module")
def sp_sweep(tmp_path_factory):
    """The SYNTHETIC example set refitted (it then has the data's symmetry point), plain SGD and
    shifting at the 68% interval's ends and the data's estimate, 2 seeds."""
    folder = tmp_path_factory.mktemp("sp")
    fit_path(REPO / "measurements", folder / "dev.yaml", figures=False)
    text = f"""\
name: sp
seed: [0, 1]
dataset: {{name: digits, train_subset: 200, test_subset: 90}}
network: {{hidden: [16]}}
training: {{epochs: 2, batch_size: 1, lr: 0.1, target_accuracy: 0.25}}
device: {{file: {folder / 'dev.yaml'}, name: SYN-HZO-A}}
sweep:
  pulse_width: [20ns]
  algorithm: [sgd, sgd_symmetry_shift]
  device.symmetry_point_offset: [data_68_low, data, data_68_high]
"""
    return folder, run_sweep(folder / "sweep", text)


def test_runs_train_at_the_named_positions_and_the_report_judges_them(sp_sweep):
    import json

    folder, out = sp_sweep
    record = load_device_file(folder / "dev.yaml").devices["SYN-HZO-A"].pulse_widths["20ns"].fit["symmetry_point_data"]
    wanted = {"data_68_low": record["interval_68"][0], "data": record["data"], "data_68_high": record["interval_68"][1]}
    seen = {}
    for path in (out / "runs").glob("*/run.json"):
        run = json.loads(path.read_text())
        if run["config"]["algorithm"] != "sgd":
            continue
        pos = run["axes"]["device.symmetry_point_offset"]
        info = run["info"]
        seen[pos] = info["symmetry_point_trained"]
        assert info["symmetry_point_minus_g_ref"] == pytest.approx(info["symmetry_point_model"] - info["g_ref"])
    assert seen == pytest.approx(wanted)
    report = build_report([out])
    text = report.markdown_path.read_text()
    assert "Within the symmetry point's uncertainty" in text
    assert text.count("| 20 ns | sgd |") >= 1 and "| 20 ns | sgd_symmetry_shift |" in text
    assert any(w in text for w in ("**holds**", "**fails**", "**undecided**"))
    verdicts = pd.read_csv(report.symmetry_csv_path)
    assert list(verdicts["algorithm"]) == ["sgd", "sgd_symmetry_shift"]
    assert set(verdicts["reaches the target"]) <= {"holds", "fails", "undecided"}
    # shifting finds each device's own g*: the positions change nothing
    shift = verdicts[verdicts["algorithm"] == "sgd_symmetry_shift"].iloc[0]
    assert shift["68% low"] == shift["data estimate"] == shift["68% high"]


def test_the_report_command_prints_the_verdicts(sp_sweep, tmp_path):
    from cli.test_cli import ferrosim

    _, out = sp_sweep
    res = ferrosim("report", str(out), "--out", str(tmp_path / "r"))
    assert res.returncode == 0
    assert "within the symmetry point's uncertainty" in res.stdout and "sgd at 20 ns:" in res.stdout


def test_energy_claims_are_judged_at_every_position():
    from ferrosim.reports.symmetry_verdicts import energy_claim_verdicts

    rows = []
    # total energy: 20 ns cheaper at both positions (holds); energy to target: only where every
    # seed reached it, 20 ns cheaper at one position and 2 us at the other (undecided)
    for pos, (e20, e2u), (t20, t2u) in (("data_68_low", (1.0, 2.0), (1.0, 3.0)), ("data_68_high", (1.5, 2.5), (4.0, 3.0))):
        for pw, e, t in ((2e-8, e20, t20), (2e-6, e2u, t2u)):
            rows.append({"sweep": "s", "device": "D", "pulse_width_s": pw, "algorithm": "sgd",
                         "device.symmetry_point_offset": pos, "total_energy_J_mean": e,
                         "energy_to_target_J_mean": t, "runs_reaching_target": 3, "n_runs": 3})
    lines = energy_claim_verdicts(pd.DataFrame(rows), ["device.symmetry_point_offset"])
    assert len(lines) == 1
    assert "total update energy: **holds** (cheapest: 20 ns)" in lines[0]
    assert "energy to target: **undecided** (cheapest: 2 µs, 20 ns)" in lines[0]
    assert energy_claim_verdicts(pd.DataFrame(rows).drop(columns="device.symmetry_point_offset"), []) == []


def test_a_reused_run_without_the_axis_counts_at_offset_zero():
    """A run copied in from a sweep without the axis (same run id: offset 0) stands at offset 0;
    a sweep that never moves the symmetry point stays out of the table."""
    rows = [{"sweep": "sp", "run_id": f"r{k}", "device": "D", "pulse_width_s": 2e-8, "algorithm": "sgd", "seed": 0,
             "final_accuracy": acc, "epochs_to_target": float("nan"), "device.symmetry_point_offset": pos}
            for k, (pos, acc) in enumerate((("data_68_low", 0.5), (None, 0.4), ("data_68_high", 0.3)))]
    rows.append({**rows[1], "sweep": "other", "run_id": "r9"})
    table, _ = symmetry_verdicts(pd.DataFrame(rows), {}, {"sp": 0.9, "other": 0.9})
    assert table.headers[2:5] == ["68% low", "model's g* (offset 0)", "68% high"]
    assert len(table.rows) == 1 and table.rows[0][2:5] == ["50.0%, 0/1 reached", "40.0%, 0/1 reached", "30.0%, 0/1 reached"]
