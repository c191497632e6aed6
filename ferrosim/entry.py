"""The `ferrosim` console script: import the command line, then run it.

Importing the command line (typer, rich) takes most of a second; a Ctrl-C in that time would
end the process before `ferrosim.cli.main` could say anything. Here it is one error line,
exit 130, like a Ctrl-C at any later moment.
"""

from __future__ import annotations

from ferrosim import interrupts


def main() -> None:
    interrupts.install()
    try:
        from ferrosim.cli import main as cli_main
    except KeyboardInterrupt:
        interrupts.exit_interrupted("error: interrupted before the command started; nothing was written")
    cli_main()
