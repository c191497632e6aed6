"""The `ferrosim` command line: a thin layer over the Python API.

Exit codes (DESIGN.md section 8): 0 success, 2 bad input (one line `error: ...` on stderr),
1 anything else (one line plus a hint to rerun with --debug for the traceback).
"""

from __future__ import annotations

import math
import shlex
import sys
import warnings
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ferrosim import interrupts
from ferrosim.console import err_console, out_console
from ferrosim.version import package_version
from ferrosim.errors import InputError

app = typer.Typer(
    name="ferrosim",
    help=(
        "Train neural networks directly on simulated ferroelectric synapses and measure "
        "accuracy, epochs and weight-update energy versus programming pulse width.\n\n"
        "Typical use: fit-device (measurements -> device file), sweep (config -> results), "
        "report (results -> tables and figures). `train` runs one configuration."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)



def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"ferrosim {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error."),
) -> None:
    """Root options (see `ferrosim COMMAND --help` for each command)."""


def _fmt_energy(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3g}"


@app.command("train")
def train_cmd(
    config: Optional[Path] = typer.Argument(
        None, help="Run config (YAML). Without it, the embedded default: digits, 64-32-10 "
        "sigmoid MLP, 10 epochs, batch 1, plain pulsed SGD on a symmetric soft-bounds device."),
    algorithm: Optional[str] = typer.Option(None, "--algorithm", "-a",
                                            help="Override the algorithm: ideal | sgd | mixed_precision | sgd_symmetry_shift | "
                                            "sgd_balanced | tiki_taka_v2 | chopped_tt_v2 | agad."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Override the seed."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Override training.epochs."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir",
                                            help="Folder with MNIST/Fashion-MNIST IDX files."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE",
                                   help="Override any config key, e.g. --set training.lr=0.05 "
                                   "--set device.model=linear (repeatable)."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Also write the per-epoch table to this CSV."),
    threads: Optional[int] = typer.Option(None, "--threads", help="Threads that update the layers at "
                                          "once (default: $FERROSIM_THREADS, else every core). "
                                          "Changes the speed, never the numbers."),
) -> None:
    """Train one network on simulated devices and print accuracy, pulses and energy per epoch."""
    from ferrosim.config import default_config_path, load_run_config
    from ferrosim.io.datasets import load_dataset
    from ferrosim.training.kernel_cache import say_if_kernels_compile
    from ferrosim.training.layer_threads import check_threads
    from ferrosim.training.loop import train

    check_threads(threads)
    from ferrosim.io.atomic import check_input_dir, check_output_file

    if csv is not None:
        check_output_file(csv, "--csv")  # before training, not after it
    if data_dir is not None:
        check_input_dir(data_dir, "--data-dir")
    overrides = list(set_)
    if algorithm is not None:
        overrides.append(f"algorithm={algorithm}")
    if seed is not None:
        overrides.append(f"seed={seed}")
    if epochs is not None:
        overrides.append(f"training.epochs={epochs}")
    if data_dir is not None:
        overrides.append(f"dataset.data_dir={data_dir}")
    cfg = load_run_config(config or default_config_path(), overrides)
    # Load the data before printing anything, so bad input stays a single error line.
    dataset = load_dataset(cfg.dataset.name, cfg.dataset.data_dir)

    dev = cfg.device.response
    err_console.print(
        f"training {cfg.algorithm} on {cfg.dataset.name}, hidden {cfg.network.hidden}, "
        f"{cfg.training.epochs} epochs, batch {cfg.training.batch_size}, lr {cfg.training.lr}"
        + ("" if cfg.algorithm == "ideal" else f", device {dev.model}")
    )
    say_if_kernels_compile(lambda line: err_console.print(line, markup=False), True)

    def show(rec) -> None:
        err_console.print(
            f"epoch {rec.epoch:3d}  loss {rec.train_loss:.4f}  train {rec.train_accuracy:.4f}  "
            f"test {rec.test_accuracy:.4f}  pulses {rec.pulses_up + rec.pulses_down:,}  "
            f"{rec.wall_s:.1f}s"
        )

    result = train(cfg, dataset=dataset, on_epoch=show, threads=threads)
    table = Table(title=f"{cfg.name}: {cfg.algorithm}" + ("" if cfg.algorithm == "ideal" else f" on {dev.model}"))
    for col in ("epoch", "train loss", "train acc", "test acc", "pulses up", "pulses down",
                "pulse energy (J)", "digital (J)", "cum. energy (J)", "wall (s)"):
        table.add_column(col, justify="right")
    for r in result.records:
        table.add_row(str(r.epoch), f"{r.train_loss:.4f}", f"{r.train_accuracy:.4f}",
                      f"{r.test_accuracy:.4f}", f"{r.pulses_up:,}", f"{r.pulses_down:,}",
                      _fmt_energy(r.energy_J), _fmt_energy(r.digital_energy_J),
                      _fmt_energy(r.cumulative_energy_J), f"{r.wall_s:.2f}")
    out_console.print(table)
    out_console.print(
        f"final test accuracy {result.final_accuracy:.4f}, best {result.best_accuracy:.4f}, "
        f"pulses {result.pulses_total:,}"
        + (f", granularity eps {result.info['eps']:.4g} ({result.info['granularity']})"
           if "eps" in result.info else "")
        + (f"; energies under the model {result.info['energy_model']}"
           if result.info.get("energy_model") else ""), markup=False
    )
    if csv is not None:
        from ferrosim.io.atomic import atomic_write

        atomic_write(csv, result.to_frame().to_csv(index=False))


@app.command("fit-device")
def fit_device_cmd(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="Measurement files and/or folders "
                                       "of them (with an optional measurements.yaml sidecar)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="Device file to write (default devices/<device_name of measurements.yaml, "
                                          "else input name>.yaml, never named measurements.yaml). "
                                          "Figures go to <output>-figures/."),
    model: str = typer.Option("auto", "--model", help="auto | softbounds | powstep | table. auto picks "
                              "the simplest model within 2% of the best held-out step error."),
    format: Optional[str] = typer.Option(None, "--format", help="Force the input format: wgfmu | long-csv "
                                         "| ramps-csv | two-column | dg-table | lab-table (default: detect; "
                                         "--column implies lab-table)."),
    pulse_width: Optional[str] = typer.Option(None, "--pulse-width", help="Pulse width for files that "
                                              "do not give one, e.g. 20ns."),
    read_voltage: Optional[float] = typer.Option(None, "--read-voltage", help="Read voltage (V) for "
                                                 "ramp files holding read currents."),
    device: Optional[str] = typer.Option(None, "--device", help="Device name for files that do not give one."),
    refine: str = typer.Option("steps", "--refine", help="steps (reweighted step-vs-state fit, best "
                               "under pulse noise) | traces (then least squares on simulated traces)."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write PNG figures."),
    column: list[str] = typer.Option([], "--column", metavar="ROLE=NAME", help="Read a lab export: the "
                                     "column holding ROLE (pulse, conductance|resistance|current, amplitude, "
                                     "direction, cycle, pulse_width, read_voltage, energy, device, "
                                     "pulse_current), e.g. --column 'conductance=G (uS)'. Repeat; adds to "
                                     "or replaces the roles of columns: in measurements.yaml; docs/lab-data.md."),
    unit: list[str] = typer.Option([], "--unit", metavar="ROLE=UNIT", help="Unit of a mapped column whose "
                                   "name does not say it, e.g. --unit conductance=uS."),
    direction: list[str] = typer.Option([], "--direction", metavar="FILE=up|down", help="A file holding "
                                        "one direction only (potentiation: up, depression: down), paired with "
                                        "its device's other file; FILE: a name, glob or path. Repeat. Default: "
                                        "the name rule *_pot/*_dep, *_up/*_down, *_set/*_reset, or direction: "
                                        "in measurements.yaml files:."),
    decimal: Optional[str] = typer.Option(None, "--decimal", metavar=". | ,", help="Decimal mark of a lab "
                                          "table's numbers (default: a comma where cells are separated by ; "
                                          "or tabs and numbers read 1,23)."),
    iv: Optional[Path] = typer.Option(None, "--iv", metavar="FILE|DIR", help="DC I-V sweeps of the devices "
                                      "(a file or a folder; default: iv: in measurements.yaml), paired by device "
                                      "name: the measured conduction during a pulse (docs/physics.md)."),
    sweep_config: Optional[Path] = typer.Option(None, "--sweep-config", metavar="FILE", help="Also write a "
                                                "ready-to-run sweep config for the device file (one device; its "
                                                "fitted pulse widths x ideal, sgd, mixed_precision, "
                                                "sgd_symmetry_shift x 3 seeds on digits). Never replaces a file."),
) -> None:
    """Fit device response models to measured pulse responses, one per device and pulse width.

    Reads WGFMU _Summary.dat files, the native long CSV, CrossSim ramp CSVs and dG tables,
    aihwkit two-column traces, and any lab export through a column mapping (--column); writes one YAML device file (the input of `sweep`) with fit
    quality, symmetry point, granularity, c2c and energy per pulse, plus figures.
    """
    from ferrosim.api import fit_device

    run = fit_device(paths, output, model=model, format=format, pulse_width=pulse_width, read_voltage=read_voltage,
                     device=device, refine=refine, figures=figures, columns=column, units=unit,
                     sweep_config=sweep_config, command=shlex.join(["ferrosim", *sys.argv[1:]]),
                     iv=iv, warn=False, directions=direction, decimal=decimal)
    _print_fits(run)


def _print_fits(run) -> None:
    from ferrosim.units import format_pulse_width

    synthetic = " [SYNTHETIC data]" if run.device_file.synthetic else ""
    table = Table(title=f"fitted devices{synthetic}")
    for col in ("device", "pulse width", "model", "R^2 trace", "step@0 up", "step@0 down", "up/down",
                "g*", "states", "c2c", "G range (S)", "E up (J)", "E down (J)"):
        table.add_column(col, justify="right" if col not in ("device", "model") else "left")
    for res in run.results:
        s = res.stats
        entry = run.device_file.devices[res.device].pulse_widths[format_pulse_width(res.pulse_width_s)]
        e = entry.energy_per_pulse_J
        est = "~" if e.source == "estimated" else ""
        r2 = s.get("trace_r2")
        table.add_row(
            res.device, format_pulse_width(res.pulse_width_s), res.model.model,
            "-" if r2 is None else f"{r2:.3f}", f"{s['step_up_at_zero']:.3g}", f"{s['step_down_at_zero']:.3g}",
            "-" if s["step_ratio_at_zero"] is None else f"{s['step_ratio_at_zero']:.2f}",
            f"{s['symmetry_point']:.2f}", f"{s['n_states']:.0f}",
            "-" if s.get("c2c") is None else f"{s['c2c']:.2f}",
            "-" if res.range_S is None else f"{res.range_S[0]:.2e}..{res.range_S[1]:.2e}",
            "-" if e.up is None else f"{est}{e.up:.3g}", "-" if e.down is None else f"{est}{e.down:.3g}",
        )
    out_console.print(table)
    from ferrosim.device.fit_run import POOR_FIT_R2, fit_quality

    for res in run.results:
        if fit_quality(res) == "poor":
            err_console.print(f"warning: {res.device} {format_pulse_width(res.pulse_width_s)}: poor fit, trace R^2 "
                              f"{res.stats['trace_r2']:.2f} < {POOR_FIT_R2} (quality: poor in the device file): "
                              "the fitted response does not describe these measurements well; see the figures "
                              "and docs/fitting.md before training on it", markup=False)
        if res.candidates:
            err_console.print(f"{res.device} {format_pulse_width(res.pulse_width_s)}: {res.model.model}, "
                              f"{res.reason}", markup=False)
        for note in res.notes:
            err_console.print(f"note: {res.device} {format_pulse_width(res.pulse_width_s)}: {note}", markup=False)
    for line in run.warnings:  # energy_warnings among them
        err_console.print(f"warning: {line}", markup=False)
    estimated = sorted({e.energy_per_pulse_J.model for d in run.device_file.devices.values()
                        for e in d.pulse_widths.values() if e.energy_per_pulse_J.source == "estimated"})
    out_console.print(f"wrote {run.output}" + (f" and {len(run.figures)} figures in {run.figures[0].parent}"
                                               if run.figures else "")
                      + (f"; ~ = estimated energy per pulse under the default model ({'; '.join(estimated)}; "
                         "runs reprice it under their `energy:` section, docs/physics.md)" if estimated else ""),
                      markup=False)
    if run.sweep_config is not None:
        out_console.print(f"wrote {run.sweep_config}: run it with `ferrosim sweep {run.sweep_config}`", markup=False)


@app.command("sweep")
def sweep_cmd(
    config: Path = typer.Argument(..., help="Sweep config (YAML): pulse widths x algorithms x seeds "
                                  "(x any listed parameter)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Results folder (default results/<name>)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes, one "
                                          "run at a time each (default: the cores this job may use, its CPU affinity)."),
    executor: str = typer.Option("local", "--executor", help="local | dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="dask scheduler address, e.g. "
                                            "tcp://10.0.0.1:8786 (default: a local dask cluster)."),
    shard: Optional[str] = typer.Option(None, "--shard", metavar="I/N", help="Run only the I-th of N "
                                        "interleaved slices of the run table (array jobs; 1-based)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the run table, the work and an estimated "
                                 "time (from a few seconds' calibration in memory); write nothing."),
    force: bool = typer.Option(False, "--force", help="Rerun runs that are already complete."),
    merge: bool = typer.Option(False, "--merge", help="Add runs to a results folder whose sweep has other "
                               "settings (refused without it: its report would mix both)."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override a config key."),
    threads: Optional[int] = typer.Option(None, "--threads", help="Layer-update threads per run "
                                          "(default: $FERROSIM_THREADS, else the cores divided by "
                                          "--workers; 1 under dask). Never changes the numbers."),
    progress_mode: str = typer.Option("auto", "--progress", help="auto | bar | plain. bar: live bars "
                                      "(runs, elapsed, ETA, the epoch of each running run); plain: "
                                      "timestamped log lines (one per run, an epoch line at most every "
                                      "30 s per run). auto: bar on a terminal, else plain."),
) -> None:
    """Train across pulse widths, algorithms and seeds; write per-run tables and summary.csv.

    Finished runs (same parameters -> same run_id) are skipped, so rerunning the same command
    resumes an interrupted sweep. Exit 1 if any run failed (each failure is in its folder).
    """
    from ferrosim.sweeps.progress import MODES, SweepProgress, choose_mode
    from ferrosim.sweeps.session import SweepSession, check_execution
    from ferrosim.training.layer_threads import available_cores

    check_execution(executor, workers, threads)
    if progress_mode not in MODES:
        raise InputError(f"--progress {progress_mode}: choose {', '.join(MODES)}")
    session = SweepSession(config, set_, out, shard, force, merge)  # reads and checks; writes nothing
    out, runs, todo = session.out, session.runs, session.todo
    n_workers = workers or available_cores()  # the cores this job may use (its CPU affinity)
    if dry_run:
        _print_plan(session.plan, runs, todo, out, n_workers, executor, threads)
        return
    _terminate_like_ctrl_c()
    repriced = session.begin()
    if repriced:
        err_console.print(f"re-priced {repriced} complete runs under the energy settings of {config} "
                          "(no training)", markup=False)
    progress = SweepProgress(todo, err_console, choose_mode(progress_mode, sys.stderr))
    index, count = session.index, session.count
    progress.log(f"sweep {session.plan.name}: {len(runs)} runs" + (f" (shard {index}/{count})" if count > 1 else "")
                 + f", {session.skipped} already complete, {len(todo)} to train"
                 + (f" on {n_workers} workers" if executor == "local" else " on dask") + f" -> {out}")
    from ferrosim.training.kernel_cache import say_if_kernels_compile

    say_if_kernels_compile(progress.log, bool(todo))

    def on_epoch(event) -> None:
        progress.epoch(event)
        interrupts.check()  # a Ctrl-C whose KeyboardInterrupt CPython dropped (ferrosim/interrupts.py)

    def on_done(outcome, run) -> None:
        k = session.finished
        if outcome.ok:
            s = outcome.summary
            line = (f"[{k}/{len(todo)}] {run.run_id} {run.label}: final {s['final_accuracy']:.4f} "
                    f"best {s['best_accuracy']:.4f}, {s['pulses_total']:,} pulses, {outcome.wall_s:.1f}s")
        else:
            line = f"[{k}/{len(todo)}] {run.run_id} {run.label}: FAILED {outcome.error}"
        progress.finished(outcome, run, line)
        interrupts.check()

    try:
        with progress:
            frame = session.execute(workers=n_workers, executor=executor, scheduler=scheduler, threads=threads,
                                    on_done=on_done, on_epoch=on_epoch)
    except KeyboardInterrupt:
        progress.stop()
        interrupts.exit_interrupted(f"error: interrupted after {session.finished} of {len(todo)} runs; finished "
                                    f"runs are kept in {out}; rerun the same command to resume")
    out_console.print(f"wrote {out / 'summary.csv'} ({len(frame)} complete runs); tables and figures: "
                      f"ferrosim report {out}", markup=False, soft_wrap=True)
    failures = session.failed
    if failures:
        err_console.print(f"error: {len(failures)} of {len(todo)} runs failed ({', '.join(failures[:5])}"
                          f"{'...' if len(failures) > 5 else ''}); see runs/<run_id>/failed.json; rerun to retry",
                          markup=False)
        sys.exit(1)


def _terminate_like_ctrl_c() -> None:
    """A batch scheduler ends a job with SIGTERM (then SIGKILL after a grace period): the sweep
    stops as on Ctrl-C, keeping the finished runs, writing the summary and saying how to resume."""
    import signal

    interrupts.install(signal.SIGINT, signal.SIGTERM)


PLAN_ROWS = 200
"""Most rows `sweep --dry-run` prints (the first 190 and the last 10 of a longer plan)."""


def _print_plan(plan, runs, todo, out, workers: int = 1, executor: str = "local", threads: int | None = None) -> None:
    """The run table, the work in sample-updates and a time estimate calibrated on this machine."""
    from ferrosim.sweeps.estimate import samples_per_epoch
    from ferrosim.units import format_pulse_width

    load_s: dict = {}
    samples = samples_per_epoch(todo, load_s)  # loads the data first: a missing data set is one error line
    pending = {r.run_id for r in todo}
    table = Table(title=f"sweep {plan.name}: {len(runs)} runs -> {out}")
    population = any("device.name" in r.axes for r in runs)  # device.name: all | list | pattern
    lead = ["#", "run_id", *(["device"] if population else []), "pulse width", "algorithm", "seed"]
    for col in (*lead, *plan.axes, "status"):
        table.add_column(col)
    # a plan of thousands of runs shows its head and tail: the table is for reading
    shown = list(enumerate(runs, 1))
    if len(shown) > PLAN_ROWS:
        shown = shown[: PLAN_ROWS - 10] + [None] + shown[-10:]
    for item in shown:
        if item is None:
            table.add_row("...", f"{len(runs) - PLAN_ROWS + 10:,} more", *[""] * (len(lead) - 2 + 1 + len(plan.axes)))
            continue
        k, r = item
        table.add_row(str(k), r.run_id, *([str(r.axes.get("device.name", "-"))] if population else []),
                      format_pulse_width(r.pulse_width_s) if r.pulse_width_s else "-",
                      r.config.algorithm, str(r.config.seed), *[str(r.axes.get(a, "")) for a in plan.axes],
                      "to train" if r.run_id in pending else "complete")
    out_console.print(table)
    work = sum(samples[r.run_id] * r.config.training.epochs for r in todo)
    out_console.print(f"{len(todo)} of {len(runs)} runs to train: {work:,} sample-updates in all",
                      markup=False)
    if todo:
        _print_estimate(todo, workers, executor, threads, samples, sum(load_s.values()), out)


def _print_estimate(todo, workers: int, executor: str, threads: int | None, samples: dict,
                    data_load_s: float, out) -> None:
    """`estimated time: ~6 min with 2 workers (calibrated on this machine: ...)`, or why not."""
    from ferrosim.sweeps.estimate import duration, estimate, finished_times, measured_kind, measured_siblings, micro
    from ferrosim.sweeps.runner import pool_threads

    if executor == "dask":
        n, run_threads, pool = 1, threads or 1, True  # dask's workers are not known here: the time of one
    elif workers <= 1 or len(todo) <= 1:
        n, run_threads, pool = 1, threads, False  # in-process, as the sweep runs them
    else:
        n, run_threads, pool = workers, pool_threads(workers, threads), True
    done = finished_times(out)
    known = measured_siblings(done, todo)
    by_kind = measured_kind(done, [r for r in todo if r.run_id not in known], samples)
    try:
        est = estimate(todo, n, run_threads, pool=pool, samples=samples, data_load_s=data_load_s,
                       known={**known, **by_kind})
    except Exception as exc:  # noqa: BLE001 - the plan above stands; the estimate is a bonus
        msg = " ".join(str(exc).split()) or type(exc).__name__
        out_console.print(f"estimated time: unknown (calibration failed: {msg})", markup=False)
        return
    h = est.heaviest
    parts = []
    if h is not None:
        parts.append(f"calibrated on this machine: {micro(h.sample_s, sys.stdout.encoding)} per sample-update "
                     f"for {h.label}" + (f", {len(est.groups) - 1} other kind{'s' if len(est.groups) > 2 else ''} "
                                         "of run" if len(est.groups) > 1 else ""))
    if known:
        parts.append(f"{len(known)} run{'s' if len(known) > 1 else ''} timed by {'their' if len(known) > 1 else 'its'} "
                     "finished runs that differ only in the seed")
    if by_kind:
        parts.append(f"{len(by_kind)} by the time per sample-update of finished runs of the same kind at other settings")
    where = "; ".join(parts)
    if executor == "dask":
        out_console.print(f"estimated time: {duration(est.wall_s)} on one dask worker, divided among the "
                          f"workers the cluster has ({where})", markup=False, soft_wrap=True)
    else:
        out_console.print(f"estimated time: {duration(est.wall_s)} with {est.workers} worker"
                          f"{'s' if est.workers > 1 else ''} ({where})", markup=False, soft_wrap=True)
    out_console.print(f"includes {est.start_s:.1f} s per worker before its first run (start-up, data, numba "
                      f"kernels {est.first_use_s:.1f} s: compiled once, a few seconds, then cached); calibrating "
                      f"took {est.calibration_s:.1f} s and wrote nothing", markup=False, soft_wrap=True)


@app.command("report")
def report_cmd(
    results: list[Path] = typer.Argument(..., help="One or more results folders written by `ferrosim sweep` "
                                         "(several: compared side by side)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the report (default "
                                       "<first folder>/report)."),
    wide: bool = typer.Option(False, "--wide", help="Print every column of the summary table, however "
                              "wide (default: the columns that fit the terminal; all are in report.md)."),
) -> None:
    """Tables and figures (accuracy, epochs and energy vs pulse width) from finished sweeps.

    Writes summary_by_pulse_width.csv (mean, std, n, 95% interval over seeds), report.md,
    a self-contained report.html and figures/*.png|svg. Works on partial sweeps (missing runs
    are listed) and on several folders at once (`report A B --out C`).
    """
    from ferrosim.api import report as build_report
    from ferrosim.reports.aggregate import energy_models
    from ferrosim.reports.terminal import print_summary, summary_view

    report = build_report(results, out)
    print_summary(out_console, summary_view(report.agg, report.axes, "summary by pulse width: "
                                            + ", ".join(s.label for s in report.sweeps), report.synthetic_sweeps,
                                            energy_models(report.summary)["central"], wide=wide))
    sp = report.symmetry
    if sp is not None:
        out_console.print("within the symmetry point's uncertainty (report.md, symmetry_point_verdicts.csv):",
                          markup=False)
        for line in sp[1]:
            out_console.print("  " + line.replace("**", "").replace("`", ""), markup=False)
    for s in report.sweeps:
        n_missing = len(s.missing) + s.missing_unlisted
        if n_missing:
            failed = sum(1 for m in s.missing if m.error)
            shown = ", ".join(f"{m.run_id} ({m.label})" for m in s.missing[:5])
            err_console.print(f"note: {s.label}: {n_missing} of {s.planned} planned runs missing"
                              + (f", {failed} failed" if failed else "")
                              + (f": {shown}{'...' if len(s.missing) > 5 else ''}" if shown else "")
                              + "; listed in report.md", markup=False)
    if report.synthetic:
        err_console.print("note: SYNTHETIC device data in the inputs (flagged in every output)", markup=False)
    out_console.print(f"wrote {report.markdown_path}, {report.html_path.name}, {report.csv_path.name} and "
                      f"{len(report.figures)} figures (PNG + SVG) in {report.out / 'figures'}", markup=False)


@app.command("energy")
def energy_cmd(
    results: list[Path] = typer.Argument(..., help="Results folders written by `ferrosim sweep`."),
    set_: list[str] = typer.Option([], "--set", metavar="energy.KEY=VALUE",
                                   help="Change an energy setting, e.g. --set energy.conduction=schottky "
                                   "--set energy.polarization_uC_per_cm2=40 (repeatable)."),
    scan: Optional[str] = typer.Option(None, "--scan", metavar="energy.KEY=START:STOP:N[:log] | energy.KEY=A,B,...",
                                       help="Re-price at N values of one setting and draw where the shortest "
                                       "pulse width becomes the cheapest, e.g. energy.conduction_scale=1:1000:31:log, "
                                       "or at named values, e.g. energy.digital.node=45nm_fp32,16nm_fp32,7nm_fp32,7nm_int8."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write (default <first folder>/energy)."),
) -> None:
    """Re-price finished sweeps under other energy models, without retraining.

    Every run's pulses per direction, digital operations and device data are on disk, so its
    energy is recomputed under the sweep's `energy:` section changed by --set, and under each
    other conduction model the device data allow. Writes energy_by_run.csv,
    energy_by_pulse_width.csv, energy.md (a table per model; whether shorter pulses are cheaper
    under each) and, with --scan, scan_<key>.csv and figures/scan_<key>.png|svg.
    """
    from ferrosim.reports.energy_report import reprice, terminal_lines, write_repricing

    from ferrosim.io.atomic import check_output_folder

    folder = check_output_folder(out, results[0] / "energy", ("figures",))  # named or default: checked first
    result = reprice(results, set_, scan)  # everything is checked and computed before writing
    paths = write_repricing(result, folder)
    for line in terminal_lines(result):
        out_console.print(line, markup=False)
    if any(r.device.synthetic for r in result.runs):
        err_console.print("note: SYNTHETIC device data in the inputs (flagged in every output)", markup=False)
    out_console.print(f"re-priced {len(result.runs)} runs under {len(result.models)} models; wrote "
                      + ", ".join(str(p) for p in paths), markup=False)


def _is_usage_error(exc: Exception) -> bool:
    return hasattr(exc, "format_message") and getattr(exc, "exit_code", None) == 2


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and maps errors to exit codes."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    # Library warnings (numpy, matplotlib) are held back: a failing command prints its one
    # error line alone, a succeeding one prints each distinct warning as one line at the end.
    with warnings.catch_warnings(record=True) as caught:
        try:
            code = _run_app(args, debug)
        except SystemExit as done:
            if done.code in (0, None):
                _print_warnings(caught)
            raise
    _print_warnings(caught)
    sys.exit(code if isinstance(code, int) else 0)


def _print_warnings(caught: list) -> None:
    seen = set()
    for w in caught:
        line = " ".join(f"warning: {w.category.__name__}: {w.message}".split())
        if line not in seen:
            seen.add(line)
            err_console.print(line, markup=False)


def _run_app(args: list[str], debug: bool):
    """The app, with errors mapped to exit codes (SystemExit) and one-line messages."""
    try:
        code = app(args=args, prog_name="ferrosim", standalone_mode=False)
        if code == 130 or interrupts.received():
            # The command line library caught the Ctrl-C itself and returned its code, or CPython
            # dropped its KeyboardInterrupt and the command went on (ferrosim/interrupts.py).
            interrupts.exit_interrupted("error: interrupted")
        return code
    except InputError as exc:
        if debug:
            raise
        err_console.print(f"error: {exc.one_line()}", markup=False)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        interrupts.exit_interrupted("error: interrupted")
    except typer.Exit as exc:
        if exc.exit_code == 130:  # click's own handling of a Ctrl-C while it parses
            interrupts.exit_interrupted("error: interrupted")
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into exit 1
        if interrupts.received() and not debug:
            # A Ctrl-C inside an extension module's import comes back as "ImportError:
            # initialization failed" (pybind11): it was the interrupt, not a bug.
            interrupts.exit_interrupted("error: interrupted")
        if _is_usage_error(exc) and not exc.format_message():
            sys.exit(0)  # bare `ferrosim`: the help was printed, nothing went wrong
        if _is_usage_error(exc):
            # Typer vendors click in new versions and imports it in old ones: both raise
            # exceptions with `exit_code` and `format_message` for bad command lines.
            err_console.print(f"error: {exc.format_message()} (see `ferrosim --help`)", markup=False)
            sys.exit(2)
        if debug:
            raise
        msg = " ".join(str(exc).split()) or type(exc).__name__
        err_console.print(f"error: {msg} (rerun with --debug for the traceback)", markup=False)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
