"""Population sweeps (issue 18, first part): `device.name: all | [names] | pattern` expands to every
device of the device file, crossed only with the pulse widths each device was measured at."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import ferrosim
from ferrosim.errors import InputError
from ferrosim.sweeps.plan import load_plan, run_id_of

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def population(tmp_path) -> Path:
    """The example device file with two more devices: B at 20 ns and 2 us, OTHER-1 at 200 us."""
    data = yaml.safe_load((REPO / "devices" / "example-hzo.yaml").read_text())
    a = data["devices"]["SYN-HZO-A"]
    for name, keep in (("SYN-HZO-B", ("20ns", "2us")), ("OTHER-1", ("200us",))):
        entry = copy.deepcopy(a)
        entry["pulse_widths"] = {k: v for k, v in entry["pulse_widths"].items() if k in keep}
        data["devices"][name] = entry
    (tmp_path / "devices.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return tmp_path


def plan_of(folder: Path, name, widths=("20ns", "2us", "200us")) -> list[tuple[str | None, str | None, str]]:
    sweep = {"algorithm": ["ideal", "sgd"]}
    if widths is not None:
        sweep["pulse_width"] = list(widths)
    cfg = {"name": "pop", "seed": [0], "dataset": {"name": "digits", "train_subset": 80, "test_subset": 40},
           "network": {"hidden": [8]}, "training": {"epochs": 1, "batch_size": 8, "lr": 0.1},
           "device": {"file": "devices.yaml", "name": name}, "sweep": sweep}
    (folder / "pop.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    plan = load_plan(folder / "pop.yaml")
    return [(r.axes.get("device.name"), r.config.device.pulse_width if r.config.algorithm != "ideal" else None,
             r.config.algorithm) for r in plan.runs]


def test_all_devices_only_at_their_own_widths(population):
    runs = plan_of(population, "all")
    assert sorted((d, w) for d, w, a in runs if a == "sgd") == [
        ("OTHER-1", "200us"), ("SYN-HZO-A", "200us"), ("SYN-HZO-A", "20ns"), ("SYN-HZO-A", "2us"),
        ("SYN-HZO-B", "20ns"), ("SYN-HZO-B", "2us")]
    assert [a for _, _, a in runs].count("ideal") == 1  # once per seed: it has no device


def test_a_pattern_a_list_and_every_width(population):
    assert {d for d, _, a in plan_of(population, "SYN-*") if a == "sgd"} == {"SYN-HZO-A", "SYN-HZO-B"}
    assert [(d, w) for d, w, a in plan_of(population, ["OTHER-1"]) if a == "sgd"] == [("OTHER-1", "200us")]
    every = [(d, w) for d, w, a in plan_of(population, "all", widths=None) if a == "sgd"]
    assert len(every) == 5 + 2 + 1  # without sweep.pulse_width: every width each device has


@pytest.mark.parametrize("name,needle", [
    (["SYN-HZO-C"], "device.name: 'SYN-HZO-C' is not in the device file (did you mean 'SYN-HZO-"),
    ("ID16*", "device.name: 'ID16*' matches no device"),
])
def test_bad_device_names_point_at_device_name(population, name, needle):
    with pytest.raises(InputError) as err:
        plan_of(population, name)
    assert needle in str(err.value) and err.value.line is not None


def test_no_width_in_common_is_an_error(population):
    with pytest.raises(InputError, match="none of the pulse widths"):
        plan_of(population, ["OTHER-1"], widths=("20ns",))


def test_the_summary_names_the_device_and_its_fit(population):
    plan_of(population, "all")
    result = ferrosim.sweep(population / "pop.yaml", out=population / "results", workers=1)
    frame = result.summary
    rows = frame[frame.algorithm == "sgd"]
    assert set(rows.device) == {"SYN-HZO-A", "SYN-HZO-B", "OTHER-1"}
    fit = yaml.safe_load((population / "devices.yaml").read_text())["devices"]["SYN-HZO-B"]["pulse_widths"]["2us"]["fit"]
    row = rows[(rows.device == "SYN-HZO-B") & np.isclose(rows.pulse_width_s, 2e-6)].iloc[0]
    assert row.symmetry_point == pytest.approx(fit["symmetry_point"]) and row.n_states == pytest.approx(fit["n_states"])
    assert row.step_ratio == pytest.approx(fit["step_ratio_at_zero"]) and row.device_area_um2 == pytest.approx(5.0)
    assert pd.isna(frame[frame.algorithm == "ideal"].symmetry_point).all()


def test_the_fit_columns_do_not_change_run_ids():
    plan = load_plan(REPO / "configs" / "pulse_widths.yaml")
    run = next(r for r in plan.runs if r.config.algorithm == "sgd")
    assert run.config.device.fitted and run.config.device.fitted["symmetry_point"] is not None
    bare = run.config.model_copy(update={"device": run.config.device.model_copy(update={"fitted": None})})
    assert run_id_of(bare) == run.run_id


def test_the_report_of_a_population_draws_accuracy_against_the_symmetry_point(population):
    plan_of(population, "all")
    ferrosim.sweep(population / "pop.yaml", out=population / "results", workers=1)
    report = ferrosim.report(population / "results")
    assert "population" in [f.name for f in report.figures]
    md = report.markdown_path.read_text()
    assert "### By device size" in md and "| 5 µm² | sgd | 3 | 6 |" in md  # 3 devices, 6 device x width
    single = ferrosim.report(population / "results", out=population / "one")  # still a population
    assert "population" in [f.name for f in single.figures]


def test_the_plain_sgd_threshold_is_named_from_the_data():
    from ferrosim.reports.population import population_points, sgd_threshold, sgd_works_by_symmetry_point

    rows = []
    for dev, sp, sgd in (("A", 0.05, 0.85), ("B", 0.15, 0.60), ("C", 0.30, 0.12), ("D", -0.25, 0.10)):
        rows += [{"device": dev, "pulse_width_s": 2e-8, "algorithm": "sgd", "final_accuracy": sgd,
                  "symmetry_point": sp, "step_ratio": 1.5, "seed": 0},
                 {"device": dev, "pulse_width_s": 2e-8, "algorithm": "mixed_precision", "final_accuracy": 0.96,
                  "symmetry_point": sp, "step_ratio": 1.5, "seed": 0}]
    points = population_points(pd.DataFrame(rows))
    assert len(points) == 8 and sgd_threshold(points) == pytest.approx(0.15)  # 0.60 >= 0.48; 0.12 < 0.48
    assert sgd_works_by_symmetry_point(points) == [("0-0.1", 1, 1), ("0.1-0.2", 1, 1), ("0.2-0.4", 0, 2),
                                                   ("|g*| >= 0.4", 0, 0)]
    assert population_points(pd.DataFrame(rows[:2])).empty  # one device: no population
