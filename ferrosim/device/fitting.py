"""Fit device response models to measured pulse responses (DESIGN.md section 3).

Per (device, pulse width):
1. normalise: the measured conductance range [G_min, G_max] maps linearly onto [-1, 1];
2. steps vs state: every pair of consecutive reads gives a step `dg` at the state `g` before the
   pulse. Soft bounds are linear in that plane (`dg = a_up - (a_up/w_max) g`), which gives robust
   starting values; both parametric models are then least-squares fitted to the steps
   (scipy.optimize.least_squares), reweighted by 1/|mean step| because pulse noise is
   multiplicative. Standard errors come from the Jacobian at the optimum;
3. optionally (`refine="traces"`) refine on the traces: simulate each measured ramp from its
   first read with the model's mean step (clipped to the bounds) and least-squares the simulated
   reads onto the measured ones. Trace R^2/RMSE are always reported this way;
4. `table`: mean and std of the steps per direction against the state, model-free (a local linear
   smoother whose kernel width is chosen by held-out error), tabulated on a grid;
5. `auto`: every model is fitted on the even-numbered steps of each ramp and scored on the odd
   ones (held-out step RMSE); the simplest model within 2% of the best wins.

`c2c` is estimated from the step residuals as `sqrt(sum r^2 / sum m^2)` (r: measured step minus
the model's mean step m), the relative spread that `step*(1 + c2c*xi)` implies. With real data it
also holds read noise, so it is an upper bound on the device's own cycle-to-cycle noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from ferrosim.device.models import DeviceModel, PowStepDevice, SoftBoundsDevice, TableDevice
from ferrosim.device.smoothing import choose_smoother, curve, local_linear
from ferrosim.io.measurement_data import StepTable, Trace

MODELS = ("softbounds", "powstep", "table")
MODEL_CHOICES = ("auto", *MODELS)
PARSIMONY = 0.02  # a more complex model must beat the simpler ones' held-out error by 2%

# Parameter bounds in normalised units. Fitted saturation levels may lie outside the measured
# range [-1, 1] (DESIGN.md section 2) but not absurdly far; a bound that is hit is reported.
_A = (1e-9, 10.0)
_W_MAX = (0.5, 1e3)
_W_MIN = (-1e3, -0.5)
_GAMMA = (0.0, 20.0)
PARAMS = {
    "softbounds": ("a_up", "a_down", "w_min", "w_max"),
    "powstep": ("a_up", "a_down", "gamma_up", "gamma_down", "w_min", "w_max"),
}
_BOUNDS = {
    "softbounds": (_A, _A, _W_MIN, _W_MAX),
    "powstep": (_A, _A, _GAMMA, _GAMMA, _W_MIN, _W_MAX),
}


@dataclass
class NormRamp:
    """One ramp in normalised units: `states[0]` is the read before the first fitted pulse."""

    up: bool
    states: np.ndarray
    amplitude_V: np.ndarray | None  # of the pulses between states (len(states) - 1) when known
    conductance_S: np.ndarray | None  # states in siemens (for the energy estimate)
    cycle: int
    source: str
    read_polarity_S: np.ndarray | None = None  # (pulses, 2) reads at -V_read, +V_read (as amplitude_V)
    current_A: np.ndarray | None = None  # current during each pulse (as amplitude_V)


@dataclass
class FitResult:
    """Everything `fit-device` reports and writes for one (device, pulse width)."""

    device: str
    pulse_width_s: float | None
    model: DeviceModel
    params: dict[str, tuple[float, float]]  # name -> (value, standard error); table: empty
    stats: dict[str, float | int | str | None]
    candidates: dict[str, float]  # model -> held-out step RMSE (auto) ; empty otherwise
    reason: str
    ramps: list[NormRamp]
    range_S: tuple[float, float] | None  # the map [-1, 1] <- [G_min, G_max] in siemens
    range_units: str  # "S" or "normalised" (the source data's own units)
    range_source: tuple[float, float]
    sources: list[str]
    notes: list[str] = field(default_factory=list)
    steps: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # g, dg, up (for plots)


# -- normalisation and steps ------------------------------------------------------------------
def normalise(traces: list[Trace]) -> tuple[list[NormRamp], tuple[float, float]]:
    """Map every read of `traces` (one device, one pulse width) linearly onto [-1, 1]."""
    every = np.concatenate([r.states() for t in traces for r in t.ramps])
    lo, hi = float(np.min(every)), float(np.max(every))
    if not hi > lo:
        raise ValueError("all reads are equal: no pulse response to fit")
    scale = 2.0 / (hi - lo)
    ramps = []
    for t in traces:
        for r in t.ramps:
            raw = r.states()
            if len(raw) < 2:
                continue
            # the first read has no known state before it: its pulse is not fitted
            first = 0 if r.start is not None else 1
            amps, pairs, current = (None if a is None else a[first:]
                                    for a in (r.amplitude_V, r.read_polarity_S, r.current_A))
            ramps.append(NormRamp(
                up=r.direction == "up", states=(raw - lo) * scale - 1.0, amplitude_V=amps,
                conductance_S=raw if t.units == "S" else None, cycle=r.cycle, source=str(t.source),
                read_polarity_S=pairs, current_A=current,
            ))
    return ramps, (lo, hi)


def steps_of(ramps: list[NormRamp], parity: int | None = None):
    """(g before, signed step, is_up) of every pulse; `parity` keeps even (0) or odd (1) steps."""
    g, dg, up = [], [], []
    for r in ramps:
        s = r.states
        k = np.arange(len(s) - 1)
        keep = k if parity is None else k[k % 2 == parity]
        g.append(s[keep])
        dg.append(s[keep + 1] - s[keep])
        up.append(np.full(len(keep), r.up))
    return np.concatenate(g), np.concatenate(dg), np.concatenate(up)


# -- parametric models ------------------------------------------------------------------------
def _device(name: str, p: np.ndarray, c2c: float = 0.0) -> DeviceModel:
    values = dict(zip(PARAMS[name], (float(v) for v in p)))
    cls = SoftBoundsDevice if name == "softbounds" else PowStepDevice
    return cls(c2c=c2c, **values)


def _signed_mean_step(name: str, p: np.ndarray, g: np.ndarray, up: np.ndarray) -> np.ndarray:
    if name == "softbounds":
        a_up, a_down, w_min, w_max = p
        return np.where(up, a_up * (1 - g / w_max), -a_down * (1 - g / w_min))
    a_up, a_down, gu, gd, w_min, w_max = p
    span = w_max - w_min
    x_up = np.clip((w_max - g) / span, 0.0, None)
    x_dn = np.clip((g - w_min) / span, 0.0, None)
    return np.where(up, a_up * x_up**gu, -a_down * x_dn**gd)


def _clip_into(p0: np.ndarray, bounds) -> np.ndarray:
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    # least_squares needs a strictly interior start
    return np.clip(p0, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo))


def _start_softbounds(g, dg, up) -> np.ndarray:
    """Soft bounds are a straight line in the step-vs-state plane: fit it per direction."""
    out = {}
    for is_up, sign in ((True, 1.0), (False, -1.0)):
        gg, mag = g[up == is_up], sign * dg[up == is_up]
        if len(gg) >= 2 and np.ptp(gg) > 0:
            slope, icpt = np.polyfit(gg, mag, 1)
        else:
            slope, icpt = 0.0, float(np.mean(mag)) if len(mag) else 1e-3
        a = max(icpt, 1e-6)
        # up: slope = -a/w_max ; down: slope = a/(-|w_min|) ... both give |bound| = a/|slope|
        bound = a / abs(slope) if abs(slope) > 1e-12 else 1e3
        if (is_up and slope > 0) or (not is_up and slope < 0):
            bound = 1e3  # steps grow toward the bound: no saturation visible, nearly linear
        out[is_up] = (a, bound)
    (a_up, w_max), (a_down, w_min) = out[True], out[False]
    return _clip_into(np.array([a_up, a_down, -w_min, w_max]), _BOUNDS["softbounds"])


def _powstep_from_softbounds(p: np.ndarray) -> np.ndarray:
    a_up, a_down, w_min, w_max = p
    span = w_max - w_min
    # gamma = 1 powstep equals soft bounds with these scales
    start = np.array([a_up * span / w_max, a_down * span / -w_min, 1.0, 1.0, w_min, w_max])
    return _clip_into(start, _BOUNDS["powstep"])


def _fit_on_steps(name: str, g, dg, up, *, reweight: int = 3):
    """Least squares of the mean step onto the measured steps; returns (params, stderr).

    Pulse noise is multiplicative (`step*(1 + c2c*xi)`), so after a plain fit the residuals are
    reweighted by 1/|mean step| a few times (iteratively reweighted least squares), which makes
    them homoscedastic. The floor on the weights keeps steps near a bound from dominating.
    """
    p0 = _start_softbounds(g, dg, up)
    bounds = _bounds_arrays(name)
    if name == "powstep":
        p0 = _powstep_from_softbounds(least_squares(
            lambda p: _signed_mean_step("softbounds", p, g, up) - dg, p0,
            bounds=_bounds_arrays("softbounds"), x_scale="jac").x)
    w = np.ones_like(g)
    res = least_squares(lambda p: (_signed_mean_step(name, p, g, up) - dg) * w, p0, bounds=bounds,
                        x_scale="jac")
    for _ in range(reweight):
        m = np.abs(_signed_mean_step(name, res.x, g, up))
        w = 1.0 / np.maximum(m, 0.05 * np.median(m) + 1e-15)
        w /= w.mean()
        res = least_squares(lambda p: (_signed_mean_step(name, p, g, up) - dg) * w, res.x,
                            bounds=bounds, x_scale="jac")
    return res.x, _stderr(res)


def _stderr(res) -> np.ndarray:
    """Standard errors from the Jacobian at the optimum: cov = s^2 (J^T J)^-1."""
    dof = max(len(res.fun) - len(res.x), 1)
    s2 = float(res.fun @ res.fun) / dof
    cov = np.linalg.pinv(res.jac.T @ res.jac) * s2
    return np.sqrt(np.clip(np.diag(cov), 0.0, None))


def _bounds_arrays(name):
    b = _BOUNDS[name]
    return np.array([x[0] for x in b]), np.array([x[1] for x in b])


def _padded(ramps: list[NormRamp]):
    """Ramps as a (n_ramps, max_len) array with a validity mask, for vectorised simulation."""
    n = max(len(r.states) for r in ramps)
    states = np.zeros((len(ramps), n))
    mask = np.zeros((len(ramps), n), dtype=bool)
    for i, r in enumerate(ramps):
        states[i, : len(r.states)] = r.states
        mask[i, : len(r.states)] = True
    up = np.array([r.up for r in ramps])
    return states, mask, up


def simulate_ramps(name: str, p: np.ndarray, start: np.ndarray, up: np.ndarray, n: int) -> np.ndarray:
    """Noise-free reads after each of `n - 1` pulses from `start` (one ramp per row, clipped)."""
    w_min, w_max = p[-2], p[-1]
    out = np.empty((len(start), n))
    g = start.astype(float).copy()
    out[:, 0] = g
    for k in range(1, n):
        g = np.clip(g + _signed_mean_step(name, p, g, up), w_min, w_max)
        out[:, k] = g
    return out


def _refine_on_traces(name: str, p0: np.ndarray, ramps: list[NormRamp]):
    states, mask, up = _padded(ramps)
    valid = mask[:, 1:]

    def residuals(p):
        return (simulate_ramps(name, p, states[:, 0], up, states.shape[1])[:, 1:] - states[:, 1:])[valid]

    res = least_squares(residuals, p0, bounds=_bounds_arrays(name), x_scale="jac")
    return res.x, _stderr(res)


def trace_residuals(model: DeviceModel, ramps: list[NormRamp]) -> tuple[np.ndarray, np.ndarray]:
    """Simulated minus measured reads of every ramp (noise-free model from each ramp's first read)."""
    resid, measured = [], []
    for r in ramps:
        n = len(r.states) - 1
        sim = model.apply_pulses(r.states[0], n if r.up else 0, 0 if r.up else n)
        resid.append(sim - r.states[1:])
        measured.append(r.states[1:])
    return np.concatenate(resid), np.concatenate(measured)


def rescaled(model: SoftBoundsDevice | PowStepDevice, lo: float, hi: float):
    """`model` expressed in the coordinates where [lo, hi] maps onto [-1, 1].

    Used to compare a fit (always in the normalised map of its data) with a known model.
    Soft bounds' step at zero depends on where zero is: a' = a * w'/w for the bound it moves to.
    """
    c, sc = 0.5 * (lo + hi), 0.5 * (hi - lo)
    w_min, w_max = (model.w_min - c) / sc, (model.w_max - c) / sc
    if isinstance(model, SoftBoundsDevice):
        return model.model_copy(update={"w_min": w_min, "w_max": w_max,
                                        "a_up": model.a_up * w_max / model.w_max,
                                        "a_down": model.a_down * w_min / model.w_min})
    return model.model_copy(update={"w_min": w_min, "w_max": w_max, "a_up": model.a_up / sc,
                                    "a_down": model.a_down / sc})


# -- table model ------------------------------------------------------------------------------
TABLE_GRID = 65
"""Points of a fitted table over [-1, 1] (spacing 1/32, finer than the narrowest kernel 0.02
x the 4-neighbour floor on these ramps): the step curves are linear between them."""


def ramp_index(ramps: list[NormRamp], parity: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(which ramp, pulse number within it) of every step `steps_of(ramps, parity)` returns."""
    ids, pos = [], []
    for i, r in enumerate(ramps):
        k = np.arange(len(r.states) - 1)
        keep = k if parity is None else k[k % 2 == parity]
        ids.append(np.full(len(keep), i))
        pos.append(keep)
    return np.concatenate(ids), np.concatenate(pos)


def fit_table(g, dg, up, ramp=None, pos=None) -> TableDevice:
    """Mean and std of the step magnitude per direction over [-1, 1], model-free (issue 25).

    The mean step of each direction is a local linear regression on the state
    (ferrosim.device.smoothing), its kernel width chosen by held-out error (whole ramps left out
    where a direction has two or more, else alternate blocks of pulses; `ramp`, `pos`: which
    ramp each step is from and its pulse number; without them the steps count as one ramp in
    their order). The std is the same smoother on the squared residuals about that mean. Both
    are tabulated at TABLE_GRID states, held at their end values past a direction's last
    measured state. Replaces bins of n/12 steps smoothed by one bin, which dragged the
    symmetry point toward the sparse end (docs/fitting.md: held-out step RMSE 0.68x of the
    bins' (geometric mean of the 41 HZO fits), every symmetry point inside the data's 68% interval)."""
    ramp = np.zeros(len(g), dtype=int) if ramp is None else np.asarray(ramp)
    pos = np.arange(len(g)) if pos is None else np.asarray(pos)
    grid = np.linspace(-1.0, 1.0, TABLE_GRID)
    stats = []
    for is_up, sign in ((True, 1.0), (False, -1.0)):
        sel = up == is_up
        x, m = g[sel], sign * dg[sel]
        if len(np.unique(x)) < 2:
            raise ValueError(f"needs {'up' if is_up else 'down'} steps from at least 2 distinct states")
        h = choose_smoother(x, m, ramp[sel], pos[sel]).bandwidth
        mean = curve(x, m, h)
        r2 = (m - mean(x)) ** 2
        var = local_linear(x, r2, mean.knots, h)
        std = np.sqrt(np.clip(np.interp(grid, mean.knots, var), 0.0, None))
        # A mean step against the pulse's direction is read noise on a flat response.
        stats.append((np.clip(mean(grid), 0.0, None), std))
    (mu, su), (md, sd) = stats
    return TableDevice(w_min=-1.0, w_max=1.0, g=grid.tolist(), mean_up=mu.tolist(),
                       std_up=su.tolist(), mean_down=md.tolist(), std_down=sd.tolist())


def table_from_step_table(table: StepTable) -> tuple[TableDevice, tuple[float, float]]:
    """A measured dG lookup table (in S or normalised units) as a normalised `table` model."""
    g = np.asarray(table.g, dtype=float)
    lo, hi = float(g.min()), float(g.max())
    scale = 2.0 / (hi - lo)
    return TableDevice(
        w_min=-1.0, w_max=1.0, g=((g - lo) * scale - 1.0).tolist(),
        mean_up=(np.asarray(table.mean_up) * scale).tolist(), std_up=(np.asarray(table.std_up) * scale).tolist(),
        mean_down=(np.asarray(table.mean_down) * scale).tolist(),
        std_down=(np.asarray(table.std_down) * scale).tolist(),
    ), (lo, hi)


def _model_step(model: DeviceModel, g, up) -> np.ndarray:
    return np.where(up, model.step_up(g), -model.step_down(g))


# -- model choice -----------------------------------------------------------------------------
def _fit_model_on_steps(name: str, g, dg, up, ramp=None, pos=None) -> DeviceModel:
    if name == "table":
        return fit_table(g, dg, up, ramp, pos)
    return _device(name, _fit_on_steps(name, g, dg, up, reweight=0)[0])


def heldout_errors(ramps: list[NormRamp]) -> dict[str, float]:
    """Step RMSE on odd-numbered steps of models fitted on the even-numbered ones."""
    train = steps_of(ramps, parity=0)
    test_g, test_dg, test_up = steps_of(ramps, parity=1)
    out = {}
    for name in MODELS:
        model = _fit_model_on_steps(name, *train, *ramp_index(ramps, parity=0))
        out[name] = float(np.sqrt(np.mean((_model_step(model, test_g, test_up) - test_dg) ** 2)))
    return out


def choose_model(errors: dict[str, float], passed_over: dict[str, float] | None = None) -> tuple[str, str]:
    """The simplest model whose held-out error is within PARSIMONY of the best, and why.

    `passed_over`: models (-> their g*) whose symmetry point lies outside the data's 68%
    interval; they are not chosen while another model's lies inside it (plain SGD's accuracy
    turns on g*, issue 25)."""
    passed_over = passed_over or {}
    pool = {m: e for m, e in errors.items() if m not in passed_over} or errors
    name = _simplest_within_parsimony(pool)
    listing = ", ".join(f"{m} {errors[m]:.3g}" for m in MODELS)
    why = ("lowest held-out step RMSE" if pool[name] == min(pool.values()) else
           f"within {PARSIMONY:.0%} of the best held-out step RMSE and simpler")
    plain = _simplest_within_parsimony(errors)
    if plain == name:
        return name, f"{why} ({listing})"
    return name, (f"{why} of the models whose symmetry point lies inside the data's 68% interval ({listing}); "
                  f"{plain} passed over: its symmetry point {passed_over[plain]:+.2f} lies outside it")


def _simplest_within_parsimony(errors: dict[str, float]) -> str:
    best = min(errors.values())
    return next(m for m in MODELS if m in errors and errors[m] <= best * (1 + PARSIMONY))  # simplest first


# -- one group --------------------------------------------------------------------------------
def fit_traces(traces: list[Trace], model: str = "auto", refine: str = "steps",
               symmetry_68: tuple[float, float] | None = None) -> FitResult:
    """Fit one device at one pulse width from all its traces (cycles and repeats pooled).

    `refine="steps"` (default) keeps the reweighted step-vs-state fit; `"traces"` refines it by
    least squares on the simulated traces. Measured on closed-form powstep traces with 30% c2c
    noise (10 cycles), the step fit recovers the parameters about twice as well: a noisy trace
    is a random walk, which a noise-free simulation matches only on average. With read noise
    and little pulse noise the trace fit is the better one.

    `symmetry_68`: the data's 68% interval of the symmetry point (ferrosim.device.symmetry);
    with `auto`, a model whose g* lies outside it is passed over while another's lies inside.
    """
    ramps, (lo, hi) = normalise(traces)
    if not ramps:
        raise ValueError("no ramp with two or more reads")
    g, dg, up = steps_of(ramps)
    if up.sum() < 2 or (~up).sum() < 2:
        missing = "up" if up.sum() < 2 else "down"
        have = int(up.sum() if missing == "up" else (~up).sum())
        raise ValueError(f"needs at least 2 {missing} steps; the data have {have}")
    notes: list[str] = []
    for is_up, word in ((True, "up"), (False, "down")):
        mean = float(dg[up == is_up].mean())
        if (mean < 0) if is_up else (mean > 0):
            notes.append(f"the {word} ramps move {'down' if is_up else 'up'} on average: check the "
                         "direction labels (or the amplitude sign convention)")
    # each model's fit on every step: made once, for the symmetry check of `auto` and the result
    on_steps: dict[str, object] = {}

    def fit_on_all_steps(name: str):
        """The table (TableDevice) or the parametric fit's (params, stderr), cached."""
        if name not in on_steps:
            on_steps[name] = (fit_table(g, dg, up, *ramp_index(ramps)) if name == "table"
                              else _fit_on_steps(name, g, dg, up))
        return on_steps[name]

    candidates: dict[str, float] = {}
    if model == "auto":
        candidates = heldout_errors(ramps)
        passed_over = {}
        if symmetry_68 is not None:
            for name in MODELS:
                found = fit_on_all_steps(name)
                sp = float((found if name == "table" else _device(name, found[0])).symmetry_point())
                if not symmetry_68[0] <= sp <= symmetry_68[1]:
                    passed_over[name] = sp
        model, reason = choose_model(candidates, passed_over)
    else:
        reason = "chosen with --model"
    params: dict[str, tuple[float, float]] = {}
    if model == "table":
        fitted = fit_on_all_steps("table")
    else:
        p, stderr = fit_on_all_steps(model)
        if refine == "traces":
            p, stderr = _refine_on_traces(model, p, ramps)
        for name, value, (blo, bhi) in zip(PARAMS[model], p, _BOUNDS[model]):
            if np.isclose(value, blo, rtol=1e-6, atol=1e-12) or np.isclose(value, bhi, rtol=1e-6):
                notes.append(f"{name} at its fit bound {value:.3g}: the data do not pin it down")
        params = {n: (float(v), float(s)) for n, v, s in zip(PARAMS[model], p, stderr)}
        fitted = _device(model, p)
    mean = _model_step(fitted, g, up)
    r = dg - mean
    c2c = float(np.sqrt(np.sum(r * r) / np.sum(mean * mean))) if np.any(mean) else 0.0
    if model != "table":
        fitted = fitted.model_copy(update={"c2c": round(c2c, 6)})
    resid, measured = trace_residuals(fitted, ramps)
    stats = _stats(fitted, g, dg, r, resid, measured, lo, hi, traces[0].units)
    stats["c2c"] = c2c
    # the mean of every measured read (normalised): the weight zero `mean_conductance`
    stats["mean_state"] = float(np.mean(np.concatenate([r.states for r in ramps])))
    stats.update(n_pulses_up=int(up.sum()), n_pulses_down=int((~up).sum()), n_ramps=len(ramps),
                 n_cycles=len({(x.source, x.cycle) for x in ramps}), n_files=len({t.source for t in traces}))
    return FitResult(
        device=traces[0].device, pulse_width_s=traces[0].pulse_width_s, model=fitted, params=params,
        stats=stats, candidates=candidates, reason=reason, ramps=ramps,
        range_S=(lo, hi) if traces[0].units == "S" else None, range_units=traces[0].units,
        range_source=(lo, hi), sources=sorted({str(t.source) for t in traces}), notes=notes,
        steps=(g, dg, up),
    )


def fit_step_table(table: StepTable) -> FitResult:
    """A measured lookup table becomes a `table` model as it is (normalised, not refitted)."""
    model, (lo, hi) = table_from_step_table(table)
    stats = _stats(model, None, None, None, None, None, lo, hi, table.units)
    stats["c2c"] = None
    return FitResult(
        device=table.device, pulse_width_s=table.pulse_width_s, model=model, params={}, stats=stats,
        candidates={}, reason="measured lookup table, used as is", ramps=[],
        range_S=(lo, hi) if table.units == "S" else None, range_units=table.units,
        range_source=(lo, hi), sources=[str(s) for s in table.sources], notes=list(table.notes),
    )


def _r2(resid, data) -> float | None:
    if resid is None or len(data) < 2:
        return None
    tot = float(np.sum((data - data.mean()) ** 2))
    return 1.0 - float(np.sum(resid**2)) / tot if tot > 0 else None


def _stats(model: DeviceModel, g, dg, step_resid, trace_resid, trace_data, lo, hi, units) -> dict:
    up0, down0 = float(model.step_up(0.0)), float(model.step_down(0.0))
    to_source = (hi - lo) / 2.0  # normalised unit -> source unit (S for conductance data)
    out = {
        "symmetry_point": float(model.symmetry_point()),
        "granularity": model.granularity("aihwkit"),
        "granularity_min": model.granularity("min"),
        "granularity_mean": model.granularity("mean"),
        "n_states": float(model.n_states("aihwkit")),
        "step_up_at_zero": up0,
        "step_down_at_zero": down0,
        "step_ratio_at_zero": up0 / down0 if down0 > 0 else None,
        "mean_step_at_zero": 0.5 * (up0 + down0),
        "mean_step_at_zero_S": 0.5 * (up0 + down0) * to_source if units == "S" else None,
        "conductance_min_S": lo if units == "S" else None,
        "conductance_max_S": hi if units == "S" else None,
    }
    if step_resid is not None:
        out["step_rmse"] = float(np.sqrt(np.mean(step_resid**2)))
        out["step_r2"] = _r2(step_resid, dg)
    if trace_resid is not None:
        out["trace_rmse"] = float(np.sqrt(np.mean(trace_resid**2)))
        out["trace_r2"] = _r2(trace_resid, trace_data)
    return out


def d2d_estimate(results: list[FitResult]) -> dict[str, float | int]:
    """Relative spread of the steps at the weight zero across devices at one pulse width."""
    up = np.array([r.stats["step_up_at_zero"] for r in results])
    down = np.array([r.stats["step_down_at_zero"] for r in results])
    return {
        "n_devices": len(results),
        "d2d_up": float(np.std(up, ddof=1) / np.mean(up)),
        "d2d_down": float(np.std(down, ddof=1) / np.mean(down)),
    }
