"""The population figure: accuracy against each device's fitted symmetry point and up/down step
ratio, one marker per device, pulse width and algorithm (issue 18).

Drawn when a report holds runs on two or more devices whose summary rows carry the fit columns
(`symmetry_point`, `step_ratio`: a sweep with `device.name: all`, a list or a pattern). Each
marker is the mean final accuracy over seeds of one (device, pulse width, algorithm). Plain SGD's
dependence on the symmetry point is counted from the data: per band of |g*|, the settings where
it reaches half of mixed precision's accuracy on the same device and width (`sgd_threshold`: the
largest |g*| where it does).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ferrosim.reports.plotting import empty_panel, new_figure, percent_axis, save_figure, suptitle
from ferrosim.reports.style import OKABE_ITO, algorithm_style

_COLORS = {"sgd": OKABE_ITO["vermillion"], "mixed_precision": OKABE_ITO["blue"],
           "sgd_symmetry_shift": OKABE_ITO["bluish green"], "sgd_balanced": OKABE_ITO["orange"],
           "tiki_taka_v2": OKABE_ITO["sky blue"], "chopped_tt_v2": OKABE_ITO["reddish purple"],
           "agad": OKABE_ITO["yellow"]}


def population_points(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean final accuracy per (device, pulse width, algorithm) with its fit columns; empty
    unless the summary holds two or more devices with a fitted symmetry point."""
    need = {"device", "symmetry_point", "step_ratio", "final_accuracy"}
    if not need <= set(summary.columns):
        return pd.DataFrame()
    rows = summary[(summary["algorithm"] != "ideal") & summary["symmetry_point"].notna()]
    if rows["device"].nunique() < 2:
        return pd.DataFrame()
    keys = ["device", "pulse_width_s", "algorithm"]
    return (rows.groupby(keys, sort=True)
            .agg(final_accuracy=("final_accuracy", "mean"), symmetry_point=("symmetry_point", "first"),
                 step_ratio=("step_ratio", "first"), n=("final_accuracy", "size"))
            .reset_index())


def _sgd_vs_mp(points: pd.DataFrame) -> pd.DataFrame:
    """Plain SGD beside mixed precision per (device, width) where mixed precision trains (>= 50%),
    with `works`: plain SGD reaches half of mixed precision's accuracy."""
    sgd = points[points["algorithm"] == "sgd"]
    mp = points[points["algorithm"] == "mixed_precision"]
    if sgd.empty or mp.empty:
        return pd.DataFrame()
    both = sgd.merge(mp, on=["device", "pulse_width_s"], suffixes=("", "_mp"))
    both = both[both["final_accuracy_mp"] >= 0.5]  # a device mixed precision cannot train says nothing
    return both.assign(works=both["final_accuracy"] >= 0.5 * both["final_accuracy_mp"])


def sgd_threshold(points: pd.DataFrame) -> float | None:
    """The largest |symmetry point| at which plain SGD reaches half of mixed precision's accuracy
    on the same device and width, among those mixed precision trains (None without both)."""
    both = _sgd_vs_mp(points)
    if both.empty:
        return None
    works = both[both["works"]]
    return float(works["symmetry_point"].abs().max()) if not works.empty else 0.0


SP_BINS = (0.0, 0.1, 0.2, 0.4, float("inf"))


def sgd_works_by_symmetry_point(points: pd.DataFrame) -> list[tuple[str, int, int]]:
    """(|g*| bin, settings where plain SGD works, settings) in bins of |g*| (SP_BINS)."""
    both = _sgd_vs_mp(points)
    if both.empty:
        return []
    out = []
    for lo, hi in zip(SP_BINS[:-1], SP_BINS[1:]):
        sub = both[(both["symmetry_point"].abs() >= lo) & (both["symmetry_point"].abs() < hi)]
        label = f"|g*| >= {lo:g}" if hi == float("inf") else f"{lo:g}-{hi:g}"
        out.append((label, int(sub["works"].sum()), len(sub)))
    return out


def population_figure(summary: pd.DataFrame, folder: Path, tag: str | None):
    """accuracy vs symmetry point and vs step ratio; None when the report is not a population."""

    points = population_points(summary)
    if points.empty:
        return None
    fig, axes = new_figure(1, 3, 4.4, 3.4)
    algorithms = list(dict.fromkeys(points["algorithm"]))
    for ax, column, label in ((axes[0, 0], "symmetry_point", "fitted symmetry point g* (normalised)"),
                              (axes[0, 1], "step_ratio", "up/down step ratio at the weight zero")):
        for alg in algorithms:
            sub = points[points["algorithm"] == alg]
            marker, _ = algorithm_style(alg, algorithms)
            ax.scatter(sub[column], sub["final_accuracy"], marker=marker, s=28, alpha=0.85,
                       color=_COLORS.get(alg, "#4D4D4D"), edgecolor="black", linewidth=0.4, label=alg)
        ax.set_xlabel(label)
        ax.set_ylabel("final test accuracy (mean over seeds)")
        ax.set_ylim(0.0, 1.02)  # the whole range: populations are compared at a glance
        percent_axis(ax)
        ax.grid(alpha=0.3)
        ratios = points["step_ratio"].dropna()
        if column == "step_ratio" and not ratios.empty and ratios.max() > 3 * ratios.min():
            from matplotlib.ticker import NullFormatter, ScalarFormatter

            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on a short log range
    bins = [b for b in sgd_works_by_symmetry_point(points) if b[2]]
    if bins:
        text = "plain SGD >= half of mixed precision, by |g*|:\n" + ", ".join(f"{b[0]}: {b[1]}/{b[2]}" for b in bins)
        axes[0, 0].text(0.02, 0.03, text, transform=axes[0, 0].transAxes, fontsize=7, color=OKABE_ITO["vermillion"])
    axes[0, 1].legend(fontsize=8, loc="best")
    _energy_by_size(axes[0, 2], summary, algorithms)
    n_dev = points["device"].nunique()
    suptitle(fig, f"Every device: accuracy vs fitted symmetry point and step ratio, energy to target by size ({n_dev} devices, "
           f"{len(points.drop_duplicates(['device', 'pulse_width_s']))} device x pulse width)", tag)
    caption = ("Left and middle: one marker per device, pulse width and algorithm (mean final accuracy over "
               "seeds); right: energy to target vs pulse width, a line per device area and algorithm (mean over "
               "the runs that reached the target). The note "
               "counts, per band of |g*|, the settings where plain SGD reaches half of mixed precision's "
               "accuracy on the same device and width (among those mixed precision trains)"
               + (": " + "; ".join(f"{b[0]}: {b[1]}/{b[2]}" for b in bins) + "." if bins else "."))
    return save_figure(fig, folder, "population", "Accuracy vs symmetry point and step ratio", caption)


def _energy_by_size(ax, summary: pd.DataFrame, algorithms: list[str]) -> None:
    """Energy to target vs pulse width, a line per device area and algorithm (mean over the runs
    that reached the target); the reason in the panel when none did."""
    from ferrosim.units import pulse_width_text

    rows = summary[(summary["algorithm"] != "ideal") & summary["energy_to_target_J"].notna()
                   & summary["pulse_width_s"].notna()]
    if rows.empty or "device_area_um2" not in rows:
        empty_panel(ax, "no run reached the target (or no energies): nothing to plot")
        return
    areas = sorted(a for a in rows["device_area_um2"].dropna().unique())
    shades = ["#fdae61", "#f46d43", "#d73027", "#a50026", "#74add1", "#4575b4", "#313695"]
    widths = sorted(rows["pulse_width_s"].unique())
    for k, area in enumerate(areas):
        for alg in algorithms:
            sub = rows[(rows["device_area_um2"] == area) & (rows["algorithm"] == alg)]
            if sub.empty:
                continue
            line = sub.groupby("pulse_width_s")["energy_to_target_J"].mean()
            marker, style = algorithm_style(alg, algorithms)
            ax.plot(line.index, line.values, marker=marker, linestyle=style, markersize=4,
                    color=shades[k % len(shades)], label=f"{area:.3g} µm², {alg}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(widths)
    ax.set_xticklabels([pulse_width_text(w) for w in widths], rotation=45, fontsize=7)
    ax.minorticks_off()
    ax.set_xlabel("pulse width")
    ax.set_ylabel("energy to target (J, mean where reached)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="best", ncol=1)


def by_device_size(summary: pd.DataFrame) -> pd.DataFrame:
    """Per device area and algorithm: devices, (device, width) pairs, mean and range of the final
    accuracy, and the mean energy to target where reached (empty unless a population)."""
    if population_points(summary).empty or "device_area_um2" not in summary.columns:
        return pd.DataFrame()
    rows = summary[(summary["algorithm"] != "ideal") & summary["symmetry_point"].notna()].copy()
    rows["area"] = rows["device_area_um2"]
    out = (rows.groupby(["area", "algorithm"], dropna=False, sort=True)
           .agg(devices=("device", "nunique"), runs=("pulse_width_s", "size"),
                mean=("final_accuracy", "mean"), low=("final_accuracy", "min"), high=("final_accuracy", "max"),
                energy_to_target=("energy_to_target_J", "mean"))
           .reset_index())
    return out


def size_table_rows(table: pd.DataFrame) -> list[list[str]]:
    from ferrosim.reports.formatting import format_si

    rows = []
    for _, r in table.iterrows():
        area = "unknown" if pd.isna(r["area"]) else f"{r['area']:.3g} µm²"
        e2t = "-" if pd.isna(r["energy_to_target"]) else format_si(float(r["energy_to_target"]), "J")
        rows.append([area, str(r["algorithm"]), str(int(r["devices"])), str(int(r["runs"])),
                     f"{100 * r['mean']:.1f}%", f"{100 * r['low']:.1f}-{100 * r['high']:.1f}%", e2t])
    return rows


__all__ = ["SP_BINS", "by_device_size", "population_figure", "population_points", "sgd_threshold",
           "sgd_works_by_symmetry_point", "size_table_rows"]
