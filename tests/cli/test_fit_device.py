"""`ferrosim fit-device` end to end: real HZO data, the synthetic example set, other tools' files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from ferrosim.device.fit_run import fit_path
from ferrosim.device.models import SoftBoundsDevice
from ferrosim.errors import InputError
from ferrosim.device.file import load_device_file

from .test_cli import ferrosim, one_error_line

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
needs_shared = pytest.mark.skipif(not (SHARED / "hzo").is_dir(), reason="../shared/data not present")


@pytest.fixture(scope="module")
def hzo(tmp_path_factory):
    out = tmp_path_factory.mktemp("hzo") / "hzo-devices.yaml"
    return fit_path(SHARED / "hzo", out, figures=False)


@needs_shared
def test_all_44_hzo_files_fit(hzo):
    inputs = hzo.device_file.provenance["inputs"]
    assert len(inputs) == 44 and all(len(i["sha256"]) == 64 for i in inputs)
    n_groups = sum(len(d.pulse_widths) for d in hzo.device_file.devices.values())
    assert n_groups == 41  # 44 files; ID161ZR15000 20 ns has 2 repeats, ID294YR 500 us has 3
    assert not hzo.device_file.synthetic
    # Every fit replays its measured traces (trace R^2 > 0.5) but one, which the quality gate
    # marks poor with a warning: ID301XR1000Oct at 20 ns (62 steps, one ramp each way), whose
    # model-free table follows a stall of the down ramp near g = +0.1 that a noise-free replay
    # of the mean steps cannot pass (docs/fitting.md; the binned table before issue 25 gave 0.66).
    poor = [(r.device, r.pulse_width_s) for r in hzo.results if r.stats["trace_r2"] <= 0.5]
    assert poor == [("ID301XR1000Oct", 2e-8)]
    assert all(r.stats["trace_r2"] > 0.8 for r in hzo.results if (r.device, r.pulse_width_s) not in poor)
    fit = hzo.device_file.devices["ID301XR1000Oct"].pulse_widths["20ns"].fit
    assert fit["quality"] == "poor"  # which the command prints as a warning (test_a_poor_fit_says_so)


@needs_shared
def test_id161_step_at_zero_grows_with_pulse_width(hzo):
    widths = hzo.device_file.devices["ID161ZR15000"].pulse_widths
    series = ["20ns", "200ns", "2us", "20us", "200us"]
    in_siemens = [widths[w].fit["mean_step_at_zero_S"] for w in series]
    assert all(b > a for a, b in zip(in_siemens, in_siemens[1:])), in_siemens
    normalised = [widths[w].fit["mean_step_at_zero"] for w in series]
    assert normalised[-1] > 2 * normalised[0]


@needs_shared
def test_hzo_energy_estimated_with_each_term(hzo):
    entry = hzo.device_file.devices["ID181ZR1000"].pulse_widths["20ns"]
    e = entry.energy_per_pulse_J
    assert e.source == "estimated"
    assert e.model == "capacitive + conduction[read] + switching"
    assert e.up == pytest.approx(e.capacitive_up_J + e.conduction_up_J + e.switching_up_J)
    # the WGFMU reads: R_low at -0.1 V, R_high at +0.1 V; up pulses are negative, so their
    # same-polarity read is 1/R_low
    el = entry.electrical
    assert el.read_voltage_V == 0.1 and el.area_um2 == pytest.approx(np.pi)
    assert len(el.up.amplitude_V) == len(el.up.read_conductance_same_polarity_S) == len(el.up.step_S)
    assert 1e-14 < e.up < 3e-12  # a pi um^2 device: below the published ~3 pJ at 20 ns
    assert "radius 1 um" in e.note
    # the pulse widths of one device are one file entry each, with the map in siemens
    lo, hi = hzo.device_file.devices["ID181ZR1000"].pulse_widths["20ns"].conductance_range_S
    assert 1.0e-10 < lo < hi < 4.0e-10


@needs_shared
def test_device_file_round_trip(hzo):
    data = load_device_file(hzo.output)
    entry = data.entry("ID161ZR15000", "2e-8")
    assert entry.pulse_width_s == pytest.approx(2e-8)
    assert entry.response.model in ("softbounds", "powstep", "table")
    assert "ID161ZR15000" in data.devices and "20ns" in data.d2d_estimates
    with pytest.raises(InputError, match="holds 14 devices"):
        data.entry(None, "20ns")
    with pytest.raises(InputError, match="did you mean 'ID161ZR15000'"):
        data.entry("ID161ZR1500", "20ns")
    with pytest.raises(InputError, match="not in the device file"):
        data.entry("ID161ZR15000", "7ns")


def test_synthetic_example_set_fits_and_is_labelled(tmp_path):
    proc = ferrosim("fit-device", str(REPO / "measurements"), "-o", str(tmp_path / "syn.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "SYNTHETIC" in proc.stdout
    text = (tmp_path / "syn.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["synthetic"] is True and "SYNTHETIC" in data["provenance"]["note"]
    widths = data["devices"]["SYN-HZO-A"]["pulse_widths"]
    assert list(widths) == ["20ns", "200ns", "2us", "20us", "200us"]
    for entry in widths.values():
        assert entry["response"]["model"] == "softbounds"  # what the generator used
        assert entry["energy_per_pulse_J"]["source"] == "estimated"
    # ground truth in measurements/README.md (generator parameters in the fitted map, 20 ns)
    r = widths["20ns"]["response"]
    assert r["a_up"] == pytest.approx(0.0196, rel=0.05) and r["a_down"] == pytest.approx(0.0147, rel=0.05)
    e = widths["20ns"]["energy_per_pulse_J"]
    assert 1e-12 < e["down"] < 3.5e-12  # ~3 pJ per 20 ns pulse on a 5 um^2 device
    figures = sorted((tmp_path / "syn-figures").glob("*.png"))
    assert [f.name for f in figures] == ["SYN-HZO-A_steps.png", "SYN-HZO-A_summary.png", "SYN-HZO-A_traces.png"]
    import matplotlib.image

    for f in figures:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert matplotlib.image.imread(f).shape[0] > 100


@needs_shared
@pytest.mark.parametrize("name", ["aihwkit_gong_et_al.csv", "crosssim_v2_example_set.csv",
                                  "crosssim_v2_example_reset.csv", "crosssim_ENODe_dG_increasing.txt",
                                  "crosssim_ENODe_dG_decreasing.txt"])
def test_other_tools_files_fit(tmp_path, name):
    run = fit_path(SHARED / "devices" / name, tmp_path / "d.yaml", read_voltage_V=0.1, figures=False)
    (res,) = run.results
    assert res.stats["n_states"] > 5
    assert np.isfinite(res.stats["symmetry_point"])
    if "crosssim_v2" in name:
        assert res.range_S[0] == pytest.approx(1.61e-3, rel=0.01)  # read current / 0.1 V
        assert res.stats["n_ramps"] == 79  # 39 set + 40 reset ramps, paired
    if "ENODe" in name:
        assert res.model.model == "table" and res.stats["step_ratio_at_zero"] > 1.2  # strongly asymmetric


def test_fit_is_reproducible(tmp_path):
    a = fit_path(REPO / "measurements", tmp_path / "a.yaml", figures=False)
    b = fit_path(REPO / "measurements", tmp_path / "b.yaml", figures=False)
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    assert isinstance(a.results[0].model, SoftBoundsDevice) and len(b.results) == 5


@pytest.mark.parametrize("args, needle", [
    (["fit-device", "no-such-folder"], "no-such-folder"),
    (["fit-device", "measurements", "--model", "spline"], "--model spline"),
    (["fit-device", "measurements", "--pulse-width", "fast"], "--pulse-width"),
    (["fit-device", "measurements", "--format", "xlsx"], "xlsx"),
])
def test_fit_device_bad_input_exits_2(args, needle, tmp_path):
    args = [str(REPO / a) if a == "measurements" else a for a in args]
    proc = ferrosim(*args, "-o", str(tmp_path / "x.yaml"))
    assert proc.returncode == 2, proc.stderr
    assert needle in one_error_line(proc)


def test_malformed_measurement_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("pulse_width,cycle,direction,pulse,conductance_S\n20ns,0,up,0,1e-9\n20ns,0,sideways,1,2e-9\n")
    proc = ferrosim("fit-device", str(bad), "-o", str(tmp_path / "x.yaml"))
    assert proc.returncode == 2
    assert f"{bad}:3:" in one_error_line(proc)


@needs_shared
def test_a_poor_fit_says_so(tmp_path):
    """aihwkit's gong_et_al trace is not described by any of the models (trace R^2 -0.18): the
    command warns in one line and the device file records `quality: poor`; a real HZO fit is good.
    Since issue 25 `auto` passes over soft bounds there (their g* +0.07 lies outside the data's
    68% interval, -0.42 .. -0.34) for the table, whose g* agrees: no symmetry point warning."""
    proc = ferrosim("fit-device", str(SHARED / "devices" / "aihwkit_gong_et_al.csv"), "-o", str(tmp_path / "g.yaml"),
                    "--no-figures")
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    # the poor fit in one line, then the energy warning (normalised data, no width)
    assert len(warnings) == 2 and "poor fit, trace R^2 -0.18 < 0.5" in warnings[0]
    assert "no energy per pulse" in warnings[1] and "poor fit" not in warnings[1]
    entry = next(iter(next(iter(load_device_file(tmp_path / "g.yaml").devices.values())).pulse_widths.values()))
    assert entry.fit["quality"] == "poor"
    assert entry.response.model == "table" and entry.fit["symmetry_point_data"]["model_inside_68"] is True
    assert "softbounds passed over: its symmetry point +0.07 lies outside it" in entry.fit["chosen_because"]
    hzo = fit_path(sorted((SHARED / "hzo").glob("ID161ZR15000_*113236_Summary.dat")), tmp_path / "h.yaml", figures=False)
    entry = next(iter(next(iter(hzo.device_file.devices.values())).pulse_widths.values()))
    assert entry.fit["quality"] == "good"
