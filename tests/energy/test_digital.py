"""The digital term by technology node: the presets and their derivation, products and
accumulator priced apart, the default equal to runs stored before the presets (to 1e-12), old
`digital: true` configs, one-line errors, and a categorical `--scan energy.digital.node`."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ferrosim.cli import main
from ferrosim.config import RunConfig
from ferrosim.energy.digital import DEFAULT_NODE, NODES, stillmaker_baas_fraction
from ferrosim.energy.model import ENERGY_COLUMNS, DigitalParams, EnergyConfig, resolve, summary_energy
from ferrosim.energy.reprice import _category_sentence, parse_scan
from ferrosim.errors import InputError
from ferrosim.sweeps.outputs import energy_cells, epoch_counts

from .test_reprice import SWEEP as REPRICE_SWEEP
from .test_reprice import cli

REPO = Path(__file__).resolve().parents[2]
LEGACY = Path(__file__).resolve().parent / "data" / "digital_legacy"
"""A sweep run by ferrosim before the presets (commit 941c392): a config-defined device with
stated pulse energies, sgd / mixed_precision / tiki_taka_v2 at two widths, and the energy section
written out as earlier configs had it (`digital: true, digital_costs: {3.7e-12, 0.9e-12, 5e-12}`)."""
SWEEP = (REPRICE_SWEEP.replace("name: energy_small", "name: digital_nodes")
         .replace("pulse_width: [20ns, 2us, 200us]", "pulse_width: [20ns, 2us]")
         .replace("algorithm: [ideal, sgd, mixed_precision]", "algorithm: [sgd, mixed_precision]"))
"""test_reprice's small sweep at two widths, device runs only."""
SCAN = "energy.digital.node=45nm_fp32,16nm_fp32,7nm_fp32,7nm_int8"
COUNTS = ([100, 50], [80, 40], [7000, 3500], [300, 150])  # pulses up, down, products, accumulator per epoch


def one_error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    assert exit_info.value.code == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def rel_equal(a, b, rel=1e-12) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=0.0)


# -- the presets --------------------------------------------------------------------------------

def test_the_default_node_is_the_figures_priced_before_the_presets():
    assert DEFAULT_NODE == "45nm_fp32" and set(NODES) >= {"45nm_fp32", "16nm_fp32", "7nm_fp32", "7nm_int8"}
    assert EnergyConfig().digital_params() == DigitalParams() == DigitalParams(fp_mult_J=3.7e-12, fp_add_J=0.9e-12,
                                                                                 sram_access_J=5e-12)
    # 7 nm: Jouppi et al. 2021, Table 2; the SRAM figure halved for 32 bits as at 45 nm
    assert (NODES["7nm_fp32"].fp_mult_J, NODES["7nm_fp32"].fp_add_J) == (1.31e-12, 0.38e-12)
    assert NODES["7nm_fp32"].sram_access_J == NODES["7nm_int8"].sram_access_J == 7.5e-12 / 2
    assert (NODES["7nm_int8"].fp_mult_J, NODES["7nm_int8"].fp_add_J) == (0.07e-12, 0.03e-12)
    for node in NODES.values():
        assert node.source and node.arithmetic


def test_16nm_is_the_stillmaker_baas_interpolation_between_the_published_endpoints():
    f = stillmaker_baas_fraction(16)
    assert f == pytest.approx(0.604, abs=5e-4)
    a, b, mid = NODES["45nm_fp32"], NODES["7nm_fp32"], NODES["16nm_fp32"]
    for k in ("fp_mult_J", "fp_add_J", "sram_access_J"):
        derived = getattr(a, k) * (getattr(b, k) / getattr(a, k)) ** f
        assert getattr(mid, k) == pytest.approx(derived, rel=3e-3), k  # the table holds 3 digits
        assert getattr(b, k) < getattr(mid, k) < getattr(a, k)


@pytest.mark.parametrize("node", list(NODES))
def test_each_node_prices_products_and_accumulator_apart(node):
    cfg = EnergyConfig.model_validate({"digital": {"node": node}})
    plan = resolve(cfg, None, (1e-12, 2e-12), "given")
    d = NODES[node]
    assert plan.digital == DigitalParams(fp_mult_J=d.fp_mult_J, fp_add_J=d.fp_add_J, sram_access_J=d.sram_access_J)
    assert plan.name == "given energy per pulse + digital" + ("" if node == DEFAULT_NODE else f"[{node}]")
    row = summary_energy(plan, *COUNTS, None, 10)
    products = sum(COUNTS[2]) * (d.fp_mult_J + d.fp_add_J)
    accumulator = sum(COUNTS[3]) * (2 * d.sram_access_J + d.fp_add_J)
    assert row["energy_digital_products_J"] == pytest.approx(products, rel=1e-14)
    assert row["energy_digital_accumulator_J"] == pytest.approx(accumulator, rel=1e-14)
    assert rel_equal(row["energy_digital_products_J"] + row["energy_digital_accumulator_J"],
                     row["energy_digital_J"])
    assert rel_equal(row["pulse_energy_J"] + row["energy_digital_J"], row["total_energy_J"])
    assert {"energy_digital_products_J", "energy_digital_accumulator_J"} <= set(ENERGY_COLUMNS) <= set(row)


def test_digital_costs_replace_single_figures_of_the_node_and_off_prices_nothing():
    cfg = EnergyConfig.model_validate({"digital": {"node": "7nm_int8"}, "digital_costs": {"sram_access_J": 7.5e-12}})
    assert cfg.digital_params() == DigitalParams(fp_mult_J=0.07e-12, fp_add_J=0.03e-12, sram_access_J=7.5e-12)
    off = EnergyConfig.model_validate({"digital": {"enabled": False, "node": "7nm_fp32"}})
    plan = resolve(off, None, (1e-12, 2e-12))
    assert plan.digital is None and plan.name == "given energy per pulse" and not off.digital
    row = summary_energy(plan, *COUNTS, None, 10)
    assert row["energy_digital_J"] == row["energy_digital_products_J"] == row["energy_digital_accumulator_J"] == 0.0
    # the `ideal` run has every energy column, zero
    ideal = summary_energy(None, *COUNTS, None, 10)
    assert ideal["energy_digital_products_J"] == ideal["energy_digital_accumulator_J"] == 0.0


def test_old_digital_settings_load_and_price_as_before():
    for data, on in (({"digital": True}, True), ({"digital": False}, False), ({}, True),
                     ({"digital": True, "digital_costs": {"fp_mult_J": 3.7e-12, "fp_add_J": 0.9e-12,
                                                          "sram_access_J": 5.0e-12}}, True)):
        cfg = EnergyConfig.model_validate(data)
        assert bool(cfg.digital) is on and cfg.digital.node == DEFAULT_NODE
        assert cfg.digital_params() == (DigitalParams() if on else None)
        assert cfg.digital_tail() == (" + digital" if on else "")
    # a partial old override still prices the rest from the node
    assert EnergyConfig.model_validate({"digital_costs": {"sram_access_J": 2e-12}}).digital_params() == \
        DigitalParams(sram_access_J=2e-12)


def test_bad_digital_settings_are_one_line_errors():
    from pydantic import ValidationError

    for data, words in (({"digital": {"node": "3nm"}}, "valid nodes: 45nm_fp32, 16nm_fp32, 7nm_fp32, 7nm_int8"),
                        ({"digital": 3}, "expected true, false or a section"),
                        ({"digital": {"node": "7nm_fp32"}, "digital_costs": {"fp_mult_J": 1e-12, "fp_add_J": 1e-12,
                                                                             "sram_access_J": 1e-12}},
                         "would change nothing"),
                        ({"digital_costs": {"fp_mult_J": -1.0}}, "greater than or equal to 0")):
        with pytest.raises(ValidationError) as exc:
            EnergyConfig.model_validate(data)
        assert words in exc.value.errors()[0]["msg"], exc.value.errors()


# -- runs stored before the presets ------------------------------------------------------------

def _stored_runs():
    for path in sorted(LEGACY.glob("runs/*/run.json")):
        yield path, json.loads(path.read_text())


def test_stored_run_json_loads_and_prices_exactly_as_stored():
    """Every run.json of the sweep stored before the presets: its config (with `digital: true`
    and `digital_costs` written out) validates, and pricing its epochs.csv gives its summary's
    energies to 1e-12 and the same model name; the new split sums to the stored digital energy."""
    seen = set()
    for path, record in _stored_runs():
        assert record["config"]["energy"]["digital"] is True and "digital_costs" in record["config"]["energy"]
        cfg = RunConfig.model_validate(record["config"])
        counts = epoch_counts(pd.read_csv(path.parent / "epochs.csv"), record["info"], cfg.training.batch_size)
        stored = record["summary"]
        cells = energy_cells(cfg, counts, int(record["info"]["n_train"]), stored["epochs_to_target"])
        assert cells["energy_model"] == stored["energy_model"] == "given energy per pulse + digital"
        for key, value in stored.items():
            if key in cells and key.endswith("_J"):
                assert rel_equal(cells[key], value), (path, key, cells[key], value)
        assert rel_equal(cells["energy_digital_products_J"] + cells["energy_digital_accumulator_J"],
                         stored["energy_digital_J"])
        seen.add(cfg.algorithm)
        if cfg.algorithm != "sgd":
            assert cells["energy_digital_products_J"] > 0 and cells["energy_digital_accumulator_J"] > 0
    assert seen == {"sgd", "mixed_precision", "tiki_taka_v2"}


def test_ferrosim_energy_on_the_stored_sweep_keeps_its_numbers(tmp_path, capsys):
    from ferrosim.energy.reprice import reprice_runs
    from ferrosim.reports.energy_report import energy_config, load_runs

    folder = tmp_path / "legacy"
    shutil.copytree(LEGACY, folder)
    runs, raw = load_runs([folder])
    assert raw["digital"] is True
    result = reprice_runs(runs, energy_config(raw, []))
    priced = result.by_run[result.by_run["model"].str.startswith("configured: ")].set_index("run_id")
    for _, record in _stored_runs():
        stored = record["summary"]
        row = priced.loc[stored["run_id"]]
        assert row["energy_model"] == stored["energy_model"]
        for key in ("total_energy_J", "energy_per_update_J", "energy_digital_J", "pulse_energy_J"):
            assert rel_equal(row[key], stored[key]), (key, row[key], stored[key])
    # the stored config writes every figure out: a node needs them cleared, and says so in one line
    line = one_error(capsys, "energy", folder, "--set", "energy.digital.node=7nm_int8")
    assert "energy.digital_costs" in line and "7nm_int8" in line
    cli("energy", folder, "--out", tmp_path / "int8", "--set", "energy.digital.node=7nm_int8",
        "--set", "energy.digital_costs={}")
    by_run = pd.read_csv(tmp_path / "int8" / "energy_by_run.csv")
    mp = by_run[by_run["model"].str.startswith("configured: ") & (by_run["algorithm"] == "mixed_precision")]
    assert (mp["energy_model"] == "given energy per pulse + digital[7nm_int8]").all()
    md = (tmp_path / "int8" / "energy.md").read_text()
    assert "(products " in md and "accumulator " in md  # the split where the digital energy is not zero


def test_unknown_node_exits_2_with_one_line_naming_the_valid_ones(tmp_path, capsys):
    folder = tmp_path / "legacy"
    shutil.copytree(LEGACY, folder)
    line = one_error(capsys, "energy", folder, "--set", "energy.digital.node=3nm")
    assert "energy.digital.node" in line and "3nm" in line
    assert "45nm_fp32, 16nm_fp32, 7nm_fp32, 7nm_int8" in line
    line = one_error(capsys, "energy", folder, "--scan", "energy.digital.node=45nm_fp32,3nm", "--set",
                     "energy.digital_costs={}")
    assert "energy.digital.node" in line and "3nm" in line
    assert not (folder / "energy").exists()


# -- categorical scans --------------------------------------------------------------------------

def test_parse_scan_reads_categories_and_ranges():
    spec = parse_scan(SCAN)
    assert spec.key == "energy.digital.node" and spec.categorical and not spec.log
    assert spec.values == ["45nm_fp32", "16nm_fp32", "7nm_fp32", "7nm_int8"]
    assert parse_scan("energy.conduction_scale=1,10,100").values == [1, 10, 100]
    assert parse_scan("energy.digital_costs.sram_access_J=1e-12,2e-12").values == [1e-12, 2e-12]
    numeric = parse_scan("energy.conduction_scale=1:100:3:log")
    assert not numeric.categorical and numeric.log and numeric.values == pytest.approx([1.0, 10.0, 100.0])
    for bad in ("energy.digital.node=7nm_fp32", "energy.digital.node=a,a", "energy.digital.node=a,,b"):
        with pytest.raises(InputError):
            parse_scan(bad)


def test_category_sentences_name_each_value():
    values = ["45nm_fp32", "7nm_int8", "7nm_fp32"]
    assert _category_sentence("k", values, [1.2, 0.5, math.nan], "than x") == \
        "the shortest width is cheaper than x at k = 7nm_int8 (x0.5); not at 45nm_fp32 (x1.2); no figure at 7nm_fp32"
    assert "at every scanned k: " in _category_sentence("k", values, [0.5, 0.5, 0.5], "than x")
    assert "at no scanned k: " in _category_sentence("k", values, [1.5, 1.5, 1.5], "than x")
    assert "no figure" in _category_sentence("k", values, [math.nan] * 3, "than x")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("digital")
    config = tmp / "s.yaml"
    config.write_text(SWEEP)
    cli("sweep", config, "--out", tmp / "sweep", "--workers", "1")
    cli("energy", tmp / "sweep", "--out", tmp / "scan", "--scan", SCAN)
    return tmp, config


def test_categorical_scan_end_to_end(sweep):
    tmp, _ = sweep
    table = pd.read_csv(tmp / "scan" / "scan_energy_digital_node.csv")
    assert list(table["value"].drop_duplicates()) == ["45nm_fp32", "16nm_fp32", "7nm_fp32", "7nm_int8"]
    assert (tmp / "scan" / "figures" / "scan_energy_digital_node.png").stat().st_size > 10_000
    assert (tmp / "scan" / "figures" / "scan_energy_digital_node.svg").is_file()
    mp = table[table["algorithm"] == "mixed_precision"]
    for _, grp in mp.groupby("pulse_width_s"):
        digital = grp.set_index("value")["energy_digital_J_mean"]
        assert digital["45nm_fp32"] > digital["16nm_fp32"] > digital["7nm_fp32"] > digital["7nm_int8"] > 0
        split = grp["energy_digital_products_J_mean"] + grp["energy_digital_accumulator_J_mean"]
        assert all(rel_equal(a, b) for a, b in zip(split, grp["energy_digital_J_mean"]))
        pulses = grp["pulse_energy_J_mean"].to_numpy()
        assert (pulses == pulses[0]).all()  # the node prices only the digital work
    sgd = table[table["algorithm"] == "sgd"]
    assert (sgd["energy_digital_J_mean"] == 0).all()
    md = (tmp / "scan" / "energy.md").read_text()
    assert "Values: 45nm_fp32, 16nm_fp32, 7nm_fp32, 7nm_int8." in md
    lines = [ln for ln in md.splitlines() if ln.startswith("- mixed_precision, total update energy")]
    assert len(lines) == 2
    for ln in lines:  # per node, not interpolated: every node is named with its ratio
        assert all(f"{n} (x" in ln for n in ("45nm_fp32", "16nm_fp32", "7nm_fp32", "7nm_int8")), ln
        assert "between" not in ln and "above" not in ln and "below" not in ln


def test_a_sweep_resumed_at_another_node_reprices_as_ferrosim_energy_does(sweep, capsys):
    """Training never depends on the node: a resumed sweep at 7nm_int8 re-prices its complete runs
    and gets the `ferrosim energy --set` figures; the report's energy table shows the split."""
    from ferrosim.reports.aggregate import energy_models
    from ferrosim.reports.prepared import prepare
    from ferrosim.reports.tables import summary_tables

    tmp, config = sweep
    out = tmp / "resumed"
    shutil.copytree(tmp / "sweep", out, ignore=shutil.ignore_patterns("energy"))
    capsys.readouterr()
    cli("sweep", config, "--out", out, "--workers", "1", "--set", "energy.digital.node=7nm_int8")
    assert "0 to train" in capsys.readouterr().err
    resumed = pd.read_csv(out / "summary.csv").set_index("run_id")
    cli("energy", tmp / "sweep", "--out", tmp / "int8", "--set", "energy.digital.node=7nm_int8")
    by_run = pd.read_csv(tmp / "int8" / "energy_by_run.csv")
    priced = by_run[by_run["model"].str.startswith("configured: ")].set_index("run_id")
    for run_id, row in priced.iterrows():
        assert row["energy_model"].endswith(" + digital[7nm_int8]")
        assert resumed.loc[run_id, "energy_model"] == row["energy_model"]
        for col in ("total_energy_J", "energy_digital_J", "energy_digital_products_J",
                    "energy_digital_accumulator_J"):
            assert rel_equal(resumed.loc[run_id, col], row[col], rel=1e-9), (run_id, col)  # CSVs: 10 digits
    report = prepare([out])
    tables = summary_tables(report.agg, report.variants, report.targets, energy_models(report.summary))
    energy = tables[0][1][1]
    assert energy.headers[energy.headers.index("digital") + 1:][:2] == ["digital: products", "digital: accumulator"]
    assert "digital[7nm_int8]" in energy.title
