"""`ferrosim energy`: finished sweeps re-priced under other energy models, without retraining.

This module reads the sweep folders and writes the command's files; the pricing itself (models,
claims, scans) is the energy package's engine, `ferrosim.energy.reprice`.

Outputs (in `<results>/energy/` unless told otherwise):
- `energy_by_run.csv`: one row per run and model, the summary's energy columns;
- `energy_by_pulse_width.csv`: mean and std over seeds per model, algorithm and pulse width;
- `energy.md`: one table per model and, per model, whether the paper's energy claims hold;
- `figures/energy_split.png|svg`: pulse and digital energy apart, per algorithm and pulse width;
- with a scan, `scan_<key>.csv` and `figures/scan_<key>.png|svg`: energy vs pulse width across
  the scanned values, and the value at which the shortest width becomes the cheapest (for a
  categorical scan, e.g. `energy.digital.node=45nm_fp32,7nm_int8`, at which values it is); with
  one pulse width, each energy against the scanned value and "one pulse width: no comparison".
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ferrosim.config import DeviceConfig, apply_overrides
from ferrosim.energy.claims import ONE_WIDTH
from ferrosim.energy.model import NO_AREA, EnergyConfig, is_partial
from ferrosim.energy.reprice import (METRICS, PricedRun, Repricing, Scan, check_overrides, crossing_points,
                                     parse_scan, reprice_runs, shortest_ratios, shown, validated)
from ferrosim.errors import InputError
from ferrosim.io.atomic import write_figure
from ferrosim.reports.collect import distinct_runs, load_sweeps
from ferrosim.reports.energy_note import IDEAL_DIGITAL, NO_AREA_ENERGIES, PARTIAL_ENERGIES
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
    paths += split_figure(r, out / "figures" / SPLIT_FIGURE)
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
    lines += ["## Do shorter pulses cost less? (shortest width vs every other width)", ""]
    widths = _widths_priced(r)
    if len(widths) == 1:
        lines += [f"{ONE_WIDTH[0].upper()}{ONE_WIDTH[1:]}: every run is at {_width(widths[0])}, so no width can be "
                  "cheaper than another. The energies at that width are below; sweep two or more widths to "
                  "compare them" + (", and the scan below draws each energy against the scanned setting"
                                    if r.scan is not None else "") + ".", ""]
    lines += ["| model | algorithm | " + " | ".join(_METRIC_NAMES[m] for m in METRICS) + " |",
              "|---|---|" + "---|" * len(METRICS)]
    for row in r.claims.itertuples(index=False):
        lines.append(f"| {row.model} | {row.algorithm} | " + " | ".join(getattr(row, m) for m in METRICS) + " |")
    lines.append("")
    if any(is_partial(m.label) for m in r.models):
        lines += [f"Partial estimates: {PARTIAL_ENERGIES}.", ""]
    if any(NO_AREA in m.label for m in r.models):
        lines += [f"Empty energies under `{NO_AREA}`: {NO_AREA_ENERGIES}.", ""]
    lines += ["## Pulse and digital energy apart", "",
              f"`figures/{SPLIT_FIGURE}.png` shows, per algorithm and pulse width, the pulse energy (the device) "
              "beside the digital energy (gradient products and accumulator) of the configured model, and the "
              f"digital share of their total. `ideal` (floating point, no device) is not re-priced: {IDEAL_DIGITAL}.", ""]
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
        if len(widths) == 1:
            lines.append(f"- {ONE_WIDTH}: the figure draws each energy at {_width(widths[0])} against "
                         f"{r.scan.key}.")
        lines.append("")
    return "\n".join(lines)


def _widths_priced(r: Repricing) -> list[float]:
    """The distinct pulse widths of the priced runs (runs without one left out), ascending."""
    return sorted({run.pulse_width_s for run in r.runs if not math.isnan(run.pulse_width_s)})


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
    one_width = table["pulse_width_s"].nunique() == 1
    for i, alg in enumerate(algorithms):
        grp = table[table["algorithm"] == alg]
        widths = sorted(grp["pulse_width_s"].unique())
        if one_width:  # nothing to compare: each energy against the scanned value, what there is
            _against_value(axes[i], grp, scan, values, metrics, alg, _width(widths[0]))
            continue
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
    if one_width:
        pass  # one line per panel, the scanned value on its x axis: no colour to explain
    elif categorical:  # the line colours of the first three panels name the categories
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, title=scan.key, loc="outside right upper", fontsize=9)
    else:
        sm = cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=axes[:, 3].tolist(), label=scan.key, shrink=0.8, location="right")
    fig.suptitle(f"Update energy against {scan.key} at {_width(table['pulse_width_s'].iloc[0])} ({ONE_WIDTH}; "
                 "re-priced, mean over seeds)" if one_width else
                 f"Update energy vs pulse width across {scan.key} (re-priced, mean over seeds)", fontsize=12)
    stem.parent.mkdir(parents=True, exist_ok=True)
    try:
        return [write_figure(fig, stem.with_suffix(f".{ext}"), dpi=110) for ext in ("png", "svg")]
    finally:
        plt.close(fig)


def _against_value(row, grp: pd.DataFrame, scan: Scan, x: np.ndarray, metrics: tuple, alg: str, width: str) -> None:
    """One row of the scan figure for runs at a single pulse width: each energy against the
    scanned value (categories on a categorical axis), and the comparison panel says why it is empty."""
    from ferrosim.reports.plotting import empty_panel

    for ax, m in zip(row, metrics):
        at = grp.set_index("value").reindex(scan.values)
        y = (at[f"{m}_mean"].where(at["reached"] == at["n"]) if m == "energy_to_target_J" else at[f"{m}_mean"])
        y = y.to_numpy(dtype=float)
        ok = np.isfinite(y) & (y > 0)
        ax.set_title(f"{alg} at {width}\n{_METRIC_NAMES[m]}", fontsize=10)
        if not ok.any():
            empty_panel(ax, "no figure: the target was not reached by every seed" if m == "energy_to_target_J"
                        else "no figure: no energy at any scanned value")
            continue
        ax.plot(x[ok], y[ok], "o" if scan.categorical else "-o", ms=3, lw=1.2, color="#0072B2")
        ax.set_yscale("log")
        if scan.categorical:
            ax.set_xticks(x, [shown(v) for v in scan.values], rotation=20, fontsize=9)
            ax.set_xlim(-0.5, len(x) - 0.5)
        elif scan.log:
            ax.set_xscale("log")
        ax.set_xlabel(scan.key, fontsize=10)
        ax.set_ylabel(f"{_METRIC_NAMES[m]} (J)", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    row[3].set_title(f"{alg}\nshortest width vs the others", fontsize=10)
    empty_panel(row[3], f"{ONE_WIDTH}: every run is at {width}; sweep two or more widths to compare them")


SPLIT_FIGURE = "energy_split"
"""The figure (PNG and SVG in `figures/`) that shows pulse and digital energy apart."""


def split_figure(r: Repricing, stem: Path) -> list[Path]:
    """Per algorithm and pulse width (configured model, mean over seeds): the pulse energy (the
    device) beside the digital energy (gradient products and accumulator) on a log axis, and the
    digital share of their total, so a total dominated by digital work is not read as the
    device's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ferrosim.reports.plotting import empty_panel

    sub = r.by_width[r.by_width["model"] == r.models[0].label].sort_values(["algorithm", "pulse_width_s"])
    labels = [f"{row.algorithm}\n{_width(row.pulse_width_s)}" for row in sub.itertuples(index=False)]
    pulse = sub["pulse_energy_J_mean"].to_numpy(dtype=float)
    digital = sub["energy_digital_J_mean"].fillna(0.0).to_numpy(dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(max(8.0, 1.0 + 1.1 * len(labels)) * 1.6, 4.6), layout="constrained")
    x = np.arange(len(labels))
    ax = axes[0]
    if not np.isfinite(pulse).any():
        empty_panel(ax, f"no pulse energy under {r.models[0].label}: every run's energy is empty")
        empty_panel(axes[1], "no share without a pulse energy")
    else:
        p = np.nan_to_num(pulse)
        for shift, y, colour, name in ((-0.2, p, "#0072B2", "pulses (device)"),
                                       (0.2, digital, "#E69F00", "digital (products + accumulator)")):
            ok = y > 0  # a log axis: a zero bar is left out (the share panel shows it as 0%)
            ax.bar(x[ok] + shift, y[ok], width=0.4, color=colour, label=name)
        ax.set_yscale("log")
        ax.set_xticks(x, labels, fontsize=8, rotation=30 if len(labels) > 6 else 0)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_ylabel("energy over the training (J, mean over seeds)", fontsize=10)
        ax.set_title("pulse and digital energy side by side (log scale)", fontsize=10)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        total = p + digital
        share = np.divide(digital, total, out=np.full_like(total, np.nan), where=total > 0)
        ok = np.isfinite(share)
        axes[1].bar(x[ok], 100 * share[ok], color="#E69F00")
        for xi, s in zip(x[ok], share[ok]):
            axes[1].annotate(f"{100 * s:.4g}%", (xi, 100 * s), xytext=(0, 2), textcoords="offset points",
                             ha="center", fontsize=8)
        axes[1].set_xticks(x, labels, fontsize=8, rotation=30 if len(labels) > 6 else 0)
        axes[1].set_ylim(0, 108)
        axes[1].set_xlim(-0.6, len(labels) - 0.4)
        axes[1].set_ylabel("digital share of the total (%)", fontsize=10)
        axes[1].set_title("how much of the total is digital work", fontsize=10)
        axes[1].grid(True, axis="y", alpha=0.3)
    import textwrap

    fig.suptitle(textwrap.fill(f"Pulse vs digital energy per algorithm and pulse width ({r.models[0].label}); "
                               "ideal (floating point, no device) is not shown: its digital weight update is "
                               "not priced", 130), fontsize=10)
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
    widths = _widths_priced(r)
    if len(widths) == 1:
        out.append(f"note: {ONE_WIDTH}: every run is at {_width(widths[0])}"
                   + (f"; the scan figure draws each energy against {r.scan.key}" if r.scan is not None else ""))
    if any(NO_AREA in m.label for m in r.models):
        out.append(f"note: {NO_AREA_ENERGIES}")
    return out


__all__ = ["SPLIT_FIGURE", "energy_config", "load_runs", "markdown", "reprice", "scan_figure", "split_figure",
           "terminal_lines", "write_repricing"]
