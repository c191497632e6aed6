"""The bad-input corpus: every case exits 2 with one line naming the file (and line where there
is one), no traceback, and leaves existing results untouched. Cases run in-process through the
CLI entry point (`ferrosim.cli.main`), exactly as a batch job would see them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from ferrosim.cli import main

REPO = Path(__file__).resolve().parents[2]
DEVICE_FILE = REPO / "devices" / "example-hzo.yaml"
HZO = REPO / ".." / "shared" / "data" / "hzo"
HZO_FILE = REPO / "docs" / "paper" / "hzo-ID161ZR15000.yaml"
POPULATION_FILE = REPO / "docs" / "population" / "hzo-devices.yaml"  # ID180ZR1000: no I-V sweep, no current

RUN = "training: {epochs: 1}\ndataset: {train_subset: 20, test_subset: 10}\n"
SWEEP = f"""name: s
seed: [0]
dataset: {{name: digits, train_subset: 20, test_subset: 10}}
training: {{epochs: 1}}
device: {{file: {DEVICE_FILE}, name: SYN-HZO-A}}
sweep:
  pulse_width: [20ns]
  algorithm: [sgd]
"""
LONG = "pulse_width,cycle,direction,pulse,conductance_S\n"
GOOD_ROWS = "".join(f"20ns,0,{d},{k},{1e-9 * (1 + (k if d == 'up' else 5 - k) / 10):.3e}\n"
                    for d in ("up", "down") for k in range(6))


@dataclass
class Case:
    name: str
    files: dict[str, str | bytes]  # relative path -> content
    argv: list[str]                # {tmp} is replaced by the case folder
    needle: str                    # must appear in the error line
    where: str | None = None       # file (relative to {tmp}) the line must name, with ":LINE:" if given
    line: int | None = None


def run_case(case: Case, tmp: Path, capsys) -> str:
    for rel, text in case.files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
    argv = [a.replace("{tmp}", str(tmp)) for a in case.argv]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert exit_info.value.code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


CASES = [
    # -- run configs (ferrosim train) -------------------------------------------------------
    Case("malformed yaml", {"c.yaml": "training: {epochs: 1\nseed: 0\n"}, ["train", "{tmp}/c.yaml"], "YAML", "c.yaml"),
    Case("tab indentation", {"c.yaml": "training:\n\tepochs: 1\n"}, ["train", "{tmp}/c.yaml"], "", "c.yaml", 2),
    Case("top level list", {"c.yaml": "- 1\n- 2\n"}, ["train", "{tmp}/c.yaml"], "mapping", "c.yaml", 1),
    Case("unknown section", {"c.yaml": RUN + "trainig: {lr: 0.1}\n"}, ["train", "{tmp}/c.yaml"], "did you mean 'training'", "c.yaml", 3),
    Case("misspelt key", {"c.yaml": "training: {epoch: 1}\n"}, ["train", "{tmp}/c.yaml"], "did you mean 'epochs'", "c.yaml", 1),
    Case("wrong type", {"c.yaml": "training: {epochs: ten}\n"}, ["train", "{tmp}/c.yaml"], "training.epochs", "c.yaml", 1),
    Case("zero epochs", {"c.yaml": "training: {epochs: 0}\n"}, ["train", "{tmp}/c.yaml"], "greater than 0", "c.yaml", 1),
    Case("negative batch", {"c.yaml": "training:\n  batch_size: -4\n"}, ["train", "{tmp}/c.yaml"], "training.batch_size", "c.yaml", 2),
    Case("nan lr", {"c.yaml": "training: {lr: .nan}\n"}, ["train", "{tmp}/c.yaml"], "training.lr", "c.yaml", 1),
    Case("inf lr", {"c.yaml": "training: {lr: .inf}\n"}, ["train", "{tmp}/c.yaml"], "training.lr", "c.yaml", 1),
    Case("zero hidden", {"c.yaml": "network: {hidden: [0]}\n"}, ["train", "{tmp}/c.yaml"], "hidden", "c.yaml", 1),
    Case("hidden as text", {"c.yaml": "network: {hidden: abc}\n"}, ["train", "{tmp}/c.yaml"], "network.hidden", "c.yaml", 1),
    Case("unknown activation", {"c.yaml": "network: {activation: softplus}\n"}, ["train", "{tmp}/c.yaml"], "activation", "c.yaml", 1),
    Case("unknown algorithm", {"c.yaml": "algorithm: adam\n"}, ["train", "{tmp}/c.yaml"], "algorithm", "c.yaml", 1),
    Case("unknown dataset", {"c.yaml": "dataset: {name: minst}\n"}, ["train", "{tmp}/c.yaml"], "did you mean 'mnist'"),
    Case("unknown device model", {"c.yaml": "device: {model: spline}\n"}, ["train", "{tmp}/c.yaml"], "device", "c.yaml", 1),
    Case("positive w_min", {"c.yaml": "device: {model: softbounds, w_min: 0.5}\n"}, ["train", "{tmp}/c.yaml"], "w_min", "c.yaml", 1),
    Case("negative c2c", {"c.yaml": "device:\n  model: softbounds\n  c2c: -0.1\n"}, ["train", "{tmp}/c.yaml"], "c2c", "c.yaml", 3),
    Case("missing device file", {"c.yaml": "device: {file: nowhere.yaml, pulse_width: 20ns}\n"}, ["train", "{tmp}/c.yaml"], "not found", "c.yaml", 1),
    Case("pulse width not in device file", {"c.yaml": f"device:\n  file: {DEVICE_FILE}\n  pulse_width: 7ns\n"}, ["train", "{tmp}/c.yaml"], "not in the device file", "c.yaml", 3),
    Case("unknown device name", {"c.yaml": f"device:\n  file: {DEVICE_FILE}\n  name: SYN-HZO-B\n  pulse_width: 20ns\n"}, ["train", "{tmp}/c.yaml"], "did you mean 'SYN-HZO-A'", "c.yaml", 3),
    Case("device file from a newer version", {"d.yaml": DEVICE_FILE.read_text().replace("version: 1", "version: 2"),
                                              "c.yaml": "device: {file: d.yaml, pulse_width: 20ns}\n"},
         ["train", "{tmp}/c.yaml"], "newer than this ferrosim", "d.yaml", 3),
    Case("not a device file", {"d.yaml": "devices: {}\n", "c.yaml": "device: {file: d.yaml, pulse_width: 20ns}\n"},
         ["train", "{tmp}/c.yaml"], "not a ferrosim device file", "d.yaml", 1),
    Case("config not found", {}, ["train", "{tmp}/missing.yaml"], "file not found", "missing.yaml"),
    Case("config is a folder", {"dir/x": ""}, ["train", "{tmp}/dir"], "is a directory", "dir"),
    Case("--set without =", {}, ["train", "--set", "training.lr"], "expected KEY=VALUE"),
    Case("--set wrong type", {}, ["train", "--set", "training.lr=abc"], "training.lr"),
    Case("--set unknown key", {}, ["train", "--set", "training.lrate=0.1"], "did you mean 'lr'"),
    Case("--algorithm blamed on the command line", {}, ["train", "--algorithm", "adam"], "command line: algorithm"),
    Case("--set blamed on the command line", {"c.yaml": RUN}, ["train", "{tmp}/c.yaml", "--set", "training.epochs=-1"],
         "command line: training.epochs"),
    Case("device.file only relative to its config", {"cfg/c.yaml": RUN + "device: {file: devices/example-hzo.yaml, pulse_width: 20ns}\n"},
         ["train", "{tmp}/cfg/c.yaml"], "cfg/devices/example-hzo.yaml not found (relative to the config file)", "cfg/c.yaml", 3),
    Case("zero threads (train)", {}, ["train", "--threads", "0"], "--threads"),
    Case("offline without data", {}, ["train", "--set", "dataset.name=fashion-mnist", "--data-dir", "{tmp}/none"], "downloads are off"),
    Case("weight zero without measured reads", {"c.yaml": RUN + "device: {model: softbounds, weight_zero: mean_conductance}\n"},
         ["train", "{tmp}/c.yaml"], "device.weight_zero: mean_conductance needs", "c.yaml", 3),
    Case("unknown weight zero", {"c.yaml": RUN + "device:\n  weight_zero: centre\n"},
         ["train", "{tmp}/c.yaml"], "device.weight_zero", "c.yaml", 4),
    Case("symmetry point offset by name without the data's estimate",
         {"c.yaml": RUN + f"device:\n  file: {DEVICE_FILE}\n  pulse_width: 20ns\n  symmetry_point_offset: data_68_low\n"},
         ["train", "{tmp}/c.yaml"], "device.symmetry_point_offset: data_68_low: no symmetry point from the data", "c.yaml"),
    Case("symmetry point offset out of the range", {}, ["train", "--set", "device.symmetry_point_offset=5"],
         "puts the weight zero at -5"),
    Case("unknown io preset", {"c.yaml": RUN + "io: aihwkit_defaults\n"}, ["train", "{tmp}/c.yaml"], "unknown preset 'aihwkit_defaults'", "c.yaml", 3),
    Case("noise management without bound 1", {"c.yaml": RUN + "io:\n  forward: {noise_management: abs_max}\n"},
         ["train", "{tmp}/c.yaml"], "inp_bound: 1", "c.yaml", 4),
    Case("unknown io key", {"c.yaml": RUN + "io:\n  backward: {bound_management: iterative}\n"},
         ["train", "{tmp}/c.yaml"], "io.backward.bound_management", "c.yaml", 4),
    Case("negative out noise", {"c.yaml": RUN + "io: {preset: aihwkit_default, forward: {out_noise: -0.1}}\n"},
         ["train", "{tmp}/c.yaml"], "io.forward.out_noise", "c.yaml", 3),
    # -- the second attack (issue 27) --
    Case("transfer_every that rounds to no transfer", {"c.yaml": RUN + "algorithm: chopped_tt_v2\ntiki_taka: {transfer_every: 0.3}\n"},
         ["train", "{tmp}/c.yaml"], "tiki_taka.transfer_every: 0.3 samples rounds to 0 samples", "c.yaml", 4),
    Case("transfer_every beyond any training", {"c.yaml": RUN + "algorithm: agad\ntiki_taka:\n  transfer_every: 1.0e+300\n"},
         ["train", "{tmp}/c.yaml"], "is beyond any training", "c.yaml", 5),
    Case("read noise beyond float32", {"c.yaml": RUN + "io: {preset: aihwkit_default, forward: {out_noise: 1.0e+300}}\n"},
         ["train", "{tmp}/c.yaml"], "out_noise 1e+300 is beyond float32", "c.yaml", 3),
    Case("unknown pulse type", {}, ["train", "--set", "update.pulse_type=deterministic"], "update.pulse_type"),
    Case("implicit resolution above 1", {"c.yaml": RUN + "update: {pulse_type: deterministic_implicit, x_res_implicit: 2}\n"},
         ["train", "{tmp}/c.yaml"], "update.x_res_implicit", "c.yaml", 3),
    Case("out_res without out_bound", {}, ["train", "--set", "io.forward.out_res=0.01"], "out_res needs a finite out_bound"),
    # -- hostile YAML (issue 15): one loading path for configs, sweeps, device files, sidecars --
    Case("alias bomb", {"c.yaml": "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))},
         ["train", "{tmp}/c.yaml"], "expand to more than 1,000,000 values", "c.yaml", 7),
    Case("duplicate section", {"c.yaml": "training: {epochs: 1}\nseed: 0\ntraining: {epochs: 5}\n"},
         ["train", "{tmp}/c.yaml"], "duplicate key 'training' (first at line 1)", "c.yaml", 3),
    Case("duplicate key in a section", {"c.yaml": "training:\n  epochs: 1\n  lr: 0.1\n  epochs: 2\n"},
         ["train", "{tmp}/c.yaml"], "duplicate key 'epochs'", "c.yaml", 4),
    Case("NUL byte", {"c.yaml": b"training: {epochs: 1}\nseed: 0\x00\n"}, ["train", "{tmp}/c.yaml"],
         "not a text file: byte 0x00 at line 2", "c.yaml", 2),
    Case("binary config", {"c.yaml": bytes(range(256))}, ["train", "{tmp}/c.yaml"], "not a text file", "c.yaml", 1),
    Case("latin-1 config", {"c.yaml": "name: caf\xe9\n".encode("latin-1")}, ["train", "{tmp}/c.yaml"],
         "not UTF-8 text", "c.yaml", 1),
    Case("deep nesting", {"c.yaml": "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "x: 1\n"},
         ["train", "{tmp}/c.yaml"], "nested more than 64 levels", "c.yaml", 66),
    Case("deep flow nesting", {"c.yaml": "a: " + "[" * 3000 + "]" * 3000 + "\n"}, ["train", "{tmp}/c.yaml"],
         "malformed YAML", "c.yaml", 1),
    Case("recursive alias", {"c.yaml": "a: &a [*a]\n"}, ["train", "{tmp}/c.yaml"], "nested more than 64 levels", "c.yaml"),
    Case("duplicate key in a sweep", {"s.yaml": SWEEP + "sweep:\n  seed: [1]\n"}, ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"],
         "duplicate key 'sweep'", "s.yaml", 9),
    Case("alias bomb in a sidecar", {"m/measurements.yaml": "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi")),
                                  "m/a.csv": LONG + GOOD_ROWS},
         ["fit-device", "{tmp}/m", "-o", "{tmp}/d.yaml"], "expand to more than", "m/measurements.yaml", 7),
    # -- sweep names name a folder: one plain component ------------------------------------------
    Case("name climbs out", {"s.yaml": SWEEP.replace("name: s", "name: ../../x")}, ["sweep", "{tmp}/s.yaml"],
         "must be one folder name", "s.yaml", 1),
    Case("absolute name", {"s.yaml": SWEEP.replace("name: s", "name: /tmp/x")}, ["sweep", "{tmp}/s.yaml"],
         "must be one folder name", "s.yaml", 1),
    Case("300-character name", {"s.yaml": SWEEP.replace("name: s", "name: " + "n" * 300)}, ["sweep", "{tmp}/s.yaml"],
         "longer than 100 bytes", "s.yaml", 1),
    Case("name with a newline", {"s.yaml": SWEEP.replace("name: s", 'name: "a\\nb"')}, ["sweep", "{tmp}/s.yaml"],
         "control character", "s.yaml", 1),
    # -- booleans are not numbers ----------------------------------------------------------------
    Case("epochs true", {"c.yaml": "training: {epochs: true}\n"}, ["train", "{tmp}/c.yaml"], "training.epochs", "c.yaml", 1),
    Case("lr true", {"c.yaml": "training:\n  lr: true\n"}, ["train", "{tmp}/c.yaml"], "training.lr", "c.yaml", 2),
    Case("seed true", {"c.yaml": "seed: true\n"}, ["train", "{tmp}/c.yaml"], "seed", "c.yaml", 1),
    Case("hidden [true]", {"c.yaml": "network: {hidden: [true]}\n"}, ["train", "{tmp}/c.yaml"], "network.hidden", "c.yaml", 1),
    Case("device step true", {"c.yaml": "device: {model: softbounds, a_up: true}\n"}, ["train", "{tmp}/c.yaml"], "a_up", "c.yaml", 1),
    Case("true in a seed list", {"s.yaml": SWEEP.replace("seed: [0]", "seed: [0, true]")},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "seed", "s.yaml", 2),
    Case("device file version true", {"d.yaml": DEVICE_FILE.read_text().replace("version: 1", "version: true"),
                                      "c.yaml": "device: {file: d.yaml, pulse_width: 20ns}\n"},
         ["train", "{tmp}/c.yaml"], "version", "d.yaml", 3),
    # -- output paths are checked before any work ---------------------------------------------
    Case("--csv in a missing folder", {}, ["train", "--csv", "{tmp}/no_such_dir/x.csv"], "--csv"),
    Case("--csv names a folder", {"d/x": ""}, ["train", "--csv", "{tmp}/d"], "is a folder"),
    Case("--data-dir names a file", {"f.txt": "x"}, ["train", "--data-dir", "{tmp}/f.txt"], "--data-dir"),
    Case("sweep --out names a file", {"s.yaml": SWEEP, "o.txt": "x"}, ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/o.txt"],
         "is a file, expected a folder"),
    Case("fit-device -o names a folder", {"m.csv": LONG + GOOD_ROWS, "d/x": ""}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d"],
         "is a folder"),
    Case("report --out below a file", {"f.txt": "x", "r/notes.txt": "x"}, ["report", "{tmp}/r", "--out", "{tmp}/f.txt/rep"],
         "is a file"),
    Case("practically endless mixed precision", {"c.yaml": RUN + "algorithm: mixed_precision\ndevice: {model: softbounds, a_up: 1.0e-7, a_down: 1.0e-7}\n"},
         ["train", "{tmp}/c.yaml"], "up to 1,000,000 pulses per update", "c.yaml", 4),
    # -- sweeps --------------------------------------------------------------------------------
    Case("empty sweep list", {"s.yaml": SWEEP.replace("[20ns]", "[]")}, ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "empty list", "s.yaml", 7),
    Case("unknown sweep key", {"s.yaml": SWEEP + "  training.lrr: [0.1]\n"}, ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "did you mean 'training.lr'", "s.yaml", 9),
    Case("sweep pulse width missing", {"s.yaml": SWEEP.replace("[20ns]", "[20ns, 3us]")}, ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "3us not in the device file", "s.yaml", 7),
    Case("negative seed", {"s.yaml": SWEEP.replace("seed: [0]", "seed: [0, -1]")}, ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "seed", "s.yaml", 2),
    Case("bad shard", {"s.yaml": SWEEP}, ["sweep", "{tmp}/s.yaml", "--shard", "0/2"], "--shard"),
    Case("zero workers", {"s.yaml": SWEEP}, ["sweep", "{tmp}/s.yaml", "--workers", "0"], "--workers"),
    Case("zero threads (sweep)", {"s.yaml": SWEEP}, ["sweep", "{tmp}/s.yaml", "--threads", "0"], "--threads"),
    Case("unknown executor", {"s.yaml": SWEEP}, ["sweep", "{tmp}/s.yaml", "--executor", "spark"], "--executor"),
    Case("per_algorithm unknown algorithm", {"s.yaml": SWEEP + "per_algorithm:\n  mixed_precison: {training: {lr: 0.5}}\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "did you mean 'mixed_precision'", "s.yaml", 10),
    Case("per_algorithm list value", {"s.yaml": SWEEP + "per_algorithm:\n  sgd:\n    training: {lr: [0.1, 0.2]}\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "a single value, not a list", "s.yaml", 11),
    Case("per_algorithm also swept", {"s.yaml": SWEEP + "  training.lr: [0.1, 0.2]\nper_algorithm:\n  sgd: {training: {lr: 0.5}}\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "is also swept", "s.yaml", 11),
    Case("per_algorithm bad value", {"s.yaml": SWEEP + "per_algorithm:\n  sgd:\n    training:\n      lr: fast\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "training.lr", "s.yaml", 12),
    Case("results of another sweep", {"s.yaml": SWEEP, "out/sweep.yaml": "name: other\n", "out/summary.csv": "keep\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "holds sweep 'other'", "out/sweep.yaml"),
    # -- energy settings (sweep, train, ferrosim energy) ---------------------------------------
    Case("negative P_r", {"s.yaml": SWEEP + "energy: {polarization_uC_per_cm2: -20}\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "energy.polarization_uC_per_cm2", "s.yaml", 9),
    Case("negative phi_B", {"s.yaml": SWEEP + "energy:\n  schottky: {phi_B_eV: -0.19}\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "energy.schottky.phi_B_eV", "s.yaml", 10),
    Case("unknown conduction model", {"s.yaml": SWEEP + "energy: {conduction: ohmic}\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "energy.conduction", "s.yaml", 9),
    Case("unknown energy key", {"s.yaml": SWEEP + "energy: {digital_op_J: 1e-12}\n"},
         ["sweep", "{tmp}/s.yaml", "--out", "{tmp}/out"], "energy.digital_op_J", "s.yaml", 9),
    Case("area needed, none known", {"c.yaml": RUN + "device: {model: softbounds}\nenergy: {capacitive: true}\n"},
         ["train", "{tmp}/c.yaml"], "energy.capacitive", "c.yaml", 4),
    Case("measured with no current", {"c.yaml": RUN + f"device: {{file: {POPULATION_FILE}, name: ID180ZR1000, "
                                      "pulse_width: 20ns}\n"
                                      "energy: {conduction: measured}\n"},
         ["train", "{tmp}/c.yaml"], "energy.conduction: 'measured' the measurement files give no current", "c.yaml", 4),
    Case("energy --set outside energy", {}, ["energy", "{tmp}/none", "--set", "training.lr=1"],
         "--set training.lr=1: expected energy.KEY=VALUE"),
    Case("energy of a missing folder", {}, ["energy", "{tmp}/none"], "none"),
    Case("energy bad scan", {}, ["energy", "{tmp}", "--scan", "energy.conduction_scale=1:10"],
         "expected START:STOP:N"),
    # -- measurements (fit-device) ---------------------------------------------------------------
    Case("measurement path missing", {}, ["fit-device", "{tmp}/none", "-o", "{tmp}/d.yaml"], "not found", "none"),
    Case("unknown model", {"m.csv": LONG + GOOD_ROWS}, ["fit-device", "{tmp}/m.csv", "--model", "spline"], "--model spline"),
    Case("unknown format", {"m.csv": LONG + GOOD_ROWS}, ["fit-device", "{tmp}/m.csv", "--format", "xlsx"], "xlsx"),
    Case("bad --pulse-width", {"m.csv": LONG + GOOD_ROWS}, ["fit-device", "{tmp}/m.csv", "--pulse-width", "fast"], "--pulse-width"),
    Case("unitless --pulse-width", {"m.csv": LONG + GOOD_ROWS}, ["fit-device", "{tmp}/m.csv", "--pulse-width", "1"],
         "--pulse-width 1: no unit (write 1us or 1s)"),
    Case("a lab export read as the wrong format", {"lab.csv": "Pulse #,V_pulse (V),G (uS)\n1,3.0,10.5\n2,3.0,10.9\n3,-3.0,10.4\n"},
         ["fit-device", "{tmp}/lab.csv", "-o", "{tmp}/d.yaml"],
         "look like a lab export, which is read through a column mapping (its layout alone suggests ramps-csv; "
         "native formats: wgfmu, long-csv, ramps-csv, two-column, dg-table) (map the columns, e.g. --column "
         "'pulse=Pulse #'", "lab.csv", 1),
    Case("a ramp file that fails as the detected format", {"set.csv": "rmp1,rmp2\n1e-4,2e-4\n1.1e-4,-2e-4\n"},
         ["fit-device", "{tmp}/set.csv", "--read-voltage", "0.1", "--pulse-width", "1us", "-o", "{tmp}/d.yaml"],
         "(read as ramps-csv, detected from its content) (other formats: wgfmu, long-csv, two-column, dg-table, "
         "lab-table, chosen with --format", "set.csv", 3),
    Case("negative read voltage", {"m.csv": LONG + GOOD_ROWS}, ["fit-device", "{tmp}/m.csv", "--read-voltage", "-0.1"], "--read-voltage"),
    Case("missing column", {"m.csv": "pulse_width,cycle,direction,pulse\n20ns,0,up,0\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "", "m.csv", 1),
    Case("text in a number", {"m.csv": LONG + GOOD_ROWS + "20ns,0,up,6,abc\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "abc", "m.csv", 14),
    Case("nan conductance", {"m.csv": LONG + GOOD_ROWS + "20ns,0,up,6,nan\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "", "m.csv", 14),
    Case("inf conductance", {"m.csv": LONG + GOOD_ROWS + "20ns,0,up,6,inf\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "", "m.csv", 14),
    Case("subnormal conductances", {"m.csv": LONG + "".join(f"20ns,0,{d},{k},{k + 1}e-320\n" for d in ("up", "down") for k in range(6))},
         ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "below 1e-30 S", "m.csv", 2),
    Case("newline in a file name", {"a\nb/c.yaml": "training: {epochs: 0}\n"}, ["train", "{tmp}/a\nb/c.yaml"],
         "a\\nb/c.yaml:1: training.epochs"),
    Case("negative conductance", {"m.csv": LONG + GOOD_ROWS + "20ns,0,up,6,-1e-9\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "", "m.csv", 14),
    Case("zero conductance", {"m.csv": LONG + GOOD_ROWS + "20ns,0,up,6,0\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "", "m.csv", 14),
    Case("unknown direction", {"m.csv": LONG + "20ns,0,sideways,0,1e-9\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "sideways", "m.csv", 2),
    Case("single pulse", {"m.csv": LONG + "20ns,0,up,0,1e-9\n20ns,0,down,0,2e-9\n"}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "at least 2", "m.csv"),
    Case("empty file", {"m.csv": ""}, ["fit-device", "{tmp}/m.csv", "-o", "{tmp}/d.yaml"], "", "m.csv"),
    Case("ramps without read voltage", {"set.csv": "rmp1,rmp2\n1e-4,1e-4\n1.1e-4,1.2e-4\n"}, ["fit-device", "{tmp}/set.csv", "-o", "{tmp}/d.yaml"], "--read-voltage", "set.csv"),
    Case("sidecar typo", {"m/measurements.yaml": "synthetic: true\npulse_widht: 20ns\n", "m/a.csv": LONG + GOOD_ROWS},
         ["fit-device", "{tmp}/m", "-o", "{tmp}/d.yaml"], "did you mean 'pulse_width'", "m/measurements.yaml", 2),
    Case("dg table ragged", {"t_dG_increasing.txt": "header Gbins CDF\n 1e-4, 2e-4, 3e-4\n 0.0, 0.5, 1.0\n 1e-6, 2e-6, 3e-6\n 1e-6, 2e-6\n 1e-6, 2e-6, 3e-6\n",
                             "t_dG_decreasing.txt": "header Gbins CDF\n 1e-4, 2e-4, 3e-4\n 0.0, 0.5, 1.0\n -1e-6, -2e-6, -3e-6\n -1e-6, -2e-6, -3e-6\n -1e-6, -2e-6, -3e-6\n"},
         ["fit-device", "{tmp}/t_dG_increasing.txt", "-o", "{tmp}/d.yaml"], "", "t_dG_increasing.txt", 5),
    Case("mixed units", {"m/a.csv": "device,pulse_width,cycle,direction,pulse,conductance_S\n" + "".join(f"dev,{r}" for r in GOOD_ROWS.splitlines(True)),
                         "m/b.csv": "".join(f"{0.1 * k:.2f},{1 - 0.1 * k:.2f}\n" for k in range(8))},
         ["fit-device", "{tmp}/m", "--device", "dev", "--pulse-width", "20ns", "-o", "{tmp}/d.yaml"], "mixes conductance and normalised"),
    # -- reports -------------------------------------------------------------------------------
    Case("report of a missing folder", {}, ["report", "{tmp}/none"], "none"),
    Case("report of a folder without runs", {"r/notes.txt": "x"}, ["report", "{tmp}/r"], "r"),
]


def test_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_exits_2_with_one_line(case, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FERROSIM_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FERROSIM_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    line = run_case(case, tmp_path, capsys)
    assert case.needle in line
    if case.where is not None:
        where = str(tmp_path / case.where)
        assert where in line, line
        if case.line is not None:
            assert f"{where}:{case.line}:" in line, line
    # nothing that existed before was changed (results, configs, data)
    for p, content in before.items():
        assert p.read_bytes() == content, p


def test_a_ramp_against_its_label_warns_and_still_fits(tmp_path):
    """Noisy or wrongly labelled ramps are data, not bad input: they fit, with a note."""
    from ferrosim.device.fit_run import fit_path

    flipped = GOOD_ROWS.replace(",up,", ",tmp,").replace(",down,", ",up,").replace(",tmp,", ",down,")
    (tmp_path / "m.csv").write_text(LONG + flipped)
    run = fit_path(tmp_path / "m.csv", tmp_path / "d.yaml", figures=False)
    notes = " ".join(run.results[0].notes)
    assert "up ramps move down on average" in notes and "down ramps move up" in notes


def test_bad_thread_variable_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FERROSIM_THREADS", "many")
    monkeypatch.chdir(tmp_path)
    line = run_case(Case("bad FERROSIM_THREADS", {}, ["train", "--set", "training.epochs=1",
                                                      "--set", "dataset.train_subset=20"], ""),
                    tmp_path, capsys)
    assert "FERROSIM_THREADS='many'" in line


def test_library_warnings_never_come_before_the_error_line(monkeypatch, capsys):
    """A failing command prints its one error line alone; a succeeding one prints each distinct
    library warning once, as one line, after its work."""
    import warnings

    import ferrosim.cli as cli

    def failing(**kwargs):
        warnings.warn("invalid value encountered in multiply", RuntimeWarning)
        raise cli.InputError("bad data", file="m.csv", line=3)

    monkeypatch.setattr(cli, "app", failing)
    with pytest.raises(SystemExit) as done:
        main(["fit-device", "m.csv"])
    assert done.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == ["error: m.csv:3: bad data"]

    def working(**kwargs):
        for _ in range(3):
            warnings.warn("overflow\nin exp", RuntimeWarning)
        return 0

    monkeypatch.setattr(cli, "app", working)
    with pytest.raises(SystemExit) as done:
        main(["report", "x"])
    assert done.value.code == 0
    assert capsys.readouterr().err.strip().splitlines() == ["warning: RuntimeWarning: overflow in exp"]


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    """A small finished sweep (two runs) to damage."""
    folder = tmp_path_factory.mktemp("done")
    (folder / "s.yaml").write_text(SWEEP.replace("seed: [0]", "seed: [0, 1]"))
    with pytest.raises(SystemExit) as done:
        main(["sweep", str(folder / "s.yaml"), "--out", str(folder / "out"), "--workers", "1"])
    assert done.value.code == 0
    return folder / "out"


DAMAGE = {
    "non-UTF-8 run.json": ("run.json", b"\xff\xfe{]", "not UTF-8 text"),
    "run.json holding []": ("run.json", b"[]", "not a run record"),
    "run.json not JSON": ("run.json", b"{bad", "not valid JSON"),
    "run id not its folder": ("run.json", None, "does not match its folder"),
    "pulse width not a number": ("run.json", None, "is not a number"),
    "empty epochs.csv": ("epochs.csv", b"", "unreadable epochs.csv"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_report_names_a_damaged_run_and_a_sweep_trains_it_again(case, finished_sweep, tmp_path, capsys):
    import json
    import shutil

    out = tmp_path / "out"
    shutil.copytree(finished_sweep, out)
    run = sorted((out / "runs").iterdir())[0]
    name, content, needle = DAMAGE[case]
    if content is None:
        record = json.loads((run / "run.json").read_text())
        if "folder" in needle:
            record["summary"]["run_id"] = "000000000000"
        else:
            record["summary"]["pulse_width_s"] = "fast"
        content = json.dumps(record).encode()
    (run / name).write_bytes(content)
    with pytest.raises(SystemExit) as done:
        main(["report", str(out), "--out", str(tmp_path / "rep")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert done.value.code == 2 and len(lines) == 1, lines
    assert needle in lines[0] and str(run / name) in lines[0]
    assert not (tmp_path / "rep").exists()  # nothing written
    if name == "run.json":  # a damaged record is a run to train again, not a blocked rerun
        with pytest.raises(SystemExit) as done:
            main(["sweep", str(finished_sweep.parent / "s.yaml"), "--out", str(out), "--workers", "1"])
        assert done.value.code == 0
        with pytest.raises(SystemExit) as done:
            main(["report", str(out), "--out", str(tmp_path / "rep")])
        assert done.value.code == 0
