"""The command line as a batch job sees it: exit codes, one-line errors, outputs."""

import os
import subprocess
import sys

import pytest


def ferrosim(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "ferrosim", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def one_error_line(proc):
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_version_and_help():
    proc = ferrosim("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("ferrosim ")
    proc = ferrosim("--help")
    assert proc.returncode == 0
    for command in ("fit-device", "sweep", "report", "train"):
        assert command in proc.stdout


def test_train_help_names_every_algorithm():
    """`train --algorithm` listed five of the eight algorithms (the Tiki-Taka family was missing)."""
    from ferrosim.config.schema import ALGORITHMS

    proc = ferrosim("train", "--help", env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0
    line = " ".join(proc.stdout.split())
    listed = line[line.index("Override the algorithm:"):].split(".")[0]
    assert [a for a in ALGORITHMS if a not in listed.replace("│", " ").split()] == []


def test_train_prints_table_and_writes_csv(tmp_path):
    csv = tmp_path / "epochs.csv"
    proc = ferrosim("train", "--epochs", "2", "--set", "dataset.train_subset=300", "--csv", str(csv))
    assert proc.returncode == 0, proc.stderr
    assert "test acc" in proc.stdout and "final test accuracy" in proc.stdout
    assert csv.read_text().splitlines()[0].startswith("epoch,train_loss,train_accuracy,test_accuracy")
    assert len(csv.read_text().splitlines()) == 3


def test_train_threads_change_no_number(tmp_path):
    """`--threads` is wired through and, as promised in its help, changes no number."""
    outputs = []
    for threads in ("1", "3"):
        csv = tmp_path / f"epochs-{threads}.csv"
        proc = ferrosim("train", "--epochs", "2", "--threads", threads, "--set", "dataset.train_subset=320",
                        "--set", "training.batch_size=32", "--set", "network.hidden=[24, 12]",
                        "--csv", str(csv))
        assert proc.returncode == 0, proc.stderr
        rows = [line.split(",") for line in csv.read_text().splitlines()]
        wall = rows[0].index("wall_s")
        outputs.append([[v for k, v in enumerate(row) if k != wall] for row in rows])
    assert outputs[0] == outputs[1]
    assert float(outputs[0][1][4]) + float(outputs[0][1][5]) > 0  # pulses were fired


@pytest.mark.parametrize("args,needle", [
    (["train", "--set", "dataset.name=minst"], "did you mean 'mnist'"),
    (["train", "--set", "training.lr=-0.1"], "training.lr"),
    (["train", "--algorithm", "adam"], "algorithm"),
    (["train", "no-such-config.yaml"], "no-such-config.yaml: file not found"),
    (["train", "--set", "training.epoch=3"], "did you mean 'epochs'"),
    (["train", "--no-such-option"], "No such option"),
])
def test_bad_input_exits_2_with_one_line(args, needle):
    proc = ferrosim(*args)
    assert proc.returncode == 2, proc.stderr
    assert needle in one_error_line(proc)


def test_missing_data_dir_offline_exits_2(tmp_path):
    import os

    env = {**os.environ, "FERROSIM_OFFLINE": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = ferrosim("train", "--set", "dataset.name=mnist", "--data-dir", str(tmp_path / "none"), env=env)
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "mnist" in line and "none" in line


def test_report_on_a_missing_folder_exits_2_with_one_line(tmp_path):
    proc = ferrosim("report", str(tmp_path / "no-such-sweep"))
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "no-such-sweep" in line and "no such folder" in line


def test_the_console_prints_the_error_line_whatever_the_width_and_file_name(tmp_path):
    """Issue 27, problems 10, 11 and 23: `:100:` in a file name or a FILE:LINE: was read as an
    emoji code; COLUMNS=0 silenced every line, the error line included; at COLUMNS=20 the tables
    showed no numbers. One console setup now: no emoji, a width of at least 80."""
    import os

    bad = tmp_path / "a:100:b.yaml"
    bad.write_text("x: 1\n")
    line = one_error_line(ferrosim("train", str(bad)))
    assert f"{bad}:1: unknown key 'x'" in line
    for columns in ("0", "20"):
        env = {**os.environ, "COLUMNS": columns}
        proc = ferrosim("train", "--set", "training.epochs=-1", env=env)
        assert proc.returncode == 2 and "training.epochs" in one_error_line(proc)
        proc = ferrosim("train", "--set", "training.epochs=1", "--set", "dataset.train_subset=60",
                        "--set", "dataset.test_subset=20", env=env)
        assert proc.returncode == 0, proc.stderr
        row = next(ln for ln in proc.stdout.splitlines() if ln.startswith("│"))
        assert row.split("│")[1].strip() == "1" and any(ch.isdigit() for ch in row.split("│")[2])
