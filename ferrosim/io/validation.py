"""pydantic errors as one-line InputErrors naming the file, the line and the key.

Shared by every YAML that enters ferrosim (run and sweep configs, device files, measurement
sidecars), so they all report bad input the same way: `error: FILE:LINE: key: what (hint)`.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from ferrosim.errors import InputError, closest
from ferrosim.io.yaml_source import Loc, line_of


def fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the (nested) model at `loc`, stepping through optional values, unions of
    models (their fields together) and dict values by their key (`files: {name: FileInfo}`);
    [] where there is no model."""
    ann: Any = model
    parts = list(loc)
    while True:
        if typing.get_origin(ann) is typing.Annotated:
            ann = typing.get_args(ann)[0]
            continue
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if not parts:
                return list(ann.model_fields)
            part = parts.pop(0)
            if part not in ann.model_fields:
                return []
            ann = ann.model_fields[part].annotation
        elif typing.get_origin(ann) is dict:
            if not parts:
                return []
            parts.pop(0)
            ann = typing.get_args(ann)[1]
        else:
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(args) == 1:
                ann = args[0]
            elif models and len(models) == len(args):  # e.g. the device-model union
                if not parts:
                    return sorted({f for m in models for f in m.model_fields})
                ann = next((m for m in models if parts[0] in m.model_fields), models[0])
            else:
                return []


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def validation_error(
    exc: ValidationError, model: type[BaseModel], file: str | Path | None, lines: dict[Loc, int], *,
    clean: Callable[[Loc], Loc] = lambda loc: loc,
    key_of: Callable[[Loc], str] = dotted,
    allowed_at: Callable[[Loc], list[str]] | None = None,
) -> InputError:
    """One error of `exc` (an unknown key first). `clean` rewrites pydantic's location into the keys the user
    wrote, `key_of` prints it, `allowed_at` lists the valid keys for 'did you mean' hints."""
    errors = exc.errors()
    # A misspelt key shows up twice: as unknown and as the missing real one. Name the typo.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = clean(tuple(err["loc"]))
    key = key_of(loc) or "config"
    hint = None
    if err["type"] == "extra_forbidden":
        what = f"unknown key '{key}'"
        allowed = (allowed_at or (lambda at: fields_at(model, at)))(loc[:-1])
        near = closest(str(loc[-1]), allowed)
        hint = f"did you mean '{near}'?" if near else (
            f"allowed here: {', '.join(allowed)}" if allowed else None)
    elif err["type"] == "missing":
        what = f"missing key '{key}'"
    else:
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
        what = f"{key}: {msg}{shown}"
    return InputError(what, file=file, line=line_of(lines, loc), hint=hint)
