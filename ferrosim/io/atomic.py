"""Writing outputs safely: atomic replacement, and output paths checked before any work.

A command that would train for an hour and then fail to write its CSV has lost the hour; so
every output path is checked when the command starts (`check_output_file`, `check_output_dir`),
and every file, text, bytes or a figure, is written to a temporary file beside it, flushed to
disk and renamed over it (`atomic_write`; `write_figure` for a matplotlib figure), with the
temporary file removed on any failure (a full disk, an interrupt, a figure that fails to
render): a reader sees the old file or the whole new one, never half of one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Callable, Union

from ferrosim.errors import InputError

Content = Union[str, bytes, Callable[[BinaryIO], object]]
"""What `atomic_write` writes: text (UTF-8), bytes, or a function that writes into the open
binary file (e.g. `lambda fh: fig.savefig(fh, format="png")`, or a download streamed in)."""


def atomic_write(path: Path, content: Content) -> None:
    """Write `content` to a temporary file beside `path`, flush to disk, then rename over it;
    on any failure (also inside a writing function) the temporary file is removed and `path`
    is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with (open(tmp, "w", encoding="utf-8") if isinstance(content, str) else open(tmp, "wb")) as fh:
            if isinstance(content, (str, bytes)):
                fh.write(content)
            else:
                content(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or an interrupt leaves no half-written file
        raise


def write_figure(fig, path: Path, **savefig_kwargs) -> Path:
    """Save a matplotlib figure atomically: `fig.savefig` into the temporary file, in the format
    its suffix names (`.png`, `.svg`, ...); the one place the package calls savefig."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    atomic_write(path, lambda fh: fig.savefig(fh, format=fmt, **savefig_kwargs))
    return path


def check_output_file(path: Path, option: str) -> None:
    """`path` can be written as a file: not a folder, in an existing writable folder."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder, expected a file name", hint="name a file in it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{option} {path}: the folder {parent} does not exist", hint="create it first")
    if not os.access(parent, os.W_OK):
        raise InputError(f"{option} {path}: the folder {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option} {path}: the file exists and is not writable")


def check_output_dir(path: Path, option: str) -> None:
    """`path` is or can become a writable folder: not a file, below a writable existing folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: is a file, expected a folder")
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise InputError(f"{option} {path}: {existing} is a file, not a folder")
    if existing.exists() and not os.access(existing, os.W_OK):
        raise InputError(f"{option} {path}: {existing} is not writable")


def check_output_folder(out: Path | None, default: Path, subfolders: tuple[str, ...] = ()) -> Path:
    """The folder a command writes into: `out` (its --out), else `default` (e.g.
    `<results>/energy`), checked before any work in the same way, so a folder that cannot be
    written is bad input (exit 2, nothing written) whether it was named or defaulted. A default
    below a results folder that does not exist is left to the reader of that folder to report."""
    folder = Path(out) if out is not None else Path(default)
    if out is None and not folder.parent.is_dir():
        return folder
    option = "--out" if out is not None else "--out (default)"
    for path in (folder, *(folder / name for name in subfolders)):
        check_output_dir(path, option)
    return folder


def check_input_dir(path: Path, option: str) -> None:
    """`path` is an existing folder (e.g. --data-dir)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: is a file, expected a folder")
