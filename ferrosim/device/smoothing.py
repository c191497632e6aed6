"""Mean step against state, one direction: a local linear smoother with its kernel width chosen
by held-out error (issue 25). Used by the model-free symmetry point (ferrosim.device.symmetry,
whose docstring says why this smoother and not bins or polynomials) and by the `table` response
model (ferrosim.device.fitting.fit_table).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BANDWIDTHS = tuple(float(h) for h in np.geomspace(0.02, 0.8, 14))
"""Kernel widths tried per direction (std of the Gaussian kernel, normalised state units)."""
NEIGHBOURS = 4
"""The kernel is never narrower than half the distance to this many nearest distinct states."""


@dataclass(frozen=True)
class Smoother:
    """The kernel chosen for one direction and its held-out error."""

    bandwidth: float
    heldout_rmse: float
    folds: str
    """How the held-out error was taken: `ramps` (whole ramps left out) or `blocks` (alternate
    blocks of consecutive pulses of a single ramp left out)."""


# -- the mean-step curve of one direction -----------------------------------------------------
def local_linear(x: np.ndarray, y: np.ndarray, at: np.ndarray, bandwidth: float,
                 distinct: np.ndarray | None = None) -> np.ndarray:
    """Local linear regression of `y` on `x` at `at`: Gaussian kernel of std `bandwidth`, never
    narrower than half the distance to the NEIGHBOURS-th nearest distinct x (`distinct`:
    np.unique(x) when the caller has it). A tiny ridge on the slope makes a lone point give its
    own value instead of failing."""
    at = np.asarray(at, dtype=float)
    distinct = np.unique(x) if distinct is None else distinct
    h: float | np.ndarray = bandwidth
    if len(distinct) > NEIGHBOURS:
        near = np.partition(np.abs(distinct[None, :] - at[:, None]), NEIGHBOURS - 1, axis=1)[:, NEIGHBOURS - 1]
        h = np.maximum(bandwidth, 0.5 * near)[:, None]
    u = (x[None, :] - at[:, None]) / h
    u2 = u * u
    w = np.exp(-0.5 * (u2 - u2.min(axis=1, keepdims=True)))  # each row's nearest point weighs 1
    wu = w * u
    s0, s1, s2 = w.sum(axis=1), wu.sum(axis=1), (wu * u).sum(axis=1)
    s2 = s2 + 1e-9 * s0
    return (s2 * (w @ y) - s1 * (wu @ y)) / (s0 * s2 - s1 * s1)


@dataclass(frozen=True)
class Curve:
    """A mean-step curve: the local fit at every distinct measured state, linear in between."""

    knots: np.ndarray
    values: np.ndarray

    def __call__(self, g) -> np.ndarray:
        return np.interp(g, self.knots, self.values)


MAX_KNOTS = 200
"""Most states a curve is fitted at. Ramps of a few hundred pulses (every HZO file) have fewer
distinct states and are fitted at each; long traces (a CrossSim set: 13,000 steps) at this many
quantiles of their states, so the local fit costs O(n * MAX_KNOTS), not O(n^2) in time and memory."""


def curve(x: np.ndarray, y: np.ndarray, bandwidth: float) -> Curve:
    """The mean step of one direction against the state (`x` states, `y` steps)."""
    distinct = np.unique(x)
    knots = distinct if len(distinct) <= MAX_KNOTS else np.unique(np.quantile(distinct, np.linspace(0, 1, MAX_KNOTS)))
    return Curve(knots, local_linear(x, y, knots, bandwidth, distinct))


def block_length(n: int) -> int:
    """Consecutive pulses held out together when a single ramp chooses its kernel: n**(1/3)."""
    return max(1, int(round(n ** (1 / 3))))


def choose_smoother(x: np.ndarray, y: np.ndarray, ramp: np.ndarray, pos: np.ndarray) -> Smoother:
    """The kernel width with the lowest held-out error of one direction's mean step (`ramp`:
    which ramp each step is from; `pos`: its pulse number within the ramp)."""
    ids = np.unique(ramp)
    if len(ids) >= 2:
        k = min(len(ids), 5)
        folds, kind = [np.isin(ramp, ids[i::k]) for i in range(k)], "ramps"
    else:
        block = block_length(len(pos))
        rank = np.argsort(np.argsort(pos, kind="stable"))  # 0, 1, 2, ... along the ramp (pos may skip)
        folds, kind = [(rank // block) % 2 == 0, (rank // block) % 2 == 1], "blocks"
    folds = [t for t in folds if t.any() and len(np.unique(x[~t])) >= 2]
    if not folds:  # too few steps to hold any out: the widest kernel, a local line through them all
        return Smoother(BANDWIDTHS[-1], float("nan"), "none (too few steps)")
    best = None
    for h in BANDWIDTHS:
        sq = sum(float(np.sum((curve(x[~test], y[~test], h)(x[test]) - y[test]) ** 2)) for test in folds)
        rmse = float(np.sqrt(sq / len(x)))
        if np.isfinite(rmse) and (best is None or rmse < best.heldout_rmse):
            best = Smoother(h, rmse, kind)
    return best
