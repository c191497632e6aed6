"""Figures of a fit, one set per device: traces, step vs state, and the pulse-width summary."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from ferrosim.device.fitting import FitResult
from ferrosim.io.device_file import DeviceFile
from ferrosim.units import format_pulse_width


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # batch jobs have no display
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int):
    cols = min(n, 4)
    rows = (n + cols - 1) // cols
    return rows, cols


def plot_fits(results: list[FitResult], data: DeviceFile, folder: Path) -> list[Path]:
    """Write `<device>_traces.png`, `<device>_steps.png`, `<device>_summary.png`; returns the paths."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    by_device: dict[str, list[FitResult]] = defaultdict(list)
    for r in results:
        by_device[r.device].append(r)
    tag = " (SYNTHETIC data)" if data.synthetic else ""
    written = []
    for device, fits in by_device.items():
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", device)
        for kind, draw in (("traces", _traces), ("steps", _steps)):
            rows, cols = _grid(len(fits))
            fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.9 * rows), squeeze=False)
            for ax, res in zip(axes.flat, fits):
                draw(ax, res)
            for ax in list(axes.flat)[len(fits):]:
                ax.set_visible(False)
            fig.suptitle(f"{device}: {'measured vs fitted reads' if kind == 'traces' else 'step vs state'}{tag}",
                         fontsize=10)
            fig.tight_layout()
            written.append(_save(fig, folder / f"{safe}_{kind}.png", plt))
        written.append(_summary(plt, device, data, folder / f"{safe}_summary.png", tag))
    return written


def _save(fig, path: Path, plt) -> Path:
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _traces(ax, res: FitResult) -> None:
    offset = 0
    for r in res.ramps:
        n = len(r.states)
        x = np.arange(offset, offset + n)
        color = "tab:red" if r.up else "tab:blue"
        ax.plot(x, r.states, ".", ms=2, color=color, alpha=0.5)
        sim = res.model.apply_pulses(r.states[0], n - 1 if r.up else 0, 0 if r.up else n - 1)
        ax.plot(x[1:], sim, "-", lw=1, color="black")
        offset += n
    if not res.ramps:  # a lookup table has no traces: show its mean response instead
        n = int(min(2.0 / max(res.stats["granularity"], 1e-6), 2000))
        sim = np.concatenate([res.model.apply_pulses(-1.0, n, 0), res.model.apply_pulses(1.0, 0, n)])
        ax.plot(sim, "-", color="black", lw=1)
    ax.set_title(f"{format_pulse_width(res.pulse_width_s)}: {res.model.model}", fontsize=9)
    ax.set_xlabel("pulse", fontsize=8)
    ax.set_ylabel("g (normalised)", fontsize=8)
    ax.tick_params(labelsize=7)


def _steps(ax, res: FitResult) -> None:
    grid = np.linspace(res.model.w_min if res.model.model == "table" else -1.0,
                       res.model.w_max if res.model.model == "table" else 1.0, 200)
    if res.steps is not None:
        g, dg, up = res.steps
        ax.plot(g[up], dg[up], ".", ms=2, color="tab:red", alpha=0.4, label="up (measured)")
        ax.plot(g[~up], dg[~up], ".", ms=2, color="tab:blue", alpha=0.4, label="down (measured)")
    ax.plot(grid, res.model.step_up(grid), "-", color="darkred", lw=1.2, label="up (model)")
    ax.plot(grid, -np.asarray(res.model.step_down(grid)), "-", color="navy", lw=1.2, label="down (model)")
    ax.axvline(res.stats["symmetry_point"], color="gray", ls=":", lw=1)
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_title(f"{format_pulse_width(res.pulse_width_s)}: g* = {res.stats['symmetry_point']:.2f}", fontsize=9)
    ax.set_xlabel("g before pulse", fontsize=8)
    ax.set_ylabel("step", fontsize=8)
    ax.tick_params(labelsize=7)


def _summary(plt, device: str, data: DeviceFile, path: Path, tag: str) -> Path:
    widths = data.devices[device].pulse_widths
    pw = np.array([e.pulse_width_s or np.nan for e in widths.values()])
    fits = [e.fit for e in widths.values()]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    step_up = [f.get("step_up_at_zero") for f in fits]
    step_down = [f.get("step_down_at_zero") for f in fits]
    axes[0].loglog(pw, step_up, "o-", color="tab:red", label="up")
    axes[0].loglog(pw, step_down, "s-", color="tab:blue", label="down")
    axes[0].set_ylabel("step at g = 0 (normalised)")
    axes[0].legend(fontsize=8)
    axes[1].semilogx(pw, [f.get("symmetry_point") for f in fits], "o-", color="black")
    axes[1].set_ylabel("symmetry point g*")
    e_up = [e.energy_per_pulse_J.up for e in widths.values()]
    e_down = [e.energy_per_pulse_J.down for e in widths.values()]
    if any(v is not None for v in e_up + e_down):
        axes[2].loglog(pw, [np.nan if v is None else v for v in e_up], "o-", color="tab:red", label="up")
        axes[2].loglog(pw, [np.nan if v is None else v for v in e_down], "s-", color="tab:blue", label="down")
        sources = {e.energy_per_pulse_J.source for e in widths.values()}
        axes[2].set_ylabel(f"energy per pulse (J, {'/'.join(sorted(sources))})")
        axes[2].legend(fontsize=8)
    else:
        axes[2].text(0.5, 0.5, "energy unknown", ha="center", va="center", transform=axes[2].transAxes)
    for ax in axes:
        ax.set_xlabel("pulse width (s)")
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{device}: fitted response vs pulse width{tag}", fontsize=10)
    fig.tight_layout()
    return _save(fig, path, plt)
