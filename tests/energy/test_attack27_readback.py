"""Issue 27, problems 6-7: finished runs read back by `ferrosim report` and `ferrosim energy`.

A hand-edited run.json or epochs.csv is refused with exit 2 and one line naming the file and the
key or line.
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


def copy_of(finished: Path, where: Path) -> Path:
    shutil.copytree(finished, where)
    return where


def sgd_run(folder: Path) -> Path:
    for path in sorted((folder / "runs").glob("*/run.json")):
        if json.loads(path.read_text())["config"]["algorithm"] == "sgd":
            return path.parent
    raise AssertionError("no sgd run")


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
