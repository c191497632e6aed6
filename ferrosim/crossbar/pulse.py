"""One programming pulse on one device: the per-pulse physics the kernels share.

`pulse_step` is the numba twin of `ferrosim.device.models` (DESIGN.md section 2): the models
hold the parameters and closed forms, this function applies one noisy pulse and clips.
Parameters arrive as scalars (the device's own `a_up`, `a_down`, bounds, after device-to-device
variation) so that the caller indexes its arrays once per device.
"""

from __future__ import annotations

import math

from numba import njit

from ferrosim.device.models import LINEAR, POWSTEP, SOFTBOUNDS, TABLE


@njit(cache=True, inline="always")
def _table_lookup(g, t_g0, t_dg, t_vals, row):
    """Linear interpolation of table row `row` on its uniform grid, ends held constant."""
    n = t_vals.shape[1]
    pos = (g - t_g0) / t_dg
    if pos <= 0.0:
        return t_vals[row, 0]
    if pos >= n - 1:
        return t_vals[row, n - 1]
    k = int(pos)
    frac = pos - k
    return t_vals[row, k] * (1.0 - frac) + t_vals[row, k + 1] * frac


@njit(cache=True, inline="always")
def pulse_step(model, g, up, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, xi,
               t_g0, t_dg, t_vals):
    """State of a device at `g` after one up (`up=True`) or down pulse, clipped to its bounds.

    `xi` is the pulse's standard-normal draw (pass 0.0 for a noise-free pulse). For `table`,
    `a_up`/`a_down` are the device's relative factors on the measured steps (1 nominal).
    """
    if model == TABLE:
        if up:
            dg = a_up * (_table_lookup(g, t_g0, t_dg, t_vals, 0)
                         + _table_lookup(g, t_g0, t_dg, t_vals, 1) * xi)
        else:
            dg = -a_down * (_table_lookup(g, t_g0, t_dg, t_vals, 2)
                            + _table_lookup(g, t_g0, t_dg, t_vals, 3) * xi)
    else:
        if up:
            if model == SOFTBOUNDS:
                step = a_up * (1.0 - g / w_max)
            elif model == POWSTEP:
                step = a_up * math.pow((w_max - g) / (w_max - w_min), gamma_up)
            else:  # LINEAR
                step = a_up
        else:
            if model == SOFTBOUNDS:
                step = a_down * (1.0 - g / w_min)
            elif model == POWSTEP:
                step = a_down * math.pow((g - w_min) / (w_max - w_min), gamma_down)
            else:  # LINEAR
                step = a_down
            step = -step
        dg = step * (1.0 + c2c * xi)
    g = g + dg
    if g > w_max:
        return w_max
    if g < w_min:
        return w_min
    return g


__all__ = ["LINEAR", "POWSTEP", "SOFTBOUNDS", "TABLE", "pulse_step"]
