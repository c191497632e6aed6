"""report.html: the document blocks as one self-contained page.

Figures are embedded as base64 PNG (`data:image/png;base64,...`), the style sheet is inline and
nothing is fetched: the page opens from a laptop, a mail attachment or an offline cluster node.
"""

from __future__ import annotations

import base64
import html
import re

from ferrosim.reports.document import (Banner, Block, Bullets, Code, Facts, FigureBlock, Heading, Para,
                                      TableBlock)
from ferrosim.reports.tables import TextTable

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 1.2em 2em 3em; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6em; border-bottom: 2px solid #0072B2; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
.banner { background: #fdecea; border: 2px solid #B00020; color: #5f0010; padding: .8em 1em;
          border-radius: 6px; margin: 1em 0; font-size: 1.05em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .88em; }
th, td { border: 1px solid #d0d0d0; padding: .3em .6em; white-space: nowrap; }
th { background: #f2f5f8; text-align: left; }
td.r { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .9em; color: #444; max-width: 60em; }
code { background: #f3f3f3; padding: 0 .25em; border-radius: 3px; font-size: .92em; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .85em; border-radius: 4px; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; font-size: .92em; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
nav { font-size: .9em; margin: .5em 0 1em; } nav a { margin-right: 1em; }
"""


# For headless checks: after loading, <body data-figures-visible="4/4"> counts decoded figures
# (`chromium --headless --dump-dom report.html`). No network, no effect on the page.
_IMAGE_CHECK = (
    'window.addEventListener("load",function(){var m=document.images,k=0;'
    "for(var i=0;i<m.length;i++){if(m[i].complete&&m[i].naturalWidth>0){k++;}}"
    'document.body.setAttribute("data-figures-visible",k+"/"+m.length);});'
)


def inline(text: str) -> str:
    """Escape, then `code` -> <code> and **bold** -> <strong>."""
    out = html.escape(str(text), quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def render_html(blocks: list[Block], title: str) -> str:
    body: list[str] = []
    sections = [b.text for b in blocks if isinstance(b, Heading) and b.level == 2]
    seen: set[str] = set()
    for b in blocks:
        if isinstance(b, Heading):
            anchor = _anchor(b.text)
            while anchor in seen:
                anchor += "-x"
            seen.add(anchor)
            body.append(f'<h{b.level} id="{anchor}">{inline(b.text)}</h{b.level}>')
            if b.level == 1 and sections:
                body.append("<nav>" + "".join(f'<a href="#{_anchor(s)}">{html.escape(s)}</a>' for s in sections)
                            + "</nav>")
        elif isinstance(b, Para):
            body.append(f"<p>{inline(b.text)}</p>")
        elif isinstance(b, Banner):
            body.append(f'<div class="banner" role="alert">&#9888; {inline(b.text)}</div>')
        elif isinstance(b, TableBlock):
            body.append(table_html(b.table))
        elif isinstance(b, FigureBlock):
            data = base64.b64encode(b.figure.png.read_bytes()).decode("ascii")
            body.append(f'<figure id="fig-{b.figure.name}"><img alt="{html.escape(b.figure.title)}" '
                        f'src="data:image/png;base64,{data}"><figcaption>{inline(b.figure.caption)}'
                        f" (files: <code>{html.escape(b.figure.png.name)}</code>, "
                        f"<code>{html.escape(b.figure.svg.name)}</code>)</figcaption></figure>")
        elif isinstance(b, Code):
            body.append(f"<pre><code>{html.escape(b.text)}</code></pre>")
        elif isinstance(b, Facts):
            body.append("<dl>" + "".join(f"<dt>{inline(k)}</dt><dd>{inline(v)}</dd>" for k, v in b.items) + "</dl>")
        elif isinstance(b, Bullets):
            body.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in b.items) + "</ul>")
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(type(b).__name__)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{_IMAGE_CHECK}</script>\n</body>\n</html>\n")


def table_html(table: TextTable) -> str:
    align = table.align or ["l"] * len(table.headers)
    head = "".join(f"<th>{inline(h)}</th>" for h in table.headers)
    rows = "".join("<tr>" + "".join(f'<td class="{a}">{inline(c)}</td>' for c, a in zip(row, align)) + "</tr>"
                   for row in table.rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


__all__ = ["inline", "render_html", "table_html"]
