"""Device response models: how one programming pulse moves a device's normalised state `g`.

One typed model per response (DESIGN.md section 2). Each model knows its mean up and down step
as a function of the state, its symmetry point, its granularity and its conversion to and from
IBM aihwkit's parameters. The per-pulse arithmetic that training runs lives in
`ferrosim.crossbar.pulse` (numba); these classes are the single source of the parameters and of
the closed forms the kernels are tested against.

Units: `g` is the device state in normalised units (the measured conductance range mapped
linearly onto [-1, 1]); every step size and bound below is in the same units.

aihwkit conversion (SoftBounds, PowStep; DESIGN.md section 2). aihwkit describes the two step
sizes by `dw_min` and `up_down` and shrinks only the weaker direction:

    a_up   = dw_min * (1 + min(up_down, 0))
    a_down = dw_min * (1 - max(up_down, 0))

and back: `dw_min = max(a_up, a_down)`, `up_down = 1 - a_down/dw_min` when `a_up >= a_down`,
else `a_up/dw_min - 1`. aihwkit's SoftBounds slopes are `-a_up/w_max` (up) and `-a_down/w_min`
(down, w_min < 0), i.e. exactly `a_up*(1 - g/w_max)` and `a_down*(1 - g/w_min)` here.
aihwkit's PowStep treats `pow_up_down` the same way (rpu_powstep_device.cpp; its docstring
says otherwise, the code rules): `gamma_up = pow_gamma*(1 + min(pow_up_down, 0))`,
`gamma_down = pow_gamma*(1 - max(pow_up_down, 0))`.

Not converted: aihwkit's device-to-device draws (a gain shared by both directions plus an
opposite-signed `up_down_dtod` term); ferrosim draws independent up and down factors.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

import numpy as np
from pydantic import ConfigDict, Field, model_validator
from scipy.optimize import brentq

from ferrosim.device.crossing import stable_crossing
from ferrosim.io.strict_model import StrictInputModel

GranularityMode = Literal["aihwkit", "min", "mean"]

# Model codes shared with the numba kernels (`ferrosim.crossbar.pulse`).
LINEAR, SOFTBOUNDS, POWSTEP, TABLE = 0, 1, 2, 3


class _DeviceBase(StrictInputModel):
    """Fields every device model has: noise, variation, bounds."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    w_min: float = Field(-1.0, lt=0)
    """Lower saturation level of `g` (normalised units, < 0). Every pulse clips `g` to
    [w_min, w_max]."""
    w_max: float = Field(1.0, gt=0)
    """Upper saturation level of `g` (normalised units, > 0)."""
    c2c: float = Field(0.0, ge=0)
    """Cycle-to-cycle noise: relative std of each step, `step*(1 + c2c*xi)`, xi ~ N(0,1) fresh
    per pulse (aihwkit `dw_min_std`). Ignored by `table`, whose measured std plays this role."""
    d2d: float = Field(0.0, ge=0)
    """Device-to-device variation: relative std of per-device factors on the up and the down
    step, drawn independently once per device (so each device has its own asymmetry and
    symmetry point). Factors below zero are clipped to zero (a stuck device)."""
    d2d_bounds: float = Field(0.0, ge=0)
    """Device-to-device variation of the bounds: relative std of per-device factors on
    w_min and w_max, drawn as aihwkit does (a negative factor reflects the bound: see
    `DeviceArrays.build` and docs/physics.md)."""

    # -- overridden by each model ------------------------------------------------------------
    def step_up(self, g: np.ndarray | float) -> np.ndarray:
        """Mean (noise-free) increase of `g` from one up pulse at state `g`, before clipping."""
        raise NotImplementedError

    def step_down(self, g: np.ndarray | float) -> np.ndarray:
        """Mean (noise-free) decrease of `g` (a positive number) from one down pulse at `g`."""
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------
    def apply_pulses(self, g0: float, n_up: int, n_down: int) -> np.ndarray:
        """Noise-free trajectory: `n_up` up pulses then `n_down` down pulses from `g0`.

        Returns the state after every pulse (length n_up + n_down). A plain reference
        implementation in numpy, used to check the kernels and to plot fitted responses.
        """
        out = np.empty(n_up + n_down)
        g = float(g0)
        for k in range(n_up + n_down):
            step = self.step_up(g) if k < n_up else -self.step_down(g)
            g = min(max(g + float(step), self.w_min), self.w_max)
            out[k] = g
        return out

    def symmetry_point(self) -> float:
        """State where the mean up step equals the mean down step (DESIGN.md section 2).

        Random zero-mean updates drive the device there. Models with a closed form override
        this; the rest solve `step_up(g) = step_down(g)` on [w_min, w_max] with Brent's method.
        """
        f = lambda g: float(self.step_up(g) - self.step_down(g))  # noqa: E731
        lo, hi = self.w_min, self.w_max
        f_lo, f_hi = f(lo), f(hi)
        if f_lo == 0.0:
            return lo
        if f_hi == 0.0:
            return hi
        if f_lo * f_hi > 0:
            # No crossing: the stronger direction wins everywhere and drives g to its bound.
            return hi if f_lo > 0 else lo
        return float(brentq(f, lo, hi, xtol=1e-14, rtol=1e-14))

    def step_ratio(self, g: float = 0.0) -> float:
        """Up/down mean step ratio at state `g` (1 for a symmetric device at its zero)."""
        return float(self.step_up(g) / self.step_down(g))

    def granularity(self, mode: GranularityMode = "aihwkit", g0: float = 0.0) -> float:
        """Step size `eps` that converts a requested weight change into pulses (DESIGN.md s.2).

        `aihwkit`: at g0 = 0, the weight granularity aihwkit 1.2.0 computes for the model
        (`aihwkit_granularity`); at another weight zero, which aihwkit has no notion of, the
        larger of the two mean steps there. `min`: the smaller of the two steps at `g0`;
        `mean`: their mean.
        """
        if mode == "aihwkit" and g0 == 0.0:
            return self.aihwkit_granularity()
        up, down = float(self.step_up(g0)), float(self.step_down(g0))
        if mode == "aihwkit":
            return max(up, down)
        if mode == "min":
            return min(up, down)
        if mode == "mean":
            return 0.5 * (up + down)
        raise ValueError(f"unknown granularity mode {mode!r}")

    def aihwkit_granularity(self) -> float:
        """aihwkit's `calcWeightGranularity`: `dw_min`, the larger step at w = 0, for
        ConstantStep (`linear`) and SoftBounds (their steps at 0 are `a_up` and `a_down`)."""
        return max(float(self.step_up(0.0)), float(self.step_down(0.0)))

    def n_states(self, mode: GranularityMode = "aihwkit", g0: float = 0.0) -> float:
        """Number of distinguishable states, `(w_max - w_min)/eps`."""
        return (self.w_max - self.w_min) / self.granularity(mode, g0)


class LinearDevice(_DeviceBase):
    """Constant step (aihwkit ConstantStepDevice): `g += a_up`, `g -= a_down`, clipped.

    With wide bounds this is the ideal device that tests the pulse machinery alone.
    """

    model: Literal["linear"] = "linear"
    a_up: float = Field(0.01, gt=0)
    """Step of an up pulse."""
    a_down: float = Field(0.01, gt=0)
    """Step of a down pulse (positive)."""

    def step_up(self, g):
        return self.a_up + 0.0 * np.asarray(g, dtype=float)

    def step_down(self, g):
        return self.a_down + 0.0 * np.asarray(g, dtype=float)

    def symmetry_point(self) -> float:
        # Constant steps balance nowhere unless equal; equal steps have no preferred state,
        # and the centre of the range is the natural reading.
        if self.a_up == self.a_down:
            return 0.5 * (self.w_min + self.w_max)
        return self.w_max if self.a_up > self.a_down else self.w_min


class SoftBoundsDevice(_DeviceBase):
    """Soft bounds: `g += a_up*(1 - g/w_max)`, `g -= a_down*(1 - g/w_min)` (times noise).

    The step shrinks linearly to zero at the bound the pulse moves toward
    (aihwkit SoftBoundsDevice, DESIGN.md section 2).
    """

    model: Literal["softbounds"] = "softbounds"
    a_up: float = Field(0.01, gt=0)
    """Up step at g = 0."""
    a_down: float = Field(0.01, gt=0)
    """Down step at g = 0 (positive)."""

    def step_up(self, g):
        return self.a_up * (1.0 - np.asarray(g, dtype=float) / self.w_max)

    def step_down(self, g):
        return self.a_down * (1.0 - np.asarray(g, dtype=float) / self.w_min)

    def symmetry_point(self) -> float:
        """Closed form `(a_up - a_down)/(a_up/w_max - a_down/w_min)` (DESIGN.md section 2)."""
        g = (self.a_up - self.a_down) / (self.a_up / self.w_max - self.a_down / self.w_min)
        return min(max(g, self.w_min), self.w_max)  # in range exactly; clipped against rounding


class PowStepDevice(_DeviceBase):
    """Power-law step: `g += a_up*((w_max-g)/(w_max-w_min))**gamma_up` and
    `g -= a_down*((g-w_min)/(w_max-w_min))**gamma_down` (aihwkit PowStepDevice)."""

    model: Literal["powstep"] = "powstep"
    a_up: float = Field(0.01, gt=0)
    """Up step scale (the step at g = w_min)."""
    a_down: float = Field(0.01, gt=0)
    """Down step scale (the step at g = w_max)."""
    gamma_up: float = Field(1.0, ge=0)
    """Exponent of the up step (0: constant step; 1: soft bounds)."""
    gamma_down: float = Field(1.0, ge=0)
    """Exponent of the down step."""

    def step_up(self, g):
        x = (self.w_max - np.asarray(g, dtype=float)) / (self.w_max - self.w_min)
        return self.a_up * np.power(np.maximum(x, 0.0), self.gamma_up)

    def step_down(self, g):
        x = (np.asarray(g, dtype=float) - self.w_min) / (self.w_max - self.w_min)
        return self.a_down * np.power(np.maximum(x, 0.0), self.gamma_down)

    def aihwkit_granularity(self) -> float:
        """aihwkit 1.2.0's PowStep rule, `dw_min * 0.5**pow_gamma`, with its `dw_min =
        max(a_up, a_down)` and `pow_gamma = max(gamma_up, gamma_down)` (`pow_up_down` lowers
        the other exponent only). A formula, whatever the bounds: with `pow_up_down: 0.5` the
        larger step at g = 0 that ferrosim took before was 2x it (issue 30)."""
        return max(self.a_up, self.a_down) * 0.5 ** max(self.gamma_up, self.gamma_down)

    def symmetry_point(self) -> float:
        if self.gamma_up == self.gamma_down and self.gamma_up > 0:
            # ((w_max-g)/(g-w_min))**gamma = a_down/a_up  =>  g = (w_max + r*w_min)/(1 + r)
            r = (self.a_down / self.a_up) ** (1.0 / self.gamma_up)
            # in [w_min, w_max] exactly; rounding can step past a bound when r is huge
            return min(max((self.w_max + r * self.w_min) / (1.0 + r), self.w_min), self.w_max)
        return super().symmetry_point()


class TableDevice(_DeviceBase):
    """Non-parametric response: measured mean and std of the step, binned by state.

    Each pulse: `g += mean_up(g) + std_up(g)*xi` (up) or `g -= mean_down(g) + std_down(g)*xi`
    (down), with linear interpolation between bin centres and the end values held outside
    them. `mean_down` is the magnitude of the down step (positive numbers).
    """

    model: Literal["table"] = "table"
    g: list[float] = Field(min_length=2)
    """Bin centres (normalised state), strictly increasing."""
    mean_up: list[float]
    """Mean up step at each bin centre."""
    std_up: list[float]
    """Std of the up step at each bin centre (cycle-to-cycle noise)."""
    mean_down: list[float]
    """Mean down step magnitude at each bin centre."""
    std_down: list[float]
    """Std of the down step magnitude at each bin centre."""

    @model_validator(mode="after")
    def _check_table(self) -> "TableDevice":
        n = len(self.g)
        for name in ("mean_up", "std_up", "mean_down", "std_down"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} values, g has {n}")
        if np.any(np.diff(self.g) <= 0):
            raise ValueError("table bin centres g must be strictly increasing")
        if min(self.std_up + self.std_down) < 0:
            raise ValueError("table std values must be >= 0")
        return self

    def step_up(self, g):
        return np.interp(g, self.g, self.mean_up)

    def step_down(self, g):
        return np.interp(g, self.g, self.mean_down)

    def symmetry_point(self) -> float:
        """The stable crossing of the two interpolated mean steps (up - down turns from positive
        to negative; ferrosim.device.crossing), exact: both are linear between the bin centres.
        Without one, the bound the stronger direction drives the state to (with only an
        unstable crossing, the bound with the wider basin)."""
        g = np.asarray(self.g)
        grid = np.unique(np.concatenate([[self.w_min], g[(g > self.w_min) & (g < self.w_max)], [self.w_max]]))
        diff = self.step_up(grid) - self.step_down(grid)
        value, side, _ = stable_crossing(grid, diff, self.w_min, self.w_max)
        if value is not None:
            return value
        if side == 2:
            k = int(np.nonzero((diff[:-1] > 0) != (diff[1:] > 0))[0][0])
            side = 1 if self.w_max - grid[k + 1] > grid[k] - self.w_min else -1
        return float(self.w_max if side == 1 else self.w_min)

    def aihwkit_granularity(self) -> float:
        """aihwkit has no table model; its nearest, PiecewiseStep, spreads its nodes evenly
        over [w_min, w_max] (as ferrosim's fits lay out their tables: 65 nodes on [-1, 1]) and
        takes `dw_min * piecewise_up_vec[n // 2]`: the up step at node n // 2, whichever
        direction is larger there (issue 30). Where that step is 0 (a device that does not move
        up at mid-range, e.g. aihwkit's Gong et al. trace) aihwkit's granularity would be 0 and
        divide; ferrosim takes the larger step there instead."""
        n = len(self.g)
        node = self.w_min + (n // 2) / (n - 1) * (self.w_max - self.w_min)
        up = float(self.step_up(node))
        return up if up > 0 else max(up, float(self.step_down(node)))

    def uniform_grid(self, n: int | None = None) -> tuple[float, float, np.ndarray]:
        """Resample the four tables onto a uniform grid, for O(1) lookup in the kernel.

        Returns `(g_first, g_spacing, values)` with `values` shaped (4, n): mean_up, std_up,
        mean_down, std_down. Linear interpolation of a piecewise-linear table onto a grid
        fine enough (default 8x the bins, at least 256 points) changes it negligibly.
        """
        n = n or max(256, 8 * len(self.g))
        grid = np.linspace(self.g[0], self.g[-1], n)
        values = np.stack(
            [np.interp(grid, self.g, getattr(self, k)) for k in ("mean_up", "std_up", "mean_down", "std_down")]
        )
        return float(grid[0]), float(grid[1] - grid[0]), values


DeviceModel = Annotated[
    Union[LinearDevice, SoftBoundsDevice, PowStepDevice, TableDevice], Field(discriminator="model")
]
"""Any device response model, chosen by its `model` field."""

MODEL_CODES = {"linear": LINEAR, "softbounds": SOFTBOUNDS, "powstep": POWSTEP, "table": TABLE}


# -- aihwkit conversion -----------------------------------------------------------------------
def steps_from_aihwkit(dw_min: float, up_down: float) -> tuple[float, float]:
    """aihwkit `(dw_min, up_down)` -> `(a_up, a_down)`: only the weaker direction shrinks.

    The same map turns `(pow_gamma, pow_up_down)` into `(gamma_up, gamma_down)`.
    """
    return dw_min * (1.0 + min(up_down, 0.0)), dw_min * (1.0 - max(up_down, 0.0))


def steps_to_aihwkit(a_up: float, a_down: float) -> tuple[float, float]:
    """`(a_up, a_down)` -> aihwkit `(dw_min, up_down)`, the inverse of `steps_from_aihwkit`."""
    dw_min = max(a_up, a_down)
    up_down = 1.0 - a_down / dw_min if a_up >= a_down else a_up / dw_min - 1.0
    return dw_min, up_down


def from_aihwkit(
    kind: Literal["softbounds", "powstep", "constantstep"],
    *,
    dw_min: float,
    up_down: float = 0.0,
    w_max: float = 0.6,
    w_min: float = -0.6,
    dw_min_std: float = 0.0,
    pow_gamma: float = 1.0,
    pow_up_down: float = 0.0,
) -> LinearDevice | SoftBoundsDevice | PowStepDevice:
    """Build the ferrosim model equivalent to an aihwkit SoftBounds/PowStep/ConstantStep device.

    Defaults follow aihwkit's `w_max`/`w_min` (0.6); noise defaults to off here (aihwkit's
    default `dw_min_std` is 0.3: pass it explicitly to match a noisy aihwkit run).
    Device-to-device variation is not converted (aihwkit draws it differently).
    """
    a_up, a_down = steps_from_aihwkit(dw_min, up_down)
    common = dict(a_up=a_up, a_down=a_down, w_max=w_max, w_min=w_min, c2c=dw_min_std)
    if kind == "softbounds":
        return SoftBoundsDevice(**common)
    if kind == "constantstep":
        return LinearDevice(**common)
    if kind == "powstep":
        gamma_up, gamma_down = steps_from_aihwkit(pow_gamma, pow_up_down)
        return PowStepDevice(**common, gamma_up=gamma_up, gamma_down=gamma_down)
    raise ValueError(f"unknown aihwkit device kind {kind!r}")


def to_aihwkit(device: LinearDevice | SoftBoundsDevice | PowStepDevice) -> dict[str, float | str]:
    """The aihwkit parameters of a ferrosim model (inverse of `from_aihwkit`).

    Returns a dict with `kind` (aihwkit class: SoftBoundsDevice, PowStepDevice or
    ConstantStepDevice) and the keyword arguments to construct it.
    """
    dw_min, up_down = steps_to_aihwkit(device.a_up, device.a_down)
    out: dict[str, float | str] = dict(
        dw_min=dw_min, up_down=up_down, w_max=device.w_max, w_min=device.w_min, dw_min_std=device.c2c
    )
    if isinstance(device, SoftBoundsDevice):
        out["kind"] = "SoftBoundsDevice"
    elif isinstance(device, LinearDevice):
        out["kind"] = "ConstantStepDevice"
    elif isinstance(device, PowStepDevice):
        out["kind"] = "PowStepDevice"
        if max(device.gamma_up, device.gamma_down) == 0:
            out["pow_gamma"], out["pow_up_down"] = 0.0, 0.0
        else:
            # Same weaker-direction convention as dw_min/up_down.
            out["pow_gamma"], out["pow_up_down"] = steps_to_aihwkit(device.gamma_up, device.gamma_down)
    else:  # pragma: no cover - the type hint excludes it
        raise TypeError(f"no aihwkit equivalent for {type(device).__name__}")
    return out


def softbounds_closed_form(g0: float, n: int, a: float, bound: float) -> np.ndarray:
    """States after 1..n noise-free soft-bounds pulses toward `bound` from `g0` (no clipping).

    Each pulse maps `g -> g + a*(1 - g/bound)`, an affine map with fixed point `bound` and
    contraction `1 - a/bound`, so `g_k = bound - (bound - g0)*(1 - a/bound)**k`. For down
    pulses pass `a = -a_down` and `bound = w_min` (the sign makes the same formula hold).
    """
    k = np.arange(1, n + 1)
    return bound - (bound - g0) * (1.0 - a / bound) ** k


__all__ = [
    "DeviceModel",
    "GranularityMode",
    "LinearDevice",
    "PowStepDevice",
    "SoftBoundsDevice",
    "TableDevice",
    "from_aihwkit",
    "softbounds_closed_form",
    "steps_from_aihwkit",
    "steps_to_aihwkit",
    "to_aihwkit",
]
