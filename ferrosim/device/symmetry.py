"""The symmetry point from the measured steps, model-free, with a bootstrap (issue 25, item 1).

The symmetry point (SP) g* is where the mean up step equals the mean down step as a function of
the state (docs/physics.md, "Symmetry point and granularity"). Here it comes straight from the
measured steps of one device at one pulse width, without a response model: the steps are built
as the fitter builds them (ferrosim.device.fitting.normalise and steps_of: the measured range
onto [-1, 1], the step of each pulse against the state read before it), so g* is in the fitted
model's coordinates and compares with its `symmetry_point()`.

**Estimator.** Per direction, a local linear regression of the step (in the ramp's own
direction, signed, so noise that reverses a step is kept and nothing is biased by taking |dg|)
on the state, Gaussian kernel; its width is chosen per direction from BANDWIDTHS by held-out
error (whole ramps left out where a direction has two or more, else alternate blocks of
n**(1/3) consecutive pulses of the one ramp, so that the correlation of neighbouring steps does
not reward a kernel that only copies the neighbour). The curve is the fit at every distinct
measured state, linear in between. g* is the crossing of the two curves inside the states both
directions measured (the overlap) where up - down turns from positive to negative (a stable
balance: zero-mean random pulses drive the state there); of several, the one with the widest
basin. None, with the reason, where no such crossing lies inside the overlap. Why this and not
the alternatives, on ../shared/data/hzo (ID161ZR15000):
- The curves are peaked, not monotone: at 200 us the up step rises from 0.003 at g = -0.99 to
  0.21 at g = -0.4 and falls to 0.001 at g = +1 (the amplitude ramp passing the coercive
  voltage), the down step peaks at 0.10 near g = 0. A monotone smoother cannot follow that.
- Global polynomials: held-out error still falls at degree 9 at five of the six widths, and
  the crossing moves with the degree (200 us: 0.303, 0.251, 0.283 at degrees 3, 5, 7).
- Bins: the up curve falls steeply through the crossing and a bin averages the steep part in,
  so the crossing moves with the bin count (200 us: 0.213 with 6 bins, 0.246 with 12).
- A local fit uses only the steps near each state. The up ramp crosses -0.6 .. +0.13 in four
  pulses of 0.14 to 0.21: the kernel is never narrower than half the distance to the
  NEIGHBOURS-th nearest measured state, and the curve is bridged linearly between states,
  never extrapolated across a stretch no pulse landed on.

**Bootstrap.** Every level of the data with two or more members is resampled with replacement,
top down: the (file, cycle) units (a cycle's up and down ramp together, so a drift shared by
both stays intact), then the ramps of each direction within a unit, then the pulses within each
ramp. The smoother's kernel widths stay as chosen on the data. Pulses are not exchangeable: a
ramp is a path. Resampled freely (blocks from anywhere in the ramp), some draws lose every pulse
with which the 200 us up ramp crossed -0.8 .. +0.2, a ramp no device makes; the up curve bridged
across that hole crosses the down curve near -0.5, and the 95% interval reached below -0.2.
So the pulses are resampled by a local block bootstrap (Paparoditis and Politis 2002): blocks
of BLOCK consecutive pulses (about each ramp's own curve the steps' residuals correlate at
lag 1 and hardly beyond: median -0.18 at lag 1 (quartiles -0.48, +0.04), +0.07 at lag 2, -0.03
at lag 3 over the 88 ramps of ../shared/data/hzo; read noise is shared by two consecutive
steps), the block at each position taken from within
WINDOW pulses of it, so the draw stays where the ramp went. Resampling every level counts the
pulse noise again at the unit level where several cycles exist (conservative there).

The 68% and 95% intervals are percentiles of the draws (`inverted_cdf`). A draw with one
direction larger over its whole overlap counts as +inf (up larger: the SP above the overlap) or
-inf; one with only unstable crossings is left out; `n_no_crossing` counts both. Deterministic
for a seed or a numpy Generator.

Calibration on synthetic devices (tests/device/test_symmetry.py: ramps of the softbounds,
powstep and table models of ferrosim.device.models with 30% cycle-to-cycle noise, 100 repeats,
200 draws each), repeats whose 95% (68%) interval holds the model's SP, softbounds/powstep/table:
4 cycles of 30 pulses each way 96/95/99 (77/72/68); 2 cycles of 40 pulses 90/88/87 (64/60/61);
one cycle of 60 pulses 91/84/86 (64/57/65). With one or two cycles the interval is somewhat
short: two units are a coarse sample of cycles, and a single path's states are themselves
random, which a draw that keeps where the ramp went does not fully repeat (a free resampling
of the pulses covers better on synthetic ramps but makes the impossible ramps above on measured
ones).

What the interval holds: the noise of the pulses and cycles that were measured. With one cycle
(`n_units == 1`: every ID161ZR15000 width but 20 ns) it holds no spread between cycles, which
these devices show can be large: ID161ZR15000 at 20 ns, two files: pooled 0.61; alone, one file
has the up step larger over its whole overlap (no crossing), the other crosses at 0.46; ID294YR
at 500 us, three files: two alone without a crossing, one at 0.38.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ferrosim.device.crossing import stable_crossing
from ferrosim.device.fitting import NormRamp, normalise, steps_of
from ferrosim.device.smoothing import (BANDWIDTHS, MAX_KNOTS, NEIGHBOURS, Curve, Smoother, block_length,  # noqa: F401
                                       choose_smoother, curve, local_linear)
from ferrosim.io.measurement_data import Trace

BLOCK = 2
"""Consecutive pulses resampled together within a ramp (the steps correlate at lag 1)."""
WINDOW = 5
"""The block at a ramp position is drawn from the blocks starting within this many pulses of it.
Measured on the synthetic single cycles (1 x 60 pulses) and the ID161 ramps: 2 covers the
synthetic SP in 77-82% of the 95% intervals (5: 84-91%); 10 lets draws lose the fast part of a
measured ramp (ID161 200 us: the 95% interval then reaches -0.05, 20 us -0.08; with 5: 0.22, 0.10)."""
LEVELS_68 = (0.158655, 0.841345)
LEVELS_95 = (0.025, 0.975)


@dataclass
class SymmetryEstimate:
    """The data's symmetry point in the normalised state (`range_source`: the map [-1, 1] <- it)."""

    value: float | None
    """Point estimate g*, or None (then `reason` says why)."""
    reason: str | None
    interval_68: tuple[float, float] | None = None
    interval_95: tuple[float, float] | None = None
    """Bootstrap percentile intervals. An end is -inf/+inf when more than its tail share of the
    draws had one direction's mean step larger over the whole overlap (no crossing)."""
    n_boot: int = 0
    n_no_crossing: int = 0
    """Draws without a stable crossing inside their overlap: n_above + n_below + n_unstable."""
    n_above: int = 0
    """... the up step larger everywhere (the SP above the overlap: counted as +inf)."""
    n_below: int = 0
    """... the down step larger everywhere (the SP below the overlap: counted as -inf)."""
    n_unstable: int = 0
    """... the curves crossed only the unstable way round (left out of the percentiles)."""
    overlap: tuple[float, float] | None = None
    """The states both directions measured: the only place a crossing is looked for."""
    smoothers: dict[str, Smoother] = field(default_factory=dict)
    scheme: str = ""
    """What the bootstrap resampled, in words."""
    n_units: int = 0
    """(file, cycle) units pooled; with 1 the interval holds no spread between cycles."""
    n_crossings: int = 0
    """Stable crossings of the point estimate's curves (the one with the widest basin is `value`)."""
    range_source: tuple[float, float] | None = None
    """The source range mapped onto [-1, 1] (S or the data's units), from `symmetry_from_traces`."""
    draws: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    """Every bootstrap estimate (+-inf above/below the overlap, nan for an unstable crossing only)."""
    seconds: float = 0.0

    def record(self) -> dict:
        """Plain numbers for a device file or a report."""
        pair = lambda iv: None if iv is None else [float(iv[0]), float(iv[1])]  # noqa: E731
        return {"data": self.value, "interval_68": pair(self.interval_68),
                "interval_95": pair(self.interval_95), "n_boot": self.n_boot,
                "n_no_crossing": self.n_no_crossing, "n_units": self.n_units, "reason": self.reason,
                "method": f"local linear mean step per direction, their crossing; bootstrap: {self.scheme}"}


# -- the crossing -----------------------------------------------------------------------------
def crossing(up: Curve, down: Curve, lo: float, hi: float) -> tuple[float | None, int, int]:
    """Stable crossing of the mean up and down step curves on [lo, hi]: (g*, side, n_stable)
    (ferrosim.device.crossing.stable_crossing). Both curves are linear between knots, so on the
    union of their knots the crossing is exact."""
    knots = np.concatenate([[lo], up.knots, down.knots, [hi]])
    grid = np.unique(knots[(knots >= lo) & (knots <= hi)])
    return stable_crossing(grid, up(grid) - down(grid), lo, hi)


# -- the data ---------------------------------------------------------------------------------
@dataclass
class _Direction:
    """The steps of one direction, pooled over its ramps, and each ramp's place in them."""

    g: np.ndarray
    m: np.ndarray
    """The step in the pulse's own direction (up: dg, down: -dg), signed."""
    ramp: np.ndarray
    pos: np.ndarray
    spans: list[tuple[int, int]]
    """(offset, length) of each ramp in g and m."""
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    """Per ramp: block start positions, the largest start, the offset, which entries to keep."""

    def __post_init__(self):
        for off, n in self.spans:
            starts = np.arange(0, n, BLOCK)
            keep = np.arange(len(starts) * BLOCK) < n
            top, offset = np.full(len(starts), max(n - BLOCK, 0)), np.full(len(starts), off)
            self.blocks.append((starts, top, offset, keep))


def _structure(ramps: list[NormRamp]):
    """The two directions' steps and the (file, cycle) units: unit -> direction -> ramp ids."""
    parts: dict[bool, list] = {True: [], False: []}
    units: dict[tuple[str, int], dict[bool, list[int]]] = {}
    for r in ramps:
        g, dg, _ = steps_of([r])
        if len(g):
            units.setdefault((r.source, r.cycle), {True: [], False: []})[r.up].append(len(parts[r.up]))
            parts[r.up].append((g, dg if r.up else -dg))
    data = {}
    for b, rs in parts.items():
        lengths = [len(g) for g, _ in rs]
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int) if rs else []
        data[b] = _Direction(
            np.concatenate([g for g, _ in rs]) if rs else np.empty(0),
            np.concatenate([m for _, m in rs]) if rs else np.empty(0),
            np.concatenate([np.full(n, i) for i, n in enumerate(lengths)]) if rs else np.empty(0, int),
            np.concatenate([np.arange(n) for n in lengths]) if rs else np.empty(0, int),
            [(int(o), n) for o, n in zip(offsets, lengths)])
    return data, list(units.values())


# -- the estimate -----------------------------------------------------------------------------
def symmetry_from_traces(traces: list[Trace], *, n_boot: int = 1000,
                         rng: np.random.Generator | int | None = 0) -> SymmetryEstimate:
    """The data's SP of one device at one pulse width (all its files and cycles pooled), in the
    normalised state of ferrosim.device.fitting.normalise (the fitted model's map)."""
    ramps, span = normalise(traces)
    est = symmetry_from_ramps(ramps, n_boot=n_boot, rng=rng)
    est.range_source = span
    return est


def symmetry_from_ramps(ramps: list[NormRamp], *, n_boot: int = 1000,
                        rng: np.random.Generator | int | None = 0) -> SymmetryEstimate:
    """As `symmetry_from_traces`, from normalised ramps (ferrosim.device.fitting.NormRamp)."""
    t0 = time.perf_counter()
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    data, units = _structure(ramps)
    for b, word in ((True, "up"), (False, "down")):
        distinct = len(np.unique(data[b].g))
        if distinct < NEIGHBOURS:
            return SymmetryEstimate(None, f"needs {word} steps from at least {NEIGHBOURS} distinct states; "
                                    f"the data have {distinct}", seconds=time.perf_counter() - t0)
    lo = float(max(data[True].g.min(), data[False].g.min()))
    hi = float(min(data[True].g.max(), data[False].g.max()))
    if not hi > lo:
        return SymmetryEstimate(None, "the up and down ramps measured no common states",
                                seconds=time.perf_counter() - t0)
    smoothers = {b: choose_smoother(d.g, d.m, d.ramp, d.pos) for b, d in data.items()}
    value, side, n_stable = crossing(curve(data[True].g, data[True].m, smoothers[True].bandwidth),
                                     curve(data[False].g, data[False].m, smoothers[False].bandwidth), lo, hi)
    est = SymmetryEstimate(value, None if value is not None else _why(side, lo, hi), overlap=(lo, hi),
                           smoothers={"up": smoothers[True], "down": smoothers[False]},
                           n_units=len(units), n_crossings=n_stable)
    if value is None or n_boot <= 0:
        est.seconds = time.perf_counter() - t0
        return est
    est.scheme = _scheme(data, units)
    draws = np.array([_draw(data, units, smoothers, rng) for _ in range(n_boot)])
    est.draws, est.n_boot = draws, n_boot
    est.n_above, est.n_below = int(np.sum(draws == np.inf)), int(np.sum(draws == -np.inf))
    est.n_unstable = int(np.isnan(draws).sum())
    est.n_no_crossing = est.n_above + est.n_below + est.n_unstable
    kept = draws[~np.isnan(draws)]
    if len(kept):
        est.interval_68, est.interval_95 = (
            tuple(float(v) for v in np.quantile(kept, levels, method="inverted_cdf"))
            for levels in (LEVELS_68, LEVELS_95))
    est.seconds = time.perf_counter() - t0
    return est


def _why(side: int, lo: float, hi: float) -> str:
    where = f"[{lo:+.3f}, {hi:+.3f}]"
    if side == 1:
        return f"the mean up step exceeds the mean down step over the whole overlap {where}: no crossing"
    if side == -1:
        return f"the mean down step exceeds the mean up step over the whole overlap {where}: no crossing"
    return f"the mean steps cross only the unstable way (up - down rising) inside {where}"


def _scheme(data, units) -> str:
    words = []
    if len(units) >= 2:
        words.append(f"the {len(units)} (file, cycle) units")
    if any(len(u[b]) >= 2 for u in units for b in (True, False)):
        words.append("the ramps of each direction within a unit")
    words.append(f"the pulses of each ramp in blocks of {BLOCK} from within {WINDOW} pulses of their place")
    return ", then ".join(words) + " (with replacement)"


def _draw(data, units, smoothers, rng) -> float:
    """One bootstrap estimate: +-inf without a crossing (up/down larger), nan if only unstable."""
    chosen = [units[i] for i in rng.integers(0, len(units), len(units))] if len(units) >= 2 else units
    curves = {}
    for b, d in data.items():
        ids = []
        for unit in chosen:
            rs = unit[b]
            ids += [rs[i] for i in rng.integers(0, len(rs), len(rs))] if len(rs) >= 2 else rs
        if not ids:
            return np.nan
        starts, top, offset, keep = (np.concatenate([d.blocks[i][j] for i in ids]) for j in range(4))
        starts = np.clip(starts + rng.integers(-WINDOW, WINDOW + 1, len(starts)), 0, top) + offset
        idx = (starts[:, None] + np.arange(BLOCK)[None, :]).ravel()[keep]
        curves[b] = (d.g[idx], d.m[idx])
    lo = max(curves[True][0].min(), curves[False][0].min())
    hi = min(curves[True][0].max(), curves[False][0].max())
    if not hi > lo:
        return np.nan
    value, side, _ = crossing(curve(*curves[True], smoothers[True].bandwidth),
                              curve(*curves[False], smoothers[False].bandwidth), lo, hi)
    if value is None:
        return {1: np.inf, -1: -np.inf}.get(side, np.nan)
    return value
