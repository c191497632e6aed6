"""The report's figures (matplotlib, no display needed): PNG at 150 dpi plus SVG.

1. `accuracy_vs_epoch`: test accuracy per epoch, a panel per algorithm, a line per pulse width
   (mean over seeds, band mean +- std), `ideal` as a black dashed reference, the target dotted.
2. `vs_pulse_width`: energy per pulse, epochs to target and total update energy vs pulse width
   (log x), a line per algorithm.
3. `accuracy_vs_energy`: final accuracy vs total update energy and vs energy to target, the
   trade-off front with its Pareto-optimal settings ringed.
4. `device_responses`: the fitted responses the runs trained on (mean step vs state, and the
   noise-free response to a train of up then down pulses), a colour per pulse width.

Several compared settings (sweep folders, or values of another swept key) get a row each; when
only some sweeps are synthetic, their rows say so (and the title names them). A panel without
energies says why (`energy_note`), and the target note follows the tables' `reached` column.
Figures are built with `matplotlib.figure.Figure` (no pyplot state, no GUI backend).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ferrosim.reports.aggregate import IDEAL_LABEL, algorithm_rank, pareto_mask, select
from ferrosim.energy.claims import ONE_WIDTH
from ferrosim.reports.energy_note import no_energy_text
from ferrosim.reports.style import IDEAL_COLOR, NEUTRAL, PulseWidthStyle, algorithm_style
from ferrosim.reports.plotting import (DPI, SYNTHETIC_TAG, FigureFile, empty_panel, new_figure, percent_axis,
                                      save_figure, suptitle)
from ferrosim.reports.tables import reached_target

@dataclass
class FigureInputs:
    """What the figures are drawn from (see `ferrosim.reports.build`)."""

    agg: pd.DataFrame  # aggregate(): one row per group of seeds
    curves: pd.DataFrame  # epoch_curves(): one row per group and epoch
    variants: list[tuple[str, dict[str, Any]]]  # compared settings: (label, filter)
    style: PulseWidthStyle
    devices: list  # collect.DeviceUsed of every sweep, with the sweep label: (label, DeviceUsed)
    targets: dict[str, float | None]  # sweep label -> training.target_accuracy
    max_epochs: dict[str, int]  # sweep label -> training.epochs (largest)
    synthetic: bool
    energy_models: dict[str, str] = field(default_factory=lambda: {"central": "unknown", "upper": "unknown"})
    """The energy models of the runs (`aggregate.energy_models`): every joule axis names them."""
    synthetic_sweeps: list[str] | None = None
    """Labels of the sweeps with synthetic inputs (None: every sweep when `synthetic`)."""
    summary: pd.DataFrame | None = None
    """Every complete run (for the population figure: runs on several devices with fit columns)."""

    def synthetic_sweep(self, sweep: str) -> bool:
        return self.synthetic if self.synthetic_sweeps is None else sweep in self.synthetic_sweeps

    @property
    def synthetic_mixed(self) -> bool:
        """Some sweeps of the report are synthetic and some are not: each row is flagged apart."""
        flags = {self.synthetic_sweep(str(v["sweep"])) for _, v in self.variants}
        return flags == {True, False}

    def row_label(self, label: str, values: dict[str, Any]) -> str:
        """A compared setting's row label, flagged when its sweep alone is synthetic."""
        if self.synthetic_mixed and self.synthetic_sweep(str(values["sweep"])):
            return f"{label} ({SYNTHETIC_TAG})"
        return label

    def title_tag(self) -> str | None:
        """The synthetic flag of a figure's title: every input, or the sweeps named."""
        if not self.synthetic:
            return None
        if not self.synthetic_mixed:
            return SYNTHETIC_TAG
        flagged = [str(v["sweep"]) for _, v in self.variants if self.synthetic_sweep(str(v["sweep"]))]
        return f"{SYNTHETIC_TAG} in {', '.join(dict.fromkeys(flagged))} only"


def _device_algorithms(frame: pd.DataFrame) -> list[str]:
    names = [a for a in frame["algorithm"].dropna().unique() if a != "ideal"]
    return sorted(names, key=lambda a: (algorithm_rank(a), a))


def _panel_title(ax, title: str, row_label: str) -> None:
    """Panel title, preceded by the compared setting's label when there are several rows (in red
    when that label carries the synthetic flag)."""
    ax.set_title(f"{row_label}\n{title}" if row_label else title, fontsize=10 if not row_label else 9,
                 color="#B00020" if SYNTHETIC_TAG in row_label else "black")


def _sweep_of(values: dict[str, Any]) -> str:
    return str(values["sweep"])


# -- 1. accuracy vs epoch ------------------------------------------------------------------------
def accuracy_vs_epoch(data: FigureInputs, folder: Path) -> FigureFile:
    algorithms = _device_algorithms(data.curves) or ["ideal"]
    rows = len(data.variants)
    fig, axes = new_figure(rows, len(algorithms), 3.4, 2.8)
    handles: dict[str, Any] = {}
    for r, (vlabel, values) in enumerate(data.variants):
        vlabel = data.row_label(vlabel, values)
        curves = select(data.curves, values)
        ideal = curves[curves["algorithm"] == "ideal"]
        target = data.targets.get(_sweep_of(values))
        for c, algorithm in enumerate(algorithms):
            ax = axes[r, c]
            sub = curves[curves["algorithm"] == algorithm] if algorithm != "ideal" else curves.iloc[0:0]
            widths = sub["pulse_width_s"].astype(float)
            for pw in [*data.style.pulse_widths, math.nan]:  # NaN: a device without a pulse width
                line = sub[widths.isna()] if math.isnan(pw) else sub[np.isclose(widths, pw, rtol=1e-9, atol=0)]
                if line.empty:
                    continue
                color = data.style.color(pw)
                x, m, s = line["epoch"], line["test_accuracy_mean"], line["test_accuracy_std"].fillna(0.0)
                (h,) = ax.plot(x, m, color=color, ls=data.style.linestyle(pw), lw=1.6, marker="o", ms=3)
                ax.fill_between(x, m - s, m + s, color=color, alpha=0.18, lw=0)
                handles.setdefault(data.style.label(pw), h)
            if not ideal.empty:
                x, m, s = ideal["epoch"], ideal["test_accuracy_mean"], ideal["test_accuracy_std"].fillna(0.0)
                (h,) = ax.plot(x, m, color=IDEAL_COLOR, ls="--", lw=1.3)
                ax.fill_between(x, m - s, m + s, color=IDEAL_COLOR, alpha=0.08, lw=0)
                handles.setdefault(IDEAL_LABEL, h)
            if target is not None:
                h = ax.axhline(target, color="#7F7F7F", ls=":", lw=1)
                handles.setdefault(f"target {target:.0%}", h)
            if sub.empty and algorithm != "ideal":
                ax.text(0.5, 0.5, "no runs", transform=ax.transAxes, ha="center", va="center", color="#7F7F7F")
            ax.set_ylim(0, 1.02)
            percent_axis(ax)
            ax.grid(alpha=0.3)
            _panel_title(ax, algorithm, vlabel)
            ax.set_xlabel("epoch")
            if c == 0:
                ax.set_ylabel("test accuracy")
            ax.xaxis.get_major_locator().set_params(integer=True)
    fig.legend(list(handles.values()), list(handles.keys()), loc="outside right center", fontsize=8,
               title="pulse width", title_fontsize=8, frameon=False)
    suptitle(fig, "Test accuracy vs epoch (mean over seeds, band ± std)", data.title_tag())
    caption = ("Test accuracy after each epoch: one panel per algorithm, one line per pulse width "
               "(mean over seeds; the band is ± one standard deviation). Black dashed: `ideal`, "
               "floating-point training without a device. Dotted: the target accuracy.")
    return save_figure(fig, folder, "accuracy_vs_epoch", "Test accuracy vs epoch", caption)


# -- 2. energy per pulse, epochs to target and total energy vs pulse width --------------------
def vs_pulse_width(data: FigureInputs, folder: Path) -> FigureFile:
    from matplotlib.lines import Line2D

    rows = len(data.variants)
    fig, axes = new_figure(rows, 4, 3.1, 2.8)
    algorithms = _device_algorithms(data.agg)
    legend: dict[str, Any] = {}
    for r, (vlabel, values) in enumerate(data.variants):
        vlabel = data.row_label(vlabel, values)
        agg = select(data.agg, values)
        dev = agg[(agg["algorithm"] != "ideal") & agg["pulse_width_s"].notna()]  # no pulse width: no place here
        ideal = agg[agg["algorithm"] == "ideal"]
        empty: set[int] = set()  # panels without energies: their reason, no pulse-width axis
        max_epochs = data.max_epochs.get(_sweep_of(values))
        target = data.targets.get(_sweep_of(values))
        # (c) energy per pulse: a property of the device at each width
        ax = axes[r, 2]
        energies: list[float] = []
        for device, grp in dev.groupby("device", dropna=False, sort=True):
            per = grp.groupby("pulse_width_s", sort=True)["energy_per_pulse_J_mean"].mean().dropna()
            if per.empty:
                continue
            energies.extend(per.values)
            _band(ax, grp.groupby("pulse_width_s", sort=True)[["energy_per_pulse_lower_J_mean",
                                                               "energy_per_pulse_upper_J_mean"]].mean(), energies)
            ax.plot(per.index, per.values, color=NEUTRAL, lw=1, zorder=1,
                    label=None if dev["device"].nunique() < 2 else str(device))
            ax.scatter(per.index, per.values, c=[data.style.color(p) for p in per.index], s=40, zorder=2,
                       edgecolors="black", linewidths=0.5)
        _log_axis(ax, "y", energies)
        ax.set_ylabel("energy per pulse (J)")
        _panel_title(ax, "energy per pulse (band: lower..upper)", vlabel)
        if not energies and not dev.empty:
            empty_panel(ax, no_energy_text(data.energy_models["central"]))
            empty.add(2)
        # (a) final accuracy, (b) epochs to target, (d) total update energy: a line per algorithm
        band_values: list[float] = []
        for col, metric, title in ((0, "final_accuracy", "final test accuracy"),
                                   (1, "epochs_to_target", "epochs to target"),
                                   (3, "total_energy_J", "total update energy (band: lower..upper)")):
            ax = axes[r, col]
            for algorithm in algorithms:
                grp = dev[dev["algorithm"] == algorithm].sort_values("pulse_width_s")
                marker, ls = algorithm_style(algorithm, algorithms)
                x = grp["pulse_width_s"].astype(float).to_numpy()
                y = grp[f"{metric}_mean"].to_numpy(dtype=float)
                e = grp[f"{metric}_std"].fillna(0.0).to_numpy(dtype=float)
                ok = np.isfinite(y)
                ax.plot(x[ok], y[ok], color=NEUTRAL, ls=ls, lw=1.2, zorder=1)
                if metric == "total_energy_J":  # the lower .. upper energy estimates as a band
                    _band(ax, grp.set_index("pulse_width_s")[["total_energy_lower_J_mean",
                                                              "total_energy_upper_J_mean"]], band_values)
                ax.errorbar(x[ok], y[ok], yerr=e[ok], fmt="none", ecolor=NEUTRAL, elinewidth=0.8, capsize=2,
                            zorder=1)
                ax.scatter(x[ok], y[ok], marker=marker, s=42, c=[data.style.color(p) for p in x[ok]],
                           edgecolors="black", linewidths=0.6, zorder=3)
                legend.setdefault(algorithm, Line2D([], [], color=NEUTRAL, ls=ls, marker=marker, mfc="white",
                                                    mec="black"))
                if metric == "epochs_to_target":
                    reached = grp["runs_reaching_target"].to_numpy()
                    n = grp["n_runs"].to_numpy()
                    for xi, yi, k, nn in zip(x, y, reached, n):
                        if 0 < k < nn and np.isfinite(yi):
                            ax.annotate(f"{k}/{nn}", (xi, yi), xytext=(4, 3), textcoords="offset points",
                                        fontsize=7)
                    never = ~ok
                    if never.any() and max_epochs:
                        shift = 1.0 + 0.12 * (algorithms.index(algorithm) - (len(algorithms) - 1) / 2)
                        ax.scatter(x[never] * shift, np.full(never.sum(), max_epochs + 1), marker=marker, s=42,
                                   facecolors="none", edgecolors=[data.style.color(p) for p in x[never]],
                                   linewidths=1.2, zorder=3)
            if metric == "epochs_to_target":
                if max_epochs:
                    ax.axhline(max_epochs + 1, color="#7F7F7F", ls=":", lw=1)
                    ax.annotate(f"hollow: not reached in {max_epochs} epochs", (0.02, max_epochs + 1),
                                xycoords=("axes fraction", "data"), xytext=(0, -5), textcoords="offset points",
                                fontsize=7, color="#555555", va="top")
                    ax.set_ylim(0, max_epochs + 1.8)
                if not ideal.empty and np.isfinite(ideal["epochs_to_target_mean"].iloc[0]):
                    h = ax.axhline(ideal["epochs_to_target_mean"].iloc[0], color=IDEAL_COLOR, ls="--", lw=1)
                    legend.setdefault(IDEAL_LABEL, h)
                ax.yaxis.get_major_locator().set_params(integer=True)
                ax.set_ylabel("epochs")
            elif metric == "final_accuracy":
                if not ideal.empty and np.isfinite(ideal["final_accuracy_mean"].iloc[0]):
                    h = ax.axhline(ideal["final_accuracy_mean"].iloc[0], color=IDEAL_COLOR, ls="--", lw=1)
                    legend.setdefault(IDEAL_LABEL, h)
                if target is not None:
                    h = ax.axhline(target, color="#7F7F7F", ls=":", lw=1)
                    legend.setdefault(f"target {target:.0%}", h)
                ax.set_ylim(0, 1.02)
                percent_axis(ax)
                ax.set_ylabel("test accuracy after the last epoch")
            else:
                _log_axis(ax, "y", [*dev[f"{metric}_mean"], *band_values])
                ax.set_ylabel("energy (J)")
                if not np.isfinite(dev[f"{metric}_mean"].to_numpy(dtype=float)).any() and not dev.empty:
                    empty_panel(ax, no_energy_text(data.energy_models["central"]))
                    empty.add(col)
            _panel_title(ax, title, vlabel)
        for c, ax in enumerate(axes[r]):
            if c not in empty:
                _pulse_width_axis(ax, data.style)
    legend.update({data.style.label(p): Line2D([], [], ls="none", marker="o", mfc=data.style.color(p), mec="black")
                   for p in data.style.pulse_widths})
    fig.legend(list(legend.values()), list(legend.keys()), loc="outside right center", fontsize=8, frameon=False)
    one = len(data.style.pulse_widths) == 1
    suptitle(fig, "Accuracy, convergence and energy vs pulse width (mean ± std over seeds)"
             + (f"; {ONE_WIDTH} ({data.style.label(data.style.pulse_widths[0])})" if one else ""), data.title_tag())
    caption = ("Final test accuracy, epochs to reach the target test accuracy, energy per programming "
               "pulse and total weight-update energy over the whole training (pulses plus the digital "
               f"accumulator), against pulse width (log axis). Energy model: {data.energy_models['central']}; "
               "the grey band spans the lower estimate (capacitive + read conduction, no switching) to the "
               f"upper ({data.energy_models['upper']}). Mean over seeds, bars ± one standard deviation; marker "
               "shape = algorithm, colour = pulse width. Black dashed: `ideal` (floating point, no "
               "device energy). Hollow markers at the dotted line: never reached the target; k/n: only "
               "k of n seeds did (the mean is over those)."
               + (f" Every run is at one pulse width: no comparison between widths; the energies at "
                  f"{data.style.label(data.style.pulse_widths[0])} are shown as they are." if one else ""))
    return save_figure(fig, folder, "vs_pulse_width", "Accuracy, convergence and energy vs pulse width", caption)


def _band(ax, frame: pd.DataFrame, collect: list[float]) -> None:
    """Shade between the lower and upper energy estimates (the two columns of `frame`, indexed by
    pulse width); nothing where they are not recorded."""
    if frame.empty:
        return
    lo, hi = (frame.iloc[:, k].astype(float) for k in (0, 1))
    ok = (lo > 0) & (hi > 0) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return
    x = np.asarray(frame.index[ok], dtype=float)
    ax.fill_between(x, lo[ok].to_numpy(), hi[ok].to_numpy(), color="#BBBBBB", alpha=0.3, lw=0, zorder=0)
    collect.extend([*lo[ok], *hi[ok]])


def _log_axis(ax, axis: str, values) -> None:
    """Log scale over at least one decade, so a lone point or a flat line gets readable ticks."""
    v = np.asarray(list(values), dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return
    from matplotlib.ticker import NullFormatter

    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    (ax.xaxis if axis == "x" else ax.yaxis).set_minor_formatter(NullFormatter())  # decades only
    low, high = float(v.min()), float(v.max())
    if high / low < 10:
        mid = math.sqrt(low * high)
        (ax.set_xlim if axis == "x" else ax.set_ylim)(mid / 5, mid * 5)


def _pulse_width_axis(ax, style: PulseWidthStyle) -> None:
    """Log x with a labelled tick at every pulse width of the report."""
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(style.pulse_widths))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(style.pulse_widths, [style.label(p) for p in style.pulse_widths], fontsize=8,
                  rotation=30 if len(style.pulse_widths) > 5 else 0)
    ax.set_xlabel("pulse width (log scale)")
    ax.grid(alpha=0.3, lw=0.5)
    ax.grid(alpha=0.15, lw=0.4, axis="y", which="minor")
    if len(style.pulse_widths) == 1:
        p = style.pulse_widths[0]
        ax.set_xlim(p / 3, p * 3)


# -- 3. trade-off ---------------------------------------------------------------------------------
def accuracy_vs_energy(data: FigureInputs, folder: Path) -> FigureFile:
    from matplotlib.lines import Line2D

    rows = len(data.variants)
    fig, axes = new_figure(rows, 2, 3.9, 3.0)
    algorithms = _device_algorithms(data.agg)
    legend: dict[str, Any] = {}
    for r, (vlabel, values) in enumerate(data.variants):
        vlabel = data.row_label(vlabel, values)
        agg = select(data.agg, values)
        dev = agg[agg["algorithm"] != "ideal"].reset_index(drop=True)
        reached = np.array([reached_target(row) for _, row in dev.iterrows()], dtype=bool)  # as the tables say
        ideal = agg[agg["algorithm"] == "ideal"]
        target = data.targets.get(_sweep_of(values))
        for c, (xcol, xlabel, title) in enumerate((
                ("total_energy_J", "total update energy (J), central model", "final accuracy vs total energy"),
                ("energy_to_target_J", "energy to target (J), central model", "final accuracy vs energy to target"))):
            ax = axes[r, c]
            x = dev[f"{xcol}_mean"].to_numpy(dtype=float)
            y = dev["final_accuracy_mean"].to_numpy(dtype=float)
            ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
            _panel_title(ax, title, vlabel)
            if xcol == "energy_to_target_J":
                _target_notes(ax, dev, reached, ok)
            if not ok.any():  # nothing to place on a joule axis: say why instead of blank axes
                empty_panel(ax, "no device runs" if dev.empty else "no setting reached the target"
                             if xcol == "energy_to_target_J" and not reached.any()
                             else no_energy_text(data.energy_models["central"]), width=44)
                continue
            front = pareto_mask(np.where(ok, x, np.nan), y)
            for i in np.nonzero(ok)[0]:
                row = dev.iloc[i]
                marker, _ = algorithm_style(row["algorithm"], algorithms)
                ax.errorbar(x[i], y[i], xerr=_nz(row[f"{xcol}_std"]), yerr=_nz(row["final_accuracy_std"]),
                            fmt="none", ecolor="#9E9E9E", elinewidth=0.7, zorder=1)
                ax.scatter(x[i], y[i], marker=marker, s=46, c=data.style.color(row["pulse_width_s"]),
                           edgecolors="black", linewidths=0.6, zorder=3)
                legend.setdefault(row["algorithm"], Line2D([], [], ls="none", marker=marker, mfc="white",
                                                           mec="black"))
            if front.any():
                idx = np.nonzero(front)[0]
                idx = idx[np.argsort(x[idx])]
                ax.scatter(x[idx], y[idx], s=190, facecolors="none", edgecolors="black", linewidths=1.3, zorder=4)
                ax.step(x[idx], y[idx], where="post", color="black", lw=0.8, ls=(0, (4, 2)), zorder=2)
                legend.setdefault("Pareto-optimal", Line2D([], [], ls="none", marker="o", ms=11, mfc="none",
                                                           mec="black"))
            if not ideal.empty and np.isfinite(ideal["final_accuracy_mean"].iloc[0]):
                h = ax.axhline(ideal["final_accuracy_mean"].iloc[0], color=IDEAL_COLOR, ls="--", lw=1)
                legend.setdefault(f"{IDEAL_LABEL}, 0 J", h)
            if target is not None:
                ax.axhline(target, color="#7F7F7F", ls=":", lw=1)
            _log_axis(ax, "x", x[ok])
            shown = [*(y[ok] - np.nan_to_num(dev["final_accuracy_std"].to_numpy(dtype=float)[ok]))]
            shown += [v for v in (target, *ideal["final_accuracy_mean"].tolist()) if v is not None]
            low = math.floor((min(shown) - 0.05) * 10) / 10
            ax.set_ylim(max(0.0, low), 1.01)  # zoom on the points: the front sits near the top
            percent_axis(ax)
            ax.grid(alpha=0.3, which="both", lw=0.5)
            ax.set_xlabel(xlabel)
            ax.set_ylabel("final test accuracy")
    flat = (data.agg["algorithm"] != "ideal") & data.agg["pulse_width_s"].isna()
    legend.update({data.style.label(p): Line2D([], [], ls="none", marker="o", mfc=data.style.color(p), mec="black")
                   for p in [*data.style.pulse_widths, *([math.nan] if flat.any() else [])]})
    fig.legend(list(legend.values()), list(legend.keys()), loc="outside right center", fontsize=8, frameon=False)
    suptitle(fig, "Accuracy vs update energy: the trade-off front", data.title_tag())
    caption = (f"Energy model: {data.energy_models['central']}. "
               "Final test accuracy against the total weight-update energy of the training (left) and "
               "against the energy spent until the target accuracy was first reached (right), one "
               "point per pulse width (colour) and algorithm (marker), mean ± std over seeds. Ringed "
               "points, joined by the dashed step line, are Pareto-optimal: no other setting reaches a "
               "higher accuracy for less energy. Black dashed: `ideal` (no device); dotted: the target.")
    return save_figure(fig, folder, "accuracy_vs_energy", "Accuracy vs energy trade-off", caption)


def _target_notes(ax, dev: pd.DataFrame, reached: np.ndarray, plotted: np.ndarray) -> None:
    """Bottom-left of the energy-to-target panel: the settings that never reached the target
    (the tables' `reached` 0/n), and those that did but have no energy to show."""
    lines = []
    for head, rows in (("never reached the target:", dev[~reached]),
                       ("reached the target, no energy:", dev[reached & ~plotted])):
        if rows.empty:
            continue
        names = sorted(rows["algorithm"].unique(), key=lambda a: (algorithm_rank(a), a))
        lines += [head] + [f"{a} ({_widths((rows['algorithm'] == a).sum())})" for a in names]
    if lines:
        ax.text(0.02, 0.02, "\n".join(lines), transform=ax.transAxes, fontsize=7, color="#555555", va="bottom")


def _widths(n: int) -> str:
    return f"{n} width" if n == 1 else f"{n} widths"


def _nz(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(v) else v


# -- 4. device responses ----------------------------------------------------------------------
def device_responses(data: FigureInputs, folder: Path) -> FigureFile | None:
    from pydantic import TypeAdapter

    from ferrosim.device.models import DeviceModel
    from ferrosim.reports.formatting import format_si

    adapter = TypeAdapter(DeviceModel)
    groups: dict[tuple, list] = {}
    sweeps: dict[tuple, list[str]] = {}  # the sweeps that trained on each device file
    for sweep, dev in data.devices:
        groups.setdefault((dev.device, dev.file), [])
        sweeps.setdefault((dev.device, dev.file), [])
        if sweep not in sweeps[(dev.device, dev.file)]:
            sweeps[(dev.device, dev.file)].append(sweep)
        known = groups[(dev.device, dev.file)]
        if not any(abs(d.pulse_width_s - dev.pulse_width_s) <= 1e-9 * dev.pulse_width_s and d.response == dev.response
                   for d in known):
            known.append(dev)
    if not groups:
        return None
    fig, axes = new_figure(len(groups), 2, 3.9, 3.0)
    handles: dict[str, Any] = {}
    flags = {key: any(d.synthetic for d in devs) for key, devs in groups.items()}
    names = [key[0] for key in groups]
    for r, ((device, file), devs) in enumerate(groups.items()):
        # the same device name from two files, or synthetic next to real: say whose row this is
        name = device if names.count(device) == 1 else f"{device} ({', '.join(sweeps[(device, file)])})"
        flagged = len(set(flags.values())) > 1 and flags[(device, file)]
        row = f"{name} ({SYNTHETIC_TAG})" if flagged else name
        models = [(d, adapter.validate_python(d.response)) for d in sorted(devs, key=lambda d: d.pulse_width_s)]
        ax_step, ax_trace = axes[r, 0], axes[r, 1]
        smallest = min(min(float(m.step_up(0.0)), float(m.step_down(0.0))) for _, m in models)
        span = max(m.w_max - m.w_min for _, m in models)
        n = int(min(3000, max(50, math.ceil(3 * span / max(smallest, 1e-9)))))
        for d, m in models:
            color = data.style.color(d.pulse_width_s)
            g = np.linspace(m.w_min, m.w_max, 200)
            ax_step.plot(g, m.step_up(g), color=color, lw=1.6)
            ax_step.plot(g, m.step_down(g), color=color, lw=1.6, ls="--")
            gs = m.symmetry_point()
            ax_step.plot([gs], [float(m.step_up(gs))], marker="o", ms=5, color=color, mec="black", mew=0.6)
            trace = m.apply_pulses(m.w_min, n, n)
            (h,) = ax_trace.plot(np.arange(1, 2 * n + 1), trace, color=color, lw=1.4)
            energy = 0.5 * (d.energy_up_J + d.energy_down_J) if d.energy_up_J is not None and \
                d.energy_down_J is not None else None
            label = (f"{name} " if len(groups) > 1 else "") + f"{data.style.label(d.pulse_width_s)}: {m.model}, g*={gs:.2f}" + (
                f", {format_si(energy, 'J')}/pulse" if energy is not None else "")
            handles[f"{device}|{file}|{label}"] = (h, label)
        ax_step.set_xlabel("state g (normalised conductance)")
        ax_step.set_ylabel("mean step per pulse")
        title_color = "#B00020" if flagged else "black"
        sep = ": " if row == device else "\n"  # a longer row label on its own line
        ax_step.set_title(f"{row}{sep}mean step vs state (solid up, dashed down, dot g*)", fontsize=9,
                          color=title_color)
        ax_trace.axvline(n + 0.5, color="#7F7F7F", ls=":", lw=0.8)
        ax_trace.set_xlabel(f"pulse ({n} up, then {n} down)")
        ax_trace.set_ylabel("state g")
        ax_trace.set_title(f"{row}{sep}noise-free response to a pulse train", fontsize=9, color=title_color)
        for ax in (ax_step, ax_trace):
            ax.grid(alpha=0.3)
    longest = max(len(lbl) for _, lbl in handles.values())
    fig.legend([h for h, _ in handles.values()], [lbl for _, lbl in handles.values()], loc="outside lower center",
               fontsize=8, frameon=False, ncols=min(3 if longest < 40 else 2, len(handles)))
    suptitle(fig, "Fitted device responses used by the runs", data.title_tag())
    caption = ("The response models the runs trained on, as recorded in each run's resolved config "
               "(the device file's fit at that pulse width): left, the mean step of an up (solid) and "
               "a down (dashed) pulse against the device state, with the symmetry point g* where they "
               "balance; right, the noise-free state under a train of up pulses then down pulses.")
    return save_figure(fig, folder, "device_responses", "Fitted device responses", caption)


def make_figures(data: FigureInputs, folder: Path) -> list[FigureFile]:
    """Every figure the data allow, in reading order."""
    figures = [accuracy_vs_epoch(data, folder)]
    device = data.agg["algorithm"] != "ideal"
    if (device & data.agg["pulse_width_s"].notna()).any():  # runs on a device without a pulse width: no axis
        figures.append(vs_pulse_width(data, folder))
    if device.any():
        figures.append(accuracy_vs_energy(data, folder))
    dev = device_responses(data, folder)
    if dev is not None:
        figures.append(dev)
    if data.summary is not None:
        from ferrosim.reports.population import population_figure

        pop = population_figure(data.summary, folder, data.title_tag())
        if pop is not None:
            figures.append(pop)
    return figures


__all__ = ["DPI", "FigureFile", "FigureInputs", "accuracy_vs_energy", "accuracy_vs_epoch", "device_responses",
           "make_figures", "vs_pulse_width"]
