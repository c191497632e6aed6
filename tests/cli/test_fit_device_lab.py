"""`ferrosim fit-device` on a lab's own export: the column mapping on the command line (issue 16)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ferrosim.device.file import load_device_file

from .test_cli import ferrosim, one_error_line

REPO = Path(__file__).resolve().parents[2]
EXPORT = REPO / "measurements" / "examples" / "lab_export" / "SYN-HZO-A_2us_export.csv"
MAPPING = ["--column", "pulse=Pulse #", "--column", "amplitude=V_pulse (V)", "--column", "conductance=G (nS)"]


def _lone_copy(tmp_path: Path) -> Path:
    """The example export alone in a folder (no sidecar: the command line says everything)."""
    path = tmp_path / "export.csv"
    shutil.copy(EXPORT, path)
    return path


def test_unmapped_export_is_refused_with_the_mapping_to_give(tmp_path):
    path = _lone_copy(tmp_path)
    proc = ferrosim("fit-device", str(path), "--pulse-width", "2us", "-o", str(tmp_path / "d.yaml"))
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "look like a lab export" in line and "native formats: wgfmu, long-csv, ramps-csv" in line
    assert "--column 'pulse=Pulse #' --column 'amplitude=V_pulse (V)' --column 'conductance=G (nS)'" in line
    assert not (tmp_path / "d.yaml").exists()


def test_mapped_export_fits_from_the_command_line(tmp_path):
    path = _lone_copy(tmp_path)
    out = tmp_path / "d.yaml"
    proc = ferrosim("fit-device", str(path), "--pulse-width", "2us", "--device", "LAB-1", *MAPPING, "-o", str(out),
                    "--no-figures")
    assert proc.returncode == 0, proc.stderr
    df = load_device_file(out)
    entry = df.devices["LAB-1"].pulse_widths["2us"]
    assert entry.fit["quality"] == "good" and entry.fit["trace_r2"] > 0.99
    assert df.provenance["settings"]["columns"] == {"pulse": "Pulse #", "amplitude": "V_pulse (V)",
                                                    "conductance": "G (nS)"}
    assert entry.conductance_range_S[1] < 1e-9  # nS read as nS, not S
    # issue 28: the recorded command pastes back as it ran (`Pulse #` quoted, not a comment)
    import shlex
    assert shlex.split(df.provenance["command"]) == ["ferrosim", "fit-device", str(path), "--pulse-width", "2us",
                                                      "--device", "LAB-1", *MAPPING, "-o", str(out), "--no-figures"]


def test_bad_mappings_exit_2_in_one_line_and_write_nothing(tmp_path):
    path = _lone_copy(tmp_path)
    out = tmp_path / "d.yaml"
    cases = [
        (["--column", "conductance"], "--column 'conductance': expected ROLE=NAME"),
        (["--column", "conductanse=G (nS)"], "did you mean 'conductance'?"),
        (["--column", "conductance=G (nS)", "--unit", "conductance=V"], "not a conductance unit"),
        (["--column", "conductance=G (uS)"], "did you mean 'G (nS)'?"),
        (["--column", "conductance=G (nS)", "--format", "long-csv"], "--format long-csv is not one"),
    ]
    for args, needle in cases:
        proc = ferrosim("fit-device", str(path), "--pulse-width", "2us", *args, "-o", str(out))
        assert proc.returncode == 2, (args, proc.stderr)
        assert needle in one_error_line(proc), args
        assert not out.exists()
