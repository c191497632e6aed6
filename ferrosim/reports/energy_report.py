"""`ferrosim energy`: finished sweeps re-priced under other energy models, without retraining.

This module reads the sweep folders and writes the command's files; the pricing itself (models,
claims, scans) is the energy package's engine, `ferrosim.energy.reprice`.

Outputs (in `<results>/energy/` unless told otherwise):
- `energy_by_run.csv`: one row per run and model, the summary's energy columns;
- `energy_by_pulse_width.csv`: mean and std over seeds per model, algorithm and pulse width;
- `energy.md`: one table per model and, per model, whether the paper's energy claims hold;
- with a scan, `scan_<key>.csv` and `figures/scan_<key>.png|svg`: energy vs pulse width across
  the scanned values, and the value at which the shortest width becomes the cheapest (for a
  categorical scan, e.g. `energy.digital.node=45nm_fp32,7nm_int8`, at which values it is).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ferrosim.config import DeviceConfig, apply_overrides
from ferrosim.energy.model import EnergyConfig
from ferrosim.energy.reprice import (METRICS, PricedRun, Repricing, Scan, check_overrides, crossing_points,
                                     parse_scan, reprice_runs, shortest_ratios, shown, validated)
from ferrosim.errors import InputError
from ferrosim.io.atomic import write_figure
from ferrosim.reports.collect import distinct_runs, load_sweeps
from ferrosim.reports.formatting import format_si
from ferrosim.sweeps.outputs import atomic_write, epoch_counts
from ferrosim.units import format_pulse_width

# -- reading the runs ---------------------------------------------------------------------------

def load_runs(folders: list[Path]) -> tuple[list[PricedRun], EnergyConfig | dict]:
    """`_load_runs` without the count of repeated runs."""
    return _load_runs(folders)[:2]


def _load_runs(folders: list[Path]) -> tuple[list[PricedRun], dict, int]:
    """The device runs of every folder, each once (a run found in several folders is one run:
    `ferrosim.reports.collect.distinct_runs`), and the `energy:` section the (first) sweep was
    run with. A run without a pulse width (a device given by its response, no device file) is
    priced at pulse width NaN, shown as "-"."""
    sweeps = load_sweeps(folders)
    raw_energy: dict = {}
    for s in sweeps:
        config = s.meta.get("config") if isinstance(s.meta.get("config"), dict) else {}
        if not raw_energy and isinstance(config.get("energy"), dict):
            raw_energy = config["energy"]
    pooled, repeats = distinct_runs(sweeps)
    epochs = {(id(s), rid): g for s in sweeps for rid, g in s.epochs.groupby("run_id", sort=False)}
    runs: list[PricedRun] = []
    for s, row in pooled:
        if row.algorithm == "ideal":
            continue
        cfg = s.configs.get(row.run_id, {})
        try:
            device = DeviceConfig.model_validate(cfg.get("device", {}))
        except ValidationError as exc:
            raise InputError(f"{s.folder}/runs/{row.run_id}/run.json: device section unreadable "
                             f"({' '.join(str(exc).split())[:120]})") from None
        ep = epochs[(id(s), row.run_id)]
        info = s.infos.get(row.run_id, {})
        batch = int(cfg.get("training", {}).get("batch_size", 1))
        counts = epoch_counts(ep, info, batch)
        e2t = row.epochs_to_target
        width = row.pulse_width_s
        runs.append(PricedRun(
            run_id=row.run_id, sweep=s.label, algorithm=row.algorithm,
            pulse_width_s=math.nan if width is None or pd.isna(width) else float(width),
            seed=row.seed, device_name=str(device.name or device.response.model), device=device,
            counts=counts,
            epochs_to_target=None if e2t is None or pd.isna(e2t) else int(e2t),
            n_updates=math.ceil(int(info.get("n_train", 0)) / batch) * len(ep),
            final_accuracy=float(row.final_accuracy),
        ))
    if not runs:
        raise InputError(f"{', '.join(str(f) for f in folders)}: no device runs to price (only `ideal`)")
    return runs, raw_energy, sum(row.algorithm != "ideal" for _, row in repeats)


def energy_config(raw: dict, overrides: list[str]) -> EnergyConfig:
    """The sweep's `energy:` section with `--set energy.K=V` applied, validated."""
    check_overrides(overrides)
    raw = dict(raw or {})
    if isinstance(raw.get("digital"), bool) and any(o.strip().startswith("energy.digital.") for o in overrides):
        raw["digital"] = {"enabled": raw["digital"]}  # `digital: true` is the section {enabled: true}
    data = apply_overrides({"energy": raw}, overrides)["energy"]
    return validated(data, "--set")



def reprice(folders: list[Path], overrides: list[str], scan: str | None = None) -> Repricing:
    """Everything `ferrosim energy` computes, checked before anything is written."""
    check_overrides(overrides)  # the command line first: its errors need no sweep read
    scan_spec = parse_scan(scan) if scan else None
    runs, raw, repeats = _load_runs(folders)
    result = reprice_runs(runs, energy_config(raw, overrides), scan_spec)
    if repeats:
        result.notes.append(f"{repeats} run{'s' * (repeats > 1)} found in more than one folder (same run id: "
                            "same settings, same results) counted once, not as more seeds")
    return result


# -- the files ----------------------------------------------------------------------------------

_METRIC_NAMES = {"energy_per_pulse_J": "energy per pulse", "energy_per_update_J": "energy per update",
                 "total_energy_J": "total update energy", "energy_to_target_J": "energy to target"}


def write_repricing(r: Repricing, out: Path) -> list[Path]:
    """Write every file (tables first, the figure last); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "energy_by_run.csv", out / "energy_by_pulse_width.csv", out / "energy.md"]
    atomic_write(paths[0], r.by_run.to_csv(index=False, float_format="%.10g"))
    atomic_write(paths[1], r.by_width.to_csv(index=False, float_format="%.10g"))
    atomic_write(paths[2], markdown(r))
    if r.scan is not None:
        slug = r.scan.key.replace(".", "_")
        paths.append(out / f"scan_{slug}.csv")
        atomic_write(paths[-1], r.scan.table.to_csv(index=False, float_format="%.10g"))
        paths += scan_figure(r.scan, out / "figures" / f"scan_{slug}")
    return paths


def markdown(r: Repricing) -> str:
    lines = ["# Update energy under each energy model", "",
             f"{len(r.runs)} device runs re-priced from their pulse counts (no training). Every joule "
             "below names the model that made it; docs/physics.md gives each term's formula, "
             "parameters and sources. Mean over seeds; `lower` is capacitive + conduction at the read "
             "conductance (or, where the device has a measured I-V sweep, that sweep with its conductance "
             "held above its highest voltage) without switching, `upper` the most conductive configured "
             "model with switching; `beyond measured I-V`: the share of the pulse energy priced from "
             "conduction above the sweep's highest voltage (an extrapolation).",
             "", "Settings: `" + r.base.model_dump_json(exclude_defaults=True) + "` (all else default).", ""]
    lines += [f"Note: {n}." for n in r.notes] + ([""] if r.notes else [])
    if any(run.device.synthetic for run in r.runs):
        lines += ["**SYNTHETIC device data**: these energies describe no real device.", ""]
    lines += ["## Do shorter pulses cost less? (shortest width vs every other width)", "",
              "| model | algorithm | " + " | ".join(_METRIC_NAMES[m] for m in METRICS) + " |",
              "|---|---|" + "---|" * len(METRICS)]
    for row in r.claims.itertuples(index=False):
        lines.append(f"| {row.model} | {row.algorithm} | " + " | ".join(getattr(row, m) for m in METRICS) + " |")
    lines.append("")
    if any(math.isnan(run.pulse_width_s) for run in r.runs):
        lines += [NO_WIDTH_NOTE + ".", ""]
    for m in r.models:
        sub = r.by_width[r.by_width["model"] == m.label]
        lines += [f"## {m.label}", "",
                  "| algorithm | pulse width | energy per pulse | energy per update | total (lower .. upper) "
                  "| energy to target (reached) | digital | beyond measured I-V |", "|---|---|---|---|---|---|---|---|"]
        for row in sub.itertuples(index=False):
            pulse = getattr(row, "pulse_energy_J_mean", float("nan"))
            beyond = getattr(row, "energy_conduction_extrapolated_J_mean", float("nan"))
            share = f"{beyond / pulse:.0%}" if pulse and pulse > 0 and beyond == beyond else "-"
            lines.append(
                f"| {row.algorithm} | {_width(row.pulse_width_s)} | {format_si(row.energy_per_pulse_J_mean, 'J')} "
                f"| {format_si(row.energy_per_update_J_mean, 'J')} | {format_si(row.total_energy_J_mean, 'J')} "
                f"({format_si(row.total_energy_lower_J_mean, 'J')} .. {format_si(row.total_energy_upper_J_mean, 'J')}) "
                f"| {format_si(row.energy_to_target_J_mean, 'J')} ({row.reached}/{row.n}) "
                f"| {_digital_cell(row)} | {share} |")
        lines.append("")
    if r.scan is not None:
        lines += [f"## Scan of {r.scan.key}", "",
                  f"Values: {', '.join(shown(v) for v in r.scan.values)}. Figure: "
                  f"`figures/scan_{r.scan.key.replace('.', '_')}.png`.", ""]
        for (alg, metric, _), sentence in sorted(r.scan.crossover.items()):
            lines.append(f"- {alg}, {_METRIC_NAMES[metric]}: {sentence}.")
        lines.append("")
    return "\n".join(lines)


NO_WIDTH_NOTE = ("Runs without a pulse width (pulse width \"-\": a device given by its response, not a device "
                 "file at a pulse width) are priced as they are; comparing pulse widths needs two or more")


def _width(seconds: float) -> str:
    """A pulse width as the tables show it; "-" for a run without one."""
    return "-" if seconds is None or math.isnan(seconds) else format_pulse_width(seconds)


def _digital_cell(row) -> str:
    """The digital energy; where it is not zero, split into the gradient products and the
    accumulator's read-add-writes."""
    total = row.energy_digital_J_mean
    products = getattr(row, "energy_digital_products_J_mean", float("nan"))
    accumulator = getattr(row, "energy_digital_accumulator_J_mean", float("nan"))
    if not (total and total > 0) or products != products or accumulator != accumulator:
        return format_si(total, "J")
    return (f"{format_si(total, 'J')} (products {format_si(products, 'J')}, "
            f"accumulator {format_si(accumulator, 'J')})")


def scan_figure(scan: Scan, stem: Path) -> list[Path]:
    """Per algorithm (rows): energy per pulse, total energy and energy to target vs pulse width,
    one line per scanned value; the last panel the margin of the shortest width with the
    crossover marked (for a categorical scan, one point per category on a categorical axis)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import cm, colors

    table = scan.table
    algorithms = sorted(table["algorithm"].unique())
    metrics = ("energy_per_pulse_J", "total_energy_J", "energy_to_target_J")
    fig, axes = plt.subplots(len(algorithms), 4, figsize=(18, 4.2 * len(algorithms)), squeeze=False,
                             layout="constrained")
    categorical = scan.categorical
    values = np.arange(len(scan.values)) if categorical else np.asarray(scan.values)
    log = scan.log and not categorical
    norm = (colors.LogNorm if log else colors.Normalize)(vmin=values.min(), vmax=values.max())
    cmap = cm.viridis
    palette = {v: (cm.tab10(k % 10) if categorical else cmap(norm(v))) for k, v in enumerate(scan.values)}
    for i, alg in enumerate(algorithms):
        grp = table[table["algorithm"] == alg]
        widths = sorted(grp["pulse_width_s"].unique())
        for j, m in enumerate(metrics):
            ax = axes[i, j]
            drawn = False
            for v in scan.values:
                at = grp[grp["value"] == v].sort_values("pulse_width_s")
                y = at[f"{m}_mean"].where(at["reached"] == at["n"]) if m == "energy_to_target_J" else at[f"{m}_mean"]
                ax.plot(at["pulse_width_s"], y, "-o", ms=3, lw=1, color=palette[v], label=shown(v))
                drawn = drawn or bool((y > 0).any())
            ax.set_xscale("log")
            if drawn:
                ax.set_yscale("log")
            else:
                ax.set_axis_off()
                ax.text(0.5, 0.5, "no figure: the target was not reached\nby every seed at any width"
                        if m == "energy_to_target_J" else "no figure", ha="center", va="center",
                        transform=ax.transAxes, fontsize=10)
            ax.set_xlabel("pulse width (s)", fontsize=10)
            ax.set_ylabel(f"{_METRIC_NAMES[m]} (J)", fontsize=10)
            ax.set_title(f"{alg}\n{_METRIC_NAMES[m]}", fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
        ax = axes[i, 3]
        colours = dict(zip(metrics, ("#000000", "#0072B2", "#009E73")))
        for m in metrics:
            ratios = [shortest_ratios(grp, m, v) for v in scan.values]
            for comp, style in (("all", "-"), ("longest", "--")):
                y = np.array([r[comp] for r in ratios], dtype=float)
                if np.isfinite(y).any():  # categories: points only, nothing lies between two of them
                    ax.plot(values, y, ("o" if comp == "all" else "s") if categorical else style, color=colours[m],
                            lw=1.4, mfc="none" if comp == "longest" else colours[m],
                            label=f"{_METRIC_NAMES[m]}, vs {'cheapest other' if comp == 'all' else 'longest'}")
                margin = [1.0 / r[comp] - 1.0 if np.isfinite(r[comp]) and r[comp] > 0 else np.nan for r in ratios]
                for at, _ in ([] if categorical else crossing_points(scan.values, margin, scan.log)):
                    ax.axvline(at, color=colours[m], lw=1, ls=":")
                    ax.annotate(f"{at:.3g}", (at, 1.0), textcoords="offset points", xytext=(3, 6 + 10 * (comp == "all")),
                                fontsize=9, color=colours[m])
        ax.axhline(1.0, color="#D55E00", lw=1)
        if log:
            ax.set_xscale("log")
        if categorical:
            ax.set_xticks(values, [shown(v) for v in scan.values], rotation=20, fontsize=9)
            ax.set_xlim(-0.5, len(values) - 0.5)
        ax.set_yscale("log")
        ax.set_xlabel(scan.key, fontsize=10)
        ax.set_ylabel(f"E({_width(widths[0])}) / E(other width)", fontsize=10)
        ax.set_title(f"{alg}\nbelow the red line the shortest width is cheaper", fontsize=10)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    if categorical:  # the line colours of the first three panels name the categories
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, title=scan.key, loc="outside right upper", fontsize=9)
    else:
        sm = cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=axes[:, 3].tolist(), label=scan.key, shrink=0.8, location="right")
    fig.suptitle(f"Update energy vs pulse width across {scan.key} (re-priced, mean over seeds)", fontsize=12)
    stem.parent.mkdir(parents=True, exist_ok=True)
    try:
        return [write_figure(fig, stem.with_suffix(f".{ext}"), dpi=110) for ext in ("png", "svg")]
    finally:
        plt.close(fig)


def terminal_lines(r: Repricing) -> list[str]:
    out = [f"note: {n}" for n in r.notes]
    for row in r.claims.itertuples(index=False):
        out.append(f"{row.model} | {row.algorithm}: shortest width cheapest per pulse: {row.energy_per_pulse_J}; "
                   f"total: {row.total_energy_J}; to target: {row.energy_to_target_J}")
    if r.scan is not None:
        for (alg, metric, _), sentence in sorted(r.scan.crossover.items()):
            out.append(f"scan {alg}, {_METRIC_NAMES[metric]}: {sentence}")
    if any(math.isnan(run.pulse_width_s) for run in r.runs):
        out.append(f"note: {NO_WIDTH_NOTE[0].lower()}{NO_WIDTH_NOTE[1:]}")
    return out


__all__ = ["energy_config", "load_runs", "markdown", "reprice", "scan_figure", "terminal_lines", "write_repricing"]
