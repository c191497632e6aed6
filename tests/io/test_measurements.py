"""Measurement readers: every real file loads, values in physical units, one-line errors with lines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from ferrosim.errors import InputError
from ferrosim.io.detect import detect_format
from ferrosim.io.measurement_data import Sidecar, StepTable, Trace
from ferrosim.io.measurements import read_file, read_path
from ferrosim.io.readers.dg_table import dg_moments
from ferrosim.io.readers.registry import FORMATS
from ferrosim.io.sidecar import load_sidecar

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
HZO = SHARED / "data" / "hzo"
DEVICES = SHARED / "data" / "devices"
needs_hzo = pytest.mark.skipif(not HZO.is_dir(), reason="../shared/data/hzo not present")
needs_devices = pytest.mark.skipif(not DEVICES.is_dir(), reason="../shared/data/devices not present")

FIRST_HZO = "ID161ZR15000_run1_20241024104937_Summary.dat"
CROSSSIM_SET = "crosssim_v2_example_set.csv"
CROSSSIM_RESET = "crosssim_v2_example_reset.csv"
ENODE_INC = "crosssim_ENODe_dG_increasing.txt"
ENODE_DEC = "crosssim_ENODe_dG_decreasing.txt"
GONG = "aihwkit_gong_et_al.csv"


def raises_at(name: str, line: int | None):
    """Context: an InputError whose one-line message names `name` (and `:line:` when given)."""
    where = f"{name}:{line}: " if line is not None else name
    return pytest.raises(InputError, match=re.escape(where))


# -- synthetic files ----------------------------------------------------------------------------

WGFMU_HEAD = """\
test_date,test_time,device_name,device_id
24.10.2024,10:49:37,,{device}
groundWGFMU,pulseWGFMU,startVolage1,endVoltage1,startVolage2,endVoltage2,stepSize,riseTime,fallTime,pulseWidth,pulseDelay
SMU2,WGFMU1,0.8,5.0,-0.9,-3.6,0.042,2e-08,2e-08,{settings_pw},0.001
VStartPos (V),VEndPos (V),VStartNeg (V),VEndNeg (V),twidth (s),onOffRatio
1.1,5.0,-0.8,-3.6,{twidth},1.7
Pulse Number,index,Pulse Amplitude (V),R_low (ohm),R_high (ohm)
"""


def write_wgfmu(folder: Path, rows: list[str], *, name="IDX1ZR100_run1_2024_Summary.dat",
                device="IDX1ZR100", twidth="2e-07", settings_pw="2e-07") -> Path:
    path = folder / name
    path.write_text(WGFMU_HEAD.format(device=device, twidth=twidth, settings_pw=settings_pw)
                    + "".join(r + "\n" for r in rows))
    return path


def wgfmu_rows(amps: list[float], r0: float = 1e7) -> list[str]:
    rows, r = [], r0
    for k, a in enumerate(amps, start=1):
        r *= 1.02 if a > 0 else 0.98  # positive depresses: R rises
        rows.append(f"{k},{k + 7},{a},{r:.3f},{1.1 * r:.3f}")
    return rows


LONG_CSV = """\
device,pulse_width,cycle,direction,pulse,conductance_S,amplitude_V,energy_J
devA,20ns,0,up,0,1.0e-6,-3,1e-12
devA,20ns,0,up,2,1.2e-6,-3,3e-12
devA,20ns,0,up,1,1.1e-6,-3,2e-12
devA,20ns,0,down,0,1.15e-6,3,4e-12
devA,20ns,0,down,1,1.05e-6,3,6e-12
devA,20ns,1,up,0,1.1e-6,-3,2e-12
devA,20ns,1,up,1,1.2e-6,-3,2e-12
devA,2e-6,0,up,0,2.0e-6,,
devA,2e-6,0,up,1,2.5e-6,,
devB,20ns,0,down,0,5e-7,,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def dg_text(bins, cdf, matrix, header=True) -> str:
    lines = ["1st Row = Gbins, 2nd Row = CDF Points, 3rd row onward =  dG matrix"] if header else []
    lines += [", ".join(f"{v:.8e}" for v in bins), ", ".join(f"{v:.8e}" for v in cdf), ""]
    lines += [",".join(f"{v:.12e}" for v in row) for row in matrix]
    return "\n".join(lines) + "\n"


# -- real data: everything loads ----------------------------------------------------------------

def _hzo_table() -> dict[str, tuple[float, int, int, float, float, int]]:
    """The README's table: name -> (pulse width, n positive, n negative, G min, G max, rows)."""
    table = {}
    pattern = re.compile(r"^\| (\S+_Summary\.dat) \| (\S+) \| (\d+)/(\d+) \| (\S+)–(\S+) \| (\d+) \|")
    for line in (HZO / "README.md").read_text().splitlines():
        m = pattern.match(line)
        if m:
            name, pw, npos, nneg, gmin, gmax, rows = m.groups()
            table[name] = (float(pw), int(npos), int(nneg), float(gmin), float(gmax), int(rows))
    return table


@needs_hzo
def test_all_hzo_files_load_and_match_the_readme_table():
    records, sidecar, files = read_path(HZO)
    assert len(files) == 44 and len(records) == 44
    assert all(f.name.endswith("_Summary.dat") for f in files)
    assert sidecar == Sidecar()
    table = _hzo_table()
    assert len(table) == 44
    for trace in records:
        assert isinstance(trace, Trace) and trace.format == "wgfmu" and trace.units == "S"
        pw, npos, nneg, gmin, gmax, rows = table[trace.source.name]
        assert trace.pulse_width_s == pytest.approx(pw)
        assert trace.device == trace.source.name.split("_run")[0]
        assert [r.direction for r in trace.ramps] == ["down", "up"]
        down, up = trace.ramps
        assert (len(down.values), len(up.values)) == (npos, nneg)
        assert np.all(down.amplitude_V > 0) and np.all(up.amplitude_V < 0)
        assert up.start == down.values[-1] and down.start is None
        g = np.concatenate([down.values, up.values])
        assert g.size == rows
        assert g.min() == pytest.approx(gmin, rel=6e-3) and g.max() == pytest.approx(gmax, rel=6e-3)
        # The sign convention holds on the data: positive pulses lower G, negative raise it.
        assert down.values[-1] < down.values[0] and up.values[-1] > up.values[0]


@needs_hzo
def test_first_wgfmu_file_in_detail():
    path = HZO / FIRST_HZO
    assert detect_format(path) == "wgfmu"
    (trace,) = read_file(path)
    assert trace.device == "ID161ZR15000"
    assert trace.pulse_width_s == 2e-8
    assert trace.source == path
    down, up = trace.ramps
    assert (down.direction, up.direction) == ("down", "up")
    assert (down.cycle, up.cycle) == (0, 0)
    assert (down.line, up.line) == (8, 100)  # 1-based lines of each ramp's first row
    # First data row: 1,8,1.136,16305765.719,19417815.069
    assert down.values[0] == pytest.approx(0.5 * (1 / 16305765.719 + 1 / 19417815.069), rel=1e-12)
    assert down.amplitude_V[0] == 1.136 and down.amplitude_V[-1] == 4.958
    assert up.amplitude_V[0] == -0.9 and up.amplitude_V[-1] == -3.588
    assert len(down.amplitude_V) == len(down.values) == 92
    assert len(up.amplitude_V) == len(up.values) == 65
    assert up.values[0] == pytest.approx(0.5 * (1 / 27494659.162 + 1 / 32679738.562))
    assert np.array_equal(up.states()[1:], up.values) and up.states()[0] == down.values[-1]


@needs_devices
def test_devices_folder_loads_each_record_once():
    records, _, files = read_path(DEVICES, read_voltage_V=0.1)
    assert sorted(f.name for f in files) == sorted([GONG, CROSSSIM_SET, CROSSSIM_RESET, ENODE_INC, ENODE_DEC])
    kinds = sorted((type(r).__name__, r.format) for r in records)
    assert kinds == [("StepTable", "dg-table"), ("Trace", "ramps-csv"), ("Trace", "two-column")]


@needs_devices
@pytest.mark.parametrize("name", [CROSSSIM_SET, CROSSSIM_RESET])
def test_crosssim_set_reset_pair(name):
    (trace,) = read_file(DEVICES / name, read_voltage_V=0.1)
    assert trace.format == "ramps-csv" and trace.units == "S" and trace.read_voltage_V == 0.1
    assert trace.device == "crosssim_v2_example"
    assert trace.pulse_width_s is None  # not in the files, none given
    ups = [r for r in trace.ramps if r.direction == "up"]
    downs = [r for r in trace.ramps if r.direction == "down"]
    assert (len(ups), len(downs)) == (39, 40)
    assert trace.ramps[:39] == ups  # up ramps first whichever file was named
    assert all(r.start is None for r in trace.ramps)
    assert [r.cycle for r in ups] == list(range(39)) and [r.cycle for r in downs] == list(range(40))
    assert all(185 <= len(r.values) <= 192 for r in ups)
    assert all(149 <= len(r.values) <= 153 for r in downs)
    g = np.concatenate([r.values for r in trace.ramps])
    assert 1.6e-3 < g.min() < 1.62e-3 and 2.48e-3 < g.max() < 2.5e-3
    assert ups[0].values[0] == pytest.approx(0.000160588 / 0.1)
    assert np.mean([np.diff(r.values).mean() for r in ups]) > 0
    assert np.mean([np.diff(r.values).mean() for r in downs]) < 0
    sibling = CROSSSIM_RESET if name == CROSSSIM_SET else CROSSSIM_SET
    assert any(sibling in note for note in trace.notes)


@needs_devices
def test_crosssim_without_read_voltage_is_an_error():
    with pytest.raises(InputError) as info:
        read_file(DEVICES / CROSSSIM_SET)
    assert CROSSSIM_SET in info.value.one_line()
    assert "--read-voltage" in info.value.one_line()


@needs_devices
def test_enode_tables():
    for name in (ENODE_INC, ENODE_DEC):
        assert detect_format(DEVICES / name) == "dg-table"
        (table,) = read_file(DEVICES / name)
        assert isinstance(table, StepTable)
        assert [p.name for p in table.sources] == [ENODE_INC, ENODE_DEC]
        assert table.device == "crosssim_ENODe" and table.units == "S"
        assert table.g.shape == (48,)
        assert table.g[0] == pytest.approx(0.29772e-3) and table.g[-1] == pytest.approx(0.9783e-3, rel=1e-3)
        for arr in (table.mean_up, table.std_up, table.mean_down, table.std_down):
            assert arr.shape == (48,) and np.all(np.isfinite(arr))
        # README: median dG ~ +4.8 uS increasing, -2.4 uS decreasing (means sit near those).
        assert 3e-6 < np.median(table.mean_up) < 8e-6
        assert 1.5e-6 < np.median(table.mean_down) < 4e-6
        assert np.all(table.mean_down > 0) and np.all(table.mean_up > 0)
        assert np.all(table.std_up > 0) and np.all(table.std_down >= 0)
        assert np.median(table.mean_up) > np.median(table.mean_down)  # strongly asymmetric


@needs_devices
def test_aihwkit_two_column_trace():
    path = DEVICES / GONG
    assert detect_format(path) == "two-column"
    (trace,) = read_file(path, pulse_width="1us")
    assert trace.units == "normalised" and trace.pulse_width_s == 1e-6
    up, down = trace.ramps
    assert (up.direction, down.direction) == ("up", "down")
    assert len(up.values) == len(down.values) == 1000
    assert up.start is None and down.start == up.values[-1]
    assert down.values[-1] == pytest.approx(-1.3556)
    assert -1.4 < min(up.values.min(), down.values.min()) and max(up.values.max(), down.values.max()) < 1.42


@needs_devices
def test_single_dg_table_without_sibling_is_an_error(tmp_path):
    shutil.copy(DEVICES / ENODE_INC, tmp_path / ENODE_INC)
    with pytest.raises(InputError, match="crosssim_ENODe_dG_decreasing.txt is missing") as info:
        read_file(tmp_path / ENODE_INC)
    assert ENODE_INC in info.value.one_line()


# -- WGFMU --------------------------------------------------------------------------------------

def test_wgfmu_synthetic_cycles_chain_and_fallbacks(tmp_path):
    amps = [1.0, 1.1, -1.0, -1.1, -1.2, 1.0, 1.1, -1.0]
    path = write_wgfmu(tmp_path, wgfmu_rows(amps), device="")
    (trace,) = read_file(path)
    assert trace.device == "IDX1ZR100"  # file name prefix before _run when device_id is empty
    assert trace.pulse_width_s == 2e-7
    assert [(r.direction, len(r.values), r.cycle) for r in trace.ramps] == [
        ("down", 2, 0), ("up", 3, 0), ("down", 2, 1), ("up", 1, 1)]
    assert [r.line for r in trace.ramps] == [8, 10, 13, 15]
    for prev, ramp in zip(trace.ramps, trace.ramps[1:]):
        assert ramp.start == prev.values[-1]


def test_wgfmu_pulse_width_falls_back_to_settings_block(tmp_path):
    text = WGFMU_HEAD.format(device="D1", twidth="5e-4", settings_pw="5e-4")
    text = text.replace("twidth (s)", "tw").replace(",5e-4,1.7", ",x,1.7")
    path = write(tmp_path / "D1_run1_Summary.dat", text + "\n".join(wgfmu_rows([-1, -2])) + "\n")
    (trace,) = read_file(path)
    assert trace.pulse_width_s == 5e-4 and trace.device == "D1"
    assert [r.direction for r in trace.ramps] == ["up"]


def test_wgfmu_file_values_win_over_command_line_and_sidecar(tmp_path):
    path = write_wgfmu(tmp_path, wgfmu_rows([1, -1]))
    write(tmp_path / "measurements.yaml", "pulse_width: 5ms\ndevice_name: other\n")
    (trace,) = read_file(path, pulse_width="20ns")
    assert trace.pulse_width_s == 2e-7 and trace.device == "IDX1ZR100"
    assert any("20ns from --pulse-width not used" in n for n in trace.notes)
    assert any("'other' from measurements.yaml not used" in n for n in trace.notes)


@pytest.mark.parametrize(
    "bad_row, what",
    [
        ("3,10,1.2,1000.0", "expected 5 values"),            # truncated row
        ("3,10,1.2,abc,1000.0", "not a number: 'abc'"),
        ("3,10,1.2,0,1000.0", "resistance must be positive"),
        ("3,10,nan,1000,1000.0", "not a finite number"),
    ],
)
def test_wgfmu_malformed_rows(tmp_path, bad_row, what):
    rows = wgfmu_rows([1.0, 1.1]) + [bad_row] + wgfmu_rows([-1.0])
    path = write_wgfmu(tmp_path, rows)
    with raises_at(path.name, 10) as info:  # 7 header lines + 2 rows: the bad row is line 10
        read_file(path)
    assert what in info.value.one_line()


@needs_hzo
def test_wgfmu_truncated_real_file(tmp_path):
    lines = (HZO / FIRST_HZO).read_text().splitlines()
    lines[40] = lines[40].rsplit(",", 1)[0]  # line 41 loses its R_high value
    path = write(tmp_path / FIRST_HZO, "\n".join(lines) + "\n")
    with raises_at(FIRST_HZO, 41):
        read_path(path)


def test_wgfmu_header_errors(tmp_path):
    text = WGFMU_HEAD.format(device="D", twidth="fast", settings_pw="2e-8")
    path = write(tmp_path / "D_run1_Summary.dat", text + "\n".join(wgfmu_rows([1])) + "\n")
    with raises_at(path.name, 6) as info:
        read_file(path)
    assert "twidth (s)" in info.value.one_line()
    path = write(tmp_path / "E_run1_Summary.dat", "test_date,test_time\n24.10.2024,10:49:37\n")
    with raises_at(path.name, 2) as info:
        read_file(path)
    assert "no data header" in info.value.one_line()


# -- long CSV -----------------------------------------------------------------------------------

def test_long_csv_round_trip(tmp_path):
    path = write(tmp_path / "meas.csv", LONG_CSV)
    assert detect_format(path) == "long-csv"
    traces = read_file(path)
    assert [(t.device, t.pulse_width_s) for t in traces] == [("devA", 2e-8), ("devA", 2e-6), ("devB", 2e-8)]
    a20 = traces[0]
    assert a20.format == "long-csv" and a20.units == "S" and a20.source == path
    assert [(r.cycle, r.direction) for r in a20.ramps] == [(0, "up"), (0, "down"), (1, "up")]
    up0, down0, up1 = a20.ramps
    np.testing.assert_allclose(up0.values, [1.0e-6, 1.1e-6, 1.2e-6])  # sorted by pulse
    np.testing.assert_allclose(up0.amplitude_V, [-3, -3, -3])
    assert up0.start is None
    assert down0.start == pytest.approx(1.2e-6)  # previous ramp's last state, after sorting
    assert up1.start == pytest.approx(1.05e-6)   # next cycle, directly after
    assert [r.line for r in a20.ramps] == [2, 5, 7]
    assert a20.energy_up_J == pytest.approx(np.mean([1, 3, 2, 2, 2]) * 1e-12)
    assert a20.energy_down_J == pytest.approx(5e-12)
    a2u = traces[1]
    assert a2u.energy_up_J is None and a2u.ramps[0].amplitude_V is None
    assert a2u.ramps[0].start is None  # different trace: no chaining across pulse widths
    assert traces[2].ramps[0].direction == "down"


def test_long_csv_device_from_command_line_and_folder(tmp_path):
    text = "pulse_width,cycle,direction,pulse,conductance_S,read_voltage_V\n"
    text += "".join(f"2us,0,up,{k},{1e-6 * (1 + k / 10)},0.2\n" for k in range(4))
    write(tmp_path / "b.csv", text)
    write(tmp_path / "a.csv", LONG_CSV)
    write(tmp_path / "README.md", "# notes\n")
    write(tmp_path / "notes.txt", "free text, not a table\n")
    write(tmp_path / ".hidden.csv", "garbage\n")
    records, _, files = read_path(tmp_path, device="chip7", read_voltage_V=0.3)
    assert [f.name for f in files] == ["a.csv", "b.csv"]
    assert [t.device for t in records] == ["devA", "devA", "devB", "chip7"]
    assert records[-1].read_voltage_V == 0.2  # the file's read voltage wins
    assert any("0.3 V from --read-voltage not used" in n for n in records[-1].notes)
    assert any("device name 'chip7' from --device not used" in n for n in records[0].notes)


@pytest.mark.parametrize(
    "line_no, replacement, what",
    [
        (4, "devA,20ns,0,sideways,1,1.1e-6,-3,2e-12", "direction: unknown value 'sideways'"),
        (3, "devA,20 parsecs,0,up,2,1.2e-6,-3,3e-12", "pulse_width: cannot read pulse width"),
        (5, "devA,20ns,0,down,0,-1e-6,3,4e-12", "conductance_S must be positive"),
        (6, "devA,20ns,0,down,1,1.05e-6,3", "expected 8 values"),
        (7, "devA,20ns,x,up,0,1.1e-6,-3,2e-12", "cycle: not a number"),
        (8, "devA,20ns,1,up,0,1.2e-6,-3,2e-12", "pulse 0 of cycle 1 up appears twice (first on line 7)"),
        (9, "devA,2e-6,0,up,0,2.0e-6,,-1", "energy_J must be >= 0"),
    ],
)
def test_long_csv_malformed(tmp_path, line_no, replacement, what):
    lines = LONG_CSV.splitlines()
    lines[line_no - 1] = replacement
    path = write(tmp_path / "bad.csv", "\n".join(lines) + "\n")
    with raises_at("bad.csv", line_no) as info:
        read_file(path)
    assert what in info.value.one_line()


def test_long_csv_missing_column(tmp_path):
    path = write(tmp_path / "m.csv", "pulse_width,cycle,direction,pulse,conductance\n20ns,0,up,0,1e-6\n")
    assert detect_format(path) == "long-csv"
    with raises_at("m.csv", 1) as info:
        read_file(path)
    assert "missing column 'conductance_S'" in info.value.one_line()
    assert "'conductance'" in info.value.one_line()  # did-you-mean hint


# -- ramps CSV ----------------------------------------------------------------------------------

def test_ramps_csv_sidecar_settings_and_inferred_direction(tmp_path):
    write(tmp_path / "ramps.csv", "r1,r2\n1e-6,2e-6\n1.1e-6,2.2e-6\n1.2e-6,\n")
    write(tmp_path / "measurements.yaml",
          "quantity: conductance_S\npulse_width: 5us\nfiles:\n  'ramps*': {device: dev9, cycle: 3}\n")
    (trace,) = read_file(tmp_path / "ramps.csv")
    assert trace.device == "dev9" and trace.pulse_width_s == pytest.approx(5e-6)
    assert trace.read_voltage_V is None
    assert [(r.direction, r.cycle, len(r.values), r.line) for r in trace.ramps] == [
        ("up", 3, 3, 2), ("up", 4, 2, 2)]  # rising values: up
    np.testing.assert_allclose(trace.ramps[1].values, [2e-6, 2.2e-6])
    # The command line beats the sidecar.
    (trace,) = read_file(tmp_path / "ramps.csv", pulse_width=2e-8, device="cli")
    assert trace.pulse_width_s == 2e-8 and trace.device == "cli"


def test_ramps_csv_direction_from_sidecar_and_pairing_in_folder(tmp_path):
    write(tmp_path / "dev_up.csv", "a,b\n1e-4,1e-4\n2e-4,0\n3e-4,\n")
    write(tmp_path / "dev_down.csv", "a\n3e-4\n2e-4\n")
    write(tmp_path / "measurements.yaml", "read_voltage_V: 0.1\nfiles:\n  dev_up.csv: {direction: down}\n")
    with pytest.raises(InputError, match="both hold down ramps"):
        read_path(tmp_path)
    write(tmp_path / "measurements.yaml", "read_voltage_V: 0.1\n")
    records, _, files = read_path(tmp_path)
    assert [f.name for f in files] == ["dev_down.csv", "dev_up.csv"]
    (trace,) = records
    assert trace.device == "dev" and trace.read_voltage_V == 0.1
    assert [(r.direction, len(r.values)) for r in trace.ramps] == [("up", 3), ("up", 1), ("down", 2)]
    np.testing.assert_allclose(trace.ramps[0].values, [1e-3, 2e-3, 3e-3])


def test_ramps_csv_errors(tmp_path):
    path = write(tmp_path / "x_set.csv", "r1,r2\n1e-4,2e-4\n,2e-4\n1e-4,2e-4\n")
    with raises_at("x_set.csv", 4) as info:
        read_file(path, read_voltage_V=0.1)
    assert "value after the end of the ramp" in info.value.one_line()
    path = write(tmp_path / "y_set.csv", "r1,r2\n1e-4,2e-4\n1e-4,oops\n")
    with raises_at("y_set.csv", 3):
        read_file(path, read_voltage_V=0.1)
    path = write(tmp_path / "z.csv", "r1\n1e-4\n1e-4\n")
    with pytest.raises(InputError, match="cannot tell the ramp direction"):
        read_file(path, read_voltage_V=0.1)


# -- dG tables ----------------------------------------------------------------------------------

def test_dg_moments_closed_form():
    # Quantile function Q(p) = a + b p (uniform on [a, a+b]): mean a + b/2, std b/sqrt(12).
    cdf = np.linspace(0, 1, 2001)
    a, b = np.array([1.0, -2.0]), np.array([2.0, 0.5])
    mean, std = dg_moments(cdf, a[None, :] + b[None, :] * cdf[:, None])
    np.testing.assert_allclose(mean, a + b / 2)
    np.testing.assert_allclose(std, b / np.sqrt(12), rtol=1e-6)


def test_dg_table_synthetic_pair(tmp_path):
    bins, cdf = [1e-4, 2e-4, 3e-4], [0.0, 0.5, 1.0]
    write(tmp_path / "dev_dG_increasing.txt", dg_text(bins, cdf, [[1e-6] * 3, [2e-6] * 3, [3e-6] * 3]))
    write(tmp_path / "dev_dG_decreasing.txt", dg_text(bins, cdf, [[-3e-6] * 3, [-2e-6] * 3, [-1e-6] * 3]))
    (table,) = read_file(tmp_path / "dev_dG_decreasing.txt", pulse_width="20ns")
    assert table.device == "dev" and table.pulse_width_s == 2e-8
    np.testing.assert_allclose(table.g, bins)
    np.testing.assert_allclose(table.mean_up, 2e-6)
    np.testing.assert_allclose(table.mean_down, 2e-6)
    # Trapezoid of (1,2,3)^2 over (0, .5, 1): E[x^2] = (1+4)/4 + (4+9)/4 = 4.5 -> var 0.5
    np.testing.assert_allclose(table.std_up, np.sqrt(0.5) * 1e-6, rtol=1e-9)
    # A folder gives the pair once; a .txt that is not a table is skipped.
    write(tmp_path / "notes.txt", "hello\n")
    records, _, files = read_path(tmp_path)
    assert len(records) == 1 and len(files) == 2


@pytest.mark.parametrize(
    "mutate, line, what",
    [
        (lambda m: m[1].__setitem__(slice(None), m[1][:2]), 6, "row has 2 values, expected one per G bin"),
        (lambda m: m.append([1e-6] * 3), 8, "more matrix rows than CDF points"),
        (lambda m: m.pop(), 6, "dG matrix has 2 rows, expected one per CDF point"),
    ],
)
def test_dg_table_malformed(tmp_path, mutate, line, what):
    bins, cdf = [1e-4, 2e-4, 3e-4], [0.0, 0.5, 1.0]
    matrix = [[1e-6] * 3, [2e-6] * 3, [3e-6] * 3]
    mutate(matrix)
    # line 1 header, 2 bins, 3 CDF, 4 blank, 5.. matrix
    write(tmp_path / "d_dG_increasing.txt", dg_text(bins, cdf, matrix))
    write(tmp_path / "d_dG_decreasing.txt", dg_text(bins, cdf, [[-1e-6] * 3] * 3))
    with raises_at("d_dG_increasing.txt", line) as info:
        read_file(tmp_path / "d_dG_decreasing.txt")
    assert what in info.value.one_line()


def test_dg_table_non_numeric_and_bad_cdf(tmp_path):
    write(tmp_path / "d_dG_decreasing.txt", dg_text([1e-4, 2e-4], [0, 1], [[-1e-6] * 2] * 2))
    text = dg_text([1e-4, 2e-4], [0, 1], [[1e-6] * 2] * 2).replace("1.000000000000e-06", "x", 1)
    write(tmp_path / "d_dG_increasing.txt", text)
    with raises_at("d_dG_increasing.txt", 5) as info:
        read_file(tmp_path / "d_dG_increasing.txt")
    assert "not a number: 'x'" in info.value.one_line()
    write(tmp_path / "d_dG_increasing.txt", dg_text([1e-4, 2e-4], [0.5, 0.2], [[1e-6] * 2] * 2))
    with raises_at("d_dG_increasing.txt", 3):
        read_file(tmp_path / "d_dG_increasing.txt")


# -- two-column ---------------------------------------------------------------------------------

def test_two_column_errors(tmp_path):
    path = write(tmp_path / "t.csv", "0.1,0.2\n0.2,0.1\n0.3,0.1,0.5\n")
    assert detect_format(path) == "two-column"
    with raises_at("t.csv", 3) as info:
        read_file(path)
    assert "expected 2 values" in info.value.one_line()
    path = write(tmp_path / "u.csv", "0.1,0.2\n0.2,abc\n")
    with raises_at("u.csv", 2):
        read_file(path)


# -- detection, formats, folders, sidecar --------------------------------------------------------

@pytest.mark.parametrize(
    "name, text, fmt",
    [
        ("a.dat", WGFMU_HEAD.format(device="D", twidth=1, settings_pw=1), "wgfmu"),
        ("b.csv", LONG_CSV, "long-csv"),
        ("c.csv", "rmp1,rmp2,rmp3\n1e-4,2e-4,\n1e-4,,\n", "ramps-csv"),
        ("d.csv", "0.5,-0.5\n0.6,-0.6\n", "two-column"),
        ("e.txt", "0.5 -0.5\n0.6 -0.6\n", "two-column"),
        ("f.txt", dg_text([1, 2], [0, 1], [[1, 1], [2, 2]]), "dg-table"),
        ("g.txt", "a table\n1, 2, 3\n0, 1\n\n1,1,1\n2,2,2\n", "dg-table"),
        ("h.txt", dg_text([1, 2, 3], [0, 1], [[1, 1, 1], [2, 2, 2]], header=False), "dg-table"),
    ],
)
def test_detect_format(tmp_path, name, text, fmt):
    assert detect_format(write(tmp_path / name, text)) == fmt
    assert fmt in FORMATS


def test_detect_unrecognised_and_empty(tmp_path):
    with raises_at("x.csv", 1) as info:
        detect_format(write(tmp_path / "x.csv", "hello world\nthis is prose\n"))
    assert "--format" in info.value.one_line()
    with pytest.raises(InputError, match="y.csv: empty file"):
        detect_format(write(tmp_path / "y.csv", "\n\n"))
    with pytest.raises(InputError, match="z.csv: file or folder not found"):
        read_path(tmp_path / "z.csv")


def test_forced_format_and_unknown_format(tmp_path):
    path = write(tmp_path / "g.csv", "0.5,-0.5\n0.6,-0.6\n")
    with pytest.raises(InputError, match="did you mean 'two-column'"):
        read_file(path, fmt="two-colum")
    with raises_at("g.csv", 1):
        read_file(path, fmt="long-csv")  # forced: the long-CSV reader finds no such columns


def test_folder_with_an_unrecognised_data_file(tmp_path):
    write(tmp_path / "a.csv", "0.5,-0.5\n")
    write(tmp_path / "b.csv", "just words\n")
    with raises_at("b.csv", 1):
        read_path(tmp_path)
    (tmp_path / "b.csv").unlink()
    write(tmp_path / "LICENSE", "MIT\n")
    write(tmp_path / "plot.png", "not an image\n")
    _, _, files = read_path(tmp_path)
    assert [f.name for f in files] == ["a.csv"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no measurement files"):
        read_path(empty)


def test_sidecar_defaults_and_values(tmp_path):
    assert load_sidecar(tmp_path) == Sidecar()
    write(tmp_path / "measurements.yaml",
          "synthetic: true\nprovenance: generated\nread_voltage_V: 0.2\n"
          "pulse_widths:\n  20ns:\n    energy_per_pulse_J: {up: 1e-12, down: 2e-12}\n")
    sc = load_sidecar(tmp_path)
    assert sc.synthetic and sc.provenance == "generated" and sc.read_voltage_V == 0.2
    assert sc.pulse_widths["20ns"].energy_per_pulse_J.down == 2e-12
    assert load_sidecar(write(tmp_path / "x.csv", "0,1\n")) == sc  # a file's folder
    _, returned, _ = read_path(tmp_path / "x.csv")
    assert returned == sc


@pytest.mark.parametrize(
    "text, line, what",
    [
        ("provenance: x\npulse_widht: 20ns\n", 2, "unknown key 'pulse_widht' (did you mean 'pulse_width'?)"),
        ("files:\n  a.csv:\n    direction: sideways\n", 3, "files['a.csv'].direction"),
        ("files:\n  a.csv:\n    directoin: up\n", 3, "did you mean 'direction'?"),
        ("pulse_width: 20 parsecs\n", 1, "cannot read pulse width"),
        ("read_voltage_V: 0\n", 1, "read_voltage_V: Input should be greater than 0"),
        ("- a\n", 1, "expected a mapping"),
        ("a: [1\n", 2, "malformed YAML"),
    ],
)
def test_sidecar_errors(tmp_path, text, line, what):
    write(tmp_path / "measurements.yaml", text)
    with raises_at("measurements.yaml", line) as info:
        load_sidecar(tmp_path)
    assert what in info.value.one_line()


def test_command_line_value_errors(tmp_path):
    path = write(tmp_path / "g.csv", "0.5,-0.5\n")
    with pytest.raises(InputError, match="--pulse-width"):
        read_file(path, pulse_width="soon")
    with pytest.raises(InputError, match="--read-voltage"):
        read_file(path, read_voltage_V=-1)
