"""fit-device with measured DC I-V sweeps (issue 24): pairing, the device file's I-V curve, the
measured conduction priced per polarity, one geometry, and the bad inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ferrosim.device.file import load_device_file
from ferrosim.device.fit_run import fit_path
from ferrosim.energy import terms
from ferrosim.energy.iv_curve import conduction_current
from ferrosim.energy.model import EnergyConfig, resolve
from ferrosim.errors import InputError

from .test_cli import ferrosim, one_error_line

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
needs_shared = pytest.mark.skipif(not (SHARED / "hzo-dciv").is_dir(), reason="../shared/data not present")
ID161 = sorted((SHARED / "hzo").glob("ID161ZR15000_*_Summary.dat"))
ID161_IV = SHARED / "hzo-dciv" / "ID161ZR15000_DCIV_20241024103015.csv"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    if not ID161_IV.is_file():
        pytest.skip("../shared/data not present")
    out = tmp_path_factory.mktemp("iv") / "id161.yaml"
    return fit_path(ID161, out, figures=False, iv=SHARED / "hzo-dciv")


@needs_shared
def test_the_device_file_keeps_the_iv_points_and_schottky_fits_per_polarity(fitted):
    again = load_device_file(fitted.output)  # what was written reads back
    for entry in again.devices["ID161ZR15000"].pulse_widths.values():
        curve = entry.electrical.iv_curve
        assert curve.source == ID161_IV.name and "nearest before the pulse runs" in curve.note
        assert "negative bias potentiates (from the pulse data)" in curve.note
        pot, dep = curve.potentiating, curve.depressing
        assert len(pot.voltage_V) == len(dep.voltage_V) == 10  # 21 points: 10 per polarity, 0 V dropped
        assert pot.voltage_V[-1] == pytest.approx(1.6)
        assert pot.current_A[-1] == pytest.approx(29638.8e-9)  # -29.6 uA at -1.6 V: potentiating
        assert dep.current_A[-1] == pytest.approx(2931.0e-9, rel=0.01)
        assert pot.schottky.eps_r_t_nm == pytest.approx(57.5, abs=1.0) and pot.schottky.rms_residual < 0.02
        assert dep.schottky.eps_r_t_nm == pytest.approx(127, abs=5)
        assert entry.electrical.thickness_nm == 5.0  # the one geometry (docs/physics.md)
        assert entry.energy_per_pulse_J.model.startswith("capacitive + conduction[measured]")


@needs_shared
def test_measured_conduction_prices_each_direction_on_its_own_branch(fitted):
    e = fitted.device_file.devices["ID161ZR15000"].pulse_widths["200us"].electrical
    cfg = EnergyConfig(digital=False)
    plan = resolve(cfg, e)
    assert "conduction[measured]" in plan.name
    for up, d, branch in ((True, e.up, e.iv_curve.potentiating), (False, e.down, e.iv_curve.depressing)):
        central, lower, beyond = conduction_current(branch, np.asarray(d.amplitude_V))
        v = np.asarray(d.amplitude_V)
        expect = np.mean(v * central * e.pulse_width_s)
        assert plan.central.conduction[0 if up else 1] == pytest.approx(expect, rel=1e-12)
        assert plan.lower.conduction[0 if up else 1] == pytest.approx(np.mean(v * lower * e.pulse_width_s), rel=1e-12)
        assert plan.central.extrapolated[0 if up else 1] == pytest.approx(
            np.sum((v * central * e.pulse_width_s)[beyond]) / len(v), rel=1e-12)
        assert beyond.any()  # the ramps go past the sweep's 1.6 V
    # the potentiating branch conducts ~10x more: up pulses cost more conduction than down ones
    assert plan.central.conduction[0] > plan.central.conduction[1]
    assert sum(plan.lower.total) <= sum(plan.central.total)


@needs_shared
def test_without_a_sweep_the_default_model_and_numbers_stay(tmp_path):
    """A device file written before issue 24 (the example device: no I-V, 10 nm, no polarization
    window) prices as it says; a fit without --iv keeps the read conduction."""
    df = load_device_file(REPO / "devices" / "example-hzo.yaml")
    for entry in df.devices["SYN-HZO-A"].pulse_widths.values():
        e = entry.electrical
        assert e.iv_curve is None and e.polarization_window_S is None and e.thickness_nm == 10.0
        plan = resolve(EnergyConfig(digital=False), e)
        assert plan.name == entry.energy_per_pulse_J.model
        assert plan.central.total[0] == pytest.approx(entry.energy_per_pulse_J.up, rel=1e-12)
        assert plan.central.total[1] == pytest.approx(entry.energy_per_pulse_J.down, rel=1e-12)
    run = fit_path(ID161[:2], tmp_path / "no-iv.yaml", figures=False)  # a fit without --iv: no I-V, read
    for entry in run.device_file.devices["ID161ZR15000"].pulse_widths.values():
        assert entry.electrical.iv_curve is None
        assert "conduction[read]" in entry.energy_per_pulse_J.model


@needs_shared
def test_one_thickness_reaches_every_term(fitted):
    e = fitted.device_file.devices["ID161ZR15000"].pulse_widths["20ns"].electrical
    thick = e.model_copy(update={"thickness_nm": 2 * e.thickness_nm})
    cfg = EnergyConfig(digital=False)
    assert terms.capacitive_J(thick, thick.up) == pytest.approx(0.5 * terms.capacitive_J(e, e.up), rel=1e-12)
    for model in ("schottky", "schottky_read"):  # the field E = V/t of the Schottky terms: the film's t
        assert terms.schottky_params(e, cfg)["thickness_nm"] == e.thickness_nm
        assert terms.conduction_J(model, thick, thick.up, cfg, True) != terms.conduction_J(model, e, e.up, cfg, True)
    pinned = EnergyConfig(digital=False, schottky={"thickness_nm": 7.0})  # explicit: the law's own
    assert terms.schottky_params(thick, pinned)["thickness_nm"] == 7.0


@needs_shared
def test_capacitive_cv2_or_half_and_the_switching_window(fitted):
    e = fitted.device_file.devices["ID161ZR15000"].pulse_widths["20ns"].electrical
    full = resolve(EnergyConfig(digital=False, capacitive="cv2"), e)
    half = resolve(EnergyConfig(digital=False, capacitive="half_cv2"), e)
    default = resolve(EnergyConfig(digital=False), e)
    assert default.central.capacitive == full.central.capacitive
    assert half.central.capacitive[0] == pytest.approx(0.5 * full.central.capacitive[0], rel=1e-12)
    assert half.name.startswith("capacitive[half_cv2] + ")
    # switching: one polarization window per device, its widest measured range (not this width's)
    widths = fitted.device_file.devices["ID161ZR15000"].pulse_widths.values()
    widest = max((w.electrical.conductance_range_S for w in widths), key=lambda r: r[1] - r[0])
    assert all(w.electrical.polarization_window_S == widest for w in widths)
    own = e.model_copy(update={"polarization_window_S": None})
    ratio = (widest[1] - widest[0]) / (e.conductance_range_S[1] - e.conductance_range_S[0])
    assert terms.switching_J(own, own.up, 20.0) == pytest.approx(ratio * terms.switching_J(e, e.up, 20.0), rel=1e-12)


@needs_shared
def test_a_shorted_sweep_is_left_out_with_one_warning(tmp_path):
    folder = tmp_path / "iv"
    folder.mkdir()
    text = (SHARED / "hzo-dciv" / "ID160ZR15000_DCIV_20241024102026.csv").read_text()
    (folder / "ID161ZR15000_DCIV_20241024102026.csv").write_text(text.replace("_ID160ZR15000", "_ID161ZR15000"))
    from ferrosim.api import fit_device

    with pytest.warns(UserWarning) as caught:
        run = fit_device(ID161[:2], tmp_path / "d.yaml", figures=False, iv=folder)
    said = [str(w.message) for w in caught]
    assert said == run.warnings and len(said) == 2
    assert "shorted or ohmic, not used" in said[0] and "no usable I-V sweep" in said[1]
    assert all(w.electrical.iv_curve is None for w in run.device_file.devices["ID161ZR15000"].pulse_widths.values())


@needs_shared
@pytest.mark.parametrize("case", ["no pulse file", "missing points", "nan", "one polarity"])
def test_bad_sweeps_exit_2_naming_file_and_row_with_nothing_written(case, tmp_path):
    lines = ID161_IV.read_text().splitlines(keepends=True)
    name = "ID161ZR15000_DCIV_20241024103015.csv"
    line = None
    if case == "no pulse file":
        name = "ID999ZR15000_DCIV_20241024103015.csv"
        lines = [ln.replace("_ID161ZR15000", "_ID999ZR15000") for ln in lines]
    elif case == "missing points":
        lines = lines[:-3]
    elif case == "nan":
        lines[20] = " 8, -0.320000, nan, 3.735215\n"
        line = 21
    else:  # only the positive half
        lines = lines[:12] + lines[22:]
    bad = tmp_path / name
    bad.write_text("".join(lines))
    out = tmp_path / "out.yaml"
    proc = ferrosim("fit-device", *map(str, ID161[:2]), "--iv", str(bad), "-o", str(out), "--no-figures")
    assert proc.returncode == 2, proc.stderr
    err = one_error_line(proc)
    assert str(bad) in err
    if line is not None:
        assert f"{bad}:{line}:" in err
    assert not out.exists() and not (tmp_path / "out-figures").exists()


def test_a_sweep_folder_without_any_fitted_device_is_bad_input(tmp_path):
    if not ID161_IV.is_file():
        pytest.skip("../shared/data not present")
    folder = tmp_path / "iv"
    folder.mkdir()
    shutil.copy(SHARED / "hzo-dciv" / "ID170ZR5000_DCIV_20241024131811.csv", folder)
    with pytest.raises(InputError, match="no I-V sweep in the folder is of a fitted device"):
        fit_path(ID161[:2], tmp_path / "d.yaml", figures=False, iv=folder)
    assert not (tmp_path / "d.yaml").exists()


def test_the_output_never_replaces_an_iv_sweep(tmp_path):
    if not ID161_IV.is_file():
        pytest.skip("../shared/data not present")
    sweep = tmp_path / ID161_IV.name
    shutil.copy(ID161_IV, sweep)
    before = sweep.read_bytes()
    with pytest.raises(InputError, match="is an I-V sweep read by this fit"):
        fit_path(ID161[:2], sweep, figures=False, iv=sweep)
    assert sweep.read_bytes() == before
