#!/usr/bin/env python
"""Performance benchmark of ferrosim on MNIST-shaped data (issue 7).

Measures, each training configuration in a fresh subprocess (BLAS on one thread, as `train`
holds it; the layer updates on `--threads` threads, default every core, as a user gets):

* seconds per 60,000-sample epoch of a 784-256-128-10 sigmoid MLP for `ideal`, `sgd`,
  `mixed_precision` and `sgd_symmetry_shift` on a soft-bounds device and on the fitted HZO
  table device, at batch 64 (lr 0.5) and batch 1 (lr 0.05); BL 31, update management on;
* the set-up time of `ferrosim.train` (the call time minus the epoch) and the peak memory
  (max RSS) of each run;
* the throughput of the pulsed-SGD kernel (`CrossbarLayer.pulsed_update` on a 256x785 layer):
  device pulses per second and weight-sample updates per second;
* the time of `fit_path` on the real HZO files, with and without figures;
* the machine (CPU, cores, Python / numpy / numba versions, BLAS).

Usage (from the repository root)::

    python benchmarks/run.py                       # full run, ~2-3 min on 2 cores
    python benchmarks/run.py --quick               # smoke run on slices, ~1-2 min
    python benchmarks/run.py --threads 1           # layer updates on one thread (a sweep worker)
    python benchmarks/run.py --only sgd --profile  # a subset, plus cProfile of batch-64 epochs

Writes `<out>/benchmark.json` and `<out>/benchmark.md` (default `benchmarks/results/`) and
prints the markdown tables. See benchmarks/README.md and docs/performance.md.

This file is the command line only; the rest lives beside it: cases.py (what is timed),
workers.py (each measurement, inside its subprocess), harness.py (subprocesses, environment,
machine, repeats), goals.py (goals and reference figures), tables.py (the markdown report).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path[:1] != [str(HERE)]:  # its modules import by plain name, from any working directory
    sys.path.insert(0, str(HERE))

import harness  # noqa: E402
from cases import label, plan_training  # noqa: E402
from goals import evaluate_goals  # noqa: E402
from tables import render_markdown  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default="../shared/data/mnist",
                    help="folder with the MNIST IDX files (else random MNIST-shaped data)")
    ap.add_argument("--hzo-dir", default="../shared/data/hzo",
                    help="folder with the HZO measurement files (table device and fit timing)")
    ap.add_argument("--quick", action="store_true",
                    help="time slices (6,000 samples at batch 64, 600 at batch 1) and scale up")
    ap.add_argument("--out", default=str(HERE / "results"), help="output folder")
    ap.add_argument("--threads", type=int, default=None,
                    help="ferrosim layer-update threads per run (FERROSIM_THREADS; default: every "
                         "core, as `ferrosim train` uses). BLAS stays on one thread.")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time every training configuration this many times, round by round, and "
                         "keep the fastest (all are in the JSON and the table)")
    ap.add_argument("--only", action="append", default=[],
                    help="run only training configurations whose label contains this text "
                         "(repeatable); kernel and fit still run unless --skip-extras")
    ap.add_argument("--skip-extras", action="store_true", help="skip the kernel and fit benchmarks")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one sgd and one mixed_precision batch-64 epoch and an sgd batch-1 "
                         "slice (softbounds); text in <out>/profile_*.txt")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per subprocess")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        from workers import worker_main

        worker_main(args.worker, args.worker_out)
        return 0

    t_start = time.perf_counter()
    out_dir = Path(args.out).expanduser().resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = harness.resolve_path(args.data_dir)
    hzo_dir = harness.resolve_path(args.hzo_dir)
    notes = []
    if harness.mnist_present(data_dir):
        data_arg = str(data_dir)
        data_note = f"real MNIST from {data_dir} (60,000 train / 10,000 test)"
    else:
        data_arg = None
        data_note = "synthetic MNIST-shaped data (random uint8 pixels / 255, random labels; 60,000 x 784 / 10,000 x 784)"
        print(f"note: MNIST IDX files not found in {args.data_dir}: using synthetic MNIST-shaped data", flush=True)
    have_hzo = hzo_dir is not None and hzo_dir.is_dir() and any(hzo_dir.glob("*.dat"))
    if not have_hzo:
        notes.append(f"{args.hzo_dir} not found: the HZO table device and the fit-device timing are skipped.")
        print(f"note: {notes[-1]}", flush=True)

    # Set the environment of this (driver) process too before numpy loads, for machine_info.
    for var in harness.THREAD_VARS:
        os.environ[var] = "1"
    if args.threads is None:
        from ferrosim.training.layer_threads import available_cores  # after the env is set

        args.threads = available_cores()
    if args.threads < 1:
        ap.error("--threads must be at least 1")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    report: dict = {"quick": args.quick, "threads": args.threads, "data_note": data_note,
                    "machine": harness.machine_info(args.threads), "notes": notes}
    print(f"ferrosim benchmark: {report['machine']['cpu']}, commit {report['machine']['git_commit']}, "
          f"{'quick' if args.quick else 'full'} mode, {args.threads} thread(s)", flush=True)

    with tempfile.TemporaryDirectory(prefix="ferrosim-bench-") as tmp:
        hzo_file = None
        if have_hzo:
            fit = harness.fit_device(hzo_dir, Path(tmp) / "hzo.yaml", args.quick, args.threads, args.timeout)
            report["fit"] = fit
            if "error" in fit:
                notes.append("fit-device failed: the HZO table device is skipped.")
                have_hzo = False
            else:
                hzo_file = str(Path(tmp) / "hzo.yaml")

        if not args.skip_extras:
            report["kernel"] = harness.pulse_kernels(["softbounds"] + (["table"] if have_hzo else []), args.quick,
                                                     data_arg, hzo_file, args.threads, args.timeout)

        runs = plan_training(args.quick, have_hzo)
        if args.only:
            runs = [r for r in runs if any(o in label(r) for o in args.only)]
        harness.time_training(runs, args.repeat, data_arg, hzo_file, args.threads, args.timeout)
        report["training"] = runs
        report["goals"] = evaluate_goals(runs, report.get("kernel"))

        if args.profile:
            report["profile"] = harness.profiles(args.quick, data_arg, out_dir, args.threads, args.timeout)

    report["loadavg_end"] = list(os.getloadavg())
    report["total_s"] = time.perf_counter() - t_start
    (out_dir / "benchmark.json").write_text(json.dumps(report, indent=2, default=str))
    md = render_markdown(report)
    (out_dir / "benchmark.md").write_text(md)
    print()
    print(md)
    print(f"wrote {out_dir / 'benchmark.json'} and {out_dir / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
