"""A finished run read back: its run.json and epochs.csv, checked in one place.

Every reader of a sweep folder (the sweep's resume and summary, `ferrosim report`, `ferrosim
energy`, the dry-run estimate) goes through `read_run_record` and `read_epochs`, so a damaged or
hand-edited file is refused the same way everywhere: an InputError naming the file and the key
(run.json) or the line (epochs.csv), never a Python error or a silently re-priced number.

run.json: its `config` is validated with the schema the config loader uses (`RunConfig`), its
`info` and `summary` fields are typed and range-checked, and the three agree (the summary's
algorithm and seed are the config's, epochs to target lies in 1..epochs). epochs.csv: its
columns are DESIGN.md's, it has one row per epoch 1..N with N the config's epochs, accuracies
are fractions and the pulse and operation counts non-negative integers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from ferrosim.config.schema import RunConfig
from ferrosim.errors import InputError
from ferrosim.io.validation import validation_error

DAMAGED = "a damaged or hand-edited run: delete its folder or rerun the sweep to train it again"
EPOCH_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_accuracy", "pulses_up", "pulses_down",
                 "energy_J", "cumulative_energy_J", "wall_s")
"""DESIGN.md section 7; later ferrosim adds `digital_ops`, `accumulator_updates` and others."""
COUNT_COLUMNS = ("pulses_up", "pulses_down", "digital_ops", "accumulator_updates")
"""Counts that price a run (`ferrosim energy`): non-negative integers where present."""


def _non_negative(value: float | None) -> float | None:
    """None, NaN (a figure not priced) or a number >= 0."""
    if value is not None and not math.isnan(value) and value < 0:
        raise ValueError("must be >= 0")
    return value


Count = Annotated[StrictInt, Field(ge=0)]
Positive = Annotated[StrictInt, Field(ge=1)]
Fraction = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
Joules = Annotated[float | None, Field(strict=True), AfterValidator(_non_negative)]


class RunInfo(BaseModel):
    """What run.json's `info` holds that readers compute with (the rest is free text)."""

    model_config = ConfigDict(extra="allow")
    n_train: Positive
    n_test: Positive | None = None
    layer_sizes: Annotated[list[Positive], Field(min_length=2)] | None = None
    n_weights: Positive | None = None


class RunSummary(BaseModel):
    """run.json's `summary`: the run's summary.csv row (extra keys: swept axes, device fit)."""

    model_config = ConfigDict(extra="allow")
    run_id: StrictStr
    pulse_width_s: Annotated[float, Field(strict=True, gt=0.0, allow_inf_nan=False)] | None
    algorithm: StrictStr
    seed: Annotated[StrictInt, Field(ge=0)]
    final_accuracy: Fraction
    best_accuracy: Fraction
    epochs_to_target: Positive | None
    energy_per_pulse_J: Joules
    energy_per_update_J: Joules
    total_energy_J: Joules
    energy_to_target_J: Joules
    pulses_total: Count
    wall_s: Annotated[float, Field(strict=True, ge=0.0)]
    synthetic_device: StrictBool
    digital_ops: Count | None = None


class RunRecord(BaseModel):
    """A whole run.json."""

    model_config = ConfigDict(extra="allow")
    config: RunConfig
    info: RunInfo
    summary: RunSummary
    ferrosim_version: StrictStr | None = None


def read_run_record(path: Path) -> dict[str, Any]:
    """A complete run's run.json, checked (see the module docstring), as the dict it holds.
    Anything else is an InputError naming the file and the key."""
    return read_checked_run(path)[0]


def read_checked_run(path: Path) -> tuple[dict[str, Any], RunRecord]:
    """`read_run_record`, with the typed record its check built (config a `RunConfig`, info and
    summary typed), for readers that compute with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path,
                         hint="a damaged run: delete its folder or rerun the sweep") from None
    except OSError as exc:
        raise InputError(f"unreadable: {exc.strerror or exc}", file=path) from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno,
                         hint="a damaged run: rerun the sweep to train it again") from None
    summary = record.get("summary") if isinstance(record, dict) else None
    if not isinstance(summary, dict):
        raise InputError("not a run record (no 'summary' object)", file=path,
                         hint="a damaged run: rerun the sweep to train it again")
    if summary.get("run_id") != path.parent.name:
        raise InputError(f"run_id {summary.get('run_id')!r} does not match its folder {path.parent.name!r}",
                         file=path, hint="a run folder copied or renamed by hand?")
    width = summary.get("pulse_width_s")
    if width is not None and (isinstance(width, bool) or not isinstance(width, (int, float))):
        raise InputError(f"summary.pulse_width_s {width!r} is not a number", file=path, hint=DAMAGED)
    try:
        checked = RunRecord.model_validate(record)
    except ValidationError as exc:
        error = validation_error(exc, RunRecord, path, {})
        raise InputError(error.what, file=path, hint=DAMAGED) from None
    _agree(checked, path)
    return record, checked


def _agree(record: RunRecord, path: Path) -> None:
    """The summary says what the config ran: its algorithm and seed, epochs to target within
    the epochs trained, the best accuracy at least the final one."""
    cfg, s = record.config, record.summary
    for key, stored, ran in (("algorithm", s.algorithm, cfg.algorithm), ("seed", s.seed, cfg.seed)):
        if stored != ran:
            raise InputError(f"summary.{key} {stored!r} is not the config's ({ran!r})", file=path, hint=DAMAGED)
    epochs = cfg.training.epochs
    if s.epochs_to_target is not None and s.epochs_to_target > epochs:
        raise InputError(f"summary.epochs_to_target {s.epochs_to_target} is past the {epochs} epochs trained "
                         "(1..epochs, or null when never reached)", file=path, hint=DAMAGED)
    if s.best_accuracy < s.final_accuracy:
        raise InputError(f"summary.best_accuracy {s.best_accuracy} is below final_accuracy {s.final_accuracy}",
                         file=path, hint=DAMAGED)


def read_epochs(path: Path, epochs: int) -> pd.DataFrame:
    """A run's epochs.csv, checked against the `epochs` its run.json trained (see the module
    docstring); an InputError names the file and, for a bad cell, its line."""
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"unreadable epochs.csv: {' '.join(str(exc).split())}", file=path,
                         hint="a damaged run: delete its folder and rerun the sweep") from None
    missing = [c for c in EPOCH_COLUMNS if c not in frame.columns]
    if missing or frame.empty:
        what = f"lacks the column{'s' * (len(missing) > 1)} {', '.join(missing)}" if missing else "has no rows"
        raise InputError(f"epochs.csv {what}", file=path, hint="a damaged run: delete its folder and rerun the sweep")
    for column in ("epoch", *[c for c in COUNT_COLUMNS if c in frame.columns]):
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(values) & (values >= 0) & (values == np.round(values)))
        if bad.any():
            k = int(np.argmax(bad))
            raise InputError(f"{column} {_cell(frame[column].iloc[k])} is not a non-negative integer", file=path,
                             line=k + 2, hint=DAMAGED)
    accuracy = pd.to_numeric(frame["test_accuracy"], errors="coerce").to_numpy(dtype=float)
    bad = ~((accuracy >= 0) & (accuracy <= 1))
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"test_accuracy {_cell(frame['test_accuracy'].iloc[k])} is not a fraction in 0..1",
                         file=path, line=k + 2, hint=DAMAGED)
    numbers = frame["epoch"].astype(float).astype(int).tolist()
    for k, number in enumerate(numbers):
        if number != k + 1:
            raise InputError(f"epoch {number} where epoch {k + 1} belongs (one row per epoch, 1..{epochs})",
                             file=path, line=k + 2, hint=DAMAGED)
    if len(numbers) != epochs:
        raise InputError(f"{len(numbers)} epochs where run.json trained {epochs}", file=path,
                         line=len(numbers) + 1, hint=DAMAGED)
    return frame


def _cell(value: Any) -> str:
    """A cell as the file holds it: 12.5, 'many', or (empty)."""
    if pd.isna(value):
        return "(empty)"
    return repr(value.item() if hasattr(value, "item") else value)


def read_run(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """A complete run's checked run.json and epochs.csv."""
    record = read_run_record(folder / "run.json")
    path = folder / "epochs.csv"
    if not path.is_file():
        raise InputError(f"{path}: missing (run.json says the run is complete)")
    return record, read_epochs(path, int(record["config"]["training"]["epochs"]))


__all__ = ["EPOCH_COLUMNS", "RunRecord", "read_checked_run", "read_epochs", "read_run", "read_run_record"]
