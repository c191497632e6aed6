"""Lab tables after the second outside attack (issue 27, problems 2, 16, 18 and 19): a unit given
for a column whose name has another is refused, the lab-table reader refuses what the native
readers refuse, `--column` adds a role to the sidecar's mapping, and pulse widths written as text
(`2us`) need no unit in the column's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferrosim.cli import main
from ferrosim.errors import InputError
from ferrosim.io.measurements import read_path
from ferrosim.io.readers.lab_columns import parse_column_options

HEADER = "Pulse #,V_pulse (V),G (nS)"
MAPPING = ["--column", "pulse=Pulse #", "--column", "amplitude=V_pulse (V)", "--column", "conductance=G (nS)"]
SIDECAR_COLUMNS = "columns:\n  pulse: 'Pulse #'\n  amplitude: 'V_pulse (V)'\n  conductance: 'G (nS)'\n"


def _rows(n_cycles: int = 2, n: int = 20) -> list[tuple[int, float, float]]:
    """Soft-bounds ramps (down then up) as (pulse #, amplitude V, G in nS)."""
    rows, g, k = [], 0.0, 0
    for _ in range(n_cycles):
        for direction in ("down", "up"):
            for _ in range(n):
                g = g + 0.06 * (1 - g / 1.2) if direction == "up" else g - 0.04 * (1 + g / 1.2)
                k += 1
                rows.append((k, -3.0 if direction == "up" else 3.0, round(2.0 + g, 9)))
    return rows


def _export(path: Path, header: str = HEADER, extra=None, rows=None) -> Path:
    """An export with `header`; `extra(k, row)` gives more cells for row k (or replaces the row)."""
    lines = [header]
    for k, row in enumerate(rows or _rows()):
        cells = [str(c) for c in row]
        lines.append(",".join(extra(k, cells) if extra else cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def _fit_error(capsys, *argv: str) -> str:
    """The one error line of `ferrosim fit-device ARGV` (exit 2, no traceback)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["fit-device", *argv])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert exit_info.value.code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


# -- 2: a unit in the column's name and a different one given for it -------------------------------

def test_a_unit_option_that_contradicts_the_column_name_is_refused(tmp_path, capsys):
    path = _export(tmp_path / "e.csv")
    out = tmp_path / "d.yaml"
    line = _fit_error(capsys, str(path), "--pulse-width", "2us", *MAPPING, "--unit", "conductance=uS",
                      "-o", str(out))
    assert "column 'G (nS)' (conductance)" in line and "nS" in line and "--unit conductance=uS" in line
    assert not out.exists()


def test_a_sidecar_unit_that_contradicts_the_column_name_is_refused_at_its_line(tmp_path, capsys):
    _export(tmp_path / "e.csv")
    (tmp_path / "measurements.yaml").write_text("pulse_width: 2us\n" + SIDECAR_COLUMNS + "units:\n  conductance: uS\n")
    out = tmp_path / "d.yaml"
    line = _fit_error(capsys, str(tmp_path), "-o", str(out))
    assert "measurements.yaml:7:" in line and "column 'G (nS)' (conductance)" in line
    assert "nS" in line and "uS" in line
    assert not out.exists()


def test_a_sidecar_unit_contradicting_a_command_line_column_names_the_sidecar(tmp_path):
    _export(tmp_path / "e.csv")
    (tmp_path / "measurements.yaml").write_text("pulse_width: 2us\ncolumns: {pulse: 'Pulse #', conductance: G}\n"
                                                "units: {conductance: uS}\n")
    with pytest.raises(InputError) as err:
        read_path(tmp_path, columns=parse_column_options(["conductance=G (nS)"], [], complete=False))
    assert "column 'G (nS)' (conductance) has the unit nS in its name" in str(err.value)
    assert "units: {conductance: uS} in measurements.yaml" in str(err.value)


def test_the_same_unit_given_twice_is_not_a_conflict(tmp_path):
    path = _export(tmp_path / "e.csv", header="Pulse #,V_pulse (V),G (uS)")
    cols = ["pulse=Pulse #", "amplitude=V_pulse (V)", "conductance=G (uS)"]
    (trace,), _, _ = read_path(path, pulse_width="2us", columns=parse_column_options(cols, ["conductance=µS"]))
    assert trace.ramps[0].values[0] == pytest.approx(_rows()[0][2] * 1e-6)
    # a name whose parentheses are no conductance unit is given its unit by the option
    path = _export(tmp_path / "f.csv", header="Pulse #,V_pulse (V),G (a.u.)")
    (trace,), _, _ = read_path(path, pulse_width="2us", columns=parse_column_options(
        ["pulse=Pulse #", "amplitude=V_pulse (V)", "conductance=G (a.u.)"], ["conductance=nS"]))
    assert trace.ramps[0].values[0] == pytest.approx(_rows()[0][2] * 1e-9)


# -- 16: the checks of the native readers --------------------------------------------------------

def test_a_conductance_below_the_native_floor_is_refused_at_its_line(tmp_path, capsys):
    rows = [(k, v, g * 1e-301) for k, v, g in _rows()]
    path = _export(tmp_path / "e.csv", header="Pulse #,V_pulse (V),G (S)", rows=rows)
    out = tmp_path / "d.yaml"
    line = _fit_error(capsys, str(path), "--pulse-width", "2us", "--column", "pulse=Pulse #", "--column",
                      "amplitude=V_pulse (V)", "--column", "conductance=G (S)", "-o", str(out))
    assert f"{path}:2:" in line and "below 1e-30 S" in line
    assert not out.exists()
    # 1/resistance goes through the same check
    rows = [(k, v, 1e301 / g) for k, v, g in _rows()]
    path = _export(tmp_path / "r.csv", header="Pulse #,V_pulse (V),R (ohm)", rows=rows)
    with pytest.raises(InputError, match="below 1e-30 S") as err:
        read_path(path, pulse_width="2us", columns=parse_column_options(
            ["pulse=Pulse #", "amplitude=V_pulse (V)", "resistance=R (ohm)"], []))
    assert err.value.line == 2


@pytest.mark.parametrize("value", ["inf", "nan", "-2", "0", "1e400"])
def test_a_pulse_width_that_is_not_a_positive_finite_number_is_refused_at_its_line(tmp_path, capsys, value):
    path = _export(tmp_path / "e.csv", header=HEADER + ",PW (s)",
                   extra=lambda k, cells: cells + [value if k == 3 else "2e-6"])
    out = tmp_path / "d.yaml"
    line = _fit_error(capsys, str(path), *MAPPING, "--column", "pulse_width=PW (s)", "-o", str(out))
    assert line.startswith(f"error: {path}:5: column 'PW (s)'"), line
    assert "validation error" not in line and not out.exists()


def test_a_byte_that_is_not_utf8_is_named_with_its_line(tmp_path, capsys):
    path = _export(tmp_path / "e.csv")
    raw = path.read_bytes().split(b"\n")
    raw[6] += b"\xff"
    path.write_bytes(b"\n".join(raw))
    line = _fit_error(capsys, str(path), "--pulse-width", "2us", *MAPPING, "-o", str(tmp_path / "d.yaml"))
    assert line.startswith(f"error: {path}:7: not UTF-8 text: byte 0xff at line 7"), line


def test_a_mapped_column_name_twice_in_the_header_is_refused(tmp_path):
    path = _export(tmp_path / "e.csv", header=HEADER + ",G (nS)", extra=lambda k, cells: cells + ["5"])
    with pytest.raises(InputError, match=r"column 'G \(nS\)' appears twice in the header") as err:
        read_path(path, pulse_width="2us", columns=parse_column_options(MAPPING[1::2], []))
    assert err.value.line == 1


# -- 18: --column over the sidecar's columns ----------------------------------------------------

def test_a_column_option_adds_a_role_to_the_sidecar_mapping(tmp_path):
    _export(tmp_path / "e.csv", header=HEADER + ",width (ns)", extra=lambda k, cells: cells + ["20"])
    (tmp_path / "measurements.yaml").write_text(SIDECAR_COLUMNS)
    (trace,), _, _ = read_path(tmp_path, columns=parse_column_options(["pulse_width=width (ns)"], [], complete=False))
    assert trace.pulse_width_s == pytest.approx(20e-9) and trace.format == "lab-table"
    assert any("--column and measurements.yaml columns" in n for n in trace.notes)


def test_a_column_option_adds_a_role_to_the_sidecar_mapping_on_the_command_line(tmp_path, capsys):
    _export(tmp_path / "e.csv", header=HEADER + ",width (ns)", extra=lambda k, cells: cells + ["20" if k else "x"])
    (tmp_path / "measurements.yaml").write_text(SIDECAR_COLUMNS)
    # the role added on the command line is read: its bad value is found at its line
    line = _fit_error(capsys, str(tmp_path), "--column", "pulse_width=width (ns)", "-o", str(tmp_path / "d.yaml"))
    assert f"e.csv:2: column 'width (ns)'" in line, line
    assert "map exactly one of" not in line


def test_a_mapping_without_a_state_column_anywhere_names_both_sources(tmp_path, capsys):
    _export(tmp_path / "e.csv")
    (tmp_path / "measurements.yaml").write_text("columns: {pulse: 'Pulse #'}\n")
    line = _fit_error(capsys, str(tmp_path), "--column", "amplitude=V_pulse (V)", "-o", str(tmp_path / "d.yaml"))
    assert "--column and measurements.yaml columns: map exactly one of conductance, resistance, current" in line
    line = _fit_error(capsys, str(tmp_path), "-o", str(tmp_path / "d.yaml"))  # the sidecar alone: at its line
    assert "measurements.yaml:1: columns: map exactly one of conductance, resistance, current" in line
    (tmp_path / "measurements.yaml").unlink()
    line = _fit_error(capsys, str(tmp_path / "e.csv"), "--pulse-width", "2us", "--column", "pulse=Pulse #",
                      "-o", str(tmp_path / "d.yaml"))
    assert "--column: map exactly one of conductance, resistance, current" in line


# -- 19: pulse widths written as text with their unit ---------------------------------------------

def test_pulse_width_text_with_units_needs_no_unit_in_the_column_name(tmp_path):
    path = _export(tmp_path / "e.csv", header=HEADER + ",PW",
                   extra=lambda k, cells: cells + ["2us" if k < 40 else "20 ns"], rows=_rows(4))
    traces, _, _ = read_path(path, columns=parse_column_options([*MAPPING[1::2], "pulse_width=PW"], []))
    assert sorted(t.pulse_width_s for t in traces) == pytest.approx([20e-9, 2e-6])


def test_a_bare_number_in_a_pulse_width_column_without_unit_is_refused_at_its_line(tmp_path):
    path = _export(tmp_path / "e.csv", header=HEADER + ",PW", extra=lambda k, cells: cells + ["2" if k == 2 else "2us"])
    with pytest.raises(InputError, match=r"column 'PW' \(pulse_width\): 2 has no unit") as err:
        read_path(path, columns=parse_column_options([*MAPPING[1::2], "pulse_width=PW"], []))
    assert err.value.line == 4 and "--unit pulse_width=UNIT" in str(err.value)
