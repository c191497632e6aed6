"""DC I-V sweeps (ferrosim.io.readers.dciv): every real DCIV file loads in SI units; a plain
two-column CSV reads the same; bad input is one InputError naming the file and the row."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from ferrosim.errors import InputError
from ferrosim.io.readers.dciv import IVSweep, is_dciv, read_dciv, read_iv_sweeps, read_plain_iv

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
DCIV = SHARED / "data" / "hzo-dciv"
needs_dciv = pytest.mark.skipif(not DCIV.is_dir(), reason="../shared/data/hzo-dciv not present")
ID161 = "ID161ZR15000_DCIV_20241024103015.csv"

HEADER = (
    "Setup title\tIV_measR\ntest date\t24.10.2024\ntest time\t10:30:15\nDevice ID\t_ID999ZR1000\n"
    "Count\t-1\nPulse amplitude\t0.000000\nPulse width\t0.000000000\nMeasurement parameters\n"
    "groundSMU,sweepSMU,IntegrationMode,IntegrationFactor,MeasRange,startVolage,endVoltage,groundVoltage,"
    "nPoints,compliance,measName,\nSMU2,SMU3,PLC,4,0.000000,-1.600000,1.600000,0.000000,{n},0.100000,DCIV,\n"
    "Measurement Data\nIndex, Bias, SMU3 I (nA), SMU3 R (Mohm)\n"
)
FIRST_ROW_LINE = 13


def dciv_text(volts: list[float], amps_nA: list, n: int | None = None) -> str:
    rows = "".join(f" {k}, {v:.6f}, {i}, 0.0\n" for k, (v, i) in enumerate(zip(volts, amps_nA)))
    return HEADER.format(n=len(volts) if n is None else n) + rows


VOLTS = [-0.8, -0.4, 0.0, 0.4, 0.8]
AMPS = [-40.0, -2.0, 0.01, 1.0, 4.0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def raises_at(name: str, line: int | None):
    where = f"{name}:{line}: " if line is not None else f"{name}: "
    return pytest.raises(InputError, match=re.escape(where))


# -- the real files -----------------------------------------------------------------------------

@needs_dciv
def test_every_real_file_reads_in_si_units():
    files = sorted(DCIV.glob("*.csv"))
    assert len(files) == 22
    for path in files:
        sweep = read_dciv(path)
        assert sweep.device == path.name.split("_")[0] and not sweep.device.startswith("_")
        assert sweep.taken_at == datetime.strptime(path.stem.rsplit("_", 1)[1], "%Y%m%d%H%M%S")
        assert sweep.declared_points == 21 and len(sweep.voltage_V) == len(sweep.current_A) == 21
        assert sweep.rows == tuple(range(FIRST_ROW_LINE, FIRST_ROW_LINE + 21))
        assert sweep.voltage_V[0] == -1.6 and sweep.voltage_V[-1] == 1.6 and sweep.voltage_V[10] == 0.0
        assert all(abs(i) < 0.1 for i in sweep.current_A)  # compliance 0.1 A
    s = read_dciv(DCIV / ID161)
    assert s.current_A[0] == pytest.approx(-29.6388e-6, rel=1e-12)  # -29638.8 nA at -1.6 V (README)
    assert s.current_A[-1] == pytest.approx(2.93447e-6, rel=1e-12)


@needs_dciv
def test_folder_reads_every_sweep_and_skips_readme_and_licence():
    assert {p.name for p in DCIV.iterdir()} >= {"README.md", "LICENSE"}
    sweeps = read_iv_sweeps(DCIV)
    assert [s.source.name for s in sweeps] == sorted(p.name for p in DCIV.glob("*.csv"))
    assert all(isinstance(s, IVSweep) for s in sweeps)
    assert read_iv_sweeps(DCIV / ID161) == [read_dciv(DCIV / ID161)]


@needs_dciv
@pytest.mark.parametrize("header,scale", [("V (V),I (nA)", 1e9), ("voltage_V,current_A", 1.0),
                                          ("V [mV],I / uA", 1e6)])
def test_plain_csv_reads_as_the_dciv_file_it_was_made_from(tmp_path, header, scale):
    dciv = read_dciv(DCIV / ID161)
    vscale = 1e3 if "mV" in header else 1.0
    text = header + "\n" + "".join(f"{v * vscale!r},{i * scale!r}\n" for v, i in zip(dciv.voltage_V, dciv.current_A))
    path = write(tmp_path, "ID161ZR15000_iv.csv", text)
    assert not is_dciv(text)
    (plain,) = read_iv_sweeps(path)
    assert plain == read_plain_iv(path)
    assert plain.device == dciv.device and plain.taken_at is None and plain.declared_points is None
    assert plain.voltage_V == pytest.approx(dciv.voltage_V, rel=1e-12)
    assert plain.current_A == pytest.approx(dciv.current_A, rel=1e-12)
    assert plain.rows == tuple(range(2, 23))
    (folder,) = read_iv_sweeps(tmp_path)
    assert folder == plain


# -- synthetic files ----------------------------------------------------------------------------

def test_synthetic_dciv(tmp_path):
    path = write(tmp_path, "x.csv", dciv_text(VOLTS, AMPS))
    s = read_dciv(path)
    assert s.device == "ID999ZR1000" and s.taken_at == datetime(2024, 10, 24, 10, 30, 15)
    assert s.voltage_V == tuple(VOLTS) and s.current_A == pytest.approx([a * 1e-9 for a in AMPS])
    assert s.rows == (13, 14, 15, 16, 17)


def test_missing_points(tmp_path):
    path = write(tmp_path, "short.csv", dciv_text(VOLTS, AMPS, n=7))
    with raises_at("short.csv", FIRST_ROW_LINE + 5) as info:
        read_dciv(path)
    assert "missing points" in str(info.value) and "nPoints is 7" in str(info.value)


def test_more_rows_than_declared(tmp_path):
    path = write(tmp_path, "long.csv", dciv_text(VOLTS, AMPS, n=4))
    with raises_at("long.csv", FIRST_ROW_LINE + 4):
        read_dciv(path)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "abc", ""])
def test_nan_or_non_numeric_current(tmp_path, bad):
    amps = list(AMPS)
    amps[3] = bad
    path = write(tmp_path, "bad.csv", dciv_text(VOLTS, amps))
    with raises_at("bad.csv", FIRST_ROW_LINE + 3) as info:
        read_iv_sweeps(path)
    assert "SMU3 I (nA)" in str(info.value)


def test_non_numeric_bias(tmp_path):
    text = dciv_text(VOLTS, AMPS).replace(" 0.400000,", " 0.4V,")
    with raises_at("bias.csv", FIRST_ROW_LINE + 3):
        read_dciv(write(tmp_path, "bias.csv", text))


@pytest.mark.parametrize("keep", [lambda v: v >= 0, lambda v: v <= 0])
def test_one_polarity_only(tmp_path, keep):
    pts = [(v, i) for v, i in zip(VOLTS, AMPS) if keep(v)]
    path = write(tmp_path, "half.csv", dciv_text([p[0] for p in pts], [p[1] for p in pts]))
    with raises_at("half.csv", FIRST_ROW_LINE) as info:
        read_dciv(path)
    assert "only one polarity" in str(info.value)
    plain = write(tmp_path, "half_plain.csv", "V (V),I (A)\n" + "".join(f"{v},{i}\n" for v, i in pts))
    with raises_at("half_plain.csv", 2):
        read_iv_sweeps(plain)


def test_unreadable_files(tmp_path):
    with raises_at("absent.csv", None):
        read_iv_sweeps(tmp_path / "absent.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 50)
    with raises_at("binary.csv", 1):  # the line of its first byte that is not UTF-8 (issue 27, problem 16)
        read_iv_sweeps(binary)
    write(tmp_path, "README.md", "# not a sweep\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with raises_at("empty", None):
        read_iv_sweeps(empty)


def test_plain_csv_header_without_units(tmp_path):
    path = write(tmp_path, "dev_iv.csv", "voltage,current\n-1,-2\n1,2\n")
    with raises_at("dev_iv.csv", 1):
        read_plain_iv(path)


def test_errors_are_one_line(tmp_path):
    amps = list(AMPS)
    amps[1] = "nan"
    path = write(tmp_path, "name\nwith newline.csv", dciv_text(VOLTS, amps))
    with pytest.raises(InputError) as info:
        read_dciv(path)
    assert "\n" not in str(info.value)
