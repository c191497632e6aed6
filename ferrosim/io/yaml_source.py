"""YAML loading that remembers where each key is, for one-line errors with line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ferrosim.errors import InputError

Loc = tuple[str | int, ...]
# libyaml's parser where PyYAML was built with it (10-30x faster on device files with per-pulse
# data); the same documents, marks and errors as the pure-Python SafeLoader otherwise.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _walk(value_node, loc + (key,), lines)
            # The key's own line is the best place to point at for the key's value.
            lines[loc + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, loc + (i,), lines)


def load_yaml(path: str | Path) -> tuple[Any, dict[Loc, int]]:
    """Parse a YAML file; returns the data and a map from key paths to 1-based line numbers.

    Raises InputError (with the line) for a missing/unreadable file or malformed YAML.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a YAML file", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=path) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", file=path, line=line,
                         hint="check indentation, colons and quotes") from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=path) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """Line of the deepest known prefix of `loc` (a missing key points at its parent)."""
    for k in range(len(loc), -1, -1):
        if loc[:k] in lines:
            return lines[loc[:k]]
    return None
