"""Issue 27, problems 5-8: finished runs read back by `ferrosim report` and `ferrosim energy`.

A sweep over a device without a pulse width is reported and re-priced; a hand-edited run.json
or epochs.csv is refused with exit 2 and one line naming the file and the key or line; the same
run found in two folders is one run, not two seeds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ferrosim.cli import main

REPO = Path(__file__).resolve().parents[2]
SWEEP = f"""\
name: small
seed: [0]
dataset: {{name: digits, train_subset: 100, test_subset: 50}}
network: {{hidden: [4]}}
training: {{epochs: 2, batch_size: 10, lr: 0.1, target_accuracy: 0.15}}
device: {{file: {REPO / "devices" / "example-hzo.yaml"}, name: SYN-HZO-A, pulse_width: 2us}}
sweep:
  algorithm: [ideal, sgd]
"""
FLAT = """\
name: flat
seed: [0]
dataset: {name: digits, train_subset: 100, test_subset: 50}
network: {hidden: [4]}
training: {epochs: 2, batch_size: 10, lr: 0.1, target_accuracy: 0.15}
device: {model: linear, a_up: 0.01, a_down: 0.01, w_min: -1.0, w_max: 1.0, energy_up_J: 1.0e-12,
         energy_down_J: 2.0e-12}
sweep:
  algorithm: [ideal, sgd]
"""


def run_cli(capsys, *argv) -> tuple[int, list[str], str]:
    """(exit code, stderr lines, stdout) of one command."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in argv])
    captured = capsys.readouterr()
    return done.value.code, captured.err.strip().splitlines(), captured.out


def _sweep(folder: Path, text: str) -> Path:
    (folder / "s.yaml").write_text(text)
    with pytest.raises(SystemExit) as done:
        main(["sweep", str(folder / "s.yaml"), "--out", str(folder / "out"), "--workers", "1"])
    assert done.value.code == 0
    return folder / "out"


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished sweep on a device file at one pulse width: an `ideal` run and an `sgd` run."""
    return _sweep(tmp_path_factory.mktemp("small"), SWEEP)


@pytest.fixture(scope="module")
def flat(tmp_path_factory) -> Path:
    """A finished sweep on a linear device given by its response (no device file, no pulse
    width) with stated energies per pulse: an `ideal` run and an `sgd` run."""
    return _sweep(tmp_path_factory.mktemp("flat"), FLAT)


def copy_of(finished: Path, where: Path) -> Path:
    shutil.copytree(finished, where)
    return where


def sgd_run(folder: Path) -> Path:
    for path in sorted((folder / "runs").glob("*/run.json")):
        if json.loads(path.read_text())["config"]["algorithm"] == "sgd":
            return path.parent
    raise AssertionError("no sgd run")


# -- 5. a device without a pulse width ---------------------------------------------------------

def test_report_and_energy_work_on_a_sweep_over_a_device_without_pulse_width(flat, tmp_path, capsys):
    code, err, _ = run_cli(capsys, "report", flat, "--out", tmp_path / "rep")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "rep" / "summary_by_pulse_width.csv").set_index("algorithm")
    assert table.loc["sgd", "pulse_width"] == "-" and table.loc["ideal", "pulse_width"] == "ideal (no device)"
    assert (tmp_path / "rep" / "figures" / "accuracy_vs_epoch.png").is_file()
    assert "| - | sgd | 1 |" in (tmp_path / "rep" / "report.md").read_text()

    code, err, out = run_cli(capsys, "energy", flat, "--out", tmp_path / "energy")
    assert code == 0, err
    by_run = pd.read_csv(tmp_path / "energy" / "energy_by_run.csv")
    assert list(by_run["algorithm"]) == ["sgd"] and by_run["pulse_width_s"].isna().all()
    assert by_run["energy_per_pulse_J"].iloc[0] == pytest.approx(1.5e-12)  # the stated energies, priced
    text = (tmp_path / "energy" / "energy.md").read_text()
    assert "| sgd | - | 1.50 pJ |" in text and "Runs without a pulse width" in text
    assert "note: runs without a pulse width" in out


# -- 6. run.json read back is validated --------------------------------------------------------

RUN_JSON_EDITS = {
    "batch size 0": (("config", "training", "batch_size"), 0, "config.training.batch_size"),
    "n_train 0": (("info", "n_train"), 0, "info.n_train"),
    "epochs to target 0": (("summary", "epochs_to_target"), 0, "summary.epochs_to_target"),
    "epochs to target past the epochs": (("summary", "epochs_to_target"), 99, "summary.epochs_to_target"),
    "a string for a number": (("summary", "final_accuracy"), "high", "summary.final_accuracy"),
    "a numeric string for a count": (("info", "n_train"), "100", "info.n_train"),
    "a list as seed": (("config", "seed"), [0, 1], "config.seed"),
    "a list as the summary's seed": (("summary", "seed"), [0, 1], "summary.seed"),
    "negative pulses": (("summary", "pulses_total"), -5, "summary.pulses_total"),
}


@pytest.mark.parametrize("case", list(RUN_JSON_EDITS))
@pytest.mark.parametrize("command", ["report", "energy"])
def test_a_hand_edited_run_json_is_refused_naming_the_file_and_the_key(case, command, finished, tmp_path, capsys):
    folder = copy_of(finished, tmp_path / "sweep")
    path = sgd_run(folder) / "run.json"
    (*where, key), value, named = RUN_JSON_EDITS[case]
    record = json.loads(path.read_text())
    node = record
    for part in where:
        node = node[part]
    node[key] = value
    path.write_text(json.dumps(record))
    code, err, _ = run_cli(capsys, command, folder, "--out", tmp_path / "written")
    assert code == 2 and len(err) == 1, err
    assert str(path) in err[0] and named in err[0], err
    assert not (tmp_path / "written").exists()


def test_a_hand_edited_run_json_is_a_run_to_train_again(finished, tmp_path, capsys):
    folder = copy_of(finished, tmp_path / "sweep")
    path = sgd_run(folder) / "run.json"
    record = json.loads(path.read_text())
    record["config"]["training"]["batch_size"] = 0
    path.write_text(json.dumps(record))
    code, err, _ = run_cli(capsys, "sweep", finished.parent / "s.yaml", "--out", folder, "--workers", "1")
    assert code == 0, err
    assert json.loads(path.read_text())["config"]["training"]["batch_size"] == 10


# -- 7. epochs.csv read back is checked --------------------------------------------------------

def _truncated(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[:-1]


def _negative(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[1, "pulses_up"] = -400
    return frame


def _fractional(frame: pd.DataFrame) -> pd.DataFrame:
    frame["pulses_down"] = frame["pulses_down"].astype(float)
    frame.loc[0, "pulses_down"] = 12.5
    return frame


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    frame["pulses_down"] = frame["pulses_down"].astype(object)
    frame.loc[1, "pulses_down"] = "many"
    return frame


def _no_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="pulses_down")


def _repeated_epoch(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[1, "epoch"] = 1
    return frame


EPOCHS_EDITS = {  # edit, what the line says, the line named (None: the file only)
    "truncated": (_truncated, "1 epochs where run.json trained 2", 2),
    "negative pulse count": (_negative, "pulses_up -400", 3),
    "fractional pulse count": (_fractional, "pulses_down 12.5", 2),
    "text for a count": (_text, "pulses_down 'many'", 3),
    "a column missing": (_no_column, "lacks the column pulses_down", None),
    "an epoch twice": (_repeated_epoch, "epoch 1 where epoch 2 belongs", 3),
}


@pytest.mark.parametrize("case", list(EPOCHS_EDITS))
@pytest.mark.parametrize("command", ["energy", "report"])
def test_a_damaged_epochs_csv_is_refused_naming_the_file_and_the_line(case, command, finished, tmp_path, capsys):
    folder = copy_of(finished, tmp_path / "sweep")
    path = sgd_run(folder) / "epochs.csv"
    edit, said, line = EPOCHS_EDITS[case]
    edit(pd.read_csv(path)).to_csv(path, index=False)
    code, err, _ = run_cli(capsys, command, folder, "--out", tmp_path / "written")
    assert code == 2 and len(err) == 1, err
    where = f"{path}:{line}:" if line is not None else f"{path}:"
    assert err[0].startswith(f"error: {where}") and said in err[0], err
    assert not (tmp_path / "written").exists()


# -- 8. the same run in two folders ------------------------------------------------------------

def test_a_copied_folder_is_not_more_seeds_and_report_and_energy_agree(finished, tmp_path, capsys):
    a, b = copy_of(finished, tmp_path / "a"), copy_of(finished, tmp_path / "b")
    code, err, out = run_cli(capsys, "energy", a, b, "--out", tmp_path / "energy")
    assert code == 0, err
    by_width = pd.read_csv(tmp_path / "energy" / "energy_by_pulse_width.csv")
    assert (by_width["n"] == 1).all()  # one run under each model, not two seeds with std 0
    by_run = pd.read_csv(tmp_path / "energy" / "energy_by_run.csv")
    assert len(by_run) == by_run["model"].nunique() and by_run["run_id"].nunique() == 1
    assert "1 run found in more than one folder" in out
    assert "counted once" in (tmp_path / "energy" / "energy.md").read_text()
    # the report keeps each folder apart: each shows the run once, none pools them
    code, err, _ = run_cli(capsys, "report", a, b, "--out", tmp_path / "report")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "report" / "summary_by_pulse_width.csv")
    assert (table["n_runs"] == 1).all() and table["sweep"].nunique() == 2


@pytest.mark.parametrize("command", ["energy", "report"])
def test_one_run_with_other_results_in_a_second_folder_is_refused_naming_both(command, finished, tmp_path, capsys):
    a, b = copy_of(finished, tmp_path / "a"), copy_of(finished, tmp_path / "b")
    path = sgd_run(b) / "epochs.csv"
    frame = pd.read_csv(path)
    frame["pulses_up"] += 7  # still a valid file: other counts under the same run id
    frame.to_csv(path, index=False)
    code, err, _ = run_cli(capsys, command, a, b, "--out", tmp_path / "written")
    assert code == 2 and len(err) == 1, err
    assert str(sgd_run(a)) in err[0] and str(sgd_run(b)) in err[0] and "different results" in err[0]
    assert not (tmp_path / "written").exists()
