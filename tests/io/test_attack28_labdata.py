"""Lab layouts of a first day (issue 28): potentiation and depression in separate files of one
device, decimal-comma exports, a mapping hint that runs as printed, and reads stuck at an
instrument floor left out of the fit."""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pytest
import yaml

import ferrosim
from ferrosim.cli import main
from ferrosim.device.stuck_reads import STUCK_RUN

from test_attack27_labtables import _fit_error

HEADER = ("Pulse #", "V_pulse (V)", "G (nS)")
MAPPING = {"pulse": "Pulse #", "amplitude": "V_pulse (V)", "conductance": "G (nS)"}
CLI_MAPPING = [x for r, c in MAPPING.items() for x in ("--column", f"{r}={c}")]


def _ramps(cycles: int = 3, n: int = 40, floor_reads: int = 0) -> tuple[list, list]:
    """Noisy soft-bounds ramps of one device: (pulse #, amplitude V, G nS) rows of the
    potentiation ramps and of the depression ramps, in measurement order (pot, dep, pot, ...).
    `floor_reads`: the last depression ramp ends with that many reads stuck at one floor value."""
    rng = np.random.default_rng(0)
    g, pot, dep = 20.0, [], []
    for c in range(cycles):
        for k in range(n):
            g += 2.0 * (1 - (g - 10) / 100) * (1 + 0.1 * rng.standard_normal())
            pot.append((k + 1, 1.5, round(g, 6)))
        for k in range(n):
            g -= 2.5 * ((g - 10) / 100) * (1 + 0.1 * rng.standard_normal()) + 0.3
            dep.append((k + 1, -1.5, round(g, 6)))
    if floor_reads:
        floor = round(min(r[2] for r in pot + dep) - 0.5, 6)
        dep += [(n + k + 1, -1.5, floor) for k in range(floor_reads)]
    return pot, dep


def _write(path: Path, rows, sep: str = ",", decimal: str = ".") -> Path:
    lines = [sep.join(HEADER)]
    for row in rows:
        lines.append(sep.join(str(c).replace(".", decimal) for c in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def _pair(folder: Path, pot_name: str, dep_name: str, **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pot, dep = _ramps()
    _write(folder / pot_name, pot, **kw)
    _write(folder / dep_name, dep, **kw)
    return folder


def _fit(path, tmp_path, **kw):
    return ferrosim.fit_device(path, tmp_path / "d.yaml", columns=MAPPING, figures=False, warn=False,
                               pulse_width=kw.pop("pulse_width", "100ns"), **kw)


def _run(*argv: str) -> None:
    """`ferrosim fit-device ARGV`, which must succeed."""
    with pytest.raises(SystemExit) as exit_info:
        main(["fit-device", *argv])
    assert exit_info.value.code in (0, None)




# -- 1: potentiation and depression in separate files -----------------------------------------

def test_pot_and_dep_files_of_one_device_are_fitted_as_one_device_without_a_step_across_the_join(tmp_path):
    folder = _pair(tmp_path / "m", "dev1_100ns_pot.csv", "dev1_100ns_dep.csv")
    run = _fit(folder, tmp_path)
    (res,) = run.results
    assert res.device == "dev1_100ns"
    assert res.stats["n_files"] == 2
    # 3 ramps of 40 reads per direction: 39 steps each (a ramp's first read has no state before it)
    assert res.stats["n_pulses_up"] == 3 * 39 and res.stats["n_pulses_down"] == 3 * 39
    g, dg, up = res.steps
    assert np.all(dg[up] > 0) and np.all(dg[~up] < 0)  # no fake step of the other sign at a join
    assert res.stats["trace_r2"] > 0.95


@pytest.mark.parametrize("names", [("d_up.csv", "d_down.csv"), ("d_set.csv", "d_reset.csv"),
                                   ("d_pot_100ns.csv", "d_dep_100ns.csv")])
def test_the_file_name_rule_pairs_up_down_set_reset_and_pot_dep_and_one_file_reads_its_partner(tmp_path, names):
    folder = _pair(tmp_path / "m", *names)
    (res,) = _fit(folder / names[1], tmp_path).results  # the depression file alone: its partner is read
    assert res.stats["n_files"] == 2 and res.stats["trace_r2"] > 0.95


def test_direction_option_pairs_files_whose_names_say_nothing(tmp_path, capsys):
    folder = _pair(tmp_path / "m", "A_rise.csv", "A_fall.csv")
    out = tmp_path / "d.yaml"
    _run(str(folder), *CLI_MAPPING, "--pulse-width", "100ns", "--device", "A", "--no-figures",
          "--direction", "A_rise.csv=up", "--direction", "*fall.csv=down", "-o", str(out))
    fit = yaml.safe_load(out.read_text())["devices"]["A"]["pulse_widths"]["100ns"]["fit"]
    assert fit["trace_r2"] > 0.95 and fit["n_files"] == 2


def test_a_direction_option_naming_no_file_read_is_refused(tmp_path, capsys):
    folder = _pair(tmp_path / "m", "A_rise.csv", "A_fall.csv")
    line = _fit_error(capsys, str(folder), *CLI_MAPPING, "--pulse-width", "100ns", "--device", "A",
                      "--direction", "A_rse.csv=up", "-o", str(tmp_path / "d.yaml"))
    assert "--direction A_rse.csv=up" in line and "A_rise.csv" in line
    assert not (tmp_path / "d.yaml").exists()


def test_sidecar_direction_per_file_pairs_the_files_without_a_fake_step(tmp_path):
    folder = _pair(tmp_path / "m", "A_rise.csv", "A_fall.csv")
    (folder / "measurements.yaml").write_text("files:\n  A_rise.csv: {direction: up, device: A}\n"
                                              "  A_fall.csv: {direction: down, device: A}\n")
    (res,) = _fit(folder, tmp_path).results
    assert res.device == "A" and res.stats["trace_r2"] > 0.95
    g, dg, up = res.steps
    assert dg[~up].max() < 0  # on main the second depression ramp started with a +50 nS "down" step


def test_one_forced_device_name_over_two_one_direction_files_fits_their_own_steps(tmp_path):
    """The issue's case: each file's ramps chained to the previous ramp of the same direction,
    a large step of the wrong sign at every restart (R^2 far below 0.5 on main)."""
    folder = _pair(tmp_path / "m", "A_rise.csv", "A_fall.csv")
    (res,) = _fit(folder, tmp_path, device="A").results
    assert res.stats["trace_r2"] > 0.95 and res.stats["c2c"] < 0.5


def test_a_one_direction_file_without_its_partner_is_one_line_naming_the_three_ways(tmp_path, capsys):
    folder = tmp_path / "m"
    folder.mkdir()
    _write(folder / "dev1_100ns_pot.csv", _ramps()[0])
    line = _fit_error(capsys, str(folder), *CLI_MAPPING, "--pulse-width", "100ns", "-o", str(tmp_path / "d.yaml"))
    assert "dev1_100ns_pot.csv" in line and "only up pulses" in line
    assert "*_pot/*_dep" in line and "direction: up|down" in line and "--direction FILE=up|down" in line


# -- 2: decimal commas and ; separators -----------------------------------------------------------

def test_a_decimal_comma_export_with_semicolons_is_detected_and_read_as_its_point_twin(tmp_path):
    points = _fit(_pair(tmp_path / "p", "dev1_pot.csv", "dev1_dep.csv"), tmp_path).results[0]
    commas = _fit(_pair(tmp_path / "c", "dev1_pot.csv", "dev1_dep.csv", sep=";", decimal=","), tmp_path).results[0]
    assert (tmp_path / "c" / "dev1_pot.csv").read_text().splitlines()[1] == "1;1,5;21,822631"
    assert commas.range_S == points.range_S
    assert commas.params == points.params


def test_decimal_option_and_sidecar_key_force_the_decimal_comma(tmp_path, capsys):
    folder = _pair(tmp_path / "c", "dev1_pot.csv", "dev1_dep.csv", sep=";", decimal=",")
    (res,) = _fit(folder, tmp_path, decimal=",").results
    assert res.stats["trace_r2"] > 0.95
    (folder / "measurements.yaml").write_text("decimal: ','\n")
    assert _fit(folder, tmp_path).results[0].params == res.params
    line = _fit_error(capsys, str(folder), *CLI_MAPPING, "--pulse-width", "100ns", "--decimal", ".",
                      "-o", str(tmp_path / "d.yaml"))
    assert "not a number: '68,086259'" in line and "--decimal ," in line


def test_an_export_mixing_decimal_commas_and_points_is_refused_naming_the_option(tmp_path, capsys):
    folder = _pair(tmp_path / "c", "dev1_pot.csv", "dev1_dep.csv", sep=";", decimal=",")
    path = folder / "dev1_pot.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace(",", ".")
    path.write_text("\n".join(lines) + "\n")
    line = _fit_error(capsys, str(folder), *CLI_MAPPING, "--pulse-width", "100ns", "-o", str(tmp_path / "d.yaml"))
    assert "dev1_pot.csv" in line and "decimal comma" in line and "--decimal ," in line
    assert not (tmp_path / "d.yaml").exists()


def test_decimal_comma_with_comma_separated_cells_is_refused(tmp_path, capsys):
    folder = _pair(tmp_path / "p", "dev1_pot.csv", "dev1_dep.csv")
    line = _fit_error(capsys, str(folder), *CLI_MAPPING, "--pulse-width", "100ns", "--decimal", ",",
                      "-o", str(tmp_path / "d.yaml"))
    assert "--decimal ','" in line and "separated by commas" in line


# -- 3: the mapping hint runs as printed ------------------------------------------------------------

def _both_directions_export(path: Path) -> Path:
    """One file, both directions, with a read current AND a conductance column."""
    pot, dep = _ramps(cycles=1)
    lines = ["Pulse #,V_pulse (V),I_read (A),G (S)"]
    for k, (_, amp, g) in enumerate(pot + dep):
        lines.append(f"{k + 1},{amp},{g * 1e-10:.6e},{g * 1e-9:.6e}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_mapping_hint_maps_one_state_column_adds_the_width_of_the_name_and_runs_as_printed(tmp_path, capsys):
    path = _both_directions_export(tmp_path / "dev1_export_100ns.csv")
    line = _fit_error(capsys, str(path), "--no-figures", "-o", str(tmp_path / "d.yaml"))
    hint = line.split("e.g. ", 1)[1].split(" (or columns:", 1)[0]
    options = shlex.split(hint)
    assert options.count("--column") == 1 + 2  # pulse, amplitude and ONE state column
    assert "conductance=G (S)" in options and not any(o.startswith("current=") for o in options)
    assert options[-2:] == ["--pulse-width", "100ns"]
    _run(str(path), *options, "--no-figures", "-o", str(tmp_path / "d.yaml"))
    out = (tmp_path / "d.yaml").read_text()
    assert "100ns:" in out and "pulse width unknown" not in capsys.readouterr().out


# -- 4: reads stuck at an instrument floor ------------------------------------------------------------

def _one_file(path: Path, floor_reads: int = 0) -> Path:
    """Both directions in one file (pot, dep, pot, ...; amplitude signs say which)."""
    pot, dep = _ramps(floor_reads=floor_reads)
    n = 40
    rows = [r for c in range(3) for r in pot[c * n:(c + 1) * n] + dep[c * n:(c + 1) * n]] + dep[3 * n:]
    return _write(path, rows)


def test_reads_stuck_at_a_floor_are_flagged_and_left_out_of_the_fit(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "clean").mkdir()
    path = _one_file(tmp_path / "m" / "dev1.csv", floor_reads=43)
    run = _fit(path, tmp_path)
    (res,) = run.results
    floor = float(path.read_text().splitlines()[-1].split(",")[-1]) * 1e-9
    stuck = [w for w in run.warnings if "stuck" in w]
    assert len(stuck) == 1 and "43 down reads stuck at" in stuck[0] and f"{floor:.6g} S" in stuck[0]
    assert any("43 down reads stuck" in n for n in res.notes)
    (clean,) = _fit(_one_file(tmp_path / "clean" / "dev1.csv"), tmp_path).results
    # the stuck reads and the step into them are not fitted: the fit is the clean file's
    assert res.stats["n_pulses_down"] == clean.stats["n_pulses_down"]
    assert res.range_S == clean.range_S and res.params == clean.params
    # the API warns of the stuck reads, and (this table has no device area) of the missing energy
    with pytest.warns(UserWarning, match="43 down reads stuck"), pytest.warns(UserWarning, match="no device area"):
        ferrosim.fit_device(path, tmp_path / "d2.yaml", columns=MAPPING, pulse_width="100ns", figures=False)


def test_fewer_identical_reads_than_a_run_are_fitted_as_they_are(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "clean").mkdir()
    run = _fit(_one_file(tmp_path / "m" / "dev1.csv", floor_reads=STUCK_RUN - 1), tmp_path)
    (clean,) = _fit(_one_file(tmp_path / "clean" / "dev1.csv"), tmp_path).results
    assert not [w for w in run.warnings if "stuck" in w]
    assert run.results[0].stats["n_pulses_down"] == clean.stats["n_pulses_down"] + STUCK_RUN - 1
