"""Issue 27, the outputs of `report` and `energy`: figures written atomically (9), the default
output folder checked up front like --out (20), a scan beyond what can be priced and drawn
refused up front (21), absurd energy settings refused naming the key and no overflow written as
a blank (22), no matplotlib caches in $HOME (26)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ferrosim.cli import main
from ferrosim.errors import InputError

from reports.test_report import DEVICE_FILE, run_sweep

REPO = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = f"""\
name: outputs
seed: [0]
dataset: {{name: digits, train_subset: 80, test_subset: 40}}
network: {{hidden: [6]}}
training: {{epochs: 1, batch_size: 4, lr: 0.1, target_accuracy: 0.1}}
device: {{file: {DEVICE_FILE}, name: SYN-HZO-A}}
sweep:
  pulse_width: [20ns, 200us]
  algorithm: [sgd]
"""


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """Two device runs (20 ns and 200 us, sgd, one seed): enough to re-price and to draw."""
    return run_sweep(tmp_path_factory.mktemp("outputs"), SMALL)


def copy_of(sweep: Path, tmp_path: Path) -> Path:
    target = tmp_path / "results"
    shutil.copytree(sweep, target, ignore=shutil.ignore_patterns("report", "energy"))
    return target


def run(capsys, *argv) -> tuple[int, list[str]]:
    """`ferrosim ARGV` in this process: (exit code, the non-empty stderr lines)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in argv])
    return done.value.code, [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def half_written_then(error: BaseException):
    """A Figure.savefig that writes the start of a PNG where it was told to, then fails, as an
    interrupt or a full disk in the middle of rendering does."""

    def savefig(self, fname, *args, **kwargs):
        if hasattr(fname, "write"):
            fname.write(PNG_MAGIC)
        else:
            Path(fname).write_bytes(PNG_MAGIC)
        raise error

    return savefig


# -- 9: one atomic writer, figures included -----------------------------------------------------

def test_a_figure_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from ferrosim.io.atomic import write_figure

    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    good = write_figure(fig, tmp_path / "f.png", dpi=50)
    old = good.read_bytes()
    assert old.startswith(PNG_MAGIC) and old.endswith(b"IEND\xaeB`\x82")
    monkeypatch.setattr(Figure, "savefig", half_written_then(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_figure(fig, tmp_path / "f.png", dpi=50)
    with pytest.raises(KeyboardInterrupt):
        write_figure(fig, tmp_path / "new.svg")
    assert files_under(tmp_path) == ["f.png"] and good.read_bytes() == old


def test_an_interrupted_report_or_energy_figure_leaves_no_partial_file(sweep, tmp_path, monkeypatch):
    """Problem 9: the figures were saved straight to their names, so an interrupt while one was
    rendered left a truncated PNG (and SVG) behind."""
    from matplotlib.figure import Figure

    from ferrosim.reports import build_report
    from ferrosim.reports.energy_report import reprice, write_repricing

    results = copy_of(sweep, tmp_path)
    scanned = reprice([results], [], "energy.conduction_scale=1:1000:3:log")
    monkeypatch.setattr(Figure, "savefig", half_written_then(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        build_report([results], tmp_path / "report")
    with pytest.raises(OSError):
        write_repricing(scanned, tmp_path / "energy")
    for folder in (tmp_path / "report" / "figures", tmp_path / "energy" / "figures"):
        assert folder.is_dir() and files_under(folder) == [], files_under(folder)


def test_no_module_saves_or_opens_an_output_outside_the_atomic_writer():
    """Every output goes through `ferrosim.io.atomic`: no savefig, write_text, write_bytes or
    open-for-writing anywhere else in the package."""
    writes = re.compile(r"\.savefig\(|\.write_text\(|\.write_bytes\(|open\([^)]*['\"][wax]b?\+?['\"]|os\.fdopen\(|mkstemp\(")
    found = [f"{path.relative_to(REPO)}:{k}: {line.strip()}"
             for path in sorted((REPO / "ferrosim").rglob("*.py")) if path.name != "atomic.py"
             for k, line in enumerate(path.read_text().splitlines(), 1) if writes.search(line)]
    assert found == []


# -- 20: the default output folder is checked like --out ----------------------------------------

def test_the_default_output_folder_is_checked_before_any_work_like_out(sweep, tmp_path, capsys):
    """Problem 20: `energy DIR` with DIR/energy a file exited 1 after the work; `--out DIR/energy`
    exited 2 up front. Both now exit 2 with one line naming --out, and nothing is written; the
    same for `report` (a file where its figures folder goes)."""
    results = copy_of(sweep, tmp_path)
    (results / "energy").write_text("not a folder\n")
    before = files_under(results)
    for extra in ([], ["--out", results / "energy"]):
        code, lines = run(capsys, "energy", results, *extra)
        assert code == 2 and len(lines) == 1, lines
        assert lines[0].startswith("error: --out") and "is a file, expected a folder" in lines[0], lines[0]
        assert files_under(results) == before
    (results / "report").mkdir()
    (results / "report" / "figures").write_text("not a folder\n")
    before = files_under(results)
    code, lines = run(capsys, "report", results)
    assert code == 2 and len(lines) == 1 and "--out (default)" in lines[0], lines
    assert files_under(results) == before


def test_a_results_folder_that_cannot_be_written_is_refused_before_the_report(sweep, tmp_path, capsys,
                                                                               monkeypatch):
    """`report DIR` into a read-only DIR: refused up front (exit 2), not after the tables."""
    results = copy_of(sweep, tmp_path)
    real_access = os.access

    def read_only(path, mode, *args, **kwargs):  # a read-only folder, also for root (who may write anywhere)
        if mode & os.W_OK and Path(path).resolve() == results.resolve():
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", read_only)
    before = files_under(results)
    for command in ("report", "energy"):
        code, lines = run(capsys, command, results)
        assert code == 2 and len(lines) == 1 and "not writable" in lines[0] and "--out (default)" in lines[0], lines
        assert files_under(results) == before


# -- 21: a scan beyond what can be priced and drawn ---------------------------------------------

def test_a_scan_beyond_the_settings_range_is_refused_before_anything_is_written(sweep, tmp_path, capsys):
    """Problem 21: `--scan energy.conduction_scale=1e-300:1e300:5:log` wrote the tables and then
    crashed drawing the figure (exit 1). A scan's ends are now checked against the setting's
    range (the schema) and the magnitudes a figure draws before any sweep is read."""
    out = tmp_path / "scan"
    for spec, named in (("energy.conduction_scale=1e-300:1e300:5:log", "energy.conduction_scale"),
                        ("energy.digital_costs.fp_mult_J=1e-320:1e-12:4:log", "energy.digital_costs.fp_mult_J"),
                        ("energy.polarization_uC_per_cm2=1:1.0000000000000002:5", "energy.polarization_uC_per_cm2"),
                        ("energy.digital.node=45nm_fp32,3nm_fp4", "energy.digital.node")):
        code, lines = run(capsys, "energy", sweep, "--out", out, "--scan", spec)
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: --scan"), lines
        assert named in lines[0], lines[0]
        assert not out.exists()
    # the widest range the setting allows is priced and drawn end to end
    code, lines = run(capsys, "energy", sweep, "--out", out, "--scan", "energy.conduction_scale=1e-6:1e9:4:log")
    assert code == 0, lines
    for suffix in (".png", ".svg"):
        assert (out / "figures" / f"scan_energy_conduction_scale{suffix}").stat().st_size > 1000


# -- 22: absurd energy settings, overflowing totals ---------------------------------------------

def test_absurd_energy_settings_are_refused_naming_the_key(sweep, tmp_path, capsys):
    """Problem 22: `--set energy.polarization_uC_per_cm2=1e300` priced pulses at 1e288 J and wrote
    300-digit numbers into energy.md. Every energy setting has a physical range in the schema,
    the one check of the config file, `sweep --set` and `energy --set`/`--scan`."""
    from ferrosim.config import parse_run_config

    out = tmp_path / "e"
    for setting in ("energy.polarization_uC_per_cm2=1e300", "energy.conduction_scale=1e-300",
                    "energy.schottky.temperature_K=0.001", "energy.schottky.eps_r=0.5",
                    "energy.digital_costs.sram_access_J=1e308", "energy.schottky.phi_B_eV=1e300"):
        code, lines = run(capsys, "energy", sweep, "--out", out, "--set", setting)
        assert code == 2 and len(lines) == 1, lines
        assert lines[0].startswith(f"error: --set {setting.split('=')[0]}:"), lines[0]
        assert not out.exists()
    config = tmp_path / "absurd.yaml"
    config.write_text(SMALL.replace("sweep:", "energy:\n  polarization_uC_per_cm2: 1e300\nsweep:"))
    code, lines = run(capsys, "sweep", config, "--out", tmp_path / "never", "--dry-run")
    assert code == 2 and len(lines) == 1 and "absurd.yaml:8: energy.polarization_uC_per_cm2" in lines[0], lines
    with pytest.raises(InputError, match="energy.schottky.mu"):
        parse_run_config({"energy": {"schottky": {"mu": 1e300}}})
    for valid in ("energy.polarization_uC_per_cm2=84", "energy.conduction_scale=1e6"):  # physical: priced
        code, lines = run(capsys, "energy", sweep, "--out", out, "--set", valid)
        assert code == 0, lines


def test_an_overflowing_total_is_refused_never_blank(sweep):
    """A run priced beyond the largest float (device data far outside any device) was written as
    a blank total; now pricing refuses it, naming the run, and the CSV is never written."""
    from ferrosim.energy.model import EnergyConfig, EnergyPlan, PerPulse, summary_energy
    from ferrosim.energy.reprice import price_runs
    from ferrosim.reports.energy_report import load_runs
    from ferrosim.reports.formatting import format_si

    huge = PerPulse(given=(1e306, 1e306))
    plan = EnergyPlan("given energy per pulse", huge, huge, huge, "given energy per pulse")
    with pytest.raises(ArithmeticError, match="inf J"):  # 2000 pulses of 1e306 J
        summary_energy(plan, [1000], [1000], [0], [0], None, 10)
    runs, _ = load_runs([sweep])
    runs[0].device = runs[0].device.model_copy(update={"energy_up_J": 1e306, "energy_down_J": 1e306})
    with pytest.raises(InputError, match=f"inf J.*run {runs[0].run_id}"):
        price_runs(runs, EnergyConfig(), "configured")
    assert format_si(2.04e288, "J") == "2.04e+288 J" and format_si(999.4e12, "J") == "999 TJ"


# -- 26: no writes outside the output folder ----------------------------------------------------

def test_report_writes_nothing_into_home(sweep, tmp_path):
    """Problem 26: `ferrosim report` created ~/.config/matplotlib and wrote its font cache to
    ~/.cache/matplotlib. Without MPLCONFIGDIR or XDG_CACHE_HOME set, matplotlib now works in a
    temporary folder removed afterwards; a folder the user set is used."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    env["HOME"] = str(home)
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    proc = subprocess.run([sys.executable, "-m", "ferrosim", "report", str(sweep), "--out", str(tmp_path / "r")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert files_under(home) == [] and files_under(tmp_path / "tmp") == []
    assert (tmp_path / "r" / "report.md").is_file()
    chosen = tmp_path / "mine"
    proc = subprocess.run([sys.executable, "-m", "ferrosim", "report", str(sweep), "--out", str(tmp_path / "r2")],
                          env={**env, "MPLCONFIGDIR": str(chosen)}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert files_under(home) == [] and any(p.startswith("fontlist") for p in files_under(chosen))
