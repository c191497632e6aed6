"""What `fit-device` writes and says beyond the fit: the energy warning, `--sweep-config`, and a
default output name that never replaces the sidecar or another input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from ferrosim.config import ALGORITHMS
from ferrosim.device.energy_gaps import energy_warnings
from ferrosim.device.fit_run import fit_path
from ferrosim.device.file import load_device_file
from ferrosim.sweeps.plan import load_plan

from .test_cli import ferrosim, one_error_line

REPO = Path(__file__).resolve().parents[2]
MEASUREMENTS = REPO / "measurements"


def long_csv(folder: Path, widths=("2us", "20us"), device: str | None = None, amplitude: bool = False) -> Path:
    """The synthetic example measurements at `widths`, converted by hand to the long CSV as a
    person would: conductance only (no amplitude_V unless asked), no sidecar."""
    folder.mkdir(parents=True, exist_ok=True)
    for width in widths:
        with open(MEASUREMENTS / f"SYN-HZO-A_{width}.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        keep = ["device", "pulse_width", "cycle", "direction", "pulse", "conductance_S"] + (["amplitude_V"] if amplitude else [])
        name = device or "SYN-HZO-A"
        with open(folder / f"{name}_{width}.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=keep, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, "device": name})
    return folder


def warning_lines(proc) -> list[str]:
    return [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]


# -- energy warning -----------------------------------------------------------------------------

def test_energies_missing_are_named_once_per_set_and_recorded(tmp_path):
    """The reported friction: a hand-made long CSV without amplitudes gave empty energies in
    silence. Now one line names the widths and exactly the missing inputs, and the device file
    records them."""
    folder = long_csv(tmp_path / "m")
    proc = ferrosim("fit-device", str(folder), "-o", str(tmp_path / "d.yaml"), "--no-figures")
    assert proc.returncode == 0, proc.stderr
    (line,) = warning_lines(proc)
    assert line.startswith("warning: no energy per pulse for SYN-HZO-A at 2us, 20us ")
    assert "no pulse amplitude (add an amplitude_V column (a lab table: --column amplitude=NAME), or pulse_widths: {2us: {amplitude_V: ...}} " \
           "in measurements.yaml) and no device area (geometry.area_um2 in measurements.yaml" in line
    assert "energy_per_pulse_J: {up: ..., down: ...}" in line  # the other way: measured energies
    data = load_device_file(tmp_path / "d.yaml")  # still a valid device file
    for entry in data.devices["SYN-HZO-A"].pulse_widths.values():
        e = entry.energy_per_pulse_J
        assert (e.source, e.up, e.down) == ("unknown", None, None)
        assert e.missing == ["amplitude_V", "geometry.area_um2"]
        assert e.note.startswith("no energy per pulse: no pulse amplitude")


def test_energy_warning_groups_by_cause_and_names_only_what_is_missing(tmp_path):
    """Three devices: one whose name gives its area (ZR1000: radius 1 um), two without an area;
    measurements.yaml gives the amplitude at 2us only. One line per set of the same missing
    inputs, across devices: the priced width is never named."""
    folder = long_csv(tmp_path / "m", device="IDxZR1000")
    long_csv(folder, device="other")
    long_csv(folder, device="plain")
    (folder / "measurements.yaml").write_text("pulse_widths:\n  2us: {amplitude_V: 3.5}\n")
    run = fit_path(folder, tmp_path / "d.yaml", figures=False)
    lines = energy_warnings(run.device_file)
    assert len(lines) == 3, lines
    amplitude_only, both, area_only = (next(ln for ln in lines if ln.startswith(f"no energy per pulse for {at} "))
                                       for at in ("IDxZR1000 at 20us", "other at 20us; plain at 20us",
                                                  "other at 2us; plain at 2us"))
    assert amplitude_only.startswith("no energy per pulse for IDxZR1000 at 20us ")
    assert "no pulse amplitude" in amplitude_only and "device area" not in amplitude_only
    assert both.startswith("no energy per pulse for other at 20us; plain at 20us ")
    assert "no pulse amplitude" in both and "no device area" in both
    assert area_only.startswith("no energy per pulse for other at 2us; plain at 2us ")
    assert "no device area" in area_only and "amplitude" not in area_only.split("; or give")[0]
    widths = run.device_file.devices["IDxZR1000"].pulse_widths
    assert widths["2us"].energy_per_pulse_J.source == "estimated"
    assert widths["20us"].energy_per_pulse_J.missing == ["amplitude_V"]
    assert run.device_file.devices["plain"].pulse_widths["2us"].energy_per_pulse_J.missing == ["geometry.area_um2"]


def test_no_energy_warning_when_every_energy_is_known(tmp_path):
    run = fit_path(MEASUREMENTS, tmp_path / "d.yaml", figures=False)
    assert energy_warnings(run.device_file) == []
    for entry in run.device_file.devices["SYN-HZO-A"].pulse_widths.values():
        assert entry.energy_per_pulse_J.missing is None


# -- --sweep-config -----------------------------------------------------------------------------

def test_sweep_config_is_ready_to_run(tmp_path):
    (tmp_path / "devices").mkdir()
    (tmp_path / "configs").mkdir()
    device_file, config = tmp_path / "devices" / "syn.yaml", tmp_path / "configs" / "syn-sweep.yaml"
    proc = ferrosim("fit-device", str(MEASUREMENTS), "-o", str(device_file), "--sweep-config", str(config),
                    "--no-figures")
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {config}" in " ".join(proc.stdout.split())
    text = config.read_text()
    header = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert header[0].startswith("# Sweep config written by `ferrosim fit-device ")
    assert "SYNTHETIC" in text.split("name:")[0]
    raw = yaml.safe_load(text)
    assert raw["device"] == {"file": "../devices/syn.yaml", "name": "SYN-HZO-A"}  # relative to the config
    # the schema and settings of configs/pulse_widths.yaml, but the fitted widths
    reference = yaml.safe_load((REPO / "configs" / "pulse_widths.yaml").read_text())
    for key in ("seed", "dataset", "network", "training", "update"):
        assert raw[key] == reference[key], key
    assert raw["sweep"]["algorithm"] == reference["sweep"]["algorithm"]
    assert set(raw["sweep"]["algorithm"]) <= set(ALGORITHMS)
    fitted = list(load_device_file(device_file).devices["SYN-HZO-A"].pulse_widths)
    assert raw["sweep"]["pulse_width"] == fitted == ["20ns", "200ns", "2us", "20us", "200us"]
    plan = load_plan(config)
    assert {r.config.device.pulse_width for r in plan.runs if r.config.algorithm != "ideal"} == set(fitted)
    assert {r.config.algorithm for r in plan.runs} == set(reference["sweep"]["algorithm"])
    assert {r.config.seed for r in plan.runs} == {0, 1, 2}
    assert all(r.config.device.synthetic for r in plan.runs if r.config.algorithm != "ideal")
    # and the command a person runs, from another folder (paths resolve from the config)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = ferrosim("sweep", str(config), "--dry-run", "--out", str(tmp_path / "results"), cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert len(plan.runs) == 3 + 5 * 3 * 3  # ideal once per seed
    assert "48 of 48 runs to train" in " ".join((proc.stdout + proc.stderr).split())


def test_sweep_config_names_empty_energies(tmp_path):
    folder = long_csv(tmp_path / "m")
    config = tmp_path / "s.yaml"
    run = fit_path(folder, tmp_path / "d.yaml", figures=False, sweep_config=config)
    assert run.sweep_config == config
    text = config.read_text()
    assert "# No energy per pulse at 2us, 20us" in text
    assert "not marked synthetic" in text and "SYNTHETIC" not in text
    assert yaml.safe_load(text)["device"]["file"] == "d.yaml"
    assert len(load_plan(config).runs) == 3 + 2 * 3 * 3


def test_sweep_config_never_replaces_a_file(tmp_path):
    config = tmp_path / "s.yaml"
    config.write_text("# my edited sweep\n")
    out = tmp_path / "d.yaml"
    proc = ferrosim("fit-device", str(MEASUREMENTS), "-o", str(out), "--sweep-config", str(config))
    assert proc.returncode == 2
    assert "--sweep-config" in one_error_line(proc) and "exists" in one_error_line(proc)
    assert config.read_text() == "# my edited sweep\n"
    assert not out.exists() and not (tmp_path / "d-figures").exists()  # nothing written


def test_sweep_config_bad_targets_exit_2_and_write_nothing(tmp_path):
    out = tmp_path / "d.yaml"
    proc = ferrosim("fit-device", str(MEASUREMENTS), "-o", str(out), "--sweep-config", str(out))
    assert proc.returncode == 2 and "is the device file" in one_error_line(proc)
    assert not out.exists()
    proc = ferrosim("fit-device", str(MEASUREMENTS), "-o", str(out), "--sweep-config", str(tmp_path / "no" / "s.yaml"))
    assert proc.returncode == 2 and "does not exist" in one_error_line(proc)
    assert not out.exists()
    # a sweep config names one device: two devices are refused before any fitting
    folder = long_csv(tmp_path / "two", device="A")
    long_csv(folder, device="B")
    proc = ferrosim("fit-device", str(folder), "-o", str(out), "--sweep-config", str(tmp_path / "s.yaml"))
    assert proc.returncode == 2 and "2 devices (A, B)" in one_error_line(proc)
    assert not out.exists() and not (tmp_path / "s.yaml").exists()
    # written where it would become the sidecar of the measurements it was fitted from
    one = long_csv(tmp_path / "one")
    proc = ferrosim("fit-device", str(one), "-o", str(out), "--sweep-config", str(one / "measurements.yaml"))
    assert proc.returncode == 2 and "an input of this fit" in one_error_line(proc)
    assert not out.exists() and not (one / "measurements.yaml").exists()


# -- output names -------------------------------------------------------------------------------

def test_default_output_is_never_the_sidecar_or_an_input(tmp_path):
    """The reported friction: the default name of the device file collided with the sidecar's.
    A folder named `measurements` gives `devices/<device_name>.yaml` when the sidecar names the
    device, else `devices/measurements-device.yaml`; inputs keep their bytes."""
    folder = long_csv(tmp_path / "measurements")
    sidecar = folder / "measurements.yaml"
    sidecar.write_text("provenance: converted by hand\n")
    before = {f.name: f.read_bytes() for f in folder.iterdir()}
    proc = ferrosim("fit-device", "measurements", "--no-figures", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "devices" / "measurements-device.yaml").is_file()
    assert not (tmp_path / "devices" / "measurements.yaml").exists()
    sidecar.write_text("provenance: converted by hand\ndevice_name: SYN-HZO-A\n")
    before["measurements.yaml"] = sidecar.read_bytes()
    proc = ferrosim("fit-device", "measurements", "--no-figures", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert load_device_file(tmp_path / "devices" / "SYN-HZO-A.yaml").devices.keys() == {"SYN-HZO-A"}
    # measurements kept in devices/ under the sidecar's stem: the default would be the sidecar itself
    (tmp_path / "devices" / "measurements.csv").write_bytes((folder / "SYN-HZO-A_2us.csv").read_bytes())
    (tmp_path / "devices" / "measurements.yaml").write_text("provenance: the sidecar of devices/\n")
    proc = ferrosim("fit-device", "devices/measurements.csv", "--no-figures", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "devices" / "measurements.yaml").read_text() == "provenance: the sidecar of devices/\n"
    assert load_device_file(tmp_path / "devices" / "measurements-device.yaml").devices
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == before


def test_output_onto_an_input_exits_2(tmp_path):
    folder = long_csv(tmp_path / "m")
    (folder / "measurements.yaml").write_text("provenance: mine\n")
    for target in (folder / "measurements.yaml", folder / "SYN-HZO-A_2us.csv"):
        before = target.read_bytes()
        proc = ferrosim("fit-device", str(folder), "-o", str(target), "--no-figures")
        assert proc.returncode == 2 and "is an input of this fit" in one_error_line(proc)
        assert target.read_bytes() == before


SHARED = REPO / ".." / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "devices").is_dir(), reason="../shared/data not present")
def test_sweep_config_needs_a_pulse_width(tmp_path):
    """aihwkit's two-column trace names no pulse width: a sweep over pulse widths cannot name it."""
    out = tmp_path / "d.yaml"
    proc = ferrosim("fit-device", str(SHARED / "devices" / "aihwkit_gong_et_al.csv"), "-o", str(out),
                    "--sweep-config", str(tmp_path / "s.yaml"))
    assert proc.returncode == 2 and "without a pulse width" in one_error_line(proc)
    assert not out.exists() and not (tmp_path / "s.yaml").exists()
