"""YAML loading that remembers where each key is, for one-line errors with line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ferrosim.errors import InputError
from ferrosim.io.text import utf8_text

Loc = tuple[str | int, ...]
# libyaml's parser where PyYAML was built with it (10-30x faster on device files with per-pulse
# data); the same documents, marks and errors as the pure-Python SafeLoader otherwise.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted (ferrosim's own files use under 10)."""
MAX_VALUES = 1_000_000
"""Most values a document may hold once its aliases are expanded (an alias bomb stops here)."""
_TEXT_CONTROL = {0x09, 0x0A, 0x0D}


def _walk(root: yaml.Node, path: Path) -> dict[Loc, int]:
    """Key paths to 1-based lines, refusing duplicate keys, nesting deeper than MAX_DEPTH and
    alias expansions beyond MAX_VALUES. Iterative (no recursion limit); an aliased node is
    walked once, its expanded size counted from memo."""
    lines: dict[Loc, int] = {}
    size: dict[int, int] = {}  # id(node) -> values once expanded, for nodes already walked
    stack: list[tuple[yaml.Node, Loc, int, bool]] = [(root, (), 0, False)]
    while stack:
        node, loc, depth, done = stack.pop()
        if done:  # children are sized: this node's size is theirs plus one
            children = _children(node)
            size[id(node)] = 1 + sum(size[id(c)] for _, c in children)
            if size[id(node)] > MAX_VALUES:
                raise InputError(f"the aliases here expand to more than {MAX_VALUES:,} values",
                                 file=path, line=node.start_mark.line + 1,
                                 hint="an alias bomb? write the values out")
            continue
        lines.setdefault(loc, node.start_mark.line + 1)
        if id(node) in size:  # an alias of a node walked already: no second walk
            continue
        if depth > MAX_DEPTH:
            raise InputError(f"malformed YAML: nested more than {MAX_DEPTH} levels deep", file=path,
                             line=node.start_mark.line + 1)
        stack.append((node, loc, depth, True))
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):  # `{[sgd]: 1}`: a key is a name
                    raise InputError("a key must be a plain name, not a list or a mapping", file=path,
                                     line=key_node.start_mark.line + 1)
                key = key_node.value
                if key in seen:
                    raise InputError(f"duplicate key '{key}' (first at line {seen[key]})", file=path,
                                     line=key_node.start_mark.line + 1,
                                     hint="a second one would silently replace the first")
                seen[key] = key_node.start_mark.line + 1
        for key, child in _children(node):
            if isinstance(node, yaml.MappingNode):
                # the key's own line is the best place to point at for the key's value
                lines[loc + (key,)] = seen[key]
            stack.append((child, loc + (key,), depth + 1, False))
    return lines


def _children(node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        return [(k.value, v) for k, v in node.value]
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _text(path: Path, raw: bytes) -> str:
    """The file as text: UTF-8 without NUL or other control bytes (a binary file is refused
    with the line of its first such byte)."""
    for k, byte in enumerate(raw):
        if byte < 0x20 and byte not in _TEXT_CONTROL:
            line = raw.count(b"\n", 0, k) + 1
            raise InputError(f"not a text file: byte 0x{byte:02x} at line {line}", file=path, line=line,
                             hint="a YAML file is UTF-8 text")
    return utf8_text(raw, path, hint="save the file as UTF-8")


def load_yaml(path: str | Path) -> tuple[Any, dict[Loc, int]]:
    """Parse a YAML file; returns the data and a map from key paths to 1-based line numbers.

    The one way ferrosim reads YAML it did not write itself (configs, device files, sidecars).
    Raises InputError (with the line) for a missing or unreadable file, bytes that are not
    UTF-8 text, malformed YAML, a duplicate key, nesting deeper than MAX_DEPTH or aliases that
    expand beyond MAX_VALUES.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=path, hint="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a YAML file", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None
    text = _text(path, raw)
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        lines = {} if node is None else _walk(node, path)
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = (exc.problem or exc.context or "malformed YAML").replace("\n", " ")
        raise InputError(f"malformed YAML: {problem}", file=path, line=line,
                         hint="check indentation, colons and quotes") from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {' '.join(str(exc).split())}", file=path) from None
    finally:
        loader.dispose()
    return data, lines


COMMAND_LINE = 0
"""The "line" of a value given on the command line (`--set KEY=VALUE`, `--algorithm`, ...):
errors about it are blamed on the command line, not on a line of the file."""


def mark_overrides(lines: dict[Loc, int], overrides: list[str]) -> None:
    """Record that the keys of `KEY=VALUE` overrides come from the command line (whatever lines
    of the file held them before, and everything below them)."""
    for item in overrides:
        loc = tuple(item.split("=", 1)[0].strip().split("."))
        for known in [k for k in lines if k[: len(loc)] == loc]:
            del lines[known]
        lines[loc] = COMMAND_LINE


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """Line of the deepest known prefix of `loc` (a missing key points at its parent)."""
    for k in range(len(loc), -1, -1):
        if loc[:k] in lines:
            return lines[loc[:k]]
    return None
