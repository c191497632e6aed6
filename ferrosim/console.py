"""The command line's two consoles, set up once: what every command prints goes through them.

No emoji codes (`FILE:100:` is a file and a line, not an emoji), no highlighting, lines never
broken (a path stays whole), and a width of at least MIN_WIDTH whatever $COLUMNS says.
"""

from __future__ import annotations

import os
import shutil
import sys

from rich.console import Console

MIN_WIDTH = 80
"""The narrowest the consoles lay out for: below it tables show no numbers, and at 0 rich printed
nothing, the error line included (issue 27, problems 11 and 23)."""


def console_width(stream) -> int:
    """The width to lay out for: $COLUMNS, else the terminal's, else (a pipe, a batch log) 200 so
    that tables have room; never below MIN_WIDTH."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit():
        return max(int(columns), MIN_WIDTH)
    if stream.isatty():
        return max(shutil.get_terminal_size().columns, MIN_WIDTH)
    return 200


def _console(stream_is_stderr: bool) -> Console:
    """The one console setup: no emoji codes (`FILE:100:` is a file and a line, not an emoji), no
    highlighting, lines never broken (a path stays whole), a width of at least MIN_WIDTH."""
    stream = sys.stderr if stream_is_stderr else sys.stdout
    return Console(stderr=stream_is_stderr, highlight=False, emoji=False, soft_wrap=True,
                   width=console_width(stream))


err_console = _console(True)
out_console = _console(False)
