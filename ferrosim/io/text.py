"""Bytes as UTF-8 text, a byte that is not refused at its line: the one decoding of the text
files ferrosim reads and did not write (YAML configs and sidecars, measurement tables)."""

from __future__ import annotations

from pathlib import Path

from ferrosim.errors import InputError


def utf8_text(raw: bytes, path: str | Path, *, hint: str, bom: bool = False) -> str:
    """`raw` decoded as UTF-8 (`bom`: a leading byte-order mark dropped, as spreadsheets write
    one); else an InputError naming the first bad byte and its line."""
    try:
        return raw.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        data = exc.object  # without the byte-order mark: exc.start counts from there
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}", file=path, line=line,
                         hint=hint) from None
