"""Errors that ferrosim reports to the user as one line.

`InputError` is bad input (a file, a config value, a command-line option): the CLI prints
`error: <file>:<line>: <what> (<hint>)` and exits 2. Anything else is a bug or an
environment failure and exits 1 (see `ferrosim.cli`).
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""

    def __init__(
        self,
        what: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.what = what
        self.file = None if file is None else str(file)
        self.line = line
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as the CLI prints it, without the leading `error: `."""
        where = ""
        if self.line == 0:  # ferrosim.io.yaml_source.COMMAND_LINE: a value given on the command line
            where = "command line: "
        elif self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        hint = f" ({self.hint})" if self.hint else ""
        return _printable(f"{where}{self.what}{hint}")


class FerrosimWarning(UserWarning):
    """What the API raises as a Python warning where the CLI prints a `warning:` line (e.g. a
    fitted device without an energy per pulse): `warnings.simplefilter("error", FerrosimWarning)`
    turns them into errors, and they are told apart from numpy's or matplotlib's."""


def _printable(text: str) -> str:
    """One line whatever a file name or value holds: control characters (a newline in a file
    name) are written as escapes."""
    if all(c.isprintable() for c in text):
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def closest(name: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The valid option a user most likely meant by `name` (for 'did you mean' hints)."""
    import difflib

    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return close[0]
    # Abbreviations and extensions (lr_rate -> lr, hid -> hidden) defeat edit distance.
    contained = [o for o in options if len(o) >= 2 and (o in name or name in o)]
    return max(contained, key=len) if contained else None
