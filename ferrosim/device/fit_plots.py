"""Figures of a fit, one set per device: traces, step vs state, and the pulse-width summary.

Every panel has a legend and axis labels with units (conductance in the SI prefix that suits the
measured range, or `normalised` for data without siemens), every title names the device, the
pulse width, the model and its R^2, and no text is smaller than MIN_FONT_PT at the saved DPI, so
the PNGs read at 100% zoom. The sizes are set for these figures only (`STYLE`, a local rc
context): a program that imports ferrosim keeps its own matplotlib settings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ferrosim.device.energy_gaps import GAPS
from ferrosim.device.fitting import FitResult
from ferrosim.device.file import DeviceFile
from ferrosim.io.atomic import write_figure
from ferrosim.units import pulse_width_text

DPI = 100
MIN_FONT_PT = 10
STYLE = {"font.size": 11, "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": MIN_FONT_PT,
         "ytick.labelsize": MIN_FONT_PT, "legend.fontsize": MIN_FONT_PT, "figure.titlesize": 12}
"""Font sizes (pt) of the fit figures: 10 pt at 100 dpi is 14 pixels."""
_PANEL_IN = (5.2, 5.0)  # width, height of one panel (inches): room for the title, legend and labels
_PREFIXES = ((1.0, "S"), (1e-3, "mS"), (1e-6, "µS"), (1e-9, "nS"), (1e-12, "pS"))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # batch jobs have no display
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int):
    cols = min(n, 4)
    rows = (n + cols - 1) // cols
    return rows, cols


@dataclass(frozen=True)
class _Scale:
    """Normalised states and steps in display units: the fit's map [-1, 1] <- [G_min, G_max]."""

    lo: float = -1.0
    hi: float = 1.0
    per_unit: float = 1.0  # siemens per display unit (1 for normalised data)
    unit: str = "normalised"

    def state(self, g):
        return (self.lo + (np.asarray(g) + 1.0) * 0.5 * (self.hi - self.lo)) / self.per_unit

    def step(self, dg):
        return np.asarray(dg) * 0.5 * (self.hi - self.lo) / self.per_unit


def _scale(res: FitResult) -> _Scale:
    if res.range_S is None:
        return _Scale()
    lo, hi = res.range_S
    per_unit, unit = next(((s, u) for s, u in _PREFIXES if hi >= s), _PREFIXES[-1])
    return _Scale(lo, hi, per_unit, unit)


def _title(device: str, res: FitResult, r2_key: str, what: str) -> str:
    r2 = res.stats.get(r2_key)
    r2_text = f"{what} R² = {r2:.3f}" if r2 is not None else f"{what} R² n/a"
    width = "pulse width unknown" if res.pulse_width_s is None else pulse_width_text(res.pulse_width_s)
    return f"{device}, {width}\n{res.model.model}, {r2_text}"


def fit_figures(results: list[FitResult], data: DeviceFile, device: str | None = None) -> list[tuple[str, object]]:
    """(file name, matplotlib figure) of the fit figures of `device` (default: every device),
    unsaved (the caller closes them), made under STYLE; `plot_fits` saves them under it too."""
    plt = _pyplot()
    tag = " (SYNTHETIC data)" if data.synthetic else ""
    out = []
    with plt.rc_context(STYLE):
        for name, fits in _by_device(results).items():
            if device is None or name == device:
                out += _device_figures(plt, name, fits, data, tag)
    return out


def plot_fits(results: list[FitResult], data: DeviceFile, folder: Path) -> list[Path]:
    """Write `<device>_traces.png`, `<device>_steps.png`, `<device>_summary.png`; returns the paths."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.rc_context(STYLE):
        for device in _by_device(results):  # one device's figures open at a time
            figures = fit_figures(results, data, device)
            try:
                for name, fig in figures:
                    write_figure(fig, folder / name, dpi=DPI)
                    written.append(folder / name)
            finally:
                for _, fig in figures:
                    plt.close(fig)
    return written


def _by_device(results: list[FitResult]) -> dict[str, list[FitResult]]:
    by_device: dict[str, list[FitResult]] = defaultdict(list)
    for r in results:
        by_device[r.device].append(r)
    return by_device


def _device_figures(plt, device: str, fits: list[FitResult], data: DeviceFile, tag: str) -> list[tuple[str, object]]:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", device)
    out = []
    for kind, draw, what in (("traces", _traces, "measured vs fitted conductance"),
                             ("steps", _steps, "conductance step per pulse vs state")):
        rows, cols = _grid(len(fits))
        fig, axes = plt.subplots(rows, cols, figsize=(_PANEL_IN[0] * cols, _PANEL_IN[1] * rows + 0.4),
                                 squeeze=False, layout="constrained")
        for ax, res in zip(axes.flat, fits):
            draw(ax, res, device, _fit_record(data, device, res))
        for ax in list(axes.flat)[len(fits):]:
            ax.set_visible(False)
        fig.suptitle(f"{device}: {what}{tag}")
        out.append((f"{safe}_{kind}.png", fig))
    out.append((f"{safe}_summary.png", _summary(plt, device, data, tag)))
    return out


def _fit_record(data: DeviceFile, device: str, res: FitResult) -> dict:
    """The device file's fit record of `res` (empty when the file has none for it)."""
    for entry in data.devices[device].pulse_widths.values():
        if entry.pulse_width_s == res.pulse_width_s:
            return entry.fit or {}
    return {}


def _traces(ax, res: FitResult, device: str, fit: dict) -> None:
    sc = _scale(res)
    offset = 0
    labelled = set()

    def once(label: str) -> str:
        if label in labelled:
            return "_nolegend_"
        labelled.add(label)
        return label

    for r in res.ramps:
        n = len(r.states)
        x = np.arange(offset, offset + n)
        color = "tab:red" if r.up else "tab:blue"
        ax.plot(x, sc.state(r.states), ".", ms=3, color=color, alpha=0.5,
                label=once("up, measured" if r.up else "down, measured"))
        sim = res.model.apply_pulses(r.states[0], n - 1 if r.up else 0, 0 if r.up else n - 1)
        ax.plot(x[1:], sc.state(sim), "-", lw=1.0, color="black", alpha=0.8, label=once(f"fit ({res.model.model})"))
        offset += n
    if not res.ramps:  # a lookup table has no traces: show its mean response instead
        n = int(min(2.0 / max(res.stats["granularity"], 1e-6), 2000))
        sim = np.concatenate([res.model.apply_pulses(-1.0, n, 0), res.model.apply_pulses(1.0, 0, n)])
        ax.plot(sc.state(sim), "-", color="black", lw=1.2,
                label=f"{res.model.model}: {n} up, then {n} down pulses (no measured trace)")
    ax.set_title(_title(device, res, "trace_r2", "trace"))
    ax.set_xlabel("pulse number (ramps in measured order)")
    ax.set_ylabel(f"conductance ({sc.unit})")
    _legend_below(ax)


def _steps(ax, res: FitResult, device: str, fit: dict) -> None:
    sc = _scale(res)
    grid = np.linspace(res.model.w_min if res.model.model == "table" else -1.0,
                       res.model.w_max if res.model.model == "table" else 1.0, 200)
    if res.steps is not None:
        g, dg, up = res.steps
        ax.plot(sc.state(g[up]), sc.step(dg[up]), ".", ms=3, color="tab:red", alpha=0.4, label="up, measured")
        ax.plot(sc.state(g[~up]), sc.step(dg[~up]), ".", ms=3, color="tab:blue", alpha=0.4, label="down, measured")
    ax.plot(sc.state(grid), sc.step(res.model.step_up(grid)), "-", color="darkred", lw=1.5,
            label=f"up, fit ({res.model.model})")
    ax.plot(sc.state(grid), -sc.step(res.model.step_down(grid)), "-", color="navy", lw=1.5,
            label=f"down, fit ({res.model.model})")
    g_star = res.stats["symmetry_point"]
    ax.axvline(float(sc.state(g_star)), color="gray", ls=":", lw=1.2,
               label=f"model's symmetry point (g* = {g_star:.2f})")
    sp = fit.get("symmetry_point_data") or {}
    if sp.get("data") is not None:
        lo, hi = (sp.get("interval_95") or [None, None])
        lo68, hi68 = (sp.get("interval_68") or [None, None])
        edge = lambda v, far: float(sc.state(far if v is None else v))  # noqa: E731 (open side: to the end)
        ax.axvspan(edge(lo, -1.0), edge(hi, 1.0), color="tab:green", alpha=0.10, lw=0,
                   label="data's g*: 95% interval")
        ax.axvspan(edge(lo68, -1.0), edge(hi68, 1.0), color="tab:green", alpha=0.22, lw=0,
                   label="68% interval")
        ax.axvline(float(sc.state(sp["data"])), color="tab:green", lw=1.2,
                   label=f"data's symmetry point ({sp['data']:.2f}, from the steps)")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_title(_title(device, res, "step_r2", "step"))
    ax.set_xlabel(f"conductance before the pulse ({sc.unit})")
    ax.set_ylabel(f"conductance step per pulse ({sc.unit})")
    _legend_below(ax)


def _legend_below(ax, markerscale: float = 3.0) -> None:
    """Tick sizes fixed for ticks made later, and the legend under the axes, off the data."""
    ax.tick_params(which="both", labelsize=MIN_FONT_PT)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda k: (not labels[k].startswith("up"), k))
    ax.legend([handles[k] for k in order], [labels[k] for k in order], loc="upper center",
              bbox_to_anchor=(0.5, -0.16), ncol=2, markerscale=markerscale, frameon=False)


def _summary(plt, device: str, data: DeviceFile, tag: str):
    from matplotlib.ticker import NullFormatter

    widths = data.devices[device].pulse_widths
    pw = np.array([np.nan if e.pulse_width_s is None else e.pulse_width_s for e in widths.values()])
    fits = [e.fit for e in widths.values()]
    fig, axes = plt.subplots(1, 3, figsize=(3 * _PANEL_IN[0], _PANEL_IN[1] + 0.4), layout="constrained")
    step_up = [f.get("step_up_at_zero") for f in fits]
    step_down = [f.get("step_down_at_zero") for f in fits]
    axes[0].loglog(pw, step_up, "o-", color="tab:red", label="up (potentiation)")
    axes[0].loglog(pw, step_down, "s-", color="tab:blue", label="down (depression)")
    axes[0].set_ylabel("conductance step per pulse at g = 0\n(normalised)")
    axes[0].set_title("step size")
    axes[1].semilogx(pw, [f.get("symmetry_point") for f in fits], "o-", color="black", label="model's g*")
    data_sp = [(f.get("symmetry_point_data") or {}) for f in fits]
    have = [k for k, d in enumerate(data_sp) if d.get("data") is not None and d.get("interval_68")]
    if have:
        centre = np.array([data_sp[k]["data"] for k in have])
        lo = np.array([np.nan if data_sp[k]["interval_68"][0] is None else data_sp[k]["interval_68"][0] for k in have])
        hi = np.array([np.nan if data_sp[k]["interval_68"][1] is None else data_sp[k]["interval_68"][1] for k in have])
        # an open end (draws without a crossing) is drawn to the range's end
        lo, hi = np.where(np.isnan(lo), -1.0, lo), np.where(np.isnan(hi), 1.0, hi)
        axes[1].errorbar(pw[have] * 1.08, centre, yerr=[centre - lo, hi - centre], fmt="D", ms=4,
                         color="tab:green", capsize=2, label="data's g* (68% interval)")
    axes[1].axhline(0, color="gray", lw=0.8, ls="--", label="g = 0 (centre of the range)")
    axes[1].set_ylabel("symmetry point g* (normalised)")
    axes[1].set_title("symmetry point")
    energies = [e.energy_per_pulse_J for e in widths.values()]
    e_up = [np.nan if e.up is None else e.up for e in energies]
    e_down = [np.nan if e.down is None else e.down for e in energies]
    sources = "/".join(sorted({e.source for e in energies if e.up is not None or e.down is not None}))
    if sources:
        axes[2].loglog(pw, e_up, "o-", color="tab:red", label=f"up ({sources})")
        axes[2].loglog(pw, e_down, "s-", color="tab:blue", label=f"down ({sources})")
    else:
        axes[2].set_xscale("log")
        if np.isfinite(pw).any():
            axes[2].set_xlim(np.nanmin(pw) / 2, np.nanmax(pw) * 2)
        axes[2].set_yticks([])
        axes[2].text(0.5, 0.5, "energy per pulse unknown", ha="center", va="center", transform=axes[2].transAxes)
    unknown = [(k, e) for k, e in zip(widths, energies) if e.up is None or e.down is None]
    if unknown:  # the legend says why (fit-device's warning says how to fix it)
        codes: list[str] = []
        for _, e in unknown:
            codes += [g for g in (e.missing or ()) if g not in codes]
        said = [GAPS[g][0] if g in GAPS else g for g in codes] or ["cause not recorded"]
        axes[2].plot([], [], " ", label=f"no energy at {', '.join(k for k, _ in unknown)}:\n" + "\n".join(said))
    axes[2].set_ylabel("energy per pulse (J)")
    axes[2].set_title("energy per pulse")
    decades = np.isfinite(pw).any() and np.nanmax(pw) >= 10 * np.nanmin(pw)
    for ax in axes:
        ax.set_xlabel("pulse width (s)")
        if decades:  # labelled decades: minor labels would overlap them
            ax.xaxis.set_minor_formatter(NullFormatter())
        _legend_below(ax, markerscale=1.0)
    models = sorted({e.response.model for e in widths.values()})
    r2 = [f.get("trace_r2") for f in fits if f.get("trace_r2") is not None]
    r2_text = (f"trace R² {min(r2):.3f}" + (f" to {max(r2):.3f}" if max(r2) > min(r2) else "")) if r2 else "trace R² n/a"
    fig.suptitle(f"{device}: fit vs pulse width ({', '.join(pulse_width_text(p) for p in pw if np.isfinite(p))}; "
                 f"{'/'.join(models)}, {r2_text}){tag}")
    return fig
