"""Directions, siblings and pulse widths from file names: `*_set.csv` holds up ramps and its
sibling is `*_reset.csv` (likewise `*_pot`/`*_dep`, `*_up`/`*_down`, `*_ltp`/`*_ltd`),
`*_increasing.txt` pairs with `*_decreasing.txt` (CrossSim set = potentiation); `dev_100ns.csv`
names its pulse width. One rule for every reader: the CrossSim ramps and the lab tables."""

from __future__ import annotations

import re
from pathlib import Path

from ferrosim.units import format_pulse_width, parse_pulse_width

# File-name words that give a one-direction file's direction.
UP_WORDS = ("set", "potentiation", "pot", "ltp", "up")
DOWN_WORDS = ("reset", "depression", "dep", "ltd", "down")
SIBLING_PAIRS = (("set", "reset"), ("potentiation", "depression"), ("pot", "dep"), ("ltp", "ltd"), ("up", "down"))
DG_PAIR = ("increasing", "decreasing")


def word_pattern(word: str) -> re.Pattern:
    # A name word, bounded by non-letters: 'set' in 'example_set' but not in 'reset'.
    return re.compile(rf"(?<![A-Za-z]){word}(?![A-Za-z])", re.IGNORECASE)


def name_direction(name: str) -> str | None:
    stem = Path(name).stem
    up = any(word_pattern(w).search(stem) for w in UP_WORDS)
    down = any(word_pattern(w).search(stem) for w in DOWN_WORDS)
    if up != down:
        return "up" if up else "down"
    return None


def swap_word(name: str, pairs: tuple[tuple[str, str], ...]) -> str | None:
    """`name` with its one direction word swapped for the other direction's (set <-> reset)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    found = []
    for a, b in pairs:
        for src, dst in ((a, b), (b, a)):
            for m in word_pattern(src).finditer(stem):
                found.append((m.start(), m.end(), dst))
    if len(found) != 1:
        return None
    start, end, dst = found[0]
    word = stem[start:end]
    dst = dst.upper() if word.isupper() else (dst.capitalize() if word[:1].isupper() else dst)
    return stem[:start] + dst + stem[end:] + suffix


def strip_words(stem: str, words: tuple[str, ...]) -> str:
    for w in words:
        stem = word_pattern(w).sub("", stem)
    stem = re.sub(r"[_\-. ]{2,}", "_", stem).strip("_-. ")
    return stem


_WIDTH_IN_NAME = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)\s?(ps|ns|us|µs|ms)(?![A-Za-z])")


def width_in_name(name: str) -> str | None:
    """The pulse width a file name carries (`dev1_100ns_pot.csv` -> `100ns`), else None; only
    with a time unit below a second (`2s` in a name is too often something else)."""
    found = {m.group(1) + m.group(2) for m in _WIDTH_IN_NAME.finditer(Path(name).stem)}
    if len(found) != 1:
        return None
    try:
        return format_pulse_width(parse_pulse_width(found.pop()))
    except ValueError:
        return None
