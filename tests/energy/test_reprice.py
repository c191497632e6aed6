"""A finished sweep re-priced under other physics equals a fresh sweep run under it, to 1e-12;
a resumed sweep with new energy settings trains nothing and re-prices; the scan finds the
crossover."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from ferrosim.cli import main
from ferrosim.energy.model import ENERGY_COLUMNS

REPO = Path(__file__).resolve().parents[2]
DEVICE_FILE = REPO / "devices" / "example-hzo.yaml"
NUMERIC = ["energy_per_pulse_J", "energy_per_update_J", "total_energy_J", "energy_to_target_J",
           *[c for c in ENERGY_COLUMNS if c.endswith("_J")]]
SWEEP = f"""\
name: energy_small
seed: [0]
dataset: {{name: digits, train_subset: 150, test_subset: 80}}
network: {{hidden: [8]}}
training: {{epochs: 2, batch_size: 4, lr: 0.1, target_accuracy: 0.15}}
device: {{file: {DEVICE_FILE}, name: SYN-HZO-A}}
sweep:
  pulse_width: [20ns, 2us, 200us]
  algorithm: [ideal, sgd, mixed_precision]
"""
OTHER = ["--set", "energy.conduction=scaled", "--set", "energy.conduction_scale=40",
         "--set", "energy.polarization_uC_per_cm2=35", "--set", "energy.digital_costs.sram_access_J=2e-12"]


def cli(*argv) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    assert exit_info.value.code == 0


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("energy")
    config = tmp / "s.yaml"
    config.write_text(SWEEP)
    cli("sweep", config, "--out", tmp / "default", "--workers", "1")
    cli("sweep", config, "--out", tmp / "fresh", "--workers", "1", *OTHER)
    cli("energy", tmp / "default", *OTHER)
    return tmp, config


def rel_equal(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)


def test_repriced_equals_a_fresh_run_to_1e_12(sweeps):
    tmp, _ = sweeps
    fresh = pd.read_csv(tmp / "fresh" / "summary.csv").set_index("run_id")
    default = pd.read_csv(tmp / "default" / "summary.csv").set_index("run_id")
    by_run = pd.read_csv(tmp / "default" / "energy" / "energy_by_run.csv")
    priced = by_run[by_run["model"].str.startswith("configured: ")].set_index("run_id")
    assert priced["model"].iloc[0] == "configured: capacitive + conduction[scaled x40] + switching + digital"
    device_runs = fresh[fresh["algorithm"] != "ideal"]
    assert len(priced) == len(device_runs) == 6
    # training does not depend on the energy model: same run ids, same pulses, other joules
    assert set(priced.index) == set(device_runs.index) == set(default[default.algorithm != "ideal"].index)
    for run_id, row in device_runs.iterrows():
        for col in NUMERIC:
            assert rel_equal(priced.loc[run_id, col], row[col]), (run_id, col, priced.loc[run_id, col], row[col])
        assert row["total_energy_J"] != default.loc[run_id, "total_energy_J"]
    assert (device_runs["energy_model"] == "capacitive + conduction[scaled x40] + switching + digital").all()


def test_resumed_sweep_with_new_energy_settings_trains_nothing_and_reprices(sweeps, capsys):
    tmp, config = sweeps
    out = tmp / "resumed"
    cli("sweep", config, "--out", out, "--workers", "1")
    before = {p: p.read_bytes() for p in out.glob("runs/*/epochs.csv")}
    capsys.readouterr()
    cli("sweep", config, "--out", out, "--workers", "1", *OTHER)
    err = capsys.readouterr().err
    assert "0 to train" in err and "re-priced 6 complete runs" in err
    assert {p: p.read_bytes() for p in out.glob("runs/*/epochs.csv")} == before
    resumed = pd.read_csv(out / "summary.csv").set_index("run_id")
    fresh = pd.read_csv(tmp / "fresh" / "summary.csv").set_index("run_id")
    for run_id in fresh.index:
        for col in NUMERIC:
            assert rel_equal(resumed.loc[run_id, col], fresh.loc[run_id, col]), (run_id, col)
    record = json.loads(next(out.glob("runs/*/run.json")).read_text())
    if record["config"]["algorithm"] != "ideal":
        assert record["config"]["energy"]["conduction"] == "scaled"


def test_every_model_and_the_claims_are_written(sweeps):
    tmp, _ = sweeps
    md = (tmp / "default" / "energy" / "energy.md").read_text()
    assert "SYNTHETIC" in md
    # the example device's conduction during a pulse is measurements.yaml's assumed conductance:
    # priced by the `measured` model, named `assumed` (issue 28)
    for model in ("conduction[read]", "conduction[schottky]", "conduction[assumed]", "no digital term"):
        assert model in md
    by_width = pd.read_csv(tmp / "default" / "energy" / "energy_by_pulse_width.csv")
    assert set(by_width["algorithm"]) == {"sgd", "mixed_precision"}
    assert (by_width["total_energy_lower_J_mean"] <= by_width["total_energy_J_mean"] * (1 + 1e-12)).all()
    assert (by_width["total_energy_J_mean"] <= by_width["total_energy_upper_J_mean"] * (1 + 1e-12)).all()
    # the digital term is what separates the "no digital" model, and only for mixed precision
    mp = by_width[by_width["algorithm"] == "mixed_precision"]
    configured = mp[mp["model"].str.startswith("configured: ")]["total_energy_J_mean"].to_numpy()
    bare = mp[mp["model"] == "configured, no digital term"]["total_energy_J_mean"].to_numpy()
    assert (configured > bare).all()


def test_scan_marks_where_the_shortest_width_becomes_cheapest(sweeps, capsys):
    tmp, _ = sweeps
    out = tmp / "scan"
    cli("energy", tmp / "default", "--out", out, "--set", "energy.conduction=scaled",
        "--scan", "energy.conduction_scale=1:10000:9:log")
    table = pd.read_csv(out / "scan_energy_conduction_scale.csv")
    assert sorted(table["value"].unique()) == pytest.approx([10.0**(k / 2) for k in range(9)])
    assert (out / "figures" / "scan_energy_conduction_scale.png").stat().st_size > 10_000
    md = (out / "energy.md").read_text()
    # per pulse, the conduction term grows with the width: past some k the 20 ns pulse is cheapest
    line = next(ln for ln in md.splitlines() if ln.startswith("- sgd, energy per pulse")
                and "every other width" in ln)
    assert "cheaper than every other width above energy.conduction_scale =" in line
    k = float(line.split("above energy.conduction_scale = ")[1].split()[0])
    # check the crossover against the per-pulse energies priced at k directly
    sgd = table[table["algorithm"] == "sgd"]
    below = sgd[sgd["value"] < k].groupby("value")
    above = sgd[sgd["value"] > k].groupby("value")
    for _, grp in below:
        g = grp.set_index("pulse_width_s")["energy_per_pulse_J_mean"]
        assert g[2e-8] >= g.drop(2e-8).min()
    for _, grp in above:
        g = grp.set_index("pulse_width_s")["energy_per_pulse_J_mean"]
        assert g[2e-8] < g.drop(2e-8).min()


def test_a_reversed_scan_range_gives_the_same_verdicts(sweeps, capsys):
    """Issue 27, problem 1: `START:STOP` given high to low scanned the same values, but read the
    crossings against them backwards ("above X" became "below X"). The values now ascend
    either way, so the tables and verdicts are the same; equal ends are refused."""
    tmp, _ = sweeps
    texts = []
    for name, spec in (("up", "1:10000:9:log"), ("down", "10000:1:9:log")):
        cli("energy", tmp / "default", "--out", tmp / name, "--set", "energy.conduction=scaled",
            "--scan", f"energy.conduction_scale={spec}")
        texts.append([ln for ln in (tmp / name / "energy.md").read_text().splitlines()
                      if "energy.conduction_scale =" in ln])
        assert pd.read_csv(tmp / name / "scan_energy_conduction_scale.csv")["value"].is_monotonic_increasing
    assert texts[0] and texts[0] == texts[1]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["energy", str(tmp / "default"), "--out", str(tmp / "same"), "--scan", "energy.conduction_scale=5:5:3"])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert exit_info.value.code == 2 and len(lines) == 1
    assert "START and STOP must be two different finite numbers" in lines[0] and not (tmp / "same").exists()


def test_bad_energy_settings_write_nothing(sweeps, capsys):
    tmp, _ = sweeps
    target = tmp / "bad"
    for argv in (["--set", "energy.polarization_uC_per_cm2=-3"], ["--set", "energy.conduction=ohmic"],
                 ["--set", "energy.schottky.phi_B_eV=0"], ["--scan", "energy.nothing=1:2:3"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["energy", str(tmp / "default"), "--out", str(target), *argv])
        assert exit_info.value.code == 2
        lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ")
        assert argv[1].split("=")[0] in lines[0], lines[0]
        assert not target.exists()


def test_crossings_are_interpolated_and_every_interval_is_named():
    from ferrosim.energy.reprice import _crossing_sentence, crossing_points

    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    margin = [-1.0, 1.0, 1.0, -3.0, -1.0]  # cheaper between 1.5 and 3.25
    assert crossing_points(values, margin) == [(1.5, True), (3.25, False)]
    assert _crossing_sentence("k", values, margin, "than the longest") == \
        "the shortest width is cheaper than the longest for k between 1.5 and 3.25 (scanned 1-5)"
    # a log scan interpolates in log(value): 10 -> 1000 with margins -1, +1 crosses at 100
    assert crossing_points([10.0, 1000.0], [-1.0, 1.0], log=True)[0][0] == pytest.approx(100.0)
    assert "never cheaper" in _crossing_sentence("k", values, [-1.0] * 5, "than x")
    assert "at every scanned k" in _crossing_sentence("k", values, [1.0] * 5, "than x")


def test_a_refitted_device_file_reprices_and_energy_prices_from_it(sweeps, tmp_path, capsys):
    """A sweep resumed on a device file whose energy facts changed (e.g. refitted with an I-V
    sweep) re-prices its complete runs, and their run.json carries the new facts, so `ferrosim
    energy` prices what the summary priced (it read the old facts before issue 24)."""
    import yaml

    tmp, _ = sweeps
    device = tmp_path / "device.yaml"
    device.write_text(DEVICE_FILE.read_text())
    config = tmp_path / "s.yaml"
    config.write_text(SWEEP.replace(str(DEVICE_FILE), str(device)))
    out = tmp_path / "resumed"
    cli("sweep", config, "--out", out, "--workers", "1")
    old = pd.read_csv(out / "summary.csv").set_index("run_id")
    data = yaml.safe_load(device.read_text())
    for entry in data["devices"]["SYN-HZO-A"]["pulse_widths"].values():
        entry["electrical"]["thickness_nm"] = 5.0  # half the thickness: twice the capacitance
    device.write_text(yaml.safe_dump(data, sort_keys=False))  # the same file, refitted
    capsys.readouterr()
    cli("sweep", config, "--out", out, "--workers", "1")
    assert "0 to train" in capsys.readouterr().err
    summary = pd.read_csv(out / "summary.csv").set_index("run_id")
    device_runs = summary[summary["algorithm"] != "ideal"].index
    assert all(summary.loc[r, "energy_capacitive_J"] == pytest.approx(2 * old.loc[r, "energy_capacitive_J"],
                                                                       rel=1e-12) for r in device_runs)
    record = json.loads((out / "runs" / device_runs[0] / "run.json").read_text())
    assert record["config"]["device"]["electrical"]["thickness_nm"] == 5.0
    cli("energy", out)
    by_run = pd.read_csv(out / "energy" / "energy_by_run.csv")
    priced = by_run[by_run["model"].str.startswith("configured: ")].set_index("run_id")
    for r in device_runs:
        assert rel_equal(priced.loc[r, "total_energy_J"], summary.loc[r, "total_energy_J"]), r
