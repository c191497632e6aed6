"""The files of a sweep folder (DESIGN.md section 7) and the summary rebuilt from them.

results/<name>/
  sweep.yaml              resolved config, package version, git commit, start time
  runs/<run_id>/epochs.csv
  runs/<run_id>/run.json  written last and atomically: its presence means the run is complete
  runs/<run_id>/failed.json  a run that raised: its error (retried by the next sweep)
  summary.csv             one row per complete run, rebuilt from every run.json present
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ferrosim.energy.model import ENERGY_COLUMNS, summary_energy
from ferrosim.errors import InputError
from ferrosim.io.atomic import atomic_write
from ferrosim.sweeps.plan import FIXED_AXES, PRICING_DEVICE_KEYS
from ferrosim.sweeps.run_files import read_run, read_run_record
from ferrosim.units import parse_pulse_width

SUMMARY_COLUMNS = (
    "run_id", "pulse_width_s", "algorithm", "seed", "final_accuracy", "best_accuracy",
    "epochs_to_target", "energy_per_pulse_J", "energy_per_update_J", "total_energy_J",
    "energy_to_target_J", "pulses_total", "wall_s", "synthetic_device",
)
"""DESIGN.md section 7, in order; then ENERGY_COLUMNS (ferrosim.energy.model), `device`,
`digital_ops` and one column per other swept key."""


DEVICE_COLUMNS = ("symmetry_point", "step_ratio", "n_states", "device_area_um2")
"""What the device file's fit says of the run's device at its pulse width (population sweeps
plot accuracy against them); empty without a device file."""
RUN_COLUMNS = ("device", "digital_ops", *ENERGY_COLUMNS, *DEVICE_COLUMNS)
"""Summary columns after DESIGN.md's that describe the run, not a swept axis."""


def run_dir(out: Path, run_id: str) -> Path:
    return out / "runs" / run_id


def is_complete(out: Path, run_id: str) -> bool:
    """The run has a valid run.json and epochs.csv (a corrupt one is a run to train again)."""
    folder = run_dir(out, run_id)
    if not (folder / "run.json").is_file():
        return False
    try:
        read_run(folder)
    except InputError:
        return False
    return True


def energy_cells(cfg, counts: tuple[list[int], ...], n_train: int, epochs_to_target: int | None) -> dict[str, Any]:
    """The energy cells of a run's summary row: its per-epoch counts priced under its config."""
    n_updates = math.ceil(n_train / cfg.training.batch_size) * len(counts[0])
    plan = None if cfg.algorithm == "ideal" else cfg.energy_plan()
    return summary_energy(plan, *counts, epochs_to_target, n_updates)


def summary_row(result, run_id: str, axes: dict[str, Any]) -> dict[str, Any]:
    """The summary.csv row of one finished run (DESIGN.md sections 5 and 7)."""
    cfg = result.config
    ideal = cfg.algorithm == "ideal"
    recs = result.records
    counts = ([r.pulses_up for r in recs], [r.pulses_down for r in recs], [r.digital_ops for r in recs],
              [r.accumulator_updates for r in recs])
    energy = energy_cells(cfg, counts, result.info["n_train"], result.epochs_to_target)
    row = {
        "run_id": run_id,
        "pulse_width_s": None if ideal or cfg.device.pulse_width is None else parse_pulse_width(cfg.device.pulse_width),
        "algorithm": cfg.algorithm,
        "seed": cfg.seed,
        "final_accuracy": result.final_accuracy,
        "best_accuracy": result.best_accuracy,
        "epochs_to_target": result.epochs_to_target,
        "energy_per_pulse_J": energy.pop("energy_per_pulse_J"),
        "energy_per_update_J": energy.pop("energy_per_update_J"),
        "total_energy_J": energy.pop("total_energy_J"),
        "energy_to_target_J": energy.pop("energy_to_target_J"),
        "pulses_total": result.pulses_total,
        "wall_s": sum(r.wall_s for r in result.records),
        "synthetic_device": bool(cfg.device.synthetic) and not ideal,
        **energy,
        "device": None if ideal else (cfg.device.name or cfg.device.response.model),
        "digital_ops": sum(r.digital_ops for r in result.records),
    }
    fitted = (cfg.device.fitted or {}) if not ideal else {}
    if fitted:
        row.update({key: fitted.get(key) for key in DEVICE_COLUMNS})
    for key, value in axes.items():
        if key not in FIXED_AXES:
            row[key] = value if not isinstance(value, list) else json.dumps(value)
    return row


def epoch_counts(epochs: pd.DataFrame, info: dict, batch_size: int) -> tuple[list[int], ...]:
    """Per-epoch pulses up, pulses down, gradient products and accumulator read-add-writes of a
    run (epochs.csv of earlier ferrosim lacks the last: one per weight and mini-batch)."""
    epochs = epochs.sort_values("epoch")
    ops = epochs["digital_ops"].astype(int).tolist() if "digital_ops" in epochs else [0] * len(epochs)
    if "accumulator_updates" in epochs:
        acc = epochs["accumulator_updates"].astype(int).tolist()
    else:
        sizes = info.get("layer_sizes") or []
        n_weights = int(info.get("n_weights") or sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))
        batches = math.ceil(int(info.get("n_train", 0)) / batch_size)
        acc = [n_weights * batches if o else 0 for o in ops]
    return (epochs["pulses_up"].astype(int).tolist(), epochs["pulses_down"].astype(int).tolist(), ops, acc)


def _same(a: Any, b: Any) -> bool:
    """Equal, or floats equal to 1e-9 relative (the stored figures went through JSON and a
    recomputation in another summation order)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0) or (math.isnan(a) and math.isnan(b))
    return a == b


def reprice_complete(run, out: Path) -> bool:
    """Bring a complete run's energy up to the sweep's current `energy:` settings and model
    (training never depends on them, so the run_id is the same): when its priced figures differ,
    its run.json is rewritten, atomically, with the energy section and summary row priced from
    its epochs.csv. True when it changed."""
    if run.config.algorithm == "ideal":
        return False
    folder = run_dir(out, run.run_id)
    record, epochs = read_run(folder)
    cfg = run.config
    row = dict(record["summary"])
    e2t = row.get("epochs_to_target")
    counts = epoch_counts(epochs, record["info"], cfg.training.batch_size)
    energy = energy_cells(cfg, counts, int(record["info"]["n_train"]), None if e2t is None else int(e2t))
    wanted = cfg.energy.model_dump(mode="json")
    # the device's pricing facts too (a refit device file, e.g. with a measured I-V curve): what
    # `ferrosim energy` re-prices from must be what priced the summary row
    device = cfg.device.model_dump(mode="json")
    facts = {k: device.get(k) for k in PRICING_DEVICE_KEYS}
    stored = record.get("config", {}).get("device", {})
    if (record.get("config", {}).get("energy") == wanted and all(stored.get(k) == v for k, v in facts.items())
            and all(_same(row.get(k), v) for k, v in energy.items())):
        return False
    row.update(energy)
    record["config"]["energy"] = wanted
    record["config"].setdefault("device", {}).update(facts)
    record["info"]["energy_model"] = energy["energy_model"]
    record["summary"] = row
    atomic_write(folder / "run.json", json.dumps(record, indent=1, sort_keys=False))
    return True


def build_summary(out: Path, skip_damaged: bool = False) -> pd.DataFrame:
    """summary.csv from every complete run under `out` (so shards merge by sharing a folder).
    A damaged run.json is an InputError naming it, or left out with `skip_damaged` (a sweep
    trains such runs again)."""
    rows = []
    for path in sorted((out / "runs").glob("*/run.json")):
        try:
            rows.append(read_run_record(path)["summary"])
        except InputError:
            if not skip_damaged:
                raise
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    extra = [c for c in frame.columns if c not in SUMMARY_COLUMNS]
    frame = frame[list(SUMMARY_COLUMNS) + extra]
    frame["_pw"] = frame["pulse_width_s"].fillna(-1.0)
    frame = frame.sort_values(["_pw", "algorithm", *[c for c in extra if c not in RUN_COLUMNS],
                               "seed", "run_id"], kind="mergesort").drop(columns="_pw")
    frame["epochs_to_target"] = frame["epochs_to_target"].astype("Int64")
    return frame.reset_index(drop=True)


def write_summary(out: Path) -> pd.DataFrame:
    frame = build_summary(out, skip_damaged=True)
    atomic_write(out / "summary.csv", frame.to_csv(index=False, float_format="%.10g"))
    return frame
