"""report.md: the document blocks as GitHub-flavoured Markdown (figures linked, not embedded)."""

from __future__ import annotations

import os
from pathlib import Path

from ferrosim.reports.document import (Banner, Block, Bullets, Code, Facts, FigureBlock, Heading, Para,
                                      TableBlock)
from ferrosim.reports.tables import TextTable


def render_markdown(blocks: list[Block], base: Path) -> str:
    """Markdown text; figure paths are relative to `base` (the folder report.md is written to)."""
    parts: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            parts.append(f"{'#' * b.level} {b.text}")
        elif isinstance(b, Para):
            parts.append(b.text)
        elif isinstance(b, Banner):
            parts.append(f"> ⚠ {b.text}")
        elif isinstance(b, TableBlock):
            parts.append(table_markdown(b.table))
        elif isinstance(b, FigureBlock):
            png = Path(os.path.relpath(b.figure.png, base)).as_posix()
            svg = Path(os.path.relpath(b.figure.svg, base)).as_posix()
            parts.append(f"![{b.figure.title}]({png})\n\n{b.figure.caption} ([SVG]({svg}))")
        elif isinstance(b, Code):
            fence = "````" if "```" in b.text else "```"
            parts.append(f"{fence}{b.lang}\n{b.text.rstrip()}\n{fence}")
        elif isinstance(b, Facts):
            parts.append("\n".join(f"- **{k}**: {v}" for k, v in b.items))
        elif isinstance(b, Bullets):
            parts.append("\n".join(f"- {item}" for item in b.items))
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(type(b).__name__)
    return "\n\n".join(parts) + "\n"


def table_markdown(table: TextTable) -> str:
    def esc(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    align = table.align or ["l"] * len(table.headers)
    lines = ["| " + " | ".join(esc(h) for h in table.headers) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


__all__ = ["render_markdown", "table_markdown"]
