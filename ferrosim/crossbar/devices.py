"""A population of devices: per-device parameter arrays for one weight matrix.

`DeviceArrays.build` turns one device model into arrays of the shape of a weight matrix,
drawing device-to-device variation once from a seeded generator (DESIGN.md section 2). The
kernels read these arrays; nothing here runs per pulse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ferrosim.device.models import (
    MODEL_CODES,
    POWSTEP,
    SOFTBOUNDS,
    TABLE,
    DeviceModel,
    TableDevice,
)


@dataclass
class DeviceArrays:
    """Per-device parameters of one crossbar (arrays shaped like its weight matrix)."""

    model_code: int
    a_up: np.ndarray
    a_down: np.ndarray
    w_min: np.ndarray
    w_max: np.ndarray
    gamma_up: float
    gamma_down: float
    c2c: float
    t_g0: float
    t_dg: float
    t_vals: np.ndarray  # (4, n) table: mean_up, std_up, mean_down, std_down; dummy otherwise

    @classmethod
    def build(cls, model: DeviceModel, shape: tuple[int, int], rng: np.random.Generator) -> "DeviceArrays":
        """Arrays for `shape` devices of `model`, with d2d factors drawn from `rng`."""

        def values(base: float, rel_std: float) -> np.ndarray:
            if rel_std == 0.0:
                # Every device alike: one value seen through a read-only broadcast view, so the
                # kernels read one cache line instead of a matrix per parameter.
                return np.broadcast_to(np.float64(base), shape)
            # A negative step has no physical meaning: such a device is stuck.
            return base * np.maximum(1.0 + rel_std * rng.standard_normal(shape), 0.0)

        def bounds(w_min: float, w_max: float, rel_std: float) -> tuple[np.ndarray, np.ndarray]:
            """Each device's (w_min, w_max) as aihwkit 1.2.0 draws them (PulsedRPUDevice::populate
            with enforce_consistency, its default): `bound * (1 + rel_std * N)` unclipped, a
            crossed pair swapped, then `w_max = |w_max|`, `w_min = -|w_min|`. A factor below 0
            (about 1 device in 2,500 at 0.3) reflects the bound instead of putting it at 0, where
            soft bounds divide by it. A factor of exactly 0 (probability 0 in float64) would still
            give 0: it becomes the smallest positive float, a device stuck near 0."""
            if rel_std == 0.0:
                return values(w_min, 0.0), values(w_max, 0.0)
            lo = w_min * (1.0 + rel_std * rng.standard_normal(shape))  # drawn first, as before
            hi = w_max * (1.0 + rel_std * rng.standard_normal(shape))
            crossed = lo > hi
            lo, hi = np.where(crossed, hi, lo), np.where(crossed, lo, hi)
            tiny = np.finfo(np.float64).tiny
            return -np.maximum(np.abs(lo), tiny), np.maximum(np.abs(hi), tiny)

        code = MODEL_CODES[model.model]
        if isinstance(model, TableDevice):
            a_up0 = a_down0 = 1.0  # relative factors on the measured tables
            t_g0, t_dg, t_vals = model.uniform_grid()
        else:
            a_up0, a_down0 = model.a_up, model.a_down
            t_g0, t_dg, t_vals = 0.0, 1.0, np.zeros((4, 2))
        a_up, a_down = values(a_up0, model.d2d), values(a_down0, model.d2d)
        w_min, w_max = bounds(model.w_min, model.w_max, model.d2d_bounds)
        return cls(
            model_code=code,
            a_up=a_up,
            a_down=a_down,
            w_min=w_min,
            w_max=w_max,
            gamma_up=float(getattr(model, "gamma_up", 1.0)),
            gamma_down=float(getattr(model, "gamma_down", 1.0)),
            c2c=0.0 if code == TABLE else model.c2c,
            t_g0=t_g0,
            t_dg=t_dg,
            t_vals=np.ascontiguousarray(t_vals, dtype=np.float64),
        )

    @property
    def kernel_args(self) -> tuple:
        """The device arguments every pulse kernel takes, in their order: model_code, a_up,
        a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals."""
        return (self.model_code, self.a_up, self.a_down, self.w_min, self.w_max, self.gamma_up, self.gamma_down,
                self.c2c, self.noisy, self.t_g0, self.t_dg, self.t_vals)

    @property
    def noisy(self) -> bool:
        """Whether pulses need a normal draw (c2c noise or a measured step spread)."""
        return self.c2c > 0.0 or (self.model_code == TABLE and bool(np.any(self.t_vals[[1, 3]] > 0)))

    def mean_steps(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free (up, down) step magnitudes of every device at states `g` (vectorised)."""
        g = np.asarray(g, dtype=float)
        if self.model_code == SOFTBOUNDS:
            return self.a_up * (1.0 - g / self.w_max), self.a_down * (1.0 - g / self.w_min)
        if self.model_code == POWSTEP:
            rng_w = self.w_max - self.w_min
            up = self.a_up * np.power(np.clip((self.w_max - g) / rng_w, 0, None), self.gamma_up)
            down = self.a_down * np.power(np.clip((g - self.w_min) / rng_w, 0, None), self.gamma_down)
            return up, down
        if self.model_code == TABLE:
            grid = self.t_g0 + self.t_dg * np.arange(self.t_vals.shape[1])
            return self.a_up * np.interp(g, grid, self.t_vals[0]), self.a_down * np.interp(g, grid, self.t_vals[2])
        return self.a_up + 0.0 * g, self.a_down + 0.0 * g  # LINEAR

    def symmetry_points_by_pulses(self, pairs: int = 1000, average_last: int = 100) -> np.ndarray:
        """Each device's symmetry point found the way a lab would: alternating pulses.

        From g = 0, `pairs` noise-free up/down pulse pairs (vectorised over devices); the
        state settles into a small two-point cycle around g*, and the mean state over the last
        `average_last` pairs (both half-steps) is returned. Accurate to a fraction of one step.
        Devices with identical parameters (no d2d variation) are simulated once.
        """
        params = np.stack([self.a_up.ravel(), self.a_down.ravel(), self.w_min.ravel(), self.w_max.ravel()], axis=1)
        unique, inverse = np.unique(params, axis=0, return_inverse=True)
        one = replace(self, a_up=unique[:, 0], a_down=unique[:, 1], w_min=unique[:, 2], w_max=unique[:, 3])
        g = np.zeros(len(unique))
        total = np.zeros_like(g)
        average_last = min(average_last, pairs)
        for k in range(pairs):
            up, _ = one.mean_steps(g)
            g_up = np.clip(g + up, one.w_min, one.w_max)
            _, down = one.mean_steps(g_up)
            g = np.clip(g_up - down, one.w_min, one.w_max)
            if k >= pairs - average_last:
                total += 0.5 * (g_up + g)
        return (total / average_last)[inverse.ravel()].reshape(self.a_up.shape)

    def symmetry_points(self) -> np.ndarray:
        """Each device's own symmetry point (where its mean up and down steps balance).

        Softbounds: the closed form of DESIGN.md section 2. Other models: vectorised bisection
        on `up - down` over [w_min, w_max] (60 halvings: below 1e-15 of the range); a device
        whose up step wins everywhere sits at w_max, one whose down step wins at w_min.
        """
        if self.model_code == SOFTBOUNDS:
            return (self.a_up - self.a_down) / (self.a_up / self.w_max - self.a_down / self.w_min)
        lo, hi = self.w_min.copy(), self.w_max.copy()

        def excess(g: np.ndarray) -> np.ndarray:
            up, down = self.mean_steps(g)
            return up - down

        f_lo = excess(lo)
        f_hi = excess(hi)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            f_mid = excess(mid)
            go_right = np.sign(f_mid) == np.sign(f_lo)
            lo = np.where(go_right, mid, lo)
            f_lo = np.where(go_right, f_mid, f_lo)
            hi = np.where(go_right, hi, mid)
        sp = 0.5 * (lo + hi)
        sp = np.where((f_lo > 0) & (f_hi > 0), self.w_max, sp)
        sp = np.where((f_lo < 0) & (f_hi < 0), self.w_min, sp)
        # Equal constant steps balance everywhere: the centre of the range.
        balanced = (excess(self.w_min) == 0) & (f_hi == 0)
        return np.where(balanced, 0.5 * (self.w_min + self.w_max), sp)
