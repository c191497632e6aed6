"""The Python API (issue 16, item 6): fit_device, sweep, report, load_results, as a script uses them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import ferrosim
from ferrosim.errors import InputError
from ferrosim.units import format_pulse_width

REPO = Path(__file__).resolve().parents[1]


def test_import_from_the_clones_parent_folder(tmp_path):
    """A clone named `ferrosim` in the working folder is not taken for the package (it used to be
    found first, as an empty namespace package: `no attribute 'train'`)."""
    (tmp_path / "ferrosim").symlink_to(REPO, target_is_directory=True)
    code = ("import ferrosim, pathlib; print(pathlib.Path(ferrosim.__file__).parent.name); "
            "print(all(callable(getattr(ferrosim, n)) for n in ('fit_device', 'sweep', 'report', 'load_results', 'train')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ferrosim", "True"]


def test_sweep_and_report_stay_callable_after_their_modules_load():
    import ferrosim.reports.build  # noqa: F401  (binds the subpackages to the package's attributes)
    import ferrosim.sweeps.plan  # noqa: F401

    assert callable(ferrosim.sweep) and callable(ferrosim.report)
    assert ferrosim.sweeps.plan.load_plan is not None  # and they are still the subpackages


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    fit = ferrosim.fit_device(REPO / "measurements" / "examples" / "lab_export", tmp / "lab.yaml", figures=False)
    config = tmp / "sweep.yaml"
    config.write_text(textwrap.dedent("""\
        name: api
        seed: [0]
        dataset: {name: digits, train_subset: 200, test_subset: 100}
        network: {hidden: [16]}
        training: {epochs: 2, batch_size: 1, lr: 0.1, target_accuracy: 0.3}
        device: {file: lab.yaml, name: SYN-HZO-A}
        sweep: {pulse_width: [2us, 20us], algorithm: [sgd, mixed_precision]}
        """))
    epochs: list = []
    runs: list = []
    result = ferrosim.sweep(config, out=tmp / "results", workers=1, on_epoch=epochs.append,
                            on_run=lambda outcome, run: runs.append(run.run_id))
    return tmp, fit, result, epochs, runs


def test_fit_device_returns_the_fit_and_writes_the_device_file(pipeline):
    tmp, fit, *_ = pipeline
    assert fit.output == tmp / "lab.yaml" and fit.output.is_file()
    assert sorted((r.device, format_pulse_width(r.pulse_width_s)) for r in fit.results) == [
        ("SYN-HZO-A", "20us"), ("SYN-HZO-A", "2us")]
    assert fit.device_file.synthetic


def test_sweep_returns_the_summary_and_reports_progress(pipeline):
    tmp, _, result, epochs, runs = pipeline
    assert result.out == tmp / "results" and result.trained == 4 and result.skipped == 0 and not result.failed
    assert sorted(runs) == sorted(result.summary.run_id)
    assert sorted((e.run_id, e.epoch) for e in epochs) == sorted((r, k) for r in runs for k in (0, 1, 2))
    again = ferrosim.sweep(tmp / "sweep.yaml", out=tmp / "results", workers=1)  # resumes: nothing to train
    assert again.trained == 0 and again.skipped == 4
    pd.testing.assert_frame_equal(again.summary, result.summary)


def test_load_results_is_the_summary_as_a_dataframe(pipeline):
    tmp, _, result, *_ = pipeline
    frame = ferrosim.load_results(tmp / "results")
    on_disk = pd.read_csv(tmp / "results" / "summary.csv")
    assert list(frame.run_id) == list(on_disk.run_id) == list(result.summary.run_id)
    assert frame.energy_per_pulse_J.notna().all()
    assert frame.final_accuracy.tolist() == pytest.approx(on_disk.final_accuracy.tolist(), rel=1e-9)
    per_epoch = ferrosim.load_results(tmp / "results", epochs=True)
    assert len(per_epoch) == 4 * 2 and set(per_epoch.run_id) == set(frame.run_id)  # epochs 1 and 2
    both = ferrosim.load_results([tmp / "results", tmp / "results"])  # the same folder once
    assert len(both) == 4


def test_report_builds_the_tables_and_figures(pipeline, tmp_path):
    tmp, *_ = pipeline
    report = ferrosim.report(tmp / "results", out=tmp_path / "report")
    assert report.markdown_path.is_file() and report.html_path.is_file()
    assert set(report.agg.algorithm) == {"sgd", "mixed_precision"} and len(report.agg) == 4
    assert all(f.png.is_file() for f in report.figures)


def test_bad_input_raises_input_error_and_writes_nothing(tmp_path):
    with pytest.raises(InputError, match="no unit"):
        ferrosim.fit_device(REPO / "measurements", tmp_path / "d.yaml", pulse_width="1")
    with pytest.raises(InputError, match="unknown column role"):
        ferrosim.fit_device(REPO / "measurements", tmp_path / "d.yaml", columns={"conductnce": "G"})
    with pytest.raises(InputError):
        ferrosim.sweep(tmp_path / "missing.yaml", out=tmp_path / "r")
    with pytest.raises(InputError, match="--executor slurm"):  # checked before sweep.yaml is written
        ferrosim.sweep(REPO / "configs" / "pulse_widths.yaml", out=tmp_path / "r", executor="slurm")
    with pytest.raises(InputError, match="--workers must be at least 1"):
        ferrosim.sweep(REPO / "configs" / "pulse_widths.yaml", out=tmp_path / "r", workers=0)
    with pytest.raises(InputError, match="not a sweep results folder|no such folder"):
        ferrosim.load_results(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


SCRIPT_SWEEP = """\
name: script
seed: [0, 1]
dataset: {name: digits, train_subset: 120, test_subset: 60}
network: {hidden: [8]}
training: {epochs: 1, batch_size: 1, lr: 0.1}
sweep:
  algorithm: [sgd]
"""


@pytest.mark.parametrize("as_module", [False, True])
def test_a_plain_script_without_a_main_guard_can_sweep_with_workers(tmp_path, as_module):
    """Issue 28: `ferrosim.sweep(..., workers=2)` at the top level of a script with no
    `if __name__ == "__main__":` died with 60 lines of multiprocessing traceback: each spawned
    worker ran the script again. The workers now start without the caller's `__main__` (they run
    only ferrosim's code), as in Jupyter. The same for `python -m a_module`."""
    (tmp_path / "sweep.yaml").write_text(SCRIPT_SWEEP)
    (tmp_path / "lab_script.py").write_text(textwrap.dedent(f"""\
        import ferrosim
        print("top level ran")
        result = ferrosim.sweep({str(tmp_path / 'sweep.yaml')!r}, out={str(tmp_path / 'out')!r}, workers=2)
        print("trained", result.trained, "failed", len(result.failed))
        """))
    command = [sys.executable, "-m", "lab_script"] if as_module else [sys.executable, "lab_script.py"]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "trained 2 failed 0" in proc.stdout
    assert proc.stdout.count("top level ran") == 1  # the script ran once, not once per worker
    assert "Traceback" not in proc.stderr
