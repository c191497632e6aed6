"""Statistics over seeds: one row per sweep x pulse width x algorithm (x any other swept key).

Each metric gets `<metric>_mean`, `_std` (sample, ddof=1), `_n` (runs with a value: a run that
never reached the target has no epochs/energy to target) and, where n >= 3, the 95% t interval
`_ci95_low`/`_ci95_high` = mean -+ t(0.975, n-1) * std / sqrt(n). Units stay in the names, in
plain SI (J, s); accuracies are fractions. `ideal` has no device: its pulse width is empty and
its label is "ideal (no device)"; a device given by its response (no device file) has no pulse
width either: empty, labelled "-".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from ferrosim.energy.claims import shortest_width_standing  # noqa: F401  (re-exported)
from ferrosim.units import format_pulse_width, pulse_width_text

IDEAL_LABEL = "ideal (no device)"


@dataclass(frozen=True)
class Metric:
    column: str  # summary.csv column
    title: str  # for tables and axes
    unit: str  # "J", "%" (fractions shown as percent), "count" (k/M/G prefixes), "" (plain number)
    derived: Callable[[pd.DataFrame], pd.Series] | None = None  # per run, from other summary columns


def _extrapolated_share(runs: pd.DataFrame) -> pd.Series:
    """Share of each run's pulse energy priced beyond measured data (a measured I-V curve carried
    above its highest voltage); NaN where the summary predates the column or has no pulse energy."""
    if "energy_conduction_extrapolated_J" not in runs or "pulse_energy_J" not in runs:
        return pd.Series([math.nan] * len(runs), index=runs.index)
    pulse = pd.to_numeric(runs["pulse_energy_J"], errors="coerce")
    return pd.to_numeric(runs["energy_conduction_extrapolated_J"], errors="coerce") / pulse.where(pulse > 0)


METRICS = (
    Metric("final_accuracy", "final accuracy", "%"),
    Metric("best_accuracy", "best accuracy", "%"),
    Metric("epochs_to_target", "epochs to target", ""),
    Metric("energy_per_pulse_J", "energy per pulse", "J"),
    Metric("energy_per_update_J", "energy per update", "J"),
    Metric("total_energy_J", "total update energy", "J"),
    Metric("energy_to_target_J", "energy to target", "J"),
    Metric("pulses_total", "pulses", "count"),
    Metric("energy_digital_J", "digital accumulator energy", "J"),
    Metric("energy_digital_products_J", "digital energy, gradient products", "J"),
    Metric("energy_digital_accumulator_J", "digital energy, accumulator read-add-writes", "J"),
    Metric("energy_per_pulse_lower_J", "energy per pulse, lower estimate", "J"),
    Metric("energy_per_pulse_upper_J", "energy per pulse, upper estimate", "J"),
    Metric("total_energy_lower_J", "total update energy, lower estimate", "J"),
    Metric("total_energy_upper_J", "total update energy, upper estimate", "J"),
    Metric("energy_to_target_lower_J", "energy to target, lower estimate", "J"),
    Metric("energy_to_target_upper_J", "energy to target, upper estimate", "J"),
    Metric("extrapolated_share", "pulse energy beyond the measured I-V range", "%", _extrapolated_share),
)
"""The energy bands (lower/upper) and the digital term are in summaries of ferrosim with energy
models; older summaries lack them and their cells are empty."""
STATS = ("mean", "std", "n", "ci95_low", "ci95_high")
ALGORITHM_ORDER = ("ideal", "sgd", "sgd_balanced", "sgd_symmetry_shift", "mixed_precision", "tiki_taka_v2",
                   "chopped_tt_v2", "agad")
BASE_KEYS = ("sweep", "device", "pulse_width_s", "algorithm")


def describe(values: Any) -> dict[str, float]:
    """mean, std (ddof=1), n and the 95% t interval (n >= 3) of the non-missing values."""
    from scipy.stats import t

    x = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype(float).dropna().to_numpy()
    n = len(x)
    mean = float(np.mean(x)) if n else math.nan
    std = (0.0 if np.ptp(x) == 0 else float(np.std(x, ddof=1))) if n >= 2 else math.nan  # no rounding noise
    if n >= 3:
        half = float(t.ppf(0.975, n - 1)) * std / math.sqrt(n)
        low, high = mean - half, mean + half
    else:
        low = high = math.nan
    return {"mean": mean, "std": std, "n": n, "ci95_low": low, "ci95_high": high}


def combined_summary(sweeps) -> pd.DataFrame:
    """Every sweep's complete runs in one frame, with a `sweep` column (the sweep's label)."""
    frames = []
    for s in sweeps:
        frame = s.summary.copy()
        frame.insert(0, "sweep", s.label)
        frames.append(frame)
    summary = pd.concat(frames, ignore_index=True)
    summary["epochs_to_target"] = pd.to_numeric(summary["epochs_to_target"], errors="coerce").astype(float)
    return summary


def axis_columns(summary: pd.DataFrame) -> list[str]:
    """Swept keys besides pulse width, algorithm and seed (e.g. `training.lr`)."""
    from ferrosim.sweeps.outputs import RUN_COLUMNS, SUMMARY_COLUMNS

    return [c for c in summary.columns if c not in SUMMARY_COLUMNS and c not in ("sweep", *RUN_COLUMNS)]


def group_keys(summary: pd.DataFrame) -> list[str]:
    return [*BASE_KEYS, *axis_columns(summary)]


NO_WIDTH_LABEL = "-"
"""The pulse width of a device run without one (a device given by its response, no device file)."""


def pulse_width_label(pw: Any, algorithm: str) -> str:
    """The `pulse_width` column of the CSVs: `20ns`; IDEAL_LABEL for `ideal`, NO_WIDTH_LABEL for
    a device without a pulse width."""
    if _isnan(pw):
        return IDEAL_LABEL if algorithm == "ideal" else NO_WIDTH_LABEL
    return format_pulse_width(float(pw))


def pulse_width_shown(pw: Any, algorithm: str) -> str:
    """The pulse width a reader sees in tables and text: `20 ns`, IDEAL_LABEL or NO_WIDTH_LABEL."""
    if _isnan(pw):
        return IDEAL_LABEL if algorithm == "ideal" else NO_WIDTH_LABEL
    return pulse_width_text(float(pw))


def aggregate(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per group of seeds (see the module docstring for the columns)."""
    keys = group_keys(summary)
    rows = []
    for key, grp in summary.groupby(keys, dropna=False, sort=False):
        row: dict[str, Any] = dict(zip(keys, key))
        row = {**{k: row[k] for k in BASE_KEYS[:3]},
               "pulse_width": pulse_width_label(row["pulse_width_s"], row["algorithm"]), **{k: row[k] for k in keys[3:]}}
        row["n_runs"] = len(grp)
        row["seeds"] = " ".join(str(s) for s in sorted(grp["seed"]))
        row["runs_reaching_target"] = int(grp["epochs_to_target"].notna().sum())
        row["synthetic_device"] = bool(grp["synthetic_device"].fillna(False).astype(bool).any())
        for m in METRICS:
            column = (m.derived(grp) if m.derived is not None else
                      grp[m.column] if m.column in grp else pd.Series([math.nan] * len(grp)))
            for stat, value in describe(column).items():
                row[f"{m.column}_{stat}"] = value
        rows.append(row)
    frame = pd.DataFrame(rows)
    return sort_groups(frame, summary["sweep"].drop_duplicates().tolist(), keys[4:])


def sort_groups(frame: pd.DataFrame, sweep_order: list[str], axes: list[str], then: tuple[str, ...] = ()
                ) -> pd.DataFrame:
    """Sweeps in the order given, `ideal` first, then pulse width, algorithm, other axes, `then`."""
    order = frame.assign(
        _s=frame["sweep"].map({s: k for k, s in enumerate(sweep_order)}),
        _pw=frame["pulse_width_s"].astype(float).fillna(-1.0),
        _a=frame["algorithm"].map(algorithm_rank),
    )
    order = order.sort_values(["_s", "_pw", "_a", "algorithm", *axes, *then], kind="mergesort",
                              na_position="first")
    return order.drop(columns=["_s", "_pw", "_a"]).reset_index(drop=True)


def algorithm_rank(name: str) -> int:
    """Position in ALGORITHM_ORDER (ideal first); unknown names after, alphabetically."""
    return ALGORITHM_ORDER.index(name) if name in ALGORITHM_ORDER else len(ALGORITHM_ORDER)


def epoch_curves(sweeps, summary: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy and cumulative energy per epoch, mean/std/n over the seeds of each group."""
    keys = group_keys(summary)
    frames = []
    for s in sweeps:
        if s.epochs.empty:
            continue
        ep = s.epochs.copy()
        ep.insert(0, "sweep", s.label)
        frames.append(ep)
    epochs = pd.concat(frames, ignore_index=True)
    merged = epochs.merge(summary[["sweep", "run_id", *keys[1:]]], on=["sweep", "run_id"], how="inner")
    rows = []
    for key, grp in merged.groupby([*keys, "epoch"], dropna=False, sort=False):
        row = dict(zip([*keys, "epoch"], key))
        acc = describe(grp["test_accuracy"])
        row.update({"pulse_width": pulse_width_label(row["pulse_width_s"], row["algorithm"]),
                    "test_accuracy_mean": acc["mean"], "test_accuracy_std": acc["std"], "n": acc["n"],
                    "cumulative_energy_J_mean": describe(grp["cumulative_energy_J"])["mean"]})
        rows.append(row)
    frame = pd.DataFrame(rows)
    return sort_groups(frame, summary["sweep"].drop_duplicates().tolist(), keys[4:], then=("epoch",))


def variants(frame: pd.DataFrame, axes: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The compared settings: one per sweep and value of any other swept key, as (label, filter)."""
    cols = ["sweep", *axes]
    several_sweeps = frame["sweep"].nunique() > 1
    out = []
    for key, _ in frame.groupby(cols, dropna=False, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        values = dict(zip(cols, key))
        parts = [str(values["sweep"])] if several_sweeps else []
        parts += [f"{a}={values[a]}" for a in axes if not _isnan(values[a])]
        out.append((", ".join(parts), values))
    return out


def select(frame: pd.DataFrame, values: dict[str, Any]) -> pd.DataFrame:
    """Rows of `frame` matching a variant's filter (NaN matches NaN)."""
    mask = pd.Series(True, index=frame.index)
    for col, value in values.items():
        if col not in frame.columns:
            continue
        if _isnan(value):
            mask &= frame[col].isna()
        else:
            mask &= frame[col] == value
    return frame[mask]


def _isnan(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def pareto_mask(cost: Any, value: Any) -> np.ndarray:
    """True for the points no other point beats: lower or equal cost with higher or equal value
    (and better in one). Points with a missing coordinate are never on the front."""
    x = np.asarray(cost, dtype=float)
    y = np.asarray(value, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    mask = np.zeros(len(x), dtype=bool)
    for i in np.nonzero(ok)[0]:
        better = ok & (x <= x[i]) & (y >= y[i]) & ((x < x[i]) | (y > y[i]))
        mask[i] = not better.any()
    return mask


def energy_models(summary: pd.DataFrame) -> dict[str, str]:
    """{'central': ..., 'upper': ...}: the energy models of the device runs, as their summaries name
    them ("several" when runs differ; "not recorded" for summaries of earlier ferrosim)."""
    dev = summary[summary["algorithm"] != "ideal"]

    def one(col: str) -> str:
        if col not in dev:
            return "not recorded (runs of an earlier ferrosim: capacitive + read conduction)"
        names = sorted({str(v) for v in dev[col].dropna() if str(v)})
        return names[0] if len(names) == 1 else ("; ".join(names) if names else "unknown")

    return {"central": one("energy_model"), "upper": one("energy_upper_model")}


def pulse_widths(frame: pd.DataFrame) -> list[float]:
    """Every pulse width in the report, sorted (the index fixes its colour in every figure)."""
    return sorted({float(p) for p in frame["pulse_width_s"].dropna()})


__all__ = ["IDEAL_LABEL", "METRICS", "NO_WIDTH_LABEL", "Metric", "STATS", "aggregate", "algorithm_rank", "axis_columns",
           "combined_summary", "describe", "energy_models", "epoch_curves", "group_keys", "pareto_mask", "pulse_width_label",
           "pulse_width_shown",
           "pulse_widths", "select", "shortest_width_standing", "sort_groups", "variants"]
