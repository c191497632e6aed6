"""Writing outputs safely: atomic replacement, and output paths checked before any work.

A command that would train for an hour and then fail to write its CSV has lost the hour; so
every output path is checked when the command starts (`check_output_file`, `check_output_dir`),
and every file is written to a temporary file beside it, flushed and renamed over it
(`atomic_write`), with the temporary file removed on any failure (a full disk, an interrupt).
"""

from __future__ import annotations

import os
from pathlib import Path

from ferrosim.errors import InputError


def atomic_write(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush to disk, then rename over it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or an interrupt leaves no half-written file
        raise


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


def check_input_dir(path: Path, option: str) -> None:
    """`path` is an existing folder (e.g. --data-dir)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: is a file, expected a folder")
