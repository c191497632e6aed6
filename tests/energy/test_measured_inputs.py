"""From a lab's files to the `measured` conduction term: a current column in a long CSV, an I-V
table named by measurements.yaml, and the errors when either is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from ferrosim.config import parse_run_config
from ferrosim.device.fit_run import fit_path
from ferrosim.errors import InputError

HEADER = "pulse_width,cycle,direction,pulse,conductance_S,amplitude_V,pulse_current_A\n"


def rows(current: bool = True) -> str:
    out = []
    for d, sign in (("up", -1), ("down", 1)):
        for k in range(8):
            g = 1e-9 * (1 + (k if d == "up" else 7 - k) / 10)
            amp = sign * (2.0 + 0.25 * k)
            cur = f"{1e-6 * abs(amp) ** 2:.6e}" if current else ""
            out.append(f"20ns,0,{d},{k},{g:.4e},{amp},{cur}\n")
    return "".join(out)


def sidecar(extra: str = "") -> str:
    return f"device_name: lab-dev\ngeometry: {{area_um2: 50}}\n{extra}"


def test_current_column_prices_measured_conduction(tmp_path):
    (tmp_path / "m.csv").write_text(HEADER + rows())
    (tmp_path / "measurements.yaml").write_text(sidecar())
    run = fit_path(tmp_path, tmp_path / "d.yaml", figures=False)
    entry = run.device_file.devices["lab-dev"].pulse_widths["20ns"]
    el = entry.electrical
    assert el.up.current_A is not None and el.area_um2 == 50
    # the first row of each ramp has no state before it; every fitted pulse keeps its current
    assert len(el.up.current_A) == len(el.up.amplitude_V)
    assert entry.energy_per_pulse_J.model == "capacitive + conduction[measured] + switching"
    v = np.asarray(el.up.amplitude_V)
    expected = np.mean(v * 1e-6 * v**2 * 2e-8)
    assert entry.energy_per_pulse_J.conduction_up_J == pytest.approx(expected, rel=1e-6)
    cfg = parse_run_config({"device": {"file": str(tmp_path / "d.yaml"), "pulse_width": "20ns"},
                            "energy": {"conduction": "measured", "capacitive": False, "switching": False}})
    assert cfg.energy_plan().central.total[0] == pytest.approx(expected, rel=1e-6)


def test_iv_table_from_the_sidecar(tmp_path):
    (tmp_path / "m.csv").write_text(HEADER.replace(",pulse_current_A", "") +
                                    "".join(r.rsplit(",", 1)[0] + "\n" for r in rows(False).splitlines()))
    (tmp_path / "iv.csv").write_text("voltage_V,current_A\n0,0\n-2,1e-6\n4,4e-6\n2,3e-6\n")
    (tmp_path / "measurements.yaml").write_text(sidecar("iv_table: iv.csv\n"))
    run = fit_path(tmp_path, tmp_path / "d.yaml", figures=False)
    el = run.device_file.devices["lab-dev"].pulse_widths["20ns"].electrical
    # magnitudes, sorted, a voltage measured twice averaged
    assert el.iv_table.voltage_V == [0.0, 2.0, 4.0] and el.iv_table.current_A == [0.0, 2e-6, 4e-6]
    cfg = parse_run_config({"device": {"file": str(tmp_path / "d.yaml"), "pulse_width": "20ns"},
                            "energy": {"conduction": "measured", "capacitive": False, "switching": False}})
    v = np.asarray(el.down.amplitude_V)
    expected = np.mean(v * np.interp(v, [0, 2, 4], [0, 2e-6, 4e-6]) * 2e-8)
    assert cfg.energy_plan().central.total[1] == pytest.approx(expected, rel=1e-12)


def test_without_a_current_measured_is_refused_naming_the_key(tmp_path):
    (tmp_path / "m.csv").write_text(HEADER.replace(",pulse_current_A", "") +
                                    "".join(r.rsplit(",", 1)[0] + "\n" for r in rows(False).splitlines()))
    (tmp_path / "measurements.yaml").write_text(sidecar())
    fit_path(tmp_path, tmp_path / "d.yaml", figures=False)
    with pytest.raises(InputError, match=r"energy\.conduction: 'measured' the measurement files give no current"):
        parse_run_config({"device": {"file": str(tmp_path / "d.yaml"), "pulse_width": "20ns"},
                          "energy": {"conduction": "measured"}})


@pytest.mark.parametrize("table, needle", [
    (None, "I-V table not found"),
    ("volts,amps\n1,2\n", "lacks a 'voltage_V' column"),
    ("voltage_V,current_A\n1,abc\n", "expected numbers"),
    ("voltage_V,current_A\n1,1e-6\n", "at least two voltages"),
])
def test_bad_iv_table_is_one_line_input_error(tmp_path, table, needle):
    (tmp_path / "m.csv").write_text(HEADER + rows())
    if table is not None:
        (tmp_path / "iv.csv").write_text(table)
    (tmp_path / "measurements.yaml").write_text(sidecar("iv_table: iv.csv\n"))
    with pytest.raises(InputError, match=needle) as exc:
        fit_path(tmp_path, tmp_path / "d.yaml", figures=False)
    assert "iv.csv" in exc.value.one_line()
    assert not (tmp_path / "d.yaml").exists()
