"""The base of every model that validates input: YAML's true/false are never numbers.

pydantic (lax mode) takes `epochs: true` as 1 and `lr: false` as 0.0, so a typo'd boolean would
train silently. Here a boolean given to a field that does not itself accept one (inside lists
too: `hidden: [true]`) is swapped for a marker no number or text validator accepts, so the
field's own validation fails at its own location, for the one-line error with its line.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, model_validator


class NotANumber:
    """Stands in for a boolean where a number or text was expected."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


def _accepts_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return any(isinstance(a, bool) for a in typing.get_args(annotation))
    return any(_accepts_bool(a) for a in typing.get_args(annotation))


def _mark(value: Any) -> Any:
    if isinstance(value, bool):
        return NotANumber(value)
    if isinstance(value, list):
        return [_mark(v) for v in value]
    return value


def _holds_bool(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, list) and any(_holds_bool(v) for v in value))


class StrictInputModel(BaseModel):
    """A BaseModel whose non-boolean fields refuse true/false (see the module docstring)."""

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = None
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(name, str) else None
            if field is None or not _holds_bool(value) or _accepts_bool(field.annotation):
                continue
            out = dict(data) if out is None else out
            out[name] = _mark(value)
        return data if out is None else out
