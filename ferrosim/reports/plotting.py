"""What every report figure shares: a figure of panels, its title with the synthetic flag, an
empty panel that says why, percent axes and the one way a figure is saved (PNG and SVG, each
atomically: `ferrosim.io.atomic.write_figure`).

The figure modules (`figures`, `population`, the energy command's scan figure) draw with these;
none of them imports another's private helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ferrosim.io.atomic import write_figure

DPI = 150
SYNTHETIC_TAG = "SYNTHETIC device data"


@dataclass
class FigureFile:
    name: str
    title: str
    caption: str
    png: Path
    svg: Path


def new_figure(rows: int, cols: int, width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(7.5, width * cols + 1.6), height * rows + 0.7), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    return fig, axes


def suptitle(fig, text: str, tag: str | None) -> None:
    """The figure's title, with the synthetic flag (`FigureInputs.title_tag`) in red."""
    sep = "  " if fig.get_figwidth() >= 11 and len(tag or "") < 40 else "\n"  # narrow: the tag on its own line
    fig.suptitle(text + (f"{sep}({tag})" if tag else ""), fontsize=11, color="#B00020" if tag else "black")


def empty_panel(ax, text: str, width: int = 38) -> None:
    """A panel with nothing to draw: the reason in its middle, no axes that suggest a scale."""
    import textwrap

    ax.text(0.5, 0.5, textwrap.fill(text, width), transform=ax.transAxes, ha="center", va="center",
            fontsize=8, color="#555555", wrap=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def save_figure(fig, folder: Path, name: str, title: str, caption: str) -> FigureFile:
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    write_figure(fig, png, dpi=DPI, metadata={"Software": None})
    write_figure(fig, svg, metadata={"Date": None, "Creator": None})
    return FigureFile(name, title, caption, png, svg)


def percent_axis(ax) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
