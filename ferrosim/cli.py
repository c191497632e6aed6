"""The `ferrosim` command line: a thin layer over the Python API.

Exit codes (DESIGN.md section 8): 0 success, 2 bad input (one line `error: ...` on stderr),
1 anything else (one line plus a hint to rerun with --debug for the traceback).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ferrosim import __version__
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

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"ferrosim {__version__}")
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
                                            help="Override the algorithm: ideal | sgd."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Override the seed."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Override training.epochs."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir",
                                            help="Folder with MNIST/Fashion-MNIST IDX files."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE",
                                   help="Override any config key, e.g. --set training.lr=0.05 "
                                   "--set device.model=linear (repeatable)."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Also write the per-epoch table to this CSV."),
) -> None:
    """Train one network on simulated devices and print accuracy, pulses and energy per epoch."""
    from ferrosim.config import default_config_path, load_run_config
    from ferrosim.io.datasets import load_dataset
    from ferrosim.training.loop import train

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

    def show(rec) -> None:
        err_console.print(
            f"epoch {rec.epoch:3d}  loss {rec.train_loss:.4f}  train {rec.train_accuracy:.4f}  "
            f"test {rec.test_accuracy:.4f}  pulses {rec.pulses_up + rec.pulses_down:,}  "
            f"{rec.wall_s:.1f}s"
        )

    result = train(cfg, dataset=dataset, on_epoch=show)
    table = Table(title=f"{cfg.name}: {cfg.algorithm}" + ("" if cfg.algorithm == "ideal" else f" on {dev.model}"))
    for col in ("epoch", "train loss", "train acc", "test acc", "pulses up", "pulses down",
                "energy (J)", "cum. energy (J)", "wall (s)"):
        table.add_column(col, justify="right")
    for r in result.records:
        table.add_row(str(r.epoch), f"{r.train_loss:.4f}", f"{r.train_accuracy:.4f}",
                      f"{r.test_accuracy:.4f}", f"{r.pulses_up:,}", f"{r.pulses_down:,}",
                      _fmt_energy(r.energy_J), _fmt_energy(r.cumulative_energy_J), f"{r.wall_s:.2f}")
    out_console.print(table)
    out_console.print(
        f"final test accuracy {result.final_accuracy:.4f}, best {result.best_accuracy:.4f}, "
        f"pulses {result.pulses_total:,}"
        + (f", granularity eps {result.info['eps']:.4g} ({result.info['granularity']})"
           if "eps" in result.info else "")
    )
    if csv is not None:
        result.to_frame().to_csv(csv, index=False)


def _not_yet(command: str, issue: str) -> None:
    raise NotImplementedError(f"`ferrosim {command}` is not yet implemented ({issue})")


@app.command("fit-device")
def fit_device_cmd(
    path: Path = typer.Argument(..., help="Measurement file or folder (WGFMU _Summary.dat, long CSV, ramps CSV, two-column trace)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Device file to write (YAML)."),
    model: str = typer.Option("auto", "--model", help="auto | softbounds | powstep | table."),
    format: Optional[str] = typer.Option(None, "--format", help="Force the input format instead of detecting it."),
) -> None:
    """Fit device response models to measured pulse responses, one per pulse width."""
    _not_yet("fit-device", "planned: measured pulse responses -> device file")


@app.command("sweep")
def sweep_cmd(
    config: Path = typer.Argument(..., help="Sweep config (YAML): pulse widths x algorithms x seeds."),
    out: Optional[Path] = typer.Option(None, "--out", help="Results folder (default results/<name>)."),
) -> None:
    """Train across pulse widths, algorithms and seeds; write per-run tables and summary.csv."""
    _not_yet("sweep", "planned; use `ferrosim train` for single runs")


@app.command("report")
def report_cmd(
    results: Path = typer.Argument(..., help="A results folder written by `ferrosim sweep`."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the report."),
) -> None:
    """Tables and figures (accuracy, epochs and energy vs pulse width) from finished sweeps."""
    _not_yet("report", "planned")


def _is_usage_error(exc: Exception) -> bool:
    return hasattr(exc, "format_message") and getattr(exc, "exit_code", None) == 2


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and maps errors to exit codes."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = app(args=args, prog_name="ferrosim", standalone_mode=False)
    except InputError as exc:
        if debug:
            raise
        err_console.print(f"error: {exc.one_line()}", markup=False)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("error: interrupted", markup=False)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into exit 1
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
        if isinstance(exc, NotImplementedError):
            err_console.print(f"error: {msg}", markup=False)
            sys.exit(1)
        err_console.print(f"error: {msg} (rerun with --debug for the traceback)", markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
