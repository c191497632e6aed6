"""The `dg-table` reader: CrossSim dG-vs-G lookup tables, `*_increasing` with its `*_decreasing`
sibling.

Each table holds, after an optional text line, a line of G bins, a line of CDF points and a dG
quantile matrix (one row per CDF point, one column per G bin); the pair becomes one StepTable of
the mean and std of the step per G bin (`dg_moments`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ferrosim.errors import InputError
from ferrosim.io.cells import is_number as _is_number
from ferrosim.io.cells import number as _number
from ferrosim.io.measurement_data import StepTable
from ferrosim.io.readers.common import read_text, tokens
from ferrosim.io.readers.names import DG_PAIR, strip_words, swap_word, word_pattern
from ferrosim.io.sidecar import Context, file_settings


def read(path: Path, text: str, ctx: Context) -> tuple[list[StepTable], list[Path]]:
    table, used = _read_dg_pair(path, text, ctx)
    return [table], used


def _read_dg_matrix(path: Path, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(G bins, CDF points, dG matrix rows=CDF x cols=bins) of one CrossSim table."""
    numbered = [(k + 1, ln) for k, ln in enumerate(text.splitlines()) if ln.strip()]
    if numbered and not all(_is_number(t) for t in tokens(numbered[0][1])):
        numbered = numbered[1:]  # the text header line
    if len(numbered) < 3:
        raise InputError("a dG table needs a G-bins line, a CDF line and the dG matrix",
                         file=path, line=numbered[-1][0] if numbered else 1)

    def numbers(n: int, raw: str, what: str) -> np.ndarray:
        return np.asarray([_number(t, path, n, what) for t in tokens(raw)], dtype=np.float64)

    (n_bins, raw_bins), (n_cdf, raw_cdf) = numbered[0], numbered[1]
    bins = numbers(n_bins, raw_bins, "G bins")
    cdf = numbers(n_cdf, raw_cdf, "CDF points")
    if bins.size < 1 or np.any(np.diff(bins) <= 0):
        raise InputError("G bins must increase", file=path, line=n_bins)
    if cdf.size < 2 or np.any(np.diff(cdf) < 0) or cdf[0] < 0 or cdf[-1] > 1 or cdf[-1] <= cdf[0]:
        raise InputError("CDF points must be non-decreasing values in [0, 1]", file=path, line=n_cdf)
    rows = numbered[2:]
    matrix = np.empty((len(rows), bins.size))
    for r, (n, raw) in enumerate(rows):
        if r >= cdf.size:
            raise InputError(f"more matrix rows than CDF points ({cdf.size}, line {n_cdf})",
                             file=path, line=n)
        row = numbers(n, raw, "dG")
        if row.size != bins.size:
            raise InputError(f"dG matrix row has {row.size} values, expected one per G bin "
                             f"({bins.size}, line {n_bins})", file=path, line=n)
        matrix[r] = row
    if len(rows) != cdf.size:
        raise InputError(f"dG matrix has {len(rows)} rows, expected one per CDF point "
                         f"({cdf.size}, line {n_cdf})", file=path, line=rows[-1][0])
    return bins, cdf, matrix


_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # renamed in numpy 2.0


def dg_moments(cdf: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin mean and std of dG from a quantile table: row i holds the dG quantile at CDF
    value cdf[i], so E[dG] = int_0^1 Q(p) dp and E[dG^2] = int_0^1 Q(p)^2 dp (trapezoid rule,
    normalised by the CDF span in case the points do not reach 0 and 1)."""
    span = cdf[-1] - cdf[0]
    mean = _trapezoid(matrix, cdf, axis=0) / span
    second = _trapezoid(matrix**2, cdf, axis=0) / span
    std = np.sqrt(np.maximum(second - mean**2, 0.0))
    return mean, std


def _read_dg_pair(path: Path, text: str, ctx: Context) -> tuple[StepTable, list[Path]]:
    s = file_settings(ctx, path)
    stem = path.stem
    inc = word_pattern("increasing").search(stem) is not None
    dec = word_pattern("decreasing").search(stem) is not None
    if inc == dec:
        if s.direction is None:
            raise InputError("cannot tell whether this dG table is the increasing or the decreasing one",
                             file=path, hint="name the files *_increasing.txt and *_decreasing.txt")
        inc = s.direction == "up"
    sib_name = swap_word(path.name, (DG_PAIR,))
    sibling = path.parent / sib_name if sib_name else None
    if sibling is None or not sibling.is_file():
        missing = sib_name or ("the _decreasing table" if inc else "the _increasing table")
        raise InputError(f"the sibling dG table {missing} is missing", file=path,
                         hint="a dG table needs both the _increasing and the _decreasing file")
    files = (path, sibling) if inc else (sibling, path)
    texts = (text, read_text(sibling)) if inc else (read_text(sibling), text)
    (g_up, cdf_up, m_up), (g_dn, cdf_dn, m_dn) = (_read_dg_matrix(f, t) for f, t in zip(files, texts))
    if g_up.shape != g_dn.shape or not np.allclose(g_up, g_dn, rtol=1e-9, atol=0):
        raise InputError(f"G bins differ from those of {files[0].name}", file=files[1], line=None)
    notes = [f"CrossSim dG table: up from {files[0].name}, down from {files[1].name}; mean and std "
             "of the step per G bin integrated over the CDF"]
    mean_up, std_up = dg_moments(cdf_up, m_up)
    mean_dn, std_dn = dg_moments(cdf_dn, m_dn)
    # The decreasing table holds negative steps; a table already written as magnitudes is kept.
    if float(np.mean(mean_dn)) < 0:
        mean_dn = -mean_dn
    else:
        notes.append(f"{files[1].name} holds positive steps: read as magnitudes")
    for label, mean in (("up", mean_up), ("down", mean_dn)):
        wrong = int(np.sum(mean < 0))
        if wrong:
            notes.append(f"{wrong} G bins have a mean {label} step of the opposite sign")
    dev = s.device if s.device is not None else (strip_words(stem, DG_PAIR + ("dG",)) or stem)
    return StepTable(device=dev, pulse_width_s=s.pulse_width_s, g=g_up, mean_up=mean_up, std_up=std_up,
                     mean_down=mean_dn, std_down=std_dn, sources=list(files), units="S",
                     format="dg-table", notes=notes + s.notes), [path, sibling]
