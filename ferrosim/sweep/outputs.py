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
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ferrosim.sweep.plan import FIXED_AXES
from ferrosim.units import parse_pulse_width

SUMMARY_COLUMNS = (
    "run_id", "pulse_width_s", "algorithm", "seed", "final_accuracy", "best_accuracy",
    "epochs_to_target", "energy_per_pulse_J", "energy_per_update_J", "total_energy_J",
    "energy_to_target_J", "pulses_total", "wall_s", "synthetic_device",
)
"""DESIGN.md section 7, in order; then `device`, `digital_ops` and one column per other swept key."""


def atomic_write(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush to disk, then rename over it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or an interrupt leaves no half-written file
        raise


def run_dir(out: Path, run_id: str) -> Path:
    return out / "runs" / run_id


def is_complete(out: Path, run_id: str) -> bool:
    return (run_dir(out, run_id) / "run.json").is_file()


def summary_row(result, run_id: str, axes: dict[str, Any]) -> dict[str, Any]:
    """The summary.csv row of one finished run (DESIGN.md sections 5 and 7)."""
    cfg = result.config
    ideal = cfg.algorithm == "ideal"
    e_up, e_down = cfg.device.energy_up_J, cfg.device.energy_down_J
    energy_known = not ideal and e_up is not None and e_down is not None
    n_updates = math.ceil(result.info["n_train"] / cfg.training.batch_size) * len(result.records)
    total = result.total_energy_J if energy_known else (0.0 if ideal else None)
    row = {
        "run_id": run_id,
        "pulse_width_s": None if ideal or cfg.device.pulse_width is None else parse_pulse_width(cfg.device.pulse_width),
        "algorithm": cfg.algorithm,
        "seed": cfg.seed,
        "final_accuracy": result.final_accuracy,
        "best_accuracy": result.best_accuracy,
        "epochs_to_target": result.epochs_to_target,
        "energy_per_pulse_J": 0.5 * (e_up + e_down) if energy_known else None,
        "energy_per_update_J": total / n_updates if total is not None else None,
        "total_energy_J": total,
        "energy_to_target_J": result.energy_to_target_J if (energy_known or ideal) else None,
        "pulses_total": result.pulses_total,
        "wall_s": sum(r.wall_s for r in result.records),
        "synthetic_device": bool(cfg.device.synthetic) and not ideal,
        "device": None if ideal else (cfg.device.name or cfg.device.response.model),
        "digital_ops": sum(r.digital_ops for r in result.records),
    }
    for key, value in axes.items():
        if key not in FIXED_AXES:
            row[key] = value if not isinstance(value, list) else json.dumps(value)
    return row


def build_summary(out: Path) -> pd.DataFrame:
    """summary.csv from every complete run under `out` (so shards merge by sharing a folder)."""
    rows = []
    for path in sorted((out / "runs").glob("*/run.json")):
        rows.append(json.loads(path.read_text())["summary"])
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    extra = [c for c in frame.columns if c not in SUMMARY_COLUMNS]
    frame = frame[list(SUMMARY_COLUMNS) + extra]
    frame["_pw"] = frame["pulse_width_s"].fillna(-1.0)
    frame = frame.sort_values(["_pw", "algorithm", *[c for c in extra if c not in ("device", "digital_ops")],
                               "seed", "run_id"], kind="mergesort").drop(columns="_pw")
    frame["epochs_to_target"] = frame["epochs_to_target"].astype("Int64")
    return frame.reset_index(drop=True)


def write_summary(out: Path) -> pd.DataFrame:
    frame = build_summary(out)
    atomic_write(out / "summary.csv", frame.to_csv(index=False, float_format="%.10g"))
    return frame
