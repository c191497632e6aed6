"""`ferrosim sweep`: expansion, run ids, outputs, resume after SIGKILL, shards, workers, dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ferrosim.errors import InputError
from ferrosim.sweeps.outputs import SUMMARY_COLUMNS
from ferrosim.sweeps.plan import load_plan, run_id_of
from ferrosim.sweeps.runner import execute

from cli.test_cli import ferrosim, one_error_line

REPO = Path(__file__).resolve().parents[2]
DEVICE_FILE = REPO / "devices" / "example-hzo.yaml"

SMALL = f"""\
name: small
seed: [0, 1]
dataset: {{name: digits, train_subset: 120, test_subset: 60}}
network: {{hidden: [8]}}
training: {{epochs: 2, batch_size: 1, lr: 0.1, target_accuracy: 0.2}}
device: {{file: {DEVICE_FILE}, name: SYN-HZO-A}}
sweep:
  pulse_width: [20ns, 200us]
  algorithm: [ideal, sgd, mixed_precision]
"""


def write(tmp_path, text=SMALL, name="sweep.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def comparable(out: Path) -> pd.DataFrame:
    """summary.csv without the timing column (the only one that differs between machines/runs)."""
    return pd.read_csv(out / "summary.csv").drop(columns=["wall_s"])


def test_expansion_order_and_ideal_once_per_seed(tmp_path):
    plan = load_plan(write(tmp_path))
    labels = [(r.pulse_width_s, r.config.algorithm, r.config.seed) for r in plan.runs]
    assert len(plan.runs) == 2 + 2 * 2 * 2  # ideal ignores the pulse width
    assert labels[:2] == [(None, "ideal", 0), (None, "ideal", 1)]
    assert labels[2:4] == [(2e-8, "sgd", 0), (2e-8, "sgd", 1)]
    assert plan.runs[2].config.device.response.model == "softbounds"
    # the energy comes from the device file's electrical data, priced by the default model
    assert plan.runs[2].config.device.electrical is not None
    assert plan.runs[2].config.energy_plan().central.total[0] == pytest.approx(2.06e-12, rel=0.01)
    assert plan.runs[2].config.device.synthetic  # the device file says synthetic: true
    assert len({r.run_id for r in plan.runs}) == len(plan.runs)


def test_lists_in_sections_are_swept_and_change_the_run_id(tmp_path):
    text = SMALL.replace("lr: 0.1,", "lr: [0.05, 0.1],").replace("hidden: [8]", "hidden: [[8], [16]]")
    plan = load_plan(write(tmp_path, text))
    assert len(plan.runs) == 4 * (2 + 2 * 2 * 2)
    assert set(plan.axes) == {"training.lr", "network.hidden"}
    a, b = plan.runs[0].config, plan.runs[0].config.model_copy(update={"seed": 5})
    assert run_id_of(a) != run_id_of(b)
    assert run_id_of(a) == run_id_of(a.model_copy(update={"name": "other"}))


@pytest.mark.parametrize("edit, needle, line", [
    (("  algorithm: [ideal", "  algoritm: [ideal"), "did you mean 'algorithm'", 9),
    (("  pulse_width: [20ns, 200us]", "  pulse_width: [20ns, 7ns]"), "pulse width 7ns not in the device file", 8),
    (("lr: 0.1,", "lr: [0.1, -1],"), "training.lr", 5),
    (("  algorithm: [ideal, sgd", "  algorithm: [ideal, adam"), "algorithm", 9),
])
def test_bad_sweep_configs_name_file_line_and_key(tmp_path, edit, needle, line):
    path = write(tmp_path, SMALL.replace(*edit))
    with pytest.raises(InputError) as err:
        load_plan(path)
    msg = err.value.one_line()
    assert needle in msg and f"{path}:{line}:" in msg, msg


def test_sweep_outputs_resume_and_force(tmp_path):
    cfg, out = write(tmp_path), tmp_path / "out"
    proc = ferrosim("sweep", str(cfg), "--out", str(out), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(out / "summary.csv")
    assert list(frame.columns[: len(SUMMARY_COLUMNS)]) == list(SUMMARY_COLUMNS)
    assert len(frame) == 10 and frame.run_id.is_unique
    sgd = frame[frame.algorithm == "sgd"].set_index(["pulse_width_s", "seed"])
    # energy per pulse comes from the device file and rises with the pulse width
    assert (sgd.loc[2e-4].energy_per_pulse_J > sgd.loc[2e-8].energy_per_pulse_J).all()
    row = sgd.loc[(2e-8, 0)]
    assert row.total_energy_J == pytest.approx(row.energy_per_update_J * 2 * 120)
    assert row.synthetic_device and row.pulses_total > 0
    ideal = frame[frame.algorithm == "ideal"]
    assert ideal.pulse_width_s.isna().all() and (ideal.total_energy_J == 0).all()
    run = frame.iloc[3].run_id
    assert (out / "runs" / run / "run.json").is_file() and (out / "runs" / run / "epochs.csv").is_file()
    assert (out / "sweep.yaml").is_file()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = ferrosim("sweep", str(cfg), "--out", str(out))
    assert proc.returncode == 0 and "0 to train" in proc.stderr
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert before == after  # nothing trained, every file identical
    proc = ferrosim("sweep", str(cfg), "--out", str(out), "--force", "--workers", "1")
    assert proc.returncode == 0 and "10 to train" in proc.stderr
    pd.testing.assert_frame_equal(comparable(out), frame.drop(columns=["wall_s"]))


def test_dry_run_trains_nothing(tmp_path):
    proc = ferrosim("sweep", str(write(tmp_path)), "--out", str(tmp_path / "out"), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "10 of 10 runs to train" in proc.stdout and "mixed_precision" in proc.stdout
    assert not (tmp_path / "out").exists()


def test_sigkill_then_rerun_gives_the_uninterrupted_summary(tmp_path):
    cfg = write(tmp_path, SMALL.replace("epochs: 2", "epochs: 4"))
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    assert ferrosim("sweep", str(cfg), "--out", str(reference), "--workers", "2").returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "ferrosim", "sweep", str(cfg), "--out", str(killed),
                             "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while len(list(killed.glob("runs/*/run.json"))) < 3 and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(killed.glob("runs/*/run.json")))
    assert 3 <= done < 10
    rerun = ferrosim("sweep", str(cfg), "--out", str(killed), "--workers", "1")
    assert rerun.returncode == 0 and f"{done} already complete" in rerun.stderr
    pd.testing.assert_frame_equal(comparable(killed), comparable(reference))


def test_two_shards_merge_into_the_full_summary(tmp_path):
    cfg = write(tmp_path)
    full, shared = tmp_path / "full", tmp_path / "shared"
    assert ferrosim("sweep", str(cfg), "--out", str(full), "--workers", "1").returncode == 0
    one = ferrosim("sweep", str(cfg), "--out", str(shared), "--shard", "1/2", "--workers", "1")
    assert one.returncode == 0 and "shard 1/2" in one.stderr
    assert len(pd.read_csv(shared / "summary.csv")) == 5
    assert ferrosim("sweep", str(cfg), "--out", str(shared), "--shard", "2/2", "--workers", "1").returncode == 0
    pd.testing.assert_frame_equal(comparable(shared), comparable(full))


def test_bad_shard_and_failed_runs(tmp_path):
    cfg = write(tmp_path)
    proc = ferrosim("sweep", str(cfg), "--shard", "3/2")
    assert proc.returncode == 2 and "--shard" in one_error_line(proc)
    # a run that raises is recorded and the sweep goes on, exit 1 with the count
    bad = write(tmp_path, SMALL.replace("name: digits", "name: mnist, data_dir: nowhere"), "bad.yaml")
    env = {**os.environ, "FERROSIM_OFFLINE": "1"}
    proc = ferrosim("sweep", str(bad), "--out", str(tmp_path / "bad"), "--workers", "1", env=env)
    assert proc.returncode == 1
    assert "10 of 10 runs failed" in proc.stderr.splitlines()[-1]
    assert len(list((tmp_path / "bad").glob("runs/*/failed.json"))) == 10


def test_dask_local_cluster_gives_the_same_numbers(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    plan = load_plan(write(tmp_path))
    local, dask_out = tmp_path / "local", tmp_path / "dask"
    execute(plan.runs, local, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        outcomes = execute(plan.runs, dask_out, executor="dask", scheduler=cluster.scheduler_address)
    assert all(o.ok for o in outcomes) and len(outcomes) == 10
    from ferrosim.sweeps.outputs import write_summary

    a = write_summary(local).drop(columns=["wall_s"])
    b = write_summary(dask_out).drop(columns=["wall_s"])
    pd.testing.assert_frame_equal(a, b)


def test_run_ids_of_published_results_stay_valid():
    """Settings added later (io:, symmetry.granularity) hash only when set away from their
    default: the paper sweep's published run ids are still the ids of its runs, so resuming it
    retrains nothing."""
    published = set(pd.read_csv(REPO / "docs" / "paper" / "summary.csv")["run_id"])
    plan = load_plan(REPO / "configs" / "paper_mnist.yaml")
    assert {r.run_id for r in plan.runs} == published
    moved = load_plan(REPO / "configs" / "paper_mnist.yaml", ["io=aihwkit_perfect"])
    assert {r.run_id for r in moved.runs if r.config.algorithm != "ideal"}.isdisjoint(published)
    assert {r.run_id for r in moved.runs if r.config.algorithm == "ideal"} <= published


def test_per_algorithm_settings_hold_for_their_algorithm_only(tmp_path):
    """The precursor study's learning rates differ by algorithm: `per_algorithm:` gives each its
    own, merged over the shared settings; the other algorithms' runs are unchanged."""
    base = ("name: pa\nseed: [0, 1]\ndataset: {name: digits, train_subset: 50, test_subset: 20}\n"
            "training: {epochs: 1, lr: 0.1}\nsweep:\n  algorithm: [ideal, sgd, mixed_precision]\n")
    (tmp_path / "plain.yaml").write_text(base)
    (tmp_path / "pa.yaml").write_text(base + "per_algorithm:\n  mixed_precision: {training: {lr: 0.5}, "
                                      "mixed_precision: {transfer: stochastic}}\n  sgd: {training: {lr: 0.05}}\n")
    plain = load_plan(tmp_path / "plain.yaml")
    plan = load_plan(tmp_path / "pa.yaml")
    got = {(r.config.algorithm, r.config.seed): r.config for r in plan.runs}
    assert got[("mixed_precision", 1)].training.lr == 0.5
    assert got[("mixed_precision", 1)].mixed_precision.transfer == "stochastic"
    assert got[("sgd", 0)].training.lr == 0.05 and got[("ideal", 0)].training.lr == 0.1
    ids = {(r.config.algorithm, r.config.seed): r.run_id for r in plain.runs}
    for r in plan.runs:
        assert (r.run_id == ids[(r.config.algorithm, r.config.seed)]) == (r.config.algorithm == "ideal")
    assert plan.raw["per_algorithm"]["sgd"] == {"training": {"lr": 0.05}}  # kept in sweep.yaml


def test_an_empty_per_algorithm_section_sets_nothing(tmp_path):
    """Issue 27, problem 3: `{sgd: {device: {}}}` reset sgd's whole device section to the
    built-in device; an empty section now sets nothing."""
    base = ("name: pa\nseed: [0]\ndataset: {name: digits, train_subset: 50, test_subset: 20}\n"
            "training: {epochs: 3, lr: 0.1}\ndevice: {model: softbounds, a_up: 0.03, a_down: 0.01}\n"
            "sweep:\n  algorithm: [sgd, mixed_precision]\n")
    (tmp_path / "plain.yaml").write_text(base)
    (tmp_path / "empty.yaml").write_text(base + "per_algorithm:\n  sgd: {device: {}, training: {}}\n")
    plain, empty = load_plan(tmp_path / "plain.yaml"), load_plan(tmp_path / "empty.yaml")
    assert [r.run_id for r in empty.runs] == [r.run_id for r in plain.runs]
    sgd = next(r.config for r in empty.runs if r.config.algorithm == "sgd")
    assert sgd.device.response.a_up == 0.03 and sgd.training.epochs == 3


def test_settings_of_an_algorithm_not_swept_are_checked(tmp_path):
    """Issue 27, problem 24: `per_algorithm:` settings of an algorithm the sweep does not train
    (a `--set` may bring it in) were never validated; `lr: -5` is now one error line naming its
    line, while valid settings of unswept algorithms stay allowed."""
    base = ("name: pa\nseed: [0]\ndataset: {name: digits, train_subset: 50, test_subset: 20}\n"
            "training: {epochs: 1}\nsweep:\n  algorithm: [sgd]\nper_algorithm:\n")
    (tmp_path / "ok.yaml").write_text(base + "  agad: {training: {lr: 0.5}}\n")
    assert [r.config.algorithm for r in load_plan(tmp_path / "ok.yaml").runs] == ["sgd"]
    (tmp_path / "bad.yaml").write_text(base + "  mixed_precision:\n    training: {lr: -5}\n")
    with pytest.raises(InputError) as err:
        load_plan(tmp_path / "bad.yaml")
    assert "training.lr" in str(err.value) and err.value.line == 9


def test_pulse_type_does_not_split_mixed_precision_runs(tmp_path):
    """Mixed precision's transfer has its own pulse rule: sweeping update.pulse_type trains it once."""
    (tmp_path / "s.yaml").write_text(
        "name: pt\nseed: [0]\ndataset: {name: digits, train_subset: 50, test_subset: 20}\ntraining: {epochs: 1}\n"
        "update: {pulse_type: [stochastic_compressed, deterministic_implicit]}\n"
        "sweep:\n  algorithm: [sgd, mixed_precision]\n")
    plan = load_plan(tmp_path / "s.yaml")
    assert sorted(r.config.algorithm for r in plan.runs) == ["mixed_precision", "sgd", "sgd"]


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_expands(path):
    if path.name == "mnist_hzo.yaml" and not (REPO / "devices" / "hzo.yaml").is_file():
        pytest.skip("needs `ferrosim fit-device ../shared/data/hzo -o devices/hzo.yaml` first (its header says so)")
    plan = load_plan(path)
    assert plan.runs


def test_precursor_config_is_the_studys_setting():
    """configs/precursor_mnist.yaml against ../shared/PRECURSOR.md (docs/algorithms.md goes line by line)."""
    plan = load_plan(REPO / "configs" / "precursor_mnist.yaml")
    by_alg = {r.config.algorithm: r.config for r in plan.runs}
    assert {a: c.training.lr for a, c in by_alg.items()} == {
        "ideal": 0.5, "mixed_precision": 0.5, "sgd": 0.05, "sgd_symmetry_shift": 0.1}
    cfg = by_alg["sgd"]
    assert (cfg.training.batch_size, cfg.training.epochs, cfg.training.lr_decay_every) == (64, 25, 10)
    assert cfg.io.forward.out_noise == 0.06 and cfg.io.forward.bound_management == "iterative"
    assert cfg.network.digital_bias and cfg.network.hidden == [256, 128]
    assert cfg.update.granularity == "min" and cfg.update.pulse_type == "stochastic_compressed"
    assert by_alg["mixed_precision"].mixed_precision.granularity == "mean"
    sym = by_alg["sgd_symmetry_shift"].symmetry
    assert (sym.method, sym.pulse_pairs, sym.average_last) == ("pulses", 100, 5)
    assert not cfg.device.synthetic and cfg.device.response.c2c == 0 and cfg.device.response.d2d == 0
    assert len(plan.runs) == 3 + 2 * 3 * 3  # ideal once per seed


def test_one_pulse_width_written_four_ways_is_one_run(tmp_path):
    """`20ns`, `0.02us`, `2.0e-8` and `"20 ns"` are one width: one run, labelled `20ns` (the
    report would otherwise average four copies as n = 4)."""
    device = REPO / "devices" / "example-hzo.yaml"
    (tmp_path / "s.yaml").write_text(
        f"name: pw\nseed: [0]\ndataset: {{name: digits, train_subset: 20, test_subset: 10}}\ntraining: {{epochs: 1}}\n"
        f"device: {{file: {device}, name: SYN-HZO-A}}\nsweep:\n  pulse_width: [20ns, 0.02us, 2.0e-8, \"20 ns\"]\n"
        "  algorithm: [sgd]\n")
    plan = load_plan(tmp_path / "s.yaml")
    assert len(plan.runs) == 1 and plan.runs[0].config.device.pulse_width == "20ns"
    assert plan.raw["sweep"]["pulse_width"] == ["20ns"]


def test_dry_run_of_a_large_plan_shows_head_and_tail(tmp_path, capsys):
    """A plan of thousands of runs is listed by its first and last rows and counted in full
    (its planning time is in benchmarks/plan_scaling.py)."""
    from ferrosim.cli import PLAN_ROWS, main

    (tmp_path / "s.yaml").write_text("name: big\nseed: " + str(list(range(150))) +
                                     "\ndataset: {name: digits}\ntraining: {epochs: 1}\nsweep:\n  algorithm: [sgd, ideal]\n")
    with pytest.raises(SystemExit) as done:
        main(["sweep", str(tmp_path / "s.yaml"), "--dry-run", "--out", str(tmp_path / "out")])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "300 of 300 runs to train" in text and f"{300 - PLAN_ROWS + 10:,} more" in text
    assert "│ 300 " in text and "│ 191 " not in text
    assert not (tmp_path / "out").exists()  # a dry run writes nothing


def test_a_results_folder_refuses_other_settings_but_takes_edited_lists(tmp_path, capsys):
    """Same sweep name, other numbers-changing settings: refused, naming the keys (its report
    would average both); more seeds, other energy models and --merge are fine."""
    from ferrosim.cli import main

    cfg = tmp_path / "s.yaml"
    cfg.write_text("name: fp\nseed: [0]\ndataset: {name: digits, train_subset: 20, test_subset: 10}\n"
                   "training: {epochs: 1, lr: 0.1}\nsweep:\n  algorithm: [sgd]\n")
    out = tmp_path / "out"

    def sweep(*extra):
        with pytest.raises(SystemExit) as done:
            main(["sweep", str(cfg), "--out", str(out), "--workers", "1", *extra])
        return done.value.code, capsys.readouterr().err.strip().splitlines()

    assert sweep()[0] == 0
    code, lines = sweep("--set", "training.epochs=2", "--set", "training.lr=0.2")
    assert code == 2 and len(lines) == 1
    assert "training.epochs 1 -> 2; training.lr 0.1 -> 0.2" in lines[0] and "--merge" in lines[0]
    assert len(list((out / "runs").iterdir())) == 1  # nothing trained
    assert sweep("--set", "seed=[0, 1]", "--dry-run")[0] == 0  # an edited list
    assert sweep("--set", "energy.digital=false", "--dry-run")[0] == 0  # re-priced, not retrained
    assert sweep("--set", "training.epochs=2", "--merge")[0] == 0
    assert len(list((out / "runs").iterdir())) == 2
    # sweep.yaml now holds the last plan (1 run); the report counts the merged run too, not "2 of 1"
    from ferrosim.reports.collect import load_sweep
    from ferrosim.reports.provenance import sweep_facts

    facts = dict(sweep_facts(load_sweep(out)))
    assert facts["runs"] == ("2 complete: 1 of the 1 planned by the last sweep into the folder (sweep.yaml) "
                             "and 1 merged from earlier sweeps")


def test_a_finished_sweep_points_to_its_summary_and_the_report(tmp_path, capsys):
    from ferrosim.cli import main

    (tmp_path / "s.yaml").write_text("name: end\nseed: [0]\ndataset: {name: digits, train_subset: 20, test_subset: 10}\n"
                                     "training: {epochs: 1}\nsweep:\n  algorithm: [ideal]\n")
    with pytest.raises(SystemExit) as done:
        main(["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert done.value.code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert str(tmp_path / "out" / "summary.csv") in last and f"ferrosim report {tmp_path / 'out'}" in last


def test_fingerprint_counts_layer_sizes_that_are_not_swept():
    from ferrosim.sweeps.runner import fixed_settings

    fixed, swept = fixed_settings({"network": {"hidden": [256, 128]}, "seed": [0, 1], "training": {"lr": [0.1, 0.2]}})
    assert fixed["network.hidden"] == [256, 128] and swept == {"seed", "training.lr"}
    fixed, swept = fixed_settings({"network": {"hidden": [[32], [64]]}})
    assert "network.hidden" in swept and "network.hidden" not in fixed
