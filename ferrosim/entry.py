"""The `ferrosim` console script: import the command line, then run it.

Importing the command line (typer, rich) takes most of a second; a Ctrl-C in that time would
end the process before `ferrosim.cli.main` could say anything. Here it is one error line,
exit 130, like a Ctrl-C at any later moment. matplotlib's folder is chosen first
(`ferrosim.caches`), so no command writes its caches into $HOME.
"""

from __future__ import annotations

from ferrosim import interrupts
from ferrosim.caches import private_matplotlib_dir


def main() -> None:
    interrupts.install()
    private_matplotlib_dir()  # before matplotlib is imported: its caches stay out of $HOME
    try:
        from ferrosim.cli import main as cli_main
    except KeyboardInterrupt:
        interrupts.exit_interrupted("error: interrupted before the command started; nothing was written")
    cli_main()
