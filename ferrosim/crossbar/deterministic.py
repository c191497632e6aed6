"""Pulsed SGD with aihwkit's deterministic implicit pulse trains (`PulseType.DeterministicImplicit`).

The same BL, A and B as the stochastic trains (`ferrosim.crossbar.sgd.pulse_train_scales`),
but no random coincidences: per sample, input j's train is the fraction
`p_j = min(q(B|x_j|), 1)` of its BL slots and error i's `q_i = min(q(A|d_i|), 1)`, where
`q(v) = rint(v / res) * res` discretises to `update.x_res_implicit` / `d_res_implicit` (0: not
at all), and device (i, j) gets exactly

    n_ij = rint(BL * q_i * p_j)

pulses, down when x_j*d_i > 0 (aihwkit's `DenseBitLineMaker::generateCoincidencesDetI`, which
says explicit bit lines with these coincidences exist). The expected weight change is the
stochastic trains', without their spread; an update smaller than half a pulse is lost. The
arithmetic is float32, as aihwkit's.

The pulses themselves are the same device physics (`pulse_step`), applied one after another;
c2c noise and `sgd_balanced`'s thinning draw from row i's stream (key, sample, i + 1), devices
of a row in the order of falling input fraction (index order among equals), so rows may run in
any order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from ferrosim.crossbar.rng import derive_key, seed_state
from ferrosim.crossbar.sgd import fire, sample_scales


@njit(cache=True, inline="always")
def _fraction(v, scale, res):
    """|v| * scale discretised to `res` (none when res is 0) and capped at 1, float32."""
    p = np.float32(abs(v) * scale)
    if res > 0:
        p = np.float32(np.rint(p / res) * res)
    return min(p, np.float32(1.0))


@njit(cache=True, nogil=True)
def deterministic_pulsed_update(
    g, xs, ds, lr, eps, bl_max, update_management, bl_management, x_res, d_res, key, sample0,
    model, a_up, a_down, w_min, w_max, gamma_up, gamma_down, c2c, noisy, t_g0, t_dg, t_vals,
    counts, p_up, p_down, w, g_ref, scale, px,
):
    """Apply the deterministic pulse counts of samples `xs[b]`, `ds[b]` (in order) to `g`.

    Arguments as `pulsed_sgd_update`; x_res, d_res: float32 discretisation steps of the
    input and error fractions; px: (n_in,) float32 scratch for the signed input fractions.
    """
    n_out, n_in = g.shape
    f_res_x = np.float32(x_res)
    f_res_d = np.float32(d_res)
    for b in range(xs.shape[0]):
        x = xs[b]
        d = ds[b]
        bl, a_scale, b_scale = sample_scales(x, d, lr, eps, bl_max, update_management, bl_management)
        if bl == 0:
            continue
        a32 = np.float32(a_scale)
        b32 = np.float32(b_scale)
        for j in range(n_in):
            p = _fraction(x[j], b32, f_res_x)
            px[j] = p if x[j] >= 0 else -p
        # inputs by falling |fraction|: a row's counts |rint(dc * px_j)| then never rise, so
        # its walk stops at the first zero (cost: the pulses, not the devices)
        order = np.argsort(-np.abs(px), kind="mergesort")
        skey = derive_key(key, uint64(sample0 + b))
        n_up = 0
        n_down = 0
        for i in range(n_out):
            q = _fraction(d[i], a32, f_res_d)
            if q == 0:
                continue
            dc = np.float32((q if d[i] >= 0 else -q) * np.float32(bl))
            rs = seed_state(derive_key(skey, uint64(i + 1)))
            for jj in range(n_in):
                j = order[jj]
                n = int(np.rint(np.float32(dc * px[j])))
                if n == 0:
                    break
                # x_j * d_i > 0 (n > 0) asks for a smaller weight: down pulses.
                up = n < 0
                m = -n if up else n
                keep = p_up[i, j] if up else p_down[i, j]
                for _ in range(m):
                    rs, fired = fire(g, w, i, j, up, keep, rs, noisy, model, a_up, a_down, w_min,
                                     w_max, gamma_up, gamma_down, c2c, t_g0, t_dg, t_vals, g_ref, scale)
                    if not fired:
                        continue
                    if up:
                        n_up += 1
                    else:
                        n_down += 1
        counts[0] += n_up
        counts[1] += n_down
