"""Lab exports read through a column mapping (ferrosim.io.readers.lab_table, issue 16 item 1)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from ferrosim.errors import InputError
from ferrosim.io.measurements import read_path
from ferrosim.io.readers.lab_columns import parse_column_options, suggest_mapping, unit_factor, unit_in_name

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "measurements" / "examples"


def _export(path: Path, rows, header="Pulse #,V_pulse (V),G (uS)", preamble=()) -> Path:
    path.write_text("\n".join([*preamble, header, *(",".join(str(c) for c in r) for r in rows)]) + "\n")
    return path


def _soft_bounds_rows(n_cycles=3, n=40, g0=0.0, v_up=-3.0, v_down=3.0, scale_uS=1.0):
    """Deterministic soft-bounds ramps (down then up), as (pulse#, amplitude, G in uS)."""
    rows, g, k = [], g0, 0
    for _ in range(n_cycles):
        for direction in ("down", "up"):
            for _ in range(n):
                g = g + 0.06 * (1 - g / 1.2) if direction == "up" else g - 0.04 * (1 + g / 1.2)
                k += 1
                rows.append((k, v_up if direction == "up" else v_down, round(scale_uS * (2.0 + g), 9)))
    return rows


# -- units and names --------------------------------------------------------------------------

@pytest.mark.parametrize("name,unit", [("G (uS)", "uS"), ("I_read [nA]", "nA"), ("R / kohm", "kohm"),
                                        ("V_pulse (V)", "V"), ("Pulse #", None), ("G", None)])
def test_unit_is_read_from_the_column_name(name, unit):
    assert unit_in_name(name) == unit


@pytest.mark.parametrize("role,unit,factor", [("conductance", "uS", 1e-6), ("conductance", "µS", 1e-6),
                                              ("conductance", "nS", 1e-9), ("resistance", "kohm", 1e3),
                                              ("resistance", "MΩ", 1e6), ("resistance", "kOhm", 1e3),
                                              ("current", "pA", 1e-12), ("voltage" and "read_voltage", "mV", 1e-3),
                                              ("pulse_width", "ns", 1e-9), ("energy", "pJ", 1e-12)])
def test_unit_factors(role, unit, factor):
    assert math.isclose(unit_factor(role, unit), factor)


def test_a_unit_of_another_dimension_is_refused_with_the_accepted_ones():
    with pytest.raises(ValueError, match=r"unit 'mV' is not a conductance unit \(one of: .*uS|µS"):
        unit_factor("conductance", "mV")


def test_column_options_errors_name_the_option():
    with pytest.raises(InputError, match=r"--column 'conductance': expected ROLE=NAME"):
        parse_column_options(["conductance"], [])
    with pytest.raises(InputError, match=r"unknown column role 'conductnce' \(did you mean 'conductance'\?\)"):
        parse_column_options(["conductnce=G (uS)"], [])
    with pytest.raises(InputError, match="map exactly one of conductance, resistance, current"):
        parse_column_options(["conductance=G (uS)", "resistance=R (ohm)"], [])
    with pytest.raises(InputError, match="map exactly one of"):
        parse_column_options(["pulse=Pulse #"], [])
    with pytest.raises(InputError, match="'G' is mapped to two roles"):
        parse_column_options(["conductance=G", "pulse=G"], [])
    with pytest.raises(InputError, match="not a conductance unit"):
        parse_column_options(["conductance=G"], ["conductance=V"])


def test_suggested_mapping_for_the_reported_export():
    assert suggest_mapping(["Pulse #", "V_pulse (V)", "G (uS)"]) == {
        "pulse": "Pulse #", "amplitude": "V_pulse (V)", "conductance": "G (uS)"}
    assert suggest_mapping(["Pulse", "Amplitude [V]", "I_read [pA]", "V_read [mV]"]) == {
        "read_voltage": "V_read [mV]", "current": "I_read [pA]", "pulse": "Pulse", "amplitude": "Amplitude [V]"}


# -- the reported friction: an export that looked like a CrossSim ramp file ------------------------

def test_an_unmapped_lab_export_names_the_formats_and_the_mapping(tmp_path):
    path = _export(tmp_path / "dev.csv", _soft_bounds_rows())
    with pytest.raises(InputError) as err:
        read_path(path, pulse_width="2us")
    text = str(err.value)
    assert "look like a lab export" in text and "column mapping" in text
    assert "ramps-csv" in text and "wgfmu, long-csv" in text  # what was detected and what exists
    assert "--column 'pulse=Pulse #' --column 'amplitude=V_pulse (V)' --column 'conductance=G (uS)'" in text
    assert "negative value" not in text


def test_the_mapped_export_reads_as_ramps_in_siemens_with_direction_from_the_sign(tmp_path):
    rows = _soft_bounds_rows()
    path = _export(tmp_path / "dev.csv", rows, preamble=("# exported by a lab script", "operator,x"))
    mapping = parse_column_options(["pulse=Pulse #", "amplitude=V_pulse (V)", "conductance=G (uS)"], [])
    records, _, files = read_path(path, pulse_width="2us", columns=mapping)
    (trace,) = records
    assert files == [path] and trace.format == "lab-table" and trace.pulse_width_s == 2e-6
    assert [r.direction for r in trace.ramps] == ["down", "up"] * 3
    assert [r.cycle for r in trace.ramps] == [0, 0, 1, 1, 2, 2]
    np.testing.assert_allclose(np.concatenate([r.values for r in trace.ramps]), [g * 1e-6 for *_, g in rows])
    assert trace.ramps[0].start is None
    assert all(r.start == p.values[-1] for p, r in zip(trace.ramps, trace.ramps[1:]))  # back to back
    assert any("negative amplitudes potentiate" in n for n in trace.notes)


def test_potentiating_polarity_from_the_sidecar_overrides_the_inference(tmp_path):
    rows = [(k, -v, g) for k, v, g in _soft_bounds_rows()]  # positive now potentiates
    _export(tmp_path / "dev.csv", rows)
    (tmp_path / "measurements.yaml").write_text("pulse_width: 2us\ncolumns: {pulse: 'Pulse #', amplitude: "
                                                "'V_pulse (V)', conductance: 'G (uS)'}\n")
    (trace,), _, _ = read_path(tmp_path)
    assert [r.direction for r in trace.ramps][:2] == ["down", "up"]
    assert any("positive amplitudes potentiate" in n for n in trace.notes)
    (tmp_path / "measurements.yaml").write_text("pulse_width: 2us\npotentiating_polarity: negative\ncolumns: "
                                                "{pulse: 'Pulse #', amplitude: 'V_pulse (V)', conductance: 'G (uS)'}\n")
    (trace,), _, _ = read_path(tmp_path)
    assert [r.direction for r in trace.ramps][:2] == ["up", "down"]


def test_resistance_direction_words_restarting_pulses_and_a_read_without_pulse(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("Step\tMode\tR (kohm)\tVp (V)\n0\tread\t500\t0\n1\tset\t400\t2\n2\tset\t320\t2\n"
                    "1\treset\t400\t-2\n2\treset\t500\t-2\n1\tset\t410\t2\n")
    mapping = parse_column_options(["pulse=Step", "resistance=R (kohm)", "amplitude=Vp (V)"], [])
    with pytest.raises(InputError, match="unknown direction 'read'"):
        read_path(path, pulse_width="1us", columns=parse_column_options(
            ["pulse=Step", "resistance=R (kohm)", "direction=Mode"], []))
    (trace,), _, _ = read_path(path, pulse_width="1us", columns=mapping)
    assert [r.direction for r in trace.ramps] == ["up", "down", "up"]
    np.testing.assert_allclose(trace.ramps[0].values, [1 / 400e3, 1 / 320e3])
    assert trace.ramps[0].start == pytest.approx(1 / 500e3)  # the read before the first pulse
    assert [r.cycle for r in trace.ramps] == [0, 0, 1]


def test_a_restarting_pulse_count_alone_gives_ramps_by_their_trend(tmp_path):
    path = _export(tmp_path / "d.csv", [(1, 1.0), (2, 1.2), (3, 1.3), (1, 1.1), (2, 1.0)], header="n,G [nS]")
    (trace,), _, _ = read_path(path, pulse_width="20ns", columns=parse_column_options(
        ["pulse=n", "conductance=G [nS]"], []))
    assert [r.direction for r in trace.ramps] == ["up", "down"]
    assert trace.ramps[1].start == pytest.approx(1.3e-9)


def test_a_column_without_unit_needs_one_and_a_unit_option_gives_it(tmp_path):
    path = _export(tmp_path / "d.csv", _soft_bounds_rows(1), header="Pulse #,V,G")
    cols = ["pulse=Pulse #", "amplitude=V", "conductance=G"]
    with pytest.raises(InputError, match=r"column 'V' \(amplitude\) has no unit in its name .*--unit amplitude=UNIT"):
        read_path(path, pulse_width="2us", columns=parse_column_options(cols, []))
    (trace,), _, _ = read_path(path, pulse_width="2us",
                               columns=parse_column_options(cols, ["amplitude=V", "conductance=uS"]))
    assert trace.ramps[0].values[0] == pytest.approx(_soft_bounds_rows(1)[0][2] * 1e-6)


def test_a_mapped_column_missing_from_the_header_is_named_with_the_nearest(tmp_path):
    path = _export(tmp_path / "d.csv", _soft_bounds_rows(1))
    with pytest.raises(InputError) as err:
        read_path(path, pulse_width="2us", columns=parse_column_options(["pulse=Pulse #", "conductance=G (us)"], []))
    assert "no header line holds the mapped column 'G (us)'" in str(err.value)
    assert "did you mean 'G (uS)'?" in str(err.value) and ":1:" not in str(err.value).split("d.csv")[0]


def test_the_sidecar_mapping_is_checked_at_its_line(tmp_path):
    _export(tmp_path / "d.csv", _soft_bounds_rows(1))
    (tmp_path / "measurements.yaml").write_text("pulse_width: 2us\ncolumns:\n  pulse: 'Pulse #'\n  conductanse: G\n")
    with pytest.raises(InputError) as err:
        read_path(tmp_path)
    assert err.value.line == 4 and "columns.conductanse: unknown column role" in str(err.value)
    (tmp_path / "measurements.yaml").write_text("pulse_width: 2us\ncolumns: {conductance: G}\nunits:\n"
                                                "  conductance: kohm\n")
    with pytest.raises(InputError) as err:
        read_path(tmp_path)
    assert err.value.line == 4 and "not a conductance unit" in str(err.value)


def test_measured_energy_and_pulse_width_columns(tmp_path):
    rows = [(k, v, g, "2", 1.5 if v < 0 else 2.5) for k, v, g in _soft_bounds_rows(2)]
    path = _export(tmp_path / "d.csv", rows, header="#,V (V),G (uS),width (us),E (pJ)")
    (trace,), _, _ = read_path(path, columns=parse_column_options(
        ["pulse=#", "amplitude=V (V)", "conductance=G (uS)", "pulse_width=width (us)", "energy=E (pJ)"], []))
    assert trace.pulse_width_s == pytest.approx(2e-6)
    assert trace.energy_up_J == pytest.approx(1.5e-12) and trace.energy_down_J == pytest.approx(2.5e-12)


# -- the worked examples: same fit as the native long CSV of the same synthetic device --------------

def _fit_entry(device_file: Path, width: str) -> dict:
    return yaml.safe_load(device_file.read_text())["devices"]["SYN-HZO-A"]["pulse_widths"][width]


@pytest.mark.parametrize("folder,widths", [("lab_export", ["2us", "20us"]), ("lab_read_current", ["200ns"])])
def test_the_examples_fit_like_the_long_csv_of_the_same_device(folder, widths, tmp_path):
    from ferrosim.device.fit_run import fit_path

    lab = fit_path(EXAMPLES / folder, tmp_path / "lab.yaml", figures=False)
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    for w in widths:
        shutil.copy(REPO / "measurements" / f"SYN-HZO-A_{w}.csv", ref_dir)
    shutil.copy(REPO / "measurements" / "measurements.yaml", ref_dir)
    fit_path(ref_dir, tmp_path / "ref.yaml", figures=False)
    assert lab.device_file.synthetic
    for w in widths:
        got, want = _fit_entry(tmp_path / "lab.yaml", w), _fit_entry(tmp_path / "ref.yaml", w)
        for key in ("a_up", "a_down", "w_min", "w_max", "c2c"):  # the export rounds to 6 digits
            assert got["response"][key] == pytest.approx(want["response"][key], rel=2e-4), (w, key)
        for key in ("up", "down"):
            assert got["energy_per_pulse_J"][key] == pytest.approx(want["energy_per_pulse_J"][key], rel=1e-6)
